"""The shared state of one model build: problem, tables, arc indices and variables.

:class:`ModelFrame` is handed to every ``define_*`` function of
:mod:`clusterloc.model.variables`, :mod:`clusterloc.model.constraints` and
:mod:`clusterloc.model.objective`; each adds its family to ``frame.problem`` and, for
variables, records them on the frame. The arc columns are held once as numpy arrays
and ``groupby`` indices so each family is grown in time linear in the number of arcs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pulp

from clusterloc.model.validation import CleanTables

__all__ = ["LevelTerm", "ModelFrame"]

#: ``(level binary, level capacity, level fixed cost)`` of one capacity level.
LevelTerm = tuple[pulp.LpVariable, float, float]
#: ``[(variable, coefficient), ...]`` of a linear expression.
Terms = list[tuple[pulp.LpVariable, float]]


def _indices(arcs: pd.DataFrame, keys: list[str] | str) -> dict[Any, np.ndarray]:
    if not len(arcs):
        return {}
    groups = arcs.groupby(keys, sort=True).indices
    return {k: np.asarray(v) for k, v in groups.items()}


@dataclass
class ModelFrame:
    """Everything the variable and constraint families of one build share.

    Attributes
    ----------
    problem
        The PuLP problem being built.
    tables
        The validated inputs.
    arcs
        One row per flow variable (costs and bounds priced).
    sites
        The facilities in the model (closed excluded).
    mandatory
        Least throughput per facility type (aggregate capacity cut).
    origin, destination, commodity, origin_type, dest_type, bound
        Arc columns as numpy arrays (``bound`` is ``ub``).
    into, out_of
        ``(site, commodity)`` → arc numbers entering / leaving.
    into_site, out_of_site
        ``site`` → arc numbers entering / leaving.
    site_ids, site_number, site_type, site_capacity
        The sites in model order and their number, type and capacity.
    keep, fixed_effective
        Per site the share of fixed cost left after subsidy (``1 - σ_f``) and the
        fixed cost after subsidy.
    flows, open, levels, levels_of, unmet, assign
        The variables, filled by :mod:`clusterloc.model.variables` (``unmet`` and
        ``assign`` by the demand family, whose rows they belong to).
    """

    problem: pulp.LpProblem
    tables: CleanTables
    arcs: pd.DataFrame
    sites: pd.DataFrame
    mandatory: dict[str, float]
    origin: np.ndarray = field(init=False)
    destination: np.ndarray = field(init=False)
    commodity: np.ndarray = field(init=False)
    origin_type: np.ndarray = field(init=False)
    dest_type: np.ndarray = field(init=False)
    bound: np.ndarray = field(init=False)
    into: dict[Any, np.ndarray] = field(init=False)
    out_of: dict[Any, np.ndarray] = field(init=False)
    into_site: dict[Any, np.ndarray] = field(init=False)
    out_of_site: dict[Any, np.ndarray] = field(init=False)
    site_ids: list[str] = field(init=False)
    site_number: dict[str, int] = field(init=False)
    site_type: dict[str, str] = field(init=False)
    site_capacity: dict[str, float] = field(init=False)
    keep: dict[str, float] = field(init=False)
    fixed_effective: dict[str, float] = field(init=False)
    flows: list[pulp.LpVariable] = field(default_factory=list)
    open: dict[str, pulp.LpVariable] = field(default_factory=dict)
    levels: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    levels_of: dict[str, list[LevelTerm]] = field(default_factory=dict)
    unmet: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    assign: dict[tuple[str, str, str], pulp.LpVariable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        arcs = self.arcs
        self.origin = np.asarray(arcs["origin"].tolist(), dtype=object)
        self.destination = np.asarray(arcs["destination"].tolist(), dtype=object)
        self.commodity = np.asarray(arcs["commodity"].tolist(), dtype=object)
        self.origin_type = np.asarray(arcs["otype"].tolist(), dtype=object)
        self.dest_type = np.asarray(arcs["dtype"].tolist(), dtype=object)
        self.bound = arcs["ub"].to_numpy()
        self.into = _indices(arcs, ["destination", "commodity"])
        self.out_of = _indices(arcs, ["origin", "commodity"])
        self.into_site = _indices(arcs, "destination")
        self.out_of_site = _indices(arcs, "origin")
        sites = self.sites
        self.site_ids = sites["site_id"].tolist()
        self.site_number = {s: j for j, s in enumerate(self.site_ids)}
        self.site_type = dict(zip(sites["site_id"], sites["type"], strict=True))
        self.site_capacity = dict(zip(sites["site_id"], sites["capacity"], strict=True))
        self.keep = dict(zip(sites["site_id"], 1.0 - sites["subsidy"], strict=True))
        effective = sites["fixed_cost"] * (1.0 - sites["subsidy"])
        self.fixed_effective = dict(zip(sites["site_id"], effective, strict=True))

    @property
    def unmet_allowed(self) -> bool:
        """True when the policy prices unmet demand instead of forbidding it."""
        return self.tables.policy.unmet_penalty is not None

    def add_row(self, terms: Terms, sense: int, rhs: float, name: str) -> None:
        """Add the row ``Σ coefficient · variable  (sense)  rhs`` named ``name``.

        Parameters
        ----------
        terms
            ``[(variable, coefficient), ...]``.
        sense
            ``pulp.LpConstraintLE`` / ``EQ`` / ``GE``.
        rhs
            Right-hand side.
        name
            Row name (see :mod:`clusterloc.model.rows`).
        """
        self.problem.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, rhs=rhs), name
        )

    def capacity_terms(self, site: str, sign: float = 1.0) -> Terms:
        """``C_f y_f`` or ``Σ_l C_fl z_fl`` of a site, times ``sign``.

        Parameters
        ----------
        site
            Site id.
        sign
            ``-1.0`` to move the capacity to the left-hand side.

        Returns
        -------
        list of (variable, coefficient)
        """
        if site in self.levels_of:
            return [(v, sign * cap) for v, cap, _ in self.levels_of[site]]
        return [(self.open[site], sign * float(self.site_capacity[site]))]

    def fixed_cost_terms(self, site: str) -> Terms:
        """``(1-σ_f) F_f y_f`` or ``Σ_l (1-σ_f) F_fl z_fl`` of a site.

        Parameters
        ----------
        site
            Site id.

        Returns
        -------
        list of (variable, coefficient)
        """
        if site in self.levels_of:
            return [(v, fixed * self.keep[site]) for v, _, fixed in self.levels_of[site]]
        return [(self.open[site], float(self.fixed_effective[site]))]
