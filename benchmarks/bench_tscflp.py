"""TSCFLP benchmark: every Fernandes et al. (2014) instance with a time limit.

Solves each ``PSC*-C*-{50,100}.txt`` in ``../shared/bench/tscflp/fernandes2014`` with the
clusterloc engine (HiGHS) and reports, per instance, the objective, the proven bound,
the gap to the best-known value (``bks-*.txt``; PSC2-C4-50 corrected to the proven
optimum 539718, see SOURCES.md) and whether it is within the 0.5 % goal.

Usage::

    .venv/bin/python benchmarks/bench_tscflp.py [--time-limit 60] [--threads 1] [--only 50]
        [--start two-stage|lp|none] [--class 3] [--instances PSC1-C3-100 ...]

``--start`` picks the MIP start tried before the full model: ``two-stage`` (default,
:class:`clusterloc.model.speedups.twostage.TwoStageStart`), ``lp``
(:class:`clusterloc.model.speedups.warmstart.LpSupportStart`, also ``--lp-start``) or ``none``
(the plain model). The column "start bound" is the two-stage start's own lower bound
(LP relaxation with linking rows added as needed, or the decomposition's Lagrangian
bound; valid, computed outside the solver); "bound" is the solver's.

Prints a table and a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from clusterloc.bench import read_best_known, read_tscflp, solve_inputs, tscflp_inputs
from clusterloc.bench.tscflp import parse_name

#: bks-50.txt says 539178 for class 4 instance 2, below the optimum proven with HiGHS.
CORRECTIONS = {"PSC2-C4-50": 539718.0}


def shared_dir() -> Path:
    env = os.environ.get("CLUSTERLOC_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--only", choices=["50", "100"], default=None)
    parser.add_argument(
        "--start",
        choices=["two-stage", "lp", "none"],
        default="two-stage",
        help="MIP start before the full model (default two-stage)",
    )
    parser.add_argument("--lp-start", action="store_true", help="same as --start lp")
    parser.add_argument("--class", dest="cls", type=int, default=None, help="only this class")
    parser.add_argument("--instances", nargs="*", default=None, help="only these instances")
    args = parser.parse_args(argv)
    if args.lp_start:
        args.start = "lp"
    folder = shared_dir() / "bench" / "tscflp" / "fernandes2014"
    bks: dict[str, float] = {}
    for size in ("50", "100"):
        bks.update(read_best_known(folder / f"bks-{size}.txt"))
    bks.update(CORRECTIONS)
    files = sorted(
        folder.glob("PSC*-C*-*.txt"),
        key=lambda p: (parse_name(p.stem)[2], parse_name(p.stem)[1], parse_name(p.stem)[0]),  # type: ignore[index]
    )
    if args.only:
        files = [f for f in files if f.stem.endswith(f"-{args.only}")]
    if args.cls is not None:
        files = [f for f in files if parse_name(f.stem)[1] == args.cls]  # type: ignore[index]
    if args.instances:
        files = [f for f in files if f.stem in set(args.instances)]
    rows = []
    print(
        f"{'instance':<14}{'objective':>14}{'bound':>14}{'bks':>14}{'vs bks %':>10}"
        f"{'gap %':>8}{'status':>10}{'s':>7}{'start bound':>14}{'start':>14}",
        flush=True,
    )
    for path in files:
        name = path.stem
        t0 = time.perf_counter()
        res = solve_inputs(
            tscflp_inputs(read_tscflp(path)),
            time_limit=args.time_limit,
            threads=args.threads,
            lp_start=args.start == "lp",
            two_stage_start=args.start == "two-stage",
        )
        wall = time.perf_counter() - t0
        ref = bks[name]
        obj = res["objective"]
        vs = None if obj is None else 100.0 * (obj - ref) / ref
        row = {
            "instance": name,
            "objective": obj,
            "best_bound": res["best_bound"],
            "bks": ref,
            "vs_bks_pct": vs,
            "gap_pct": None if res["gap"] is None else 100.0 * res["gap"],
            "status": res["status"],
            "seconds": round(wall, 2),
            "within_0_5pct": vs is not None and vs <= 0.5,
            "start": res.get("start"),
        }
        start = res.get("start") or {}
        lagr = start.get("lower_bound")
        start_obj = min(
            (v for v in (start.get("decomposition"), start.get("kernel")) if v is not None),
            default=None,
        )
        rows.append(row)
        print(
            f"{name:<14}{obj or float('nan'):>14.1f}{res['best_bound'] or float('nan'):>14.1f}"
            f"{ref:>14.1f}{vs if vs is not None else float('nan'):>10.3f}"
            f"{row['gap_pct'] if row['gap_pct'] is not None else float('nan'):>8.3f}"
            f"{res['status']:>10}{wall:>7.1f}"
            f"{lagr if lagr is not None else float('nan'):>14.1f}"
            f"{start_obj if start_obj is not None else float('nan'):>14.1f}",
            flush=True,
        )
    within = sum(r["within_0_5pct"] for r in rows)
    worst = max((r["vs_bks_pct"] for r in rows if r["vs_bks_pct"] is not None), default=None)
    print(f"within 0.5% of best known: {within}/{len(rows)}; worst {worst:.3f}%", flush=True)
    print(
        json.dumps(
            {
                "benchmark": "tscflp",
                "start": args.start,
                "time_limit": args.time_limit,
                "within": within,
                "count": len(rows),
                "worst_pct": worst,
                "rows": rows,
            }
        )
    )
    return 0 if within == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
