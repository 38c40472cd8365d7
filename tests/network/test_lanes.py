"""lane_table on a real OSM fixture: door-to-door km/hours with priced off-road legs."""

from __future__ import annotations

import logging
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pyproj
import pytest

from clusterloc.errors import InputError, SnapError
from clusterloc.network.lanes import LANE_COLUMNS, lane_table
from clusterloc.network.routing import RoadNetwork
from clusterloc.network.settings import TruckSettings


@pytest.fixture(scope="module")
def ags_graph(osm_dir: Path) -> nx.MultiDiGraph:
    G = ox.graph_from_xml(
        osm_dir / "fixtures" / "aguascalientes.osm.bz2", simplify=True, retain_all=False
    )
    for _, _, data in G.edges(data=True):
        if data.get("highway") is None:
            data["highway"] = "unclassified"
    G = ox.add_edge_speeds(G, fallback=30.0)
    return ox.add_edge_travel_times(G)


@pytest.fixture(scope="module")
def net(ags_graph: nx.MultiDiGraph) -> RoadNetwork:
    return RoadNetwork(ags_graph)


def sites_near(G: nx.MultiDiGraph, picks: dict[str, tuple[int, float, float]]) -> pd.DataFrame:
    """Sites placed at (node index, d_lon, d_lat) offsets from real graph nodes."""
    nodes = list(G.nodes)
    rows = []
    for site_id, (i, dx, dy) in picks.items():
        d = G.nodes[nodes[i]]
        rows.append({"site_id": site_id, "lon": d["x"] + dx, "lat": d["y"] + dy})
    return pd.DataFrame(rows)


def test_lanes_add_priced_off_road_legs_to_the_road_distance(
    ags_graph: nx.MultiDiGraph, net: RoadNetwork
) -> None:
    origins = sites_near(ags_graph, {"plant": (10, 0.002, 0.001), "port": (400, -0.001, 0.0)})
    dests = sites_near(
        ags_graph, {"dc1": (600, 0.0, 0.003), "dc2": (900, 0.001, 0.001), "plant": (10, 0.0, 0.0)}
    )
    settings = TruckSettings(detour_factor=1.5, local_speed_kph=20.0)
    table = lane_table(net, origins, dests, settings)

    assert list(table.columns) == LANE_COLUMNS
    # 2 × 3 pairs minus plant → plant
    assert len(table) == 5
    assert not ((table["origin"] == "plant") & (table["destination"] == "plant")).any()
    assert table.attrs["unreachable"] == []

    o_snap = net.snap(origins["lon"], origins["lat"], names=origins["site_id"])
    d_snap = net.snap(dests["lon"], dests["lat"], names=dests["site_id"])
    km, hours = net.matrices(o_snap["node"], d_snap["node"])
    for row in table.to_dict("records"):
        i = list(origins["site_id"]).index(row["origin"])
        j = list(dests["site_id"]).index(row["destination"])
        off = (o_snap["snap_m"][i] + d_snap["snap_m"][j]) / 1000.0 * 1.5
        assert off > 0
        assert row["road_km"] == pytest.approx(km[i, j], rel=1e-12)
        assert row["offroad_km"] == pytest.approx(off, rel=1e-12)
        assert row["km"] == pytest.approx(km[i, j] + off, rel=1e-12)
        assert row["hours"] == pytest.approx(hours[i, j] + off / 20.0, rel=1e-12)


def test_sites_on_the_same_node_pay_only_the_off_road_legs(
    ags_graph: nx.MultiDiGraph, net: RoadNetwork
) -> None:
    a = sites_near(ags_graph, {"A": (50, 0.0003, 0.0)})
    b = sites_near(ags_graph, {"B": (50, 0.0, -0.0003)})
    table = lane_table(net, a, b)
    snap_a = net.snap(a["lon"], a["lat"])["snap_m"][0]
    snap_b = net.snap(b["lon"], b["lat"])["snap_m"][0]
    row = table.iloc[0]
    defaults = TruckSettings()
    geod = pyproj.Geod(ellps="sphere")
    direct_m = geod.inv(a["lon"][0], a["lat"][0], b["lon"][0], b["lat"][0])[2]
    assert row["road_km"] == 0.0
    # The cheaper of: both legs via the shared node, or the direct line between the sites.
    expected_m = min(snap_a + snap_b, direct_m)
    assert direct_m < snap_a + snap_b
    assert row["km"] == pytest.approx(expected_m / 1000.0 * defaults.detour_factor, rel=1e-5)
    assert row["hours"] == pytest.approx(row["km"] / defaults.local_speed_kph)


def test_co_located_sites_far_from_the_road_are_next_to_each_other(
    ags_graph: nx.MultiDiGraph, net: RoadNetwork
) -> None:
    # Two sites at the same point over 2 km from the road: not 2 x 3 km x detour apart.
    a = sites_near(ags_graph, {"A": (50, 0.0, 0.05)})
    b = sites_near(ags_graph, {"B": (50, 0.0, 0.05)})
    table = lane_table(net, a, b, TruckSettings(max_snap_m=50_000))
    assert net.snap(a["lon"], a["lat"])["snap_m"][0] > 2_000
    assert table["km"].iloc[0] == pytest.approx(0.0, abs=1e-9)


def test_sites_near_each_other_far_from_the_road_go_direct(net: RoadNetwork) -> None:
    # Two sites ~4 km east of the fixture's roads, 820 m apart, attached to different
    # road nodes: driving 4 km to the road, across and 4 km back is not a lane.
    sites = pd.DataFrame(
        {"site_id": ["A", "B"], "lon": [-102.2241, -102.2241], "lat": [21.8402, 21.8476]}
    )
    settings = TruckSettings(max_snap_m=50_000)
    snapped = net.snap(sites["lon"], sites["lat"], max_snap_m=50_000)
    assert snapped["node"][0] != snapped["node"][1]
    assert (snapped["snap_m"] > 3_900).all()
    geod = pyproj.Geod(ellps="sphere")
    direct_km = geod.inv(-102.2241, 21.8402, -102.2241, 21.8476)[2] / 1000.0
    table = lane_table(net, sites, sites, settings).set_index(["origin", "destination"])
    for pair in (("A", "B"), ("B", "A")):
        row = table.loc[pair]
        assert row["road_km"] == 0.0
        assert row["km"] == pytest.approx(direct_km * settings.detour_factor, rel=1e-5)
        assert row["hours"] == pytest.approx(row["km"] / settings.local_speed_kph)
    # a far-away destination still goes by road, with both off-road legs
    far = lane_table(net, sites.iloc[[0]], sites_near(net.graph, {"C": (10, 0.0, 0.0)}), settings)
    assert far["road_km"].iloc[0] > 0
    assert far["offroad_km"].iloc[0] == pytest.approx(
        snapped["snap_m"][0] / 1000.0 * settings.detour_factor, rel=1e-6
    )


def test_detour_factor_scales_only_the_off_road_part(
    ags_graph: nx.MultiDiGraph, net: RoadNetwork
) -> None:
    origins = sites_near(ags_graph, {"o": (10, 0.003, 0.0)})
    dests = sites_near(ags_graph, {"d": (600, 0.0, 0.004)})
    one = lane_table(net, origins, dests, TruckSettings(detour_factor=1.0)).iloc[0]
    two = lane_table(net, origins, dests, TruckSettings(detour_factor=2.0)).iloc[0]
    assert two["road_km"] == one["road_km"]
    assert two["offroad_km"] == pytest.approx(2.0 * one["offroad_km"])
    assert two["km"] - one["km"] == pytest.approx(one["offroad_km"])


def test_unreachable_lanes_are_inf_listed_and_logged(
    ags_graph: nx.MultiDiGraph, net: RoadNetwork, caplog: pytest.LogCaptureFixture
) -> None:
    nodes = list(ags_graph.nodes)
    src = next(i for i, n in enumerate(nodes) if len(nx.descendants(ags_graph, n)) < 500)
    cut = next(
        i
        for i, n in enumerate(nodes)
        if i != src and n not in nx.descendants(ags_graph, nodes[src])
    )
    origins = sites_near(ags_graph, {"dead end": (src, 0.0, 0.0)})
    dests = sites_near(ags_graph, {"elsewhere": (cut, 0.0, 0.0)})
    with caplog.at_level(logging.WARNING, logger="clusterloc.network.lanes"):
        table = lane_table(net, origins, dests)
    row = table.iloc[0]
    assert np.isinf(row["km"]) and np.isinf(row["hours"]) and np.isinf(row["road_km"])
    assert table.attrs["unreachable"] == [("dead end", "elsewhere")]
    assert "'dead end' → 'elsewhere'" in caplog.text


def test_a_site_beyond_the_snap_limit_is_named(
    ags_graph: nx.MultiDiGraph, net: RoadNetwork
) -> None:
    origins = sites_near(ags_graph, {"ok": (1, 0.0, 0.0), "Mine 7": (1, 0.0, 0.5)})
    dests = sites_near(ags_graph, {"dc": (2, 0.0, 0.0)})
    with pytest.raises(SnapError, match=r"site 'Mine 7' is 5\d\.\d km .*\(limit 10 km\)"):
        lane_table(net, origins, dests, TruckSettings(max_snap_m=10_000))


def test_bad_site_tables_are_input_errors(net: RoadNetwork) -> None:
    good = pd.DataFrame({"site_id": ["a"], "lon": [-102.29], "lat": [21.88]})
    with pytest.raises(InputError, match="origins table has no 'lat' column"):
        lane_table(net, good.drop(columns="lat"), good)
    twice = pd.DataFrame({"site_id": ["x", "x"], "lon": [-102.29, -102.3], "lat": [21.88, 21.9]})
    with pytest.raises(InputError, match="destinations table lists site 'x' more than once"):
        lane_table(net, good, twice)


@pytest.fixture(scope="module")
def kz_net(osm_dir: Path) -> RoadNetwork:
    from clusterloc.network import graph_from_file

    return RoadNetwork(graph_from_file(osm_dir / "kz_republic_roads_KAZ01-23.geojson"))


@pytest.fixture(scope="module")
def kz_cities(osm_dir: Path) -> pd.DataFrame:
    cities = pd.read_csv(osm_dir / "kz_cities_geonames_pop5000.csv").drop_duplicates("name")
    return cities.rename(columns={"name": "site_id"})[["site_id", "lon", "lat"]]


def test_kz_city_lanes_are_door_to_door_and_never_shorter_than_straight(
    kz_net: RoadNetwork, kz_cities: pd.DataFrame
) -> None:
    names = ["Astana", "Almaty", "Karagandy", "Pavlodar", "Semey", "Aktobe", "Oral", "Atyrau"]
    sites = kz_cities.set_index("site_id").loc[names].reset_index()
    table = lane_table(kz_net, sites, sites)
    assert len(table) == len(names) * (len(names) - 1)
    assert np.isfinite(table["km"]).all() and table.attrs["unreachable"] == []

    xy = sites.set_index("site_id")
    o, d = xy.loc[table["origin"]], xy.loc[table["destination"]]
    geod = pyproj.Geod(ellps="sphere")
    _, _, straight_m = geod.inv(o["lon"], o["lat"], d["lon"], d["lat"])
    straight_km = np.asarray(straight_m) / 1000.0
    assert (table["km"].to_numpy() >= straight_km * (1 - 1e-5)).all()
    # Trucks on trunk roads: door-to-door average speed between the local and trunk speed.
    speed = table["km"] / table["hours"]
    assert speed.between(30.0, 80.0).all()
    astana_almaty = table[(table["origin"] == "Astana") & (table["destination"] == "Almaty")]
    assert astana_almaty["road_km"].iloc[0] > 1000.0


def test_a_city_hundreds_of_km_from_the_republican_roads_is_named(
    kz_net: RoadNetwork, kz_cities: pd.DataFrame
) -> None:
    # Shymkent lies over 400 km from the nearest *node* of the 23-road layer (the road
    # itself passes ~4 km away: pipelines call attach_points first, see test_attach.py).
    sites = kz_cities.set_index("site_id").loc[["Astana", "Shymkent"]].reset_index()
    with pytest.raises(SnapError, match=r"site 'Shymkent' is 4\d\d\.\d km .*\(limit 20 km\)"):
        lane_table(kz_net, sites, sites)
