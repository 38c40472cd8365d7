"""Sites attach to the nearest point of the nearest road, not only to junction nodes."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from shapely import LineString

from clusterloc.network import RoadNetwork, attach_points, graph_from_file

# Cities that lie beside KAZ06 but far from any junction of the republic-roads graph.
SITES = {
    "Shymkent": (69.59, 42.30),
    "Taraz": (71.37, 42.90),
    "Turkistan": (68.25, 43.30),
    "Astana": (71.43, 51.13),
}


@pytest.fixture(scope="module")
def kz_graph(osm_dir: Path) -> nx.MultiDiGraph:
    return graph_from_file(osm_dir / "kz_republic_roads_KAZ01-23.geojson")


def _snap(G: nx.MultiDiGraph) -> np.ndarray:
    names = list(SITES)
    lon = [SITES[n][0] for n in names]
    lat = [SITES[n][1] for n in names]
    snapped = RoadNetwork(G).snap(lon, lat, names, max_snap_m=1e7)
    return np.asarray(snapped["snap_m"], dtype=float)


def test_roadside_cities_snap_within_a_few_km_after_attaching(kz_graph: nx.MultiDiGraph) -> None:
    before = _snap(kz_graph)
    names = list(SITES)
    H, nodes = attach_points(kz_graph, [SITES[n][0] for n in names], [SITES[n][1] for n in names])
    after = _snap(H)
    # Junction-only nodes leave Shymkent hundreds of km from a node; the road is ~4 km away.
    assert before[0] > 100_000
    assert (after < 5_000).all(), dict(zip(names, after, strict=True))
    assert len(nodes) == len(SITES)
    assert kz_graph.number_of_nodes() < H.number_of_nodes() <= kz_graph.number_of_nodes() + 4


def test_attaching_keeps_length_and_shortest_paths(kz_graph: nx.MultiDiGraph) -> None:
    names = list(SITES)
    H, nodes = attach_points(kz_graph, [SITES[n][0] for n in names], [SITES[n][1] for n in names])
    total = sum(d["length"] for *_, d in kz_graph.edges(data=True))
    total_h = sum(d["length"] for *_, d in H.edges(data=True))
    assert total_h == pytest.approx(total, rel=1e-12)
    old = list(kz_graph.nodes)[:20]
    km0, h0 = RoadNetwork(kz_graph).matrices(old, old)
    km1, h1 = RoadNetwork(H).matrices(old, old)
    np.testing.assert_allclose(km1, km0, rtol=1e-12)
    np.testing.assert_allclose(h1, h0, rtol=1e-12)
    # Shymkent -> Taraz along KAZ06 is about 180 km by road.
    km, _ = RoadNetwork(H).matrices([nodes[0]], [nodes[1]])
    assert 160 < km[0, 0] < 200


def test_sites_on_the_same_point_share_a_node(kz_graph: nx.MultiDiGraph) -> None:
    H, nodes = attach_points(kz_graph, [69.59, 69.59], [42.30, 42.30])
    assert nodes[0] == nodes[1]
    assert H.number_of_nodes() == kz_graph.number_of_nodes() + 1


def test_a_site_beside_a_loop_road_splits_both_directions() -> None:
    # A ring road stored as two loop edges (one per direction) at node 1, plus a spur to 2.
    ring = LineString([(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01), (0.0, 0.0)])
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=-0.01, y=0.0)
    length = 4 * 1113.2
    G.add_edge(1, 1, length=length, travel_time=length / 10, geometry=ring)
    G.add_edge(1, 1, length=length, travel_time=length / 10, geometry=ring.reverse())
    for a, b in ((1, 2), (2, 1)):
        G.add_edge(a, b, length=1113.2, travel_time=111.32)
    H, (node,) = attach_points(G, [0.0105], [0.005])  # beside the ring's east side
    assert node not in G
    assert H.number_of_edges() == G.number_of_edges() + 2
    total = sum(d["length"] for *_, d in H.edges(data=True))
    assert total == pytest.approx(sum(d["length"] for *_, d in G.edges(data=True)))
    km, _ = RoadNetwork(H).matrices([2], [node])
    # spur 1.1 km + 1.5 sides of the ring (~1.67 km) either way round
    assert km[0, 0] == pytest.approx((1113.2 + 1.5 * 1113.2) / 1000, rel=0.02)
