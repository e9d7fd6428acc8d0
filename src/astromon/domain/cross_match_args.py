"""Arguments of the ``simple`` cross-match and the standard argument sets.

Units: ``snr`` is a signal-to-noise ratio; ``r_angle``, ``r_angle_grating``, ``dr`` and
``near_neighbor_dist`` are in arcsec; ``start``/``stop`` are CxoTime-compatible times.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from astromon.domain.catalogs import catalog_names
from astromon.domain.errors import ValidationError

__all__ = [
    "CROSS_MATCHES",
    "CROSS_MATCHES_ARGS",
    "SimpleCrossMatchArgs",
    "standard_cross_match_args",
    "validate_threshold",
]


def validate_threshold(name: str, value: Any) -> float:
    """``value`` as a float, checked to be a finite, non-negative number.

    Raises
    ------
    ValidationError
        ``value`` is not a real number, is NaN/infinite or is negative (the message names
        ``name`` and the value).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{name} must be a number, got {value!r}") from None
    else:
        number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValidationError(f"{name} must be a finite number, got {value!r}")
    if number < 0:
        raise ValidationError(f"{name} must not be negative, got {value!r}")
    return number


def _validate_catalogs(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    try:
        catalogs = tuple(items)
    except TypeError:
        raise ValidationError(f"catalogs must be a list of catalog names, got {value!r}") from None
    if not catalogs:
        raise ValidationError("catalogs must name at least one catalog, got an empty list")
    for item in catalogs:
        if not isinstance(item, str) or not item.strip():
            raise ValidationError(
                f"catalogs must be a list of non-empty catalog names, got {item!r} in {value!r}"
            )
    known = catalog_names()
    unknown = [c for c in catalogs if c not in known]
    if unknown:
        raise ValidationError(f"unknown catalog(s) {unknown}; known catalogs: {known}")
    duplicated = sorted({c for c in catalogs if catalogs.count(c) > 1})
    if duplicated:
        raise ValidationError(f"catalogs lists {duplicated} more than once: {list(catalogs)!r}")
    return catalogs


@dataclass(frozen=True)
class SimpleCrossMatchArgs:
    """Validated arguments of the ``simple`` cross-match.

    Attributes
    ----------
    name : str
        ``select_name`` given to the resulting matches.
    catalogs : tuple of str
        Catalogs to use, in order of precedence (the first one wins); each must be a
        registered catalog (:func:`astromon.domain.catalogs.catalog_names`).
    snr : float
        Keep x-ray sources with ``snr > snr``.
    r_angle : float
        Keep sources with ``r_angle < r_angle`` (arcsec) in non-grating observations.
    dr : float
        Keep pairs with ``dr < dr`` (arcsec).
    r_angle_grating : float
        Keep sources with ``r_angle < r_angle_grating`` (arcsec) in grating observations.
    near_neighbor_dist : float
        Keep sources with ``near_neighbor_dist > near_neighbor_dist`` (arcsec).
    start, stop : CxoTime-compatible or None
        Keep observations with ``start < date_obs <= stop`` (each bound optional).
    """

    name: str = ""
    catalogs: tuple[str, ...] = ("ICRS", "Tycho2")
    snr: float = 3.0
    r_angle: float = 120.0
    dr: float = 3.0
    r_angle_grating: float = 24.0
    near_neighbor_dist: float = 6.0
    start: Any = None
    stop: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise ValidationError(f"name must be a string, got {self.name!r}")
        object.__setattr__(self, "catalogs", _validate_catalogs(self.catalogs))
        for key in ("snr", "r_angle", "dr", "r_angle_grating", "near_neighbor_dist"):
            object.__setattr__(self, key, validate_threshold(key, getattr(self, key)))

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> SimpleCrossMatchArgs:
        """Build from keyword arguments; unknown keywords raise ValidationError naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ValidationError(
                f"unknown argument(s) {unknown} for the simple cross-match; "
                f"known arguments: {sorted(known)}"
            )
        return cls(**dict(kwargs))


def _standard_set(name: str, r_angle_grating: float) -> dict[str, Any]:
    return {
        "catalogs": ["ICRS", "Tycho2"],
        "dr": 3.0,
        "method": "simple",
        "name": name,
        "near_neighbor_dist": 6.0,
        "r_angle": 120.0,
        "r_angle_grating": r_angle_grating,
        "snr": 3,
    }


CROSS_MATCHES_ARGS: Final[dict[str, dict[str, Any]]] = {
    "astromon_21": _standard_set("astromon_21", 120.0),
    "astromon_22": _standard_set("astromon_22", 24.0),
    "default": _standard_set("astromon_21", 120.0),
}
"""Standard cross-match argument sets (``default`` is ``astromon_21``'s, named ``astromon_21``)."""

CROSS_MATCHES: Final[list[str]] = sorted(CROSS_MATCHES_ARGS)
"""Names of the standard cross-matches."""


def standard_cross_match_args(name: str) -> dict[str, Any]:
    """A fresh copy of the standard argument set ``name`` (its ``catalogs`` list copied too).

    Raises
    ------
    ValidationError
        ``name`` is not a standard cross-match (the message lists the standard names).
    """
    if name not in CROSS_MATCHES_ARGS:
        raise ValidationError(
            f"{name!r} is not a standard cross-match; standard ones: {CROSS_MATCHES}"
        )
    args = dict(CROSS_MATCHES_ARGS[name])
    args["catalogs"] = list(args["catalogs"])
    return args
