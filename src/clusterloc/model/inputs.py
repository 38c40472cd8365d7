"""Model inputs: the tables the optimization engine reads.

This module is the seam between the scenario layer (which builds these tables from
scenario files and road networks) and the engine (:mod:`clusterloc.model`). The
engine never looks at where a number came from: lanes may hold road distances from
OpenStreetMap or explicit costs from a benchmark file.

Column contract (extra columns are allowed and ignored):

``commodities``
    ``commodity`` (str, unique), ``unit`` (str), ``weight_t`` (tonnes per unit),
    ``rate_per_tkm`` (currency per tonne-km), ``rate_per_unit_km`` (currency per
    unit-km), ``co2_kg_per_tkm`` (kg CO2 per tonne-km), ``value`` (currency per unit,
    used by a local-content floor on value).
``links``
    ``from_type``, ``to_type``: the echelon links allowed. ``"supplier"`` and
    ``"market"`` are the reserved end points; every other name is a facility type.
    Optional ``commodity``: restricts the link to one commodity (empty = any).
``suppliers``
    ``site_id``, ``commodity``, ``supply`` (units per period, may be ``inf``),
    ``cost_per_unit`` (purchase cost, default 0), ``domestic`` (bool).
``markets``
    ``site_id``, ``commodity``, ``demand`` (units per period).
``facilities``
    ``site_id`` (unique), ``type``, ``fixed_cost`` (per period), ``capacity``
    (throughput: units of output per period), ``handling_cost`` (per unit of
    throughput), ``status`` (``existing`` = must stay open, ``candidate``,
    ``closed``), ``tags`` (``;``-separated free-form labels).
``levels`` (optional)
    ``site_id``, ``level`` (str), ``fixed_cost``, ``capacity``: discrete sizes; a
    site with levels opens at most one of them, replacing its own fixed cost and
    capacity.
``bom`` (optional)
    ``type`` (facility type), ``output`` (commodity), ``input`` (commodity),
    ``quantity`` (units of input per unit of output), ``yield`` (share of good
    output, default 1; input needed = quantity / yield). A facility type with no
    BOM rows passes commodities through unchanged (a warehouse).
``lanes``
    ``origin``, ``destination`` (site ids), ``km``, ``hours``. Optional
    ``cost_per_unit``: explicit transport cost per unit on that lane for every
    commodity (overrides rate x km; benchmark instances use this). Optional
    ``commodity``: the lane row applies to that commodity only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from clusterloc.constants import MARKET, SUPPLIER

__all__ = [
    "MARKET",
    "SITE_STATUSES",
    "SUPPLIER",
    "ModelInputs",
    "Policy",
]

SITE_STATUSES = ("existing", "candidate", "closed")


@dataclass
class Policy:
    """Policy settings and limits applied on top of the network and costs.

    Attributes
    ----------
    min_open, max_open
        Minimum / maximum number of open sites per facility type.
    budget
        Upper bound on the fixed cost of *candidate* sites opened (existing sites
        are sunk), after subsidies.
    max_service_km, max_service_hours
        Lanes into markets longer than this are not generated.
    local_content_share
        Floor on the share of plant input (by ``local_content_basis``) that comes
        from domestic suppliers or from facilities in the cluster.
    local_content_types
        Facility types the floor applies to (default ``["plant"]``).
    local_content_basis
        ``"weight"`` (tonnes) or ``"value"`` (commodity ``value``).
    co2_price
        Currency per tonne of CO2, added to the objective.
    co2_cap
        Upper bound on tonnes of CO2 from transport.
    unmet_penalty
        Currency per unit of unmet demand; ``None`` means demand must be met.
    single_sourcing
        Each market is served by exactly one origin per commodity.
    fixed_cost_subsidy
        Share of fixed cost waived for sites carrying a tag, e.g. ``{"sez": 0.3}``.
    """

    min_open: dict[str, int] = field(default_factory=dict)
    max_open: dict[str, int] = field(default_factory=dict)
    budget: float | None = None
    max_service_km: float | None = None
    max_service_hours: float | None = None
    local_content_share: float | None = None
    local_content_types: list[str] = field(default_factory=lambda: ["plant"])
    local_content_basis: str = "weight"
    co2_price: float = 0.0
    co2_cap: float | None = None
    unmet_penalty: float | None = None
    single_sourcing: bool = False
    fixed_cost_subsidy: dict[str, float] = field(default_factory=dict)


@dataclass
class ModelInputs:
    """All tables and settings of one location model instance.

    See the module docstring for the column contract of each table.
    """

    commodities: pd.DataFrame
    links: pd.DataFrame
    suppliers: pd.DataFrame
    markets: pd.DataFrame
    facilities: pd.DataFrame
    lanes: pd.DataFrame
    bom: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["type", "output", "input", "quantity", "yield"]
        )
    )
    levels: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["site_id", "level", "fixed_cost", "capacity"])
    )
    policy: Policy = field(default_factory=Policy)
    name: str = "model"
