"""Time-bounded MIP start for two-echelon capacitated location (supplier → A → B → market).

A two-stage capacitated facility location problem (TSCFLP) opens sites of type A
("plants", fixed cost ``f_i``, capacity ``p_i``) and of type B ("depots", ``g_j``,
``q_j``) and ships one commodity from unlimited suppliers through a plant and a
depot to every market ``k`` (demand ``d_k``), with per-unit costs ``c_ij`` (plant
→ depot, supplier → plant folded in) and ``t_jk`` (depot → market)::

    min  Σ f_i y_i + Σ g_j z_j + Σ c_ij x_ij + Σ t_jk s_jk
    s.t. Σ_j s_jk = d_k,  Σ_i x_ij = Σ_k s_jk,  Σ_k s_jk ≤ q_j z_j,
         Σ_j x_ij ≤ p_i y_i,  s_jk ≤ min(d_k, q_j) z_j,  y, z binary.

The full strong model is large (one linking row per depot–market pair) and HiGHS
may not even finish its root LP within a minute, so it finds poor incumbents or
none. :class:`TwoStageStart` finds a good solution in a fixed time budget, hands it
to the solver as a MIP start and fixes open binaries that provably cannot be in a
cheaper solution:

1. **Decomposition** (:func:`decompose`; numpy + small LPs): the depot level is a
   single-echelon CFLP with per-unit cost ``t_jk + u_j``, where ``u_j`` prices the
   cheapest plant supply of depot ``j`` including a linearised plant fixed cost;
   it is solved with the Lagrangian heuristic and local search of
   :mod:`clusterloc.model.speedups.warmstart`. The plant level is then a CFLP whose
   customers are the open depots with their throughput. The two open sets are
   priced exactly by a transshipment LP.
2. **LP relaxation with separated linking rows** (:func:`relax_with_cuts`): the
   weak model plus only the linking rows the LP solution violates, re-solved from
   the previous basis; the same LP bound as the strong model in seconds.
   (:func:`lagrangian_two_stage` is the fallback when not even the first LP solves
   in time.)
3. **Kernel MIP** (:func:`solve_kernel`): the two-stage MIP restricted to the sites
   the LP uses, the start's open sites and the best-ranked others, solved by HiGHS
   from the decomposition's solution with the remaining time.
4. **Reduced-cost fixing** (:func:`reduced_cost_fixings`): a site whose LP bound
   with its binary flipped exceeds the start's cost is fixed (exact).

The engine's full model is solved afterwards, so the status and bound it reports
are the solver's own; the fixings remove no solution cheaper than the start, so a
bound proven on the reduced model holds for the original.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse

from clusterloc.model.inputs import MARKET, SUPPLIER
from clusterloc.model.solvers import set_start
from clusterloc.model.speedups.reduction import fix_open_sites, plain_model_obstacle
from clusterloc.model.speedups.warmstart import (
    CflpData,
    improve_open_set,
    lagrangian_bound,
    select_open,
)

if TYPE_CHECKING:
    import pulp

    from clusterloc.model.formulation import LocationModel

log = logging.getLogger(__name__)

__all__ = [
    "Decomposition",
    "LpRelaxation",
    "TwoStageBound",
    "TwoStageData",
    "TwoStageSolution",
    "TwoStageStart",
    "TwoStageStartReport",
    "decompose",
    "lagrangian_fixings",
    "lagrangian_two_stage",
    "price_open_sets",
    "recognise_two_stage",
    "reduced_cost_fixings",
    "relax_with_cuts",
    "solve_kernel",
]


@dataclass
class TwoStageData:
    """Arrays of one two-stage CFLP (per-unit costs, ``inf`` = no lane).

    Attributes
    ----------
    plant_fixed, plant_capacity
        ``(I,)`` for sites of the first type.
    depot_fixed, depot_capacity
        ``(J,)`` for sites of the second type.
    demands
        ``(K,)`` market demands, all > 0.
    plant_depot
        ``(I, J)`` per-unit cost plant → depot, including the cheapest supplier →
        plant cost of the plant.
    depot_market
        ``(J, K)`` per-unit cost depot → market.
    plant_must, depot_must
        Sites that must stay open (existing).
    """

    plant_fixed: np.ndarray
    plant_capacity: np.ndarray
    depot_fixed: np.ndarray
    depot_capacity: np.ndarray
    demands: np.ndarray
    plant_depot: np.ndarray
    depot_market: np.ndarray
    plant_must: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    depot_must: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if self.plant_must.shape != self.plant_fixed.shape:
            self.plant_must = np.zeros(self.plant_fixed.shape, dtype=bool)
        if self.depot_must.shape != self.depot_fixed.shape:
            self.depot_must = np.zeros(self.depot_fixed.shape, dtype=bool)

    @property
    def total_demand(self) -> float:
        """``Σ d_k``."""
        return float(self.demands.sum())


@dataclass
class TwoStageSolution:
    """A feasible two-stage solution.

    Attributes
    ----------
    plants, depots
        ``(I,)`` / ``(J,)`` bool open masks.
    plant_depot, depot_market
        Flows ``x`` ``(I, J)`` and ``s`` ``(J, K)`` (units).
    objective
        Fixed plus transport cost.
    plant_scarcity
        ``(I,)`` marginal value of one more unit of capacity at each open plant in
        the transshipment LP (0 for closed plants; ``None`` when not priced by LP).
    """

    plants: np.ndarray
    depots: np.ndarray
    plant_depot: np.ndarray
    depot_market: np.ndarray
    objective: float
    plant_scarcity: np.ndarray | None = None


@dataclass
class _Mapping:
    """How a recognised model's variables map onto :class:`TwoStageData` indices."""

    plant_ids: list[str]
    depot_ids: list[str]
    market_ids: list[str]
    supply_vars: dict[int, pulp.LpVariable]
    plant_depot_vars: dict[tuple[int, int], pulp.LpVariable]
    depot_market_vars: dict[tuple[int, int], pulp.LpVariable]


def recognise_two_stage(
    model: LocationModel,
) -> tuple[tuple[TwoStageData, _Mapping] | None, str]:
    """Read a built model as a two-stage CFLP (supplier → A → B → market) if it is one.

    Recognised: one commodity, unlimited suppliers, exactly two facility types
    without bill of materials, flows only supplier → A, A → B and B → market, no
    capacity levels, single sourcing, unmet demand or policy constraints beyond
    capacity.

    Parameters
    ----------
    model
        A built model.

    Returns
    -------
    (data_and_mapping, reason)
        ``None`` and the reason when the model has another structure.
    """
    reason = plain_model_obstacle(model)
    if reason:
        return None, reason
    t, prob, arcs = model.tables, model.problem, model.arcs
    assert t is not None and prob is not None
    if len(t.bom):
        return None, "a bill of materials converts commodities"
    types = set(model.sites["type"])
    if len(types) != 2:
        return None, "not exactly two facility types"
    kinds = set(zip(arcs["otype"], arcs["dtype"], strict=True))
    firsts = {b for a, b in kinds if a == SUPPLIER}
    if len(firsts) != 1:
        return None, "suppliers do not feed exactly one facility type"
    first = next(iter(firsts))
    second = next(iter(types - {first}))
    if kinds != {(SUPPLIER, first), (first, second), (second, MARKET)}:
        return None, "flows other than supplier → A → B → market"
    supply = t.suppliers["supply"].to_numpy(dtype=float)
    if len(supply) and not np.isinf(supply).all():
        return None, "limited supply"

    markets = t.markets[t.markets["demand"] > 0].groupby("site_id", sort=False)["demand"].sum()
    market_ids = markets.index.tolist()
    demands = markets.to_numpy(dtype=float)
    if len(market_ids) == 0:
        return None, "no demand"
    total = float(demands.sum())
    sites = model.sites
    plant_ids = sites.loc[sites["type"] == first, "site_id"].tolist()
    depot_ids = sites.loc[sites["type"] == second, "site_id"].tolist()
    ppos = {s: i for i, s in enumerate(plant_ids)}
    dpos = {s: j for j, s in enumerate(depot_ids)}
    mpos = {s: k for k, s in enumerate(market_ids)}
    cap_map = model.site_capacity
    fixed_map = model.effective_fixed_cost

    def arrays(ids: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        cap = np.array([min(float(cap_map[s]), total) for s in ids])
        fix = np.array([float(fixed_map[s]) for s in ids])
        must = np.array([(model.open_vars[s].lowBound or 0) >= 1 for s in ids], dtype=bool)
        shut = np.array([model.open_vars[s].upBound == 0 for s in ids], dtype=bool)
        return cap, fix, must, shut

    pcap, pfix, pmust, pshut = arrays(plant_ids)
    dcap, dfix, dmust, dshut = arrays(depot_ids)
    obj = prob.objective
    n_p, n_d, n_m = len(plant_ids), len(depot_ids), len(market_ids)
    inbound = np.full(n_p, math.inf)
    supply_vars: dict[int, pulp.LpVariable] = {}
    pd_cost = np.full((n_p, n_d), math.inf)
    dm_cost = np.full((n_d, n_m), math.inf)
    pd_vars: dict[tuple[int, int], pulp.LpVariable] = {}
    dm_vars: dict[tuple[int, int], pulp.LpVariable] = {}
    for (orig, dest, _k), var in model.flow_vars.items():
        if var.upBound == 0:
            continue
        coef = float(obj.get(var, 0.0))
        if dest in ppos:
            i = ppos[dest]
            if coef < inbound[i]:
                inbound[i] = coef
                supply_vars[i] = var
        elif orig in ppos and dest in dpos:
            pd_cost[ppos[orig], dpos[dest]] = coef
            pd_vars[(ppos[orig], dpos[dest])] = var
        elif orig in dpos and dest in mpos:
            dm_cost[dpos[orig], mpos[dest]] = coef
            dm_vars[(dpos[orig], mpos[dest])] = var
        elif orig in dpos and dest not in ppos and dest not in dpos:
            continue  # a market without demand: its arcs stay at 0 in the start
        else:
            return None, f"unexpected flow {orig} → {dest}"
    pd_cost = pd_cost + inbound[:, None]
    # closed sites (upper bound 0) carry no flow
    pd_cost[pshut, :] = math.inf
    pd_cost[:, dshut] = math.inf
    dm_cost[dshut, :] = math.inf
    data = TwoStageData(pfix, pcap, dfix, dcap, demands, pd_cost, dm_cost, pmust, dmust)
    mapping = _Mapping(plant_ids, depot_ids, market_ids, supply_vars, pd_vars, dm_vars)
    return (data, mapping), ""


# --------------------------------------------------------------------------- pricing
def _highs() -> Any:
    import highspy

    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h


def _pass_model(
    h: Any,
    cost: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    matrix: scipy.sparse.csr_matrix,
    row_lo: np.ndarray,
    row_up: np.ndarray,
    integer: np.ndarray | None = None,
) -> None:
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = int(cost.shape[0])
    lp.num_row_ = int(matrix.shape[0])
    lp.col_cost_ = cost.astype(float)
    lp.col_lower_ = lower.astype(float)
    lp.col_upper_ = upper.astype(float)
    lp.row_lower_ = row_lo.astype(float)
    lp.row_upper_ = row_up.astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    if integer is not None and integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]
    h.passModel(lp)


class _Rows:
    """Collects sparse rows (COO) and their bounds."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.up: list[np.ndarray] = []
        self.count = 0

    def add(
        self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, lo: np.ndarray, up: np.ndarray
    ) -> None:
        self.r.append(rows + self.count)
        self.c.append(cols)
        self.v.append(vals)
        self.lo.append(lo)
        self.up.append(up)
        self.count += int(lo.shape[0])

    def matrix(self, ncol: int) -> tuple[scipy.sparse.csr_matrix, np.ndarray, np.ndarray]:
        a = scipy.sparse.csr_matrix(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))),
            shape=(self.count, ncol),
        )
        a.sort_indices()
        return a, np.concatenate(self.lo), np.concatenate(self.up)


def _base_model(
    data: TwoStageData,
    plants: np.ndarray,
    depots: np.ndarray,
    pcap: np.ndarray,
    dcap: np.ndarray,
    *,
    binaries: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, _Rows, dict[str, Any]]:
    """Columns and the rows every variant of the two-stage model shares.

    Columns ``x`` (plant → depot) | ``s`` (depot → market) and, with ``binaries``,
    ``y`` (plants) | ``z`` (depots) in ``[0, 1]`` (must-open sites at 1). Rows: demand
    ``Σ_j s_jk = d_k``, balance ``Σ_i x_ij = Σ_k s_jk`` and capacities — as plain row
    bounds without binaries (the sites are open), as ``Σ_k s_jk ≤ q_j z_j`` /
    ``Σ_j x_ij ≤ p_i y_i`` plus the aggregate cuts ``Σ p_i y_i ≥ D``, ``Σ q_j z_j ≥ D``
    with them. No strong-linking rows.

    Returns
    -------
    (cost, lower, upper, rows, layout)
        ``layout`` holds the arc index arrays ``pi, pj, dj, dk`` and the column offsets
        ``ox, os, oy, oz``.
    """
    inf = math.inf
    n_p, n_d = plants.shape[0], depots.shape[0]
    pd_c = data.plant_depot[np.ix_(plants, depots)]
    dm_c = data.depot_market[depots]
    pi, pj = np.nonzero(np.isfinite(pd_c))
    dj, dk = np.nonzero(np.isfinite(dm_c))
    nx, ns = pi.shape[0], dj.shape[0]
    ny = n_p if binaries else 0
    nz = n_d if binaries else 0
    ox, os_, oy, oz = 0, nx, nx + ns, nx + ns + ny
    ncol = oz + nz
    cost = np.concatenate(
        [pd_c[pi, pj], dm_c[dj, dk], data.plant_fixed[plants][:ny], data.depot_fixed[depots][:nz]]
    )
    lower = np.zeros(ncol)
    upper = np.full(ncol, inf)
    dem = data.demands
    rows = _Rows()
    rows.add(dk, os_ + np.arange(ns), np.ones(ns), dem, dem)
    rows.add(
        np.concatenate([pj, dj]),
        np.concatenate([ox + np.arange(nx), os_ + np.arange(ns)]),
        np.concatenate([np.ones(nx), -np.ones(ns)]),
        np.zeros(n_d),
        np.zeros(n_d),
    )
    if not binaries:
        rows.add(dj, os_ + np.arange(ns), np.ones(ns), np.full(n_d, -inf), dcap)
        rows.add(pi, ox + np.arange(nx), np.ones(nx), np.full(n_p, -inf), pcap)
    else:
        upper[oy:] = 1.0
        lower[oy:][np.concatenate([data.plant_must[plants], data.depot_must[depots]])] = 1.0
        for arc_site, arc_cols, site_col, cap in (
            (dj, os_ + np.arange(ns), oz, dcap),
            (pi, ox + np.arange(nx), oy, pcap),
        ):
            n = cap.shape[0]
            rows.add(
                np.concatenate([arc_site, np.arange(n)]),
                np.concatenate([arc_cols, site_col + np.arange(n)]),
                np.concatenate([np.ones(arc_cols.shape[0]), -cap]),
                np.full(n, -inf),
                np.zeros(n),
            )
            rows.add(np.zeros(n, dtype=int), site_col + np.arange(n), cap,
                     np.array([data.total_demand]), np.array([inf]))  # fmt: skip
    layout = {"pi": pi, "pj": pj, "dj": dj, "dk": dk, "ox": ox, "os": os_, "oy": oy, "oz": oz}
    return cost, lower, upper, rows, layout


def _link_rows(rows: _Rows, var_cols: np.ndarray, bin_cols: np.ndarray, coef: np.ndarray) -> None:
    """Strong-linking rows ``var ≤ coef · bin``, one per entry."""
    rr = np.arange(var_cols.shape[0])
    rows.add(
        np.concatenate([rr, rr]),
        np.concatenate([var_cols, bin_cols]),
        np.concatenate([np.ones(rr.shape[0]), -coef]),
        np.full(rr.shape[0], -math.inf),
        np.zeros(rr.shape[0]),
    )


def _two_stage_problem(
    data: TwoStageData,
    plants: np.ndarray,
    depots: np.ndarray,
    *,
    mip: bool,
) -> tuple[Any, dict[str, Any]]:
    """The two-stage model on the sites in ``plants`` / ``depots`` (index arrays).

    As an LP (``mip=False``) the sites are open (fixed costs added as a constant);
    as a MIP they get open binaries, capacity and strong linking rows and the
    aggregate capacity cuts.
    """
    pcap = data.plant_capacity[plants]
    dcap = data.depot_capacity[depots]
    cost, lower, upper, rows, lay = _base_model(data, plants, depots, pcap, dcap, binaries=mip)
    if mip:
        pi, pj, dj, dk = lay["pi"], lay["pj"], lay["dj"], lay["dk"]
        ox, os_, oy, oz = lay["ox"], lay["os"], lay["oy"], lay["oz"]
        # s_jk ≤ min(d_k, q_j) z_j;  x_ij ≤ min(p_i, q_j) z_j and ≤ min(p_i, q_j) y_i
        _link_rows(
            rows, os_ + np.arange(dj.shape[0]), oz + dj, np.minimum(data.demands[dk], dcap[dj])
        )
        ub_x = np.minimum(pcap[pi], dcap[pj])
        for other in (oz + pj, oy + pi):
            _link_rows(rows, ox + np.arange(pi.shape[0]), other, ub_x)
    ncol = cost.shape[0]
    a, lo, up = rows.matrix(ncol)
    h = _highs()
    integer = np.zeros(ncol, dtype=bool)
    integer[lay["oy"] :] = True
    _pass_model(h, cost, lower, upper, a, lo, up, integer if mip else None)
    return h, lay


def _read_flows(
    data: TwoStageData,
    plants: np.ndarray,
    depots: np.ndarray,
    layout: dict[str, Any],
    values: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    n_d = data.plant_depot.shape[1]
    x = np.zeros(data.plant_depot.shape)
    s = np.zeros((n_d, data.demands.shape[0]))
    nx = layout["pi"].shape[0]
    ns = layout["dj"].shape[0]
    x[plants[layout["pi"]], depots[layout["pj"]]] = values[layout["ox"] : layout["ox"] + nx]
    s[depots[layout["dj"]], layout["dk"]] = values[layout["os"] : layout["os"] + ns]
    return np.maximum(x, 0.0), np.maximum(s, 0.0)


def price_open_sets(
    data: TwoStageData, plants: np.ndarray, depots: np.ndarray
) -> TwoStageSolution | None:
    """Cheapest flows through the given open sites (transshipment LP, HiGHS).

    Parameters
    ----------
    data
        The instance.
    plants, depots
        Bool open masks.

    Returns
    -------
    TwoStageSolution or None
        ``None`` when the open sites cannot serve all demand.
    """
    total = data.total_demand
    if data.plant_capacity[plants].sum() < total * (1 - 1e-9) or data.depot_capacity[
        depots
    ].sum() < total * (1 - 1e-9):
        return None
    p_idx = np.flatnonzero(plants)
    d_idx = np.flatnonzero(depots)
    h, layout = _two_stage_problem(data, p_idx, d_idx, mip=False)
    h.run()
    if h.getModelStatus() != h.getModelStatus().__class__.kOptimal:
        return None
    solution = h.getSolution()
    values = np.asarray(solution.col_value)
    x, s = _read_flows(data, p_idx, d_idx, layout, values)
    scarcity = np.zeros(data.plant_fixed.shape[0])
    if solution.dual_valid:
        # rows: demand (K) | balance (J') | depot capacity (J') | plant capacity (I')
        first = data.demands.shape[0] + 2 * d_idx.shape[0]
        duals = np.asarray(solution.row_dual)[first : first + p_idx.shape[0]]
        scarcity[p_idx] = np.maximum(0.0, -duals)
    objective = float(h.getInfo().objective_function_value)
    objective += float(data.plant_fixed[p_idx].sum() + data.depot_fixed[d_idx].sum())
    # report only sites that carry flow (an unused open site is simply closed)
    used_p = x.sum(axis=1) > 1e-9
    used_d = s.sum(axis=1) > 1e-9
    saved = float(data.plant_fixed[plants & ~used_p & ~data.plant_must].sum())
    saved += float(data.depot_fixed[depots & ~used_d & ~data.depot_must].sum())
    return TwoStageSolution(
        plants & (used_p | data.plant_must),
        depots & (used_d | data.depot_must),
        x,
        s,
        objective - saved,
        scarcity,
    )


# --------------------------------------------------------------------------- heuristics
@dataclass
class _Level:
    """Outcome of one single-echelon level of the decomposition."""

    open: np.ndarray
    values: np.ndarray
    throughput: np.ndarray
    bound: float


def _solve_level(
    fixed: np.ndarray,
    capacity: np.ndarray,
    demands: np.ndarray,
    unit_costs: np.ndarray,
    must: np.ndarray,
    deadline: float,
) -> _Level | None:
    """Single-echelon CFLP by Lagrangian heuristic + local search (warmstart module)."""
    total = float(demands.sum())
    costs = unit_costs * demands[None, :]
    data = CflpData(fixed, np.minimum(capacity, total), demands, costs, must)
    budget = max(0.2, deadline - time.perf_counter())
    result = lagrangian_bound(data, max_iterations=200, time_limit=0.5 * budget, heuristic_every=20)
    if result.incumbent is None:
        return None
    order = np.argsort(result.facility_values, kind="stable")
    candidates = order[: min(order.shape[0], 15)]
    best = improve_open_set(data, result.incumbent, candidates, deadline)
    throughput = (best.fractions * demands[None, :]).sum(axis=1)
    used = (best.open & (throughput > 1e-9)) | must
    return _Level(used, result.facility_values, throughput, result.bound)


@dataclass
class Decomposition:
    """Outcome of :func:`decompose`.

    Attributes
    ----------
    solution
        The priced solution (``None`` if none was found).
    plant_rank, depot_rank
        Score of every plant / depot, lower = more promising (Lagrangian values).
    lower_bound
        A valid lower bound on the two-stage optimum (``-inf`` if none): the
        Lagrangian bound of the depot level, whose upstream price
        ``u_j = min_i (c_ij + f_i / p_i)`` never exceeds what a unit reaching depot
        ``j`` costs upstream (``f_i y_i ≥ f_i Σ_j x_ij / p_i``).
    """

    solution: TwoStageSolution | None
    plant_rank: np.ndarray
    depot_rank: np.ndarray
    lower_bound: float


def decompose(data: TwoStageData, deadline: float, rounds: int = 4) -> Decomposition:
    """Alternate a depot-level and a plant-level CFLP; price each pair of open sets.

    Round 1 prices a unit reaching depot ``j`` at ``u_j = min_i (c_ij + f_i / p_i)``
    (every plant available, fixed cost spread over its capacity); the depot-level
    CFLP with per-unit cost ``t_jk + u_j`` gives the open depots and their
    throughput, the plant-level CFLP (customers = open depots) the open plants,
    and a transshipment LP prices the pair exactly. Later rounds price a unit
    reaching depot ``j`` from the plants open in the best solution so far
    (``min_i (c_ij + α_i)``, ``α_i`` the LP value of plant ``i``'s capacity), so
    depots near the chosen plants become cheaper. Stops when a round repeats open
    sets or at ``deadline``.

    Parameters
    ----------
    data
        The instance.
    deadline
        ``time.perf_counter()`` value to stop at.
    rounds
        Most rounds.

    Returns
    -------
    Decomposition
    """
    n_d = data.plant_depot.shape[1]
    start = time.perf_counter()
    finite_pd = np.where(np.isfinite(data.plant_depot), data.plant_depot, np.nan)
    per_unit_fixed = data.plant_fixed / np.maximum(data.plant_capacity, 1e-9)
    with np.errstate(all="ignore"):
        upstream = np.nanmin(finite_pd + per_unit_fixed[:, None], axis=0)
    best: TwoStageSolution | None = None
    plant_rank = per_unit_fixed.astype(float).copy()
    depot_rank = np.arange(n_d, dtype=float)
    lower_bound = -math.inf
    seen: set[bytes] = set()
    for r in range(rounds):
        now = time.perf_counter()
        if now >= deadline:
            break
        round_end = now + (deadline - now) / (rounds - r)
        ups = np.where(np.isfinite(upstream), upstream, math.inf)
        dm = data.depot_market + ups[:, None]
        dm = np.where(np.isfinite(dm), dm, math.inf)
        depot_level = _solve_level(
            data.depot_fixed, data.depot_capacity, data.demands, dm, data.depot_must,
            now + 0.6 * (round_end - now),
        )  # fmt: skip
        if depot_level is None:
            break
        if r == 0:
            # only the first round's upstream price is a valid underestimate
            lower_bound = depot_level.bound
        served = np.flatnonzero(depot_level.throughput > 1e-9)
        plant_costs = data.plant_depot[:, served]
        plant_level = _solve_level(
            data.plant_fixed, data.plant_capacity, depot_level.throughput[served],
            np.where(np.isfinite(plant_costs), plant_costs, math.inf), data.plant_must,
            round_end,
        )  # fmt: skip
        if plant_level is None:
            break
        key = plant_level.open.tobytes() + depot_level.open.tobytes()
        if key in seen:
            break
        seen.add(key)
        solution = price_open_sets(data, plant_level.open, depot_level.open)
        if solution is None:
            break
        log.debug("decomposition round %d: %.6g", r + 1, solution.objective)
        if best is None or solution.objective < best.objective - 1e-9 * abs(solution.objective):
            best = solution
            plant_rank = plant_level.values.copy()
            depot_rank = depot_level.values.copy()
        # price depots from the best solution's plants (capacity scarcity included)
        alpha = best.plant_scarcity if best.plant_scarcity is not None else 0.0
        from_open = np.where(best.plants[:, None], finite_pd + np.asarray(alpha)[:, None], np.nan)
        with np.errstate(all="ignore"):
            upstream = np.nanmin(from_open, axis=0)
    log.info(
        "decomposition: %s after %d round(s), bound %.6g (%.1f s)",
        None if best is None else round(best.objective, 3),
        len(seen),
        lower_bound,
        time.perf_counter() - start,
    )
    return Decomposition(best, plant_rank, depot_rank, lower_bound)


@dataclass
class TwoStageBound:
    """Outcome of :func:`lagrangian_two_stage`.

    Attributes
    ----------
    bound
        Best Lagrangian lower bound (valid for the two-stage problem).
    market_prices, depot_prices
        Multipliers of the demand rows ``λ_k`` and depot balance rows ``μ_j`` at
        the best bound.
    plant_values, depot_values
        Lagrangian cost of opening each plant / depot at those multipliers
        (fixed cost plus its best knapsack); lower = more attractive.
    plant_select, depot_select
        Value of the covering subproblems ``min Σ v y`` s.t. ``Σ cap y ≥ D`` at the
        best multipliers (the bound is ``Σ λ_k d_k`` plus both).
    iterations, seconds
        Work done.
    """

    bound: float
    market_prices: np.ndarray
    depot_prices: np.ndarray
    plant_values: np.ndarray
    depot_values: np.ndarray
    plant_select: float
    depot_select: float
    iterations: int
    seconds: float


def _knapsacks(
    fixed: np.ndarray, capacity: np.ndarray, sizes: np.ndarray, unit: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Continuous knapsack per row: ``v_i = f_i + min Σ_j r_ij a_ij`` over
    ``0 ≤ a_ij ≤ sizes_j``, ``Σ_j a_ij ≤ capacity_i``; returns ``(v, a)``."""
    order = np.argsort(unit, axis=1, kind="stable")
    rows = np.arange(unit.shape[0])[:, None]
    r_sorted = unit[rows, order]
    size_sorted = sizes[order]
    before = np.cumsum(size_sorted, axis=1) - size_sorted
    take = np.clip(capacity[:, None] - before, 0.0, size_sorted)
    take[r_sorted >= 0] = 0.0
    values = fixed + (take * r_sorted).sum(axis=1)
    amounts = np.zeros_like(unit)
    amounts[rows, order] = take
    return values, amounts


def lagrangian_two_stage(
    data: TwoStageData,
    *,
    deadline: float,
    upper_bound: float | None = None,
    max_iterations: int = 600,
) -> TwoStageBound:
    """Lagrangian dual of the two-stage model with demand and depot balance rows relaxed.

    With ``λ_k`` on ``Σ_j s_jk = d_k`` and ``μ_j`` on ``Σ_k s_jk = Σ_i x_ij`` the
    problem splits into one continuous knapsack per depot (markets as items, per-unit
    cost ``t_jk + μ_j - λ_k``, capacity ``q_j``), one per plant (depots as items of
    size ``q_j``, cost ``c_ij - μ_j``, capacity ``p_i``), and two covering problems
    ``Σ q_j z_j ≥ D``, ``Σ p_i y_i ≥ D`` over the open binaries (fractional
    covering, a valid relaxation). Subgradient ascent with a Polyak step.

    Parameters
    ----------
    data
        The instance.
    deadline
        ``time.perf_counter()`` value to stop at.
    upper_bound
        Cost of a known solution (step size; optional).
    max_iterations
        Most subgradient iterations.

    Returns
    -------
    TwoStageBound
    """

    start = time.perf_counter()
    total = data.total_demand
    dem = data.demands
    finite_dm = np.where(np.isfinite(data.depot_market), data.depot_market, 0.0)
    finite_pd = np.where(np.isfinite(data.plant_depot), data.plant_depot, 0.0)
    big = 1e6 * (1.0 + float(finite_dm.max()) + float(finite_pd.max()))
    dm = np.where(np.isfinite(data.depot_market), data.depot_market, big)
    pdc = np.where(np.isfinite(data.plant_depot), data.plant_depot, big)
    qcap = np.minimum(data.depot_capacity, total)
    pcap = np.minimum(data.plant_capacity, total)
    per_unit_fixed = data.plant_fixed / np.maximum(pcap, 1e-9)
    mu = np.min(pdc + per_unit_fixed[:, None], axis=0)
    lam = np.min(dm + mu[:, None], axis=0)
    best = -math.inf
    best_state: tuple[Any, ...] = (lam, mu, data.plant_fixed, data.depot_fixed, 0.0, 0.0)
    ub = math.inf if upper_bound is None else float(upper_bound)
    step = 1.0
    stall = 0
    it = 0
    while it < max_iterations:
        it += 1
        v_d, s = _knapsacks(data.depot_fixed, qcap, dem, dm + mu[:, None] - lam[None, :])
        v_p, x = _knapsacks(data.plant_fixed, pcap, qcap, pdc - mu[None, :])
        sel_d, z = select_open(v_d, qcap, total, data.depot_must)
        sel_p, y = select_open(v_p, pcap, total, data.plant_must)
        value = float(lam @ dem) + sel_d + sel_p
        if value > best + 1e-9 * abs(value):
            best = value
            best_state = (lam.copy(), mu.copy(), v_p, v_d, sel_p, sel_d)
            stall = 0
        else:
            stall += 1
            if stall >= 15:
                step /= 2.0
                stall = 0
        shipped = z[:, None] * s
        g_lam = dem - shipped.sum(axis=0)
        g_mu = shipped.sum(axis=1) - (y[:, None] * x).sum(axis=0)
        norm = float(g_lam @ g_lam + g_mu @ g_mu)
        if norm < 1e-12 or step < 1e-5 or time.perf_counter() > deadline:
            break
        if math.isfinite(ub) and ub - best <= 1e-9 * abs(ub):
            break
        target = (ub - value) if math.isfinite(ub) else 0.02 * abs(value) + 1.0
        move = step * max(target, 1e-9 * abs(value)) / norm
        lam = lam + move * g_lam
        mu = mu + move * g_mu
    lam_b, mu_b, v_p, v_d, sel_p, sel_d = best_state
    seconds = time.perf_counter() - start
    log.info("two-stage lagrangian: bound %.6g after %d iterations (%.1f s)", best, it, seconds)
    return TwoStageBound(best, lam_b, mu_b, v_p, v_d, sel_p, sel_d, it, seconds)


def lagrangian_fixings(
    data: TwoStageData, result: TwoStageBound, incumbent: TwoStageSolution
) -> tuple[dict[int, int], dict[int, int]]:
    """Plants and depots whose open value can be fixed to the incumbent's (exact).

    At fixed multipliers, forcing one site's binary to the opposite of its value in
    the incumbent changes only its covering subproblem; if that bound exceeds the
    incumbent's cost, no cheaper solution has the site flipped. (Reduced-cost fixing
    with Lagrangian costs; see :mod:`clusterloc.model.speedups.reduction`.)

    Parameters
    ----------
    data
        The two-stage instance.
    result
        A Lagrangian bound with its multipliers.
    incumbent
        A feasible solution; its cost is the upper bound.

    Returns
    -------
    (plants, depots)
        ``{index: fixed value}`` for each type.
    """

    total = data.total_demand
    base = float(result.market_prices @ data.demands)
    ub = incumbent.objective
    tol = 1e-9 * abs(ub) + 1e-6
    out: list[dict[int, int]] = []
    for values, caps, must, opened, other in (
        (result.plant_values, data.plant_capacity, data.plant_must, incumbent.plants,
         result.depot_select),
        (result.depot_values, data.depot_capacity, data.depot_must, incumbent.depots,
         result.plant_select),
    ):  # fmt: skip
        caps = np.minimum(caps, total)
        fixed: dict[int, int] = {}
        for i in range(values.shape[0]):
            if must[i]:
                continue
            keep = 1 if opened[i] else 0
            sel, _ = select_open(values, caps, total, must, forced=(i, 1 - keep))
            if base + other + sel > ub + tol:
                fixed[i] = keep
        out.append(fixed)
    return out[0], out[1]


@dataclass
class LpRelaxation:
    """Outcome of :func:`relax_with_cuts`: the LP relaxation of the strong model.

    Attributes
    ----------
    bound
        Optimal value of the last LP solved (a valid lower bound: every LP on a
        subset of the strong linking rows relaxes the full model).
    complete
        ``True`` when no linking row was violated any more (``bound`` is then the
        LP bound of the full strong model).
    plants, depots
        ``(I,)`` / ``(J,)`` open values ``y`` / ``z`` in the LP solution.
    plant_reduced, depot_reduced
        Reduced costs of ``y`` / ``z``.
    rounds, cuts
        Separation rounds and linking rows added.
    """

    bound: float
    complete: bool
    plants: np.ndarray
    depots: np.ndarray
    plant_reduced: np.ndarray
    depot_reduced: np.ndarray
    rounds: int
    cuts: int


def relax_with_cuts(data: TwoStageData, deadline: float) -> LpRelaxation | None:
    """LP relaxation of the strong two-stage model, linking rows added as violated.

    Starts from the weak model (capacity rows ``Σ_k s_jk ≤ q_j z_j``, ``Σ_j x_ij ≤
    p_i y_i`` and the aggregate cuts) and adds ``s_jk ≤ min(d_k, q_j) z_j`` and
    ``x_ij ≤ min(p_i, q_j) z_j, y_i`` only where the LP solution violates them,
    re-solving with HiGHS's dual simplex from the previous basis. Only a few
    hundred of the ``J·K`` linking rows are ever needed, so this is much faster
    than handing all of them to the solver.

    Parameters
    ----------
    data
        The instance.
    deadline
        ``time.perf_counter()`` value to stop at.

    Returns
    -------
    LpRelaxation or None
        The last LP solved to optimality; ``None`` if not even the first was.
    """
    inf = math.inf
    n_p, n_d = data.plant_depot.shape
    total = data.total_demand
    dem = data.demands
    qcap = np.minimum(data.depot_capacity, total)
    pcap = np.minimum(data.plant_capacity, total)
    cost, lower, upper, rows, lay = _base_model(
        data, np.arange(n_p), np.arange(n_d), pcap, qcap, binaries=True
    )
    ii, xj, sj, sk = lay["pi"], lay["pj"], lay["dj"], lay["dk"]
    ox, os_, oy, oz = lay["ox"], lay["os"], lay["oy"], lay["oz"]
    nx, ns = ii.shape[0], sj.shape[0]
    a, lo, up = rows.matrix(cost.shape[0])
    h = _highs()
    _pass_model(h, cost, lower, upper, a, lo, up)
    ub_s = np.minimum(dem[sk], qcap[sj])
    ub_x = np.minimum(pcap[ii], qcap[xj])
    added_s = np.zeros(ns, dtype=bool)
    added_x = np.zeros(nx, dtype=bool)
    best: LpRelaxation | None = None
    rounds = 0
    cuts = 0

    def add_links(var_cols: np.ndarray, bin_cols: np.ndarray, coef: np.ndarray) -> None:
        count = int(var_cols.shape[0])
        if count == 0:
            return
        cols = np.empty(2 * count, dtype=np.int32)
        vals = np.empty(2 * count)
        cols[0::2], cols[1::2] = var_cols, bin_cols
        vals[0::2], vals[1::2] = 1.0, -coef
        starts = np.arange(0, 2 * count, 2, dtype=np.int32)
        h.addRows(count, np.full(count, -inf), np.zeros(count), 2 * count, starts, cols, vals)

    while True:
        left = deadline - time.perf_counter()
        if left <= 0.05:
            break
        # HiGHS's time limit counts the object's whole run time, not this run's
        h.setOptionValue("time_limit", float(h.getRunTime() + left))
        h.run()
        if h.getModelStatus() != h.getModelStatus().__class__.kOptimal:
            break
        rounds += 1
        sol = h.getSolution()
        v = np.asarray(sol.col_value)
        dual = np.asarray(sol.col_dual)
        xs, ss, ys, zs = v[ox:os_], v[os_:oy], v[oy:oz], v[oz:]
        viol_s = (ss - ub_s * zs[sj] > 1e-6) & ~added_s
        viol_x = ((xs - ub_x * zs[xj] > 1e-6) | (xs - ub_x * ys[ii] > 1e-6)) & ~added_x
        complete = not viol_s.any() and not viol_x.any()
        best = LpRelaxation(
            float(h.getInfo().objective_function_value), complete, ys.copy(), zs.copy(),
            dual[oy:oz].copy(), dual[oz:].copy(), rounds, cuts,
        )  # fmt: skip
        if complete:
            break
        idx = np.flatnonzero(viol_s)
        added_s[idx] = True
        add_links(os_ + idx, oz + sj[idx], ub_s[idx])
        idx = np.flatnonzero(viol_x)
        added_x[idx] = True
        add_links(ox + idx, oz + xj[idx], ub_x[idx])
        add_links(ox + idx, oy + ii[idx], ub_x[idx])
        cuts += int(viol_s.sum()) + 2 * int(viol_x.sum())
    if best is not None:
        log.info(
            "LP relaxation with cuts: %.6g (%s) after %d round(s), %d linking rows",
            best.bound, "complete" if best.complete else "partial", best.rounds, best.cuts,
        )  # fmt: skip
    return best


def reduced_cost_fixings(
    relaxation: LpRelaxation, incumbent: TwoStageSolution
) -> tuple[dict[int, int], dict[int, int]]:
    """Open binaries fixed by LP reduced costs against the incumbent's cost (exact).

    A binary at 0 with reduced cost ``r > 0`` in an optimal LP of value ``L``:
    every solution with it at 1 costs at least ``L + r``; at 1 with ``r < 0``,
    every solution with it at 0 costs at least ``L - r``. Above the incumbent's cost
    the binary can be fixed. Only fixings the incumbent satisfies are kept.

    Parameters
    ----------
    relaxation
        An optimal LP relaxation with reduced costs.
    incumbent
        A feasible solution; its cost is the upper bound.

    Returns
    -------
    (plants, depots)
        ``{index: fixed value}``.
    """
    ub = incumbent.objective
    tol = 1e-7 * abs(ub) + 1e-6
    out: list[dict[int, int]] = []
    for values, reduced, opened in (
        (relaxation.plants, relaxation.plant_reduced, incumbent.plants),
        (relaxation.depots, relaxation.depot_reduced, incumbent.depots),
    ):
        fixed: dict[int, int] = {}
        for i in range(values.shape[0]):
            if values[i] <= 1e-9 and relaxation.bound + reduced[i] > ub + tol and not opened[i]:
                fixed[i] = 0
            elif values[i] >= 1 - 1e-9 and relaxation.bound - reduced[i] > ub + tol and opened[i]:
                fixed[i] = 1
        out.append(fixed)
    return out[0], out[1]


def _kernel(score: np.ndarray, opened: np.ndarray, must: np.ndarray, size: int) -> np.ndarray:
    """Open and must-open sites, then the best-scored others (lower = better) up to
    ``size`` sites in all (index array)."""
    chosen = opened | must
    others = np.flatnonzero(~chosen)
    others = others[np.argsort(score[others], kind="stable")]
    room = max(0, size - int(chosen.sum()))
    chosen = chosen.copy()
    chosen[others[:room]] = True
    return np.flatnonzero(chosen)


def solve_kernel(
    data: TwoStageData,
    plants: np.ndarray,
    depots: np.ndarray,
    seconds: float,
    start: TwoStageSolution | None = None,
    gap: float = 1e-6,
    threads: int = 1,
) -> TwoStageSolution | None:
    """The two-stage MIP restricted to the given sites, solved by HiGHS.

    Parameters
    ----------
    data
        The instance.
    plants, depots
        Index arrays of the kernel sites (the others stay closed).
    seconds
        HiGHS time limit.
    start
        Optional MIP start (its open sites must lie in the kernel).
    gap
        Relative MIP gap.
    threads
        HiGHS threads.

    Returns
    -------
    TwoStageSolution or None
        The best solution HiGHS found (``None`` if none).
    """
    h, layout = _two_stage_problem(data, plants, depots, mip=True)
    h.setOptionValue("time_limit", max(0.5, float(seconds)))
    h.setOptionValue("mip_rel_gap", gap)
    h.setOptionValue("threads", int(threads))
    if start is not None:
        values = np.concatenate(
            [
                start.plant_depot[plants[layout["pi"]], depots[layout["pj"]]],
                start.depot_market[depots[layout["dj"]], layout["dk"]],
                start.plants[plants].astype(float),
                start.depots[depots].astype(float),
            ]
        )
        h.setSolution(int(values.shape[0]), np.arange(values.shape[0], dtype=np.int32), values)
    h.run()
    info = h.getInfo()
    if int(info.primal_solution_status) != 2:
        return None
    values = np.asarray(h.getSolution().col_value)
    x, s = _read_flows(data, plants, depots, layout, values)
    n_d = data.plant_depot.shape[1]
    yv = np.zeros(data.plant_depot.shape[0], dtype=bool)
    zv = np.zeros(n_d, dtype=bool)
    yv[plants] = values[layout["oy"] : layout["oy"] + plants.shape[0]] > 0.5
    zv[depots] = values[layout["oz"] : layout["oz"] + depots.shape[0]] > 0.5
    log.info(
        "kernel MIP (%d plants, %d depots): %.6g, bound %.6g, %s",
        plants.shape[0], depots.shape[0], info.objective_function_value,
        info.mip_dual_bound, h.modelStatusToString(h.getModelStatus()),
    )  # fmt: skip
    return TwoStageSolution(yv, zv, x, s, float(info.objective_function_value))


# --------------------------------------------------------------------------- the step
@dataclass
class TwoStageStartReport:
    """What :class:`TwoStageStart` did.

    Attributes
    ----------
    applied
        Whether a start was handed to the solver.
    reason
        Why not (empty when applied).
    decomposition, kernel
        Objective after each phase (``None`` if the phase found nothing).
    lower_bound
        Best valid lower bound computed outside the solver (decomposition, LP
        relaxation or two-stage Lagrangian), ``None`` if none.
    relaxation, relaxation_complete
        Value of the LP relaxation (:func:`relax_with_cuts`) and whether all
        violated linking rows were added.
    kernel_plants, kernel_depots
        Kernel sizes.
    fixed_closed, fixed_open
        Sites whose open binary was fixed by Lagrangian reduced costs (exact).
    seconds
        Wall time of the step, and per phase in ``phase_seconds``.
    """

    applied: bool = False
    reason: str = ""
    decomposition: float | None = None
    kernel: float | None = None
    lower_bound: float | None = None
    relaxation: float | None = None
    relaxation_complete: bool = False
    kernel_plants: int = 0
    kernel_depots: int = 0
    fixed_closed: int = 0
    fixed_open: int = 0
    seconds: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def objective(self) -> float | None:
        """Cost of the start handed to the solver."""
        values = [v for v in (self.decomposition, self.kernel) if v is not None]
        return min(values) if values else None

    def summary(self) -> dict[str, Any]:
        """Plain dict for JSON output.

        Returns
        -------
        dict
            Every field of the report.
        """
        return {
            "applied": self.applied,
            "reason": self.reason,
            "objective": self.objective,
            "decomposition": self.decomposition,
            "kernel": self.kernel,
            "lower_bound": self.lower_bound,
            "relaxation": self.relaxation,
            "relaxation_complete": self.relaxation_complete,
            "kernel_plants": self.kernel_plants,
            "kernel_depots": self.kernel_depots,
            "fixed_closed": self.fixed_closed,
            "fixed_open": self.fixed_open,
            "seconds": round(self.seconds, 3),
            "phase_seconds": {k: round(v, 3) for k, v in self.phase_seconds.items()},
        }


class TwoStageStart:
    """MIP start for two-stage models within a time budget (a ``reductions=`` step).

    Phases, each bounded by the budget: :func:`decompose` (a first solution in a
    few seconds), :func:`relax_with_cuts` (LP relaxation of the strong model with
    linking rows added as violated; falls back to :func:`lagrangian_two_stage` when
    not even the first LP solves in time), :func:`solve_kernel` (the MIP on the
    sites used by the LP or the first solution plus the best-ranked others), then
    exact reduced-cost fixing of open binaries in the model
    (:func:`reduced_cost_fixings`) against the best solution, which is handed to
    ``solver`` as a MIP start. Does nothing (``report.reason`` says why) unless
    the model is recognised by :func:`recognise_two_stage`.

    Parameters
    ----------
    solver
        The solver that will run the full model (receives the start).
    seconds
        Time budget of the whole step.
    decomposition_share, relaxation_share
        Shares of ``seconds`` for the decomposition and the LP relaxation; the
        kernel MIP gets the rest.
    kernel_extra, min_extra
        Sites per type added to the kernel beyond those used: ``kernel_extra`` times
        the number used, at least ``min_extra``.
    max_kernel
        Most sites per type in the kernel (open sites of the start always enter).
    fix
        Fix open binaries in the model by reduced costs against the start's cost
        (exact: no solution cheaper than the start is removed, so the solver's
        bound stays valid for the original model).
    threads
        HiGHS threads of the kernel MIP.

    Attributes
    ----------
    report
        :class:`TwoStageStartReport` of the last call.
    solution
        The start (:class:`TwoStageSolution`), ``None`` without one.
    """

    def __init__(
        self,
        solver: pulp.LpSolver | None = None,
        *,
        seconds: float = 30.0,
        decomposition_share: float = 0.12,
        relaxation_share: float = 0.3,
        kernel_extra: float = 0.25,
        min_extra: int = 5,
        max_kernel: int = 60,
        fix: bool = True,
        threads: int = 1,
    ) -> None:
        self.solver = solver
        self.seconds = seconds
        self.decomposition_share = decomposition_share
        self.relaxation_share = relaxation_share
        self.kernel_extra = kernel_extra
        self.min_extra = min_extra
        self.max_kernel = max_kernel
        self.fix = fix
        self.threads = threads
        self.report = TwoStageStartReport()
        self.solution: TwoStageSolution | None = None

    def __call__(self, model: LocationModel) -> TwoStageStartReport:
        t0 = time.perf_counter()
        deadline = t0 + self.seconds
        report = TwoStageStartReport()
        self.report = report
        self.solution = None
        found, reason = recognise_two_stage(model)
        if found is None:
            report.reason = f"not a two-stage model: {reason}"
            log.info("two-stage start: %s", report.reason)
            report.seconds = time.perf_counter() - t0
            return report
        data, mapping = found
        dec = decompose(data, t0 + self.decomposition_share * self.seconds, rounds=2)
        best = dec.solution
        report.phase_seconds["decomposition"] = time.perf_counter() - t0
        bounds = [dec.lower_bound]
        if best is not None:
            report.decomposition = best.objective

        # ranking of sites for the kernel: LP relaxation (cuts as needed), else Lagrangian
        t1 = time.perf_counter()
        relaxation = relax_with_cuts(data, t1 + self.relaxation_share * self.seconds)
        lagr: TwoStageBound | None = None
        if relaxation is not None:
            bounds.append(relaxation.bound)
            report.relaxation = relaxation.bound
            report.relaxation_complete = relaxation.complete
            # sites used in the LP first (by LP value), then the others by reduced cost
            p_support = int((relaxation.plants > 1e-6).sum())
            d_support = int((relaxation.depots > 1e-6).sum())
            p_score = np.where(relaxation.plants > 1e-6, -relaxation.plants, 0.0) + np.where(
                relaxation.plants > 1e-6, 0.0, np.maximum(relaxation.plant_reduced, 0.0)
            )
            d_score = np.where(relaxation.depots > 1e-6, -relaxation.depots, 0.0) + np.where(
                relaxation.depots > 1e-6, 0.0, np.maximum(relaxation.depot_reduced, 0.0)
            )
        else:
            lagr = lagrangian_two_stage(
                data,
                deadline=time.perf_counter() + 0.5 * self.relaxation_share * self.seconds,
                upper_bound=None if best is None else best.objective,
            )
            bounds.append(lagr.bound)
            p_score, d_score = lagr.plant_values, lagr.depot_values
            p_support = int(best.plants.sum()) if best is not None else 0
            d_support = int(best.depots.sum()) if best is not None else 0
        report.phase_seconds["relaxation"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        left = deadline - t2
        if left > 1.0:
            p_open = best.plants if best is not None else np.zeros(p_score.shape, bool)
            d_open = best.depots if best is not None else np.zeros(d_score.shape, bool)

            def size(support: int, opened: np.ndarray) -> int:
                base = max(support, int(opened.sum()))
                extra = max(self.min_extra, int(self.kernel_extra * base))
                return min(self.max_kernel, base + extra)

            kp = _kernel(p_score, p_open, data.plant_must, size(p_support, p_open))
            kd = _kernel(d_score, d_open, data.depot_must, size(d_support, d_open))
            report.kernel_plants, report.kernel_depots = int(kp.shape[0]), int(kd.shape[0])
            found_k = solve_kernel(data, kp, kd, left, start=best, threads=self.threads)
            if found_k is not None:
                report.kernel = found_k.objective
                if best is None or found_k.objective < best.objective:
                    best = found_k
        report.phase_seconds["kernel"] = time.perf_counter() - t2
        finite = [b for b in bounds if math.isfinite(b)]
        report.lower_bound = max(finite) if finite else None
        if best is None:
            report.reason = "no feasible open sets found in the time budget"
        else:
            self.solution = best
            if self.fix:
                if relaxation is not None:
                    plants_fixed, depots_fixed = reduced_cost_fixings(relaxation, best)
                elif lagr is not None:
                    plants_fixed, depots_fixed = lagrangian_fixings(data, lagr, best)
                else:
                    plants_fixed, depots_fixed = {}, {}
                fix_open_sites(
                    model,
                    {mapping.plant_ids[i]: v for i, v in plants_fixed.items()}
                    | {mapping.depot_ids[j]: v for j, v in depots_fixed.items()},
                )
                fixed = list(plants_fixed.values()) + list(depots_fixed.values())
                report.fixed_closed = sum(1 for v in fixed if v == 0)
                report.fixed_open = sum(1 for v in fixed if v == 1)
            if self.solver is not None:
                set_start(self.solver, start_values(model, mapping, best))
            report.applied = True
        report.seconds = time.perf_counter() - t0
        log.info("two-stage start: %s", report.summary())
        return report


def start_values(
    model: LocationModel, mapping: _Mapping, solution: TwoStageSolution
) -> dict[pulp.LpVariable, float]:
    """Values of every open and flow variable of ``model`` for ``solution``.

    Parameters
    ----------
    model
        The built model.
    mapping
        Site and arc positions of the two-stage data in the model.
    solution
        A two-stage solution.

    Returns
    -------
    dict
        ``{variable: value}`` for a MIP start.
    """
    values: dict[pulp.LpVariable, float] = dict.fromkeys(model.flow_list, 0.0)
    for var in model.open_vars.values():
        values[var] = 1.0 if (var.lowBound or 0) >= 1 else 0.0
    for i, sid in enumerate(mapping.plant_ids):
        if solution.plants[i]:
            values[model.open_vars[sid]] = 1.0
    for j, sid in enumerate(mapping.depot_ids):
        if solution.depots[j]:
            values[model.open_vars[sid]] = 1.0
    inflow = solution.plant_depot.sum(axis=1)
    for i, var in mapping.supply_vars.items():
        values[var] = float(inflow[i])
    for (i, j), var in mapping.plant_depot_vars.items():
        values[var] = float(solution.plant_depot[i, j])
    for (j, k), var in mapping.depot_market_vars.items():
        values[var] = float(solution.depot_market[j, k])
    return values
