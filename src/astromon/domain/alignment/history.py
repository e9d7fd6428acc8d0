"""The fitted shifts of the report's observations over time, and the flagged ones.

The monitoring report shows, for every observation of its selected cross-matches, the shift
(dy, dz) of :mod:`astromon.domain.alignment` against the time of the observation; the
flagged observations are listed in a table and in ``summary.json`` (``flagged_observations``).
The rows come from the stored table ``astromon_alignment`` when it is current with the stored
pairs (the fit of every pair of the cross-match), otherwise from a fit of the selected
matches (the pairs the report selected, with the default options); :attr:`AlignmentHistory.
source` says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from astropy.table import Table

from astromon.domain.accuracy import iso_date, json_number
from astromon.domain.alignment.table import fit_alignment
from astromon.domain.time import CxoTime

__all__ = [
    "FITTED_SOURCE",
    "HISTORY_COLUMNS",
    "STORED_SOURCE",
    "AlignmentHistory",
    "alignment_history",
]

STORED_SOURCE: Final = "the stored table astromon_alignment (every pair of the cross-match)"
"""Where the rows come from when the stored alignment is used."""

FITTED_SOURCE: Final = "a fit of the selected matches (default options)"
"""Where the rows come from when they are fitted for the report."""

HISTORY_COLUMNS: Final = (
    "obsid", "detector", "target", "tstart", "year", "n_pairs", "n_rejected", "dy", "dz",
    "dy_err", "dz_err", "roll", "roll_err", "flagged",
)  # fmt: skip
"""The columns of :attr:`AlignmentHistory.table` (tstart in CXC seconds, year decimal,
shifts, roll and errors in arcsec)."""


@dataclass(frozen=True)
class AlignmentHistory:
    """The fitted shift of each observation of the report, by time.

    Attributes
    ----------
    table : astropy.table.Table
        :data:`HISTORY_COLUMNS`, one row per observation, sorted by tstart.
    source : str
        Where the rows come from (:data:`STORED_SOURCE` or :data:`FITTED_SOURCE`).
    """

    table: Table
    source: str

    def flagged(self) -> Table:
        """The rows of the flagged observations (sorted by tstart)."""
        return self.table[np.asarray(self.table["flagged"], dtype=bool)]

    def record(self) -> list[dict[str, Any]]:
        """The flagged observations for ``summary.json``: obsid, detector, target, date
        (``YYYY-MM-DD``), n_pairs, dy, dz, dy_err, dz_err, roll, roll_err (arcsec; null
        for NaN)."""
        return [
            {
                "obsid": int(row["obsid"]),
                "detector": str(row["detector"]),
                "target": str(row["target"]),
                "date": iso_date(float(row["tstart"])),
                "n_pairs": int(row["n_pairs"]),
                **{
                    name: json_number(float(row[name]))
                    for name in ("dy", "dz", "dy_err", "dz_err", "roll", "roll_err")
                },
            }
            for row in self.flagged()
        ]


def alignment_history(matches: Table, stored: Table | None = None) -> AlignmentHistory:
    """The fitted shifts of the observations of ``matches``.

    Parameters
    ----------
    matches : astropy.table.Table
        The report's selected cross-matches: ``obsid``, ``detector``, ``tstart`` (CXC s),
        ``target`` (optional) and, when ``stored`` is None, the columns of
        :func:`~astromon.domain.alignment.table.fit_alignment`.
    stored : astropy.table.Table, optional
        The stored alignment rows of the cross-match (current with its pairs); the rows of
        the observations of ``matches`` are used. None: fit ``matches``.

    Raises
    ------
    SchemaError, ValidationError
        As :func:`~astromon.domain.alignment.table.fit_alignment`.
    """
    source = FITTED_SOURCE if stored is None else STORED_SOURCE
    obsid = np.asarray(matches["obsid"], dtype=np.int64)
    if not len(obsid):
        return AlignmentHistory(Table(names=HISTORY_COLUMNS), source)
    fitted = fit_alignment(matches) if stored is None else stored
    fitted_obsid = np.asarray(fitted["obsid"], dtype=np.int64)
    rows = fitted[np.isin(fitted_obsid, obsid)]
    # each observation's detector, target and time are those of its first match
    distinct, first = np.unique(obsid, return_index=True)
    at = first[np.searchsorted(distinct, np.asarray(rows["obsid"], dtype=np.int64))]
    tstart = np.asarray(matches["tstart"], dtype=np.float64)[at]
    target = (
        np.asarray(matches["target"]).astype(str)[at]
        if "target" in matches.colnames
        else np.full(len(at), "")
    )
    table = Table(
        {
            "obsid": np.asarray(rows["obsid"], dtype=np.int64),
            "detector": np.asarray(matches["detector"]).astype(str)[at],
            "target": target,
            "tstart": tstart,
            "year": np.asarray(CxoTime(tstart).frac_year, dtype=np.float64)
            if len(at)
            else np.zeros(0),
            **{name: np.asarray(rows[name]) for name in HISTORY_COLUMNS[5:]},
        }
    )
    table = table[np.argsort(tstart, kind="stable")]
    return AlignmentHistory(table, source)
