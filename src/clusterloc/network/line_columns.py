"""Attribute columns of road line layers: direction and grade separation, read strictly.

Two families of layers are understood, column names matched case-insensitively:

* **OSM-style** columns (an export of OSM ways): ``oneway`` = ``yes|true|1`` (along the
  line), ``-1|reverse`` (against it), ``no|false|0`` (both ways), ``reversible`` /
  ``alternating`` (both ways); ``bridge`` / ``tunnel`` = ``yes`` or any OSM kind
  (``viaduct``, ``culvert``, ...), ``no`` = none; ``layer`` an integer.
* **Geofabrik** free shapefiles (``gis_osm_roads_free_1``): ``oneway`` = ``F`` (forward:
  only along the line), ``T`` (backward: only against it), ``B`` (both); ``bridge`` /
  ``tunnel`` = ``T`` / ``F`` (true / false); ``layer`` an integer (``0`` when unset).

A value that fits neither is an error naming the file, the row (0-based feature number)
and the column: a misread direction or level would change routes without a word.

The **level** of a line (:func:`level_of`) is its ``layer`` when that is not 0; else
``+1`` for a bridge, ``-1`` for a tunnel, ``0`` at grade. Geofabrik writes ``layer=0``
when OSM has no layer tag, so a Geofabrik bridge without a layer still counts as raised.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from clusterloc.errors import NetworkError

__all__ = ["TAG_COLUMNS", "level_of", "row_tags"]

#: Columns read by :func:`row_tags` (lower-case names), besides highway/ref/name/maxspeed.
TAG_COLUMNS: tuple[str, ...] = (
    "oneway",
    "junction",
    "bridge",
    "tunnel",
    "layer",
    "access",
    "hgv",
    "motor_vehicle",
    "maxweight",
    "maxweight:hgv",
    "maxheight",
    "maxheight:physical",
    "maxwidth",
    "maxwidth:physical",
    "maxlength",
    "maxlength:hgv",
    "maxaxleload",
    "maxaxleload:hgv",
    "hgv:conditional",
    "access:conditional",
    "motor_vehicle:conditional",
    "seasonal",
    "winter_road",
    "ice_road",
)

_FORWARD = {"yes", "true", "1", "f"}
_BACKWARD = {"-1", "reverse", "t"}
_BOTH = {"no", "false", "0", "b", "reversible", "alternating"}
_FALSE = {"no", "false", "0", "f"}


def _cell_text(value: Any) -> str | None:
    """A table cell as stripped text; None for missing / NaN / empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _where(path: Path, row: int, column: str) -> str:
    return f"{path}: row {row}, column '{column}'"


def _oneway_tag(value: Any, path: Path, row: int, column: str) -> str | None:
    """Normalise a ``oneway`` cell to the OSM values ``yes`` / ``-1`` / ``no`` (None if blank).

    Geofabrik's single letters: ``F`` forward → ``yes``, ``T`` backward → ``-1``, ``B`` →
    ``no``.

    Raises
    ------
    NetworkError
        For a value neither convention knows.
    """
    text = _cell_text(value)
    if text is None:
        return None
    low = text.lower()
    if low in _FORWARD:
        return "yes"
    if low in _BACKWARD:
        return "-1"
    if low in _BOTH:
        return "no"
    raise NetworkError(
        f"{_where(path, row, column)}: oneway value '{text}' is not understood "
        "(expected yes/1/-1/no, or Geofabrik's F = forward, T = backward, B = both)."
    )


def _structure_flag(value: Any, path: Path, row: int, column: str) -> bool:
    """``bridge`` / ``tunnel`` cell → True / False (``T``/``F``, ``yes``/``no``, OSM kinds)."""
    text = _cell_text(value)
    if text is None:
        return False
    low = text.lower()
    if low in _FALSE:
        return False
    if low in {"t", "true", "1", "yes"} or low.replace("_", "").isalpha():
        return True  # OSM kinds: viaduct, culvert, building_passage, movable, ...
    raise NetworkError(
        f"{_where(path, row, column)}: value '{text}' is not understood "
        "(expected T/F, yes/no or an OSM bridge/tunnel kind)."
    )


def _layer_number(value: Any, path: Path, row: int, column: str) -> int:
    """``layer`` cell → integer (0 when blank)."""
    text = _cell_text(value)
    if text is None:
        return 0
    try:
        return int(text)
    except ValueError:
        raise NetworkError(
            f"{_where(path, row, column)}: layer '{text}' is not an integer."
        ) from None


def _line_level(layer: int, bridge: bool, tunnel: bool) -> int:
    """Vertical level of a line: ``layer`` if not 0, else +1 bridge, -1 tunnel, 0 at grade."""
    if layer != 0:
        return layer
    if bridge:
        return 1
    if tunnel:
        return -1
    return 0


def row_tags(
    record: dict[str, Any], columns: dict[str, str], path: Path, row: int
) -> dict[str, str]:
    """OSM-style tags of one feature from the layer's known columns.

    ``oneway`` is normalised to ``yes`` / ``-1`` / ``no``; ``bridge`` / ``tunnel`` to
    ``yes`` / ``no``; ``layer`` to an integer string. Other columns are copied as text.

    Parameters
    ----------
    record
        The feature's values by column name.
    columns
        Lower-case column name → the layer's column name.
    path
        The layer file (for messages).
    row
        0-based feature number (for messages).

    Returns
    -------
    dict
        Tag → value for the columns of :data:`TAG_COLUMNS` that hold a value.

    Raises
    ------
    NetworkError
        A ``oneway``, ``bridge``, ``tunnel`` or ``layer`` value that is not understood.
    """
    tags: dict[str, str] = {}
    for key in TAG_COLUMNS:
        col = columns.get(key)
        if col is None:
            continue
        value = record[col]
        if key == "oneway":
            text = _oneway_tag(value, path, row, col)
        elif key in ("bridge", "tunnel"):
            text = "yes" if _structure_flag(value, path, row, col) else "no"
        elif key == "layer":
            text = str(_layer_number(value, path, row, col))
        else:
            text = _cell_text(value)
        if text is not None:
            tags[key] = text
    return tags


def level_of(tags: dict[str, str]) -> tuple[int, bool]:
    """The level of a line feature and whether it is a bridge or tunnel.

    Parameters
    ----------
    tags
        The feature's tags as read by :func:`row_tags`.

    Returns
    -------
    tuple of (int, bool)
        ``(line_level, grade_separated)``.
    """
    bridge = tags.get("bridge") == "yes"
    tunnel = tags.get("tunnel") == "yes"
    level = _line_level(int(tags.get("layer", "0")), bridge, tunnel)
    return level, bridge or tunnel
