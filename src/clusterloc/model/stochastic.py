r"""The two-stage stochastic location model (sample average approximation).

Sites and capacity levels are chosen once (first stage); every sampled future has its
own flows, demand rows and capacity rows (second stage), built by the same ``define_*``
families as the deterministic model (:mod:`clusterloc.model.constraints`), on one PuLP
problem. The objective is the first-stage fixed cost plus the mean second-stage cost:

.. math:: \min \; \Phi(y, z) + \frac{1}{K}\sum_{k=1}^{K} c_k(x_k)

First-stage rows (capacity-level choice, least/most open sites, budget) are added once
from the scenario's own inputs; every other family once per future, its row and column
names prefixed ``f{k}_``. A site closed in a future (``whatif.closed``) has no arcs in
that future. Fixed costs belong to the first stage and are the scenario's.

:func:`solve_stochastic` solves the model; with ``fixed_plan`` it only evaluates a given
plan (binaries fixed), which is how the value of the stochastic solution compares the
deterministic plan on the same futures.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulp

from clusterloc.model.arcs import arc_bounds, make_arcs, model_sites
from clusterloc.model.constraints import (
    FAMILIES,
    define_budget,
    define_level_choice,
    define_open_counts,
)
from clusterloc.model.costs import arc_costs
from clusterloc.model.frame import ModelFrame, Terms
from clusterloc.model.inputs import ModelInputs
from clusterloc.model.objective import (
    fixed_cost_objective_terms,
    flow_cost_terms,
    unmet_cost_terms,
)
from clusterloc.model.requirements import mandatory_throughput, required_amounts
from clusterloc.model.solvers import make_solver, run_solver
from clusterloc.model.validation import validate_inputs
from clusterloc.model.variables import (
    define_flow_variables,
    define_level_variables,
    define_open_variables,
)

log = logging.getLogger(__name__)

__all__ = ["FIRST_STAGE_FAMILIES", "StochasticResult", "solve_stochastic"]

#: Row families of the first stage (added once); every other family is per future.
FIRST_STAGE_FAMILIES: tuple[Callable[[ModelFrame], None], ...] = (
    define_level_choice,
    define_open_counts,
    define_budget,
)


class _Prefixed:
    """A view of a PuLP problem that prefixes every new column and row name."""

    def __init__(self, problem: pulp.LpProblem, prefix: str) -> None:
        self.problem = problem
        self.prefix = prefix

    def add_variable(self, name: str, *args: Any, **kwargs: Any) -> pulp.LpVariable:
        return self.problem.add_variable(self.prefix + name, *args, **kwargs)

    def addConstraint(self, constraint: pulp.LpConstraint, name: str | None = None) -> None:  # noqa: N802 - PuLP's name
        self.problem.addConstraint(constraint, self.prefix + name if name else None)


def _frame(problem: Any, inputs: ModelInputs) -> ModelFrame:
    """A build state for one set of inputs (arcs priced and bounded, as in a build)."""
    t = validate_inputs(inputs)
    sites = model_sites(t)
    arcs, _ = make_arcs(t, sites)
    arcs = arc_bounds(arc_costs(arcs, t, sites), t, sites)
    mandatory = mandatory_throughput(t, required_amounts(t, arcs))
    return ModelFrame(problem, t, arcs, sites, mandatory)


def _value(terms: Terms) -> float:
    return float(sum(coef * (var.varValue or 0.0) for var, coef in terms))


@dataclass
class StochasticResult:
    """A solved (or evaluated) stochastic model.

    Attributes
    ----------
    status
        ``optimal``, ``feasible``, ``infeasible`` or ``no_solution``.
    expected_cost
        Fixed cost + mean future cost (``None`` without a solution).
    fixed_cost
        First-stage cost.
    future_costs
        Second-stage cost + fixed cost of each future, in order.
    open_sites
        Sites open in the plan; ``levels`` the chosen level per site with levels.
    plan
        Value of every first-stage binary by (kind, site[, level]) — pass it back as
        ``fixed_plan``.
    seconds
        ``build`` and ``solve``.
    """

    status: str
    expected_cost: float | None
    fixed_cost: float | None
    future_costs: list[float]
    open_sites: list[str]
    levels: dict[str, str] = field(default_factory=dict)
    plan: dict[tuple[str, ...], float] = field(default_factory=dict)
    gap: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def solve_stochastic(
    base: ModelInputs,
    futures: Sequence[ModelInputs],
    solver: pulp.LpSolver | None = None,
    *,
    fixed_plan: dict[tuple[str, ...], float] | None = None,
) -> StochasticResult:
    """Build and solve the sample average approximation over ``futures``.

    Parameters
    ----------
    base
        The scenario's own inputs: its sites, fixed costs and first-stage policy.
    futures
        One :class:`ModelInputs` per sampled future (same facilities, less those closed).
    solver
        From :func:`~clusterloc.model.solvers.make_solver` (default HiGHS).
    fixed_plan
        Fix the first-stage binaries to these values (from ``StochasticResult.plan``)
        and only price the futures.

    Returns
    -------
    StochasticResult
    """
    if not futures:
        raise ValueError("solve_stochastic needs at least one future")
    t0 = time.perf_counter()
    problem = pulp.LpProblem("saa", pulp.LpMinimize)
    master = _frame(problem, base)
    define_open_variables(master)
    define_level_variables(master)
    for define_rows in FIRST_STAGE_FAMILIES:
        define_rows(master)
    second_stage = [f for f in FAMILIES if f not in FIRST_STAGE_FAMILIES]
    weight = 1.0 / len(futures)
    fixed_terms = fixed_cost_objective_terms(master)
    future_terms: list[Terms] = []
    for k, inputs in enumerate(futures):
        frame = _frame(_Prefixed(problem, f"f{k}_"), inputs)
        unknown = set(frame.site_ids) - set(master.open)
        if unknown:
            raise ValueError(f"future {k} has facilities the scenario lacks: {sorted(unknown)}")
        frame.open = master.open
        frame.levels = master.levels
        frame.levels_of = master.levels_of
        define_flow_variables(frame)
        for define_rows in second_stage:
            define_rows(frame)
        future_terms.append(flow_cost_terms(frame) + unmet_cost_terms(frame))
    objective: Terms = list(fixed_terms)
    for terms in future_terms:
        objective += [(v, weight * c) for v, c in terms]
    problem.setObjective(pulp.LpAffineExpression(objective))
    plan_vars: dict[tuple[str, ...], pulp.LpVariable] = {
        ("open", sid): v for sid, v in master.open.items()
    }
    plan_vars.update({("level", sid, str(lv)): v for (sid, lv), v in master.levels.items()})
    if fixed_plan is not None:
        for key, var in plan_vars.items():
            value = float(round(fixed_plan.get(key, 0.0)))
            var.lowBound = value
            var.upBound = value
    built = time.perf_counter()
    log.info(
        "stochastic model: %d futures, %d columns, %d rows",
        len(futures), len(problem.variables()), problem.numConstraints(),
    )  # fmt: skip
    outcome = run_solver(problem, solver if solver is not None else make_solver())
    seconds = {"build": built - t0, "solve": time.perf_counter() - built}
    if outcome.status not in ("optimal", "feasible"):
        return StochasticResult(outcome.status, None, None, [], [], seconds=seconds)
    fixed = _value(fixed_terms)
    costs = [fixed + _value(terms) for terms in future_terms]
    plan = {key: float(round(var.varValue or 0.0)) for key, var in plan_vars.items()}
    open_sites = sorted(sid for sid, v in master.open.items() if (v.varValue or 0.0) > 0.5)
    levels = {sid: str(lv) for (sid, lv), v in master.levels.items() if (v.varValue or 0.0) > 0.5}
    return StochasticResult(
        status=outcome.status,
        expected_cost=math.fsum(costs) / len(costs),
        fixed_cost=fixed,
        future_costs=costs,
        open_sites=open_sites,
        levels=levels,
        plan=plan,
        gap=outcome.gap,
        seconds=seconds,
    )
