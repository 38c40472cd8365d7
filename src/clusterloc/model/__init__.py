"""The optimization engine: model inputs → PuLP MILP → solution.

>>> from clusterloc.model import LocationModel, make_solver, solve_model
>>> model = LocationModel.from_inputs(inputs)            # doctest: +SKIP
>>> sol = solve_model(model, make_solver("highs", time_limit=60))  # doctest: +SKIP
>>> sol.raise_for_status().summary()                      # doctest: +SKIP
"""

from clusterloc.model.formulation import LocationModel
from clusterloc.model.inputs import MARKET, SITE_STATUSES, SUPPLIER, ModelInputs, Policy
from clusterloc.model.pipeline import solve_model
from clusterloc.model.solution import COST_TERMS, Solution
from clusterloc.model.solvers import (
    OPTIMAL_GAP,
    SolveResult,
    available_solvers,
    find_cbc,
    make_solver,
    run_solver,
)
from clusterloc.model.validation import validate_inputs

__all__ = [
    "COST_TERMS",
    "MARKET",
    "OPTIMAL_GAP",
    "SITE_STATUSES",
    "SUPPLIER",
    "LocationModel",
    "ModelInputs",
    "Policy",
    "Solution",
    "SolveResult",
    "available_solvers",
    "find_cbc",
    "make_solver",
    "run_solver",
    "solve_model",
    "validate_inputs",
]
