"""What the run maps and the report draw from: run-folder layers and shared styling.

:func:`read_run_layers` reads ``results.gpkg`` and ``summary.json`` of a run folder (see
DEVELOPERS.md "Run folder") into normalised GeoDataFrames; the rest of this module holds
what both maps share: site categories, shapes and colours, line widths, extents, numbers.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from clusterloc.constants import MARKET, SUPPLIER, WGS84
from clusterloc.errors import InputError

__all__ = [
    "BACKGROUND",
    "CLOSED_OPACITY",
    "COMMODITY_COLORS",
    "COST_LABELS",
    "FALLBACK_COLORS",
    "FALLBACK_SHAPES",
    "FLOW_COLUMNS",
    "GPKG_NAME",
    "HTML_NAME",
    "KNOWN_FACILITY_STYLES",
    "MARKET",
    "MARKET_STYLE",
    "OSM_ATTRIBUTION",
    "PNG_NAME",
    "ROAD_COLOR",
    "ROAD_MAJOR_COLOR",
    "ROAD_WIDTH_HTML",
    "ROAD_WIDTH_PNG",
    "SHAPE_MARKERS",
    "SITE_COLUMNS",
    "SUMMARY_NAME",
    "SUPPLIER",
    "SUPPLIER_STYLE",
    "RunLayers",
    "SiteStyle",
    "colocated_groups",
    "commodity_colors",
    "cost_items",
    "facility_styles",
    "fan_offsets",
    "flow_lines",
    "fmt_number",
    "group_label",
    "line_parts",
    "map_bounds",
    "normalize_flows",
    "normalize_sites",
    "read_run_layers",
    "road_class",
    "scale_values",
    "site_category",
    "site_names",
    "site_style",
    "summary_title",
]

logger = logging.getLogger(__name__)

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
GPKG_NAME = "results.gpkg"
SUMMARY_NAME = "summary.json"
HTML_NAME = "map.html"
PNG_NAME = "map.png"

SITE_COLUMNS = ("site_id", "name", "type", "open")
FLOW_COLUMNS = ("origin", "destination", "commodity")

# Shapes shared by both maps; values are matplotlib marker codes.
SHAPE_MARKERS = {
    "circle": "o",
    "square": "s",
    "diamond": "D",
    "triangle": "^",
    "triangle_down": "v",
    "hexagon": "h",
    "pentagon": "p",
    "star": "*",
}
KNOWN_FACILITY_STYLES = {
    "plant": ("square", "#d62728"),
    "factory": ("square", "#d62728"),
    "hub": ("diamond", "#ff7f0e"),
    "crossdock": ("diamond", "#ff7f0e"),
    "warehouse": ("hexagon", "#2ca02c"),
    "dc": ("hexagon", "#2ca02c"),
    "terminal": ("pentagon", "#9467bd"),
    "port": ("pentagon", "#9467bd"),
}
FALLBACK_SHAPES = ("square", "diamond", "hexagon", "pentagon", "star", "triangle")
FALLBACK_COLORS = ("#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#e377c2", "#17becf", "#bcbd22")
SUPPLIER_STYLE = ("triangle_down", "#8c564b")
MARKET_STYLE = ("circle", "#34495e")
COMMODITY_COLORS = (
    "#1f78b4",
    "#6a3d9a",
    "#1b9e77",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#386cb0",
    "#f0027f",
    "#bf5b17",
)
CLOSED_OPACITY = 0.35
ROAD_COLOR = "#8a8a8a"
ROAD_MAJOR_COLOR = "#5f5f5f"
BACKGROUND = "#f4f3ef"


@dataclass(frozen=True)
class SiteStyle:
    """How one site category is drawn: a shape name (see ``SHAPE_MARKERS``) and a colour."""

    label: str
    shape: str
    color: str


@dataclass
class RunLayers:
    """The layers of a run folder that the maps and the report draw from.

    Attributes
    ----------
    sites, flows, routes, network
        GeoDataFrames in EPSG:4326 (empty when the layer is absent).
    summary
        The parsed ``summary.json`` (empty dict when absent).
    """

    sites: gpd.GeoDataFrame
    flows: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    network: gpd.GeoDataFrame
    summary: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Reading the run folder
# --------------------------------------------------------------------------------------------


def read_run_layers(run_dir: Path) -> RunLayers:
    """Read ``results.gpkg`` and ``summary.json`` of a run folder.

    Parameters
    ----------
    run_dir
        A run folder (or the temporary folder it is being written in).

    Returns
    -------
    RunLayers
        Sites, flows, routes and network layers, normalised (``open`` is bool, numeric
        columns are floats, missing optional columns are filled) and the summary.

    Raises
    ------
    InputError
        If the folder, the GeoPackage or its ``sites`` layer is missing, a layer lacks a
        required column, or ``summary.json`` is not valid JSON.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError(f"Run folder {run_dir} does not exist.")
    gpkg = run_dir / GPKG_NAME
    if not gpkg.is_file():
        raise InputError(f"Run folder {run_dir} has no {GPKG_NAME}; is it a clusterloc run?")
    try:
        names = {str(row[0]) for row in pyogrio.list_layers(gpkg)}
    except Exception as exc:  # pyogrio raises several DataSourceError types
        raise InputError(f"{gpkg} cannot be read as a GeoPackage: {exc}") from exc
    if "sites" not in names:
        raise InputError(f"{gpkg} has no 'sites' layer (layers: {', '.join(sorted(names))}).")

    def layer(name: str) -> gpd.GeoDataFrame:
        if name not in names:
            return gpd.GeoDataFrame(geometry=[], crs=WGS84)
        frame = gpd.read_file(gpkg, layer=name, engine="pyogrio")
        if frame.crs is not None and not frame.crs.equals(WGS84):
            raise InputError(f"{gpkg} layer '{name}' is in {frame.crs}, expected EPSG:4326.")
        return frame

    summary: dict[str, Any] = {}
    summary_path = run_dir / SUMMARY_NAME
    if summary_path.is_file():
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{summary_path} is not valid JSON: {exc.msg} (line {exc.lineno})."
            ) from None
    return RunLayers(
        sites=normalize_sites(layer("sites"), source=f"{gpkg} layer 'sites'"),
        flows=normalize_flows(layer("flows"), source=f"{gpkg} layer 'flows'"),
        routes=normalize_flows(layer("routes"), source=f"{gpkg} layer 'routes'"),
        network=layer("network"),
        summary=summary,
    )


def _require(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{source} lacks column(s) {', '.join(missing)}.")


def _as_bool(values: pd.Series) -> pd.Series:
    def one(value: Any) -> bool:
        if isinstance(value, str):
            return value.strip().lower() in {"1", "true", "yes", "open"}
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return bool(value)

    return values.map(one).astype(bool)


def normalize_sites(sites: gpd.GeoDataFrame, source: str = "sites") -> gpd.GeoDataFrame:
    """Return a copy of a ``sites`` layer with clean dtypes and all optional columns present.

    Parameters
    ----------
    sites
        The ``sites`` layer of a run.
    source
        Name used in error messages.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    InputError
        If ``site_id``, ``name``, ``type`` or ``open`` is missing (named with ``source``).
    """
    if len(sites) == 0 and "site_id" not in sites.columns:
        sites = gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in SITE_COLUMNS}, geometry=[], crs=WGS84
        )
    _require(sites, SITE_COLUMNS, source)
    out = sites.copy()
    for col in ("site_id", "name", "type"):
        out[col] = out[col].fillna("").astype(str)
    out["type"] = out["type"].str.strip()
    out["open"] = _as_bool(out["open"])
    for col in ("status", "tags"):
        out[col] = out[col].fillna("").astype(str) if col in out.columns else ""
    for col in ("level", "capacity", "throughput", "utilization", "fixed_cost", "snap_m"):
        values = out[col] if col in out.columns else pd.Series(np.nan, index=out.index)
        out[col] = pd.to_numeric(values, errors="coerce").astype(float)
    return out


def normalize_flows(flows: gpd.GeoDataFrame, source: str = "flows") -> gpd.GeoDataFrame:
    """Return a copy of a ``flows``/``routes`` layer with clean dtypes and a ``volume`` column.

    ``volume`` is ``tonnes`` where the layer has tonnes, else ``quantity``; it sets the line
    width on both maps.

    Parameters
    ----------
    flows
        The ``flows`` or ``routes`` layer of a run.
    source
        Name used in error messages.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    InputError
        If ``origin``, ``destination`` or ``commodity`` is missing (named with ``source``).
    """
    if len(flows) == 0 and "origin" not in flows.columns:
        flows = gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in FLOW_COLUMNS}, geometry=[], crs=WGS84
        )
    _require(flows, FLOW_COLUMNS, source)
    out = flows.copy()
    for col in FLOW_COLUMNS:
        out[col] = out[col].fillna("").astype(str)
    for col in ("quantity", "tonnes", "km", "hours", "transport_cost", "co2_t"):
        values = out[col] if col in out.columns else pd.Series(np.nan, index=out.index)
        out[col] = pd.to_numeric(values, errors="coerce").astype(float)
    tonnes = out["tonnes"]
    out["volume"] = tonnes.where(tonnes.notna(), out["quantity"]).fillna(0.0).clip(lower=0.0)
    return out


# --------------------------------------------------------------------------------------------
# Styling shared by both maps
# --------------------------------------------------------------------------------------------


def site_category(site_type: str) -> str:
    """Return ``"supplier"``, ``"market"`` or ``"facility"`` for a site ``type`` value.

    Parameters
    ----------
    site_type
        A ``type`` value of the sites table.

    Returns
    -------
    str
    """
    key = site_type.strip().lower()
    if key in (SUPPLIER, "suppliers", "source"):
        return SUPPLIER
    if key in (MARKET, "markets", "customer", "demand"):
        return MARKET
    return "facility"


def facility_styles(types: Iterable[str]) -> dict[str, SiteStyle]:
    """Assign a distinct shape and colour to every facility type.

    Well-known types (plant, hub, warehouse, terminal, ...) keep a fixed style across runs;
    other types get the next unused colour and shape in sorted order.

    Parameters
    ----------
    types
        The facility types of a run.

    Returns
    -------
    dict
        ``{type: SiteStyle}``: known types keep their style, others get the fallbacks in order.
    """
    styles: dict[str, SiteStyle] = {}
    used_colors: set[str] = set()
    unknown: list[str] = []
    for name in sorted({t for t in types if site_category(t) == "facility"}):
        known = KNOWN_FACILITY_STYLES.get(name.lower())
        if known and known[1] not in used_colors:
            styles[name] = SiteStyle(name, *known)
            used_colors.add(known[1])
        else:
            unknown.append(name)
    free = [c for c in FALLBACK_COLORS if c not in used_colors] or list(FALLBACK_COLORS)
    for i, name in enumerate(unknown):
        styles[name] = SiteStyle(
            name, FALLBACK_SHAPES[i % len(FALLBACK_SHAPES)], free[i % len(free)]
        )
    return styles


def site_style(site_type: str, facilities: Mapping[str, SiteStyle]) -> SiteStyle:
    """Return the style of one site type (suppliers and markets have fixed styles).

    Parameters
    ----------
    site_type
        A ``type`` value.
    facilities
        From :func:`facility_styles`.

    Returns
    -------
    SiteStyle
    """
    category = site_category(site_type)
    if category == SUPPLIER:
        return SiteStyle("supplier", *SUPPLIER_STYLE)
    if category == MARKET:
        return SiteStyle("market", *MARKET_STYLE)
    return facilities.get(site_type, SiteStyle(site_type, "square", FALLBACK_COLORS[0]))


def commodity_colors(commodities: Iterable[str]) -> dict[str, str]:
    """Map each commodity (sorted) to a line colour.

    Parameters
    ----------
    commodities
        Commodity names.

    Returns
    -------
    dict
        ``{commodity: colour}`` in a fixed order.
    """
    names = sorted(set(commodities))
    return {c: COMMODITY_COLORS[i % len(COMMODITY_COLORS)] for i, c in enumerate(names)}


def scale_values(values: pd.Series, low: float, high: float, *, sqrt: bool = False) -> pd.Series:
    """Scale non-negative values linearly (or by square root) from 0..max onto low..high.

    Parameters
    ----------
    values
        Non-negative numbers (others count as 0).
    low, high
        The output range.
    sqrt
        Scale by square root (areas) instead of linearly.

    Returns
    -------
    pandas.Series
        Same index as ``values``.
    """
    v = pd.to_numeric(values, errors="coerce").fillna(0.0).clip(lower=0.0).astype(float)
    top = float(v.max()) if len(v) else 0.0
    if top <= 0:
        return pd.Series(low, index=v.index, dtype=float)
    frac = v / top
    if sqrt:
        frac = frac.pow(0.5)
    return low + (high - low) * frac


def flow_lines(flows: gpd.GeoDataFrame, routes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return one line per flow, drawn along the road route where the run has one.

    Rows of ``routes`` are used as they are (column ``along_road`` True). A flow with no
    route of the same origin, destination and commodity is kept with its straight
    origin→destination geometry (``along_road`` False), so nothing silently disappears.

    Parameters
    ----------
    flows
        The ``flows`` layer (straight lines).
    routes
        The ``routes`` layer (along the road).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per flow with column ``along_road``.
    """
    key = ["origin", "destination", "commodity"]
    parts = []
    if len(routes):
        r = routes[routes.geometry.notna() & ~routes.geometry.is_empty].copy()
        r["along_road"] = True
        parts.append(r)
    if len(flows):
        have = {tuple(k) for k in parts[0][key].itertuples(index=False)} if parts else set()
        mask = [tuple(k) not in have for k in flows[key].itertuples(index=False)]
        f = flows[mask]
        f = f[f.geometry.notna() & ~f.geometry.is_empty].copy()
        if len(f):
            f["along_road"] = False
            parts.append(f)
    if not parts:
        empty = normalize_flows(gpd.GeoDataFrame(geometry=[], crs=WGS84))
        empty["along_road"] = pd.Series(dtype=bool)
        return empty
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=WGS84)
    return out[out["volume"] > 0].reset_index(drop=True) if (out["volume"] > 0).any() else out


def line_parts(geom: BaseGeometry | None) -> list[np.ndarray]:
    """Coordinate arrays (lon, lat) of a LineString / MultiLineString.

    Parameters
    ----------
    geom
        A line geometry or ``None``.

    Returns
    -------
    list of numpy.ndarray
        One ``(n, 2)`` array per part; empty for no geometry.
    """
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, LineString):
        return [np.asarray(geom.coords)[:, :2]]
    if isinstance(geom, MultiLineString):
        return [np.asarray(g.coords)[:, :2] for g in geom.geoms]
    return []


def road_class(highway: Any) -> str:
    """Collapse an OSM ``highway`` value (possibly a list-like string) to major/primary/other.

    Parameters
    ----------
    highway
        An OSM ``highway`` value (string, list or missing).

    Returns
    -------
    str
        The class used for styling the road.
    """
    text = str(highway or "").lower()
    first = re.split(r"[\[\]'\",;| ]+", text.strip("[]"))
    tokens = [t for t in first if t]
    value = tokens[0] if tokens else ""
    value = value.removesuffix("_link")
    if value in ("motorway", "trunk"):
        return "major"
    if value in ("primary", "secondary"):
        return "primary"
    return "other"


ROAD_WIDTH_HTML = {"major": 3.0, "primary": 2.2, "other": 1.4}
ROAD_WIDTH_PNG = {"major": 1.3, "primary": 0.9, "other": 0.6}


def colocated_groups(points: gpd.GeoSeries, km: float) -> list[list[Any]]:
    """Group points (by index label) lying within ``km`` of a group's first point.

    Used to fan out facilities that share a location (several plants in one city), which
    would otherwise hide each other on both maps. Empty geometries are left out.

    Parameters
    ----------
    points
        Site points.
    km
        Distance within which points count as one place.

    Returns
    -------
    list of list
        Index labels per group, groups of one included.
    """
    valid = points[points.notna() & ~points.is_empty]
    xs = valid.x.to_numpy()
    ys = valid.y.to_numpy()
    labels = list(valid.index)
    kx = 111.32 * np.cos(np.radians(ys))
    assigned = np.zeros(len(labels), dtype=bool)
    groups: list[list[Any]] = []
    for i in range(len(labels)):
        if assigned[i]:
            continue
        dist = np.hypot((xs - xs[i]) * kx[i], (ys - ys[i]) * 110.57)
        members = np.flatnonzero((dist <= km) & ~assigned)
        assigned[members] = True
        groups.append([labels[j] for j in members])
    return groups


def fan_offsets(k: int) -> list[tuple[float, float]]:
    """Unit offsets (x right, y up) that spread ``k`` co-located markers on a circle.

    One marker stays in place; two sit left and right; three or more go round the circle
    starting at the top.

    Parameters
    ----------
    k
        Number of markers.

    Returns
    -------
    list of (float, float)
    """
    if k <= 1:
        return [(0.0, 0.0)] * max(k, 0)
    start = 180.0 if k == 2 else 90.0
    return [
        (
            math.cos(math.radians(start + 360.0 * i / k)),
            math.sin(math.radians(start + 360.0 * i / k)),
        )
        for i in range(k)
    ]


def group_label(names: list[str], limit: int = 4) -> list[str]:
    """The label lines of a group of sites: up to ``limit`` names, then ``+N more``.

    Parameters
    ----------
    names
        Site names of the group.
    limit
        Most lines.

    Returns
    -------
    list of str
    """
    if len(names) <= limit:
        return names
    return [*names[: limit - 1], f"+{len(names) - limit + 1} more"]


def map_bounds(
    sites: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, network: gpd.GeoDataFrame
) -> tuple[float, float, float, float]:
    """Return (west, south, east, north) covering sites and flows (the network if nothing else).

    A 5 % margin is added, and the box is at least about 20 km wide and high.

    Parameters
    ----------
    sites
        The ``sites`` layer.
    lines
        The flow lines.
    network
        The ``network`` layer.

    Returns
    -------
    tuple of float
        ``(west, south, east, north)`` in degrees.
    """
    frames = [g for g in (sites, lines) if len(g)]
    if not frames and len(network):
        frames = [network]
    boxes = [f.geometry[f.geometry.notna() & ~f.geometry.is_empty].total_bounds for f in frames]
    boxes = [b for b in boxes if np.all(np.isfinite(b))]
    if not boxes:
        return (-180.0, -60.0, 180.0, 75.0)
    arr = np.vstack(boxes)
    west, south = float(arr[:, 0].min()), float(arr[:, 1].min())
    east, north = float(arr[:, 2].max()), float(arr[:, 3].max())
    min_span = 0.2
    if east - west < min_span:
        mid = (east + west) / 2
        west, east = mid - min_span / 2, mid + min_span / 2
    if north - south < min_span:
        mid = (north + south) / 2
        south, north = mid - min_span / 2, mid + min_span / 2
    dx, dy = (east - west) * 0.05, (north - south) * 0.05
    return (west - dx, max(south - dy, -85.0), east + dx, min(north + dy, 85.0))


def fmt_number(value: Any, digits: int = 0, unit: str = "") -> str:
    """Format a number with thousands separators (``–`` for missing / not finite).

    Parameters
    ----------
    value
        A number (or anything).
    digits
        Decimals.
    unit
        Appended after a space when given.

    Returns
    -------
    str
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value) if value not in (None, "") else "–"
    if not math.isfinite(number):
        return "–"
    text = f"{number:,.{digits}f}"
    return f"{text} {unit}".rstrip() if unit else text


def site_names(sites: gpd.GeoDataFrame) -> dict[str, str]:
    """Map site_id → display name (the id where the name is empty).

    Parameters
    ----------
    sites
        The ``sites`` layer.

    Returns
    -------
    dict
        ``{site_id: name}`` (the id when the name is blank).
    """
    return {
        str(sid): (str(name) or str(sid))
        for sid, name in zip(sites["site_id"], sites["name"], strict=False)
    }


def summary_title(summary: Mapping[str, Any]) -> str:
    """One-line title of a run: scenario, status and objective.

    Parameters
    ----------
    summary
        The summary of a run (``summary.json``).

    Returns
    -------
    str
    """
    scenario = str(summary.get("scenario") or "clusterloc run")
    status = str(summary.get("status") or "")
    parts = [scenario]
    if status:
        parts.append(status)
    if summary.get("objective") is not None:
        parts.append(f"total cost {fmt_number(summary.get('objective'))}")
    return " — ".join(parts)


COST_LABELS = {
    "fixed": "fixed",
    "transport": "transport",
    "handling": "handling",
    "co2": "CO₂ price",
    "unmet": "unmet-demand penalty",
    "purchase": "purchase",
}


def cost_items(summary: Mapping[str, Any]) -> list[tuple[str, float]]:
    """The cost terms of a summary as ``(label, value)`` pairs, in a fixed order.

    Parameters
    ----------
    summary
        The summary of a run (``summary.json``).

    Returns
    -------
    list of (str, float)
    """
    costs = summary.get("costs") or {}
    if not isinstance(costs, Mapping):
        return []
    keys = [k for k in COST_LABELS if k in costs] + [k for k in costs if k not in COST_LABELS]
    items = []
    for key in keys:
        value = costs[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            items.append((COST_LABELS.get(key, str(key)), float(value)))
    return items
