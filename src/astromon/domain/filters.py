"""Masks over tables of cross-matches: the common selection criteria, bad targets, regions.

Every function returns a boolean mask with one value per row (True = keep, except for
:func:`get_bad_target_mask` and :func:`get_excluded_regions_mask`, where True marks the rows
to remove). Units: ``dr``, ``r_angle``, ``near_neighbor_dist`` in arcsec; ``sim_z`` in mm;
``tstart`` in CXC seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import numpy as np
from astropy.table import Table
from numpy.typing import NDArray

from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.excluded_regions import in_excluded_regions
from astromon.domain.schema import CATEGORIES, CATEGORY_IDS
from astromon.domain.time import CxoTime
from astromon.domain.validation import validate_threshold

__all__ = [
    "BAD_TARGETS",
    "NOMINAL_SIM_Z",
    "filter_matches",
    "get_bad_target_mask",
    "get_excluded_regions_mask",
    "normalise_target",
    "per_distinct",
    "per_run",
]

BoolArray = NDArray[np.bool_]

NOMINAL_SIM_Z: Final[dict[str, float]] = {
    "ACIS-I": -233.587,
    "ACIS-S": -190.143,
    "HRC-I": 126.983,
    "HRC-S": 250.466,
}
"""Nominal SIM-Z (mm) of each detector; other detectors have nominal 0."""

BAD_TARGETS: Final[tuple[str, ...]] = (
    "RW Aur",
    "Tau Boo",
    "70 OPH",
    "16 Cyg",
    "M87",
    "Orion",
    "HD 97950",
    "HD4915",
)
"""Targets known to give cross-matches with large residuals (matched by prefix)."""

_COLLECTIONS: Final = (list, tuple, set, frozenset, np.ndarray)


def normalise_target(target: str) -> str:
    """A target name with spaces removed and lower-cased (``'RW Aur A'`` → ``'rwaura'``)."""
    return target.replace(" ", "").lower()


def per_run(values: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Values at the start of each run of equal adjacent values, and each row's run number.

    ``runs[index]`` equals ``values``. Rows of one observation are adjacent in tables of
    cross-matches, so there are about as many runs as observations. Cost O(N).
    """
    n = len(values)
    if n == 0:
        return values[:0], np.zeros(0, dtype=np.int64)
    starts = np.ones(n, dtype=np.bool_)
    starts[1:] = values[1:] != values[:-1]
    index: NDArray[np.int64] = np.cumsum(starts, dtype=np.int64) - 1
    return values[starts], index


def per_distinct(values: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Distinct values and, for each row, the index of its value among them.

    Only the starts of runs of equal values (:func:`per_run`) are sorted: cost O(N) plus
    O(k log k) for k runs.
    """
    runs, run_id = per_run(values)
    if len(runs) == 0:
        return runs, run_id
    distinct, inverse = np.unique(runs, return_inverse=True)
    index: NDArray[np.int64] = inverse.astype(np.int64).ravel()[run_id]
    return distinct, index


def _column(matches: Table, name: str, rule: str) -> NDArray[Any]:
    if name not in matches.colnames:
        raise SchemaError(f"{rule} needs the column {name!r}, which the matches lack")
    col = matches[name]
    if np.ma.isMaskedArray(col):
        values: NDArray[Any] = (
            np.ma.filled(col, np.nan) if col.dtype.kind == "f" else np.ma.getdata(col)
        )
    else:
        values = np.asarray(col)
    if values.dtype.kind == "S":
        values = np.char.decode(values, "utf-8")
    return values


def get_bad_target_mask(matches: Table) -> BoolArray:
    """True for rows whose target is a known bad target (see :data:`BAD_TARGETS`).

    A target is bad when, with spaces removed and lower-cased, it starts with one of the bad
    targets normalised the same way.

    Parameters
    ----------
    matches : astropy.table.Table
        Cross-matches with a ``target`` column.

    Raises
    ------
    SchemaError
        ``matches`` has no ``target`` column.
    """
    targets = _column(matches, "target", "get_bad_target_mask")
    distinct, index = per_distinct(targets)
    prefixes = tuple(normalise_target(t) for t in BAD_TARGETS)
    bad = np.array([normalise_target(str(t)).startswith(prefixes) for t in distinct], dtype=bool)
    mask: BoolArray = bad[index] if len(distinct) else np.zeros(len(targets), dtype=np.bool_)
    return mask


def get_excluded_regions_mask(matches: Table, regions: Table) -> BoolArray:
    """True for rows whose x-ray source lies in an applicable excluded region.

    Parameters
    ----------
    matches : astropy.table.Table
        Cross-matches with ``obsid`` and ``x_loc`` (SkyCoord) or ``x_ra``/``x_dec`` (degrees).
    regions : astropy.table.Table
        Regions with ``ra``, ``dec`` (degrees), ``radius`` (arcsec) and ``obsid`` (<= 0: all
        observations).

    Raises
    ------
    SchemaError
        A needed column is missing.
    """
    if "x_loc" in matches.colnames:
        loc = matches["x_loc"]
        ra, dec = loc.ra.deg, loc.dec.deg
    else:
        ra = _column(matches, "x_ra", "get_excluded_regions_mask")
        dec = _column(matches, "x_dec", "get_excluded_regions_mask")
    obsid = _column(matches, "obsid", "get_excluded_regions_mask")
    return in_excluded_regions(ra, dec, obsid, regions)


def _category_ids(exclude_categories: Iterable[Any] | str) -> list[int]:
    if isinstance(exclude_categories, str):
        items: Iterable[Any] = [exclude_categories]
    elif isinstance(exclude_categories, Iterable):
        items = exclude_categories
    else:
        raise ValidationError(
            "exclude_categories must be a category name or a list of names/ids, "
            f"got {exclude_categories!r}"
        )
    ids = []
    for item in items:
        if isinstance(item, str):
            key = item.strip().lower()
            if key not in CATEGORY_IDS:
                raise ValidationError(
                    f"unknown observation category {item!r}; "
                    f"categories: {list(CATEGORIES.values())}"
                )
            ids.append(CATEGORY_IDS[key])
        elif isinstance(item, int | np.integer) and not isinstance(item, bool):
            if int(item) not in CATEGORIES:
                raise ValidationError(
                    f"unknown observation category id {item!r}; ids: {list(CATEGORIES)}"
                )
            ids.append(int(item))
        else:
            raise ValidationError(f"categories are names or ids, got {item!r}")
    return ids


def _time_secs(value: Any, name: str) -> float:
    try:
        return float(CxoTime(value).secs)
    except Exception as exc:
        raise ValidationError(f"{name}={value!r} is not a valid time ({exc})") from None


def _threshold_criteria(
    matches: Table,
    mask: BoolArray,
    dr: float | None,
    near_neighbor_dist: float | None,
    snr: float | None,
    r_angle: float | None,
    r_angle_grating: float | None,
    sim_z: float | None,
) -> None:
    """Apply the numeric thresholds of :func:`filter_matches` to ``mask`` (in place)."""
    upper = {"dr": dr, "near_neighbor_dist": near_neighbor_dist}
    for name, value in upper.items():
        if value is not None:
            limit = validate_threshold(name, value)
            mask &= _column(matches, name, f"filter on {name}") <= limit
    if snr is not None:
        mask &= _column(matches, "snr", "filter on snr") >= validate_threshold("snr", snr)
    if r_angle is not None or r_angle_grating is not None:
        no_grating = _column(matches, "grating", "filter on r_angle") == "NONE"
        off_axis = _column(matches, "r_angle", "filter on r_angle")
        if r_angle is not None:
            limit = validate_threshold("r_angle", r_angle)
            mask &= ~no_grating | (off_axis <= limit)
        if r_angle_grating is not None:
            limit = validate_threshold("r_angle_grating", r_angle_grating)
            mask &= no_grating | (off_axis <= limit)
    if sim_z is not None:
        limit = validate_threshold("sim_z", sim_z)
        detectors, index = per_distinct(_column(matches, "detector", "filter on sim_z"))
        values = _column(matches, "sim_z", "filter on sim_z")
        # in the column's precision, so that a stored nominal value has offset 0
        nominal = np.array([NOMINAL_SIM_Z.get(str(d), 0.0) for d in detectors], values.dtype)
        offset = values - nominal[index]
        mask &= np.abs(offset) <= limit


def filter_matches(
    matches: Table,
    snr: float | None = None,
    dr: float | None = None,
    r_angle: float | None = None,
    start: Any = None,
    stop: Any = None,
    r_angle_grating: float | None = None,
    near_neighbor_dist: float | None = None,
    sim_z: float | None = None,
    exclude_regions: bool = False,
    exclude_bad_targets: bool = False,
    exclude_categories: Iterable[Any] = (),
    regions: Table | None = None,
    **kwargs: Any,
) -> BoolArray:
    """Mask (True = keep) of the cross-matches passing every given criterion.

    Parameters
    ----------
    matches : astropy.table.Table
        Cross-matches (as from ``get_cross_matches`` or ``compute_cross_matches``).
    snr : float, optional
        Keep ``snr >= snr``.
    dr : float, optional
        Keep ``dr <= dr`` (arcsec).
    r_angle : float, optional
        Keep ``r_angle <= r_angle`` (arcsec) on rows with grating ``NONE``.
    start, stop : CxoTime-compatible, optional
        Keep ``tstart >= start`` and ``tstart <= stop`` (compared in CXC seconds).
    r_angle_grating : float, optional
        Keep ``r_angle <= r_angle_grating`` (arcsec) on rows with a grating.
    near_neighbor_dist : float, optional
        Keep ``near_neighbor_dist <= near_neighbor_dist`` (arcsec).
    sim_z : float, optional
        Keep ``|sim_z - nominal(detector)| <= sim_z`` (mm); see :data:`NOMINAL_SIM_Z`.
    exclude_regions : bool
        Drop rows in an excluded region (needs ``regions``).
    exclude_bad_targets : bool
        Drop rows of bad targets (:func:`get_bad_target_mask`).
    exclude_categories : iterable of str or int, or str
        Observation categories (names, case-insensitive, or ids) to drop; a single name is
        one category.
    regions : astropy.table.Table, optional
        Excluded regions, required with ``exclude_regions``.
    **kwargs
        Other columns: a list/tuple/set/array value keeps rows whose value is in it, any other
        value keeps rows equal to it.

    Returns
    -------
    ndarray of bool
        One value per row of ``matches``.

    Raises
    ------
    ValidationError
        A threshold is negative/NaN/not a number, a time or category is invalid, a keyword
        names no column, or ``exclude_regions`` is set without regions.
    SchemaError
        ``matches`` lacks a column a criterion needs (named).
    """
    n = len(matches)
    mask: BoolArray = np.ones(n, dtype=np.bool_)
    # A threshold is compared in the column's precision (float32 for offsets and S/N): one
    # beyond its range becomes infinity, which orders exactly as the threshold does.
    with np.errstate(over="ignore"):
        _threshold_criteria(
            matches, mask, dr, near_neighbor_dist, snr, r_angle, r_angle_grating, sim_z
        )
    if start is not None:
        tstart = _column(matches, "tstart", "filter on start").astype(np.float64)
        mask &= tstart >= _time_secs(start, "start")
    if stop is not None:
        tstart = _column(matches, "tstart", "filter on stop").astype(np.float64)
        mask &= tstart <= _time_secs(stop, "stop")
    excluded = _category_ids(exclude_categories) if exclude_categories is not None else []
    if excluded:
        if "category_id" in matches.colnames:
            ids = _column(matches, "category_id", "exclude_categories")
            mask &= ~np.isin(ids, excluded)
        else:
            names = np.char.lower(_column(matches, "category", "exclude_categories").astype(str))
            mask &= ~np.isin(names, [CATEGORIES[i].lower() for i in excluded])
    if exclude_bad_targets:
        mask &= ~get_bad_target_mask(matches)
    if exclude_regions:
        if regions is None:
            raise ValidationError("exclude_regions=True needs the excluded regions (regions=None)")
        mask &= ~get_excluded_regions_mask(matches, regions)
    for name, value in kwargs.items():
        if name not in matches.colnames:
            raise ValidationError(
                f"cannot filter on {name}={value!r}: the matches have no column {name!r} "
                f"(columns: {matches.colnames})"
            )
        column = _column(matches, name, f"filter on {name}")
        if isinstance(value, _COLLECTIONS):
            mask &= np.isin(column, np.asarray(list(value)))
        else:
            mask &= column == value
    return mask
