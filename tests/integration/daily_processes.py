"""Processes of the daily-run concurrency tests: run as ``python daily_processes.py COMMAND ...``.

Commands (each prints one line per event, flushed, for the test to read):

* ``append LOG_DIR INDEX COUNT PAD GO``: from time ``GO`` (``time.time()``), append ``COUNT``
  records (host ``writer-INDEX``, processed ``[i + 1]``, an error text of ``PAD`` characters);
  prints ``acked i`` after each append returns.
* ``hold DATABASE STARTED``: take the run lock, print the grant as JSON, release it when a line
  arrives on standard input, print ``released``.
* ``race DATABASE STARTED``: print ``ready``, try the run lock when a line arrives on standard
  input; print ``acquired PID`` (and hold it until the next line) or ``locked MESSAGE``.
* ``fork-hold DATABASE STARTED``: take the run lock, fork a child that keeps it (sleeping), print
  ``{"parent": PID, "child": PID}`` and end without releasing it.
"""

from __future__ import annotations

import json
import os
import sys
import time

from astromon_adapters.operations.run_lock import DailyRunLock
from astromon_adapters.operations.run_log import JsonLinesRunLog

from astromon.domain.daily_run import DailyRun
from astromon.ports.run_lock import RunLockedError


def _wait_until(go: float) -> None:
    time.sleep(max(0.0, go - time.time()))


def append(log_dir: str, index: int, count: int, pad: int, go: float) -> None:
    log = JsonLinesRunLog(log_dir)
    _wait_until(go)
    for i in range(count):
        run = DailyRun(
            start="2024-05-01T06:00:00.000Z",
            start_date="2024:122:06:00:00.000",
            exit_code=3,
            host=f"writer-{index}",
            pid=os.getpid(),
            processed=(i + 1,),
            error=f"{index}:{i}:" + "x" * pad,
        )
        log.append(run)
        print(f"acked {i}", flush=True)


def hold(database: str, started: str) -> None:
    lock = DailyRunLock(database)
    grant = lock.acquire(started)
    stale = None if grant.stale is None else grant.stale.pid
    print(json.dumps({"pid": grant.holder.pid, "stale": stale, "notice": grant.notice}), flush=True)
    sys.stdin.readline()
    lock.release()
    print("released", flush=True)


def race(database: str, started: str) -> None:
    lock = DailyRunLock(database)
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        lock.acquire(started)
    except RunLockedError as exc:
        print(f"locked {exc}", flush=True)
        return
    print(f"acquired {os.getpid()}", flush=True)
    sys.stdin.readline()
    lock.release()


def fork_hold(database: str, started: str) -> None:
    DailyRunLock(database).acquire(started)
    child = os.fork()
    if child == 0:  # keeps the lock it shares with its parent
        time.sleep(120)
        os._exit(0)
    print(json.dumps({"parent": os.getpid(), "child": child}), flush=True)
    os._exit(0)  # ends without releasing the lock


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "append":
        append(args[0], int(args[1]), int(args[2]), int(args[3]), float(args[4]))
    elif command == "hold":
        hold(args[0], args[1])
    elif command == "race":
        race(args[0], args[1])
    elif command == "fork-hold":
        fork_hold(args[0], args[1])
    else:
        raise SystemExit(f"unknown command {command!r}")
