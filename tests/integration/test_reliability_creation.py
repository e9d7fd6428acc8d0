"""A database file is created only by a write that commits.

A first write that fails — a file-size limit reached at any point (``RLIMIT_FSIZE``: the
kernel refuses the write as on a full disk), an exception in the middle of the save, a
SIGKILL at a random moment — leaves no database file (only the lock file), never the
0-byte or 8 KiB file that later commands called damaged; a write that committed leaves a
sound file holding the whole observation. Real processes, real DuckDB files.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from astromon_adapters.storage.duckdb.store import DuckDBStore, release_connections

from astromon import db
from astromon.bootstrap import bootstrap
from astromon.domain.errors import DatabaseError, MissingTableException
from astromon.ports.store import TableWrite
from tests.integration import crash_harness as harness

ROOT = Path(__file__).resolve().parents[2]

FIRST_SAVE = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
    from astromon.domain.errors import DatabaseError
    from tests.integration import crash_harness as harness
    path, limit = Path(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        harness.save_observation(path, 7, 1)
    except DatabaseError as exc:
        print("refused:", exc)
        sys.exit(3)
    print("saved")
    """
)


def leftovers(directory: Path) -> list[str]:
    """Files of the directory other than the database's lock file."""
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(".lock"))


@pytest.mark.parametrize("limit", [0, 1000, 4096, 8192, 12288, 16384, 40000, 262144, 2**30])
def test_a_first_write_that_fails_on_a_full_disk_leaves_no_file(tmp_path: Path, limit: int) -> None:
    path = tmp_path / "new.duckdb"
    result = subprocess.run(
        [sys.executable, "-c", FIRST_SAVE, str(path), str(limit)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if result.returncode == 3:
        assert f"cannot create database file {path}" in result.stdout, result.stdout
        assert "Traceback" not in result.stderr
        assert leftovers(tmp_path) == [], "a failed first write left a file"
        with pytest.raises(DatabaseError, match="does not exist"):
            db.get_table("astromon_obs", path)
    else:
        assert result.returncode == 0 and "saved" in result.stdout, result.stderr
        assert leftovers(tmp_path) == ["new.duckdb"]
        assert bootstrap().check_database(path).ok
        assert harness.whole_observation_problems(path) == ([], {7: 1})
    assert (limit >= 2**30) == (result.returncode == 0), result.stdout  # 256 KiB blocks


@pytest.mark.parametrize("error", [RuntimeError("injected"), KeyboardInterrupt()])
def test_an_exception_in_the_middle_of_a_first_save_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    path = tmp_path / "new.duckdb"
    original = DuckDBStore._write_one
    calls: list[str] = []

    def second_write_fails(self: DuckDBStore, handle: object, write: TableWrite) -> None:
        calls.append(write.table)
        if len(calls) == 2:
            raise error
        original(self, handle, write)  # type: ignore[arg-type]

    monkeypatch.setattr(DuckDBStore, "_write_one", second_write_fails)
    with pytest.raises(type(error)):
        harness.save_observation(path, 7, 1)
    assert calls[:2] == ["astromon_obs", "astromon_xray_src"]
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    harness.save_observation(path, 7, 1)
    release_connections()
    assert bootstrap().check_database(path).ok


def test_a_write_of_nothing_creates_no_file(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    store = bootstrap().store(path, write=True)
    store.save_many([])
    assert leftovers(tmp_path) == []
    assert store.table_names() == []
    with pytest.raises(MissingTableException, match="does not exist"):
        store.read_table("astromon_obs")


@pytest.mark.slow
def test_sigkill_at_random_moments_of_first_saves(tmp_path: Path) -> None:
    """60 forked first writers, each killed after a random delay: the file is absent, or
    sound and whole; the staging files of killed writers are removed by the next creator.

    The delays are drawn up to a scale that starts at one first save's duration and follows
    the machine's load: it grows after a writer killed before its commit and shrinks after
    one killed after it, so that the kills land before, during and after the commit.
    """
    rng = random.Random(20261206)
    started = time.monotonic()
    harness.save_observation(tmp_path / "timed.duckdb", 3, 2)
    release_connections()
    scale = time.monotonic() - started
    outcomes = {"absent": 0, "whole": 0}
    for round_number in range(60):
        directory = tmp_path / f"round{round_number}"
        directory.mkdir()
        path = directory / "new.duckdb"
        pid = os.fork()
        if pid == 0:  # the child: one first save, then exit without cleanup
            try:
                harness.save_observation(path, 3, 2)
                release_connections()
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, scale))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        if path.exists():
            outcomes["whole"] += 1
            scale *= 0.8
            assert bootstrap().check_database(path).ok
            assert harness.whole_observation_problems(path) == ([], {3: 2})
        else:
            outcomes["absent"] += 1
            scale *= 1.25
            assert all(".creating" in name for name in leftovers(directory))
            with pytest.raises(DatabaseError, match="does not exist"):
                db.get_table("astromon_obs", path)
            harness.save_observation(path, 3, 2)  # the next creator: stale staging removed
            release_connections()
            assert leftovers(directory) == ["new.duckdb"]
    assert outcomes["absent"] >= 5 and outcomes["whole"] >= 5, outcomes
