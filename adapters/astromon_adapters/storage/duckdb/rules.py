"""Write rules that span rows and tables, checked inside the write transaction.

After a transaction's writes are applied, and before it commits:

* **references** (:data:`astromon.domain.references.REFERENCES`, evaluated by
  :func:`astromon.domain.references.orphans`): no row of the obsids the writes touched
  (every row after a whole-table write) may lack its observation, x-ray source or
  counterpart. Only the rules whose table or parent table was written can break. The rows
  of the touched obsids are the written rows where a write replaced all of them (the batch
  pipeline's save of a whole observation needs no query), else they are read from the file
  (a lookup of a few obsids, given as constants so that DuckDB's zone maps skip the other
  row groups). A written row without its parent is named with its table, column, row and
  value; stored rows left without their parent by the writes (sources replaced while their
  counterparts point at the old ids, say) are counted and named by key.
* **region ids**: ``astromon_meta.last_region_id`` must be >= the largest ``region_id``.
  A write of ``astromon_meta`` that breaks it is refused; a write of regions alone raises
  ``last_region_id`` to the largest id (creating ``astromon_meta`` when needed), so ids are
  never reused.

A refusal is a :class:`~astromon.domain.errors.ValidationError`; the caller rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import duckdb
import numpy as np

from astromon.domain.errors import ValidationError
from astromon.domain.references import REFERENCES, Reference, orphans
from astromon.domain.schema import TABLES
from astromon.ports.store import TableWrite
from astromon_adapters.storage.duckdb.tables import ddl, expected_columns, quote

__all__ = ["check_references", "settle_region_ids"]

Written = Sequence[TableWrite]
"""The writes of a transaction, their data in the schema."""

_EXAMPLES: Final = 5
_LINKED: Final = frozenset(r.table for r in REFERENCES) | frozenset(r.parent for r in REFERENCES)


def _touched(written: Written) -> set[int] | None:
    """The obsids whose rows the writes replaced (None: whole tables were replaced)."""
    obsids: set[int] = set()
    for write in written:
        if write.table not in _LINKED:
            continue
        if write.ignore_obsid or not TABLES[write.table].has_obsid:
            return None
        obsids.update(write.replaced_obsids())
    return obsids


def _key_columns(name: str, rules: Sequence[Reference]) -> list[str]:
    columns = {c for r in rules if r.table == name for c in r.columns}
    columns |= {c for r in rules if r.parent == name for c in r.parent_columns}
    return sorted(columns)


def _rows(
    con: duckdb.DuckDBPyConnection,
    inventory: dict[str, Any],
    name: str,
    columns: list[str],
    touched: set[int] | None,
    written: Written,
) -> Any:
    """The rows of ``name`` of the touched obsids as the transaction sees them (a Table, or a
    structured array of the key ``columns``; None when the table does not exist)."""
    for write in written:
        if write.table != name:
            continue
        whole = write.ignore_obsid or not TABLES[name].has_obsid
        if whole or (touched is not None and set(write.replaced_obsids()) == touched):
            return write.data  # every row of the touched obsids was written
    if name not in inventory:
        return None
    where = "" if touched is None else f" WHERE obsid IN ({', '.join(map(str, sorted(touched)))})"
    fetched = con.execute(
        f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(name)}{where}"
    ).fetchnumpy()
    rows = np.empty(len(fetched[columns[0]]), dtype=[(c, np.int64) for c in columns])
    for column in columns:
        rows[column] = fetched[column]
    return rows


def check_references(
    con: duckdb.DuckDBPyConnection, inventory: dict[str, Any], location: str, written: Written
) -> None:
    """Refuse writes that leave rows without the rows they point at.

    Raises
    ------
    ValidationError
        An orphan (see the module documentation).
    """
    names = {write.table for write in written}
    rules = [r for r in REFERENCES if r.table in names or r.parent in names]
    touched = _touched(written)
    if not rules or touched == set():
        return
    involved = sorted({r.table for r in rules} | {r.parent for r in rules})
    tables = {
        name: rows
        for name in involved
        if (rows := _rows(con, inventory, name, _key_columns(name, rules), touched, written))
        is not None
    }
    for reference in rules:
        bad = orphans(reference, tables)
        if bad.any():
            child = tables[reference.table]
            keys = [tuple(int(child[c][r]) for c in reference.columns) for r in np.flatnonzero(bad)]
            raise _orphan_error(reference, keys, written, location)


def _incoming_row(reference: Reference, key: tuple[int, ...], written: Written) -> int | None:
    for write in written:
        data = write.data
        if write.table != reference.table or not len(data):
            continue
        match = np.ones(len(data), dtype=bool)
        for column, value in zip(reference.columns, key, strict=True):
            match &= np.asarray(data[column], dtype=np.int64) == value
        if match.any():
            return int(np.flatnonzero(match)[0])
    return None


def _orphan_error(
    reference: Reference, keys: list[tuple[int, ...]], written: Written, where: str
) -> ValidationError:
    parent = ", ".join(reference.parent_columns)
    for key in keys:
        row = _incoming_row(reference, key, written)
        if row is not None:
            column, value = reference.columns[-1], key[-1]
            shown = key[0] if len(key) == 1 else key
            return ValidationError(
                f"{reference.table}.{column}={value} in row {row} is invalid: there is no "
                f"{reference.what} ({parent}) = {shown} in {reference.parent} of {where}; "
                f"save the {reference.what} first, or with it in one transaction"
            )
    distinct = sorted(set(keys))
    shown_keys = ", ".join(str(k[0] if len(k) == 1 else k) for k in distinct[:_EXAMPLES])
    more = " ..." if len(distinct) > _EXAMPLES else ""
    return ValidationError(
        f"this write would leave {len(keys)} stored row(s) of {reference.table} "
        f"{reference.description} in {where}: {shown_keys}{more}; write the tables of those "
        "observations together (one transaction), or remove those rows first"
    )


def settle_region_ids(
    con: duckdb.DuckDBPyConnection, inventory: dict[str, Any], written: Written
) -> None:
    """Keep ``last_region_id`` >= the largest ``region_id`` (see the module documentation).

    Raises
    ------
    ValidationError
        ``astromon_meta`` was written with a ``last_region_id`` below the largest region id.
    """
    names = {write.table for write in written}
    if not names & {"astromon_regions", "astromon_meta"} or "astromon_regions" not in inventory:
        return
    row = con.execute("SELECT max(region_id) FROM astromon_regions").fetchone()
    if row is None or row[0] is None:
        return
    largest = int(row[0])
    last: int | None = None
    if "astromon_meta" in inventory:
        found = con.execute("SELECT max(last_region_id) FROM astromon_meta").fetchone()
        last = None if found is None or found[0] is None else int(found[0])
    if last is not None and last >= largest:
        return
    if "astromon_meta" in names:
        raise ValidationError(
            f"astromon_meta.last_region_id={last} in row 0 is invalid (must be >= the largest "
            f"region_id, {largest})"
        )
    if "astromon_meta" not in inventory:
        spec = TABLES["astromon_meta"]
        con.execute(ddl(spec))
        inventory[spec.name] = expected_columns(spec)
    if last is None:
        con.execute("INSERT INTO astromon_meta (last_region_id) VALUES (?)", [largest])
    else:
        con.execute("UPDATE astromon_meta SET last_region_id = ?", [largest])
