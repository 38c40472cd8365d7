"""Fixtures for the output tests: small but realistic run folders written to ``tmp_path``.

The run folder follows DEVELOPERS.md "Run folder": ``results.gpkg`` with layers ``sites``,
``flows``, ``routes`` and ``network`` (EPSG:4326) plus ``summary.json``. The geography is a
Kazakhstan auto cluster with real city coordinates; roads are straight segments between the
cities and routes are shortest paths over them, so flows follow the drawn network. This is
test *data*: the maps and the report drawn from it are the things under test.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pytest
from shapely.geometry import LineString, Point

CITIES = {
    "Astana": (71.4491, 51.1694),
    "Karaganda": (73.1094, 49.8047),
    "Temirtau": (72.9646, 50.0549),
    "Almaty": (76.8512, 43.2220),
    "Pavlodar": (76.9674, 52.2873),
    "Kostanay": (63.6246, 53.2144),
    "Oskemen": (82.6279, 49.9483),
    "Semey": (80.2275, 50.4111),
    "Kokshetau": (69.3833, 53.2833),
    "Petropavl": (69.1500, 54.8667),
    "Balkhash": (74.9950, 46.8481),
    "Taraz": (71.3667, 42.9000),
    "Shymkent": (69.5901, 42.3417),
    "Aktobe": (57.1670, 50.2839),
    "Arkalyk": (66.9110, 50.2486),
}
ROADS = [
    ("Temirtau", "Karaganda", "trunk", "M-36"),
    ("Karaganda", "Astana", "motorway", "M-36"),
    ("Astana", "Kokshetau", "trunk", "A-1"),
    ("Kokshetau", "Petropavl", "trunk", "A-1"),
    ("Astana", "Pavlodar", "primary", "P-4"),
    ("Pavlodar", "Semey", "primary", "A-3"),
    ("Semey", "Oskemen", "trunk", "M-38"),
    ("Karaganda", "Balkhash", "trunk", "M-36"),
    ("Balkhash", "Almaty", "trunk", "M-36"),
    ("Almaty", "Taraz", "trunk", "M-39"),
    ("Taraz", "Shymkent", "trunk", "M-39"),
    ("Kostanay", "Arkalyk", "secondary", "P-36"),
    ("Arkalyk", "Astana", "primary", "P-36"),
    ("Kostanay", "Aktobe", "secondary", "A-22"),
]

# site_id, name, type, level, open, capacity, throughput, fixed_cost, city
SITES = [
    ("S_STEEL", "ArcelorMittal Temirtau", "supplier", 0, True, 900_000, 180_000, 0, "Temirtau"),
    ("S_ALU", "Pavlodar aluminium", "supplier", 0, True, 300_000, 60_000, 0, "Pavlodar"),
    ("P_KOS", "Kostanay assembly", "plant", 1, True, 150_000, 140_000, 9.0e6, "Kostanay"),
    ("P_ALA", "Almaty assembly", "plant", 1, True, 120_000, 70_000, 8.5e6, "Almaty"),
    ("P_OSK", "Oskemen assembly", "plant", 1, False, 120_000, 0, 8.0e6, "Oskemen"),
    ("H_AST", "Astana hub", "hub", 2, True, 200_000, 110_000, 2.5e6, "Astana"),
    ("H_KAR", "Karaganda hub", "hub", 2, False, 200_000, 0, 2.2e6, "Karaganda"),
    ("M_AST", "Astana dealers", "market", 3, True, 0, 50_000, 0, "Astana"),
    ("M_ALA", "Almaty dealers", "market", 3, True, 0, 45_000, 0, "Almaty"),
    ("M_SHY", "Shymkent dealers", "market", 3, True, 0, 25_000, 0, "Shymkent"),
    ("M_PET", "Petropavl dealers", "market", 3, True, 0, 20_000, 0, "Petropavl"),
    ("M_AKT", "Aktobe dealers", "market", 3, True, 0, 30_000, 0, "Aktobe"),
]
# origin, destination, commodity, tonnes
FLOWS = [
    ("S_STEEL", "P_KOS", "steel", 95_000.0),
    ("S_STEEL", "P_ALA", "steel", 48_000.0),
    ("S_ALU", "P_KOS", "aluminium", 30_000.0),
    ("S_ALU", "P_ALA", "aluminium", 15_000.0),
    ("P_KOS", "H_AST", "cars", 70_000.0),
    ("P_KOS", "M_AKT", "cars", 30_000.0),
    ("P_ALA", "M_ALA", "cars", 45_000.0),
    ("P_ALA", "M_SHY", "cars", 25_000.0),
    ("H_AST", "M_AST", "cars", 50_000.0),
    ("H_AST", "M_PET", "cars", 20_000.0),
]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    dx = (a[0] - b[0]) * 111.32 * math.cos(lat)
    dy = (a[1] - b[1]) * 110.57
    return math.hypot(dx, dy)


def write_run(
    folder: Path,
    *,
    rename: dict[str, str] | None = None,
    commodity_names: dict[str, str] | None = None,
    summary_extra: dict[str, Any] | None = None,
) -> Path:
    """Write a run folder (``results.gpkg`` + ``summary.json``) into ``folder``.

    ``rename`` maps site_id → a replacement name, ``commodity_names`` maps a commodity to a
    replacement (both used to inject hostile text).
    """
    rename = rename or {}
    commodity_names = commodity_names or {}
    folder.mkdir(parents=True, exist_ok=True)
    graph = nx.Graph()
    for a, b, highway, ref in ROADS:
        graph.add_edge(a, b, km=_km(CITIES[a], CITIES[b]), highway=highway, ref=ref)
    network = gpd.GeoDataFrame(
        {
            "highway": [r[2] for r in ROADS],
            "ref": [r[3] for r in ROADS],
            "name": [f"{r[0]} – {r[1]}" for r in ROADS],
            "length_m": [1000 * graph.edges[r[0], r[1]]["km"] for r in ROADS],
        },
        geometry=[LineString([CITIES[r[0]], CITIES[r[1]]]) for r in ROADS],
        crs="EPSG:4326",
    )
    city_of = {s[0]: s[8] for s in SITES}
    sites = gpd.GeoDataFrame(
        {
            "site_id": [s[0] for s in SITES],
            "name": [rename.get(s[0], s[1]) for s in SITES],
            "type": [s[2] for s in SITES],
            "status": ["open" if s[4] else "closed" for s in SITES],
            "open": [s[4] for s in SITES],
            "level": [s[3] for s in SITES],
            "capacity": [float(s[5]) for s in SITES],
            "throughput": [float(s[6]) for s in SITES],
            "utilization": [s[6] / s[5] if s[5] else float("nan") for s in SITES],
            "fixed_cost": [float(s[7]) for s in SITES],
            "snap_m": [120.0 + 10 * i for i in range(len(SITES))],
            "tags": ["" for _ in SITES],
        },
        geometry=[Point(CITIES[s[8]]) for s in SITES],
        crs="EPSG:4326",
    )
    rows, straight, along = [], [], []
    for origin, dest, commodity, tonnes in FLOWS:
        a, b = city_of[origin], city_of[dest]
        path = nx.shortest_path(graph, a, b, weight="km")
        km = sum(graph.edges[u, v]["km"] for u, v in itertools.pairwise(path)) * 1.15
        rows.append(
            {
                "origin": origin,
                "destination": dest,
                "commodity": commodity_names.get(commodity, commodity),
                "quantity": tonnes / (1.2 if commodity == "cars" else 1.0),
                "tonnes": tonnes,
                "km": km,
                "hours": km / 70.0,
                "transport_cost": tonnes * km * 0.05,
                "co2_t": tonnes * km * 62e-6,
            }
        )
        straight.append(LineString([CITIES[a], CITIES[b]]))
        coords = [CITIES[c] for c in path]
        along.append(LineString(coords if len(coords) > 1 else [coords[0], coords[0]]))
    flows = gpd.GeoDataFrame(rows, geometry=straight, crs="EPSG:4326")
    routes = gpd.GeoDataFrame(rows, geometry=along, crs="EPSG:4326")
    gpkg = folder / "results.gpkg"
    for name, frame in (("sites", sites), ("flows", flows), ("routes", routes)):
        frame.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
    network.to_file(gpkg, layer="network", driver="GPKG", engine="pyogrio")
    transport = float(sum(r["transport_cost"] for r in rows))
    fixed = float(sum(s[7] for s in SITES if s[4]))
    summary = {
        "scenario": "kz_auto_demo",
        "status": "optimal",
        "objective": fixed + transport + 3.1e6 + 0.9e6,
        "best_bound": fixed + transport + 3.1e6 + 0.9e6,
        "gap": 0.0,
        "costs": {
            "fixed": fixed,
            "transport": transport,
            "handling": 3.1e6,
            "co2": 0.9e6,
            "unmet": 0.0,
        },
        "open_sites": [s[0] for s in SITES if s[4] and s[2] not in ("supplier", "market")],
        "co2_t": float(sum(r["co2_t"] for r in rows)),
        "service": {"avg_km": 640.0, "max_km": 1240.0, "avg_hours": 9.1, "max_hours": 17.7},
        "seconds": {"network": 0.4, "matrix": 0.1, "build": 0.05, "solve": 0.2, "total": 0.9},
        "solver": "highs",
    }
    summary.update(summary_extra or {})
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return folder


N_SITES = len(SITES)
N_FACILITIES = sum(1 for s in SITES if s[2] not in ("supplier", "market"))
N_CHOSEN = sum(1 for s in SITES if s[2] not in ("supplier", "market") and s[4])
N_FLOWS = len(FLOWS)
COMMODITIES = sorted({f[2] for f in FLOWS})
HOSTILE = {
    "P_KOS": "<script>alert(1)</script>",
    "H_AST": '"><img src=x onerror=alert(2)>',
    "M_SHY": "${alert(3)} `x` {{ 7*7 }}",
    "M_PET": "{% endraw %}{# \\ </script> 'q' & Co",
}
HOSTILE_COMMODITY = {"steel": "<b onmouseover=alert(4)>steel</b>"}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A realistic run folder (sites, flows, routes, network, summary) without maps yet."""
    return write_run(tmp_path / "run")


@pytest.fixture
def hostile_run_dir(tmp_path: Path) -> Path:
    """The same run with site names and a commodity that try to inject HTML/JS."""
    return write_run(tmp_path / "hostile", rename=HOSTILE, commodity_names=HOSTILE_COMMODITY)


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_run(name, **kwargs)`` writes a run folder via :func:`write_run`."""

    def make(name: str = "custom", **kwargs: Any) -> Path:
        return write_run(tmp_path / name, **kwargs)

    return make


@pytest.fixture
def run_facts() -> dict[str, Any]:
    """What the fixture run folders contain (counts, commodities, hostile names)."""
    return {
        "n_sites": N_SITES,
        "n_facilities": N_FACILITIES,
        "n_chosen": N_CHOSEN,
        "n_flows": N_FLOWS,
        "commodities": COMMODITIES,
        "hostile": dict(HOSTILE),
        "hostile_commodity": dict(HOSTILE_COMMODITY),
        "chosen_names": [s[1] for s in SITES if s[2] not in ("supplier", "market") and s[4]],
    }


@pytest.fixture
def colocated_run_dir(tmp_path: Path) -> Path:
    """The fixture run with the Almaty plant moved onto the Kostanay plant's location."""
    run = write_run(tmp_path / "colocated")
    gpkg = run / "results.gpkg"
    sites = gpd.read_file(gpkg, layer="sites")
    sites.loc[sites["site_id"] == "P_ALA", "geometry"] = Point(CITIES["Kostanay"])
    sites.to_file(gpkg, layer="sites", driver="GPKG", engine="pyogrio")
    return run
