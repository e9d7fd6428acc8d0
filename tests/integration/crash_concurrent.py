"""SIGKILL of one of several concurrent writers of one DuckDB file (crash_harness, concurrent).

Run as a script (``python tests/integration/crash_concurrent.py --workdir DIR --rounds 10
--writers 3``). Each round forks ``writers`` processes running
:func:`crash_harness.writer` (saves of whole observations, region additions, removals,
updates and syncs; writer ``k`` saves obsids ``100 k + 1 ...`` and journals each save in
its own file), kills one of them with SIGKILL after a random delay, checks that the others
keep committing afterwards (their journals grow), then kills them too and checks that

* the file passes the integrity check,
* every observation is wholly present or wholly absent,
* no acknowledged save is lost: for every obsid the file holds its last ``done`` version or
  one whose save was in flight at a kill (from all journals).

It prints a JSON summary and exits 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.integration import crash_harness as harness


def _a_survivor_commits(journals: list[Path], others: list[int], before: dict[int, int]) -> bool:
    """Whether one of the surviving writers journals a new ``done`` line after the kill.

    It polls until one does (what happened, not a fixed time: a loaded machine is slower,
    not wrong), giving up after :data:`harness.GROWTH_CEILING` seconds.
    """
    ceiling = time.monotonic() + harness.GROWTH_CEILING
    while time.monotonic() < ceiling:
        if any(_done_lines(journals[k]) > before[k] for k in others):
            return True
        time.sleep(0.01)
    return False


def _done_lines(journal: Path) -> int:
    if not journal.exists():
        return 0
    return sum(line.startswith("done ") for line in journal.read_text("utf-8").splitlines())


def verify_many(dbfile: Path, journals: list[Path]) -> list[str]:
    """Problems of ``dbfile`` after the kills, given every writer's journal."""
    from astromon.bootstrap import bootstrap

    report = bootstrap().check_database(dbfile)
    problems = [f"integrity: {p}" for p in report.problems]
    whole, stored = harness.whole_observation_problems(dbfile)
    problems += whole
    allowed: dict[int, set[int | None]] = {}
    for journal in journals:
        allowed.update(harness.read_journal(journal)[0])
    for obsid, versions in allowed.items():
        if stored.get(obsid) not in versions:
            problems.append(
                f"lost write: obsid {obsid} may hold {versions}, the file has {stored.get(obsid)}"
            )
    for obsid in sorted(set(stored) - set(allowed)):
        problems.append(f"obsid {obsid} v{stored[obsid]} is stored but was never saved")
    return problems


def _fork_writer(dbfile: Path, source: Path, journal: Path, seed: int, version: int, k: int) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            harness.writer(dbfile, source, journal, seed, version, first_obsid=100 * k + 1)
        except BaseException as exc:  # report unexpected errors of the writer itself
            print(f"writer error: {type(exc).__name__}: {exc}", file=sys.stderr)
            code = 3
        os._exit(code)
    return pid


def run(workdir: Path, rounds: int, writers: int, seed: int, max_delay: float) -> dict[str, Any]:
    """Run the rounds; returns the summary."""
    from astromon_adapters.storage.duckdb.store import release_connections

    from astromon import db

    workdir.mkdir(parents=True, exist_ok=True)
    dbfile = workdir / "astromon.duckdb"
    source = workdir / "regions-source.duckdb"
    journals = [workdir / f"journal-{k}.txt" for k in range(writers)]
    harness.save_observation(dbfile, 1, 1)
    journals[0].write_text("done save 1 1\n", encoding="utf-8")
    db.add_regions({"ra": [10.0], "dec": [0.0], "radius": [5.0]}, dbfile=source)
    release_connections()
    rng = random.Random(seed)
    failures: list[str] = []
    progressed = 0
    version = 1
    started = time.monotonic()
    for round_ in range(rounds):
        pids = []
        sizes = [j.stat().st_size if j.exists() else 0 for j in journals]
        for k, journal in enumerate(journals):
            version += 10_000
            pids.append(
                _fork_writer(dbfile, source, journal, seed * 7919 + round_ * 31 + k, version, k)
            )
        victim = rng.randrange(writers)
        harness.wait_for_growth(journals[victim], sizes[victim], pids[victim])  # it is writing
        time.sleep(rng.uniform(0.05, max_delay))
        os.kill(pids[victim], signal.SIGKILL)
        others = [k for k in range(writers) if k != victim]
        before = {k: _done_lines(journals[k]) for k in others}
        if _a_survivor_commits(journals, others, before):
            progressed += 1
        else:
            failures.append(f"round {round_}: no writer committed after writer {victim} was killed")
        for k in others:
            os.kill(pids[k], signal.SIGKILL)
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
                failures.append(f"round {round_}: a writer ended on its own (status {status})")
        try:
            problems = verify_many(dbfile, journals)
        except Exception as exc:
            problems = [f"cannot open after the kills: {type(exc).__name__}: {exc}"]
        failures += [f"round {round_}: {p}" for p in problems]
        if len(failures) > 50:
            break
    saves = sum(_done_lines(j) for j in journals)
    return {
        "rounds": rounds,
        "writers": writers,
        "seed": seed,
        "rounds_where_survivors_committed": progressed,
        "acknowledged_operations": saves,
        "failures": failures,
        "elapsed_s": round(time.monotonic() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=0.5, help="seconds")
    args = parser.parse_args(argv)
    summary = run(args.workdir, args.rounds, args.writers, args.seed, args.max_delay)
    print(json.dumps(summary, indent=1))
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
