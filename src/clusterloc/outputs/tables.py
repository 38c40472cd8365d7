"""Run-folder tables: sites, flows and routes from a solution; the files that hold them.

:func:`flow_table`, :func:`site_table` and :func:`geo_tables` turn a
:class:`~clusterloc.model.solution.Solution` and its inputs into the tables a person
reads; :func:`write_tables` writes ``summary.json``, ``sites.csv``, ``flows.csv`` and
``results.gpkg``; :func:`read_summary` reads a run folder's summary back (``compare``,
``map``). GeoPackage layers (EPSG:4326): ``sites`` (Point), ``flows`` (straight
LineString), ``routes`` (LineString along the road) and ``network`` (the road edges).
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clusterloc.constants import WGS84
from clusterloc.errors import InputError
from clusterloc.jsonsafe import json_ready
from clusterloc.model.inputs import MARKET, SUPPLIER, ModelInputs
from clusterloc.model.solution import Solution
from clusterloc.outputs.summary import open_site_ids

if TYPE_CHECKING:
    import geopandas as gpd

    from clusterloc.network.routing import RoadNetwork

__all__ = [
    "FLOW_COLUMNS",
    "NETWORK_COLUMNS",
    "SITE_COLUMNS",
    "flow_table",
    "geo_tables",
    "read_summary",
    "site_table",
    "write_summary",
    "write_tables",
]

log = logging.getLogger(__name__)

#: Leading columns of ``sites.csv`` and the ``sites`` layer.
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
#: Leading columns of ``flows.csv`` and the ``flows`` / ``routes`` layers.
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
#: Columns of the ``network`` layer.
NETWORK_COLUMNS = ["highway", "ref", "name", "length_m"]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_summary(summary: dict[str, Any], path: Path) -> None:
    """Write ``summary.json`` (keys in the order given, 2-space indent, NaN as null).

    Parameters
    ----------
    summary
        From :func:`clusterloc.outputs.summary.build_summary`.
    path
        The file to write.
    """
    text = json.dumps(
        json_ready(summary, digits=None), indent=2, ensure_ascii=False, default=_json_default
    )
    path.write_text(text + "\n", encoding="utf-8")


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """Read the ``summary.json`` of a run folder.

    Parameters
    ----------
    run_dir
        The run folder.

    Returns
    -------
    dict
        The summary.

    Raises
    ------
    InputError
        The folder or its ``summary.json`` is missing or unreadable.
    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise InputError(f"run folder {run_dir} not found.")
    path = folder / "summary.json"
    if not path.is_file():
        raise InputError(f"{run_dir} is not a run folder: it has no summary.json.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} cannot be read: {exc}.") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} is not a JSON object.")
    return data


def _network_layer(network: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    edges = network.copy()
    if "length_m" not in edges.columns and "length" in edges.columns:
        edges["length_m"] = edges["length"]
    for col in NETWORK_COLUMNS:
        if col not in edges.columns:
            edges[col] = None
    for col in ("highway", "ref", "name"):
        edges[col] = edges[col].map(
            lambda v: (
                ";".join(map(str, v)) if isinstance(v, list) else (None if v is None else str(v))
            )
        )
    out = edges[[*NETWORK_COLUMNS, edges.geometry.name]].reset_index(drop=True)
    return out.set_geometry(edges.geometry.name)


def _gpkg_safe(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Make object columns GeoPackage-friendly (lists joined, mixed types as text)."""
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name or out[col].dtype != object:
            continue
        out[col] = out[col].map(
            lambda v: (
                ";".join(map(str, v))
                if isinstance(v, list | tuple)
                else (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
            )
        )
        if out[col].map(lambda v: isinstance(v, bool)).any():
            continue
        kinds = {type(v) for v in out[col] if v is not None}
        if len(kinds) > 1:
            out[col] = out[col].map(lambda v: None if v is None else str(v))
    return out


def write_tables(
    folder: Path,
    *,
    summary: dict[str, Any],
    sites: gpd.GeoDataFrame,
    flows: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    network: gpd.GeoDataFrame,
    unmet: pd.DataFrame | None = None,
) -> None:
    """Write ``summary.json``, ``sites.csv``, ``flows.csv`` and ``results.gpkg`` into ``folder``.

    Parameters
    ----------
    folder
        The (temporary) run folder.
    summary
        The ``summary.json`` dict.
    sites, flows, routes
        From :func:`geo_tables`.
    network
        Road edges the run was priced on (empty with explicit lanes).
    unmet
        Unmet demand per market and commodity; ``unmet.csv`` is written when it has rows.
    """
    write_summary(summary, folder / "summary.json")
    pd.DataFrame(sites.drop(columns=sites.geometry.name)).to_csv(folder / "sites.csv", index=False)
    pd.DataFrame(flows.drop(columns=flows.geometry.name)).to_csv(folder / "flows.csv", index=False)
    gpkg = folder / "results.gpkg"
    _gpkg_safe(sites).to_file(gpkg, layer="sites", driver="GPKG")
    _gpkg_safe(flows).to_file(gpkg, layer="flows", driver="GPKG")
    _gpkg_safe(routes).to_file(gpkg, layer="routes", driver="GPKG")
    _network_layer(network).to_file(gpkg, layer="network", driver="GPKG")
    if unmet is not None and len(unmet):
        unmet.to_csv(folder / "unmet.csv", index=False)
    log.info("wrote tables into %s", folder)


# --------------------------------------------------------------------------- tables


def _split_lanes(lanes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lanes for every commodity and lanes for one commodity only."""
    if "commodity" in lanes.columns and lanes["commodity"].notna().any():
        generic = lanes[lanes["commodity"].isna()].drop(columns=["commodity"])
        return generic, lanes[lanes["commodity"].notna()]
    return lanes.drop(columns=["commodity"], errors="ignore"), lanes.iloc[0:0]


def _with_lane_columns(flows: pd.DataFrame, lanes: pd.DataFrame) -> pd.DataFrame:
    """Flows with the lane columns they lack (road/off-road km; explicit cost per unit)."""
    lane_cols = [c for c in ("km", "hours", "road_km", "offroad_km") if c in lanes.columns]
    generic, specific = _split_lanes(lanes)
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
    return merged


def _with_money_and_co2(merged: pd.DataFrame, commodities: pd.DataFrame) -> pd.DataFrame:
    """Fill tonnes, transport cost and CO2 where the flows do not carry them yet."""
    com = commodities.set_index("commodity")
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
    return merged.drop(columns=["cost_per_unit"], errors="ignore")


def flow_table(solution: Solution, inputs: ModelInputs) -> pd.DataFrame:
    """Every flow of a solution with tonnes, km, hours, transport cost and CO2.

    Parameters
    ----------
    solution
        A solved model.
    inputs
        The model inputs it was made from (lanes add ``road_km`` / ``offroad_km``).

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS` first, then the lane columns; sorted by commodity,
        origin, destination; flows of at most 1e-9 units left out.
    """
    raw = solution.flows
    if len(raw) == 0:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    flows = raw.copy()
    flows["origin"] = flows["origin"].astype(str)
    flows["destination"] = flows["destination"].astype(str)
    flows = flows[flows["quantity"] > 1e-9].copy()
    merged = _with_lane_columns(flows, inputs.lanes.copy())
    merged = _with_money_and_co2(merged, inputs.commodities)
    ordered = FLOW_COLUMNS + [c for c in merged.columns if c not in FLOW_COLUMNS]
    return (
        merged[ordered]
        .sort_values(["commodity", "origin", "destination"], kind="stable")
        .reset_index(drop=True)
    )


def _apply_open_sites(sites: pd.DataFrame, open_sites: pd.DataFrame) -> None:
    """Copy level, capacity and fixed cost of the chosen sites into ``sites`` (in place)."""
    if "site_id" not in open_sites.columns:
        return
    info = open_sites.set_index(open_sites["site_id"].astype(str))
    for col in ("level", "capacity", "fixed_cost"):
        if col in info.columns:
            mapped = sites["site_id"].map(info[col])
            if col == "level":
                sites[col] = mapped.where(mapped.notna(), None)
            else:
                sites[col] = mapped.combine_first(sites[col])


def _utilization(is_facility: Any, throughput: Any, capacity: pd.Series) -> np.ndarray:
    cap = capacity.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        util: np.ndarray = np.where(
            is_facility & np.isfinite(cap) & (cap > 0), throughput / cap, np.nan
        )
    return util


def site_table(
    sites: pd.DataFrame, solution: Solution, flows: pd.DataFrame, snaps: pd.DataFrame
) -> pd.DataFrame:
    """Every site with its decision: open, level, capacity, throughput, utilization.

    Parameters
    ----------
    sites
        The scenario's site table (``site_id, name, type, lon, lat`` and the facility
        columns).
    solution
        A solved model.
    flows
        From :func:`flow_table`.
    snaps
        ``site_id, node, snap_m`` per site (empty with explicit lanes).

    Returns
    -------
    pandas.DataFrame
        :data:`SITE_COLUMNS` first. Suppliers and markets count as open; a facility's
        throughput is the model's (units of output), a market's what it receives.
    """
    sites = sites.drop(columns=["_where"], errors="ignore").copy()
    open_ids = set(open_site_ids(solution))
    is_facility = ~sites["type"].isin([SUPPLIER, MARKET])
    sites["open"] = np.where(is_facility, sites["site_id"].isin(open_ids), True)
    sites.loc[~is_facility, "status"] = sites.loc[~is_facility, "type"]
    for col in ("fixed_cost", "capacity", "handling_cost"):
        sites.loc[~is_facility, col] = np.nan
    sites["level"] = None
    open_sites = solution.open_sites
    _apply_open_sites(sites, open_sites)
    out_q = flows.groupby("origin")["quantity"].sum() if len(flows) else pd.Series(dtype=float)
    in_q = flows.groupby("destination")["quantity"].sum() if len(flows) else pd.Series(dtype=float)
    through = sites["site_id"].map(out_q).fillna(0.0)
    received = sites["site_id"].map(in_q).fillna(0.0)
    sites["throughput"] = np.where(sites["type"] == MARKET, received, through)
    # Facilities: the model's own throughput (units of output, 0 when closed).
    model_through = sites["site_id"].map(
        open_sites.set_index(open_sites["site_id"].astype(str))["throughput"]
    )
    fac_through = model_through.where(model_through.notna(), 0.0).astype(float)
    sites["throughput"] = np.where(is_facility, fac_through, sites["throughput"])
    sites["utilization"] = _utilization(is_facility, sites["throughput"], sites["capacity"])
    if len(snaps):
        sites["snap_m"] = sites["site_id"].map(snaps.set_index("site_id")["snap_m"]).astype(float)
    else:
        sites["snap_m"] = np.nan
    ordered = SITE_COLUMNS + [c for c in sites.columns if c not in SITE_COLUMNS]
    return sites[ordered].reset_index(drop=True)


def geo_tables(
    sites: pd.DataFrame,
    flows: pd.DataFrame,
    network: RoadNetwork | None = None,
    snaps: pd.DataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Sites as points, flows as straight lines and as routes along the road.

    Parameters
    ----------
    sites, flows
        From :func:`site_table` / :func:`flow_table`.
    network
        The road network the lanes were priced on; ``None`` with explicit lanes
        (routes are then straight lines).
    snaps
        ``site_id, node`` of every site on ``network``.

    Returns
    -------
    tuple of geopandas.GeoDataFrame
        ``(sites, flows, routes)``, all in :data:`clusterloc.constants.WGS84`.
    """
    import geopandas as gpd
    from shapely import LineString, Point

    xy = {
        s: (float(x), float(y))
        for s, x, y in zip(sites["site_id"], sites["lon"], sites["lat"], strict=True)
    }
    sites_g = gpd.GeoDataFrame(sites, geometry=[Point(xy[s]) for s in sites["site_id"]], crs=WGS84)
    straight = [
        LineString([xy[o], xy[d]])
        for o, d in zip(flows["origin"], flows["destination"], strict=True)
    ]
    flows_g = gpd.GeoDataFrame(flows.copy(), geometry=straight, crs=WGS84)
    routes: list[LineString] = []
    node_of = (
        dict(zip(snaps["site_id"], snaps["node"], strict=True))
        if snaps is not None and len(snaps)
        else {}
    )
    cache: dict[tuple[str, str], LineString] = {}
    for (o, d), line in zip(
        zip(flows["origin"], flows["destination"], strict=True), straight, strict=True
    ):
        if network is None or o not in node_of or d not in node_of:
            routes.append(line)
            continue
        if (o, d) not in cache:
            road = network.route(node_of[o], node_of[d])
            cache[(o, d)] = LineString([xy[o], *list(road.coords), xy[d]])
        routes.append(cache[(o, d)])
    routes_g = gpd.GeoDataFrame(flows.copy(), geometry=routes, crs=WGS84)
    return sites_g, flows_g, routes_g
