"""Read a scenario's YAML text within limits: size, aliases, nesting, encoding.

YAML aliases let a small file stand for an enormous document (``a: &a [x, x]``,
``b: &b [*a, *a]``, ... — an "alias bomb"); a scenario needs few aliases, so
:func:`compose` refuses more than :data:`MAX_ALIASES` of them, and documents larger than
:data:`MAX_SCENARIO_BYTES`, nested deeper than :data:`MAX_DEPTH`, or holding an alias
that refers to itself. :func:`read_text` reads the file as UTF-8 (a byte-order mark is
fine) and names the line of the first byte that is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from clusterloc.errors import ScenarioError

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "MAX_SCENARIO_BYTES", "MAX_VALUES", "compose", "read_text"]

#: Largest scenario file read, in bytes (inline tables included).
MAX_SCENARIO_BYTES = 20 * 1024 * 1024
#: Most aliases (``*name``) one scenario file may use.
MAX_ALIASES = 200
#: Deepest nesting of mappings and lists.
MAX_DEPTH = 64
#: Most values (keys and items, aliases expanded) one scenario file may hold.
MAX_VALUES = 1_000_000


def read_text(path: Path, where: str) -> str:
    """The text of a scenario file, decoded as UTF-8.

    Parameters
    ----------
    path
        The scenario file.
    where
        How messages name the file.

    Returns
    -------
    str
        The decoded text.

    Raises
    ------
    ScenarioError
        Unreadable, too large, or not UTF-8.
    """
    try:
        size = path.stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioError(
                f"scenario file {where} is {size / 2**20:.0f} MB; a scenario file may have at "
                f"most {MAX_SCENARIO_BYTES // 2**20} MB (put large tables in table files)."
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(
            f"scenario file {where} cannot be read: {exc.strerror or exc}."
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            f"scenario {where} line {line}: byte 0x{data[exc.start]:02x} is not UTF-8; save "
            "the scenario file as UTF-8."
        ) from None


class _LimitedLoader(yaml.SafeLoader):
    """A safe loader that counts aliases and nesting while composing."""

    def __init__(self, stream: str, where: str) -> None:
        super().__init__(stream)
        self.where = where
        self.aliases = 0
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise ScenarioError(
                    f"scenario {self.where} line {line}: more than {MAX_ALIASES} YAML aliases "
                    "(*name); a scenario needs few, and many can expand into an enormous "
                    "document. Write the values out."
                )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise ScenarioError(
                    f"scenario {self.where} line {line}: mappings and lists nested more than "
                    f"{MAX_DEPTH} deep."
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _check_acyclic(node: yaml.Node, where: str, stack: set[int], done: set[int]) -> None:
    if not isinstance(node, yaml.MappingNode | yaml.SequenceNode) or id(node) in done:
        return
    if id(node) in stack:
        raise ScenarioError(
            f"scenario {where} line {node.start_mark.line + 1}: a YAML alias refers to the "
            "value that contains it (a recursive document)."
        )
    stack.add(id(node))
    children = (
        [v for pair in node.value for v in pair]
        if isinstance(node, yaml.MappingNode)
        else node.value
    )
    for child in children:
        _check_acyclic(child, where, stack, done)
    stack.discard(id(node))
    done.add(id(node))


def compose(text: str, where: str) -> tuple[yaml.Node | None, Any]:
    """Parse YAML text within the limits; return its node tree and its data.

    Raises
    ------
    ScenarioError
        Malformed YAML (naming the line), too many aliases, too deep, recursive.
    """
    loader: _LimitedLoader | None = None
    try:
        loader = _LimitedLoader(text, where)  # the reader rejects control characters here
        node = loader.get_single_node()
        if node is not None:
            _check_acyclic(node, where, set(), set())
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"scenario {where}{line}: malformed YAML ({problem}).") from None
    finally:
        if loader is not None:
            loader.dispose()
    return node, data
