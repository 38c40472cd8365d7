"""Sweep benchmark: the same 40-run sweep of the default scenario on 1 and on 2 workers.

Usage::

    python benchmarks/bench_sweep.py [--runs-check N] [--keep DIR]

The sweep is a carbon-price × demand-growth grid of ``models/kz_auto/base.yaml``
(5 × 8 = 40 runs; see :data:`SWEEP`). It runs twice in this process through
:func:`clusterloc.sweep.run_sweep` — the code behind ``clusterloc sweep`` — on an embedded
Dask ``LocalCluster`` with 1 and then 2 single-threaded worker processes.
``seconds_1`` / ``seconds_2`` are the wall time of the runs phase (first task submitted
to last row written); the one-off part (resolving the 40 scenarios, building the road
network and lanes once, starting the cluster, scattering) is printed as ``prepare_*``.

Then every run is solved again on its own, as ``clusterloc solve BASE --set ...`` would:
``clusterloc.solve(load_scenario(BASE, overrides))`` with a fresh network build (the
network cache is warm for both). ``max_rel_diff`` is the largest relative difference of
the objective between a sweep row (either sweep) and its separate solve.

Per-run overhead: the 1-worker sweep's wall time per run minus the model build and
solver time of that run (``seconds_model``, what no sweep can share), as a share of the
mean wall time of a separate solve. The load average is printed: other jobs on a
shared machine stretch both sweeps.

The last line printed is one JSON object with ``runs``, ``seconds_1``, ``seconds_2``,
``speedup``, ``max_rel_diff``, ``overhead_per_run_s``, ``overhead_share``,
``seconds_separate_mean``, ``loadavg_start`` and ``loadavg_end``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import clusterloc
from clusterloc.sweep import load_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]

SWEEP = """\
name: bench_carbon_growth
description: benchmark sweep - carbon price x demand growth of the default scenario
base: {base}
grid:
  policy.co2_price: [0, 15000, 30000, 45000, 60000]
  whatif.demand_scale: [0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5]
"""


def _sweep(folder: Path, workers: int, sweep_file: Path) -> tuple[pd.DataFrame, dict[str, float]]:
    spec = load_sweep(sweep_file)
    start = time.perf_counter()
    outcome = run_sweep(spec, folder, workers=workers, analyse=False)
    wall = time.perf_counter() - start
    rows = pd.read_parquet(folder / "results.parquet")
    return rows, {**outcome.seconds, "wall": wall}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs-check", type=int, default=40, help="runs compared with a separate solve"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the sweep folders here")
    args = parser.parse_args(argv)
    os.environ.setdefault("CLUSTERLOC_SHARED", str(ROOT.parent / "shared"))
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = args.keep or Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        sweep_file = tmp / "bench.sweep.yaml"
        base = ROOT / "models" / "kz_auto" / "base.yaml"
        sweep_file.write_text(SWEEP.format(base=base), encoding="utf-8")
        rows1, sec1 = _sweep(tmp / "workers1", 1, sweep_file)
        print(f"1 worker: {sec1}", file=sys.stderr)
        rows2, sec2 = _sweep(tmp / "workers2", 2, sweep_file)
        print(f"2 workers: {sec2}", file=sys.stderr)
        runs = len(rows1)
        bad = rows1[rows1["status"] != "optimal"]
        if len(bad):
            print(f"runs without an optimal solution: {list(bad['run_id'])}", file=sys.stderr)
        diffs: list[float] = []
        separate: list[float] = []
        by2 = rows2.set_index("run_id")
        for row in rows1.head(args.runs_check).to_dict("records"):
            t = time.perf_counter()
            scenario = clusterloc.load_scenario(base, json.loads(row["overrides"]))
            alone = clusterloc.solve(scenario, check=False)
            separate.append(time.perf_counter() - t)
            ref = float(alone.summary["objective"])
            for value in (float(row["objective"]), float(by2.loc[row["run_id"], "objective"])):
                diffs.append(abs(value - ref) / max(abs(ref), 1.0))
        per_run = sec1["runs"] / runs
        overhead = per_run - float(rows1["seconds_model"].mean())
        mean_separate = sum(separate) / len(separate)
    result = {
        "runs": runs,
        "seconds_1": round(sec1["runs"], 2),
        "seconds_2": round(sec2["runs"], 2),
        "speedup": round(sec1["runs"] / sec2["runs"], 3),
        "max_rel_diff": max(diffs),
        "overhead_per_run_s": round(overhead, 3),
        "overhead_share": round(overhead / mean_separate, 3),
        "seconds_separate_mean": round(mean_separate, 3),
        "prepare_1": round(sec1["prepare"], 2),
        "prepare_2": round(sec2["prepare"], 2),
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
