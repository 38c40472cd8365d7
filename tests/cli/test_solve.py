"""`clusterloc validate | solve | compare | map` end to end, through the real console script."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

KZ_SMALL = Path(__file__).resolve().parents[1] / "data" / "kz_small"
Runner = Callable[..., subprocess.CompletedProcess[str]]

SUMMARY_KEYS = {
    "scenario",
    "status",
    "objective",
    "best_bound",
    "gap",
    "costs",
    "open_sites",
    "co2_t",
    "seconds",
    "solver",
    "versions",
    "inputs",
}


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def runs(run_cli: Runner, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Solve the road and the explicit-lane test scenarios once for the module."""
    out = tmp_path_factory.mktemp("runs")
    ok(run_cli("solve", KZ_SMALL / "scenario.yaml", "--out", out / "road"))
    ok(run_cli("solve", KZ_SMALL / "lanes.yaml", "--out", out / "lanes"))
    return {"road": out / "road", "lanes": out / "lanes"}


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_validate_checks_without_solving(run_cli: Runner, tmp_path: Path) -> None:
    proc = ok(run_cli("validate", KZ_SMALL / "scenario.yaml", cwd=tmp_path))
    assert "valid" in proc.stdout
    assert "snapped to the road network: max 3.3 km (plant_oskemen)" in proc.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_solve_writes_the_run_folder(runs: dict[str, Path]) -> None:
    folder = runs["road"]
    for name in ("summary.json", "sites.csv", "flows.csv", "results.gpkg"):
        assert (folder / name).is_file(), name
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")], "temp left"
    summary = read_json(folder / "summary.json")
    assert set(summary) >= SUMMARY_KEYS
    assert summary["scenario"] == "kz_small"
    assert summary["status"] == "optimal"
    assert set(summary["costs"]) >= {"fixed", "transport", "handling", "co2", "unmet"}
    assert summary["objective"] == pytest.approx(sum(summary["costs"].values()), rel=1e-6)
    assert set(summary["seconds"]) == {"network", "matrix", "build", "solve", "total"}
    assert summary["solver"] == "highs"
    assert "scenario.yaml" in summary["inputs"] and "sites.csv" in summary["inputs"]
    assert any(k.endswith("kz_republic_roads_KAZ01-23.geojson") for k in summary["inputs"])
    # the existing plant stays open; every open site is a facility of the site table
    sites = pd.read_csv(folder / "sites.csv")
    facilities = set(sites.loc[~sites["type"].isin(["supplier", "market"]), "site_id"])
    assert "plant_kostanay" in summary["open_sites"]
    assert set(summary["open_sites"]) <= facilities
    opened = set(sites.loc[sites["open"] & sites["site_id"].isin(facilities), "site_id"])
    assert opened == set(summary["open_sites"])
    # demand is met: vehicles into markets add up to the demand table
    flows = pd.read_csv(folder / "flows.csv")
    demand = pd.read_csv(KZ_SMALL / "demand.csv")
    into_markets = flows[flows["destination"].str.startswith("mkt_")]
    assert into_markets["quantity"].sum() == pytest.approx(demand["demand"].sum())
    assert {"road_km", "km", "hours", "transport_cost", "co2_t", "tonnes"} <= set(flows.columns)
    assert flows["transport_cost"].sum() == pytest.approx(summary["costs"]["transport"], rel=1e-6)
    # utilization of open plants never exceeds capacity
    plants = sites[(sites["type"] == "plant") & sites["open"]]
    assert (plants["throughput"] <= plants["capacity"] + 1e-6).all()


def test_geopackage_layers_and_road_routes(runs: dict[str, Path]) -> None:
    gpkg = runs["road"] / "results.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    assert layers == {
        "sites": "Point",
        "flows": "LineString",
        "routes": "LineString",
        "network": "LineString",
    }
    sites = gpd.read_file(gpkg, layer="sites")
    flows = gpd.read_file(gpkg, layer="flows")
    routes = gpd.read_file(gpkg, layer="routes")
    network = gpd.read_file(gpkg, layer="network")
    for layer in (sites, flows, routes, network):
        assert layer.crs is not None and layer.crs.to_epsg() == 4326
    assert {"site_id", "status", "open", "level", "capacity", "throughput", "utilization",
            "fixed_cost", "snap_m", "tags"} <= set(sites.columns)  # fmt: skip
    assert list(routes["origin"]) == list(flows["origin"])
    # a route follows the roads: it has many vertices and is at least as long as the chord
    long = routes["km"] > 100
    route_len = shapely.length(routes.geometry[long].to_numpy())
    chord_len = shapely.length(flows.geometry[long].to_numpy())
    assert (route_len >= chord_len - 1e-9).all()
    assert min(len(g.coords) for g in routes.geometry[long]) > 10
    assert {"highway", "ref", "name", "length_m"} <= set(network.columns)
    assert len(network) > 1000
    assert network["ref"].str.startswith("KAZ").any()


def test_explicit_lanes_run(runs: dict[str, Path]) -> None:
    summary = read_json(runs["lanes"] / "summary.json")
    assert summary["scenario"] == "kz_small_lanes"
    assert summary["status"] == "optimal"
    assert summary["seconds"]["network"] == 0
    assert not any("geojson" in k for k in summary["inputs"])
    network = gpd.read_file(runs["lanes"] / "results.gpkg", layer="network")
    assert len(network) == 0


def test_same_inputs_give_the_same_summary(run_cli: Runner, tmp_path: Path) -> None:
    summaries = []
    for name in ("a", "b"):
        ok(run_cli("solve", KZ_SMALL / "lanes.yaml", "--out", tmp_path / name, "--no-maps"))
        summary = read_json(tmp_path / name / "summary.json")
        summary.pop("seconds")
        summaries.append(summary)
    assert summaries[0] == summaries[1]


def test_overrides_change_the_answer(run_cli: Runner, tmp_path: Path) -> None:
    ok(run_cli(
        "solve", KZ_SMALL / "lanes.yaml", "--out", tmp_path / "one", "--no-maps",
        "--set", "policy.min_open.warehouse=1", "--solver", "cbc", "--time-limit", "60",
    ))  # fmt: skip
    summary = read_json(tmp_path / "one" / "summary.json")
    assert summary["open_by_type"]["warehouse"] == 1
    assert summary["costs"]["fixed"] > 3.5e9  # two plants + a warehouse
    assert summary["solver"] == "cbc"
    assert summary["solver_settings"]["time_limit"] == 60


def test_existing_output_folder_is_refused_unless_forced(run_cli: Runner, tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    proc = run_cli("solve", KZ_SMALL / "lanes.yaml", "--out", out, "--no-maps")
    assert proc.returncode == 2
    assert "already exists; use --force" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    # --force replaces only a clusterloc run folder, never a user's folder
    proc = run_cli("solve", KZ_SMALL / "lanes.yaml", "--out", out, "--no-maps", "--force")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "is not a clusterloc run folder" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    run = tmp_path / "run2"
    ok(run_cli("solve", KZ_SMALL / "lanes.yaml", "--out", run, "--no-maps"))
    first = (run / "summary.json").stat().st_mtime_ns
    ok(run_cli("solve", KZ_SMALL / "lanes.yaml", "--out", run, "--no-maps", "--force"))
    assert (run / "summary.json").stat().st_mtime_ns != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "run2"]


def test_infeasible_exits_3_and_writes_nothing(run_cli: Runner, tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = run_cli(
        "solve", KZ_SMALL / "lanes.yaml", "--out", out, "--no-maps", "--set", "policy.co2_cap=10"
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "infeasible" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_compare_runs(run_cli: Runner, runs: dict[str, Path], tmp_path: Path) -> None:
    proc = ok(run_cli("compare", runs["road"], runs["lanes"], "--out", tmp_path / "cmp"))
    assert "kz_small_lanes" in proc.stdout
    table = pd.read_csv(tmp_path / "cmp.csv", index_col="kpi")
    assert list(table.columns) == ["kz_small", "kz_small_lanes"]
    for kpi in ("status", "objective", "gap", "cost_fixed", "cost_transport", "cost_handling",
                "cost_co2", "cost_unmet", "open_plant", "open_warehouse", "co2_t", "avg_service_km",
                "max_service_km"):  # fmt: skip
        assert kpi in table.index, kpi
    road = read_json(runs["road"] / "summary.json")
    assert float(table.loc["objective", "kz_small"]) == pytest.approx(road["objective"])
    markdown = (tmp_path / "cmp.md").read_text()
    assert "| kpi | kz_small | kz_small_lanes |" in markdown


def test_compare_needs_run_folders(run_cli: Runner, tmp_path: Path) -> None:
    proc = run_cli("compare", tmp_path)
    assert proc.returncode == 2
    assert "is not a run folder: it has no summary.json" in proc.stderr


def test_maps_and_report_are_drawn(runs: dict[str, Path]) -> None:
    folder = runs["road"]
    for name in ("map.html", "map.png", "report.md"):
        assert (folder / name).stat().st_size > 0, name
    html = (folder / "map.html").read_text(encoding="utf-8")
    assert "OpenStreetMap contributors" in html
    assert "Astana assembly" in html


def test_map_command_redraws_a_run(run_cli: Runner, runs: dict[str, Path]) -> None:
    folder = runs["lanes"]
    (folder / "map.html").unlink()
    (folder / "map.png").unlink()
    proc = ok(run_cli("map", folder))
    assert "maps drawn" in proc.stdout
    assert (folder / "map.html").is_file() and (folder / "map.png").is_file()


def test_map_of_a_folder_that_is_not_a_run(run_cli: Runner, tmp_path: Path) -> None:
    proc = run_cli("map", tmp_path)
    assert proc.returncode == 2
    assert "has no summary.json" in proc.stderr


def test_validate_reports_certain_infeasibility(run_cli: Runner, tmp_path: Path) -> None:
    proc = run_cli(
        "validate", KZ_SMALL / "lanes.yaml", "--set", "policy.max_open.plant=1", cwd=tmp_path
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "cannot be feasible: Capacity of facility type 'plant' is 40000" in proc.stderr
    assert list(tmp_path.iterdir()) == []
