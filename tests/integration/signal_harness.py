"""Ctrl-C and SIGTERM at random moments of real ``astromon`` processes, checked after each.

Run as a script (``python tests/integration/signal_harness.py --command process --rounds 50
--workdir DIR``), it prepares the inputs of one long command (``process --workers 2``,
``demo``, ``report``, ``cross-match``), runs it once to completion to measure how long it
takes, and then, ``rounds`` times:

1. forks a child from this already-initialised process (no interpreter start: a round costs
   the command's own work) that, in a session of its own, with stdout and stderr in files,
   runs the ``astromon`` console script (:func:`astromon.cli.entry.main`) and then what the
   interpreter does as it exits (joins the threads, runs the ``atexit`` functions);
2. waits until the child has installed its signal handlers (``SigCgt`` of /proc), sleeps a
   random time within the measured duration and sends SIGINT or SIGTERM (in turn, or the one
   ``--signal`` names) to the child's process group, as a terminal's Ctrl-C or systemd's stop
   do;
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
import atexit
import json
import os
import random
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: the tests package is importable
    sys.path.insert(0, str(ROOT))

FAKE = "tests.unit.ops_fakes:scripted_from_env"
LINES = {signal.SIGINT: "error: interrupted", signal.SIGTERM: "error: terminated (SIGTERM)"}
SENT = (signal.SIGINT, signal.SIGTERM)
STAGING = re.compile(r"^\..*\.(new|old)-\d+-[0-9a-f]+$|\.tmp$|\.staging$|^astromon-demo-\d+-")
PROCESS_OBSIDS = 12
XMATCH_OBSIDS = 300
ROWS_PER_OBSID = {"astromon_xray_src": 3, "astromon_cat_src": 2, "astromon_xcorr": 1}
"""Rows of each table per observation of the scripted processor (tests.unit.ops_fakes)."""


# --- processes --------------------------------------------------------------------------


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


def obsid_rows(db: Path) -> dict[str, dict[int, int]]:
    """Rows per obsid of each observation table (counted in a forked reader)."""

    def count() -> dict[str, dict[str, int]]:
        import numpy as np
        from astromon_adapters.duckdb_store import DuckDBStore

        store = DuckDBStore(db)
        out: dict[str, dict[str, int]] = {}
        names = set(store.table_names())
        for table in ("astromon_obs", *ROWS_PER_OBSID):
            if table not in names:
                out[table] = {}
                continue
            obsids, counts = np.unique(
                np.asarray(store.read_table(table)["obsid"]), return_counts=True
            )
            out[table] = {str(int(o)): int(c) for o, c in zip(obsids, counts, strict=True)}
        return out

    if not db.exists():
        return {}
    counted = in_reader(count)
    return {table: {int(o): c for o, c in rows.items()} for table, rows in counted.items()}


def select_name_rows(db: Path, select_name: str) -> int:
    """Rows of ``astromon_xcorr`` stored under ``select_name``."""

    def count() -> int:
        import numpy as np
        from astromon_adapters.duckdb_store import DuckDBStore

        xcorr = DuckDBStore(db).read_table("astromon_xcorr")
        return int(np.count_nonzero(np.asarray(xcorr["select_name"]).astype(str) == select_name))

    return int(in_reader(count))


# --- the commands -----------------------------------------------------------------------


class Scenario:
    """One long command: its inputs, its arguments and what to check after a round."""

    name = ""

    def __init__(self, base: Path) -> None:
        self.base = base

    def setup(self) -> None:
        """Build the inputs every round starts from, in ``self.base``."""

    def prepare(self, rundir: Path, index: int) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def check(self, rundir: Path, code: int, out: str) -> list[str]:
        raise NotImplementedError


def whole(rows: dict[str, dict[int, int]], obsids: list[int]) -> list[str]:
    """Problems unless the tables hold exactly ``obsids``, each whole."""
    problems = []
    stored = sorted(rows.get("astromon_obs", {}))
    if stored != sorted(obsids):
        problems.append(f"stored obsids {stored} are not {sorted(obsids)}")
    for table, per_obsid in ROWS_PER_OBSID.items():
        counts = rows.get(table, {})
        for obsid in sorted(set(counts) | set(obsids)):
            if counts.get(obsid, 0) != (per_obsid if obsid in obsids else 0):
                problems.append(f"{table} has {counts.get(obsid, 0)} rows of obsid {obsid}")
    return problems


def reported_obsids(out: str, title: str) -> list[int]:
    match = re.search(rf"^  {title}: \d+: ([\d ]+)$", out, re.M)
    return [int(o) for o in match.group(1).split()] if match else []


class Process(Scenario):
    """``process 1-12 --workers 2`` (50 ms per obsid) into a new database, or with
    ``--force`` over a copy of a complete one (every other round)."""

    name = "process"

    def setup(self) -> None:
        code, _, _ = run_child(self.args(self.base / "full.duckdb"), self.base, self.env(), None, 0)
        assert code == 0, (self.base / "stderr").read_text()

    @staticmethod
    def env() -> dict[str, str]:
        return {"ASTROMON_TEST_SCRIPT": "*:slow"}

    @staticmethod
    def args(db: Path) -> list[str]:
        return ["--db", str(db), "process", f"1-{PROCESS_OBSIDS}", "--workers", "2",
                "--processor", FAKE]  # fmt: skip

    def prepare(self, rundir: Path, index: int) -> tuple[list[str], dict[str, str]]:
        db = rundir / "batch.duckdb"
        self.force = index % 2 == 1
        if self.force:
            shutil.copyfile(self.base / "full.duckdb", db)
            return [*self.args(db), "--force"], self.env()
        return self.args(db), self.env()

    def check(self, rundir: Path, code: int, out: str) -> list[str]:
        rows = obsid_rows(rundir / "batch.duckdb")
        everything = list(range(1, PROCESS_OBSIDS + 1))
        if code == 0:
            return whole(rows, everything)
        if self.force:  # replaced observations: every one stays whole, none is lost
            return whole(rows, everything)
        head = re.search(r"^(\d+) obsids: (\d+) saved", out, re.M)
        if head is None:  # stopped before the batch began: nothing may be stored
            return whole(rows, []) + ([f"no summary: {out!r}"] if rows.get("astromon_obs") else [])
        saved = reported_obsids(out, "saved")
        problems = whole(rows, saved)
        if int(head.group(2)) != len(saved):
            problems.append(f"the summary counts {head.group(2)} saved, lists {saved}")
        lost = set(reported_obsids(out, r"interrupted \(nothing stored\)")) & set(saved)
        if lost:
            problems.append(f"listed as saved and as nothing stored: {sorted(lost)}")
        return problems


class CrossMatch(Scenario):
    """``cross-match simple --select-name sig`` over a copy of a 300-observation database."""

    name = "cross-match"

    def setup(self) -> None:
        args = ["--db", str(self.base / "full.duckdb"), "process", f"1-{XMATCH_OBSIDS}",
                "--workers", "1", "--processor", FAKE]  # fmt: skip
        code, _, _ = run_child(args, self.base, {}, None, 0)
        assert code == 0, (self.base / "stderr").read_text()

    def prepare(self, rundir: Path, index: int) -> tuple[list[str], dict[str, str]]:
        db = rundir / "x.duckdb"
        shutil.copyfile(self.base / "full.duckdb", db)
        return ["--db", str(db), "cross-match", "simple", "--select-name", "sig", "--catalogs",
                "Tycho2,ICRS", "--snr", "0", "--dr", "10", "--r-angle", "1000",
                "--r-angle-grating", "1000", "--near-neighbor-dist", "0"], {}  # fmt: skip

    def check(self, rundir: Path, code: int, out: str) -> list[str]:
        stored = select_name_rows(rundir / "x.duckdb", "sig")
        said = re.search(r"^stored (\d+) matches", out, re.M)
        if said is None:
            return [] if stored == 0 and code != 0 else [f"{stored} rows stored, none reported"]
        if int(said.group(1)) != stored or stored == 0:
            return [f"reported {said.group(1)} rows stored, {stored} are"]
        return []


def report_files(outdir: Path) -> set[str]:
    return {p.name for p in outdir.iterdir()} if outdir.is_dir() else set()


class Report(Scenario):
    """``report --out DIR`` over a 12-observation database; every other round ``DIR`` holds
    an earlier report, which is replaced."""

    name = "report"

    def setup(self) -> None:
        code, _, _ = run_child(Process.args(self.base / "db.duckdb"), self.base, {}, None, 0)
        assert code == 0, (self.base / "stderr").read_text()
        code, _, _ = run_child(self.args(self.base / "earlier"), self.base, {}, None, 0)
        assert code == 0, (self.base / "stderr").read_text()
        self.complete = report_files(self.base / "earlier")
        (self.base / "earlier" / "marker.json").write_text("[]")  # tells the earlier one

    def args(self, out: Path) -> list[str]:
        return ["--db", str(self.base / "db.duckdb"), "report", "--out", str(out), "--now",
                "2015:001"]  # fmt: skip

    def prepare(self, rundir: Path, index: int) -> tuple[list[str], dict[str, str]]:
        if index % 2:
            shutil.copytree(self.base / "earlier", rundir / "report")
        return self.args(rundir / "report"), {}

    def check(self, rundir: Path, code: int, out: str) -> list[str]:
        files = report_files(rundir / "report")
        earlier = self.complete | {"marker.json"}
        if code == 0 and files != self.complete:
            return [f"finished, but the report holds {sorted(files)}"]
        if files not in (set(), self.complete, earlier):
            return [f"the report directory holds {sorted(files)}"]
        if "report: " in out and files != self.complete:
            return ["the report was announced but is not complete"]
        return []


class Demo(Scenario):
    """``demo -n 2 --workers 1`` with its own temporary directory (TMPDIR)."""

    name = "demo"

    def prepare(self, rundir: Path, index: int) -> tuple[list[str], dict[str, str]]:
        (rundir / "tmp").mkdir()
        args = ["demo", "-n", "2", "--workers", "1", "--db", str(rundir / "d.duckdb"), "--out",
                str(rundir / "report")]  # fmt: skip
        return args, {"TMPDIR": str(rundir / "tmp")}

    def check(self, rundir: Path, code: int, out: str) -> list[str]:
        problems = []
        leftover = list((rundir / "tmp").iterdir())
        if leftover:
            problems.append(f"left in TMPDIR: {leftover}")
        rows = obsid_rows(rundir / "d.duckdb")
        if code == 0 or rows:
            obs = rows.get("astromon_obs", {})
            if len(obs) != 2 or any(c != 1 for c in obs.values()):
                problems.append(f"the installed database holds {obs}")
        if code == 0 and not (rundir / "report" / "index.html").exists():
            problems.append("finished without a report")
        return problems


SCENARIOS: dict[str, type[Scenario]] = {s.name: s for s in (Process, CrossMatch, Report, Demo)}


# --- the loop ---------------------------------------------------------------------------


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
    import astromon_adapters.duckdb_store
    import astromon_adapters.report_renderer  # noqa: F401
    import matplotlib.pyplot  # noqa: F401

    import astromon.cli.app  # noqa: F401  (everything the commands import, once)

    rng = random.Random(seed)
    base = workdir / "base"
    base.mkdir(parents=True)
    scenario = SCENARIOS[command](base)
    scenario.setup()
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
        delay = rng.uniform(0, duration)
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
