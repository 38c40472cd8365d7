"""Attach sites to the road network at the nearest point of the nearest road.

A built truck graph keeps only junctions as nodes: on a long rural road the nearest
*node* can lie hundreds of kilometres from a site that is right beside the road.
:func:`attach_points` therefore finds, for every site, the nearest point on the nearest
road *edge*, splits that edge there (both directions of a two-way road) and adds the
split point as a new node. Splitting preserves every shortest path of the original graph,
so matrices stay exact; afterwards the nearest node of each site is its attachment point,
and :meth:`clusterloc.network.RoadNetwork.snap` returns the true distance to the road.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import shapely
from shapely import LineString, STRtree
from shapely.ops import substring

from clusterloc.errors import InputError
from clusterloc.network.projection import local_projection

log = logging.getLogger(__name__)

#: A split point closer than this to an edge end (m) reuses the end node.
END_TOLERANCE_M = 1.0

__all__ = ["attach_points"]


@dataclass
class _Split:
    """One road piece to split: a directed edge and its reverse twins."""

    u: Hashable
    v: Hashable
    key: int
    twins: list[tuple[Hashable, Hashable, int]]
    line_m: LineString  # projected geometry oriented u → v
    offsets: list[tuple[float, int]]  # (metres along line_m, site index)


def _reproject(geoms: Any, transformer: pyproj.Transformer) -> Any:
    """Apply a pyproj transformer to one geometry or an array of them (vectorised)."""

    def xy(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, xy)


def _edge_line(G: nx.MultiDiGraph, u: Hashable, v: Hashable, data: dict[str, Any]) -> LineString:
    """Edge geometry in lon/lat, oriented from ``u`` to ``v``."""
    pu = (float(G.nodes[u]["x"]), float(G.nodes[u]["y"]))
    pv = (float(G.nodes[v]["x"]), float(G.nodes[v]["y"]))
    geom = data.get("geometry")
    if geom is None or geom.is_empty:
        return LineString([pu, pv])
    coords = np.asarray(geom.coords)[:, :2]
    d_fwd = np.hypot(*(coords[0] - pu)) + np.hypot(*(coords[-1] - pv))
    d_rev = np.hypot(*(coords[0] - pv)) + np.hypot(*(coords[-1] - pu))
    if d_rev < d_fwd:
        coords = coords[::-1]
    return LineString(coords)


def _new_node_ids(G: nx.MultiDiGraph, count: int) -> list[Hashable]:
    """``count`` fresh node ids: negative integers for integer graphs, else strings."""
    nodes = list(G.nodes)
    if all(isinstance(n, int | np.integer) for n in nodes):
        start = min([0, *[int(n) for n in nodes]]) - 1
        return [start - i for i in range(count)]
    return [f"site-node-{i}" for i in range(count)]


def _find_twins(
    G: nx.MultiDiGraph, u: Hashable, v: Hashable, key: int
) -> list[tuple[Hashable, Hashable, int]]:
    """Reverse edges ``v → u`` of the same road (same length within 1 mm).

    A loop road (``u == v``) is stored once per direction under two keys; the edge
    itself is never its own twin.
    """
    if not G.has_edge(v, u):
        return []
    length = float(G.edges[u, v, key]["length"])
    return [
        (v, u, k)
        for k, d in G[v][u].items()
        if not (u == v and k == key) and abs(float(d.get("length", np.nan)) - length) <= 1e-3
    ]


def attach_points(
    G: nx.MultiDiGraph,
    lon: Sequence[float] | np.ndarray,
    lat: Sequence[float] | np.ndarray,
) -> tuple[nx.MultiDiGraph, list[Hashable]]:
    """Split the nearest road edge of every site at the site's foot point.

    Parameters
    ----------
    G
        Truck road graph (edge ``length`` in m and ``travel_time`` in s; node ``x``/``y``
        lon/lat). It is not modified.
    lon, lat
        Site coordinates in degrees (EPSG:4326).

    Returns
    -------
    tuple of (networkx.MultiDiGraph, list)
        A copy of ``G`` with one new node at each site's nearest road point (sites that
        share a foot point share the node; a foot point within 1 m of an edge end reuses
        that end), and the attachment node of every site, in input order.

    Raises
    ------
    InputError
        If ``lon``/``lat`` differ in length or the graph has no edge.
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    if lon_a.shape != lat_a.shape or lon_a.ndim != 1:
        raise InputError("attach_points: lon and lat must be two sequences of equal length.")
    if G.number_of_edges() == 0:
        raise InputError("attach_points: the road graph has no edge to attach sites to.")
    H = G.copy()
    if len(lon_a) == 0:
        return H, []

    fwd, inv = local_projection(lon_a, lat_a)
    keys: list[tuple[Hashable, Hashable, int]] = []
    twins_of: list[list[tuple[Hashable, Hashable, int]]] = []
    lines: list[LineString] = []
    seen: set[tuple[Hashable, Hashable, int]] = set()
    for u, v, k, data in G.edges(keys=True, data=True):
        if (u, v, k) in seen:
            continue
        twins = _find_twins(G, u, v, k)
        seen.update(twins)
        keys.append((u, v, k))
        twins_of.append(twins)
        lines.append(_edge_line(G, u, v, data))
    lines_m = _reproject(np.asarray(lines, dtype=object), fwd)
    tree = STRtree(lines_m)
    px, py = fwd.transform(lon_a, lat_a)
    points = shapely.points(np.column_stack([px, py]))
    _, nearest = tree.query_nearest(points, all_matches=False)

    splits: dict[int, _Split] = {}
    for site, edge_i in enumerate(np.asarray(nearest, dtype=int)):
        if edge_i not in splits:
            u, v, k = keys[edge_i]
            splits[edge_i] = _Split(u, v, k, twins_of[edge_i], lines_m[edge_i], [])
        split = splits[edge_i]
        split.offsets.append((float(split.line_m.project(points[site])), site))

    site_node: list[Hashable] = [None] * len(lon_a)
    new_ids = iter(_new_node_ids(G, len(lon_a)))
    added = 0
    for split in splits.values():
        added += _split_edge(H, G, split, site_node, new_ids, inv)
    log.info("attached %d sites to the road network (%d new nodes)", len(lon_a), added)
    meta = dict(H.graph.get("clusterloc", {}))
    meta["attached_nodes"] = int(meta.get("attached_nodes", 0)) + added
    H.graph["clusterloc"] = meta
    return H, site_node


def _split_edge(
    H: nx.MultiDiGraph,
    G: nx.MultiDiGraph,
    split: _Split,
    site_node: list[Hashable],
    new_ids: Any,
    inv: pyproj.Transformer,
) -> int:
    """Cut one road (edge ``u → v`` and its twins) at the sites' foot points."""
    total_m = float(split.line_m.length)
    cuts: list[tuple[float, Hashable]] = []  # (metres along, node), interior only
    added = 0
    for offset, site in sorted(split.offsets):
        if offset <= END_TOLERANCE_M or total_m <= END_TOLERANCE_M:
            site_node[site] = split.u
        elif offset >= total_m - END_TOLERANCE_M:
            site_node[site] = split.v
        elif cuts and offset - cuts[-1][0] <= END_TOLERANCE_M:
            site_node[site] = cuts[-1][1]
        else:
            node = next(new_ids)
            x, y = inv.transform(*split.line_m.interpolate(offset).coords[0])
            H.add_node(node, x=float(x), y=float(y), street_count=2, attached=True)
            cuts.append((offset, node))
            site_node[site] = node
            added += 1
    if not cuts:
        return 0

    stops = [(0.0, split.u), *cuts, (total_m, split.v)]
    pieces = [
        (a_node, b_node, _reproject(substring(split.line_m, a, b), inv), (b - a) / total_m)
        for (a, a_node), (b, b_node) in pairwise(stops)
    ]
    _replace(H, G, (split.u, split.v, split.key), pieces)
    for twin in split.twins:
        reversed_pieces = [
            (b_node, a_node, LineString(list(geom.coords)[::-1]), share)
            for a_node, b_node, geom, share in reversed(pieces)
        ]
        _replace(H, G, twin, reversed_pieces)
    return added


def _replace(
    H: nx.MultiDiGraph,
    G: nx.MultiDiGraph,
    edge: tuple[Hashable, Hashable, int],
    pieces: list[tuple[Hashable, Hashable, LineString, float]],
) -> None:
    """Swap ``edge`` for a chain of pieces carrying shares of its length and time."""
    data = dict(G.edges[edge])
    H.remove_edge(*edge)
    for a, b, geom, share in pieces:
        attrs = dict(data)
        attrs["length"] = float(data["length"]) * share
        if "travel_time" in attrs:
            attrs["travel_time"] = float(data["travel_time"]) * share
        attrs["geometry"] = geom
        H.add_edge(a, b, **attrs)
