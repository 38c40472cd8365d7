"""Robust plans: `clusterloc solve --samples N --seed S` (two-stage SAA) and its VSS."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import clusterloc
from clusterloc.model import make_solver
from clusterloc.model.stochastic import solve_stochastic
from clusterloc.scenario.build import build_scenario
from conftest import Runner

UNCERTAINTY = """
uncertainty:
  demand:
    national: {dist: uniform, low: 0.7, high: 1.9}
    by_market:
      mkt_oskemen: {dist: uniform, low: 1.0, high: 4.0}
      mkt_aktobe: {dist: uniform, low: 1.0, high: 4.0}
  costs:
    transport: {dist: uniform, low: 0.8, high: 1.6}
"""


def _robust_scenario(folder: Path) -> Path:
    path = folder / "robust.yaml"
    path.write_text("extends: scenario.yaml\nname: kz_small_robust\n" + UNCERTAINTY)
    return path


def test_one_future_is_the_deterministic_model(small_dir: Path) -> None:
    path = small_dir / "scenario.yaml"
    alone = clusterloc.solve(path)
    built = build_scenario(clusterloc.load_scenario(path))
    saa = solve_stochastic(built.inputs, [built.inputs], make_solver(gap=0))
    assert saa.expected_cost == pytest.approx(alone.summary["objective"], rel=1e-9)
    assert saa.open_sites == sorted(alone.summary["open_sites"])


def test_robust_plan_and_value_of_the_stochastic_solution(small_dir: Path, run_cli: Runner) -> None:
    path = _robust_scenario(small_dir)
    out = small_dir / "robust_out"
    done = run_cli("solve", path, "--samples", "4", "--seed", "3", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "value of the stochastic solution" in done.stdout
    summary = json.loads((out / "robust.json").read_text())
    futures = pd.read_csv(out / "futures.csv")
    assert len(futures) == 4 and summary["samples"] == 4 and summary["status"] == "optimal"
    assert summary["expected_cost"] == pytest.approx(futures["robust_cost"].mean(), rel=1e-9)
    # The deterministic plan on the same futures cannot beat the plan optimised for them.
    det = summary["deterministic"]["expected_cost_on_futures"]
    assert det is not None
    assert det >= summary["expected_cost"] * (1 - 1e-9)
    assert summary["vss"] == pytest.approx(det - summary["expected_cost"], rel=1e-9)
    # No plan fixed in advance beats each future's own optimum (wait and see).
    for row in futures.to_dict("records"):
        keys = json.loads(row["keys"])
        overrides = [f"{k}={json.dumps(v)}" for k, v in keys.items()]
        own = clusterloc.solve(clusterloc.load_scenario(path, overrides)).summary["objective"]
        assert own <= row["robust_cost"] * (1 + 1e-9)
        assert own <= row["deterministic_cost"] * (1 + 1e-9)
    plan = pd.read_csv(out / "plan.csv").set_index("site_id")
    assert bool(plan.loc["plant_kostanay", "robust_open"])  # existing plant stays open
    report = (out / "report.md").read_text()
    assert "Value of the stochastic solution" in report
    # Same seed, same futures.
    again = run_cli("solve", path, "--samples", "4", "--seed", "3", "--out", out, "--force")
    assert again.returncode == 0, again.stderr
    assert pd.read_csv(out / "futures.csv")["keys"].tolist() == futures["keys"].tolist()


def test_samples_need_an_uncertainty_section(small_dir: Path, run_cli: Runner) -> None:
    done = run_cli("solve", small_dir / "scenario.yaml", "--samples", "3", "--out", small_dir / "o")
    assert done.returncode == 2
    assert "uncertainty" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (small_dir / "o").exists()
