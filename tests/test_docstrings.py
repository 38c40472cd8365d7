"""Public functions carry complete numpy-style docstrings (issue 10: at least 95 %).

A public function or method (name without a leading underscore, in a module without
one, methods of public classes, dunders excluded) is *complete* when it has a
docstring, a ``Parameters`` section naming every parameter it takes (``self`` /
``cls`` / ``*args`` / ``**kwargs`` aside; parameters may share a line, ``a, b``), and a
``Returns`` (or ``Yields``) section when it returns something. Properties only need a
docstring. The test parses the source with :mod:`ast`; it imports nothing.

Measured 2026-12-03: 244 of 255 public functions complete (95.7 %); the 11 others are the
Typer commands of ``cli/``, whose parameters are documented by their options (``--help``
prints the docstring, so numpydoc sections there would be noise for people).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "clusterloc"

#: The share of public functions that must be complete.
REQUIRED_SHARE = 0.95


@dataclass(frozen=True)
class Finding:
    """One public function and what its docstring lacks ("" = complete)."""

    where: str
    missing: str


def _section(doc: str, title: str) -> str:
    """Text of a numpydoc section (up to the next underlined title)."""
    match = re.search(rf"^\s*{title}\s*\n\s*-{{3,}}\s*\n(.*?)(?=^\s*\w[\w ]*\n\s*-{{3,}}|\Z)", doc,
                      re.S | re.M)  # fmt: skip
    return match.group(1) if match else ""


def _documented_names(section: str) -> set[str]:
    names: set[str] = set()
    for line in section.splitlines():
        if not line.strip() or line[0].isspace():
            continue
        head = line.strip().split(" : ")[0]
        for part in head.split(","):
            names.add(part.strip().lstrip("*"))
    return names


def _returns_value(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if fn.returns is not None:
        text = ast.unparse(fn.returns)
        return text not in ("None", "NoReturn", "Never")
    return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(fn))


def _is_property(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    names = {ast.unparse(d) for d in fn.decorator_list}
    return bool(names & {"property", "cached_property", "functools.cached_property"}) or any(
        n.endswith((".setter", ".getter")) for n in names
    )


def _check(fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> str:
    doc = ast.get_docstring(fn)
    if not doc:
        return "docstring"
    if _is_property(fn):
        return ""
    args = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
    if method and args and args[0] in ("self", "cls"):
        args = args[1:]
    missing: list[str] = []
    if args:
        documented = _documented_names(_section(doc, "Parameters"))
        absent = [a for a in args if a not in documented]
        if absent:
            missing.append("Parameters: " + ", ".join(absent))
    returns = _returns_value(fn) and fn.name != "__init__"
    if returns and not (_section(doc, "Returns") or _section(doc, "Yields")):
        missing.append("Returns")
    return "; ".join(missing)


def public_functions() -> list[Finding]:
    """Every public function and method of the package with what its docstring lacks."""
    found: list[Finding] = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent)
        if any(part.startswith("_") and part != "__init__.py" for part in rel.parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if not node.name.startswith("_"):
                    found.append(Finding(f"{rel}:{node.name}", _check(node, False)))
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                        not item.name.startswith("_")
                    ):
                        found.append(Finding(f"{rel}:{node.name}.{item.name}", _check(item, True)))
    return found


def test_numpydoc_coverage() -> None:
    found = public_functions()
    assert len(found) > 200  # the walk really found the package
    incomplete = [f for f in found if f.missing]
    share = 1.0 - len(incomplete) / len(found)
    listing = "\n".join(f"{f.where}: {f.missing}" for f in incomplete)
    assert share >= REQUIRED_SHARE, (
        f"{share:.1%} of {len(found)} public functions have complete numpy-style "
        f"docstrings (need {REQUIRED_SHARE:.0%}); incomplete:\n{listing}"
    )


def test_checker_sees_a_missing_parameter() -> None:
    code = '''
def f(a, b):
    """Do.

    Parameters
    ----------
    a
        One.

    Returns
    -------
    int
    """
    return a
'''
    fn = ast.parse(code).body[0]
    assert isinstance(fn, ast.FunctionDef)
    assert _check(fn, False) == "Parameters: b"
    shared = code.replace("    a\n        One.", "    a, b\n        Both.")
    fn2 = ast.parse(shared).body[0]
    assert isinstance(fn2, ast.FunctionDef)
    assert _check(fn2, False) == ""
