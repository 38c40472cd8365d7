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
4. with the start's cost ``UB`` and the LP bound ``z``, fixes every integer column whose
   reduced cost ``d`` proves it cannot move in a solution better than the start
   (``z + |d| > UB``) — exact: no solution better than the start is cut off, and the
   start itself is given to the solver;
5. gives the solver the start.

Work is bounded by counts (``max_rounds`` separation rounds); the only wall-clock bound
is the caller's ``deadline`` (the user's time limit).
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
        LP solves of the separation.
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
        Most separation rounds (LP solves).
    deadline
        ``time.perf_counter()`` value the step must stop by (``None``: no wall clock).
    threads
        Threads of the LP solves.
    """

    solver: pulp.LpSolver
    max_rounds: int = 60
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
        added = np.zeros(n, dtype=bool)
        inf = highspy.kHighsInf
        status = None
        while rep.rounds < self.max_rounds:
            if self.deadline is not None:
                left = self.deadline - time.perf_counter()
                if left <= 0:
                    break
                h.setOptionValue("time_limit", float(h.getRunTime() + left))
            h.run()
            rep.rounds += 1
            status = h.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:
                break
            value = np.asarray(h.getSolution().col_value)
            viol = value[xcol] - coef * value[ycol] > VIOLATION * np.maximum(coef, 1.0)
            new = np.flatnonzero(viol & ~added)
            if new.size == 0:
                break
            added[new] = True
            k = int(new.size)
            cols = np.empty(2 * k, dtype=np.int32)
            vals = np.empty(2 * k)
            cols[0::2], cols[1::2] = xcol[new], ycol[new]
            vals[0::2], vals[1::2] = 1.0, -coef[new]
            starts = np.arange(0, 2 * k, 2, dtype=np.int32)
            h.addRows(k, np.full(k, -inf), np.zeros(k), 2 * k, starts, cols, vals)
        if status is None or status != highspy.HighsModelStatus.kOptimal:
            ended = "unsolved" if status is None else h.modelStatusToString(status)
            rep.reason = f"LP relaxation ended {ended}"
            return None
        constant = float(prob.objective.constant) if prob.objective is not None else 0.0
        z = float(h.getInfo().objective_function_value)
        rep.lower_bound = z + constant
        sol = h.getSolution()
        value = np.asarray(sol.col_value)
        dual = np.asarray(sol.col_dual) if sol.dual_valid else None
        integer = np.array([v.cat == pulp.LpInteger for v in variables])
        self._start_and_fix(h, prob, variables, integer, value, dual, z, constant)
        return {rows[r].name: rows[r] for r in np.flatnonzero(added)}

    def _start_and_fix(
        self,
        h: Any,
        prob: pulp.LpProblem,
        variables: list[pulp.LpVariable],
        integer: np.ndarray,
        value: np.ndarray,
        dual: np.ndarray | None,
        z: float,
        constant: float,
    ) -> None:
        import highspy

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
