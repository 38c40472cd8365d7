"""Input checks for the location model: every problem is reported naming its table row.

:func:`validate_inputs` runs before anything is built or solved. It returns cleaned
copies of the tables (defaults filled in, types normalised) and raises
:class:`~clusterloc.errors.ModelInputError` with one sentence naming the table, the
row and the offending value for the first problem found.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clusterloc.errors import ModelInputError
from clusterloc.model.inputs import MARKET, SITE_STATUSES, SUPPLIER, ModelInputs, Policy

__all__ = [
    "CleanTables",
    "validate_inputs",
]

log = logging.getLogger(__name__)

#: Optional columns and their defaults, per table.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "commodities": {
        "unit": "unit",
        "weight_t": 1.0,
        "rate_per_tkm": 0.0,
        "rate_per_unit_km": 0.0,
        "co2_kg_per_tkm": 0.0,
        "value": 0.0,
    },
    "links": {"commodity": None},
    "suppliers": {"supply": math.inf, "cost_per_unit": 0.0, "domestic": False},
    "markets": {},
    "facilities": {
        "fixed_cost": 0.0,
        "handling_cost": 0.0,
        "status": "candidate",
        "tags": "",
    },
    "levels": {},
    "bom": {"yield": 1.0},
    "lanes": {"hours": 0.0, "cost_per_unit": math.nan, "commodity": None},
}

_REQUIRED: dict[str, tuple[str, ...]] = {
    "commodities": ("commodity",),
    "links": ("from_type", "to_type"),
    "suppliers": ("site_id", "commodity"),
    "markets": ("site_id", "commodity", "demand"),
    "facilities": ("site_id", "type", "capacity"),
    "levels": ("site_id", "level", "fixed_cost", "capacity"),
    "bom": ("type", "output", "input", "quantity"),
    "lanes": ("origin", "destination", "km"),
}

#: Numeric columns: (table, column, allow_inf, allow_nan).
_NUMERIC: tuple[tuple[str, str, bool, bool], ...] = (
    ("commodities", "weight_t", False, False),
    ("commodities", "rate_per_tkm", False, False),
    ("commodities", "rate_per_unit_km", False, False),
    ("commodities", "co2_kg_per_tkm", False, False),
    ("commodities", "value", False, False),
    ("suppliers", "supply", True, False),
    ("suppliers", "cost_per_unit", False, False),
    ("markets", "demand", False, False),
    ("facilities", "fixed_cost", False, False),
    ("facilities", "capacity", False, False),
    ("facilities", "handling_cost", False, False),
    ("levels", "fixed_cost", False, False),
    ("levels", "capacity", False, False),
    ("bom", "quantity", False, False),
    ("bom", "yield", False, False),
    ("lanes", "km", False, False),
    ("lanes", "hours", False, False),
    ("lanes", "cost_per_unit", False, True),
)


@dataclass
class CleanTables:
    """Validated copies of the model tables with every optional column filled in."""

    commodities: pd.DataFrame
    links: pd.DataFrame
    suppliers: pd.DataFrame
    markets: pd.DataFrame
    facilities: pd.DataFrame
    levels: pd.DataFrame
    bom: pd.DataFrame
    lanes: pd.DataFrame
    policy: Policy
    name: str
    facility_types: list[str] = field(default_factory=list)
    bom_types: set[str] = field(default_factory=set)


def _row_label(df: pd.DataFrame, pos: int, key: str | None) -> str:
    label = f"row {df.index[pos]}"
    if key is not None and key in df.columns:
        label += f" ({key} {df[key].iloc[pos]!r})"
    return label


def _fail(table: str, df: pd.DataFrame, pos: int, key: str | None, what: str) -> ModelInputError:
    return ModelInputError(f"{table} {_row_label(df, pos, key)}: {what}.")


_KEYS = {
    "commodities": "commodity",
    "links": "from_type",
    "suppliers": "site_id",
    "markets": "site_id",
    "facilities": "site_id",
    "levels": "site_id",
    "bom": "type",
    "lanes": "origin",
}


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _as_str(series: pd.Series) -> pd.Series:
    """Strings (object dtype) with missing values kept as ``None``."""
    values = [None if _missing(v) else str(v) for v in series.tolist()]
    return pd.Series(values, index=series.index, dtype=object)


def _prepare_table(table: str, df: pd.DataFrame | None) -> pd.DataFrame:
    if df is None:
        df = pd.DataFrame(columns=list(_REQUIRED[table]))
    if not isinstance(df, pd.DataFrame):
        raise ModelInputError(
            f"Model input '{table}' must be a pandas DataFrame, got {type(df).__name__}."
        )
    df = df.copy()
    missing = [c for c in _REQUIRED[table] if c not in df.columns]
    if missing and not (table in ("levels", "bom") and len(df) == 0):
        raise ModelInputError(f"Model input table '{table}' lacks column(s) {', '.join(missing)}.")
    for col in missing:
        df[col] = pd.Series(dtype=object)
    for col, default in _DEFAULTS[table].items():
        if col not in df.columns:
            df[col] = default
    for col in _DEFAULTS[table]:
        if col in ("unit", "tags", "status"):
            df[col] = df[col].fillna(_DEFAULTS[table][col]).astype(str)
    return df


def _check_numeric(
    table: str, df: pd.DataFrame, col: str, allow_inf: bool, allow_nan: bool
) -> None:
    raw = df[col]
    values = pd.to_numeric(raw, errors="coerce")
    bad_type = values.isna() & raw.notna()
    if bad_type.any():
        pos = int(np.flatnonzero(bad_type.to_numpy())[0])
        raise _fail(table, df, pos, _KEYS[table], f"{col} {raw.iloc[pos]!r} is not a number")
    arr = values.to_numpy(dtype=float)
    if not allow_nan and np.isnan(arr).any():
        pos = int(np.flatnonzero(np.isnan(arr))[0])
        raise _fail(table, df, pos, _KEYS[table], f"{col} is missing (NaN)")
    with np.errstate(invalid="ignore"):
        neg = arr < 0
    if neg.any():
        pos = int(np.flatnonzero(neg)[0])
        raise _fail(table, df, pos, _KEYS[table], f"{col} is negative ({arr[pos]:g})")
    if not allow_inf and np.isinf(arr).any():
        pos = int(np.flatnonzero(np.isinf(arr))[0])
        raise _fail(table, df, pos, _KEYS[table], f"{col} is infinite")
    df[col] = arr


def _check_known(
    table: str,
    df: pd.DataFrame,
    col: str,
    known: Iterable[Any],
    what: str,
    allow_missing: bool = False,
    key: str | None = None,
) -> None:
    known_set = set(known)
    values = df[col].tolist()
    for pos, value in enumerate(values):
        if allow_missing and _missing(value):
            continue
        if value not in known_set:
            raise _fail(
                table, df, pos, key or _KEYS[table], f"{col} {value!r} is not a known {what}"
            )


def _check_unique(table: str, df: pd.DataFrame, cols: list[str]) -> None:
    dup = df.duplicated(subset=cols, keep="first").to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        key = ", ".join(f"{c} {df[c].iloc[pos]!r}" for c in cols)
        raise ModelInputError(f"{table} row {df.index[pos]}: duplicate entry for {key}.")


def _check_policy(policy: Policy, facility_types: list[str]) -> None:
    types = set(facility_types)
    for key in ("min_open", "max_open"):
        for t, n in getattr(policy, key).items():
            if t not in types:
                raise ModelInputError(f"policy {key}: {t!r} is not a facility type.")
            if n is None or int(n) < 0:
                raise ModelInputError(f"policy {key}[{t!r}] must be a non-negative integer.")
    for t, lo in policy.min_open.items():
        hi = policy.max_open.get(t)
        if hi is not None and int(lo) > int(hi):
            raise ModelInputError(f"policy min_open[{t!r}] = {lo} exceeds max_open = {hi}.")
    checks: list[tuple[str, float | None]] = [
        ("budget", policy.budget),
        ("max_service_km", policy.max_service_km),
        ("max_service_hours", policy.max_service_hours),
        ("co2_price", policy.co2_price),
        ("co2_cap", policy.co2_cap),
        ("unmet_penalty", policy.unmet_penalty),
    ]
    for key, value in checks:
        if value is not None and (math.isnan(float(value)) or float(value) < 0):
            raise ModelInputError(f"policy {key} must be a non-negative number, got {value!r}.")
    share = policy.local_content_share
    if share is not None and not (0.0 <= float(share) <= 1.0):
        raise ModelInputError(f"policy local_content_share must lie in [0, 1], got {share!r}.")
    if policy.local_content_basis not in ("weight", "value"):
        raise ModelInputError(
            "policy local_content_basis must be 'weight' or 'value', "
            f"got {policy.local_content_basis!r}."
        )
    for tag, s in policy.fixed_cost_subsidy.items():
        if not (0.0 <= float(s) <= 1.0):
            raise ModelInputError(
                f"policy fixed_cost_subsidy[{tag!r}] must lie in [0, 1], got {s!r}."
            )


def _types_reaching_market(links: pd.DataFrame) -> set[str]:
    """Facility types from which a chain of links leads to ``market``."""
    reach = {MARKET}
    pairs = list(zip(links["from_type"], links["to_type"], strict=True))
    changed = True
    while changed:
        changed = False
        for a, b in pairs:
            if b in reach and a not in reach:
                reach.add(a)
                changed = True
    return reach


def validate_inputs(inputs: ModelInputs) -> CleanTables:
    """Check model inputs and return cleaned copies of the tables.

    Parameters
    ----------
    inputs
        The tables and policy of one instance (column contract in
        :mod:`clusterloc.model.inputs`).

    Returns
    -------
    CleanTables
        The same tables with optional columns filled in and numbers as floats.

    Raises
    ------
    ModelInputError
        Naming the table and row of the first problem: a missing column, a negative,
        NaN or non-numeric amount or cost, an unknown commodity, site or facility
        type, a duplicate key, a facility type that cannot reach any market, or an
        invalid policy value.
    """
    tables = {name: _prepare_table(name, getattr(inputs, name)) for name in _REQUIRED}
    bom_in = tables["bom"]
    bom_in["yield"] = bom_in["yield"].where(bom_in["yield"].notna(), 1.0)  # blank = 1
    for table, col, allow_inf, allow_nan in _NUMERIC:
        _check_numeric(table, tables[table], col, allow_inf, allow_nan)

    com = tables["commodities"]
    com["commodity"] = com["commodity"].astype(str)
    _check_unique("commodities", com, ["commodity"])
    commodities = set(com["commodity"])

    fac = tables["facilities"]
    for col in ("site_id", "type"):
        fac[col] = fac[col].astype(str)
    _check_unique("facilities", fac, ["site_id"])
    for pos, status in enumerate(fac["status"].str.lower().tolist()):
        if status not in SITE_STATUSES:
            raise _fail(
                "facilities", fac, pos, "site_id",
                f"status {status!r} is not one of {', '.join(SITE_STATUSES)}",
            )  # fmt: skip
    fac["status"] = fac["status"].str.lower()
    facility_types = sorted(set(fac["type"]))
    for reserved in (SUPPLIER, MARKET):
        if reserved in facility_types:
            pos = int(np.flatnonzero((fac["type"] == reserved).to_numpy())[0])
            raise _fail("facilities", fac, pos, "site_id", f"type {reserved!r} is reserved")

    for table in ("suppliers", "markets"):
        df = tables[table]
        df["site_id"] = df["site_id"].astype(str)
        df["commodity"] = _as_str(df["commodity"])
        _check_known(table, df, "commodity", commodities, "commodity")
        _check_unique(table, df, ["site_id", "commodity"])
    sup = tables["suppliers"]
    sup["domestic"] = sup["domestic"].map(_as_bool).astype(bool)

    fac_ids = set(fac["site_id"])
    for table in ("suppliers", "markets"):
        df = tables[table]
        clash = df["site_id"].isin(fac_ids).to_numpy()
        if clash.any():
            pos = int(np.flatnonzero(clash)[0])
            raise _fail(table, df, pos, "site_id", "site_id is also used by a facility")

    links = tables["links"]
    links["from_type"] = links["from_type"].astype(str)
    links["to_type"] = links["to_type"].astype(str)
    links["commodity"] = _as_str(links["commodity"])
    _check_known(
        "links", links, "from_type", [*facility_types, SUPPLIER], "facility type or 'supplier'"
    )
    _check_known("links", links, "to_type", [*facility_types, MARKET], "facility type or 'market'")
    _check_known("links", links, "commodity", commodities, "commodity", allow_missing=True)

    lev = tables["levels"]
    if len(lev):
        lev["site_id"] = lev["site_id"].astype(str)
        lev["level"] = lev["level"].astype(str)
        _check_known("levels", lev, "site_id", fac_ids, "facility site")
        _check_unique("levels", lev, ["site_id", "level"])

    bom = tables["bom"]
    if len(bom):
        for col in ("type", "output", "input"):
            bom[col] = _as_str(bom[col])
        _check_known("bom", bom, "type", facility_types, "facility type")
        _check_known("bom", bom, "output", commodities, "commodity")
        _check_known("bom", bom, "input", commodities, "commodity")
        _check_unique("bom", bom, ["type", "output", "input"])
        bad_yield = ((bom["yield"] <= 0) | (bom["yield"] > 1)).to_numpy()
        if bad_yield.any():
            pos = int(np.flatnonzero(bad_yield)[0])
            raise _fail(
                "bom", bom, pos, "type", f"yield {bom['yield'].iloc[pos]:g} must lie in (0, 1]"
            )
    bom_types = set(bom["type"]) if len(bom) else set()

    lanes = tables["lanes"]
    lanes["origin"] = lanes["origin"].astype(str)
    lanes["destination"] = lanes["destination"].astype(str)
    lanes["commodity"] = _as_str(lanes["commodity"])
    origins = fac_ids | set(sup["site_id"])
    destinations = fac_ids | set(tables["markets"]["site_id"])
    _check_known("lanes", lanes, "origin", origins, "supplier or facility site")
    _check_known(
        "lanes", lanes, "destination", destinations, "facility or market site", key="destination"
    )
    _check_known("lanes", lanes, "commodity", commodities, "commodity", allow_missing=True)
    _check_unique("lanes", lanes, ["origin", "destination", "commodity"])

    reach = _types_reaching_market(links)
    for t in facility_types:
        if t not in reach:
            pos = int(np.flatnonzero((fac["type"] == t).to_numpy())[0])
            raise _fail(
                "facilities", fac, pos, "site_id",
                f"facility type {t!r} has no chain of links to any market",
            )  # fmt: skip

    _check_policy(inputs.policy, facility_types)
    return CleanTables(
        commodities=com,
        links=links,
        suppliers=sup,
        markets=tables["markets"],
        facilities=fac,
        levels=lev,
        bom=bom,
        lanes=lanes,
        policy=inputs.policy,
        name=inputs.name,
        facility_types=facility_types,
        bom_types=bom_types,
    )


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return bool(value)
