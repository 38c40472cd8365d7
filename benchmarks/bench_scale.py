"""Real-size study: thousands of settlements as markets, hundreds of candidate DCs.

The study is built from the shared OpenStreetMap/GeoNames files, everything else as in
``models/kz_auto/base.yaml``:

- **markets**: the populated places of ``kz_populated_places_hotosm.geojson`` with a
  numeric population > 0 that lie inside ``kz_boundary_adm0_geoboundaries.geojson``
  (3,399 places), the ``--markets`` largest by population (ties by OSM id); the base
  scenario's total demand (205,100 vehicles) is split over them by population
  (largest remainders, whole vehicles);
- **candidate DCs**: the ``--candidates`` largest of the 205 towns of
  ``kz_cities_geonames_pop5000.csv``, each with the base scenario's warehouse figures
  (fixed cost, capacity, handling cost of ``W_AST``);
- ``--upstream``: candidate plants at the 40 largest towns (the figures of the base
  scenario's greenfield plant ``P_AST_NEW``) and candidate hubs at the 20 largest (the
  figures and capacity levels of ``H_TEM``), besides the base scenario's existing plants;
  without it plants and hubs are the base scenario's;
- villages lie far from the 23 republican roads: the snap limit is ``--snap-km``
  (default 450 km, above the farthest of the 3,399 places); the off-road leg is priced
  as in the base scenario (straight line × detour factor at the local speed).

The study is solved by :func:`clusterloc.solve` — exactly what ``clusterloc solve``
runs — and, in the same run, by the plain model (build, then HiGHS on the full model
with no speed-ups) with its time capped at ``--baseline-limit``; a capped baseline is
reported as "≥" its time. The last printed line is one JSON object.

Run: ``.venv/bin/python benchmarks/bench_scale.py --markets 1000 --candidates 205``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml

import clusterloc
from clusterloc.api import RunResult
from clusterloc.model import LocationModel, make_solver, solve_model
from clusterloc.scenario.build import build_scenario

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "models" / "kz_auto" / "base.yaml"
KZ = ROOT / "data" / "kz"


def shared_dir() -> Path:
    """The shared data folder (``$CLUSTERLOC_SHARED`` or ``../shared`` beside the repo)."""
    env = os.environ.get("CLUSTERLOC_SHARED")
    return Path(env) if env else ROOT.parent / "shared"


def populated_places(shared: Path) -> pd.DataFrame:
    """Places with a population > 0 inside Kazakhstan, largest first."""
    osm = shared / "data" / "osm"
    places = gpd.read_file(osm / "kz_populated_places_hotosm.geojson")
    pop = pd.to_numeric(places["population"], errors="coerce")
    places = places[pop > 0].assign(population=pop[pop > 0])
    border = gpd.read_file(osm / "kz_boundary_adm0_geoboundaries.geojson").union_all()
    places = places[places.within(border)]
    out = pd.DataFrame(
        {
            "osm_id": places["osm_id"].astype("int64"),
            "name": places["name"].fillna("").astype(str),
            "lon": places.geometry.x,
            "lat": places.geometry.y,
            "population": places["population"].astype(float),
        }
    )
    return out.sort_values(["population", "osm_id"], ascending=[False, True]).reset_index(drop=True)


def split_total(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers proportional to ``weights`` summing to ``total`` (largest remainders)."""
    share = total * weights / weights.sum()
    whole = np.floor(share).astype(int)
    rest = total - int(whole.sum())
    order = np.argsort(-(share - whole), kind="stable")
    whole[order[:rest]] += 1
    return whole


def towns(shared: Path) -> pd.DataFrame:
    """The 205 GeoNames towns of Kazakhstan with ≥ 5,000 people, largest first."""
    t = pd.read_csv(shared / "data" / "osm" / "kz_cities_geonames_pop5000.csv")
    return t.sort_values(["population", "geonameid"], ascending=[False, True]).reset_index(
        drop=True
    )


def facility_rows(
    top: pd.DataFrame, prefix: str, ftype: str, like: pd.Series, label: str
) -> pd.DataFrame:
    """Candidate facilities at the towns ``top`` with the figures of the base row ``like``."""
    return pd.DataFrame(
        {
            "site_id": [f"{prefix}{g}" for g in top["geonameid"]],
            "name": [f"{n} {label}" for n in top["name"]],
            "type": ftype,
            "lon": top["lon"].to_numpy(),
            "lat": top["lat"].to_numpy(),
            "fixed_cost": like["fixed_cost"],
            "capacity": like["capacity"],
            "handling_cost": like["handling_cost"],
            "status": "candidate",
            "tags": "",
        }
    )


def build_study(
    folder: Path, markets: int, candidates: int, upstream: bool, snap_km: float
) -> Path:
    """Write the study's tables and scenario file into ``folder``; return the scenario path."""
    shared = shared_dir()
    base = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    places = populated_places(shared)
    if markets > len(places):
        raise SystemExit(f"--markets {markets}: only {len(places)} places have a population")
    places = places.head(markets)
    total = int(pd.read_csv(KZ / "demand.csv")["demand"].sum())
    site_ids = [f"M{o}" for o in places["osm_id"]]
    pd.DataFrame(
        {
            "site_id": site_ids,
            "name": places["name"].where(places["name"] != "", "place").to_numpy(),
            "type": "market",
            "lon": places["lon"].to_numpy(),
            "lat": places["lat"].to_numpy(),
        }
    ).to_csv(folder / "markets.csv", index=False)
    pd.DataFrame(
        {
            "site_id": site_ids,
            "commodity": "vehicle",
            "demand": split_total(total, places["population"].to_numpy()),
        }
    ).to_csv(folder / "demand.csv", index=False)
    town = towns(shared)
    if candidates > len(town):
        raise SystemExit(f"--candidates {candidates}: only {len(town)} towns")
    wh = pd.read_csv(KZ / "warehouses.csv").set_index("site_id")
    facility_rows(town.head(candidates), "W", "warehouse", wh.loc["W_AST"], "DC").to_csv(
        folder / "warehouses.csv", index=False
    )
    sites = [str(KZ / f) for f in ("suppliers_domestic.csv", "crossings_china.csv",
                                   "crossings_russia.csv", "port_caspian.csv")]  # fmt: skip
    levels = str(KZ / "hub_levels.csv")
    if upstream:
        plants = pd.read_csv(KZ / "plants.csv")
        existing = plants[plants["status"] == "existing"][list(facility_rows(
            town.head(1), "P", "plant", plants.iloc[0], "").columns)]  # fmt: skip
        like = plants.set_index("site_id").loc["P_AST_NEW"]
        new = facility_rows(town.head(40), "P", "plant", like, "greenfield plant")
        pd.concat([existing, new]).to_csv(folder / "plants.csv", index=False)
        hubs = pd.read_csv(KZ / "hubs.csv").set_index("site_id")
        hub = facility_rows(town.head(20), "H", "hub", hubs.loc["H_TEM"], "stamping hub")
        hub.to_csv(folder / "hubs.csv", index=False)
        tem = pd.read_csv(KZ / "hub_levels.csv")
        tem = tem[tem["site_id"] == "H_TEM"]
        pd.concat([tem.assign(site_id=s) for s in hub["site_id"]]).to_csv(
            folder / "hub_levels.csv", index=False
        )
        levels = str(folder / "hub_levels.csv")
        sites += [str(folder / "hubs.csv"), str(folder / "plants.csv")]
    else:
        sites += [str(KZ / "hubs.csv"), str(KZ / "plants.csv")]
    sites += [str(folder / "warehouses.csv"), str(folder / "markets.csv")]
    scenario = dict(base)
    scenario["name"] = f"kz_scale_{markets}x{candidates}" + ("_upstream" if upstream else "")
    scenario["description"] = "bench_scale.py study (see the module docstring)"
    scenario["network"] = dict(base["network"])
    scenario["network"]["corrections"] = str(KZ / "road_corrections.geojson")
    scenario["network"]["truck"] = dict(base["network"]["truck"], max_snap_m=snap_km * 1000)
    scenario["sites"] = sites
    scenario["supply"] = [str(KZ / Path(p).name) for p in base["supply"]]
    scenario["demand"] = str(folder / "demand.csv")
    for key in ("commodities", "bom", "links"):
        scenario[key] = str(KZ / Path(base[key]).name)
    scenario["levels"] = levels
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path


def peak_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_product(path: Path, time_limit: float) -> tuple[RunResult, float]:
    """``clusterloc.solve`` on the study; returns (result, seconds)."""
    t0 = time.perf_counter()
    result = clusterloc.solve(path, time_limit=time_limit, check=False)
    return result, time.perf_counter() - t0


def run_baseline(path: Path, limit: float) -> dict:
    """The plain model: full build, HiGHS with no speed-ups, time capped at ``limit``."""
    scenario = clusterloc.load_scenario(path)
    spec = scenario.solver
    built = build_scenario(scenario)
    t0 = time.perf_counter()
    model = LocationModel.from_inputs(built.inputs)
    solver = make_solver(spec.name, time_limit=limit, gap=spec.gap, threads=spec.threads,
                         seed=spec.seed)  # fmt: skip
    sol = solve_model(model, solver, explain=False)
    return {
        "status": sol.status,
        "objective": sol.objective,
        "gap": sol.gap,
        "seconds": time.perf_counter() - t0,
        "capped": sol.status != "optimal",
        "arcs": len(model.arcs),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markets", type=int, default=1000)
    ap.add_argument("--candidates", type=int, default=205)
    ap.add_argument("--upstream", action="store_true")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--baseline-limit", type=float, default=300.0,
                    help="cap of the plain model's solve (0: do not run it)")  # fmt: skip
    ap.add_argument("--snap-km", type=float, default=450.0)
    ap.add_argument("--keep", type=Path, default=None, help="write the study files here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clusterloc-scale-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = build_study(folder, args.markets, args.candidates, args.upstream, args.snap_km)
        result, total = run_product(path, args.time_limit)
        summary = result.summary
        peak = peak_mb()
        print(f"clusterloc.solve: {summary['status']} objective {summary.get('objective')} "
              f"bound {summary.get('best_bound')} gap {summary.get('gap')} in {total:.1f} s "
              f"(seconds {summary.get('seconds')}), peak {peak:.0f} MB", flush=True)  # fmt: skip
        base: dict = {"status": None, "objective": None, "gap": None, "seconds": None}
        if args.baseline_limit > 0:
            base = run_baseline(path, args.baseline_limit)
            arcs = base["arcs"]
            mark = "≥ " if base["capped"] else ""
            print(f"plain model: {base['status']} objective {base['objective']} gap "
                  f"{base['gap']} in {mark}{base['seconds']:.1f} s", flush=True)  # fmt: skip
        else:
            model = LocationModel.from_inputs(result.built.inputs)
            model.build()
            arcs = len(model.arcs)
    seconds = summary.get("seconds", {})
    out = {
        "markets": args.markets,
        "candidates": args.candidates,
        "upstream": args.upstream,
        "arcs": arcs,
        "status": summary["status"],
        "objective": summary.get("objective"),
        "best_bound": summary.get("best_bound"),
        "gap": summary.get("gap"),
        "seconds_total": round(total, 2),
        "seconds_solve": seconds.get("solve"),
        "peak_mb": round(peak),
        "baseline_status": base["status"],
        "baseline_objective": base["objective"],
        "baseline_gap": base["gap"],
        "seconds_baseline": None if base["seconds"] is None else (
            ("≥" if base["capped"] else "") + f"{base['seconds']:.1f}"),
    }  # fmt: skip
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
