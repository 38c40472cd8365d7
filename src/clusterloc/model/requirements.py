"""What the demand forces through the network, before any solve.

:func:`required_amounts` is the least amount of each commodity that must be delivered
or consumed when all demand must be met; :func:`mandatory_throughput` the least
throughput of each facility type that every path of some commodity crosses. Both feed
the aggregate capacity cut of the formulation (``agg_`` rows, see docs/model.md) and the
pre-solve checks of :mod:`clusterloc.model.checks`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterloc.model.inputs import MARKET, SUPPLIER
from clusterloc.model.validation import CleanTables

__all__ = ["mandatory_throughput", "required_amounts"]


def required_amounts(t: CleanTables, arcs: pd.DataFrame) -> dict[str, float]:
    """Least amount of each commodity that must be delivered or consumed.

    Market demand, plus what bills of materials need for it: for a commodity that no
    supplier in reach sells, every unit must be produced, so its producers' inputs are
    needed at the least ratio over the producing types.

    Parameters
    ----------
    t
        The validated tables.
    arcs
        The model's arcs (``otype``, ``commodity``): which commodities a supplier in
        reach sells.

    Returns
    -------
    dict
        ``{commodity: amount}`` for amounts above zero; empty when unmet demand is
        allowed.
    """
    if t.policy.unmet_penalty is not None:
        return {}
    dem = t.markets.groupby("commodity")["demand"].sum()
    base = {k: float(dem.get(k, 0.0)) for k in t.commodities["commodity"]}
    supplied = set(arcs.loc[arcs["otype"] == SUPPLIER, "commodity"]) if len(arcs) else set()
    bom = t.bom
    r = (bom["quantity"] / bom["yield"]).to_numpy() if len(bom) else np.zeros(0)
    producers: dict[str, set[str]] = {}
    for T, o in zip(bom["type"], bom["output"], strict=True):
        producers.setdefault(o, set()).add(T)
    ratio: dict[tuple[str, str, str], float] = {}
    for (T, o, i), v in zip(
        zip(bom["type"], bom["output"], bom["input"], strict=True), r, strict=True
    ):
        ratio[(T, o, i)] = float(v)
    req = dict(base)
    for _ in range(len(req) + 2):
        new = dict(base)
        for o, types in producers.items():
            if o in supplied or req.get(o, 0.0) <= 0:
                continue
            inputs = {i for (T, oo, i) in ratio if oo == o}
            for i in inputs:
                least = min(ratio.get((T, o, i), 0.0) for T in types)
                new[i] = new.get(i, 0.0) + req[o] * least
        if all(abs(new[k] - req.get(k, 0.0)) <= 1e-9 * max(1.0, new[k]) for k in new):
            req = new
            break
        req = new
    return {k: v for k, v in req.items() if v > 0}


def _disconnects(t: CleanTables, k: str, removed: str) -> bool:
    """True if, in the type graph for commodity ``k``, no source reaches a sink
    without passing a facility of type ``removed``."""
    links = t.links
    mask = links["commodity"].isna() | (links["commodity"] == k)
    pairs = [
        (a, b)
        for a, b in zip(links.loc[mask, "from_type"], links.loc[mask, "to_type"], strict=True)
        if removed not in (a, b)
    ]
    bom = t.bom
    sources = {
        T for T, o in zip(bom["type"], bom["output"], strict=True) if o == k and removed != T
    }
    if ((t.suppliers["commodity"] == k) & (t.suppliers["supply"] > 0)).any():
        sources.add(SUPPLIER)
    sinks = {T for T, i in zip(bom["type"], bom["input"], strict=True) if i == k and removed != T}
    if ((t.markets["commodity"] == k) & (t.markets["demand"] > 0)).any():
        sinks.add(MARKET)
    reach = set(sources)
    changed = True
    while changed:
        changed = False
        for a, b in pairs:
            passes = a in sources or (a not in t.bom_types and a not in (SUPPLIER, MARKET))
            if a in reach and passes and b not in reach:
                reach.add(b)
                changed = True
    return not (reach & sinks)


def mandatory_throughput(t: CleanTables, required: dict[str, float]) -> dict[str, float]:
    """Least throughput of each facility type when all demand must be met.

    A type whose removal cuts every path of a commodity from its sources to its sinks
    must handle all of that commodity's required amount (as inflow of a pass-through
    type, or as output of a producing type).

    Parameters
    ----------
    t
        The validated tables.
    required
        From :func:`required_amounts`.

    Returns
    -------
    dict
        ``{facility type: units}`` for the types that must carry some flow.
    """
    out: dict[str, float] = {}
    bom = t.bom
    for T in t.facility_types:
        total = 0.0
        outputs = set(bom.loc[bom["type"] == T, "output"]) if T in t.bom_types else None
        for k, need in required.items():
            if outputs is not None and k not in outputs:
                continue
            if _disconnects(t, k, T):
                total += need
        if total > 0:
            out[T] = total
    return out
