"""Check a table's column names against its schema before any cell is read.

A column is accepted when it is a column of the table's schema
(:data:`clusterloc.scenario.schema.TABLE_COLUMNS`), a pass-through attribute declared in
the scenario (``attributes: {sites: [operator, region]}``), or an attribute named with
the :data:`ATTRIBUTE_PREFIX` (``x_operator``). Anything else is an error naming the file,
the line and the column, with the nearest known column as a suggestion: a misspelled
column (``fixed_costs``) must never be read as "absent, take the default".

Declared attribute names that are themselves near misses of a schema column are refused
too, so a typo cannot be made legal by declaring it. docs/scenario.md explains the design.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence

from clusterloc.errors import ScenarioError
from clusterloc.scenario.schema import TABLE_COLUMNS

__all__ = [
    "ATTRIBUTE_PREFIX",
    "check_attribute_declarations",
    "check_header",
    "is_attribute",
    "known_columns",
    "nearest",
    "unknown_column_message",
]

#: Columns whose name starts with this are pass-through attributes without declaration.
ATTRIBUTE_PREFIX = "x_"

#: ``difflib`` similarity above which a name counts as a misspelling of another.
_NEAR = 0.8


def known_columns(table: str) -> list[str]:
    """The schema column names of ``table`` in documentation order.

    Parameters
    ----------
    table
        A table key (``sites``, ``demand``, ...).

    Returns
    -------
    list of str
        Column names.
    """
    return [c.name for c in TABLE_COLUMNS[table]]


def nearest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate most like ``name`` (case and spacing ignored), or ``None``.

    Parameters
    ----------
    name
        The name as written.
    candidates
        Known names.
    cutoff
        Minimum ``difflib`` similarity (0..1).
    """
    pool = list(candidates)
    folded = {_fold(c): c for c in pool}
    key = _fold(name)
    if key in folded:
        return folded[key]
    match = difflib.get_close_matches(key, list(folded), n=1, cutoff=cutoff)
    if match:
        return folded[match[0]]
    prefixed = [
        c
        for f, c in folded.items()
        if len(f) >= 3 and (key.startswith(f) or (f.startswith(key) and len(key) >= 3))
    ]
    return max(prefixed, key=len) if prefixed else None


def _fold(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _is_near_miss(name: str, known: str) -> bool:
    if _fold(name) == _fold(known):
        return True
    return difflib.SequenceMatcher(None, _fold(name), _fold(known)).ratio() >= _NEAR


def is_attribute(name: str, declared: Iterable[str]) -> bool:
    """Whether ``name`` is a pass-through attribute column (declared or ``x_``-prefixed).

    Parameters
    ----------
    name
        A column name.
    declared
        The attribute names the scenario declares for the table.

    Returns
    -------
    bool
        True for a pass-through column.
    """
    return name.startswith(ATTRIBUTE_PREFIX) or name in set(declared)


def check_attribute_declarations(attributes: Mapping[str, Sequence[str]], where: str) -> None:
    """Refuse declared attribute names that clash with, or nearly spell, a schema column.

    Parameters
    ----------
    attributes
        ``{table: [column, ...]}`` from the scenario's ``attributes`` key.
    where
        Location of the ``attributes`` key, for the message.

    Raises
    ------
    ScenarioError
        Unknown table, a name equal to a schema column, or a near miss of one.
    """
    for table, names in attributes.items():
        if table not in TABLE_COLUMNS:
            hint = nearest(table, TABLE_COLUMNS)
            raise ScenarioError(
                f"scenario {where}: attributes: unknown table '{table}'"
                + (f"; did you mean '{hint}'?" if hint else ".")
                + f" Tables: {', '.join(TABLE_COLUMNS)}."
            )
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ScenarioError(
                    f"scenario {where}: attributes.{table}: '{name}' is listed twice."
                )
            seen.add(name)
            for known in known_columns(table):
                if name == known:
                    raise ScenarioError(
                        f"scenario {where}: attributes.{table}: '{name}' is a column of the "
                        f"{table} table, not an extra attribute; remove it from attributes."
                    )
                if _is_near_miss(name, known):
                    raise ScenarioError(
                        f"scenario {where}: attributes.{table}: '{name}' is too close to the "
                        f"{table} column '{known}' to be an extra attribute (a misspelling "
                        f"would be carried instead of read); rename it, e.g. "
                        f"'{ATTRIBUTE_PREFIX}{name}'."
                    )


def check_header(
    table: str,
    names: Sequence[str],
    *,
    declared: Iterable[str],
    locate: Callable[[int], str],
) -> None:
    """Check the column names of one table source.

    Parameters
    ----------
    table
        Table name (a key of ``TABLE_COLUMNS``).
    names
        Column names in file order.
    declared
        Attribute columns the scenario declares for this table.
    locate
        ``locate(i)`` names column ``i`` (0-based) for a message, e.g.
        ``"table data/sites.csv line 1, column 6"``.

    Raises
    ------
    ScenarioError
        An empty, duplicated or unknown column name.
    """
    declared = set(declared)
    known = known_columns(table)
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            raise ScenarioError(
                f"{locate(i)}: the column has no name; give every column of the header a "
                "name (or delete the empty column)."
            )
        if name in first:
            raise ScenarioError(
                f"{locate(i)}: column '{name}' appears twice in the {table} table (first as "
                f"column {first[name] + 1}); which one holds the values is unclear."
            )
        first[name] = i
        if name in known or is_attribute(name, declared):
            continue
        raise ScenarioError(f"{locate(i)}: {unknown_column_message(table, name)}")


def unknown_column_message(table: str, name: str) -> str:
    """The explanation for an unknown column ``name`` of ``table`` (after the location).

    Parameters
    ----------
    table
        A table key.
    name
        The unknown column as written.

    Returns
    -------
    str
        The message, with a did-you-mean when one column is close.
    """
    known = known_columns(table)
    hint = nearest(name, known)
    if hint is not None:
        return (
            f"unknown {table} column '{name}'; did you mean '{hint}'? "
            f"({table} columns: {', '.join(known)})."
        )
    return (
        f"unknown {table} column '{name}' ({table} columns: {', '.join(known)}); to carry an "
        f"extra column through, declare it (attributes: {{{table}: [{name}]}}) or name it "
        f"'{ATTRIBUTE_PREFIX}{name}'."
    )
