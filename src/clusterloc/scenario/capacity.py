"""Unlimited capacity (an empty ``capacity`` cell) as a bound the model can use.

The optimization model needs a finite capacity on every facility (it is the big-M of the
open/flow link). An empty ``capacity`` cell means *unlimited*, so it is replaced by a number
no feasible, cycle-free flow can reach: the most of every commodity the demand could ever
require, summed over the commodities (:func:`unlimited_capacity`). Every cost is
non-negative, so some optimal solution is cycle-free and the optimum is the one of truly
unlimited capacity.
"""

from __future__ import annotations

import math

import pandas as pd

from clusterloc.errors import ScenarioError

__all__ = ["bound_unlimited", "most_required", "unlimited_capacity"]


def most_required(
    demand: pd.DataFrame, bom: pd.DataFrame, commodities: list[str]
) -> dict[str, float]:
    """The most of each commodity the demand could require anywhere in the network.

    Market demand, plus for every bill-of-materials row the input its output needs at the
    largest ``quantity / yield`` over the facility types that make it.

    Parameters
    ----------
    demand
        ``commodity``, ``demand`` rows.
    bom
        ``type``, ``output``, ``input``, ``quantity``, ``yield`` rows.
    commodities
        Every commodity name.

    Raises
    ------
    ScenarioError
        The bill of materials is cyclic (a commodity needs itself), so no bound exists.
    """
    base = {k: 0.0 for k in commodities}
    for k, d in zip(demand["commodity"], demand["demand"], strict=True):
        base[k] = base.get(k, 0.0) + float(d)
    ratio: dict[tuple[str, str], float] = {}
    for o, i, q, y in zip(bom["output"], bom["input"], bom["quantity"], bom["yield"], strict=True):
        r = float(q) / float(y) if float(y) > 0 else math.inf
        ratio[(o, i)] = max(ratio.get((o, i), 0.0), r)
    need = dict(base)
    for _ in range(len(base) + 2):
        new = dict(base)
        for (o, i), r in ratio.items():
            new[i] = new.get(i, 0.0) + r * need.get(o, 0.0)
        if new == need:
            return need
        need = new
    raise ScenarioError(
        "the bill of materials is cyclic (a commodity is, through other commodities, an input "
        "of itself), so an empty capacity cannot be bounded; give the capacities as numbers."
    )


def unlimited_capacity(demand: pd.DataFrame, bom: pd.DataFrame, commodities: list[str]) -> float:
    """A capacity that no cycle-free flow of the scenario can use up.

    The sum over commodities of :func:`most_required`, at least 1.

    Parameters
    ----------
    demand
        The scenario's demand table.
    bom
        The bill-of-materials table.
    commodities
        Commodity names.

    Returns
    -------
    float
        A finite capacity no flow can reach.
    """
    total = sum(most_required(demand, bom, commodities).values())
    if not math.isfinite(total):
        raise ScenarioError(
            "a bill-of-materials row has yield 0, so an empty capacity cannot be bounded; "
            "give the capacities as numbers or a positive yield."
        )
    return max(1.0, math.ceil(total))


def bound_unlimited(frame: pd.DataFrame, bound: float) -> pd.DataFrame:
    """A copy of ``frame`` with infinite ``capacity`` values replaced by ``bound``.

    Parameters
    ----------
    frame
        A sites or levels table with a ``capacity`` column.
    bound
        The finite stand-in for "unlimited".

    Returns
    -------
    pandas.DataFrame
        The copy.
    """
    out = frame.copy()
    if "capacity" in out and len(out):
        cap = pd.to_numeric(out["capacity"], errors="coerce").astype(float)
        out["capacity"] = cap.where(~cap.isin([math.inf]), bound)
    return out
