"""Speed-ups: steps run on a built model before the solver, reported, never required.

- :class:`~clusterloc.model.speedups.reduction.ExactReduction` — single-echelon models:
  Lagrangian bound, local-search incumbent, exact fixing of open binaries, priced-out
  strong-linking rows left out, MIP start (``reduction.py``; its Lagrangian machinery is
  ``warmstart.py``).
- :class:`~clusterloc.model.speedups.twostage.TwoStageStart` — supplier → A → B → market
  models: decomposition heuristic, LP with linking rows added as needed, kernel MIP,
  exact reduced-cost fixing, MIP start (``twostage.py``).
- :class:`~clusterloc.model.speedups.warmstart.LpSupportStart` — any model: LP
  relaxation, then the MIP restricted to LP-open sites, as a MIP start.

The interface (:mod:`~clusterloc.model.speedups.plan`): a step is
``step(model) -> report``; :func:`plan_speedups` chooses the standard sequence for a
solver and a time limit, and its ``steps`` go to
``solve_model(model, solver, reductions=plan.steps)``. The time-budget rules are
:mod:`~clusterloc.model.speedups.policy`. A step that does not apply to a model says
why in its report and changes nothing.
"""

from clusterloc.model.speedups.plan import Speedup, SpeedupPlan, plan_speedups
from clusterloc.model.speedups.reduction import ExactReduction, ReductionReport
from clusterloc.model.speedups.twostage import TwoStageStart, TwoStageStartReport
from clusterloc.model.speedups.warmstart import LpSupportStart

__all__ = [
    "ExactReduction",
    "LpSupportStart",
    "ReductionReport",
    "Speedup",
    "SpeedupPlan",
    "TwoStageStart",
    "TwoStageStartReport",
    "plan_speedups",
]
