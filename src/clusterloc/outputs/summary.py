"""The ``summary.json`` of a run: KPIs, cost terms, timings, versions and input hashes.

:func:`build_summary` works from a :class:`~clusterloc.model.solution.Solution`, the
built scenario it came from and the site / flow tables of :mod:`clusterloc.outputs.tables`.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from clusterloc.hashing import file_sha256
from clusterloc.jsonsafe import json_ready
from clusterloc.model.inputs import MARKET, SUPPLIER
from clusterloc.model.solution import Solution
from clusterloc.outputs.provenance import summary_fields

if TYPE_CHECKING:
    from clusterloc.scenario.build import BuiltScenario

__all__ = [
    "VERSION_PACKAGES",
    "build_summary",
    "input_hashes",
    "open_site_ids",
    "package_versions",
]

#: Packages whose versions go into ``summary.json``.
VERSION_PACKAGES: tuple[str, ...] = (
    "clusterloc",
    "pulp",
    "highspy",
    "osmnx",
    "networkx",
    "pandas",
    "geopandas",
    "scipy",
)


def _relative_name(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return os.path.relpath(path, base)
        except ValueError:
            pass
    return str(path)


def input_hashes(built: BuiltScenario) -> dict[str, str]:
    """SHA-256 of every input file (scenario files, tables, road source), by path.

    Parameters
    ----------
    built
        The built scenario.

    Returns
    -------
    dict
        ``{path: hex digest}``, sorted by path. Paths are relative to the scenario
        file's folder, so the same inputs in another clone give the same hashes.
    """
    scenario = built.scenario
    base = scenario.path.parent if scenario.path else None
    files: list[Path] = [*scenario.files, *built.tables.files()]
    if scenario.network is not None:
        files.append(Path(scenario.network.source))
        if scenario.network.corrections:
            files.append(Path(scenario.network.corrections))
    out: dict[str, str] = {}
    for path in files:
        if path.is_file():
            out[_relative_name(path.resolve(), base)] = file_sha256(path)
    return dict(sorted(out.items()))


def package_versions() -> dict[str, str]:
    """Versions of Python and of the installed packages in :data:`VERSION_PACKAGES`.

    Returns
    -------
    dict
        ``{"python": "3.11.9", "pulp": "...", ...}``; packages not installed are left out.
    """
    out = {"python": platform.python_version()}
    for name in VERSION_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def open_site_ids(solution: Solution) -> list[str]:
    """Sorted ids of the facilities a solution opens.

    Parameters
    ----------
    solution
        A solved model.

    Returns
    -------
    list of str
    """
    open_sites = solution.open_sites
    if "site_id" in open_sites.columns:
        return sorted(str(s) for s in open_sites["site_id"])
    return sorted(str(s) for s in open_sites.index)


def build_summary(
    built: BuiltScenario, solution: Solution, sites: pd.DataFrame, flows: pd.DataFrame
) -> dict[str, Any]:
    """The ``summary.json`` dict of a solved scenario (see DEVELOPERS.md, run folder).

    Parameters
    ----------
    built
        The built scenario the model was made from.
    solution
        Its solution.
    sites, flows
        From :func:`clusterloc.outputs.tables.site_table` / ``flow_table``.

    Returns
    -------
    dict
        Plain JSON-able values; ``seconds.total`` is 0.0 (the caller sets it).
    """
    costs = dict(solution.costs)
    for key in ("fixed", "transport", "handling", "co2", "unmet"):
        costs.setdefault(key, 0.0)
    open_rows = sites[sites["open"] & ~sites["type"].isin([SUPPLIER, MARKET])]
    counts = open_rows.groupby("type").size()
    by_type = {t: int(counts.get(t, 0)) for t in built.tables.facility_types}
    unmet = solution.unmet
    unmet_units = float(unmet["unmet"].sum()) if "unmet" in unmet.columns else 0.0
    seconds_sol = dict(solution.seconds)
    scenario = built.scenario
    solver = scenario.solver
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "description": scenario.description,
        "status": str(solution.status),
        "objective": solution.objective,
        "best_bound": solution.best_bound,
        "gap": solution.gap,
        "costs": costs,
        "open_sites": open_site_ids(solution),
        "open_by_type": by_type,
        "co2_t": solution.co2_t,
        "service": dict(solution.service),
        "demand_units": float(built.inputs.markets["demand"].sum()),
        "unmet_units": unmet_units,
        "counts": {
            "sites": len(sites),
            "facilities": int((~sites["type"].isin([SUPPLIER, MARKET])).sum()),
            "lanes": len(built.inputs.lanes),
            "flows": len(flows),
        },
        "seconds": {
            "network": built.seconds.get("network", 0.0),
            "matrix": built.seconds.get("matrix", 0.0),
            "build": float(seconds_sol.get("build", 0.0)),
            "solve": float(seconds_sol.get("solve", 0.0)),
            "total": 0.0,
        },
        "solver": solver.name,
        "solver_settings": {
            "time_limit": solver.time_limit,
            "gap": solver.gap,
            "threads": solver.threads,
            "seed": solver.seed,
            "version": solution.solver.get("version"),
        },
        "versions": package_versions(),
        "inputs": input_hashes(built),
        **summary_fields(scenario),
        "diagnosis": list(solution.diagnosis),
    }
    result: dict[str, Any] = json_ready(summary)
    return result
