"""The interactive run map (``map.html``): folium/Leaflet, self-contained, offline-first.

Leaflet 1.9.4 (BSD-2, vendored under ``assets/leaflet``) is inlined into the page and nothing
is loaded from a CDN. The road network the run was priced on is drawn as its own layer, so
the map means something where no tiles load; OpenStreetMap tiles are an optional base
layer. Every text that comes from an input file (names, ids, types, commodities, tags) is
escaped for HTML *and* for folium's second Jinja pass, and reaches JavaScript only as a JSON
string literal.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from branca.element import Figure as Figure_

from clusterloc.outputs.mapdata import (
    BACKGROUND,
    CLOSED_OPACITY,
    MARKET,
    MARKET_STYLE,
    OSM_ATTRIBUTION,
    ROAD_COLOR,
    ROAD_MAJOR_COLOR,
    ROAD_WIDTH_HTML,
    SUPPLIER,
    SUPPLIER_STYLE,
    SiteStyle,
    colocated_groups,
    commodity_colors,
    cost_items,
    facility_styles,
    fan_offsets,
    flow_lines,
    fmt_number,
    group_label,
    line_parts,
    map_bounds,
    normalize_flows,
    normalize_sites,
    road_class,
    scale_values,
    site_category,
    site_names,
    site_style,
    summary_title,
)

__all__ = [
    "COLOCATED_MIN_KM",
    "COLOCATED_PX",
    "MAX_NETWORK_VERTICES",
    "flow_popup",
    "html_map",
    "leaflet_assets",
    "network_geojson",
    "render_html",
    "save_html",
    "site_popup",
    "svg_symbol",
]

logger = logging.getLogger(__name__)

#: Chosen facilities closer than this many screen pixels at the opening view (about 1100 px
#: wide), or than ``COLOCATED_MIN_KM``, fan out and share one label.
COLOCATED_PX = 25.0
COLOCATED_MIN_KM = 3.0

_ASSETS = ("assets", "leaflet")


@cache
def leaflet_assets() -> tuple[str, str]:
    """Return the vendored Leaflet 1.9.4 ``(javascript, css)``, ready to inline.

    The CSS images are turned into ``data:`` URIs and the source-map comment is removed, so
    the page makes no request at all.

    Returns
    -------
    tuple of str
        ``(css, javascript)`` of the vendored Leaflet, to inline.
    """
    folder = resources.files("clusterloc.outputs").joinpath(*_ASSETS)
    js = folder.joinpath("leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    css = folder.joinpath("leaflet.css").read_text(encoding="utf-8")
    for image in ("layers.png", "layers-2x.png"):
        data = base64.b64encode(folder.joinpath(image).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{image})", f"url(data:image/png;base64,{data})")
    # The default marker image is never used (sites are vector icons); drop the file reference.
    css = css.replace("url(images/marker-icon.png)", "none")
    if "</script" in js.lower() or "</style" in css.lower():
        raise RuntimeError("vendored Leaflet assets cannot be inlined safely")
    return js, css


class _Raw(Element):
    """A header element rendered verbatim (no Jinja parsing of its content)."""

    _template = jinja2.Template("{{ this.raw }}")

    def __init__(self, raw: str) -> None:
        super().__init__()
        self.raw = raw


class _Bind(MacroElement):
    """Bind a tooltip and/or popup to the parent layer from JSON string literals.

    folium's own Tooltip puts text into a JS template literal and its Popup needs jQuery;
    this binds already-escaped HTML through ``tojson`` (which also escapes ``<``, ``>``, ``&``
    and ``'``), so text from input files can never leave the string.
    """

    _template = jinja2.Template(
        """
        {% macro script(this, kwargs) %}
        {%- if this.tooltip %}
        {{ this._parent.get_name() }}.bindTooltip(
            {{ this.tooltip_js }}, {{ this.tooltip_options|tojson }}
        );
        {%- endif %}
        {%- if this.popup %}
        {{ this._parent.get_name() }}.bindPopup({{ this.popup_js }}, {"maxWidth": 360});
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        tooltip: str | None = None,
        popup: str | None = None,
        *,
        permanent: bool = False,
        offset: tuple[int, int] = (0, 0),
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Bind"
        self.tooltip = tooltip
        self.popup = popup
        self.tooltip_js = _js_string(tooltip)
        self.popup_js = _js_string(popup)
        self.tooltip_options: dict[str, Any] = (
            {"permanent": True, "direction": "top", "offset": list(offset), "className": "cl-label"}
            if permanent
            else {"sticky": True}
        )


class _HtmlControl(MacroElement):
    """A Leaflet control (box in a map corner) showing fixed, already-escaped HTML."""

    _template = jinja2.Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
            div.innerHTML = {{ this.content_js }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, content: str, position: str, css_class: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "HtmlControl"
        self.content = content
        self.content_js = _js_string(content)
        self.position = position
        self.css_class = css_class


class _Attribution(MacroElement):
    """Add a fixed attribution text to the map's attribution control."""

    _template = jinja2.Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text_js }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Attribution"
        self.text = text
        self.text_js = _js_string(text)


_MAP_CSS = f"""
<style>
.leaflet-container {{ background: {BACKGROUND}; font: 13px/1.35 system-ui, sans-serif; }}
.cl-box {{ background: rgba(255,255,255,.93); padding: 6px 9px; border-radius: 5px;
  box-shadow: 0 1px 4px rgba(0,0,0,.35); max-width: 340px; }}
.cl-title b {{ font-size: 14px; }}
.cl-legend {{ max-height: 55vh; overflow-y: auto; }}
.cl-legend .row {{ display: flex; align-items: center; gap: 6px; margin: 2px 0; }}
.cl-legend .sym {{ width: 22px; display: inline-flex; justify-content: center; }}
.cl-legend h4 {{ margin: 4px 0 2px; font-size: 12px; }}
.cl-site {{ background: none; border: none; }}
.cl-site svg {{ overflow: visible; display: block; }}
.cl-popup table {{ border-collapse: collapse; }}
.cl-popup td {{ padding: 1px 6px 1px 0; vertical-align: top; }}
.cl-popup td:first-child {{ color: #555; }}
.cl-label {{ font-size: 12px; font-weight: 600; padding: 1px 5px; opacity: 1 !important; }}
</style>
"""


def _esc(text: str) -> str:
    """HTML-escape text from input files, braces included.

    folium renders the output of every element a second time as a Jinja template, so a
    ``{{ ... }}`` or ``{% ... %}`` in a site name would be evaluated (or break rendering);
    as HTML entities the braces display literally and are inert.
    """
    return html.escape(str(text), quote=True).replace("{", "&#123;").replace("}", "&#125;")


def _js_string(text: str | None) -> str:
    """A JavaScript string literal that cannot end a script, a string or form Jinja tags."""
    out = json.dumps(text or "")
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        out = out.replace(char, code)
    for char, code in (("{", "\\u007b"), ("}", "\\u007d"), ("%", "\\u0025"), ("#", "\\u0023")):
        out = out.replace(char, code)
    return out


def _css_class(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "x"


def _regular_points(n: int, size: float, start_deg: float = -90.0) -> list[tuple[float, float]]:
    r = size / 2 - 1.5
    c = size / 2
    return [
        (
            c + r * math.cos(math.radians(start_deg + 360 * i / n)),
            c + r * math.sin(math.radians(start_deg + 360 * i / n)),
        )
        for i in range(n)
    ]


def svg_symbol(
    shape: str,
    color: str,
    size: float,
    *,
    faded: bool = False,
) -> str:
    """Return an inline SVG of a site symbol (the same shapes as the PNG markers).

    Open sites are filled with the type colour; ``faded`` (unchosen candidates) draws an
    outline with a light fill at reduced opacity.

    Parameters
    ----------
    shape
        Marker shape name (``square``, ``circle``, ``triangle``, ...).
    color
        Fill colour (CSS).
    size
        Size in pixels.
    faded
        Draw it as a closed site (lower opacity).

    Returns
    -------
    str
        An inline SVG element.
    """
    s = float(size)
    c = s / 2
    r = s / 2 - 1.5
    if shape == "circle":
        body = f'<circle cx="{c:.1f}" cy="{c:.1f}" r="{r:.1f}"/>'
    else:
        if shape == "square":
            pts = [(1.5, 1.5), (s - 1.5, 1.5), (s - 1.5, s - 1.5), (1.5, s - 1.5)]
        elif shape == "diamond":
            pts = [(c, 0.5), (s - 0.5, c), (c, s - 0.5), (0.5, c)]
        elif shape == "triangle":
            pts = _regular_points(3, s + 2, -90.0)
            pts = [(x - 1, y) for x, y in pts]
        elif shape == "triangle_down":
            pts = _regular_points(3, s + 2, 90.0)
            pts = [(x - 1, y - 2) for x, y in pts]
        elif shape == "hexagon":
            pts = _regular_points(6, s, -90.0)
        elif shape == "pentagon":
            pts = _regular_points(5, s, -90.0)
        elif shape == "star":
            outer = _regular_points(5, s, -90.0)
            inner = [
                (c + 0.45 * (x - c), c + 0.45 * (y - c))
                for x, y in _regular_points(5, s, -90.0 + 36.0)
            ]
            pts = [p for pair in zip(outer, inner, strict=True) for p in pair]
        else:
            pts = [(1.5, 1.5), (s - 1.5, 1.5), (s - 1.5, s - 1.5), (1.5, s - 1.5)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        body = f'<polygon points="{points}"/>'
    if faded:
        paint = (
            f'fill="#ffffff" fill-opacity="0.7" stroke="{color}" stroke-width="2" '
            f'stroke-dasharray="3,2" opacity="{CLOSED_OPACITY + 0.35:.2f}"'
        )
    else:
        paint = f'fill="{color}" fill-opacity="0.9" stroke="#222222" stroke-width="1.2"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{s:.0f}" height="{s:.0f}" '
        f'viewBox="0 0 {s:.1f} {s:.1f}"><g {paint}>{body}</g></svg>'
    )


def _table(rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def site_popup(row: Mapping[str, Any]) -> str:
    """HTML (escaped) popup of one site row.

    Parameters
    ----------
    row
        One row of the ``sites`` layer.

    Returns
    -------
    str
        HTML of the popup (inputs escaped).
    """
    title = _esc(str(row.get("name") or row.get("site_id") or ""))
    rows = [
        ("id", str(row.get("site_id", ""))),
        ("type", str(row.get("type", ""))),
        ("status", str(row.get("status") or ("open" if row.get("open") else "closed"))),
        ("level", fmt_number(row.get("level"))),
        ("capacity", fmt_number(row.get("capacity"))),
        ("throughput", fmt_number(row.get("throughput"))),
        ("utilization", fmt_number(100 * float(row.get("utilization") or np.nan), 1, "%")),
        ("fixed cost", fmt_number(row.get("fixed_cost"))),
        ("snap distance", fmt_number(row.get("snap_m"), 0, "m")),
    ]
    if row.get("tags"):
        rows.append(("tags", str(row["tags"])))
    return f'<div class="cl-popup"><b>{title}</b>{_table(rows)}</div>'


def flow_popup(row: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """HTML (escaped) tooltip/popup of one flow row.

    Parameters
    ----------
    row
        One row of the flows.
    names
        ``{site_id: name}``.

    Returns
    -------
    str
        HTML of the popup (inputs escaped).
    """
    origin = str(row.get("origin", ""))
    dest = str(row.get("destination", ""))
    head = f"{names.get(origin, origin)} → {names.get(dest, dest)}"
    rows = [
        ("commodity", str(row.get("commodity", ""))),
        ("quantity", fmt_number(row.get("quantity"))),
        ("tonnes", fmt_number(row.get("tonnes"), 1, "t")),
        ("road distance", fmt_number(row.get("km"), 0, "km")),
        ("drive time", fmt_number(row.get("hours"), 1, "h")),
        ("transport cost", fmt_number(row.get("transport_cost"))),
        ("CO₂", fmt_number(row.get("co2_t"), 2, "t")),
    ]
    if not row.get("along_road", True):
        rows.append(("geometry", "straight line (no road route in run)"))
    return f'<div class="cl-popup"><b>{_esc(head)}</b>{_table(rows)}</div>'


def _legend_html(
    styles: Mapping[str, SiteStyle],
    has: Mapping[str, bool],
    colors: Mapping[str, str],
    max_volume: float,
    volume_unit: str,
    chosen_types: set[str],
) -> str:
    def row(symbol: str, label: str) -> str:
        return f'<div class="row"><span class="sym">{symbol}</span>{_esc(label)}</div>'

    def line(color: str, width: float, dash: str = "") -> str:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<svg width="22" height="10"><line x1="1" y1="5" x2="21" y2="5" stroke="{color}" '
            f'stroke-width="{width:.1f}"{d}/></svg>'
        )

    parts = ["<b>Legend</b>"]
    if styles or has.get(SUPPLIER) or has.get(MARKET):
        parts.append("<h4>Sites (size ∝ throughput)</h4>")
    for name, st in styles.items():
        note = "chosen" if name in chosen_types else "candidates only"
        parts.append(row(svg_symbol(st.shape, st.color, 16), f"{name} ({note})"))
    if has.get("candidates"):
        parts.append(row(svg_symbol("square", "#777777", 14, faded=True), "candidate, not chosen"))
    if has.get(SUPPLIER):
        parts.append(row(svg_symbol(SUPPLIER_STYLE[0], SUPPLIER_STYLE[1], 13), "supplier"))
    if has.get(MARKET):
        parts.append(row(svg_symbol(MARKET_STYLE[0], MARKET_STYLE[1], 12), "market"))
    if colors:
        parts.append(f"<h4>Flows along roads (width ∝ {_esc(volume_unit)})</h4>")
        for name, color in colors.items():
            parts.append(row(line(color, 4), name))
        parts.append(row(line("#444444", 9), f"max {fmt_number(max_volume)} {volume_unit}"))
    if has.get("straight"):
        parts.append(row(line("#444444", 2, "5,4"), "straight line (no road route)"))
    if has.get("network"):
        parts.append("<h4>Road network</h4>")
        parts.append(row(line(ROAD_MAJOR_COLOR, 3), "motorway / trunk"))
        parts.append(row(line(ROAD_COLOR, 1.4), "other roads"))
    return "".join(parts)


def _title_html(summary: Mapping[str, Any], n_open: int, n_candidates: int) -> str:
    scenario = _esc(str(summary.get("scenario") or "clusterloc run"))
    lines = [f"<b>{scenario}</b>"]
    status = summary.get("status")
    if status:
        lines.append(f"status: {_esc(str(status))}")
    if summary.get("objective") is not None:
        lines.append(f"total cost: {_esc(fmt_number(summary.get('objective')))}")
    parts = [f"{_esc(k)} {_esc(fmt_number(v))}" for k, v in cost_items(summary) if v]
    if parts:
        lines.append("<small>costs: " + ", ".join(parts) + "</small>")
    lines.append(f"chosen facilities: {n_open} of {n_candidates} candidates")
    if summary.get("co2_t") is not None:
        lines.append(f"CO₂: {_esc(fmt_number(summary.get('co2_t'), 1))} t")
    return "<br>".join(lines)


def _round_coords(coords: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 5), round(float(y), 5)] for x, y in coords]


#: Above this many road vertices the network layer is simplified to keep map.html light.
MAX_NETWORK_VERTICES = 200_000


def network_geojson(
    network: gpd.GeoDataFrame, max_vertices: int = MAX_NETWORK_VERTICES
) -> dict[str, Any]:
    """GeoJSON of the road network with rounded coordinates and escaped labels.

    When the edges hold more than ``max_vertices`` vertices, geometries are simplified
    (Douglas-Peucker, tolerance doubled from about 10 m until they fit) so the page stays
    small; the simplification tolerance is logged.

    Parameters
    ----------
    network
        The ``network`` layer.
    max_vertices
        Simplify the roads until they have at most this many vertices.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection.
    """
    geoms = network.geometry
    valid = geoms.notna() & ~geoms.is_empty
    total = int(shapely.get_num_coordinates(geoms[valid].to_numpy()).sum())
    tolerance = 0.0001
    while total > max_vertices and tolerance < 1.0:
        simplified = geoms[valid].simplify(tolerance, preserve_topology=False)
        total = int(shapely.get_num_coordinates(simplified.to_numpy()).sum())
        if total <= max_vertices:
            geoms = geoms.copy()
            geoms[valid] = simplified
            logger.info(
                "network layer simplified to %d vertices (tolerance %.4f°)", total, tolerance
            )
            break
        tolerance *= 2
    # One feature per (road class, label): far fewer features than edges, same drawing.
    merged: dict[tuple[str, str], list[list[list[float]]]] = {}
    hw = network["highway"] if "highway" in network.columns else pd.Series("", network.index)
    ref = network["ref"] if "ref" in network.columns else pd.Series("", network.index)
    name = network["name"] if "name" in network.columns else pd.Series("", network.index)
    for geom, h, r, n in zip(geoms, hw, ref, name, strict=True):
        parts = line_parts(geom)
        if not parts:
            continue
        label = " · ".join(str(v) for v in (r, n) if isinstance(v, str) and v and v != "nan")
        merged.setdefault((road_class(h), label), []).extend(_round_coords(p) for p in parts)
    features = [
        {
            "type": "Feature",
            "properties": {"cls": cls, "label": _esc(label)},
            "geometry": {"type": "MultiLineString", "coordinates": lines},
        }
        for (cls, label), lines in merged.items()
    ]
    return {"type": "FeatureCollection", "features": features}


def _road_style(feature: dict[str, Any]) -> dict[str, Any]:
    cls = feature["properties"]["cls"]
    return {
        "color": ROAD_MAJOR_COLOR if cls == "major" else ROAD_COLOR,
        "weight": ROAD_WIDTH_HTML[cls],
        "opacity": 0.85,
    }


def html_map(
    sites: gpd.GeoDataFrame,
    flows: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    network: gpd.GeoDataFrame,
    summary: Mapping[str, Any] | None = None,
) -> folium.Map:
    """Build the interactive run map.

    Parameters
    ----------
    sites, flows, routes, network
        The run folder layers (EPSG:4326, columns as in DEVELOPERS.md "Run folder"); raw
        layers are normalised here, so ``gpd.read_file`` output can be passed directly.
    summary
        The parsed ``summary.json`` (title box); may be empty.

    Returns
    -------
    folium.Map
        A map whose page needs no network: Leaflet is inlined, the base layer is blank
        (OpenStreetMap tiles selectable), with layers "Road network", "Chosen facilities",
        "Candidates (not chosen)", "Suppliers", "Markets" and one "Flows: <commodity>" layer
        per commodity, a layer control, a legend and "© OpenStreetMap contributors".
        Save it with :func:`save_html`.
    """
    summary = dict(summary or {})
    sites = normalize_sites(sites)
    flows = normalize_flows(flows)
    routes = normalize_flows(routes, source="routes")
    lines = flow_lines(flows, routes)
    west, south, east, north = map_bounds(sites, lines, network)

    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=5,
        tiles=None,
        control_scale=True,
        prefer_canvas=len(network) > 5000,
        zoom_snap=0.25,
    )
    # Never let folium link Leaflet / jQuery / Bootstrap from CDNs: the page inlines Leaflet.
    m.default_js = []
    m.default_css = []
    js, css = leaflet_assets()
    root = m.get_root()
    if not isinstance(root, Figure_):
        raise RuntimeError("folium map is not attached to a branca Figure")
    root.title = _esc(summary_title(summary))
    root.header.add_child(_Raw(f"<style>{css}</style>"), name="leaflet_css")
    root.header.add_child(_Raw(f"<script>{js}</script>"), name="leaflet")
    root.header.add_child(_Raw(_MAP_CSS), name="clusterloc_css")

    folium.FeatureGroup(name="No tiles (works offline)", overlay=False, show=True).add_to(m)
    folium.TileLayer(
        "OpenStreetMap",
        name="OpenStreetMap tiles (online)",
        overlay=False,
        show=False,
        attr=f'&copy; <a href="https://www.openstreetmap.org/copyright">{OSM_ATTRIBUTION[2:]}</a>',
    ).add_to(m)

    if len(network):
        data = network_geojson(network)
        road = folium.GeoJson(
            data,
            name=f"Road network ({len(network):,} edges)",
            style_function=_road_style,
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            smooth_factor=1.0,
        )
        road.add_to(m)

    colors = commodity_colors(lines["commodity"]) if len(lines) else {}
    names = site_names(sites)
    weights = scale_values(lines["volume"], 1.5, 10.0) if len(lines) else pd.Series(dtype=float)
    # Layers with the widest lanes first, so thinner lines are drawn on top of them.
    draw_order = sorted(
        colors, key=lambda c: -float(lines.loc[lines["commodity"] == c, "volume"].max())
    )
    for commodity in draw_order:
        color = colors[commodity]
        subset = lines[lines["commodity"] == commodity]
        total = float(subset["volume"].sum())
        unit = "t" if subset["tonnes"].notna().any() else "units"
        group = folium.FeatureGroup(
            name=_esc(f"Flows: {commodity} ({fmt_number(total)} {unit})"), show=True
        )
        for idx, row in subset.sort_values("volume", ascending=False).iterrows():
            for part in line_parts(row.geometry):
                poly = folium.PolyLine(  # type: ignore[no-untyped-call]
                    [[round(float(y), 5), round(float(x), 5)] for x, y in part],
                    color=color,
                    weight=float(weights.loc[idx]),
                    opacity=0.8,
                    dash_array=None if row["along_road"] else "6,5",
                    line_cap="round",
                    line_join="round",
                )
                text = flow_popup(row.to_dict(), names)
                poly.add_child(_Bind(tooltip=text, popup=text))
                poly.add_to(group)
        group.add_to(m)

    styles = facility_styles(sites["type"])
    categories = sites["type"].map(site_category)
    is_facility = categories == "facility"
    chosen = sites[is_facility & sites["open"]]
    candidates = sites[is_facility & ~sites["open"]]
    sizes = pd.Series(0.0, index=sites.index)
    if len(chosen):
        sizes.loc[chosen.index] = scale_values(chosen["throughput"], 18, 40, sqrt=True)
    sizes.loc[candidates.index] = 16.0
    for cat in (SUPPLIER, MARKET):
        idx = sites.index[categories == cat]
        if len(idx):
            sizes.loc[idx] = scale_values(sites.loc[idx, "throughput"], 10, 22, sqrt=True)

    # Chosen facilities sharing a location fan out by a few pixels (at every zoom level) and
    # share one permanent label listing their names.
    shift: dict[Any, tuple[float, float]] = {}
    labels: dict[Any, tuple[str, float]] = {}
    width_km = (east - west) * 111.32 * math.cos(math.radians((south + north) / 2))
    near_km = max(COLOCATED_MIN_KM, COLOCATED_PX * width_km / 1100.0)
    for members in colocated_groups(chosen.geometry, km=near_km):
        biggest = max(float(sizes.loc[i]) for i in members)
        radius = 0.0 if len(members) == 1 else 0.6 * biggest + 3.0
        top = 0.0
        for i, (ux, uy) in zip(members, fan_offsets(len(members)), strict=True):
            shift[i] = (ux * radius, -uy * radius)  # screen pixels, y down
            top = max(top, uy * radius + float(sizes.loc[i]) / 2)
        member_names = [str(chosen.at[i, "name"] or chosen.at[i, "site_id"]) for i in members]
        labels[members[0]] = ("<br>".join(_esc(n) for n in group_label(member_names)), top)

    groups = [
        ("Chosen facilities", chosen, 1000, False),
        ("Candidates (not chosen)", candidates, 0, True),
        ("Suppliers", sites[categories == SUPPLIER], 500, False),
        ("Markets", sites[categories == MARKET], 500, False),
    ]
    for title, frame, z_offset, faded in groups:
        if not len(frame):
            continue
        group = folium.FeatureGroup(name=f"{title} ({len(frame)})", show=True)
        for idx, row in frame.iterrows():
            geom = row.geometry
            if geom is None or geom.is_empty:
                logger.warning("site %s has no geometry; not drawn", row["site_id"])
                continue
            st = site_style(row["type"], styles)
            size = float(sizes.loc[idx])
            state = "cl-closed" if faded else "cl-open"
            dx, dy = shift.get(idx, (0.0, 0.0)) if title == "Chosen facilities" else (0.0, 0.0)
            icon = folium.DivIcon(
                html=svg_symbol(st.shape, st.color, size, faded=faded),
                icon_size=(round(size), round(size)),
                icon_anchor=(round(size / 2 - dx), round(size / 2 - dy)),
                class_name=f"cl-site {state} cl-cat-{site_category(row['type'])} "
                f"cl-type-{_css_class(row['type'])}",
            )
            marker = folium.Marker(
                [float(geom.y), float(geom.x)],
                icon=icon,
                z_index_offset=z_offset + int(size),
                title="",
            )
            label = row["name"] or row["site_id"]
            if title == "Chosen facilities" and idx in labels:
                text, top = labels[idx]
                bind = _Bind(
                    tooltip=text,
                    popup=site_popup(row.to_dict()),
                    permanent=True,
                    offset=(0, -round(top)),
                )
            else:
                tooltip = f"<b>{_esc(label)}</b> ({_esc(row['type'])})"
                bind = _Bind(tooltip=tooltip, popup=site_popup(row.to_dict()))
            marker.add_child(bind)  # type: ignore[no-untyped-call]
            marker.add_to(group)
        group.add_to(m)

    has = {
        "candidates": bool(len(candidates)),
        SUPPLIER: bool((categories == SUPPLIER).any()),
        MARKET: bool((categories == MARKET).any()),
        "network": bool(len(network)),
        "straight": bool(len(lines) and (~lines["along_road"].astype(bool)).any()),
    }
    used_styles = {t: styles[t] for t in sorted(set(chosen["type"]) | set(candidates["type"]))}
    unit = "tonnes" if len(lines) and lines["tonnes"].notna().any() else "quantity"
    max_volume = float(lines["volume"].max()) if len(lines) else 0.0
    n_facilities = int(is_facility.sum())
    m.add_child(
        _HtmlControl(_title_html(summary, len(chosen), n_facilities), "topleft", "cl-box cl-title")
    )
    m.add_child(
        _HtmlControl(
            _legend_html(used_styles, has, colors, max_volume, unit, set(chosen["type"])),
            "bottomleft",
            "cl-box cl-legend",
        )
    )
    m.add_child(_Attribution(f"Roads: {OSM_ATTRIBUTION}"))
    # Collapsed (an icon, opens on hover) so it never hides sites; the legend is always shown.
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    # Keep the sites clear of the title and legend boxes on the left.
    m.fit_bounds(
        [[south, west], [north, east]], padding_top_left=(280, 20), padding_bottom_right=(20, 20)
    )
    return m


_EXTERNAL = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def render_html(m: folium.Map) -> str:
    """Render a map from :func:`html_map` to a complete, self-contained HTML page.

    Parameters
    ----------
    m
        The map.

    Returns
    -------
    str
        The self-contained HTML page.

    Raises
    ------
    RuntimeError
        If the page would load a script or stylesheet from the network (a programming
        error: some folium element brought its own CDN link).
    """
    page = m.get_root().render()
    found = _EXTERNAL.search(page)
    if found:
        raise RuntimeError(f"map page would load an external resource: {found.group(0)!r}")
    return str(page)


def save_html(m: folium.Map, path: Path) -> None:
    """Write a map from :func:`html_map` to ``path`` as one self-contained HTML file.

    Parameters
    ----------
    m
        The map.
    path
        The ``.html`` file to write.
    """
    Path(path).write_text(render_html(m), encoding="utf-8")
