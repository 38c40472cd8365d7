"""Road networks for trucks: OSM / line sources → truck MultiDiGraph → snapping and matrices.

Build a graph with :func:`graph_from_file` (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``,
``.geojson``, ``.gpkg``, ``.shp``) or the online :func:`graph_from_place` /
:func:`graph_from_bbox` / :func:`graph_from_polygon`; save and reload it with
:func:`save_graph` / :func:`load_graph`; summarise it with :func:`graph_info`; attach sites to the
nearest road point with :func:`attach_points`; route over it with :class:`RoadNetwork` and
:func:`lane_table`.

Heavy modules are imported on first use, so ``import clusterloc.network`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from clusterloc.network.settings import DEFAULT_ROAD_CLASSES, DEFAULT_SPEEDS_KPH, TruckSettings

if TYPE_CHECKING:
    from clusterloc.network.attach import attach_points
    from clusterloc.network.info import edges_geodataframe, graph_info
    from clusterloc.network.io import load_graph, save_graph
    from clusterloc.network.lanes import lane_table
    from clusterloc.network.routing import RoadNetwork
    from clusterloc.network.sources import (
        graph_from_bbox,
        graph_from_file,
        graph_from_place,
        graph_from_polygon,
    )

_LAZY: dict[str, str] = {
    "graph_from_file": "clusterloc.network.sources",
    "graph_from_place": "clusterloc.network.sources",
    "graph_from_bbox": "clusterloc.network.sources",
    "graph_from_polygon": "clusterloc.network.sources",
    "save_graph": "clusterloc.network.io",
    "load_graph": "clusterloc.network.io",
    "graph_info": "clusterloc.network.info",
    "edges_geodataframe": "clusterloc.network.info",
    "RoadNetwork": "clusterloc.network.routing",
    "lane_table": "clusterloc.network.lanes",
    "attach_points": "clusterloc.network.attach",
}

__all__ = [
    "DEFAULT_ROAD_CLASSES",
    "DEFAULT_SPEEDS_KPH",
    "RoadNetwork",
    "TruckSettings",
    "attach_points",
    "edges_geodataframe",
    "graph_from_bbox",
    "graph_from_file",
    "graph_from_place",
    "graph_from_polygon",
    "graph_info",
    "lane_table",
    "load_graph",
    "save_graph",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'clusterloc.network' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
