"""Truck rules: which ways a truck may use, in which direction, how fast; graph assembly.

Every source (OSM file, line layer, online download) ends in :func:`finish_graph`, so all
graphs share one form: an osmnx-compatible ``MultiDiGraph`` with edge ``length`` (m),
``speed_kph``, ``travel_time`` (s), ``highway`` and, when known, ``ref`` / ``name``; node
``x`` / ``y`` in lon/lat; ``G.graph["crs"] == "epsg:4326"`` and build metadata in
``G.graph["clusterloc"]``.

Rules (see ``docs/network.md``):

* road class: ``highway`` must be one of ``settings.road_classes``; ``area=yes`` is dropped;
* access: ``hgv=no``, else ``motor_vehicle=no|private``, else ``access=no|private`` drops
  the way; an explicit ``hgv`` / ``motor_vehicle`` permission (yes, designated,
  destination, delivery, permissive) overrides a more general prohibition;
* truck profile: posted weight, axle load, height, width and length limits below the
  profile, and seasonal closures (:func:`restriction`, in :mod:`.restrictions`), drop the way;
* direction: ``oneway=yes|true|1`` forward only, ``oneway=-1|reverse`` backward only,
  ``junction=roundabout|circular`` and ``highway=motorway`` (without ``oneway=no``) are
  one-way (OSM's implied one-way rules); ``settings.respect_oneway=False`` ignores them;
* speed: ``settings.speed_for(highway)``, capped by a posted ``maxspeed:hgv`` /
  ``maxspeed`` when that is lower.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import groupby, pairwise
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
from shapely.geometry import LineString

from clusterloc.constants import GRAPH_CRS
from clusterloc.errors import NetworkError
from clusterloc.network.dropped import DROPPED_KEY, dropped_pieces, small_network_hint
from clusterloc.network.restrictions import RESTRICTION_TAGS, parse_weight_t, restriction
from clusterloc.network.settings import DEFAULT_ROAD_CLASSES, TruckSettings

__all__ = [
    "BUILD_VERSION",
    "EDGE_TAGS",
    "RESTRICTION_REASONS",
    "WAY_TAGS",
    "add_paths",
    "add_ways",
    "finish_graph",
    "main_class",
    "parse_maxspeed",
    "parse_maxweight",
    "restricted_summary",
    "restriction",
    "way_direction",
    "way_rejection",
    "way_speed",
]

log = logging.getLogger(__name__)

#: Version of the graph-building rules; part of the cache key.
BUILD_VERSION = 3

#: OSM way tags read from a source (everything the rules need, plus what is kept on edges).
WAY_TAGS: tuple[str, ...] = (
    "highway",
    "ref",
    "name",
    "oneway",
    "junction",
    "maxspeed",
    "maxspeed:hgv",
    "access",
    "hgv",
    "motor_vehicle",
    "area",
    "lanes",
    *RESTRICTION_TAGS,
)

#: Way tags copied onto graph edges.
EDGE_TAGS: tuple[str, ...] = ("highway", "ref", "name", "maxspeed", "lanes", "junction")

_ALLOW = {"yes", "designated", "destination", "delivery", "permissive", "agricultural;hgv"}
_DENY = {"no", "private"}
_ONEWAY_FORWARD = {"yes", "true", "1"}
_ONEWAY_BACKWARD = {"-1", "reverse"}


def parse_maxweight(value: str | None) -> float | None:
    """Parse an OSM ``maxweight`` value to tonnes (None when absent, ``none`` or unreadable).

    Understands ``"7.5"``, ``"12 t"``, ``"3.5t"``, ``"8000 kg"``, ``"10 st"`` (short tons) and
    ``"20000 lbs"`` (:func:`clusterloc.network.restrictions.parse_weight_t`).

    Parameters
    ----------
    value
        The tag value.

    Returns
    -------
    float or None
    """
    return parse_weight_t(value)


def parse_maxspeed(value: str | None) -> float | None:
    """Parse an OSM ``maxspeed`` value to km/h (None for ``none``, zones or unreadable text).

    Parameters
    ----------
    value
        The tag value.

    Returns
    -------
    float or None
    """
    if value is None:
        return None
    text = str(value).split(";")[0].strip().lower()
    match = re.match(r"^([0-9]+(?:\.[0-9]+)?)\s*(mph|km/h|kmh|kph)?$", text)
    if match is None:
        return None
    speed = float(match.group(1))
    if match.group(2) == "mph":
        speed *= 1.609344
    return speed if speed > 0 else None


def way_rejection(tags: Mapping[str, str], settings: TruckSettings) -> str | None:
    """Why a truck may not use a way, or None when it may.

    Returns one of ``"class"``, ``"area"``, ``"access"``, a truck-profile reason of
    :func:`restriction` (``"maxweight"``, ``"maxaxleload"``, ``"maxheight"``,
    ``"maxwidth"``, ``"maxlength"``, ``"closure"``) or None.

    Parameters
    ----------
    tags
        The way's OSM tags.
    settings
        The truck settings.

    Returns
    -------
    str or None
    """
    if tags.get("highway") not in settings.road_classes:
        return "class"
    if tags.get("area") == "yes":
        return "area"
    hgv = tags.get("hgv")
    motor = tags.get("motor_vehicle")
    if hgv in _DENY:
        return "access"
    if hgv not in _ALLOW:
        if motor in _DENY:
            return "access"
        if motor not in _ALLOW and tags.get("access") in _DENY:
            return "access"
    return restriction(tags, settings)


#: Rejection reasons whose km are counted as "restricted" (the way is a truck road class).
RESTRICTION_REASONS: tuple[str, ...] = (
    "access",
    "maxweight",
    "maxheight",
    "maxwidth",
    "maxlength",
    "maxaxleload",
    "closure",
)


def restricted_summary(ways: Mapping[str, int], metres: Mapping[str, float]) -> dict[str, Any]:
    """``{reason: {"ways": n, "km": km}}`` for the restriction reasons that dropped roads.

    Parameters
    ----------
    ways
        Dropped ways (or line features) per reason.
    metres
        Their road length per reason (m; a way once, whatever its direction).

    Returns
    -------
    dict
        Only the restriction reasons (:data:`RESTRICTION_REASONS`) that dropped something.
    """
    return {
        reason: {"ways": int(ways[reason]), "km": round(float(metres.get(reason, 0.0)) / 1000, 3)}
        for reason in RESTRICTION_REASONS
        if ways.get(reason)
    }


def way_direction(tags: Mapping[str, str], settings: TruckSettings) -> int:
    """Direction a truck may travel a way: 1 along its nodes, -1 against them, 0 both ways.

    Parameters
    ----------
    tags
        The way's OSM tags.
    settings
        The truck settings.

    Returns
    -------
    int
    """
    if not settings.respect_oneway:
        return 0
    oneway = tags.get("oneway")
    if oneway in _ONEWAY_FORWARD:
        return 1
    if oneway in _ONEWAY_BACKWARD:
        return -1
    if oneway is not None:
        return 0
    if tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") == "motorway":
        return 1
    return 0


def way_speed(tags: Mapping[str, str], settings: TruckSettings) -> float:
    """Truck speed (km/h) on a way: the class speed, capped by a lower posted limit.

    Parameters
    ----------
    tags
        The way's OSM tags.
    settings
        The truck settings.

    Returns
    -------
    float
    """
    speed = settings.speed_for(tags.get("highway"))
    posted = parse_maxspeed(tags.get("maxspeed:hgv")) or parse_maxspeed(tags.get("maxspeed"))
    if posted is not None and posted < speed:
        speed = posted
    return speed


def add_paths(
    G: nx.MultiDiGraph,
    paths: list[tuple[list[int], dict[str, Any], bool]],
    coords: Mapping[int, tuple[float, float]] | Any,
) -> int:
    """Add node paths to ``G`` with only junctions as graph nodes.

    A junction is a path end or a node used more than once over all paths. Each run of a
    path between two junctions becomes one edge with ``geometry`` (when it has interior
    vertices), great-circle ``length`` summed over its vertices (as osmnx computes it),
    ``interior_nodes`` and the path's attributes; a path that is not one-way also gets the
    reverse edge (``reversed=True``). An attribute ``length_factor`` (line layers:
    calibrated roads and sourced connectors) multiplies the lengths and is not kept.

    Parameters
    ----------
    G
        Graph to add to.
    paths
        ``(nodes, attrs, oneway)`` triples; ``nodes`` in travel direction.
    coords
        ``node -> (lon, lat)`` (a mapping or an indexable array).

    Returns
    -------
    int
        Number of distinct nodes on the paths (before reduction to junctions).
    """
    uses: Counter[int] = Counter()
    for nodes, _, _ in paths:
        uses.update(nodes)
        uses[nodes[0]] += 1  # path ends are always junctions
        uses[nodes[-1]] += 1
    for path, given, oneway in paths:
        xy = np.array([coords[n] for n in path], dtype=float)
        steps = ox.distance.great_circle(xy[:-1, 1], xy[:-1, 0], xy[1:, 1], xy[1:, 0])
        factor = given.get("length_factor")
        attrs = given
        if factor is not None:  # calibrated road or sourced connector (line layers)
            steps = steps * float(factor)
            attrs = {k: v for k, v in given.items() if k != "length_factor"}
        cuts = [i for i, n in enumerate(path) if uses[n] > 1]
        for i, j in pairwise(cuts):
            u, v = path[i], path[j]
            for node, k in ((u, i), (v, j)):
                if node not in G:
                    G.add_node(node, x=float(xy[k, 0]), y=float(xy[k, 1]))
            seg = dict(attrs, length=float(np.sum(steps[i:j])), interior_nodes=j - i - 1)
            seg["oneway"] = oneway
            line = LineString(xy[i : j + 1]) if j - i > 1 else None
            if line is not None:
                seg["geometry"] = line
            G.add_edge(u, v, **seg, reversed=False)
            if not oneway:
                back = dict(seg, reversed=True)
                if line is not None:
                    back["geometry"] = line.reverse()
                G.add_edge(v, u, **back)
    return len(uses)


def add_ways(
    G: nx.MultiDiGraph,
    ways: Iterable[tuple[int, list[int], dict[str, str]]],
    coords: Mapping[int, tuple[float, float]],
    settings: TruckSettings,
) -> dict[str, int]:
    """Add OSM ways (already filtered by :func:`way_rejection`) to ``G`` as truck edges.

    A way that references a node missing from ``coords`` (a clipped extract) is cut at that
    node: every run of two or more consecutive known nodes becomes a piece of road.

    To keep memory low on large extracts, only *junctions* become graph nodes: piece ends
    and nodes used more than once (shared by ways, or visited twice by one way). Each run
    between two junctions is one edge with its full ``geometry``, its great-circle ``length``
    (the sum over its vertices, as osmnx computes it) and ``interior_nodes`` (vertices
    inside it). The junction set contains every node osmnx's ``simplify_graph`` keeps, so
    the finished graph is the same.

    Parameters
    ----------
    G
        The graph to add to (changed in place).
    ways
        ``(way id, node ids, tags)`` per kept way.
    coords
        ``{node id: (lon, lat)}``.
    settings
        The truck settings.

    Returns
    -------
    dict
        ``{"ways": n, "cut_ways": n, "missing_node_refs": n, "raw_nodes": n}``.
    """
    stats = Counter({"ways": 0, "cut_ways": 0, "missing_node_refs": 0})
    pieces: list[tuple[int, list[int], dict[str, str]]] = []
    for way_id, refs, tags in ways:
        nodes = [key for key, _ in groupby(refs)]
        runs: list[list[int]] = [[]]
        for node in nodes:
            if node in coords:
                runs[-1].append(node)
            else:
                stats["missing_node_refs"] += 1
                if runs[-1]:
                    runs.append([])
        found = [run for run in runs if len(run) >= 2]
        if len(found) != 1 or len(found[0]) != len(nodes):
            stats["cut_ways"] += 1
        if not found:
            continue
        stats["ways"] += 1
        pieces.extend((way_id, piece, tags) for piece in found)
    paths = []
    for way_id, piece, tags in pieces:
        direction = way_direction(tags, settings)
        attrs: dict[str, Any] = {"osmid": way_id}
        attrs.update({k: tags[k] for k in EDGE_TAGS if k in tags})
        attrs["speed_kph"] = way_speed(tags, settings)
        paths.append((piece[::-1] if direction == -1 else piece, attrs, direction != 0))
    stats["raw_nodes"] = add_paths(G, paths, coords)
    return dict(stats)


def _class_rank(highway: str) -> int:
    order = list(DEFAULT_ROAD_CLASSES)
    return order.index(highway) if highway in order else len(order)


def main_class(highway: Any) -> str:
    """The most important ``highway`` class of an edge (simplified edges may hold a list).

    Parameters
    ----------
    highway
        The edge's ``highway`` value (string or list).

    Returns
    -------
    str
        ``unknown`` when missing.
    """
    if isinstance(highway, list | tuple):
        values = [str(h) for h in highway]
        return min(values, key=lambda h: (_class_rank(h), h)) if values else "unknown"
    return str(highway) if highway is not None else "unknown"


def _road_km(G: nx.MultiDiGraph) -> float:
    """Km of road in a raw graph, a two-way road counted once (its reversed twin skipped)."""
    metres = sum(d["length"] for _, _, d in G.edges(data=True) if not d.get("reversed"))
    return float(metres) / 1000.0


def _raw_node_count(G: nx.MultiDiGraph) -> int:
    """OSM nodes behind a graph whose edges may hold ``interior_nodes`` (each road once)."""
    interior = sum(
        d.get("interior_nodes", 0) for _, _, d in G.edges(data=True) if not d.get("reversed")
    )
    return int(G.number_of_nodes()) + int(interior)


def _merged_geometry(G: nx.MultiDiGraph, merged: list[tuple[Any, Any]]) -> LineString:
    """Geometry of a simplified edge: its merged edges' geometries end to end.

    Takes for each ``(u, v)`` the first parallel edge, as ``osmnx.simplify_graph`` does.
    """
    coords: list[tuple[float, float]] = []
    for u, v in merged:
        data = next(iter(G.get_edge_data(u, v).values()))
        geom = data.get("geometry")
        if geom is not None:
            part = list(geom.coords)
        else:
            part = [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
        coords.extend(part if not coords else part[1:])
    return LineString(coords)


def finish_graph(
    G: nx.MultiDiGraph,
    settings: TruckSettings,
    metadata: dict[str, Any],
    *,
    what: str,
) -> nx.MultiDiGraph:
    """Lengths, travel times, largest strongly connected component, simplification, metadata.

    Parameters
    ----------
    G
        Raw graph: one edge per pair of consecutive nodes, with ``speed_kph`` set and node
        ``x`` / ``y``; edges may already carry ``length`` (line layers).
    settings
        Truck settings used to build ``G`` (stored in the metadata).
    metadata
        Source description (``source``, ``sha256``, ...) merged into ``G.graph["clusterloc"]``.
    what
        Name of the source for error messages.

    Returns
    -------
    networkx.MultiDiGraph
        The finished truck network.
    """
    if G.number_of_edges() == 0:
        classes = ", ".join(settings.road_classes)
        raise NetworkError(f"{what}: no road a truck may use among the classes {classes}.")
    if any("length" not in d for _, _, d in G.edges(data=True)):
        G = ox.distance.add_edge_lengths(G)
    for _, _, data in G.edges(data=True):
        data["length"] = float(data["length"])
        data["travel_time"] = data["length"] / (data["speed_kph"] / 3.6)

    components = nx.number_weakly_connected_components(G)
    raw_nodes = _raw_node_count(G)
    raw_km = _road_km(G)
    largest = max(nx.strongly_connected_components(G), key=len)
    pieces = dropped_pieces(G, largest)
    G.remove_nodes_from([n for n in list(G) if n not in largest])
    kept_nodes = _raw_node_count(G)
    kept_km = _road_km(G)
    for _, _, data in G.edges(data=True):
        data.pop("interior_nodes", None)
    if G.number_of_edges() == 0:
        hint = small_network_hint(metadata, settings.to_dict())
        raise NetworkError(
            f"{what}: the truck roads ({raw_km:.1f} km) hold no two places that can be reached "
            f"from each other both ways (only disconnected one-way pieces); {hint}."
        )
    if kept_km < raw_km / 2:
        log.warning(
            "%s: only %.1f of %.1f km of truck road are strongly connected; %s",
            what,
            kept_km,
            raw_km,
            small_network_hint(metadata, settings.to_dict()),
        )

    G.graph.pop("simplified", None)
    pre = G
    G = ox.simplify_graph(
        pre, track_merged=True, edge_attr_aggs={"length": sum, "travel_time": sum}
    )
    for _, _, data in G.edges(data=True):
        merged = data.pop("merged_edges", None)
        if merged:
            data["geometry"] = _merged_geometry(pre, merged)
        for key, value in list(data.items()):
            if isinstance(value, list):
                data[key] = sorted(value, key=str)
        if isinstance(data.get("speed_kph"), list) or "geometry" in data:
            hours = data["travel_time"] / 3600.0
            data["speed_kph"] = data["length"] / 1000.0 / hours if hours else 0.0
    G.graph["crs"] = GRAPH_CRS
    meta = dict(metadata)
    meta.update(
        {
            "settings": settings.to_dict(),
            "build_version": BUILD_VERSION,
            "components": components,
            "dropped_nodes": raw_nodes - kept_nodes,
            "dropped_km": round(float(raw_km - kept_km), 3),
        }
    )
    G.graph["clusterloc"] = meta
    G.graph[DROPPED_KEY] = pieces
    log.info(
        "%s: %d nodes, %d edges; %d weak components, %d raw nodes outside the largest "
        "strongly connected component dropped",
        what,
        G.number_of_nodes(),
        G.number_of_edges(),
        components,
        meta["dropped_nodes"],
    )
    return G
