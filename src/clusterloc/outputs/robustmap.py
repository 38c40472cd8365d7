"""The robustness map of a sweep: each candidate site coloured by how often it is chosen.

:func:`robustness_html` writes a self-contained Leaflet page (Leaflet inlined, no tiles
needed, the road network as a layer); :func:`robustness_png` a static PNG. Both take the
table of :func:`clusterloc.sweep.analysis.robustness_table`.
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from clusterloc.outputs.htmlmap import _Raw, leaflet_assets, network_geojson, render_html
from clusterloc.outputs.mapdata import OSM_ATTRIBUTION

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["robustness_html", "robustness_png", "share_color"]

_STOPS = ((0.0, (190, 190, 190)), (0.5, (240, 160, 40)), (1.0, (20, 120, 50)))


def share_color(share: float) -> str:
    """Hex colour of a share chosen: grey (never) to orange (half) to green (always).

    Parameters
    ----------
    share
        Share of runs in [0, 1] (clipped).

    Returns
    -------
    str
        ``#rrggbb``.
    """
    share = min(max(float(share), 0.0), 1.0)
    for (a, ca), (b, cb) in itertools.pairwise(_STOPS):
        if share <= b:
            t = (share - a) / (b - a)
            rgb = [round(x + t * (y - x)) for x, y in zip(ca, cb, strict=True)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#145032"


def _label(row: pd.Series) -> str:
    name = html.escape(str(row.get("name", row["site_id"])))
    return (
        f"<b>{name}</b> ({html.escape(str(row['site_id']))}, {html.escape(str(row['type']))})"
        f"<br>chosen in {int(row['chosen'])} of {int(row['runs'])} runs "
        f"({100 * float(row['share']):.0f} %)"
    )


def robustness_html(
    table: pd.DataFrame, network: gpd.GeoDataFrame | None, title: str, path: Path
) -> None:
    """Write the interactive robustness map.

    Parameters
    ----------
    table
        ``site_id, name, type, lon, lat, chosen, runs, share`` per candidate.
    network
        Road edges to draw (or ``None``).
    title
        The sweep name.
    path
        The HTML file to write.
    """
    import folium

    lon = table["lon"].astype(float)
    lat = table["lat"].astype(float)
    m = folium.Map(
        location=[float(lat.mean()), float(lon.mean())],
        zoom_start=5,
        tiles=None,
        control_scale=True,
    )
    m.default_js = []
    m.default_css = []
    js, css = leaflet_assets()
    root = m.get_root()
    root.header.add_child(_Raw(f"<style>{css}</style>"), name="leaflet_css")  # type: ignore[attr-defined]
    root.header.add_child(_Raw(f"<script>{js}</script>"), name="leaflet")  # type: ignore[attr-defined]
    if network is not None and len(network):
        folium.GeoJson(
            network_geojson(network),
            name="Road network",
            style_function=lambda _f: {"color": "#8a8a8a", "weight": 1.2, "opacity": 0.7},
        ).add_to(m)
    for kind, group_rows in table.groupby("type"):
        group = folium.FeatureGroup(name=html.escape(f"Candidates: {kind}"), show=True)
        for _, row in group_rows.sort_values("share").iterrows():
            share = float(row["share"]) if pd.notna(row["share"]) else 0.0
            folium.CircleMarker(
                [float(row["lat"]), float(row["lon"])],
                radius=5 + 9 * share,
                color="#222",
                weight=1,
                fill=True,
                fill_color=share_color(share),
                fill_opacity=0.9,
                tooltip=_label(row),
                popup=_label(row),
            ).add_to(group)
        group.add_to(m)
    legend = (
        '<div style="position:fixed;bottom:18px;left:12px;z-index:999;background:#fff;'
        'padding:6px 9px;border-radius:5px;font:13px system-ui;box-shadow:0 1px 4px #0006">'
        f"<b>{html.escape(title)}</b><br>share of runs in which a site is chosen<br>"
        + "".join(
            f'<span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
            f'background:{share_color(s)};margin:0 4px 0 8px"></span>{int(100 * s)} %'
            for s in (0.0, 0.5, 1.0)
        )
        + "</div>"
    )
    root.html.add_child(_Raw(legend))  # type: ignore[attr-defined]
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().render()
    m.fit_bounds([[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]])
    page = render_html(m).replace(
        "</body>",
        f'<div style="position:fixed;bottom:2px;right:6px;font:11px system-ui">'
        f"{html.escape(OSM_ATTRIBUTION)}</div></body>",
    )
    Path(path).write_text(page, encoding="utf-8")


def robustness_png(
    table: pd.DataFrame, network: gpd.GeoDataFrame | None, title: str, path: Path
) -> None:
    """Write the static robustness map (PNG).

    Parameters
    ----------
    table
        ``site_id, name, type, lon, lat, chosen, runs, share`` per candidate.
    network
        Road edges to draw (or ``None``).
    title
        The sweep name.
    path
        The PNG file to write.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("share", [share_color(s) for s in (0, 0.5, 1)])
    fig, ax = plt.subplots(figsize=(11, 6.5))
    if network is not None and len(network):
        network.plot(ax=ax, color="#9a9a9a", linewidth=0.6, zorder=1)
    shares = table["share"].fillna(0.0).astype(float)
    points = ax.scatter(
        table["lon"].astype(float),
        table["lat"].astype(float),
        c=shares,
        cmap=cmap,
        vmin=0,
        vmax=1,
        s=30 + 120 * shares,
        edgecolors="#222",
        linewidths=0.6,
        zorder=3,
    )
    # One label per location (sites in one city share a point): "site_id share" lines.
    chosen = table[table["share"] > 0]
    places = chosen.groupby([chosen["lon"].round(3), chosen["lat"].round(3)], sort=False)
    for _, group in places:
        lon, lat = float(group["lon"].iloc[0]), float(group["lat"].iloc[0])
        text = "\n".join(
            f"{r['site_id']} {100 * float(r['share']):.0f}%" for r in group.to_dict("records")
        )
        ax.annotate(
            text, (lon, lat), xytext=(5, 3), textcoords="offset points",
            fontsize=6.5, zorder=4, va="bottom",
        )  # fmt: skip
    fig.colorbar(points, ax=ax, label="share of runs in which the site is chosen", shrink=0.8)
    ax.set_title(f"{title}: how often each candidate site is chosen")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1.6)
    ax.text(
        0.99, 0.01, OSM_ATTRIBUTION, transform=ax.transAxes, ha="right", fontsize=7, color="#444"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
