"""Paths that are not regular files, on the command line: what the fuzzing of every command
(tests/unit/test_fuzz_cli_commands.py) found in the file adapters' output and input rules.

The commands' own inputs (``--file``, ``--offsets-file``, ``--obsid-file``...) refuse a FIFO
or a device at once (first test). The cases marked ``xfail(strict=True)`` are open defects of
the one atomic writer's output rule and of the input rule of the file adapters: each names
the rule it needs. A device is made in the test's directory (``mknod``, as root), so that a
writer that wrongly replaces it replaces the copy, never ``/dev/null``; a FIFO blocks its
reader forever, so those cases run as real processes with a time limit.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_cli_subprocess import FAKE, command, env, run

OUTPUT_RULE = (
    "output rule of the atomic writer (astromon_adapters.storage.atomic_files / table_files): "
    "write only regular files, never replace a device"
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "rules.duckdb"
    done = run("--db", str(path), "process", "1-4", "--workers", "1", "--processor", FAKE)
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def device(tmp_path: Path) -> Path:
    """A character device like /dev/null, in the test's directory."""
    path = tmp_path / "null.csv"
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device needs root")
    return path


def run_limited(*args: str, seconds: float = 20) -> subprocess.CompletedProcess[str] | None:
    """``astromon ARGS``, or None when it is still running after ``seconds`` (it blocked)."""
    try:
        return subprocess.run(
            [*command(), *args], capture_output=True, text=True, env=env(), timeout=seconds,
            check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None


@pytest.mark.parametrize(
    "args",
    [
        ["regions", "add", "--file", "{fifo}"],
        ["report", "--offsets-file", "{fifo}", "--out", "{tmp}/r"],
        ["process", "--obsid-file", "{fifo}", "--processor", FAKE],
        ["calalign", "write", "--offsets", "{fifo}", "--calalign-file", "{fifo}", "--out", "{tmp}"],
    ],
)
def test_the_commands_own_inputs_refuse_a_fifo_at_once(
    tmp_path: Path, db: Path, args: list[str]
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    real = [a.format(fifo=fifo, tmp=tmp_path) for a in args]
    result = run_limited("--db", str(db), *real)
    assert result is not None, f"{real} blocked on the FIFO"
    assert result.returncode == 2, result.stderr
    assert (
        result.stderr.splitlines() == [result.stderr.strip()]
        and "not a regular file" in result.stderr
    )


def test_an_output_that_is_a_device_is_refused(db: Path, device: Path) -> None:
    result = run(
        "--db", str(db), "matches", "--output", str(device), "--overwrite", "--format", "csv"
    )
    assert stat.S_ISCHR(os.stat(device).st_mode), "the device was replaced by a regular file"
    assert result.returncode in (1, 2) and str(device) in result.stderr


@pytest.mark.xfail(strict=True, reason=OUTPUT_RULE + " (the --plot PNG of the renderer too)")
def test_a_plot_that_is_a_device_is_refused(db: Path, tmp_path: Path) -> None:
    plot = tmp_path / "null.png"
    try:
        os.mknod(plot, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device needs root")
    run("--db", str(db), "calalign", "offsets", "--snr", "0", "--plot", str(plot), "--overwrite")
    assert stat.S_ISCHR(os.stat(plot).st_mode), "the device was replaced by a PNG file"


def test_the_database_as_output_is_refused(db: Path) -> None:
    before = db.read_bytes()[:16]
    result = run("--db", str(db), "matches", "--output", str(db), "--overwrite", "--format", "csv")
    assert db.read_bytes()[:16] == before, "the database was replaced by a CSV file"
    assert result.returncode in (1, 2)


def test_a_fifo_as_the_database_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.duckdb"
    os.mkfifo(fifo)
    result = run_limited("--db", str(fifo), "tables")
    assert result is not None, "astromon --db FIFO tables blocked"
    assert result.returncode in (1, 2)


@pytest.mark.parametrize(
    "args",
    [["db", "import-legacy", "{fifo}"], ["regions", "sync", "{fifo}"],
     ["db", "restore", "{fifo}", "--overwrite"]],
)  # fmt: skip
def test_a_fifo_as_an_input_database_is_refused_at_once(
    tmp_path: Path, db: Path, args: list[str]
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = run_limited("--db", str(db), *[a.format(fifo=fifo) for a in args])
    assert result is not None, f"{args} blocked on the FIFO"
    assert result.returncode in (1, 2)
