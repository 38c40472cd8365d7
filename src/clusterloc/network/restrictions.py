"""Truck restrictions: posted physical limits and closures, checked against the truck profile.

:func:`restriction` reads the OSM tags of a way (or the columns of a line layer with the
same names) and says why the scenario's truck (:class:`TruckSettings` height, width,
length, weight, axle load, ``avoid_closures``) may not use it:

==============  ==========================================================  ============
reason          tags (first one present wins)                                profile
==============  ==========================================================  ============
``maxweight``   ``maxweight:hgv``, ``maxweight``                             ``max_weight_t``
``maxaxleload`` ``maxaxleload:hgv``, ``maxaxleload``                         ``axle_load_t``
``maxheight``   ``maxheight``, ``maxheight:physical``                        ``height_m``
``maxwidth``    ``maxwidth``, ``maxwidth:physical``                          ``width_m``
``maxlength``   ``maxlength:hgv``, ``maxlength``                             ``length_m``
``closure``     ``hgv:conditional``, ``motor_vehicle:conditional``,          ``avoid_closures``
                ``access:conditional`` (``no @ (season)``); ``seasonal``;
                ``winter_road`` / ``ice_road`` = ``yes``
==============  ==========================================================  ============

A limit below the profile value restricts the way (a 4.0 m truck passes a 4.0 m sign).
Values ``none``, ``default``, ``unsigned`` and unreadable text do not limit (as for speed
limits); lengths understand ``4``, ``4.2 m``, ``3.8m``, ``12'6"`` and ``13 ft``; weights
``7.5``, ``12 t``, ``8000 kg``, ``10 st``, ``20000 lbs``.

Conditional restrictions (``VALUE @ CONDITION; ...``): a ``no`` / ``private`` part whose
condition names a vehicle property (``weight > 7.5``, ``length > 12``, ``height``, ``width``,
``axleload``) restricts the way when the profile meets the condition (reason of that
property); one whose condition is only a time of day or days of the week (``Mo-Fr
07:00-19:00``) does not — a location study plans for the hours a truck may drive — and any
other condition (months, seasons, ``winter``, ``wet``, dates) is a **closure** for part of
the year, avoided when ``avoid_closures`` is True.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from clusterloc.network.settings import TruckSettings

__all__ = ["RESTRICTION_TAGS", "parse_metres", "parse_weight_t", "restriction"]

#: Tags read for restrictions (added to the tags every source keeps).
RESTRICTION_TAGS: tuple[str, ...] = (
    "maxweight",
    "maxweight:hgv",
    "maxaxleload",
    "maxaxleload:hgv",
    "maxheight",
    "maxheight:physical",
    "maxwidth",
    "maxwidth:physical",
    "maxlength",
    "maxlength:hgv",
    "hgv:conditional",
    "motor_vehicle:conditional",
    "access:conditional",
    "seasonal",
    "winter_road",
    "ice_road",
)

_NO_LIMIT = {"none", "default", "unsigned", "no", "below_default", "no_sign"}
_DENY = {"no", "private"}
_WEIGHT = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*([a-zA-Z]*)\s*$")
_METRES = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*(m|cm|ft)?\s*$")
_FEET_INCHES = re.compile(r"^\s*([0-9]+)\s*(?:'|ft)\s*(?:([0-9]+(?:\.[0-9]+)?)\s*(?:\"|in))?\s*$")
_PROPERTY = re.compile(
    r"^\s*(weight|length|height|width|axleload)\s*(>=|<=|>|<)\s*([0-9]+(?:[.,][0-9]+)?)"
    r"\s*([a-z]*)\s*$"
)
_TIME_WINDOW = re.compile(
    r"^(?:\s|,|-|;|\d{1,2}:\d{2}|\b(?:Mo|Tu|We|Th|Fr|Sa|Su|PH|SH)\b|\+|24/7)*$"
)
_SEASONAL_OPEN = {"no"}


def parse_weight_t(value: str | None) -> float | None:
    """A weight in tonnes (``7.5``, ``12 t``, ``8000 kg``, ``10 st``, ``20000 lbs``).

    Parameters
    ----------
    value
        The tag value.

    Returns
    -------
    float or None
        Tonnes; None when absent, ``none`` or unreadable.
    """
    if value is None:
        return None
    match = _WEIGHT.match(str(value))
    if match is None:
        return None
    number = float(match.group(1).replace(",", "."))
    factors = {"": 1.0, "t": 1.0, "kg": 0.001, "st": 0.90718474, "lbs": 0.00045359237}
    factor = factors.get(match.group(2).lower())
    return None if factor is None else number * factor


def parse_metres(value: str | None) -> float | None:
    """A height / width / length in metres (``4``, ``4.2 m``, ``12'6"``, ``13 ft``).

    Parameters
    ----------
    value
        The tag value.

    Returns
    -------
    float or None
        Metres; None when absent, ``none`` / ``default`` or unreadable.
    """
    if value is None or str(value).strip().lower() in _NO_LIMIT:
        return None
    text = str(value).strip()
    match = _METRES.match(text)
    if match is not None:
        number = float(match.group(1).replace(",", "."))
        unit = match.group(2)
        return number * (0.3048 if unit == "ft" else 0.01 if unit == "cm" else 1.0)
    match = _FEET_INCHES.match(text)
    if match is not None:
        inches = float(match.group(2) or 0.0)
        return int(match.group(1)) * 0.3048 + inches * 0.0254
    return None


def _first(tags: Mapping[str, str], *keys: str) -> str | None:
    for key in keys:
        if tags.get(key) is not None:
            return tags[key]
    return None


def _split_conditions(value: str) -> list[tuple[str, str]]:
    """``"no @ (Nov-Mar); yes @ (...)"`` → ``[("no", "Nov-Mar"), ("yes", "...")]``."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(value):
        depth += ch == "("
        depth -= ch == ")"
        if ch == ";" and depth == 0:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    found = []
    for part in parts:
        if "@" not in part:
            continue
        what, _, cond = part.partition("@")
        cond = cond.strip()
        if cond.startswith("(") and cond.endswith(")"):
            cond = cond[1:-1]
        found.append((what.strip().lower(), cond.strip()))
    return found


def _profile_meets(cond: str, settings: TruckSettings) -> tuple[str, bool] | None:
    """For a vehicle-property condition: (reason, does the profile meet it); else None."""
    match = _PROPERTY.match(cond.lower())
    if match is None:
        return None
    prop, op, number = match.group(1), match.group(2), float(match.group(3).replace(",", "."))
    profile = {
        "weight": ("maxweight", settings.max_weight_t),
        "axleload": ("maxaxleload", settings.axle_load_t),
        "height": ("maxheight", settings.height_m),
        "width": ("maxwidth", settings.width_m),
        "length": ("maxlength", settings.length_m),
    }
    reason, value = profile[prop]
    meets = {
        ">": value > number,
        ">=": value >= number,
        "<": value < number,
        "<=": value <= number,
    }[op]
    return reason, meets


def _conditional_restriction(value: str, settings: TruckSettings) -> str | None:
    """Reason a conditional access value (``no @ (...)``) bars the truck, or None."""
    for what, cond in _split_conditions(value):
        if what not in _DENY:
            continue
        prop = _profile_meets(cond, settings)
        if prop is not None:
            if prop[1]:
                return prop[0]
            continue
        if _TIME_WINDOW.match(cond):
            continue  # a time-of-day / weekday window: usable at other hours
        if settings.avoid_closures:
            return "closure"
    return None


def restriction(tags: Mapping[str, str], settings: TruckSettings) -> str | None:
    """Why the truck profile may not use a way of a truck road class, or None.

    Parameters
    ----------
    tags
        The way's OSM tags (or a line layer's columns of the same names).
    settings
        The truck profile.

    Returns
    -------
    str or None
        ``"maxweight"``, ``"maxaxleload"``, ``"maxheight"``, ``"maxwidth"``,
        ``"maxlength"``, ``"closure"`` or None (see the module docstring for the rules).
    """
    weight = parse_weight_t(_first(tags, "maxweight:hgv", "maxweight"))
    axle = parse_weight_t(_first(tags, "maxaxleload:hgv", "maxaxleload"))
    height = parse_metres(_first(tags, "maxheight", "maxheight:physical"))
    width = parse_metres(_first(tags, "maxwidth", "maxwidth:physical"))
    length = parse_metres(_first(tags, "maxlength:hgv", "maxlength"))
    limits = (
        ("maxweight", weight, settings.max_weight_t),
        ("maxaxleload", axle, settings.axle_load_t),
        ("maxheight", height, settings.height_m),
        ("maxwidth", width, settings.width_m),
        ("maxlength", length, settings.length_m),
    )
    for reason, limit, profile in limits:
        if limit is not None and limit < profile:
            return reason
    for key in ("hgv:conditional", "motor_vehicle:conditional", "access:conditional"):
        value = tags.get(key)
        if value:
            found = _conditional_restriction(value, settings)
            if found is not None:
                return found
    if settings.avoid_closures:
        seasonal = tags.get("seasonal")
        if seasonal is not None and seasonal.strip().lower() not in _SEASONAL_OPEN:
            return "closure"
        if tags.get("winter_road") == "yes" or tags.get("ice_road") == "yes":
            return "closure"
    return None
