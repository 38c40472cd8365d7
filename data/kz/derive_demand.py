"""Derive data/kz/demand*.csv from markets.csv (see SOURCES.md, "Vehicle demand").

Rule: national new-vehicle sales are split over the 20 markets in proportion to the
GeoNames population of the market city; shares are rounded to whole vehicles with the
largest-remainder method so that they add up to the national total exactly.

Run from the repository root: ``python data/kz/derive_demand.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: New vehicles sold in Kazakhstan in 2024 (Ministry of Industry and Construction via
#: Kazinform; the Kazakhstan Automotive Union quotes "more than 205 thousand").
SALES_2024 = 205_100
#: 2030: domestic sales projected to double (Minister M. Karabaev, Automotive Logistics 2023).
GROWTH_2030 = 2.0


def split(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` with the largest-remainder method."""
    norm = sum(weights.values())
    raw = {k: total * w / norm for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    rest = total - sum(out.values())
    for key in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[:rest]:
        out[key] += 1
    return out


def write(path: Path, demand: dict[str, int]) -> None:
    """Write one demand table."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["site_id", "commodity", "demand"])
        for site, units in demand.items():
            writer.writerow([site, "vehicle", units])


def main() -> None:
    """Write demand.csv (2024) and demand_2030.csv."""
    with (HERE / "markets.csv").open() as fh:
        pop = {row["site_id"]: float(row["population"]) for row in csv.DictReader(fh)}
    write(HERE / "demand.csv", split(SALES_2024, pop))
    write(HERE / "demand_2030.csv", split(round(SALES_2024 * GROWTH_2030), pop))


if __name__ == "__main__":
    main()
