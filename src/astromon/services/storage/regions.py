"""Use cases of excluded regions over a :class:`~astromon.ports.store.Store`.

The rules (ids, hashed id strings, update and sync semantics) are pure functions in
:mod:`astromon.domain.regions`; here they are applied to stores, each change in one
transaction (:meth:`~astromon.ports.store.Store.modify_regions`), with time-stamps from a
:class:`~astromon.ports.clock.Clock`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from astropy.table import Table

from astromon.domain import regions as rules
from astromon.domain.errors import MissingTableException, ValidationError
from astromon.domain.schema import empty_table
from astromon.ports.clock import Clock
from astromon.ports.store import Store
from astromon.services.storage.tables import require_writable

__all__ = [
    "add_regions",
    "get_regions",
    "read_regions",
    "remove_regions",
    "sync_regions",
    "update_regions",
]

logger = logging.getLogger(__name__)


def read_regions(store: Store) -> Table:
    """The regions of ``store`` sorted by region_id (empty when it has none)."""
    try:
        regions: Table = store.read_table("astromon_regions")
    except MissingTableException:
        return empty_table("astromon_regions")
    order = np.argsort(np.asarray(regions["region_id"]), kind="stable")
    return regions[order]


def add_regions(store: Store, regions: Any, clock: Clock) -> Table:
    """Add regions; ids continue from ``last_region_id``.

    Parameters
    ----------
    store : Store
        Where the regions are.
    regions : Table-compatible
        ``ra``, ``dec`` (degrees), and optionally ``radius`` (arcsec), ``obsid``, ``user``,
        ``comments``.
    clock : Clock
        Gives ``last_modified``.

    Returns
    -------
    astropy.table.Table
        The added rows with their ``region_id``, ``region_id_str`` and ``last_modified``.
    """
    rules.prepare_new_regions(regions)  # validate before touching the store
    require_writable(store)
    now = clock.now_date()
    added: list[Table] = []

    def change(stored: Table, last_id: int) -> tuple[Table, int]:
        combined, new_last, new_rows = rules.add_regions(stored, last_id, regions, now)
        added.append(new_rows)
        return combined, new_last

    store.modify_regions(change)
    logger.info("added %d region(s) to %s", len(added[0]), store.location)
    return added[0]


def remove_regions(store: Store, ids: Any) -> Table:
    """Remove regions by ``region_id`` (unknown ids are ignored); returns the removed rows."""
    rules.remove_regions(None, ids)  # validate the ids before touching the store
    require_writable(store)
    removed: list[Table] = []

    def change(stored: Table, last_id: int) -> tuple[Table, int]:
        remaining, gone = rules.remove_regions(stored, ids)
        removed.append(gone)
        return remaining, last_id

    store.modify_regions(change)
    return removed[0]


def update_regions(store: Store, regions: Any, clock: Clock) -> Table:
    """Replace stored regions that differ (matched on ``region_id_str``); returns them."""
    require_writable(store)
    now = clock.now_date()
    changed: list[Table] = []

    def change(stored: Table, last_id: int) -> tuple[Table, int]:
        result, rows = rules.update_regions(stored, regions, now)
        changed.append(rows)
        return result, last_id

    store.modify_regions(change)
    return changed[0]


def get_regions(store: Store, obsid: int | None = None, radius: Any = 300.0) -> Table:
    """Regions of ``store``; with ``obsid``, those of that observation.

    Parameters
    ----------
    store : Store
        Where the regions (and ``astromon_obs``) are.
    obsid : int, optional
        The observation: regions whose obsid equals it or whose centre lies within
        ``radius`` of its pointing (``astromon_obs`` ra/dec). When the observation is not in
        ``astromon_obs`` only the obsid rule applies (and a warning is logged).
    radius : astropy.units.Quantity or float
        Search radius (a Quantity, or arcsec). Default 300 arcsec (5 arcmin).
    """
    radius_arcsec = rules.radius_to_arcsec(radius)
    regions = read_regions(store)
    if obsid is None:
        return regions
    obsid = rules.as_obsids(obsid)
    if not isinstance(obsid, int):
        raise ValidationError(f"obsid must be one integer, got {obsid!r}")
    pointing = None
    try:
        obs = store.read_table("astromon_obs")
    except MissingTableException:
        obs = empty_table("astromon_obs")
    rows = np.flatnonzero(np.asarray(obs["obsid"]) == obsid)
    if len(rows):
        pointing = (float(obs["ra"][rows[0]]), float(obs["dec"][rows[0]]))
    else:
        logger.warning(
            "obsid %d is not in astromon_obs of %s: regions near its pointing are unknown",
            obsid,
            store.location,
        )
    return rules.regions_for_observation(regions, obsid, pointing, radius_arcsec)


def sync_regions(source: Store, target: Store, remove: bool = False) -> Table:
    """Synchronise the regions of ``target`` from ``source`` (one transaction on ``target``).

    See :func:`astromon.domain.regions.sync_regions` for the rules. Returns the regions of
    ``target`` afterwards.
    """
    require_writable(target)
    incoming = read_regions(source)

    def change(stored: Table, last_id: int) -> tuple[Table, int]:
        return rules.sync_regions(incoming, stored, last_id, remove=remove)

    return target.modify_regions(change)
