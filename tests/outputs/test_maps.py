"""map.html and map.png drawn from a run folder (see test_browser.py for the page in Chromium)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from matplotlib import image as mpimg
from shapely.geometry import LineString

from clusterloc.errors import InputError
from clusterloc.outputs.htmlmap import network_geojson
from clusterloc.outputs.mapdata import road_class
from clusterloc.outputs.maps import (
    OSM_ATTRIBUTION,
    draw_maps,
    flow_lines,
    html_map,
    read_run_layers,
    render_html,
    static_map,
)


def _layers(run_dir: Path) -> dict[str, Any]:
    gpkg = run_dir / "results.gpkg"
    return {
        "sites": gpd.read_file(gpkg, layer="sites"),
        "flows": gpd.read_file(gpkg, layer="flows"),
        "routes": gpd.read_file(gpkg, layer="routes"),
        "network": gpd.read_file(gpkg, layer="network"),
        "summary": json.loads((run_dir / "summary.json").read_text()),
    }


def test_draw_maps_writes_a_self_contained_page_and_a_png(
    run_dir: Path, run_facts: dict[str, Any]
) -> None:
    draw_maps(run_dir)
    page = (run_dir / "map.html").read_text(encoding="utf-8")
    # No script or stylesheet from the network; Leaflet itself is inside the page.
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", page)
    assert "cdn.jsdelivr" not in page and "code.jquery.com" not in page
    assert 't.version="1.9.4"' in page  # the minified Leaflet 1.9.4 bundle
    assert "leaflet-control-layers" in page  # inlined CSS
    assert "sourceMappingURL" not in page
    assert OSM_ATTRIBUTION in json.loads(f'"{_attribution_literal(page)}"')
    # One marker per site, one layer per commodity, layer control and legend.
    assert page.count("L.marker(") == run_facts["n_sites"]
    for commodity in run_facts["commodities"]:
        assert f'"Flows: {commodity} (' in page
    assert "L.control.layers(" in page
    assert "cl-legend" in page
    # OSM tiles exist only as a selectable base layer; the default base has no tiles.
    assert page.count("L.tileLayer(") == 1
    assert "tile.openstreetmap.org" in page

    png = mpimg.imread(run_dir / "map.png")
    height, width = png.shape[:2]
    assert width >= 1000 and height >= 600
    rgb = (png[..., :3] * 255).round().astype(int)
    assert len({tuple(c) for c in rgb.reshape(-1, 3)[::5]}) > 100


def _attribution_literal(page: str) -> str:
    match = re.search(r'addAttribution\(\s*"((?:[^"\\]|\\.)*)"', page)
    assert match, "no attribution added"
    return match.group(1)


def test_hostile_text_is_escaped_and_not_evaluated_by_templates(
    hostile_run_dir: Path, run_facts: dict[str, Any]
) -> None:
    draw_maps(hostile_run_dir)
    page = (hostile_run_dir / "map.html").read_text(encoding="utf-8")
    for name in run_facts["hostile"].values():
        assert name not in page
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "onmouseover=alert(4)>" not in page
    # folium renders element output a second time through Jinja: {{ 7*7 }} must stay text.
    assert "` 49" not in page
    assert "7*7" in page


def test_html_map_layers_follow_the_run(run_dir: Path, run_facts: dict[str, Any]) -> None:
    layers = _layers(run_dir)
    m = html_map(**layers)
    page = render_html(m)
    names = re.findall(r'"((?:Flows|Chosen|Candidates|Suppliers|Markets|Road)[^"]*)"\s*:', page)
    assert "Chosen facilities (3)" in names
    assert "Candidates (not chosen) (2)" in names
    assert "Suppliers (2)" in names and "Markets (5)" in names
    assert any(n.startswith("Road network (14") for n in names)
    assert sum(n.startswith("Flows: ") for n in names) == len(run_facts["commodities"])
    # Steel: 95 kt + 48 kt.
    assert "Flows: steel (143,000 t)" in names


def test_flows_are_drawn_along_routes_with_straight_fallback(run_dir: Path) -> None:
    layers = read_run_layers(run_dir)
    lines = flow_lines(layers.flows, layers.routes)
    assert len(lines) == len(layers.routes)
    assert lines["along_road"].all()
    # Steel Temirtau → Kostanay follows the roads via Karaganda, Astana and Arkalyk.
    row = lines[(lines["origin"] == "S_STEEL") & (lines["destination"] == "P_KOS")].iloc[0]
    assert len(row.geometry.coords) == 5

    # Drop one route: that flow is still drawn, as its straight line, flagged.
    routes = layers.routes[
        ~((layers.routes["origin"] == "S_STEEL") & (layers.routes["destination"] == "P_KOS"))
    ]
    lines = flow_lines(layers.flows, routes)
    assert len(lines) == len(layers.flows)
    fallback = lines[~lines["along_road"]]
    assert list(zip(fallback["origin"], fallback["destination"], strict=True)) == [
        ("S_STEEL", "P_KOS")
    ]
    assert len(fallback.geometry.iloc[0].coords) == 2
    page = render_html(html_map(layers.sites, layers.flows, routes, layers.network, layers.summary))
    assert "straight line (no road route)" in page
    assert '"dashArray": "6,5"' in page


def test_flow_width_grows_with_tonnes(run_dir: Path) -> None:
    page = render_html(html_map(**_layers(run_dir)))
    weights = [float(w) for w in re.findall(r'"weight": ([0-9.]+)', page)]
    # Road edges use 3.0 / 2.2 / 1.4; flows span 1.5 (near zero) .. 10 (the largest lane).
    assert max(weights) == pytest.approx(10.0)
    assert min(w for w in weights if w not in (3.0, 2.2, 1.4)) < 5


def test_static_map_has_title_legend_and_geographic_axes(
    run_dir: Path, run_facts: dict[str, Any]
) -> None:
    fig = static_map(**_layers(run_dir))
    assert "kz_auto_demo" in fig._suptitle.get_text()
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert "plant (chosen)" in labels and "hub (chosen)" in labels
    assert "candidate, not chosen" in labels
    assert "supplier" in labels and "market" in labels
    for commodity in run_facts["commodities"]:
        assert f"flow: {commodity}" in labels
    ax = fig.axes[0]
    west, east = ax.get_xlim()
    south, north = ax.get_ylim()
    # Extent covers the Kazakh sites (57.2..82.6 E, 42.3..54.9 N) with a small margin.
    assert 54 < west < 57.2 and 82.6 < east < 86
    assert 41 < south < 42.35 and 54.9 < north < 56
    assert ax.get_aspect() == pytest.approx(1 / np.cos(np.radians((south + north) / 2)))
    texts = [t.get_text() for t in ax.texts]
    assert any(t.endswith(" km") for t in texts)  # scale bar
    assert any(OSM_ATTRIBUTION in t for t in texts)
    for name in run_facts["chosen_names"]:
        assert name in texts
    tick = ax.xaxis.get_major_formatter()(70.0, 0)
    assert tick == "70°E"


def test_static_map_shows_names_with_dollar_signs_literally(
    run_dir: Path, run_facts: dict[str, Any], tmp_path: Path
) -> None:
    # matplotlib reads $...$ as math; "$\\frac$" alone is a math syntax error there
    layers = _layers(run_dir)
    sites = layers["sites"]
    chosen = sites["name"].isin(run_facts["chosen_names"])
    sites.loc[chosen, "name"] = sites.loc[chosen, "name"] + r" $\frac$"
    sites["type"] = sites["type"].str.replace("plant", r"plant $\sqrt$")
    layers["summary"]["scenario"] = r"kz $\frac$ demo"
    fig = static_map(**layers)
    fig.savefig(tmp_path / "dollar.png")
    texts = "\n".join(t.get_text() for t in fig.axes[0].texts)
    for name in run_facts["chosen_names"]:
        assert name + r" $\frac$" in texts
    assert r"kz $\frac$ demo" in fig._suptitle.get_text()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert r"plant $\sqrt$ (chosen)" in legend


def test_maps_draw_a_run_without_flows_or_network(make_run: Any, tmp_path: Path) -> None:
    run = make_run("bare")
    layers = read_run_layers(run)
    empty = layers.flows.iloc[0:0]
    page = render_html(
        html_map(layers.sites, empty, empty, layers.network.iloc[0:0], layers.summary)
    )
    assert page.count("L.marker(") == len(layers.sites)
    assert "Flows:" not in page
    fig = static_map(layers.sites, empty, empty, layers.network.iloc[0:0], {})
    fig.savefig(tmp_path / "bare.png")
    assert (tmp_path / "bare.png").stat().st_size > 10_000


def test_single_site_gets_a_sensible_extent(make_run: Any) -> None:
    layers = read_run_layers(make_run("one"))
    one = layers.sites.iloc[[2]]
    fig = static_map(one, layers.flows.iloc[0:0], layers.routes.iloc[0:0], one.iloc[0:0], {})
    west, east = fig.axes[0].get_xlim()
    assert 0.2 <= east - west < 1.0


def test_bad_run_folders_raise_input_errors(tmp_path: Path, run_dir: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        draw_maps(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"no results\.gpkg"):
        draw_maps(empty)

    gpkg = run_dir / "results.gpkg"
    sites = gpd.read_file(gpkg, layer="sites").drop(columns=["type"])
    broken = tmp_path / "broken"
    broken.mkdir()
    sites.to_file(broken / "results.gpkg", layer="sites", driver="GPKG")
    with pytest.raises(InputError, match=r"layer 'sites' lacks column\(s\) type"):
        draw_maps(broken)

    flows = gpd.GeoDataFrame(
        {"origin": ["a"], "commodity": ["x"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4326
    )
    flows.to_file(broken / "results.gpkg", layer="flows", driver="GPKG")
    gpd.read_file(gpkg, layer="sites").to_file(broken / "results.gpkg", layer="sites")
    with pytest.raises(InputError, match=r"layer 'flows' lacks column\(s\) destination"):
        draw_maps(broken)

    (run_dir / "summary.json").write_text("{not json")
    with pytest.raises(InputError, match=r"summary\.json is not valid JSON"):
        draw_maps(run_dir)
    assert not (run_dir / "map.html").exists()

    not_gpkg = tmp_path / "notgpkg"
    not_gpkg.mkdir()
    (not_gpkg / "results.gpkg").write_text("hello")
    with pytest.raises(InputError, match="cannot be read as a GeoPackage"):
        draw_maps(not_gpkg)


def test_static_map_fans_out_colocated_facilities(colocated_run_dir: Path) -> None:
    layers = read_run_layers(colocated_run_dir)
    fig = static_map(layers.sites, layers.flows, layers.routes, layers.network, layers.summary)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert any("Kostanay assembly" in t and "Almaty assembly" in t for t in texts)
    # The plant markers (red squares) are drawn at two different spots around Kostanay.
    plants = [
        c.get_offsets()
        for c in ax.collections
        if len(c.get_facecolors())
        and np.allclose(c.get_facecolors()[0][:3], (0.839, 0.153, 0.157), atol=0.01)
    ]
    points = np.vstack(plants)
    assert len(points) == 2
    assert np.abs(points[0] - points[1]).max() > 0.2
    assert np.abs(points.mean(axis=0) - (63.6246, 53.2144)).max() < 1.0


def test_static_map_site_labels_do_not_overlap(colocated_run_dir: Path) -> None:
    layers = read_run_layers(colocated_run_dir)
    fig = static_map(layers.sites, layers.flows, layers.routes, layers.network, layers.summary)
    fig.savefig(colocated_run_dir / "check.png")  # lays the figure out
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if "assembly" in t.get_text() or "hub" in t.get_text()]
    assert len(labels) == 2  # Kostanay+Almaty plants share one label; Astana hub has its own
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert not boxes[0].overlaps(boxes[1])
    for box in boxes:
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1


def test_network_layer_is_merged_and_simplified_when_large(run_dir: Path) -> None:
    network = read_run_layers(run_dir).network
    # Densify the 14 straight roads to ~2,000 vertices each, as real OSM ways would be.
    dense = network.copy()
    dense["geometry"] = [g.segmentize(0.002) for g in network.geometry]
    full = network_geojson(dense, max_vertices=10**9)
    n_full = sum(len(line) for f in full["features"] for line in f["geometry"]["coordinates"])
    assert n_full > 20_000
    light = network_geojson(dense, max_vertices=5_000)
    n_light = sum(len(line) for f in light["features"] for line in f["geometry"]["coordinates"])
    assert n_light <= 5_000
    assert len(light["features"]) == len(full["features"]) == 14
    # Edges with the same class and label become one feature.
    same = dense.assign(ref="M-36", name="")
    classes = {road_class(h) for h in same["highway"]}
    assert len(network_geojson(same)["features"]) == len(classes)
