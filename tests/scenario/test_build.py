"""Scenario → road network → snapped lanes → ModelInputs, on real OpenStreetMap roads."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from clusterloc.errors import ScenarioError, SnapError
from clusterloc.model import validate_inputs
from clusterloc.scenario.build import build_scenario, truck_settings
from clusterloc.scenario.load import load_scenario


def great_circle_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@pytest.fixture
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.getbasetemp() / "network-cache"
    monkeypatch.setenv("CLUSTERLOC_CACHE", str(folder))
    return folder


def test_road_scenario_builds_lanes_between_linked_types(kz_small: Path, cache: Path) -> None:
    built = build_scenario(load_scenario(kz_small / "scenario.yaml"))
    assert built.graph is not None and built.network is not None
    assert any(cache.iterdir()), "the built network is cached"
    sites = built.tables.sites.set_index("site_id")
    lanes = built.lanes
    types = sites["type"]
    pairs = set(zip(types[lanes["origin"]], types[lanes["destination"]], strict=True))
    assert pairs == {
        ("supplier", "plant"),
        ("plant", "warehouse"),
        ("warehouse", "market"),
        ("plant", "market"),
    }
    # 2x4 + 4x2 + 2x9 + 4x9 linked pairs, all reachable on the joined national network
    assert len(lanes) == 70
    # a road is never shorter than the great circle, and Astana-Almaty is ~1,200 km by road
    for row in lanes.itertuples():
        o, d = sites.loc[row.origin], sites.loc[row.destination]
        assert row.km >= great_circle_km(o.lon, o.lat, d.lon, d.lat) - 1e-6
    astana_almaty = lanes[(lanes.origin == "plant_astana") & (lanes.destination == "mkt_almaty")]
    assert 1100 < float(astana_almaty["km"].iloc[0]) < 1400
    assert np.allclose(lanes["km"], lanes["road_km"] + lanes["offroad_km"])
    # every site snapped, within the scenario's limit
    assert set(built.snaps["site_id"]) == set(sites.index)
    assert built.snaps["snap_m"].max() <= 40_000
    # the inputs pass the engine's own checks
    clean = validate_inputs(built.inputs)
    assert clean.facility_types == ["plant", "warehouse"]
    assert built.seconds["network"] > 0


def test_truck_settings_come_from_the_scenario(kz_small: Path) -> None:
    scenario = load_scenario(
        kz_small / "scenario.yaml",
        ["network.truck.detour_factor=1.5", "network.truck.speeds_kph={trunk: 55}"],
    )
    settings = truck_settings(scenario)
    assert settings.max_snap_m == 40_000
    assert settings.detour_factor == 1.5
    assert dict(settings.speeds_kph)["trunk"] == 55
    assert dict(settings.speeds_kph)["motorway"] == 80  # defaults kept


def test_unknown_truck_setting_lists_allowed_keys(kz_small: Path) -> None:
    with pytest.raises(ScenarioError, match=r"unknown key 'network\.truck\.speed'.*max_snap_m"):
        load_scenario(kz_small / "scenario.yaml", ["network.truck.speed=3"])


def test_missing_road_file_is_named(kz_small: Path) -> None:
    scenario = load_scenario(kz_small / "scenario.yaml", ["network.source=no/such/roads.osm.pbf"])
    with pytest.raises(
        ScenarioError, match=r"network\.source: road file .*roads\.osm\.pbf not found"
    ):
        build_scenario(scenario, network=False)


def test_site_beyond_the_snap_limit_is_named(kz_small: Path, cache: Path) -> None:
    scenario = load_scenario(kz_small / "scenario.yaml", ["network.truck.max_snap_m=3000"])
    with pytest.raises(SnapError, match=r"site 'plant_oskemen' is 3\.\d km from the nearest road"):
        build_scenario(scenario)


def test_explicit_lanes_need_no_network(lanes_only: Path) -> None:
    built = build_scenario(load_scenario(lanes_only / "lanes.yaml"))
    assert built.graph is None
    assert len(built.inputs.lanes) == 70
    assert list(built.inputs.lanes.columns) == ["origin", "destination", "km", "hours"]
    assert built.inputs.policy.max_open == {"plant": 3}
    validate_inputs(built.inputs)
