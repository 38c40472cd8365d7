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

import logging
import os
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import ValidationError

from clusterloc.constants import WGS84
from clusterloc.errors import ScenarioError
from clusterloc.model.solution import Solution
from clusterloc.outputs.summary import build_summary
from clusterloc.outputs.tables import flow_table, geo_tables, site_table
from clusterloc.scenario.build import BuiltScenario, Progress, build_scenario, no_progress
from clusterloc.scenario.load import load_scenario as _load_scenario
from clusterloc.scenario.schema import Scenario, SolverSpec

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)

__all__ = ["RunResult", "draw_outputs", "load_scenario", "solve", "write_run"]


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
    solution: Solution
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
                crs=WGS84,
            )
        from clusterloc.network import edges_geodataframe

        return edges_geodataframe(self.built.graph)

    def write(self, out: str | os.PathLike[str], *, force: bool = False, maps: bool = True) -> Path:
        """Write the run folder; see :func:`write_run`.

        Parameters
        ----------
        out
            The run folder (must not exist unless ``force``).
        force
            Replace an existing run folder.
        maps
            Also draw the maps and write the report.

        Returns
        -------
        pathlib.Path
            The run folder.
        """
        return write_run(self, out, force=force, maps=maps)


# --------------------------------------------------------------------------- solve


def solve(
    scenario: Scenario | str | os.PathLike[str],
    *,
    solver: str | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    progress: Progress = no_progress,
    check: bool = True,
    reuse: BuiltScenario | None = None,
    geometry: bool = True,
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

    reuse
        A scenario built before whose road network and lanes are taken over when its
        sites and network settings are the same (see
        :func:`~clusterloc.scenario.build.build_scenario`); ``clusterloc sweep`` uses it.
    geometry
        Draw the sites, flows and routes as geometries (default). ``False`` leaves the
        result's ``sites`` / ``flows`` without geometry and ``routes`` empty (a sweep
        needs only the summary); the summary is the same.

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
    from clusterloc.model import LocationModel, make_solver, solve_model

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
    built = build_scenario(scenario, progress=progress, reuse=reuse)
    with progress("build"):
        model = LocationModel.from_inputs(built.inputs)
    with progress("solve"):
        solution = solve_model(model, pulp_solver)
    if check:
        solution.raise_for_status()
    flows = flow_table(solution, built.inputs)
    sites = site_table(built.tables.sites, solution, flows, built.snaps)
    if geometry:
        sites_g, flows_g, routes_g = geo_tables(sites, flows, built.network, built.snaps)
    else:
        import geopandas as gpd

        sites_g, flows_g = gpd.GeoDataFrame(sites), gpd.GeoDataFrame(flows)
        routes_g = gpd.GeoDataFrame(flows.iloc[:0])
    summary = build_summary(built, solution, sites, flows)
    summary["seconds"]["total"] = round(time.perf_counter() - start, 6)
    return RunResult(
        scenario=scenario,
        built=built,
        solution=solution,
        summary=summary,
        sites=sites_g,
        flows=flows_g,
        routes=routes_g,
        unmet=solution.unmet,
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
    result.solution.raise_for_status()
    with atomic_run_dir(out, force=force) as tmp:
        write_tables(
            tmp,
            summary=result.summary,
            sites=result.sites,
            flows=result.flows,
            routes=result.routes,
            network=result.network,
            unmet=result.unmet,
        )
        if maps:
            draw_outputs(tmp)
    return Path(out).absolute()


def draw_outputs(run_dir: Path) -> None:
    """Draw the maps and the report of a run folder (``clusterloc map``).

    Parameters
    ----------
    run_dir
        A finished run folder (``results.gpkg`` and ``summary.json``).
    """
    from clusterloc.outputs.maps import draw_maps

    draw_maps(run_dir)
    try:
        from clusterloc.outputs.report import write_report
    except ImportError:  # pragma: no cover - report module ships with maps
        log.warning("clusterloc.outputs.report is not available; report.md not written")
        return
    write_report(run_dir)
