"""Spreadsheet exports as they come out of Excel read to the same numbers and the same optimum.

Each dialect rewrites the tables of ``tests/data/kz_small`` (explicit-lanes scenario) the way
Excel / LibreOffice export them in Kazakhstan and Russia — ``;`` with decimal comma, UTF-8
with byte-order mark and CRLF, cp1251 with Cyrillic names, UTF-16 "Unicode text" with tabs,
a TSV named ``.csv``, Excel's ``sep=;`` line, numbers grouped with no-break spaces, blank
trailing rows, an ``.xlsx`` workbook — and checks that every table reads to exactly the
numbers of the clean files and that ``clusterloc solve`` gives the same objective.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from clusterloc.cli.main import main
from clusterloc.scenario.load import load_scenario
from clusterloc.scenario.tables import WHERE, read_tables

KZ_SMALL = Path(__file__).resolve().parents[1] / "data" / "kz_small"
FILES = ("sites.csv", "supply.csv", "demand.csv", "lanes_straight.csv")
NBSP = "\u00a0"


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _is_decimal(cell: str) -> bool:
    return re.fullmatch(r"-?\d+\.\d+", cell) is not None


def _comma(cell: str) -> str:
    return cell.replace(".", ",") if _is_decimal(cell) else cell


def _grouped(cell: str) -> str:
    """``1500000000`` → ``1 500 000 000`` (no-break spaces), decimals with a comma."""
    if re.fullmatch(r"\d{4,}", cell):
        return f"{int(cell):,}".replace(",", NBSP)
    return _comma(cell)


def _write(
    path: Path,
    rows: list[list[str]],
    *,
    delimiter: str,
    encoding: str,
    cell: Callable[[str], str] = lambda c: c,
    newline: str = "\n",
    prefix: str = "",
    trailer: str = "",
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(rows[0])
    for row in rows[1:]:
        writer.writerow([cell(c) for c in row])
    path.write_bytes((prefix + out.getvalue() + trailer).encode(encoding))


def _cyrillic_names(rows: list[list[str]]) -> list[list[str]]:
    if "name" not in rows[0]:
        return rows
    i = rows[0].index("name")
    return [rows[0]] + [[*r[:i], f"Площадка № {n}", *r[i + 1 :]] for n, r in enumerate(rows[1:])]


def excel_ru(d: Path) -> None:
    """Excel (ru-RU) 'CSV UTF-8': BOM, ';', decimal comma, CRLF, a few ';;;;' rows at the end."""
    for f in FILES:
        rows = _rows(d / f)
        empty = ";" * (len(rows[0]) - 1) + "\r\n"
        _write(
            d / f,
            rows,
            delimiter=";",
            encoding="utf-8-sig",
            cell=_comma,
            newline="\r\n",
            trailer=empty * 3,
        )


def _excel_ru_cell(cell: str) -> str:
    return {"true": "ИСТИНА", "false": "ЛОЖЬ"}.get(cell, _comma(cell))


def excel_cp1251(d: Path) -> None:
    """Excel (ru-RU) plain 'CSV': cp1251, Cyrillic names, ';', decimal comma, ИСТИНА/ЛОЖЬ."""
    for f in FILES:
        rows = _cyrillic_names(_rows(d / f))
        _write(d / f, rows, delimiter=";", encoding="cp1251", cell=_excel_ru_cell, newline="\r\n")


def unicode_text(d: Path) -> None:
    """Excel 'Unicode text': UTF-16 LE with BOM, tab-separated, decimal comma."""
    for f in FILES:
        rows = _cyrillic_names(_rows(d / f))
        _write(d / f, rows, delimiter="\t", encoding="utf-16", cell=_comma, newline="\r\n")


def utf16_without_bom(d: Path) -> None:
    """UTF-16 LE without a byte-order mark, ';' with decimal comma."""
    for f in FILES:
        _write(d / f, _rows(d / f), delimiter=";", encoding="utf-16-le", cell=_comma)


def tsv_named_csv(d: Path) -> None:
    """Tab-separated values saved as .csv, decimal point, blank lines at the end."""
    for f in FILES:
        _write(d / f, _rows(d / f), delimiter="\t", encoding="utf-8", trailer="\n\n\n")


def sep_line(d: Path) -> None:
    """Excel's 'sep=;' first line, ';' with decimal point."""
    for f in FILES:
        _write(d / f, _rows(d / f), delimiter=";", encoding="utf-8", prefix="sep=;\n")


def grouped_thousands(d: Path) -> None:
    """Numbers formatted with no-break-space thousands groups and decimal comma."""
    for f in FILES:
        _write(d / f, _rows(d / f), delimiter=";", encoding="utf-8", cell=_grouped)


def declared_mapping(d: Path) -> None:
    """cp1252 (Western) with '|' and decimal comma: nothing detectable, all declared."""
    for f in FILES:
        rows = _rows(d / f)
        if "name" in rows[0]:
            i = rows[0].index("name")
            rows = [rows[0]] + [[*r[:i], r[i] + " café", *r[i + 1 :]] for r in rows[1:]]
        _write(d / f, rows, delimiter="|", encoding="cp1252", cell=_comma)
    spec = "{{path: {f}, encoding: cp1252, delimiter: '|', decimal: ','}}"
    text = (d / "scenario.yaml").read_text(encoding="utf-8")
    for key, f in (("sites", "sites.csv"), ("supply", "supply.csv"), ("demand", "demand.csv")):
        text = text.replace(f"{key}: {f}\n", f"{key}: {spec.format(f=f)}\n")
    (d / "scenario.yaml").write_text(text, encoding="utf-8")
    lanes = (d / "lanes.yaml").read_text(encoding="utf-8")
    lanes = lanes.replace(
        "lanes: lanes_straight.csv", "lanes: " + spec.format(f="lanes_straight.csv")
    )
    (d / "lanes.yaml").write_text(lanes, encoding="utf-8")


def xlsx_workbook(d: Path) -> None:
    """An .xlsx workbook per table (numbers stored as numbers, as Excel saves them)."""
    import pyogrio

    for f in FILES:
        frame = pd.read_csv(d / f, dtype=str, keep_default_na=False)
        for c in frame.columns:
            numbers = pd.to_numeric(frame[c].replace("", None), errors="coerce")
            if numbers.notna().sum() == (frame[c] != "").sum() and (frame[c] != "").any():
                frame[c] = numbers
        out = d / f.replace(".csv", ".xlsx")
        pyogrio.write_dataframe(frame, out, driver="XLSX", layer="Sheet1")
    for yaml_file in ("scenario.yaml", "lanes.yaml"):
        text = (d / yaml_file).read_text(encoding="utf-8")
        for f in FILES:
            text = text.replace(f": {f}\n", f": {f.replace('.csv', '.xlsx')}\n")
        (d / yaml_file).write_text(text, encoding="utf-8")


DIALECTS: dict[str, Callable[[Path], None]] = {
    "excel_ru_utf8_bom": excel_ru,
    "excel_ru_cp1251": excel_cp1251,
    "unicode_text_utf16": unicode_text,
    "utf16_without_bom": utf16_without_bom,
    "tsv_named_csv": tsv_named_csv,
    "sep_line": sep_line,
    "grouped_thousands": grouped_thousands,
    "declared_mapping": declared_mapping,
    "xlsx_workbook": xlsx_workbook,
}


def _numbers(folder: Path) -> dict[str, pd.DataFrame]:
    tables = read_tables(load_scenario(folder / "lanes.yaml"))
    out = {}
    for name in ("sites", "supply", "demand", "lanes"):
        frame = getattr(tables, name).drop(columns=[WHERE])
        out[name] = frame.drop(columns=["name"], errors="ignore").reset_index(drop=True)
    return out


def _objective(folder: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> float:
    with pytest.raises(SystemExit) as stop:
        main(["solve", str(folder / "lanes.yaml"), "--out", str(out), "--no-maps"])
    err = capsys.readouterr().err
    assert stop.value.code in (0, None), err
    return float(json.loads((out / "summary.json").read_text())["objective"])


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return _numbers(KZ_SMALL)


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_dialect_reads_to_the_same_numbers(
    dialect: str, tmp_path: Path, clean: dict[str, pd.DataFrame]
) -> None:
    folder = tmp_path / "kz"
    shutil.copytree(KZ_SMALL, folder)
    DIALECTS[dialect](folder)
    got = _numbers(folder)
    for name, frame in clean.items():
        pd.testing.assert_frame_equal(
            got[name][list(frame.columns)], frame, check_dtype=False, obj=f"{dialect} {name}"
        )


@pytest.mark.parametrize("dialect", ["excel_ru_cp1251", "unicode_text_utf16", "xlsx_workbook"])
def test_dialect_solves_to_the_same_objective(
    dialect: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _objective(KZ_SMALL, tmp_path / "clean", capsys)
    folder = tmp_path / "kz"
    shutil.copytree(KZ_SMALL, folder)
    DIALECTS[dialect](folder)
    assert _objective(folder, tmp_path / "dialect", capsys) == base
    assert base == pytest.approx(30_669_849_500)


def test_extra_columns_are_carried_when_declared_or_prefixed(tmp_path: Path) -> None:
    folder = tmp_path / "kz"
    shutil.copytree(KZ_SMALL, folder)
    rows = _rows(folder / "sites.csv")
    rows[0] += ["operator", "x_region"]
    for n, row in enumerate(rows[1:]):
        row += [f"op{n}", f"r{n}"]
    _write(folder / "sites.csv", rows, delimiter=",", encoding="utf-8")
    with (folder / "lanes.yaml").open("a", encoding="utf-8") as fh:
        fh.write("attributes: {sites: [operator]}\n")
    sites = read_tables(load_scenario(folder / "lanes.yaml")).sites
    assert sites["operator"].tolist()[:2] == ["op0", "op1"]
    assert sites["x_region"].tolist()[-1] == "r16"


@pytest.mark.parametrize("kind", ["geojson_without_crs", "geojson_with_crs", "csv"])
def test_declared_crs_is_transformed_to_lon_lat(
    kind: str, tmp_path: Path, clean: dict[str, pd.DataFrame]
) -> None:
    import geopandas as gpd

    folder = tmp_path / "kz"
    shutil.copytree(KZ_SMALL, folder)
    df = pd.read_csv(folder / "sites.csv", dtype=str, keep_default_na=False)
    points = gpd.points_from_xy(df["lon"].astype(float), df["lat"].astype(float))
    utm = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]), geometry=points, crs=4326)
    utm = utm.to_crs(32643)
    if kind == "csv":
        df["lon"], df["lat"] = utm.geometry.x.map(repr), utm.geometry.y.map(repr)
        df.to_csv(folder / "utm.csv", index=False)
        spec = "{path: utm.csv, crs: 'EPSG:32643'}"
    else:
        utm.to_file(folder / "utm.geojson", driver="GeoJSON")
        if kind == "geojson_without_crs":
            data = json.loads((folder / "utm.geojson").read_text())
            data.pop("crs")
            (folder / "utm.geojson").write_text(json.dumps(data))
        spec = "{path: utm.geojson, crs: 'EPSG:32643'}"
    with (folder / "lanes.yaml").open("a", encoding="utf-8") as fh:
        fh.write(f"sites: {spec}\n")
    sites = _numbers(folder)["sites"]
    want = clean["sites"]
    assert sites["site_id"].tolist() == want["site_id"].tolist()
    for axis in ("lon", "lat"):
        diff = (sites[axis].astype(float) - want[axis].astype(float)).abs().max()
        assert diff < 1e-7, (axis, diff)


def test_workbook_tables_count_as_input_files(tmp_path: Path) -> None:
    folder = tmp_path / "kz"
    shutil.copytree(KZ_SMALL, folder)
    xlsx_workbook(folder)
    files = read_tables(load_scenario(folder / "lanes.yaml")).files()
    assert {p.name for p in files} == {f.replace(".csv", ".xlsx") for f in FILES}
