"""The daily run lock with real processes: a second run stops at once naming the first, racing
runs get one lock, a killed run's lock is taken over with a notice, forked workers keep it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from astromon_adapters.operations.run_lock import DailyRunLock
from astromon_adapters.storage.file_lock import process_alive

from astromon.domain.errors import DatabaseError, ValidationError
from astromon.ports.run_lock import RunLockedError

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = Path(__file__).with_name("daily_processes.py")
STARTED = "2024-05-01T06:00:00.000Z"
HOST = socket.gethostname()


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(PROCESSES), *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _line(process: subprocess.Popen[str]) -> str:
    line = process.stdout.readline()  # type: ignore[union-attr]
    assert line, process.communicate(timeout=30)[1]
    return line.rstrip("\n")


def _tell(process: subprocess.Popen[str]) -> None:
    process.stdin.write("\n")  # type: ignore[union-attr]
    process.stdin.flush()  # type: ignore[union-attr]


def _busy(db: Path, pid: int, started: str = STARTED, ended: str = "") -> str:
    return (
        f"another astromon daily run is working on {db}: PID {pid} on host {HOST}, started "
        f"{started}{ended}; this run stops (lock file {db}.daily.lock)"
    )


def test_a_second_run_stops_at_once_with_a_message_naming_the_running_one(
    tmp_path: Path,
) -> None:
    db = tmp_path / "astromon.duckdb"
    holder = _start("hold", str(db), STARTED)
    grant = json.loads(_line(holder))
    assert grant == {"pid": holder.pid, "stale": None, "notice": ""}
    second = _start("race", str(db), "2024-05-01T06:05:00.000Z")
    assert _line(second) == "ready"
    _tell(second)
    assert _line(second) == f"locked {_busy(db, holder.pid)}"
    with pytest.raises(RunLockedError) as info:
        DailyRunLock(db).acquire("2024-05-01T06:06:00.000Z")
    assert str(info.value) == _busy(db, holder.pid)
    _tell(holder)
    assert _line(holder) == "released"
    assert holder.wait(timeout=30) == 0 and second.wait(timeout=30) == 0
    assert not (tmp_path / "astromon.duckdb.daily.run").exists()
    lock = DailyRunLock(db)
    grant_after = lock.acquire("2024-05-01T06:07:00.000Z")
    assert (grant_after.holder.pid, grant_after.holder.host) == (os.getpid(), HOST)
    assert (grant_after.stale, grant_after.notice) == (None, "")
    lock.release()
    lock.release()  # a second release does nothing


@pytest.mark.slow
def test_of_several_runs_started_together_exactly_one_gets_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "astromon.duckdb"
    runs = [_start("race", str(db), STARTED) for _ in range(6)]
    assert [_line(run) for run in runs] == ["ready"] * 6
    for run in runs:
        _tell(run)
    answers = [_line(run) for run in runs]
    winners = [a for a in answers if a.startswith("acquired ")]
    assert len(winners) == 1, answers
    winner = int(winners[0].split()[1])
    for answer in answers:
        if answer.startswith("locked "):
            # the winner's details may not be written yet at the very moment it won
            assert answer.startswith(f"locked another astromon daily run is working on {db}: ")
            assert f"PID {winner}" in answer or "a process (it has just started" in answer
    for run in runs:
        if run.poll() is None:
            _tell(run)
        assert run.wait(timeout=30) == 0


def test_the_lock_of_a_killed_run_is_taken_over_with_a_notice(tmp_path: Path) -> None:
    db = tmp_path / "astromon.duckdb"
    killed = _start("hold", str(db), STARTED)
    assert json.loads(_line(killed))["pid"] == killed.pid
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert (tmp_path / "astromon.duckdb.daily.run").exists()  # left behind
    taker = _start("hold", str(db), "2024-05-02T06:00:00.000Z")
    grant = json.loads(_line(taker))
    assert grant["stale"] == killed.pid
    assert grant["notice"] == (
        f"took over the daily run lock of {db}: the run PID {killed.pid} on host {HOST}, "
        f"started {STARTED} ended without releasing it (that process no longer runs)"
    )
    with pytest.raises(RunLockedError) as info:  # the taker holds it now
        DailyRunLock(db).acquire("2024-05-02T06:01:00.000Z")
    assert str(info.value) == _busy(db, taker.pid, "2024-05-02T06:00:00.000Z")
    _tell(taker)
    assert _line(taker) == "released" and taker.wait(timeout=30) == 0


def test_worker_processes_that_outlive_their_run_keep_it_locked(tmp_path: Path) -> None:
    db = tmp_path / "astromon.duckdb"
    parent = _start("fork-hold", str(db), STARTED)
    pids = json.loads(_line(parent))
    assert parent.wait(timeout=30) == 0 and pids["parent"] == parent.pid
    child = pids["child"]
    try:
        with pytest.raises(RunLockedError) as info:
            DailyRunLock(db).acquire("2024-05-01T07:00:00.000Z")
        assert str(info.value) == _busy(
            db,
            parent.pid,
            ended=" (that process has ended, but processes it started still hold the lock)",
        )
    finally:
        os.kill(child, signal.SIGKILL)
    lock = DailyRunLock(db)
    deadline = time.monotonic() + 30
    while True:  # the kernel releases the lock once the killed child is gone
        try:
            grant = lock.acquire("2024-05-01T07:00:00.000Z")
            break
        except RunLockedError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert grant.stale is not None and grant.stale.pid == parent.pid
    assert not process_alive(parent.pid)
    assert grant.notice.endswith("ended without releasing it (that process no longer runs)")
    lock.release()


def test_a_lock_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    db = tmp_path / "missing" / "astromon.duckdb"
    with pytest.raises(DatabaseError) as info:
        DailyRunLock(db).acquire(STARTED)
    assert str(info.value).startswith(f"cannot take the daily run lock {db}.daily.lock: ")
    with pytest.raises(ValidationError, match="the start time of the run is needed, got ''"):
        DailyRunLock(tmp_path / "astromon.duckdb").acquire("")


def test_a_run_holding_the_lock_still_writes_its_database(tmp_path: Path) -> None:
    from astromon import db as database
    from tests.integration.concurrency_workers import observation_row

    dbfile = tmp_path / "astromon.duckdb"
    lock = DailyRunLock(dbfile)
    lock.acquire(STARTED)
    try:
        database.save("astromon_obs", observation_row(27001), dbfile=dbfile)
        assert list(database.get_table("astromon_obs", dbfile=dbfile)["obsid"]) == [27001]
    finally:
        lock.release()
