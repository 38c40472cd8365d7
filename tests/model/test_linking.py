"""Link separation (strong-linking rows separated, LP-rounding start, exact fixing).

Every check compares against the plain model solved to proven optimality by HiGHS:
the optimum must be the same, and the solution must satisfy every strong-linking
row, including those the step left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from clusterloc.model import LocationModel, ModelInputs, Policy, make_solver, solve_model
from clusterloc.model.rows import RowPrefix
from clusterloc.model.speedups.linking import LinkSeparation


def two_echelon(seed: int, **policy: Any) -> ModelInputs:
    """Supplier → 5 plants → 12 warehouses → 60 markets on random points, tight capacities."""
    rng = np.random.default_rng(seed)
    n_p, n_w, n_m = 5, 12, 60
    pts = {f"P{i}": rng.uniform(0, 100, 2) for i in range(n_p)}
    pts |= {f"W{i}": rng.uniform(0, 100, 2) for i in range(n_w)}
    pts |= {f"M{i}": rng.uniform(0, 100, 2) for i in range(n_m)}
    pts["S"] = np.array([50.0, 50.0])
    demand = rng.integers(5, 30, n_m).astype(float)
    total = float(demand.sum())
    lanes = [
        (o, d)
        for o, ds in (
            ("S", [f"P{i}" for i in range(n_p)]),
            *((f"P{i}", [f"W{j}" for j in range(n_w)]) for i in range(n_p)),
            *((f"W{j}", [f"M{k}" for k in range(n_m)]) for j in range(n_w)),
        )
        for d in ds
    ]
    km = [float(np.hypot(*(pts[o] - pts[d]))) + 1.0 for o, d in lanes]
    facilities = pd.DataFrame(
        {
            "site_id": [f"P{i}" for i in range(n_p)] + [f"W{j}" for j in range(n_w)],
            "type": ["plant"] * n_p + ["warehouse"] * n_w,
            "fixed_cost": list(rng.uniform(3000, 6000, n_p)) + list(rng.uniform(800, 1600, n_w)),
            "capacity": list(rng.uniform(0.4, 0.6, n_p) * total)
            + list(rng.uniform(0.15, 0.3, n_w) * total),
            "handling_cost": [1.0] * n_p + [0.5] * n_w,
            "status": ["candidate"] * (n_p + n_w),
            "tags": [""] * (n_p + n_w),
        }
    )
    return ModelInputs(
        commodities=pd.DataFrame(
            {"commodity": ["car"], "unit": ["car"], "weight_t": [1.0], "rate_per_tkm": [1.0]}
        ),
        links=pd.DataFrame(
            {
                "from_type": ["supplier", "plant", "warehouse"],
                "to_type": ["plant", "warehouse", "market"],
            }
        ),
        suppliers=pd.DataFrame({"site_id": ["S"], "commodity": ["car"], "supply": [np.inf]}),
        markets=pd.DataFrame(
            {"site_id": [f"M{k}" for k in range(n_m)], "commodity": "car", "demand": demand}
        ),
        facilities=facilities,
        lanes=pd.DataFrame(
            {
                "origin": [o for o, _ in lanes],
                "destination": [d for _, d in lanes],
                "km": km,
                "hours": [k / 60 for k in km],
            }
        ),
        policy=Policy(**policy),
        name=f"two_echelon_{seed}",
    )


def solve_both(inputs: ModelInputs) -> tuple[Any, Any, LinkSeparation, LocationModel]:
    plain = solve_model(LocationModel.from_inputs(inputs), make_solver(gap=1e-9), explain=False)
    model = LocationModel.from_inputs(inputs)
    model.build()
    solver = make_solver(gap=1e-9)
    step = LinkSeparation(solver)
    sol = solve_model(model, solver, reductions=[step], explain=False)
    return plain, sol, step, model


def assert_links_hold(model: LocationModel, sol: Any) -> None:
    """Every arc's flow obeys x ≤ U·y at both facility ends (the rows left out too)."""
    flows = sol.flows.set_index(["origin", "destination", "commodity"])["quantity"]
    opened = set(sol.open_sites["site_id"])
    arcs = model.arcs
    for row in arcs.itertuples():
        q = float(flows.get((row.origin, row.destination, row.commodity), 0.0))
        if row.link_origin:
            assert q <= row.ub * (row.origin in opened) + 1e-6
        if row.link_dest:
            assert q <= row.ub * (row.destination in opened) + 1e-6


@pytest.mark.parametrize(
    "policy",
    [{}, {"max_open": {"warehouse": 4}}, {"single_sourcing": True}, {"unmet_penalty": 400.0}],
    ids=["plain", "max_open", "single_sourcing", "unmet"],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_same_optimum_as_plain_model(seed: int, policy: dict[str, Any]) -> None:
    plain, sol, step, model = solve_both(two_echelon(seed, **policy))
    assert plain.status == sol.status == "optimal"
    assert abs(sol.objective - plain.objective) <= 1e-6 * abs(plain.objective)
    rep = step.report
    assert rep.applied, rep.reason
    assert 0 < rep.links_kept < rep.links
    kept = [n for n in model.problem._constraints if n.startswith(str(RowPrefix.LINK_ORIGIN))]
    assert len(kept) <= rep.links_kept
    assert rep.lower_bound is not None and rep.lower_bound <= plain.objective * (1 + 1e-9)
    if rep.start_objective is not None:
        assert rep.start_objective >= plain.objective * (1 - 1e-9)
    assert_links_hold(model, sol)


def test_bom_chain_hand_checked(chain: Callable[..., ModelInputs]) -> None:
    plain, sol, _step, model = solve_both(chain())
    assert sol.objective == pytest.approx(325.0)
    assert plain.objective == pytest.approx(325.0)
    assert set(sol.open_sites["site_id"]) == {"P1", "W1"}
    assert_links_hold(model, sol)


def test_fixing_never_cuts_the_optimum() -> None:
    """Sites fixed by reduced costs are closed in the plain model's optimum as well."""
    for seed in (4, 5):
        plain, sol, step, _ = solve_both(two_echelon(seed))
        assert step.report.fixed_closed + step.report.fixed_open > 0
        assert abs(sol.objective - plain.objective) <= 1e-6 * abs(plain.objective)
