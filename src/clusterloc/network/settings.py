"""Truck network settings: which roads a truck may use, how fast, and how sites snap.

:class:`TruckSettings` is a frozen dataclass; every field takes part in the cache key
(:meth:`TruckSettings.key`), so changing any setting rebuilds the network.

Default truck speeds (km/h) per OSM ``highway`` class follow the national speed limits for
heavy goods vehicles (over 3.5 t) on the corresponding road types; see ``docs/network.md``
for the table and its sources.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from clusterloc.errors import InputError

__all__ = [
    "DEFAULT_ROAD_CLASSES",
    "DEFAULT_SPEEDS_KPH",
    "TruckSettings",
]

#: Road classes a truck uses by default: motorway ... tertiary, with their link roads.
DEFAULT_ROAD_CLASSES: tuple[str, ...] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
)

#: Default heavy-goods-vehicle speeds (km/h) per OSM ``highway`` class (see docs/network.md).
DEFAULT_SPEEDS_KPH: dict[str, float] = {
    "motorway": 80.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 45.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 35.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
}


def _frozen_speeds(
    speeds: dict[str, float] | tuple[tuple[str, float], ...] | None,
) -> tuple[tuple[str, float], ...]:
    items = dict(DEFAULT_SPEEDS_KPH if speeds is None else dict(speeds))
    return tuple(sorted((str(k), float(v)) for k, v in items.items()))


@dataclass(frozen=True)
class TruckSettings:
    """How a road network is turned into a truck network and how sites attach to it.

    Parameters
    ----------
    road_classes
        OSM ``highway`` values a truck may use (default motorway ... tertiary with links).
    speeds_kph
        Truck speed per ``highway`` class, km/h, as sorted ``(class, speed)`` pairs (a dict
        is accepted and frozen). Classes missing here use ``default_speed_kph``.
    default_speed_kph
        Speed for a class without an entry in ``speeds_kph``.
    max_weight_t
        Gross truck weight in tonnes; ways with ``maxweight`` below it are dropped.
    height_m, width_m, length_m
        Truck height, width and length (m); ways with a lower ``maxheight`` /
        ``maxwidth`` / ``maxlength`` are dropped (defaults: 4.0, 2.55, 16.5 — the EU
        limits for an articulated lorry, Directive 96/53/EC).
    axle_load_t
        Heaviest axle load (t); ways with a lower ``maxaxleload`` are dropped (default
        11.5, the EU limit for a driving axle).
    avoid_closures
        Drop ways closed to trucks for part of the year (``hgv:conditional=no @ (Nov-Mar)``,
        ``seasonal=*``, winter / ice roads); see :mod:`clusterloc.network.restrictions`.
    max_snap_m
        A site farther than this from the nearest network node is an error.
    detour_factor
        Off-network leg length = straight snap distance × this factor.
    local_speed_kph
        Speed on the off-network leg between a site and its snapped node.
    join_tolerance_m
        Line layers only: line endpoints closer than this to another line are joined.
    respect_oneway
        Honour OSM ``oneway`` tags, and a line layer's ``oneway`` column (``yes``/``1``/
        ``F`` along the line, ``-1``/``T`` against it, ``no``/``B`` both ways; see
        :mod:`clusterloc.network.line_columns`).
    """

    road_classes: tuple[str, ...] = DEFAULT_ROAD_CLASSES
    speeds_kph: tuple[tuple[str, float], ...] = field(default_factory=lambda: _frozen_speeds(None))
    default_speed_kph: float = 40.0
    max_weight_t: float = 40.0
    height_m: float = 4.0
    width_m: float = 2.55
    length_m: float = 16.5
    axle_load_t: float = 11.5
    avoid_closures: bool = True
    max_snap_m: float = 20_000.0
    detour_factor: float = 1.3
    local_speed_kph: float = 30.0
    join_tolerance_m: float = 2_000.0
    respect_oneway: bool = True

    def __post_init__(self) -> None:
        # Accept a list / dict on input; store hashable, ordered tuples.
        object.__setattr__(self, "road_classes", tuple(str(c) for c in self.road_classes))
        object.__setattr__(self, "speeds_kph", _frozen_speeds(self.speeds_kph))
        if not self.road_classes:
            raise InputError("truck settings: road_classes must name at least one class.")
        for name in (
            "default_speed_kph",
            "max_snap_m",
            "detour_factor",
            "local_speed_kph",
            "height_m",
            "width_m",
            "length_m",
            "axle_load_t",
        ):
            value = getattr(self, name)
            if not value > 0:
                raise InputError(f"truck settings: {name} must be > 0, got {value!r}.")
        for name in ("max_weight_t", "join_tolerance_m"):
            value = getattr(self, name)
            if not value >= 0:
                raise InputError(f"truck settings: {name} must be >= 0, got {value!r}.")
        for cls, speed in self.speeds_kph:
            if not speed > 0:
                raise InputError(f"truck settings: speed for '{cls}' must be > 0, got {speed}.")

    def speed_for(self, highway: str | list[str] | None) -> float:
        """Truck speed (km/h) for an OSM ``highway`` value (a list takes its first known class).

        Parameters
        ----------
        highway
            An OSM ``highway`` value (a list for merged edges), or ``None``.

        Returns
        -------
        float
            km/h; :attr:`default_speed_kph` for an unknown class.
        """
        speeds = dict(self.speeds_kph)
        values = highway if isinstance(highway, list) else [highway]
        for value in values:
            if value in speeds:
                return speeds[value]
        return self.default_speed_kph

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict of every setting.

        Returns
        -------
        dict
        """
        d = dataclasses.asdict(self)
        d["road_classes"] = list(self.road_classes)
        d["speeds_kph"] = dict(self.speeds_kph)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TruckSettings:
        """Build settings from a dict (unknown keys are an error naming the key).

        Parameters
        ----------
        data
            Setting names and values (``speeds_kph`` is merged over the defaults).

        Returns
        -------
        TruckSettings
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"truck settings: unknown key '{unknown[0]}'.")
        kwargs = dict(data)
        if "speeds_kph" in kwargs and isinstance(kwargs["speeds_kph"], dict):
            merged = dict(DEFAULT_SPEEDS_KPH)
            merged.update({str(k): float(v) for k, v in kwargs["speeds_kph"].items()})
            kwargs["speeds_kph"] = merged
        return cls(**kwargs)

    def key(self) -> str:
        """Stable short string covering every setting (part of the network cache key).

        Returns
        -------
        str
            16 hex digits.
        """
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]
