"""Write data/kz/markets.csv, demand.csv and demand_2030.csv: regional demand on real markets.

Method (``data/kz/SOURCES.md``, "Vehicle demand"):

1. **Regional shares.** National sales are split over the 20 regions. The four regions
   the Bureau of National Statistics names in its release of first registrations of new
   passenger cars (Almaty city, Astana, Shymkent, Almaty region) get their published
   share; the other 16 share the rest in proportion to their registered vehicles on
   1 Dec 2025 (BNS via Qazinform). Both tables are ``data/kz/regional_registrations.csv``.
2. **Districts.** Each district of ``../shared/data/admin`` (geoBoundaries ADM2) is given
   to the region of the GeoNames towns inside it (admin1 code; nearest town when it has
   none) and weighted by the population of its OSM places (``population`` tag; GeoNames
   population when OSM has none; otherwise a typical size per place class).
3. **Markets.** A region's share is split over its districts by weight; each district's
   demand sits at its most populous place. Districts under ``MIN_DISTRICT`` vehicles a
   year go to the nearest market of the same region, so every market is a real one.

Rounding is the largest-remainder method, so regions and the nation total exactly.
Run from the repository root: ``.venv/bin/python scripts/build_kz_markets.py``.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely import STRtree

from clusterloc.network.calibrate import geodesic_km

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "kz"
SHARED = Path(os.environ.get("CLUSTERLOC_SHARED", ROOT.parent / "shared"))
PLACES = SHARED / "data/osm/kz_populated_places_hotosm.geojson"
GEONAMES = SHARED / "data/osm/kz_cities_geonames_pop5000.csv"
DISTRICTS = SHARED / "data/admin/kz_districts_adm2_geoboundaries.geojson"

#: New vehicles sold in 2024 (Ministry of Industry and Construction via Kazinform).
SALES_2024 = 205_100
#: 2030: sales projected to double (Minister M. Karabaev, Automotive Logistics 2023).
GROWTH_2030 = 2.0
#: Districts with less demand than this (vehicles / yr) join the nearest market of their
#: region (ASSUMPTION: a dealer town serves at least ~0.1 % of the national market).
MIN_DISTRICT = 300
#: ASSUMPTION: size of an OSM place with neither an OSM nor a GeoNames population
#: (GeoNames lists every place of 5,000 people or more, so a town missing there is smaller).
TYPICAL_SIZE = {"city": 20_000, "town": 3_000, "village": 600, "hamlet": 100}
#: A GeoNames town within this distance of an OSM place is the same place (km).
SAME_PLACE_KM = 5.0


@dataclass
class Place:
    """One OSM place point with its weight."""

    name: str
    lon: float
    lat: float
    weight: float


def largest_remainder(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` into integers summing to ``total``."""
    norm = sum(weights.values())
    raw = {k: total * w / norm for k, w in weights.items()}
    out = {k: math.floor(v) for k, v in raw.items()}
    rest = total - sum(out.values())
    for key in sorted(raw, key=lambda k: (raw[k] - out[k], k), reverse=True)[:rest]:
        out[key] += 1
    return out


def regional_shares(path: Path = DATA / "regional_registrations.csv") -> dict[str, float]:
    """Share of national sales per region centre id (see the module docstring, step 1)."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    named = {r["centre_id"]: float(r["new_cars_nov2024"]) for r in rows if r["new_cars_nov2024"]}
    month_total = 31_149.0  # first registrations of new passenger cars, November 2024
    shares = {k: v / month_total for k, v in named.items()}
    rest = 1.0 - sum(shares.values())
    fleet = {
        r["centre_id"]: float(r["vehicles_2025_12_01"]) for r in rows if r["centre_id"] not in named
    }
    norm = sum(fleet.values())
    shares.update({k: rest * v / norm for k, v in fleet.items()})
    return shares


def _geonames() -> list[dict[str, str]]:
    with GEONAMES.open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["inside_kz_adm0"] == "True"]


def _places(towns: list[dict[str, str]]) -> list[Place]:
    data = json.loads(PLACES.read_text(encoding="utf-8"))["features"]
    gxy = np.array([[float(t["lon"]), float(t["lat"])] for t in towns])
    out = []
    for feat in data:
        props = feat["properties"]
        cls = props.get("place")
        if cls not in TYPICAL_SIZE:
            continue
        lon, lat = (float(v) for v in feat["geometry"]["coordinates"][:2])
        weight = None
        try:
            weight = float(str(props.get("population")).replace(" ", ""))
        except ValueError:
            weight = None
        d = np.hypot((gxy[:, 0] - lon) * math.cos(math.radians(lat)), gxy[:, 1] - lat)
        i = int(np.argmin(d))
        same = cls in ("city", "town") and (
            geodesic_km(np.array([[lon, lat], gxy[i]])) <= SAME_PLACE_KM
        )
        if weight is None or not weight > 0:
            weight = float(towns[i]["population"]) if same else TYPICAL_SIZE[cls]
        name = (
            towns[i]["name"]
            if same
            else props.get("name:en") or props.get("name:ru") or props.get("name") or "?"
        )
        out.append(Place(str(name), lon, lat, weight))
    return out


def build() -> tuple[list[dict[str, object]], dict[str, int]]:
    """Markets (rows of markets.csv) and their 2024 demand."""
    towns = _geonames()
    regions = {}
    with (DATA / "regional_registrations.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            regions[r["geonames_admin1"]] = (r["centre_id"], r["region"])
    centres = {}
    with (DATA / "markets.csv").open(encoding="utf-8") as fh:
        old = {r["site_id"]: r for r in csv.DictReader(fh)}
    for cid, row in old.items():
        if cid in {c for c, _ in regions.values()} and row.get("role") != "district market":
            centres[cid] = row
    features = json.loads(DISTRICTS.read_text(encoding="utf-8"))["features"]
    polys = [shapely.geometry.shape(f["geometry"]) for f in features]
    tree = STRtree(polys)
    # district -> region: GeoNames towns inside (by population), else the nearest town
    votes: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for t in towns:
        if t["admin1code"] not in regions:
            continue
        pt = shapely.Point(float(t["lon"]), float(t["lat"]))
        for i in tree.query(pt):
            if polys[int(i)].contains(pt):
                votes[int(i)][t["admin1code"]] += float(t["population"])
    known = [t for t in towns if t["admin1code"] in regions]
    kxy = np.array([[float(t["lon"]), float(t["lat"])] for t in known])
    district_region = {}
    for i, poly in enumerate(polys):
        if votes[i]:
            district_region[i] = max(votes[i], key=lambda k: votes[i][k])
        else:
            c = poly.representative_point()
            j = int(np.argmin(np.hypot(kxy[:, 0] - c.x, kxy[:, 1] - c.y)))
            district_region[i] = known[j]["admin1code"]
    members: dict[int, list[Place]] = defaultdict(list)
    for p in _places(towns):
        pt = shapely.Point(p.lon, p.lat)
        hit = [int(i) for i in tree.query(pt) if polys[int(i)].contains(pt)]
        if hit:
            members[hit[0]].append(p)
    shares = regional_shares()
    region_total = largest_remainder(SALES_2024, shares)
    rows: list[dict[str, object]] = []
    demand: dict[str, int] = {}
    for code, (cid, region) in regions.items():
        ds = [i for i in members if district_region[i] == code]
        weights = {str(i): sum(p.weight for p in members[i]) for i in ds}
        split = largest_remainder(region_total[cid], weights)
        # the district holding the regional centre takes the centre's id and point
        centre = centres[cid]
        cpt = shapely.Point(float(centre["lon"]), float(centre["lat"]))
        # the centre's district: the one whose main place is nearest the centre's point
        home = min(
            ds,
            key=lambda i: cpt.distance(
                shapely.Point(
                    *max(((p.lon, p.lat, p.weight) for p in members[i]), key=lambda t: t[2])[:2]
                )
            ),
        )
        markets: dict[str, dict[str, object]] = {}
        for i in ds:
            top = max(members[i], key=lambda p: p.weight)
            mid = cid if i == home else f"{cid}_{i:03d}"
            lon, lat, name = (
                (float(centre["lon"]), float(centre["lat"]), centre["name"])
                if mid == cid
                else (top.lon, top.lat, top.name)
            )
            markets[mid] = {
                "site_id": mid,
                "name": name,
                "type": "market",
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "region": region,
                "role": "regional centre" if mid == cid else "district market",
                "district": features[i]["properties"]["shapeName"],
                "units": split[str(i)],
                "population": round(weights[str(i)]),
            }
        if cid not in markets:
            raise SystemExit(f"no district holds the centre of {region}")
        # small districts join the nearest market of their region (never the reverse)
        small = sorted(
            (m for m in markets.values() if int(m["units"]) < MIN_DISTRICT and m["site_id"] != cid),
            key=lambda m: int(m["units"]),
        )
        for m in small:
            others = [
                o
                for o in markets.values()
                if (o is not m and int(o["units"]) >= MIN_DISTRICT) or o["site_id"] == cid
            ]
            others = [o for o in others if o is not m]
            near = min(
                others,
                key=lambda o: geodesic_km(np.array([[m["lon"], m["lat"]], [o["lon"], o["lat"]]])),
            )
            near["units"] = int(near["units"]) + int(m["units"])
            near["population"] = int(near["population"]) + int(m["population"])
            del markets[str(m["site_id"])]
        for m in markets.values():
            demand[str(m["site_id"])] = int(m.pop("units"))
            rows.append(m)
    return rows, demand


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main() -> None:
    """Write the three tables and print a summary."""
    rows, demand = build()
    cols = ["site_id", "name", "type", "lon", "lat", "region", "role", "district", "population"]
    _write(DATA / "markets.csv", cols, [[r[c] for c in cols] for r in rows])
    _write(
        DATA / "demand.csv",
        ["site_id", "commodity", "demand"],
        [[k, "vehicle", v] for k, v in demand.items()],
    )
    growth = largest_remainder(
        round(SALES_2024 * GROWTH_2030), {k: float(v) for k, v in demand.items()}
    )
    _write(
        DATA / "demand_2030.csv",
        ["site_id", "commodity", "demand"],
        [[k, "vehicle", v] for k, v in growth.items()],
    )
    print(f"{len(rows)} markets, {sum(demand.values())} vehicles")


if __name__ == "__main__":
    main()
