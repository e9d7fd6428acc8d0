"""The alignment fit of a cross-match table: one result row per observation.

Rows are grouped by observation (``obsid``, and ``select_name`` when the table has that
column, so that several cross-matches are fitted separately) with one stable sort; within an
observation the pairs keep their order, so another order of the rows changes the results only
by rounding (about 1e-13 arcsec).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from astropy.table import Column, Table
from numpy.typing import NDArray

from astromon.domain.alignment.options import AlignmentOptions
from astromon.domain.alignment.solve import solve_alignment
from astromon.domain.crossmatch.tables import column_values, require_columns
from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.observation_rules import MAX_OBSID, MIN_OBSID
from astromon.domain.position_errors import (
    catalog_position_error,
    pair_position_error,
    xray_position_error,
)

__all__ = [
    "CATALOG_ERROR_COLUMN",
    "INPUT_COLUMNS",
    "MAX_ANGLE_ARCSEC",
    "OPTION_COLUMNS",
    "RESULT_COLUMNS",
    "Alignment",
    "align_observations",
    "fit_alignment",
]

Float = NDArray[np.float64]

INPUT_COLUMNS: Final = (
    "obsid", "x_y_angle", "x_z_angle", "dy", "dz", "net_counts", "r_angle", "catalog",
)  # fmt: skip
"""Columns of the cross-match table the fit needs."""

CATALOG_ERROR_COLUMN: Final = "c_pos_err"
"""Optional column: a star's own 1-sigma per-axis position error (arcsec; NaN: unknown)."""

RESULT_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "obsid": ("i4", ""),
    "n_pairs": ("i4", ""),
    "n_rejected": ("i4", ""),
    "dy": ("f8", ".3f"),
    "dz": ("f8", ".3f"),
    "roll": ("f8", ".1f"),
    "dy_err": ("f8", ".3f"),
    "dz_err": ("f8", ".3f"),
    "roll_err": ("f8", ".1f"),
    "chi2_dof": ("f8", ".2f"),
    "rms_before": ("f8", ".3f"),
    "rms_after": ("f8", ".3f"),
    "shift_chi2": ("f8", ".2f"),
    "flagged": ("?", ""),
}
"""Result columns (after ``select_name`` when the input has it): name → (dtype, format)."""

OPTION_COLUMNS: Final[dict[str, str]] = {
    "k_sigma": "f8",
    "residual_limit": "f8",
    "flag_threshold": "f8",
    "flag_sigma": "f8",
    "min_pairs_roll": "i4",
    "min_spread": "f8",
    "max_iterations": "i4",
}
"""The options, one column each after the results (``residual_limit`` NaN: none)."""

_ANGLE_COLUMNS: Final = ("x_y_angle", "x_z_angle", "dy", "dz", "r_angle")

MAX_ANGLE_ARCSEC: Final = 1_296_000.0
"""Largest magnitude accepted for an angle, offset or error (arcsec): 360 degrees."""


@dataclass(frozen=True)
class Alignment:
    """What :func:`align_observations` returns.

    Attributes
    ----------
    table : astropy.table.Table
        One row per observation (see :func:`fit_alignment`).
    rejected : numpy.ndarray of bool
        Per input row: whether the fit rejected that pair.
    """

    table: Table
    rejected: NDArray[np.bool_]


def fit_alignment(matches: Table, options: AlignmentOptions | None = None) -> Table:
    """Per-observation shift and roll of the x-ray sources against their catalog stars.

    Parameters
    ----------
    matches : astropy.table.Table
        Cross-matches with the columns :data:`INPUT_COLUMNS` (``r_angle``, focal-plane
        angles and offsets in arcsec); ``select_name`` and :data:`CATALOG_ERROR_COLUMN`
        optional.
    options : AlignmentOptions, optional
        Default: ``AlignmentOptions()``.

    Returns
    -------
    astropy.table.Table
        ``select_name`` (when the input has it), the :data:`RESULT_COLUMNS` and the
        :data:`OPTION_COLUMNS`; one row per observation, sorted by (select_name, obsid).

    Raises
    ------
    SchemaError
        A needed column is missing.
    ValidationError
        A non-finite value in a numeric column, an angle, offset or error beyond 360 degrees,
        a negative ``r_angle`` or ``c_pos_err``, or an obsid that is not an integer in
        [1, 2147483647] (the message names the column, the value and the obsid).
    """
    return align_observations(matches, options).table


def align_observations(matches: Table, options: AlignmentOptions | None = None) -> Alignment:
    """:func:`fit_alignment`, and which pairs were rejected (same arguments and errors)."""
    options = AlignmentOptions() if options is None else options
    if not isinstance(options, AlignmentOptions):
        raise ValidationError(f"options must be AlignmentOptions, got {options!r}")
    require_columns(matches, INPUT_COLUMNS, "the cross-matches")
    obsid = _obsids(matches)
    values = {
        name: column_values(matches, name, np.dtype(np.float64))
        for name in (*_ANGLE_COLUMNS, "net_counts")
    }
    for name, column in values.items():
        _require(~np.isfinite(column), column, obsid, name, "finite")
    for name in _ANGLE_COLUMNS:
        bad = np.abs(values[name]) > MAX_ANGLE_ARCSEC
        _require(bad, values[name], obsid, name, f"within {MAX_ANGLE_ARCSEC:.0f} arcsec of 0")
    _require(values["r_angle"] < 0, values["r_angle"], obsid, "r_angle", ">= 0")
    sigma = pair_position_error(
        xray_position_error(values["net_counts"], values["r_angle"]),
        _catalog_errors(matches, obsid),
    )
    has_name = "select_name" in matches.colnames
    names, name_code = (
        _names(matches) if has_name else (np.zeros(1, str), np.zeros(len(obsid), int))
    )
    order = np.argsort(name_code.astype(np.int64) << 32 | obsid, kind="stable")
    key_obsid, key_name = obsid[order], name_code[order]
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = (key_obsid[1:] != key_obsid[:-1]) | (key_name[1:] != key_name[:-1])
    starts = np.flatnonzero(new_group)
    table = Table()
    if has_name:
        table["select_name"] = Column(names[key_name[starts]])
    if len(order):
        solution = dict(
            vars(
                solve_alignment(
                    values["x_y_angle"][order],
                    values["x_z_angle"][order],
                    values["dy"][order],
                    values["dz"][order],
                    sigma[order],
                    starts,
                    options,
                )
            )
        )
        rejected = np.empty(len(order), dtype=bool)
        rejected[order] = solution.pop("rejected")
    else:
        solution = {name: [] for name in RESULT_COLUMNS}
        rejected = np.zeros(0, dtype=bool)
    solution["obsid"] = key_obsid[starts]
    for name, (dtype, display) in RESULT_COLUMNS.items():
        table[name] = Column(np.asarray(solution[name], dtype=dtype), format=display or None)
    for name, dtype in OPTION_COLUMNS.items():
        table[name] = Column(np.full(len(starts), _option_value(options, name), dtype=dtype))
    return Alignment(table=table, rejected=rejected)


def _names(matches: Table) -> tuple[NDArray[np.str_], NDArray[np.intp]]:
    """The distinct ``select_name`` values (sorted) and each row's index among them."""
    values = column_values(matches, "select_name", np.dtype(str))
    if len(values) and bool(np.all(values == values[0])):  # one cross-match: no sort
        return values[:1], np.zeros(len(values), dtype=np.intp)
    names, code = np.unique(values, return_inverse=True)
    return names, code.astype(np.intp)


def _catalog_errors(matches: Table, obsid: NDArray[np.int64]) -> Float:
    """Per-row catalog error: the star's own where known, else its catalog's typical one."""
    typical = catalog_position_error(column_values(matches, "catalog", np.dtype(str)))
    if CATALOG_ERROR_COLUMN not in matches.colnames:
        return typical
    own = column_values(matches, CATALOG_ERROR_COLUMN, np.dtype(np.float64))
    bad = np.isinf(own) | (own < 0) | (own > MAX_ANGLE_ARCSEC)
    rule = f"NaN or in [0, {MAX_ANGLE_ARCSEC:.0f}] arcsec"
    _require(bad, own, obsid, CATALOG_ERROR_COLUMN, rule)
    return np.where(np.isnan(own), typical, own)


def _obsids(matches: Table) -> NDArray[np.int64]:
    """The ``obsid`` column as int64, checked to hold integers in [MIN_OBSID, MAX_OBSID]."""
    raw = column_values(matches, "obsid")
    if raw.dtype.kind not in "biuf":
        raise SchemaError(f"column 'obsid' must be numeric, got {raw.dtype}")
    as_float = raw.astype(np.float64)
    bad = ~np.isfinite(as_float) | (as_float != np.round(as_float))
    bad |= (as_float < MIN_OBSID) | (as_float > MAX_OBSID)
    _require(bad, as_float, None, "obsid", f"an integer in [{MIN_OBSID}, {MAX_OBSID}]")
    return as_float.astype(np.int64)


def _require(
    bad: NDArray[np.bool_],
    values: Float,
    obsid: NDArray[np.int64] | None,
    column: str,
    rule: str,
) -> None:
    """Raise ValidationError naming ``column``, the first ``bad`` value, its row and obsid."""
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        where = f"row {row}" if obsid is None else f"row {row}, obsid {int(obsid[row])}"
        raise ValidationError(
            f"column {column!r} must be {rule}: {int(bad.sum())} row(s) are not, the first "
            f"{float(values[row])!r} ({where})"
        )


def _option_value(options: AlignmentOptions, name: str) -> Any:
    value = getattr(options, name)
    return np.nan if value is None else value
