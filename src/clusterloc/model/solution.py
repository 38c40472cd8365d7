"""The result of one solve: status, costs, open sites, flows, service, timings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from clusterloc.constants import SolveStatus
from clusterloc.errors import InfeasibleError, NoSolutionError
from clusterloc.jsonsafe import json_ready

__all__ = [
    "COST_TERMS",
    "Solution",
]

COST_TERMS = ("fixed", "transport", "handling", "purchase", "co2", "unmet")

_OPEN_COLUMNS = ["site_id", "type", "level", "capacity", "throughput", "utilization", "fixed_cost"]
_FLOW_COLUMNS = [
    "origin", "destination", "commodity", "quantity", "tonnes", "km", "hours",
    "transport_cost", "co2_t",
]  # fmt: skip
_UNMET_COLUMNS = ["site_id", "commodity", "demand", "unmet"]


@dataclass
class Solution:
    """What the solver found, in tables a person can read.

    Attributes
    ----------
    status
        A :class:`~clusterloc.constants.SolveStatus` (a string given is converted):
        ``optimal`` (proven, gap ≤ 1e-4), ``feasible`` (a solution whose optimality
        was not proven: see ``gap`` and ``best_bound``), ``infeasible`` or
        ``no_solution`` (a limit was hit before any solution was found).
    objective, best_bound, gap
        Objective of the solution, proven lower bound, relative gap.
    costs
        ``{fixed, transport, handling, purchase, co2, unmet}``; they add up to the
        objective.
    open_sites
        site_id, type, level, capacity, throughput, utilization, fixed_cost.
    flows
        origin, destination, commodity, quantity, tonnes, km, hours,
        transport_cost, co2_t (only lanes with flow).
    unmet
        site_id, commodity, demand, unmet (markets not fully served).
    co2_t
        Tonnes of CO2 from transport.
    service
        Demand-weighted ``avg_km``, ``avg_hours`` and ``max_km``, ``max_hours`` over
        flows into markets.
    seconds
        ``{build, solve}`` wall-clock seconds; ``build`` covers validation, arcs, checks
        and the PuLP problem, ``solve`` the reductions, a warm start and the solver run.
    solver
        ``{name, version}``.
    diagnosis
        Plain-language findings (pre-solve warnings; after an infeasible solve the
        binding causes first).
    causes
        Machine-readable causes of infeasibility (dicts with a ``kind`` key).
    """

    status: SolveStatus
    objective: float | None = None
    best_bound: float | None = None
    gap: float | None = None
    costs: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COST_TERMS, 0.0))
    open_sites: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_OPEN_COLUMNS))
    flows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_FLOW_COLUMNS))
    unmet: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_UNMET_COLUMNS))
    co2_t: float = 0.0
    service: dict[str, float] = field(
        default_factory=lambda: {"avg_km": 0.0, "max_km": 0.0, "avg_hours": 0.0, "max_hours": 0.0}
    )
    seconds: dict[str, float] = field(default_factory=dict)
    solver: dict[str, str] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    causes: list[dict[str, Any]] = field(default_factory=list)
    name: str = "model"
    message: str = ""

    def __post_init__(self) -> None:
        self.status = SolveStatus(self.status)

    @property
    def has_solution(self) -> bool:
        """True when the solution tables hold a solution (optimal or feasible)."""
        return self.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)

    def raise_for_status(self) -> Solution:
        """Return ``self`` if a solution exists, else raise.

        Returns
        -------
        Solution
            ``self``, when it holds a solution.

        Raises
        ------
        InfeasibleError
            The model has no feasible solution; ``causes`` lists the binding causes.
        NoSolutionError
            The solver stopped at a limit before finding any solution.
        """
        if self.status == SolveStatus.INFEASIBLE:
            head = self.diagnosis[0] if self.diagnosis else "no cause could be isolated"
            more = f" (+{len(self.causes) - 1} more cause(s))" if len(self.causes) > 1 else ""
            raise InfeasibleError(f"Model '{self.name}' is infeasible: {head}{more}", self.causes)
        if self.status == SolveStatus.NO_SOLUTION:
            raise NoSolutionError(
                f"Model '{self.name}': the solver stopped ({self.message or 'limit reached'}) "
                "before finding any feasible solution; raise the time limit."
            )
        return self

    def summary(self) -> dict[str, Any]:
        """Plain JSON-able summary (deterministic apart from ``seconds``).

        Returns
        -------
        dict
            Status, objective, bound, gap, cost terms, CO2, service, open sites, counts,
            solver, seconds, diagnosis and causes.
        """
        sites = [
            {k: json_ready(v, 9) for k, v in row.items()}
            for row in self.open_sites.to_dict(orient="records")
        ]
        unmet_total = float(self.unmet["unmet"].sum()) if len(self.unmet) else 0.0
        return {
            "name": self.name,
            "status": str(self.status),
            "objective": json_ready(self.objective, 9),
            "best_bound": json_ready(self.best_bound, 9),
            "gap": json_ready(self.gap, 9),
            "costs": {k: json_ready(float(self.costs.get(k, 0.0)), 9) for k in COST_TERMS},
            "co2_t": json_ready(float(self.co2_t), 9),
            "service": {k: json_ready(float(v), 9) for k, v in self.service.items()},
            "open_sites": sites,
            "n_open": len(sites),
            "n_flows": len(self.flows),
            "unmet_total": json_ready(unmet_total, 9),
            "solver": dict(self.solver),
            "seconds": {k: json_ready(float(v), 4) for k, v in self.seconds.items()},
            "diagnosis": list(self.diagnosis),
            "causes": [{k: json_ready(v, 9) for k, v in c.items()} for c in self.causes],
        }
