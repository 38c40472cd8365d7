"""Two-stage MIP start (clusterloc.model.speedups.twostage) on real TSCFLP instances."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from clusterloc.bench import (
    cap_inputs,
    read_best_known,
    read_cap,
    read_tscflp,
    solve_inputs,
    tscflp_inputs,
)
from clusterloc.model import LocationModel, make_solver
from clusterloc.model.speedups.twostage import (
    TwoStageStart,
    decompose,
    lagrangian_two_stage,
    price_open_sets,
    recognise_two_stage,
    relax_with_cuts,
)


@pytest.fixture(scope="module")
def best_known(tscflp_dir: Path) -> dict[str, float]:
    return read_best_known(tscflp_dir / "bks-50.txt")


def _model(path: Path) -> LocationModel:
    model = LocationModel.from_inputs(tscflp_inputs(read_tscflp(path)))
    model.build()
    return model


def test_tscflp_model_is_recognised_with_the_file_costs(tscflp_dir: Path) -> None:
    inst = read_tscflp(tscflp_dir / "PSC1-C1-50.txt")
    found, reason = recognise_two_stage(_model(tscflp_dir / "PSC1-C1-50.txt"))
    assert found is not None, reason
    data, mapping = found
    assert data.plant_depot.shape == (50, 100) and data.depot_market.shape == (100, 200)
    # arrays follow the model's site order; map back to the file's by id (p1 = row 0)
    plants = [int(s[1:]) - 1 for s in mapping.plant_ids]
    depots = [int(s[1:]) - 1 for s in mapping.depot_ids]
    markets = [int(s[1:]) - 1 for s in mapping.market_ids]
    assert sorted(plants) == list(range(50)) and sorted(markets) == list(range(200))
    np.testing.assert_allclose(data.plant_depot, inst.plant_depot_costs[np.ix_(plants, depots)])
    np.testing.assert_allclose(
        data.depot_market, inst.depot_customer_costs[np.ix_(depots, markets)]
    )
    np.testing.assert_allclose(data.demands, inst.demands[markets])
    np.testing.assert_allclose(data.plant_fixed, inst.plant_fixed_costs[plants])
    np.testing.assert_allclose(data.depot_capacity, inst.depot_capacities[depots])


def test_single_echelon_model_is_left_alone(bench_dir: Path) -> None:
    path = bench_dir / "orlib_cap" / "cap71.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    model = LocationModel.from_inputs(cap_inputs(read_cap(path)))
    prob = model.build()
    bounds = {v.name: (v.lowBound, v.upBound) for v in prob.variables()}
    solver = make_solver("highs", time_limit=10)
    step = TwoStageStart(solver, seconds=5)
    report = step(model)
    assert not report.applied
    assert "not a two-stage model" in report.reason
    assert step.solution is None and solver.start == {}
    assert {v.name: (v.lowBound, v.upBound) for v in prob.variables()} == bounds


def test_decomposition_and_relaxation_are_consistent(
    tscflp_dir: Path, best_known: dict[str, float]
) -> None:
    # PSC1-C4-50: best known 541803 is a proven optimum (SOURCES.md)
    found, _ = recognise_two_stage(_model(tscflp_dir / "PSC1-C4-50.txt"))
    assert found is not None
    data, _ = found
    dec = decompose(data, time.perf_counter() + 5)
    assert dec.solution is not None
    bks = best_known["PSC1-C4-50"]
    assert dec.lower_bound <= bks <= dec.solution.objective
    relaxation = relax_with_cuts(data, time.perf_counter() + 20)
    assert relaxation is not None and relaxation.complete
    assert dec.lower_bound <= relaxation.bound <= bks
    # pricing the decomposition's own open sets again gives the same cost
    again = price_open_sets(data, dec.solution.plants, dec.solution.depots)
    assert again is not None
    assert again.objective == pytest.approx(dec.solution.objective, rel=1e-9)
    # the two-echelon Lagrangian bound is valid too
    lagr = lagrangian_two_stage(data, deadline=time.perf_counter() + 3)
    assert np.isfinite(lagr.bound) and lagr.bound <= bks
    # closing every depot but one cannot serve the demand
    one = np.zeros_like(dec.solution.depots)
    one[0] = True
    assert price_open_sets(data, dec.solution.plants, one) is None


def test_start_is_a_feasible_solution_near_the_best_known(
    tscflp_dir: Path, best_known: dict[str, float]
) -> None:
    model = _model(tscflp_dir / "PSC1-C4-50.txt")
    solver = make_solver("highs", time_limit=10, threads=1)
    step = TwoStageStart(solver, seconds=12)
    report = step(model)
    assert report.applied, report.reason
    sol = step.solution
    assert sol is not None
    found, _ = recognise_two_stage(_model(tscflp_dir / "PSC1-C4-50.txt"))
    assert found is not None
    data, _ = found
    # every customer served, depots pass on what they receive, capacities respected
    np.testing.assert_allclose(sol.depot_market.sum(axis=0), data.demands, rtol=1e-7)
    np.testing.assert_allclose(sol.plant_depot.sum(axis=0), sol.depot_market.sum(axis=1), atol=1e-6)
    assert (sol.depot_market.sum(axis=1) <= data.depot_capacity * sol.depots + 1e-6).all()
    assert (sol.plant_depot.sum(axis=1) <= data.plant_capacity * sol.plants + 1e-6).all()
    cost = (
        data.plant_fixed[sol.plants].sum()
        + data.depot_fixed[sol.depots].sum()
        + (data.plant_depot * sol.plant_depot).sum()
        + (data.depot_market * sol.depot_market).sum()
    )
    assert cost == pytest.approx(sol.objective, rel=1e-7)
    bks = best_known["PSC1-C4-50"]
    assert report.lower_bound is not None and report.lower_bound <= bks
    assert sol.objective <= bks * 1.01
    # the start reaches the solver, covering every variable of the model
    assert len(solver.start) == len(model.flow_list) + len(model.open_vars)


def test_without_time_for_the_lp_the_lagrangian_ranks_the_kernel(
    tscflp_dir: Path, best_known: dict[str, float]
) -> None:
    model = _model(tscflp_dir / "PSC1-C1-50.txt")
    step = TwoStageStart(make_solver("highs", time_limit=5), seconds=6, relaxation_share=0.0)
    report = step(model)
    assert report.applied and report.relaxation is None
    bks = best_known["PSC1-C1-50"]
    assert report.lower_bound is not None and report.lower_bound <= bks
    assert report.objective is not None and bks * (1 - 1e-9) <= report.objective <= bks * 1.01


def test_solve_inputs_with_two_stage_start_is_honest(
    tscflp_dir: Path, best_known: dict[str, float]
) -> None:
    # PSC1-C3-50: HiGHS alone did not prove it in 150 s (SOURCES.md); the bks is feasible
    res = solve_inputs(
        tscflp_inputs(read_tscflp(tscflp_dir / "PSC1-C3-50.txt")),
        time_limit=20,
        threads=1,
        two_stage_start=True,
    )
    bks = best_known["PSC1-C3-50"]
    assert res["start"]["applied"]
    assert res["status"] in ("optimal", "feasible")
    assert res["objective"] <= bks * 1.005
    # the fixings are exact: the proven bound never exceeds a known feasible value
    if res["best_bound"] is not None:
        assert res["best_bound"] <= bks * (1 + 1e-9)
    if res["status"] == "optimal":
        assert res["best_bound"] >= res["objective"] * (1 - 1e-4)
    assert res["start"]["lower_bound"] <= bks


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clusterloc.cli.main", "bench", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_bench_tscflp_uses_the_two_stage_start(
    tscflp_dir: Path, best_known: dict[str, float]
) -> None:
    proc = _cli("tscflp", str(tscflp_dir / "PSC1-C1-50.txt"), "--time-limit", "15")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    assert record["instance"] == "PSC1-C1-50"
    assert record["start"]["applied"] is True
    assert record["objective"] <= best_known["PSC1-C1-50"] * 1.005
    bad = _cli("tscflp", str(tscflp_dir / "PSC1-C1-50.txt"), "--start", "fast")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
