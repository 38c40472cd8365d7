"""Road line layers (GeoJSON, GeoPackage, Shapefile) → truck graph.

A line layer has geometry but no topology. It is built in three steps:

1. **noding** — every vertex becomes a node; vertices at the same position (to 1e-7°,
   about 1 cm) in different lines are the same node, so lines that share a vertex meet;
   lines that cross at grade (same level, neither a bridge nor a tunnel) are split and
   joined at the crossing; a bridge over a road, or lines at different ``layer`` levels,
   are not (see :mod:`clusterloc.network.line_columns` for the level of a line);
2. **joining** — a line end that touches no other line, and lies within
   ``settings.join_tolerance_m`` of another line at its level, is joined to the nearest
   point of that line by a straight connector edge (the other line is split there); a
   bridge or tunnel meets ground-level roads only at its ends;
3. the common :func:`~clusterloc.network.truck.finish_graph` (largest strongly connected
   component, simplification, travel times).

Direction: a layer with an ``oneway`` column has its one-way lines (``yes``/``1``/``F``
along the line, ``-1``/``T`` against it) built one-way, and OSM's implied one-ways
(roundabouts, motorways) where the value is blank; a layer without the column is two-way.
Truck rules (access, weight, height, width, length, axle load, closures) apply to the
columns of the same names. Attributes kept: ``highway`` (or Geofabrik's ``fclass``),
``ref``, ``name``, ``maxspeed``. A layer without a highway column is taken as ``trunk``
(stated in the metadata as ``highway_assumed``). A layer without a CRS is an error.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely import STRtree

from clusterloc.constants import GRAPH_CRS, WGS84
from clusterloc.errors import NetworkError
from clusterloc.network.calibrate import RoadCorrections
from clusterloc.network.line_columns import level_of, row_tags
from clusterloc.network.osm_reader import Progress
from clusterloc.network.projection import local_projection
from clusterloc.network.settings import TruckSettings
from clusterloc.network.truck import (
    add_paths,
    finish_graph,
    restricted_summary,
    way_direction,
    way_rejection,
    way_speed,
)

__all__ = [
    "ASSUMED_HIGHWAY",
    "LENGTH_FACTOR",
    "graph_from_line_layer",
    "great_circle_m",
    "read_line_layer",
]

log = logging.getLogger(__name__)

#: Private segment attributes (never copied onto graph edges).
LEVEL = "_level"
GRADE_SEPARATED = "_grade_separated"
DIRECTION = "_direction"

#: Highway class given to lines of a layer that has no highway / fclass column.
ASSUMED_HIGHWAY = "trunk"
#: Segment attribute holding a length multiplier (calibrated roads, sourced connectors).
LENGTH_FACTOR = "length_factor"
_EARTH_RADIUS_M = 6_371_009.0  # the radius osmnx uses for great-circle lengths


def great_circle_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    """Great-circle distance in metres (same formula and radius as osmnx).

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Degrees (scalars or arrays of one shape).

    Returns
    -------
    float or numpy.ndarray
    """
    y1, y2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dy = y2 - y1
    dx = np.deg2rad(lon2) - np.deg2rad(lon1)
    h = np.sin(dy / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(dx / 2) ** 2
    h = np.minimum(1, h)
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(h))


def read_line_layer(path: Path) -> gpd.GeoDataFrame:
    """Read a line layer, check its CRS and return it in EPSG:4326.

    Parameters
    ----------
    path
        A ``.geojson`` / ``.gpkg`` / ``.shp`` road layer.

    Returns
    -------
    geopandas.GeoDataFrame
        Its (Multi)LineString rows in EPSG:4326.

    Raises
    ------
    NetworkError
        If the file cannot be read, has no CRS, or holds no line geometry.
    """
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several classes for unreadable files
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NetworkError(f"{path}: cannot read this line layer ({detail}).") from exc
    if gdf.crs is None:
        raise NetworkError(
            f"{path}: the layer has no coordinate reference system; "
            "set one (e.g. EPSG:4326) before building a network from it."
        )
    if len(gdf) == 0:
        raise NetworkError(f"{path}: the layer is empty.")
    if not gdf.crs.equals(pyproj.CRS(WGS84)):
        log.info("%s: reprojecting the layer from %s to EPSG:4326", path, gdf.crs.to_string())
        gdf = gdf.to_crs(WGS84)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    _refuse_projected_as_degrees(gdf, path)
    gdf = gdf[gdf.geom_type.isin(["LineString", "MultiLineString"])]
    if len(gdf) == 0:
        raise NetworkError(f"{path}: the layer holds no LineString or MultiLineString roads.")
    return gdf


def _refuse_projected_as_degrees(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """A layer labelled lon/lat (or GeoJSON without ``crs``) whose numbers are metres."""
    if not len(gdf):
        return
    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    if max(abs(x0), abs(x1)) <= 180 and max(abs(y0), abs(y1)) <= 90:
        return
    raise NetworkError(
        f"{path}: the layer is labelled EPSG:4326 (lon/lat; a GeoJSON without a 'crs' member "
        f"always is) but its coordinates reach ({x1:.0f}, {y1:.0f}), so it looks projected "
        "(metres); declare its CRS in the file (ogr2ogr -a_srs EPSG:<code> out.geojson "
        "in.geojson) or reproject it (ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson)."
    )


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


class _LineGraph:
    """Undirected topology under construction: node coordinates and road segments."""

    def __init__(self) -> None:
        self.index: dict[tuple[int, int], int] = {}
        self.lon: list[float] = []
        self.lat: list[float] = []
        # segments: (node a, node b, part number, attribute dict)
        self.segments: list[tuple[int, int, int, dict[str, Any]]] = []
        self.part_ends: list[tuple[int, int, dict[str, Any]]] = []
        self.part_feature: list[int] = []

    def node(self, lon: float, lat: float) -> int:
        key = (round(lon * 1e7), round(lat * 1e7))
        found = self.index.get(key)
        if found is None:
            found = len(self.lon)
            self.index[key] = found
            self.lon.append(lon)
            self.lat.append(lat)
        return found

    def add_part(self, coords: np.ndarray, attrs: dict[str, Any], feature: int) -> None:
        ids = [self.node(float(x), float(y)) for x, y in coords[:, :2]]
        ids = [n for i, n in enumerate(ids) if i == 0 or n != ids[i - 1]]
        if len(ids) < 2:
            return
        part = len(self.part_ends)
        self.part_ends.append((ids[0], ids[-1], attrs))
        self.part_feature.append(feature)
        for a, b in pairwise(ids):
            self.segments.append((a, b, part, attrs))


def _same_grade(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two lines may meet where they cross: same level and neither a bridge nor a tunnel."""
    return (
        a.get(LEVEL, 0) == b.get(LEVEL, 0)
        and not a.get(GRADE_SEPARATED)
        and not b.get(GRADE_SEPARATED)
    )


def _may_join(end_attrs: dict[str, Any], seg_attrs: dict[str, Any], at_part_end: bool) -> bool:
    """May a dangling line end be joined to a point of another line?

    Only at the same level, except that bridges and tunnels meet ground-level roads at
    their ends: a bridge's own end may join a level-0 line, and a level-0 end may join a
    bridge at one of the bridge's end points (never mid-span).
    """
    end_level, seg_level = end_attrs.get(LEVEL, 0), seg_attrs.get(LEVEL, 0)
    if end_level == seg_level:
        return True
    if end_attrs.get(GRADE_SEPARATED) and seg_level == 0:
        return True
    return bool(seg_attrs.get(GRADE_SEPARATED)) and end_level == 0 and at_part_end


def _node_crossings(lg: _LineGraph) -> tuple[int, int]:
    """Split segments of different lines where they cross at grade.

    Returns the number of crossings noded and of crossings left apart because the lines
    lie at different levels or one is a bridge or tunnel.
    """
    lon = np.asarray(lg.lon)
    lat = np.asarray(lg.lat)
    seg_a = np.array([s[0] for s in lg.segments])
    seg_b = np.array([s[1] for s in lg.segments])
    lines = shapely.linestrings(
        np.stack([np.stack([lon[seg_a], lat[seg_a]], 1), np.stack([lon[seg_b], lat[seg_b]], 1)], 1)
    )
    tree = STRtree(lines)
    left, right = tree.query(lines, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    splits: dict[int, list[tuple[float, int]]] = defaultdict(list)
    crossings = 0
    separated = 0
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        si, sj = lg.segments[i], lg.segments[j]
        if si[2] == sj[2]:
            continue
        if {si[0], si[1]} & {sj[0], sj[1]}:
            continue  # already share a vertex
        if not _same_grade(si[3], sj[3]):
            separated += 1
            continue  # a bridge over (or tunnel under) the other line: no junction
        point = lines[i].intersection(lines[j])
        if point.geom_type != "Point":
            continue  # overlapping collinear pieces: leave them
        node = lg.node(point.x, point.y)
        crossings += 1
        for k in (i, j):
            a, b = lg.segments[k][0], lg.segments[k][1]
            if node not in (a, b):
                splits[k].append((float(lines[k].project(point, normalized=True)), node))
    _apply_splits(lg, splits)
    return crossings, separated


def _apply_splits(lg: _LineGraph, splits: dict[int, list[tuple[float, int]]]) -> None:
    """Replace each split segment by a chain through its new points, in order along it."""
    if not splits:
        return
    new_segments: list[tuple[int, int, int, dict[str, Any]]] = []
    for i, (a, b, part, attrs) in enumerate(lg.segments):
        if i not in splits:
            new_segments.append((a, b, part, attrs))
            continue
        chain = [a] + [n for _, n in sorted(set(splits[i]))] + [b]
        chain = [n for k, n in enumerate(chain) if k == 0 or n != chain[k - 1]]
        new_segments.extend((u, v, part, attrs) for u, v in pairwise(chain))
    lg.segments = new_segments


def _components(lg: _LineGraph) -> np.ndarray:
    """Connected-component label of every node under the current segments."""
    n = len(lg.lon)
    a = np.array([s[0] for s in lg.segments])
    b = np.array([s[1] for s in lg.segments])
    adj = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    labels: np.ndarray = connected_components(adj, directed=False)[1]
    return labels


def _near_end(
    line: shapely.LineString,
    point: shapely.Point,
    lg: _LineGraph,
    seg: int,
    part_end_nodes: set[int],
) -> bool:
    """Does the nearest point of segment ``seg`` to ``point`` fall on a line end (within 1 m)?"""
    a, b = lg.segments[seg][0], lg.segments[seg][1]
    t = float(line.project(point))
    length = float(line.length)
    return (t < 1.0 and a in part_end_nodes) or (length - t < 1.0 and b in part_end_nodes)


def _join_round(lg: _LineGraph, tolerance_m: float, done: set[tuple[int, int]]) -> int:
    """One round of end joining; returns the number of connectors added."""
    parts_at: dict[int, set[int]] = defaultdict(set)
    for a, b, part, _ in lg.segments:
        if part >= 0:
            parts_at[a].add(part)
            parts_at[b].add(part)
    label = _components(lg)
    lon = np.asarray(lg.lon)
    lat = np.asarray(lg.lat)
    to_m, _ = local_projection(lon, lat)
    x, y = to_m.transform(lon, lat)
    seg_a = np.array([s[0] for s in lg.segments])
    seg_b = np.array([s[1] for s in lg.segments])
    lines = shapely.linestrings(
        np.stack([np.stack([x[seg_a], y[seg_a]], 1), np.stack([x[seg_b], y[seg_b]], 1)], 1)
    )
    tree = STRtree(lines)
    ends = sorted({n for a, b, _ in lg.part_ends for n in (a, b) if len(parts_at[n]) == 1})
    splits: dict[int, list[tuple[float, int]]] = defaultdict(list)
    connectors: list[tuple[int, int, dict[str, Any]]] = []
    part_end_nodes = {n for a, b, _ in lg.part_ends for n in (a, b)}
    for end in ends:
        own = next(iter(parts_at[end]))
        own_attrs = lg.part_ends[own][2]
        point = shapely.Point(x[end], y[end])
        hits = tree.query(point, predicate="dwithin", distance=tolerance_m)
        ranked = sorted(
            (float(lines[h].distance(point)), int(h))
            for h in hits
            if lg.segments[h][2] not in (own, -1)
            and _may_join(
                own_attrs, lg.segments[h][3], _near_end(lines[h], point, lg, h, part_end_nodes)
            )
        )
        if not ranked:
            continue
        # the nearest other piece of line, the nearest line of another feature (another
        # road) and the nearest line of another connected piece, when they differ
        feature = lg.part_feature[own]
        chosen = {ranked[0][1]}
        other_feature = [h for _, h in ranked if lg.part_feature[lg.segments[h][2]] != feature]
        other_piece = [h for _, h in ranked if label[lg.segments[h][0]] != label[end]]
        chosen.update(hits_[0] for hits_ in (other_feature, other_piece) if hits_)
        for seg in sorted(chosen):
            a, b, _, attrs = lg.segments[seg]
            t = float(lines[seg].project(point, normalized=True))
            seg_len = float(lines[seg].length)
            if t * seg_len < 1.0:
                target = a
            elif (1 - t) * seg_len < 1.0:
                target = b
            else:
                px = x[a] + t * (x[b] - x[a])
                py = y[a] + t * (y[b] - y[a])
                plon, plat = to_m.transform(px, py, direction="INVERSE")
                target = lg.node(float(plon), float(plat))
                splits[seg].append((t, target))
            pair = (min(end, target), max(end, target))
            if target != end and pair not in done:
                done.add(pair)
                plain = {k: v for k, v in attrs.items() if k != LENGTH_FACTOR}
                connectors.append((end, target, plain))
    _apply_splits(lg, splits)
    for end, target, attrs in connectors:
        lg.segments.append((end, target, -1, attrs))
    return len(connectors)


def _join_dangling_ends(lg: _LineGraph, tolerance_m: float) -> dict[str, int]:
    """Join line ends that touch no other line to the nearest lines within the tolerance.

    Rounds repeat (at most five) while they still add connectors, since a join can bring a
    piece near enough to be joined in turn.
    """
    done: set[tuple[int, int]] = set()
    joined = 0
    for _ in range(5):
        added = _join_round(lg, tolerance_m, done)
        joined += added
        if added == 0:
            break
    return {"connectors": joined}


def _scaled(attrs: dict[str, Any], factor: float) -> dict[str, Any]:
    """``attrs`` with a length factor (the same dict when the factor is 1)."""
    return attrs if factor == 1.0 else dict(attrs, **{LENGTH_FACTOR: float(factor)})


def graph_from_line_layer(
    path: Path,
    settings: TruckSettings,
    metadata: dict[str, Any],
    progress: Progress | None = None,
    corrections: RoadCorrections | None = None,
) -> nx.MultiDiGraph:
    """Build the truck graph of a road line layer.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or Shapefile of LineString / MultiLineString roads.
    settings
        Truck settings (road classes, speeds, ``join_tolerance_m``).
    metadata
        Source description stored in ``G.graph["clusterloc"]``.
    progress
        Optional callback told the name of each step as it starts.
    corrections
        Calibrated sections and connector roads (:mod:`clusterloc.network.calibrate`),
        applied before noding.

    Returns
    -------
    networkx.MultiDiGraph
        Truck network (largest strongly connected component, simplified); a layer's
        one-way lines are one-way when it has an ``oneway`` column.
    """
    if progress:
        progress("reading lines")
    gdf = read_line_layer(path)
    columns = {c.lower(): c for c in gdf.columns}
    class_col = columns.get("highway") or columns.get("fclass")
    ref_col, name_col, speed_col = columns.get("ref"), columns.get("name"), columns.get("maxspeed")
    has_oneway = "oneway" in columns
    if class_col is None:
        log.info("%s: no highway column; every line is taken as '%s'", path, ASSUMED_HIGHWAY)
    lg = _LineGraph()
    skipped = 0
    dropped: Counter[str] = Counter()
    dropped_m: dict[str, float] = defaultdict(float)
    counts: Counter[str] = Counter()
    for feature, record in enumerate(gdf.to_dict("records")):  # keeps "hgv:conditional"
        highway = _text(record[class_col]) if class_col else ASSUMED_HIGHWAY
        if highway not in settings.road_classes:
            skipped += 1
            continue
        tags = row_tags(record, columns, path, feature)
        tags["highway"] = str(highway)
        posted = _text(record[speed_col]) if speed_col else None
        if posted is not None and posted != "0":
            tags["maxspeed"] = posted
        geom = record["geometry"]
        reason = way_rejection(tags, settings)
        if reason is not None:
            dropped[reason] += 1
            dropped_m[reason] += _line_length_m(geom)
            continue
        attrs = _feature_attrs(record, tags, (ref_col, name_col), settings, has_oneway)
        counts["oneway"] += attrs[DIRECTION] != 0
        counts["grade_separated"] += attrs[GRADE_SEPARATED]
        if corrections is None:
            for part in shapely.get_parts(geom):
                lg.add_part(shapely.get_coordinates(part), attrs, feature)
            continue
        for coords, factor in corrections.calibrated_parts(attrs.get("ref"), geom):
            lg.add_part(coords, _scaled(attrs, factor), feature)
    if not lg.segments:
        classes = ", ".join(settings.road_classes)
        raise NetworkError(f"{path}: no line of the road classes {classes}.")
    if progress:
        progress("joining line ends")
    crossings, separated_crossings = _node_crossings(lg)
    joins = _join_dangling_ends(lg, settings.join_tolerance_m)
    if corrections is not None:
        # after joining: a connector meets roads only at shared vertices, and its presence
        # does not stop a dangling source end from being joined
        speed = way_speed({"highway": ASSUMED_HIGHWAY}, settings)
        for offset, (con, coords, factor) in enumerate(corrections.connector_parts()):
            attrs = {"highway": ASSUMED_HIGHWAY, "ref": con.ref, "speed_kph": speed}
            if con.name:
                attrs["name"] = con.name
            lg.add_part(coords, _scaled(attrs, factor), len(gdf) + offset)
    if progress:
        progress("building graph")
    G = nx.MultiDiGraph(crs=GRAPH_CRS)
    xy = np.column_stack([np.asarray(lg.lon), np.asarray(lg.lat)])
    # consecutive segments of one line part form a chain; each connector is its own chain
    chains: list[tuple[list[int], dict[str, Any], bool]] = []
    last_part = None
    connector_m = 0.0
    for a, b, part, attrs in lg.segments:
        if part < 0:
            connector_m += float(great_circle_m(xy[a, 0], xy[a, 1], xy[b, 0], xy[b, 1]))
        if part >= 0 and part == last_part and chains[-1][0][-1] == a:
            chains[-1][0].append(b)
        else:
            chains.append(([a, b], attrs, part < 0))
        last_part = part
    add_paths(G, [_travel_chain(nodes, attrs, part_ok) for nodes, attrs, part_ok in chains], xy)
    meta = dict(metadata)
    meta["lines"] = {
        "features": len(gdf),
        "skipped_features": skipped,
        "parts": len(lg.part_ends),
        "highway_assumed": None if class_col else ASSUMED_HIGHWAY,
        "join_tolerance_m": settings.join_tolerance_m,
        "crossings_noded": crossings,
        "crossings_grade_separated": separated_crossings,
        "oneway_features": counts["oneway"],
        "grade_separated_features": counts["grade_separated"],
        "oneway_column": has_oneway,
        **joins,
        "connector_km": round(connector_m / 1000.0, 6),
    }
    if corrections is not None:
        meta["corrections"] = {"file": str(corrections.path), "applied": corrections.applied}
    meta["restricted"] = restricted_summary(dropped, dropped_m)
    return finish_graph(G, settings, meta, what=str(path))


def _feature_attrs(
    record: dict[str, Any],
    tags: dict[str, str],
    ref_name_cols: tuple[str | None, str | None],
    settings: TruckSettings,
    has_oneway: bool,
) -> dict[str, Any]:
    """Edge attributes of a kept feature, with its level, grade separation and direction."""
    attrs: dict[str, Any] = {"highway": tags["highway"]}
    for key, col in zip(("ref", "name"), ref_name_cols, strict=True):
        value = _text(record[col]) if col else None
        if value is not None:
            attrs[key] = value
    attrs["speed_kph"] = way_speed(tags, settings)
    attrs[LEVEL], attrs[GRADE_SEPARATED] = level_of(tags)
    attrs[DIRECTION] = way_direction(tags, settings) if has_oneway else 0
    return attrs


def _line_length_m(geom: Any) -> float:
    """Great-circle length (m) of a lon/lat (Multi)LineString."""
    total = 0.0
    for part in shapely.get_parts(geom):
        xy = shapely.get_coordinates(part)
        if len(xy) >= 2:
            total += float(np.sum(great_circle_m(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])))
    return total


def _travel_chain(
    nodes: list[int], attrs: dict[str, Any], connector: bool
) -> tuple[list[int], dict[str, Any], bool]:
    """A chain of one line in travel direction, with the builder's private keys removed.

    A connector (a join between line ends) is always two-way.
    """
    direction = 0 if connector else attrs.get(DIRECTION, 0)
    edge_attrs = {k: v for k, v in attrs.items() if not k.startswith("_")}
    return (nodes[::-1] if direction == -1 else nodes), edge_attrs, direction != 0
