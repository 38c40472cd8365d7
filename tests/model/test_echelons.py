"""Deeper chains: two BOM stages, commodity-specific links and lanes, service hours."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from clusterloc.errors import ModelInputError
from clusterloc.model import LocationModel, ModelInputs, Policy


def two_stage(ore_supply: float = math.inf, **policy: object) -> ModelInputs:
    """ore → smelter (1.5 ore per steel) → plant (2 steel / 0.8 per car) → market (10 cars).

    A car needs 2.5 steel = 3.75 ore. Unit costs are per unit moved (rate 1 per unit-km).
    """
    return ModelInputs(
        commodities=pd.DataFrame(
            {"commodity": ["ore", "steel", "car"], "rate_per_unit_km": [1.0, 1.0, 1.0]}
        ),
        links=pd.DataFrame(
            {
                "from_type": ["supplier", "smelter", "plant"],
                "to_type": ["smelter", "plant", "market"],
            }
        ),
        suppliers=pd.DataFrame(
            {
                "site_id": ["MINE"],
                "commodity": ["ore"],
                "supply": [ore_supply],
                "cost_per_unit": [2.0],
            }
        ),
        markets=pd.DataFrame({"site_id": ["M"], "commodity": ["car"], "demand": [10.0]}),
        facilities=pd.DataFrame(
            {
                "site_id": ["SM", "PL"],
                "type": ["smelter", "plant"],
                "fixed_cost": [100.0, 200.0],
                "capacity": [50.0, 50.0],
                "handling_cost": [1.0, 3.0],
            }
        ),
        bom=pd.DataFrame(
            {
                "type": ["smelter", "plant"],
                "output": ["steel", "car"],
                "input": ["ore", "steel"],
                "quantity": [1.5, 2.0],
                "yield": [1.0, 0.8],
            }
        ),
        lanes=pd.DataFrame(
            {
                "origin": ["MINE", "SM", "PL"],
                "destination": ["SM", "PL", "M"],
                "km": [2.0, 4.0, 1.0],
                "hours": [1.0, 2.0, 0.5],
            }
        ),
        policy=Policy(**policy),  # type: ignore[arg-type]
    )


def test_two_bom_stages_hand_checked() -> None:
    sol = LocationModel.from_inputs(two_stage()).solve().raise_for_status()
    flows = sol.flows.set_index(["origin", "destination", "commodity"])["quantity"]
    assert flows[("MINE", "SM", "ore")] == pytest.approx(37.5)
    assert flows[("SM", "PL", "steel")] == pytest.approx(25.0)
    assert flows[("PL", "M", "car")] == pytest.approx(10.0)
    # fixed 300; purchase 37.5*2 = 75; transport 37.5*2 + 25*4 + 10*1 = 185;
    # handling: smelter output 25*1 + plant output 10*3 = 55
    assert sol.costs["purchase"] == pytest.approx(75.0)
    assert sol.costs["transport"] == pytest.approx(185.0)
    assert sol.costs["handling"] == pytest.approx(55.0)
    assert sol.objective == pytest.approx(300 + 75 + 185 + 55)
    through = sol.open_sites.set_index("site_id")["throughput"]
    assert through["SM"] == pytest.approx(25.0)
    assert through["PL"] == pytest.approx(10.0)


def test_ore_shortage_named_through_two_boms() -> None:
    sol = LocationModel.from_inputs(two_stage(ore_supply=30.0)).solve()
    assert sol.status == "infeasible"
    cause = next(c for c in sol.causes if c["kind"] == "supply")
    assert cause["commodity"] == "ore"
    assert cause["required"] == pytest.approx(37.5)


def test_service_hours_filter() -> None:
    sol = LocationModel.from_inputs(two_stage(max_service_hours=0.25)).solve()
    assert sol.status == "infeasible"
    assert any(c["kind"] == "unreachable_market" for c in sol.causes)
    ok = LocationModel.from_inputs(two_stage(max_service_hours=0.5)).solve().raise_for_status()
    assert ok.service["max_hours"] == pytest.approx(0.5)


def test_commodity_specific_links_and_lanes(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    # cars may also go plant → market directly, but only on a lane row for cars
    inputs.links = pd.concat(
        [
            inputs.links,
            pd.DataFrame({"from_type": ["plant"], "to_type": ["market"], "commodity": ["car"]}),
        ],
        ignore_index=True,
    )
    inputs.lanes = pd.concat(
        [
            inputs.lanes,
            pd.DataFrame(
                {
                    "origin": ["P1"],
                    "destination": ["M1"],
                    "km": [2.0],
                    "hours": [0.2],
                    "commodity": ["car"],
                }
            ),
        ],
        ignore_index=True,
    )
    sol = LocationModel.from_inputs(inputs).solve().raise_for_status()
    # direct P1 → M1 (2 km) beats P1 → W1 → M1 (3 + 0.5 + 1) and saves W1's fixed 20:
    # 100 + 10 * (15 + 1 + 2) = 280
    assert set(sol.open_sites["site_id"]) == {"P1"}
    assert sol.objective == pytest.approx(280.0)


def test_cost_matrix_shape_is_checked() -> None:
    with pytest.raises(ModelInputError, match="shape"):
        LocationModel.from_cost_matrix(np.ones((2, 3)), [1.0, 1.0], [5.0, 5.0], [1.0, 1.0])
