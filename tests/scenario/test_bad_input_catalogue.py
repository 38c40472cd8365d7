"""A catalogue of realistic bad inputs, each refused through the real CLI with one line.

Every case starts from a fresh copy of ``tests/data/kz_small`` (the explicit-lanes
scenario ``lanes.yaml``, which needs no road data), breaks it the way a user would
(a misspelled column, an Excel export, a stray ``--set``), runs ``clusterloc solve`` via
the console script's entry point (:func:`clusterloc.cli.main.main`), and checks: exit
code 2, exactly one ``error:`` line, a message naming the file with its line/row and the
column, and nothing written to disk. ``tests/cli/test_bad_input.py`` runs a subset as real
subprocesses.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from clusterloc.cli.main import main

KZ_SMALL = Path(__file__).resolve().parents[1] / "data" / "kz_small"


@dataclass(frozen=True)
class Case:
    """One bad input: how to break the scenario and what the user must be told."""

    name: str
    mutate: Callable[[Path], None]
    message: str
    """Regular expression the error line must match."""
    args: list[str] = field(default_factory=list)
    exit_code: int = 2
    scenario: str = "lanes.yaml"
    """The scenario file run (``scenario.yaml`` builds the road network)."""


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def scenario(d: Path, old: str, new: str) -> None:
    edit(d / "scenario.yaml", old, new)


def add_to_lanes_yaml(d: Path, text: str) -> None:
    with (d / "lanes.yaml").open("a", encoding="utf-8") as fh:
        fh.write(text)


def header(file: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        lines = (d / file).read_text(encoding="utf-8").split("\n")
        assert old in lines[0], f"{old!r} not in the header of {file}"
        lines[0] = lines[0].replace(old, new, 1)
        (d / file).write_text("\n".join(lines), encoding="utf-8")

    return mutate


def cell(file: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda d: edit(d / file, old, new)


def yaml_edit(old: str, new: str) -> Callable[[Path], None]:
    return lambda d: scenario(d, old, new)


def yaml_add(text: str) -> Callable[[Path], None]:
    return lambda d: add_to_lanes_yaml(d, text)


def write_bytes(file: str, data: bytes) -> Callable[[Path], None]:
    return lambda d: (d / file).write_bytes(data)


def then(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        for step in steps:
            step(d)

    return mutate


def unchanged(d: Path) -> None:
    pass


def column_blank(
    file: str, column: str, *, only_facilities: bool = False
) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        lines = (d / file).read_text(encoding="utf-8").rstrip("\n").split("\n")
        names = lines[0].split(",")
        i = names.index(column)
        out = [lines[0]]
        for line in lines[1:]:
            cells = line.split(",")
            if not only_facilities or cells[2] not in ("supplier", "market"):
                cells[i] = ""
            out.append(",".join(cells))
        (d / file).write_text("\n".join(out) + "\n", encoding="utf-8")

    return mutate


def semicolon_copy(
    file: str, transform: Callable[[str], str] = lambda v: v
) -> Callable[[Path], None]:
    """Rewrite ``file`` ';'-separated with each cell passed through ``transform``."""

    def mutate(d: Path) -> None:
        lines = (d / file).read_text(encoding="utf-8").rstrip("\n").split("\n")
        out = [lines[0].replace(",", ";")]
        out += [";".join(transform(c) for c in line.split(",")) for line in lines[1:]]
        (d / file).write_text("\n".join(out) + "\n", encoding="utf-8")

    return mutate


def comma_decimal(value: str) -> str:
    return value.replace(".", ",") if re.fullmatch(r"\d+\.\d+", value) else value


def _alias_bomb(levels: int, width: int) -> str:
    """A 'billion laughs' document: each level repeats the previous one ``width`` times."""
    lines = ["x_l0: &l0 [lol]"]
    for i in range(1, levels + 1):
        lines.append(f"x_l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def projected_sites(
    file: str, *, crs_member: bool, declare: str | None = None, epsg: int = 32643
) -> Callable[[Path], None]:
    """Write the sites as a GeoJSON in UTM metres and point the scenario at it."""

    def mutate(d: Path) -> None:
        import json

        import geopandas as gpd
        import pandas as pd

        df = pd.read_csv(d / "sites.csv")
        points = gpd.points_from_xy(df["lon"], df["lat"])
        gdf = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]), geometry=points, crs=4326)
        gdf.to_crs(epsg).to_file(d / file, driver="GeoJSON")
        if not crs_member:
            data = json.loads((d / file).read_text())
            data.pop("crs", None)
            (d / file).write_text(json.dumps(data))
        spec = file if declare is None else f"{{path: {file}, crs: '{declare}'}}"
        add_to_lanes_yaml(d, f"sites: {spec}\n")

    return mutate


def projected_roads(d: Path) -> None:
    """A road layer in metres with no 'crs' member (GeoJSON then means lon/lat)."""
    import json

    road = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"highway": "trunk"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[500000, 5000000], [600000, 5100000]],
                },
            }
        ],
    }
    (d / "roads.geojson").write_text(json.dumps(road))
    edit(
        d / "scenario.yaml",
        "source: ${CLUSTERLOC_SHARED}/data/osm/kz_republic_roads_KAZ01-23.geojson",
        "source: roads.geojson",
    )


SITES_ROW_4 = "plant_kostanay,Kostanay assembly,plant,63.62463,53.21435,1500000000,40000,20000"
GEOJSON_SITES = (
    '{"type": "FeatureCollection", "features": ['
    '{"type": "Feature", "properties": {"site_id": "sup_khorgos", "type": "supplier", '
    '"fixed_costs": 5}, "geometry": {"type": "Point", "coordinates": [80.00736, 44.16619]}}'
    "]}"
)

CASES: list[Case] = [
    # ---------------------------------------------------------------- misspelled columns
    Case(
        "sites_fixed_costs",
        header("sites.csv", "fixed_cost", "fixed_costs"),
        r"sites\.csv line 1, column 6: unknown sites column 'fixed_costs'; did you mean "
        r"'fixed_cost'\?",
    ),
    Case(
        "sites_capitalised_column",
        header("sites.csv", "capacity", "Capacity"),
        r"sites\.csv line 1, column 7: unknown sites column 'Capacity'; did you mean 'capacity'",
    ),
    Case(
        "sites_space_in_name",
        header("sites.csv", "handling_cost", "handling cost"),
        r"sites\.csv line 1, column 8: unknown sites column 'handling cost'; did you mean "
        r"'handling_cost'",
    ),
    Case(
        "sites_longitude",
        header("sites.csv", "lon,", "longitude,"),
        r"sites\.csv line 1, column 4: unknown sites column 'longitude'; did you mean 'lon'",
    ),
    Case(
        "sites_undeclared_extra_column",
        then(
            header("sites.csv", "tags", "tags,operator"),
            lambda d: edit(d / "sites.csv", "north\n", "north,Allur\n"),
            lambda d: _pad_rows(d / "sites.csv"),
        ),
        r"sites\.csv line 1, column 11: unknown sites column 'operator' .*declare it "
        r"\(attributes: \{sites: \[operator\]\}\) or name it 'x_operator'",
    ),
    Case(
        "supply_cost_per_units",
        header("supply.csv", "cost_per_unit", "cost_per_units"),
        r"supply\.csv line 1, column 4: unknown supply column 'cost_per_units'; did you mean "
        r"'cost_per_unit'",
    ),
    Case(
        "supply_local_instead_of_domestic",
        header("supply.csv", "domestic", "local"),
        r"supply\.csv line 1, column 5: unknown supply column 'local'",
    ),
    Case(
        "demand_demnd",
        header("demand.csv", "demand", "demnd"),
        r"demand\.csv line 1, column 3: unknown demand column 'demnd'; did you mean 'demand'",
    ),
    Case(
        "lanes_hrs",
        header("lanes_straight.csv", "hours", "hrs"),
        r"lanes_straight\.csv line 1, column 4: unknown lanes column 'hrs'; did you mean 'hours'",
    ),
    Case(
        "lanes_cost_column_typo",
        then(
            header("lanes_straight.csv", "hours", "hours,cost_per_unt"),
            lambda d: _pad_rows(d / "lanes_straight.csv"),
        ),
        r"lanes_straight\.csv line 1, column 5: unknown lanes column 'cost_per_unt'; did you "
        r"mean 'cost_per_unit'",
    ),
    Case(
        "missing_required_column",
        header("demand.csv", "commodity", "x_commodity"),
        r"demand\.csv \(demand\): missing column 'commodity'; columns found: site_id, "
        r"x_commodity, demand",
    ),
    # ---------------------------------------------------------------- inline rows
    Case(
        "inline_rate_per_km",
        yaml_edit("weight_t: 1.2, rate_per_tkm: 25", "weight_t: 1.2, rate_per_km: 25"),
        r"scenario .*scenario\.yaml line 15 commodities\[0\]: unknown commodities column "
        r"'rate_per_km'; did you mean 'rate_per_tkm'",
    ),
    Case(
        "inline_co2_typo",
        yaml_edit("rate_per_tkm: 30, co2_kg_per_tkm", "rate_per_tkm: 30, co2_per_tkm"),
        r"scenario\.yaml line 17 commodities\[2\]: unknown commodities column 'co2_per_tkm'; "
        r"did you mean 'co2_kg_per_tkm'",
    ),
    Case(
        "inline_bom_quantiy",
        yaml_edit("input: steel, quantity: 0.3", "input: steel, quantiy: 0.3"),
        r"scenario\.yaml line 20 bom\[1\]: unknown bom column 'quantiy'; did you mean 'quantity'",
    ),
    Case(
        "inline_links_to",
        yaml_edit("{from_type: plant, to_type: market}", "{from_type: plant, to: market}"),
        r"scenario\.yaml line 25 links\[3\]: unknown links column 'to'",
    ),
    Case(
        "inline_block_style_row",
        yaml_add(
            "levels:\n  - site_id: plant_almaty\n    level: small\n    fixed_cost: 1000\n"
            "    capcity: 20000\n"
        ),
        r"lanes\.yaml line 10 levels\[0\]: unknown levels column 'capcity'; did you mean "
        r"'capacity'",
    ),
    Case(
        "inline_missing_weight",
        yaml_edit("unit: t, weight_t: 1.0, ", "unit: t, "),
        r"scenario .*scenario\.yaml line 16 commodities\[1\]: commodities column 'weight_t' is "
        r"empty or NaN; a value is required",
    ),
    Case(
        "inline_negative_weight",
        yaml_edit("weight_t: 1.0", "weight_t: -1.0"),
        r"scenario\.yaml line 16 commodities\[1\]: commodities column 'weight_t' must be >= 0",
    ),
    Case(
        "inline_duplicate_key",
        yaml_edit("weight_t: 1.0, rate_per_tkm: 20", "weight_t: 1.0, weight_t: 2.0"),
        r"scenario\.yaml line 16: key 'commodities\[1\]\.weight_t' is given twice|"
        r"scenario\.yaml line 16: key 'commodities\.1\.weight_t' is given twice|"
        r"scenario\.yaml line 16: .*given twice",
    ),
    Case(
        "inline_yield_above_one",
        yaml_edit("input: kit, quantity: 1}", "input: kit, quantity: 1, yield: 1.5}"),
        r"scenario\.yaml line 19 bom\[0\]: bom column 'yield' must be <= 1",
    ),
    # ---------------------------------------------------------------- --set into list items
    Case(
        "set_weght",
        unchanged,
        r"--set commodities\.0\.weght=1\.3: commodities\[0\]: unknown commodities column "
        r"'weght'; did you mean 'weight_t'",
        args=["--set", "commodities.0.weght=1.3"],
    ),
    Case(
        "set_yeild",
        unchanged,
        r"--set bom\.1\.yeild=0\.9: bom\[1\]: unknown bom column 'yeild'; did you mean 'yield'",
        args=["--set", "bom.1.yeild=0.9"],
    ),
    Case(
        "set_comodity",
        unchanged,
        r"--set links\.0\.comodity=kit: links\[0\]: unknown links column 'comodity'; did you "
        r"mean 'commodity'",
        args=["--set", "links.0.comodity=kit"],
    ),
    Case(
        "set_negative_rate",
        unchanged,
        r"--set commodities\.2\.rate_per_tkm=-5: commodities\[2\]: commodities column "
        r"'rate_per_tkm' must be >= 0",
        args=["--set", "commodities.2.rate_per_tkm=-5"],
    ),
    Case(
        "set_item_out_of_range",
        unchanged,
        r"--set 'commodities\.9\.weight_t=1': commodities\.9: no item 9 in a list of 3",
        args=["--set", "commodities.9.weight_t=1"],
    ),
    Case(
        "set_into_file_table",
        unchanged,
        r"--set 'sites\.0\.capacity=1': sites\.0 is a str, not a mapping|"
        r"--set 'sites\.0\.capacity=1': sites is a str, not a mapping",
        args=["--set", "sites.0.capacity=1"],
    ),
    Case(
        "set_whole_table_typo",
        unchanged,
        r"--set links=.*: links\[0\]: unknown links column 'from'",
        args=["--set", "links=[{from: supplier, to_type: plant}]"],
    ),
    # ---------------------------------------------------------------- duplicated / unnamed
    Case(
        "sites_duplicate_column",
        then(header("sites.csv", "tags", "tags,capacity"), lambda d: _pad_rows(d / "sites.csv")),
        r"sites\.csv line 1, column 11: column 'capacity' appears twice in the sites table "
        r"\(first as column 7\)",
    ),
    Case(
        "demand_duplicate_column",
        then(
            header("demand.csv", "demand", "demand,demand"), lambda d: _pad_rows(d / "demand.csv")
        ),
        r"demand\.csv line 1, column 4: column 'demand' appears twice",
    ),
    Case(
        "unnamed_column_with_values",
        then(
            header("supply.csv", "domestic", "domestic,"),
            cell("supply.csv", "250000,true", "250000,true,note"),
            lambda d: _pad_rows(d / "supply.csv"),
        ),
        r"supply\.csv line 1, column 6: the column has no name",
    ),
    # ---------------------------------------------------------------- blank columns
    Case(
        "demand_all_blank",
        column_blank("demand.csv", "demand"),
        r"demand\.csv line 1: demand column 'demand' is empty in all 9 rows; a value is "
        r"required",
    ),
    Case(
        "lanes_km_all_blank",
        column_blank("lanes_straight.csv", "km"),
        r"lanes_straight\.csv line 1: lanes column 'km' is empty in all 70 rows",
    ),
    Case(
        "sites_fixed_cost_all_blank",
        column_blank("sites.csv", "fixed_cost", only_facilities=True),
        r"sites\.csv line 1: sites column 'fixed_cost' is present but empty in all 6 rows; "
        r"fill it, or delete the column to use the default \(0\)",
    ),
    Case(
        "sites_capacity_all_blank",
        column_blank("sites.csv", "capacity", only_facilities=True),
        r"sites\.csv line 1: sites column 'capacity' is present but empty in all 6 rows; .*"
        r"default \(unlimited\)",
    ),
    Case(
        "supply_cost_all_blank",
        column_blank("supply.csv", "cost_per_unit"),
        r"supply\.csv line 1: supply column 'cost_per_unit' is present but empty in all 2 rows",
    ),
    Case(
        "site_type_all_blank",
        column_blank("sites.csv", "type"),
        r"sites\.csv line 1: sites column 'type' is empty in all 17 rows",
    ),
    # ---------------------------------------------------------------- ragged rows
    Case(
        "row_with_extra_field",
        cell("sites.csv", "20000,existing,north", "20000,existing,north,extra"),
        r"sites\.csv line 4: 11 fields, but the header \(line 1\) has 10 columns; a value "
        r"containing the delimiter must be quoted",
    ),
    Case(
        "unquoted_comma_in_name",
        cell("sites.csv", "Kostanay assembly", "Kostanay, assembly"),
        r"sites\.csv line 4: 11 fields, but the header \(line 1\) has 10 columns",
    ),
    Case(
        "row_with_missing_field",
        cell(
            "supply.csv", "sup_temirtau,steel,200000,250000,true", "sup_temirtau,steel,200000,true"
        ),
        r"supply\.csv line 3: 4 fields, but the header \(line 1\) has 5 columns; a field is "
        r"missing",
    ),
    Case(
        "truncated_last_line",
        cell("demand.csv", "mkt_semey,vehicle,3000", "mkt_semey,vehicle"),
        r"demand\.csv line 10: 2 fields, but the header \(line 1\) has 3 columns",
    ),
    # ---------------------------------------------------------------- cells
    Case(
        "capacity_in_words",
        cell("sites.csv", "40000,20000,existing", "forty thousand,20000,existing"),
        r"sites\.csv line 4: sites column 'capacity' must be a number, got 'forty thousand'",
    ),
    Case(
        "number_with_unit",
        cell("demand.csv", "mkt_almaty,vehicle,20000", "mkt_almaty,vehicle,20000 cars"),
        r"demand\.csv line 2: demand column 'demand' must be a number, got '20000 cars'",
    ),
    Case(
        "demand_na",
        cell("demand.csv", "mkt_almaty,vehicle,20000", "mkt_almaty,vehicle,n/a"),
        r"demand\.csv line 2: demand column 'demand' must be a number, got 'n/a'",
    ),
    Case(
        "negative_demand",
        cell("demand.csv", "mkt_almaty,vehicle,20000", "mkt_almaty,vehicle,-20000"),
        r"demand\.csv line 2: demand column 'demand' must be >= 0",
    ),
    Case(
        "infinite_fixed_cost",
        cell("sites.csv", "1500000000,40000", "inf,40000"),
        r"sites\.csv line 4: sites column 'fixed_cost' must be finite",
    ),
    Case(
        "longitude_200",
        cell("sites.csv", "63.62463,53.21435", "200,53.21435"),
        r"sites\.csv line 4: sites column 'lon' must be <= 180",
    ),
    Case(
        "status_open",
        cell("sites.csv", "20000,existing", "20000,open"),
        r"sites\.csv line 4: sites column 'status' must be one of existing, candidate, closed",
    ),
    Case(
        "domestic_maybe",
        cell("supply.csv", "250000,true", "250000,maybe"),
        r"supply\.csv line 3: supply column 'domestic' must be true or false, got 'maybe'",
    ),
    Case(
        "decimal_comma_in_comma_file",
        cell("lanes_straight.csv", "1951.8,32.53", '"1951,8",32.53'),
        r"lanes_straight\.csv line 2: lanes column 'km' must be a number, got '1951,8'; if ',' "
        r"is the decimal mark, declare it",
    ),
    Case(
        "thousands_comma_in_comma_file",
        cell("supply.csv", "200000,250000", '"200,000",250000'),
        r"supply\.csv line 3: supply column 'supply' must be a number, got '200,000'",
    ),
    # ---------------------------------------------------------------- decimal marks
    Case(
        "semicolon_thousands_ambiguous",
        then(
            semicolon_copy("supply.csv"),
            cell("supply.csv", "200000;250000", "200,000;250,000"),
        ),
        r"supply\.csv line 3, column 'supply': '200,000' could be a decimal comma or a "
        r"thousands separator; declare it: supply: \{path: \.\.\., decimal: ','\}",
    ),
    Case(
        "semicolon_mixed_decimal_marks",
        then(
            semicolon_copy("lanes_straight.csv", comma_decimal),
            cell("lanes_straight.csv", "335,9;5,6", "335.9;5.6"),
        ),
        r"lanes_straight\.csv: numbers use both decimal marks \('1951,8' on line 2, column 'km'; "
        r"'335\.9' on line 3, column 'km'\)",
    ),
    Case(
        "declared_comma_but_dots",
        then(
            semicolon_copy("lanes_straight.csv"),
            lambda d: edit(
                d / "lanes.yaml",
                "lanes: lanes_straight.csv",
                "lanes: {path: lanes_straight.csv, decimal: ','}",
            ),
        ),
        r"lanes_straight\.csv line 2: lanes column 'km' must be a number, got '1951\.8' \(the "
        r"file's decimal mark is ','\)",
    ),
    # ---------------------------------------------------------------- encodings
    Case(
        "latin1_file",
        lambda d: (d / "sites.csv").write_bytes(
            (d / "sites.csv").read_text().replace("Kostanay", "Kóstanay").encode("latin-1")
        ),
        r"sites\.csv line 4: byte 0xf3 is not UTF-8, and the file is not unmistakably Cyrillic "
        r"cp1251 either; re-save it as 'CSV UTF-8' or declare it: sites: \{path: \.\.\., "
        r"encoding: cp1252\}",
    ),
    Case(
        "cp1251_mixed_script_word",
        lambda d: (d / "sites.csv").write_bytes(
            (d / "sites.csv").read_text().replace("Kostanay assembly", "Kостанай").encode("cp1251")
        ),
        r"sites\.csv line 4: byte 0xee is not UTF-8, and the file is not unmistakably Cyrillic",
    ),
    Case(
        "declared_ascii_but_utf8",
        then(
            cell("sites.csv", "Kostanay assembly", "Қостанай assembly"),
            yaml_add("sites: {path: sites.csv, encoding: ascii}\n"),
        ),
        r"sites\.csv line 4: byte 0xd2 is not valid ascii \(the declared encoding\)",
    ),
    Case(
        "declared_utf16_but_utf8",
        yaml_add("demand: {path: demand.csv, encoding: utf-16}\n"),
        r"demand\.csv line \d+: byte 0x\w\w is not valid utf-16 \(the declared encoding\)|"
        r"demand\.csv \(demand\): missing column",
    ),
    Case(
        "unknown_encoding",
        yaml_add("sites: {path: sites.csv, encoding: windows-1234}\n"),
        r"lanes\.yaml line 6: sites: encoding: unknown encoding 'windows-1234'; use e\.g\. utf-8",
    ),
    Case(
        "nul_bytes",
        write_bytes("demand.csv", b"site_id,commodity,demand\n\x00\x01\x02\x03\xff\xfe\x00"),
        r"demand\.csv contains NUL bytes and is not UTF-8 or UTF-16 text",
    ),
    # ---------------------------------------------------------------- wrong file kinds
    Case(
        "xlsx_saved_as_csv",
        write_bytes("sites.csv", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64),
        r"table .*sites\.csv is a zipped file \(an Excel \.xlsx / LibreOffice \.ods workbook",
    ),
    Case(
        "xls_saved_as_csv",
        write_bytes("sites.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
        r"table .*sites\.csv is an old binary Excel workbook \(\.xls\)",
    ),
    Case(
        "xls_workbook",
        then(
            write_bytes("sites.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
            yaml_add("sites: sites.xls\n"),
        ),
        r"table file .*sites\.xls is an old binary Excel workbook \(\.xls\)",
    ),
    Case(
        "corrupt_xlsx",
        then(
            write_bytes("sites.xlsx", b"not a workbook"),
            yaml_add("sites: sites.xlsx\n"),
        ),
        r"table .*sites\.xlsx is not a readable workbook",
    ),
    Case(
        "unknown_format",
        then(write_bytes("sites.dbf", b"x"), yaml_add("sites: sites.dbf\n")),
        r"table file .*sites\.dbf: unknown format; use \.csv, \.xlsx, \.geojson",
    ),
    Case(
        "empty_file",
        write_bytes("demand.csv", b""),
        r"table .*demand\.csv is empty \(no header row\)",
    ),
    Case(
        "blank_lines_only",
        write_bytes("demand.csv", b"\r\n;;;\r\n\r\n"),
        r"table .*demand\.csv is empty \(no header row\)",
    ),
    Case(
        "header_only",
        write_bytes("demand.csv", b"site_id,commodity,demand\n,,\n"),
        r"table .*demand\.csv \(demand\) has no rows",
    ),
    Case(
        "ambiguous_delimiter",
        write_bytes(
            "supply.csv", b"site_id,commodity;supply\nsup_khorgos,kit;inf\nsup_temirtau,steel;1\n"
        ),
        r"supply\.csv line 1: the header splits as well on ',' and ';'; declare the delimiter",
    ),
    Case(
        "declared_wrong_delimiter",
        yaml_add("demand: {path: demand.csv, delimiter: ';'}\n"),
        r"demand\.csv line 1, column 1: unknown demand column 'site_id,commodity,demand'",
    ),
    Case(
        "geojson_property_typo",
        then(write_bytes("sup.geojson", GEOJSON_SITES.encode()), yaml_add("sites: sup.geojson\n")),
        r"table .*sup\.geojson: unknown sites column 'fixed_costs'; did you mean 'fixed_cost'",
    ),
    # ---------------------------------------------------------------- coordinates / CRS
    Case(
        "geojson_in_metres_without_crs",
        projected_sites("utm.geojson", crs_member=False),
        r"table .*utm\.geojson has no CRS other than lon/lat .* its coordinates reach "
        r"\(\d+, \d+\), so it looks projected \(metres\); declare its CRS: sites: \{path: "
        r"\.\.\., crs: EPSG:<code>\}",
    ),
    Case(
        "geojson_in_utm_undeclared",
        projected_sites("utm.geojson", crs_member=True),
        r"table .*utm\.geojson is in EPSG:32643; clusterloc does not reproject silently: "
        r"declare it \(sites: \{path: \.\.\., crs: EPSG:32643\}\)",
    ),
    Case(
        "geojson_crs_contradicts_declaration",
        projected_sites("utm.geojson", crs_member=True, declare="EPSG:32642"),
        r"table .*utm\.geojson says its CRS is EPSG:32643, but the scenario declares "
        r"EPSG:32642",
    ),
    Case(
        "unknown_crs_declared",
        yaml_add("sites: {path: sites.csv, crs: 'EPSG:999999'}\n"),
        r"lanes\.yaml line 6: sites: crs: unknown CRS 'EPSG:999999'",
    ),
    Case(
        "csv_lon_in_metres",
        cell("sites.csv", "63.62463,53.21435", "412345.6,5897321.1"),
        r"sites\.csv line 4: sites column 'lon' must be <= 180, got 412345\.6; projected "
        r"coordinates \(metres\)\? declare the table's CRS",
    ),
    Case(
        "road_layer_in_metres",
        projected_roads,
        r"roads\.geojson: the layer is labelled EPSG:4326 .* its coordinates reach \(600000, "
        r"5100000\), so it looks projected \(metres\); declare its CRS in the file",
        scenario="scenario.yaml",
    ),
    # ---------------------------------------------------------------- table specs
    Case(
        "mapping_without_path",
        yaml_add("sites: {file: sites.csv}\n"),
        r"lanes\.yaml line 6: sites: a table given as a mapping must name its file with 'path'",
    ),
    Case(
        "mapping_unknown_key",
        yaml_add("sites: {path: sites.csv, sep: ';'}\n"),
        r"lanes\.yaml line 6: sites: unknown key 'sep' of a table file; allowed keys: path, "
        r"layer, encoding, delimiter, decimal, crs",
    ),
    Case(
        "mapping_bad_delimiter",
        yaml_add("sites: {path: sites.csv, delimiter: ':'}\n"),
        r"lanes\.yaml line 6: sites: delimiter: delimiter must be one of ',', ';', '\|', 'tab'",
    ),
    Case(
        "mapping_bad_decimal",
        yaml_add("sites: {path: sites.csv, decimal: 'dot'}\n"),
        r"lanes\.yaml line 6: sites: decimal: ",
    ),
    Case(
        "list_mixes_rows_and_files",
        yaml_add("links: [{from_type: supplier, to_type: plant}, {path: links.csv}]\n"),
        r"lanes\.yaml line 6: links: the list mixes inline rows with files",
    ),
    Case(
        "table_of_numbers",
        yaml_add("sites: [1, 2]\n"),
        r"lanes\.yaml line 6: sites: a table must be a file path",
    ),
    Case(
        "numeric_column_names",
        yaml_add("links: [{1: supplier}]\n"),
        r"lanes\.yaml line 6: links: row 0: column names must be text",
    ),
    # ---------------------------------------------------------------- attribute declarations
    Case(
        "attribute_near_miss",
        yaml_add("attributes: {sites: [fixed_costs]}\n"),
        r"lanes\.yaml line 6: attributes\.sites: 'fixed_costs' is too close to the sites column "
        r"'fixed_cost' to be an extra attribute",
    ),
    Case(
        "attribute_is_a_column",
        yaml_add("attributes: {sites: [capacity]}\n"),
        r"lanes\.yaml line 6: attributes\.sites: 'capacity' is a column of the sites table",
    ),
    Case(
        "attribute_unknown_table",
        yaml_add("attributes: {site: [operator]}\n"),
        r"lanes\.yaml line 6: attributes: unknown table 'site'; did you mean 'sites'\?",
    ),
    Case(
        "attribute_listed_twice",
        yaml_add("attributes: {sites: [operator, operator]}\n"),
        r"lanes\.yaml line 6: attributes\.sites: 'operator' is listed twice",
    ),
    Case(
        "attribute_not_a_list",
        yaml_add("attributes: {sites: operator}\n"),
        r"lanes\.yaml line 6: attributes\.sites: input should be a valid list",
    ),
    Case(
        "attribute_declared_for_other_table",
        then(
            yaml_add("attributes: {supply: [operator]}\n"),
            header("sites.csv", "tags", "tags,operator"),
            lambda d: _pad_rows(d / "sites.csv"),
        ),
        r"sites\.csv line 1, column 11: unknown sites column 'operator'",
    ),
    # ---------------------------------------------------------------- YAML limits
    Case(
        "yaml_alias_bomb",
        yaml_add(_alias_bomb(levels=9, width=10)),
        r"lanes\.yaml: the document holds more than 1,000,000 values once its YAML aliases are "
        r"expanded",
    ),
    Case(
        "yaml_too_many_aliases",
        yaml_add("x_notes: &n [a]\nx_more: [" + ", ".join(["*n"] * 250) + "]\n"),
        r"lanes\.yaml line 7: more than 200 YAML aliases",
    ),
    Case(
        "yaml_recursive_alias",
        yaml_add("x_loop: &loop [a, *loop]\n"),
        r"lanes\.yaml line 6: a YAML alias refers to the value that contains it",
    ),
    Case(
        "yaml_nested_too_deep",
        yaml_add("x_deep: " + "[" * 100 + "]" * 100 + "\n"),
        r"lanes\.yaml line 6: mappings and lists nested more than 64 deep",
    ),
    Case(
        "yaml_not_utf8",
        lambda d: (d / "lanes.yaml").write_bytes(
            (d / "lanes.yaml").read_bytes() + "description: Kóstanay\n".encode("latin-1")
        ),
        r"scenario .*lanes\.yaml line 6: byte 0xf3 is not UTF-8; save the scenario file as UTF-8",
    ),
    Case(
        "yaml_undefined_alias",
        yaml_add("description: *nothing\n"),
        r"lanes\.yaml line 6: malformed YAML \(found undefined alias",
    ),
    Case(
        "top_level_typo",
        yaml_add("atributes: {sites: [operator]}\n"),
        r"lanes\.yaml line 6: unknown key 'atributes' \(did you mean 'attributes'\?\)",
    ),
]


def _pad_rows(path: Path) -> None:
    """Give every row as many fields as the header (an empty value at the end)."""
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    width = lines[0].count(",")
    out = [lines[0]] + [line + "," * (width - line.count(",")) for line in lines[1:]]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


@pytest.fixture
def kz_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "kz_small"
    shutil.copytree(KZ_SMALL, folder)
    return folder


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the ``clusterloc`` console script's entry point; return (exit code, stderr)."""
    with pytest.raises(SystemExit) as stop:
        main(args)
    code = stop.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def test_the_catalogue_is_large_and_names_are_unique() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 70


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_with_one_line(
    case: Case,
    kz_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    case.mutate(kz_copy)
    before = _files(tmp_path)
    args = ["solve", str(kz_copy / case.scenario), "--out", str(tmp_path / "runs" / "out")]
    code, err = run_main([*args, "--no-maps", *case.args], capsys)
    assert code == case.exit_code, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, err
    message = " ".join(err.split())
    assert re.search(case.message, message), message
    assert _files(tmp_path) == before  # no run folder, no temporary folder
