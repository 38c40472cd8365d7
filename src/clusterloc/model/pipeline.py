"""The solve pipeline: build → pre-solve checks → (speed-ups) → solve → extract → explain.

:func:`solve_model` is what the product path (:func:`clusterloc.solve`) and the
benchmark runner call. :meth:`LocationModel.solve` does the first five steps; this
function adds the last one: when the model turns out infeasible and the pre-solve
checks found no cause, :func:`~clusterloc.model.diagnostics.explain_infeasible`
re-solves relaxed variants to name the binding rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pulp

from clusterloc.constants import SolveStatus
from clusterloc.model.diagnostics import explain_infeasible
from clusterloc.model.formulation import LocationModel, Reduction
from clusterloc.model.solution import Solution

__all__ = ["solve_model"]


def solve_model(
    model: LocationModel,
    solver: pulp.LpSolver | None = None,
    *,
    initial_open: Iterable[str] | None = None,
    reductions: Sequence[Reduction] = (),
    explain: bool = True,
) -> Solution:
    """Solve a model and, if it is infeasible, say why.

    Parameters
    ----------
    model
        The model (built or not).
    solver
        From :func:`~clusterloc.model.solvers.make_solver` (default HiGHS).
    initial_open
        Site ids to open in a MIP start.
    reductions
        Steps run on the built model before the solver (see
        :mod:`clusterloc.model.speedups`).
    explain
        After an infeasible solve that the pre-solve checks did not explain, re-solve
        relaxed variants to name the cause (``solution.causes``, first lines of
        ``solution.diagnosis``).

    Returns
    -------
    Solution
    """
    sol = model.solve(solver, initial_open=initial_open, reductions=reductions)
    if sol.status == SolveStatus.INFEASIBLE and not sol.causes and explain:
        causes = explain_infeasible(model)
        sol.causes = causes
        sol.diagnosis = [c["message"] for c in causes] + sol.diagnosis
    return sol
