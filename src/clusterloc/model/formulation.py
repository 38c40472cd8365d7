"""The location model: :class:`ModelInputs` → PuLP MILP → :class:`Solution`.

The formulation is written out with its math in ``docs/model.md``. Building is
vectorised: the arcs (lane × commodity pairs that a flow may use) are one pandas
table; each constraint family is grown from a ``groupby`` index of that table, so the
work is linear in the number of arcs.

``LocationModel.solve`` is a pipeline of four steps::

    build()  →  reductions (optional callables on the built model)  →  run solver  →  extract

A reduction (e.g. reduced-cost fixing) receives the model and may tighten variable
bounds in ``model.problem`` through ``model.open_vars`` / ``model.flow_vars``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pulp

from clusterloc.errors import ModelInputError
from clusterloc.model.checks import PreSolveFacts, check_before_solve
from clusterloc.model.inputs import MARKET, SUPPLIER, ModelInputs, Policy
from clusterloc.model.requirements import mandatory_throughput, required_amounts
from clusterloc.model.solution import Solution
from clusterloc.model.solvers import SolveResult, make_solver, run_solver, set_start
from clusterloc.model.validation import CleanTables, validate_inputs

log = logging.getLogger(__name__)

Reduction = Callable[["LocationModel"], Any]

_SEP = "\x1f"
_EPS = 1e-9


def _key(a: pd.Series, b: pd.Series) -> pd.Series:
    return a.astype(str) + _SEP + b.astype(str)


def origin_link_name(arc: int) -> str:
    """Name of the strong-linking row ``x ≤ ub · y_origin`` of arc number ``arc``."""
    return f"lo_{arc}"


class LocationModel:
    """Multi-echelon, multi-commodity capacitated facility location model.

    Create it with :meth:`from_inputs` or :meth:`from_cost_matrix`, then call
    :meth:`solve`. :meth:`build` may be called first to inspect or modify the PuLP
    problem.

    Attributes (after :meth:`build`)
    --------------------------------
    problem : pulp.LpProblem
        The MILP.
    open_vars : dict[str, pulp.LpVariable]
        Open binary per facility site (closed sites have none). For a site with
        capacity levels it equals the sum of its level binaries.
    level_vars : dict[tuple[str, str], pulp.LpVariable]
        ``(site_id, level)`` → level binary.
    flow_vars : dict[tuple[str, str, str], pulp.LpVariable]
        ``(origin, destination, commodity)`` → flow (units per period).
    assign_vars : dict[tuple[str, str, str], pulp.LpVariable]
        Single-sourcing binaries on arcs into markets (empty unless the policy asks).
    unmet_vars : dict[tuple[str, str], pulp.LpVariable]
        ``(market site_id, commodity)`` → unmet demand (only with an unmet penalty).
    arcs : pandas.DataFrame
        One row per flow variable, in the order of :attr:`flow_list`: origin,
        destination, commodity, km, hours, otype, dtype, ub, unit costs.
    sites : pandas.DataFrame
        The facilities in the model (closed ones excluded) with ``cap_max`` and
        effective ``fixed_cost`` after subsidies.
    required : dict[str, float]
        Lower bound on the amount of each commodity that must be delivered or
        consumed when all demand must be met.
    checks : list[dict]
        Pre-solve findings (``severity`` ``error`` = certainly infeasible).
    seconds : dict[str, float]
        ``build``; after :meth:`solve` also ``reduce`` (the reduction steps) and
        ``solve`` (warm start + solver). ``Solution.seconds["solve"]`` is their sum.
    """

    def __init__(self, inputs: ModelInputs) -> None:
        self.inputs = inputs
        self.problem: pulp.LpProblem | None = None
        self.tables: CleanTables | None = None
        self.open_vars: dict[str, pulp.LpVariable] = {}
        self.level_vars: dict[tuple[str, str], pulp.LpVariable] = {}
        self.flow_vars: dict[tuple[str, str, str], pulp.LpVariable] = {}
        self.flow_list: list[pulp.LpVariable] = []
        self.assign_vars: dict[tuple[str, str, str], pulp.LpVariable] = {}
        self.unmet_vars: dict[tuple[str, str], pulp.LpVariable] = {}
        self.arcs: pd.DataFrame = pd.DataFrame()
        self.sites: pd.DataFrame = pd.DataFrame()
        self.required: dict[str, float] = {}
        self.mandatory: dict[str, float] = {}
        self.checks: list[dict[str, Any]] = []
        self.seconds: dict[str, float] = {}

    # ------------------------------------------------------------------ creation
    @classmethod
    def from_inputs(cls, inputs: ModelInputs) -> LocationModel:
        """Model of one :class:`~clusterloc.model.inputs.ModelInputs` instance."""
        return cls(inputs)

    @classmethod
    def from_cost_matrix(
        cls,
        cost: Any,
        fixed_cost: Sequence[float] | np.ndarray,
        capacity: Sequence[float] | np.ndarray,
        demand: Sequence[float] | np.ndarray,
        *,
        cost_basis: str = "unit",
        facility_ids: Sequence[str] | None = None,
        customer_ids: Sequence[str] | None = None,
        status: Sequence[str] | None = None,
        single_sourcing: bool = False,
        policy: Policy | None = None,
        name: str = "cost_matrix",
    ) -> LocationModel:
        """Classic single-echelon capacitated facility location as model inputs.

        Facilities of type ``facility`` are fed by one unlimited supplier
        (``__source__``, zero-cost lanes) and serve customers (markets) of one
        commodity ``good``.

        Parameters
        ----------
        cost
            ``(n_facilities, n_customers)`` array of assignment costs.
        fixed_cost, capacity
            Per facility.
        demand
            Per customer.
        cost_basis
            ``"unit"``: ``cost[i, j]`` is per unit shipped; ``"total"``: it is the cost
            of serving *all* of customer ``j``'s demand from ``i`` (OR-Library
            convention), converted to per unit by dividing by ``demand[j]``.
        facility_ids, customer_ids
            Site ids (default ``F1..``, ``C1..``).
        status
            Per facility ``existing`` / ``candidate`` / ``closed`` (default candidate).
        single_sourcing
            Each customer served by exactly one facility.
        policy
            Further policy settings (``single_sourcing`` is set from the argument).
        name
            Instance name.

        Returns
        -------
        LocationModel
        """
        c = np.asarray(cost, dtype=float)
        f = np.asarray(fixed_cost, dtype=float)
        cap = np.asarray(capacity, dtype=float)
        d = np.asarray(demand, dtype=float)
        if c.ndim != 2 or c.shape != (len(f), len(d)) or len(cap) != len(f):
            raise ModelInputError(
                f"cost matrix has shape {c.shape}, expected ({len(f)}, {len(d)}) for "
                f"{len(f)} facilities and {len(d)} customers (capacity has {len(cap)})."
            )
        if cost_basis not in ("unit", "total"):
            raise ModelInputError(f"cost_basis must be 'unit' or 'total', got {cost_basis!r}.")
        if cost_basis == "total":
            with np.errstate(divide="ignore", invalid="ignore"):
                c = np.where(d[None, :] > 0, c / np.where(d > 0, d, 1.0)[None, :], 0.0)
        fids = (
            list(facility_ids) if facility_ids is not None else [f"F{i + 1}" for i in range(len(f))]
        )
        cids = (
            list(customer_ids) if customer_ids is not None else [f"C{j + 1}" for j in range(len(d))]
        )
        n, m = len(fids), len(cids)
        source = "__source__"
        good = "good"
        facilities = pd.DataFrame(
            {
                "site_id": fids,
                "type": "facility",
                "fixed_cost": f,
                "capacity": cap,
                "handling_cost": 0.0,
                "status": list(status) if status is not None else "candidate",
                "tags": "",
            }
        )
        lanes = pd.DataFrame(
            {
                "origin": np.repeat(np.array(fids, dtype=object), m),
                "destination": np.tile(np.array(cids, dtype=object), n),
                "km": 0.0,
                "hours": 0.0,
                "cost_per_unit": c.ravel(),
            }
        )
        feed = pd.DataFrame(
            {"origin": source, "destination": fids, "km": 0.0, "hours": 0.0, "cost_per_unit": 0.0}
        )
        pol = policy if policy is not None else Policy()
        pol.single_sourcing = single_sourcing
        inputs = ModelInputs(
            commodities=pd.DataFrame({"commodity": [good], "unit": ["unit"], "weight_t": [1.0]}),
            links=pd.DataFrame(
                {"from_type": [SUPPLIER, "facility"], "to_type": ["facility", MARKET]}
            ),
            suppliers=pd.DataFrame(
                {
                    "site_id": [source],
                    "commodity": [good],
                    "supply": [math.inf],
                    "cost_per_unit": [0.0],
                }
            ),
            markets=pd.DataFrame({"site_id": cids, "commodity": good, "demand": d}),
            facilities=facilities,
            lanes=pd.concat([feed, lanes], ignore_index=True),
            policy=pol,
            name=name,
        )
        return cls(inputs)

    # ------------------------------------------------------------------ arcs
    def _type_flows(self, t: CleanTables) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Which node type may emit / accept which commodity (type-level reachability)."""
        commodities = t.commodities["commodity"].tolist()
        links = t.links
        sup = t.suppliers[t.suppliers["supply"] > 0]
        dem = t.markets[t.markets["demand"] > 0]
        bom = t.bom
        outputs: dict[str, set[str]] = {}
        inputs_: dict[str, set[str]] = {}
        for T, o, i in zip(bom["type"], bom["output"], bom["input"], strict=True):
            outputs.setdefault(T, set()).add(o)
            inputs_.setdefault(T, set()).add(i)
        emit_rows: list[tuple[str, str]] = []
        accept_rows: list[tuple[str, str]] = []
        sup_k = set(sup["commodity"])
        dem_k = set(dem["commodity"])
        for k in commodities:
            mask = links["commodity"].isna() | (links["commodity"] == k)
            pairs = list(zip(links.loc[mask, "from_type"], links.loc[mask, "to_type"], strict=True))
            sources = {T for T, outs in outputs.items() if k in outs}
            if k in sup_k:
                sources.add(SUPPLIER)
            sinks = {T for T, ins in inputs_.items() if k in ins}
            if k in dem_k:
                sinks.add(MARKET)

            def passes(T: str) -> bool:
                return T not in t.bom_types and T not in (SUPPLIER, MARKET)

            fwd = set(sources)
            bwd = set(sinks)
            changed = True
            while changed:
                changed = False
                for a, b in pairs:
                    if a in fwd and (a in sources or passes(a)) and b not in fwd:
                        fwd.add(b)
                        changed = True
                    if b in bwd and (b in sinks or passes(b)) and a not in bwd:
                        bwd.add(a)
                        changed = True
            if SUPPLIER in sources and SUPPLIER in bwd:
                emit_rows.append((SUPPLIER, k))
            if MARKET in sinks and MARKET in fwd:
                accept_rows.append((MARKET, k))
            for T in t.facility_types:
                if T in t.bom_types:
                    if k in outputs.get(T, set()) and T in bwd:
                        emit_rows.append((T, k))
                    if k in inputs_.get(T, set()) and T in fwd:
                        accept_rows.append((T, k))
                elif T in fwd and T in bwd:
                    emit_rows.append((T, k))
                    accept_rows.append((T, k))
        emits = pd.DataFrame(emit_rows, columns=["otype", "commodity"])
        accepts = pd.DataFrame(accept_rows, columns=["dtype", "commodity"])
        return emits, accepts

    def _make_arcs(self, t: CleanTables, sites: pd.DataFrame) -> pd.DataFrame:
        emits_t, accepts_t = self._type_flows(t)
        sup = t.suppliers[t.suppliers["supply"] > 0]
        dem = t.markets[t.markets["demand"] > 0]
        site_emit = pd.concat(
            [
                sup[["site_id", "commodity"]].assign(otype=SUPPLIER),
                sites[["site_id", "type"]].rename(columns={"type": "otype"}),
            ],
            ignore_index=True,
        )
        site_emit = _emit_table(site_emit, emits_t)
        site_accept = pd.concat(
            [
                dem[["site_id", "commodity"]].assign(dtype=MARKET),
                sites[["site_id", "type"]].rename(columns={"type": "dtype"}),
            ],
            ignore_index=True,
        )
        site_accept = _accept_table(site_accept, accepts_t)

        lanes = t.lanes[t.lanes["origin"] != t.lanes["destination"]]
        any_k = lanes[lanes["commodity"].isna()].drop(columns="commodity")
        one_k = lanes[lanes["commodity"].notna()]
        emit = site_emit.rename(columns={"site_id": "origin"})
        a_spec = one_k.merge(emit, on=["origin", "commodity"])
        a_any = any_k.merge(emit, on="origin")
        arcs = pd.concat([a_spec, a_any], ignore_index=True)
        arcs = arcs.drop_duplicates(subset=["origin", "destination", "commodity"], keep="first")
        accept = site_accept.rename(columns={"site_id": "destination"})
        arcs = arcs.merge(accept, on=["destination", "commodity"])

        links = t.links
        coms = t.commodities[["commodity"]]
        l_any = links[links["commodity"].isna()][["from_type", "to_type"]].merge(coms, how="cross")
        l_one = links[links["commodity"].notna()][["from_type", "to_type", "commodity"]]
        allowed = pd.concat([l_any, l_one], ignore_index=True).drop_duplicates()
        allowed = allowed.rename(columns={"from_type": "otype", "to_type": "dtype"})
        arcs = arcs.merge(allowed, on=["otype", "dtype", "commodity"])

        pol = t.policy
        into_market = arcs["dtype"] == MARKET
        self.service_dropped = 0
        if pol.max_service_km is not None:
            far = into_market & (arcs["km"] > pol.max_service_km)
            self.service_dropped += int(far.sum())
            arcs = arcs[~far]
            into_market = into_market[~far]
        if pol.max_service_hours is not None:
            far = into_market & (arcs["hours"] > pol.max_service_hours)
            self.service_dropped += int(far.sum())
            arcs = arcs[~far]
        arcs = _prune_arcs(arcs.reset_index(drop=True), t, sites)
        arcs = arcs.sort_values(["origin", "destination", "commodity"], kind="stable")
        return arcs.reset_index(drop=True)

    # ------------------------------------------------------------------ build
    def build(self) -> pulp.LpProblem:
        """Validate the inputs and build the PuLP problem (idempotent).

        Returns
        -------
        pulp.LpProblem

        Raises
        ------
        ModelInputError
            Invalid inputs, naming the table row.
        """
        if self.problem is not None:
            return self.problem
        t0 = time.perf_counter()
        t = validate_inputs(self.inputs)
        self.tables = t
        pol = t.policy
        sites = _site_table(t)
        self.sites = sites
        arcs = self._make_arcs(t, sites)
        arcs = _arc_costs(arcs, t, sites)
        self.arcs = arcs
        self.required = required_amounts(t, arcs)
        self.mandatory = mandatory_throughput(t, self.required)
        self.checks = check_before_solve(
            PreSolveFacts(t, arcs, sites, self.required, self.mandatory)
        )

        prob = pulp.LpProblem(_safe_name(t.name), pulp.LpMinimize)
        n = len(arcs)
        ub = arcs["ub"].to_numpy()
        x = [
            prob.add_variable(
                f"x_{i}", lowBound=0, upBound=None if not math.isfinite(u) else float(u)
            )
            for i, u in enumerate(ub)
        ]
        self.flow_list = x
        self.flow_vars = dict(
            zip(
                zip(
                    arcs["origin"].tolist(),
                    arcs["destination"].tolist(),
                    arcs["commodity"].tolist(),
                    strict=True,
                ),
                x,
                strict=True,
            )
        )

        # open / level binaries
        site_ids = sites["site_id"].tolist()
        y: dict[str, pulp.LpVariable] = {}
        for j, (sid, status) in enumerate(zip(site_ids, sites["status"], strict=True)):
            y[sid] = prob.add_variable(
                f"y_{j}", lowBound=1 if status == "existing" else 0, upBound=1, cat=pulp.LpBinary
            )
            if status == "existing":
                y[sid].lowBound = 1
        self.open_vars = y
        levels = t.levels
        lev_rows = levels[levels["site_id"].isin(list(y))] if len(levels) else levels
        z: dict[tuple[str, str], pulp.LpVariable] = {}
        site_pos = {s: j for j, s in enumerate(site_ids)}
        levels_of: dict[str, list[tuple[pulp.LpVariable, float, float]]] = {}
        for q, (sid, lev, lcap, lfix) in enumerate(
            zip(
                lev_rows["site_id"],
                lev_rows["level"],
                lev_rows["capacity"],
                lev_rows["fixed_cost"],
                strict=True,
            )
        ):  # fmt: skip
            var = prob.add_variable(f"z_{site_pos[sid]}_{q}", cat=pulp.LpBinary)
            z[(sid, lev)] = var
            levels_of.setdefault(sid, []).append((var, float(lcap), float(lfix)))
        self.level_vars = z
        for sid, lv in levels_of.items():
            expr = pulp.LpAffineExpression([(v, 1.0) for v, _, _ in lv] + [(y[sid], -1.0)])
            prob.addConstraint(
                pulp.LpConstraint(expr, pulp.LpConstraintEQ, rhs=0), f"level_{site_pos[sid]}"
            )

        def add(
            expr_items: list[tuple[pulp.LpVariable, float]], sense: int, rhs: float, name: str
        ) -> None:
            prob.addConstraint(
                pulp.LpConstraint(pulp.LpAffineExpression(expr_items), sense, rhs=rhs), name
            )

        dest = np.asarray(arcs["destination"].tolist(), dtype=object)
        orig = np.asarray(arcs["origin"].tolist(), dtype=object)
        com = np.asarray(arcs["commodity"].tolist(), dtype=object)
        otype = np.asarray(arcs["otype"].tolist(), dtype=object)
        dtype = np.asarray(arcs["dtype"].tolist(), dtype=object)
        in_groups = arcs.groupby(["destination", "commodity"], sort=True).indices if n else {}
        out_groups = arcs.groupby(["origin", "commodity"], sort=True).indices if n else {}

        # supply
        sup = t.suppliers
        for r, (sid, k, s) in enumerate(
            zip(sup["site_id"], sup["commodity"], sup["supply"], strict=True)
        ):
            idx = out_groups.get((sid, k))
            if idx is not None and math.isfinite(s):
                add([(x[i], 1.0) for i in idx], pulp.LpConstraintLE, float(s), f"supply_{r}")

        # demand (+ unmet, single sourcing)
        mk = t.markets[t.markets["demand"] > 0]
        allow_unmet = pol.unmet_penalty is not None
        u: dict[tuple[str, str], pulp.LpVariable] = {}
        w: dict[tuple[str, str, str], pulp.LpVariable] = {}
        market_arc = dtype == MARKET
        for r, (sid, k, dval) in enumerate(
            zip(mk["site_id"], mk["commodity"], mk["demand"], strict=True)
        ):
            idx = in_groups.get((sid, k))
            items = [(x[i], 1.0) for i in idx] if idx is not None else []
            if allow_unmet:
                u[(sid, k)] = prob.add_variable(f"u_{r}", lowBound=0, upBound=float(dval))
                items.append((u[(sid, k)], 1.0))
            add(items, pulp.LpConstraintEQ, float(dval), f"demand_{r}")
            if pol.single_sourcing and idx is not None:
                ws = []
                for i in idx:
                    wv = prob.add_variable(f"w_{i}", cat=pulp.LpBinary)
                    w[(orig[i], sid, k)] = wv
                    ws.append((wv, 1.0))
                    add([(x[i], 1.0), (wv, -float(dval))], pulp.LpConstraintLE, 0.0, f"ss_{i}")
                    if otype[i] != SUPPLIER:
                        add([(wv, 1.0), (y[orig[i]], -1.0)], pulp.LpConstraintLE, 0.0, f"ssy_{i}")
                sense = pulp.LpConstraintLE if allow_unmet else pulp.LpConstraintEQ
                add(ws, sense, 1.0, f"one_{r}")
        self.unmet_vars = u
        self.assign_vars = w

        # flow conservation, capacity
        bom = t.bom
        ratio: dict[str, dict[str, list[tuple[str, float]]]] = {}
        for T, o, i_, q, yl in zip(
            bom["type"], bom["output"], bom["input"], bom["quantity"], bom["yield"], strict=True
        ):
            ratio.setdefault(T, {}).setdefault(i_, []).append((o, float(q) / float(yl)))
        in_by_site = arcs.groupby("destination", sort=True).indices if n else {}
        out_by_site = arcs.groupby("origin", sort=True).indices if n else {}
        site_type = dict(zip(sites["site_id"], sites["type"], strict=True))
        site_cap = dict(zip(sites["site_id"], sites["capacity"], strict=True))
        commodities = t.commodities["commodity"].tolist()
        for j, sid in enumerate(site_ids):
            T = site_type[sid]
            if T in t.bom_types:
                for inp, outs in ratio[T].items():
                    items = [(x[i], 1.0) for i in in_groups.get((sid, inp), ())]
                    for o, r_ in outs:
                        items += [(x[i], -r_) for i in out_groups.get((sid, o), ())]
                    if items:
                        add(items, pulp.LpConstraintEQ, 0.0, f"bom_{j}_{commodities.index(inp)}")
                through = out_by_site.get(sid, np.zeros(0, dtype=int))
            else:
                for k in commodities:
                    ins = in_groups.get((sid, k))
                    outs_ = out_groups.get((sid, k))
                    if ins is None and outs_ is None:
                        continue
                    items = [(x[i], 1.0) for i in (ins if ins is not None else ())]
                    items += [(x[i], -1.0) for i in (outs_ if outs_ is not None else ())]
                    add(items, pulp.LpConstraintEQ, 0.0, f"flow_{j}_{commodities.index(k)}")
                through = in_by_site.get(sid, np.zeros(0, dtype=int))
            items = [(x[i], 1.0) for i in through]
            if sid in levels_of:
                items += [(v, -cap) for v, cap, _ in levels_of[sid]]
            else:
                items.append((y[sid], -float(site_cap[sid])))
            add(items, pulp.LpConstraintLE, 0.0, f"cap_{j}")

        # strong linking: x <= ub * y on arcs whose bound is below the site's capacity
        link_o = arcs["link_origin"].to_numpy()
        link_d = arcs["link_dest"].to_numpy()
        for i in np.flatnonzero(link_o):
            if pol.single_sourcing and market_arc[i]:
                continue
            add([(x[i], 1.0), (y[orig[i]], -float(ub[i]))], pulp.LpConstraintLE, 0.0,
                origin_link_name(int(i)))  # fmt: skip
        for i in np.flatnonzero(link_d):
            add([(x[i], 1.0), (y[dest[i]], -float(ub[i]))], pulp.LpConstraintLE, 0.0, f"ld_{i}")

        # aggregate capacity cut per type that all flow of some commodities must cross
        for T, need in sorted(self.mandatory.items()):
            if need <= 0 or allow_unmet:
                continue
            items = []
            for sid in sites.loc[sites["type"] == T, "site_id"]:
                if sid in levels_of:
                    items += [(v, cap) for v, cap, _ in levels_of[sid]]
                else:
                    items.append((y[sid], float(site_cap[sid])))
            add(items, pulp.LpConstraintGE, float(need), f"agg_{t.facility_types.index(T)}")

        # open counts per type
        for T in t.facility_types:
            members = [(y[s], 1.0) for s in sites.loc[sites["type"] == T, "site_id"]]
            lo = pol.min_open.get(T)
            hi = pol.max_open.get(T)
            ti = t.facility_types.index(T)
            if lo:
                add(members, pulp.LpConstraintGE, float(lo), f"min_open_{ti}")
            if hi is not None:
                add(members, pulp.LpConstraintLE, float(hi), f"max_open_{ti}")

        # fixed cost (after subsidies) and budget
        fixed_items: list[tuple[pulp.LpVariable, float]] = []
        budget_items: list[tuple[pulp.LpVariable, float]] = []
        keep = self._keep
        fixed_eff = self._fixed_eff
        for sid, status in zip(site_ids, sites["status"], strict=True):
            if sid in levels_of:
                terms = [(v, fc * keep[sid]) for v, _, fc in levels_of[sid]]
            else:
                terms = [(y[sid], float(fixed_eff[sid]))]
            fixed_items += terms
            if status == "candidate":
                budget_items += terms
        if pol.budget is not None:
            add(budget_items, pulp.LpConstraintLE, float(pol.budget), "budget")

        # local content at plant types
        if pol.local_content_share is not None and pol.local_content_share > 0:
            share = float(pol.local_content_share)
            wcol = "value" if pol.local_content_basis == "value" else "weight_t"
            wmap = dict(zip(t.commodities["commodity"], t.commodities[wcol], strict=True))
            weight = np.array([wmap[k] for k in com], dtype=float)
            local = arcs["local"].to_numpy()
            for j, sid in enumerate(site_ids):
                if site_type[sid] not in pol.local_content_types:
                    continue
                idx = in_by_site.get(sid)
                if idx is None:
                    continue
                items = [(x[i], weight[i] * ((1.0 if local[i] else 0.0) - share)) for i in idx]
                items = [(v, c) for v, c in items if c != 0]
                if items:
                    add(items, pulp.LpConstraintGE, 0.0, f"local_{j}")

        co2 = arcs["co2_unit"].to_numpy()
        if pol.co2_cap is not None:
            add(
                [(x[i], float(co2[i])) for i in np.flatnonzero(co2)],
                pulp.LpConstraintLE,
                float(pol.co2_cap),
                "co2_cap",
            )

        # objective
        coef = (
            arcs["transport_unit"].to_numpy()
            + arcs["handling_unit"].to_numpy()
            + arcs["purchase_unit"].to_numpy()
            + float(pol.co2_price) * co2
        )
        obj_items = [(x[i], float(coef[i])) for i in np.flatnonzero(coef)]
        obj_items += fixed_items
        if allow_unmet:
            pen = float(pol.unmet_penalty or 0.0)
            obj_items += [(v, pen) for v in u.values()]
        prob.setObjective(pulp.LpAffineExpression(obj_items))
        self.problem = prob
        self.seconds["build"] = time.perf_counter() - t0
        log.info(
            "built %s: %d arcs, %d sites, %d constraints in %.2f s",
            t.name, n, len(sites), prob.numConstraints(), self.seconds["build"],
        )  # fmt: skip
        return prob

    # ------------------------------------------------------------------ solve
    def solve(
        self,
        solver: pulp.LpSolver | None = None,
        *,
        initial_open: Iterable[str] | None = None,
        reductions: Sequence[Reduction] = (),
    ) -> Solution:
        """Build (if needed), reduce, solve and extract the solution.

        An infeasible solution carries the pre-solve errors as its causes; the
        explanation by relaxed re-solves is
        :func:`clusterloc.model.pipeline.solve_model`'s (this method never builds
        another model).

        Parameters
        ----------
        solver
            A solver from :func:`~clusterloc.model.solvers.make_solver` (default:
            HiGHS with default settings).
        initial_open
            Site ids to open in a MIP start (warm start); all other sites start
            closed.
        reductions
            Callables ``step(model)`` run on the built model before solving (e.g.
            reduced-cost fixing); they may change bounds in ``model.problem``.

        Returns
        -------
        Solution
            Check ``solution.status`` or call ``solution.raise_for_status()``.
        """
        self.build()
        assert self.problem is not None
        solver = solver if solver is not None else make_solver()
        t0 = time.perf_counter()
        errors = [c for c in self.checks if c.get("severity") == "error"]
        if errors:  # certainly infeasible: the solver is not started
            result = SolveResult("infeasible", solver={"name": "presolve-check", "version": ""},
                                 message="inputs are infeasible before solving")  # fmt: skip
            self.seconds["solve"] = self.seconds["reduce"] = 0.0
        else:
            for step in reductions:
                step(self)
            self.seconds["reduce"] = time.perf_counter() - t0
            t1 = time.perf_counter()
            start: dict[pulp.LpVariable, float] = {}
            limit = getattr(solver, "timeLimit", None)
            if initial_open is not None:
                start = self.complete_start(self.start_values(initial_open), limit)
                set_start(solver, start)
                if limit is not None:  # the start's time counts against the limit
                    solver.timeLimit = max(0.1, float(limit) - (time.perf_counter() - t1))
            try:
                result = run_solver(self.problem, solver)
            finally:
                if initial_open is not None:
                    solver.timeLimit = limit
            if result.status == "no_solution" and len(start) > len(self.open_vars):
                result = self._start_as_result(start, result)
            self.seconds["solve"] = time.perf_counter() - t1  # warm start + solver
        sol = self.extract(result)
        if sol.status == "infeasible" and errors:
            sol.causes = list(errors)
            sol.diagnosis = [c["message"] for c in errors] + sol.diagnosis
        return sol

    def start_values(self, initial_open: Iterable[str]) -> dict[pulp.LpVariable, float]:
        """MIP-start values: open binaries 1 for ``initial_open`` (largest level), else 0."""
        chosen = set(initial_open)
        unknown = chosen - set(self.open_vars)
        if unknown:
            raise ModelInputError(
                f"initial_open names site(s) not in the model: {', '.join(sorted(unknown))}."
            )
        values: dict[pulp.LpVariable, float] = {}
        for sid, var in self.open_vars.items():
            values[var] = 1.0 if sid in chosen or var.lowBound == 1 else 0.0
        best: dict[str, tuple[float, pulp.LpVariable]] = {}
        t = self.tables
        assert t is not None
        cap = (
            dict(
                zip(
                    zip(t.levels["site_id"], t.levels["level"], strict=True),
                    t.levels["capacity"],
                    strict=True,
                )
            )
            if len(t.levels)
            else {}
        )
        for (sid, lev), var in self.level_vars.items():
            values[var] = 0.0
            if values[self.open_vars[sid]] == 1.0:
                c = float(cap[(sid, lev)])
                if sid not in best or c > best[sid][0]:
                    best[sid] = (c, var)
        for _, var in best.values():
            values[var] = 1.0
        return values

    def _start_as_result(
        self, start: dict[pulp.LpVariable, float], result: SolveResult
    ) -> SolveResult:
        """The solver stopped before using the (complete, feasible) start: report it."""
        assert self.problem is not None
        for var, value in start.items():
            var.varValue = value
        objective = float(pulp.value(self.problem.objective) or 0.0)
        log.info("solver stopped without a solution of its own; the warm start is reported")
        return SolveResult(
            "feasible",
            objective=objective,
            solver=result.solver,
            message=f"{result.message}; the completed warm start is the best solution known",
        )

    def complete_start(
        self, values: dict[pulp.LpVariable, float], time_limit: float | None = None
    ) -> dict[pulp.LpVariable, float]:
        """Complete a MIP start of open/level binaries with flows.

        The binaries are fixed to ``values`` and the rest of the model solved with
        HiGHS (an LP, or a small MIP under single sourcing); all variable values of
        that solution become the start. If the fixed sites cannot serve the demand,
        the partial start ``values`` is returned unchanged.
        """
        assert self.problem is not None
        saved = {v: (v.lowBound, v.upBound) for v in values}
        for v, val in values.items():
            v.lowBound = v.upBound = val
        try:
            limit = None if time_limit is None else max(1.0, 0.4 * float(time_limit))
            result = run_solver(self.problem, make_solver("highs", time_limit=limit, threads=1))
        finally:
            for v, (lo, up) in saved.items():
                v.lowBound, v.upBound = lo, up
        if result.status not in ("optimal", "feasible"):
            log.info("warm start: the given open sites cannot serve the demand; partial start used")
            return values
        full = {v: float(v.varValue or 0.0) for v in self.problem.variables()}
        log.info("warm start completed: objective %.6g", result.objective or 0.0)
        return full

    # ------------------------------------------------------------------ extract
    def extract(self, result: SolveResult) -> Solution:
        """Turn the solver's values into a :class:`Solution` (costs from the inputs)."""
        t = self.tables
        assert t is not None
        sol = Solution(
            status=result.status,
            objective=result.objective,
            best_bound=result.best_bound,
            gap=result.gap,
            solver=dict(result.solver),
            name=t.name,
            message=result.message,
        )
        sol.seconds = {
            "build": round(self.seconds.get("build", 0.0), 6),
            "solve": round(self.seconds.get("reduce", 0.0) + self.seconds.get("solve", 0.0), 6),
        }
        sol.diagnosis = [c["message"] for c in self.checks if c.get("severity") == "warning"]
        if result.status not in ("optimal", "feasible"):
            return sol
        arcs = self.arcs
        xv = np.array([v.varValue or 0.0 for v in self.flow_list], dtype=float)
        xv[np.abs(xv) < _EPS] = 0.0
        yv = {s: (v.varValue or 0.0) > 0.5 for s, v in self.open_vars.items()}
        zv = {k: (v.varValue or 0.0) > 0.5 for k, v in self.level_vars.items()}
        uv = {k: max(0.0, v.varValue or 0.0) for k, v in self.unmet_vars.items()}
        pol = t.policy

        transport = float(xv @ arcs["transport_unit"].to_numpy()) if len(xv) else 0.0
        handling = float(xv @ arcs["handling_unit"].to_numpy()) if len(xv) else 0.0
        purchase = float(xv @ arcs["purchase_unit"].to_numpy()) if len(xv) else 0.0
        co2_t = float(xv @ arcs["co2_unit"].to_numpy()) if len(xv) else 0.0
        unmet_qty = sum(uv.values())
        unmet_cost = float(pol.unmet_penalty or 0.0) * unmet_qty

        sites = self.sites
        lev = t.levels
        rows = []
        through = self._throughput(xv)
        caps, fixed_eff, keep = self._cap, self._fixed_eff, self._keep
        chosen = {s: lv for (s, lv), on in zv.items() if on}
        lev_data = {
            (s, lv): (float(c), float(f))
            for s, lv, c, f in zip(
                lev["site_id"], lev["level"], lev["capacity"], lev["fixed_cost"], strict=True
            )
        }
        for sid, typ in zip(sites["site_id"], sites["type"], strict=True):
            if not yv.get(sid):
                continue
            level = ""
            cap = float(caps[sid])
            fixed = float(fixed_eff[sid])
            if sid in chosen:
                level = chosen[sid]
                lcap, lfix = lev_data[(sid, level)]
                cap = lcap
                fixed = lfix * float(keep[sid])
            tp = float(through.get(sid, 0.0))
            rows.append(
                {
                    "site_id": sid,
                    "type": typ,
                    "level": level,
                    "capacity": cap,
                    "throughput": tp,
                    "utilization": tp / cap if cap > 0 else 0.0,
                    "fixed_cost": fixed,
                }
            )
        open_sites = pd.DataFrame(
            rows,
            columns=[
                "site_id",
                "type",
                "level",
                "capacity",
                "throughput",
                "utilization",
                "fixed_cost",
            ],
        )
        fixed_total = float(open_sites["fixed_cost"].sum()) if len(open_sites) else 0.0

        used = xv > 0
        f = arcs.loc[used, ["origin", "destination", "commodity", "km", "hours", "weight_t"]].copy()
        q = xv[used]
        f.insert(3, "quantity", q)
        f.insert(4, "tonnes", q * f.pop("weight_t").to_numpy())
        f["transport_cost"] = q * arcs.loc[used, "transport_unit"].to_numpy()
        f["co2_t"] = q * arcs.loc[used, "co2_unit"].to_numpy()
        f["dtype"] = arcs.loc[used, "dtype"].to_numpy()
        flows = f.reset_index(drop=True)

        mk = flows[flows.pop("dtype") == MARKET]
        service = {"avg_km": 0.0, "max_km": 0.0, "avg_hours": 0.0, "max_hours": 0.0}
        if len(mk) and mk["quantity"].sum() > 0:
            qq = mk["quantity"].to_numpy()
            service = {
                "avg_km": float(qq @ mk["km"].to_numpy() / qq.sum()),
                "max_km": float(mk["km"].max()),
                "avg_hours": float(qq @ mk["hours"].to_numpy() / qq.sum()),
                "max_hours": float(mk["hours"].max()),
            }
        mkeys = zip(t.markets["site_id"], t.markets["commodity"], strict=True)
        dem = dict(zip(mkeys, t.markets["demand"], strict=True))
        unmet = pd.DataFrame(
            [
                {"site_id": s, "commodity": k, "demand": float(dem[(s, k)]), "unmet": v}
                for (s, k), v in sorted(uv.items())
                if v > 1e-7
            ],
            columns=["site_id", "commodity", "demand", "unmet"],
        )
        sol.costs = {
            "fixed": fixed_total,
            "transport": transport,
            "handling": handling,
            "purchase": purchase,
            "co2": float(pol.co2_price) * co2_t,
            "unmet": unmet_cost,
        }
        sol.open_sites = open_sites
        sol.flows = flows
        sol.unmet = unmet
        sol.co2_t = co2_t
        sol.service = service
        return sol

    def _throughput(self, xv: np.ndarray) -> dict[str, float]:
        """Throughput per site: output of BOM sites, inflow of pass-through sites."""
        arcs = self.arcs
        t = self.tables
        assert t is not None
        s_in = pd.Series(xv).groupby(arcs["destination"].to_numpy()).sum()
        s_out = pd.Series(xv).groupby(arcs["origin"].to_numpy()).sum()
        out: dict[str, float] = {}
        for sid, typ in zip(self.sites["site_id"], self.sites["type"], strict=True):
            src = s_out if typ in t.bom_types else s_in
            out[sid] = float(src.get(sid, 0.0))
        return out

    @property
    def _cap(self) -> dict[str, float]:
        return dict(zip(self.sites["site_id"], self.sites["capacity"], strict=True))

    @property
    def _fixed_eff(self) -> dict[str, float]:
        s = self.sites
        return dict(zip(s["site_id"], s["fixed_cost"] * (1.0 - s["subsidy"]), strict=True))

    @property
    def _keep(self) -> dict[str, float]:
        return dict(zip(self.sites["site_id"], 1.0 - self.sites["subsidy"], strict=True))


# ---------------------------------------------------------------------- helpers
def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(name)) or "model"


def _site_table(t: CleanTables) -> pd.DataFrame:
    """Facilities in the model (closed excluded), with cap_max and subsidy share."""
    fac = t.facilities[t.facilities["status"] != "closed"].copy()
    fac = fac.sort_values("site_id", kind="stable").reset_index(drop=True)
    cap_max = fac["capacity"].to_numpy(dtype=float).copy()
    if len(t.levels):
        lev_max = t.levels.groupby("site_id")["capacity"].max()
        has = fac["site_id"].isin(lev_max.index).to_numpy()
        cap_max[has] = lev_max.reindex(fac.loc[has, "site_id"]).to_numpy()
    fac["cap_max"] = cap_max
    sub = t.policy.fixed_cost_subsidy
    if sub:
        fac["subsidy"] = [
            max([float(sub.get(tag.strip(), 0.0)) for tag in str(tags).split(";")] + [0.0])
            for tags in fac["tags"]
        ]
    else:
        fac["subsidy"] = 0.0
    fac["subsidy"] = fac["subsidy"].clip(0.0, 1.0)
    return fac


def _emit_table(site_roles: pd.DataFrame, emits_t: pd.DataFrame) -> pd.DataFrame:
    """(site_id, commodity, otype) rows: what each origin site may ship."""
    sup = site_roles[site_roles["otype"] == SUPPLIER]
    sup = sup.merge(emits_t, on=["otype", "commodity"])
    fac = site_roles[site_roles["otype"] != SUPPLIER].drop(columns="commodity")
    fac = fac.merge(emits_t, on="otype")
    return pd.concat([sup, fac], ignore_index=True)[["site_id", "commodity", "otype"]]


def _accept_table(site_roles: pd.DataFrame, accepts_t: pd.DataFrame) -> pd.DataFrame:
    """(site_id, commodity, dtype) rows: what each destination site may receive."""
    mk = site_roles[site_roles["dtype"] == MARKET]
    mk = mk.merge(accepts_t, on=["dtype", "commodity"])
    fac = site_roles[site_roles["dtype"] != MARKET].drop(columns="commodity")
    fac = fac.merge(accepts_t, on="dtype")
    return pd.concat([mk, fac], ignore_index=True)[["site_id", "commodity", "dtype"]]


def _prune_arcs(arcs: pd.DataFrame, t: CleanTables, sites: pd.DataFrame) -> pd.DataFrame:
    """Drop arcs no flow can use: out of a site that cannot get (the inputs of) the
    commodity, or into a site that cannot pass it on; repeat to a fixed point."""
    bom = t.bom
    site_type = dict(zip(sites["site_id"], sites["type"], strict=True))
    recipe: dict[str, dict[str, list[str]]] = {}
    for T, o, i in zip(bom["type"], bom["output"], bom["input"], strict=True):
        recipe.setdefault(T, {}).setdefault(o, []).append(i)
    bom_sites = [s for s, T in site_type.items() if T in t.bom_types]
    while len(arcs):
        okey = _key(arcs["origin"], arcs["commodity"])
        dkey = _key(arcs["destination"], arcs["commodity"])
        has_in = set(dkey)
        has_out = set(okey)
        producible: set[str] = set()
        useful: set[str] = set()
        for s in bom_sites:
            for o, ins in recipe[site_type[s]].items():
                if all(f"{s}{_SEP}{i}" in has_in for i in ins):
                    producible.add(f"{s}{_SEP}{o}")
                    if f"{s}{_SEP}{o}" in has_out:
                        useful.update(f"{s}{_SEP}{i}" for i in ins)
        o_fac = arcs["otype"] != SUPPLIER
        o_bom = arcs["otype"].isin(t.bom_types)
        d_fac = arcs["dtype"] != MARKET
        d_bom = arcs["dtype"].isin(t.bom_types)
        ok = pd.Series(True, index=arcs.index)
        ok &= ~(o_fac & ~o_bom) | okey.isin(has_in)
        ok &= ~o_bom | okey.isin(producible)
        ok &= ~(d_fac & ~d_bom) | dkey.isin(has_out)
        ok &= ~d_bom | dkey.isin(useful)
        if bool(ok.all()):
            break
        arcs = arcs[ok.to_numpy()]
    return arcs


def _arc_costs(arcs: pd.DataFrame, t: CleanTables, sites: pd.DataFrame) -> pd.DataFrame:
    """Per-unit costs, CO2, bounds and linking flags of every arc (vectorised)."""
    arcs = arcs.copy()
    com = t.commodities.set_index("commodity")
    weight = com["weight_t"].reindex(arcs["commodity"]).to_numpy()
    rate_t = com["rate_per_tkm"].reindex(arcs["commodity"]).to_numpy()
    rate_u = com["rate_per_unit_km"].reindex(arcs["commodity"]).to_numpy()
    co2kg = com["co2_kg_per_tkm"].reindex(arcs["commodity"]).to_numpy()
    km = arcs["km"].to_numpy(dtype=float)
    explicit = arcs["cost_per_unit"].to_numpy(dtype=float)
    by_rate = km * (weight * rate_t + rate_u)
    arcs["weight_t"] = weight
    arcs["transport_unit"] = np.where(np.isnan(explicit), by_rate, explicit)
    arcs["co2_unit"] = weight * km * co2kg / 1000.0

    sup = t.suppliers
    skey = _key(sup["site_id"], sup["commodity"])
    okey = _key(arcs["origin"], arcs["commodity"])
    price = pd.Series(sup["cost_per_unit"].to_numpy(), index=skey)
    supply = pd.Series(sup["supply"].to_numpy(), index=skey)
    domestic = pd.Series(sup["domestic"].to_numpy(), index=skey)
    is_sup = (arcs["otype"] == SUPPLIER).to_numpy()
    arcs["purchase_unit"] = np.where(is_sup, price.reindex(okey).fillna(0.0).to_numpy(), 0.0)
    arcs["local"] = np.where(
        is_sup, domestic.reindex(okey).fillna(False).to_numpy(dtype=bool), True
    )

    handling = dict(zip(sites["site_id"], sites["handling_cost"], strict=True))
    cap = dict(zip(sites["site_id"], sites["cap_max"], strict=True))
    o_bom = arcs["otype"].isin(t.bom_types).to_numpy()
    d_pass = ((arcs["dtype"] != MARKET) & ~arcs["dtype"].isin(t.bom_types)).to_numpy()
    h_o = arcs["origin"].map(handling).fillna(0.0).to_numpy()
    h_d = arcs["destination"].map(handling).fillna(0.0).to_numpy()
    arcs["handling_unit"] = np.where(o_bom, h_o, 0.0) + np.where(d_pass, h_d, 0.0)

    # what the origin can ever emit, and what the destination can ever absorb
    cap_o = arcs["origin"].map(cap).to_numpy(dtype=float)
    cap_d = arcs["destination"].map(cap).to_numpy(dtype=float)
    emit = np.where(is_sup, supply.reindex(okey).to_numpy(dtype=float), cap_o)
    dem = t.markets
    demand = pd.Series(dem["demand"].to_numpy(), index=_key(dem["site_id"], dem["commodity"]))
    dkey = _key(arcs["destination"], arcs["commodity"])
    is_mk = (arcs["dtype"] == MARKET).to_numpy()
    rmax = pd.Series(dtype=float)
    if len(t.bom):
        b = t.bom.assign(r=t.bom["quantity"] / t.bom["yield"])
        rmax = b.groupby(["type", "input"])["r"].max()
        rmax.index = [f"{a}{_SEP}{c}" for a, c in rmax.index]
    r_d = rmax.reindex(_key(arcs["dtype"], arcs["commodity"])).to_numpy(dtype=float)
    d_bom = arcs["dtype"].isin(t.bom_types).to_numpy()
    absorb_cap = np.where(is_mk, demand.reindex(dkey).to_numpy(dtype=float), cap_d)
    absorb_cap = np.where(d_bom, cap_d * r_d, absorb_cap)
    # no arc of an acyclic flow carries more of k than all sinks of k can take
    useful = _useful_amounts(t, sites, rmax)
    most = pd.Series(useful).reindex(arcs["commodity"]).to_numpy(dtype=float)
    ub = np.minimum(np.minimum(emit, absorb_cap), most)
    arcs["ub"] = ub
    tight = 1.0 - 1e-9
    arcs["link_origin"] = ~is_sup & (ub < cap_o * tight)
    arcs["link_dest"] = ~is_mk & (ub < absorb_cap * tight)
    return arcs


def _useful_amounts(t: CleanTables, sites: pd.DataFrame, rmax: pd.Series) -> dict[str, float]:
    """Most of each commodity that all its sinks together can take: market demand plus the
    largest input need of every BOM site that uses it."""
    out = {str(k): float(v) for k, v in t.markets.groupby("commodity")["demand"].sum().items()}
    for k in t.commodities["commodity"]:
        out.setdefault(str(k), 0.0)
    if len(t.bom):
        cap_by_type = sites.groupby("type")["cap_max"].sum()
        for key, r in rmax.items():
            T, k = str(key).split(_SEP)
            out[k] += float(cap_by_type.get(T, 0.0)) * float(r)
    return out
