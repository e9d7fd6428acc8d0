"""A plain reference implementation of the documented rules, ONLY the benchmarks' comparator.

This is deliberately the "obvious" code: :func:`astropy.table.join` for the joins, a Python
loop over the (obsid, x_id) groups for the per-source choice, a Python loop over the rows for
string rules, and an N×M :class:`~astropy.coordinates.SkyCoord` separation matrix for the
excluded-region mask. It follows the steps of the ``simple`` cross-match one by one so that
it can also serve as an independent check of astromon's fast paths
(``tests/unit/test_bench_reference.py``).

Units: ra/dec in degrees; y/z angles, dr, r_angle, near_neighbor_dist and radii in arcsec;
sim_z in mm; start/stop in CXC seconds (``filter_matches``) or anything CxoTime accepts
(``simple_cross_match``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Table, join
from numpy.typing import NDArray

from astromon.domain.schema import CATEGORIES
from astromon.domain.time import CxoTime

__all__ = [
    "ASTROMON_21",
    "BAD_TARGETS",
    "NOMINAL_SIM_Z",
    "bad_target_mask",
    "compute_cross_matches",
    "excluded_regions_mask",
    "filter_matches",
    "get_cross_matches",
    "simple_cross_match",
]

ASTROMON_21: Final[dict[str, Any]] = {
    "catalogs": ["ICRS", "Tycho2"],
    "snr": 3.0,
    "r_angle": 120.0,
    "r_angle_grating": 120.0,
    "near_neighbor_dist": 6.0,
    "dr": 3.0,
}
"""The ``astromon_21`` argument set."""

NOMINAL_SIM_Z: Final[dict[str, float]] = {
    "ACIS-I": -233.587,
    "ACIS-S": -190.143,
    "HRC-I": 126.983,
    "HRC-S": 250.466,
}
BAD_TARGETS: Final = ("RW Aur", "Tau Boo", "70 OPH", "16 Cyg", "M87", "Orion", "HD 97950", "HD4915")


def _rename(table: Table, mapping: dict[str, str]) -> Table:
    out = table.copy()
    for old, new in mapping.items():
        out.rename_column(old, new)
    return out


def simple_cross_match(
    astromon_obs: Table,
    astromon_xray_src: Table,
    astromon_cat_src: Table,
    name: str = "",
    catalogs: Sequence[str] = ("ICRS", "Tycho2"),
    snr: float = 3,
    r_angle: float = 120.0,
    dr: float = 3,
    r_angle_grating: float = 24.0,
    near_neighbor_dist: float = 6.0,
    start: Any = None,
    stop: Any = None,
) -> Table:
    """The ``simple`` cross-match, its steps 1–8 done the obvious way.

    Returns one row per matched x-ray source (obsid, x_id), with the joined columns, ``dy``,
    ``dz``, ``dr`` (arcsec), ``cat_order`` and ``select_name``.
    """
    catalogs = list(catalogs)
    xray = astromon_xray_src[
        (astromon_xray_src["snr"] > snr)
        & (astromon_xray_src["near_neighbor_dist"] > near_neighbor_dist)
    ]
    cat = astromon_cat_src[[c in catalogs for c in astromon_cat_src["catalog"]]]
    obs = astromon_obs
    if start is not None:
        obs = obs[obs["date_obs"] > CxoTime(start).isot[:19]]
    if stop is not None:
        obs = obs[obs["date_obs"] <= CxoTime(stop).isot[:19]]
    xray = _rename(
        xray,
        {
            "id": "x_id",
            "ra": "x_ra",
            "dec": "x_dec",
            "y_angle": "x_y_angle",
            "z_angle": "x_z_angle",
        },
    )
    cat = _rename(
        cat,
        {
            "id": "c_id",
            "ra": "c_ra",
            "dec": "c_dec",
            "y_angle": "c_y_angle",
            "z_angle": "c_z_angle",
        },
    )
    matches = join(obs, xray, keys="obsid")
    matches = join(matches, cat, keys=["obsid", "x_id"])
    matches["dy"] = matches["x_y_angle"] - matches["c_y_angle"]
    matches["dz"] = matches["x_z_angle"] - matches["c_z_angle"]
    matches["dr"] = np.hypot(matches["dy"], matches["dz"])
    matches["cat_order"] = [catalogs.index(c) for c in matches["catalog"]]
    in_field = np.where(
        matches["grating"] == "NONE",
        matches["r_angle"] < r_angle,
        matches["r_angle"] < r_angle_grating,
    )
    matches = matches[in_field]
    matches = matches[matches["dr"] < dr]
    if len(matches) == 0:
        matches["select_name"] = np.array([], dtype=str)
        return matches
    keep = []
    grouped = matches.group_by(["obsid", "x_id"])
    for group_start, group_stop in zip(
        grouped.groups.indices[:-1], grouped.groups.indices[1:], strict=True
    ):
        best = group_start
        for row in range(group_start + 1, group_stop):
            candidate = (grouped["cat_order"][row], grouped["dr"][row])
            if candidate < (grouped["cat_order"][best], grouped["dr"][best]):
                best = row
        keep.append(best)
    result = grouped[keep]
    result["select_name"] = [name] * len(result)
    return result


def _add_derived_columns(matches: Table) -> Table:
    matches["time"] = CxoTime(matches["date_obs"])
    matches["c_loc"] = SkyCoord(matches["c_ra"], matches["c_dec"], unit="deg")
    matches["x_loc"] = SkyCoord(matches["x_ra"], matches["x_dec"], unit="deg")
    matches["category"] = [CATEGORIES.get(int(c), "Unknown") for c in matches["category_id"]]
    return matches


def compute_cross_matches(
    astromon_obs: Table,
    astromon_xray_src: Table,
    astromon_cat_src: Table,
    name: str = "astromon_21",
    **kwargs: Any,
) -> Table:
    """``compute_cross_matches(name)`` the obvious way: the cross-match, then ``time``,
    ``c_loc``, ``x_loc`` and ``category``, indexed on obsid.

    ``kwargs`` default to the ``astromon_21`` argument set.
    """
    args = {**ASTROMON_21, **kwargs}
    matches = simple_cross_match(astromon_obs, astromon_xray_src, astromon_cat_src, name, **args)
    matches = _add_derived_columns(matches)
    matches.add_index("obsid")
    return matches


def bad_target_mask(matches: Table) -> NDArray[np.bool_]:
    """True where the target (spaces removed, lower-cased) starts with a bad-target name."""
    prefixes = [t.replace(" ", "").lower() for t in BAD_TARGETS]
    result = []
    for target in matches["target"]:
        normalised = str(target).replace(" ", "").lower()
        result.append(any(normalised.startswith(p) for p in prefixes))
    return np.array(result, dtype=bool)


def excluded_regions_mask(matches: Table, regions: Table) -> NDArray[np.bool_]:
    """True where ``x_loc`` lies closer than a region's radius to its centre (N×M matrix).

    A region applies to a row when its obsid is <= 0 or equals the row's obsid.
    """
    if len(matches) == 0 or len(regions) == 0:
        return np.zeros(len(matches), dtype=bool)
    region_loc = SkyCoord(regions["ra"], regions["dec"], unit="deg")
    x_loc = SkyCoord(matches["x_ra"], matches["x_dec"], unit="deg")
    separation = x_loc[:, None].separation(region_loc[None, :])
    inside = separation < np.asarray(regions["radius"], float)[None, :] * u.arcsec
    applies = (np.asarray(regions["obsid"])[None, :] <= 0) | (
        np.asarray(regions["obsid"])[None, :] == np.asarray(matches["obsid"])[:, None]
    )
    return np.asarray(np.any(inside & applies, axis=1))


def filter_matches(
    matches: Table,
    snr: float | None = None,
    dr: float | None = None,
    r_angle: float | None = None,
    start: float | None = None,
    stop: float | None = None,
    r_angle_grating: float | None = None,
    near_neighbor_dist: float | None = None,
    sim_z: float | None = None,
    exclude_regions: bool = False,
    exclude_bad_targets: bool = False,
    exclude_categories: Sequence[str] = (),
    regions: Table | None = None,
    **kwargs: Any,
) -> NDArray[np.bool_]:
    """The keep-mask of ``filter_matches`` (start/stop in CXC seconds)."""
    ok = np.ones(len(matches), dtype=bool)
    if dr is not None:
        ok &= np.asarray(matches["dr"]) <= dr
    if snr is not None:
        ok &= np.asarray(matches["snr"]) >= snr
    if near_neighbor_dist is not None:
        ok &= np.asarray(matches["near_neighbor_dist"]) <= near_neighbor_dist
    if start is not None:
        ok &= np.asarray(matches["tstart"]) >= start
    if stop is not None:
        ok &= np.asarray(matches["tstart"]) <= stop
    grating = np.asarray(matches["grating"]) == "NONE"
    if r_angle is not None:
        ok &= ~grating | (np.asarray(matches["r_angle"]) <= r_angle)
    if r_angle_grating is not None:
        ok &= grating | (np.asarray(matches["r_angle"]) <= r_angle_grating)
    if sim_z is not None:
        nominal = np.array([NOMINAL_SIM_Z.get(str(d), 0.0) for d in matches["detector"]])
        ok &= np.abs(np.asarray(matches["sim_z"]) - nominal) <= sim_z
    if exclude_bad_targets:
        ok &= ~bad_target_mask(matches)
    if exclude_regions and regions is not None:
        ok &= ~excluded_regions_mask(matches, regions)
    if exclude_categories:
        ok &= np.array([c not in exclude_categories for c in matches["category"]], dtype=bool)
    for column, value in kwargs.items():
        if isinstance(value, list):
            ok &= np.array([v in value for v in matches[column]], dtype=bool)
        else:
            ok &= np.asarray(matches[column]) == value
    return ok


def get_cross_matches(tables: dict[str, Table], name: str = "astromon_21", **kwargs: Any) -> Table:
    """``get_cross_matches`` on in-memory tables: select, three joins, derived columns, filter.

    ``tables`` maps the astromon table names (astromon_xcorr, astromon_obs, astromon_cat_src,
    astromon_xray_src) to their contents; ``kwargs`` go to :func:`filter_matches`.
    """
    xcorr = tables["astromon_xcorr"]
    xcorr = xcorr[xcorr["select_name"] == name]
    cat = _rename(
        tables["astromon_cat_src"],
        {
            "id": "c_id",
            "ra": "c_ra",
            "dec": "c_dec",
            "y_angle": "c_y_angle",
            "z_angle": "c_z_angle",
        },
    )
    cat.remove_column("x_id")
    xray = _rename(
        tables["astromon_xray_src"],
        {
            "id": "x_id",
            "ra": "x_ra",
            "dec": "x_dec",
            "y_angle": "x_y_angle",
            "z_angle": "x_z_angle",
        },
    )
    matches = join(xcorr, tables["astromon_obs"], keys="obsid")
    matches = join(matches, cat, keys=["obsid", "c_id"])
    matches = join(matches, xray, keys=["obsid", "x_id"])
    matches = _add_derived_columns(matches)
    matches = matches[filter_matches(matches, **kwargs)]
    matches.add_index("obsid")
    return matches
