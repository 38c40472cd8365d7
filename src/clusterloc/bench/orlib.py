"""Read OR-Library capacitated warehouse location instances (Beasley 1988).

Files ``cap41`` … ``cap134`` and ``capa`` / ``capb`` / ``capc``. The file is a stream
of whitespace-separated tokens::

    m n
    s_1 f_1            (m lines: capacity, fixed cost)
    ...
    d_1 c_11 ... c_m1  (n records: demand, then the cost of serving ALL of it from i)

``capa``/``capb``/``capc`` carry the word ``capacity`` instead of each capacity; the
caller picks one of the four published values (Beasley 1988, Table 1). Allocation
costs are totals for the whole customer demand, so the per-unit lane cost handed to
the engine is ``c_ij / d_j``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clusterloc.errors import InputError
from clusterloc.model.inputs import MARKET, SUPPLIER, ModelInputs

__all__ = [
    "COMMODITY",
    "LARGE_CAPACITIES",
    "SOURCE",
    "WAREHOUSE",
    "BenchmarkFileError",
    "CapInstance",
    "cap_inputs",
    "customer_ids",
    "is_float",
    "read_benchmark_text",
    "read_cap",
    "read_cap_optima",
    "warehouse_ids",
]

log = logging.getLogger(__name__)

#: Capacities published for the large instances (Beasley 1988, Table 1).
LARGE_CAPACITIES: dict[str, tuple[float, ...]] = {
    "capa": (8000.0, 10000.0, 12000.0, 14000.0),
    "capb": (5000.0, 6000.0, 7000.0, 8000.0),
    "capc": (5000.0, 5750.0, 6500.0, 7250.0),
}

#: Name of the single commodity and of the artificial source in the mapped inputs.
COMMODITY = "units"
SOURCE = "source"
WAREHOUSE = "warehouse"


class BenchmarkFileError(InputError):
    """A benchmark instance file cannot be read or does not match its format."""


@dataclass(frozen=True)
class CapInstance:
    """One capacitated warehouse location instance.

    Attributes
    ----------
    name
        Instance name (file stem, e.g. ``"cap41"`` or ``"capa"``).
    capacity
        The capacity substituted for the word ``capacity`` (``None`` for files with
        numeric capacities).
    capacities, fixed_costs
        Per warehouse, shape ``(m,)``.
    demands
        Per customer, shape ``(n,)``.
    costs
        ``(m, n)`` cost of serving the whole demand of customer j from warehouse i.
    """

    name: str
    capacity: float | None
    capacities: np.ndarray
    fixed_costs: np.ndarray
    demands: np.ndarray
    costs: np.ndarray

    @property
    def unit_costs(self) -> np.ndarray:
        """Per-unit allocation costs ``c_ij / d_j`` (0 for a customer with no demand)."""
        d = self.demands
        safe = np.where(d > 0, d, 1.0)
        return np.where(d > 0, self.costs / safe, 0.0)

    @property
    def label(self) -> str:
        """``name`` or ``name-capacity`` for the large instances, e.g. ``capa-8000``."""
        if self.capacity is None:
            return self.name
        return f"{self.name}-{self.capacity:g}"


def _number(token: str, path: Path, what: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise BenchmarkFileError(f"{path}: {what} is {token!r}, not a number.") from None
    if not math.isfinite(value) or value < 0:
        raise BenchmarkFileError(f"{path}: {what} is {token!r}; it must be finite and >= 0.")
    return value


def read_cap(path: str | Path, capacity: float | None = None) -> CapInstance:
    """Read an OR-Library ``cap*`` file.

    Parameters
    ----------
    path
        The instance file.
    capacity
        Capacity of every warehouse for ``capa``/``capb``/``capc`` (whose files say
        ``capacity``). Must be one of the four published values of that instance
        (see :data:`LARGE_CAPACITIES`); for other files with the word ``capacity``
        any positive number is accepted. Must be ``None`` for files with numeric
        capacities.

    Returns
    -------
    CapInstance

    Raises
    ------
    BenchmarkFileError
        Missing file, wrong token count, a non-number, a missing or unexpected
        ``capacity``.
    """
    path = Path(path)
    tokens = read_benchmark_text(path).split()
    if len(tokens) < 2:
        raise BenchmarkFileError(f"{path}: expected 'm n' on the first line, file is too short.")
    try:
        m, n = int(tokens[0]), int(tokens[1])
    except ValueError:
        raise BenchmarkFileError(
            f"{path}: the first line must be two integers 'm n', got {tokens[:2]}."
        ) from None
    if m <= 0 or n <= 0:
        raise BenchmarkFileError(f"{path}: m={m} and n={n} must both be positive.")
    expected = 2 + 2 * m + n * (1 + m)
    if len(tokens) < expected:
        raise BenchmarkFileError(
            f"{path}: {len(tokens)} numbers, expected {expected} for m={m} warehouses "
            f"and n={n} customers (file truncated?)."
        )
    if len(tokens) > expected:
        log.warning("%s: %d tokens after the data ignored", path, len(tokens) - expected)

    name = path.stem
    cap_words = [tokens[2 + 2 * i] == "capacity" for i in range(m)]
    if any(cap_words):
        if capacity is None:
            allowed = LARGE_CAPACITIES.get(name)
            hint = f" (one of {', '.join(f'{c:g}' for c in allowed)})" if allowed else ""
            raise BenchmarkFileError(
                f"{path}: the file gives warehouse capacities as the word 'capacity'; "
                f"pass the capacity to use{hint}."
            )
        if name in LARGE_CAPACITIES and float(capacity) not in LARGE_CAPACITIES[name]:
            allowed_s = ", ".join(f"{c:g}" for c in LARGE_CAPACITIES[name])
            raise BenchmarkFileError(
                f"{path}: capacity {capacity:g} is not one of the published capacities of "
                f"{name} ({allowed_s})."
            )
        if not math.isfinite(capacity) or capacity <= 0:
            raise BenchmarkFileError(f"{path}: capacity {capacity!r} must be a positive number.")
    elif capacity is not None:
        raise BenchmarkFileError(
            f"{path}: the file has numeric capacities; do not pass a capacity ({capacity:g})."
        )

    capacities = np.empty(m)
    fixed = np.empty(m)
    pos = 2
    for i in range(m):
        tok = tokens[pos]
        capacities[i] = (
            float(capacity)  # type: ignore[arg-type]
            if tok == "capacity"
            else _number(tok, path, f"capacity of warehouse {i + 1}")
        )
        fixed[i] = _number(tokens[pos + 1], path, f"fixed cost of warehouse {i + 1}")
        pos += 2
    demands = np.empty(n)
    costs = np.empty((m, n))
    for j in range(n):
        demands[j] = _number(tokens[pos], path, f"demand of customer {j + 1}")
        row = tokens[pos + 1 : pos + 1 + m]
        try:
            costs[:, j] = np.asarray(row, dtype=float)
        except ValueError:
            bad = next(t for t in row if not is_float(t))
            raise BenchmarkFileError(
                f"{path}: allocation cost {bad!r} of customer {j + 1} is not a number."
            ) from None
        pos += 1 + m
    if not np.isfinite(costs).all() or (costs < 0).any():
        i, j = np.argwhere(~np.isfinite(costs) | (costs < 0))[0]
        raise BenchmarkFileError(
            f"{path}: allocation cost of customer {j + 1} from warehouse {i + 1} is "
            f"{costs[i, j]!r}; it must be finite and >= 0."
        )
    return CapInstance(
        name=name,
        capacity=None if capacity is None else float(capacity),
        capacities=capacities,
        fixed_costs=fixed,
        demands=demands,
        costs=costs,
    )


def read_benchmark_text(path: Path) -> str:
    """The text of a benchmark file; a missing or unreadable file is a BenchmarkFileError.

    Parameters
    ----------
    path
        The benchmark file.

    Returns
    -------
    str
        Its text.
    """
    try:
        return path.read_text()
    except OSError as exc:
        raise BenchmarkFileError(f"{path}: cannot read the file ({exc.strerror}).") from None


def is_float(token: str) -> bool:
    """True when ``token`` parses as a float.

    Parameters
    ----------
    token
        One whitespace-separated token of a benchmark file.

    Returns
    -------
    bool
    """
    try:
        float(token)
    except ValueError:
        return False
    return True


def warehouse_ids(m: int) -> list[str]:
    """Site ids of the warehouses: ``w1`` … ``wm`` (1-based, file order).

    Parameters
    ----------
    m
        Number of warehouses.

    Returns
    -------
    list of str
    """
    return [f"w{i + 1}" for i in range(m)]


def customer_ids(n: int) -> list[str]:
    """Site ids of the customers: ``c1`` … ``cn`` (1-based, file order).

    Parameters
    ----------
    n
        Number of customers.

    Returns
    -------
    list of str
    """
    return [f"c{j + 1}" for j in range(n)]


def cap_inputs(instance: CapInstance) -> ModelInputs:
    """Map a CAP instance onto the engine's explicit-cost :class:`ModelInputs`.

    One commodity; one artificial supplier ``source`` with unlimited supply and
    free lanes to every warehouse; warehouses are candidate facilities of type
    ``warehouse`` (capacity, fixed cost); customers are markets; each
    warehouse→customer lane carries ``cost_per_unit = c_ij / d_j``.

    Parameters
    ----------
    instance
        From :func:`read_cap`.

    Returns
    -------
    ModelInputs
    """
    m, n = instance.costs.shape
    wids = warehouse_ids(m)
    cids = customer_ids(n)
    commodities = pd.DataFrame(
        {
            "commodity": [COMMODITY],
            "unit": ["unit"],
            "weight_t": [0.0],
            "rate_per_tkm": [0.0],
            "rate_per_unit_km": [0.0],
            "co2_kg_per_tkm": [0.0],
            "value": [0.0],
        }
    )
    links = pd.DataFrame({"from_type": [SUPPLIER, WAREHOUSE], "to_type": [WAREHOUSE, MARKET]})
    suppliers = pd.DataFrame(
        {
            "site_id": [SOURCE],
            "commodity": [COMMODITY],
            "supply": [math.inf],
            "cost_per_unit": [0.0],
            "domestic": [True],
        }
    )
    markets = pd.DataFrame({"site_id": cids, "commodity": COMMODITY, "demand": instance.demands})
    facilities = pd.DataFrame(
        {
            "site_id": wids,
            "type": WAREHOUSE,
            "fixed_cost": instance.fixed_costs,
            "capacity": instance.capacities,
            "handling_cost": 0.0,
            "status": "candidate",
            "tags": "",
        }
    )
    unit = instance.unit_costs
    inbound = pd.DataFrame(
        {"origin": SOURCE, "destination": wids, "km": 0.0, "hours": 0.0, "cost_per_unit": 0.0}
    )
    outbound = pd.DataFrame(
        {
            "origin": np.repeat(wids, n),
            "destination": np.tile(cids, m),
            "km": 0.0,
            "hours": 0.0,
            "cost_per_unit": unit.reshape(-1),
        }
    )
    lanes = pd.concat([inbound, outbound], ignore_index=True)
    return ModelInputs(
        commodities=commodities,
        links=links,
        suppliers=suppliers,
        markets=markets,
        facilities=facilities,
        lanes=lanes,
        name=instance.label,
    )


def read_cap_optima(path: str | Path) -> dict[str, float]:
    """Read OR-Library ``capopt`` (optimal values) into ``{label: optimum}``.

    Labels are ``cap41`` … and ``capa-8000`` … (see :attr:`CapInstance.label`).

    Parameters
    ----------
    path
        The ``capopt.txt`` file.

    Returns
    -------
    dict
        Optimal objective values of the multi-source capacitated problem.
    """
    path = Path(path)
    lines = read_benchmark_text(path).splitlines()
    optima: dict[str, float] = {}
    current = ""
    for lineno, line in enumerate(lines[1:], start=2):
        parts = line.replace("(", " ").replace(")", " ").split()
        if not parts or parts[0].lower() == "note" or not parts:
            continue
        if parts[0].startswith("cap") and not parts[0].startswith("capacity"):
            current = parts[0]
            parts = parts[1:]
        if not parts or not is_float(parts[0]):
            continue
        if not current:
            raise BenchmarkFileError(f"{path}: line {lineno} has a value but no instance name.")
        value = float(parts[0])
        if len(parts) >= 3 and parts[1] == "capacity":
            optima[f"{current}-{float(parts[2]):g}"] = value
        else:
            optima[current] = value
    return optima
