"""Why a model cannot be solved: the explanation after an infeasible solve.

(The sound checks before solving are :mod:`clusterloc.model.checks`.)

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
from typing import Any

import numpy as np
import pandas as pd
import pulp

from clusterloc.model.checks import Cause, cause, name_list
from clusterloc.model.formulation import LocationModel
from clusterloc.model.inputs import ModelInputs
from clusterloc.model.solution import Solution
from clusterloc.model.solvers import make_solver
from clusterloc.model.validation import CleanTables

__all__ = ["EXPLAIN_TIME_LIMIT", "EXPLAIN_TOTAL_LIMIT", "explain_infeasible"]

log = logging.getLogger(__name__)

#: Time limit (s) for each relaxed re-solve of :func:`explain_infeasible`.
EXPLAIN_TIME_LIMIT = 20.0
#: Total time (s) after which :func:`explain_infeasible` tries no further relaxation.
EXPLAIN_TOTAL_LIMIT = 120.0


# --------------------------------------------------------------------------- post-solve
def _variant(inputs: ModelInputs, **policy_changes: Any) -> ModelInputs:
    pol = copy.deepcopy(inputs.policy)
    for key, value in policy_changes.items():
        setattr(pol, key, value)
    return dataclasses.replace(inputs, policy=pol)


def _solves(inputs: ModelInputs) -> Solution:
    model = LocationModel(inputs)
    return model.solve(make_solver("highs", time_limit=EXPLAIN_TIME_LIMIT))


def explain_infeasible(model: LocationModel) -> list[Cause]:
    """Name the constraint families that make ``model`` infeasible.

    Each applicable family is relaxed on its own and the model re-solved (HiGHS,
    :data:`EXPLAIN_TIME_LIMIT` seconds each). A family whose relaxation restores
    feasibility is reported as a binding cause; a final variant that minimises unmet
    demand names the markets and commodities that cannot be served.

    Parameters
    ----------
    model
        A built model whose solve ended infeasible.

    Returns
    -------
    list of dict
        Causes with ``kind``, ``severity="error"``, ``message`` and details.
    """
    t = model.tables
    assert t is not None
    inputs = model.inputs
    pol = t.policy
    tries: list[tuple[Cause, ModelInputs]] = []

    def add(kind: str, message: str, variant: ModelInputs, **extra: Any) -> None:
        tries.append((cause(kind, "error", message, **extra), variant))

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

    causes: list[Cause] = []
    started = time.perf_counter()
    for n_tried, (candidate, variant) in enumerate(tries):
        if time.perf_counter() - started > EXPLAIN_TOTAL_LIMIT:
            log.warning(
                "infeasibility explanation stopped after %.0f s (%d of %d relaxations tried)",
                time.perf_counter() - started, n_tried, len(tries),
            )  # fmt: skip
            break
        try:
            sol = _solves(variant)
        except Exception as exc:  # a relaxed variant must never hide the real answer
            log.debug("relaxed variant %s failed: %s", candidate["kind"], exc)
            continue
        if sol.has_solution:
            causes.append(candidate)
    if pol.unmet_penalty is None:
        causes += _unserved_markets(inputs)
    if not causes:
        msg = "No single rule explains the infeasibility; several rules conflict together."
        causes.append(cause("unknown", "error", msg))
    return causes


def _big_amount(t: CleanTables) -> float:
    dem = float(t.markets["demand"].sum())
    sup = t.suppliers["supply"].to_numpy(dtype=float)
    cap = float(t.facilities["capacity"].sum())
    ratio = float((t.bom["quantity"] / t.bom["yield"]).max()) if len(t.bom) else 1.0
    return 10.0 * (dem + float(sup[np.isfinite(sup)].sum()) + cap) * max(1.0, ratio) + 1.0


def _unserved_markets(inputs: ModelInputs) -> list[Cause]:
    """Minimise unmet demand alone (objective = total unmet) and name what stays unserved."""
    try:
        model = LocationModel(_variant(inputs, unmet_penalty=1.0))
        prob = model.build()
        prob.setObjective(pulp.LpAffineExpression([(v, 1.0) for v in model.unmet_vars.values()]))
        sol = model.solve(make_solver("highs", time_limit=EXPLAIN_TIME_LIMIT))
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
            f"market(s) {name_list(markets)} stays unmet."
        )
        out.append(
            cause(
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
