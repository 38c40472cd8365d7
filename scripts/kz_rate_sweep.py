"""Solve the KZ auto base (or another scenario) with every freight rate scaled by a factor.

The truck rate (25 KZT/t-km) and the car-carrier rate (90 KZT per car-km) are assumptions
(``data/kz/SOURCES.md``, "Costs"); this script shows how the answer moves across a range.
For each factor it writes a scaled copy of the scenario's commodity table and a one-line
variant into a temporary folder (nothing in the repository changes), solves it, and prints
a Markdown table. Run from the repository root::

    .venv/bin/python scripts/kz_rate_sweep.py [scenario.yaml] [factor ...]

Default factors: 0.5 0.75 1 1.5 2.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

import clusterloc

ROOT = Path(__file__).resolve().parents[1]


def solve_scaled(scenario: Path, factor: float, folder: Path) -> dict[str, object]:
    """Solve ``scenario`` with ``rate_per_tkm`` and ``rate_per_unit_km`` × ``factor``."""
    base = clusterloc.load_scenario(scenario)
    table = base.commodities
    assert isinstance(table, str), "the sweep needs the commodity table as one file"
    commodities = pd.read_csv(table)
    for col in ("rate_per_tkm", "rate_per_unit_km"):
        commodities[col] = commodities[col] * factor
    scaled = folder / f"commodities_x{factor:g}.csv"
    commodities.to_csv(scaled, index=False)
    variant = folder / f"rates_x{factor:g}.yaml"
    variant.write_text(
        f"extends: {scenario.resolve()}\nname: rates_x{factor:g}\ncommodities: {scaled}\n",
        encoding="utf-8",
    )
    result = clusterloc.solve(clusterloc.load_scenario(variant))
    s = result.summary
    sites = result.sites
    opened = sites[sites.open & ~sites["type"].isin(["supplier", "market"])]
    new = opened[opened.status == "candidate"].site_id.tolist()
    plants = opened[opened["type"] == "plant"]
    by_city = plants.assign(city=plants.name.str.split(" - ").str[0]).groupby("city").throughput
    return {
        "factor": factor,
        "objective_bn": s["objective"] / 1e9,
        "transport_bn": s["costs"]["transport"] / 1e9,
        "new_sites": " ".join(sorted(new)) or "—",
        "assembly": ", ".join(f"{c} {v:,.0f}" for c, v in by_city.sum().items() if v > 0.5),
        "co2_t": s["co2_t"],
        "avg_km": s["service"]["avg_km"],
    }


def main() -> None:
    """Print the sweep table."""
    args = sys.argv[1:]
    scenario = ROOT / "models/kz_auto/base.yaml"
    if args and args[0].endswith(".yaml"):
        scenario = Path(args.pop(0))
    factors = [float(a) for a in args] or [0.5, 0.75, 1.0, 1.5, 2.0]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [solve_scaled(scenario, f, Path(tmp)) for f in factors]
    print(
        "| rates × | objective bn KZT | transport bn | new sites opened | assembly by city "
        "| CO2 t | avg delivery km |"
    )
    print("|---:|---:|---:|---|---|---:|---:|")
    for r in rows:
        print(
            f"| {r['factor']:g} | {r['objective_bn']:,.2f} | {r['transport_bn']:,.2f} | "
            f"{r['new_sites']} | {r['assembly']} | {r['co2_t']:,.0f} | {r['avg_km']:,.0f} |"
        )


if __name__ == "__main__":
    main()
