"""Why a model cannot be solved: checks before solving, explanations after.

Before solving (:func:`check_before_solve`) a few sound tests find inputs that are
certainly infeasible — too little supply of a commodity for what demand needs
through the bills of materials, too little capacity of a facility type that all flow
of a commodity must cross, markets with no lane in reach, open-count rules no site
set can meet — and name the sites that cannot take part in any flow.

After an infeasible solve (:func:`explain_infeasible`) the model is re-solved with one
constraint family relaxed at a time (budget, CO2 cap, local content, open counts,
single sourcing, existing sites, each type's capacity, each commodity's supply); the
families whose relaxation alone restores feasibility are the binding causes. When all
demand must be met, a variant that minimises unmet demand names the markets and
commodities that cannot be served.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clusterloc.model.inputs import MARKET, SUPPLIER, ModelInputs
from clusterloc.model.validation import CleanTables

if TYPE_CHECKING:
    from clusterloc.model.formulation import LocationModel

log = logging.getLogger(__name__)

#: Time limit (s) for each relaxed re-solve of :func:`explain_infeasible`.
EXPLAIN_TIME_LIMIT = 20.0
#: Total time (s) after which :func:`explain_infeasible` tries no further relaxation.
EXPLAIN_TOTAL_LIMIT = 120.0


def _names(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(s) for s in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def required_amounts(t: CleanTables, arcs: pd.DataFrame) -> dict[str, float]:
    """Least amount of each commodity that must be delivered or consumed.

    Market demand, plus what bills of materials need for it: for a commodity that no
    supplier in reach sells, every unit must be produced, so its producers' inputs are
    needed at the least ratio over the producing types. Empty when unmet demand is
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


def _cause(kind: str, severity: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "severity": severity, "message": message, **extra}


def check_before_solve(model: LocationModel) -> list[dict[str, Any]]:
    """Sound pre-solve checks; ``severity == "error"`` means certainly infeasible.

    Returns
    -------
    list of dict
        Each with ``kind``, ``severity`` (``error`` / ``warning``), ``message`` and
        the names involved.
    """
    t = model.tables
    assert t is not None
    arcs = model.arcs
    sites = model.sites
    pol = t.policy
    must_meet = pol.unmet_penalty is None
    found: list[dict[str, Any]] = []

    # markets in reach
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
        msg = f"Demand for {k!r} at market(s) {_names(lost)} cannot be reached: {reason}."
        found.append(
            _cause(
                "unreachable_market",
                "error" if must_meet else "warning",
                msg,
                commodity=k,
                markets=lost,
            )
        )

    # supply per commodity against what demand needs through the BOM
    if must_meet and len(arcs):
        sup_arcs = arcs[arcs["otype"] == SUPPLIER]
        has_arc = set(zip(sup_arcs["origin"], sup_arcs["commodity"], strict=True))
        sup = t.suppliers
        avail: dict[str, float] = {}
        for s, k, q in zip(sup["site_id"], sup["commodity"], sup["supply"], strict=True):
            if (s, k) in has_arc:
                avail[k] = avail.get(k, 0.0) + float(q)
        produced = set(t.bom["output"]) if len(t.bom) else set()
        for k, need in sorted(model.required.items()):
            if k in produced:
                continue
            have = avail.get(k, 0.0)
            if need > have * (1 + 1e-9) + 1e-9:
                msg = (
                    f"Supply of {k!r} in reach is {have:g} but meeting all demand needs at least "
                    f"{need:g} (market demand plus bill-of-materials inputs)."
                )
                found.append(
                    _cause("supply", "error", msg, commodity=k, required=need, available=have)
                )

    # capacity per type that all flow must cross
    for T, need in sorted(model.mandatory.items()):
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
            found.append(_cause(kind, "error", msg, type=T, required=need, available=have))

    # open counts and budget
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
            found.append(_cause("min_open", "error", msg, type=T))
        if hi is not None and n_exist > int(hi):
            msg = (
                f"max_open for {T!r} is {hi} but {n_exist} existing site(s) of that type "
                "must stay open."
            )
            found.append(_cause("max_open", "error", msg, type=T))
    if pol.budget is not None:
        need_cost = 0.0
        for T in t.facility_types:
            members = sites[sites["type"] == T]
            lo = int(pol.min_open.get(T, 0) or 0)
            n_exist = int((members["status"] == "existing").sum())
            cand = members[members["status"] == "candidate"]
            lows = _least_fixed(model, cand["site_id"].tolist())
            need_cost += float(sum(sorted(lows)[: max(0, lo - n_exist)]))
        if need_cost > float(pol.budget) * (1 + 1e-9) + 1e-9:
            msg = (
                f"The budget {pol.budget:g} is below {need_cost:g}, the least fixed cost of "
                "the sites min_open requires."
            )
            found.append(
                _cause("budget", "error", msg, required=need_cost, available=float(pol.budget))
            )

    # sites that cannot take part in any flow
    if len(sites):
        has_in = set(arcs["destination"]) if len(arcs) else set()
        has_out = set(arcs["origin"]) if len(arcs) else set()
        idle = [s for s in sites["site_id"] if s not in has_in or s not in has_out]
        if idle:
            msg = (
                f"Site(s) {_names(idle)} cannot take part in any flow (no usable lane in or "
                "out) and will not be used."
            )
            found.append(_cause("unreachable_site", "warning", msg, sites=idle))
    sup_ids = sorted(set(t.suppliers["site_id"]) - (set(arcs["origin"]) if len(arcs) else set()))
    if sup_ids:
        msg = f"Supplier(s) {_names(sup_ids)} have no usable lane and will not be used."
        found.append(_cause("unreachable_site", "warning", msg, sites=sup_ids))
    for c in found:
        log.info("pre-solve check (%s): %s", c["severity"], c["message"])
    return found


def _least_fixed(model: LocationModel, site_ids: list[str]) -> list[float]:
    """Least effective fixed cost to open each site (cheapest level if it has levels)."""
    t = model.tables
    assert t is not None
    keep = model._keep
    fixed = model._fixed_eff
    lev_min: dict[str, float] = {}
    if len(t.levels):
        lev_min = {
            str(k): float(v) for k, v in t.levels.groupby("site_id")["fixed_cost"].min().items()
        }
    return [float(lev_min[s]) * keep[s] if s in lev_min else float(fixed[s]) for s in site_ids]


# --------------------------------------------------------------------------- post-solve
def _variant(inputs: ModelInputs, **policy_changes: Any) -> ModelInputs:
    pol = copy.deepcopy(inputs.policy)
    for key, value in policy_changes.items():
        setattr(pol, key, value)
    return dataclasses.replace(inputs, policy=pol)


def _solves(inputs: ModelInputs) -> Any:
    from clusterloc.model.formulation import LocationModel
    from clusterloc.model.solvers import make_solver

    model = LocationModel(inputs)
    sol = model.solve(make_solver("highs", time_limit=EXPLAIN_TIME_LIMIT), explain=False)
    return sol


def explain_infeasible(model: LocationModel) -> list[dict[str, Any]]:
    """Name the constraint families that make ``model`` infeasible.

    Each applicable family is relaxed on its own and the model re-solved (HiGHS,
    :data:`EXPLAIN_TIME_LIMIT` seconds each). A family whose relaxation restores
    feasibility is reported as a binding cause; a final variant that minimises unmet
    demand names the markets and commodities that cannot be served.

    Returns
    -------
    list of dict
        Causes with ``kind``, ``severity="error"``, ``message`` and details.
    """
    t = model.tables
    assert t is not None
    inputs = model.inputs
    pol = t.policy
    tries: list[tuple[dict[str, Any], ModelInputs]] = []

    def add(kind: str, message: str, variant: ModelInputs, **extra: Any) -> None:
        tries.append((_cause(kind, "error", message, **extra), variant))

    ok = "; without it the model is feasible."
    if pol.budget is not None:
        add(
            "budget",
            f"The budget of {pol.budget:g} is too small{ok}",
            _variant(inputs, budget=None),
        )
    if pol.co2_cap is not None:
        msg = f"The CO2 cap of {pol.co2_cap:g} t cannot be met{ok}"
        add("co2_cap", msg, _variant(inputs, co2_cap=None))
    if pol.local_content_share:
        where = ", ".join(pol.local_content_types)
        msg = (
            f"The local-content floor of {pol.local_content_share:.0%} at {where} cannot be met{ok}"
        )
        add("local_content", msg, _variant(inputs, local_content_share=None))
    if pol.min_open:
        msg = f"The minimum numbers of open sites {pol.min_open} cannot be met{ok}"
        add("min_open", msg, _variant(inputs, min_open={}))
    if pol.max_open:
        msg = f"The maximum numbers of open sites {pol.max_open} are too low{ok}"
        add("max_open", msg, _variant(inputs, max_open={}))
    if pol.single_sourcing:
        msg = f"Single sourcing cannot be met (some demand fits no single origin){ok}"
        add("single_sourcing", msg, _variant(inputs, single_sourcing=False))
    fac = inputs.facilities
    if "status" in fac.columns:
        status = fac["status"].astype(str).str.lower()
        if (status == "existing").any():
            relaxed = fac.assign(status=status.replace({"existing": "candidate"}))
            msg = f"Existing sites that must stay open make the model infeasible{ok}"
            add("existing", msg, dataclasses.replace(inputs, facilities=relaxed))
    big = _big_amount(t)
    for T in t.facility_types:
        ids = set(t.facilities.loc[t.facilities["type"] == T, "site_id"])
        f2 = inputs.facilities.copy()
        mask = f2["site_id"].astype(str).isin(ids)
        f2.loc[mask, "capacity"] = pd.to_numeric(f2.loc[mask, "capacity"]) + big
        lev = inputs.levels
        if len(lev):
            lev = lev.copy()
            lm = lev["site_id"].astype(str).isin(ids)
            lev.loc[lm, "capacity"] = pd.to_numeric(lev.loc[lm, "capacity"]) + big
        have = float(model.sites.loc[model.sites["type"] == T, "cap_max"].sum())
        msg = (
            f"Capacity of facility type {T!r} ({have:g} in total over the sites not closed) "
            "is too small; with more capacity the model is feasible."
        )
        variant = dataclasses.replace(inputs, facilities=f2, levels=lev)
        add("capacity", msg, variant, type=T, available=have)
    sup = inputs.suppliers
    for k in sorted(set(t.suppliers["commodity"])):
        s2 = sup.copy()
        s2.loc[s2["commodity"].astype(str) == k, "supply"] = math.inf
        have = float(t.suppliers.loc[t.suppliers["commodity"] == k, "supply"].sum())
        msg = (
            f"Supply of {k!r} ({have:g} in total) is too small; with unlimited supply "
            "the model is feasible."
        )
        add("supply", msg, dataclasses.replace(inputs, suppliers=s2), commodity=k, available=have)

    causes: list[dict[str, Any]] = []
    started = time.perf_counter()
    for n_tried, (cause, variant) in enumerate(tries):
        if time.perf_counter() - started > EXPLAIN_TOTAL_LIMIT:
            log.warning(
                "infeasibility explanation stopped after %.0f s (%d of %d relaxations tried)",
                time.perf_counter() - started, n_tried, len(tries),
            )  # fmt: skip
            break
        try:
            sol = _solves(variant)
        except Exception as exc:  # a relaxed variant must never hide the real answer
            log.debug("relaxed variant %s failed: %s", cause["kind"], exc)
            continue
        if sol.has_solution:
            causes.append(cause)
    if pol.unmet_penalty is None:
        causes += _unserved_markets(inputs)
    if not causes:
        msg = "No single rule explains the infeasibility; several rules conflict together."
        causes.append(_cause("unknown", "error", msg))
    return causes


def _big_amount(t: CleanTables) -> float:
    dem = float(t.markets["demand"].sum())
    sup = t.suppliers["supply"].to_numpy(dtype=float)
    cap = float(t.facilities["capacity"].sum())
    ratio = float((t.bom["quantity"] / t.bom["yield"]).max()) if len(t.bom) else 1.0
    return 10.0 * (dem + float(sup[np.isfinite(sup)].sum()) + cap) * max(1.0, ratio) + 1.0


def _unserved_markets(inputs: ModelInputs) -> list[dict[str, Any]]:
    """Minimise unmet demand alone (objective = total unmet) and name what stays unserved."""
    import pulp

    from clusterloc.model.formulation import LocationModel
    from clusterloc.model.solvers import make_solver

    try:
        model = LocationModel(_variant(inputs, unmet_penalty=1.0))
        prob = model.build()
        prob.setObjective(pulp.LpAffineExpression([(v, 1.0) for v in model.unmet_vars.values()]))
        sol = model.solve(make_solver("highs", time_limit=EXPLAIN_TIME_LIMIT), explain=False)
    except Exception as exc:
        log.debug("unmet-demand variant failed: %s", exc)
        return []
    if not sol.has_solution or not len(sol.unmet):
        return []
    out = []
    for k, grp in sol.unmet.groupby("commodity", sort=True):
        markets = grp["site_id"].tolist()
        short = float(grp["unmet"].sum())
        total = float(grp["demand"].sum())
        msg = (
            f"Demand for {k!r} cannot be fully served: at best {short:g} of the demand at "
            f"market(s) {_names(markets)} stays unmet."
        )
        out.append(
            _cause(
                "unmet_demand",
                "error",
                msg,
                commodity=k,
                markets=markets,
                unmet=short,
                demand=total,
            )
        )
    return out
