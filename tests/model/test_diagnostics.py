"""Infeasible models are explained: the binding cause is named, not just 'infeasible'."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clusterloc.errors import InfeasibleError
from clusterloc.model import LocationModel, ModelInputs, solve_model


def _infeasible(inputs: ModelInputs) -> InfeasibleError:
    sol = solve_model(LocationModel.from_inputs(inputs))
    assert sol.status == "infeasible"
    assert sol.objective is None
    with pytest.raises(InfeasibleError) as info:
        sol.raise_for_status()
    assert info.value.exit_code == 3
    return info.value


def _kinds(err: InfeasibleError) -> set[str]:
    return {c["kind"] for c in err.causes}


def test_type_capacity_found_before_solving(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.facilities.loc[inputs.facilities["type"] == "plant", "capacity"] = 4.0
    err = _infeasible(inputs)
    cause = next(c for c in err.causes if c["kind"] == "capacity")
    assert cause["type"] == "plant"
    assert cause["required"] == pytest.approx(10.0)
    assert cause["available"] == pytest.approx(8.0)
    assert "'plant'" in str(err)


def test_supply_through_bom_found_before_solving(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.suppliers["supply"] = [10.0, 10.0]
    err = _infeasible(inputs)
    cause = next(c for c in err.causes if c["kind"] == "supply")
    assert cause["commodity"] == "steel"
    assert cause["required"] == pytest.approx(25.0)  # 10 cars * 2 / 0.8
    assert cause["available"] == pytest.approx(20.0)


def test_unreachable_market_after_service_filter(chain: Callable[..., ModelInputs]) -> None:
    err = _infeasible(chain(max_service_km=0.5))
    cause = next(c for c in err.causes if c["kind"] == "unreachable_market")
    assert cause["markets"] == ["M1"]
    assert "maximum service" in cause["message"]


def test_budget_named_after_solve(chain: Callable[..., ModelInputs]) -> None:
    err = _infeasible(chain(budget=30.0))
    assert "budget" in _kinds(err)
    unmet = next(c for c in err.causes if c["kind"] == "unmet_demand")
    assert unmet["markets"] == ["M1"]
    assert unmet["commodity"] == "car"


def test_co2_cap_named(chain: Callable[..., ModelInputs]) -> None:
    err = _infeasible(chain(co2_cap=10.0))
    assert "co2_cap" in _kinds(err)
    assert "budget" not in _kinds(err)


def test_local_content_named(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain(local_content_share=1.0)
    inputs.suppliers["supply"] = [20.0, 100.0]  # domestic S1 can give only 20 of 25
    err = _infeasible(inputs)
    assert "local_content" in _kinds(err)
    assert "capacity" not in _kinds(err)


def test_pre_solve_warnings_name_idle_sites(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain()
    inputs.lanes = inputs.lanes[inputs.lanes["origin"] != "P2"].reset_index(drop=True)
    sol = LocationModel.from_inputs(inputs).solve().raise_for_status()
    assert any("'P2'" in d and "cannot take part" in d for d in sol.diagnosis)


def test_unmet_allowed_is_not_infeasible(chain: Callable[..., ModelInputs]) -> None:
    inputs = chain(unmet_penalty=1000.0)
    inputs.facilities.loc[inputs.facilities["type"] == "plant", "capacity"] = 4.0
    sol = LocationModel.from_inputs(inputs).solve().raise_for_status()
    assert sol.unmet["unmet"].sum() == pytest.approx(2.0)


def test_infeasible_summary_is_plain(chain: Callable[..., ModelInputs]) -> None:
    import json

    sol = solve_model(LocationModel.from_inputs(chain(co2_cap=10.0)))
    summary = json.loads(json.dumps(sol.summary()))
    assert summary["status"] == "infeasible"
    assert summary["objective"] is None
    assert any(c["kind"] == "co2_cap" for c in summary["causes"])
    assert summary["diagnosis"][0].startswith("The CO2 cap of 10 t")
    quiet = solve_model(LocationModel.from_inputs(chain(co2_cap=10.0)), explain=False)
    assert quiet.status == "infeasible" and quiet.causes == []
    # LocationModel.solve itself builds no diagnosis models: only pre-solve causes.
    bare = LocationModel.from_inputs(chain(co2_cap=10.0)).solve()
    assert bare.status == "infeasible" and bare.causes == []
