"""Which stored rows point at which: the referential rules of the astromon tables.

* an x-ray source belongs to a stored observation (same ``obsid``);
* a counterpart belongs to a stored x-ray source (same ``obsid``, ``x_id`` = the source's
  ``id``);
* a cross-match row belongs to a stored observation, counterpart (``obsid``, ``c_id``) and
  x-ray source (``obsid``, ``x_id``);
* an alignment row belongs to a stored observation (same ``obsid``).

A row whose parent is absent is an **orphan**. Every write refuses to leave one (the store
checks the rows of the obsids it touched); the integrity check lists those found;
an import may leave them out on request (:func:`drop_orphans`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from astropy.table import Table
from numpy.typing import NDArray

from astromon.domain.crossmatch.keys import composite_key

__all__ = ["REFERENCES", "Reference", "drop_orphans", "orphans"]


@dataclass(frozen=True)
class Reference:
    """Rows of ``table`` point at the row of ``parent`` whose ``parent_columns`` equal their
    ``columns``; ``what`` names the parent row in messages (``"x-ray source"``)."""

    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    what: str

    @property
    def description(self) -> str:
        """``without their x-ray source (obsid, x_id)``: what an orphan of this rule lacks."""
        return f"without their {self.what} ({', '.join(self.columns)})"


REFERENCES: Final[tuple[Reference, ...]] = (
    Reference("astromon_xray_src", ("obsid",), "astromon_obs", ("obsid",), "observation"),
    Reference(
        "astromon_cat_src", ("obsid", "x_id"), "astromon_xray_src", ("obsid", "id"), "x-ray source"
    ),
    Reference("astromon_xcorr", ("obsid",), "astromon_obs", ("obsid",), "observation"),
    Reference(
        "astromon_xcorr", ("obsid", "c_id"), "astromon_cat_src", ("obsid", "id"), "counterpart"
    ),
    Reference(
        "astromon_xcorr", ("obsid", "x_id"), "astromon_xray_src", ("obsid", "id"), "x-ray source"
    ),
    Reference("astromon_alignment", ("obsid",), "astromon_obs", ("obsid",), "observation"),
)
"""The rules, parents before children (so one pass of :func:`drop_orphans` is enough)."""


def _keys(table: Any, columns: tuple[str, ...]) -> NDArray[np.int64]:
    values = [np.asarray(table[c], dtype=np.int64) for c in columns]
    return values[0] if len(values) == 1 else composite_key(values[0], values[1])


def orphans(reference: Reference, tables: Mapping[str, Any]) -> NDArray[np.bool_]:
    """For each row of ``reference.table``, whether its parent row is absent.

    Parameters
    ----------
    reference : Reference
        The rule.
    tables : mapping of table name to Table
        The tables (absent tables count as empty).
    """
    child = tables.get(reference.table)
    if child is None or not len(child):
        return np.zeros(0, dtype=bool)
    parent = tables.get(reference.parent)
    if parent is None or not len(parent):
        return np.ones(len(child), dtype=bool)
    keys = _keys(child, reference.columns)
    return np.asarray(~np.isin(keys, _keys(parent, reference.parent_columns)))


def drop_orphans(tables: Mapping[str, Table]) -> tuple[dict[str, Table], dict[str, int]]:
    """The tables without their orphans (also rows orphaned by dropping others).

    Only the rules whose table and parent table are both given apply (a parent table not
    given may be stored elsewhere).

    Returns
    -------
    tables : dict of str to Table
        Copies of the tables with the orphans left out (tables without orphans as given).
    dropped : dict of str to int
        Rows left out per table (only tables that lost rows).
    """
    kept = dict(tables)
    dropped: dict[str, int] = {}
    for reference in REFERENCES:
        if reference.table not in kept or reference.parent not in kept:
            continue
        bad = orphans(reference, kept)
        if bad.any():
            kept[reference.table] = kept[reference.table][~bad]
            dropped[reference.table] = dropped.get(reference.table, 0) + int(bad.sum())
    return kept, dropped
