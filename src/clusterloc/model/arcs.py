"""The arcs of the location model: which (lane, commodity) pairs a flow may use.

An arc ``(a, b, k)`` exists for a lane ``a → b`` when the echelon link allows ``k``,
``a`` can emit ``k``, ``b`` can accept it, a market lies within the service limits,
and some flow can use it (pruned to a fixed point). :func:`arc_bounds` then gives each
arc its upper bound and strong-linking flags. Money and CO2 per arc are
:mod:`clusterloc.model.costs`'. The rules are written out in ``docs/model.md``
(*Which arcs exist*, *Strong linking*).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterloc.model.inputs import MARKET, SUPPLIER
from clusterloc.model.validation import CleanTables

__all__ = ["SEP", "arc_bounds", "key", "make_arcs", "model_sites", "type_flows"]

#: Separator of the string keys ``site<SEP>commodity``.
SEP = "\x1f"


def key(a: pd.Series, b: pd.Series) -> pd.Series:
    """String key ``a<SEP>b`` per row (vectorised joins on two columns).

    Parameters
    ----------
    a, b
        Columns of equal length.

    Returns
    -------
    pandas.Series
    """
    return a.astype(str) + SEP + b.astype(str)


def model_sites(t: CleanTables) -> pd.DataFrame:
    """Facilities in the model (closed excluded), with ``cap_max`` and ``subsidy`` share.

    Parameters
    ----------
    t
        The validated tables.

    Returns
    -------
    pandas.DataFrame
        The facility rows sorted by ``site_id``; ``cap_max`` is the largest capacity
        (over levels), ``subsidy`` the largest ``fixed_cost_subsidy`` share of its tags.
    """
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
        okey = key(arcs["origin"], arcs["commodity"])
        dkey = key(arcs["destination"], arcs["commodity"])
        has_in = set(dkey)
        has_out = set(okey)
        producible: set[str] = set()
        useful: set[str] = set()
        for s in bom_sites:
            for o, ins in recipe[site_type[s]].items():
                if all(f"{s}{SEP}{i}" in has_in for i in ins):
                    producible.add(f"{s}{SEP}{o}")
                    if f"{s}{SEP}{o}" in has_out:
                        useful.update(f"{s}{SEP}{i}" for i in ins)
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


def type_flows(t: CleanTables) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which node type may emit / accept which commodity (type-level reachability).

    Parameters
    ----------
    t
        The validated tables.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(emits, accepts)``: rows ``otype, commodity`` and ``dtype, commodity``.
    """
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


def make_arcs(t: CleanTables, sites: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Every (lane, commodity) pair a flow may use, pruned to what some flow can use.

    Parameters
    ----------
    t
        The validated tables.
    sites
        From :func:`model_sites`.

    Returns
    -------
    tuple
        ``(arcs, service_dropped)``: the arc table (lane columns and ``otype``,
        ``dtype``), sorted by origin, destination, commodity; and how many arcs into
        markets the service limits left out.
    """
    emits_t, accepts_t = type_flows(t)
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
    service_dropped = 0
    if pol.max_service_km is not None:
        far = into_market & (arcs["km"] > pol.max_service_km)
        service_dropped += int(far.sum())
        arcs = arcs[~far]
        into_market = into_market[~far]
    if pol.max_service_hours is not None:
        far = into_market & (arcs["hours"] > pol.max_service_hours)
        service_dropped += int(far.sum())
        arcs = arcs[~far]
    arcs = _prune_arcs(arcs.reset_index(drop=True), t, sites)
    arcs = arcs.sort_values(["origin", "destination", "commodity"], kind="stable")
    return arcs.reset_index(drop=True), service_dropped


def arc_bounds(arcs: pd.DataFrame, t: CleanTables, sites: pd.DataFrame) -> pd.DataFrame:
    """Upper bound of every arc's flow and where strong-linking rows are needed.

    ``ub`` = min(what the origin can ever emit, what the destination can ever absorb,
    all that the sinks of the commodity can take); ``link_origin`` / ``link_dest`` are
    true where ``ub`` is below the end site's own bound, so ``x ≤ ub · y`` is tighter
    than the capacity row (``docs/model.md``, *Strong linking*).

    Parameters
    ----------
    arcs
        Arc table.
    t
        The validated tables.
    sites
        From :func:`model_sites` (``cap_max``).

    Returns
    -------
    pandas.DataFrame
        A copy of ``arcs`` with ``ub``, ``link_origin`` and ``link_dest``.
    """
    arcs = arcs.copy()
    sup = t.suppliers
    supply = pd.Series(sup["supply"].to_numpy(), index=key(sup["site_id"], sup["commodity"]))
    okey = key(arcs["origin"], arcs["commodity"])
    is_sup = (arcs["otype"] == SUPPLIER).to_numpy()
    cap = dict(zip(sites["site_id"], sites["cap_max"], strict=True))
    # what the origin can ever emit, and what the destination can ever absorb
    cap_o = arcs["origin"].map(cap).to_numpy(dtype=float)
    cap_d = arcs["destination"].map(cap).to_numpy(dtype=float)
    emit = np.where(is_sup, supply.reindex(okey).to_numpy(dtype=float), cap_o)
    dem = t.markets
    demand = pd.Series(dem["demand"].to_numpy(), index=key(dem["site_id"], dem["commodity"]))
    dkey = key(arcs["destination"], arcs["commodity"])
    is_mk = (arcs["dtype"] == MARKET).to_numpy()
    rmax = pd.Series(dtype=float)
    if len(t.bom):
        b = t.bom.assign(r=t.bom["quantity"] / t.bom["yield"])
        rmax = b.groupby(["type", "input"])["r"].max()
        rmax.index = [f"{a}{SEP}{c}" for a, c in rmax.index]
    r_d = rmax.reindex(key(arcs["dtype"], arcs["commodity"])).to_numpy(dtype=float)
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
            T, k = str(key).split(SEP)
            out[k] += float(cap_by_type.get(T, 0.0)) * float(r)
    return out
