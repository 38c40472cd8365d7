"""A local metric projection for distance decisions on lon/lat data."""

from __future__ import annotations

import numpy as np
import pyproj

from clusterloc.constants import WGS84

__all__ = ["local_projection"]


def local_projection(
    lon: np.ndarray, lat: np.ndarray
) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    """Azimuthal equidistant projection (metres) centred on the mean of the points.

    Parameters
    ----------
    lon, lat
        Coordinates in degrees (:data:`clusterloc.constants.WGS84`).

    Returns
    -------
    tuple of pyproj.Transformer
        ``(forward, inverse)``: lon/lat → metres and back (``always_xy``).
    """
    lon0, lat0 = float(np.mean(lon)), float(np.mean(lat))
    crs = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
    forward = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    inverse = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    return forward, inverse
