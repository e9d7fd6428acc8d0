"""Read and write the astromon tables (public API).

A thin façade: arguments are checked and relayed to :mod:`astromon.services.storage.tables`,
:mod:`astromon.services.storage.regions` and :mod:`astromon.services.crossmatch.matches`; the
database comes from the application object (:func:`astromon.bootstrap.current`).

``dbfile`` is a DuckDB file, or a legacy HDF5 file for reading. When None it is
``$ASTROMON_FILE``, else ``$SKA/data/astromon/astromon.duckdb``, else
``~/.local/share/astromon/astromon.duckdb`` (``$XDG_DATA_HOME`` when set), decided at call
time. Reading a file that does not exist is an error; the first write that commits creates
it (a failed first write leaves no file). A path that is not a regular file (a directory, a
FIFO, a device) is refused before it is opened; an argument of the wrong type is a
``ValidationError`` naming it. A store yielded by :func:`connect` is accepted wherever a
``dbfile`` is.

Units: ``ra``/``dec`` in degrees; region ``radius`` in arcsec (or an astropy Quantity where
stated); ``dy``, ``dz``, ``dr``, ``r_angle`` in arcsec.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy.table import Table

from astromon.bootstrap import current
from astromon.db_files import export_table, import_ecsv, import_legacy
from astromon.domain.errors import MissingTableException
from astromon.domain.excluded_regions import in_excluded_regions
from astromon.domain.region_values import as_input_table, position_degrees
from astromon.domain.regions import as_obsids
from astromon.domain.schema import empty_table, set_formats
from astromon.domain.validation import require_text
from astromon.legacy.db_names import (
    ASTROMON_CAT_SRC_DTYPE,
    ASTROMON_META_DTYPE,
    ASTROMON_OBS_DTYPE,
    ASTROMON_REGION_DTYPE,
    ASTROMON_XCORR_DTYPE,
    ASTROMON_XRAY_SRC_DTYPE,
    DTYPES,
    connect,
)
from astromon.ports.clock import Clock
from astromon.ports.store import DBFile, Store
from astromon.services.crossmatch import matches as cross_matching
from astromon.services.storage import regions as _regions
from astromon.services.storage import tables as _storage

__all__ = [
    "ASTROMON_CAT_SRC_DTYPE",
    "ASTROMON_META_DTYPE",
    "ASTROMON_OBS_DTYPE",
    "ASTROMON_REGION_DTYPE",
    "ASTROMON_XCORR_DTYPE",
    "ASTROMON_XRAY_SRC_DTYPE",
    "DTYPES",
    "MissingTableException",
    "add_regions",
    "connect",
    "create_table",
    "export_table",
    "get_alignment",
    "get_cross_matches",
    "get_regions",
    "get_table",
    "import_ecsv",
    "import_legacy",
    "is_in_excluded_region",
    "remove_regions",
    "save",
    "set_formats",
    "sync_regions",
    "update_regions",
]


def _store(dbfile: DBFile, *, write: bool = False) -> Store:
    return current().store(dbfile, write=write)


def _clock() -> Clock:
    return current().clock()


def get_table(table_name: str, dbfile: DBFile = None) -> Table:
    """Get an entire table from the DB file.

    Known table names: astromon_obs, astromon_xray_src, astromon_cat_src, astromon_xcorr,
    astromon_regions, astromon_meta, astromon_alignment.

    Parameters
    ----------
    table_name : str
        Name of the table.
    dbfile : str or os.PathLike, optional
        DuckDB or legacy HDF5 file (default: see the module documentation).

    Returns
    -------
    astropy.table.Table
        Columns in schema order, unicode strings, display formats set, indexed on ``obsid``
        when the table has it.

    Raises
    ------
    MissingTableException
        Unknown table, or the table is not in the file (the message lists those available).
    DatabaseError
        The file does not exist, is a directory, or is not an astromon database.
    """
    return _storage.read_named_table(lambda: _store(dbfile), table_name)


def create_table(table_name: str) -> Table:
    """An empty table with the schema of ``table_name``.

    Raises
    ------
    MissingTableException
        Unknown table name (the message lists the known ones).
    """
    return empty_table(table_name)


def save(table_name: str, data: Any, dbfile: DBFile = None, ignore_obsid: bool = False) -> None:
    """Insert data into a table, deleting previous entries for the same OBSID.

    ``data`` is converted to the schema (extra columns dropped) and checked before the file
    is touched. If the table has an ``obsid`` column and ``ignore_obsid`` is false, stored
    rows whose obsid is in ``data`` are deleted and ``data`` appended (other obsids stay);
    otherwise the whole table is replaced. One call is one transaction: all or nothing. The
    file and table are created when needed.

    Parameters
    ----------
    table_name : str
        The name of the table.
    data : astropy.table.Table or Table-compatible
        The rows to store.
    dbfile : str or os.PathLike, optional
        DuckDB file (default: see the module documentation).
    ignore_obsid : bool
        Replace the whole table instead of the rows of the obsids in ``data``.

    Raises
    ------
    MissingTableException
        Unknown table name.
    SchemaError
        Missing columns, no common column, or a value that cannot be stored exactly (text
        that is not text or holds a NUL, integers beyond int32, float32 overflow, an unknown
        unit), named with its table, column, row and value.
    ValidationError
        NaN or out-of-range ra/dec, negative radius, repeated keys (named); rows whose
        observation, x-ray source or counterpart is not stored (orphans), or a save that
        would leave stored rows without theirs; ``last_region_id`` below a region id.
    ReadOnlyDatabaseError
        ``dbfile`` is a legacy HDF5 file.
    DatabaseLockedError
        Another process kept the file locked for longer than the lock timeout.
    """
    write = _storage.prepare_write(table_name, data, ignore_obsid)
    store = _store(dbfile, write=True)
    _storage.store_write(store, write)


def add_regions(regions: Any, dbfile: DBFile = None) -> Table:
    """Add exclusion regions to the astromon_regions table.

    New ``region_id`` values continue from ``astromon_meta.last_region_id``;
    ``region_id_str`` is a hash of the row (unique in the file) and ``last_modified`` the
    current time (Chandra date).

    Parameters
    ----------
    regions : Table-compatible
        ``ra``, ``dec`` (degrees) and optionally ``radius`` (arcsec, default 0), ``obsid``
        (default 0: every observation), ``user`` and ``comments`` (default empty).
    dbfile : str or os.PathLike, optional
        DuckDB file (default: see the module documentation).

    Returns
    -------
    astropy.table.Table
        The added rows.

    Raises
    ------
    SchemaError, ValidationError
        Missing ra/dec, wrong types, NaN or out-of-range ra/dec, negative radius.
    """
    store = _store(dbfile, write=True)
    return _regions.add_regions(store, regions, _clock())


def remove_regions(regions: Any, dbfile: DBFile = None) -> Table:
    """Remove exclusion regions (by ID) from the astromon_regions table.

    Parameters
    ----------
    regions : int or list of int
        Region ids (``region_id``); unknown ids are ignored.
    dbfile : str or os.PathLike, optional
        DuckDB file (default: see the module documentation).

    Returns
    -------
    astropy.table.Table
        The removed rows.
    """
    store = _store(dbfile, write=True)
    return _regions.remove_regions(store, regions)


def update_regions(regions: Any, dbfile: DBFile = None) -> Table:
    """Update exclusion regions, matched on ``region_id_str``.

    A stored row that differs from the given one is replaced and gets ``last_modified`` =
    now; identical rows are untouched; nothing is removed; unknown ids are ignored.
    ``region_id`` and ``region_id_str`` never change.

    Parameters
    ----------
    regions : Table-compatible
        Rows with ``region_id_str`` and any of ra, dec (degrees), radius (arcsec), obsid,
        user, comments.
    dbfile : str or os.PathLike, optional
        DuckDB file (default: see the module documentation).

    Returns
    -------
    astropy.table.Table
        The rows that changed.
    """
    store = _store(dbfile, write=True)
    return _regions.update_regions(store, regions, _clock())


def get_regions(obsid: int | None = None, dbfile: DBFile = None, radius: Any = 300.0) -> Table:
    """Exclusion regions, optionally those of one observation.

    Parameters
    ----------
    obsid : int, optional
        With an obsid: the regions whose obsid equals it or whose centre lies within
        ``radius`` of that observation's pointing (from astromon_obs).
    dbfile : str or os.PathLike, optional
        DuckDB or legacy HDF5 file (default: see the module documentation).
    radius : float, str or astropy.units.Quantity
        Search radius around the pointing, in arcsec like every region radius: a number of
        arcsec, a text with a unit (``"5arcmin"``) or an angle Quantity. Default 300 arcsec
        (5 arcmin).

    Returns
    -------
    astropy.table.Table
        Rows of astromon_regions sorted by region_id (empty when the file has none).
    """
    return _regions.get_regions(_store(dbfile), obsid=obsid, radius=radius)


def sync_regions(from_file: DBFile, to_file: DBFile, remove: bool = False) -> Table:
    """Synchronise the regions of ``to_file`` from ``from_file``.

    Rows are matched on ``region_id_str``. A row in both is copied from ``from_file`` when
    its ``last_modified`` is later (``to_file`` keeps its ``region_id``); with ``remove``,
    rows of ``to_file`` absent from ``from_file`` are deleted; rows only in ``from_file`` are
    appended, those whose ``region_id`` is already used in ``to_file`` getting new ids from
    ``to_file``'s ``last_region_id + 1``. ``last_region_id`` becomes the largest id.
    Running it twice changes nothing more.

    Parameters
    ----------
    from_file : str or os.PathLike
        DuckDB or legacy HDF5 file read.
    to_file : str or os.PathLike
        DuckDB file written (one transaction).
    remove : bool
        Delete regions of ``to_file`` that ``from_file`` does not have.

    Returns
    -------
    astropy.table.Table
        The regions of ``to_file`` afterwards.
    """
    source = _store(from_file)
    target = _store(to_file, write=True)
    return _regions.sync_regions(source, target, remove=remove)


def is_in_excluded_region(
    position: Any, obsid: Any = None, regions: Table | None = None, dbfile: DBFile = None
) -> Any:
    """Whether positions fall in an excluded region.

    Parameters
    ----------
    position : astropy.coordinates.SkyCoord or (ra, dec)
        Positions; ``ra``/``dec`` in degrees (numbers, arrays or angle Quantities).
    obsid : int or array of int, optional
        Observation of the positions: regions apply when their obsid is <= 0 or equals it.
        None: every region applies.
    regions : astropy.table.Table, optional
        Regions (ra, dec in degrees, radius in arcsec, obsid). Default: astromon_regions of
        ``dbfile`` (none when the file has no regions table).
    dbfile : str or os.PathLike, optional
        DuckDB or legacy HDF5 file (default: see the module documentation).

    Returns
    -------
    bool or numpy.ndarray of bool
        True where the position is closer than a region's radius to its centre; a scalar
        position gives a bool, an array one value per position (same shape).
    """
    ra, dec = position_degrees(position)
    if obsid is not None:
        obsid = as_obsids(obsid)
    if regions is None:
        regions = _regions.read_regions(_store(dbfile))
    elif not isinstance(regions, Table):
        regions = as_input_table(regions, "regions")
    shape = np.shape(ra)
    mask = in_excluded_regions(ra, dec, obsid, regions)
    if shape == ():
        return bool(mask[0])
    return mask.reshape(shape)


def get_cross_matches(name: str = "astromon_21", dbfile: DBFile = None, **kwargs: Any) -> Table:
    """Get a standard cross-match of observations, x-ray sources and catalog counterparts.

    The ``astromon_xcorr`` rows of ``name`` joined with astromon_obs, astromon_cat_src
    (columns renamed c_*) and astromon_xray_src (renamed x_*), with ``category``, ``time``,
    ``c_loc`` and ``x_loc`` added, indexed on obsid.

    Parameters
    ----------
    name : str
        ``select_name`` of the standard cross-match.
    dbfile : str or os.PathLike, optional
        DuckDB or legacy HDF5 file (default: see the module documentation).
    **kwargs
        Criteria of :func:`astromon.cross_match.filter_matches` (snr, dr [arcsec], r_angle
        [arcsec], start, stop, r_angle_grating, near_neighbor_dist, sim_z [mm],
        exclude_regions, exclude_bad_targets, exclude_categories, column=value...).

    Returns
    -------
    astropy.table.Table
    """
    return cross_matching.get_cross_matches(_store(dbfile), name, **kwargs)


def get_alignment(name: str = "astromon_21", dbfile: DBFile = None, **filters: Any) -> Table:
    """Get the per-observation alignment (shift and roll) of a stored cross-match.

    The rows of ``astromon_alignment`` for ``name`` when they are current with the stored
    pairs; otherwise (table missing, or pairs changed since it was written) the alignment
    fitted now from the stored pairs with the default options. Nothing is written.

    Parameters
    ----------
    name : str
        ``select_name`` of the stored cross-match.
    dbfile : str or os.PathLike, optional
        DuckDB or legacy HDF5 file (default: see the module documentation).
    **filters
        ``obsid`` (integer or integers), ``flagged`` (bool: only the flagged, or only the
        unflagged observations), ``min_pairs`` (integer >= 1: at least this many pairs).

    Returns
    -------
    astropy.table.Table
        The columns of ``astromon_alignment`` (``dy``, ``dz``, ``roll``, their errors and
        the RMS in arcsec), one row per observation, sorted by obsid.

    Raises
    ------
    ValidationError
        ``name`` is not a string, an unknown filter, or a filter value of the wrong kind
        (the message names it).
    MissingTableException
        A table the cross-match needs is not in the file.
    """
    from astromon.domain.alignment.selection import select_alignment
    from astromon.services.crossmatch.alignment import read_alignment

    require_text("name", name)
    select_alignment(empty_table("astromon_alignment"), **filters)  # bad filters before I/O
    table = read_alignment(_store(dbfile), name).table
    return select_alignment(table, **filters)
