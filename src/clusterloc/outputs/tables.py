"""Run-folder tables: ``summary.json``, ``sites.csv``, ``flows.csv`` and ``results.gpkg``.

:func:`write_tables` writes them from a :class:`clusterloc.api.RunResult`;
:func:`read_summary` reads a run folder's summary back (``compare``, ``map``).
GeoPackage layers (EPSG:4326): ``sites`` (Point), ``flows`` (straight LineString),
``routes`` (LineString along the road) and ``network`` (the road edges).
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from clusterloc.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

    from clusterloc.api import RunResult

log = logging.getLogger(__name__)

#: Columns of the ``network`` layer.
NETWORK_COLUMNS = ["highway", "ref", "name", "length_m"]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_summary(summary: dict[str, Any], path: Path) -> None:
    """Write ``summary.json`` (sorted keys as given, 2-space indent, NaN as null)."""

    def clean(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return v

    text = json.dumps(clean(summary), indent=2, ensure_ascii=False, default=_json_default)
    path.write_text(text + "\n", encoding="utf-8")


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """Read the ``summary.json`` of a run folder.

    Raises
    ------
    InputError
        The folder or its ``summary.json`` is missing or unreadable.
    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise InputError(f"run folder {run_dir} not found.")
    path = folder / "summary.json"
    if not path.is_file():
        raise InputError(f"{run_dir} is not a run folder: it has no summary.json.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} cannot be read: {exc}.") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} is not a JSON object.")
    return data


def _network_layer(result: RunResult) -> gpd.GeoDataFrame:
    edges = result.network.copy()
    if "length_m" not in edges.columns and "length" in edges.columns:
        edges["length_m"] = edges["length"]
    for col in NETWORK_COLUMNS:
        if col not in edges.columns:
            edges[col] = None
    for col in ("highway", "ref", "name"):
        edges[col] = edges[col].map(
            lambda v: (
                ";".join(map(str, v)) if isinstance(v, list) else (None if v is None else str(v))
            )
        )
    out = edges[[*NETWORK_COLUMNS, edges.geometry.name]].reset_index(drop=True)
    return out.set_geometry(edges.geometry.name)


def _gpkg_safe(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Make object columns GeoPackage-friendly (lists joined, mixed types as text)."""
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name or out[col].dtype != object:
            continue
        out[col] = out[col].map(
            lambda v: (
                ";".join(map(str, v))
                if isinstance(v, list | tuple)
                else (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
            )
        )
        if out[col].map(lambda v: isinstance(v, bool)).any():
            continue
        kinds = {type(v) for v in out[col] if v is not None}
        if len(kinds) > 1:
            out[col] = out[col].map(lambda v: None if v is None else str(v))
    return out


def write_tables(result: RunResult, folder: Path) -> None:
    """Write ``summary.json``, ``sites.csv``, ``flows.csv`` and ``results.gpkg`` into ``folder``.

    Parameters
    ----------
    result
        A solved scenario (:func:`clusterloc.solve`).
    folder
        The (temporary) run folder.
    """
    write_summary(result.summary, folder / "summary.json")
    sites = pd.DataFrame(result.sites.drop(columns=result.sites.geometry.name))
    sites.to_csv(folder / "sites.csv", index=False)
    flows = pd.DataFrame(result.flows.drop(columns=result.flows.geometry.name))
    flows.to_csv(folder / "flows.csv", index=False)
    gpkg = folder / "results.gpkg"
    _gpkg_safe(result.sites).to_file(gpkg, layer="sites", driver="GPKG")
    _gpkg_safe(result.flows).to_file(gpkg, layer="flows", driver="GPKG")
    _gpkg_safe(result.routes).to_file(gpkg, layer="routes", driver="GPKG")
    network = _network_layer(result)
    network.to_file(gpkg, layer="network", driver="GPKG")
    if len(result.unmet):
        result.unmet.to_csv(folder / "unmet.csv", index=False)
    log.info("wrote tables into %s", folder)
