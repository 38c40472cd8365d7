"""Constants shared by every stage: the coordinate system, solve statuses, site roles.

Like ``linopy.constants``: the names the stages agree on, in the one module at the
bottom of the import graph (it imports nothing from clusterloc).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "GRAPH_CRS",
    "MARKET",
    "SUPPLIER",
    "WGS84",
    "SolveStatus",
]

#: Longitude/latitude on WGS 84: the CRS of every coordinate, table and layer.
WGS84 = "EPSG:4326"
#: The same CRS as osmnx writes it into ``G.graph["crs"]`` of a road graph.
GRAPH_CRS = WGS84.lower()

#: Site type of suppliers (sources of commodities).
SUPPLIER = "supplier"
#: Site type of markets (sinks with demand).
MARKET = "market"


class SolveStatus(StrEnum):
    """What a solve proved. Members compare equal to their strings (``"optimal"``)."""

    OPTIMAL = "optimal"
    """A solution proven optimal within the gap tolerance (≤ 1e-4 by default)."""
    FEASIBLE = "feasible"
    """A solution whose optimality was not proven (see gap and best bound)."""
    INFEASIBLE = "infeasible"
    """No solution exists."""
    NO_SOLUTION = "no_solution"
    """A limit was hit before any solution was found."""

    @property
    def has_solution(self) -> bool:
        """True for :attr:`OPTIMAL` and :attr:`FEASIBLE`."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
