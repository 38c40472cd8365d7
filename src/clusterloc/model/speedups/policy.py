"""The work-budget policy of the speed-ups, in one place.

The only wall-clock quantity is the user's ``time_limit`` for the whole solve. The
steps of the product path (:func:`clusterloc.solve`) and the exact reduction are
bounded by work counts, so the same input takes the same path on any machine, however
loaded; the time limit only stops them as a safety net (:func:`step_deadline`: 40 % of
it), and the solver gets what is left. The benchmark-only starts (two-stage, LP-support) still
take shares of the time limit.

====================  ==========================================  ===================
step                  budget (``T`` = time limit)                 without a limit
====================  ==========================================  ===================
exact reduction       2 × 300 subgradient steps, 400 priced moves  same
link separation       60 LP rounds + 10 dive steps × 10 rounds     same
two-stage start       ``max(1, 0.6 T − time since the build)``     36 s − since build
LP-support start      ``0.6 T``: 60 % LP, 40 % restricted MIP      60 s
solver                ``max(1, T − time since the build)``         no limit
====================  ==========================================  ===================
"""

from __future__ import annotations

__all__ = [
    "LAGRANGIAN_ITERATIONS",
    "LP_SHARE",
    "SEARCH_MOVES",
    "START_SHARE",
    "STEP_SHARE",
    "lp_start_budget",
    "solver_limit",
    "step_deadline",
    "two_stage_budget",
]

#: Share of the user's time limit the count-bounded steps may use at most (safety net:
#: the solver always keeps the rest, so a loaded machine still gets a solve).
STEP_SHARE = 0.4
#: Subgradient steps of each of the exact reduction's two Lagrangian phases.
LAGRANGIAN_ITERATIONS = 300
#: Moves the exact reduction's local search may price (each a transportation LP).
SEARCH_MOVES = 400
#: Share of the time limit a MIP start (two-stage or LP-support) may use.
START_SHARE = 0.6
#: Share of the LP-support start's budget for the LP relaxation (the rest: the MIP).
LP_SHARE = 0.6
#: Budgets in seconds when the user gave no time limit.
TWO_STAGE_DEFAULT_SECONDS = 36.0
LP_START_DEFAULT_SECONDS = 60.0
#: No step and no solver limit is ever set below this many seconds.
MIN_SECONDS = 1.0


def step_deadline(time_limit: float | None, built_at: float) -> float | None:
    """The ``time.perf_counter()`` value count-bounded steps must stop by.

    40 % of the user's limit after the build (:data:`STEP_SHARE`): the counts are the
    budget, this only stops them on a machine too slow for them.

    Parameters
    ----------
    time_limit
        The user's limit for the whole solve, or ``None`` (no deadline).
    built_at
        ``time.perf_counter()`` at the end of the build.

    Returns
    -------
    float or None
    """
    return None if time_limit is None else built_at + STEP_SHARE * time_limit


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
