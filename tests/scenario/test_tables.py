"""Scenario tables: CSV / GeoJSON / GeoPackage / inline rows, checked cell by cell."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from clusterloc.errors import ScenarioError
from clusterloc.scenario.load import load_scenario
from clusterloc.scenario.tables import read_table, read_tables


def edit_csv(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_read_tables_types_and_defaults(lanes_only: Path) -> None:
    tables = read_tables(load_scenario(lanes_only / "lanes.yaml"))
    sites = tables.sites.set_index("site_id")
    assert len(sites) == 17
    assert sites.loc["plant_kostanay", "status"] == "existing"
    assert sites.loc["plant_kostanay", "capacity"] == 40000.0
    assert sites.loc["wh_aktobe", "tags"] == ""  # empty cell -> default
    assert sites.loc["mkt_almaty", "status"] == "candidate"  # default (ignored for markets)
    assert math.isinf(sites.loc["mkt_almaty", "capacity"])  # empty capacity -> unlimited
    supply = tables.supply.set_index("site_id")
    assert math.isinf(supply.loc["sup_khorgos", "supply"])
    assert supply.loc["sup_temirtau", "domestic"] is True or supply.loc["sup_temirtau", "domestic"]
    assert tables.facility_types == ["plant", "warehouse"]
    assert set(tables.commodities["commodity"]) == {"kit", "steel", "vehicle"}
    # inline rows get their defaults too
    assert tables.commodities.set_index("commodity").loc["kit", "value"] == 0.0
    assert tables.bom["yield"].tolist() == [1.0, 1.0]
    assert tables.lanes is not None and len(tables.lanes) == 70
    # each row remembers where it came from
    assert tables.sites["_where"].iloc[0].endswith("sites.csv line 2")


def test_geojson_points_give_lon_lat(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"site_id": ["a", "b"], "type": ["market", "plant"], "capacity": [None, 5.0]},
        geometry=[Point(71.4, 51.1), Point(76.9, 43.2)],
        crs="EPSG:4326",
    )
    path = tmp_path / "sites.geojson"
    gdf.to_file(path, driver="GeoJSON")
    table = read_table("sites", str(path))
    assert table["lon"].tolist() == [71.4, 76.9]
    assert table["lat"].tolist() == [51.1, 43.2]
    assert table["name"].tolist() == ["a", "b"]  # default name = site_id
    assert math.isinf(table["capacity"].iloc[0])
    assert table["_where"].iloc[1].endswith("sites.geojson feature 2")


def test_geopackage_layer_is_selected(tmp_path: Path) -> None:
    path = tmp_path / "sites.gpkg"
    for layer, lon in (("markets", 70.0), ("plants", 80.0)):
        gpd.GeoDataFrame(
            {"site_id": [layer], "type": ["market"]}, geometry=[Point(lon, 50.0)], crs="EPSG:4326"
        ).to_file(path, layer=layer, driver="GPKG")
    table = read_table("sites", f"{path}#plants")
    assert table["site_id"].tolist() == ["plants"]
    assert table["lon"].tolist() == [80.0]
    with pytest.raises(ScenarioError, match="has no layer 'depots'; layers: markets, plants"):
        read_table("sites", f"{path}#depots")


def test_projected_geometry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sites.gpkg"
    gpd.GeoDataFrame(
        {"site_id": ["a"], "type": ["market"]}, geometry=[Point(500000, 5600000)], crs="EPSG:32642"
    ).to_file(path, driver="GPKG")
    with pytest.raises(ScenarioError, match=r"EPSG:32642.*does not reproject silently"):
        read_table("sites", str(path))


def test_spreadsheet_csv_with_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_bytes("site_id;commodity;demand\r\nm1;car;12\r\n".encode("utf-8-sig"))
    table = read_table("demand", str(path))
    assert table[["site_id", "commodity", "demand"]].values.tolist() == [["m1", "car", 12.0]]


def test_several_files_are_concatenated(lanes_only: Path) -> None:
    sites = pd.read_csv(lanes_only / "sites.csv")
    sites.iloc[:5].to_csv(lanes_only / "a.csv", index=False)
    sites.iloc[5:].to_csv(lanes_only / "b.csv", index=False)
    table = read_table("sites", [str(lanes_only / "a.csv"), str(lanes_only / "b.csv")])
    assert table["site_id"].tolist() == sites["site_id"].tolist()
    assert table["_where"].iloc[5].endswith("b.csv line 2")


@pytest.mark.parametrize(
    ("file", "old", "new", "pattern"),
    [
        # latitude out of range
        (
            "sites.csv",
            "plant_astana,Astana assembly,plant,71.44598,51.1801",
            "plant_astana,Astana assembly,plant,71.44598,95",
            r"sites\.csv line 6: sites column 'lat' must be <= 90, got 95",
        ),
        # NaN demand
        (
            "demand.csv",
            "mkt_astana,vehicle,15000",
            "mkt_astana,vehicle,NaN",
            r"demand\.csv line 3: demand column 'demand' is empty or NaN",
        ),
        # empty required cell
        (
            "demand.csv",
            "mkt_astana,vehicle,15000",
            "mkt_astana,vehicle,",
            r"demand\.csv line 3: demand column 'demand' is empty",
        ),
        # wrong type in a cell
        (
            "sites.csv",
            "2000000000,40000,20000,candidate,south\nplant_astana",
            "2000000000,forty,20000,candidate,south\nplant_astana",
            r"sites\.csv line 5: sites column 'capacity' must be a number, got 'forty'",
        ),
        # negative demand
        (
            "demand.csv",
            "mkt_semey,vehicle,3000",
            "mkt_semey,vehicle,-3",
            r"demand\.csv line 10: demand column 'demand' must be >= 0",
        ),
        # bad status
        (
            "sites.csv",
            "20000,existing,north",
            "20000,open,north",
            r"sites\.csv line 4: sites column 'status' must be one of existing, candidate, closed",
        ),
        # bad boolean
        (
            "supply.csv",
            "250000,true",
            "250000,maybe",
            r"supply\.csv line 3: supply column 'domestic' must be true or false",
        ),
        # duplicate site id
        (
            "sites.csv",
            "wh_aktobe,Aktobe warehouse",
            "wh_karaganda,Aktobe warehouse",
            r"sites\.csv line 9: duplicate site_id 'wh_karaganda' \(first at .*sites\.csv line 8\)",
        ),
        # missing column
        (
            "sites.csv",
            "site_id,name,type,lon,lat,",
            "site_id,name,type,longitude,lat,",
            r"sites\.csv line 1, column 4: unknown sites column 'longitude'; did you mean 'lon'\?",
        ),
        # supply row naming a market
        (
            "supply.csv",
            "sup_temirtau,steel",
            "mkt_astana,steel",
            r"supply\.csv line 3: supply site 'mkt_astana' has type 'market', expected supplier",
        ),
        # demand for an unknown site
        (
            "demand.csv",
            "mkt_semey,vehicle",
            "mkt_atlantis,vehicle",
            r"demand\.csv line 10: demand site 'mkt_atlantis' is not a site of the site tables",
        ),
        # unknown commodity
        (
            "demand.csv",
            "mkt_semey,vehicle",
            "mkt_semey,tractor",
            r"demand\.csv line 10: unknown commodity 'tractor'; commodities: kit, steel, vehicle",
        ),
        # lane to an unknown site
        (
            "lanes_straight.csv",
            "sup_khorgos,plant_kostanay",
            "sup_khorgos,plant_nowhere",
            r"lanes_straight\.csv line 2: lane destination 'plant_nowhere' is not a site",
        ),
    ],
)
def test_bad_cells_name_file_row_and_column(
    lanes_only: Path, file: str, old: str, new: str, pattern: str
) -> None:
    edit_csv(lanes_only / file, old, new)
    with pytest.raises(ScenarioError, match=pattern):
        read_tables(load_scenario(lanes_only / "lanes.yaml"))


def test_missing_table_file(lanes_only: Path) -> None:
    (lanes_only / "supply.csv").unlink()
    with pytest.raises(ScenarioError, match=r"table file .*supply\.csv not found"):
        read_tables(load_scenario(lanes_only / "lanes.yaml"))


def test_inline_rows_name_the_scenario_key(lanes_only: Path) -> None:
    scenario = load_scenario(
        lanes_only / "lanes.yaml",
        ["links=[{from_type: supplier, to_type: depot}]"],
    )
    pattern = r"--set links=\[.*\]: links\[0\]: link to_type 'depot'"
    with pytest.raises(ScenarioError, match=pattern):
        read_tables(scenario)


def test_inline_row_missing_column(lanes_only: Path) -> None:
    scenario = load_scenario(lanes_only / "lanes.yaml", ["commodities=[{commodity: kit}]"])
    with pytest.raises(
        ScenarioError, match=r"key 'commodities' \(commodities\): missing column 'weight_t'"
    ):
        read_tables(scenario)


def test_policy_names_unknown_facility_type(lanes_only: Path) -> None:
    scenario = load_scenario(lanes_only / "lanes.yaml", ["policy.max_open.depot=1"])
    with pytest.raises(ScenarioError, match=r"policy\.max_open: 'depot' is not a facility type"):
        read_tables(scenario)
