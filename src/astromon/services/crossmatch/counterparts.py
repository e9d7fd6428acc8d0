"""Catalog counterparts of x-ray sources: the rough match and the numbering of counterparts.

:func:`rough_match` asks a :class:`~astromon.ports.catalog.CatalogService` for the stars of
each catalog around all the x-ray sources of one observation (one query per catalog) and pairs
every star with every source closer than the radius. :func:`number_counterparts` turns the
result into ``astromon_cat_src`` rows: ``id`` = 0..n-1 and focal-plane angles from the
observation's attitude.

Units: ra, dec in degrees; radius, separation, y_angle and z_angle in arcsec.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from astropy.table import Column, Table, vstack
from numpy.typing import NDArray

from astromon.domain.catalogs import (
    COUNTERPART_COLUMNS,
    DEFAULT_ROUGH_MATCH_CATALOGS,
    validate_catalog_names,
)
from astromon.domain.errors import CatalogError, SchemaError, ValidationError
from astromon.domain.geometry import radec_to_yz
from astromon.domain.schema import to_schema
from astromon.domain.sky_pairs import sky_pairs
from astromon.domain.time import CxoTime
from astromon.ports.catalog import CatalogService

__all__ = [
    "CATALOG_FAILURES",
    "ROUGH_MATCH_COLUMNS",
    "empty_rough_match",
    "number_counterparts",
    "observation_epoch",
    "rough_match",
]

logger = logging.getLogger(__name__)

ROUGH_MATCH_COLUMNS = ("catalog", "name", "ra", "dec", "mag", "x_id", "separation")
"""Columns of :func:`rough_match` results."""

CATALOG_FAILURES = "catalog_failures"
"""Key of ``rough_match(...).meta`` holding ``{catalog: error message}`` of the catalogs that
could not be searched."""

_DTYPES = {
    "catalog": "<U1",
    "name": "<U1",
    "ra": "float64",
    "dec": "float64",
    "mag": "float32",
    "x_id": "int32",
    "separation": "float32",
}


def empty_rough_match() -> Table:
    """A typed :func:`rough_match` result without rows."""
    return _formatted(
        Table([Column(np.zeros(0, dtype=_DTYPES[c]), name=c) for c in ROUGH_MATCH_COLUMNS])
    )


def observation_epoch(time: Any) -> float:
    """Julian epoch (years, TT) of ``time`` (a CxoTime or anything CxoTime accepts).

    Raises
    ------
    ValidationError
        ``time`` is not a single valid time.
    """
    try:
        value = time if isinstance(time, CxoTime) else CxoTime(time)
        epoch = np.asarray(value.jyear, dtype=np.float64)
    except Exception as exc:
        raise ValidationError(f"invalid observation time {time!r}: {exc}") from exc
    if epoch.size != 1 or not np.isfinite(epoch).all():
        raise ValidationError(f"observation time must be a single valid time, got {time!r}")
    return float(epoch.reshape(()))


def rough_match(
    catalog_service: CatalogService,
    sources: Table | Any,
    time: Any,
    *,
    radius_arcsec: float = 3.0,
    catalogs: str | Iterable[str] = DEFAULT_ROUGH_MATCH_CATALOGS,
) -> Table:
    """Catalog stars closer than ``radius_arcsec`` to the x-ray sources of one observation.

    Each catalog is queried once for all the sources, and gives its stars where they were at
    the epoch of ``time``: moved from their own epoch with their proper motions, or, for a star
    or a catalog without motion, where the catalog puts them. Every star is paired with every
    source closer than the radius (a star near two sources gives two rows). A catalog that
    cannot be searched (a server error, an answer without an expected column) does not stop
    the others: the failure is logged with the catalog and the obsid and recorded in the
    result's ``meta["catalog_failures"]`` (``{catalog: message}``), and the other catalogs'
    counterparts are kept.

    Parameters
    ----------
    catalog_service : CatalogService
        Where the stars come from (VizieR, a local catalog file, a fake).
    sources : astropy.table.Table
        X-ray sources with columns ``ra``, ``dec`` (degrees), ``id`` and optionally ``obsid``
        (a single value).
    time : CxoTime-compatible
        Time of the observation.
    radius_arcsec : float
        Maximum separation in arcsec (strict: ``separation < radius_arcsec``).
    catalogs : str or iterable of str
        Registered catalog names (see :mod:`astromon.domain.catalogs`).

    Returns
    -------
    astropy.table.Table
        Columns catalog, name, ra, dec (degrees), mag, x_id (the source ``id``) and
        separation (arcsec); rows ordered by catalog (in the order of ``catalogs``), x_id and
        separation. Empty (typed) when there are no sources.

    Raises
    ------
    SchemaError
        ``sources`` lacks ra, dec or id (named in the message).
    ValidationError
        Several obsids, unknown catalogs, a bad radius, time or position.
    CatalogError
        No catalog can be searched; the message names each catalog, the service and obsid.
    """
    names = validate_catalog_names(catalogs)
    radius = _check_radius(radius_arcsec)
    table = _as_table(sources)
    missing = [c for c in ("ra", "dec", "id") if c not in table.colnames]
    if missing:
        raise SchemaError(f"rough_match: sources lack the columns {missing} (got {table.colnames})")
    obsid = _single_obsid(table)
    epoch = observation_epoch(time)
    if len(table) == 0:
        return empty_rough_match()
    ra, dec, x_id = _source_values(table)
    parts = []
    failures: dict[str, str] = {}
    where = f"obsid {obsid}" if obsid is not None else "sources without obsid"
    for catalog in names:
        try:
            stars = catalog_service.query(catalog, ra, dec, radius, epoch)
            _check_stars(stars, catalog)
        except CatalogError as exc:
            failures[catalog] = f"{where}: {exc}"
            logger.warning("rough_match: catalog %s failed for obsid %s: %s", catalog, obsid, exc)
            continue
        pairs = _pair(stars, ra, dec, x_id, radius)
        logger.debug(
            "rough_match obsid=%s catalog=%s stars=%d pairs=%d",
            obsid,
            catalog,
            len(stars),
            len(pairs),
        )
        if len(pairs):
            parts.append(pairs)
    if failures and len(failures) == len(names):
        raise CatalogError("; ".join(failures.values()))
    if not parts:
        result = empty_rough_match()
    else:
        stacked = vstack(parts, join_type="exact", metadata_conflicts="silent")
        result = _formatted(Table(stacked, masked=False))
    result.meta[CATALOG_FAILURES] = failures
    return result


def number_counterparts(cat_src: Table, observation: Mapping[str, Any] | Any) -> Table:
    """``astromon_cat_src`` rows of one observation's counterparts.

    ``id`` = 0..n-1 in row order, ``obsid`` from the observation, and ``y_angle``/``z_angle``
    (arcsec) of each counterpart's ra/dec for the observation's attitude (ra, dec, roll).

    Parameters
    ----------
    cat_src : astropy.table.Table
        Counterparts, e.g. from :func:`rough_match` (columns x_id, catalog, name, ra, dec,
        separation, mag; an ``obsid`` column, if present, must match the observation).
    observation : mapping or table row
        The ``astromon_obs`` row: obsid, ra, dec, roll (degrees).

    Returns
    -------
    astropy.table.Table
        The rows in the ``astromon_cat_src`` schema.

    Raises
    ------
    SchemaError
        Missing columns in ``cat_src`` or keys in ``observation`` (named in the message).
    ValidationError
        ``cat_src`` holds rows of another obsid, or the attitude is not finite.
    """
    table = _as_table(cat_src)
    needed = ["x_id", "catalog", "name", "ra", "dec", "separation", "mag"]
    missing = [c for c in needed if c not in table.colnames]
    if missing:
        raise SchemaError(f"counterparts lack the columns {missing} (got {table.colnames})")
    obs = _observation_values(observation)
    obsid = int(obs["obsid"])
    if "obsid" in table.colnames and len(table):
        others = sorted({int(v) for v in np.asarray(table["obsid"])} - {obsid})
        if others:
            raise ValidationError(
                f"counterparts of obsids {others} cannot be numbered for obsid {obsid}"
            )
    out = Table(table, copy=True, masked=False)
    n = len(out)
    out["obsid"] = np.full(n, obsid, dtype=np.int32)
    out["id"] = np.arange(n, dtype=np.int32)
    y, z = radec_to_yz(
        np.asarray(out["ra"], dtype=np.float64),
        np.asarray(out["dec"], dtype=np.float64),
        obs["ra"],
        obs["dec"],
        obs["roll"],
    )
    out["y_angle"] = np.atleast_1d(y)
    out["z_angle"] = np.atleast_1d(z)
    return to_schema("astromon_cat_src", out)


# --- helpers ------------------------------------------------------------------------------


def _as_table(data: Any) -> Table:
    if isinstance(data, Table):
        return data
    try:
        return Table(data)
    except Exception as exc:
        raise SchemaError(f"cannot make a table of {type(data).__name__}: {exc}") from exc


def _check_radius(radius_arcsec: Any) -> float:
    try:
        radius = float(radius_arcsec)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"radius must be a number of arcsec, got {radius_arcsec!r}") from exc
    if not math.isfinite(radius) or radius <= 0:
        raise ValidationError(f"radius must be finite and > 0 arcsec, got {radius_arcsec!r}")
    return radius


def _single_obsid(table: Table) -> int | None:
    if "obsid" not in table.colnames or len(table) == 0:
        return None
    obsids = sorted({int(v) for v in np.asarray(table["obsid"])})
    if len(obsids) > 1:
        raise ValidationError(
            f"rough_match works on one observation at a time; sources hold obsids {obsids}"
        )
    return obsids[0]


def _source_values(
    table: Table,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int32]]:
    try:
        ra = np.asarray(_filled(table["ra"]), dtype=np.float64)
        dec = np.asarray(_filled(table["dec"]), dtype=np.float64)
        ids = np.asarray(_filled(table["id"]))
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"sources ra/dec/id must be numeric: {exc}") from exc
    bad = ~np.isfinite(ra) | ~np.isfinite(dec) | (np.abs(dec) > 90.0)
    if bad.any():
        rows = np.flatnonzero(bad)[:10].tolist()
        raise ValidationError(
            f"sources have invalid positions (ra/dec not finite or |dec| > 90) at rows {rows}"
        )
    if ids.dtype.kind not in "iu" and not (
        ids.dtype.kind == "f" and np.all(np.isfinite(ids)) and np.all(ids == np.round(ids))
    ):
        raise SchemaError(f"sources id must be integers, got dtype {ids.dtype}")
    return ra, dec, ids.astype(np.int32)


def _filled(column: Any) -> Any:
    if isinstance(column, np.ma.MaskedArray) and np.ma.is_masked(column):
        if column.dtype.kind == "f":
            return column.filled(np.nan)
        raise ValidationError(f"column {getattr(column, 'name', '')!r} has masked values")
    return column


def _check_stars(stars: Any, catalog: str) -> None:
    if not isinstance(stars, Table):
        raise CatalogError(
            f"catalog {catalog!r}: the catalog service returned {type(stars).__name__}, not a Table"
        )
    missing = [c for c in COUNTERPART_COLUMNS if c not in stars.colnames]
    if missing:
        raise CatalogError(
            f"catalog {catalog!r}: the catalog service returned a table without {missing}"
        )


def _pair(
    stars: Table,
    ra: NDArray[np.float64],
    dec: NDArray[np.float64],
    x_id: NDArray[np.int32],
    radius: float,
) -> Table:
    """Every (star, source) pair closer than ``radius`` arcsec, one row per pair."""
    if len(stars) == 0:
        return empty_rough_match()[:0]
    s_ra = np.asarray(_filled(stars["ra"]), dtype=np.float64)
    s_dec = np.asarray(_filled(stars["dec"]), dtype=np.float64)
    star_idx, src_idx, sep = sky_pairs(s_ra, s_dec, ra, dec, radius)
    if len(star_idx) == 0:
        return empty_rough_match()[:0]
    keep = sep < radius
    star_idx, src_idx, sep = star_idx[keep], src_idx[keep], sep[keep]
    order = np.lexsort((sep, x_id[src_idx]))
    star_idx, src_idx, sep = star_idx[order], src_idx[order], sep[order]
    mag = stars["mag"]
    mag_values = (
        mag.filled(np.nan) if isinstance(mag, np.ma.MaskedArray) else np.asarray(mag)
    ).astype(np.float32)
    return Table(
        [
            Column(np.asarray(stars["catalog"]).astype(str)[star_idx], name="catalog"),
            Column(np.asarray(stars["name"]).astype(str)[star_idx], name="name"),
            Column(s_ra[star_idx], name="ra"),
            Column(s_dec[star_idx], name="dec"),
            Column(mag_values[star_idx], name="mag"),
            Column(x_id[src_idx], name="x_id"),
            Column(sep.astype(np.float32), name="separation"),
        ]
    )


def _formatted(table: Table) -> Table:
    for name in ("ra", "dec"):
        table[name].format = ".4f"
        table[name].unit = "deg"
    for name in ("mag", "separation"):
        table[name].format = ".2f"
    table["separation"].unit = "arcsec"
    return table


def _observation_values(observation: Any) -> dict[str, float]:
    values: dict[str, float] = {}
    missing = []
    for key in ("obsid", "ra", "dec", "roll"):
        try:
            values[key] = float(np.asarray(observation[key]).reshape(-1)[0])
        except (KeyError, IndexError, TypeError, ValueError):
            missing.append(key)
    if missing:
        raise SchemaError(f"the observation lacks {missing} (needs obsid, ra, dec, roll)")
    bad = [k for k, v in values.items() if not math.isfinite(v)]
    if bad:
        raise ValidationError(f"the observation has non-finite values for {bad}: {values}")
    return values
