"""The per-observation alignment of a stored cross-match: read it, or fit it again when out of date.

The table ``astromon_alignment`` is written with its cross-match (``astromon cross-match``,
``astromon process``) and checked against the stored pairs on every read: a stored row
carries the fingerprint of the pairs it was fitted to
(:mod:`astromon.domain.alignment.stored`), so rows that no longer describe the stored pairs
are never shown. When they do not, the alignment is fitted from the stored pairs and, when the
database can be written, saved (replacing the rows of that cross-match only). Were two
processes to save at once, the one that loses would at worst leave rows that the next read
finds out of date and fits again.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from astropy.table import Table, vstack

from astromon.domain.alignment.stored import (
    ALIGNMENT_TABLE,
    alignment_rows,
    is_current,
    pairs_digests,
)
from astromon.domain.errors import MissingTableException
from astromon.domain.schema import empty_table, to_schema
from astromon.ports.store import Store, TableWrite

__all__ = [
    "AlignmentSource",
    "StoredAlignment",
    "alignment_write",
    "read_alignment",
    "stored_alignment_of",
]


class AlignmentSource(enum.StrEnum):
    """Where the rows :func:`read_alignment` returns come from."""

    STORED = "stored"
    """The stored table, current with the stored pairs."""
    FITTED = "fitted from the stored pairs"
    """Fitted now; the stored table is missing or out of date and was not written."""
    SAVED = "fitted from the stored pairs and saved"
    """Fitted now and saved in place of the out-of-date rows."""


@dataclass(frozen=True)
class StoredAlignment:
    """The alignment of one cross-match and where it comes from."""

    table: Table
    source: AlignmentSource


def alignment_write(store: Store, select_name: str, rows: Table) -> TableWrite:
    """The write that replaces the stored alignment rows of ``select_name`` with ``rows``.

    Rows of other cross-matches stay. ``rows`` is in the schema of ``astromon_alignment``
    (:func:`~astromon.domain.alignment.stored.alignment_rows`).
    """
    try:
        current = store.read_table(ALIGNMENT_TABLE)
    except MissingTableException:
        current = empty_table(ALIGNMENT_TABLE)
    keep = current[np.asarray(current["select_name"], dtype=str) != select_name]
    merged = to_schema(ALIGNMENT_TABLE, vstack([to_schema(ALIGNMENT_TABLE, keep), rows]))
    return TableWrite(ALIGNMENT_TABLE, merged, ignore_obsid=True)


def read_alignment(
    store: Store, select_name: str, writer: Callable[[], Store] | None = None
) -> StoredAlignment:
    """The alignment of the stored cross-match ``select_name``, current with its pairs.

    Parameters
    ----------
    store : Store
        The database, read.
    select_name : str
        The stored cross-match.
    writer : callable, optional
        Opens the database for writing, called only when the stored rows are missing or out
        of date; the fitted rows are saved when the store it returns is writable. None:
        nothing is written.

    Returns
    -------
    StoredAlignment
        Rows in the schema of ``astromon_alignment`` sorted by obsid (none when the
        cross-match has no stored pairs), and their source.

    Raises
    ------
    MissingTableException
        A table the cross-match needs is absent.
    """
    try:
        stored = store.read_table(ALIGNMENT_TABLE)
    except MissingTableException:  # written by an older astromon, or a legacy file
        stored = empty_table(ALIGNMENT_TABLE)
    matches = store.read_cross_matches(select_name)
    mine = stored[np.asarray(stored["select_name"], dtype=str) == select_name]
    if is_current(mine, pairs_digests(matches)):
        return StoredAlignment(_by_obsid(mine), AlignmentSource.STORED)
    rows = alignment_rows(matches, select_name)
    if writer is not None:
        target = writer()
        if target.writable:
            target.save_many([alignment_write(target, select_name, rows)])
            return StoredAlignment(rows, AlignmentSource.SAVED)
    return StoredAlignment(rows, AlignmentSource.FITTED)


def _by_obsid(table: Table) -> Table:
    order = np.argsort(np.asarray(table["obsid"]), kind="stable")
    return table[order]


def stored_alignment_of(store: Store, select_name: str) -> Table | None:
    """The stored alignment rows of ``select_name`` when current with its pairs, else None
    (what the monitoring report shows; it fits its selected matches otherwise)."""
    try:
        result = read_alignment(store, select_name)
    except MissingTableException:
        return None
    return result.table if result.source is AlignmentSource.STORED else None
