"""Cross-match x-ray sources with catalog counterparts (public API).

A thin façade: arguments are relayed to :mod:`astromon.services.crossmatch.matches` and the pure
functions of :mod:`astromon.domain.crossmatch` and :mod:`astromon.domain.filters`; the database,
when needed, comes from the application object (:func:`astromon.bootstrap.current`).

Units: ``ra``/``dec`` in degrees; ``r_angle``, ``r_angle_grating``, ``dr``, ``dy``, ``dz`` and
``near_neighbor_dist`` in arcsec; ``sim_z`` in mm; times are CxoTime-compatible (CXC seconds,
Chandra dates or ISO dates).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from astropy import units as _u
from astropy.table import Table
from numpy.typing import NDArray

from astromon.bootstrap import current
from astromon.domain import alignment as _alignment
from astromon.domain import filters as _filters
from astromon.domain import validation as _check
from astromon.domain.catalogs import DEFAULT_ROUGH_MATCH_CATALOGS
from astromon.domain.crossmatch import (
    CROSS_MATCH_CATALOGS,
    CROSS_MATCH_METHODS,
    CROSS_MATCHES,
    CROSS_MATCHES_ARGS,
    SIMPLE,
    finish_matches,
)
from astromon.domain.region_values import radius_to_arcsec
from astromon.legacy.catalog_names import CROSS_MATCH_DTYPE, SIM_Z, VIZIER_CATALOGS, get_vizier
from astromon.ports.catalog import CatalogService as _CatalogService
from astromon.ports.store import DBFile, Store
from astromon.services.crossmatch import counterparts as _counterparts
from astromon.services.crossmatch import matches as _service
from astromon.services.crossmatch.parallel import parallel_map

__all__ = [
    "CROSS_MATCHES",
    "CROSS_MATCHES_ARGS",
    "CROSS_MATCH_DTYPE",
    "CROSS_MATCH_METHODS",
    "SIM_Z",
    "VIZIER_CATALOGS",
    "compute_cross_matches",
    "filter_matches",
    "fit_alignment",
    "get_bad_target_mask",
    "get_excluded_regions_mask",
    "get_vizier",
    "rough_match",
    "simple_cross_match",
]


def _open_store(dbfile: DBFile) -> Store:
    return current().store(dbfile)


def compute_cross_matches(
    name: str | None = None,
    astromon_obs: Table | None = None,
    astromon_xray_src: Table | None = None,
    astromon_cat_src: Table | None = None,
    dbfile: DBFile = None,
    exclude_regions: bool = False,
    exclude_bad_targets: bool = False,
    logging_tag: str = "",
    **kwargs: Any,
) -> Table:
    """Cross-match x-ray sources with catalog counterparts.

    Parameters
    ----------
    name : str, optional
        A standard cross-match (one of :data:`CROSS_MATCHES`: ``'astromon_21'``,
        ``'astromon_22'``, ``'default'``) or an algorithm of :data:`CROSS_MATCH_METHODS`
        (``'simple'``). Default: ``'default'`` without ``kwargs``, ``'simple'`` with them.
    astromon_obs : astropy.table.Table, optional
        Observations (as from ``db.get_table('astromon_obs')``); read from ``dbfile`` if not
        given.
    astromon_xray_src : astropy.table.Table, optional
        X-ray sources (``db.get_table('astromon_xray_src')`` or
        ``Observation.get_sources()``); read from ``dbfile`` if not given.
    astromon_cat_src : astropy.table.Table, optional
        Catalog counterparts (``db.get_table('astromon_cat_src')`` or ``rough_match``); read
        from ``dbfile`` if not given.
    dbfile : str or os.PathLike, optional
        Database file for the tables not given, read with ``db.get_table(name, dbfile)``
        (so ``db.get_table`` decides: ``$ASTROMON_FILE``... when None), and for the regions
        with ``exclude_regions``. Only opened when needed.
    exclude_regions : bool
        Drop matches whose x-ray source lies in an excluded region.
    exclude_bad_targets : bool
        Drop matches of targets known to give large residuals.
    logging_tag : str
        A string to prepend to log messages.
    **kwargs
        Arguments of the algorithm, ignored (with a warning) for a standard cross-match. For
        ``simple``: ``catalogs`` (ordered list, default ``['ICRS', 'Tycho2']``), ``snr``
        (minimum, exclusive, default 3), ``r_angle`` (arcsec, default 120), ``dr`` (arcsec,
        default 3), ``r_angle_grating`` (arcsec, default 24), ``near_neighbor_dist`` (arcsec,
        default 6), ``start``/``stop`` (times). ``select_name`` names the resulting
        cross-match (default: the algorithm's name).

    Returns
    -------
    astropy.table.Table
        One row per matched x-ray source: observation, source and counterpart columns, ``dy``,
        ``dz``, ``dr`` (arcsec), ``cat_order``, ``select_name``, ``category``, ``time``,
        ``c_loc``, ``x_loc``; indexed on obsid.

    Raises
    ------
    astromon.domain.errors.ValidationError
        Unknown name (valid ones listed) or invalid arguments.
    astromon.domain.errors.MissingTableException
        A table that was not given is absent from the database.
    """
    _check.require_text("name", name, optional=True)
    _check.require_text("logging_tag", logging_tag)
    exclude_regions = _check.require_flag("exclude_regions", exclude_regions)
    exclude_bad_targets = _check.require_flag("exclude_bad_targets", exclude_bad_targets)
    if not isinstance(dbfile, Store):
        _check.require_path("dbfile", dbfile, optional=True)
    given = {
        "astromon_obs": astromon_obs,
        "astromon_xray_src": astromon_xray_src,
        "astromon_cat_src": astromon_cat_src,
    }
    tables = {
        which: None if table is None else _check.require_table(which, table)
        for which, table in given.items()
    }
    # the tables not given are read by the service from one store, in one snapshot
    needs_store = exclude_regions or any(table is None for table in tables.values())
    return _service.compute_cross_matches(
        _open_store(dbfile) if needs_store else None,
        name,
        astromon_obs=tables["astromon_obs"],
        astromon_xray_src=tables["astromon_xray_src"],
        astromon_cat_src=tables["astromon_cat_src"],
        exclude_regions=exclude_regions,
        exclude_bad_targets=exclude_bad_targets,
        logging_tag=logging_tag,
        **kwargs,
    )


def simple_cross_match(
    astromon_obs: Table,
    astromon_xray_src: Table,
    astromon_cat_src: Table,
    name: str = "",
    catalogs: Sequence[str] = CROSS_MATCH_CATALOGS,
    snr: float = 3,
    r_angle: float = 120.0,
    dr: float = 3,
    r_angle_grating: float = 24.0,
    near_neighbor_dist: float = 6.0,
    start: Any = None,
    stop: Any = None,
    logging_tag: str = "",
) -> Table:
    """The simplest cross-match of x-ray sources with catalog counterparts.

    Keeps x-ray sources with ``snr > snr`` and ``near_neighbor_dist > near_neighbor_dist``,
    counterparts from ``catalogs``, observations with ``start < date_obs <= stop``; pairs
    with ``r_angle < r_angle`` (non-grating observations) or ``r_angle < r_angle_grating``
    (grating observations) and ``dr < dr``; then, per x-ray source, the pair of the first
    catalog in ``catalogs`` order, ties broken by the smallest ``dr``.

    This algorithm does not check whether two sources are paired with the same counterpart:
    ``near_neighbor_dist`` should be at least twice ``dr``. It is applied to rough matches
    (``rough_match``), so ``dr`` should be smaller than the radius used there.

    Parameters
    ----------
    astromon_obs, astromon_xray_src, astromon_cat_src : astropy.table.Table
        Observations, x-ray sources and catalog counterparts.
    name : str
        ``select_name`` given to the matches.
    catalogs : sequence of str or str
        Catalogs to use, in order of precedence (one name is one catalog). The arguments are
        validated as those of ``compute_cross_matches('simple', ...)``.
    snr : float
        Minimum signal-to-noise ratio (exclusive).
    r_angle : float
        Maximum off-axis angle (arcsec) in non-grating observations.
    dr : float
        Maximum x-ray to counterpart offset (arcsec).
    r_angle_grating : float
        Maximum off-axis angle (arcsec) in grating observations.
    near_neighbor_dist : float
        Minimum distance (arcsec) to the nearest other x-ray source.
    start, stop : CxoTime-compatible, optional
        Observation time range (``date_obs``).
    logging_tag : str
        Unused; kept for compatibility.

    Returns
    -------
    astropy.table.Table
        The joined columns, ``dy``, ``dz``, ``dr`` and ``cat_order``; indexed on obsid; empty
        (with those columns) when nothing matches.

    Raises
    ------
    astromon.domain.errors.ValidationError
        Negative or NaN thresholds, bad catalogs or times.
    astromon.domain.errors.SchemaError
        An input table lacks a column (named).
    """
    matches = SIMPLE(
        _check.require_table("astromon_obs", astromon_obs),
        _check.require_table("astromon_xray_src", astromon_xray_src),
        _check.require_table("astromon_cat_src", astromon_cat_src),
        mapper=parallel_map,
        name=name,
        catalogs=catalogs,
        snr=snr,
        r_angle=r_angle,
        dr=dr,
        r_angle_grating=r_angle_grating,
        near_neighbor_dist=near_neighbor_dist,
        start=start,
        stop=stop,
    )
    return finish_matches(matches)


def get_bad_target_mask(matches: Table) -> NDArray[np.bool_]:
    """Mask (True = bad) of matches of targets known to give large residuals.

    Bad targets (compared without spaces, case-insensitively, by prefix): RW Aur, Tau Boo,
    70 OPH, 16 Cyg, M87, Orion, HD 97950, HD4915. Not used in standard processing.

    Parameters
    ----------
    matches : astropy.table.Table
        Cross-matches with a ``target`` column.
    """
    return _filters.get_bad_target_mask(_check.require_table("matches", matches))


def get_excluded_regions_mask(matches: Table, regions: Table | None = None) -> NDArray[np.bool_]:
    """Mask (True = excluded) of matches whose x-ray source lies in an excluded region.

    Parameters
    ----------
    matches : astropy.table.Table
        Cross-matches with ``obsid`` and ``x_loc`` (or ``x_ra``/``x_dec``, degrees).
    regions : astropy.table.Table, optional
        Regions (``ra``, ``dec`` in degrees, ``radius`` in arcsec, ``obsid`` <= 0 for every
        observation). Default: the regions of the default database file.
    """
    _check.require_table("matches", matches)
    regions = _service.read_regions(_open_store(None)) if regions is None else regions
    return _filters.get_excluded_regions_mask(matches, _check.require_table("regions", regions))


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
    **kwargs: Any,
) -> NDArray[np.bool_]:
    """Mask (True = keep) of cross-matches passing common criteria.

    Parameters
    ----------
    matches : astropy.table.Table
        Cross-matches from ``db.get_cross_matches`` or :func:`compute_cross_matches`.
    snr : float, optional
        Keep ``snr >= snr``.
    dr : float, optional
        Keep ``dr <= dr`` (arcsec).
    r_angle : float, optional
        Keep ``r_angle <= r_angle`` (arcsec); non-grating observations only.
    start, stop : CxoTime-compatible, optional
        Keep ``start <= tstart <= stop``.
    r_angle_grating : float, optional
        Keep ``r_angle <= r_angle_grating`` (arcsec); grating observations only.
    near_neighbor_dist : float, optional
        Keep ``near_neighbor_dist <= near_neighbor_dist`` (arcsec).
    sim_z : float, optional
        Keep ``|sim_z - nominal SIM-Z of the detector| <= sim_z`` (mm); the nominal values
        are :data:`astromon.domain.filters.NOMINAL_SIM_Z` (other detectors: 0).
    exclude_regions : bool
        Drop matches in excluded regions of the default database file.
    exclude_bad_targets : bool
        Drop matches of bad targets (:func:`get_bad_target_mask`).
    exclude_categories : iterable of str
        Observation categories to drop (names, case-insensitive).
    **kwargs
        Other columns: a list value keeps rows whose value is in the list, any other value
        keeps rows equal to it. ``regions`` (a regions table) replaces the default
        database's regions for ``exclude_regions``.

    Returns
    -------
    numpy.ndarray of bool
        One value per row.

    Raises
    ------
    astromon.domain.errors.ValidationError
        Negative/NaN thresholds, unknown categories, or a keyword naming no column.
    astromon.domain.errors.SchemaError
        A column a criterion needs is missing.
    """
    exclude_regions = _check.require_flag("exclude_regions", exclude_regions)
    exclude_bad_targets = _check.require_flag("exclude_bad_targets", exclude_bad_targets)
    regions = _check.require_table("regions", kwargs.pop("regions", None), optional=True)
    if exclude_regions and regions is None:
        regions = _service.read_regions(_open_store(None))
    return _filters.filter_matches(
        _check.require_table("matches", matches),
        snr=snr,
        dr=dr,
        r_angle=r_angle,
        start=start,
        stop=stop,
        r_angle_grating=r_angle_grating,
        near_neighbor_dist=near_neighbor_dist,
        sim_z=sim_z,
        exclude_regions=exclude_regions,
        exclude_bad_targets=exclude_bad_targets,
        exclude_categories=exclude_categories,
        regions=regions,
        **kwargs,
    )


def fit_alignment(matches: Table, **options: Any) -> Table:
    """Per-observation shift, roll and errors aligning x-ray sources with catalog stars:
    :func:`astromon.domain.alignment.fit_alignment` with ``AlignmentOptions(**options)``."""
    checked = _check.require_table("matches", matches)
    return _alignment.fit_alignment(checked, _alignment.AlignmentOptions.from_kwargs(options))


# --- rough match (catalog counterparts) ----------------------------------------------------
def rough_match(
    sources: Table,
    time: Any,
    radius: Any = 3.0 * _u.arcsec,
    catalogs: Sequence[str] | str = DEFAULT_ROUGH_MATCH_CATALOGS,
    *,
    catalog_service: _CatalogService | None = None,
) -> Table:
    """Catalog stars closer than ``radius`` to the x-ray sources of one observation.

    Each catalog is searched once around all the sources (positions at the epoch of ``time``
    for catalogs with proper motions, see :mod:`astromon.domain.catalogs`), and every star is
    paired with every source closer than ``radius``.

    Parameters
    ----------
    sources : astropy.table.Table
        X-ray sources: ``ra``, ``dec`` (degrees), ``id``; ``obsid`` optional (one value).
    time : CxoTime-compatible
        Time of the observation.
    radius : astropy.units.Quantity, str or float
        Maximum separation (strict): an angle, a text with a unit (``"3arcsec"``) or a number
        of arcsec. Default 3 arcsec.
    catalogs : sequence of str
        Registered catalog names.
    catalog_service : CatalogService, optional
        Where stars come from; default the application's VizieR service
        (:meth:`astromon.bootstrap.Astromon.catalogs`).

    Returns
    -------
    astropy.table.Table
        Columns catalog, name, ra, dec (degrees), mag, x_id (the source ``id``) and
        separation (arcsec). Empty (typed) without sources.

    Raises
    ------
    astromon.domain.errors.SchemaError
        ``sources`` lacks ra, dec or id.
    astromon.domain.errors.ValidationError
        Several obsids in ``sources``, unknown catalogs, a bad radius or time.
    astromon.domain.errors.CatalogError
        A catalog cannot be searched (the message names the catalog, service and obsid).
    """
    _check.require_table("sources", sources)
    catalogs = _check.require_names("catalogs", catalogs)
    radius_arcsec = radius_to_arcsec(radius, "radius")
    _check.require_instance("catalog_service", catalog_service, _CatalogService, "a CatalogService")
    if catalog_service is None:
        catalog_service = current().catalogs()
    return _counterparts.rough_match(
        catalog_service, sources, time, radius_arcsec=radius_arcsec, catalogs=catalogs
    )
