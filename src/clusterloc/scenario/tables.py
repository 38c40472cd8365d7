"""Read scenario tables (CSV, GeoJSON, GeoPackage or inline rows) and check every cell.

:func:`read_table` returns a DataFrame with the columns of
:data:`clusterloc.scenario.schema.TABLE_COLUMNS` converted to their types, defaults
filled in, extra columns kept, and a ``_where`` column naming each row's origin
(``data/sites.csv line 7``) for later error messages. :func:`read_tables` reads all the
tables of a scenario and checks the references between them.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from clusterloc.errors import ScenarioError
from clusterloc.scenario.load import _describe
from clusterloc.scenario.schema import (
    MARKET,
    SUPPLIER,
    TABLE_COLUMNS,
    Column,
    Scenario,
    TableSpec,
)

__all__ = [
    "WHERE",
    "ScenarioTables",
    "check_references",
    "read_table",
    "read_tables",
]

log = logging.getLogger(__name__)

WHERE = "_where"
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _convert(value: Any, col: Column, where: str, table: str) -> Any:
    """Convert one cell to the column's type, or raise naming the row and column."""
    bad = f"{where}: {table} column '{col.name}'"
    if _is_missing(value) or (
        col.kind in ("float", "int") and isinstance(value, str) and value.strip().lower() == "nan"
    ):
        if col.required:
            raise ScenarioError(f"{bad} is empty or NaN; a value is required.")
        return col.default
    if col.kind == "str":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if col.choices is not None and text not in col.choices:
            raise ScenarioError(f"{bad} must be one of {', '.join(col.choices)}, got '{text}'.")
        return text
    if col.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ScenarioError(f"{bad} must be true or false, got '{value}'.")
    # numbers
    if isinstance(value, bool):
        raise ScenarioError(f"{bad} must be a number, got {value}.")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"{bad} must be a number, got '{value}'.") from None
    if math.isnan(number):
        if col.required:
            raise ScenarioError(f"{bad} is NaN; a number is required.")
        return col.default
    if math.isinf(number) and not col.allow_inf:
        raise ScenarioError(f"{bad} must be finite, got {value}.")
    if col.min is not None and number < col.min:
        raise ScenarioError(f"{bad} must be >= {col.min:g}, got {value}.")
    if col.max is not None and number > col.max:
        raise ScenarioError(f"{bad} must be <= {col.max:g}, got {value}.")
    if col.kind == "int":
        if not number.is_integer():
            raise ScenarioError(f"{bad} must be a whole number, got {value}.")
        return int(number)
    return number


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    where = _describe(path)
    try:
        with path.open(encoding="utf-8-sig") as fh:
            header = fh.readline()
        # Spreadsheets in many locales export ';'-separated CSV.
        sep = ";" if header.count(";") > header.count(",") else ","
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            sep=sep,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise ScenarioError(f"table {where} is empty (no header row).") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScenarioError(f"table {where} is not a readable CSV file: {first}.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, [f"{where} line {i + 2}" for i in range(len(frame))]


def _read_vector(path: Path, layer: str | None) -> tuple[pd.DataFrame, list[str]]:
    import geopandas as gpd
    import pyogrio

    where = _describe(path) + (f" layer '{layer}'" if layer else "")
    try:
        if layer is not None:
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
            if layer not in layers:
                raise ScenarioError(
                    f"table {_describe(path)} has no layer '{layer}'; layers: {', '.join(layers)}."
                )
        gdf = gpd.read_file(path, layer=layer)
    except ScenarioError:
        raise
    except Exception as exc:  # pyogrio raises several error types for unreadable data
        raise ScenarioError(f"table {where} cannot be read: {exc}.") from None
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    geom = gdf.geometry
    if len(gdf) and ("lon" not in frame.columns or "lat" not in frame.columns):
        if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
            raise ScenarioError(
                f"table {where} is in {gdf.crs.to_string()}; clusterloc needs EPSG:4326 "
                "(lon/lat) and does not reproject silently."
            )
        if not (geom.geom_type == "Point").all():
            raise ScenarioError(
                f"table {where}: features must be Points to give lon/lat "
                "(or add lon and lat columns)."
            )
        frame["lon"] = geom.x.to_numpy()
        frame["lat"] = geom.y.to_numpy()
    return frame, [f"{where} feature {i + 1}" for i in range(len(frame))]


def _read_source(item: str) -> tuple[pd.DataFrame, list[str]]:
    path_text, _, layer = item.partition("#")
    path = Path(path_text)
    if not path.is_file():
        raise ScenarioError(f"table file {_describe(path)} not found.")
    name = path.name.lower()
    if name.endswith(".csv") or name.endswith(".txt"):
        return _read_csv(path)
    if name.endswith(_VECTOR_SUFFIXES):
        return _read_vector(path, layer or None)
    raise ScenarioError(
        f"table file {_describe(path)}: unknown format; use .csv, .geojson, .gpkg or .shp."
    )


def read_table(table: str, spec: TableSpec, *, scenario_where: str = "scenario") -> pd.DataFrame:
    """Read one scenario table and check every cell against its column spec.

    Parameters
    ----------
    table
        Table name, a key of :data:`~clusterloc.scenario.schema.TABLE_COLUMNS`.
    spec
        A path (``file.gpkg#layer`` picks a layer), a list of paths, or inline rows.
    scenario_where
        How to name the scenario file in errors about inline rows.

    Returns
    -------
    pandas.DataFrame
        Typed columns of the spec (defaults filled), extra columns as read, and
        ``_where`` (origin of each row).

    Raises
    ------
    ScenarioError
        Missing file, missing column, a bad cell (naming file, row and column).
    """
    columns = TABLE_COLUMNS[table]
    parts: list[tuple[pd.DataFrame, list[str], str]] = []
    if isinstance(spec, str):
        spec = [spec]
    if all(isinstance(item, dict) for item in spec):
        frame = pd.DataFrame(list(spec))
        wheres = [f"{scenario_where} {table}[{i}]" for i in range(len(frame))]
        parts.append((frame, wheres, f"{scenario_where} key '{table}'"))
    else:
        for item in spec:
            frame, wheres = _read_source(str(item))
            parts.append((frame, wheres, _describe(Path(str(item).partition("#")[0]))))
    out_frames = []
    for frame, wheres, label in parts:
        present = set(frame.columns)
        for col in columns:
            if col.required and col.name not in present:
                raise ScenarioError(
                    f"table {label} ({table}): missing column '{col.name}'; "
                    f"columns found: {', '.join(map(str, frame.columns)) or 'none'}."
                )
        data: dict[str, list[Any]] = {}
        records = frame.to_dict("records")
        for col in columns:
            if col.name in present:
                data[col.name] = [
                    _convert(row[col.name], col, where, table)
                    for row, where in zip(records, wheres, strict=True)
                ]
            else:
                data[col.name] = [col.default] * len(frame)
        typed = pd.DataFrame(data, index=range(len(frame)))
        extra = [c for c in frame.columns if c not in typed.columns]
        for c in extra:
            typed[c] = frame[c].to_numpy()
        typed[WHERE] = wheres
        out_frames.append(typed)
    result = pd.concat(out_frames, ignore_index=True) if out_frames else pd.DataFrame()
    if result.empty:
        raise ScenarioError(f"table {parts[0][2]} ({table}) has no rows.")
    if table == "sites":
        result["name"] = result["name"].where(result["name"].notna(), result["site_id"])
    return result


@dataclass
class ScenarioTables:
    """The tables of one scenario, read and checked (see :func:`read_tables`)."""

    sites: pd.DataFrame
    supply: pd.DataFrame
    demand: pd.DataFrame
    commodities: pd.DataFrame
    links: pd.DataFrame
    bom: pd.DataFrame
    levels: pd.DataFrame
    lanes: pd.DataFrame | None

    @property
    def facility_types(self) -> list[str]:
        """Facility types in the site tables (every type but supplier and market)."""
        types = self.sites["type"]
        return sorted(set(types[~types.isin([SUPPLIER, MARKET])]))

    def files(self) -> list[Path]:
        """Every table file read.

        Returns
        -------
        list of pathlib.Path
        """
        out: list[Path] = []
        for frame in (
            self.sites,
            self.supply,
            self.demand,
            self.commodities,
            self.links,
            self.bom,
            self.levels,
            self.lanes,
        ):
            if frame is None or WHERE not in frame:
                continue
            for where in frame[WHERE].unique():
                text = str(where).split(" line ")[0].split(" feature ")[0].split(" layer ")[0]
                path = Path(text)
                if path.is_file() and path.resolve() not in out:
                    out.append(path.resolve())
        return out


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame(
        {c.name: pd.Series(dtype=object) for c in TABLE_COLUMNS[table]}
        | {WHERE: pd.Series(dtype=object)}
    )


def _first_duplicate(frame: pd.DataFrame, keys: list[str]) -> tuple[str, str, str] | None:
    dup = frame.duplicated(subset=keys, keep=False)
    if not dup.any():
        return None
    rows = frame[dup]
    first = rows.iloc[0]
    same = rows[(rows[keys] == first[keys]).all(axis=1)]
    value = "/".join(str(first[k]) for k in keys)
    return value, str(same.iloc[0][WHERE]), str(same.iloc[1][WHERE])


def check_references(tables: ScenarioTables, scenario: Scenario) -> None:
    """Check the references between tables and the policy's type names.

    Parameters
    ----------
    tables
        The tables read.
    scenario
        The loaded scenario.

    Raises
    ------
    ScenarioError
        Duplicate ids, unknown sites / commodities / types, wrong site types.
    """
    sites = tables.sites
    dup = _first_duplicate(sites, ["site_id"])
    if dup:
        raise ScenarioError(f"{dup[2]}: duplicate site_id '{dup[0]}' (first at {dup[1]}).")
    dup = _first_duplicate(tables.commodities, ["commodity"])
    if dup:
        raise ScenarioError(f"{dup[2]}: duplicate commodity '{dup[0]}' (first at {dup[1]}).")
    types = dict(zip(sites["site_id"], sites["type"], strict=True))
    commodities = set(tables.commodities["commodity"])
    facility_types = set(tables.facility_types)

    def check_site(frame: pd.DataFrame, column: str, want: set[str] | None, label: str) -> None:
        for value, where in zip(frame[column], frame[WHERE], strict=True):
            if value not in types:
                raise ScenarioError(f"{where}: {label} '{value}' is not a site of the site tables.")
            if want is not None and types[value] not in want:
                raise ScenarioError(
                    f"{where}: {label} '{value}' has type '{types[value]}', expected "
                    f"{' or '.join(sorted(want))}."
                )

    def check_commodity(frame: pd.DataFrame, column: str) -> None:
        for value, where in zip(frame[column], frame[WHERE], strict=True):
            if value is not None and value != "" and value not in commodities:
                raise ScenarioError(
                    f"{where}: unknown commodity '{value}'; commodities: "
                    f"{', '.join(sorted(commodities))}."
                )

    check_site(tables.supply, "site_id", {SUPPLIER}, "supply site")
    check_commodity(tables.supply, "commodity")
    dup = _first_duplicate(tables.supply, ["site_id", "commodity"])
    if dup:
        raise ScenarioError(f"{dup[2]}: duplicate supply row '{dup[0]}' (first at {dup[1]}).")
    check_site(tables.demand, "site_id", {MARKET}, "demand site")
    check_commodity(tables.demand, "commodity")
    dup = _first_duplicate(tables.demand, ["site_id", "commodity"])
    if dup:
        raise ScenarioError(f"{dup[2]}: duplicate demand row '{dup[0]}' (first at {dup[1]}).")
    known = ", ".join(sorted(facility_types)) or "none"
    for row in tables.links.to_dict("records"):
        if row["from_type"] != SUPPLIER and row["from_type"] not in facility_types:
            raise ScenarioError(
                f"{row[WHERE]}: link from_type '{row['from_type']}' is neither 'supplier' nor a "
                f"facility type of the site tables ({known})."
            )
        if row["to_type"] != MARKET and row["to_type"] not in facility_types:
            raise ScenarioError(
                f"{row[WHERE]}: link to_type '{row['to_type']}' is neither 'market' nor a "
                f"facility type of the site tables ({known})."
            )
    check_commodity(tables.links, "commodity")
    for row in tables.bom.to_dict("records"):
        if row["type"] not in facility_types:
            raise ScenarioError(
                f"{row[WHERE]}: bom type '{row['type']}' is not a facility type of the site "
                f"tables ({known})."
            )
    check_commodity(tables.bom, "output")
    check_commodity(tables.bom, "input")
    if len(tables.levels):
        check_site(tables.levels, "site_id", facility_types, "levels site")
        dup = _first_duplicate(tables.levels, ["site_id", "level"])
        if dup:
            raise ScenarioError(f"{dup[2]}: duplicate level '{dup[0]}' (first at {dup[1]}).")
    if tables.lanes is not None:
        check_site(tables.lanes, "origin", None, "lane origin")
        check_site(tables.lanes, "destination", None, "lane destination")
        check_commodity(tables.lanes, "commodity")
    policy = scenario.policy
    for key, counts in (("min_open", policy.min_open), ("max_open", policy.max_open)):
        for ftype in counts:
            if ftype not in facility_types:
                raise ScenarioError(
                    f"scenario policy.{key}: '{ftype}' is not a facility type of the site tables "
                    f"({', '.join(sorted(facility_types)) or 'none'})."
                )
    for ftype, low in policy.min_open.items():
        high = policy.max_open.get(ftype)
        if high is not None and low > high:
            raise ScenarioError(
                f"scenario policy: min_open.{ftype} = {low} is above max_open.{ftype} = {high}."
            )
    tags = {t.strip() for text in sites["tags"] for t in str(text).split(";") if t.strip()}
    for tag in policy.fixed_cost_subsidy:
        if tag not in tags:
            log.warning("policy.fixed_cost_subsidy: no site carries the tag '%s'", tag)


def read_tables(scenario: Scenario) -> ScenarioTables:
    """Read every table of a scenario and check them and their references.

    Parameters
    ----------
    scenario
        A loaded scenario (paths absolute).

    Returns
    -------
    ScenarioTables

    Raises
    ------
    ScenarioError
        The first problem found, naming the file and row.
    """
    where = _describe(scenario.path) if scenario.path else "scenario"
    tables = ScenarioTables(
        sites=read_table("sites", scenario.sites, scenario_where=where),
        supply=read_table("supply", scenario.supply, scenario_where=where),
        demand=read_table("demand", scenario.demand, scenario_where=where),
        commodities=read_table("commodities", scenario.commodities, scenario_where=where),
        links=read_table("links", scenario.links, scenario_where=where),
        bom=read_table("bom", scenario.bom, scenario_where=where)
        if scenario.bom is not None
        else _empty("bom"),
        levels=read_table("levels", scenario.levels, scenario_where=where)
        if scenario.levels is not None
        else _empty("levels"),
        lanes=read_table("lanes", scenario.lanes, scenario_where=where)
        if scenario.lanes is not None
        else None,
    )
    check_references(tables, scenario)
    return tables
