"""Variable families of the location model, one ``define_*`` function each.

Each function adds its columns to ``frame.problem`` and records them on the
:class:`~clusterloc.model.frame.ModelFrame`. Column prefixes are
:class:`~clusterloc.model.rows.ColumnPrefix`; the math is in ``docs/model.md``.
(Unmet-demand and single-sourcing variables are created with the demand rows they
belong to, in :func:`clusterloc.model.constraints.define_demand`.)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pulp

from clusterloc.model.frame import ModelFrame
from clusterloc.model.rows import ColumnPrefix, row_name

__all__ = [
    "VARIABLE_FAMILIES",
    "define_flow_variables",
    "define_level_variables",
    "define_open_variables",
]


def define_flow_variables(frame: ModelFrame) -> None:
    r"""Flow on every arc, bounded by what can ever use it.

    .. math:: 0 \le x_{abk} \le U_{abk} \quad \forall (a,b,k) \in A

    Columns ``x_{arc}``; ``frame.flows`` in arc order.

    Parameters
    ----------
    frame
        The build state.
    """
    frame.flows = [
        frame.problem.add_variable(
            row_name(ColumnPrefix.FLOW, i),
            lowBound=0,
            upBound=None if not math.isfinite(u) else float(u),
        )
        for i, u in enumerate(frame.bound)
    ]


def define_open_variables(frame: ModelFrame) -> None:
    r"""Open binary per facility site; existing sites are fixed open.

    .. math:: y_f \in \{0, 1\}, \qquad y_f = 1 \ \text{if } f \text{ is existing}

    Columns ``y_{site}``; ``frame.open`` by site id.

    Parameters
    ----------
    frame
        The build state.
    """
    statuses = frame.sites["status"]
    for j, (sid, status) in enumerate(zip(frame.site_ids, statuses, strict=True)):
        var = frame.problem.add_variable(
            row_name(ColumnPrefix.OPEN, j), lowBound=0, upBound=1, cat=pulp.LpBinary
        )
        if status == "existing":
            # After creation: PuLP resets the bounds of a binary to [0, 1] when it is made.
            var.lowBound = 1
        frame.open[sid] = var


def define_level_variables(frame: ModelFrame) -> None:
    r"""One binary per capacity level of a site in the model.

    .. math:: z_{fl} \in \{0, 1\} \quad \forall f \in F,\ l \in L_f

    Columns ``z_{site}_{level row}``; ``frame.levels`` by ``(site, level)`` and
    ``frame.levels_of`` per site with each level's capacity and fixed cost.

    Parameters
    ----------
    frame
        The build state (after :func:`define_open_variables`).
    """
    levels = frame.tables.levels
    rows = levels[levels["site_id"].isin(list(frame.open))] if len(levels) else levels
    columns = zip(rows["site_id"], rows["level"], rows["capacity"], rows["fixed_cost"], strict=True)
    for q, (sid, level, capacity, fixed) in enumerate(columns):
        var = frame.problem.add_variable(
            row_name(ColumnPrefix.LEVEL, frame.site_number[sid], q), cat=pulp.LpBinary
        )
        frame.levels[(sid, level)] = var
        frame.levels_of.setdefault(sid, []).append((var, float(capacity), float(fixed)))


#: The variable families in the order the model adds them.
VARIABLE_FAMILIES: tuple[Callable[[ModelFrame], None], ...] = (
    define_flow_variables,
    define_open_variables,
    define_level_variables,
)
