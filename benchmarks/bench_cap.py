"""OR-Library CAP benchmark: every published instance must reach its optimum, proven.

Solves with the clusterloc engine (HiGHS, gap 1e-9, exact reduction on):

* the 37 small instances cap41 … cap134;
* the 12 large variants capa/capb/capc × 4 capacities;

checks each objective against ``capopt`` (relative difference ≤ 1e-6) and the status
(``optimal``), and, in the same run, solves capa-8000 with the *naive* model (only
``Σ_j d_j x_ij ≤ s_i y_i``; PuLP + HiGHS directly) with its time capped, reported as
``≥ T s`` when it does not prove optimality; with ``--baseline``, also solves the
named variants with the previous pipeline (every strong-linking row kept, HiGHS's
sub-MIP heuristics on, Lagrangian heuristic every 25 steps) in the same run, side by
side.

Usage::

    .venv/bin/python benchmarks/bench_cap.py [--limit 120] [--naive-limit 300] [--skip-small]
        [--baseline capb-6000,capb-7000,capc-5750]

Prints a table and a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pulp

from clusterloc.bench import (
    LARGE_CAPACITIES,
    cap_inputs,
    read_cap,
    read_cap_optima,
    relative_difference,
    solve_inputs,
)
from clusterloc.bench.orlib import CapInstance
from clusterloc.model.solvers import make_solver, run_solver

SMALL = [
    *(f"cap4{i}" for i in range(1, 5)),
    "cap51",
    *(f"cap{s}{i}" for s in (6, 7, 8, 9, 10, 11, 12, 13) for i in range(1, 5)),
]


#: The reduction as it was before priced-out linking rows were dropped and HiGHS was
#: told to focus on the bound (the baseline of ``--baseline``).
PREVIOUS = {"linking_margin": None, "bound_focus": False, "heuristic_every": 25}


def shared_dir() -> Path:
    env = os.environ.get("CLUSTERLOC_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"


def naive_model(inst: CapInstance) -> pulp.LpProblem:
    """The naive formulation: capacity rows only, no x ≤ y linking, no aggregate cut."""
    m, n = inst.costs.shape
    prob = pulp.LpProblem("naive", pulp.LpMinimize)
    y = [prob.add_variable(f"y_{i}", 0, 1, pulp.LpBinary) for i in range(m)]
    x = [[prob.add_variable(f"x_{i}_{j}", 0, 1) for j in range(n)] for i in range(m)]
    prob.setObjective(
        pulp.lpSum(inst.fixed_costs[i] * y[i] for i in range(m))
        + pulp.lpSum(inst.costs[i, j] * x[i][j] for i in range(m) for j in range(n))
    )
    for j in range(n):
        prob += pulp.lpSum(x[i][j] for i in range(m)) == 1
    for i in range(m):
        prob += pulp.lpSum(inst.demands[j] * x[i][j] for j in range(n)) <= inst.capacities[i] * y[i]
    return prob


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=120.0, help="time limit per instance")
    parser.add_argument("--naive-limit", type=float, default=300.0)
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument(
        "--baseline",
        default="",
        help="comma-separated large variants (e.g. capb-6000) to also solve with the "
        "previous pipeline",
    )
    args = parser.parse_args(argv)
    folder = shared_dir() / "bench" / "orlib_cap"
    optima = read_cap_optima(folder / "capopt.txt")
    jobs: list[tuple[str, float | None]] = [] if args.skip_small else [(s, None) for s in SMALL]
    jobs += [(name, cap) for name, caps in LARGE_CAPACITIES.items() for cap in caps]
    rows = []
    print(
        f"{'instance':<12}{'objective':>17}{'optimum':>17}{'rel diff':>10}{'status':>9}"
        f"{'fixed':>7}{'free':>6}{'reduce s':>9}{'solve s':>9}{'total s':>9}",
        flush=True,
    )
    for name, cap in jobs:
        inst = read_cap(folder / f"{name}.txt", cap)
        t0 = time.perf_counter()
        res = solve_inputs(cap_inputs(inst), time_limit=args.limit, gap=1e-9)
        wall = time.perf_counter() - t0
        ref = optima[inst.label]
        diff = relative_difference(res["objective"], ref)
        red = res["reduction"] or {}
        ok = diff <= 1e-6 and res["status"] == "optimal"
        rows.append(
            {
                "instance": inst.label,
                "objective": res["objective"],
                "optimum": ref,
                "rel_diff": diff,
                "status": res["status"],
                "ok": ok,
                "best_bound": res["best_bound"],
                "fixed": red.get("fixed_closed", 0) + red.get("fixed_open", 0),
                "free": red.get("free"),
                "build_s": res["build_seconds"],
                "reduce_s": res["reduce_seconds"],
                "solve_s": res["solve_seconds"],
                "total_s": round(wall, 2),
            }
        )
        print(
            f"{inst.label:<12}{res['objective'] or float('nan'):>17.4f}{ref:>17.3f}"
            f"{diff:>10.1e}{res['status']:>9}{rows[-1]['fixed']:>7}{red.get('free')!s:>6}"
            f"{res['reduce_seconds']:>9.1f}{res['solve_seconds']:>9.1f}{wall:>9.1f}"
            f"{'' if ok else '  <-- NOT OK'}",
            flush=True,
        )
    naive = None
    if not args.skip_naive:
        inst = read_cap(folder / "capa.txt", 8000)
        t0 = time.perf_counter()
        prob = naive_model(inst)
        built = time.perf_counter() - t0
        result = run_solver(prob, make_solver("highs", time_limit=args.naive_limit, gap=1e-9))
        solve_s = time.perf_counter() - t0 - built
        ref = optima["capa-8000"]
        proven = result.status == "optimal"
        naive = {
            "instance": "capa-8000 (naive model)",
            "objective": result.objective,
            "status": result.status,
            "best_bound": result.best_bound,
            "above_optimum_pct": None
            if result.objective is None
            else 100 * (result.objective - ref) / ref,
            "build_s": round(built, 2),
            "solve_s": round(solve_s, 2),
            "seconds_label": f"{solve_s:.0f}" if proven else f">= {args.naive_limit:.0f}",
        }
        ours = next((r for r in rows if r["instance"] == "capa-8000"), None)
        print(
            f"naive capa-8000: {result.status}, objective {result.objective}, bound "
            f"{result.best_bound}, {naive['seconds_label']} s"
            + (f"; clusterloc {ours['total_s']} s" if ours else ""),
            flush=True,
        )
    baseline = []
    for label in filter(None, args.baseline.split(",")):
        name, _, cap_text = label.partition("-")
        inst = read_cap(folder / f"{name}.txt", float(cap_text))
        t0 = time.perf_counter()
        res = solve_inputs(
            cap_inputs(inst), time_limit=args.limit, gap=1e-9, reduction_options=PREVIOUS
        )
        wall = time.perf_counter() - t0
        ours = next((r for r in rows if r["instance"] == inst.label), None)
        baseline.append(
            {
                "instance": inst.label,
                "status": res["status"],
                "rel_diff": relative_difference(res["objective"], optima[inst.label]),
                "reduce_s": res["reduce_seconds"],
                "solve_s": res["solve_seconds"],
                "total_s": round(wall, 2),
                "clusterloc_total_s": None if ours is None else ours["total_s"],
            }
        )
        print(
            f"baseline {inst.label}: {res['status']}, reduce {res['reduce_seconds']:.1f} s, "
            f"MIP {res['solve_seconds']:.1f} s, total {wall:.1f} s"
            + (f"; clusterloc {ours['total_s']} s" if ours else ""),
            flush=True,
        )
    large = [r for r in rows if not r["instance"].startswith("cap") or "-" in r["instance"]]
    summary = {
        "benchmark": "cap",
        "limit": args.limit,
        "all_ok": all(r["ok"] for r in rows),
        "ok": sum(r["ok"] for r in rows),
        "count": len(rows),
        "large_max_total_s": max((r["total_s"] for r in large), default=None),
        "large_within_60s": sum(r["ok"] and r["total_s"] <= 60 for r in large),
        "naive": naive,
        "baseline": baseline,
        "rows": rows,
    }
    print(json.dumps(summary, default=float))
    return 0 if summary["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
