"""Selecting alignment rows (``astromon.db.get_alignment``, ``astromon alignment``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
from astropy.table import Table

from astromon.domain.errors import ValidationError
from astromon.domain.region_values import as_obsids
from astromon.domain.validation import require_flag, require_table

__all__ = ["ALIGNMENT_FILTERS", "select_alignment"]

ALIGNMENT_FILTERS: Final = ("obsid", "flagged", "min_pairs")
"""The filters :func:`select_alignment` takes."""


def select_alignment(table: Table, **filters: Any) -> Table:
    """The rows of ``table`` (alignment rows) that pass every filter given.

    Parameters
    ----------
    table : astropy.table.Table
        Rows with ``obsid``, ``flagged`` and ``n_pairs``.
    **filters
        ``obsid`` (an integer or integers): only these observations; ``flagged`` (bool):
        only the flagged (True) or the unflagged (False) observations; ``min_pairs`` (an
        integer >= 1): only observations with at least this many pairs. None: no filter.

    Raises
    ------
    ValidationError
        An unknown filter, or a value of the wrong kind (the message names it).
    """
    require_table("table", table)
    unknown = sorted(set(filters) - set(ALIGNMENT_FILTERS))
    if unknown:
        raise ValidationError(
            f"unknown alignment filter(s) {unknown}; known filters: {list(ALIGNMENT_FILTERS)}"
        )
    keep = np.ones(len(table), dtype=bool)
    given: Mapping[str, Any] = {k: v for k, v in filters.items() if v is not None}
    if "obsid" in given:
        wanted = np.atleast_1d(as_obsids(given["obsid"]))
        keep &= np.isin(np.asarray(table["obsid"], dtype=np.int64), wanted)
    if "flagged" in given:
        flagged = require_flag("flagged", given["flagged"])
        keep &= np.asarray(table["flagged"], dtype=bool) == flagged
    if "min_pairs" in given:
        keep &= np.asarray(table["n_pairs"], dtype=np.int64) >= _min_pairs(given["min_pairs"])
    return table if keep.all() else table[np.flatnonzero(keep)]


def _min_pairs(value: Any) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ValidationError(f"min_pairs must be an integer, got {value!r}")
    if int(value) < 1:
        raise ValidationError(f"min_pairs must be at least 1, got {value!r}")
    return int(value)
