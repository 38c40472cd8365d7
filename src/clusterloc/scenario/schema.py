"""The scenario file format: pydantic models and the column specs of every table.

A scenario is one YAML file (optionally ``extends:`` another) that names the road
network, the site tables, commodities, bill of materials, echelon links, policy and
solver settings. :func:`clusterloc.scenario.load.load_scenario` reads it into a
:class:`Scenario`; :mod:`clusterloc.scenario.tables` reads and checks the tables against
:data:`TABLE_COLUMNS`; :mod:`clusterloc.scenario.build` turns both into
:class:`clusterloc.model.inputs.ModelInputs`.

Unknown keys are rejected everywhere (the error lists the allowed keys). The format is
documented for users in ``docs/scenario.md``; keep the two in step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from clusterloc.constants import MARKET, SUPPLIER

__all__ = [
    "DELIMITERS",
    "INF",
    "MARKET",
    "OPTIONAL_TABLES",
    "REQUIRED_TABLES",
    "SOLVER_NAMES",
    "SUPPLIER",
    "TABLE_COLUMNS",
    "Column",
    "NetworkSpec",
    "PolicySpec",
    "Scenario",
    "SolverSpec",
    "TableFile",
    "TableSpec",
    "TruckSpec",
    "is_file_mapping",
]

#: Solvers a scenario may name (``solver.name`` and ``--solver``).
SOLVER_NAMES: tuple[str, ...] = ("highs", "cbc")

#: A table is a path (``"data/sites.csv"``; ``"data/x.gpkg#layer"`` picks a GeoPackage
#: layer), a file mapping (``{path: data/sites.csv, encoding: cp1251, delimiter: ";",
#: decimal: ","}``, see :class:`TableFile`), a list of paths or file mappings (rows
#: concatenated), or a list of inline rows (mappings without a ``path`` key).
TableSpec = str | dict[str, Any] | list[str | dict[str, Any]] | list[dict[str, Any]]

#: Delimiters a table file may declare (``tab`` stands for the tab character).
DELIMITERS: dict[str, str] = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}

#: Tables a scenario must give (``lanes`` is required when there is no ``network``).
REQUIRED_TABLES: tuple[str, ...] = ("sites", "supply", "demand", "commodities", "links")
OPTIONAL_TABLES: tuple[str, ...] = ("bom", "levels", "lanes")


class _Strict(BaseModel):
    """Base of every scenario model: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TruckSpec(_Strict):
    """Truck network settings; mirrors :class:`clusterloc.network.TruckSettings`.

    Every field is optional; an unset field keeps the ``TruckSettings`` default.
    ``speeds_kph`` entries are merged into the default speed table.
    """

    road_classes: list[str] | None = None
    speeds_kph: dict[str, float] | None = None
    default_speed_kph: float | None = Field(default=None, gt=0)
    max_weight_t: float | None = Field(default=None, ge=0)
    height_m: float | None = Field(default=None, gt=0)
    width_m: float | None = Field(default=None, gt=0)
    length_m: float | None = Field(default=None, gt=0)
    axle_load_t: float | None = Field(default=None, gt=0)
    avoid_closures: bool | None = None
    max_snap_m: float | None = Field(default=None, gt=0)
    detour_factor: float | None = Field(default=None, gt=0)
    local_speed_kph: float | None = Field(default=None, gt=0)
    join_tolerance_m: float | None = Field(default=None, ge=0)
    respect_oneway: bool | None = None

    def settings_dict(self) -> dict[str, Any]:
        """The fields that were set, for ``TruckSettings.from_dict``.

        Returns
        -------
        dict
        """
        return {k: v for k, v in self.model_dump().items() if v is not None}


class NetworkSpec(_Strict):
    """Where the road network comes from and how trucks use it."""

    source: str
    """Road source file: .osm, .osm.bz2, .osm.gz, .osm.pbf, .geojson, .gpkg, .shp."""
    corrections: str | None = None
    """Line layers only: a road corrections GeoJSON (calibrated sections of schematic roads,
    sourced connector roads); see :mod:`clusterloc.network.calibrate`."""
    cache_dir: str | None = None
    """Folder of built-network caches (default: ``$CLUSTERLOC_CACHE`` or
    ``~/.cache/clusterloc/networks``)."""
    truck: TruckSpec = Field(default_factory=TruckSpec)


class PolicySpec(_Strict):
    """Policy settings; mirrors :class:`clusterloc.model.inputs.Policy` field by field."""

    min_open: dict[str, int] = Field(default_factory=dict)
    max_open: dict[str, int] = Field(default_factory=dict)
    budget: float | None = Field(default=None, ge=0)
    max_service_km: float | None = Field(default=None, gt=0)
    max_service_hours: float | None = Field(default=None, gt=0)
    local_content_share: float | None = Field(default=None, ge=0, le=1)
    local_content_types: list[str] = Field(default_factory=lambda: ["plant"])
    local_content_basis: Literal["weight", "value"] = "weight"
    co2_price: float = Field(default=0.0, ge=0)
    co2_cap: float | None = Field(default=None, ge=0)
    unmet_penalty: float | None = Field(default=None, ge=0)
    single_sourcing: bool = False
    fixed_cost_subsidy: dict[str, float] = Field(default_factory=dict)

    @field_validator("min_open", "max_open")
    @classmethod
    def _non_negative_counts(cls, value: dict[str, int]) -> dict[str, int]:
        for key, count in value.items():
            if count < 0:
                raise ValueError(f"count for '{key}' must be >= 0, got {count}")
        return value

    @field_validator("fixed_cost_subsidy")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for key, share in value.items():
            if not 0 <= share <= 1:
                raise ValueError(f"subsidy for tag '{key}' must be a share in [0, 1], got {share}")
        return value


class WhatIfSpec(_Strict):
    """What-if adjustments applied to the tables after the lanes are priced.

    Sweeps (``clusterloc sweep``) write every run as a base scenario plus ``--set`` keys,
    many of them in this section, so one run is reproducible with ``clusterloc solve``.
    All multipliers default to 1 (no change).
    """

    demand_scale: float = Field(default=1.0, ge=0)
    """National multiplier on every market's demand."""
    demand_scale_by_tag: dict[str, float] = Field(default_factory=dict)
    """Multiplier per tag; a market matches a tag in its ``tags`` or its ``region`` column."""
    demand_scale_by_market: dict[str, float] = Field(default_factory=dict)
    """Multiplier per market ``site_id``."""
    transport_scale: float = Field(default=1.0, ge=0)
    """Multiplier on every commodity's ``rate_per_tkm`` and ``rate_per_unit_km``."""
    fixed_cost_scale: float = Field(default=1.0, ge=0)
    handling_cost_scale: float = Field(default=1.0, ge=0)
    purchase_cost_scale: float = Field(default=1.0, ge=0)
    """Multiplier on the supply tables' ``cost_per_unit``."""
    closed: list[str] = Field(default_factory=list)
    """Sites closed: a facility cannot open, a supplier (a border crossing) supplies nothing."""

    @field_validator("demand_scale_by_tag", "demand_scale_by_market")
    @classmethod
    def _non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        for key, factor in value.items():
            if not factor >= 0:
                raise ValueError(f"multiplier for '{key}' must be >= 0, got {factor}")
        return value

    def is_identity(self) -> bool:
        """True when nothing changes.

        Returns
        -------
        bool
        """
        return self == WhatIfSpec()


class SolverSpec(_Strict):
    """Solver settings (``--solver``, ``--time-limit``, ``--gap`` override them)."""

    name: str = "highs"
    time_limit: float | None = Field(default=None, gt=0)
    """Seconds; the best solution found so far is reported when it is reached."""
    gap: float | None = Field(default=None, ge=0, lt=1)
    """Relative MIP gap at which the solver stops (0.01 = 1 %)."""
    threads: int | None = Field(default=None, ge=1)
    seed: int | None = None
    msg: bool = False
    """Show the solver log."""

    @field_validator("name")
    @classmethod
    def _known_solver(cls, value: str) -> str:
        name = value.strip().lower()
        if name not in SOLVER_NAMES:
            raise ValueError(f"unknown solver '{value}'; choose one of: {', '.join(SOLVER_NAMES)}")
        return name


class TableFile(_Strict):
    """How to read one table file; every key but ``path`` is optional.

    Unset keys are detected from the file where that is unambiguous (see
    :mod:`clusterloc.scenario.csvread`); where it is not, reading stops with an error that
    names the key to set.
    """

    path: str
    """The file (CSV, GeoJSON, GeoPackage, Shapefile); relative to the scenario file."""
    layer: str | None = None
    """GeoPackage layer (same as ``path#layer``)."""
    encoding: str | None = None
    """Text encoding of a CSV file, e.g. ``utf-8``, ``cp1251``, ``utf-16``."""
    delimiter: str | None = None
    """CSV field separator: ``,``, ``;``, ``|`` or ``tab``."""
    decimal: Literal[".", ","] | None = None
    """Decimal mark of numbers in a CSV file."""
    crs: str | None = None
    """CRS of the coordinates (``lon``/``lat`` columns or the geometry), e.g. ``EPSG:32642``;
    they are transformed to EPSG:4326. Default: EPSG:4326 (a GeoPackage's own CRS)."""

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown encoding '{value}'; use e.g. utf-8, utf-8-sig, cp1251, utf-16"
            ) from None
        return value

    @field_validator("delimiter")
    @classmethod
    def _known_delimiter(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value not in DELIMITERS:
            raise ValueError(f"delimiter must be one of ',', ';', '|', 'tab', got {value!r}")
        return DELIMITERS[value]

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_user_input(value)
        except CRSError:
            raise ValueError(f"unknown CRS '{value}'; write it as e.g. EPSG:32642") from None
        return value


def _table_file(value: dict[str, Any], where: str) -> dict[str, Any]:
    from pydantic import ValidationError

    try:
        spec = TableFile.model_validate(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(TableFile.model_fields)
            raise ValueError(
                f"{where}unknown key '{key}' of a table file; allowed keys: {allowed}"
            ) from None
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ValueError(f"{where}{key}: {msg}") from None
    return spec.model_dump(exclude_none=True)


def is_file_mapping(value: Any) -> bool:
    """Whether a table item is a file mapping (a mapping with a ``path`` key).

    Parameters
    ----------
    value
        A table item of the scenario file.

    Returns
    -------
    bool
        True for ``{path: ..., ...}``.
    """
    return isinstance(value, dict) and "path" in value


class Scenario(_Strict):
    """One scenario: the network, the tables and the settings of a location study.

    Table keys (``sites``, ``supply``, ``demand``, ``levels``, ``commodities``, ``bom``,
    ``links``, ``lanes``) take a path, a list of paths, or a list of inline rows; see
    :data:`TABLE_COLUMNS` for their columns. Paths have already been resolved to absolute
    paths by the loader. Exactly one of ``network`` and ``lanes`` is given.
    """

    name: str
    description: str = ""
    extends: str | list[str] | None = None
    """Parent scenario file(s), already merged in by the loader (kept for the record)."""
    network: NetworkSpec | None = None
    lanes: TableSpec | None = None
    sites: TableSpec
    supply: TableSpec
    demand: TableSpec
    commodities: TableSpec
    links: TableSpec
    bom: TableSpec | None = None
    levels: TableSpec | None = None
    attributes: dict[str, list[str]] = Field(default_factory=dict)
    """Extra (pass-through) columns per table: ``{sites: [operator, region]}``."""
    policy: PolicySpec = Field(default_factory=PolicySpec)
    solver: SolverSpec = Field(default_factory=SolverSpec)
    whatif: WhatIfSpec = Field(default_factory=WhatIfSpec)
    uncertainty: dict[str, Any] | None = None
    """Distributions of the futures for ``clusterloc solve --samples`` (the ``samples``
    block of a sweep file without ``n``/``seed``; checked by :mod:`clusterloc.sweep.spec`)."""

    _path: Path | None = PrivateAttr(default=None)
    _files: list[Path] = PrivateAttr(default_factory=list)
    _locations: dict[tuple[Any, ...], str] = PrivateAttr(default_factory=dict)
    _overrides: list[str] = PrivateAttr(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name_is_a_word(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be empty")
        return value.strip()

    @field_validator(*REQUIRED_TABLES, *OPTIONAL_TABLES, mode="before")
    @classmethod
    def _table_shape(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if is_file_mapping(value):
            return _table_file(value, "")
        if isinstance(value, list) and value:
            if all(isinstance(v, str) or is_file_mapping(v) for v in value):
                return [
                    v if isinstance(v, str) else _table_file(v, f"item {i}: ")
                    for i, v in enumerate(value)
                ]
            if all(isinstance(v, dict) and not is_file_mapping(v) for v in value):
                for i, row in enumerate(value):
                    bad = [k for k in row if not isinstance(k, str)]
                    if bad:
                        raise ValueError(f"row {i}: column names must be text, got {bad[0]!r}")
                return value
            if all(isinstance(v, dict | str) for v in value):
                raise ValueError(
                    "the list mixes inline rows with files (items with a 'path' key or "
                    "file names); give either files or rows"
                )
        if isinstance(value, list) and not value:
            raise ValueError("the table is an empty list")
        if isinstance(value, dict):
            raise ValueError(
                "a table given as a mapping must name its file with 'path' "
                "(e.g. {path: data/sites.csv, delimiter: ';'}); inline rows are a list"
            )
        raise ValueError(
            "a table must be a file path, a file mapping {path: ...}, a list of those, or a "
            "list of rows (mappings)"
        )

    @model_validator(mode="after")
    def _one_cost_source(self) -> Scenario:
        if self.network is None and self.lanes is None:
            raise ValueError("give either 'network' (a road source) or 'lanes' (a lane table)")
        if self.network is not None and self.lanes is not None:
            raise ValueError("give 'network' or 'lanes', not both")
        return self

    @property
    def path(self) -> Path | None:
        """The scenario file this was loaded from (``None`` for an in-memory scenario)."""
        return self._path

    @property
    def locations(self) -> dict[tuple[Any, ...], str]:
        """``key path tuple -> "file line N"`` (or ``"--set ..."``) for every key read."""
        return dict(self._locations)

    @property
    def files(self) -> list[Path]:
        """Every YAML file read (the scenario and its ``extends`` parents)."""
        return list(self._files)

    @property
    def overrides(self) -> list[str]:
        """The ``key.path=value`` overrides (``--set``) applied when loading, in order."""
        return list(self._overrides)


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    """One column of a scenario table.

    Attributes
    ----------
    name
        Column name.
    kind
        ``"str"``, ``"float"``, ``"int"`` or ``"bool"``.
    required
        The column must be present (and non-empty in every row).
    default
        Value used when the column is absent or a cell is empty (optional columns).
    min, max
        Inclusive numeric bounds.
    allow_inf
        ``inf`` is allowed (e.g. unlimited supply or capacity).
    choices
        Allowed values of a string column.
    """

    name: str
    kind: Literal["str", "float", "int", "bool"] = "str"
    required: bool = True
    default: Any = None
    min: float | None = None
    max: float | None = None
    allow_inf: bool = False
    choices: tuple[str, ...] | None = None
    doc: str = ""


INF = math.inf

#: Column specs of every scenario table, in documentation order.
TABLE_COLUMNS: dict[str, tuple[Column, ...]] = {
    "sites": (
        Column("site_id", doc="unique id, referenced by the other tables"),
        Column("name", required=False, default=None, doc="display name (default: site_id)"),
        Column("type", doc="'supplier', 'market' or a facility type (e.g. hub, plant)"),
        Column("lon", "float", min=-180, max=180, doc="longitude, EPSG:4326"),
        Column("lat", "float", min=-90, max=90, doc="latitude, EPSG:4326"),
        Column(
            "fixed_cost",
            "float",
            required=False,
            default=0.0,
            min=0,
            doc="facilities: fixed cost per period when open",
        ),
        Column(
            "capacity",
            "float",
            required=False,
            default=INF,
            min=0,
            allow_inf=True,
            doc="facilities: throughput (units of output per period); empty = unlimited",
        ),
        Column(
            "handling_cost",
            "float",
            required=False,
            default=0.0,
            min=0,
            doc="facilities: cost per unit of throughput",
        ),
        Column(
            "status",
            required=False,
            default="candidate",
            choices=("existing", "candidate", "closed"),
            doc="facilities: existing (must stay open), candidate, closed",
        ),
        Column("tags", required=False, default="", doc="';'-separated labels (region, sez, ...)"),
    ),
    "supply": (
        Column("site_id", doc="a site of type 'supplier'"),
        Column("commodity"),
        Column(
            "supply",
            "float",
            required=False,
            default=INF,
            min=0,
            allow_inf=True,
            doc="units per period; empty = unlimited",
        ),
        Column("cost_per_unit", "float", required=False, default=0.0, min=0, doc="purchase cost"),
        Column("domestic", "bool", required=False, default=False, doc="counts as local content"),
    ),
    "demand": (
        Column("site_id", doc="a site of type 'market'"),
        Column("commodity"),
        Column("demand", "float", min=0, doc="units per period"),
    ),
    "levels": (
        Column("site_id", doc="a facility site"),
        Column("level", doc="size name, e.g. small / large"),
        Column("fixed_cost", "float", min=0),
        Column("capacity", "float", min=0, allow_inf=True),
    ),
    "commodities": (
        Column("commodity", doc="unique name"),
        Column("unit", required=False, default="unit"),
        Column("weight_t", "float", min=0, doc="tonnes per unit"),
        Column("rate_per_tkm", "float", required=False, default=0.0, min=0),
        Column("rate_per_unit_km", "float", required=False, default=0.0, min=0),
        Column("co2_kg_per_tkm", "float", required=False, default=0.0, min=0),
        Column("value", "float", required=False, default=0.0, min=0, doc="per unit"),
    ),
    "bom": (
        Column("type", doc="facility type that makes the output"),
        Column("output", doc="commodity made"),
        Column("input", doc="commodity consumed"),
        Column("quantity", "float", min=0, doc="units of input per unit of output"),
        Column("yield", "float", required=False, default=1.0, min=0, max=1),
    ),
    "links": (
        Column("from_type", doc="'supplier' or a facility type"),
        Column("to_type", doc="'market' or a facility type"),
        Column("commodity", required=False, default="", doc="empty = any commodity"),
    ),
    "lanes": (
        Column("origin", doc="site id"),
        Column("destination", doc="site id"),
        Column("km", "float", min=0, allow_inf=True),
        Column("hours", "float", min=0, allow_inf=True),
        Column(
            "cost_per_unit",
            "float",
            required=False,
            default=None,
            min=0,
            doc="explicit transport cost per unit (overrides rate x km)",
        ),
        Column("commodity", required=False, default=None, doc="lane applies to this one only"),
    ),
}
