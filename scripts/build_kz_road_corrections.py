"""Write data/kz/road_corrections.geojson: calibrated schematic roads and sourced connectors.

Every number is derived here from the shared road layer, the OSM place points and the
national boundary (``../shared/data``), plus the sourced figures named in the constants
below; ``data/kz/SOURCES.md`` ("Road corrections") gives the sources. Run from the
repository root::

    .venv/bin/python scripts/build_kz_road_corrections.py

The file is read by ``network.corrections`` in ``models/kz_auto/base.yaml``
(:mod:`clusterloc.network.calibrate`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.ops import nearest_points

from clusterloc.network.calibrate import geodesic_km

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUSTERLOC_SHARED", ROOT.parent / "shared"))
ROADS = SHARED / "data/osm/kz_republic_roads_KAZ01-23.geojson"
BOUNDARY = SHARED / "data/osm/kz_boundary_adm0_geoboundaries.geojson"
OUT = ROOT / "data/kz/road_corrections.geojson"

#: OSM place points (kz_populated_places_hotosm.geojson), lon/lat.
KAIRAK = (61.699207, 53.991722)  # hamlet Қайрақ / Каерак, Karabalyk district, osm place
MAMLYUTKA = (68.545174, 54.934776)  # town Мамлютка, centre of Mamlyut district
USPENKA = (77.4191177, 52.9068212)  # village Успенка (Uspen), centre of Uspenka district
ATBASAR = (68.3584729, 51.8099624)  # town Атбасар
ZHAKSY = (67.31617, 51.908749)  # village Жаксы
RUZAEVKA = (66.952431, 52.821907)  # village Рузаевка (KAZ17 ends beside it)
SARYKOL = (65.546844, 53.317356)  # town Сарыколь (Kostanay region)
KARABALYK = (62.062511, 53.748184)  # town Карабалык (M-36 km 418, liter.kz 2023)

#: Sourced lengths (km).
KAZ03_OFFICIAL = 860.3  # official_length_km of KAZ03 Astana - Kostanay - RF border (Kairak)
KAZ04_OFFICIAL = 638.0  # official_length_km of KAZ04 Astana - Pavlodar - Uspenka - (Kosak)
KAZ05_OFFICIAL = 250.0  # official_length_km of KAZ05 Astana - Temirtau
PETROPAVL_MAMLYUTKA = 40.0  # "about 40 km west of Petropavl" (de.wikipedia, Mamljut)


def _roads() -> dict[str, list[list[list[float]]]]:
    data = json.loads(ROADS.read_text(encoding="utf-8"))
    return {f["properties"]["ref"]: f["geometry"]["coordinates"] for f in data["features"]}


def _nearest_vertex(parts: list[list[list[float]]], point: tuple[float, float]) -> list[float]:
    best: list[float] = parts[0][0]
    best_d = float("inf")
    for part in parts:
        for c in part:
            d = geodesic_km(np.array([c[:2], point]))
            if d < best_d:
                best, best_d = c[:2], d
    return best


def _along_to(part: list[list[float]], vertex: list[float]) -> float:
    i = next(k for k, c in enumerate(part) if c[:2] == vertex)
    return geodesic_km(np.asarray(part[: i + 1]))


def _border_point(point: tuple[float, float]) -> list[float]:
    data = json.loads(BOUNDARY.read_text(encoding="utf-8"))
    border = shapely.geometry.shape(data["features"][0]["geometry"]).boundary
    q = nearest_points(shapely.Point(point), border)[1]
    return [round(q.x, 6), round(q.y, 6)]


def _feature(kind: str, ref: str, name: str, km: float, source: str, coords: Any) -> dict:
    return {
        "type": "Feature",
        "properties": {
            "kind": kind,
            "ref": ref,
            "name": name,
            "km": round(km, 2),
            "source": source,
        },
        "geometry": {"type": "LineString", "coordinates": [list(map(float, c)) for c in coords]},
    }


def main() -> None:
    """Derive every correction and write the GeoJSON."""
    roads = _roads()
    kaz03 = roads["KAZ03"][0]
    ruzaevka = _nearest_vertex(roads["KAZ17"], RUZAEVKA)  # where KAZ17 ends on KAZ03
    kaz03_line = [
        kaz03[0][:2],
        kaz03[1][:2],
        ATBASAR,
        ZHAKSY,
        ruzaevka,
        SARYKOL,
        kaz03[5][:2],
        KARABALYK,
        KAIRAK,
    ]
    kaz03_km = geodesic_km(np.asarray(kaz03_line))
    kaz05 = roads["KAZ05"][0]
    petropavl = _nearest_vertex(roads["KAZ02"], (69.15065, 54.87343))
    kaz18_end = _nearest_vertex(roads["KAZ18"], MAMLYUTKA)
    zhana_zhol = _border_point(MAMLYUTKA)
    pavlodar = _nearest_vertex(roads["KAZ04"], (76.96881, 52.27601))
    kosak = _border_point(USPENKA)
    kaz04_to_pavlodar = _along_to(roads["KAZ04"][0], pavlodar)
    to_border = geodesic_km(np.array([kaz18_end, zhana_zhol]))
    features = [
        _feature(
            "replace",
            "KAZ03",
            "KAZ03 Astana - Atbasar - Zhaksy - Ruzaevka - Sarykol - "
            "Kostanay - Karabalyk - Kairak checkpoint",
            KAZ03_OFFICIAL,
            f"KAZ03 official length {KAZ03_OFFICIAL} km over a line through the OSM place "
            "points of the towns in its official name (the shared layer's 7-point sketch "
            f"misses Ruzaevka and Sarykol and ends 35 km west of Kairak); line {kaz03_km:.1f} "
            f"km, factor {KAZ03_OFFICIAL / kaz03_km:.4f}",
            kaz03_line,
        ),
        _feature(
            "calibrate",
            "KAZ05",
            "KAZ05 Astana - Temirtau (schematic line)",
            KAZ05_OFFICIAL,
            f"KAZ05 official length {KAZ05_OFFICIAL} km over the whole schematic line",
            [kaz05[0][:2], kaz05[-1][:2]],
        ),
        _feature(
            "connector",
            "KAZ02",
            "KAZ02 Petropavl - Mamlyutka (A21/M51)",
            PETROPAVL_MAMLYUTKA,
            "Mamlyutka lies about 40 km west of Petropavl (de.wikipedia, Mamljut); joins "
            "KAZ02 at Petropavl to the end of KAZ18 at Mamlyutka",
            [petropavl, kaz18_end],
        ),
        _feature(
            "connector",
            "KAZ02",
            "KAZ02 Mamlyutka - Zhana Zhol checkpoint",
            to_border,
            "straight line from Mamlyutka to the nearest point of the national border "
            f"({to_border:.1f} km; de.wikipedia: Mamlyutka is about 20 km from the Russian "
            "border) - a lower bound of the road",
            [kaz18_end, zhana_zhol],
        ),
        _feature(
            "connector",
            "KAZ04",
            "KAZ04 Pavlodar - Uspenka - Kosak checkpoint",
            KAZ04_OFFICIAL - kaz04_to_pavlodar,
            f"KAZ04 official length {KAZ04_OFFICIAL} km minus the {kaz04_to_pavlodar:.1f} km "
            "of its OSM route from Astana to Pavlodar",
            [pavlodar, USPENKA, kosak],
        ),
    ]
    OUT.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1
        )
        + "\n",
        encoding="utf-8",
    )
    for f in features:
        p = f["properties"]
        print(f"{p['kind']:9s} {p['ref']} {p['km']:8.2f} km  {p['name']}")
    print("crossings: Kairak", KAIRAK, "Zhana Zhol", zhana_zhol, "Kosak", kosak)


if __name__ == "__main__":
    main()
