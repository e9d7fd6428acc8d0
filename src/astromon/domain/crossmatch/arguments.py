"""Validated arguments of the cross-match methods.

Units: ``snr`` is a signal-to-noise ratio; ``r_angle``, ``r_angle_grating``, ``dr`` and
``near_neighbor_dist`` are in arcsec; ``start``/``stop`` are CxoTime-compatible times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from astromon.domain.catalogs import catalog_names
from astromon.domain.errors import ValidationError
from astromon.domain.validation import validate_threshold

__all__ = [
    "CROSS_MATCH_CATALOGS",
    "SimpleCrossMatchArgs",
    "validate_catalogs",
    "validate_threshold",
]

CROSS_MATCH_CATALOGS: Final = ("ICRS", "Tycho2")
"""Catalogs of the ``simple`` cross-match and the standard sets, in order of precedence."""


def validate_catalogs(value: Any) -> tuple[str, ...]:
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
    catalogs: tuple[str, ...] = CROSS_MATCH_CATALOGS
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
        object.__setattr__(self, "catalogs", validate_catalogs(self.catalogs))
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
