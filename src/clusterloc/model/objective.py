"""The objective of the location model: total cost of one period."""

from __future__ import annotations

import numpy as np
import pulp

from clusterloc.model.frame import ModelFrame, Terms

__all__ = ["define_objective"]


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
    arcs = frame.arcs
    pol = frame.tables.policy
    co2 = arcs["co2_unit"].to_numpy()
    coef = (
        arcs["transport_unit"].to_numpy()
        + arcs["handling_unit"].to_numpy()
        + arcs["purchase_unit"].to_numpy()
        + float(pol.co2_price) * co2
    )
    terms: Terms = [(frame.flows[i], float(coef[i])) for i in np.flatnonzero(coef)]
    for sid in frame.site_ids:
        terms += frame.fixed_cost_terms(sid)
    if frame.unmet_allowed:
        penalty = float(pol.unmet_penalty or 0.0)
        terms += [(v, penalty) for v in frame.unmet.values()]
    frame.problem.setObjective(pulp.LpAffineExpression(terms))
