"""Fast incumbents and Lagrangian bounds for single-echelon capacitated location.

A single-echelon capacitated facility location problem (CFLP) is: open facilities
``i`` (fixed cost ``f_i``, capacity ``s_i``) and split each customer's demand ``d_j``
over open facilities at a total cost ``c_ij`` for serving all of ``d_j`` from ``i``::

    min  Σ f_i y_i + Σ c_ij x_ij
    s.t. Σ_i x_ij = 1,  Σ_j d_j x_ij ≤ s_i y_i,  0 ≤ x_ij ≤ y_i,  y binary.

The MIP solver alone spends most of its time on the root LP of this model and finds
poor incumbents. This module computes, in numpy, (a) the Lagrangian bound obtained
by relaxing the demand rows (each facility becomes a fractional knapsack; the open
set is a covering problem ``Σ s_i y_i ≥ Σ d_j``), which is at least as strong as the
LP bound of the strong formulation, and (b) good feasible solutions from the
Lagrangian open sets (transportation LP on the open set, then a drop/swap local
search). :mod:`clusterloc.model.speedups.reduction` uses both to fix variables exactly.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.optimize
import scipy.sparse

from clusterloc.constants import SolveStatus

__all__ = [
    "CflpData",
    "Incumbent",
    "LagrangianResult",
    "LpSupportStart",
    "facility_fixings",
    "improve_open_set",
    "lagrangian_bound",
    "select_open",
    "transport_cost",
]

log = logging.getLogger(__name__)


@dataclass
class CflpData:
    """Arrays of one single-echelon CFLP (totals, not per unit).

    Attributes
    ----------
    fixed_costs, capacities
        ``(m,)``.
    demands
        ``(n,)``, all > 0.
    costs
        ``(m, n)`` cost of serving all of ``d_j`` from ``i`` (``inf`` = no lane).
    must_open
        ``(m,)`` bool: facilities that stay open whatever it costs (existing sites).
    """

    fixed_costs: np.ndarray
    capacities: np.ndarray
    demands: np.ndarray
    costs: np.ndarray
    must_open: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if self.must_open.shape != self.fixed_costs.shape:
            self.must_open = np.zeros(self.fixed_costs.shape, dtype=bool)


@dataclass
class Incumbent:
    """A feasible solution: open set and fractions ``x_ij`` with its total cost."""

    open: np.ndarray
    fractions: np.ndarray
    objective: float


@dataclass
class LagrangianResult:
    """Outcome of :func:`lagrangian_bound`.

    Attributes
    ----------
    bound
        Best Lagrangian lower bound found.
    multipliers
        ``(n,)`` multipliers of the demand rows at the best bound.
    facility_values
        ``(m,)`` ``v_i``: fixed cost plus the best knapsack value of facility i at
        the best multipliers (the Lagrangian cost of opening i).
    incumbent
        Best feasible solution found on the way (``None`` if none).
    iterations, seconds
        Work done.
    """

    bound: float
    multipliers: np.ndarray
    facility_values: np.ndarray
    incumbent: Incumbent | None
    iterations: int
    seconds: float


def _knapsack_values(
    data: CflpData, lam: np.ndarray, order_cache: dict[str, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Fractional knapsack of every facility at multipliers ``lam``.

    Returns ``(v, x)``: ``v_i = f_i + min Σ_j (c_ij - λ_j) x_ij`` over
    ``Σ_j d_j x_ij ≤ s_i``, ``0 ≤ x ≤ 1``; and the minimising ``x``.
    """
    reduced = data.costs - lam[None, :]
    per_unit = reduced / data.demands[None, :]
    order = np.argsort(per_unit, axis=1, kind="stable")
    rows = np.arange(reduced.shape[0])[:, None]
    red_sorted = reduced[rows, order]
    dem_sorted = data.demands[order]
    before = np.cumsum(dem_sorted, axis=1) - dem_sorted
    room = data.capacities[:, None] - before
    take = np.clip(room / dem_sorted, 0.0, 1.0)
    take[red_sorted >= 0] = 0.0
    values = data.fixed_costs + (take * red_sorted).sum(axis=1)
    x = np.zeros_like(reduced)
    x[rows, order] = take
    return values, x


def select_open(
    values: np.ndarray,
    capacities: np.ndarray,
    total_demand: float,
    must_open: np.ndarray,
    forced: tuple[int, int] | None = None,
) -> tuple[float, np.ndarray]:
    """Lower bound of ``min Σ v_i y_i`` s.t. ``Σ s_i y_i ≥ D``, y binary.

    Exact when all capacities are equal (pick the cheapest count that covers
    ``D``); otherwise the fractional covering bound (a valid relaxation).

    Parameters
    ----------
    values
        ``v_i``.
    capacities
        ``s_i``.
    total_demand
        ``D``.
    must_open
        Facilities fixed open.
    forced
        Optional ``(i, value)`` fixing one more facility to 0 or 1.

    Returns
    -------
    (value, y)
        The bound and a (possibly fractional) minimiser.
    """
    m = values.shape[0]
    y = np.zeros(m)
    fixed_open = must_open.copy()
    allowed = np.ones(m, dtype=bool)
    if forced is not None:
        i, val = forced
        if val == 1:
            fixed_open[i] = True
        else:
            if fixed_open[i]:
                return math.inf, y
            allowed[i] = False
    y[fixed_open] = 1.0
    free = allowed & ~fixed_open
    take_neg = free & (values < 0)
    y[take_neg] = 1.0
    covered = float(capacities[y > 0].sum())
    if covered < total_demand - 1e-9:
        cand = np.flatnonzero(free & ~take_neg)
        cand = cand[np.argsort(values[cand], kind="stable")]
        if capacities[cand].sum() + covered < total_demand - 1e-9:
            return math.inf, y
        equal = np.ptp(capacities) == 0
        for k in cand:
            need = total_demand - covered
            if need <= 1e-9:
                break
            if equal or capacities[k] <= need:
                y[k] = 1.0
                covered += capacities[k]
            else:
                y[k] = need / capacities[k]
                covered = total_demand
        if not equal:
            # fractional covering: the cheapest per-capacity order gives the LP bound
            y[:] = 0.0
            y[fixed_open | take_neg] = 1.0
            covered = float(capacities[y > 0].sum())
            rest = cand[np.argsort(values[cand] / capacities[cand], kind="stable")]
            for k in rest:
                need = total_demand - covered
                if need <= 1e-9:
                    break
                y[k] = min(1.0, need / capacities[k])
                covered += y[k] * capacities[k]
    return float(values @ y), y


def transport_cost(data: CflpData, open_mask: np.ndarray) -> tuple[float, np.ndarray] | None:
    """Cheapest assignment of all demand to the open facilities (transportation LP).

    Parameters
    ----------
    data
        The CFLP instance.
    open_mask
        Boolean per facility: open.

    Returns
    -------
    (cost, x) or None
        ``cost`` includes the fixed costs of the open facilities; ``None`` if the
        open set cannot serve all demand.
    """
    idx = np.flatnonzero(open_mask)
    n = data.demands.shape[0]
    if data.capacities[idx].sum() < data.demands.sum() - 1e-9:
        return None
    k = idx.shape[0]
    cost = data.costs[idx]
    finite = np.isfinite(cost)
    if not finite.any(axis=0).all():
        return None
    rows_i, cols_j = np.nonzero(finite)
    nvar = rows_i.shape[0]
    var = np.arange(nvar)
    # demand rows (=1) and capacity rows (Σ d_j x_ij ≤ s_i)
    a_eq = scipy.sparse.csr_matrix((np.ones(nvar), (cols_j, var)), shape=(n, nvar))
    a_ub = scipy.sparse.csr_matrix((data.demands[cols_j], (rows_i, var)), shape=(k, nvar))
    res = scipy.optimize.linprog(
        cost[rows_i, cols_j],
        A_ub=a_ub,
        b_ub=data.capacities[idx],
        A_eq=a_eq,
        b_eq=np.ones(n),
        bounds=(0.0, 1.0),
        method="highs",
    )
    if res.status != 0:
        return None
    x = np.zeros_like(data.costs)
    x[idx[rows_i], cols_j] = res.x
    total = float(res.fun) + float(data.fixed_costs[idx].sum())
    return total, x


def improve_open_set(
    data: CflpData,
    incumbent: Incumbent,
    candidates: np.ndarray,
    deadline: float | None = None,
    *,
    max_moves: int | None = None,
) -> Incumbent:
    """Drop / add / swap local search on the open set, each move priced exactly.

    Parameters
    ----------
    data
        The instance.
    incumbent
        Starting solution.
    candidates
        Facilities that may be added (e.g. those with small Lagrangian cost).
    deadline
        ``time.perf_counter()`` value at which to stop (``None``: no wall clock).
    max_moves
        Most moves priced (each a transportation LP); ``None``: no count limit. The
        count makes the search take the same path on any machine.

    Returns
    -------
    Incumbent
        The best solution found (never worse than ``incumbent``).
    """
    best = incumbent
    improved = True
    priced_moves = 0
    end = math.inf if deadline is None else deadline
    left = math.inf if max_moves is None else max_moves
    while improved and time.perf_counter() < end and priced_moves < left:
        improved = False
        opened = np.flatnonzero(best.open & ~data.must_open)
        moves: list[np.ndarray] = []
        for i in opened:
            mask = best.open.copy()
            mask[i] = False
            moves.append(mask)
        for a in candidates:
            if best.open[a]:
                continue
            mask = best.open.copy()
            mask[a] = True
            moves.append(mask)
            for i in opened:
                swap = mask.copy()
                swap[i] = False
                moves.append(swap)
        for mask in moves:
            if time.perf_counter() > end or priced_moves >= left:
                break
            # skip moves whose fixed cost alone already loses
            if float(data.fixed_costs[mask].sum()) >= best.objective:
                continue
            priced_moves += 1
            priced = transport_cost(data, mask)
            if priced is not None and priced[0] < best.objective - 1e-7 * abs(best.objective):
                best = Incumbent(mask, priced[1], priced[0])
                improved = True
                break
    return best


def lagrangian_bound(
    data: CflpData,
    *,
    upper_bound: float | None = None,
    max_iterations: int = 600,
    time_limit: float | None = None,
    heuristic_every: int = 25,
    multipliers: np.ndarray | None = None,
    stop_above: float | None = None,
) -> LagrangianResult:
    """Subgradient optimisation of the Lagrangian dual (demand rows relaxed).

    Every ``heuristic_every`` iterations the Lagrangian open set is repaired into a
    feasible solution (transportation LP), which also feeds the Polyak step size.

    Parameters
    ----------
    data
        The instance.
    upper_bound
        A known feasible objective (optional).
    max_iterations, time_limit
        Stop criteria: the iteration count, and a wall-clock bound in seconds
        (``None``: none, so the same input takes the same path on any machine).
    heuristic_every
        Period of the primal heuristic.
    multipliers
        Starting multipliers (default: each customer's cheapest cost).
    stop_above
        Stop as soon as the bound exceeds this value (used by probing).

    Returns
    -------
    LagrangianResult
    """
    start = time.perf_counter()
    total_demand = float(data.demands.sum())
    finite_costs = np.where(np.isfinite(data.costs), data.costs, np.nan)
    if multipliers is not None:
        lam = multipliers.astype(float).copy()
    else:
        lam = np.nanmin(finite_costs, axis=0)  # cheapest way to serve j: a natural start
    big = np.isinf(data.costs)
    if big.any():
        data = CflpData(
            data.fixed_costs,
            data.capacities,
            data.demands,
            np.where(big, 1e12 * (1 + np.nanmax(finite_costs)), data.costs),
            data.must_open,
        )
    best_bound = -math.inf
    best_lam = lam.copy()
    best_values = np.zeros_like(data.fixed_costs)
    incumbent: Incumbent | None = None
    ub = math.inf if upper_bound is None else upper_bound
    step = 2.0
    stall = 0
    it = 0
    seen: set[bytes] = set()
    for it in range(1, max_iterations + 1):
        values, x = _knapsack_values(data, lam)
        sel_value, y = select_open(values, data.capacities, total_demand, data.must_open)
        bound = float(lam.sum()) + sel_value
        if bound > best_bound + 1e-9 * abs(bound):
            best_bound, best_lam, best_values = bound, lam.copy(), values
            stall = 0
        else:
            stall += 1
            if stall >= 20:
                step /= 2.0
                stall = 0
        if stop_above is not None and best_bound > stop_above:
            break
        if heuristic_every > 0 and (it == 1 or it % heuristic_every == 0):
            mask = y > 0
            key = mask.tobytes()
            if key not in seen:
                seen.add(key)
                priced = transport_cost(data, mask)
                if priced is not None and priced[0] < ub:
                    ub = priced[0]
                    incumbent = Incumbent(mask, priced[1], priced[0])
        served = (x * y[:, None]).sum(axis=0)
        grad = 1.0 - served
        norm = float(grad @ grad)
        if norm < 1e-12 or step < 1e-4:
            break
        gap = (ub - bound) if math.isfinite(ub) else 0.05 * abs(bound) + 1.0
        lam = lam + step * max(gap, 1e-9 * abs(bound)) / norm * grad
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
        if math.isfinite(ub) and ub - best_bound <= 1e-9 * abs(ub):
            break
    log.info(
        "lagrangian: bound %.6f, ub %.6f after %d iterations (%.1f s)",
        best_bound,
        ub,
        it,
        time.perf_counter() - start,
    )
    return LagrangianResult(
        bound=best_bound,
        multipliers=best_lam,
        facility_values=best_values,
        incumbent=incumbent,
        iterations=it,
        seconds=time.perf_counter() - start,
    )


def facility_fixings(
    data: CflpData, result: LagrangianResult, upper_bound: float
) -> dict[int, int]:
    """Facilities whose Lagrangian bound with ``y_i`` flipped exceeds ``upper_bound``.

    The Lagrangian bound at fixed multipliers with ``y_i`` forced to a value is a
    valid lower bound on every solution with that value; if it exceeds the cost of
    a known feasible solution, no better solution has that value, so ``y_i`` can be
    fixed to the other value without losing any solution cheaper than the
    incumbent. Exact, not a heuristic.

    Parameters
    ----------
    data
        The CFLP instance.
    result
        A Lagrangian bound with its multipliers.
    upper_bound
        Cost of a feasible solution.

    Returns
    -------
    dict
        ``{facility index: value it is fixed to}``.
    """
    total_demand = float(data.demands.sum())
    lam_sum = float(result.multipliers.sum())
    tol = 1e-9 * abs(upper_bound) + 1e-6
    fixed: dict[int, int] = {}
    for i in range(data.fixed_costs.shape[0]):
        if data.must_open[i]:
            continue
        for val in (0, 1):
            sel, _ = select_open(
                result.facility_values,
                data.capacities,
                total_demand,
                data.must_open,
                forced=(i, val),
            )
            if lam_sum + sel > upper_bound + tol:
                fixed[i] = 1 - val
                break
    return fixed


class LpSupportStart:
    """Generic MIP start for any :class:`~clusterloc.model.LocationModel`.

    Solve the LP relaxation, close every site whose open variable is 0 in it, solve
    that restricted MIP for a short time, and hand its solution to ``solver`` as a
    MIP start. Only a start: the full model is solved afterwards, so the status the
    solver reports stays honest. All bounds and variable types are restored.

    Parameters
    ----------
    solver
        The solver that will run the full model (receives the start).
    lp_seconds
        Time limit of the LP relaxation; no start when it is not solved in time.
    mip_seconds
        Time limit of the restricted MIP.

    Attributes
    ----------
    objective
        Cost of the start found (``None`` if none), ``seconds`` the time spent.
    """

    def __init__(self, solver: Any, *, lp_seconds: float = 20.0, mip_seconds: float = 15.0) -> None:
        self.solver = solver
        self.lp_seconds = lp_seconds
        self.mip_seconds = mip_seconds
        self.objective: float | None = None
        self.seconds = 0.0

    def __call__(self, model: Any) -> float | None:
        import pulp

        from clusterloc.model.solvers import make_solver, run_solver, set_start

        t0 = time.perf_counter()
        prob = model.problem
        binaries = [v for v in prob.variables() if v.cat == pulp.LpInteger]
        try:
            for var in binaries:
                var.cat = pulp.LpContinuous
            relaxed = run_solver(prob, make_solver("highs", time_limit=self.lp_seconds))
        finally:
            for var in binaries:
                var.cat = pulp.LpInteger
        if relaxed.status != SolveStatus.OPTIMAL:
            log.info("lp-support start: LP relaxation not solved (%s)", relaxed.status)
            self.seconds = time.perf_counter() - t0
            return None
        closed = [
            v
            for v in model.open_vars.values()
            if (v.varValue or 0.0) < 1e-6 and (v.lowBound or 0) < 1 and v.upBound != 0
        ]
        saved = {v: v.upBound for v in closed}
        try:
            for var in closed:
                var.upBound = 0
            restricted = run_solver(
                prob, make_solver("highs", time_limit=self.mip_seconds, gap=1e-6)
            )
            if restricted.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
                self.objective = restricted.objective
                set_start(self.solver, {v: float(v.varValue or 0.0) for v in prob.variables()})
        finally:
            for var, ub in saved.items():
                var.upBound = ub
        self.seconds = time.perf_counter() - t0
        log.info(
            "lp-support start: %s sites closed, start %s in %.1f s",
            len(closed),
            self.objective,
            self.seconds,
        )
        return self.objective
