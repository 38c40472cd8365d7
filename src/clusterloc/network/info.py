"""Summaries of a truck network: :func:`graph_info` (numbers) and :func:`edges_geodataframe`."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import networkx as nx
from shapely.geometry import LineString

from clusterloc.constants import WGS84
from clusterloc.network.truck import main_class

__all__ = [
    "edges_geodataframe",
    "graph_info",
]


def _road_edges(G: nx.MultiDiGraph) -> list[tuple[Any, Any, dict[str, Any]]]:
    """One entry per road: a two-way road's reverse twin (same length, reversed) is skipped."""
    roads = []
    for u, v, data in G.edges(data=True):
        if data.get("reversed") is True and not data.get("oneway", False):
            twin = G.get_edge_data(v, u)
            if twin and any(
                abs(d["length"] - data["length"]) < 1e-6 and not d.get("reversed")
                for d in twin.values()
            ):
                continue
        roads.append((u, v, data))
    return roads


def graph_info(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Summary of a truck network, as printed by ``clusterloc network info``.

    Parameters
    ----------
    G
        A truck network.

    Returns
    -------
    dict
        ``nodes``, ``edges`` (directed), ``components`` (weakly connected, before the
        largest strongly connected one was kept), ``dropped_nodes``, ``km_by_class``
        (kilometres of road per ``highway`` class, a two-way road counted once),
        ``km_total``, ``bbox`` ``[west, south, east, north]``, ``source``, ``sha256``,
        ``restricted`` (``{reason: {"ways", "km"}}``: truck roads left out for the truck
        profile or access, see :func:`restriction_lines`) and ``dropped_km``.
    """
    meta = G.graph.get("clusterloc", {})
    km: dict[str, float] = {}
    for _, _, data in _road_edges(G):
        cls = main_class(data.get("highway"))
        km[cls] = km.get(cls, 0.0) + float(data["length"]) / 1000.0
    xs = [float(d["x"]) for _, d in G.nodes(data=True)]
    ys = [float(d["y"]) for _, d in G.nodes(data=True)]
    for _, _, data in G.edges(data=True):
        geom = data.get("geometry")
        if geom is not None:
            west, south, east, north = geom.bounds
            xs += [west, east]
            ys += [south, north]
    bbox = [min(xs), min(ys), max(xs), max(ys)] if xs else []
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "components": meta.get("components", nx.number_weakly_connected_components(G)),
        "dropped_nodes": meta.get("dropped_nodes", 0),
        "km_by_class": {k: round(v, 3) for k, v in sorted(km.items(), key=lambda kv: -kv[1])},
        "km_total": round(sum(km.values()), 3),
        "bbox": [round(b, 6) for b in bbox],
        "source": meta.get("source"),
        "sha256": meta.get("sha256"),
        "restricted": meta.get("restricted", {}),
        "dropped_km": meta.get("dropped_km", 0.0),
    }


#: What each restriction reason means, with the profile setting it is checked against.
REASON_TEXT: dict[str, tuple[str, str | None, str]] = {
    "access": ("closed to trucks (hgv / motor_vehicle / access)", None, ""),
    "maxweight": ("weight limit below", "max_weight_t", "t"),
    "maxaxleload": ("axle-load limit below", "axle_load_t", "t"),
    "maxheight": ("height limit below", "height_m", "m"),
    "maxwidth": ("width limit below", "width_m", "m"),
    "maxlength": ("length limit below", "length_m", "m"),
    "closure": ("closed for part of the year (conditional / seasonal)", None, ""),
}


def restriction_lines(G: nx.MultiDiGraph) -> list[tuple[str, str]]:
    """What was left out of ``G`` for access or the truck profile, one row per reason.

    Parameters
    ----------
    G
        A built truck network.

    Returns
    -------
    list of tuple of (str, str)
        ``(why, "n ways, x km")``.
    """
    meta = G.graph.get("clusterloc", {})
    settings = meta.get("settings", {})
    rows = []
    for reason, counts in meta.get("restricted", {}).items():
        text, key, unit = REASON_TEXT.get(reason, (reason, None, ""))
        if key is not None and key in settings:
            text = f"{text} {settings[key]:g} {unit}"
        rows.append((f"{reason}: {text}", f"{counts['ways']:,} ways, {counts['km']:,.1f} km"))
    return rows


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def edges_geodataframe(G: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    """Road edges as a GeoDataFrame for maps (EPSG:4326), a two-way road once.

    Parameters
    ----------
    G
        A truck network.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``u``, ``v``, ``highway`` (the main class), ``ref``, ``name``, ``length_m``,
        ``oneway`` and a LineString ``geometry`` along the road.
    """
    rows = []
    for u, v, data in _road_edges(G):
        geom = data.get("geometry")
        if geom is None:
            geom = LineString(
                [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
            )
        rows.append(
            {
                "u": u,
                "v": v,
                "highway": main_class(data.get("highway")),
                "ref": _text(data.get("ref")),
                "name": _text(data.get("name")),
                "length_m": float(data["length"]),
                "oneway": bool(data.get("oneway", False)),
                "geometry": geom,
            }
        )
    columns = ["u", "v", "highway", "ref", "name", "length_m", "oneway", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=WGS84)
