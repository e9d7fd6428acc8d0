"""The astromon tables in one DuckDB file: the :class:`~astromon.ports.store.Store` of record.

* Schema with primary keys (obsid; (obsid, id); (select_name, obsid, x_id); region_id, and
  unique region_id_str), created inside the first write transaction.
* Each ``save_many``/``modify_regions`` is one transaction; any error rolls it back, leaving
  the file as it was. Before it commits, the rules across rows and tables are checked
  (:mod:`astromon_adapters.storage.duckdb.rules`: no orphans, ``last_region_id`` >= every region
  id). A save that returns is committed (durable in DuckDB's write-ahead log) and is seen by
  every later read, in this process or another.
* The file is created by the first write that commits (:mod:`.duckdb_creation`); until then
  it does not exist, and reading it finds no table.
* Every access runs in a session (:mod:`astromon_adapters.storage.duckdb.connections`) inside the
  file's sidecar lock ``F.lock``: exclusive for writes, shared for reads, for the whole time
  the file is open. Writers wait up to ``lock_timeout`` seconds, then
  :class:`~astromon.domain.errors.DatabaseLockedError` names the file and the holder (PID);
  readers never see a partial save. After ``linger`` seconds without a write the session is
  checkpointed and closed, releasing the lock for other processes.
* A damaged file (truncated, overwritten) fails at once with a
  :class:`~astromon.domain.errors.DatabaseError` saying so; so does a file written by a
  newer DuckDB, naming both versions.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import duckdb
from astropy.table import Table

from astromon.domain.crossmatch import COLUMN_KINDS, JOINED_COLUMNS
from astromon.domain.errors import (
    DatabaseError,
    MissingTableException,
    ValidationError,
)
from astromon.domain.schema import (
    TABLE_NAMES,
    TABLES,
    empty_table,
    get_spec,
    set_formats,
    to_schema,
)
from astromon.domain.value_rules import check_values
from astromon.ports.store import RegionChange, TableWrite
from astromon_adapters.storage.duckdb.connections import (
    _POOL,
    Session,
    release_connections,
)
from astromon_adapters.storage.duckdb.errors import database_error
from astromon_adapters.storage.duckdb.rules import check_references, settle_region_ids
from astromon_adapters.storage.duckdb.tables import (
    INCOMING,
    JOIN_ALIASES,
    attach_observations,
    conform,
    ddl,
    expected_columns,
    fetch_table,
    quote,
    to_arrow,
)
from astromon_adapters.storage.file_lock import DEFAULT_LOCK_TIMEOUT
from astromon_adapters.storage.file_rules import check_input_path, path_kind

__all__ = ["DEFAULT_LINGER", "DuckDBStore", "release_connections"]

DEFAULT_LINGER: Final = 0.1
"""Seconds a write session stays open (holding the lock) after a save, for the next one."""


class DuckDBStore:
    """The astromon tables in one DuckDB file.

    Parameters
    ----------
    path : str or os.PathLike
        The DuckDB file. It is created by the first write that commits (its directory must
        exist); until then it has no table. When it exists it must be a regular file, as its
        write-ahead log (the input rule of :mod:`astromon_adapters.storage.file_rules`).
    lock_timeout : float
        Seconds to keep retrying when another process holds the file.
    linger : float
        Seconds a write session is kept (with its exclusive lock) after a save, so that the
        next save of a loop needs no new checkpoint; 0 closes it at once.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        linger: float = DEFAULT_LINGER,
    ) -> None:
        self._path = Path(path).absolute()
        try:
            self._lock_timeout = float(lock_timeout)
            self._linger = float(linger)
        except (TypeError, ValueError):
            raise ValidationError(
                f"lock_timeout and linger must be seconds, got {lock_timeout!r}, {linger!r}"
            ) from None
        self._check_files()

    def __repr__(self) -> str:
        return f"DuckDBStore({str(self._path)!r})"

    # --- Store protocol ---------------------------------------------------------------

    @property
    def location(self) -> str:
        return str(self._path)

    @property
    def writable(self) -> bool:
        return True

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def close(self) -> None:
        """Close this file's kept write session now (checkpointing, releasing its lock)."""
        _POOL.release(self._path)

    def table_names(self) -> list[str]:
        if not self._check_files():
            return []  # not created yet: no table
        with self._reading() as handle:
            return [name for name in TABLE_NAMES if name in handle.inventory]

    def read_table(self, name: str) -> Table:
        return self.read_tables([name])[name]

    def read_tables(self, names: Sequence[str]) -> dict[str, Table]:
        """Several tables read in one session, i.e. one snapshot of the file."""
        for name in names:
            get_spec(name)  # an unknown name: MissingTableException listing the known ones
        with self._reading() as handle:
            self._require(handle, list(names))
            return {name: self._run(lambda n=name: self._select_all(handle, n)) for name in names}

    def read_cross_matches(self, select_name: str) -> Table:
        """The joined cross-match (see the port); the joins run in SQL.

        The observation columns are attached afterwards by obsid (one row per observation is
        fetched instead of one per match), which keeps the fetched strings few.
        """
        if not isinstance(select_name, str):
            raise ValidationError(f"select_name must be a string, got {select_name!r}")
        tables = ["astromon_xcorr", "astromon_obs", "astromon_cat_src", "astromon_xray_src"]
        joined = [
            item
            for item in JOINED_COLUMNS
            if item[1] != "astromon_obs" and item[0] != "select_name"
        ]
        select = ", ".join(
            f"{JOIN_ALIASES[table]}.{quote(col)} AS {quote(out)}" for out, table, col in joined
        )
        sql = (
            f"SELECT {select} FROM astromon_xcorr x "
            "SEMI JOIN astromon_obs o ON o.obsid = x.obsid "
            "JOIN astromon_cat_src c ON c.obsid = x.obsid AND c.id = x.c_id "
            "JOIN astromon_xray_src s ON s.obsid = x.obsid AND s.id = x.x_id "
            "WHERE x.select_name = ?"
        )
        kinds = {out: COLUMN_KINDS[out] for out, _, _ in joined}
        with self._reading() as handle:
            self._require(handle, tables)
            matches = self._run(
                lambda: fetch_table(handle.con, sql, kinds, [select_name], ("obsid", "x_id"))
            )
            obs_sql = (
                "SELECT * FROM astromon_obs WHERE obsid IN "
                "(SELECT DISTINCT obsid FROM astromon_xcorr WHERE select_name = ?)"
            )
            obs_kinds = {c.name: c.kind for c in TABLES["astromon_obs"].columns}
            obs = self._run(lambda: fetch_table(handle.con, obs_sql, obs_kinds, [select_name]))
        return attach_observations(matches, obs, select_name)

    def save_many(self, writes: Sequence[TableWrite]) -> None:
        for write in writes:
            get_spec(write.table)  # an unknown name: MissingTableException listing the known
        prepared = [replace(w, data=conform(w.table, w.data)) for w in writes]
        for write, given in zip(prepared, writes, strict=True):
            if not (write.checked and write.data is given.data):  # every write is checked once
                check_values(write.table, write.data)
        with self._writing() as handle:
            self._transaction(handle, lambda: self._apply_writes(handle, prepared))

    def modify_regions(self, change: RegionChange) -> Table:
        result: list[Table] = []

        def work() -> None:
            regions = (
                self._select_all(handle, "astromon_regions")
                if "astromon_regions" in handle.inventory
                else empty_table("astromon_regions")
            )
            last_id = 0
            if "astromon_meta" in handle.inventory:
                rows = handle.con.execute(
                    "SELECT max(last_region_id) FROM astromon_meta"
                ).fetchall()
                last_id = int(rows[0][0]) if rows and rows[0][0] is not None else 0
            new_regions, new_last = change(regions, last_id)
            new_regions = to_schema("astromon_regions", new_regions)
            meta = to_schema("astromon_meta", {"last_region_id": [int(new_last)]})
            check_values("astromon_regions", new_regions)
            check_values("astromon_meta", meta)
            self._apply_writes(
                handle,
                [
                    TableWrite("astromon_regions", new_regions, ignore_obsid=True),
                    TableWrite("astromon_meta", meta, ignore_obsid=True),
                ],
            )
            result.append(new_regions)

        with self._writing() as handle:
            self._transaction(handle, work)
        set_formats(result[0])
        if "obsid" in result[0].colnames:
            result[0].add_index("obsid")
        return result[0]

    # --- internals ----------------------------------------------------------------------

    def _check_files(self) -> bool:
        """The input rule for the file and its write-ahead log; True when the file exists."""
        check_input_path(self._path, "astromon database file", missing_ok=True)
        wal = self._path.with_name(self._path.name + ".wal")
        check_input_path(wal, "write-ahead log", missing_ok=True)
        return path_kind(self._path) is not None

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        if not self._check_files():
            raise MissingTableException(
                f"astromon database file {self._path} does not exist (nothing was written to it)"
            )
        with _POOL.session(
            self._path, write=False, lock_timeout=self._lock_timeout, linger=self._linger
        ) as handle:
            self._inspect(handle, write=False)
            yield handle

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        self._check_files()
        if not self._path.parent.is_dir():
            raise DatabaseError(
                f"cannot create database file {self._path}: "
                f"directory {self._path.parent} does not exist"
            )
        with _POOL.session(
            self._path, write=True, lock_timeout=self._lock_timeout, linger=self._linger
        ) as handle:
            self._inspect(handle, write=True)
            yield handle

    def _inspect(self, handle: Session, *, write: bool) -> None:
        """Read the table inventory once per connection and reject foreign schemas."""
        if not handle.inspected:
            rows = self._run(
                lambda: handle.con.execute(
                    "SELECT table_name, column_name, data_type FROM duckdb_columns() "
                    "WHERE database_name = current_database() AND schema_name = 'main' "
                    "ORDER BY table_name, column_index"
                ).fetchall()
            )
            found: dict[str, list[tuple[str, str]]] = {}
            for table, column, dtype in rows:
                found.setdefault(str(table), []).append((str(column), str(dtype)))
            handle.inventory = found
            handle.inspected = True
        inventory = handle.inventory
        for name, columns in inventory.items():
            if name in TABLES and columns != expected_columns(TABLES[name]):
                raise DatabaseError(
                    f"{self._path} has a table {name} whose columns {columns} do not match the "
                    f"astromon schema {expected_columns(TABLES[name])}: "
                    "it is not an astromon database"
                )
        foreign = sorted(n for n in inventory if n not in TABLES)
        if write and foreign and not any(n in TABLES for n in inventory):
            raise DatabaseError(
                f"{self._path} is a DuckDB database without astromon tables (it holds "
                f"{', '.join(foreign)}); refusing to write astromon tables into it"
            )

    def _require(self, handle: Session, names: Sequence[str]) -> None:
        present = [n for n in TABLE_NAMES if n in handle.inventory]
        for name in names:
            if name not in handle.inventory:
                if not present and handle.inventory:
                    detail = (
                        f"{self._path} holds no astromon tables (it holds "
                        f"{', '.join(sorted(handle.inventory))}): not an astromon database"
                    )
                else:
                    detail = f"available tables: {', '.join(present) or 'none'}"
                raise MissingTableException(f"table {name!r} is not in {self._path}; {detail}")

    def _run(self, work: Any) -> Any:
        try:
            return work()
        except duckdb.Error as exc:
            raise database_error(self._path, exc) from None

    def _transaction(self, handle: Session, work: Any) -> None:
        con = handle.con
        inventory = {k: list(v) for k, v in handle.inventory.items()}
        con.execute("BEGIN TRANSACTION")
        try:
            work()
            con.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            handle.inventory = inventory
            if isinstance(exc, duckdb.ConstraintException):
                raise ValidationError(f"{self._path}: {exc}") from None
            if isinstance(exc, duckdb.Error):
                raise database_error(self._path, exc) from None
            raise

    def _apply_writes(self, handle: Session, writes: Sequence[TableWrite]) -> None:
        """The writes (data in the schema), then the rules across rows and tables
        (:mod:`.duckdb_rules`)."""
        for write in writes:
            self._write_one(handle, write)
        settle_region_ids(handle.con, handle.inventory, writes)
        check_references(handle.con, handle.inventory, str(self._path), writes)

    def _write_one(self, handle: Session, write: TableWrite) -> None:
        """One table write inside the open transaction (the obsid-replacement rule)."""
        con = handle.con
        spec, data = TABLES[write.table], write.data
        name = quote(spec.name)
        if spec.name not in handle.inventory:
            con.execute(ddl(spec))
            handle.inventory[spec.name] = expected_columns(spec)
        incoming = to_arrow(spec, data)
        con.register(INCOMING, incoming)
        try:
            if spec.has_obsid and not write.ignore_obsid:
                obsids = write.replaced_obsids()
                if 0 < len(obsids) <= 1000 or write.obsids:
                    marks = ", ".join("?" * len(obsids))
                    con.execute(f"DELETE FROM {name} WHERE obsid IN ({marks})", obsids)
                elif obsids:
                    con.execute(
                        f"DELETE FROM {name} WHERE obsid IN (SELECT DISTINCT obsid FROM {INCOMING})"
                    )
            else:
                con.execute(f"DELETE FROM {name}")
            if len(data):
                columns = ", ".join(quote(c) for c in spec.names)
                try:
                    con.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {INCOMING}")
                except duckdb.ConstraintException as exc:
                    raise ValidationError(
                        f"{self._path}: cannot save {spec.name} (key {list(spec.key)}): {exc}"
                    ) from None
        finally:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses it
                con.unregister(INCOMING)

    def _select_all(self, handle: Session, name: str) -> Table:
        spec = TABLES[name]
        sql = f"SELECT {', '.join(quote(c) for c in spec.names)} FROM {quote(name)}"
        return fetch_table(handle.con, sql, {c.name: c.kind for c in spec.columns})
