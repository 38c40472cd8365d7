"""Roads dropped while building a truck network, and how to tell a user about them.

The builder keeps only the largest strongly connected part of the truck roads
(:func:`clusterloc.network.truck.finish_graph`): every kept place can be reached from every
other and left again. The rest is dropped — disconnected pieces of a line layer, one-way
roads that leave a small extract. :func:`dropped_pieces` records each dropped piece
(geometry, km, road names, one-way edges) in ``G.graph["dropped_roads"]``, so that a site
far from the kept network but near a dropped road gets a message saying so
(:func:`explain_far_site`) instead of only "1,697 km from the nearest road point".
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import shapely
from shapely import LineString, MultiLineString, STRtree

__all__ = ["DROPPED_KEY", "dropped_pieces", "explain_far_site", "small_network_hint"]

#: Graph attribute holding the dropped pieces (a list of dicts, see :func:`dropped_pieces`).
DROPPED_KEY = "dropped_roads"

_MAX_NAMES = 3

#: A dropped piece farther than this from the kept network gets no join-tolerance hint (m).
JOINABLE_M = 20_000.0


def _edge_line(G: nx.MultiDiGraph, u: Hashable, v: Hashable, data: dict[str, Any]) -> LineString:
    geom = data.get("geometry")
    if geom is not None:
        return LineString(geom)
    return LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])


def _names(data: dict[str, Any]) -> list[str]:
    """Road refs of an edge, else its names."""
    for key in ("ref", "name"):
        value = data.get(key)
        values = value if isinstance(value, list) else [value]
        found = [str(v) for v in values if v]
        if found:
            return found
    return []


def dropped_pieces(G: nx.MultiDiGraph, kept: set[Hashable]) -> list[dict[str, Any]]:
    """The weakly connected pieces of ``G`` outside the node set ``kept``.

    Parameters
    ----------
    G
        Raw truck graph (edge ``length`` in m, optional ``geometry``, ``oneway``,
        ``reversed``, ``ref`` / ``name``; node ``x`` / ``y``).
    kept
        Nodes of the part that is kept.

    Returns
    -------
    list of dict
        Per piece: ``geometry`` (MultiLineString, lon/lat, a two-way road once), ``km``
        (two-way counted once), ``roads`` (up to three refs / names), ``oneway_edges``.
    """
    outside = [n for n in G if n not in kept]
    if not outside:
        return []
    sub = G.subgraph(outside)
    pieces = []
    for nodes in nx.weakly_connected_components(sub):
        lines: list[LineString] = []
        metres = 0.0
        names: list[str] = []
        oneway = 0
        for u, v, data in sub.subgraph(nodes).edges(data=True):
            if data.get("reversed") and not data.get("oneway"):
                continue
            lines.append(_edge_line(G, u, v, data))
            metres += float(data.get("length", 0.0))
            oneway += bool(data.get("oneway"))
            names.extend(n for n in _names(data) if n not in names)
        if lines:
            pieces.append(
                {
                    "geometry": MultiLineString(lines),
                    "km": round(metres / 1000.0, 3),
                    "roads": names[:_MAX_NAMES],
                    "oneway_edges": oneway,
                }
            )
    return pieces


def _local(lon: float, lat: float) -> pyproj.Transformer:
    crs = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _metres(geoms: Any, transformer: pyproj.Transformer) -> Any:
    def xy(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, xy)


def _nearest(
    geoms: list[Any], target: Any, transformer: pyproj.Transformer
) -> tuple[int, float] | None:
    """Index of the geometry nearest to ``target`` and its distance in metres.

    Candidates come from an STRtree in degrees (all within three times the nearest
    distance in degrees); the exact distance is taken in the local projection.
    """
    if not geoms:
        return None
    tree = STRtree(geoms)
    first = int(tree.query_nearest(target, all_matches=False)[0])
    reach = float(shapely.distance(geoms[first], target)) * 3.0 + 1e-9
    candidates = tree.query(target, predicate="dwithin", distance=reach)
    target_m = _metres(target, transformer)
    best: tuple[int, float] | None = None
    for i in np.asarray(candidates, dtype=int).tolist() or [first]:
        d = float(shapely.distance(_metres(geoms[i], transformer), target_m))
        if best is None or d < best[1]:
            best = (i, d)
    return best


def _format_km(metres: float) -> str:
    return f"{metres / 1000.0:,.1f} km" if metres >= 1000.0 else f"{metres:,.0f} m"


def explain_far_site(G: nx.MultiDiGraph, lon: float, lat: float, snap_m: float) -> str | None:
    """Why a site is far from the network, when a dropped road lies nearer than the kept one.

    Parameters
    ----------
    G
        Built truck network (with ``G.graph["dropped_roads"]``).
    lon, lat
        The site.
    snap_m
        Its distance to the nearest point of the kept network.

    Returns
    -------
    str or None
        A clause for the error message ("its nearest road, 5.0 km away (KAZ12), was
        dropped ...; to keep it ..."), or None when no dropped road is nearer.
    """
    pieces = G.graph.get(DROPPED_KEY) or []
    if not pieces:
        return None
    site = shapely.Point(lon, lat)
    to_m = _local(lon, lat)
    found = _nearest([p["geometry"] for p in pieces], site, to_m)
    if found is None or found[1] >= snap_m:
        return None
    piece = pieces[found[0]]
    kept = [
        _edge_line(G, u, v, d)
        for u, v, d in G.edges(data=True)
        if not (d.get("reversed") and not d.get("oneway"))
    ]
    gap = _nearest(kept, piece["geometry"], to_m)
    meta = G.graph.get("clusterloc", {})
    settings = meta.get("settings", {})
    ways = []
    if meta.get("format") == "lines" and gap is not None:
        if gap[1] <= JOINABLE_M:
            needed = math.ceil(gap[1] / 100.0) * 100
            ways.append(
                f"network.truck.join_tolerance_m (--join-tolerance) of at least {needed:,} m "
                f"joins it (it is {_format_km(gap[1])} from the network)"
            )
        else:
            ways.append(
                f"it lies {_format_km(gap[1])} from the kept network, too far to join: "
                "use a road source that connects it"
            )
    if piece["oneway_edges"] and settings.get("respect_oneway", True):
        ways.append(
            "network.truck.respect_oneway: false (--no-oneway) drives its one-way roads both ways"
        )
    if meta.get("format") != "lines":
        ways.append("an extract reaching further around it keeps its connections")
    roads = ", ".join(piece["roads"]) if piece["roads"] else "unnamed"
    how = "; ".join(ways) if ways else "move the site nearer to the kept network"
    return (
        f"its nearest road, {_format_km(found[1])} away ({roads}, a piece of "
        f"{piece['km']:,.1f} km), was dropped when the network was built because a truck "
        f"cannot both reach it from the rest of the network and leave it again; {how}"
    )


def small_network_hint(meta: dict[str, Any], settings: dict[str, Any]) -> str:
    """What would keep more of a source whose truck network came out small or empty.

    Names the options that help: more road classes (with the other classes the source
    has, when known), one-way roads driven both ways, a larger extract.

    Parameters
    ----------
    meta
        Build metadata (``format``, optional ``classes_seen``).
    settings
        The truck settings as a dict (``road_classes``, ``respect_oneway``).

    Returns
    -------
    str
        A clause starting "to keep more: ...".
    """
    classes = set(settings.get("road_classes", ()))
    seen = meta.get("classes_seen", {})
    others = [f"{c} {n}" for c, n in seen.items() if c and c not in classes][:4]
    more = f" (the file also has {', '.join(others)} ways)" if others else ""
    parts = [f"add road classes with --classes / network.truck.road_classes{more}"]
    if settings.get("respect_oneway", True):
        parts.append("drive one-way roads both ways with --no-oneway / respect_oneway: false")
    if meta.get("format") == "osm":
        parts.append("or use a larger extract (one-way roads that leave a small one are dead ends)")
    elif meta.get("format") == "lines":
        parts.append("or raise --join-tolerance / network.truck.join_tolerance_m")
    return "to keep more: " + ", ".join(parts)
