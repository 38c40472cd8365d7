"""OSM files (XML ``.osm`` / ``.osm.bz2`` / ``.osm.gz`` and ``.osm.pbf``) → truck graph.

XML and PBF go through the same streaming reader (:mod:`clusterloc.network.osm_reader`,
pyosmium reads all four formats) and the same graph builder
(:func:`clusterloc.network.truck.add_ways` + :func:`~clusterloc.network.truck.finish_graph`),
so the same extract in two formats gives the same graph: same node ids, same lengths.
The graph is the one ``osmnx.graph_from_xml`` builds (osmnx's node ids, edge attributes,
great-circle lengths and ``osmnx.simplify_graph``), restricted to the truck roads, with two
differences: ways referencing nodes missing from a clipped extract are cut at the missing
node instead of failing with "Some edges missing nodes", and the largest *strongly*
connected component is kept.
"""

from __future__ import annotations

import bz2
import gzip
import logging
from pathlib import Path
from typing import Any

import networkx as nx

from clusterloc.constants import GRAPH_CRS
from clusterloc.errors import NetworkError
from clusterloc.network.osm_reader import Progress, read_osm_roads
from clusterloc.network.settings import TruckSettings
from clusterloc.network.truck import add_ways, finish_graph, restricted_summary

__all__ = [
    "check_osm_xml",
    "graph_from_osm_file",
]

log = logging.getLogger(__name__)


def check_osm_xml(path: Path) -> None:
    """Fail with a clear message if ``path`` is not (possibly compressed) OSM XML.

    Parameters
    ----------
    path
        An ``.osm`` / ``.osm.bz2`` / ``.osm.gz`` file.

    Raises
    ------
    NetworkError
        If the file cannot be decompressed or does not start like an OSM XML document.
    """
    name = path.name.lower()
    opener: Any = bz2.open if name.endswith(".bz2") else gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(1024)
    except (OSError, EOFError, ValueError) as exc:
        raise NetworkError(f"{path}: cannot read this OSM XML file ({exc}).") from exc
    if not head.strip():
        raise NetworkError(f"{path}: the OSM file is empty.")
    if b"<osm" not in head and b"<?xml" not in head:
        raise NetworkError(f"{path}: this is not OSM XML (no <osm> element at the start).")


def graph_from_osm_file(
    path: Path,
    settings: TruckSettings,
    metadata: dict[str, Any],
    progress: Progress | None = None,
) -> nx.MultiDiGraph:
    """Build the truck graph of an OSM file (XML or PBF).

    Parameters
    ----------
    path
        OSM file.
    settings
        Truck rules.
    metadata
        Source description stored in ``G.graph["clusterloc"]``.
    progress
        Optional callback told the name of each step as it starts.

    Returns
    -------
    networkx.MultiDiGraph
        Truck network (largest strongly connected component, simplified).
    """
    if not path.name.lower().endswith(".pbf"):
        check_osm_xml(path)
    elif path.stat().st_size == 0:
        raise NetworkError(f"{path}: the OSM file is empty.")
    roads = read_osm_roads(path, settings, progress)
    if roads.highway_ways == 0:
        raise NetworkError(f"{path}: the extract contains no roads (no way has a highway tag).")
    if not roads.ways:
        seen = ", ".join(f"{c} {n}" for c, n in roads.classes_seen.most_common(6))
        classes = ", ".join(settings.road_classes)
        raise NetworkError(
            f"{path}: no road a truck may use among the classes {classes} "
            f"(the file has: {seen}; dropped: {dict(roads.dropped_ways)}); "
            "choose classes with --classes / network.truck.road_classes."
        )
    if progress:
        progress("building graph")
    G = nx.MultiDiGraph(crs=GRAPH_CRS)
    stats = add_ways(G, roads.ways, roads.coords, settings)
    meta = dict(metadata)
    meta["ways"] = {
        "highway": roads.highway_ways,
        "kept": stats["ways"],
        "dropped": dict(sorted(roads.dropped_ways.items())),
        "cut_at_missing_nodes": stats["cut_ways"],
        "missing_node_refs": stats["missing_node_refs"],
    }
    meta["classes_seen"] = dict(roads.classes_seen.most_common(12))
    meta["restricted"] = restricted_summary(roads.dropped_ways, roads.restricted_metres())
    if stats["cut_ways"]:
        log.info(
            "%s: %d ways cut at %d node references missing from the extract",
            path,
            stats["cut_ways"],
            stats["missing_node_refs"],
        )
    return finish_graph(G, settings, meta, what=str(path))
