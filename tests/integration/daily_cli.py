"""``astromon daily`` in real processes: a fake arc5gl lists the observations, a scripted
processor (``tests.unit.ops_fakes:scripted_from_env``) stands for the per-observation work,
the database, run log, run lock and web pages are real files in a temporary directory."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from astromon_adapters.operations.run_log import JsonLinesRunLog

from astromon.domain.daily_run import DailyRun
from tests.integration import fake_ciao

REPO = Path(__file__).resolve().parents[2]
FAKE_WORK = ["--processor", "tests.unit.ops_fakes:scripted_from_env"]


def write_listing(archive: Path, obsids: list[int]) -> None:
    """The obspar file names the fake arc5gl's ``browse obspar`` lists for ``obsids``
    (``axaff{obsid:05d}N002_obs0a.par.gz``, the archive's naming)."""
    for obsid in obsids:
        directory = archive / str(obsid) / "obspar"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"axaff{obsid:05d}N002_obs0a.par.gz").write_bytes(b"")


@dataclass(frozen=True)
class DailyEnv:
    """The files of the runs and the environment of the ``astromon`` processes."""

    root: Path
    db: Path
    web: Path
    logs: Path
    env: dict[str, str]

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable, "-m", "astromon", "--db", str(self.db), "daily",
            "--web-dir", str(self.web), "--log-dir", str(self.logs), *FAKE_WORK, *args,
        ]  # fmt: skip

    def environment(self, script: str = "", **extra: str) -> dict[str, str]:
        return {**self.env, "ASTROMON_TEST_SCRIPT": script, **extra}

    def run(
        self, *args: str, script: str = "", timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args), capture_output=True, text=True, env=self.environment(script),
            cwd=self.root, timeout=timeout, check=False,
        )  # fmt: skip

    def start(self, *args: str, script: str = "", **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=self.environment(script, **extra), cwd=self.root,
        )  # fmt: skip

    def records(self) -> list[DailyRun]:
        history = JsonLinesRunLog(self.logs).history()
        assert history.damaged == ()
        return list(history.runs)


def daily_env(root: Path, obsids: list[int]) -> DailyEnv:
    """A fake arc5gl listing ``obsids`` and the environment to run ``astromon daily``."""
    archive = root / "fake_archive"
    write_listing(archive, obsids)
    bin_dir, _, config = fake_ciao.install(
        root, {"archive": str(archive), "log": str(root / "calls.jsonl")}
    )
    (root / "home").mkdir(exist_ok=True)
    code = os.pathsep.join(str(p) for p in (REPO / "src", REPO / "adapters", REPO))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ASTROMON_", "CALDB", "SKA"))
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=code,
        FAKE_CIAO_CONFIG=str(config),
        HOME=str(root / "home"),
        ASTROMON_WORKERS="1",
        ASTROMON_LOG_LEVEL="30",
    )
    return DailyEnv(root, root / "astromon.duckdb", root / "www", root / "logs", env)
