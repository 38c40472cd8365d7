"""Sound pre-solve checks: one ``check_*`` function per rule.

Each check looks at the validated tables and the arcs of a built model and returns a
list of findings (plain dicts: ``kind``, ``severity``, ``message`` and the names
involved). ``severity == "error"`` means the model is certainly infeasible, so the
solver is not started; ``"warning"`` is a fact worth telling (a site no flow can use).
:func:`check_before_solve` runs them all, in the order of :data:`CHECKS`.

The checks never build or solve a model; the post-solve explanation of an infeasible
model is :func:`clusterloc.model.diagnostics.explain_infeasible`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from clusterloc.model.inputs import MARKET, SUPPLIER
from clusterloc.model.validation import CleanTables

__all__ = [
    "CHECKS",
    "PreSolveFacts",
    "cause",
    "check_before_solve",
    "check_budget",
    "check_idle_sites",
    "check_markets_reachable",
    "check_open_counts",
    "check_supply",
    "check_type_capacity",
    "name_list",
]

log = logging.getLogger(__name__)

#: A pre-solve or post-solve finding.
Cause = dict[str, Any]


@dataclass(frozen=True)
class PreSolveFacts:
    """What the checks look at: a built model's tables, arcs and sites.

    Attributes
    ----------
    tables
        The validated inputs.
    arcs
        One row per flow variable (``origin, destination, commodity, otype, dtype``).
    sites
        The facilities in the model (closed excluded) with ``cap_max`` and ``subsidy``.
    required
        From :func:`clusterloc.model.requirements.required_amounts`.
    mandatory
        From :func:`clusterloc.model.requirements.mandatory_throughput`.
    """

    tables: CleanTables
    arcs: pd.DataFrame
    sites: pd.DataFrame
    required: dict[str, float]
    mandatory: dict[str, float]


def name_list(items: list[str], limit: int = 8) -> str:
    """``'a', 'b' and 3 more``: the first ``limit`` names quoted, the rest counted.

    Parameters
    ----------
    items
        Names.
    limit
        How many to show.

    Returns
    -------
    str
    """
    shown = ", ".join(repr(s) for s in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def cause(kind: str, severity: str, message: str, **extra: Any) -> Cause:
    """A finding as a plain dict.

    Parameters
    ----------
    kind
        Machine-readable kind (``supply``, ``capacity``, ``budget``, ...).
    severity
        ``error`` (certainly infeasible) or ``warning``.
    message
        One plain-language sentence.
    **extra
        Names and amounts involved.

    Returns
    -------
    dict
    """
    return {"kind": kind, "severity": severity, "message": message, **extra}


def check_markets_reachable(facts: PreSolveFacts) -> list[Cause]:
    """Every market with demand has an arc that can bring it each commodity.

    Parameters
    ----------
    facts
        The built model's tables and arcs.

    Returns
    -------
    list of dict
        One ``unreachable_market`` finding per commodity with markets out of reach
        (an error when all demand must be met, else a warning).
    """
    t, arcs = facts.tables, facts.arcs
    pol = t.policy
    must_meet = pol.unmet_penalty is None
    found: list[Cause] = []
    dem = t.markets[t.markets["demand"] > 0]
    into = arcs[arcs["dtype"] == MARKET]
    served = set(zip(into["destination"].tolist(), into["commodity"].tolist(), strict=True))
    lane_dest = set(t.lanes["destination"])
    for k, grp in dem.groupby("commodity", sort=True):
        lost = [s for s in grp["site_id"] if (s, k) not in served]
        if not lost:
            continue
        no_lane = [s for s in lost if s not in lane_dest]
        reason = (
            "no lane leads to them"
            if len(no_lane) == len(lost)
            else (
                "no lane within the maximum service distance/time from a site that can ship it"
                if (pol.max_service_km is not None or pol.max_service_hours is not None)
                else "no lane from a site that can ship it"
            )
        )
        msg = f"Demand for {k!r} at market(s) {name_list(lost)} cannot be reached: {reason}."
        severity = "error" if must_meet else "warning"
        found.append(cause("unreachable_market", severity, msg, commodity=k, markets=lost))
    return found


def check_supply(facts: PreSolveFacts) -> list[Cause]:
    """Supply in reach of each bought commodity covers what demand needs through the BOM.

    Parameters
    ----------
    facts
        The built model's tables, arcs and required amounts.

    Returns
    -------
    list of dict
        One ``supply`` error per commodity that falls short.
    """
    t, arcs = facts.tables, facts.arcs
    if t.policy.unmet_penalty is not None or not len(arcs):
        return []
    sup_arcs = arcs[arcs["otype"] == SUPPLIER]
    has_arc = set(zip(sup_arcs["origin"], sup_arcs["commodity"], strict=True))
    sup = t.suppliers
    avail: dict[str, float] = {}
    for s, k, q in zip(sup["site_id"], sup["commodity"], sup["supply"], strict=True):
        if (s, k) in has_arc:
            avail[k] = avail.get(k, 0.0) + float(q)
    produced = set(t.bom["output"]) if len(t.bom) else set()
    found: list[Cause] = []
    for k, need in sorted(facts.required.items()):
        if k in produced:
            continue
        have = avail.get(k, 0.0)
        if need > have * (1 + 1e-9) + 1e-9:
            msg = (
                f"Supply of {k!r} in reach is {have:g} but meeting all demand needs at least "
                f"{need:g} (market demand plus bill-of-materials inputs)."
            )
            found.append(cause("supply", "error", msg, commodity=k, required=need, available=have))
    return found


def check_type_capacity(facts: PreSolveFacts) -> list[Cause]:
    """Each facility type that all flow must cross has the capacity for it.

    Parameters
    ----------
    facts
        The built model's tables, sites and mandatory throughputs.

    Returns
    -------
    list of dict
        ``capacity`` (or ``max_open``, when the open-count limit is what cuts it)
        errors.
    """
    t, sites = facts.tables, facts.sites
    pol = t.policy
    found: list[Cause] = []
    for T, need in sorted(facts.mandatory.items()):
        caps = sorted(sites.loc[sites["type"] == T, "cap_max"].tolist(), reverse=True)
        hi = pol.max_open.get(T)
        usable = caps[: int(hi)] if hi is not None else caps
        have = float(sum(usable))
        if need > have * (1 + 1e-9) + 1e-9:
            limit = f" with at most {hi} open" if hi is not None and len(caps) > int(hi) else ""
            msg = (
                f"Capacity of facility type {T!r} is {have:g}{limit} but all demand must pass "
                f"through it: at least {need:g} units."
            )
            kind = "max_open" if limit else "capacity"
            found.append(cause(kind, "error", msg, type=T, required=need, available=have))
    return found


def check_open_counts(facts: PreSolveFacts) -> list[Cause]:
    """``min_open`` has enough sites to choose from; ``max_open`` admits the existing ones.

    Parameters
    ----------
    facts
        The built model's tables and sites.

    Returns
    -------
    list of dict
        ``min_open`` / ``max_open`` errors per facility type.
    """
    t, sites = facts.tables, facts.sites
    pol = t.policy
    found: list[Cause] = []
    for T in t.facility_types:
        members = sites[sites["type"] == T]
        lo = int(pol.min_open.get(T, 0) or 0)
        hi = pol.max_open.get(T)
        n_exist = int((members["status"] == "existing").sum())
        if lo > len(members):
            msg = (
                f"min_open for {T!r} is {lo} but only {len(members)} site(s) of that type "
                "are not closed."
            )
            found.append(cause("min_open", "error", msg, type=T))
        if hi is not None and n_exist > int(hi):
            msg = (
                f"max_open for {T!r} is {hi} but {n_exist} existing site(s) of that type "
                "must stay open."
            )
            found.append(cause("max_open", "error", msg, type=T))
    return found


def least_fixed_costs(t: CleanTables, sites: pd.DataFrame, site_ids: list[str]) -> list[float]:
    """Least effective fixed cost (after subsidy) to open each site.

    Parameters
    ----------
    t
        The validated tables (capacity levels).
    sites
        The model's facilities with ``fixed_cost`` and ``subsidy``.
    site_ids
        The sites asked about.

    Returns
    -------
    list of float
        In the order of ``site_ids``; the cheapest level for sites with levels.
    """
    keep = dict(zip(sites["site_id"], 1.0 - sites["subsidy"], strict=True))
    fixed = dict(zip(sites["site_id"], sites["fixed_cost"] * (1.0 - sites["subsidy"]), strict=True))
    lev_min: dict[str, float] = {}
    if len(t.levels):
        lev_min = {
            str(k): float(v) for k, v in t.levels.groupby("site_id")["fixed_cost"].min().items()
        }
    return [float(lev_min[s]) * keep[s] if s in lev_min else float(fixed[s]) for s in site_ids]


def check_budget(facts: PreSolveFacts) -> list[Cause]:
    """The budget covers the cheapest candidate sites ``min_open`` forces open.

    Parameters
    ----------
    facts
        The built model's tables and sites.

    Returns
    -------
    list of dict
        One ``budget`` error, or nothing.
    """
    t, sites = facts.tables, facts.sites
    pol = t.policy
    if pol.budget is None:
        return []
    need_cost = 0.0
    for T in t.facility_types:
        members = sites[sites["type"] == T]
        lo = int(pol.min_open.get(T, 0) or 0)
        n_exist = int((members["status"] == "existing").sum())
        cand = members[members["status"] == "candidate"]
        lows = least_fixed_costs(t, sites, cand["site_id"].tolist())
        need_cost += float(sum(sorted(lows)[: max(0, lo - n_exist)]))
    if need_cost > float(pol.budget) * (1 + 1e-9) + 1e-9:
        msg = (
            f"The budget {pol.budget:g} is below {need_cost:g}, the least fixed cost of "
            "the sites min_open requires."
        )
        return [cause("budget", "error", msg, required=need_cost, available=float(pol.budget))]
    return []


def check_idle_sites(facts: PreSolveFacts) -> list[Cause]:
    """Facilities and suppliers that no usable arc touches (they will not be used).

    Parameters
    ----------
    facts
        The built model's tables, arcs and sites.

    Returns
    -------
    list of dict
        ``unreachable_site`` warnings (facilities first, then suppliers).
    """
    t, arcs, sites = facts.tables, facts.arcs, facts.sites
    found: list[Cause] = []
    if len(sites):
        has_in = set(arcs["destination"]) if len(arcs) else set()
        has_out = set(arcs["origin"]) if len(arcs) else set()
        idle = [s for s in sites["site_id"] if s not in has_in or s not in has_out]
        if idle:
            msg = (
                f"Site(s) {name_list(idle)} cannot take part in any flow (no usable lane in or "
                "out) and will not be used."
            )
            found.append(cause("unreachable_site", "warning", msg, sites=idle))
    sup_ids = sorted(set(t.suppliers["site_id"]) - (set(arcs["origin"]) if len(arcs) else set()))
    if sup_ids:
        msg = f"Supplier(s) {name_list(sup_ids)} have no usable lane and will not be used."
        found.append(cause("unreachable_site", "warning", msg, sites=sup_ids))
    return found


#: The checks :func:`check_before_solve` runs, in order.
CHECKS: tuple[Callable[[PreSolveFacts], list[Cause]], ...] = (
    check_markets_reachable,
    check_supply,
    check_type_capacity,
    check_open_counts,
    check_budget,
    check_idle_sites,
)


def check_before_solve(facts: PreSolveFacts) -> list[Cause]:
    """Run every check of :data:`CHECKS`.

    Parameters
    ----------
    facts
        The built model's tables, arcs, sites, required amounts and mandatory
        throughputs.

    Returns
    -------
    list of dict
        Each with ``kind``, ``severity`` (``error`` / ``warning``), ``message`` and
        the names involved.
    """
    found = [finding for check in CHECKS for finding in check(facts)]
    for c in found:
        log.info("pre-solve check (%s): %s", c["severity"], c["message"])
    return found
