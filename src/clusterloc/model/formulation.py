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

from clusterloc.constants import SolveStatus
from clusterloc.errors import ModelInputError
from clusterloc.model.arcs import arc_bounds, make_arcs, model_sites
from clusterloc.model.checks import PreSolveFacts, check_before_solve
from clusterloc.model.constraints import FAMILIES
from clusterloc.model.costs import arc_costs
from clusterloc.model.frame import ModelFrame
from clusterloc.model.inputs import MARKET, SUPPLIER, ModelInputs, Policy
from clusterloc.model.objective import define_objective
from clusterloc.model.requirements import mandatory_throughput, required_amounts
from clusterloc.model.rows import origin_link_name
from clusterloc.model.solution import Solution
from clusterloc.model.solvers import SolveResult, make_solver, run_solver, set_start
from clusterloc.model.validation import CleanTables, validate_inputs
from clusterloc.model.variables import VARIABLE_FAMILIES

log = logging.getLogger(__name__)

Reduction = Callable[["LocationModel"], Any]

_EPS = 1e-9

__all__ = ["LocationModel", "Reduction", "origin_link_name"]


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(name)) or "model"


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
        """Model of one :class:`~clusterloc.model.inputs.ModelInputs` instance.

        Parameters
        ----------
        inputs
            The model inputs (validated when the model is built).

        Returns
        -------
        LocationModel
            Not built yet.
        """
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
        if cost_basis == "total" and single_sourcing and (d <= 0).any():
            j = int(np.flatnonzero(d <= 0)[0])
            label = customer_ids[j] if customer_ids is not None else f"C{j + 1}"
            raise ModelInputError(
                f"customer '{label}' has demand {d[j]:g}: with cost_basis='total' and single "
                "sourcing it must still be assigned at its total cost, which a per-unit cost "
                "cannot express; leave the customer out or give it a positive demand."
            )
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
        sites = model_sites(t)
        self.sites = sites
        arcs, self.service_dropped = make_arcs(t, sites)
        arcs = arc_bounds(arc_costs(arcs, t, sites), t, sites)
        self.arcs = arcs
        self.required = required_amounts(t, arcs)
        self.mandatory = mandatory_throughput(t, self.required)
        self.checks = check_before_solve(
            PreSolveFacts(t, arcs, sites, self.required, self.mandatory)
        )
        prob = pulp.LpProblem(_safe_name(t.name), pulp.LpMinimize)
        frame = ModelFrame(prob, t, arcs, sites, self.mandatory)
        for define_variables in VARIABLE_FAMILIES:
            define_variables(frame)
        for define_rows in FAMILIES:
            define_rows(frame)
        define_objective(frame)
        self._adopt(frame)
        self.seconds["build"] = time.perf_counter() - t0
        log.info(
            "built %s: %d arcs, %d sites, %d constraints in %.2f s",
            t.name, len(arcs), len(sites), prob.numConstraints(), self.seconds["build"],
        )  # fmt: skip
        return prob

    def _adopt(self, frame: ModelFrame) -> None:
        """Take the problem and the variables of a finished build."""
        arcs = frame.arcs
        self.problem = frame.problem
        self.flow_list = frame.flows
        keys = zip(
            arcs["origin"].tolist(), arcs["destination"].tolist(), arcs["commodity"].tolist(),
            strict=True,
        )  # fmt: skip
        self.flow_vars = dict(zip(keys, frame.flows, strict=True))
        self.open_vars = frame.open
        self.level_vars = frame.levels
        self.unmet_vars = frame.unmet
        self.assign_vars = frame.assign

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
            result = SolveResult(
                SolveStatus.INFEASIBLE,
                solver={"name": "presolve-check", "version": ""},
                message="inputs are infeasible before solving",
            )
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
            if result.status == SolveStatus.NO_SOLUTION and len(start) > len(self.open_vars):
                result = self._start_as_result(start, result)
            self.seconds["solve"] = time.perf_counter() - t1  # warm start + solver
        sol = self.extract(result)
        if sol.status == SolveStatus.INFEASIBLE and errors:
            sol.causes = list(errors)
            sol.diagnosis = [c["message"] for c in errors] + sol.diagnosis
        return sol

    def start_values(self, initial_open: Iterable[str]) -> dict[pulp.LpVariable, float]:
        """MIP-start values: open binaries 1 for ``initial_open`` (largest level), else 0.

        Parameters
        ----------
        initial_open
            Site ids to open in the start (existing sites are open anyway).

        Returns
        -------
        dict
            ``{variable: value}`` for every open and level binary.
        """
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
            SolveStatus.FEASIBLE,
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

        Parameters
        ----------
        values
            Values of open/level binaries (from :meth:`start_values`).
        time_limit
            The user's limit; the completion may use 40 % of it (at least 1 s).

        Returns
        -------
        dict
            ``{variable: value}`` for every variable, or ``values`` when the
            chosen sites cannot serve the demand.
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
        if result.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            log.info("warm start: the given open sites cannot serve the demand; partial start used")
            return values
        full = {v: float(v.varValue or 0.0) for v in self.problem.variables()}
        log.info("warm start completed: objective %.6g", result.objective or 0.0)
        return full

    # ------------------------------------------------------------------ extract
    def extract(self, result: SolveResult) -> Solution:
        """Turn the solver's values into a :class:`Solution` (costs from the inputs).

        Parameters
        ----------
        result
            What the solver proved and found (from :func:`~clusterloc.model.solvers.run_solver`).

        Returns
        -------
        Solution
            Costs, open sites, flows, unmet demand and service of the solution (the
            status alone when there is none).
        """
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
        if result.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            return sol
        xv = np.array([v.varValue or 0.0 for v in self.flow_list], dtype=float)
        xv[np.abs(xv) < _EPS] = 0.0
        uv = {k: max(0.0, v.varValue or 0.0) for k, v in self.unmet_vars.items()}
        arcs, pol = self.arcs, t.policy
        transport = float(xv @ arcs["transport_unit"].to_numpy()) if len(xv) else 0.0
        handling = float(xv @ arcs["handling_unit"].to_numpy()) if len(xv) else 0.0
        purchase = float(xv @ arcs["purchase_unit"].to_numpy()) if len(xv) else 0.0
        co2_t = float(xv @ arcs["co2_unit"].to_numpy()) if len(xv) else 0.0
        unmet_cost = float(pol.unmet_penalty or 0.0) * sum(uv.values())
        open_sites = self._open_site_table(xv)
        fixed_total = float(open_sites["fixed_cost"].sum()) if len(open_sites) else 0.0
        flows, service = self._flow_table(xv)
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
        sol.unmet = self._unmet_table(uv)
        sol.co2_t = co2_t
        sol.service = service
        return sol

    def _open_site_table(self, xv: np.ndarray) -> pd.DataFrame:
        """Open sites with level, capacity, throughput, utilization and fixed cost."""
        t = self.tables
        assert t is not None
        yv = {s: (v.varValue or 0.0) > 0.5 for s, v in self.open_vars.items()}
        zv = {k: (v.varValue or 0.0) > 0.5 for k, v in self.level_vars.items()}
        sites = self.sites
        lev = t.levels
        rows = []
        through = self._throughput(xv)
        caps, fixed_eff, keep = self.site_capacity, self.effective_fixed_cost, self.fixed_cost_share
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
        columns = ["site_id", "type", "level", "capacity", "throughput", "utilization"]
        return pd.DataFrame(rows, columns=[*columns, "fixed_cost"])

    def _flow_table(self, xv: np.ndarray) -> tuple[pd.DataFrame, dict[str, float]]:
        """Arcs with flow (quantity, tonnes, km, hours, cost, CO2) and the service KPIs."""
        arcs = self.arcs
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
        return flows, service

    def _unmet_table(self, uv: dict[tuple[str, str], float]) -> pd.DataFrame:
        """Markets and commodities not fully served."""
        t = self.tables
        assert t is not None
        mkeys = zip(t.markets["site_id"], t.markets["commodity"], strict=True)
        dem = dict(zip(mkeys, t.markets["demand"], strict=True))
        return pd.DataFrame(
            [
                {"site_id": s, "commodity": k, "demand": float(dem[(s, k)]), "unmet": v}
                for (s, k), v in sorted(uv.items())
                if v > 1e-7
            ],
            columns=["site_id", "commodity", "demand", "unmet"],
        )

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
    def site_capacity(self) -> dict[str, float]:
        """Capacity (the ``capacity`` column) of each site in the model."""
        return dict(zip(self.sites["site_id"], self.sites["capacity"], strict=True))

    @property
    def effective_fixed_cost(self) -> dict[str, float]:
        """Fixed cost after subsidy, ``(1 - σ_f) F_f``, of each site in the model."""
        s = self.sites
        return dict(zip(s["site_id"], s["fixed_cost"] * (1.0 - s["subsidy"]), strict=True))

    @property
    def fixed_cost_share(self) -> dict[str, float]:
        """Share of fixed cost left after subsidy, ``1 - σ_f``, of each site."""
        return dict(zip(self.sites["site_id"], 1.0 - self.sites["subsidy"], strict=True))
