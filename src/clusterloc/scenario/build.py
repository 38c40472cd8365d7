"""Turn a loaded scenario into model inputs: tables → road network → snapped lanes.

:func:`build_scenario` runs the steps a solve needs before the optimizer: read and check
the tables (:func:`clusterloc.scenario.tables.read_tables`), build or load the truck
network (:func:`load_network`), snap every site and price the lanes between linked site
types (:func:`road_lanes`), and assemble :class:`clusterloc.model.inputs.ModelInputs`
(:func:`to_model_inputs`). Scenarios with an explicit ``lanes`` table skip the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clusterloc.errors import InputError, ScenarioError
from clusterloc.model.inputs import ModelInputs, Policy
from clusterloc.scenario.capacity import bound_unlimited, unlimited_capacity
from clusterloc.scenario.load import _describe
from clusterloc.scenario.schema import MARKET, SUPPLIER, Scenario
from clusterloc.scenario.tables import WHERE, ScenarioTables, read_tables
from clusterloc.scenario.whatif import apply_whatif

if TYPE_CHECKING:
    import networkx as nx

    from clusterloc.network import RoadNetwork, TruckSettings

__all__ = [
    "BuiltScenario",
    "Progress",
    "build_scenario",
    "cache_dir",
    "check_network_source",
    "linked_pairs",
    "load_network",
    "no_progress",
    "road_lanes",
    "to_model_inputs",
    "to_policy",
    "truck_settings",
]

log = logging.getLogger(__name__)

#: ``progress(step)`` returns a context manager around one step
#: (``"network"``, ``"matrix"``, ``"build"``, ``"solve"``); the CLI shows a spinner. If the
#: object also has a ``note(text)`` method, the network build reports its sub-steps to it.
Progress = Callable[[str], AbstractContextManager[Any]]


def no_progress(step: str) -> AbstractContextManager[Any]:
    """A :data:`Progress` that shows nothing.

    Parameters
    ----------
    step
        The step name (ignored).

    Returns
    -------
    contextlib.AbstractContextManager
        A context that does nothing.
    """
    return contextlib.nullcontext()


@contextlib.contextmanager
def _timed(seconds: dict[str, float], step: str, progress: Progress) -> Iterator[None]:
    start = time.perf_counter()
    with progress(step):
        yield
    seconds[step] = seconds.get(step, 0.0) + time.perf_counter() - start


@dataclass
class BuiltScenario:
    """Everything derived from a scenario before solving.

    Attributes
    ----------
    scenario
        The loaded scenario.
    tables
        The checked tables.
    inputs
        The model inputs.
    graph, network, settings
        The truck road graph, its :class:`~clusterloc.network.RoadNetwork` and the truck
        settings (``None`` with explicit lanes).
    snaps
        ``site_id``, ``node``, ``snap_m`` per site (empty with explicit lanes).
    lanes
        The lane table given to the model (with ``road_km`` / ``offroad_km`` on roads).
    seconds
        Wall time of ``network`` and ``matrix``.
    """

    scenario: Scenario
    tables: ScenarioTables
    inputs: ModelInputs
    lanes: pd.DataFrame
    graph: nx.MultiDiGraph | None = None
    network: RoadNetwork | None = None
    settings: TruckSettings | None = None
    snaps: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["site_id", "node", "snap_m"])
    )
    seconds: dict[str, float] = field(default_factory=dict)
    priced_lanes: pd.DataFrame | None = None
    """Every priced lane, before the ``whatif`` closures (what ``reuse=`` takes over)."""
    lane_key: str = ""
    """Fingerprint of what the road network and lanes depend on (:func:`lane_key`)."""


def lane_key(scenario: Scenario, tables: ScenarioTables) -> str:
    """A fingerprint of the network spec, the site locations and the links.

    Two scenarios with the same key have the same road graph, snaps and lane table, so
    :func:`build_scenario` can reuse one's for the other (``reuse=``).

    Parameters
    ----------
    scenario
        The loaded scenario.
    tables
        Its checked tables (before the ``whatif`` adjustments).

    Returns
    -------
    str
        SHA-256 hex digest.
    """
    spec = scenario.network.model_dump(mode="json") if scenario.network else None
    sites = tables.sites[["site_id", "type", "lon", "lat"]]
    payload = json.dumps(
        {
            "network": spec,
            "sites": [[str(a), str(b), float(c), float(d)] for a, b, c, d in sites.to_numpy()],
            "links": sorted(linked_pairs(tables)),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _scenario_where(scenario: Scenario) -> str:
    return _describe(scenario.path) if scenario.path else "scenario"


def truck_settings(scenario: Scenario) -> TruckSettings:
    """The :class:`~clusterloc.network.TruckSettings` of a scenario's ``network.truck``.

    Parameters
    ----------
    scenario
        The loaded scenario.

    Returns
    -------
    TruckSettings

    Raises
    ------
    ScenarioError
        A setting is out of range.
    """
    from clusterloc.network import TruckSettings

    spec = scenario.network.truck.settings_dict() if scenario.network else {}
    try:
        return TruckSettings.from_dict(spec)
    except InputError as exc:
        raise ScenarioError(f"scenario {_scenario_where(scenario)}: network.truck: {exc}") from None


def cache_dir(scenario: Scenario) -> Path:
    """Network cache folder: ``network.cache_dir``, else the user cache.

    The user cache is ``$CLUSTERLOC_CACHE``, else ``$XDG_CACHE_HOME/clusterloc/networks``
    (``~/.cache/clusterloc/networks``); see :func:`clusterloc.network.cache.default_cache_dir`.

    Parameters
    ----------
    scenario
        The loaded scenario.

    Returns
    -------
    pathlib.Path
    """
    if scenario.network is not None and scenario.network.cache_dir:
        return Path(scenario.network.cache_dir)
    from clusterloc.network.cache import default_cache_dir

    return default_cache_dir()


def check_network_source(scenario: Scenario) -> Path:
    """The road source file of a scenario, checked to exist.

    Parameters
    ----------
    scenario
        The loaded scenario.

    Returns
    -------
    pathlib.Path
        The source file.

    Raises
    ------
    ScenarioError
        The scenario has no network, or its source file does not exist.
    """
    if scenario.network is None:
        raise ScenarioError(f"scenario {_scenario_where(scenario)} has no 'network' section.")
    source = Path(scenario.network.source)
    if not source.is_file():
        raise ScenarioError(
            f"scenario {_scenario_where(scenario)}: network.source: road file "
            f"{_describe(source)} not found (set CLUSTERLOC_SHARED if the shared data lives "
            "elsewhere)."
        )
    fixes = scenario.network.corrections
    if fixes is not None and not Path(fixes).is_file():
        raise ScenarioError(
            f"scenario {_scenario_where(scenario)}: network.corrections: file "
            f"{_describe(Path(fixes))} not found."
        )
    return source


def load_network(
    scenario: Scenario,
    settings: TruckSettings | None = None,
    *,
    note: Callable[[str], None] | None = None,
) -> nx.MultiDiGraph:
    """Build (or load from the cache) the truck road graph of a scenario.

    Parameters
    ----------
    scenario
        A scenario with a ``network`` section.
    settings
        Truck settings (default: :func:`truck_settings` of the scenario).
    note
        Called with the name of each sub-step of the build (for progress display).

    Returns
    -------
    networkx.MultiDiGraph
        The truck road graph (from the cache when it is there).
    """
    from clusterloc.network import graph_from_file

    source = check_network_source(scenario)
    settings = settings or truck_settings(scenario)
    folder = cache_dir(scenario)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(f"network cache folder {folder} cannot be created: {exc}.") from None
    log.info("building truck network from %s (cache %s)", source, folder)
    assert scenario.network is not None
    fixes = scenario.network.corrections
    return graph_from_file(source, settings, cache_dir=folder, progress=note, corrections=fixes)


def linked_pairs(tables: ScenarioTables) -> set[tuple[str, str]]:
    """``(from_type, to_type)`` pairs allowed by the ``links`` table.

    Parameters
    ----------
    tables
        The checked tables.

    Returns
    -------
    set of (str, str)
    """
    return set(zip(tables.links["from_type"], tables.links["to_type"], strict=True))


def road_lanes(
    net: RoadNetwork, tables: ScenarioTables, settings: TruckSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Snap the sites and price the lanes between every linked pair of site types.

    Parameters
    ----------
    net
        The road network.
    tables
        Checked scenario tables.
    settings
        Truck settings (snap limit, detour factor, local speed).

    Returns
    -------
    lanes, snaps
        Lanes ``origin, destination, km, hours, road_km, offroad_km`` (unreachable pairs
        left out), and ``site_id, node, snap_m`` of every site.
    """
    from clusterloc.network import lane_table

    sites = tables.sites
    pairs = linked_pairs(tables)
    from_types = {a for a, _ in pairs}
    to_types = {b for _, b in pairs}
    origins = sites[sites["type"].isin(from_types)][["site_id", "lon", "lat"]]
    destinations = sites[sites["type"].isin(to_types)][["site_id", "lon", "lat"]]
    snaps = net.snap(
        sites["lon"].to_numpy(),
        sites["lat"].to_numpy(),
        names=sites["site_id"].tolist(),
        max_snap_m=settings.max_snap_m,
    )
    snaps = snaps.rename(columns={"name": "site_id"})[["site_id", "node", "snap_m"]]
    lanes = lane_table(net, origins, destinations, settings)
    types = dict(zip(sites["site_id"], sites["type"], strict=True))
    keep = [
        (types[o], types[d]) in pairs
        for o, d in zip(lanes["origin"], lanes["destination"], strict=True)
    ]
    lanes = lanes[np.asarray(keep, dtype=bool)]
    finite = np.isfinite(lanes["km"].to_numpy(dtype=float))
    if not finite.all():
        log.warning("%d linked lane(s) have no road path and are left out", int((~finite).sum()))
    lanes = lanes[finite].reset_index(drop=True)
    return lanes, snaps


def _explicit_lanes(tables: ScenarioTables) -> pd.DataFrame:
    assert tables.lanes is not None
    lanes = tables.lanes.drop(columns=[WHERE])
    if lanes["cost_per_unit"].isna().all():
        lanes = lanes.drop(columns=["cost_per_unit"])
    else:
        lanes["cost_per_unit"] = lanes["cost_per_unit"].astype(float)
    if lanes["commodity"].isna().all():
        lanes = lanes.drop(columns=["commodity"])
    finite = np.isfinite(lanes["km"].to_numpy(dtype=float)) & np.isfinite(
        lanes["hours"].to_numpy(dtype=float)
    )
    out: pd.DataFrame = lanes[finite].reset_index(drop=True)
    return out


def to_policy(scenario: Scenario) -> Policy:
    """The :class:`~clusterloc.model.inputs.Policy` of a scenario.

    Parameters
    ----------
    scenario
        The loaded scenario.

    Returns
    -------
    Policy
    """
    p = scenario.policy
    return Policy(
        min_open=dict(p.min_open),
        max_open=dict(p.max_open),
        budget=p.budget,
        max_service_km=p.max_service_km,
        max_service_hours=p.max_service_hours,
        local_content_share=p.local_content_share,
        local_content_types=list(p.local_content_types),
        local_content_basis=p.local_content_basis,
        co2_price=p.co2_price,
        co2_cap=p.co2_cap,
        unmet_penalty=p.unmet_penalty,
        single_sourcing=p.single_sourcing,
        fixed_cost_subsidy=dict(p.fixed_cost_subsidy),
    )


def _has_unlimited(frame: pd.DataFrame) -> bool:
    if "capacity" not in frame or not len(frame):
        return False
    return bool(np.isinf(pd.to_numeric(frame["capacity"], errors="coerce").astype(float)).any())


def to_model_inputs(scenario: Scenario, tables: ScenarioTables, lanes: pd.DataFrame) -> ModelInputs:
    """Assemble :class:`~clusterloc.model.inputs.ModelInputs` from checked tables and lanes.

    Parameters
    ----------
    scenario
        The loaded scenario.
    tables
        The checked tables.
    lanes
        The lane table (origin, destination, km, hours[, cost_per_unit]).

    Returns
    -------
    ModelInputs
    """
    sites = tables.sites.drop(columns=[WHERE])
    facilities = sites[~sites["type"].isin([SUPPLIER, MARKET])].reset_index(drop=True)
    suppliers = tables.supply.drop(columns=[WHERE]).reset_index(drop=True)
    markets = tables.demand.drop(columns=[WHERE]).reset_index(drop=True)
    links = tables.links.drop(columns=[WHERE]).copy()
    links["commodity"] = links["commodity"].replace("", None)
    levels = tables.levels.drop(columns=[WHERE]).reset_index(drop=True)
    if _has_unlimited(facilities) or _has_unlimited(levels):
        # An empty capacity cell means unlimited; the model needs a finite bound.
        bound = unlimited_capacity(
            tables.demand, tables.bom, tables.commodities["commodity"].tolist()
        )
        log.info("unlimited capacities are bounded by %g (the most the demand can require)", bound)
        facilities = bound_unlimited(facilities, bound)
        levels = bound_unlimited(levels, bound)
    return ModelInputs(
        commodities=tables.commodities.drop(columns=[WHERE]).reset_index(drop=True),
        links=links.reset_index(drop=True),
        suppliers=suppliers,
        markets=markets,
        facilities=facilities,
        lanes=lanes,
        bom=tables.bom.drop(columns=[WHERE]).reset_index(drop=True),
        levels=levels,
        policy=to_policy(scenario),
        name=scenario.name,
    )


def build_scenario(
    scenario: Scenario,
    *,
    progress: Progress = no_progress,
    network: bool = True,
    reuse: BuiltScenario | None = None,
) -> BuiltScenario:
    """Read the tables, build the road network and lanes, and assemble the model inputs.

    Parameters
    ----------
    scenario
        A loaded scenario (:func:`clusterloc.scenario.load.load_scenario`).
    progress
        Wraps the ``network`` and ``matrix`` steps (the CLI shows progress with it).
    network
        Build the road network and lanes (``False``: only read and check the tables,
        and check that the road file exists; the lanes are then empty).
    reuse
        A scenario built before: its road graph, snaps and lanes are taken over when its
        :func:`lane_key` equals this scenario's (a sweep builds them once for all runs);
        otherwise they are built as usual.

    Returns
    -------
    BuiltScenario

    Raises
    ------
    InputError
        A bad table, a missing road file, a site too far from the road network, ...
    """
    tables = read_tables(scenario)
    seconds: dict[str, float] = {"network": 0.0, "matrix": 0.0}
    built_graph = None
    net = None
    settings = None
    snaps = pd.DataFrame(columns=["site_id", "node", "snap_m"])
    key = ""
    if scenario.lanes is not None:
        lanes = _explicit_lanes(tables)
    else:
        settings = truck_settings(scenario)
        check_network_source(scenario)
        key = lane_key(scenario, tables)
        if network and reuse is not None and reuse.lane_key == key and reuse.network is not None:
            assert reuse.priced_lanes is not None
            log.info("reusing the road network and lanes of a scenario with the same sites")
            built_graph, net, snaps = reuse.graph, reuse.network, reuse.snaps
            lanes = reuse.priced_lanes
        elif network:
            from clusterloc.network import RoadNetwork, attach_points

            with _timed(seconds, "network", progress):
                built_graph = load_network(scenario, settings, note=getattr(progress, "note", None))
            with _timed(seconds, "matrix", progress):
                # Sites join the road at its nearest point, not only at junction nodes.
                built_graph, _ = attach_points(
                    built_graph, tables.sites["lon"].to_numpy(), tables.sites["lat"].to_numpy()
                )
                net = RoadNetwork(built_graph)
                lanes, snaps = road_lanes(net, tables, settings)
        else:
            lanes = pd.DataFrame(
                columns=["origin", "destination", "km", "hours", "road_km", "offroad_km"]
            )
    tables, model_lanes = apply_whatif(
        tables, lanes, scenario.whatif, where=_scenario_where(scenario)
    )
    inputs = to_model_inputs(scenario, tables, model_lanes)
    log.info("scenario %s: %d sites, %d lanes", scenario.name, len(tables.sites), len(inputs.lanes))
    return BuiltScenario(
        scenario=scenario,
        tables=tables,
        inputs=inputs,
        lanes=model_lanes,
        graph=built_graph,
        network=net,
        settings=settings,
        snaps=snaps,
        seconds=seconds,
        priced_lanes=lanes,
        lane_key=key,
    )
