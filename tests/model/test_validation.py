"""Bad model input raises ModelInputError naming the row, before any solver starts."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import pytest

from clusterloc.errors import InputError, ModelInputError
from clusterloc.model import LocationModel, ModelInputs, validate_inputs


def _raises(inputs: ModelInputs, *words: str) -> str:
    model = LocationModel.from_inputs(inputs)
    with pytest.raises(ModelInputError) as info:
        model.solve()
    msg = str(info.value)
    for word in words:
        assert word in msg, msg
    assert model.problem is None  # nothing was built, so no solver ran
    assert isinstance(info.value, InputError)
    return msg


def test_negative_demand(chain: Callable[..., ModelInputs]) -> None:
    _raises(chain(demand=-3.0), "markets", "row 0", "'M1'", "demand", "negative")


def test_nan_capacity(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.facilities.loc[1, "capacity"] = math.nan
    _raises(inputs, "facilities", "row 1", "'P2'", "capacity", "NaN")


def test_negative_cost(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.facilities.loc[2, "fixed_cost"] = -1.0
    _raises(inputs, "facilities", "row 2", "'W1'", "fixed_cost", "negative")
    inputs = chain()
    inputs.lanes["cost_per_unit"] = [1.0, -2.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    _raises(inputs, "lanes", "row 1", "cost_per_unit", "negative")


def test_nan_lane_km(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.lanes.loc[4, "km"] = math.nan
    _raises(inputs, "lanes", "row 4", "'P1'", "km")


def test_text_in_numeric_column(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.suppliers["cost_per_unit"] = ["cheap", 4.0]
    _raises(inputs, "suppliers", "row 0", "'S1'", "not a number")


def test_bom_unknown_commodity(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.bom = pd.concat(
        [
            inputs.bom,
            pd.DataFrame(
                {"type": ["plant"], "output": ["car"], "input": ["glass"], "quantity": [1.0]}
            ),
        ],
        ignore_index=True,
    )
    _raises(inputs, "bom", "row 1", "'glass'", "commodity")


def test_lane_to_unknown_site(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.lanes.loc[6, "destination"] = "M9"
    _raises(inputs, "lanes", "row 6", "'M9'", "destination")


def test_type_with_no_way_to_market(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.facilities = pd.concat(
        [
            inputs.facilities,
            pd.DataFrame(
                {
                    "site_id": ["D1"],
                    "type": ["depot"],
                    "capacity": [5.0],
                    "fixed_cost": [1.0],
                    "handling_cost": [0.0],
                }
            ),
        ],
        ignore_index=True,
    )
    inputs.links = pd.concat(
        [inputs.links, pd.DataFrame({"from_type": ["plant"], "to_type": ["depot"]})],
        ignore_index=True,
    )
    _raises(inputs, "facilities", "row 3", "'D1'", "'depot'", "no chain of links to any market")


def test_unknown_status_and_duplicates(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.facilities.loc[0, "status"] = "planned"
    _raises(inputs, "facilities", "row 0", "'P1'", "status")
    inputs = chain()
    inputs.facilities.loc[1, "site_id"] = "P1"
    _raises(inputs, "facilities", "row 1", "duplicate")


def test_bad_yield_and_policy(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.bom["yield"] = [1.5]
    _raises(inputs, "bom", "row 0", "yield")
    _raises(chain(local_content_share=1.5), "local_content_share")
    _raises(chain(min_open={"hub": 1}), "min_open", "'hub'")


def test_missing_column(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.markets = inputs.markets.drop(columns="demand")
    _raises(inputs, "markets", "demand")


def test_clean_tables_fill_defaults(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.facilities = inputs.facilities.drop(columns=["handling_cost", "status", "tags"])
    t = validate_inputs(inputs)
    assert list(t.facilities["status"]) == ["candidate"] * 3
    assert t.facilities["handling_cost"].sum() == 0.0
    assert t.bom_types == {"plant"}
