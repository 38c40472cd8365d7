"""Strong-linking rows separated as violated, an LP-rounding start and exact fixing.

For any model (multi-echelon, multi-commodity, BOM, levels, policies). The strong
linking rows ``x ≤ U · y`` (``lo_*``, ``ld_*``) are valid inequalities: with the open
binaries integral, the capacity rows and the flow bounds ``x ≤ U`` already imply them.
They make the LP relaxation tight, but at real size they are nearly all the rows (700 k
of 705 k at 3,399 markets × 205 DCs) and the solver's root LP drowns in them. This step:

1. solves the LP relaxation without them, adds the violated ones and re-solves (dual
   simplex from the previous basis) until none is violated — the LP bound of the full
   strong model, from a few thousand rows;
2. hands the solver only the rows that were ever violated (the rest are dropped from
   ``model.problem``: the MIP is the same, its optimum the same);
3. builds a start: every integer column at the ceiling of its LP value, the flows
   re-optimised, then sites that carry nothing closed and the flows re-optimised again;
   then a short LP dive (fix the integer column nearest to integrality, re-separate,
   repeat) and keeps the better of the two;
4. with the start's cost ``UB`` and the LP bound ``z``, fixes every integer column whose
   reduced cost ``d`` proves it cannot move in a solution better than the start
   (``z + |d| > UB``) — exact: no solution better than the start is cut off, and the
   start itself is given to the solver;
5. gives the solver the start.

Work is bounded by counts (``max_rounds`` separation rounds, ``max_dives`` ×
``dive_rounds`` for the dive); the only wall-clock bound is the caller's ``deadline``
(a share of the user's time limit, so the solver always keeps the rest).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pulp

from clusterloc.model.rows import RowPrefix
from clusterloc.model.solvers import _HIGHS_OK, set_start

if TYPE_CHECKING:
    from clusterloc.model.formulation import LocationModel

log = logging.getLogger(__name__)

__all__ = ["LinkSeparation", "LinkSeparationReport"]

#: A linking row counts as violated when ``x − U·y`` exceeds this share of ``U``.
VIOLATION = 1e-6
#: Fix a column only when the proof holds by this share of ``|UB|`` to spare.
FIXING_MARGIN = 1e-7


@dataclass
class LinkSeparationReport:
    """What :class:`LinkSeparation` did.

    Attributes
    ----------
    applied
        Whether the model was changed.
    reason
        Why not, when not applied.
    links
        Strong-linking rows of the built model.
    links_kept
        Rows handed to the solver (the ones ever violated in the LP).
    rounds
        LP solves of the separation (the dive's included).
    dives
        Fixing steps of the LP dive.
    start_from
        Which heuristic gave the start: ``rounding`` or ``dive``.
    lower_bound
        The LP bound (objective units, constant included).
    start_objective
        The start's cost (``None``: no start found).
    fixed_closed, fixed_open
        Integer columns fixed at 0 / at their upper bound by reduced costs.
    seconds
        Time of the step.
    """

    applied: bool = False
    reason: str = ""
    links: int = 0
    links_kept: int = 0
    rounds: int = 0
    lower_bound: float | None = None
    start_objective: float | None = None
    fixed_closed: int = 0
    fixed_open: int = 0
    dives: int = 0
    start_from: str = "rounding"
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Plain dict for ``summary.json``."""
        return dict(self.__dict__)


@dataclass
class LinkSeparation:
    """The step (see the module docstring).

    Parameters
    ----------
    solver
        The solver that runs next (it receives the start).
    max_rounds
        Most separation rounds (LP solves) of each separation.
    max_dives
        Most fixing steps of the LP dive that looks for a better start than the
        rounding (0: no dive).
    dive_rounds
        Most separation rounds after each fixing step of the dive.
    deadline
        ``time.perf_counter()`` value the step must stop by (``None``: no wall clock).
    threads
        Threads of the LP solves.
    """

    solver: pulp.LpSolver
    max_rounds: int = 60
    max_dives: int = 10
    dive_rounds: int = 10
    deadline: float | None = None
    threads: int | None = None
    report: LinkSeparationReport = field(default_factory=LinkSeparationReport)

    def __call__(self, model: LocationModel) -> LinkSeparationReport:
        """Run the step on the built ``model``."""
        t0 = time.perf_counter()
        self.report = LinkSeparationReport()
        try:
            self._run(model)
        finally:
            self.report.seconds = time.perf_counter() - t0
        log.info("link separation: %s", self.report.summary())
        return self.report

    # ------------------------------------------------------------------ steps
    def _run(self, model: LocationModel) -> None:
        rep = self.report
        if not _HIGHS_OK:
            rep.reason = "needs highspy"
            return
        prob = model.problem
        assert prob is not None
        prefixes = (str(RowPrefix.LINK_ORIGIN), str(RowPrefix.LINK_DEST))
        links = {n: c for n, c in prob._constraints.items() if n.startswith(prefixes)}
        rep.links = len(links)
        if not links:
            rep.reason = "no strong-linking rows"
            return
        for name in links:
            del prob._constraints[name]
        try:
            kept = self._separate(prob, list(links.values()))
        except BaseException:
            prob._constraints.update(links)  # leave the model as it was
            raise
        if kept is None:
            prob._constraints.update(links)
            return
        # back in the model's own row order, only the rows the LP ever needed
        for name, con in links.items():
            if name in kept:
                prob._constraints[name] = con
        rep.links_kept = len(kept)
        rep.applied = True

    def _separate(
        self, prob: pulp.LpProblem, rows: list[pulp.LpConstraint]
    ) -> dict[str, pulp.LpConstraint] | None:
        import highspy

        from clusterloc.model.solvers import HighsSolver

        rep = self.report
        lp = HighsSolver(mip=False, msg=False, threads=self.threads)
        lp.createAndConfigureSolver(prob)
        lp.buildSolverModel(prob)
        h: highspy.Highs = prob.solverModel
        h.setOptionValue("output_flag", False)
        variables: list[pulp.LpVariable] = lp._variables
        # each row: x − U·y ≤ 0
        n = len(rows)
        xcol = np.empty(n, dtype=np.int64)
        ycol = np.empty(n, dtype=np.int64)
        coef = np.empty(n)
        for r, con in enumerate(rows):
            expr = con.expr if hasattr(con, "expr") else con
            if len(expr) != 2:
                rep.reason = f"row {con.name} is not x - U*y <= 0"
                return None
            (vx, cx), (vy, cy) = sorted(expr.items(), key=lambda t: -t[1])
            if cx != 1.0 or cy >= 0 or con.constant != 0:
                rep.reason = f"row {con.name} is not x - U*y <= 0"
                return None
            xcol[r], ycol[r], coef[r] = vx.index, vy.index, -cy
        sep = _Separator(h, xcol, ycol, coef, self.deadline)
        ok = sep.solve(self.max_rounds)
        rep.rounds = sep.rounds
        if not ok:
            status = h.getModelStatus()
            rep.reason = f"LP relaxation ended {h.modelStatusToString(status)}"
            return None
        constant = float(prob.objective.constant) if prob.objective is not None else 0.0
        z = float(h.getInfo().objective_function_value)
        rep.lower_bound = z + constant
        sol = h.getSolution()
        value = np.asarray(sol.col_value)
        dual = np.asarray(sol.col_dual) if sol.dual_valid else None
        integer = np.array([v.cat == pulp.LpInteger for v in variables])
        self._start_and_fix(sep, prob, variables, integer, value, dual, z, constant)
        rep.rounds = sep.rounds
        return {rows[r].name: rows[r] for r in np.flatnonzero(sep.added)}

    def _dive(
        self, sep: _Separator, integer: np.ndarray, value: np.ndarray
    ) -> tuple[float, np.ndarray] | None:
        """LP diving: fix the integer column nearest to integrality, re-separate, repeat.

        Returns the integral LP solution reached (cost, column values) or ``None``.
        All bounds are restored afterwards.
        """
        h = sep.h
        cols = np.flatnonzero(integer)
        lp = h.getLp()
        lower0 = np.asarray(lp.col_lower_)[cols].copy()
        upper0 = np.asarray(lp.col_upper_)[cols].copy()
        x = value
        found: tuple[float, np.ndarray] | None = None
        try:
            for _ in range(self.max_dives):
                self.report.dives += 1
                v = x[cols]
                frac = np.abs(v - np.round(v))
                open_frac = np.flatnonzero(frac > 1e-6)
                if open_frac.size == 0:
                    found = (float(h.getInfo().objective_function_value), x.copy())
                    break
                # the fractional column nearest to an integer, rounded that way
                pick = open_frac[np.argmin(frac[open_frac])]
                target = float(np.round(v[pick]))
                col = int(cols[pick])
                h.changeColBounds(col, target, target)
                if not sep.solve(self.dive_rounds):
                    other = (
                        float(np.floor(v[pick])) if target > v[pick] else float(np.ceil(v[pick]))
                    )
                    h.changeColBounds(col, other, other)
                    if not sep.solve(self.dive_rounds):
                        break
                x = np.asarray(h.getSolution().col_value)
        finally:
            h.changeColsBounds(cols.size, cols.astype(np.int32), lower0, upper0)
        return found

    def _start_and_fix(
        self,
        sep: _Separator,
        prob: pulp.LpProblem,
        variables: list[pulp.LpVariable],
        integer: np.ndarray,
        value: np.ndarray,
        dual: np.ndarray | None,
        z: float,
        constant: float,
    ) -> None:
        import highspy

        h = sep.h
        rep = self.report
        cols = np.flatnonzero(integer)
        if cols.size == 0:
            return
        lp = h.getLp()
        lower0 = np.asarray(lp.col_lower_)[cols]
        upper0 = np.asarray(lp.col_upper_)[cols]
        # sites whose flows are all zero in the rounded-up solution close in a second pass
        trial = np.minimum(np.ceil(value[cols] - 1e-9), upper0)
        trial = np.maximum(trial, lower0)
        best: tuple[float, np.ndarray] | None = None
        for _ in range(2):
            h.changeColsBounds(cols.size, cols.astype(np.int32), trial, trial)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                break
            x = np.asarray(h.getSolution().col_value)
            obj = float(h.getInfo().objective_function_value)
            if best is None or obj < best[0]:
                best = (obj, x)
            # close what the flows do not use: an integer column whose rows carry no flow
            used = _used_integers(h, cols, x)
            closer = np.where(used, trial, np.maximum(lower0, 0.0))
            if np.array_equal(closer, trial):
                break
            trial = closer
        h.changeColsBounds(cols.size, cols.astype(np.int32), lower0, upper0)
        # then the dive, with what the count budget leaves (the rounding start is kept)
        dive = self._dive(sep, integer, value) if self.max_dives > 0 else None
        if dive is not None and (best is None or dive[0] < best[0]):
            best = dive
            self.report.start_from = "dive"
        if best is None:
            return
        ub, x = best
        rep.start_objective = ub + constant
        set_start(self.solver, {variables[i]: float(x[i]) for i in range(len(variables))})
        if dual is None:
            return
        margin = FIXING_MARGIN * max(1.0, abs(ub + constant))
        slack = ub - z + margin
        closed = opened = 0
        for i in cols:
            d = float(dual[i])
            var = variables[i]
            lo = 0.0 if var.lowBound is None else float(var.lowBound)
            up = math.inf if var.upBound is None else float(var.upBound)
            if lo == up:
                continue
            if d > slack and value[i] <= lo + 1e-9:
                var.upBound = lo
                closed += 1
            elif -d > slack and value[i] >= up - 1e-9:
                var.lowBound = up
                opened += 1
        rep.fixed_closed, rep.fixed_open = closed, opened


class _Separator:
    """A HiGHS LP with strong-linking rows added as they become violated."""

    def __init__(
        self, h: Any, xcol: np.ndarray, ycol: np.ndarray, coef: np.ndarray, deadline: float | None
    ) -> None:
        self.h, self.xcol, self.ycol, self.coef = h, xcol, ycol, coef
        self.deadline = deadline
        self.added = np.zeros(xcol.shape[0], dtype=bool)
        self.rounds = 0

    def solve(self, max_rounds: int) -> bool:
        """Solve, add violated rows, re-solve; ``True`` when an optimal LP violates none."""
        import highspy

        h = self.h
        inf = highspy.kHighsInf
        for _ in range(max_rounds):
            if self.deadline is not None:
                left = self.deadline - time.perf_counter()
                if left <= 0:
                    return False
                h.setOptionValue("time_limit", float(h.getRunTime() + left))
            h.run()
            self.rounds += 1
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return False
            value = np.asarray(h.getSolution().col_value)
            xs, ys, coef = self.xcol, self.ycol, self.coef
            viol = value[xs] - coef * value[ys] > VIOLATION * np.maximum(coef, 1.0)
            new = np.flatnonzero(viol & ~self.added)
            if new.size == 0:
                return True
            self.added[new] = True
            k = int(new.size)
            cols = np.empty(2 * k, dtype=np.int32)
            vals = np.empty(2 * k)
            cols[0::2], cols[1::2] = xs[new], ys[new]
            vals[0::2], vals[1::2] = 1.0, -coef[new]
            starts = np.arange(0, 2 * k, 2, dtype=np.int32)
            h.addRows(k, np.full(k, -inf), np.zeros(k), 2 * k, starts, cols, vals)
        return False


def _used_integers(h: Any, cols: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each integer column: does any row it appears in carry a non-zero other column?

    An open binary whose rows (capacity, linking) see no flow can close without
    breaking any row that only bounds flow by it.
    """
    lp = h.getLp()
    a = lp.a_matrix_
    start = np.asarray(a.start_)
    index = np.asarray(a.index_)
    value = np.asarray(a.value_)
    num_row = lp.num_row_
    # the matrix HiGHS holds is column-wise after passModel+addRows
    import scipy.sparse as sp

    if a.format_ == _colwise():
        mat = sp.csc_matrix((value, index, start), shape=(num_row, lp.num_col_))
    else:
        mat = sp.csr_matrix((value, index, start), shape=(num_row, lp.num_col_)).tocsc()
    is_int = np.zeros(lp.num_col_, dtype=bool)
    is_int[cols] = True
    flow = np.abs(x) * ~is_int
    busy_rows = (abs(mat) @ flow) > 1e-9
    sub = mat[:, cols]
    touched = abs(sub).T @ busy_rows.astype(float)
    return np.asarray(touched > 0).ravel()


def _colwise() -> Any:
    import highspy

    return highspy.MatrixFormat.kColwise
