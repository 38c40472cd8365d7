"""Names of the model's rows and columns: one prefix per constraint or variable family.

Every row of the PuLP problem is named ``<prefix><number>``; the numbers are positions
(arc number, site number in ``model.sites``, row of a table, index of a facility type
in ``tables.facility_types`` or of a commodity in ``tables.commodities``). The table of
prefixes with their math is in ``docs/model.md`` (section *Row and column names*);
:class:`RowPrefix` is the one place in code that spells them.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ColumnPrefix", "RowPrefix", "origin_link_name", "row_name"]


class RowPrefix(StrEnum):
    """Prefix of each constraint family's row names."""

    LEVEL = "level_"
    """``level_{site}``: the level binaries of a site add up to its open binary."""
    SUPPLY = "supply_"
    """``supply_{supplier row}``: shipments of a supplier row stay within its supply."""
    DEMAND = "demand_"
    """``demand_{market row}``: deliveries (+ unmet) equal the demand."""
    SINGLE_SOURCE_FLOW = "ss_"
    """``ss_{arc}``: flow into a market only on the arc chosen for it."""
    SINGLE_SOURCE_OPEN = "ssy_"
    """``ssy_{arc}``: an arc may be chosen only if its origin facility is open."""
    SINGLE_SOURCE_ONE = "one_"
    """``one_{market row}``: exactly one (at most one with unmet) arc chosen."""
    BOM = "bom_"
    """``bom_{site}_{input commodity}``: input = Σ quantity/yield × output at a BOM site."""
    FLOW = "flow_"
    """``flow_{site}_{commodity}``: inflow = outflow at a pass-through site."""
    CAPACITY = "cap_"
    """``cap_{site}``: throughput ≤ capacity × open (or Σ level capacities)."""
    LINK_ORIGIN = "lo_"
    """``lo_{arc}``: strong linking x ≤ U · y of the arc's origin facility."""
    LINK_DEST = "ld_"
    """``ld_{arc}``: strong linking x ≤ U · y of the arc's destination facility."""
    AGGREGATE = "agg_"
    """``agg_{type}``: aggregate capacity cut of a type all flow must cross."""
    MIN_OPEN = "min_open_"
    """``min_open_{type}``: at least this many sites of the type open."""
    MAX_OPEN = "max_open_"
    """``max_open_{type}``: at most this many sites of the type open."""
    BUDGET = "budget"
    """``budget``: fixed cost of opened candidate sites ≤ budget (one row)."""
    LOCAL = "local_"
    """``local_{site}``: local-content floor at a site of a local-content type."""
    CO2_CAP = "co2_cap"
    """``co2_cap``: transport CO2 ≤ cap (one row)."""


class ColumnPrefix(StrEnum):
    """Prefix of each variable family's column names."""

    FLOW = "x_"
    """``x_{arc}``: flow on an arc."""
    OPEN = "y_"
    """``y_{site}``: site open."""
    LEVEL = "z_"
    """``z_{site}_{level row}``: site open at a capacity level."""
    UNMET = "u_"
    """``u_{market row}``: unmet demand."""
    ASSIGN = "w_"
    """``w_{arc}``: single-sourcing choice of an arc into a market."""


def row_name(prefix: RowPrefix | ColumnPrefix, *numbers: int) -> str:
    """``prefix`` followed by the numbers joined with ``_``.

    Parameters
    ----------
    prefix
        The family.
    *numbers
        Positions (none for one-row families such as ``budget``).

    Returns
    -------
    str

    Examples
    --------
    >>> row_name(RowPrefix.BOM, 3, 1)
    'bom_3_1'
    """
    return str(prefix) + "_".join(str(n) for n in numbers)


def origin_link_name(arc: int) -> str:
    """Name of the strong-linking row ``x ≤ ub · y_origin`` of arc number ``arc``.

    Parameters
    ----------
    arc
        Position of the arc in ``model.arcs``.

    Returns
    -------
    str
    """
    return row_name(RowPrefix.LINK_ORIGIN, arc)
