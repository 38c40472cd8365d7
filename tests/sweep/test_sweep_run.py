"""`clusterloc sweep` on the embedded Dask cluster: rows, failures, equality, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import clusterloc
from conftest import Runner, write_sweep

SWEEP = """
name: small_grid
description: carbon price x closures x demand on the small scenario
base: scenario.yaml
grid:
  policy.co2_price: [0, 60000]
  whatif.closed: [[], [plant_almaty], [sup_khorgos]]
  whatif.demand_scale: [1.0, -1]
"""


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory, run_cli: Runner, shared_dir: Path) -> Path:
    import shutil

    from conftest import KZ_SMALL

    folder = tmp_path_factory.mktemp("sweep") / "kz_small"
    shutil.copytree(KZ_SMALL, folder)
    sweep = write_sweep(folder, SWEEP)
    done = run_cli("sweep", sweep, "--out", folder / "out", "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert "12 runs" in done.stdout
    return folder


def test_every_run_is_a_row_with_its_status(swept: Path) -> None:
    csv = pd.read_csv(swept / "out" / "results.csv")
    parquet = pd.read_parquet(swept / "out" / "results.parquet")
    assert list(csv["run_id"]) == list(parquet["run_id"]) == [f"g{i:04d}" for i in range(12)]
    bad_scale = parquet["whatif.demand_scale"].isna() | (
        parquet["run_id"].str[-1].astype(int) % 2 == 1
    )
    invalid = parquet[bad_scale]
    assert set(invalid["status"]) == {"invalid"}
    assert invalid["message"].str.contains("demand_scale").all()
    valid = parquet[~bad_scale]
    no_kits = valid[valid["overrides"].str.contains("sup_khorgos")]
    assert set(no_kits["status"]) == {"infeasible"}
    solved = valid[~valid["overrides"].str.contains("sup_khorgos")]
    assert set(solved["status"]) == {"optimal"}
    for col in ("objective", "cost_fixed", "cost_transport", "cost_co2", "co2_t", "open_sites"):
        assert solved[col].notna().all(), col
    terms = solved[[c for c in solved.columns if c.startswith("cost_")]].sum(axis=1)
    assert (abs(terms - solved["objective"]) <= 1e-6 * solved["objective"]).all()
    assert set(solved["worker"].astype(str)) <= {"0", "1"}


def test_each_run_equals_a_separate_solve(swept: Path, run_cli: Runner) -> None:
    rows = pd.read_parquet(swept / "out" / "results.parquet")
    rows = rows[rows["status"] == "optimal"]
    base = swept / "scenario.yaml"
    for row in rows.itertuples():
        overrides = json.loads(str(row.overrides))
        alone = clusterloc.solve(clusterloc.load_scenario(base, overrides))
        assert float(row.objective) == pytest.approx(alone.summary["objective"], rel=1e-9)
        assert str(row.open_sites).split(";") == alone.summary["open_sites"]
    # One of them through the command line, exactly as a planner would reproduce it.
    row = rows.iloc[-1]
    args = [a for o in json.loads(row["overrides"]) for a in ("--set", o)]
    out = swept / "alone"
    done = run_cli("solve", base, *args, "--out", out, "--no-maps")
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert float(row["objective"]) == pytest.approx(summary["objective"], rel=1e-9)


def test_outputs_a_planner_reads(swept: Path) -> None:
    out = swept / "out"
    for name in ("robustness.html", "robustness.png", "tornado.png", "report.md"):
        assert (out / name).stat().st_size > 1000, name
    assert not (out / "heatmap.png").exists()  # three grid parameters, no heatmap
    robust = pd.read_csv(out / "robustness.csv").set_index("site_id")
    assert robust.loc["plant_kostanay", "decision"] == "always"  # existing plant
    assert robust.loc["plant_almaty", "decision"] == "changes"  # closed in some runs
    assert robust.loc["plant_almaty", "runs"] == 4
    report = (out / "report.md").read_text()
    assert "## Decisions that change" in report
    assert "plant_almaty" in report
    assert "## Runs without a solution" in report and "infeasible" in report
    page = (out / "robustness.html").read_text()
    assert "chosen in 4 of 4 runs" in page
    assert "OpenStreetMap contributors" in page
    assert "https://unpkg" not in page and "cdn." not in page


def test_existing_folder_needs_resume(swept: Path, run_cli: Runner) -> None:
    again = run_cli("sweep", swept / "small.sweep.yaml", "--out", swept / "out", "--workers", "1")
    assert again.returncode == 2
    assert "--resume" in again.stderr and "Traceback" not in again.stderr
    resumed = run_cli(
        "sweep", swept / "small.sweep.yaml", "--out", swept / "out", "--resume", "--workers", "1"
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "0 solved now, 12 finished before" in resumed.stdout


def test_heatmap_for_a_two_parameter_grid(small_dir: Path, run_cli: Runner) -> None:
    sweep = write_sweep(
        small_dir,
        "name: two\nbase: scenario.yaml\ngrid:\n  policy.co2_price: [0, 80000]\n"
        "  whatif.demand_scale: [0.8, 1.6]\n",
    )
    done = run_cli("sweep", sweep, "--out", small_dir / "out", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert (small_dir / "out" / "heatmap.png").stat().st_size > 1000
    rows = pd.read_csv(small_dir / "out" / "results.csv")
    assert rows["objective"].is_monotonic_increasing is not None
    by = rows.set_index(["policy.co2_price", "whatif.demand_scale"])["objective"]
    assert by[(0.0, 1.6)] > by[(0.0, 0.8)]
    assert by[(80000.0, 0.8)] > by[(0.0, 0.8)]


def test_bad_sweep_file_is_one_line_exit_2(small_dir: Path, run_cli: Runner) -> None:
    sweep = write_sweep(small_dir, "name: x\nbase: scenario.yaml\ngrid:\n  policy.co2_price: []\n")
    done = run_cli("sweep", sweep, "--out", small_dir / "out")
    assert done.returncode == 2
    assert "grid.policy.co2_price" in done.stderr or "empty" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
