"""The long commands of the signal tests: their inputs, their arguments and what to check of
the database and the outputs after a round (see ``signal_harness.py``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.integration.signal_processes import in_reader, run_child

__all__ = ["SCENARIOS", "Scenario"]

FAKE = "tests.unit.ops_fakes:scripted_from_env"
PROCESS_OBSIDS = 12
XMATCH_OBSIDS = 300
ROWS_PER_OBSID = {"astromon_xray_src": 3, "astromon_cat_src": 2, "astromon_xcorr": 1}
"""Rows of each table per observation of the scripted processor (tests.unit.ops_fakes)."""


def obsid_rows(db: Path) -> dict[str, dict[int, int]]:
    """Rows per obsid of each observation table (counted in a forked reader)."""

    def count() -> dict[str, dict[str, int]]:
        import numpy as np
        from astromon_adapters.storage.duckdb.store import DuckDBStore

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
        from astromon_adapters.storage.duckdb.store import DuckDBStore

        xcorr = DuckDBStore(db).read_table("astromon_xcorr")
        return int(np.count_nonzero(np.asarray(xcorr["select_name"]).astype(str) == select_name))

    return int(in_reader(count))


class Scenario:
    """One long command: its inputs, its arguments and what to check after a round."""

    name = ""

    def __init__(self, base: Path) -> None:
        self.base = base

    def setup(self) -> float | None:
        """Build the inputs every round starts from, in ``self.base``; the run time of the
        command as the first round runs it, when building them ran it (else None)."""
        return None

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

    def setup(self) -> float:
        code, took, _ = run_child(
            self.args(self.base / "full.duckdb"), self.base, self.env(), None, 0
        )
        assert code == 0, (self.base / "stderr").read_text()
        return took

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
        return None

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

    def setup(self) -> float:
        code, _, _ = run_child(Process.args(self.base / "db.duckdb"), self.base, {}, None, 0)
        assert code == 0, (self.base / "stderr").read_text()
        code, took, _ = run_child(self.args(self.base / "earlier"), self.base, {}, None, 0)
        assert code == 0, (self.base / "stderr").read_text()
        self.complete = report_files(self.base / "earlier")
        (self.base / "earlier" / "marker.json").write_text("[]")  # tells the earlier one
        return took

    def args(self, out: Path) -> list[str]:
        return ["--db", str(self.base / "db.duckdb"), "report", "--out", str(out), "--now",
                "2015:001", "--overwrite"]  # fmt: skip

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


DAILY_OBSIDS = 6


class Daily(Scenario):
    """``daily --workers 2`` (a fake arc5gl lists 6 recent observations, 50 ms of scripted
    work each) into a new database, writing its web pages and its run record."""

    name = "daily"

    def setup(self) -> None:
        from tests.integration.daily_cli import daily_env

        self.daily = daily_env(self.base, list(range(1, DAILY_OBSIDS + 1)))
        return None

    def prepare(self, rundir: Path, index: int) -> tuple[list[str], dict[str, str]]:
        from tests.integration.daily_cli import FAKE_WORK

        args = ["--db", str(rundir / "d.duckdb"), "daily", "--web-dir", str(rundir / "www"),
                "--log-dir", str(rundir / "logs"), "--workers", "2", *FAKE_WORK]  # fmt: skip
        return args, self.daily.environment("*:slow")

    def check(self, rundir: Path, code: int, out: str) -> list[str]:
        from astromon_adapters.operations.run_log import JsonLinesRunLog

        rows = obsid_rows(rundir / "d.duckdb")
        stored = sorted(rows.get("astromon_obs", {}))
        problems = []
        for table in ("astromon_xray_src", "astromon_cat_src"):
            counts = rows.get(table, {})
            for obsid in sorted(set(counts) | set(stored)):
                wanted = ROWS_PER_OBSID[table] if obsid in stored else 0
                if counts.get(obsid, 0) != wanted:
                    problems.append(f"{table} has {counts.get(obsid, 0)} rows of obsid {obsid}")
        if code == 0 and stored != list(range(1, DAILY_OBSIDS + 1)):
            problems.append(f"finished with the observations {stored}")
        history = JsonLinesRunLog(rundir / "logs").history()
        if history.damaged:
            problems.append(f"a torn run record: {history.damaged}")
        if code == 0 and len(history.runs) != 1:
            problems.append(f"finished with {len(history.runs)} run records")
        staging = sorted(p.name for p in rundir.iterdir() if p.name.startswith(".www"))
        if staging:
            problems.append(f"staging directories left: {staging}")
        if code == 0 and not (rundir / "www" / "index.html").exists():
            problems.append("finished without its web pages")
        return problems


SCENARIOS: dict[str, type[Scenario]] = {
    s.name: s for s in (Process, CrossMatch, Report, Demo, Daily)
}
