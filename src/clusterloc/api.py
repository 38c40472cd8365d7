"""The Python API: it mirrors the command line.

>>> import clusterloc
>>> scenario = clusterloc.load_scenario("models/kz_auto/base.yaml")      # doctest: +SKIP
>>> result = clusterloc.solve(scenario)                                   # doctest: +SKIP
>>> result.summary["costs"], result.sites, result.flows                   # doctest: +SKIP
>>> clusterloc.write_run(result, "runs/base")                             # doctest: +SKIP

``load_scenario`` is ``clusterloc validate``'s first half, ``solve`` is ``clusterloc
solve`` without the files, and ``write_run`` writes the run folder (atomically).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import platform
import time
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from clusterloc.errors import ScenarioError
from clusterloc.scenario.build import BuiltScenario, Progress, build_scenario, no_progress
from clusterloc.scenario.load import load_scenario as _load_scenario
from clusterloc.scenario.schema import MARKET, SUPPLIER, Scenario, SolverSpec

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)

__all__ = ["RunResult", "load_scenario", "solve", "write_run"]

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

SITE_COLUMNS = [
    "site_id",
    "name",
    "type",
    "status",
    "open",
    "level",
    "capacity",
    "throughput",
    "utilization",
    "fixed_cost",
    "snap_m",
    "tags",
    "lon",
    "lat",
]
FLOW_COLUMNS = [
    "origin",
    "destination",
    "commodity",
    "quantity",
    "tonnes",
    "km",
    "hours",
    "transport_cost",
    "co2_t",
]


def load_scenario(path: str | os.PathLike[str], overrides: list[str] | None = None) -> Scenario:
    """Read and validate a scenario file (``clusterloc validate`` without the tables).

    Parameters
    ----------
    path
        The scenario YAML file.
    overrides
        ``key.path=value`` strings, as given to ``--set``.

    Returns
    -------
    Scenario
    """
    return _load_scenario(path, overrides)


@dataclass
class RunResult:
    """A solved scenario: tables, geometries and the summary of ``summary.json``.

    Attributes
    ----------
    scenario
        The scenario solved.
    built
        Tables, road network and model inputs (:class:`~clusterloc.scenario.build.BuiltScenario`).
    solution
        The :class:`clusterloc.model` solution object.
    summary
        The contents of ``summary.json`` (plain dict).
    sites
        GeoDataFrame (Point) of every site with its decision: ``open``, ``level``,
        ``throughput``, ``utilization``, ...
    flows
        GeoDataFrame (straight LineString origin → destination) of every flow.
    routes
        The same flows drawn along the road path (straight lines with explicit lanes).
    """

    scenario: Scenario
    built: BuiltScenario
    solution: Any
    summary: dict[str, Any]
    sites: gpd.GeoDataFrame
    flows: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    unmet: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def status(self) -> str:
        """``optimal``, ``feasible``, ``infeasible`` or ``no_solution``."""
        return str(self.summary["status"])

    @property
    def costs(self) -> dict[str, float]:
        """Cost terms of the objective."""
        return dict(self.summary["costs"])

    @cached_property
    def network(self) -> gpd.GeoDataFrame:
        """Road edges the run was priced on (empty with explicit lanes)."""
        import geopandas as gpd

        if self.built.graph is None:
            return gpd.GeoDataFrame(
                {"highway": [], "ref": [], "name": [], "length_m": []},
                geometry=[],
                crs="EPSG:4326",
            )
        from clusterloc.network import edges_geodataframe

        return edges_geodataframe(self.built.graph)

    def write(self, out: str | os.PathLike[str], *, force: bool = False, maps: bool = True) -> Path:
        """Write the run folder; see :func:`write_run`."""
        return write_run(self, out, force=force, maps=maps)


# --------------------------------------------------------------------------- helpers


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _relative_name(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return os.path.relpath(path, base)
        except ValueError:
            pass
    return str(path)


def input_hashes(built: BuiltScenario) -> dict[str, str]:
    """SHA-256 of every input file (scenario files, tables, road source), by path.

    Paths are relative to the scenario file's folder, so the same inputs in another
    clone give the same hashes.
    """
    scenario = built.scenario
    base = scenario.path.parent if scenario.path else None
    files: list[Path] = [*scenario.files, *built.tables.files()]
    if scenario.network is not None:
        files.append(Path(scenario.network.source))
    out: dict[str, str] = {}
    for path in files:
        if path.is_file():
            out[_relative_name(path.resolve(), base)] = _sha256(path)
    return dict(sorted(out.items()))


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages in :data:`VERSION_PACKAGES`."""
    out = {"python": platform.python_version()}
    for name in VERSION_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _clean(value: Any, digits: int = 6) -> Any:
    """JSON-friendly copy: numpy scalars to Python, NaN/inf to None, floats rounded."""
    if isinstance(value, dict):
        return {str(k): _clean(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, digits) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, digits)
    return value


def _open_ids(solution: Any) -> list[str]:
    open_sites = getattr(solution, "open_sites", None)
    if open_sites is None:
        return []
    if isinstance(open_sites, pd.DataFrame):
        if "site_id" in open_sites.columns:
            return sorted(str(s) for s in open_sites["site_id"])
        return sorted(str(s) for s in open_sites.index)
    return sorted(str(s) for s in open_sites)


def _flow_table(built: BuiltScenario, solution: Any) -> pd.DataFrame:
    """Flows with tonnes, km, hours, transport cost and CO2 per row."""
    raw = getattr(solution, "flows", None)
    if raw is None or len(raw) == 0:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    flows = raw.copy()
    flows["origin"] = flows["origin"].astype(str)
    flows["destination"] = flows["destination"].astype(str)
    flows = flows[flows["quantity"] > 1e-9].copy()
    inputs = built.inputs
    com = inputs.commodities.set_index("commodity")
    lanes = inputs.lanes.copy()
    lane_cols = [c for c in ("km", "hours", "road_km", "offroad_km") if c in lanes.columns]
    if "commodity" in lanes.columns and lanes["commodity"].notna().any():
        generic = lanes[lanes["commodity"].isna()].drop(columns=["commodity"])
        specific = lanes[lanes["commodity"].notna()]
    else:
        generic = lanes.drop(columns=["commodity"], errors="ignore")
        specific = lanes.iloc[0:0]
    keys = ["origin", "destination"]
    have = [c for c in ("km", "hours") if c in flows.columns]
    extra_cols = [c for c in lane_cols if c not in have]
    if "cost_per_unit" in lanes.columns and "transport_cost" not in flows.columns:
        extra_cols.append("cost_per_unit")
    merged = flows.merge(
        generic[keys + extra_cols].drop_duplicates(keys), on=keys, how="left", suffixes=("", "_l")
    )
    if len(specific):
        spec = specific[[*keys, "commodity", *extra_cols]].drop_duplicates([*keys, "commodity"])
        merged = merged.merge(spec, on=[*keys, "commodity"], how="left", suffixes=("", "_c"))
        for col in extra_cols:
            if f"{col}_c" in merged.columns:
                merged[col] = merged[f"{col}_c"].combine_first(merged[col])
                merged = merged.drop(columns=[f"{col}_c"])
    weight = merged["commodity"].map(com["weight_t"]).astype(float)
    if "tonnes" not in merged.columns:
        merged["tonnes"] = merged["quantity"] * weight
    if "transport_cost" not in merged.columns:
        rate = merged["commodity"].map(com["rate_per_tkm"]).astype(float) * weight + merged[
            "commodity"
        ].map(com["rate_per_unit_km"]).astype(float)
        cost = merged["quantity"] * rate * merged["km"]
        if "cost_per_unit" in merged.columns:
            explicit = merged["cost_per_unit"].astype(float)
            cost = cost.where(explicit.isna(), merged["quantity"] * explicit)
        merged["transport_cost"] = cost
    if "co2_t" not in merged.columns:
        co2 = merged["commodity"].map(com["co2_kg_per_tkm"]).astype(float)
        merged["co2_t"] = merged["tonnes"] * merged["km"] * co2 / 1000.0
    merged = merged.drop(columns=["cost_per_unit"], errors="ignore")
    ordered = FLOW_COLUMNS + [c for c in merged.columns if c not in FLOW_COLUMNS]
    return (
        merged[ordered]
        .sort_values(["commodity", "origin", "destination"], kind="stable")
        .reset_index(drop=True)
    )


def _site_table(built: BuiltScenario, solution: Any, flows: pd.DataFrame) -> pd.DataFrame:
    """Every site with its decision: open, level, capacity, throughput, utilization."""
    sites = built.tables.sites.drop(columns=["_where"]).copy()
    open_ids = set(_open_ids(solution))
    is_facility = ~sites["type"].isin([SUPPLIER, MARKET])
    sites["open"] = np.where(is_facility, sites["site_id"].isin(open_ids), True)
    sites.loc[~is_facility, "status"] = sites.loc[~is_facility, "type"]
    for col in ("fixed_cost", "capacity", "handling_cost"):
        sites.loc[~is_facility, col] = np.nan
    sites["level"] = None
    open_sites = getattr(solution, "open_sites", None)
    if isinstance(open_sites, pd.DataFrame) and "site_id" in open_sites.columns:
        info = open_sites.set_index(open_sites["site_id"].astype(str))
        for col in ("level", "capacity", "fixed_cost"):
            if col in info.columns:
                mapped = sites["site_id"].map(info[col])
                if col == "level":
                    sites[col] = mapped.where(mapped.notna(), None)
                else:
                    sites[col] = mapped.combine_first(sites[col])
    out_q = flows.groupby("origin")["quantity"].sum() if len(flows) else pd.Series(dtype=float)
    in_q = flows.groupby("destination")["quantity"].sum() if len(flows) else pd.Series(dtype=float)
    through = sites["site_id"].map(out_q).fillna(0.0)
    received = sites["site_id"].map(in_q).fillna(0.0)
    sites["throughput"] = np.where(sites["type"] == MARKET, received, through)
    cap = sites["capacity"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(
            is_facility & np.isfinite(cap) & (cap > 0), sites["throughput"] / cap, np.nan
        )
    sites["utilization"] = util
    if isinstance(open_sites, pd.DataFrame) and "throughput" in open_sites.columns:
        # The model's own throughput (units of output) for facilities.
        model_through = sites["site_id"].map(
            open_sites.set_index(open_sites["site_id"].astype(str))["throughput"]
        )
        fac_through = model_through.where(model_through.notna(), 0.0).astype(float)
        sites["throughput"] = np.where(is_facility, fac_through, sites["throughput"])
        with np.errstate(divide="ignore", invalid="ignore"):
            sites["utilization"] = np.where(
                is_facility & np.isfinite(cap) & (cap > 0), sites["throughput"] / cap, np.nan
            )
    snaps = built.snaps
    if len(snaps):
        sites["snap_m"] = sites["site_id"].map(snaps.set_index("site_id")["snap_m"]).astype(float)
    else:
        sites["snap_m"] = np.nan
    ordered = SITE_COLUMNS + [c for c in sites.columns if c not in SITE_COLUMNS]
    return sites[ordered].reset_index(drop=True)


def _geo_tables(
    built: BuiltScenario, sites: pd.DataFrame, flows: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    import geopandas as gpd
    from shapely import LineString, Point

    xy = {
        s: (float(x), float(y))
        for s, x, y in zip(sites["site_id"], sites["lon"], sites["lat"], strict=True)
    }
    sites_g = gpd.GeoDataFrame(
        sites, geometry=[Point(xy[s]) for s in sites["site_id"]], crs="EPSG:4326"
    )
    straight = [
        LineString([xy[o], xy[d]])
        for o, d in zip(flows["origin"], flows["destination"], strict=True)
    ]
    flows_g = gpd.GeoDataFrame(flows.copy(), geometry=straight, crs="EPSG:4326")
    routes: list[LineString] = []
    net = built.network
    node_of = (
        dict(zip(built.snaps["site_id"], built.snaps["node"], strict=True))
        if len(built.snaps)
        else {}
    )
    cache: dict[tuple[str, str], LineString] = {}
    for (o, d), line in zip(
        zip(flows["origin"], flows["destination"], strict=True), straight, strict=True
    ):
        if net is None or o not in node_of or d not in node_of:
            routes.append(line)
            continue
        if (o, d) not in cache:
            road = net.route(node_of[o], node_of[d])
            coords = [xy[o], *list(road.coords), xy[d]]
            cache[(o, d)] = LineString(coords)
        routes.append(cache[(o, d)])
    routes_g = gpd.GeoDataFrame(flows.copy(), geometry=routes, crs="EPSG:4326")
    return sites_g, flows_g, routes_g


def build_summary(
    built: BuiltScenario, solution: Any, sites: pd.DataFrame, flows: pd.DataFrame
) -> dict[str, Any]:
    """The ``summary.json`` dict of a solved scenario (see DEVELOPERS.md, run folder)."""
    sol_summary = solution.summary() if hasattr(solution, "summary") else {}
    costs = dict(getattr(solution, "costs", {}) or sol_summary.get("costs", {}))
    for key in ("fixed", "transport", "handling", "co2", "unmet"):
        costs.setdefault(key, 0.0)
    open_rows = sites[sites["open"] & ~sites["type"].isin([SUPPLIER, MARKET])]
    counts = open_rows.groupby("type").size()
    by_type = {t: int(counts.get(t, 0)) for t in built.tables.facility_types}
    service = getattr(solution, "service", None) or sol_summary.get("service") or {}
    unmet = getattr(solution, "unmet", None)
    unmet_units = (
        float(unmet["unmet"].sum())
        if isinstance(unmet, pd.DataFrame) and "unmet" in unmet.columns
        else 0.0
    )
    seconds_sol = dict(getattr(solution, "seconds", {}) or {})
    scenario = built.scenario
    solver = scenario.solver
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "description": scenario.description,
        "status": str(solution.status),
        "objective": getattr(solution, "objective", None),
        "best_bound": getattr(solution, "best_bound", None),
        "gap": getattr(solution, "gap", None),
        "costs": costs,
        "open_sites": _open_ids(solution),
        "open_by_type": by_type,
        "co2_t": getattr(solution, "co2_t", None),
        "service": dict(service),
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
            "version": (getattr(solution, "solver", {}) or {}).get("version"),
        },
        "versions": package_versions(),
        "inputs": input_hashes(built),
        "diagnosis": list(getattr(solution, "diagnosis", []) or []),
    }
    return _clean(summary)


# --------------------------------------------------------------------------- solve


def solve(
    scenario: Scenario | str | os.PathLike[str],
    *,
    solver: str | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    progress: Progress = no_progress,
    check: bool = True,
) -> RunResult:
    """Build and solve a scenario (``clusterloc solve`` without writing files).

    Parameters
    ----------
    scenario
        A loaded :class:`~clusterloc.scenario.schema.Scenario` or a path to one.
    solver, time_limit, gap
        Override the scenario's ``solver`` settings.
    progress
        Context-manager factory wrapped around each step (``network``, ``matrix``,
        ``build``, ``solve``); the CLI shows progress with it.
    check
        Raise :class:`~clusterloc.errors.InfeasibleError` /
        :class:`~clusterloc.errors.NoSolutionError` when there is no solution
        (default). With ``False`` the result carries the status instead.

    Returns
    -------
    RunResult
        Sites, flows and routes as GeoDataFrames, and the ``summary`` dict.

    Raises
    ------
    InputError
        Bad scenario or tables, unknown solver, site too far from the road network.
    InfeasibleError, NoSolutionError
        When ``check`` is true and the model has no solution.
    """
    from clusterloc.model import LocationModel, make_solver

    start = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = _load_scenario(scenario)
    updates: dict[str, Any] = {}
    if solver is not None:
        updates["name"] = solver
    if time_limit is not None:
        updates["time_limit"] = time_limit
    if gap is not None:
        updates["gap"] = gap
    if updates:
        try:
            new_spec = SolverSpec.model_validate({**scenario.solver.model_dump(), **updates})
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"])
            msg = str(first["msg"]).removeprefix("Value error, ")
            raise ScenarioError(f"solver.{key}: {msg}.") from None
        scenario = scenario.model_copy(update={"solver": new_spec})
    spec = scenario.solver
    pulp_solver = make_solver(
        spec.name,
        time_limit=spec.time_limit,
        gap=spec.gap,
        threads=spec.threads,
        seed=spec.seed,
        msg=spec.msg,
    )
    built = build_scenario(scenario, progress=progress)
    with progress("build"):
        model = LocationModel.from_inputs(built.inputs)
    with progress("solve"):
        solution = model.solve(pulp_solver)
    if check:
        solution.raise_for_status()
    flows = _flow_table(built, solution)
    sites = _site_table(built, solution, flows)
    sites_g, flows_g, routes_g = _geo_tables(built, sites, flows)
    summary = build_summary(built, solution, sites, flows)
    summary["seconds"]["total"] = round(time.perf_counter() - start, 6)
    unmet = getattr(solution, "unmet", None)
    return RunResult(
        scenario=scenario,
        built=built,
        solution=solution,
        summary=summary,
        sites=sites_g,
        flows=flows_g,
        routes=routes_g,
        unmet=unmet if isinstance(unmet, pd.DataFrame) else pd.DataFrame(),
    )


def write_run(
    result: RunResult,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    maps: bool = True,
) -> Path:
    """Write the run folder of a solved scenario atomically.

    Parameters
    ----------
    result
        From :func:`solve`.
    out
        The run folder (must not exist unless ``force``).
    force
        Replace an existing run folder.
    maps
        Also draw ``map.html`` / ``map.png`` and write ``report.md``.

    Returns
    -------
    pathlib.Path
        The run folder.

    Raises
    ------
    OutputExistsError
        ``out`` exists and ``force`` is false.
    InfeasibleError, NoSolutionError
        The result has no solution (nothing is written).
    """
    from clusterloc.outputs.runfolder import atomic_run_dir
    from clusterloc.outputs.tables import write_tables

    # An infeasible or unsolved run has nothing to write: raise its error instead.
    if hasattr(result.solution, "raise_for_status"):
        result.solution.raise_for_status()
    with atomic_run_dir(out, force=force) as tmp:
        write_tables(result, tmp)
        if maps:
            draw_outputs(tmp)
    return Path(out).absolute()


def draw_outputs(run_dir: Path) -> None:
    """Draw the maps and the report of a run folder (``clusterloc map``)."""
    from clusterloc.outputs.maps import draw_maps

    draw_maps(run_dir)
    try:
        from clusterloc.outputs.report import write_report
    except ImportError:  # pragma: no cover - report module ships with maps
        log.warning("clusterloc.outputs.report is not available; report.md not written")
        return
    write_report(run_dir)
