"""Online sources: download truck roads for a place, bounding box or polygon with osmnx.

A thin layer over :func:`osmnx.graph_from_polygon` with a truck ``custom_filter`` (the road
classes only; access, weight and speed rules need tags Overpass cannot combine, so they are
applied to the downloaded edges by the same rules as for files). The download keeps the tags
the rules need by widening ``osmnx.settings.useful_tags_way`` for the call.

Direction on this path follows osmnx's own one-way rules (``oneway`` and roundabouts).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import networkx as nx
import osmnx as ox
from shapely.geometry import MultiPolygon, Polygon, box

from clusterloc.constants import GRAPH_CRS
from clusterloc.errors import NetworkError
from clusterloc.network.settings import TruckSettings
from clusterloc.network.truck import (
    EDGE_TAGS,
    RESTRICTION_REASONS,
    WAY_TAGS,
    finish_graph,
    restricted_summary,
    way_rejection,
    way_speed,
)

__all__ = [
    "graph_from_bbox",
    "graph_from_osmnx",
    "graph_from_place",
    "graph_from_polygon",
    "truck_filter",
]

log = logging.getLogger(__name__)


def truck_filter(settings: TruckSettings) -> str:
    """Overpass filter selecting the truck road classes (and no areas).

    Parameters
    ----------
    settings
        The truck settings (road classes).

    Returns
    -------
    str

    Examples
    --------
    >>> truck_filter(TruckSettings(road_classes=("trunk", "primary")))
    '["highway"~"^(primary|trunk)$"]["area"!~"yes"]'
    """
    classes = "|".join(sorted(set(settings.road_classes)))
    return f'["highway"~"^({classes})$"]["area"!~"yes"]'


@contextmanager
def _way_tags_kept() -> Iterator[None]:
    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(saved) | set(WAY_TAGS))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


def graph_from_osmnx(
    G: nx.MultiDiGraph, settings: TruckSettings, metadata: dict[str, Any], *, what: str
) -> nx.MultiDiGraph:
    """Turn an unsimplified osmnx graph (with way tags on edges) into a truck network.

    Edges are dropped by :func:`~clusterloc.network.truck.way_rejection`, given truck
    speeds by :func:`~clusterloc.network.truck.way_speed`, then finished like every source.

    Parameters
    ----------
    G
        The osmnx graph (``simplify=False``, way tags kept).
    settings
        The truck settings.
    metadata
        Source description merged into ``G.graph["clusterloc"]``.
    what
        Name of the query, for messages.

    Returns
    -------
    networkx.MultiDiGraph
        The truck network.
    """
    if G.graph.get("simplified"):
        raise NetworkError(f"{what}: expected an unsimplified osmnx graph.")
    raw = nx.MultiDiGraph(crs=GRAPH_CRS)
    dropped: dict[str, int] = {}
    restricted_ways: dict[str, set[Any]] = defaultdict(set)
    restricted_m: dict[str, float] = defaultdict(float)
    for u, v, data in G.edges(data=True):
        tags = {k: str(data[k]) for k in WAY_TAGS if k in data and data[k] is not None}
        reason = way_rejection(tags, settings)
        if reason is not None:
            dropped[reason] = dropped.get(reason, 0) + 1
            if reason in RESTRICTION_REASONS:
                restricted_ways[reason].add(str(data.get("osmid")))
                if not data.get("reversed"):
                    restricted_m[reason] += float(data.get("length", 0.0))
            continue
        for node in (u, v):
            if node not in raw:
                raw.add_node(node, x=G.nodes[node]["x"], y=G.nodes[node]["y"])
        attrs = {k: data[k] for k in EDGE_TAGS if k in data}
        attrs.update(
            osmid=data.get("osmid"),
            oneway=bool(data.get("oneway", False)),
            reversed=bool(data.get("reversed", False)),
            length=float(data["length"]),
            speed_kph=way_speed(tags, settings),
        )
        raw.add_edge(u, v, **attrs)
    meta = dict(metadata)
    meta["edges_dropped"] = dict(sorted(dropped.items()))
    counts = {reason: len(ways) for reason, ways in restricted_ways.items()}
    meta["restricted"] = restricted_summary(counts, restricted_m)
    return finish_graph(raw, settings, meta, what=what)


def graph_from_polygon(
    polygon: Polygon | MultiPolygon, settings: TruckSettings | None = None
) -> nx.MultiDiGraph:
    """Download the truck network inside a lon/lat polygon (needs internet access).

    Parameters
    ----------
    polygon
        Area in EPSG:4326.
    settings
        Truck settings (default :class:`TruckSettings`).

    Returns
    -------
    networkx.MultiDiGraph
        Truck network in the common form.
    """
    settings = settings or TruckSettings()
    what = f"polygon {polygon.bounds}"
    try:
        with _way_tags_kept():
            G = ox.graph_from_polygon(
                polygon,
                network_type="drive",
                simplify=False,
                retain_all=True,
                truncate_by_edge=True,
                custom_filter=truck_filter(settings),
            )
    except NetworkError:
        raise
    except Exception as exc:  # osmnx / requests raise many classes when offline
        raise NetworkError(f"{what}: could not download OpenStreetMap roads ({exc}).") from exc
    return graph_from_osmnx(G, settings, {"source": what, "sha256": None}, what=what)


def graph_from_bbox(
    bbox: tuple[float, float, float, float], settings: TruckSettings | None = None
) -> nx.MultiDiGraph:
    """Download the truck network in ``bbox = (west, south, east, north)`` (lon/lat degrees).

    Parameters
    ----------
    bbox
        ``(west, south, east, north)``.
    settings
        Truck settings (defaults when ``None``).

    Returns
    -------
    networkx.MultiDiGraph
        The truck network.
    """
    west, south, east, north = bbox
    if not (west < east and south < north):
        raise NetworkError(
            f"bbox {bbox}: expected (west, south, east, north) with west < east and south < north."
        )
    return graph_from_polygon(box(west, south, east, north), settings)


def graph_from_place(query: str, settings: TruckSettings | None = None) -> nx.MultiDiGraph:
    """Download the truck network of a named place (geocoded by Nominatim through osmnx).

    Parameters
    ----------
    query
        A place name, e.g. ``"Almaty, Kazakhstan"``.
    settings
        Truck settings (defaults when ``None``).

    Returns
    -------
    networkx.MultiDiGraph
        The truck network.
    """
    try:
        gdf = ox.geocode_to_gdf(query)
    except Exception as exc:
        raise NetworkError(f"place '{query}': could not geocode it ({exc}).") from exc
    polygon = gdf.geometry.iloc[0]
    if not isinstance(polygon, Polygon | MultiPolygon):
        raise NetworkError(f"place '{query}': geocoding gave no area (got a {polygon.geom_type}).")
    return graph_from_polygon(polygon, settings)
