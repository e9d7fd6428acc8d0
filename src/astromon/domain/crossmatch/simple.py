"""The ``simple`` cross-match of x-ray sources with catalog counterparts, vectorised.

Counterparts find their x-ray source and sources their observation through composite keys
(:mod:`astromon.domain.crossmatch.keys`); the choice of one counterpart per source is one sort
by source plus per-source minima. No Python loop runs per source or per observation.

Units: ``ra``/``dec`` in degrees; ``y_angle``, ``z_angle``, ``r_angle``, ``dy``, ``dz``, ``dr``,
``separation`` and ``near_neighbor_dist`` in arcsec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from astropy.table import Column, Table
from numpy.typing import ArrayLike, NDArray

from astromon.domain.crossmatch.arguments import SimpleCrossMatchArgs
from astromon.domain.crossmatch.columns import JOINED_COLUMNS
from astromon.domain.crossmatch.keys import composite_key, lookup
from astromon.domain.crossmatch.tables import (
    Mapper,
    build_table,
    column_values,
    require_columns,
    sequential_map,
)
from astromon.domain.errors import ValidationError
from astromon.domain.schema import TABLES
from astromon.domain.time import CxoTime

__all__ = ["catalog_order", "date_obs_mask", "simple_cross_match"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def date_obs_mask(date_obs: ArrayLike, start: Any = None, stop: Any = None) -> BoolArray:
    """``start < date_obs <= stop`` (each bound optional) for ISO ``date_obs`` strings (UTC).

    Raises
    ------
    ValidationError
        A ``date_obs`` value or a bound is not a valid time (the value is named).
    """
    dates = np.asarray(date_obs)
    mask: BoolArray = np.ones(len(dates), dtype=np.bool_)
    if start is None and stop is None:
        return mask
    try:
        times = dates.astype("datetime64[us]")
    except ValueError as exc:
        raise ValidationError(f"invalid date_obs value: {exc}") from None
    for bound, name in ((start, "start"), (stop, "stop")):
        if bound is None:
            continue
        try:
            limit = np.datetime64(str(CxoTime(bound).utc.isot), "us")
        except Exception as exc:
            raise ValidationError(f"{name}={bound!r} is not a valid time ({exc})") from None
        mask &= (times > limit) if name == "start" else (times <= limit)
    return mask


def catalog_order(
    catalog: NDArray[Any], catalogs: Sequence[str], mapper: Mapper = sequential_map
) -> NDArray[np.int16]:
    """Position of each row's catalog in ``catalogs``; -1 where it is not listed.

    Unicode strings are screened by their first code point (an integer compare over all
    rows) and only the rows that pass are compared in full.
    """
    n = len(catalog)
    if len(catalogs) > np.iinfo(np.int16).max:
        raise ValidationError(f"too many catalogs ({len(catalogs)})")
    order: NDArray[np.int16] = np.full(n, -1, dtype=np.int16)
    if n == 0:
        return order
    if catalog.dtype.kind != "U" or catalog.dtype.itemsize < 4:
        for position, name in enumerate(catalogs):
            order[catalog == name] = position
        return order
    width = catalog.dtype.itemsize // 4
    codes = np.ascontiguousarray(catalog).view(np.uint32).reshape(n, width)
    targets = [
        (position, name, np.array([name], dtype=catalog.dtype).view(np.uint32)[0])
        for position, name in enumerate(catalogs)
        if len(name) <= width  # a longer name matches no stored value
    ]

    def screen(bounds: tuple[int, int]) -> None:
        start, stop = bounds
        first = codes[start:stop, 0].copy()
        for position, name, code in targets:
            rows = start + np.flatnonzero(first == code)
            order[rows[catalog[rows] == name]] = position

    # chunks write disjoint slices of ``order``
    chunk = max(1, -(-n // 4))
    mapper(screen, [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)], chunk)
    return order


def _best_per_group(
    obsid: IntArray, x_id: IntArray, cat_order: IntArray, dr: NDArray[Any], c_id: IntArray
) -> IntArray:
    """Row with the lowest (cat_order, dr, c_id) of each (obsid, x_id), sorted by obsid, x_id.

    One sort by group, then per-group minima (:func:`numpy.minimum.reduceat`), instead of a
    sort on every key.
    """
    if len(obsid) == 0:
        return np.zeros(0, dtype=np.int64)
    group = composite_key(obsid, x_id)  # sorts like (obsid, x_id)
    # non-negative float32 values sort like their bit patterns: (cat_order, dr) as one int64
    rank = np.asarray(cat_order, dtype=np.int64) << np.int64(32)
    rank |= np.asarray(dr, dtype=np.float32).view(np.uint32)
    order = np.argsort(group)
    group = group[order]
    starts = np.ones(len(group), dtype=np.bool_)
    starts[1:] = group[1:] != group[:-1]
    group_of_row = np.cumsum(starts) - 1
    first_rows = np.flatnonzero(starts)
    rank = rank[order]
    lowest = rank == np.minimum.reduceat(rank, first_rows)[group_of_row]
    ids = np.where(lowest, c_id[order], np.iinfo(np.int64).max)
    chosen = lowest & (ids == np.minimum.reduceat(ids, first_rows)[group_of_row])
    rows = np.flatnonzero(chosen)
    # one row per group even if a counterpart id is repeated
    keep = np.ones(len(rows), dtype=np.bool_)
    keep[1:] = group_of_row[rows[1:]] != group_of_row[rows[:-1]]
    best: IntArray = order[rows[keep]]
    return best


def _values(table: Table, table_name: str, column: str) -> NDArray[Any]:
    """Column values in the schema type (no copy when already of that type)."""
    return column_values(table, column, TABLES[table_name].column(column).dtype)


def simple_cross_match(
    astromon_obs: Table,
    astromon_xray_src: Table,
    astromon_cat_src: Table,
    args: SimpleCrossMatchArgs,
    mapper: Mapper = sequential_map,
) -> Table:
    """The ``simple`` cross-match, vectorised.

    1. x-ray sources with ``snr > args.snr`` and
       ``near_neighbor_dist > args.near_neighbor_dist``;
    2. counterparts whose catalog is in ``args.catalogs``;
    3. observations with ``args.start < date_obs <= args.stop`` (bounds optional);
    4. join on obsid and (obsid, x_id);
    5. ``dy = x_y_angle - c_y_angle``, ``dz = x_z_angle - c_z_angle``, ``dr = hypot(dy, dz)``
       (arcsec), ``cat_order`` = position of the catalog in ``args.catalogs``;
    6. ``r_angle < args.r_angle`` (grating ``NONE``) or ``r_angle < args.r_angle_grating``
       (other gratings), then ``dr < args.dr``;
    7. per (obsid, x_id) the row with the lowest ``cat_order``, ties broken by the lowest
       ``dr`` and then the lowest ``c_id``;
    8. ``select_name = args.name``.

    ``mapper`` runs the catalog screen and the column gathers (in order by default).

    Returns
    -------
    astropy.table.Table
        :data:`CROSS_MATCH_COLUMNS` plus ``cat_order``, sorted by obsid, x_id; empty (with
        those columns) when nothing matches.

    Raises
    ------
    SchemaError
        An input table lacks a needed column (named in the message).
    ValidationError
        Duplicate keys in the inputs, or invalid dates.
    """
    obs, xray, cat = astromon_obs, astromon_xray_src, astromon_cat_src
    require_columns(obs, TABLES["astromon_obs"].names, "astromon_obs")
    require_columns(xray, TABLES["astromon_xray_src"].names, "astromon_xray_src")
    require_columns(cat, TABLES["astromon_cat_src"].names, "astromon_cat_src")

    def x_col(name: str) -> NDArray[Any]:
        return _values(xray, "astromon_xray_src", name)

    def c_col(name: str) -> NDArray[Any]:
        return _values(cat, "astromon_cat_src", name)

    def o_col(name: str) -> NDArray[Any]:
        return _values(obs, "astromon_obs", name)

    # 2-3: selections of counterparts and observations
    cat_order_all = catalog_order(c_col("catalog"), args.catalogs, mapper)
    c_sel = np.flatnonzero(cat_order_all >= 0)
    o_sel = np.flatnonzero(date_obs_mask(o_col("date_obs"), args.start, args.stop))

    # 4: counterparts -> x-ray sources (then 1), x-ray sources -> observations (kept by 3)
    xray_obsid = x_col("obsid")
    x_pos, x_found = lookup(
        composite_key(xray_obsid, x_col("id")),
        composite_key(c_col("obsid")[c_sel], c_col("x_id")[c_sel]),
        "astromon_xray_src",
    )
    c_rows, x_rows = c_sel[x_found], x_pos[x_found]
    # thresholds compare in the columns' float32: one beyond its range is infinity (exact)
    with np.errstate(over="ignore"):
        x_ok = (x_col("snr")[x_rows] > args.snr) & (
            x_col("near_neighbor_dist")[x_rows] > args.near_neighbor_dist
        )
    c_rows, x_rows = c_rows[x_ok], x_rows[x_ok]
    obs_obsid = o_col("obsid")
    o_pos, o_found = lookup(
        composite_key(obs_obsid[o_sel], 0), composite_key(xray_obsid[x_rows], 0), "astromon_obs"
    )
    c_rows, x_rows, o_rows = c_rows[o_found], x_rows[o_found], o_sel[o_pos[o_found]]

    # 5: offsets (in the stored float32 precision)
    dy = x_col("y_angle")[x_rows] - c_col("y_angle")[c_rows]
    dz = x_col("z_angle")[x_rows] - c_col("z_angle")[c_rows]
    dr = np.hypot(dy, dz)

    # 6: off-axis angle limit by grating, then the offset limit
    no_grating = o_col("grating") == "NONE"
    limit = np.where(no_grating, args.r_angle, args.r_angle_grating)[o_rows]
    with np.errstate(over="ignore"):
        good = np.flatnonzero((x_col("r_angle")[x_rows] < limit) & (dr < args.dr))
    c_rows, x_rows, o_rows = c_rows[good], x_rows[good], o_rows[good]
    dy, dz, dr = dy[good], dz[good], dr[good]
    cat_order = cat_order_all[c_rows].astype(np.int64)

    # 7: the best counterpart of each x-ray source
    obsid = obs_obsid[o_rows].astype(np.int64)
    x_id = x_col("id")[x_rows].astype(np.int64)
    c_id = c_col("id")[c_rows].astype(np.int64)
    best = _best_per_group(obsid, x_id, cat_order, dr, c_id)

    sources = {
        "astromon_obs": (obs, o_rows[best]),
        "astromon_cat_src": (cat, c_rows[best]),
        "astromon_xray_src": (xray, x_rows[best]),
    }
    extra = {
        "select_name": np.repeat(np.array([args.name], dtype=str), len(best)),
        "obsid": obsid[best],
        "c_id": c_id[best],
        "x_id": x_id[best],
        "dy": dy[best],
        "dz": dz[best],
        "dr": dr[best],
    }
    matches = build_table(JOINED_COLUMNS, sources, extra, mapper)
    matches["cat_order"] = Column(cat_order[best].astype(np.int32), name="cat_order")
    return matches
