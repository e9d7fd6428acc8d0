"""Ctrl-C and SIGTERM at random moments of real ``astromon`` processes, checked after each.

Run as a script (``python tests/integration/signal_harness.py --command process --rounds 50
--workdir DIR``; the processes are in ``signal_processes.py``, the commands and what is
checked of each in ``signal_scenarios.py``), it prepares the inputs of one long command
(``process --workers 2``, ``demo``, ``report``, ``cross-match``), runs it once to completion
to measure how long it takes, and then, ``rounds`` times:

1. forks a child from this already-initialised process (no interpreter start: a round costs
   the command's own work) that, in a session of its own, with stdout and stderr in files,
   runs the ``astromon`` console script (:func:`astromon.cli.entry.main`) and then what the
   interpreter does as it exits (joins the threads, runs the ``atexit`` functions);
2. waits until the child has installed its signal handlers (``SigCgt`` of /proc), sleeps a
   random time within 80% of the measured duration and sends SIGINT or SIGTERM (in turn, or
   the one ``--signal`` names) to the child's process group, as a terminal's Ctrl-C or
   systemd's stop do;
3. checks, after the child has exited:

   * the exit code is 128 + the signal (or 0 when the command had already finished), and
     stderr is exactly the one line ``error: interrupted`` or ``error: terminated
     (SIGTERM)`` (empty after a finished command): no traceback, no "Exception ignored";
   * no process of the child's session is left (workers, the resource tracker);
   * no staging file or directory is left (``.NAME.new-*``, ``.NAME.old-*``, ``*.tmp``,
     ``*.staging``, the demo's temporary directory);
   * the database holds what the command reported, counted in a forked reader: ``process``
     stored exactly the obsids its summary lists as saved, each whole (observation, 3 x-ray
     sources, 2 counterparts, 1 match); ``cross-match`` stored its rows if and only if it
     said so; ``demo`` installed a whole database or none; ``report`` left ``--out`` as the
     earlier report or a complete new one.

It prints a JSON summary (rounds, how many were interrupted in flight, failures) and exits 1
when a check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: the tests package is importable
    sys.path.insert(0, str(ROOT))

from tests.integration.signal_processes import run_child, session_processes  # noqa: E402
from tests.integration.signal_scenarios import SCENARIOS, Scenario  # noqa: E402

LINES = {signal.SIGINT: "error: interrupted", signal.SIGTERM: "error: terminated (SIGTERM)"}
SENT = (signal.SIGINT, signal.SIGTERM)
STAGING = re.compile(r"^\..*\.(new|old)-\d+-[0-9a-f]+$|\.tmp$|\.staging$|^astromon-demo-\d+-")


def staging_left(rundir: Path) -> list[str]:
    return [str(p) for p in rundir.rglob("*") if STAGING.search(p.name)]


def check_round(scenario: Scenario, rundir: Path, code: int, signum: int, sent: bool) -> list[str]:
    out = (rundir / "stdout").read_text(errors="replace")
    err = (rundir / "stderr").read_text(errors="replace")
    problems = []
    if code == -999:
        problems.append("did not exit within 120 s of the signal")
    elif sent and code == 128 + signum:
        if err.splitlines() != [LINES[signum]]:
            problems.append(f"stderr is not the one line {LINES[signum]!r}: {err!r}")
    elif code == 0:
        if err.strip():
            problems.append(f"finished with stderr {err!r}")
    else:
        problems.append(f"exit code {code} (signal {signum}, sent: {sent}); stderr {err!r}")
    left = session_processes_gone(rundir)
    if left:
        problems.append(f"processes left: {left}")
    problems += staging_left(rundir)
    problems += scenario.check(rundir, code, out)
    return problems


def session_processes_gone(rundir: Path, timeout: float = 20.0) -> list[int]:
    sid = int((rundir / "pid").read_text())
    deadline = time.monotonic() + timeout
    while (left := session_processes(sid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def run(
    command: str, rounds: int, seed: int, workdir: Path, signals: tuple[int, ...] = SENT
) -> dict[str, Any]:
    import matplotlib.pyplot  # noqa: F401

    import astromon.cli.app  # noqa: F401  (everything the commands import, once)

    rng = random.Random(seed)
    base = workdir / "base"
    base.mkdir(parents=True)
    scenario = SCENARIOS[command](base)
    duration = scenario.setup()
    if duration is None:
        measured = workdir / "measure"
        measured.mkdir()
        argv, env = scenario.prepare(measured, 0)
        code, duration, _ = run_child(argv, measured, env, None, 0)
        if code != 0:
            raise SystemExit(f"the command failed unsignalled: {(measured / 'stderr').read_text()}")
    failures: list[dict[str, Any]] = []
    in_flight = 0
    for index in range(rounds):
        signum = signals[index % len(signals)]
        rundir = workdir / f"round-{index:03d}"
        rundir.mkdir()
        argv, env = scenario.prepare(rundir, index)
        delay = rng.uniform(0, 0.8 * duration)  # the measured run may have been a slow one
        code, _, sent = run_child(argv, rundir, env, signum, delay)
        in_flight += sent and code == 128 + signum
        problems = check_round(scenario, rundir, code, signum, sent)
        if problems:
            failures.append({"round": index, "signal": signum, "delay": round(delay, 3),
                             "code": code, "problems": problems})  # fmt: skip
        else:
            shutil.rmtree(rundir)
    return {"command": command, "rounds": rounds, "duration": round(duration, 3),
            "interrupted_in_flight": in_flight, "failures": failures}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--command", choices=sorted(SCENARIOS), required=True)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument(
        "--signal", choices=["INT", "TERM"], action="append", help="default: both, in turn"
    )
    args = parser.parse_args(argv)
    os.environ.pop("ASTROMON_FILE", None)
    os.environ["MPLBACKEND"] = "Agg"
    signals = tuple(getattr(signal, f"SIG{n}") for n in args.signal) if args.signal else SENT
    summary = run(args.command, args.rounds, args.seed, args.workdir, signals)
    print(json.dumps(summary, indent=1))
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
