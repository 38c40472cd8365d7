"""One entry point for every road source: :func:`graph_from_file` (and the online trio).

=====================================  =============================================
file name ends with                    read by
=====================================  =============================================
``.osm.pbf``, ``.pbf``                 pyosmium stream (:mod:`.osm_reader`, :mod:`.osm_graph`)
``.osm``, ``.osm.bz2``, ``.osm.gz``    the same reader and builder (:mod:`.osm_graph`)
``.geojson``, ``.gpkg``, ``.shp``      line layer (:mod:`.lines`)
=====================================  =============================================
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import networkx as nx

from clusterloc.errors import NetworkError
from clusterloc.hashing import file_sha256
from clusterloc.network.cache import cache_key, cache_path
from clusterloc.network.calibrate import read_corrections
from clusterloc.network.io import load_graph, save_graph
from clusterloc.network.lines import graph_from_line_layer
from clusterloc.network.online import graph_from_bbox, graph_from_place, graph_from_polygon
from clusterloc.network.osm_graph import graph_from_osm_file
from clusterloc.network.osm_reader import Progress
from clusterloc.network.settings import TruckSettings

log = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")
LINE_SUFFIXES = (".geojson", ".gpkg", ".shp")
SUPPORTED = OSM_SUFFIXES + LINE_SUFFIXES

__all__ = [
    "SUPPORTED",
    "graph_from_bbox",
    "graph_from_file",
    "graph_from_place",
    "graph_from_polygon",
    "source_kind",
]


def source_kind(path: Path) -> str:
    """``"osm"`` or ``"lines"`` from the file name; NetworkError for anything else.

    Parameters
    ----------
    path
        A road source file.

    Returns
    -------
    str
    """
    name = path.name.lower()
    if name.endswith(OSM_SUFFIXES):
        return "osm"
    if name.endswith(LINE_SUFFIXES):
        return "lines"
    raise NetworkError(f"{path}: unknown road source type; expected one of {', '.join(SUPPORTED)}.")


def graph_from_file(
    path: str | os.PathLike[str],
    settings: TruckSettings | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    corrections: str | os.PathLike[str] | None = None,
) -> nx.MultiDiGraph:
    """Build (or reload from cache) the truck network of a road source file.

    Parameters
    ----------
    path
        OSM extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz``) or road line layer
        (``.geojson``, ``.gpkg``, ``.shp``).
    settings
        Truck settings (default :class:`TruckSettings`).
    cache_dir
        Folder of the network cache; None builds without caching. A cached network is used
        only when the source bytes and every setting match (see :mod:`.cache`).
    progress
        Optional callback told the name of each step as it starts (the CLI shows it).
    corrections
        Line layers only: a road corrections GeoJSON (calibrated sections, sourced
        connector roads; see :mod:`clusterloc.network.calibrate`). Its bytes are part of
        the cache key.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx-compatible truck network: edge ``length`` (m), ``speed_kph``, ``travel_time``
        (s), ``highway``, ``ref`` / ``name`` when known; node ``x`` / ``y`` (lon/lat);
        ``G.graph["crs"] == "epsg:4326"``; build metadata in ``G.graph["clusterloc"]``.

    Raises
    ------
    NetworkError
        Missing or unreadable file, unknown type, no usable truck road.
    """
    settings = settings or TruckSettings()
    source = Path(path)
    kind = source_kind(source)
    if not source.exists():
        raise NetworkError(f"{source}: road source file not found.")
    if not source.is_file():
        raise NetworkError(f"{source}: not a file.")
    if progress:
        progress("hashing source")
    sha = file_sha256(source)
    fixes = None
    fixes_sha = None
    if corrections is not None:
        if kind != "lines":
            raise NetworkError(f"{source}: road corrections apply to line layers only.")
        fixes = read_corrections(Path(corrections))
        fixes_sha = file_sha256(Path(corrections))
    entry: Path | None = None
    if cache_dir is not None:
        key_sha = sha if fixes_sha is None else f"{sha}+{fixes_sha}"
        entry = cache_path(Path(cache_dir), source, cache_key(key_sha, settings))
        if entry.is_file():
            try:
                G = load_graph(entry)
                meta = G.graph.get("clusterloc", {})
                if (
                    meta.get("sha256") == sha
                    and meta.get("corrections_sha256") == fixes_sha
                    and meta.get("settings") == settings.to_dict()
                ):
                    log.info("%s: network loaded from cache %s", source, entry)
                    meta["cache"] = str(entry)
                    return G
            except NetworkError as exc:
                log.warning("ignoring unusable cache entry %s: %s", entry, exc)
    metadata: dict[str, object] = {"source": str(source.resolve()), "sha256": sha, "format": kind}
    if fixes_sha is not None:
        metadata["corrections_sha256"] = fixes_sha
    if kind == "osm":
        G = graph_from_osm_file(source, settings, metadata, progress)
    else:
        G = graph_from_line_layer(source, settings, metadata, progress, fixes)
    if entry is not None:
        if progress:
            progress("writing cache")
        save_graph(G, entry)
        log.info("%s: network cached in %s", source, entry)
    return G
