"""One interface to the speed-ups: choose them for a built model, hand them to a solve.

A speed-up is a step ``step(model)`` run on a built :class:`LocationModel` before the
solver (``LocationModel.solve(reductions=...)`` / ``solve_model(reductions=...)``); it
may tighten bounds, drop redundant rows and set a MIP start on the solver. Each step
leaves a ``report`` saying what it did, or why it did nothing: a step that does not
apply to a model changes nothing, so any model can be handed any plan.

:func:`plan_speedups` builds the standard sequence, with budgets from
:mod:`clusterloc.model.speedups.policy`::

    exact reduction  →  [two-stage start | LP-support start | link separation]
                        unless reduced  →  solver limit

The product path (:func:`clusterloc.solve`) asks for the link separation
(:mod:`clusterloc.model.speedups.linking`), which serves every model shape.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pulp

from clusterloc.model.speedups.linking import LinkSeparation
from clusterloc.model.speedups.policy import (
    lp_start_budget,
    solver_limit,
    step_deadline,
    two_stage_budget,
)
from clusterloc.model.speedups.reduction import ExactReduction
from clusterloc.model.speedups.twostage import TwoStageStart
from clusterloc.model.speedups.warmstart import LpSupportStart

if TYPE_CHECKING:
    from clusterloc.model.formulation import LocationModel

__all__ = [
    "LinksUnlessReduced",
    "LpStartUnlessReduced",
    "SetSolverLimit",
    "Speedup",
    "SpeedupPlan",
    "TwoStageUnlessReduced",
    "plan_speedups",
]


class Speedup(Protocol):
    """A step run on a built model before the solver."""

    def __call__(self, model: LocationModel) -> Any:
        """Tighten ``model.problem`` and/or set a MIP start; return a report or ``None``."""


@dataclass
class TwoStageUnlessReduced:
    """The two-stage start, when the exact reduction did not apply.

    Its time is :func:`~clusterloc.model.speedups.policy.two_stage_budget`, counted from
    ``built_at`` (the end of the build).
    """

    start: TwoStageStart
    reduction: ExactReduction
    time_limit: float | None
    built_at: float

    def __call__(self, model: LocationModel) -> None:
        """Run the start on ``model`` unless the reduction was applied."""
        if self.reduction.report.applied:
            return
        self.start.seconds = two_stage_budget(self.time_limit, time.perf_counter() - self.built_at)
        self.start(model)


@dataclass
class LpStartUnlessReduced:
    """The LP-support start, when the exact reduction did not apply."""

    start: LpSupportStart
    reduction: ExactReduction

    def __call__(self, model: LocationModel) -> None:
        """Run the start on ``model`` unless the reduction was applied."""
        if not self.reduction.report.applied:
            self.start(model)


@dataclass
class LinksUnlessReduced:
    """The link separation, when the exact reduction did not apply.

    Its wall-clock bound is the user's time limit counted from ``built_at``.
    """

    step: LinkSeparation
    reduction: ExactReduction
    time_limit: float | None
    built_at: float

    def __call__(self, model: LocationModel) -> None:
        """Run the separation on ``model`` unless the reduction was applied."""
        if self.reduction.report.applied:
            self.step.report.reason = "the exact reduction applied"
            return
        self.step.deadline = step_deadline(self.time_limit, self.built_at)
        self.step(model)


@dataclass
class SetSolverLimit:
    """Give the solver what is left of the user's time limit (the last step)."""

    solver: pulp.LpSolver
    time_limit: float | None
    built_at: float

    def __call__(self, model: LocationModel) -> None:
        """Set ``solver.timeLimit`` from the time spent since the build."""
        if self.time_limit is not None:
            spent = time.perf_counter() - self.built_at
            self.solver.timeLimit = solver_limit(self.time_limit, spent)


@dataclass
class SpeedupPlan:
    """The steps chosen for one solve and the objects whose reports tell what they did.

    Attributes
    ----------
    steps
        Pass as ``reductions=`` to :func:`clusterloc.model.solve_model`.
    reduction
        The exact reduction (``None`` when not asked for).
    two_stage
        The two-stage start (``None`` when not asked for).
    """

    steps: Sequence[Speedup] = field(default_factory=list)
    reduction: ExactReduction | None = None
    two_stage: TwoStageStart | None = None
    links: LinkSeparation | None = None


def plan_speedups(
    solver: pulp.LpSolver,
    *,
    time_limit: float | None,
    built_at: float,
    reduce: bool = True,
    two_stage_start: bool = False,
    lp_start: bool = False,
    separate_links: bool = False,
    threads: int | None = None,
    reduction_options: dict[str, Any] | None = None,
) -> SpeedupPlan:
    """The standard speed-ups for one solve.

    Parameters
    ----------
    solver
        The solver that runs after the steps (it receives starts and its limit).
    time_limit
        The user's limit for the whole solve (seconds) or ``None``.
    built_at
        ``time.perf_counter()`` at the end of the build: budgets count from there.
    reduce
        Run the exact reduction; without it no step runs at all.
    two_stage_start
        When the reduction does not apply, run the two-stage start.
    lp_start
        When the reduction does not apply (and no two-stage start is asked for), run
        the LP-support start.
    separate_links
        When the reduction does not apply (and no other start is asked for), run the
        link separation with its start and exact fixing.
    threads
        Threads of the two-stage start's own solves (default 1) and of the link
        separation's LPs (default: HiGHS's).
    reduction_options
        Keyword arguments for :class:`~clusterloc.model.speedups.reduction.ExactReduction`.

    Returns
    -------
    SpeedupPlan
    """
    if not reduce:
        return SpeedupPlan()
    options = {"deadline": step_deadline(time_limit, built_at), **(reduction_options or {})}
    reduction = ExactReduction(solver, **options)
    steps: list[Speedup] = [reduction]
    two_stage: TwoStageStart | None = None
    links: LinkSeparation | None = None
    if two_stage_start:
        two_stage = TwoStageStart(solver, threads=threads or 1)
        steps.append(TwoStageUnlessReduced(two_stage, reduction, time_limit, built_at))
    elif lp_start:
        lp_seconds, mip_seconds = lp_start_budget(time_limit)
        start = LpSupportStart(solver, lp_seconds=lp_seconds, mip_seconds=mip_seconds)
        steps.append(LpStartUnlessReduced(start, reduction))
    elif separate_links:
        links = LinkSeparation(solver, threads=threads)
        steps.append(LinksUnlessReduced(links, reduction, time_limit, built_at))
    steps.append(SetSolverLimit(solver, time_limit, built_at))
    return SpeedupPlan(steps=steps, reduction=reduction, two_stage=two_stage, links=links)
