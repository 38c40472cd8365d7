"""The static run map (``map.png``): matplotlib, no basemap tiles, readable at a glance."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from clusterloc.outputs.mapdata import (
    BACKGROUND,
    CLOSED_OPACITY,
    MARKET,
    MARKET_STYLE,
    OSM_ATTRIBUTION,
    ROAD_COLOR,
    ROAD_MAJOR_COLOR,
    ROAD_WIDTH_PNG,
    SHAPE_MARKERS,
    SUPPLIER,
    SUPPLIER_STYLE,
    commodity_colors,
    cost_items,
    facility_styles,
    flow_lines,
    fmt_number,
    line_parts,
    map_bounds,
    normalize_flows,
    normalize_sites,
    road_class,
    scale_values,
    site_category,
    site_style,
    summary_title,
)

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Static map (PNG)
# --------------------------------------------------------------------------------------------


def _nice_length(km: float) -> float:
    if km <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(km))
    for step in (5, 2, 1):
        if step * exp <= km:
            return float(step * exp)
    return float(exp)


def _draw_scale_bar(ax: Any, west: float, south: float, east: float, north: float) -> None:
    lat = (south + north) / 2
    km_per_deg = 111.32 * math.cos(math.radians(lat))
    width_km = (east - west) * km_per_deg
    length = _nice_length(width_km / 5)
    deg = length / km_per_deg
    x0 = east - (east - west) * 0.04 - deg
    y0 = south + (north - south) * 0.05
    ax.plot([x0, x0 + deg], [y0, y0], color="#222222", lw=3, solid_capstyle="butt", zorder=20)
    ax.text(
        x0 + deg / 2,
        y0 + (north - south) * 0.012,
        f"{length:,.0f} km",
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=20,
        parse_math=False,
    )


def _deg_formatter(pos: str, neg: str) -> FuncFormatter:
    def fmt(value: float, _pos: int) -> str:
        return f"{abs(value):g}°{pos if value >= 0 else neg}"

    return FuncFormatter(fmt)


def static_map(
    sites: gpd.GeoDataFrame,
    flows: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    network: gpd.GeoDataFrame,
    summary: Mapping[str, Any] | None = None,
    *,
    figsize: tuple[float, float] = (11.0, 8.0),
) -> Figure:
    """Draw the run map as a matplotlib figure (no basemap tiles).

    Same content as :func:`html_map`: road network, flows along roads coloured by
    commodity with width by volume, chosen facilities by type (size by throughput, named),
    unchosen candidates faded, suppliers and markets, a legend, a lon/lat graticule with the
    x axis scaled for latitude, a km scale bar, and the OpenStreetMap attribution.

    Returns
    -------
    matplotlib.figure.Figure
        A figure not attached to pyplot (safe in any thread); save with ``fig.savefig``.
    """
    summary = dict(summary or {})
    sites = normalize_sites(sites)
    flows = normalize_flows(flows)
    routes = normalize_flows(routes, source="routes")
    lines = flow_lines(flows, routes)
    west, south, east, north = map_bounds(sites, lines, network)

    fig = Figure(figsize=figsize, dpi=120, facecolor="white")
    ax = fig.add_axes((0.06, 0.07, 0.66, 0.83))
    ax.set_facecolor(BACKGROUND)
    handles: list[Any] = []

    if len(network):
        by_class: dict[str, list[np.ndarray]] = {"other": [], "primary": [], "major": []}
        hw = network["highway"] if "highway" in network.columns else [""] * len(network)
        for geom, h in zip(network.geometry, hw, strict=True):
            by_class[road_class(h)].extend(line_parts(geom))
        for cls, segs in by_class.items():
            if segs:
                ax.add_collection(
                    LineCollection(
                        segs,
                        colors=ROAD_MAJOR_COLOR if cls == "major" else ROAD_COLOR,
                        linewidths=ROAD_WIDTH_PNG[cls],
                        alpha=0.8,
                        zorder=1,
                    )
                )
        handles.append(Line2D([], [], color=ROAD_COLOR, lw=1.0, label="road network (OSM)"))

    colors = commodity_colors(lines["commodity"]) if len(lines) else {}
    if len(lines):
        widths = scale_values(lines["volume"], 0.8, 6.5)
        segs, lws, seg_colors, dashes = [], [], [], []
        # Widest lanes first, so thinner lanes sharing the same road stay visible on top.
        for i in lines["volume"].sort_values(ascending=False, kind="stable").index:
            for part in line_parts(lines.at[i, "geometry"]):
                segs.append(part)
                lws.append(float(widths.loc[i]))
                seg_colors.append(colors[lines.at[i, "commodity"]])
                dashes.append("solid" if lines.at[i, "along_road"] else (0, (4, 3)))
        ax.add_collection(
            LineCollection(
                segs,
                colors=seg_colors,
                linewidths=lws,
                linestyles=dashes,
                alpha=0.8,
                capstyle="round",
                joinstyle="round",
                zorder=3,
            )
        )
        for commodity, color in colors.items():
            handles.append(Line2D([], [], color=color, lw=3, label=f"flow: {commodity}"))
        if (~lines["along_road"].astype(bool)).any():
            handles.append(
                Line2D([], [], color="#555555", lw=1.5, ls=(0, (4, 3)), label="straight (no route)")
            )
        unit = "t" if lines["tonnes"].notna().any() else "units"
        handles.append(
            Line2D(
                [],
                [],
                color="#555555",
                lw=6.5,
                label=f"max {fmt_number(lines['volume'].max())} {unit}",
            )
        )

    styles = facility_styles(sites["type"])
    categories = sites["type"].map(site_category)
    is_facility = categories == "facility"
    valid = sites.geometry.notna() & ~sites.geometry.is_empty
    xs = sites.geometry.x.where(valid)
    ys = sites.geometry.y.where(valid)

    candidates = sites[is_facility & ~sites["open"] & valid]
    for site_type, frame in candidates.groupby("type"):
        st = site_style(str(site_type), styles)
        ax.scatter(
            xs[frame.index],
            ys[frame.index],
            s=60,
            marker=SHAPE_MARKERS[st.shape],
            facecolors="white",
            edgecolors=st.color,
            linewidths=1.4,
            alpha=CLOSED_OPACITY + 0.3,
            zorder=4,
        )
    if len(candidates):
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="s",
                ms=7,
                mfc="white",
                mec="#777777",
                alpha=CLOSED_OPACITY + 0.3,
                label="candidate, not chosen",
            )
        )
    for cat, (shape, color), label in (
        (SUPPLIER, SUPPLIER_STYLE, "supplier"),
        (MARKET, MARKET_STYLE, "market"),
    ):
        frame = sites[(categories == cat) & valid]
        if not len(frame):
            continue
        size = scale_values(frame["throughput"], 18, 90, sqrt=True)
        ax.scatter(
            xs[frame.index],
            ys[frame.index],
            s=size,
            marker=SHAPE_MARKERS[shape],
            c=color,
            edgecolors="white",
            linewidths=0.6,
            alpha=0.85,
            zorder=5,
        )
        handles.append(
            Line2D([], [], ls="", marker=SHAPE_MARKERS[shape], ms=7, color=color, label=label)
        )

    chosen = sites[is_facility & sites["open"] & valid]
    if len(chosen):
        size = scale_values(chosen["throughput"], 80, 420, sqrt=True)
        for site_type, frame in chosen.groupby("type"):
            st = site_style(str(site_type), styles)
            ax.scatter(
                xs[frame.index],
                ys[frame.index],
                s=size[frame.index],
                marker=SHAPE_MARKERS[st.shape],
                c=st.color,
                edgecolors="#222222",
                linewidths=1.0,
                zorder=6,
            )
            handles.insert(
                0,
                Line2D(
                    [],
                    [],
                    ls="",
                    marker=SHAPE_MARKERS[st.shape],
                    ms=10,
                    mfc=st.color,
                    mec="#222222",
                    label=f"{site_type} (chosen)",
                ),
            )
        dy = (north - south) * 0.018
        for idx, row in chosen.iterrows():
            ax.text(
                float(xs[idx]),
                float(ys[idx]) + dy,
                str(row["name"] or row["site_id"]),
                fontsize=8,
                ha="center",
                va="bottom",
                zorder=7,
                parse_math=False,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
            )
    markets = sites[(categories == MARKET) & valid]
    if 0 < len(markets) <= 25:
        for idx, row in markets.iterrows():
            ax.text(
                float(xs[idx]),
                float(ys[idx]) - (north - south) * 0.012,
                str(row["name"] or row["site_id"]),
                fontsize=6.5,
                color="#34495e",
                ha="center",
                va="top",
                zorder=5,
                parse_math=False,
            )

    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1.0 / max(math.cos(math.radians((south + north) / 2)), 0.05))
    ax.xaxis.set_major_formatter(_deg_formatter("E", "W"))
    ax.yaxis.set_major_formatter(_deg_formatter("N", "S"))
    ax.tick_params(labelsize=8)
    ax.grid(True, color="white", lw=0.8, zorder=0)
    ax.set_axisbelow(True)
    _draw_scale_bar(ax, west, south, east, north)
    ax.text(
        0.995,
        0.005,
        f"Roads: {OSM_ATTRIBUTION}",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=7,
        color="#333333",
        parse_math=False,
        zorder=20,
    )
    fig.suptitle(summary_title(summary), x=0.06, ha="left", fontsize=13, fontweight="bold")
    subtitle = _subtitle(summary, len(chosen), int(is_facility.sum()))
    fig.text(0.06, 0.915, subtitle, fontsize=9, color="#333333", parse_math=False)
    if handles:
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.74, 0.9),
            fontsize=8.5,
            frameon=False,
            title="Legend (marker size ∝ throughput)",
            title_fontsize=9,
            alignment="left",
        )
    return fig


def _subtitle(summary: Mapping[str, Any], n_open: int, n_candidates: int) -> str:
    parts = [f"{n_open} of {n_candidates} candidate facilities chosen"]
    terms = [f"{label} {fmt_number(v)}" for label, v in cost_items(summary) if v]
    if terms:
        parts.append("costs: " + ", ".join(terms))
    if summary.get("co2_t") is not None:
        parts.append(f"CO₂ {fmt_number(summary.get('co2_t'), 1)} t")
    return " · ".join(parts)
