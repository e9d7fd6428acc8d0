"""Write rules that span rows and tables, checked in SQL inside the write transaction.

After a transaction's writes are applied, and before it commits:

* **references** (:data:`astromon.domain.references.REFERENCES`): no row of the obsids the
  writes touched (every row after a whole-table write) may lack its observation, x-ray
  source or counterpart. One query counts the orphans of every rule; only when there are
  some is a second one run to name them. An incoming row without its parent is named with
  its table, column, row and value; stored rows left without their parent by the writes
  (a replaced observation whose sources now lack their counterparts' ids, say) are counted
  and named by key.
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
import pyarrow as pa
from astropy.table import Table

from astromon.domain.errors import ValidationError
from astromon.domain.references import REFERENCES, Reference
from astromon.domain.schema import TABLES, TableSpec
from astromon_adapters.duckdb_tables import ddl, expected_columns, quote

__all__ = ["check_references", "settle_region_ids"]

Written = Sequence[tuple[TableSpec, Table, bool]]
"""The writes of a transaction: (table spec, rows in the schema, ignore_obsid)."""

_TOUCHED: Final = "_astromon_touched_obsids"
_LINKED: Final = frozenset(r.table for r in REFERENCES) | frozenset(r.parent for r in REFERENCES)
_EXAMPLES: Final = 5


def _touched(written: Written) -> set[int] | None:
    """The obsids whose rows the writes replaced (None: whole tables were replaced)."""
    obsids: set[int] = set()
    for spec, data, ignore_obsid in written:
        if spec.name not in _LINKED:
            continue
        if ignore_obsid or not spec.has_obsid:
            return None
        obsids.update(int(v) for v in np.unique(np.asarray(data["obsid"])))
    return obsids


def _orphan_query(reference: Reference, inventory: dict[str, Any], select: str) -> str:
    where = f"c.obsid IN (SELECT obsid FROM {_TOUCHED})"
    if reference.parent in inventory:
        same = " AND ".join(
            f"p.{quote(p)} = c.{quote(c)}"
            for c, p in zip(reference.columns, reference.parent_columns, strict=True)
        )
        where += f" AND NOT EXISTS (SELECT 1 FROM {quote(reference.parent)} p WHERE {same})"
    return f"SELECT {select} FROM {quote(reference.table)} c WHERE {where}"


def check_references(
    con: duckdb.DuckDBPyConnection, inventory: dict[str, Any], location: str, written: Written
) -> None:
    """Refuse writes that leave rows without the rows they point at.

    Raises
    ------
    ValidationError
        An orphan (see the module documentation).
    """
    if not any(spec.name in _LINKED for spec, _, _ in written):
        return
    touched = _touched(written)
    rules = [r for r in REFERENCES if r.table in inventory]
    if not rules:
        return
    if touched is None:
        obsids = con.execute(
            " UNION ".join(f"SELECT obsid FROM {quote(r.table)}" for r in rules)
        ).fetchall()
        touched = {int(row[0]) for row in obsids}
    if not touched:
        return
    con.register(_TOUCHED, pa.table({"obsid": pa.array(sorted(touched), type=pa.int64())}))
    try:
        counts = con.execute(
            " UNION ALL ".join(
                f"SELECT {i} AS rule, count(*) AS n FROM ({_orphan_query(r, inventory, '1')})"
                for i, r in enumerate(rules)
            )
        ).fetchall()
        failing = [(rules[int(i)], int(n)) for i, n in counts if n]
        if failing:
            reference, count = failing[0]
            columns = ", ".join(f"c.{quote(c)}" for c in reference.columns)
            query = _orphan_query(reference, inventory, columns) + f" LIMIT {_EXAMPLES}"
            keys = [tuple(int(v) for v in row) for row in con.execute(query).fetchall()]
            raise _orphan_error(reference, count, keys, written, location)
    finally:
        con.unregister(_TOUCHED)


def _incoming_row(reference: Reference, key: tuple[int, ...], written: Written) -> int | None:
    for spec, data, _ in written:
        if spec.name != reference.table or not len(data):
            continue
        match = np.ones(len(data), dtype=bool)
        for column, value in zip(reference.columns, key, strict=True):
            match &= np.asarray(data[column], dtype=np.int64) == value
        if match.any():
            return int(np.flatnonzero(match)[0])
    return None


def _orphan_error(
    reference: Reference, count: int, keys: list[tuple[int, ...]], written: Written, where: str
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
    shown_keys = ", ".join(str(k[0] if len(k) == 1 else k) for k in keys)
    more = " ..." if count > len(keys) else ""
    return ValidationError(
        f"this write would leave {count} stored row(s) of {reference.table} "
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
    names = {spec.name for spec, _, _ in written}
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
