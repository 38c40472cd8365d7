"""Read scenario YAML files: ``extends`` inheritance, ``--set`` overrides, path resolution.

:func:`load_scenario` is the entry point. Each YAML file is read with its line numbers, its
paths are resolved against its own folder (``${VAR}`` expanded), parents named by
``extends`` are deep-merged under it (cycles are an error), ``--set key.path=value``
overrides are applied last, and the result is validated against
:class:`clusterloc.scenario.schema.Scenario`. Every error is a
:class:`clusterloc.errors.ScenarioError` naming the file, key path and line.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from clusterloc.errors import ScenarioError
from clusterloc.scenario.columns import nearest
from clusterloc.scenario.schema import (
    OPTIONAL_TABLES,
    REQUIRED_TABLES,
    Scenario,
    is_file_mapping,
)
from clusterloc.scenario.yamlread import MAX_VALUES, compose, read_text

__all__ = [
    "PATH_KEYS",
    "SHARED_ENV",
    "TABLE_KEYS",
    "Locations",
    "apply_override",
    "deep_merge",
    "expand_path",
    "find_shared_dir",
    "load_scenario",
    "parse_override",
    "read_yaml",
    "resolve_paths",
    "validate_scenario",
]

log = logging.getLogger(__name__)

#: Keys whose values are file paths (tables also accept inline rows).
TABLE_KEYS: tuple[str, ...] = REQUIRED_TABLES + OPTIONAL_TABLES
PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("network", "source"),
    ("network", "corrections"),
    ("network", "cache_dir"),
)

#: Environment variable naming the shared data folder (see docs/scenario.md).
SHARED_ENV = "CLUSTERLOC_SHARED"

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

Locations = dict[tuple[Any, ...], str]


# --------------------------------------------------------------------------- YAML


def _describe(path: Path) -> str:
    """A short, readable form of a path (relative to the working directory if inside it)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _walk_nodes(node: yaml.Node, prefix: tuple[Any, ...], where: str, locs: Locations) -> None:
    """Record ``key path -> "file line N"`` for every key and item (aliases expanded).

    Raises
    ------
    ScenarioError
        A key given twice in one mapping, or more than ``MAX_VALUES`` values.
    """
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(node, prefix)]
    count = 0
    while stack:
        current, path = stack.pop()
        children: list[tuple[yaml.Node, tuple[Any, ...], int]] = []
        if isinstance(current, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in current.value:
                key = key_node.value
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise ScenarioError(
                        f"scenario {where} line {line}: key '{_dotted((*path, key))}' is given "
                        f"twice (first on line {seen[key]})."
                    )
                seen[key] = line
                children.append((value_node, (*path, key), line))
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                children.append((item, (*path, i), item.start_mark.line + 1))
        count += len(children)
        if count > MAX_VALUES:
            raise ScenarioError(
                f"scenario {where}: the document holds more than {MAX_VALUES:,} values once its "
                "YAML aliases are expanded; write the values out or use table files."
            )
        for child, child_path, line in children:
            locs[child_path] = f"{where} line {line}"
            stack.append((child, child_path))


def read_yaml(path: Path) -> tuple[dict[str, Any], Locations]:
    """Read one scenario YAML file.

    Parameters
    ----------
    path
        The YAML file.

    Returns
    -------
    data, locations
        The top-level mapping, and ``key path tuple -> "file line N"`` for every key.

    Raises
    ------
    ScenarioError
        The file is missing, not valid YAML, or not a mapping.
    """
    where = _describe(path)
    if not path.is_file():
        raise ScenarioError(f"scenario file {where} not found.")
    node, data = compose(read_text(path, where), where)
    if data is None:
        raise ScenarioError(f"scenario {where} is empty.")
    if not isinstance(data, dict):
        raise ScenarioError(
            f"scenario {where}: the top level must be a mapping of keys "
            f"(name, network, sites, ...), got {type(data).__name__}."
        )
    locs: Locations = {}
    if node is not None:
        _walk_nodes(node, (), where, locs)
    return data, locs


# --------------------------------------------------------------------------- paths


def find_shared_dir(start: Path) -> Path | None:
    """The shared data folder: ``$CLUSTERLOC_SHARED``, else ``shared/`` beside an ancestor.

    Parameters
    ----------
    start
        Folder to search upward from (usually the scenario file's folder).

    Returns
    -------
    pathlib.Path or None
        The folder, or ``None`` when there is none.
    """
    env = os.environ.get(SHARED_ENV)
    if env:
        return Path(env).expanduser()
    for folder in [start.resolve(), *start.resolve().parents]:
        candidate = folder / "shared"
        if candidate.is_dir():
            return candidate
    return None


def expand_path(value: str, base_dir: Path, *, key: str, where: str) -> str:
    """Expand ``~`` and ``${VAR}`` / ``${VAR:-default}`` and make ``value`` absolute.

    Parameters
    ----------
    value
        The path as written.
    base_dir
        Folder relative paths are resolved against.
    key, where
        Key path and location, for error messages.

    Returns
    -------
    str
        The absolute path.
    """

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        env = os.environ.get(name)
        if env:
            return env
        if name == SHARED_ENV:
            shared = find_shared_dir(base_dir)
            if shared is not None:
                return str(shared)
        if default is not None:
            return default
        raise ScenarioError(
            f"scenario {where}: {key}: environment variable ${{{name}}} is not set"
            + (
                " and no shared/ folder was found beside the scenario's ancestors."
                if name == SHARED_ENV
                else "."
            )
        )

    text = _VAR.sub(substitute, value.strip())
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    return str(Path(os.path.normpath(path)))


def _is_row_list(value: Any) -> bool:
    return isinstance(value, list) and any(
        isinstance(v, dict) and not is_file_mapping(v) for v in value
    )


def _resolve_table_item(value: Any, base_dir: Path, *, key: str, where: str) -> Any:
    if isinstance(value, str):
        return _resolve_table_path(value, base_dir, key=key, where=where)
    if is_file_mapping(value) and isinstance(value["path"], str):
        out = dict(value)
        out["path"] = _resolve_table_path(value["path"], base_dir, key=f"{key}.path", where=where)
        return out
    return value


def resolve_paths(data: dict[str, Any], base_dir: Path, locs: Locations, where: str) -> None:
    """Resolve, in place, every path-valued key of one scenario mapping against ``base_dir``.

    Parameters
    ----------
    data
        One scenario file's mapping (changed in place).
    base_dir
        The folder of that file.
    locs
        Line numbers per key path, for error messages.
    where
        The file, for error messages.
    """

    def loc(key: tuple[Any, ...]) -> str:
        return locs.get(key, where)

    for key in TABLE_KEYS:
        value = data.get(key)
        if isinstance(value, str | dict):
            data[key] = _resolve_table_item(value, base_dir, key=key, where=loc((key,)))
        elif isinstance(value, list) and not _is_row_list(value):
            data[key] = [
                _resolve_table_item(v, base_dir, key=f"{key}[{i}]", where=loc((key, i)))
                for i, v in enumerate(value)
            ]
    for keys in PATH_KEYS:
        parent: Any = data
        for k in keys[:-1]:
            parent = parent.get(k) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and isinstance(parent.get(keys[-1]), str):
            parent[keys[-1]] = _expand_or_defer(
                parent[keys[-1]], base_dir, key=".".join(keys), where=loc(keys)
            )


def _resolve_table_path(value: str, base_dir: Path, *, key: str, where: str) -> str:
    path, sep, layer = value.partition("#")
    return _expand_or_defer(path, base_dir, key=key, where=where) + (sep + layer if sep else "")


#: Marks a path whose ``${VAR}`` could not be expanded; the error is raised only if the
#: value survives inheritance and overrides (a child may replace the key).
_UNRESOLVED = "\x00unresolved:"


def _expand_or_defer(value: str, base_dir: Path, *, key: str, where: str) -> str:
    try:
        return expand_path(value, base_dir, key=key, where=where)
    except ScenarioError as exc:
        return _UNRESOLVED + str(exc)


def _raise_unresolved(data: dict[str, Any]) -> None:
    """Raise the deferred error of the first path that could not be expanded."""
    values: list[Any] = []
    for key in TABLE_KEYS:
        value = data.get(key)
        for item in value if isinstance(value, list) else [value]:
            values.append(item["path"] if isinstance(item, dict) and "path" in item else item)
    network = data.get("network")
    if isinstance(network, dict):
        values.extend(network.get(k) for _, k in PATH_KEYS)
    for value in values:
        if isinstance(value, str) and value.startswith(_UNRESOLVED):
            raise ScenarioError(value.removeprefix(_UNRESOLVED))


# --------------------------------------------------------------------------- merge


def deep_merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Merge ``child`` over ``base``: mappings merge key by key, anything else is replaced.

    Parameters
    ----------
    base, child
        Mappings; neither is modified.

    Returns
    -------
    dict
        A new mapping.
    """
    out = copy.deepcopy(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load_chain(
    path: Path, chain: tuple[Path, ...], files: list[Path]
) -> tuple[dict[str, Any], Locations]:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(_describe(p) for p in (*chain[chain.index(path) :], path))
        raise ScenarioError(f"scenario {_describe(chain[-1])}: 'extends' cycle: {cycle}.")
    data, locs = read_yaml(path)
    where = _describe(path)
    resolve_paths(data, path.parent, locs, where)
    if path not in files:
        files.append(path)
    parents = data.get("extends")
    if parents is None:
        return data, locs
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(
            f"scenario {locs.get(('extends',), where)}: 'extends' must be a file name or a list "
            "of file names."
        )
    merged: dict[str, Any] = {}
    merged_locs: Locations = {}
    for i, parent in enumerate(parents):
        parent_path = Path(expand_path(parent, path.parent, key="extends", where=where))
        if not parent_path.is_file():
            at = locs.get(("extends",) if len(parents) == 1 else ("extends", i), where)
            raise ScenarioError(
                f"scenario {at}: extends: parent scenario {_describe(parent_path)} not found."
            )
        parent_data, parent_locs = _load_chain(parent_path, (*chain, path), files)
        parent_data.pop("name", None)
        parent_data.pop("extends", None)
        merged = deep_merge(merged, parent_data)
        merged_locs.update(parent_locs)
    _drop_replaced(merged, data, (), merged_locs)
    merged = deep_merge(merged, data)
    merged_locs.update(locs)
    return merged, merged_locs


def _drop_locations(locs: Locations, prefix: tuple[Any, ...]) -> None:
    """Forget the locations of every key below ``prefix`` (its value was replaced)."""
    n = len(prefix)
    for key in [k for k in locs if len(k) > n and k[:n] == prefix]:
        del locs[key]


def _drop_replaced(
    base: dict[str, Any], child: dict[str, Any], prefix: tuple[Any, ...], locs: Locations
) -> None:
    """Drop the parent's locations of values that ``deep_merge`` replaces with the child's."""
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _drop_replaced(base[key], value, (*prefix, key), locs)
        else:
            _drop_locations(locs, (*prefix, key))


# --------------------------------------------------------------------------- overrides


def parse_override(text: str) -> tuple[list[str | int], Any]:
    """Parse one ``key.path=value`` override; the value is read as YAML.

    Parameters
    ----------
    text
        The ``--set`` argument.

    Returns
    -------
    tuple
        ``(key parts, value)``; list indices are ints.

    Raises
    ------
    ScenarioError
        No ``=``, an empty key, or a value that is not valid YAML.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ScenarioError(f"--set '{text}': expected key.path=value, e.g. policy.co2_price=20.")
    try:
        value = compose(raw, f"--set '{text}'")[1] if raw.strip() else None
    except ScenarioError:
        raise ScenarioError(f"--set '{text}': the value is not valid YAML.") from None
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in key.split(".")]
    return parts, value


def apply_override(data: dict[str, Any], parts: Sequence[str | int], value: Any, text: str) -> None:
    """Set ``data[parts...] = value`` in place, creating mappings on the way.

    Parameters
    ----------
    data
        The merged scenario mapping.
    parts
        Key path from :func:`parse_override`.
    value
        The new value.
    text
        The ``--set`` argument, for error messages.
    """
    if parts[0] in ("extends",):
        raise ScenarioError(f"--set '{text}': 'extends' cannot be overridden.")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        dotted = ".".join(str(p) for p in parts[: i + 1])
        if isinstance(node, list):
            if not isinstance(part, int) or not -len(node) <= part < len(node):
                raise ScenarioError(
                    f"--set '{text}': {dotted}: no item {part} in a list of {len(node)}."
                )
        elif isinstance(node, dict):
            part = str(part)
        else:
            raise ScenarioError(
                f"--set '{text}': {'.'.join(str(p) for p in parts[:i])} is a "
                f"{type(node).__name__}, not a mapping."
            )
        if last:
            node[part] = value
        else:
            if isinstance(node, dict) and node.get(part) is None:
                node[part] = {}
            node = node[part]


def _resolve_override_paths(parts: Sequence[str | int], value: Any) -> Any:
    """Resolve relative paths in an override value against the current directory."""
    if any(isinstance(p, int) for p in parts):
        return value
    wrapper: dict[str, Any] = {}
    apply_override(wrapper, parts, copy.deepcopy(value), "")
    resolve_paths(wrapper, Path.cwd(), {}, "--set")
    node: Any = wrapper
    for part in parts:
        node = node[part]
    return node


# --------------------------------------------------------------------------- validation


def _dotted(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(loc: Sequence[Any]) -> type[BaseModel] | None:
    """The pydantic model class that holds the key at ``loc`` (for 'allowed keys')."""
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        model = _find_model(model.model_fields[part].annotation)
    return model


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            found = _find_model(arg)
            if found is not None:
                return found
    return None


_UNION_TAGS = frozenset({"str", "int", "float", "bool", "list[str]", "list[dict[str,any]]"})


def _location(loc: tuple[Any, ...], locs: Locations, default: str) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in locs:
            return locs[loc[:n]]
    return default


def _format_error(err: dict[str, Any], locs: Locations, default: str) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
    where = _location(loc, locs, default)
    message = _format_problem(err, loc)
    if where.startswith("--set"):
        return f"{where}: {message}"
    return f"scenario {where}: {message}"


def _format_problem(err: dict[str, Any], loc: tuple[Any, ...]) -> str:
    key = _dotted(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = ", ".join(sorted(model.model_fields)) if model else "?"
        hint = nearest(str(loc[-1]), model.model_fields) if model and loc else None
        mean = f" (did you mean '{hint}'?)" if hint else ""
        return f"unknown key '{key}'{mean}; allowed keys: {allowed}."
    if err["type"] == "missing":
        return f"missing required key '{key}'."
    msg = str(err["msg"])
    msg = msg.removeprefix("Value error, ")
    value = err.get("input")
    shown = "" if isinstance(value, dict | list) or value is None else f" (got {value!r})"
    if err["type"] in ("model_type", "dict_type") and isinstance(value, str | int | float):
        shown = f" (got {value!r})"
    if shown and (repr(value) in msg or f"'{value}'" in msg):
        shown = ""
    return f"{key}: {msg[0].lower() + msg[1:] if msg else msg}{shown}."


def validate_scenario(data: dict[str, Any], locs: Locations, where: str) -> Scenario:
    """Validate a merged scenario mapping; errors name the key path and line.

    Parameters
    ----------
    data
        The merged scenario mapping.
    locs
        Line numbers per key path.
    where
        The scenario file, for error messages.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        The first problem found (and how many more there are).
    """
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # Report unknown keys first: they usually explain the rest (a typo'd key).
        errors.sort(key=lambda e: e["type"] != "extra_forbidden")
        message = _format_error(dict(errors[0]), locs, where)
        if len(errors) > 1:
            message = message[:-1] + f" (and {len(errors) - 1} more problem(s))."
        raise ScenarioError(message) from None


def load_scenario(path: str | os.PathLike[str], overrides: Sequence[str] | None = None) -> Scenario:
    """Read a scenario file with its parents and overrides, and validate it.

    Parameters
    ----------
    path
        The scenario YAML file.
    overrides
        ``key.path=value`` strings (as given to ``--set``), applied in order after
        inheritance; values are parsed as YAML, relative paths resolved against the
        current directory.

    Returns
    -------
    Scenario
        The validated scenario, with every path absolute; ``.path`` and ``.files``
        name the file(s) read.

    Raises
    ------
    ScenarioError
        Missing or malformed file, ``extends`` cycle, unknown key, wrong type, ...
    """
    top = Path(path).expanduser()
    files: list[Path] = []
    data, locs = _load_chain(top, (), files)
    where = _describe(top)
    own, _ = read_yaml(top)
    if "name" not in own:
        data["name"] = top.name.removesuffix(".yaml").removesuffix(".yml")
    for text in overrides or ():
        parts, value = parse_override(text)
        value = _resolve_override_paths(parts, value)
        apply_override(data, parts, value, text)
        _drop_locations(locs, tuple(parts))
        locs[tuple(parts)] = f"--set {text}"
    _raise_unresolved(data)
    scenario = validate_scenario(data, locs, where)
    scenario._path = top.resolve()
    scenario._files = files
    scenario._locations = locs
    scenario._overrides = list(overrides or ())
    log.debug("loaded scenario %s from %s", scenario.name, [str(f) for f in files])
    return scenario
