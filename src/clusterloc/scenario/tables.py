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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clusterloc.errors import ScenarioError
from clusterloc.scenario.columns import (
    check_attribute_declarations,
    check_header,
    known_columns,
)
from clusterloc.scenario.csvread import (
    describe_delimiter,
    detect_decimal,
    parse_number,
    read_csv_file,
)
from clusterloc.scenario.load import _describe
from clusterloc.scenario.schema import (
    MARKET,
    SUPPLIER,
    TABLE_COLUMNS,
    Column,
    Scenario,
    TableSpec,
    is_file_mapping,
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
#: Excel in Russian writes ИСТИНА / ЛОЖЬ for TRUE / FALSE.
_TRUE = {"true", "yes", "y", "1", "t", "истина", "да"}
_FALSE = {"false", "no", "n", "0", "f", "ложь", "нет"}


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _convert(value: Any, col: Column, where: str, table: str, decimal: str = ".") -> Any:
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
        number = parse_number(value, decimal) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        fix = ""
        if "," in str(value) and decimal == ".":
            fix = (
                f"; if ',' is the decimal mark, declare it: {table}: "
                "{path: ..., delimiter: ';', decimal: ','}"
            )
        elif "." in str(value) and decimal == ",":
            fix = " (the file's decimal mark is ',')"
        raise ScenarioError(f"{bad} must be a number, got '{value}'{fix}.") from None
    if math.isnan(number):
        if col.required:
            raise ScenarioError(f"{bad} is NaN; a number is required.")
        return col.default
    if math.isinf(number) and not col.allow_inf:
        raise ScenarioError(f"{bad} must be finite, got {value}.")
    if col.min is not None and number < col.min:
        raise ScenarioError(f"{bad} must be >= {col.min:g}, got {value}.")
    if col.max is not None and number > col.max:
        hint = ""
        if col.name in ("lon", "lat") and abs(number) > 1000:
            hint = (
                f"; projected coordinates (metres)? declare the table's CRS: {table}: "
                "{path: ..., crs: EPSG:<code>}"
            )
        raise ScenarioError(f"{bad} must be <= {col.max:g}, got {value}{hint}.")
    if col.kind == "int":
        if not number.is_integer():
            raise ScenarioError(f"{bad} must be a whole number, got {value}.")
        return int(number)
    return number


@dataclass
class _Source:
    """One table source (a file or the inline rows) before its cells are converted."""

    columns: list[str]
    records: list[dict[str, Any]]
    wheres: list[str]
    label: str
    decimal: str = "."
    header_where: str = ""
    cell_wheres: dict[tuple[int, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class _FileOptions:
    path: Path
    layer: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    crs: str | None = None


def _file_options(item: str | dict[str, Any]) -> _FileOptions:
    if isinstance(item, str):
        path_text, _, layer = item.partition("#")
        return _FileOptions(Path(path_text), layer or None)
    path_text, _, layer = str(item["path"]).partition("#")
    return _FileOptions(
        Path(path_text),
        item.get("layer") or layer or None,
        item.get("encoding"),
        item.get("delimiter"),
        item.get("decimal"),
        item.get("crs"),
    )


def _numeric_columns(table: str) -> list[str]:
    return [c.name for c in TABLE_COLUMNS[table] if c.kind in ("float", "int")]


def _read_csv(table: str, opts: _FileOptions, declared: Sequence[str]) -> _Source:
    where = _describe(opts.path)
    csv_table = read_csv_file(
        opts.path,
        table=table,
        known=known_columns(table),
        where=where,
        encoding=opts.encoding,
        delimiter=opts.delimiter,
    )
    header_line = csv_table.header_line
    check_header(
        table,
        csv_table.header,
        declared=declared,
        locate=lambda i: f"table {where} line {header_line}, column {i + 1}",
    )
    records = [dict(zip(csv_table.header, row, strict=True)) for row in csv_table.rows]
    numeric = [c for c in _numeric_columns(table) if c in csv_table.header]
    decimal = detect_decimal(
        (
            (rec[c], str(line), c)
            for rec, line in zip(records, csv_table.lines, strict=True)
            for c in numeric
        ),
        delimiter=csv_table.delimiter,
        declared=opts.decimal,
        where=where,
        table=table,
    )
    if opts.crs and "lon" in csv_table.header and "lat" in csv_table.header:
        _transform_lonlat(records, opts.crs, decimal)
    if csv_table.encoding not in ("utf-8", "utf-8-sig", "ascii") or decimal != ".":
        log.info(
            "table %s: read as %s, delimiter %s, decimal mark '%s'",
            where,
            csv_table.encoding,
            describe_delimiter(csv_table.delimiter),
            decimal,
        )
    return _Source(
        columns=list(csv_table.header),
        records=records,
        wheres=[f"{where} line {line}" for line in csv_table.lines],
        label=where,
        decimal=decimal,
        header_where=f"table {where} line {header_line}",
    )


def _to_lonlat(gdf: Any, declared: str | None, where: str, table: str) -> Any:
    """The layer in EPSG:4326: as declared (``crs``), or refused when it is not lon/lat."""
    import pyproj

    wgs84 = pyproj.CRS("EPSG:4326")
    if declared is not None:
        want = pyproj.CRS.from_user_input(declared)
        if gdf.crs is not None and not gdf.crs.equals(wgs84) and not gdf.crs.equals(want):
            raise ScenarioError(
                f"table {where} says its CRS is {gdf.crs.to_string()}, but the scenario "
                f"declares {declared}; remove the declaration or correct it."
            )
        return gdf.set_crs(want, allow_override=True).to_crs(wgs84)
    if gdf.crs is not None and not gdf.crs.equals(wgs84):
        raise ScenarioError(
            f"table {where} is in {gdf.crs.to_string()}; clusterloc does not reproject "
            f"silently: declare it ({table}: {{path: ..., crs: {gdf.crs.to_string()}}}) to "
            "have it transformed to EPSG:4326."
        )
    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    if max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90:
        raise ScenarioError(
            f"table {where} has no CRS other than lon/lat (a GeoJSON without a 'crs' member is "
            f"read as EPSG:4326), but its coordinates reach ({x1:.0f}, {y1:.0f}), so it looks "
            f"projected (metres); declare its CRS: {table}: {{path: ..., crs: EPSG:<code>}} "
            "(e.g. EPSG:32642 for UTM zone 42N)."
        )
    return gdf


def _transform_lonlat(records: list[dict[str, Any]], crs: str, decimal: str) -> None:
    """Turn ``lon``/``lat`` given in ``crs`` into EPSG:4326 in place (unreadable cells kept)."""
    import pyproj

    transformer = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    for rec in records:
        try:
            x, y = (
                parse_number(v, decimal) if isinstance(v, str) else float(v)
                for v in (rec["lon"], rec["lat"])
            )
        except (TypeError, ValueError):
            continue  # reported by the cell check with the row and column
        lon, lat = transformer.transform(x, y)
        rec["lon"], rec["lat"] = float(lon), float(lat)


def _read_vector(table: str, opts: _FileOptions, declared: Sequence[str]) -> _Source:
    import geopandas as gpd
    import pyogrio

    path, layer = opts.path, opts.layer
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
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    check_header(table, columns, declared=declared, locate=lambda i: f"table {where}")
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame.columns = columns
    has_lonlat = "lon" in frame.columns and "lat" in frame.columns
    if len(gdf) and not has_lonlat:
        gdf = _to_lonlat(gdf, opts.crs, where, table)
    geom = gdf.geometry
    if len(gdf) and not has_lonlat:
        if not (geom.geom_type == "Point").all():
            raise ScenarioError(
                f"table {where}: features must be Points to give lon/lat "
                "(or add lon and lat columns)."
            )
        frame["lon"] = geom.x.to_numpy()
        frame["lat"] = geom.y.to_numpy()
        columns = [*columns, "lon", "lat"]
    records = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    if has_lonlat and opts.crs:
        _transform_lonlat(records, opts.crs, ".")
    return _Source(
        columns=columns,
        records=records,
        wheres=[f"{where} feature {i + 1}" for i in range(len(frame))],
        label=where,
        header_where=f"table {where}",
    )


def _read_workbook(table: str, opts: _FileOptions, declared: Sequence[str]) -> _Source:
    import pyogrio

    path = opts.path
    try:
        sheets = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises several error types for unreadable data
        raise ScenarioError(
            f"table {_describe(path)} is not a readable workbook ({exc}); save it from Excel "
            "as .xlsx or as 'CSV UTF-8 (comma delimited)'."
        ) from None
    sheet = opts.layer or (sheets[0] if sheets else None)
    if sheet not in sheets:
        raise ScenarioError(
            f"table {_describe(path)} has no sheet '{sheet}'; sheets: {', '.join(sheets)}."
        )
    where = f"{_describe(path)} sheet '{sheet}'"
    try:
        frame = pyogrio.read_dataframe(
            path, layer=sheet, read_geometry=False, fid_as_index=True, HEADERS="FORCE"
        )
    except Exception as exc:  # pyogrio raises several error types for unreadable data
        raise ScenarioError(f"table {where} cannot be read: {exc}.") from None
    columns = [str(c).strip() for c in frame.columns]
    check_header(table, columns, declared=declared, locate=lambda i: f"table {where} row 1")
    frame.columns = columns
    records: list[dict[str, Any]] = []
    wheres: list[str] = []
    for fid, rec in zip(frame.index, frame.to_dict("records"), strict=True):
        if all(_is_missing(v) for v in rec.values()):
            continue
        records.append(rec)
        wheres.append(f"{where} row {int(fid)}")
    if opts.crs and "lon" in columns and "lat" in columns:
        _transform_lonlat(records, opts.crs, ".")
    return _Source(
        columns=columns,
        records=records,
        wheres=wheres,
        label=where,
        header_where=f"table {where} row 1",
    )


_WORKBOOK_SUFFIXES = (".xlsx", ".ods")


def _read_source(table: str, item: str | dict[str, Any], declared: Sequence[str]) -> _Source:
    opts = _file_options(item)
    path = opts.path
    if not path.is_file():
        raise ScenarioError(f"table file {_describe(path)} not found.")
    name = path.name.lower()
    if name.endswith((".csv", ".txt", ".tsv")):
        return _read_csv(table, opts, declared)
    if name.endswith(_VECTOR_SUFFIXES):
        return _read_vector(table, opts, declared)
    if name.endswith(_WORKBOOK_SUFFIXES):
        return _read_workbook(table, opts, declared)
    if name.endswith(".xls"):
        raise ScenarioError(
            f"table file {_describe(path)} is an old binary Excel workbook (.xls), which "
            "clusterloc does not read; save it from Excel as .xlsx or as 'CSV UTF-8'."
        )
    raise ScenarioError(
        f"table file {_describe(path)}: unknown format; use .csv, .xlsx, .geojson, .gpkg or .shp."
    )


def _table_key_where(
    table: str, scenario_where: str, locations: Mapping[tuple[Any, ...], str]
) -> str:
    loc = locations.get((table,))
    if loc is None:
        return f"scenario {scenario_where} key '{table}'"
    if loc.startswith("--set"):
        return f"{loc}: key '{table}'"
    return f"scenario {loc} key '{table}'"


def _inline_source(
    table: str,
    rows: list[dict[str, Any]],
    declared: Sequence[str],
    scenario_where: str,
    locations: Mapping[tuple[Any, ...], str],
) -> _Source:
    def locate(i: int, column: str | None = None) -> str:
        keys = [(table, i, column), (table, i), (table,)] if column else [(table, i), (table,)]
        loc = next((locations[k] for k in keys if k in locations), None)
        if loc is None:
            return f"scenario {scenario_where} {table}[{i}]"
        if loc.startswith("--set"):
            return f"{loc}: {table}[{i}]"
        return f"scenario {loc} {table}[{i}]"

    columns: list[str] = []
    cell_wheres: dict[tuple[int, str], str] = {}
    for i, row in enumerate(rows):
        names = list(row)
        row_where = [locate(i, name) for name in names]
        check_header(table, names, declared=declared, locate=row_where.__getitem__)
        for name in names:
            cell_wheres[(i, name)] = locate(i, name)
            if name not in columns:
                columns.append(name)
    records = [{c: row.get(c) for c in columns} for row in rows]
    return _Source(
        columns=columns,
        records=records,
        wheres=[locate(i) for i in range(len(rows))],
        label=_table_key_where(table, scenario_where, locations),
        header_where=_table_key_where(table, scenario_where, locations),
        cell_wheres=cell_wheres,
    )


_FACILITY_COLUMNS = ("fixed_cost", "capacity", "handling_cost", "status")


def _describe_default(col: Column) -> str:
    if col.default is None:
        return "none"
    if isinstance(col.default, float) and math.isinf(col.default):
        return "unlimited"
    return f"{col.default:g}" if isinstance(col.default, float) else str(col.default)


def _check_blank_columns(table: str, source: _Source) -> None:
    """Refuse a required or numeric column that is present but empty in every row."""
    is_facility = [
        table != "sites" or str(r.get("type") or "").strip() not in (SUPPLIER, MARKET)
        for r in source.records
    ]
    for col in TABLE_COLUMNS[table]:
        if col.name not in source.columns or not (col.required or col.kind in ("float", "int")):
            continue
        rows = source.records
        if table == "sites" and col.name in _FACILITY_COLUMNS:
            rows = [r for r, f in zip(source.records, is_facility, strict=True) if f]
        if len(rows) < (1 if col.required else 2):
            continue
        if not all(_is_missing(r[col.name]) for r in rows):
            continue
        if col.required:
            raise ScenarioError(
                f"{source.header_where}: {table} column '{col.name}' is empty in all "
                f"{len(rows)} rows; a value is required (was the sheet exported without its "
                "values?)."
            )
        raise ScenarioError(
            f"{source.header_where}: {table} column '{col.name}' is present but empty in all "
            f"{len(rows)} rows; fill it, or delete the column to use the default "
            f"({_describe_default(col)})."
        )


def read_table(
    table: str,
    spec: TableSpec,
    *,
    scenario_where: str = "scenario",
    attributes: Sequence[str] = (),
    locations: Mapping[tuple[Any, ...], str] | None = None,
) -> pd.DataFrame:
    """Read one scenario table and check every column name and cell against its spec.

    Parameters
    ----------
    table
        Table name, a key of :data:`~clusterloc.scenario.schema.TABLE_COLUMNS`.
    spec
        A path (``file.gpkg#layer`` picks a layer), a file mapping ``{path, encoding,
        delimiter, decimal, crs, layer}``, a list of those, or inline rows.
    scenario_where
        How to name the scenario file in errors about inline rows.
    attributes
        Extra (pass-through) columns declared for this table; ``x_``-prefixed columns
        are extra columns without declaration.
    locations
        ``Scenario.locations`` (line of every key), to name the line of inline rows.

    Returns
    -------
    pandas.DataFrame
        Typed columns of the spec (defaults filled), the attribute columns as read, and
        ``_where`` (origin of each row).

    Raises
    ------
    ScenarioError
        Missing file; unknown, duplicated, missing or empty column; ragged row; a bad
        cell (naming file, row and column); an encoding or decimal mark that cannot be
        told apart.
    """
    columns = TABLE_COLUMNS[table]
    items: list[Any] = [spec] if isinstance(spec, str | dict) else list(spec)
    sources: list[_Source] = []
    if all(isinstance(item, dict) and not is_file_mapping(item) for item in items):
        sources.append(_inline_source(table, items, attributes, scenario_where, locations or {}))
    else:
        sources.extend(_read_source(table, item, attributes) for item in items)
    out_frames = []
    for source in sources:
        present = set(source.columns)
        for col in columns:
            if col.required and col.name not in present:
                raise ScenarioError(
                    f"table {source.label} ({table}): missing column '{col.name}'; "
                    f"columns found: {', '.join(map(str, source.columns)) or 'none'}."
                )
        _check_blank_columns(table, source)
        data: dict[str, list[Any]] = {}
        for col in columns:
            if col.name not in present:
                data[col.name] = [col.default] * len(source.records)
                continue
            data[col.name] = [
                _convert(
                    row[col.name],
                    col,
                    source.cell_wheres.get((i, col.name), where),
                    table,
                    source.decimal,
                )
                for i, (row, where) in enumerate(zip(source.records, source.wheres, strict=True))
            ]
        typed = pd.DataFrame(data, index=range(len(source.records)))
        for c in source.columns:
            if c not in typed.columns:
                typed[c] = [row[c] for row in source.records]
        typed[WHERE] = source.wheres
        out_frames.append(typed)
    result = pd.concat(out_frames, ignore_index=True) if out_frames else pd.DataFrame()
    if result.empty:
        raise ScenarioError(f"table {sources[0].label} ({table}) has no rows.")
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
                text = str(where)
                for sep in (" line ", " feature ", " layer ", " sheet "):
                    text = text.split(sep)[0]
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
    locations = scenario.locations
    check_attribute_declarations(scenario.attributes, locations.get(("attributes",), where))

    def read(table: str, spec: TableSpec) -> pd.DataFrame:
        return read_table(
            table,
            spec,
            scenario_where=where,
            attributes=scenario.attributes.get(table, ()),
            locations=locations,
        )

    tables = ScenarioTables(
        sites=read("sites", scenario.sites),
        supply=read("supply", scenario.supply),
        demand=read("demand", scenario.demand),
        commodities=read("commodities", scenario.commodities),
        links=read("links", scenario.links),
        bom=read("bom", scenario.bom) if scenario.bom is not None else _empty("bom"),
        levels=read("levels", scenario.levels) if scenario.levels is not None else _empty("levels"),
        lanes=read("lanes", scenario.lanes) if scenario.lanes is not None else None,
    )
    check_references(tables, scenario)
    return tables
