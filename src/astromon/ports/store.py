"""The storage port: where the astromon tables live."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from astropy.table import Table

__all__ = ["DBFile", "DBPath", "RegionChange", "Store", "TableWrite"]


@dataclass(frozen=True)
class TableWrite:
    """One write of :meth:`Store.save_many`.

    ``data`` is already converted to the schema (:func:`astromon.domain.schema.to_schema`).
    With ``ignore_obsid`` false and a table that has an ``obsid`` column, stored rows whose
    obsid is in ``data`` or in ``obsids`` are deleted and ``data`` appended; otherwise the
    table is replaced.
    """

    table: str
    data: Table
    ignore_obsid: bool = False
    checked: bool = False
    """True when ``data`` already passed :func:`astromon.domain.value_rules.check_values`
    (set by :func:`astromon.services.storage.tables.prepare_write`); stores check the others."""
    obsids: tuple[int, ...] = ()
    """Obsids whose stored rows are replaced even when ``data`` has none of their rows (an
    observation re-processed without counterparts loses its old ones)."""

    def replaced_obsids(self) -> list[int]:
        """The obsids whose stored rows this write replaces (obsid rule), sorted."""
        present = np.unique(np.asarray(self.data["obsid"])).tolist() if len(self.data) else []
        return sorted({int(o) for o in present} | {int(o) for o in self.obsids})


RegionChange = Callable[[Table, int], tuple[Table, int]]
"""A pure change of the regions: (regions, last_region_id) -> (new regions, new last id)."""


@runtime_checkable
class Store(Protocol):
    """A database of astromon tables.

    Every write is one transaction: it happens whole or not at all. Every value written
    follows the rules of :mod:`astromon.domain.value_rules`, and no write leaves a row
    without the row it points at (:mod:`astromon.domain.references`) or ``last_region_id``
    below a region id (a ValidationError otherwise, before anything changes). A write that
    returns is durable and seen by every later read, from any process; reads never see part
    of a write.
    """

    @property
    def location(self) -> str:
        """Human-readable location (path) of the database, used in messages."""
        ...

    @property
    def writable(self) -> bool:
        """False for read-only stores (legacy HDF5 files)."""
        ...

    def table_names(self) -> list[str]:
        """Names of the astromon tables present in the database."""
        ...

    def read_table(self, name: str) -> Table:
        """The whole table, in schema column order, strings as unicode.

        Raises MissingTableException (listing the available tables) when absent.
        """
        ...

    def read_tables(self, names: Sequence[str]) -> dict[str, Table]:
        """Several whole tables (as :meth:`read_table`) as of one moment.

        A write committed meanwhile by another process is in all of them or in none, so
        checks across tables (orphans, joins) never see half of a save.
        """
        ...

    def save_many(self, writes: Sequence[TableWrite]) -> None:
        """Apply the writes in one transaction (all or nothing)."""
        ...

    def modify_regions(self, change: RegionChange) -> Table:
        """Read regions and ``last_region_id``, apply ``change``, write both back.

        One transaction; missing tables count as empty (last id 0). Returns the new regions.
        """
        ...

    def read_cross_matches(self, select_name: str) -> Table:
        """``astromon_xcorr`` rows of ``select_name`` joined with obs, cat_src and xray_src.

        Columns (in order): select_name, obsid, c_id, x_id, dy, dz, dr, then the
        astromon_obs columns after obsid, then catalog, name, c_ra, c_dec, separation, mag,
        c_y_angle, c_z_angle, then x_ra, x_dec, net_counts, x_y_angle, x_z_angle, r_angle,
        snr, near_neighbor_dist, pileup, acis_streak, caldb_version. Sorted by obsid, x_id.
        """
        ...


DBPath = str | os.PathLike[str] | None
"""A database file: its path, or None for the default file of the settings."""

DBFile = DBPath | Store
"""Where the tables are: a database file (see :data:`DBPath`) or a store already open."""
