"""Columns derived on the fly for tables of cross-matches.

``category`` (name of ``category_id``), ``time`` (a CxoTime from ``date_obs``, parsed once
per run of equal dates, i.e. about once per observation), ``c_loc`` and ``x_loc`` (SkyCoord
of the counterpart and of the x-ray source, ICRS, degrees).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from astropy.table import Column, Table

from astromon.domain.crossmatch.tables import require_columns
from astromon.domain.errors import ValidationError
from astromon.domain.filters import per_distinct, per_run
from astromon.domain.schema import category_name, set_formats
from astromon.domain.time import CxoTime

__all__ = ["DERIVED_COLUMNS", "add_derived_columns", "finish_matches"]

DERIVED_COLUMNS: Final[list[str]] = ["category", "time", "c_loc", "x_loc"]
"""Columns added by :func:`add_derived_columns`, in order."""


def _times(date_obs: Any) -> Any:
    dates = np.asarray(date_obs)
    if dates.dtype.kind == "S":
        dates = np.char.decode(dates, "utf-8")
    if len(dates) == 0:
        return CxoTime(np.zeros(0), format="cxcsec")
    runs, index = per_run(dates)  # parsing a run's date is cheaper than finding duplicates
    try:
        parsed = CxoTime(runs.astype(str))
    except Exception as exc:
        raise ValidationError(f"invalid date_obs among {runs[:3].tolist()!r}: {exc}") from None
    return parsed[index]


def add_derived_columns(matches: Table) -> Table:
    """Add ``category``, ``time``, ``c_loc`` and ``x_loc`` to ``matches`` (in place).

    Parameters
    ----------
    matches : astropy.table.Table
        Cross-matches with ``category_id``, ``date_obs`` (ISO, UTC), ``c_ra``, ``c_dec``,
        ``x_ra`` and ``x_dec`` (degrees).

    Returns
    -------
    astropy.table.Table
        ``matches`` itself. Existing derived columns are replaced.

    Raises
    ------
    SchemaError
        A needed column is missing.
    """
    require_columns(
        matches, ["category_id", "date_obs", "c_ra", "c_dec", "x_ra", "x_dec"], "the matches"
    )
    ids, index = per_distinct(np.asarray(matches["category_id"]))
    names = np.array([category_name(int(i)) for i in ids], dtype=str)
    category = names[index] if len(ids) else np.zeros(0, dtype=str)
    for name in DERIVED_COLUMNS:
        if name in matches.colnames:
            matches.remove_column(name)
    matches["category"] = Column(category, name="category")
    matches["time"] = _times(matches["date_obs"])
    from astropy.coordinates import SkyCoord  # here: a costly import, needed only now

    matches["c_loc"] = SkyCoord(
        np.asarray(matches["c_ra"], float), np.asarray(matches["c_dec"], float), unit="deg"
    )
    matches["x_loc"] = SkyCoord(
        np.asarray(matches["x_ra"], float), np.asarray(matches["x_dec"], float), unit="deg"
    )
    return matches


def finish_matches(matches: Table) -> Table:
    """Display formats (:func:`astromon.domain.schema.set_formats`) and an index on obsid."""
    set_formats(matches)
    indexed = {index.columns[0].info.name for index in matches.indices}
    if "obsid" in matches.colnames and "obsid" not in indexed:
        matches.add_index("obsid")
    return matches
