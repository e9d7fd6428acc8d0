"""Save throughput: one writer, and four writer processes on one file.

Both cases save each observation's x-ray sources with one call (one transaction) each, into a
file that already holds ``astromon_obs``. The reference side is the plain way to write DuckDB
from several processes safely: open the file for each save (DuckDB's own file lock; a
conflicting lock is retried every millisecond), delete the obsid's rows, insert the new ones
from Arrow, commit, close. It is timed on a tenth of the observations and scaled.

For four writers the processes are started and load their chunks before the clock starts;
they then wait for one event, and the time runs until the last one is done.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from astropy.table import Table

if TYPE_CHECKING:
    from benchmarks.cases import Context

__all__ = [
    "REFERENCE_FRACTION",
    "WRITERS",
    "fresh_database",
    "observation_chunks",
    "reference_save",
    "start_writers",
]

WRITERS = 4
"""Writer processes of the concurrent case."""

REFERENCE_FRACTION = 10
"""The reference side saves one observation in this many (its time is scaled back)."""


def observation_chunks(ctx: Context, n_obs: int) -> list[Table]:
    """The x-ray sources of the first ``n_obs`` observations, one table each."""
    sources = ctx.table("astromon_xray_src")
    obsid = np.asarray(sources["obsid"])
    bounds = np.flatnonzero(np.diff(obsid)) + 1
    starts = np.concatenate([[0], bounds])[:n_obs]
    stops = np.concatenate([bounds, [len(obsid)]])[:n_obs]
    return [sources[int(a) : int(b)] for a, b in zip(starts, stops, strict=True)]


def fresh_database(ctx: Context, name: str) -> Path:
    """A new file holding the generated ``astromon_obs`` and an empty ``astromon_xray_src``."""
    from astromon import db

    dbfile = ctx.workdir / name
    for suffix in ("", ".wal", ".lock"):
        Path(str(dbfile) + suffix).unlink(missing_ok=True)
    db.save("astromon_obs", ctx.table("astromon_obs"), dbfile)
    db.save("astromon_xray_src", db.create_table("astromon_xray_src"), dbfile)
    from astromon_adapters.storage.duckdb.store import release_connections

    release_connections()  # checkpointed and unlocked before the writers start
    return dbfile


def reference_save(dbfile: Path, chunks: list[Table]) -> int:
    """The plain implementation: a DuckDB connection per save, retried on lock conflicts.

    Returns the rows of the saves that returned (were acknowledged); a save whose open or
    transaction fails otherwise (DuckDB without astromon's lock, racing another process) is
    not acknowledged, and the writer goes on with the next one.
    """
    import duckdb
    import pyarrow as pa

    from astromon.domain.schema import TABLES

    spec = TABLES["astromon_xray_src"]
    columns = ", ".join(spec.names)
    acknowledged = 0
    for chunk in chunks:
        arrow = pa.table({name: np.asarray(chunk[name]) for name in spec.names})
        con = None
        while con is None:
            try:
                con = duckdb.connect(str(dbfile))
            except duckdb.IOException as exc:
                if "lock" not in str(exc):
                    break
                time.sleep(0.001)
        if con is None:
            continue
        try:
            obsid = int(np.asarray(chunk["obsid"])[0])
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM astromon_xray_src WHERE obsid = ?", [obsid])
            con.register("incoming", arrow)
            con.execute(f"INSERT INTO astromon_xray_src ({columns}) SELECT {columns} FROM incoming")
            con.execute("COMMIT")
            acknowledged += len(chunk)
        except duckdb.Error:
            pass  # the plain way has no lock: a save that races another process fails
        finally:
            con.close()
    return acknowledged


def _astromon_save(dbfile: Path, chunks: list[Table]) -> None:
    from astromon import db

    for chunk in chunks:
        db.save("astromon_xray_src", chunk, dbfile)


def _writer(side: str, dbfile: str, chunks: list[Table], ready: Any, go: Any, done: Any) -> None:
    """One writer process: load, say ready, wait for the start, save, say done."""
    import astromon.db  # noqa: F401 - imports are not timed

    ready.release()
    go.wait()
    if side == "astromon":
        _astromon_save(Path(dbfile), chunks)
        done.put(sum(len(c) for c in chunks))
    else:
        done.put(reference_save(Path(dbfile), chunks))


def start_writers(side: str, dbfile: Path, chunks: list[Table]) -> Any:
    """Start :data:`WRITERS` processes on ``chunks`` (dealt round-robin); returns ``run()``.

    ``run()`` starts them all at once and returns the rows they saved, when the last is done.
    """
    ctx = multiprocessing.get_context("spawn")
    ready, go, done = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    processes = [
        ctx.Process(target=_writer, args=(side, str(dbfile), chunks[k::WRITERS], ready, go, done))
        for k in range(WRITERS)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()

    def run() -> int:
        go.set()
        rows, finished = 0, 0
        while finished < len(processes):
            try:
                rows += int(done.get(timeout=1.0))
                finished += 1
            except queue.Empty:
                failed = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                if failed:
                    for process in processes:
                        process.kill()
                    raise RuntimeError(f"a writer process failed (exit {failed[0]})") from None
        for process in processes:
            process.join()
        return rows

    return run
