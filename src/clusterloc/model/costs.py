"""Money and CO2 per arc: what one unit of flow on each arc costs and emits.

Road distances and times come priced in km / hours from the network stage
(:func:`clusterloc.network.lanes.lane_table`); this module turns them into the model's
per-unit coefficients (``docs/model.md``, *Objective*):

- ``transport_unit`` — the lane's explicit ``cost_per_unit``, else
  km × (weight × rate_per_tkm + rate_per_unit_km);
- ``co2_unit`` — tonnes of CO2: weight × km × co2_kg_per_tkm / 1000;
- ``purchase_unit`` — the supplier's price on arcs out of a supplier;
- ``handling_unit`` — handling at the BOM origin and at the pass-through destination;
- ``weight_t`` and ``local`` (a domestic supplier or any facility) for reports and the
  local-content rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterloc.model.arcs import key
from clusterloc.model.inputs import MARKET, SUPPLIER
from clusterloc.model.validation import CleanTables

__all__ = ["arc_costs"]


def arc_costs(arcs: pd.DataFrame, t: CleanTables, sites: pd.DataFrame) -> pd.DataFrame:
    """Per-unit money and CO2 of every arc (vectorised).

    Parameters
    ----------
    arcs
        From :func:`clusterloc.model.arcs.make_arcs`.
    t
        The validated tables.
    sites
        From :func:`clusterloc.model.arcs.model_sites` (``handling_cost``).

    Returns
    -------
    pandas.DataFrame
        A copy of ``arcs`` with ``weight_t``, ``transport_unit``, ``co2_unit``,
        ``purchase_unit``, ``local`` and ``handling_unit``.
    """
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
    skey = key(sup["site_id"], sup["commodity"])
    okey = key(arcs["origin"], arcs["commodity"])
    price = pd.Series(sup["cost_per_unit"].to_numpy(), index=skey)
    domestic = pd.Series(sup["domestic"].to_numpy(), index=skey)
    is_sup = (arcs["otype"] == SUPPLIER).to_numpy()
    arcs["purchase_unit"] = np.where(is_sup, price.reindex(okey).fillna(0.0).to_numpy(), 0.0)
    arcs["local"] = np.where(
        is_sup, domestic.reindex(okey).fillna(False).to_numpy(dtype=bool), True
    )

    handling = dict(zip(sites["site_id"], sites["handling_cost"], strict=True))
    o_bom = arcs["otype"].isin(t.bom_types).to_numpy()
    d_pass = ((arcs["dtype"] != MARKET) & ~arcs["dtype"].isin(t.bom_types)).to_numpy()
    h_o = arcs["origin"].map(handling).fillna(0.0).to_numpy()
    h_d = arcs["destination"].map(handling).fillna(0.0).to_numpy()
    arcs["handling_unit"] = np.where(o_bom, h_o, 0.0) + np.where(d_pass, h_d, 0.0)
    return arcs
