"""Road corrections for line layers: sourced connector roads and calibrated road lengths.

A road line layer derived from OSM can be wrong in two ways that no setting fixes: a road
may be drawn only schematically (a few straight segments, so it is too short), or a road
that exists may be missing (the last kilometres to a border checkpoint). A *corrections*
file — a GeoJSON of LineStrings that the project owns and sources — fixes both without
editing the shared source file. Each feature has the properties

``kind``
    ``replace``, ``calibrate`` or ``connector``.
``ref``
    Road reference. For ``replace`` and ``calibrate``: the ``ref`` of a road of the source
    layer. For ``connector``: the ``ref`` given to the new road.
``km``
    The sourced length in kilometres (> 0).
``name``, ``source``
    What it is and where the length comes from (text; ``source`` must not be empty).

``replace``: the road ``ref`` of the source layer is drawn along the feature's line instead
(use it for a schematic road whose vertices miss the towns it runs through: a line through
the OSM place points of the towns in the road's official name is a better sketch); its
length is ``km``, spread over the new line's segments in proportion to their geodesic
lengths. The new line is noded and joined like any source road.

``calibrate``: the feature's first and last points mark a section of road ``ref`` (each is
projected onto the road line); every segment inside the section has its length multiplied
by ``km / (geodesic length of the section)``, so the section totals ``km``. Lengths are
scaled along the road, not moved: the geometry, and therefore every junction, stays where
it is; travel times follow the new lengths.

``connector``: the feature's line is added as a two-way ``trunk`` road after the source
roads have been noded and joined; its length is ``km`` (spread over its segments in
proportion to their geodesic lengths). A connector meets a road only where one of its
points *is* a vertex of that road (to 1e-7 degrees): put its ends there. Any other end (a
border checkpoint) stays a dead end, and a connector that crosses a road does not meet it.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from clusterloc.errors import NetworkError

log = logging.getLogger(__name__)

_EARTH_RADIUS_M = 6_371_009.0  # osmnx's radius for great-circle lengths
KINDS = ("replace", "calibrate", "connector")

__all__ = [
    "Correction",
    "RoadCorrections",
    "geodesic_km",
    "read_corrections",
]


def geodesic_km(coords: Any) -> float:
    """Great-circle length of a lon/lat polyline, km.

    The same formula and earth radius as graph edge lengths (osmnx's ``great_circle``), so a
    scaled road totals its sourced length exactly in the graph.

    Parameters
    ----------
    coords
        ``(n, 2)`` lon/lat coordinates of the polyline.

    Returns
    -------
    float
    """
    xy = np.asarray(coords, dtype=float)[:, :2]
    if len(xy) < 2:
        return 0.0
    y1, y2 = np.deg2rad(xy[:-1, 1]), np.deg2rad(xy[1:, 1])
    dx = np.deg2rad(xy[1:, 0] - xy[:-1, 0])
    h = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(dx / 2) ** 2
    dist = 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, h)))
    return float(np.sum(dist)) / 1000.0


@dataclass(frozen=True)
class Correction:
    """One row of a corrections file (see the module docstring)."""

    kind: str
    ref: str
    km: float
    coords: np.ndarray = field(repr=False)
    name: str = ""
    source: str = ""
    row: int = 0


@dataclass
class RoadCorrections:
    """The corrections of one file, with what applying them did (for the build metadata)."""

    path: Path
    items: list[Correction]
    applied: list[dict[str, Any]] = field(default_factory=list)

    @property
    def connectors(self) -> list[Correction]:
        """The connector roads."""
        return [c for c in self.items if c.kind == "connector"]

    def sections(self, ref: str | None) -> list[Correction]:
        """The calibrated sections of road ``ref``.

        Parameters
        ----------
        ref
            Road reference (``KAZ05``), or ``None``.

        Returns
        -------
        list of Correction
        """
        return [c for c in self.items if c.kind == "calibrate" and c.ref == ref]

    def calibrated_parts(self, ref: str | None, geometry: Any) -> list[tuple[np.ndarray, float]]:
        """The parts of a source road as ``(coords, length_factor)`` pairs.

        A replaced road is its replacement line (one part). A road without a calibrated
        section comes back part by part with factor 1. A road with sections must be one
        line; it is cut at the section ends (new vertices) and
        each piece inside a section gets that section's factor.

        Parameters
        ----------
        ref
            The road's reference, or ``None``.
        geometry
            The road's line geometry from the source layer.

        Returns
        -------
        list of (numpy.ndarray, float)

        Raises
        ------
        NetworkError
            A calibrated road is not a single line, or a section has no length on it.
        """
        replacement = [c for c in self.items if c.kind == "replace" and c.ref == ref]
        if replacement:
            new = replacement[-1]
            factor = new.km / geodesic_km(new.coords)
            self.applied.append(
                {
                    "kind": "replace",
                    "ref": ref,
                    "name": new.name,
                    "geometry_km": round(geodesic_km(new.coords), 3),
                    "km": new.km,
                    "factor": round(factor, 6),
                }
            )
            return [(new.coords, factor)]
        parts = [shapely.get_coordinates(p) for p in shapely.get_parts(geometry)]
        sections = self.sections(ref)
        if not sections:
            return [(c, 1.0) for c in parts]
        if len(parts) != 1:
            raise NetworkError(
                f"{self.path}: feature {sections[0].row}: road {ref} has {len(parts)} line "
                "parts; only a single-line road can be calibrated by section."
            )
        line = shapely.LineString(parts[0])
        cuts: list[tuple[float, float, Correction]] = []
        for sec in sections:
            a = float(line.project(shapely.Point(sec.coords[0])))
            b = float(line.project(shapely.Point(sec.coords[-1])))
            lo, hi = min(a, b), max(a, b)
            if hi - lo <= 0:
                raise NetworkError(
                    f"{self.path}: feature {sec.row}: the section ends of {ref} project to "
                    "the same point of the road."
                )
            cuts.append((lo, hi, sec))
        cuts.sort(key=lambda t: t[0])
        for (_, hi1, s1), (lo2, _, s2) in pairwise(cuts):
            if lo2 < hi1:
                raise NetworkError(
                    f"{self.path}: features {s1.row} and {s2.row}: sections of {ref} overlap."
                )
        out: list[tuple[np.ndarray, float]] = []
        pos = 0.0
        for lo, hi, sec in cuts:
            if lo > pos:
                out.append((_piece(line, pos, lo), 1.0))
            piece = _piece(line, lo, hi)
            factor = sec.km / geodesic_km(piece)
            out.append((piece, factor))
            self.applied.append(
                {
                    "kind": "calibrate",
                    "ref": ref,
                    "name": sec.name,
                    "geometry_km": round(geodesic_km(piece), 3),
                    "km": sec.km,
                    "factor": round(factor, 6),
                }
            )
            pos = hi
        if pos < line.length:
            out.append((_piece(line, pos, line.length), 1.0))
        return [(c, f) for c, f in out if len(c) >= 2]

    def connector_parts(self) -> list[tuple[Correction, np.ndarray, float]]:
        """Every connector as ``(correction, coords, length_factor)``.

        Returns
        -------
        list of (Correction, numpy.ndarray, float)
        """
        out = []
        for con in self.connectors:
            factor = con.km / geodesic_km(con.coords)
            out.append((con, con.coords, factor))
            self.applied.append(
                {
                    "kind": "connector",
                    "ref": con.ref,
                    "name": con.name,
                    "geometry_km": round(geodesic_km(con.coords), 3),
                    "km": con.km,
                    "factor": round(factor, 6),
                }
            )
        return out


def _piece(line: shapely.LineString, start: float, end: float) -> np.ndarray:
    """Coordinates of ``line`` between two distances along it (degrees, planar)."""
    from shapely.ops import substring

    coords: np.ndarray = shapely.get_coordinates(substring(line, start, end))
    return coords


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def read_corrections(path: str | Path) -> RoadCorrections:
    """Read and check a corrections GeoJSON (see the module docstring).

    Parameters
    ----------
    path
        The corrections GeoJSON.

    Returns
    -------
    RoadCorrections

    Raises
    ------
    NetworkError
        Unreadable file, or a feature with a bad kind, ref, km, source or geometry; the
        message names the file, the feature number (from 1) and the property.
    """
    src = Path(path)
    try:
        data = json.loads(src.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NetworkError(f"{src}: cannot read the road corrections ({exc}).") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not features:
        raise NetworkError(f"{src}: a road corrections file is a GeoJSON FeatureCollection.")
    items: list[Correction] = []
    for i, feat in enumerate(features, start=1):
        where = f"{src}: feature {i}"
        props = feat.get("properties") or {}
        kind = _text(props.get("kind"))
        if kind not in KINDS:
            raise NetworkError(f"{where}: property 'kind' must be one of {', '.join(KINDS)}.")
        ref = _text(props.get("ref"))
        if not ref:
            raise NetworkError(f"{where}: property 'ref' is empty.")
        try:
            km = float(props["km"])
        except (KeyError, TypeError, ValueError):
            km = float("nan")
        if not (km > 0 and math.isfinite(km)):
            raise NetworkError(f"{where}: property 'km' must be a number > 0.")
        source = _text(props.get("source"))
        if not source:
            raise NetworkError(f"{where}: property 'source' is empty; say where {km} km is from.")
        geom = feat.get("geometry") or {}
        coords = np.asarray(geom.get("coordinates") or [], dtype=float)
        if geom.get("type") != "LineString" or coords.ndim != 2 or len(coords) < 2:
            raise NetworkError(f"{where}: the geometry must be a LineString of >= 2 points.")
        items.append(Correction(kind, ref, km, coords[:, :2], _text(props.get("name")), source, i))
    log.info("%s: %d road corrections", src, len(items))
    return RoadCorrections(src, items)
