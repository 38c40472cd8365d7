"""What exactly was solved: ``scenario.resolved.yaml`` and the provenance keys of ``summary.json``.

A run made with ``--set policy.single_sourcing=true`` has the same scenario name and the
same input files as the base run; only the resolved scenario tells them apart.
:func:`resolved_scenario` is the scenario after ``extends`` and every ``--set`` (also
``--solver``, ``--time-limit`` and ``--gap``, which the CLI passes as overrides), with
every path absolute; :func:`write_resolved` writes it as ``scenario.resolved.yaml`` — a
scenario file that ``clusterloc solve`` accepts as it is — with the overrides and the
SHA-256 of every input file as comments; :func:`summary_fields` gives ``summary.json``
the ``overrides`` list and ``scenario_sha256``, the hash of the resolved scenario.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from clusterloc.scenario.schema import Scenario

__all__ = [
    "RESOLVED_FILE",
    "resolved_scenario",
    "scenario_sha256",
    "summary_fields",
    "write_resolved",
]

#: File name of the resolved scenario in a run folder.
RESOLVED_FILE = "scenario.resolved.yaml"


def resolved_scenario(scenario: Scenario) -> dict[str, Any]:
    """The scenario as solved: inheritance merged, overrides applied, paths absolute.

    ``extends`` is left out (its parents are already merged in), so the mapping is a
    complete scenario on its own.

    Parameters
    ----------
    scenario
        The scenario solved.

    Returns
    -------
    dict
        Plain YAML/JSON-able values.
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    data.pop("extends", None)
    return data


def scenario_sha256(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (canonical JSON: sorted keys, no spaces).

    Parameters
    ----------
    scenario
        The scenario solved.

    Returns
    -------
    str
        Hex digest.
    """
    text = json.dumps(resolved_scenario(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def summary_fields(scenario: Scenario) -> dict[str, Any]:
    """``{"overrides": [...], "scenario_sha256": ...}`` for ``summary.json``.

    Parameters
    ----------
    scenario
        The scenario solved.

    Returns
    -------
    dict
        The ``--set`` overrides in order and the hash of the resolved scenario.
    """
    return {"overrides": list(scenario.overrides), "scenario_sha256": scenario_sha256(scenario)}


def _comment(text: str) -> str:
    return "# " + " ".join(str(text).splitlines())


def write_resolved(scenario: Scenario, folder: Path, hashes: dict[str, str]) -> Path:
    """Write ``scenario.resolved.yaml`` into a (temporary) run folder.

    Parameters
    ----------
    scenario
        The scenario solved.
    folder
        The run folder.
    hashes
        ``{path: sha256}`` of the input files (``summary.json``'s ``inputs``).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    lines = [
        _comment(f"The scenario '{scenario.name}' exactly as solved (extends merged, "
                 "overrides applied, paths absolute)."),
        _comment(f"Read from: {scenario.path}" if scenario.path else "Built in memory."),
    ]  # fmt: skip
    parents = [str(p) for p in scenario.files[1:]]
    if parents:
        lines.append(_comment("Parents merged in: " + ", ".join(parents)))
    if scenario.overrides:
        lines.append(_comment("Overrides (--set), in order:"))
        lines += [_comment(f"  {text}") for text in scenario.overrides]
    else:
        lines.append(_comment("Overrides (--set): none"))
    lines.append(
        _comment(f"SHA-256 of this scenario (canonical JSON): {scenario_sha256(scenario)}")
    )
    if hashes:
        lines.append(_comment("SHA-256 of the input files (paths relative to the scenario):"))
        lines += [_comment(f"  {digest}  {path}") for path, digest in hashes.items()]
    body = yaml.safe_dump(
        resolved_scenario(scenario), sort_keys=False, allow_unicode=True, width=100
    )
    path = folder / RESOLVED_FILE
    path.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    return path
