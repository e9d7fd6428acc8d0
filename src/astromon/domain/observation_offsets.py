"""Offsets per observation: the observations that drive the tail of the distribution.

For each observation of a selection (its cross-matches in the accuracy window): the number of
matches, the median dy and dz, and the largest dr (arcsec). The report lists the
:data:`WORST_OBSERVATIONS` with the largest dr ("observations to look at").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.accuracy import iso_date, json_number
from astromon.domain.errors import ValidationError
from astromon.domain.statistics import float_array

__all__ = ["WORST_OBSERVATIONS", "ObservationFigures", "observation_figures"]

WORST_OBSERVATIONS: Final = 20
"""How many observations, those with the largest dr, the report lists to look at."""


@dataclass(frozen=True)
class ObservationFigures:
    """The matches of one observation: how many, their median dy and dz, their largest dr.

    ``tstart`` in CXC seconds, offsets in arcsec.
    """

    obsid: int
    target: str
    detector: str
    tstart: float
    n: int
    median_dy: float
    median_dz: float
    max_dr: float

    def record(self) -> dict[str, Any]:
        """obsid, target, detector, date (``YYYY-MM-DD``), n, median_dy, median_dz, max_dr."""
        return {
            "obsid": self.obsid,
            "target": self.target,
            "detector": self.detector,
            "date": iso_date(self.tstart),
            "n": self.n,
            "median_dy": json_number(self.median_dy),
            "median_dz": json_number(self.median_dz),
            "max_dr": json_number(self.max_dr),
        }


def _group_medians(
    codes: NDArray[np.intp], values: NDArray[np.float64], n_groups: int
) -> NDArray[np.float64]:
    """The median of ``values`` in each group (as ``numpy.median`` of the group)."""
    order = np.lexsort((values, codes))
    counts = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    low = values[order][starts + (counts - 1) // 2]
    high = values[order][starts + counts // 2]
    result: NDArray[np.float64] = (low + high) / 2.0
    return result


def observation_figures(
    obsid: ArrayLike,
    dy: ArrayLike,
    dz: ArrayLike,
    dr: ArrayLike,
    *,
    detector: ArrayLike,
    target: ArrayLike,
    times: ArrayLike,
) -> list[ObservationFigures]:
    """Per observation: number of matches, median dy and dz, largest dr.

    Matches with a NaN offset are left out. Sorted by the largest dr, largest first (ties by
    obsid); an observation's detector, target and time are those of its first match.
    """
    ids = np.asarray(obsid).astype(np.int64)
    y, z, r = float_array(dy, "dy"), float_array(dz, "dz"), float_array(dr, "dr")
    det = np.asarray(detector).astype(str)
    names = np.asarray(target).astype(str)
    t = float_array(times, "times")
    if not (ids.shape == y.shape == z.shape == r.shape == det.shape == names.shape == t.shape):
        raise ValidationError("obsid, dy, dz, dr, detector, target and times differ in length")
    ok = np.isfinite(y) & np.isfinite(z) & np.isfinite(r)
    ids, y, z, r, det, names, t = ids[ok], y[ok], z[ok], r[ok], det[ok], names[ok], t[ok]
    if ids.size == 0:
        return []
    unique, first, codes = np.unique(ids, return_index=True, return_inverse=True)
    counts = np.bincount(codes, minlength=unique.size)
    max_dr = np.full(unique.size, -np.inf)
    np.maximum.at(max_dr, codes, r)
    med_y = _group_medians(codes, y, unique.size)
    med_z = _group_medians(codes, z, unique.size)
    order = np.lexsort((unique, -max_dr))
    return [
        ObservationFigures(
            obsid=int(unique[k]),
            target=str(names[first[k]]).strip(),
            detector=str(det[first[k]]),
            tstart=float(t[first[k]]),
            n=int(counts[k]),
            median_dy=float(med_y[k]),
            median_dz=float(med_z[k]),
            max_dr=float(max_dr[k]),
        )
        for k in order
    ]
