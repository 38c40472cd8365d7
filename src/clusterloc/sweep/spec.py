"""Sweep files: a base scenario, a ``grid`` of ``--set`` values and random ``samples``.

:func:`load_sweep` reads and checks a sweep file; :func:`expand_runs` turns it into
:class:`Run` objects, each a list of ``--set`` overrides of the base scenario with a
stable id (``g0003`` for the 4th grid point, ``s0012`` for the 13th sample,
``g0003-s0012`` when both are given). The same file always gives the same runs: sample
``i`` draws from its own generator seeded with ``(seed, i)``, in the order the file
declares the distributions, so adding samples keeps the earlier ones.

A run is reproduced with ``clusterloc solve BASE --set ...`` (its ``overrides``).
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clusterloc.errors import ScenarioError
from clusterloc.scenario.load import _describe, parse_override

log = logging.getLogger(__name__)

__all__ = [
    "Distribution",
    "Run",
    "SampleSpec",
    "SweepSpec",
    "UncertaintySpec",
    "common_overrides",
    "draw_future",
    "expand_runs",
    "load_sweep",
    "parse_uncertainty",
]

#: Cost multipliers of ``samples.costs`` and the ``whatif`` key each one sets.
COST_KEYS: dict[str, str] = {
    "transport": "whatif.transport_scale",
    "fixed": "whatif.fixed_cost_scale",
    "handling": "whatif.handling_cost_scale",
    "purchase": "whatif.purchase_cost_scale",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Distribution(_Strict):
    """One random quantity: ``uniform(low, high)``, ``normal(mean, sd)`` (cut at 0),
    ``lognormal(mu, sigma)`` (of the log), ``triangular(low, mode, high)`` or
    ``choice(values, weights)``."""

    dist: Literal["uniform", "normal", "lognormal", "triangular", "choice"]
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, ge=0)
    mu: float | None = None
    sigma: float | None = Field(default=None, ge=0)
    values: list[Any] | None = None
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _parameters(self) -> Distribution:
        need = {
            "uniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "lognormal": ("mu", "sigma"),
            "triangular": ("low", "mode", "high"),
            "choice": ("values",),
        }[self.dist]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.dist} needs {', '.join(missing)}")
        if self.dist in ("uniform", "triangular"):
            assert self.low is not None and self.high is not None
            if self.low > self.high:
                raise ValueError(f"low {self.low} is above high {self.high}")
            if self.dist == "triangular" and not self.low <= (self.mode or 0) <= self.high:
                raise ValueError("mode must lie between low and high")
        if self.dist == "choice":
            assert self.values is not None
            if not self.values:
                raise ValueError("values must not be empty")
            if self.weights is not None and (
                len(self.weights) != len(self.values)
                or any(w < 0 for w in self.weights)
                or sum(self.weights) <= 0
            ):
                raise ValueError("weights must be one non-negative number per value")
        return self

    def draw(self, rng: np.random.Generator) -> Any:
        """One value.

        Parameters
        ----------
        rng
            The generator of the future being drawn.

        Returns
        -------
        Any
            A float, or one of ``values`` for ``choice``.
        """
        if self.dist == "choice":
            assert self.values is not None
            p = None
            if self.weights is not None:
                total = sum(self.weights)
                p = [w / total for w in self.weights]
            return self.values[int(rng.choice(len(self.values), p=p))]
        low, high, mode = _num(self.low), _num(self.high), _num(self.mode)
        if self.dist == "uniform":
            return float(rng.uniform(low, high))
        if self.dist == "normal":
            return max(0.0, float(rng.normal(_num(self.mean), _num(self.sd))))
        if self.dist == "lognormal":
            return float(rng.lognormal(_num(self.mu), _num(self.sigma)))
        if low == high:
            return low
        return float(rng.triangular(low, mode, high))


def _num(value: float | None) -> float:
    return 0.0 if value is None else float(value)


class DemandSpec(_Strict):
    """Demand multipliers: national, per tag/region, per market (they multiply)."""

    national: Distribution | None = None
    by_tag: dict[str, Distribution] = Field(default_factory=dict)
    by_market: dict[str, Distribution] = Field(default_factory=dict)


class EventSpec(_Strict):
    """A site (facility or supplier, e.g. a border crossing) closed with a probability."""

    close: str
    probability: float = Field(ge=0, le=1)


class UncertaintySpec(_Strict):
    """What varies between futures (the ``samples`` block without ``n`` and ``seed``)."""

    demand: DemandSpec = Field(default_factory=DemandSpec)
    costs: dict[Literal["transport", "fixed", "handling", "purchase"], Distribution] = Field(
        default_factory=dict
    )
    set: dict[str, Distribution] = Field(default_factory=dict)
    """Any numeric scenario key, e.g. ``policy.co2_price``."""
    events: list[EventSpec] = Field(default_factory=list)


class SampleSpec(UncertaintySpec):
    """``samples:`` — ``n`` futures drawn with ``seed``."""

    n: int = Field(ge=1)
    seed: int = 0


class SweepSpec(_Strict):
    """A sweep file."""

    name: str
    description: str = ""
    base: str
    """The base scenario, relative to the sweep file."""
    set: dict[str, Any] = Field(default_factory=dict)
    """Overrides applied to every run (before the grid and the samples)."""
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    samples: SampleSpec | None = None

    @model_validator(mode="after")
    def _something_to_sweep(self) -> SweepSpec:
        if not self.grid and self.samples is None:
            raise ValueError("give a 'grid', 'samples' or both")
        for key, values in self.grid.items():
            if not values:
                raise ValueError(f"grid.{key}: the list of values is empty")
        return self

    _path: Path | None = None

    @property
    def path(self) -> Path | None:
        """The sweep file."""
        return self._path

    def base_path(self) -> Path:
        """The base scenario file, absolute.

        Returns
        -------
        pathlib.Path
        """
        root = self._path.parent if self._path is not None else Path.cwd()
        return (root / os.path.expandvars(self.base)).resolve()


@dataclass(frozen=True)
class Run:
    """One run of a sweep.

    Attributes
    ----------
    run_id
        Stable id (``g0003``, ``s0012``, ``g0003-s0012``).
    overrides
        ``key.path=value`` strings for ``clusterloc solve BASE --set ...``.
    params
        Flat parameter values for the results table (``policy.co2_price``,
        ``whatif.demand_scale_by_tag.Almaty (city)``, ``closed.X_NURZHOLY``, ...).
    """

    run_id: str
    overrides: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)


def _format_value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _override(key: str, value: Any) -> str:
    return f"{key}={_format_value(value)}"


def _check_key(key: str, where: str) -> None:
    try:
        parse_override(f"{key}=0")
    except ScenarioError:
        raise ScenarioError(f"sweep {where}: '{key}' is not a key.path.") from None


def _flat_param(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    return _format_value(value)


def load_sweep(path: str | os.PathLike[str]) -> SweepSpec:
    """Read and check a sweep file.

    Parameters
    ----------
    path
        The sweep YAML file.

    Returns
    -------
    SweepSpec

    Raises
    ------
    ScenarioError
        Missing file, bad YAML, unknown key, bad distribution, missing base scenario.
    """
    top = Path(path).expanduser()
    where = _describe(top)
    if not top.is_file():
        raise ScenarioError(f"sweep file {where} not found.")
    try:
        data = yaml.safe_load(top.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"sweep file {where}{line}: not valid YAML.") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"sweep file {where}: expected a mapping of keys.")
    data.setdefault("name", top.name.removesuffix(".yaml").removesuffix(".sweep"))
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top)"
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ScenarioError(f"sweep file {where}: {key}: {msg}.") from None
    spec._path = top.resolve()
    for key in [*spec.set, *spec.grid, *(spec.samples.set if spec.samples else {})]:
        _check_key(key, where)
    if not spec.base_path().is_file():
        raise ScenarioError(f"sweep file {where}: base: scenario {spec.base} not found.")
    return spec


def parse_uncertainty(data: dict[str, Any], where: str) -> UncertaintySpec:
    """Check a scenario's ``uncertainty`` section.

    Parameters
    ----------
    data
        The section as read from YAML.
    where
        The scenario file (for messages).

    Returns
    -------
    UncertaintySpec

    Raises
    ------
    ScenarioError
        Unknown key or bad distribution, naming the key.
    """
    try:
        return UncertaintySpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top)"
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ScenarioError(f"scenario {where}: uncertainty.{key}: {msg}.") from None


def draw_future(spec: UncertaintySpec, seed: int, index: int) -> dict[str, Any]:
    """The scenario keys of future ``index`` (``key.path`` → value).

    Parameters
    ----------
    spec
        The distributions.
    seed, index
        The future draws from ``numpy.random.default_rng([seed, index])``.

    Returns
    -------
    dict
        Keys as for ``--set`` (``whatif.demand_scale``, ``whatif.closed``, ...).
    """
    rng = np.random.default_rng([seed, index])
    keys: dict[str, Any] = {}
    d = spec.demand
    if d.national is not None:
        keys["whatif.demand_scale"] = d.national.draw(rng)
    if d.by_tag:
        keys["whatif.demand_scale_by_tag"] = {t: dist.draw(rng) for t, dist in d.by_tag.items()}
    if d.by_market:
        keys["whatif.demand_scale_by_market"] = {
            m: dist.draw(rng) for m, dist in d.by_market.items()
        }
    for term, dist in spec.costs.items():
        keys[COST_KEYS[term]] = dist.draw(rng)
    for key, dist in spec.set.items():
        keys[key] = dist.draw(rng)
    if spec.events:
        draws = [float(rng.random()) for _ in spec.events]
        keys["whatif.closed"] = sorted(
            {e.close for e, u in zip(spec.events, draws, strict=True) if u < e.probability}
        )
    return keys


def _params_of(keys: dict[str, Any], events: list[EventSpec]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in keys.items():
        if key == "whatif.closed" and events:
            closed = set(value)
            for e in events:
                params[f"closed.{e.close}"] = float(e.close in closed)
        elif isinstance(value, dict):
            for sub, v in value.items():
                params[f"{key}.{sub}"] = _flat_param(v)
        else:
            params[key] = _flat_param(value)
    return params


def common_overrides(spec: SweepSpec) -> list[str]:
    """The overrides every run starts with: ``solver.threads=1``, then the file's ``set``.

    Parameters
    ----------
    spec
        The sweep file.

    Returns
    -------
    list of str
    """
    # One solver thread per run (workers run side by side); the file's own ``set`` wins.
    return [_override(k, v) for k, v in {"solver.threads": 1, **spec.set}.items()]


def expand_runs(spec: SweepSpec) -> list[Run]:
    """Every run of a sweep, in a stable order.

    The grid is the cartesian product of its lists (first key slowest); with samples
    too, each grid point is combined with each sample. Every run's overrides start with
    ``solver.threads=1`` (unless the file's ``set`` says otherwise), then ``set``.

    Parameters
    ----------
    spec
        The sweep file.

    Returns
    -------
    list of Run
    """
    fixed = common_overrides(spec)
    grid_keys = list(spec.grid)
    points: list[tuple[str, dict[str, Any]]] = []
    if grid_keys:
        for i, combo in enumerate(itertools.product(*(spec.grid[k] for k in grid_keys))):
            points.append((f"g{i:04d}", dict(zip(grid_keys, combo, strict=True))))
    else:
        points.append(("", {}))
    futures: list[tuple[str, dict[str, Any]]] = [("", {})]
    events: list[EventSpec] = []
    if spec.samples is not None:
        events = spec.samples.events
        futures = [
            (f"s{j:04d}", draw_future(spec.samples, spec.samples.seed, j))
            for j in range(spec.samples.n)
        ]
    runs: list[Run] = []
    for gid, gkeys in points:
        for sid, skeys in futures:
            run_id = "-".join(x for x in (gid, sid) if x)
            keys = {**gkeys, **skeys}
            overrides = tuple(fixed + [_override(k, v) for k, v in keys.items()])
            runs.append(Run(run_id, overrides, _params_of(keys, events)))
    log.info("sweep %s: %d runs", spec.name, len(runs))
    return runs


def is_number(value: Any) -> bool:
    """True for a finite int/float (not bool).

    Parameters
    ----------
    value
        Anything.

    Returns
    -------
    bool
    """
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
