"""Lane tables: road distance and time between two sets of sites, off-road legs included.

A site rarely sits on a road node. :func:`lane_table` snaps every site to its nearest node
and prices the leg between the site and that node as the straight snap distance times a
detour factor, driven at a local speed (both from :class:`~clusterloc.network.TruckSettings`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clusterloc.errors import InputError
from clusterloc.network.lines import great_circle_m
from clusterloc.network.routing import DEFAULT_MAX_SNAP_M, RoadNetwork

if TYPE_CHECKING:
    from clusterloc.network.settings import TruckSettings

__all__ = [
    "LANE_COLUMNS",
    "lane_table",
]

log = logging.getLogger(__name__)

LANE_COLUMNS = ["origin", "destination", "km", "hours", "road_km", "offroad_km"]

_SITE_COLUMNS = ("site_id", "lon", "lat")
_MAX_LISTED = 10


def _off_road_parameters(settings: TruckSettings | None) -> tuple[float, float, float]:
    """(max_snap_m, detour_factor, local_speed_kph) from the settings or their defaults."""
    if settings is None:
        try:
            from clusterloc.network.settings import TruckSettings
        except ImportError:  # pragma: no cover - settings module ships with the package
            return DEFAULT_MAX_SNAP_M, 1.3, 30.0
        settings = TruckSettings()
    return (
        float(getattr(settings, "max_snap_m", DEFAULT_MAX_SNAP_M)),
        float(getattr(settings, "detour_factor", 1.3)),
        float(getattr(settings, "local_speed_kph", 30.0)),
    )


def _check_sites(table: pd.DataFrame, what: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{what} must be a table with columns site_id, lon, lat.")
    missing = [c for c in _SITE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{what} table has no '{missing[0]}' column.")
    ids = table["site_id"].astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputError(f"{what} table lists site '{dup.iloc[0]}' more than once.")
    return table.assign(site_id=ids).reset_index(drop=True)


def lane_table(
    net: RoadNetwork,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    settings: TruckSettings | None = None,
) -> pd.DataFrame:
    """Road km and hours for every origin → destination pair of two site tables.

    Each site is snapped to its nearest road node (:meth:`RoadNetwork.snap`); the
    off-network leg at each end costs ``snap distance × detour_factor`` km driven at
    ``local_speed_kph``. When the straight line between two sites × ``detour_factor``
    is shorter than their two off-road legs alone, the network cannot offer a shorter
    way (every route starts and ends with those legs), and the network is plainly
    missing the local roads between them: the lane is that direct line, driven at
    ``local_speed_kph`` (``road_km`` 0). This covers sites on the same node and
    clusters of sites far from a sparse road layer.

    Parameters
    ----------
    net
        The road network.
    origins, destinations
        Tables with columns ``site_id``, ``lon``, ``lat`` (EPSG:4326); ``site_id`` must be
        unique within each table.
    settings
        :class:`~clusterloc.network.TruckSettings` giving ``max_snap_m``,
        ``detour_factor`` and ``local_speed_kph`` (default: ``TruckSettings()``).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``destination`` (site ids), ``km``, ``hours`` (door to door),
        ``road_km`` (on the network) and ``offroad_km`` (both off-road legs), one row per
        pair with ``origin != destination``, origins in table order, then destinations.
        Unreachable pairs have ``inf`` in ``km``, ``hours`` and ``road_km``; they are
        logged as a warning and listed in ``table.attrs["unreachable"]`` as
        ``(origin, destination)`` tuples.

    Raises
    ------
    InputError
        If a table lacks a column or repeats a site id.
    SnapError
        If a site lies farther than ``max_snap_m`` from the network (names the site).
    """
    max_snap_m, detour, local_kph = _off_road_parameters(settings)
    orig = _check_sites(origins, "origins")
    dest = _check_sites(destinations, "destinations")

    o_snap = net.snap(orig["lon"], orig["lat"], names=orig["site_id"], max_snap_m=max_snap_m)
    d_snap = net.snap(dest["lon"], dest["lat"], names=dest["site_id"], max_snap_m=max_snap_m)

    o_nodes = o_snap["node"].to_numpy()
    d_nodes = d_snap["node"].to_numpy()
    # Solve each distinct node once; sites sharing a node share the row / column.
    o_uniq, o_inv = np.unique(net.indices(o_nodes), return_inverse=True)
    d_uniq, d_inv = np.unique(net.indices(d_nodes), return_inverse=True)
    km_u, hours_u = net.matrices(net.nodes[o_uniq], net.nodes[d_uniq], warn=False)
    road_km = km_u[np.ix_(o_inv, d_inv)]
    road_h = hours_u[np.ix_(o_inv, d_inv)]

    o_off = o_snap["snap_m"].to_numpy() / 1000.0 * detour
    d_off = d_snap["snap_m"].to_numpy() / 1000.0 * detour
    off_km = o_off[:, None] + d_off[None, :]
    # Sites whose direct line is shorter than their two off-road legs need not drive to
    # the road and back (same node, or a sparse road layer far from both): go direct.
    direct_km = (
        great_circle_m(
            orig["lon"].to_numpy(float)[:, None],
            orig["lat"].to_numpy(float)[:, None],
            dest["lon"].to_numpy(float)[None, :],
            dest["lat"].to_numpy(float)[None, :],
        )
        / 1000.0
        * detour
    )
    direct = direct_km < off_km
    if direct.any():
        off_km = np.where(direct, direct_km, off_km)
        road_km = np.where(direct, 0.0, road_km)
        road_h = np.where(direct, 0.0, road_h)

    o_ids = orig["site_id"].to_numpy(dtype=object)
    d_ids = dest["site_id"].to_numpy(dtype=object)
    o_grid = np.repeat(o_ids, len(d_ids))
    d_grid = np.tile(d_ids, len(o_ids))
    table = pd.DataFrame(
        {
            "origin": o_grid,
            "destination": d_grid,
            "km": (road_km + off_km).ravel(),
            "hours": (road_h + off_km / local_kph).ravel(),
            "road_km": road_km.ravel(),
            "offroad_km": off_km.ravel(),
        }
    )
    table = table[table["origin"] != table["destination"]].reset_index(drop=True)

    bad = table[np.isinf(table["road_km"].to_numpy())]
    unreachable: list[tuple[Any, Any]] = list(
        zip(bad["origin"].tolist(), bad["destination"].tolist(), strict=True)
    )
    table.attrs["unreachable"] = unreachable
    if unreachable:
        shown = ", ".join(f"'{a}' → '{b}'" for a, b in unreachable[:_MAX_LISTED])
        log.warning(
            "%d lane(s) have no road path: %s%s",
            len(unreachable),
            shown,
            " ..." if len(unreachable) > _MAX_LISTED else "",
        )
    return table
