"""The Kazakhstan scenarios (issue 4): data tables, validation, and what each variant changes.

Every scenario in ``models/kz_auto/`` and ``models/kz_textile/`` is validated through the CLI
and solved with HiGHS on the real republic-roads network from ``../shared``; the tests check
what a user of the results would check: optimal status, existing plants open, demand met,
and the direction in which each policy moves the solution.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import clusterloc
from clusterloc.api import RunResult
from clusterloc.cli.main import main as cli_main

REPO = Path(__file__).resolve().parents[1]
AUTO = REPO / "models" / "kz_auto"
TEXTILE = REPO / "models" / "kz_textile"
DATA = REPO / "data" / "kz"

# Sweep files (*.sweep.yaml, clusterloc sweep) live beside the scenarios but are not ones.
AUTO_VARIANTS = sorted(p.stem for p in AUTO.glob("*.yaml") if not p.name.endswith(".sweep.yaml"))
ALL_SCENARIOS = [AUTO / f"{n}.yaml" for n in AUTO_VARIANTS] + sorted(TEXTILE.glob("*.yaml"))

#: National 2024 new-vehicle sales (data/kz/SOURCES.md).
SALES_2024 = 205_100
RELTOL = 1e-6


def solve_scenario(path: Path) -> RunResult:
    """Load and solve one scenario through the public API."""
    return clusterloc.solve(clusterloc.load_scenario(path))


@pytest.fixture(scope="module", autouse=True)
def _network_cache(osm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Use a private network cache, and skip when the shared road file is missing."""
    roads = osm_dir / "kz_republic_roads_KAZ01-23.geojson"
    if not roads.is_file():
        pytest.skip(f"{roads} not found")
    mp = pytest.MonkeyPatch()
    mp.setenv("CLUSTERLOC_CACHE", str(tmp_path_factory.mktemp("networks")))
    mp.setenv("CLUSTERLOC_SHARED", str(osm_dir.parent.parent))
    yield
    mp.undo()


_RESULTS: dict[str, RunResult] = {}


def run(name: str) -> RunResult:
    """Solve ``models/kz_auto/<name>.yaml`` once per test session."""
    if name not in _RESULTS:
        _RESULTS[name] = solve_scenario(AUTO / f"{name}.yaml")
    return _RESULTS[name]


def flows_of(result: RunResult) -> pd.DataFrame:
    return pd.DataFrame(result.flows.drop(columns="geometry"))


def open_ids(result: RunResult) -> set[str]:
    return set(result.summary["open_sites"])


def local_share(result: RunResult) -> float:
    """Share of plant input weight from domestic suppliers or cluster hubs."""
    flows = flows_of(result)
    sites = pd.DataFrame(result.sites.drop(columns="geometry")).set_index("site_id")
    into_plants = flows[flows.destination.map(sites["type"]) == "plant"]
    with (DATA / "supply_domestic.csv").open() as fh:
        domestic = {row["site_id"] for row in csv.DictReader(fh)}
    origin_type = into_plants.origin.map(sites["type"])
    local = into_plants[(origin_type == "hub") | into_plants.origin.isin(domestic)]
    return float(local.tonnes.sum() / into_plants.tonnes.sum())


# --------------------------------------------------------------------------- data


def test_markets_include_the_20_regional_centres_after_the_2022_reform() -> None:
    markets = pd.read_csv(DATA / "markets.csv")
    assert markets.site_id.is_unique
    centres = markets[markets.role == "regional centre"]
    assert len(centres) == 20 and centres.region.is_unique
    names = " ".join(centres.name)
    # new regions of 2022 and the moved centre of Almaty region
    for centre in ("Semey", "Taldykorgan", "Zhezkazgan", "Konaev", "Turkistan"):
        assert centre in names
    assert "Kapshagay" not in names
    assert markets.population.gt(0).all()


def test_demand_totals_national_sales() -> None:
    demand = pd.read_csv(DATA / "demand.csv")
    assert demand.demand.sum() == SALES_2024
    assert pd.read_csv(DATA / "demand_2030.csv").demand.sum() == 2 * SALES_2024
    assert set(demand.site_id) == set(pd.read_csv(DATA / "markets.csv").site_id)


def test_every_data_file_is_covered_by_sources() -> None:
    for folder in (DATA, REPO / "data" / "kz_textile"):
        text = (folder / "SOURCES.md").read_text()
        for table in folder.glob("*.csv"):
            assert table.name in text, f"{table.name} is not described in {folder.name}/SOURCES.md"


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("path", ALL_SCENARIOS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_clusterloc_validate_passes(path: Path) -> None:
    try:
        cli_main(["validate", str(path)])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 0


# --------------------------------------------------------------------------- auto cluster


def test_base_is_optimal_with_existing_plants_open_and_demand_met() -> None:
    result = run("base")
    assert result.status == "optimal"
    plants = pd.read_csv(DATA / "plants.csv")
    existing = set(plants.loc[plants.status == "existing", "site_id"])
    assert existing <= open_ids(result)
    flows = flows_of(result)
    to_markets = flows[flows.destination.str.startswith("M_")]
    assert to_markets.quantity.sum() == pytest.approx(SALES_2024, rel=RELTOL)
    assert result.summary["unmet_units"] == pytest.approx(0, abs=1e-6)
    # suppliers and facilities lie within 15 km of a republican road; district markets
    # may be far off it (regional roads missing from the layer), at most 210 km
    sites = result.sites
    assert sites[sites["type"] != "market"].snap_m.max() <= 15_000
    assert sites.snap_m.max() <= 210_000


def test_closed_china_crossing_moves_kits_to_other_entry_points_at_higher_cost() -> None:
    base, closed = run("base"), run("china_closed")
    assert closed.status == "optimal"
    base_kits = flows_of(base).query("commodity == 'powertrain_kit'")
    assert base_kits.origin.eq("X_NURZHOLY").any()  # the base run uses the China crossing
    kits = flows_of(closed).query("commodity == 'powertrain_kit'")
    assert not kits.origin.eq("X_NURZHOLY").any()
    assert kits.quantity.sum() == pytest.approx(SALES_2024, rel=RELTOL)
    assert set(kits.origin) <= {"X_ZHANAZHOL", "X_KAIRAK", "X_KOSAK", "X_ZHAISAN", "X_AKTAU"}
    assert closed.summary["objective"] >= base.summary["objective"]


@pytest.mark.parametrize("floor", [0.30, 0.50])
def test_local_content_floor_is_met_by_opening_hubs(floor: float) -> None:
    base = run("base")
    result = run(f"local_content_{round(floor * 100)}")
    assert result.status == "optimal"
    assert local_share(base) < floor  # the floor binds
    assert local_share(result) >= floor - 1e-6
    hubs = {s for s in open_ids(result) if s.startswith("H_")}
    assert hubs, "a local-content floor above the base share needs a body-stamping hub"
    assert result.summary["objective"] >= base.summary["objective"]


def test_higher_floor_costs_at_least_as_much() -> None:
    assert run("local_content_50").summary["objective"] >= run("local_content_30").summary[
        "objective"
    ] * (1 - RELTOL)


def test_2030_growth_opens_new_plant_capacity() -> None:
    base, grown = run("base"), run("growth_2030")
    assert grown.status == "optimal"
    plants = pd.read_csv(DATA / "plants.csv")
    candidates = set(plants.loc[plants.status == "candidate", "site_id"])
    assert open_ids(grown) & candidates
    to_markets = flows_of(grown)[lambda f: f.destination.str.startswith("M_")]
    assert to_markets.quantity.sum() == pytest.approx(2 * SALES_2024, rel=RELTOL)
    assert grown.summary["objective"] > base.summary["objective"]


def test_carbon_price_is_charged_and_does_not_raise_emissions() -> None:
    base, priced = run("base"), run("carbon_price")
    assert priced.status == "optimal"
    assert priced.costs["co2"] == pytest.approx(40_000 * priced.summary["co2_t"], rel=1e-6)
    assert priced.summary["co2_t"] <= base.summary["co2_t"] * (1 + RELTOL)


def test_budget_cap_limits_new_site_spending_and_imports_fill_the_gap() -> None:
    grown, capped = run("growth_2030"), run("budget_cap")
    assert capped.status == "optimal"
    sites = pd.DataFrame(capped.sites.drop(columns="geometry"))
    new = sites[(sites.status == "candidate") & sites.open.astype(bool)]
    assert new.fixed_cost.sum() <= 15e9 * (1 + RELTOL)
    # no greenfield plant fits under the cap: part of 2030 demand is imported finished
    assert not new.site_id.str.endswith("_NEW").any()
    assert capped.summary["unmet_units"] > 0
    assert capped.summary["objective"] >= grown.summary["objective"] * (1 - RELTOL)


def test_sez_subsidy_never_costs_more() -> None:
    assert run("sez_subsidy").summary["objective"] <= run("base").summary["objective"] * (
        1 + RELTOL
    )
    assert run("sez_subsidy_2030").summary["objective"] <= run("growth_2030").summary[
        "objective"
    ] * (1 + RELTOL)


# --------------------------------------------------------------------------- textile cluster


def test_textile_base_is_optimal_and_meets_exports() -> None:
    result = solve_scenario(TEXTILE / "base.yaml")
    assert result.status == "optimal"
    opened = open_ids(result)
    working = {"G_SHARDARA", "G_MAKTAARAL", "G_ASYKATA", "G_OTYRAR"}
    assert working | {"ML_AZALA", "ML_ALLIANCE", "ML_TURKISTAN"} <= opened
    flows = flows_of(result)
    fibre_export = flows.query("destination == 'TM_X_CHINA' and commodity == 'cotton_fibre'")
    assert fibre_export.quantity.sum() == pytest.approx(40_000, rel=RELTOL)
    # textile demand (15,000 t) fits the three working mills (21,600 t): no new mill, no new gin
    assert not opened & {"ML_ZHETYSAY", "ML_SHY_NEW", "G_ARYS", "G_TURKISTAN"}
    # cotton-belt sites are far from the republic roads but close to each other: fields to
    # gin is a short direct lane (61-82 km straight), not two long off-road legs
    raw = flows.query("commodity == 'raw_cotton'")
    assert len(raw) > 0 and (raw["km"] < 150).all()


def _textile(name: str) -> RunResult:
    return solve_scenario(TEXTILE / f"{name}.yaml")


def test_textile_variants_move_the_way_their_policy_says() -> None:
    """Closing the fibre export shrinks the cotton bought; a poor year leaves demand
    unmet; the SEZ subsidy lowers the fixed cost of SEZ sites by 30 %."""
    base = _textile("base")
    closed = _textile("export_closed")
    poor = _textile("poor_cotton_year")
    sez = _textile("sez_subsidy")
    for r in (closed, poor, sez):
        assert r.status == "optimal"
    bought = {
        n: flows_of(r).query("commodity == 'raw_cotton'").quantity.sum()
        for n, r in (("base", base), ("closed", closed), ("poor", poor))
    }
    assert bought["closed"] < 0.5 * bought["base"]
    assert bought["poor"] <= 148_400 * (1 + RELTOL)
    assert poor.summary["unmet_units"] > 0
    assert closed.summary["unmet_units"] == pytest.approx(0, abs=1e-6)
    assert sez.summary["costs"]["fixed"] < base.summary["costs"]["fixed"]
