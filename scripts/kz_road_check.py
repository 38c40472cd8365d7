"""Network road km of the city pairs in data/kz/road_distances.csv, next to the sourced km.

Builds the road network of ``models/kz_auto/base.yaml`` (with its road corrections),
attaches both cities of each pair to their nearest road point and prints a Markdown
table (network km, sourced km, difference, straight line). Run from the repository root::

    .venv/bin/python scripts/kz_road_check.py [--no-corrections]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from clusterloc.network import RoadNetwork, attach_points
from clusterloc.network.calibrate import geodesic_km
from clusterloc.scenario.build import load_network, truck_settings
from clusterloc.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def pair_table(corrections: bool = True) -> pd.DataFrame:
    """Every pair with ``network_km``, ``km`` (sourced), ``diff_pct`` and ``straight_km``."""
    overrides = [] if corrections else ["network.corrections=null"]
    scenario = load_scenario(ROOT / "models/kz_auto/base.yaml", overrides)
    settings = truck_settings(scenario)
    G = load_network(scenario, settings)
    pairs = pd.read_csv(ROOT / "data/kz/road_distances.csv")
    lon = np.concatenate([pairs.from_lon, pairs.to_lon])
    lat = np.concatenate([pairs.from_lat, pairs.to_lat])
    G, _ = attach_points(G, lon, lat)
    net = RoadNetwork(G)
    snap = net.snap(lon, lat, names=[f"p{i}" for i in range(len(lon))], max_snap_m=1e6)
    n = len(pairs)
    km, _ = net.matrices(snap.node.tolist()[:n], snap.node.tolist()[n:])
    road = np.diag(km)
    off = snap.snap_m.to_numpy() / 1000.0 * settings.detour_factor
    pairs["network_km"] = road + off[:n] + off[n:]
    pairs["diff_pct"] = 100.0 * (pairs.network_km / pairs.km - 1.0)
    pairs["straight_km"] = [
        geodesic_km(np.array([[a, b], [c, d]]))
        for a, b, c, d in zip(
            pairs.from_lon, pairs.from_lat, pairs.to_lon, pairs.to_lat, strict=True
        )
    ]
    return pairs


def main() -> None:
    """Print the table."""
    pairs = pair_table(corrections="--no-corrections" not in sys.argv)
    print("| pair | network km | sourced km | network vs sourced | straight km | kind |")
    print("|---|---:|---:|---:|---:|---|")
    for r in pairs.itertuples():
        print(
            f"| {r._2} – {r.to} | {r.network_km:,.0f} | {r.km:,.0f} | {r.diff_pct:+.1f} % | "
            f"{r.straight_km:,.0f} | {r.kind} |"
        )
    within = int((pairs.diff_pct.abs() <= 5).sum())
    print(f"\n{within} of {len(pairs)} pairs within 5 %")


if __name__ == "__main__":
    main()
