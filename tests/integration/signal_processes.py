"""Real ``astromon`` processes for the signal tests: forked from an initialised process, run as
the console script runs, watched through /proc, and read by a forked reader.

See ``signal_harness.py``, which uses them.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["handlers_installed", "in_reader", "run_child", "session_processes"]


def handlers_installed(pid: int) -> bool:
    """True when process ``pid`` catches SIGTERM (bit 15 of SigCgt in /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True  # already gone
    found = re.search(r"^SigCgt:\s*([0-9a-f]+)", status, re.M)
    return found is not None and bool(int(found.group(1), 16) & (1 << (signal.SIGTERM - 1)))


def session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes of session ``sid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(entry))
    return found


def _child(argv: list[str], workdir: Path, env: dict[str, str]) -> None:
    """In the forked child: run ``astromon ARGV`` as its console script, then exit as Python
    does (threads joined, atexit functions run)."""
    code = 1
    try:
        os.setsid()
        for fd, name, flags in (
            (0, os.devnull, os.O_RDONLY),
            (1, str(workdir / "stdout"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, str(workdir / "stderr"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ):
            opened = os.open(name, flags, 0o644)
            os.dup2(opened, fd)
            os.close(opened)
        os.environ.update(env)
        os.chdir(workdir)
        sys.argv = ["astromon", *argv]
        from astromon.cli.entry import main

        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        threading._shutdown()  # as the interpreter does at exit
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # pragma: no cover - a failure of the harness itself
        import traceback

        traceback.print_exc()
        code = 99
    os._exit(code)


def run_child(
    argv: list[str], workdir: Path, env: dict[str, str], signum: int | None, delay: float
) -> tuple[int, float, bool]:
    """Fork ``astromon ARGV`` in ``workdir`` (its pid, the id of its session, is written to
    ``workdir/pid``); signal its group ``delay`` s after it can handle signals (if ``signum``).

    Returns the exit status, the run time and whether the signal was sent while it ran.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(argv, workdir, env)
    (workdir / "pid").write_text(str(pid))
    sent = False
    if signum is not None:
        deadline = time.monotonic() + 60
        while not handlers_installed(pid) and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(delay)
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.killpg(pid, signum)
            sent = True
        else:
            return os.waitstatus_to_exitcode(_), time.monotonic() - started, False
    deadline = time.monotonic() + 120
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -999, time.monotonic() - started, sent
        time.sleep(0.005)
    return os.waitstatus_to_exitcode(status), time.monotonic() - started, sent


def in_reader(work: Callable[[], Any]) -> Any:
    """``work()`` in a forked child (this process never opens DuckDB, so that forking it stays
    safe); its JSON result comes back through a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            payload = json.dumps({"ok": work()})
        except BaseException as exc:  # a damaged file, a missing table...
            payload = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
        with os.fdopen(write_end, "w") as out:
            out.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as source:
        text = source.read()
    os.waitpid(pid, 0)
    result = json.loads(text)
    if "error" in result:
        raise RuntimeError(result["error"])
    return result["ok"]
