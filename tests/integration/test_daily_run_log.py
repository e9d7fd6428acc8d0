"""The run log on a real file: appends read back, damage stays apart, several real processes
append at once, and writers killed while appending leave no partial line."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from astromon_adapters.operations.run_log import JsonLinesRunLog

from astromon.domain.daily_run import run_to_json
from astromon.domain.errors import DatabaseError, ValidationError
from tests.unit.daily_support import typical_run

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = Path(__file__).with_name("daily_processes.py")


def _appenders(log_dir: Path, writers: int, count: int, pad: int) -> list[subprocess.Popen[str]]:
    go = time.time() + 1.0  # every writer starts appending at the same moment
    return [
        subprocess.Popen(
            [sys.executable, str(PROCESSES), "append", str(log_dir), str(index)]
            + [str(value) for value in (count, pad, go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(writers)
    ]


def test_records_are_appended_and_read_back(tmp_path: Path) -> None:
    log = JsonLinesRunLog(tmp_path / "logs" / "daily")  # made by the first append
    assert log.history().runs == () and not log.path.exists()
    runs = [typical_run(pid=pid) for pid in (101, 102, 103)]
    for run in runs:
        log.append(run)
    assert log.path == tmp_path / "logs" / "daily" / "daily.jsonl"
    assert log.path.read_text(encoding="ascii") == "".join(run_to_json(r) + "\n" for r in runs)
    assert log.history().runs == tuple(runs)
    assert log.history(last=2).runs == tuple(runs[1:])
    with pytest.raises(ValidationError, match="last must be a number of runs >= 0"):
        log.history(last=-2)


def test_damaged_lines_are_reported_and_an_unfinished_last_line_is_cut_off(
    tmp_path: Path,
) -> None:
    log = JsonLinesRunLog(tmp_path)
    first, second = typical_run(pid=201), typical_run(pid=202)
    log.append(first)
    with open(log.path, "ab") as handle:  # a hand edit, then a writer killed mid-write
        handle.write(b"# checked by hand\n" + run_to_json(second).encode()[:300])
    history = log.history()
    assert history.runs == (first,)
    assert [(d.number, d.reason[:8]) for d in history.damaged] == [(2, "not JSON"), (3, "not JSON")]
    log.append(second)
    assert log.path.read_bytes().endswith(
        b"\n# checked by hand\n" + run_to_json(second).encode() + b"\n"
    )
    history = log.history()
    assert history.runs == (first, second)
    assert [d.number for d in history.damaged] == [2]
    with open(log.path, "ab") as handle:  # a whole record whose newline was removed by hand
        handle.write(run_to_json(first).encode())
    log.append(second)
    assert log.history().runs == (first, second, first, second)


def test_an_unwritable_or_unreadable_log_is_named(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(
        DatabaseError, match=f"cannot write the run log {tmp_path}/file/daily.jsonl"
    ):
        JsonLinesRunLog(tmp_path / "file").append(typical_run())
    (tmp_path / "dir" / "daily.jsonl").mkdir(parents=True)
    with pytest.raises(DatabaseError, match="cannot read the run log"):
        JsonLinesRunLog(tmp_path / "dir").history()


@pytest.mark.slow
def test_several_processes_append_at_once_without_tearing_or_losing_a_line(
    tmp_path: Path,
) -> None:
    writers, count, pad = 6, 40, 20_000  # lines of 20 kB: several memory pages each
    processes = _appenders(tmp_path, writers, count, pad)
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.split("\n")[-2] == f"acked {count - 1}"
    lines = (tmp_path / "daily.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == writers * count + 1
    history = JsonLinesRunLog(tmp_path).history()
    assert history.damaged == ()
    seen = Counter((run.host, run.processed[0]) for run in history.runs)
    assert seen == Counter((f"writer-{w}", i + 1) for w in range(writers) for i in range(count))
    for run in history.runs:  # each line is one writer's record, whole
        index, number, pad_text = run.error.split(":")
        assert (f"writer-{index}", int(number) + 1) == (run.host, run.processed[0])
        assert pad_text == "x" * pad


@pytest.mark.slow
def test_writers_killed_while_appending_leave_no_partial_line(tmp_path: Path) -> None:
    rng = random.Random(24)
    acked: dict[int, int] = {}
    for _ in range(3):  # rounds
        processes = _appenders(tmp_path, 3, 100_000, 64_000)  # lines of 64 kB
        first = [process.stdout.readline() for process in processes]  # type: ignore[union-attr]
        assert first == ["acked 0\n"] * 3  # all are appending now
        time.sleep(rng.uniform(0.01, 0.2))
        for process in processes:
            os.kill(process.pid, signal.SIGKILL)
        for process in processes:
            out = process.stdout.read()  # type: ignore[union-attr]  # after the line read above
            process.communicate(timeout=60)
            acked[process.pid] = 1 + sum(line.startswith("acked ") for line in out.splitlines())
        history = JsonLinesRunLog(tmp_path).history()
        # a writer killed inside its write() leaves at most one unfinished line, the last
        assert [d.number for d in history.damaged] in ([], [len(history.runs) + 1])
        JsonLinesRunLog(tmp_path).append(typical_run(pid=1))  # the next run cuts it off
        history = JsonLinesRunLog(tmp_path).history()
        assert history.damaged == ()
        assert (tmp_path / "daily.jsonl").read_bytes().endswith(b"\n")
    stored = Counter(run.pid for run in history.runs)
    for pid, count in acked.items():  # every acknowledged record is there, at most one more
        assert count <= stored[pid] <= count + 1, (pid, count, stored[pid])
    lines = (tmp_path / "daily.jsonl").read_bytes().split(b"\n")[:-1]
    assert len(lines) == len(history.runs)
    assert all(json.loads(line)["format"] == 1 for line in lines)
