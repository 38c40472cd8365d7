"""The time-budget policy of the speed-ups, in one place.

The only wall-clock quantity is the user's ``time_limit`` for the whole solve; each
speed-up gets a named share of it, and the solver gets what is left. Without a time
limit the fixed defaults below apply. (Inside the steps, iteration counts such as the
Lagrangian's ``max_iterations`` bound the work as well.)

====================  ==========================================  ===================
step                  budget (``T`` = time limit)                 without a limit
====================  ==========================================  ===================
exact reduction       ``min(25, max(1, 0.4 T))``: 60 % Lagrangian,  25 s
                      40 % local search
two-stage start       ``max(1, 0.6 T − time since the build)``     36 s − since build
LP-support start      ``0.6 T``: 60 % LP, 40 % restricted MIP      60 s
solver                ``max(1, T − time since the build)``         no limit
====================  ==========================================  ===================
"""

from __future__ import annotations

__all__ = [
    "LAGRANGIAN_SHARE",
    "LP_SHARE",
    "REDUCTION_MAX_SECONDS",
    "REDUCTION_SHARE",
    "START_SHARE",
    "lp_start_budget",
    "reduction_budget",
    "solver_limit",
    "two_stage_budget",
]

#: Share of the time limit the exact reduction may use, and its cap in seconds.
REDUCTION_SHARE = 0.4
REDUCTION_MAX_SECONDS = 25.0
#: Share of the reduction's budget for the Lagrangian phases (the rest: local search).
LAGRANGIAN_SHARE = 0.6
#: Share of the time limit a MIP start (two-stage or LP-support) may use.
START_SHARE = 0.6
#: Share of the LP-support start's budget for the LP relaxation (the rest: the MIP).
LP_SHARE = 0.6
#: Budgets in seconds when the user gave no time limit.
TWO_STAGE_DEFAULT_SECONDS = 36.0
LP_START_DEFAULT_SECONDS = 60.0
#: No step and no solver limit is ever set below this many seconds.
MIN_SECONDS = 1.0


def reduction_budget(time_limit: float | None) -> tuple[float, float]:
    """Seconds of the exact reduction: ``(lagrangian_seconds, search_seconds)``.

    Parameters
    ----------
    time_limit
        The user's limit for the whole solve, or ``None``.

    Returns
    -------
    tuple of float
    """
    if time_limit is None:
        budget = REDUCTION_MAX_SECONDS
    else:
        budget = min(REDUCTION_MAX_SECONDS, max(MIN_SECONDS, REDUCTION_SHARE * time_limit))
    return LAGRANGIAN_SHARE * budget, (1.0 - LAGRANGIAN_SHARE) * budget


def two_stage_budget(time_limit: float | None, spent: float) -> float:
    """Seconds of the two-stage start, counted from the end of the build.

    Parameters
    ----------
    time_limit
        The user's limit, or ``None``.
    spent
        Seconds already used since the build ended (the reduction's).

    Returns
    -------
    float
    """
    share = TWO_STAGE_DEFAULT_SECONDS if time_limit is None else START_SHARE * time_limit
    return max(MIN_SECONDS, share - spent)


def lp_start_budget(time_limit: float | None) -> tuple[float, float]:
    """Seconds of the LP-support start: ``(lp_seconds, mip_seconds)``.

    Parameters
    ----------
    time_limit
        The user's limit, or ``None``.

    Returns
    -------
    tuple of float
    """
    budget = LP_START_DEFAULT_SECONDS if time_limit is None else START_SHARE * time_limit
    return LP_SHARE * budget, (1.0 - LP_SHARE) * budget


def solver_limit(time_limit: float, spent: float) -> float:
    """The solver's own limit once the speed-ups have used ``spent`` seconds.

    Parameters
    ----------
    time_limit
        The user's limit for the whole solve.
    spent
        Seconds used since the build ended.

    Returns
    -------
    float
    """
    return max(MIN_SECONDS, time_limit - spent)
