"""The static run map (``map.png``): matplotlib, no basemap tiles, readable at a glance."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import Bbox

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
    site_style,
    summary_title,
)

__all__ = [
    "static_map",
]

logger = logging.getLogger(__name__)


def _nice_length(km: float) -> float:
    if km <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(km))
    for step in (5, 2, 1):
        if step * exp <= km:
            return float(step * exp)
    return float(exp)


def _draw_scale_bar(
    ax: Any,
    bounds: tuple[float, float, float, float],
    xs: np.ndarray,
    ys: np.ndarray,
) -> None:
    """Draw a km scale bar in the map corner with the fewest points (sites, flow vertices)."""
    west, south, east, north = bounds
    lat = (south + north) / 2
    km_per_deg = 111.32 * math.cos(math.radians(lat))
    width_km = (east - west) * km_per_deg
    length = _nice_length(width_km / 5)
    deg = length / km_per_deg
    dx, dy = (east - west), (north - south)
    corners = {
        "lower right": (east - 0.04 * dx - deg, south + 0.04 * dy),
        "lower left": (west + 0.04 * dx, south + 0.04 * dy),
        "upper right": (east - 0.04 * dx - deg, north - 0.09 * dy),
        "upper left": (west + 0.04 * dx, north - 0.09 * dy),
    }

    def crowd(x0: float, y0: float) -> int:
        inside = (
            (xs >= x0 - 0.03 * dx)
            & (xs <= x0 + deg + 0.03 * dx)
            & (ys >= y0 - 0.03 * dy)
            & (ys <= y0 + 0.08 * dy)
        )
        return int(inside.sum())

    x0, y0 = min(corners.values(), key=lambda c: crowd(*c))
    ax.plot([x0, x0 + deg], [y0, y0], color="#222222", lw=3, solid_capstyle="butt", zorder=20)
    ax.text(
        x0 + deg / 2,
        y0 + 0.012 * dy,
        f"{length:,.0f} km",
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=20,
        parse_math=False,
        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6},
    )


def _overlap_area(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return float(w * h) if w > 0 and h > 0 else 0.0


def _place_labels(
    fig: Figure,
    ax: Any,
    spots: list[tuple[float, float, float, str]],
    markers: list[tuple[float, float, float]],
) -> None:
    """Label site groups, avoiding other labels, the chosen-site markers and the frame edge.

    Each spot is ``(x, y, gap_pt, text)``; ``markers`` are ``(x, y, diameter_pt)``. The
    label goes above the group (centred, else shifted sideways), else below, right or left
    of it (``gap_pt`` points away): the first place with no overlap, otherwise the place
    with the least. Larger groups are placed first.
    """
    renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]
    frame = ax.get_window_extent(renderer)
    scale = fig.dpi / 72.0
    obstacles: list[Bbox] = []
    for mx, my, diameter in markers:
        cx, cy = ax.transData.transform((mx, my))
        half = diameter * scale / 2
        obstacles.append(Bbox.from_extents(cx - half, cy - half, cx + half, cy + half))
    for x, y, gap, text in sorted(spots, key=lambda s: -s[3].count("\n")):
        options = [
            ((0.0, gap), "center", "bottom"),
            ((6.0, gap), "right", "bottom"),
            ((-6.0, gap), "left", "bottom"),
            ((0.0, -gap), "center", "top"),
            ((6.0, -gap), "right", "top"),
            ((-6.0, -gap), "left", "top"),
            ((gap + 2, 0.0), "left", "center"),
            ((-gap - 2, 0.0), "right", "center"),
        ]
        best: tuple[float, tuple[tuple[float, float], str, str]] | None = None
        for option in options:
            probe = _label(ax, text, (x, y), option)
            box = probe.get_window_extent(renderer)
            probe.remove()
            outside = box.width * box.height - _overlap_area(box, frame)
            cost = 10 * outside + sum(_overlap_area(box, o) for o in obstacles)
            if best is None or cost < best[0]:
                best = (cost, option)
            if cost == 0:
                break
        assert best is not None
        # Away from the plain "above" spot, a thin leader line shows which sites are meant.
        leader = (
            None
            if best[1] == options[0]
            else {"arrowstyle": "-", "color": "#444444", "lw": 0.7, "shrinkA": 0, "shrinkB": 4}
        )
        label = _label(ax, text, (x, y), best[1], zorder=7, arrowprops=leader)
        obstacles.append(label.get_window_extent(renderer))


def _label(
    ax: Any,
    text: str,
    xy: tuple[float, float],
    option: tuple[tuple[float, float], str, str],
    **extra: Any,
) -> Any:
    """One site label at ``option = (offset_pt, ha, va)``; names are shown literally."""
    offset, ha, va = option
    return ax.annotate(
        text,
        xy=xy,
        xytext=offset,
        textcoords="offset points",
        fontsize=7.5,
        ha=ha,
        va=va,
        linespacing=1.1,
        parse_math=False,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
        **extra,
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

    Parameters
    ----------
    sites, flows, routes, network
        The layers of a run folder.
    summary
        The run's ``summary.json`` (title and KPIs), if any.
    figsize
        Figure size in inches.

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

    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    mid_lat = (south + north) / 2
    ax.set_aspect(1.0 / max(math.cos(math.radians(mid_lat)), 0.05))
    ax.apply_aspect()
    box = ax.get_position()
    fig_w, fig_h = fig.get_size_inches()
    pt_per_x = box.width * fig_w * 72 / (east - west)  # points per degree on screen
    pt_per_y = box.height * fig_h * 72 / (north - south)

    chosen = sites[is_facility & sites["open"] & valid]
    if len(chosen):
        size = scale_values(chosen["throughput"], 80, 420, sqrt=True)
        # Facilities sharing a location fan out around it and share one label.
        px, py = xs[chosen.index].copy(), ys[chosen.index].copy()
        diameter = math.sqrt(float(size.max()))
        km_per_pt = 111.32 * math.cos(math.radians(mid_lat)) / pt_per_x
        label_spots = []
        for members in colocated_groups(chosen.geometry, km=max(3.0, 0.8 * diameter * km_per_pt)):
            cx, cy = float(xs[members].mean()), float(ys[members].mean())
            radius = 0.0 if len(members) == 1 else 0.6 * diameter + 2
            for i, (ux, uy) in zip(members, fan_offsets(len(members)), strict=True):
                px[i] = cx + ux * radius / pt_per_x
                py[i] = cy + uy * radius / pt_per_y
            names = [str(chosen.at[i, "name"] or chosen.at[i, "site_id"]) for i in members]
            gap = radius + diameter / 2 + 2
            label_spots.append((cx, cy, gap, "\n".join(group_label(names))))
        for site_type, frame in chosen.groupby("type"):
            st = site_style(str(site_type), styles)
            ax.scatter(
                px[frame.index],
                py[frame.index],
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
        markers = [(float(px[i]), float(py[i]), math.sqrt(float(size[i]))) for i in chosen.index]
        _place_labels(fig, ax, label_spots, markers)
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

    ax.xaxis.set_major_formatter(_deg_formatter("E", "W"))
    ax.yaxis.set_major_formatter(_deg_formatter("N", "S"))
    ax.tick_params(labelsize=8)
    ax.grid(True, color="white", lw=0.8, zorder=0)
    ax.set_axisbelow(True)
    points_x = [xs[valid].to_numpy(dtype=float)]
    points_y = [ys[valid].to_numpy(dtype=float)]
    for geom in lines.geometry if len(lines) else []:
        for part in line_parts(geom):
            points_x.append(part[:, 0])
            points_y.append(part[:, 1])
    _draw_scale_bar(
        ax, (west, south, east, north), np.concatenate(points_x), np.concatenate(points_y)
    )
    ax.annotate(
        f"Roads: {OSM_ATTRIBUTION}",
        xy=(1.0, 0.0),
        xycoords="axes fraction",
        xytext=(0, -22),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=7,
        color="#333333",
        annotation_clip=False,
    ).set_parse_math(False)
    fig.suptitle(
        summary_title(summary),
        x=0.06,
        ha="left",
        fontsize=13,
        fontweight="bold",
        parse_math=False,
    )
    subtitle = _subtitle(summary, len(chosen), int(is_facility.sum()))
    fig.text(0.06, 0.915, subtitle, fontsize=9, color="#333333", parse_math=False)
    if handles:
        legend = fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.74, 0.9),
            fontsize=8.5,
            frameon=False,
            title="Legend (marker size ∝ throughput)",
            title_fontsize=9,
            alignment="left",
        )
        for text in legend.get_texts():  # commodity and type names are shown literally
            text.set_parse_math(False)
    return fig


def _subtitle(summary: Mapping[str, Any], n_open: int, n_candidates: int) -> str:
    parts = [f"{n_open} of {n_candidates} candidate facilities chosen"]
    terms = [f"{label} {fmt_number(v)}" for label, v in cost_items(summary) if v]
    if terms:
        parts.append("costs: " + ", ".join(terms))
    if summary.get("co2_t") is not None:
        parts.append(f"CO₂ {fmt_number(summary.get('co2_t'), 1)} t")
    return " · ".join(parts)
