"""Excluded-region bookkeeping: ids, hashed id strings, add / remove / update / sync.

Every function here is pure: it takes the stored regions (an ``astromon_regions`` table) and
``last_region_id`` (from ``astromon_meta``) and returns new ones. Stores apply the result in
one transaction (:meth:`astromon.ports.store.Store.modify_regions`).

Rules:

* New regions get ``region_id`` = ``last_region_id + 1, + 2, ...``; ``last_region_id`` only
  grows, so an id is never reused, even after its region was removed.
* ``region_id_str`` is the first 10 hex characters of the SHA-256 digest of the row's text
  (:func:`region_text`); while it equals a stored id string (or one given earlier in the same
  batch) the full hex digest is hashed again.
* ``last_modified`` is a Chandra date given by the caller (from the Clock port).
* Sync matches rows on ``region_id_str``, never on ``region_id``.

The user-given columns and their checks are in :mod:`astromon.domain.region_values`.

Units: ``ra``/``dec`` in degrees, ``radius`` in arcsec.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from astropy.table import Table, vstack
from numpy.typing import NDArray

from astromon.domain.column_conversion import not_whole, outside_integers
from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.geometry import angular_separation_arcsec
from astromon.domain.region_values import (
    _TABLE,
    REGION_FIELDS,
    _fill_ids,
    as_input_table,
    as_obsids,
    prepare_new_regions,
    radius_to_arcsec,
    validate_region_values,
)
from astromon.domain.region_values import MAX_RADIUS_ARCSEC as MAX_RADIUS_ARCSEC
from astromon.domain.schema import empty_table, to_schema, validate_text
from astromon.domain.time import CxoTime

__all__ = [
    "REGION_FIELDS",
    "add_regions",
    "as_obsids",
    "hash_region_id",
    "prepare_new_regions",
    "radius_to_arcsec",
    "region_text",
    "regions_for_observation",
    "remove_regions",
    "sync_regions",
    "update_regions",
    "validate_region_values",
]


def region_text(row: Mapping[str, Any]) -> str:
    """The text of a region row that its hashed id is computed from.

    Tab-separated: region_id, last_modified, ra, dec, radius, obsid, user, comments (floats
    written with ``repr`` so that every digit counts).
    """
    return "\t".join(
        [
            str(int(row["region_id"])),
            str(row["last_modified"]),
            repr(float(row["ra"])),
            repr(float(row["dec"])),
            repr(float(row["radius"])),
            str(int(row["obsid"])),
            str(row["user"]),
            str(row["comments"]),
        ]
    )


def hash_region_id(text: str, taken: Iterable[str]) -> str:
    """First 10 hex characters of SHA-256 of ``text``, re-hashed until not in ``taken``.

    Re-hashing takes the SHA-256 of the previous full hex digest.
    """
    used = set(taken)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    while digest[:10] in used:
        digest = hashlib.sha256(digest.encode("ascii")).hexdigest()
    return digest[:10]


def _sorted(regions: Table) -> Table:
    table = to_schema(_TABLE, regions)
    order = np.argsort(np.asarray(table["region_id"]), kind="stable")
    return table[order]


def _stored(regions: Table | None) -> Table:
    return empty_table(_TABLE) if regions is None else to_schema(_TABLE, regions)


def add_regions(
    regions: Table | None, last_region_id: int, new: Any, now: str
) -> tuple[Table, int, Table]:
    """Add regions with fresh ids.

    Parameters
    ----------
    regions : astropy.table.Table or None
        The stored regions (None: none).
    last_region_id : int
        ``astromon_meta.last_region_id`` (0 when there is none).
    new : Table-compatible
        The regions to add (see :func:`prepare_new_regions`).
    now : str
        The current time as a Chandra date, stored as ``last_modified``.

    Returns
    -------
    (all regions, new last_region_id, added rows)
        All regions sorted by ``region_id``.
    """
    stored = _stored(regions)
    fields = prepare_new_regions(new)
    n = len(fields)
    start = max(int(last_region_id), int(np.max(stored["region_id"])) if len(stored) else 0)
    ids = np.arange(start + 1, start + 1 + n, dtype=np.int32)
    added = _fill_ids(fields, ids, [""] * n, [now] * n)
    taken = {str(s) for s in stored["region_id_str"]}
    id_strs = []
    for row in added:
        id_str = hash_region_id(region_text(row), taken)
        taken.add(id_str)
        id_strs.append(id_str)
    added["region_id_str"] = np.asarray(id_strs, dtype=str)
    added = to_schema(_TABLE, added)
    combined = vstack([stored, added], join_type="exact") if len(stored) else added
    return _sorted(combined), start + n, added


def remove_regions(regions: Table | None, ids: Any) -> tuple[Table, Table]:
    """Remove regions by ``region_id``; unknown ids are ignored.

    Parameters
    ----------
    regions : astropy.table.Table or None
        The stored regions.
    ids : int or sequence of int
        Region ids to remove.

    Returns
    -------
    (remaining regions, removed rows)

    Raises
    ------
    ValidationError
        ``ids`` are not integers.
    """
    stored = _stored(regions)
    try:
        wanted = np.atleast_1d(np.asarray(ids))
        integral = wanted.dtype.kind in "iuf" and not bool(
            np.any(not_whole(wanted) | outside_integers(wanted, np.int64))
        )
        if wanted.size and not integral:
            raise TypeError
        wanted = wanted.astype(np.int64)
    except (TypeError, ValueError):
        raise ValidationError(f"region ids must be integers, got {ids!r}") from None
    drop = np.isin(np.asarray(stored["region_id"], dtype=np.int64), wanted)
    return _sorted(stored[~drop]), stored[drop]


def update_regions(regions: Table | None, updates: Any, now: str) -> tuple[Table, Table]:
    """Replace stored regions that differ from ``updates`` (matched on ``region_id_str``).

    Columns of :data:`REGION_FIELDS` present in ``updates`` replace the stored values (absent
    ones keep them); ``region_id`` and ``region_id_str`` never change. A row that changes gets
    ``last_modified = now``; identical rows are untouched; nothing is removed; rows whose
    ``region_id_str`` is not stored are ignored.

    Parameters
    ----------
    regions : astropy.table.Table or None
        The stored regions.
    updates : Table-compatible
        Rows with ``region_id_str`` and any of :data:`REGION_FIELDS`.
    now : str
        The current time as a Chandra date.

    Returns
    -------
    (all regions sorted by region_id, changed rows)

    Raises
    ------
    SchemaError
        ``updates`` has no ``region_id_str`` column or a column of the wrong type.
    ValidationError
        Invalid values, or the same ``region_id_str`` given twice.
    """
    stored = _stored(regions)
    table = as_input_table(updates, "regions")
    if "region_id_str" not in table.colnames:
        raise SchemaError(
            f"regions to update need a region_id_str column; they have {table.colnames}"
        )
    keys = np.asarray(table["region_id_str"]).astype(str)
    _check_unique(keys, "regions to update")
    stored_keys = np.asarray(stored["region_id_str"]).astype(str)
    position = {key: i for i, key in enumerate(stored_keys)}
    pairs = [(j, position[key]) for j, key in enumerate(keys) if key in position]
    if not pairs:
        return _sorted(stored), stored[:0]
    src = np.array([j for j, _ in pairs], dtype=np.int64)
    dst = np.array([i for _, i in pairs], dtype=np.int64)
    given = [c for c in REGION_FIELDS if c in table.colnames]
    candidate = Table(stored[dst], copy=True)
    for name in given:
        candidate[name] = table[name][src]
    candidate = to_schema(_TABLE, candidate)
    validate_region_values(candidate)
    validate_text(_TABLE, candidate)
    differs = np.zeros(len(candidate), dtype=np.bool_)
    for name in given:
        differs |= np.asarray(candidate[name]) != np.asarray(stored[name][dst])
    changed = candidate[differs]
    changed["last_modified"] = np.array([now] * len(changed), dtype=str)
    changed = to_schema(_TABLE, changed)
    keep = np.ones(len(stored), dtype=np.bool_)
    keep[dst[differs]] = False
    return _sorted(_stack(stored[keep], changed)), changed


def _stack(first: Table, second: Table) -> Table:
    """Rows of both (schema tables), strings widened as needed."""
    if not len(second):
        return first
    if not len(first):
        return second
    return to_schema(_TABLE, vstack([first, second], join_type="exact"))


def _check_unique(keys: NDArray[Any], what: str) -> None:
    unique, counts = np.unique(keys, return_counts=True)
    if (counts > 1).any():
        raise ValidationError(f"region_id_str {unique[counts > 1][0]!r} appears twice in {what}")


def _date_secs(dates: NDArray[Any], what: str) -> NDArray[np.float64]:
    """CXC seconds of Chandra dates (``last_modified``)."""
    if len(dates) == 0:
        return np.zeros(0)
    try:
        secs: NDArray[np.float64] = np.asarray(CxoTime(dates.astype(str)).secs, dtype=np.float64)
    except Exception:
        raise ValidationError(
            f"last_modified of {what} must be Chandra dates (YYYY:DDD:hh:mm:ss.sss), "
            f"got e.g. {str(dates[0])!r}"
        ) from None
    return np.atleast_1d(secs)


def sync_regions(
    source: Table | None, target: Table | None, target_last_id: int, remove: bool = False
) -> tuple[Table, int]:
    """The regions of ``target`` after synchronising them from ``source``.

    * For ids (``region_id_str``) in both: the source row replaces the target row when its
      ``last_modified`` is later; the target's ``region_id`` is kept.
    * With ``remove``: target rows whose id is absent from ``source`` are deleted.
    * Source rows absent from ``target`` are appended; those whose ``region_id`` is already
      used in ``target`` get new ids counting up from ``target_last_id + 1``.
    * ``last_region_id`` becomes the largest of ``target_last_id`` and the ids present, so ids
      are never reused.

    Parameters
    ----------
    source, target : astropy.table.Table or None
        Regions of the file synchronised from and of the file synchronised to.
    target_last_id : int
        ``last_region_id`` of the target file.
    remove : bool
        Delete target rows absent from the source.

    Returns
    -------
    (regions sorted by region_id, new last_region_id)
    """
    src = _stored(source)
    dst = _stored(target)
    src_keys = np.asarray(src["region_id_str"]).astype(str)
    dst_keys = np.asarray(dst["region_id_str"]).astype(str)
    _check_unique(src_keys, "the source regions")
    _check_unique(dst_keys, "the target regions")
    src_pos = {key: i for i, key in enumerate(src_keys)}
    src_time = _date_secs(np.asarray(src["last_modified"]), "the source regions")
    dst_time = _date_secs(np.asarray(dst["last_modified"]), "the target regions")

    keep = np.ones(len(dst), dtype=np.bool_)
    replaced_src: list[int] = []
    replaced_ids: list[int] = []
    for i, key in enumerate(dst_keys):
        j = src_pos.get(key)
        if j is None:
            keep[i] = not remove
        elif src_time[j] > dst_time[i]:
            keep[i] = False
            replaced_src.append(j)
            replaced_ids.append(int(dst["region_id"][i]))
    replaced = Table(src[np.asarray(replaced_src, dtype=np.int64)], copy=True)
    replaced["region_id"] = np.asarray(replaced_ids, dtype=np.int32)
    result = _stack(dst[keep], to_schema(_TABLE, replaced))

    new_rows = Table(src[~np.isin(src_keys, dst_keys)], copy=True)
    last_id = max(int(target_last_id), int(np.max(result["region_id"])) if len(result) else 0)
    if len(new_rows):
        used = {int(v) for v in np.asarray(result["region_id"])}
        ids = np.asarray(new_rows["region_id"], dtype=np.int64).copy()
        for k, region_id in enumerate(ids):
            if int(region_id) in used or region_id <= 0:
                last_id += 1
                ids[k] = last_id
            used.add(int(ids[k]))
        new_rows["region_id"] = ids.astype(np.int32)
        result = _stack(result, to_schema(_TABLE, new_rows))
        last_id = max(last_id, int(np.max(result["region_id"])))
    return _sorted(result), last_id


def regions_for_observation(
    regions: Table, obsid: int, pointing: tuple[float, float] | None, radius_arcsec: float
) -> Table:
    """Regions of one observation.

    Parameters
    ----------
    regions : astropy.table.Table
        ``astromon_regions`` rows.
    obsid : int
        The observation.
    pointing : (ra, dec) in degrees, or None
        The observation's pointing (None when unknown: only the obsid rule applies).
    radius_arcsec : float
        Search radius around the pointing, arcsec.

    Returns
    -------
    astropy.table.Table
        Rows whose ``obsid`` equals ``obsid`` or whose centre is within ``radius_arcsec`` of
        the pointing (inclusive).
    """
    table = _stored(regions)
    mask = np.asarray(table["obsid"]) == int(obsid)
    if pointing is not None and len(table):
        separation = angular_separation_arcsec(
            np.asarray(table["ra"]), np.asarray(table["dec"]), pointing[0], pointing[1]
        )
        mask |= separation <= radius_arcsec
    return table[mask]
