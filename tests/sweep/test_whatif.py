"""The scenario ``whatif`` section: closures and multipliers, and network reuse."""

from __future__ import annotations

from pathlib import Path

import pytest

import clusterloc
from clusterloc.errors import ScenarioError
from clusterloc.scenario.build import build_scenario


def test_multipliers_scale_the_model_inputs(small_dir: Path) -> None:
    path = small_dir / "scenario.yaml"
    base = build_scenario(clusterloc.load_scenario(path))
    scaled = build_scenario(
        clusterloc.load_scenario(
            path,
            [
                "whatif.demand_scale=1.5",
                'whatif.demand_scale_by_market={"mkt_almaty": 2.0}',
                "whatif.transport_scale=0.5",
                "whatif.fixed_cost_scale=3",
            ],
        ),
        reuse=base,
    )
    d0 = base.inputs.markets.set_index("site_id")["demand"]
    d1 = scaled.inputs.markets.set_index("site_id")["demand"]
    assert d1["mkt_astana"] == pytest.approx(1.5 * d0["mkt_astana"])
    assert d1["mkt_almaty"] == pytest.approx(3.0 * d0["mkt_almaty"])
    r0 = base.inputs.commodities.set_index("commodity")["rate_per_tkm"]
    r1 = scaled.inputs.commodities.set_index("commodity")["rate_per_tkm"]
    assert (r1 == 0.5 * r0).all()
    f0 = base.inputs.facilities.set_index("site_id")["fixed_cost"]
    f1 = scaled.inputs.facilities.set_index("site_id")["fixed_cost"]
    assert (f1 == 3 * f0).all()
    # The road network and lanes were not built again.
    assert scaled.network is base.network
    assert scaled.seconds["network"] == 0.0
    assert scaled.lanes.equals(base.lanes)


def test_reuse_gives_the_same_result_as_a_fresh_build(small_dir: Path) -> None:
    path = small_dir / "scenario.yaml"
    overrides = ["whatif.demand_scale=1.3", "policy.co2_price=40000"]
    fresh = clusterloc.solve(clusterloc.load_scenario(path, overrides))
    base = build_scenario(clusterloc.load_scenario(path))
    reused = clusterloc.solve(clusterloc.load_scenario(path, overrides), reuse=base)
    assert reused.summary["objective"] == fresh.summary["objective"]
    assert reused.summary["costs"] == fresh.summary["costs"]
    assert reused.summary["open_sites"] == fresh.summary["open_sites"]


def test_closing_the_only_kit_supplier_is_infeasible(small_dir: Path) -> None:
    scenario = clusterloc.load_scenario(
        small_dir / "scenario.yaml", ['whatif.closed=["sup_khorgos"]']
    )
    built = build_scenario(scenario)
    assert "sup_khorgos" not in set(built.tables.sites["site_id"])
    assert "sup_khorgos" not in set(built.inputs.lanes["origin"])
    result = clusterloc.solve(scenario, check=False)
    assert result.status == "infeasible"


def test_closing_a_candidate_plant_keeps_it_closed(small_dir: Path) -> None:
    path = small_dir / "scenario.yaml"
    base = clusterloc.solve(clusterloc.load_scenario(path))
    chosen = [
        s for s in base.summary["open_sites"] if s.startswith("plant_") and s != "plant_kostanay"
    ]
    assert chosen
    closed = clusterloc.solve(clusterloc.load_scenario(path, [f"whatif.closed=[{chosen[0]}]"]))
    assert chosen[0] not in closed.summary["open_sites"]
    assert closed.summary["objective"] > base.summary["objective"]


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("whatif.closed=[nowhere]", "whatif.closed: unknown site 'nowhere'"),
        ("whatif.closed=[mkt_almaty]", "is a market"),
        ('whatif.demand_scale_by_market={"sup_khorgos": 2}', "is not a market"),
        ('whatif.demand_scale_by_tag={"no-such-tag": 2}', "no market has tag or region"),
    ],
)
def test_bad_whatif_names_the_key(small_dir: Path, override: str, needle: str) -> None:
    scenario = clusterloc.load_scenario(small_dir / "scenario.yaml", [override])
    with pytest.raises(ScenarioError, match=None) as err:
        build_scenario(scenario, network=False)
    assert needle in str(err.value)
    assert "scenario.yaml" in str(err.value)
