"""Published instances solved by the clusterloc engine reach the published optimum."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pulp
import pytest

from clusterloc.bench import (
    cap_inputs,
    read_best_known,
    read_cap,
    read_cap_optima,
    read_tscflp,
    relative_difference,
    solve_inputs,
    tscflp_inputs,
)
from clusterloc.bench.orlib import SOURCE
from clusterloc.model import LocationModel, make_solver
from clusterloc.model.speedups.reduction import ExactReduction
from clusterloc.model.speedups.warmstart import (
    CflpData,
    LpSupportStart,
    improve_open_set,
    lagrangian_bound,
)


@pytest.fixture(scope="module")
def optima(cap_dir: Path) -> dict[str, float]:
    return read_cap_optima(cap_dir / "capopt.txt")


@pytest.mark.parametrize("name", ["cap41", "cap71", "cap94", "cap124"])
@pytest.mark.parametrize("reduce", [True, False])
def test_engine_reaches_published_optimum(
    cap_dir: Path, optima: dict[str, float], name: str, reduce: bool
) -> None:
    inst = read_cap(cap_dir / f"{name}.txt")
    res = solve_inputs(cap_inputs(inst), gap=1e-9, reduce=reduce)
    assert res["status"] == "optimal"
    assert relative_difference(res["objective"], optima[name]) <= 1e-6
    assert res["best_bound"] == pytest.approx(res["objective"], rel=1e-8)


def test_reduction_is_exact_and_reported(cap_dir: Path, optima: dict[str, float]) -> None:
    inst = read_cap(cap_dir / "cap113.txt")
    model = LocationModel.from_inputs(cap_inputs(inst))
    solver = make_solver("highs", gap=1e-9)
    step = ExactReduction(solver)
    sol = model.solve(solver, reductions=[step])
    report = step.report
    assert report.applied
    assert report.lower_bound is not None and report.upper_bound is not None
    # the Lagrangian bound is below and the incumbent above the published optimum
    assert report.lower_bound <= optima["cap113"] * (1 + 1e-9)
    assert report.upper_bound >= optima["cap113"] * (1 - 1e-9)
    assert report.fixed_closed + report.fixed_open > 0
    assert sol.status == "optimal"
    assert relative_difference(sol.objective, optima["cap113"]) <= 1e-6
    # fixed-closed warehouses carry nothing and the solution is consistent
    closed = [s for s, v in model.open_vars.items() if v.upBound == 0]
    assert not set(closed) & set(sol.open_sites["site_id"])


@pytest.mark.parametrize("margin", [0.0, None])
def test_priced_out_linking_rows_dropped_without_changing_the_optimum(
    cap_dir: Path, optima: dict[str, float], margin: float | None
) -> None:
    inst = read_cap(cap_dir / "cap124.txt")
    model = LocationModel.from_inputs(cap_inputs(inst))
    model.build()
    assert model.problem is not None
    rows_before = model.problem.numConstraints()
    solver = make_solver("highs", gap=1e-9)
    step = ExactReduction(solver, linking_margin=margin)
    sol = model.solve(solver, reductions=[step])
    dropped = step.report.links_dropped
    assert model.problem.numConstraints() == rows_before + step.report.cuts - dropped
    if margin is None:
        assert dropped == 0
    else:
        assert dropped > 0
        assert step.report.summary()["links_dropped"] == dropped
    assert sol.status == "optimal"
    assert relative_difference(sol.objective, optima["cap124"]) <= 1e-6
    # every flow still leaves an open warehouse, within its capacity
    flows = sol.flows
    out = flows[flows["origin"] != SOURCE]
    assert set(out["origin"]) <= set(sol.open_sites["site_id"])
    sent = out.groupby("origin")["quantity"].sum()
    cap = sol.open_sites.set_index("site_id")["capacity"]
    assert (sent <= cap.reindex(sent.index) * (1 + 1e-9)).all()


def test_lagrangian_bound_and_local_search_bracket_the_optimum(
    cap_dir: Path, optima: dict[str, float]
) -> None:
    inst = read_cap(cap_dir / "cap64.txt")
    data = CflpData(inst.fixed_costs, inst.capacities, inst.demands, inst.costs)
    lag = lagrangian_bound(data, max_iterations=300)
    assert lag.incumbent is not None
    inc = improve_open_set(data, lag.incumbent, np.arange(16), deadline=1e18)
    assert lag.bound <= optima["cap64"] * (1 + 1e-9) <= inc.objective * (1 + 2e-9)
    # the incumbent serves every customer exactly once, within capacity
    assert np.allclose(inc.fractions.sum(axis=0), 1.0)
    used = inc.fractions @ inst.demands
    assert (used <= inst.capacities * inc.open + 1e-6).all()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clusterloc.cli.main", "bench", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_bench_cap_prints_one_json_line(cap_dir: Path, optima: dict[str, float]) -> None:
    proc = _cli("cap", str(cap_dir / "cap71.txt"), "--time-limit", "120")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    for key in (
        "instance",
        "capacity",
        "objective",
        "status",
        "best_bound",
        "gap",
        "build_seconds",
        "solve_seconds",
    ):
        assert key in record
    assert record["instance"] == "cap71" and record["capacity"] is None
    assert record["status"] == "optimal"
    assert relative_difference(record["objective"], optima["cap71"]) <= 1e-6


def test_cli_capa_without_capacity_is_invalid_input(cap_dir: Path) -> None:
    proc = _cli("cap", str(cap_dir / "capa.txt"))
    assert proc.returncode == 2
    assert "capacity" in proc.stderr and "Traceback" not in proc.stderr
    proc = _cli("cap", str(cap_dir / "capa.txt"), "--capacity", "9000")
    assert proc.returncode == 2
    assert "not one of the published capacities" in proc.stderr


def test_tscflp_small_instance_solved_to_best_known(bench_dir: Path) -> None:
    folder = bench_dir / "tscflp" / "fernandes2014"
    if not folder.is_dir():
        pytest.skip(f"TSCFLP instances not found at {folder}")
    bks = read_best_known(folder / "bks-50.txt")
    res = solve_inputs(tscflp_inputs(read_tscflp(folder / "PSC3-C1-50.txt")), gap=1e-9)
    assert res["status"] == "optimal"
    assert relative_difference(res["objective"], bks["PSC3-C1-50"]) <= 1e-6


def test_lp_support_start_restores_the_model(cap_dir: Path, optima: dict[str, float]) -> None:
    inst = read_cap(cap_dir / "cap62.txt")
    model = LocationModel.from_inputs(cap_inputs(inst))
    model.build()
    solver = make_solver("highs", gap=1e-9)
    step = LpSupportStart(solver, lp_seconds=60, mip_seconds=60)
    found = step(model)
    assert found is not None and found >= optima["cap62"] * (1 - 1e-9)
    # every open binary is binary again with its original bounds
    for var in model.open_vars.values():
        assert var.cat == pulp.LpInteger and var.upBound == 1
    sol = model.solve(solver)
    assert sol.status == "optimal"
    assert relative_difference(sol.objective, optima["cap62"]) <= 1e-6
