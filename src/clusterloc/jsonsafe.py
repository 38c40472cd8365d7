"""Plain JSON values: numpy scalars to Python, NaN/inf to ``None``, floats rounded."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["json_ready"]


def json_ready(value: Any, digits: int | None = 6) -> Any:
    """JSON-friendly copy: numpy scalars to Python, NaN/inf to None, floats rounded.

    Parameters
    ----------
    value
        A scalar, or dicts / lists / tuples of them (nested).
    digits
        Round floats to this many decimals; ``None`` keeps them as they are.

    Returns
    -------
    Any
        The same structure with plain Python values (tuples become lists, keys strings).
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v, digits) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return value if digits is None else round(value, digits)
    return value
