"""Model build time: clusterloc's vectorised build against a textbook PuLP build, side by side.

Both build the same single-echelon capacitated facility location model with strong linking
(x_ij <= min(d_j, s_i) * y_i) on a random instance with n facilities and m customers. The
baseline is the way such models are usually written in PuLP: ``LpVariable.dicts`` and
``lpSum`` over comprehensions that filter the arc list per customer and per facility
(quadratic in the number of sites). clusterloc's time includes input validation, arc
generation, pruning and pre-solve checks.

Run: ``.venv/bin/python benchmarks/bench_model_build.py [--sizes 50x500,100x1000]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import pulp

from clusterloc.model import LocationModel, ModelInputs, Policy


def instance(n: int, m: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    fx = rng.uniform(0, 100, (n, 2))
    cx = rng.uniform(0, 100, (m, 2))
    d = rng.integers(5, 35, m).astype(float)
    cost = np.hypot(fx[:, None, 0] - cx[None, :, 0], fx[:, None, 1] - cx[None, :, 1])
    cap = rng.uniform(800, 1500, n)
    fixed = rng.uniform(3000, 6000, n)
    return cost, fixed, cap, d


def build_baseline(cost: np.ndarray, fixed: np.ndarray, cap: np.ndarray, d: np.ndarray) -> float:
    """Textbook PuLP build; returns seconds."""
    t0 = time.perf_counter()
    n, m = cost.shape
    arcs = [(i, j) for i in range(n) for j in range(m)]
    prob = pulp.LpProblem("baseline", pulp.LpMinimize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = pulp.LpVariable.dicts("x", arcs, lowBound=0)
        y = pulp.LpVariable.dicts("y", range(n), cat=pulp.LpBinary)
    prob += pulp.lpSum(fixed[i] * y[i] for i in range(n)) + pulp.lpSum(
        cost[i, j] * x[i, j] for i, j in arcs
    )
    for j in range(m):
        prob += pulp.lpSum(x[a] for a in arcs if a[1] == j) == d[j]
    for i in range(n):
        prob += pulp.lpSum(x[a] for a in arcs if a[0] == i) <= cap[i] * y[i]
    for i, j in arcs:
        prob += x[i, j] <= min(d[j], cap[i]) * y[i]
    return time.perf_counter() - t0


def build_clusterloc(cost: np.ndarray, fixed: np.ndarray, cap: np.ndarray, d: np.ndarray) -> float:
    model = LocationModel.from_cost_matrix(cost, fixed, cap, d)
    model.build()
    return model.seconds["build"]


def handover(
    cost: np.ndarray, fixed: np.ndarray, cap: np.ndarray, d: np.ndarray
) -> tuple[float, float]:
    """Seconds to hand the built model to HiGHS: clusterloc's one passModel call against
    PuLP's HiGHS (one addCol / addRow call per column and row)."""
    import highspy

    from clusterloc.model.solvers import HighsSolver

    model = LocationModel.from_cost_matrix(cost, fixed, cap, d)
    prob = model.build()
    out = []
    for solver in (HighsSolver(msg=False), pulp.HiGHS(msg=False)):
        prob.solverModel = highspy.Highs()
        prob.solverModel.setOptionValue("output_flag", False)
        t0 = time.perf_counter()
        solver.buildSolverModel(prob)
        out.append(time.perf_counter() - t0)
    return out[0], out[1]


def multi_echelon(n_sup: int, n_plant: int, n_wh: int, n_mk: int, seed: int = 2) -> ModelInputs:
    """Suppliers of two parts → plants (BOM) → warehouses → markets of two products."""
    rng = np.random.default_rng(seed)
    xy = {  # site coordinates in km
        kind: rng.uniform(0, 500, (n, 2))
        for kind, n in (("S", n_sup), ("P", n_plant), ("W", n_wh), ("M", n_mk))
    }
    ids = {kind: [f"{kind}{i}" for i in range(len(v))] for kind, v in xy.items()}

    def lanes(a: str, b: str) -> pd.DataFrame:
        pa, pb = xy[a], xy[b]
        km = np.hypot(pa[:, None, 0] - pb[None, :, 0], pa[:, None, 1] - pb[None, :, 1]).ravel()
        return pd.DataFrame(
            {
                "origin": np.repeat(ids[a], len(pb)),
                "destination": np.tile(ids[b], len(pa)),
                "km": km,
                "hours": km / 60.0,
            }
        )

    half = n_sup // 2
    return ModelInputs(
        commodities=pd.DataFrame(
            {
                "commodity": ["steel", "parts", "car", "truck"],
                "weight_t": [1.0, 0.2, 1.4, 4.0],
                "rate_per_tkm": 0.05,
                "co2_kg_per_tkm": 0.06,
            }
        ),
        links=pd.DataFrame(
            {
                "from_type": ["supplier", "plant", "warehouse", "plant"],
                "to_type": ["plant", "warehouse", "market", "market"],
            }
        ),
        suppliers=pd.DataFrame(
            {
                "site_id": ids["S"],
                "commodity": ["steel"] * half + ["parts"] * (n_sup - half),
                "supply": rng.uniform(2000, 8000, n_sup),
                "cost_per_unit": rng.uniform(5, 10, n_sup),
                "domestic": rng.random(n_sup) < 0.5,
            }
        ),
        markets=pd.DataFrame(
            {
                "site_id": np.repeat(ids["M"], 2),
                "commodity": ["car", "truck"] * n_mk,
                "demand": rng.integers(1, 20, 2 * n_mk).astype(float),
            }
        ),
        facilities=pd.DataFrame(
            {
                "site_id": ids["P"] + ids["W"],
                "type": ["plant"] * n_plant + ["warehouse"] * n_wh,
                "fixed_cost": np.r_[rng.uniform(5e4, 1e5, n_plant), rng.uniform(5e3, 1e4, n_wh)],
                "capacity": np.r_[rng.uniform(3000, 6000, n_plant), rng.uniform(800, 2000, n_wh)],
                "handling_cost": 1.0,
            }
        ),
        bom=pd.DataFrame(
            {
                "type": "plant",
                "output": ["car", "car", "truck", "truck"],
                "input": ["steel", "parts", "steel", "parts"],
                "quantity": [1.2, 3.0, 3.5, 6.0],
                "yield": 0.97,
            }
        ),
        lanes=pd.concat(
            [lanes("S", "P"), lanes("P", "W"), lanes("W", "M"), lanes("P", "M")], ignore_index=True
        ),
        policy=Policy(max_service_km=300.0, local_content_share=0.3),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20x200,50x500,100x1000")
    args = parser.parse_args()
    print(f"{'n x m':>10} {'arcs':>8} {'clusterloc s':>13} {'baseline s':>11} {'ratio':>6}")
    for size in args.sizes.split(","):
        n, m = (int(v) for v in size.split("x"))
        data = instance(n, m)
        ours = build_clusterloc(*data)
        base = build_baseline(*data)
        print(f"{size:>10} {n * m:>8} {ours:>13.2f} {base:>11.2f} {base / ours:>6.1f}")
    print("\nmulti-echelon (suppliers → plants with BOM → warehouses → markets, 2 products)")
    print(f"{'sites':>22} {'lanes':>8} {'arcs':>8} {'rows':>8} {'build s':>8}")
    for n_sup, n_plant, n_wh, n_mk in ((40, 10, 50, 500), (100, 20, 100, 1000)):
        inputs = multi_echelon(n_sup, n_plant, n_wh, n_mk)
        model = LocationModel.from_inputs(inputs)
        prob = model.build()
        label = f"{n_sup}S/{n_plant}P/{n_wh}W/{n_mk}M"
        print(
            f"{label:>22} {len(inputs.lanes):>8} {len(model.arcs):>8} "
            f"{prob.numConstraints():>8} {model.seconds['build']:>8.2f}"
        )
    print("\nhand-over of the built model to HiGHS")
    print(f"{'n x m':>10} {'passModel s':>12} {'PuLP HiGHS s':>13} {'ratio':>6}")
    for size in args.sizes.split(","):
        n, m = (int(v) for v in size.split("x"))
        ours, base = handover(*instance(n, m))
        print(f"{size:>10} {ours:>12.2f} {base:>13.2f} {base / ours:>6.1f}")


if __name__ == "__main__":
    main()
