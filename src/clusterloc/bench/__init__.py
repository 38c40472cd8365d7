"""Readers for published facility-location benchmark instances, mapped onto the engine.

* :func:`read_cap` / :func:`cap_inputs` — OR-Library capacitated warehouse location
  (cap41 … cap134, capa/capb/capc with one of four capacities).
* :func:`read_tscflp` / :func:`tscflp_inputs` — two-stage capacitated facility
  location (Fernandes et al. 2014).

Both produce :class:`~clusterloc.model.inputs.ModelInputs` with explicit per-unit
lane costs, solved by the same :class:`~clusterloc.model.LocationModel` as every
scenario (:func:`solve_inputs`).
"""

from __future__ import annotations

import math
import time
from typing import Any

from clusterloc.bench.orlib import (
    LARGE_CAPACITIES,
    BenchmarkFileError,
    CapInstance,
    cap_inputs,
    read_cap,
    read_cap_optima,
)
from clusterloc.bench.tscflp import (
    TscflpInstance,
    read_best_known,
    read_lower_bounds,
    read_tscflp,
    tscflp_inputs,
)
from clusterloc.model import LocationModel, make_solver, solve_model
from clusterloc.model.inputs import ModelInputs
from clusterloc.model.speedups import plan_speedups

__all__ = [
    "LARGE_CAPACITIES",
    "BenchmarkFileError",
    "CapInstance",
    "TscflpInstance",
    "cap_inputs",
    "read_best_known",
    "read_cap",
    "read_cap_optima",
    "read_lower_bounds",
    "read_tscflp",
    "relative_difference",
    "solve_inputs",
    "tscflp_inputs",
]


def relative_difference(value: float | None, reference: float) -> float:
    """``|value - reference| / max(|reference|, 1e-9)`` (``inf`` without a value).

    Parameters
    ----------
    value
        A result (``None`` when there is none).
    reference
        The published value.

    Returns
    -------
    float
        ``inf`` when ``value`` is ``None``.
    """
    if value is None or not math.isfinite(value):
        return math.inf
    return abs(value - reference) / max(abs(reference), 1e-9)


def solve_inputs(
    inputs: ModelInputs,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
    gap: float | None = 1e-9,
    threads: int | None = None,
    seed: int | None = None,
    reduce: bool = True,
    lp_start: bool = False,
    reduction_options: dict[str, Any] | None = None,
    two_stage_start: bool = False,
) -> dict[str, Any]:
    """Build and solve benchmark inputs with the clusterloc engine.

    Parameters
    ----------
    inputs
        From :func:`cap_inputs` or :func:`tscflp_inputs`.
    solver
        Solver name for :func:`~clusterloc.model.make_solver`.
    time_limit
        Seconds for the whole solve: the reduction's time is taken off the solver's
        limit, so the total stays within it.
    gap
        Relative MIP gap (default 1e-9: HiGHS's default 1e-4 can stop a unit or
        more above a published optimum).
    threads, seed
        Passed to the solver.
    reduce
        Run the exact reduction (:class:`~clusterloc.model.speedups.reduction.ExactReduction`)
        before the MIP.
    reduction_options
        Extra keyword arguments for :class:`~clusterloc.model.speedups.reduction.ExactReduction`
        (e.g. ``{"linking_margin": None, "bound_focus": False}`` for the previous
        pipeline, used as the baseline in ``benchmarks/bench_cap.py``).
    lp_start
        When the exact reduction does not apply (not a single-echelon model), find
        a MIP start with :class:`~clusterloc.model.speedups.warmstart.LpSupportStart` (LP
        relaxation, then the MIP restricted to sites open in it), using at most
        60 % of ``time_limit``.
    two_stage_start
        When the exact reduction does not apply, run
        :class:`~clusterloc.model.speedups.twostage.TwoStageStart` in 60 % of ``time_limit``
        (counted from the end of the build): decomposition heuristic, LP relaxation
        with linking rows added as needed, kernel MIP, then a MIP start and exact
        reduced-cost fixing of open binaries. It does nothing on models that are not
        supplier → A → B → market. Takes precedence over ``lp_start``.

    Returns
    -------
    dict
        ``objective``, ``status``, ``best_bound``, ``bound_from``, ``gap``,
        ``build_seconds``, ``reduce_seconds``, ``solve_seconds``, ``total_seconds``,
        ``reduction``, ``start`` (what the two-stage start did, ``None`` when not
        asked for). ``best_bound`` is the solver's proven bound, or the two-stage
        start's own bound (LP relaxation or Lagrangian bound of the original model,
        also proven) when that is higher; ``bound_from`` says which (``"solver"`` /
        ``"start"``) and ``gap`` is computed from it. The status is the solver's.
    """
    start = time.perf_counter()
    model = LocationModel.from_inputs(inputs)
    model.build()
    built = time.perf_counter()
    pulp_solver = make_solver(solver, time_limit=time_limit, gap=gap, threads=threads, seed=seed)
    plan = plan_speedups(
        pulp_solver,
        time_limit=time_limit,
        built_at=built,
        reduce=reduce,
        two_stage_start=two_stage_start,
        lp_start=lp_start,
        threads=threads,
        reduction_options=reduction_options,
    )
    sol = solve_model(model, pulp_solver, reductions=plan.steps)
    seconds = dict(getattr(model, "seconds", {}))
    report = plan.reduction.report.summary() if plan.reduction is not None else None
    start_report = plan.two_stage.report.summary() if plan.two_stage is not None else None
    best_bound, bound_from = sol.best_bound, "solver"
    own = None if start_report is None else start_report.get("lower_bound")
    if own is not None and (
        best_bound is None or not math.isfinite(best_bound) or own > best_bound
    ):
        # the start's bound (LP relaxation / Lagrangian of the original model) is proven too
        best_bound, bound_from = float(own), "start"
    gap = sol.gap
    if sol.objective is not None and best_bound is not None and bound_from == "start":
        gap = max(0.0, (sol.objective - best_bound) / max(abs(sol.objective), 1e-9))
    return {
        "objective": sol.objective,
        "status": sol.status,
        "best_bound": best_bound,
        "bound_from": bound_from,
        "gap": gap,
        "build_seconds": round(built - start, 3),
        "reduce_seconds": round(float(seconds.get("reduce", 0.0)), 3),
        "solve_seconds": round(float(seconds.get("solve", 0.0)), 3),
        "total_seconds": round(time.perf_counter() - start, 3),
        "solver": solver,
        "reduction": report,
        "start": start_report,
    }
