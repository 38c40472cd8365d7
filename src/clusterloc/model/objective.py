"""The objective of the location model: total cost of one period."""

from __future__ import annotations

import numpy as np
import pulp

from clusterloc.model.frame import ModelFrame, Terms

__all__ = [
    "define_objective",
    "fixed_cost_objective_terms",
    "flow_cost_terms",
    "unmet_cost_terms",
]


def define_objective(frame: ModelFrame) -> None:
    r"""Minimise fixed + transport + handling + purchase + CO2 + unmet cost.

    .. math::

        \min \sum_f (1-\sigma_f)\Phi_f
             + \sum_A (t_{abk} + h_{abk} + p_{abk} + \pi e_{abk})\, x_{abk}
             + \rho \sum u_{mk}

    with per-unit transport :math:`t`, handling :math:`h`, purchase :math:`p` and CO2
    :math:`e` of each arc (:mod:`clusterloc.model.costs`), CO2 price :math:`\pi` and
    unmet penalty :math:`\rho`.

    Parameters
    ----------
    frame
        The build state (after every variable family).
    """
    terms = flow_cost_terms(frame) + fixed_cost_objective_terms(frame) + unmet_cost_terms(frame)
    frame.problem.setObjective(pulp.LpAffineExpression(terms))


def flow_cost_terms(frame: ModelFrame) -> Terms:
    """The per-unit cost of every arc with flow: (transport + handling + purchase + CO2) x flow.

    Parameters
    ----------
    frame
        The build state (after the flow variables).

    Returns
    -------
    list of (variable, coefficient)
    """
    arcs = frame.arcs
    pol = frame.tables.policy
    co2 = arcs["co2_unit"].to_numpy()
    coef = (
        arcs["transport_unit"].to_numpy()
        + arcs["handling_unit"].to_numpy()
        + arcs["purchase_unit"].to_numpy()
        + float(pol.co2_price) * co2
    )
    return [(frame.flows[i], float(coef[i])) for i in np.flatnonzero(coef)]


def fixed_cost_objective_terms(frame: ModelFrame) -> Terms:
    """Fixed cost (after subsidy) of every site in the model, on its open/level binaries.

    Parameters
    ----------
    frame
        The build state (after the open and level variables).

    Returns
    -------
    list of (variable, coefficient)
    """
    terms: Terms = []
    for sid in frame.site_ids:
        terms += frame.fixed_cost_terms(sid)
    return terms


def unmet_cost_terms(frame: ModelFrame) -> Terms:
    """The penalty of unmet demand (empty when unmet demand is not allowed).

    Parameters
    ----------
    frame
        The build state (after the demand rows, which create the unmet variables).

    Returns
    -------
    list of (variable, coefficient)
    """
    if not frame.unmet_allowed:
        return []
    penalty = float(frame.tables.policy.unmet_penalty or 0.0)
    return [(v, penalty) for v in frame.unmet.values()]
