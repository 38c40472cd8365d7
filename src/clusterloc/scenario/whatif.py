"""Apply a scenario's ``whatif`` section to its checked tables and priced lanes.

The adjustments come after the lanes are priced, so every what-if variant of a scenario
shares its road network and lane table (a sweep builds them once). A closed site leaves
the site table together with its supply rows and lanes; demand, cost and rate
multipliers scale the table cells.
"""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd

from clusterloc.errors import ScenarioError
from clusterloc.scenario.schema import MARKET, SUPPLIER, WhatIfSpec
from clusterloc.scenario.tables import ScenarioTables

log = logging.getLogger(__name__)

__all__ = ["apply_whatif", "market_tags"]


def market_tags(sites: pd.DataFrame) -> dict[str, set[str]]:
    """Tags of each market: its ``tags`` labels and its ``region`` value (if any).

    Parameters
    ----------
    sites
        The site table.

    Returns
    -------
    dict
        Market ``site_id`` to its set of tags.
    """
    markets = sites[sites["type"] == MARKET]
    out: dict[str, set[str]] = {}
    regions = markets["region"] if "region" in markets.columns else None
    for i, (site_id, tags) in enumerate(zip(markets["site_id"], markets["tags"], strict=True)):
        labels = {t.strip() for t in str(tags or "").split(";") if t.strip()}
        if regions is not None:
            region = regions.iloc[i]
            if isinstance(region, str) and region.strip():
                labels.add(region.strip())
        out[str(site_id)] = labels
    return out


def _demand_factors(spec: WhatIfSpec, sites: pd.DataFrame, where: str) -> dict[str, float]:
    tags = market_tags(sites)
    for market in spec.demand_scale_by_market:
        if market not in tags:
            raise ScenarioError(
                f"scenario {where}: whatif.demand_scale_by_market: '{market}' is not a market."
            )
    known = set().union(*tags.values()) if tags else set()
    for tag in spec.demand_scale_by_tag:
        if tag not in known:
            raise ScenarioError(
                f"scenario {where}: whatif.demand_scale_by_tag: no market has tag or region "
                f"'{tag}'."
            )
    factors: dict[str, float] = {}
    for market, labels in tags.items():
        factor = spec.demand_scale
        for tag, mult in spec.demand_scale_by_tag.items():
            if tag in labels:
                factor *= mult
        factor *= spec.demand_scale_by_market.get(market, 1.0)
        factors[market] = factor
    return factors


def apply_whatif(
    tables: ScenarioTables, lanes: pd.DataFrame, spec: WhatIfSpec, *, where: str = "scenario"
) -> tuple[ScenarioTables, pd.DataFrame]:
    """The tables and lanes of a scenario with its what-if adjustments applied.

    Parameters
    ----------
    tables
        Checked tables (not modified).
    lanes
        The priced lane table (not modified).
    spec
        The scenario's ``whatif`` section.
    where
        The scenario file, for error messages.

    Returns
    -------
    tables, lanes
        New objects; the inputs themselves when ``spec`` changes nothing.

    Raises
    ------
    ScenarioError
        A closed site, market or tag that the tables do not have, or a closed market.
    """
    if spec.is_identity():
        return tables, lanes
    sites = tables.sites
    types = dict(zip(sites["site_id"].astype(str), sites["type"].astype(str), strict=True))
    for site in spec.closed:
        if site not in types:
            raise ScenarioError(f"scenario {where}: whatif.closed: unknown site '{site}'.")
        if types[site] == MARKET:
            raise ScenarioError(
                f"scenario {where}: whatif.closed: '{site}' is a market; scale its demand "
                "with whatif.demand_scale_by_market instead."
            )
    closed = set(spec.closed)
    factors = _demand_factors(spec, sites, where)

    new_sites = sites[~sites["site_id"].isin(closed)].copy()
    if spec.fixed_cost_scale != 1.0 and "fixed_cost" in new_sites.columns:
        new_sites["fixed_cost"] = new_sites["fixed_cost"].astype(float) * spec.fixed_cost_scale
    if spec.handling_cost_scale != 1.0 and "handling_cost" in new_sites.columns:
        new_sites["handling_cost"] = (
            new_sites["handling_cost"].astype(float) * spec.handling_cost_scale
        )
    supply = tables.supply[~tables.supply["site_id"].isin(closed)].copy()
    if spec.purchase_cost_scale != 1.0 and "cost_per_unit" in supply.columns:
        supply["cost_per_unit"] = supply["cost_per_unit"].astype(float) * spec.purchase_cost_scale
    demand = tables.demand.copy()
    demand["demand"] = demand["demand"].astype(float) * demand["site_id"].astype(str).map(
        factors
    ).fillna(1.0)
    commodities = tables.commodities.copy()
    if spec.transport_scale != 1.0:
        for col in ("rate_per_tkm", "rate_per_unit_km"):
            if col in commodities.columns:
                commodities[col] = commodities[col].astype(float) * spec.transport_scale
    new_lanes = lanes
    if closed:
        keep = ~(lanes["origin"].isin(closed) | lanes["destination"].isin(closed))
        new_lanes = lanes[keep].reset_index(drop=True)
    closed_suppliers = sorted(s for s in closed if types[s] == SUPPLIER)
    log.info(
        "what-if: %d site(s) closed (%d supplier), demand x%.4g national",
        len(closed),
        len(closed_suppliers),
        spec.demand_scale,
    )
    out = dataclasses.replace(
        tables,
        sites=new_sites.reset_index(drop=True),
        supply=supply.reset_index(drop=True),
        demand=demand,
        commodities=commodities,
    )
    return out, new_lanes
