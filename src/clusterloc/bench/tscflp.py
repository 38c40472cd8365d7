"""Read two-stage capacitated facility location (TSCFLP) instances (Fernandes et al. 2014).

Plants → depots → customers, one product, capacities and fixed costs at both levels,
multi-source flows with **per-unit** costs. Token stream::

    I J K
    d_1 ... d_K              (customer demands)
    p_1 f_1 ... p_I f_I      (plant capacity, plant fixed cost)
    c_11 ... c_IJ            (I rows: per-unit cost plant i -> depot j)
    q_1 g_1 ... q_J g_J      (depot capacity, depot fixed cost)
    t_11 ... t_JK            (J rows: per-unit cost depot j -> customer k)

File names are ``PSC{instance}-C{class}-{size}.txt``; best-known values are in
``bks-{size}.txt`` (``class instance value [*]``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clusterloc.bench.orlib import (
    COMMODITY,
    SOURCE,
    BenchmarkFileError,
    is_float,
    read_benchmark_text,
)
from clusterloc.model.inputs import MARKET, SUPPLIER, ModelInputs

__all__ = [
    "DEPOT",
    "PLANT",
    "TscflpInstance",
    "parse_name",
    "read_best_known",
    "read_lower_bounds",
    "read_tscflp",
    "tscflp_inputs",
]

PLANT = "plant"
DEPOT = "depot"
_NAME = re.compile(r"PSC(\d+)-C(\d+)-(\d+)$")


@dataclass(frozen=True)
class TscflpInstance:
    """One two-stage CFLP instance (arrays in file order).

    Attributes
    ----------
    name
        File stem, e.g. ``"PSC1-C1-50"``.
    demands
        ``(K,)`` customer demands.
    plant_capacities, plant_fixed_costs
        ``(I,)``.
    plant_depot_costs
        ``(I, J)`` per-unit cost plant → depot.
    depot_capacities, depot_fixed_costs
        ``(J,)``.
    depot_customer_costs
        ``(J, K)`` per-unit cost depot → customer.
    """

    name: str
    demands: np.ndarray
    plant_capacities: np.ndarray
    plant_fixed_costs: np.ndarray
    plant_depot_costs: np.ndarray
    depot_capacities: np.ndarray
    depot_fixed_costs: np.ndarray
    depot_customer_costs: np.ndarray


def read_tscflp(path: str | Path) -> TscflpInstance:
    """Read a TSCFLP instance file.

    Parameters
    ----------
    path
        The instance file.

    Returns
    -------
    TscflpInstance

    Raises
    ------
    BenchmarkFileError
        Missing file, wrong number of values, a negative or non-numeric value.
    """
    path = Path(path)
    tokens = read_benchmark_text(path).split()
    try:
        n_plants, n_depots, n_customers = (int(t) for t in tokens[:3])
    except ValueError:
        raise BenchmarkFileError(
            f"{path}: the first line must be three integers 'I J K', got {tokens[:3]}."
        ) from None
    if min(n_plants, n_depots, n_customers) <= 0:
        raise BenchmarkFileError(f"{path}: I, J and K must be positive, got {tokens[:3]}.")
    expected = 3 + n_customers + 2 * n_plants + n_plants * n_depots
    expected += 2 * n_depots + n_depots * n_customers
    if len(tokens) != expected:
        raise BenchmarkFileError(
            f"{path}: {len(tokens)} numbers, expected {expected} for I={n_plants} plants, "
            f"J={n_depots} depots and K={n_customers} customers."
        )
    try:
        values = np.asarray(tokens[3:], dtype=float)
    except ValueError:
        bad = next(t for t in tokens[3:] if not is_float(t))
        raise BenchmarkFileError(f"{path}: value {bad!r} is not a number.") from None
    if not np.isfinite(values).all() or (values < 0).any():
        k = int(np.argmax(~np.isfinite(values) | (values < 0)))
        raise BenchmarkFileError(
            f"{path}: value number {k + 4} ({tokens[3 + k]}) must be finite and >= 0."
        )
    pos = 0

    def take(count: int) -> np.ndarray:
        nonlocal pos
        out = values[pos : pos + count]
        pos += count
        return out

    demands = take(n_customers)
    plants = take(2 * n_plants).reshape(n_plants, 2)
    plant_depot = take(n_plants * n_depots).reshape(n_plants, n_depots)
    depots = take(2 * n_depots).reshape(n_depots, 2)
    depot_customer = take(n_depots * n_customers).reshape(n_depots, n_customers)
    return TscflpInstance(
        name=path.stem,
        demands=demands,
        plant_capacities=plants[:, 0].copy(),
        plant_fixed_costs=plants[:, 1].copy(),
        plant_depot_costs=plant_depot,
        depot_capacities=depots[:, 0].copy(),
        depot_fixed_costs=depots[:, 1].copy(),
        depot_customer_costs=depot_customer,
    )


def tscflp_inputs(instance: TscflpInstance) -> ModelInputs:
    """Map a TSCFLP instance onto the engine's explicit-cost :class:`ModelInputs`.

    One commodity; an artificial supplier ``source`` with unlimited supply and free
    lanes to every plant; plants (``p1`` …) and depots (``d1`` …) are candidate
    facilities with their capacity and fixed cost; customers (``k1`` …) are markets;
    plant→depot and depot→customer lanes carry the file's per-unit costs.

    Parameters
    ----------
    instance
        From :func:`read_tscflp`.

    Returns
    -------
    ModelInputs
    """
    n_plants, n_depots = instance.plant_depot_costs.shape
    n_customers = instance.demands.shape[0]
    pids = [f"p{i + 1}" for i in range(n_plants)]
    dids = [f"d{j + 1}" for j in range(n_depots)]
    kids = [f"k{k + 1}" for k in range(n_customers)]
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
    links = pd.DataFrame(
        {
            "from_type": [SUPPLIER, PLANT, DEPOT],
            "to_type": [PLANT, DEPOT, MARKET],
        }
    )
    suppliers = pd.DataFrame(
        {
            "site_id": [SOURCE],
            "commodity": [COMMODITY],
            "supply": [math.inf],
            "cost_per_unit": [0.0],
            "domestic": [True],
        }
    )
    markets = pd.DataFrame({"site_id": kids, "commodity": COMMODITY, "demand": instance.demands})
    facilities = pd.concat(
        [
            pd.DataFrame(
                {
                    "site_id": pids,
                    "type": PLANT,
                    "fixed_cost": instance.plant_fixed_costs,
                    "capacity": instance.plant_capacities,
                }
            ),
            pd.DataFrame(
                {
                    "site_id": dids,
                    "type": DEPOT,
                    "fixed_cost": instance.depot_fixed_costs,
                    "capacity": instance.depot_capacities,
                }
            ),
        ],
        ignore_index=True,
    )
    facilities["handling_cost"] = 0.0
    facilities["status"] = "candidate"
    facilities["tags"] = ""
    lanes = pd.concat(
        [
            pd.DataFrame(
                {
                    "origin": SOURCE,
                    "destination": pids,
                    "km": 0.0,
                    "hours": 0.0,
                    "cost_per_unit": 0.0,
                }
            ),
            pd.DataFrame(
                {
                    "origin": np.repeat(pids, n_depots),
                    "destination": np.tile(dids, n_plants),
                    "km": 0.0,
                    "hours": 0.0,
                    "cost_per_unit": instance.plant_depot_costs.reshape(-1),
                }
            ),
            pd.DataFrame(
                {
                    "origin": np.repeat(dids, n_customers),
                    "destination": np.tile(kids, n_depots),
                    "km": 0.0,
                    "hours": 0.0,
                    "cost_per_unit": instance.depot_customer_costs.reshape(-1),
                }
            ),
        ],
        ignore_index=True,
    )
    return ModelInputs(
        commodities=commodities,
        links=links,
        suppliers=suppliers,
        markets=markets,
        facilities=facilities,
        lanes=lanes,
        name=instance.name,
    )


def read_best_known(path: str | Path) -> dict[str, float]:
    """Read a ``bks-{size}.txt`` file into ``{instance name: best known value}``.

    Lines are ``class instance value [*]``; the name is ``PSC{instance}-C{class}-{size}``
    with the size taken from the file name.

    Parameters
    ----------
    path
        ``bks-50.txt`` or ``bks-100.txt``.

    Returns
    -------
    dict
    """
    path = Path(path)
    size_match = re.search(r"(\d+)$", path.stem)
    if size_match is None:
        raise BenchmarkFileError(f"{path}: the file name must end in the size, e.g. bks-50.txt.")
    size = size_match.group(1)
    lines = read_benchmark_text(path).splitlines()
    out: dict[str, float] = {}
    for lineno, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            cls, inst, value = int(parts[0]), int(parts[1]), float(parts[2])
        except (ValueError, IndexError):
            raise BenchmarkFileError(
                f"{path}: line {lineno} must be 'class instance value', got {line!r}."
            ) from None
        out[f"PSC{inst}-C{cls}-{size}"] = value
    return out


def read_lower_bounds(path: str | Path) -> dict[str, float]:
    """Read a ``lb-{size}.txt`` file (``C{class}-{instance}-{size} value``).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    dict
        ``{PSC{instance}-C{class}-{size}: lower bound}``.
    """
    path = Path(path)
    lines = read_benchmark_text(path).splitlines()
    out: dict[str, float] = {}
    for lineno, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts:
            continue
        match = re.fullmatch(r"C(\d+)-(\d+)-(\d+)", parts[0])
        if match is None or len(parts) < 2 or not is_float(parts[1]):
            raise BenchmarkFileError(
                f"{path}: line {lineno} must be 'C<class>-<instance>-<size> value', got {line!r}."
            )
        cls, inst, size = match.groups()
        out[f"PSC{inst}-C{cls}-{size}"] = float(parts[1])
    return out


def parse_name(name: str) -> tuple[int, int, int] | None:
    """``"PSC2-C4-50"`` → ``(instance 2, class 4, size 50)``; ``None`` if it does not match.

    Parameters
    ----------
    name
        An instance name.

    Returns
    -------
    tuple of int or None
        ``(instance, class, size)``.
    """
    match = _NAME.search(name)
    if match is None:
        return None
    inst, cls, size = (int(g) for g in match.groups())
    return inst, cls, size
