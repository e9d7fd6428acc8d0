"""SIGKILL crash safety of the DuckDB store (runs tests/integration/crash_harness.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).with_name("crash_harness.py")
ROOT = Path(__file__).resolve().parents[2]


def _run_harness(workdir: Path, kills: int, seed: int) -> dict[str, object]:
    result = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            "--workdir",
            str(workdir),
            "--kills",
            str(kills),
            "--seed",
            str(seed),
            "--max-delay",
            "0.2",
        ],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=ROOT,
    )
    assert result.stdout, result.stderr
    summary: dict[str, object] = json.loads(result.stdout)
    assert result.returncode == (1 if summary["failures"] else 0)
    return summary


def test_harness_building_blocks(tmp_path: Path) -> None:
    """The journal reader and the verifier understand a clean file and a lost write."""
    from tests.integration import crash_harness as harness

    dbfile = tmp_path / "a.duckdb"
    journal = tmp_path / "journal.txt"
    harness.save_observation(dbfile, 3, 5)
    journal.write_text("done save 3 5\nintent save 4 6\n", encoding="utf-8")
    problems, fate = harness.verify(dbfile, journal)
    assert problems == []
    assert fate == "rolled back"
    journal.write_text("done save 3 5\ndone save 4 6\n", encoding="utf-8")
    problems, fate = harness.verify(dbfile, journal)
    assert fate == "none"
    assert problems == ["lost write: obsid 4 may hold {6}, the file has None"]


@pytest.mark.slow
def test_sigkill_100_writers(tmp_path: Path) -> None:
    summary = _run_harness(tmp_path, kills=100, seed=20261124)
    assert summary["failures"] == []
    assert summary["kills"] == 100
    fates = summary["in_flight_at_kill"]
    assert isinstance(fates, dict)
    # the kills landed inside writes, not only between them
    assert fates.get("rolled back", 0) + fates.get("committed", 0) >= 10
    counts = summary["final_row_counts"]
    assert isinstance(counts, dict)
    assert counts["astromon_obs"] >= 5


CONCURRENT = Path(__file__).with_name("crash_concurrent.py")


def test_sigkill_one_of_three_concurrent_writers(tmp_path: Path) -> None:
    """A writer killed mid-save: the others go on, and no acknowledged save is lost."""
    result = subprocess.run(
        [
            sys.executable,
            str(CONCURRENT),
            "--workdir",
            str(tmp_path),
            "--rounds",
            "8",
            "--writers",
            "3",
            "--seed",
            "20261201",
        ],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=ROOT,
    )
    assert result.stdout, result.stderr
    summary = json.loads(result.stdout)
    assert summary["failures"] == []
    assert result.returncode == 0
    assert summary["rounds_where_survivors_committed"] == 8
    assert summary["acknowledged_operations"] > 8
