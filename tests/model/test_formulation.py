"""The engine finds the optimum worked out by hand on small instances, with HiGHS and CBC."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from clusterloc.model import LocationModel, ModelInputs, find_cbc, make_solver

SOLVERS = [
    "highs",
    pytest.param("cbc", marks=pytest.mark.skipif(find_cbc() is None, reason="no CBC binary")),
]


def _open(sol) -> set[str]:  # type: ignore[no-untyped-def]
    return set(sol.open_sites["site_id"])


@pytest.mark.parametrize("solver", SOLVERS)
def test_three_sites_single_echelon(solver: str) -> None:
    # F1 serves C1 cheaply, F2 serves C3 cheaply, F3 is cheap to open but far from all.
    # F1+F2: 20 fixed + 5*(1+2+1) = 40; F1 alone 70; F3 alone 76; all three 41.
    cost = np.array([[1.0, 2.0, 9.0], [9.0, 2.0, 1.0], [5.0, 5.0, 5.0]])
    model = LocationModel.from_cost_matrix(cost, [10, 10, 1], [100, 100, 100], [5, 5, 5])
    sol = model.solve(make_solver(solver)).raise_for_status()
    assert sol.status == "optimal"
    assert _open(sol) == {"F1", "F2"}
    assert sol.objective == pytest.approx(40.0)
    assert sol.costs["fixed"] == pytest.approx(20.0)
    assert sol.costs["transport"] == pytest.approx(20.0)
    assert sum(sol.costs.values()) == pytest.approx(sol.objective)
    assert sol.best_bound == pytest.approx(40.0)
    assert sol.solver["name"] == solver


def test_cost_basis_total_divides_by_demand() -> None:
    # totals for the whole demand of each customer: per unit 1 and 2
    cost = np.array([[10.0, 40.0]])
    model = LocationModel.from_cost_matrix(cost, [0.0], [100.0], [10.0, 20.0], cost_basis="total")
    sol = model.solve().raise_for_status()
    assert sol.objective == pytest.approx(50.0)


def test_capacity_forces_second_site() -> None:
    # F1 is cheapest for both customers but holds only 6 of the 10 units.
    cost = np.array([[1.0, 1.0], [4.0, 4.0]])
    model = LocationModel.from_cost_matrix(cost, [5.0, 5.0], [6.0, 100.0], [5.0, 5.0])
    sol = model.solve().raise_for_status()
    assert _open(sol) == {"F1", "F2"}
    assert sol.objective == pytest.approx(10 + 6 * 1 + 4 * 4)
    f1 = sol.open_sites.set_index("site_id").loc["F1"]
    assert f1["throughput"] == pytest.approx(6.0)
    assert f1["utilization"] == pytest.approx(1.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_chain_with_bom(chain: Callable[..., ModelInputs], solver: str) -> None:
    sol = LocationModel.from_inputs(chain()).solve(make_solver(solver)).raise_for_status()
    assert sol.status == "optimal"
    assert _open(sol) == {"P1", "W1"}
    assert sol.objective == pytest.approx(325.0)
    assert sol.costs == pytest.approx(
        {
            "fixed": 120.0,
            "transport": 90.0,
            "handling": 15.0,
            "purchase": 100.0,
            "co2": 0.0,
            "unmet": 0.0,
        }
    )
    flows = sol.flows.set_index(["origin", "destination", "commodity"])
    # 10 cars need 10 * 2 / 0.8 = 25 steel, all from the cheap import supplier
    assert flows.loc[("S2", "P1", "steel"), "quantity"] == pytest.approx(25.0)
    assert flows.loc[("P1", "W1", "car"), "quantity"] == pytest.approx(10.0)
    assert flows.loc[("W1", "M1", "car"), "quantity"] == pytest.approx(10.0)
    assert sol.co2_t == pytest.approx(25 * 2 + 10 * 3 + 10 * 1)
    assert sol.service["avg_km"] == pytest.approx(1.0)
    assert sol.service["max_hours"] == pytest.approx(0.1)


def test_local_content_floor(chain: Callable[..., ModelInputs]) -> None:
    # half the steel (by weight) must come from the domestic supplier S1: 12.5 units
    # at 10 + 1 instead of 4 + 2 → +62.5
    sol = LocationModel.from_inputs(chain(local_content_share=0.5)).solve().raise_for_status()
    assert sol.objective == pytest.approx(387.5)
    flows = sol.flows.set_index(["origin", "destination", "commodity"])
    assert flows.loc[("S1", "P1", "steel"), "quantity"] == pytest.approx(12.5)


def test_local_content_by_value_counts_cluster_facilities(
    chain: Callable[..., ModelInputs],
) -> None:
    # at the warehouse, every input comes from a plant (in the cluster): a floor of 100 %
    # by value there costs nothing
    inputs = chain(
        local_content_share=1.0, local_content_types=["warehouse"], local_content_basis="value"
    )
    sol = LocationModel.from_inputs(inputs).solve().raise_for_status()
    assert sol.objective == pytest.approx(325.0)


def test_co2_cap(chain: Callable[..., ModelInputs]) -> None:
    # base plan emits 90 t; cap 80 → move 10 steel to S1 (1 km shorter, +5 per unit)
    sol = LocationModel.from_inputs(chain(co2_cap=80.0)).solve().raise_for_status()
    assert sol.co2_t == pytest.approx(80.0)
    assert sol.objective == pytest.approx(375.0)


def test_co2_price(chain: Callable[..., ModelInputs]) -> None:
    # at 10 per t, S1 (1 t less per unit, +5 cost) wins for all 25 steel: 450 + 65 t * 10
    sol = LocationModel.from_inputs(chain(co2_price=10.0)).solve().raise_for_status()
    assert sol.co2_t == pytest.approx(65.0)
    assert sol.costs["co2"] == pytest.approx(650.0)
    assert sol.objective == pytest.approx(1100.0)


def test_budget_and_existing(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain(budget=60.0)
    inputs.facilities.loc[inputs.facilities["site_id"] == "W1", "status"] = "existing"
    # W1 is sunk (not in the budget); P1 (100) does not fit, P2 (50) does: 345
    sol = LocationModel.from_inputs(inputs).solve().raise_for_status()
    assert _open(sol) == {"P2", "W1"}
    assert sol.objective == pytest.approx(345.0)


def test_subsidy_lowers_fixed_cost_and_budget_use(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain(budget=60.0, fixed_cost_subsidy={"sez": 0.5})
    inputs.facilities.loc[inputs.facilities["site_id"] == "W1", "status"] = "existing"
    # P1 carries tag "sez": its fixed cost 100 → 50, fits the budget again
    sol = LocationModel.from_inputs(inputs).solve().raise_for_status()
    assert _open(sol) == {"P1", "W1"}
    assert sol.objective == pytest.approx(275.0)
    assert sol.open_sites.set_index("site_id").loc["P1", "fixed_cost"] == pytest.approx(50.0)


def test_closed_site_never_opens(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.facilities.loc[inputs.facilities["site_id"] == "P1", "status"] = "closed"
    sol = LocationModel.from_inputs(inputs).solve().raise_for_status()
    assert _open(sol) == {"P2", "W1"}
    assert sol.objective == pytest.approx(345.0)


def test_existing_site_stays_open(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.facilities.loc[inputs.facilities["site_id"] == "P2", "status"] = "existing"
    sol = LocationModel.from_inputs(inputs).solve().raise_for_status()
    assert "P2" in _open(sol)
    # P2 (fixed 50, sunk but counted) is open anyway; P1 would add 100 to save 7 * 10
    assert sol.objective == pytest.approx(345.0)


def test_capacity_levels(chain: Callable[..., ModelInputs]) -> None:
    levels = pd.DataFrame(
        {
            "site_id": ["P1", "P1"],
            "level": ["small", "large"],
            "fixed_cost": [40.0, 100.0],
            "capacity": [5.0, 20.0],
        }
    )
    big = dataclasses.replace(chain(10.0), levels=levels)
    sol = LocationModel.from_inputs(big).solve().raise_for_status()
    p1 = sol.open_sites.set_index("site_id").loc["P1"]
    assert (p1["level"], p1["capacity"]) == ("large", 20.0)
    assert sol.objective == pytest.approx(325.0)
    small = dataclasses.replace(chain(5.0), levels=levels)
    sol = LocationModel.from_inputs(small).solve().raise_for_status()
    p1 = sol.open_sites.set_index("site_id").loc["P1"]
    assert (p1["level"], p1["capacity"]) == ("small", 5.0)
    assert sol.objective == pytest.approx(40 + 20 + 5 * 20.5)


def test_unmet_penalty(chain: Callable[..., ModelInputs]) -> None:
    # penalty 15 per car is below the 20.5 variable cost alone: serve nobody
    sol = LocationModel.from_inputs(chain(unmet_penalty=15.0)).solve().raise_for_status()
    assert sol.objective == pytest.approx(150.0)
    assert sol.open_sites.empty
    assert sol.unmet["unmet"].sum() == pytest.approx(10.0)
    assert sol.costs["unmet"] == pytest.approx(150.0)
    # a plant of capacity 6 and a penalty of 100: serve 6, leave 4
    inputs = chain(unmet_penalty=100.0)
    fac = inputs.facilities
    fac.loc[fac["site_id"] == "P1", "capacity"] = 6.0
    fac.loc[fac["site_id"] == "P2", "status"] = "closed"
    sol = LocationModel.from_inputs(inputs).solve().raise_for_status()
    assert sol.objective == pytest.approx(120 + 6 * 20.5 + 4 * 100)
    assert sol.unmet.set_index("site_id").loc["M1", "unmet"] == pytest.approx(4.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_single_sourcing(solver: str) -> None:
    # F1 (cost 1) holds 10.5 of the 16 units. Split: 10.5*1 + 5.5*3 = 27.
    # Single sourcing: F1 serves the two 5s, F2 the 6: 10 + 18 = 28.
    cost = np.array([[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]])
    args = (cost, [0.0, 0.0], [10.5, 10.5], [5.0, 5.0, 6.0])
    split = LocationModel.from_cost_matrix(*args).solve(make_solver(solver)).raise_for_status()
    assert split.objective == pytest.approx(27.0)
    single = LocationModel.from_cost_matrix(*args, single_sourcing=True)
    sol = single.solve(make_solver(solver)).raise_for_status()
    assert sol.objective == pytest.approx(28.0)
    into = sol.flows[sol.flows["destination"].str.startswith("C")]
    assert into.groupby("destination")["origin"].nunique().max() == 1
    assert set(into.loc[into["destination"] == "C3", "origin"]) == {"F2"}


def test_min_and_max_open(chain: Callable[..., ModelInputs]) -> None:
    sol = LocationModel.from_inputs(chain(min_open={"plant": 2})).solve().raise_for_status()
    assert _open(sol) == {"P1", "P2", "W1"}
    assert sol.objective == pytest.approx(375.0)
    cost = np.array([[1.0, 9.0], [9.0, 1.0]])
    m = LocationModel.from_cost_matrix(cost, [1.0, 1.0], [10.0, 10.0], [1.0, 1.0])
    m.inputs.policy.max_open = {"facility": 1}
    sol = m.solve().raise_for_status()
    assert len(sol.open_sites) == 1
    assert sol.objective == pytest.approx(1 + 1 + 9)


def test_max_service_km_drops_long_lanes() -> None:
    # C1 is 1 km from F1 and 50 km from F2; with a 10 km limit F2 may not serve it
    cost = np.array([[1.0, 1.0], [0.0, 0.0]])
    m = LocationModel.from_cost_matrix(cost, [0.0, 0.0], [10.0, 10.0], [1.0, 1.0])
    lanes = m.inputs.lanes
    km = {("F1", "C1"): 1.0, ("F1", "C2"): 2.0, ("F2", "C1"): 50.0, ("F2", "C2"): 3.0}
    lanes["km"] = [
        km.get((o, d), 0.0) for o, d in zip(lanes["origin"], lanes["destination"], strict=True)
    ]
    m.inputs.policy.max_service_km = 10.0
    sol = m.solve().raise_for_status()
    flows = sol.flows.set_index(["origin", "destination"])
    assert ("F2", "C1") not in flows.index
    assert ("F1", "C1", "good") in m.flow_vars
    assert ("F2", "C1", "good") not in m.flow_vars
    assert sol.objective == pytest.approx(1.0)
    assert sol.service["max_km"] == pytest.approx(3.0)


def test_multi_commodity_pass_through_warehouse() -> None:
    # two commodities pass through one warehouse; capacity counts both
    inputs = ModelInputs(
        commodities=pd.DataFrame({"commodity": ["a", "b"], "rate_per_unit_km": [1.0, 2.0]}),
        links=pd.DataFrame(
            {"from_type": ["supplier", "warehouse"], "to_type": ["warehouse", "market"]}
        ),
        suppliers=pd.DataFrame(
            {"site_id": ["S", "S"], "commodity": ["a", "b"], "supply": [10.0, 10.0]}
        ),
        markets=pd.DataFrame(
            {"site_id": ["M", "M"], "commodity": ["a", "b"], "demand": [3.0, 4.0]}
        ),
        facilities=pd.DataFrame(
            {
                "site_id": ["W1", "W2"],
                "type": "warehouse",
                "fixed_cost": [5.0, 1.0],
                "capacity": [7.0, 5.0],
            }
        ),
        lanes=pd.DataFrame(
            {
                "origin": ["S", "S", "W1", "W2"],
                "destination": ["W1", "W2", "M", "M"],
                "km": [1.0, 1.0, 1.0, 2.0],
            }
        ),
    )
    sol = LocationModel.from_inputs(inputs).solve().raise_for_status()
    # W1 alone: 5 + a 3*(1+1) + b 4*(2+2) = 27; W2 (cap 5) cannot hold 7 alone;
    # both: W1 takes all (cheaper lanes) → 6 + 22 = 28 > 27
    assert _open(sol) == {"W1"}
    assert sol.objective == pytest.approx(27.0)
    assert sol.open_sites.set_index("site_id").loc["W1", "throughput"] == pytest.approx(7.0)


def test_build_exposes_problem_and_variables(chain: Callable[..., ModelInputs]) -> None:
    model = LocationModel.from_inputs(chain())
    prob = model.build()
    assert prob is model.problem
    assert set(model.open_vars) == {"P1", "P2", "W1"}
    assert ("S2", "P1", "steel") in model.flow_vars
    assert len(model.arcs) == len(model.flow_vars) == len(model.flow_list)
    # strong linking: P1 → W1 flow bounded by the warehouse's capacity 100 = P1's capacity:
    # implied by capacity, so no extra row; S2 → P1 bounded by P1's steel need 250
    assert model.flow_vars[("S2", "P1", "steel")].upBound == pytest.approx(250.0)
    assert model.flow_vars[("W1", "M1", "car")].upBound == pytest.approx(10.0)
    i = list(model.flow_vars).index(("W1", "M1", "car"))
    assert prob.get_constraint_by_name(f"lo_{i}") is not None


def test_reduction_step_runs_before_solving(chain: Callable[..., ModelInputs]) -> None:
    seen = []

    def close_p1(model: LocationModel) -> None:
        seen.append(model.problem is not None)
        model.open_vars["P1"].upBound = 0

    sol = LocationModel.from_inputs(chain()).solve(reductions=[close_p1]).raise_for_status()
    assert seen == [True]
    assert _open(sol) == {"P2", "W1"}
