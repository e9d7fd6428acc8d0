"""An in-memory :class:`~astromon.ports.store.Store` for unit tests.

It follows the port's contract exactly: tables in schema order with unicode strings and an
obsid index; ``save_many`` applies every write or none (obsid-replacement rule) and, like the
DuckDB store (``astromon_adapters.storage.duckdb.rules``), refuses writes that leave rows of the
obsids they touched without their parent rows (:mod:`astromon.domain.references`) and keeps
``last_region_id`` >= every region id; region changes read and write ``astromon_regions``
and ``astromon_meta`` together; ``read_cross_matches`` uses the same pure join as the legacy
HDF5 store.

``fail_after`` injects a failure after that many writes of the next ``save_many`` to test
all-or-nothing behaviour; ``writable=False`` mimics a read-only (legacy) store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from astropy.table import Table, vstack

from astromon.domain.crossmatch import join_cross_matches
from astromon.domain.errors import MissingTableException, ReadOnlyDatabaseError, ValidationError
from astromon.domain.references import REFERENCES, orphans
from astromon.domain.schema import TABLE_NAMES, empty_table, get_spec, set_formats, to_schema
from astromon.ports.store import RegionChange, Store, TableWrite

__all__ = ["InMemoryStore", "InjectedFailure"]


class InjectedFailure(RuntimeError):
    """Raised by :class:`InMemoryStore` when a failure was injected with ``fail_after``."""


class InMemoryStore:
    """A Store keeping the astromon tables in a dict.

    Parameters
    ----------
    tables : mapping of table name to Table-compatible data, optional
        Initial content, converted to the schema.
    writable : bool
        False makes every write raise ReadOnlyDatabaseError.
    location : str
        Shown in messages.
    """

    def __init__(
        self,
        tables: Mapping[str, Table] | None = None,
        *,
        writable: bool = True,
        location: str = "memory://astromon",
    ) -> None:
        self._tables: dict[str, Table] = {}
        for name, data in (tables or {}).items():
            self._tables[name] = to_schema(name, data)
        self._writable = writable
        self._location = location
        self.fail_after: int | None = None
        self.transactions = 0

    @classmethod
    def from_directory(cls, directory: Path | str, *, writable: bool = True) -> InMemoryStore:
        """A store with every ``astromon_*.ecsv`` file of ``directory``."""
        tables = {}
        for name in TABLE_NAMES:
            path = Path(directory) / f"{name}.ecsv"
            if path.exists():
                tables[name] = Table.read(path, format="ascii.ecsv")
        return cls(tables, writable=writable, location=str(directory))

    # --- Store protocol ---------------------------------------------------------------

    @property
    def location(self) -> str:
        return self._location

    @property
    def writable(self) -> bool:
        return self._writable

    def table_names(self) -> list[str]:
        return [name for name in TABLE_NAMES if name in self._tables]

    def read_table(self, name: str) -> Table:
        get_spec(name)  # unknown names raise MissingTableException listing the known ones
        if name not in self._tables:
            raise MissingTableException(
                f"table {name!r} is not in {self._location}; "
                f"available tables: {', '.join(self.table_names()) or 'none'}"
            )
        table = self._tables[name].copy(copy_data=True)
        set_formats(table)
        if "obsid" in table.colnames:
            table.add_index("obsid")
        return table

    def read_tables(self, names: Sequence[str]) -> dict[str, Table]:
        # one thread, no other writer: reading one table after the other is one moment
        return {name: self.read_table(name) for name in names}

    def save_many(self, writes: Sequence[TableWrite]) -> None:
        self._check_writable()
        staged = dict(self._tables)
        for count, write in enumerate(writes):
            if self.fail_after is not None and count >= self.fail_after:
                self.fail_after = None
                raise InjectedFailure(f"injected failure before write {count} ({write.table})")
            spec = get_spec(write.table)
            data = to_schema(write.table, write.data)
            current = staged.get(write.table)
            if spec.has_obsid and not write.ignore_obsid and current is not None:
                replaced = replace(write, data=data).replaced_obsids()
                keep = ~np.isin(np.asarray(current["obsid"]), replaced)
                data = vstack([current[keep], data], join_type="exact")
            staged[write.table] = to_schema(write.table, data)
        _check_references(staged, writes)
        _settle_region_ids(staged, {w.table for w in writes})
        self._tables = staged
        self.transactions += 1

    def modify_regions(self, change: RegionChange) -> Table:
        self._check_writable()
        regions = self._tables.get("astromon_regions", empty_table("astromon_regions"))
        meta = self._tables.get("astromon_meta")
        last_id = int(meta["last_region_id"][0]) if meta is not None and len(meta) else 0
        new_regions, new_last_id = change(regions.copy(copy_data=True), last_id)
        new_regions = to_schema("astromon_regions", new_regions)
        staged = dict(self._tables)
        staged["astromon_regions"] = new_regions
        staged["astromon_meta"] = to_schema("astromon_meta", {"last_region_id": [new_last_id]})
        self._tables = staged
        self.transactions += 1
        return new_regions.copy(copy_data=True)

    def read_cross_matches(self, select_name: str) -> Table:
        tables = [
            self.read_table(name)
            for name in ("astromon_xcorr", "astromon_obs", "astromon_cat_src", "astromon_xray_src")
        ]
        return join_cross_matches(*tables, select_name)

    # --- helpers for tests --------------------------------------------------------------

    def snapshot(self) -> dict[str, Table]:
        """Copies of every stored table (to compare before/after a failed write)."""
        return {name: table.copy(copy_data=True) for name, table in self._tables.items()}

    def _check_writable(self) -> None:
        if not self._writable:
            raise ReadOnlyDatabaseError(f"{self._location} is read-only")


def _check_references(tables: dict[str, Table], writes: Sequence[TableWrite]) -> None:
    """The DuckDB store's rule: no orphan among the rows of the obsids the writes touched."""
    linked = {r.table for r in REFERENCES} | {r.parent for r in REFERENCES}
    touched: set[int] | None = set()
    for write in writes:
        if write.table not in linked:
            continue
        if write.ignore_obsid or not get_spec(write.table).has_obsid:
            touched = None
            break
        assert touched is not None
        touched.update(replace(write, data=to_schema(write.table, write.data)).replaced_obsids())
    if touched is not None and not touched:
        return
    for reference in REFERENCES:
        bad = orphans(reference, tables)
        if bad.any() and touched is not None:
            obsids = np.asarray(tables[reference.table]["obsid"])
            bad &= np.isin(obsids, sorted(touched))
        if bad.any():
            raise ValidationError(
                f"this write would leave {int(bad.sum())} row(s) of {reference.table} "
                f"{reference.description}"
            )


def _settle_region_ids(tables: dict[str, Table], written: set[str]) -> None:
    """The DuckDB store's rule: ``last_region_id`` >= the largest region id."""
    regions = tables.get("astromon_regions")
    if not written & {"astromon_regions", "astromon_meta"} or regions is None or not len(regions):
        return
    largest = int(np.max(np.asarray(regions["region_id"])))
    meta = tables.get("astromon_meta")
    last = int(meta["last_region_id"][0]) if meta is not None and len(meta) else None
    if last is not None and last >= largest:
        return
    if "astromon_meta" in written:
        raise ValidationError(
            f"astromon_meta.last_region_id={last} in row 0 is invalid (must be >= the largest "
            f"region_id, {largest})"
        )
    tables["astromon_meta"] = to_schema("astromon_meta", {"last_region_id": [largest]})


def _check_protocol() -> None:
    store: Store = InMemoryStore()
    assert isinstance(store, Store)


_check_protocol()
