"""Many processes on one DuckDB file: no acknowledged save is lost, no reader fails.

Four writer processes (three ``astromon.db.save`` loops and one process running the
``astromon regions add`` command 100 times), a few ``astromon`` command processes, and two
reader processes work on one file at once. Afterwards every save that returned is in the
file, every read held every save acknowledged before it began, and the file passes the
integrity check.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from astromon import bootstrap, db
from tests.integration import concurrency_workers as workers

ROOT = Path(__file__).resolve().parents[2]
API_WRITERS = 3
CLI_WRITERS = 1
SAVES = 100
READERS = 2
CLI_PROCESSES = 4
DEADLINE = 150.0  # seconds: far above the ~30 s it takes, but bounded


def _cli_processes(dbfile: Path, count: int, done: list[str], errors: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for i in range(count):
        tag = f"process-{i}"
        command = [sys.executable, "-c", "from astromon.cli.app import main; main()"]
        command += ["--db", str(dbfile), "regions", "add", "--ra", "7", "--dec", "7"]
        command += ["--radius", "2", "--comments", tag]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        if result.returncode == 0:
            done.append(tag)
        else:
            errors.append(f"{tag}: exit {result.returncode}: {result.stderr[-300:]}")


def _collect(results: Any, expected: int, deadline: float) -> list[tuple[Any, ...]]:
    out = []
    while len(out) < expected:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            out.append(results.get(timeout=min(remaining, 5.0)))
        except Exception:  # queue.Empty: keep waiting until the deadline
            continue
    return out


def test_writers_and_readers_lose_nothing(tmp_path: Path) -> None:
    dbfile = tmp_path / "shared.duckdb"
    db.save("astromon_obs", workers.observation_row(99_999), dbfile)
    started = time.monotonic()
    deadline = started + DEADLINE
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    stop = ctx.Event()
    acked = ctx.Array("i", API_WRITERS)
    processes = [
        ctx.Process(target=workers.api_writer, args=(str(dbfile), k, SAVES, acked, results))
        for k in range(API_WRITERS)
    ]
    processes += [
        ctx.Process(target=workers.cli_writer, args=(str(dbfile), k, SAVES, results))
        for k in range(CLI_WRITERS)
    ]
    readers = [
        ctx.Process(target=workers.reader, args=(str(dbfile), k, acked, stop, results))
        for k in range(READERS)
    ]
    for process in processes + readers:
        process.start()
    cli_done: list[str] = []
    cli_errors: list[str] = []
    commands = threading.Thread(
        target=_cli_processes, args=(dbfile, CLI_PROCESSES, cli_done, cli_errors)
    )
    commands.start()
    try:
        written = _collect(results, len(processes), deadline)
        commands.join(timeout=max(deadline - time.monotonic(), 1.0))
        stop.set()
        read = _collect(results, READERS, time.monotonic() + 30.0)
    finally:
        stop.set()
        for process in processes + readers:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    elapsed = time.monotonic() - started
    assert len(written) == len(processes), f"writers unfinished after {elapsed:.0f} s"
    assert len(read) == READERS, "readers unfinished"

    api_acked = [o for kind, _, done, _ in written if kind == "api" for o in done]
    cli_acked = [t for kind, _, done, _ in written if kind == "cli" for t in done] + cli_done
    writer_errors = [e for *_, errors in written for e in errors] + cli_errors
    assert writer_errors == []
    assert len(api_acked) == API_WRITERS * SAVES
    assert len(cli_acked) == CLI_WRITERS * SAVES + CLI_PROCESSES

    stored = set(db.get_table("astromon_obs", dbfile)["obsid"].tolist())
    lost = sorted(set(api_acked) - stored)
    assert lost == [], f"{len(lost)} acknowledged saves lost"
    regions = db.get_regions(dbfile=dbfile)
    comments = np.asarray(regions["comments"]).tolist()
    assert sorted(set(cli_acked) - set(comments)) == []
    assert len(comments) == len(set(comments)) == len(cli_acked)
    assert len(set(np.asarray(regions["region_id"]).tolist())) == len(regions)

    for _, index, reads, errors in read:
        assert errors == [], f"reader {index}: {errors[:3]}"
        assert reads > 0
    report = bootstrap.bootstrap().check_database(dbfile)
    assert report.ok, report.lines()
    assert elapsed < DEADLINE
