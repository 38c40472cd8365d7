"""Small hand-checkable model instances.

``chain`` is a three-echelon chain (steel suppliers → plants with a bill of materials
→ a warehouse → one market) whose optimum is worked out by hand in the tests:

- transport cost per unit = km (weight 1 t, rate 1 per t-km), CO2 1 t per t-km;
- a car needs 2 steel at yield 0.8, so 2.5 steel per car;
- via P1 a car costs 2.5 × (4 + 2) steel from S2 + 1 handling + 3 (P1→W1)
  + 0.5 handling + 1 (W1→M1) = 20.5; via P2 27.5; fixed P1 100, P2 50, W1 20.
- optimum for demand 10: P1 + W1, 120 + 205 = 325.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from clusterloc.model import ModelInputs, Policy


def make_chain(demand: float = 10.0, **policy: Any) -> ModelInputs:
    commodities = pd.DataFrame(
        {
            "commodity": ["steel", "car"],
            "unit": ["t", "car"],
            "weight_t": [1.0, 1.0],
            "rate_per_tkm": [1.0, 1.0],
            "rate_per_unit_km": [0.0, 0.0],
            "co2_kg_per_tkm": [1000.0, 1000.0],
            "value": [1.0, 30.0],
        }
    )
    links = pd.DataFrame(
        {
            "from_type": ["supplier", "plant", "warehouse"],
            "to_type": ["plant", "warehouse", "market"],
        }
    )
    suppliers = pd.DataFrame(
        {
            "site_id": ["S1", "S2"],
            "commodity": ["steel", "steel"],
            "supply": [math.inf, math.inf],
            "cost_per_unit": [10.0, 4.0],
            "domestic": [True, False],
        }
    )
    markets = pd.DataFrame({"site_id": ["M1"], "commodity": ["car"], "demand": [demand]})
    facilities = pd.DataFrame(
        {
            "site_id": ["P1", "P2", "W1"],
            "type": ["plant", "plant", "warehouse"],
            "fixed_cost": [100.0, 50.0, 20.0],
            "capacity": [100.0, 100.0, 100.0],
            "handling_cost": [1.0, 1.0, 0.5],
            "status": ["candidate", "candidate", "candidate"],
            "tags": ["sez", "", ""],
        }
    )
    bom = pd.DataFrame(
        {
            "type": ["plant"],
            "output": ["car"],
            "input": ["steel"],
            "quantity": [2.0],
            "yield": [0.8],
        }
    )
    lanes = pd.DataFrame(
        {
            "origin": ["S1", "S1", "S2", "S2", "P1", "P2", "W1"],
            "destination": ["P1", "P2", "P1", "P2", "W1", "W1", "M1"],
            "km": [1.0, 5.0, 2.0, 2.0, 3.0, 10.0, 1.0],
            "hours": [0.1, 0.5, 0.2, 0.2, 0.3, 1.0, 0.1],
        }
    )
    return ModelInputs(
        commodities=commodities,
        links=links,
        suppliers=suppliers,
        markets=markets,
        facilities=facilities,
        lanes=lanes,
        bom=bom,
        policy=Policy(**policy),
        name="chain",
    )


def random_cap(n: int = 40, m: int = 200, seed: int = 3) -> tuple[np.ndarray, ...]:
    """A random capacitated instance (Euclidean costs, tight capacities)."""
    rng = np.random.default_rng(seed)
    fx = rng.uniform(0, 100, (n, 2))
    cx = rng.uniform(0, 100, (m, 2))
    d = rng.integers(5, 35, m).astype(float)
    cost = np.hypot(fx[:, None, 0] - cx[None, :, 0], fx[:, None, 1] - cx[None, :, 1])
    cap = rng.uniform(150, 300, n)
    fixed = rng.uniform(2000, 4000, n)
    return cost, fixed, cap, d


@pytest.fixture
def chain() -> Callable[..., ModelInputs]:
    """Factory: ``chain(demand=10, **policy)`` → ModelInputs of the hand-checked chain."""
    return make_chain


@pytest.fixture
def cap_instance() -> Callable[..., tuple[np.ndarray, ...]]:
    """Factory of random capacitated single-echelon instances."""
    return random_cap
