r"""Constraint families of the location model, one ``define_*`` function each.

Each function adds the rows of one family to ``frame.problem``; row names start with
the family's :class:`~clusterloc.model.rows.RowPrefix` (table in ``docs/model.md``).
:data:`FAMILIES` lists them in the order :meth:`LocationModel.build` adds them (the
order is part of the model: it fixes the row order the solver sees).

Notation (``docs/model.md``): arcs :math:`(a,b,k) \in A` with flow :math:`x_{abk}` and
bound :math:`U_{abk}`; facility sites :math:`f \in F` with open binary :math:`y_f`,
level binaries :math:`z_{fl}`, capacity :math:`C_f` (or :math:`C_{fl}` per level);
suppliers :math:`s`, markets :math:`m`, demand :math:`D_{mk}`, unmet :math:`u_{mk}`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pulp

from clusterloc.model.frame import ModelFrame, Terms
from clusterloc.model.inputs import MARKET, SUPPLIER
from clusterloc.model.rows import ColumnPrefix, RowPrefix, origin_link_name, row_name

__all__ = [
    "FAMILIES",
    "define_aggregate_capacity",
    "define_budget",
    "define_co2_cap",
    "define_demand",
    "define_level_choice",
    "define_local_content",
    "define_open_counts",
    "define_site_balance",
    "define_strong_linking",
    "define_supply_limits",
]


def define_level_choice(frame: ModelFrame) -> None:
    r"""A site with capacity levels is open at exactly one of them when open.

    .. math:: \sum_{l \in L_f} z_{fl} = y_f

    Rows ``level_{site}``.

    Parameters
    ----------
    frame
        The build state (after the level variables).
    """
    for sid, levels in frame.levels_of.items():
        terms: Terms = [(v, 1.0) for v, _, _ in levels] + [(frame.open[sid], -1.0)]
        name = row_name(RowPrefix.LEVEL, frame.site_number[sid])
        frame.add_row(terms, pulp.LpConstraintEQ, 0.0, name)


def define_supply_limits(frame: ModelFrame) -> None:
    r"""Shipments of a supplier row stay within its (finite) supply.

    .. math:: \sum_b x_{sbk} \le \bar S_{sk}

    Rows ``supply_{supplier row}``.

    Parameters
    ----------
    frame
        The build state.
    """
    sup = frame.tables.suppliers
    rows = zip(sup["site_id"], sup["commodity"], sup["supply"], strict=True)
    for r, (sid, k, supply) in enumerate(rows):
        idx = frame.out_of.get((sid, k))
        if idx is not None and math.isfinite(supply):
            terms: Terms = [(frame.flows[i], 1.0) for i in idx]
            frame.add_row(terms, pulp.LpConstraintLE, float(supply), row_name(RowPrefix.SUPPLY, r))


def _single_sourcing(frame: ModelFrame, market: str, k: str, demand: float, r: int) -> None:
    r"""Rows of one market row under single sourcing (with their ``w`` binaries).

    .. math:: x_{amk} \le D_{mk} w_{amk}, \quad w_{amk} \le y_a \ (a \in F), \quad
              \sum_a w_{amk} = 1 \ (\le 1 \text{ with unmet demand})
    """
    idx = frame.into[(market, k)]
    choices: Terms = []
    for i in idx:
        w = frame.problem.add_variable(row_name(ColumnPrefix.ASSIGN, i), cat=pulp.LpBinary)
        frame.assign[(frame.origin[i], market, k)] = w
        choices.append((w, 1.0))
        flow_row: Terms = [(frame.flows[i], 1.0), (w, -demand)]
        frame.add_row(flow_row, pulp.LpConstraintLE, 0.0, row_name(RowPrefix.SINGLE_SOURCE_FLOW, i))
        if frame.origin_type[i] != SUPPLIER:
            open_row: Terms = [(w, 1.0), (frame.open[frame.origin[i]], -1.0)]
            name = row_name(RowPrefix.SINGLE_SOURCE_OPEN, i)
            frame.add_row(open_row, pulp.LpConstraintLE, 0.0, name)
    sense = pulp.LpConstraintLE if frame.unmet_allowed else pulp.LpConstraintEQ
    frame.add_row(choices, sense, 1.0, row_name(RowPrefix.SINGLE_SOURCE_ONE, r))


def define_demand(frame: ModelFrame) -> None:
    r"""Every market row receives its demand (less the unmet part, when priced).

    .. math:: \sum_a x_{amk} + u_{mk} = D_{mk}, \qquad 0 \le u_{mk} \le D_{mk}

    Rows ``demand_{market row}``, columns ``u_{market row}`` (only with an unmet
    penalty); under single sourcing each market row's ``ss_``/``ssy_``/``one_`` rows
    and ``w_{arc}`` binaries follow it.

    Parameters
    ----------
    frame
        The build state.
    """
    mk = frame.tables.markets[frame.tables.markets["demand"] > 0]
    single = frame.tables.policy.single_sourcing
    rows = zip(mk["site_id"], mk["commodity"], mk["demand"], strict=True)
    for r, (sid, k, demand) in enumerate(rows):
        idx = frame.into.get((sid, k))
        terms: Terms = [(frame.flows[i], 1.0) for i in idx] if idx is not None else []
        if frame.unmet_allowed:
            u = frame.problem.add_variable(
                row_name(ColumnPrefix.UNMET, r), lowBound=0, upBound=float(demand)
            )
            frame.unmet[(sid, k)] = u
            terms.append((u, 1.0))
        frame.add_row(terms, pulp.LpConstraintEQ, float(demand), row_name(RowPrefix.DEMAND, r))
        if single and idx is not None:
            _single_sourcing(frame, sid, k, float(demand), r)


def _bom_ratios(frame: ModelFrame) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """``type → input → [(output, quantity / yield), ...]``."""
    bom = frame.tables.bom
    ratio: dict[str, dict[str, list[tuple[str, float]]]] = {}
    rows = zip(bom["type"], bom["output"], bom["input"], bom["quantity"], bom["yield"], strict=True)
    for ftype, output, inp, quantity, yield_ in rows:
        ratio.setdefault(ftype, {}).setdefault(inp, []).append(
            (output, float(quantity) / float(yield_))
        )
    return ratio


def _conservation(
    frame: ModelFrame, j: int, sid: str, ratio: dict[str, dict[str, list[tuple[str, float]]]]
) -> np.ndarray:
    """Conservation rows of site number ``j``; returns the arcs of its throughput."""
    x = frame.flows
    commodities = frame.tables.commodities["commodity"].tolist()
    ftype = frame.site_type[sid]
    if ftype in frame.tables.bom_types:
        for inp, outs in ratio[ftype].items():
            terms: Terms = [(x[i], 1.0) for i in frame.into.get((sid, inp), ())]
            for output, r in outs:
                terms += [(x[i], -r) for i in frame.out_of.get((sid, output), ())]
            if terms:
                name = row_name(RowPrefix.BOM, j, commodities.index(inp))
                frame.add_row(terms, pulp.LpConstraintEQ, 0.0, name)
        return frame.out_of_site.get(sid, np.zeros(0, dtype=int))
    for k in commodities:
        ins = frame.into.get((sid, k))
        outs_ = frame.out_of.get((sid, k))
        if ins is None and outs_ is None:
            continue
        terms = [(x[i], 1.0) for i in (ins if ins is not None else ())]
        terms += [(x[i], -1.0) for i in (outs_ if outs_ is not None else ())]
        frame.add_row(
            terms, pulp.LpConstraintEQ, 0.0, row_name(RowPrefix.FLOW, j, commodities.index(k))
        )
    return frame.into_site.get(sid, np.zeros(0, dtype=int))


def define_site_balance(frame: ModelFrame) -> None:
    r"""Flow conservation and capacity at every facility site.

    Pass-through site, each commodity:
    :math:`\sum_a x_{afk} = \sum_b x_{fbk}` (rows ``flow_{site}_{commodity}``).
    BOM site of type :math:`T`, each input :math:`i`:
    :math:`\sum_a x_{afi} = \sum_o r_{Toi} \sum_b x_{fbo}` (rows ``bom_{site}_{input}``).
    Capacity on the throughput :math:`\theta_f` (inflow of a pass-through site, output
    of a BOM site): :math:`\theta_f \le C_f y_f` or :math:`\le \sum_l C_{fl} z_{fl}`
    (rows ``cap_{site}``, right after the site's conservation rows).

    Parameters
    ----------
    frame
        The build state (after the variables).
    """
    ratio = _bom_ratios(frame)
    for j, sid in enumerate(frame.site_ids):
        through = _conservation(frame, j, sid, ratio)
        terms: Terms = [(frame.flows[i], 1.0) for i in through]
        terms += frame.capacity_terms(sid, -1.0)
        frame.add_row(terms, pulp.LpConstraintLE, 0.0, row_name(RowPrefix.CAPACITY, j))


def define_strong_linking(frame: ModelFrame) -> None:
    r"""Strong linking of arc flows to the open binaries of their end sites.

    .. math:: x_{abk} \le U_{abk} y_a \ (a \in F,\ U_{abk} < \bar C_a), \qquad
              x_{abk} \le U_{abk} y_b \ (b \in F,\ U_{abk} < \text{absorb}(b,k))

    Rows ``lo_{arc}`` (origin; not for arcs into markets under single sourcing, whose
    ``ss_`` rows are tighter) and ``ld_{arc}`` (destination).

    Parameters
    ----------
    frame
        The build state.
    """
    x, ub = frame.flows, frame.bound
    single = frame.tables.policy.single_sourcing
    market_arc = frame.dest_type == MARKET
    for i in np.flatnonzero(frame.arcs["link_origin"].to_numpy()):
        if single and market_arc[i]:
            continue
        terms: Terms = [(x[i], 1.0), (frame.open[frame.origin[i]], -float(ub[i]))]
        frame.add_row(terms, pulp.LpConstraintLE, 0.0, origin_link_name(int(i)))
    for i in np.flatnonzero(frame.arcs["link_dest"].to_numpy()):
        terms = [(x[i], 1.0), (frame.open[frame.destination[i]], -float(ub[i]))]
        frame.add_row(terms, pulp.LpConstraintLE, 0.0, row_name(RowPrefix.LINK_DEST, int(i)))


def define_aggregate_capacity(frame: ModelFrame) -> None:
    r"""Aggregate capacity cut of each type that all flow of some commodities crosses.

    .. math:: \sum_{f:\tau(f)=T} \bar C_f y_f \ge \sum_{k \text{ cut by } T} R_k

    (valid inequality; only when all demand must be met). Rows ``agg_{type}``.

    Parameters
    ----------
    frame
        The build state (``frame.mandatory`` from
        :func:`clusterloc.model.requirements.mandatory_throughput`).
    """
    if frame.unmet_allowed:
        return
    types = frame.tables.facility_types
    sites = frame.sites
    for ftype, need in sorted(frame.mandatory.items()):
        if need <= 0:
            continue
        terms: Terms = []
        for sid in sites.loc[sites["type"] == ftype, "site_id"]:
            terms += frame.capacity_terms(sid)
        name = row_name(RowPrefix.AGGREGATE, types.index(ftype))
        frame.add_row(terms, pulp.LpConstraintGE, float(need), name)


def define_open_counts(frame: ModelFrame) -> None:
    r"""Least and most open sites per facility type.

    .. math:: \text{min\_open}_T \le \sum_{\tau(f)=T} y_f \le \text{max\_open}_T

    Rows ``min_open_{type}``, ``max_open_{type}``.

    Parameters
    ----------
    frame
        The build state.
    """
    pol = frame.tables.policy
    sites = frame.sites
    for ti, ftype in enumerate(frame.tables.facility_types):
        members: Terms = [
            (frame.open[s], 1.0) for s in sites.loc[sites["type"] == ftype, "site_id"]
        ]
        lo = pol.min_open.get(ftype)
        hi = pol.max_open.get(ftype)
        if lo:
            frame.add_row(members, pulp.LpConstraintGE, float(lo), row_name(RowPrefix.MIN_OPEN, ti))
        if hi is not None:
            frame.add_row(members, pulp.LpConstraintLE, float(hi), row_name(RowPrefix.MAX_OPEN, ti))


def define_budget(frame: ModelFrame) -> None:
    r"""Fixed cost (after subsidies) of the candidate sites opened stays within the budget.

    .. math:: \sum_{f \text{ candidate}} (1-\sigma_f)\,\Phi_f \le \text{budget}

    Existing sites are sunk and not counted. One row ``budget``.

    Parameters
    ----------
    frame
        The build state.
    """
    budget = frame.tables.policy.budget
    if budget is None:
        return
    terms: Terms = []
    for sid, status in zip(frame.site_ids, frame.sites["status"], strict=True):
        if status == "candidate":
            terms += frame.fixed_cost_terms(sid)
    frame.add_row(terms, pulp.LpConstraintLE, float(budget), str(RowPrefix.BUDGET))


def define_local_content(frame: ModelFrame) -> None:
    r"""Local-content floor at every site of a local-content type.

    .. math:: \sum_{a \text{ local}} \omega_k x_{afk} \ge \lambda \sum_a \omega_k x_{afk}

    with :math:`\omega_k` the weight (or value) and :math:`\lambda` the share. Rows
    ``local_{site}``.

    Parameters
    ----------
    frame
        The build state.
    """
    pol = frame.tables.policy
    if pol.local_content_share is None or pol.local_content_share <= 0:
        return
    share = float(pol.local_content_share)
    coms = frame.tables.commodities
    column = "value" if pol.local_content_basis == "value" else "weight_t"
    per_commodity = dict(zip(coms["commodity"], coms[column], strict=True))
    weight = np.array([per_commodity[k] for k in frame.commodity], dtype=float)
    local = frame.arcs["local"].to_numpy()
    for j, sid in enumerate(frame.site_ids):
        if frame.site_type[sid] not in pol.local_content_types:
            continue
        idx = frame.into_site.get(sid)
        if idx is None:
            continue
        terms: Terms = [
            (frame.flows[i], weight[i] * ((1.0 if local[i] else 0.0) - share)) for i in idx
        ]
        terms = [(v, c) for v, c in terms if c != 0]
        if terms:
            frame.add_row(terms, pulp.LpConstraintGE, 0.0, row_name(RowPrefix.LOCAL, j))


def define_co2_cap(frame: ModelFrame) -> None:
    r"""Transport CO2 stays within the cap.

    .. math:: \sum_A e_{abk} x_{abk} \le \text{co2\_cap}

    One row ``co2_cap``.

    Parameters
    ----------
    frame
        The build state.
    """
    cap = frame.tables.policy.co2_cap
    if cap is None:
        return
    co2 = frame.arcs["co2_unit"].to_numpy()
    terms: Terms = [(frame.flows[i], float(co2[i])) for i in np.flatnonzero(co2)]
    frame.add_row(terms, pulp.LpConstraintLE, float(cap), str(RowPrefix.CO2_CAP))


#: The constraint families in the order the model adds them.
FAMILIES: tuple[Callable[[ModelFrame], None], ...] = (
    define_level_choice,
    define_supply_limits,
    define_demand,
    define_site_balance,
    define_strong_linking,
    define_aggregate_capacity,
    define_open_counts,
    define_budget,
    define_local_content,
    define_co2_cap,
)
