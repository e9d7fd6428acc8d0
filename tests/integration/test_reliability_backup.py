"""``astromon db backup|restore``: consistent copies while readers and writers run."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from astromon_adapters.storage.duckdb.store import release_connections
from typer.testing import CliRunner

from astromon import db
from astromon.bootstrap import bootstrap
from astromon.cli.app import app
from astromon.domain.errors import DatabaseError, DatabaseLockedError, ValidationError
from tests.integration import crash_harness as harness

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("astromon_obs", "astromon_xray_src", "astromon_cat_src", "astromon_xcorr")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(path: Path) -> dict[str, list[str]]:
    out = {name: sorted(str(list(r)) for r in db.get_table(name, path)) for name in TABLES}
    out["astromon_regions"] = sorted(str(list(r)) for r in db.get_table("astromon_regions", path))
    release_connections()
    return out


@pytest.fixture
def dbfile(tmp_path: Path) -> Path:
    path = tmp_path / "astromon.duckdb"
    for obsid in (1, 2, 3, 4):
        harness.save_observation(path, obsid, obsid + 10)
    db.add_regions({"ra": [1.0, 2.0], "dec": [2.0, 3.0], "radius": [3.0, 4.0]}, dbfile=path)
    release_connections()
    return path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_backup_and_restore_round_trip(dbfile: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.duckdb"
    code, output = cli("--db", str(dbfile), "db", "backup", str(backup))
    assert code == 0, output
    assert "verified" in output
    assert rows(backup) == rows(dbfile)
    assert bootstrap().check_database(backup).ok
    original = rows(dbfile)
    harness.save_observation(dbfile, 9, 99)  # the database moves on
    release_connections()
    before = digest(dbfile)
    code, output = cli("--db", str(dbfile), "db", "restore", str(backup))
    assert code == 1
    assert "refusing to overwrite" in output and "--force" in output
    assert digest(dbfile) == before
    code, output = cli("--db", str(dbfile), "db", "restore", str(backup), "--force")
    assert code == 0, output
    assert rows(dbfile) == original
    # the restored file keeps working: a new write and the check
    harness.save_observation(dbfile, 5, 50)
    release_connections()
    assert bootstrap().check_database(dbfile).ok
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


def test_backup_refuses_to_overwrite_without_force(dbfile: Path, tmp_path: Path) -> None:
    backup = tmp_path / "b.duckdb"
    backup.write_bytes(b"precious")
    code, output = cli("--db", str(dbfile), "db", "backup", str(backup))
    assert code == 1
    assert backup.read_bytes() == b"precious"
    code, output = cli("--db", str(dbfile), "db", "backup", str(backup), "--force")
    assert code == 0, output
    assert rows(backup) == rows(dbfile)


def test_backup_errors(dbfile: Path, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="same file"):
        bootstrap().backup_database(dbfile, dbfile, force=True)
    with pytest.raises(DatabaseError, match="does not exist"):
        bootstrap().backup_database(tmp_path / "absent.duckdb", tmp_path / "x.duckdb")
    with pytest.raises(DatabaseError, match="directory"):
        bootstrap().backup_database(dbfile, tmp_path / "no" / "such" / "dir.duckdb")
    code, output = cli("--db", str(dbfile), "db", "backup", str(dbfile), "--force")
    assert code == 2 and output.startswith("error: ")
    # nothing left behind but the database and its sidecar lock file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["astromon.duckdb", "astromon.duckdb.lock"]


def test_restore_refuses_a_damaged_backup(dbfile: Path, tmp_path: Path) -> None:
    import duckdb

    backup = tmp_path / "backup.duckdb"
    bootstrap().backup_database(dbfile, backup)
    con = duckdb.connect(str(backup))
    con.execute("DELETE FROM astromon_obs WHERE obsid = 3")  # orphans its sources
    con.close()
    before = digest(dbfile)
    code, output = cli("--db", str(dbfile), "db", "restore", str(backup), "--force")
    assert code == 1
    assert "fails the integrity check" in output and "orphan" in output
    assert digest(dbfile) == before
    truncated = tmp_path / "truncated.duckdb"
    truncated.write_bytes(backup.read_bytes()[:5000])
    code, output = cli("--db", str(dbfile), "db", "restore", str(truncated), "--force")
    assert code == 1
    assert digest(dbfile) == before
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


def test_restore_into_a_new_file(dbfile: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.duckdb"
    bootstrap().backup_database(dbfile, backup)
    fresh = tmp_path / "fresh.duckdb"
    result = bootstrap().restore_database(backup, fresh)
    assert result.destination == str(fresh)
    assert result.report.row_counts["astromon_obs"] == 4
    assert rows(fresh) == rows(dbfile)


_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tests.integration import crash_harness as harness
    path, seconds = Path(sys.argv[1]), float(sys.argv[2])
    end, version = time.monotonic() + seconds, 100
    while time.monotonic() < end:
        version += 1
        harness.save_observation(path, 1 + version % 7, version)
    print(version)
    """
)

_READER = textwrap.dedent(
    """
    import sys, time
    from astromon import db
    path, seconds = sys.argv[1], float(sys.argv[2])
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        db.get_table("astromon_xray_src", path)
        n += 1
    print(n)
    """
)


def _start(script: str, *args: str) -> subprocess.Popen[str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env = {**os.environ, "PYTHONPATH": path, "ASTROMON_LOCK_TIMEOUT": "60"}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_backup_while_a_writer_and_readers_run(dbfile: Path, tmp_path: Path) -> None:
    os.environ["ASTROMON_LOCK_TIMEOUT"] = "60"
    try:
        writer = _start(_WRITER, str(dbfile), "6")
        readers = [_start(_READER, str(dbfile), "6") for _ in range(2)]
        time.sleep(1.5)  # let them start working
        copies = []
        for i in range(3):
            copy = tmp_path / f"copy{i}.duckdb"
            bootstrap().backup_database(dbfile, copy)
            copies.append(copy)
            time.sleep(0.3)
        outputs = [p.communicate(timeout=120) for p in (writer, *readers)]
    finally:
        os.environ.pop("ASTROMON_LOCK_TIMEOUT", None)
    for process, (out, err) in zip((writer, *readers), outputs, strict=True):
        assert process.returncode == 0, err
        assert int(out.strip()) > 0
    assert int(outputs[0][0]) > 101  # the writer made progress while backups were taken
    for copy in copies:
        assert bootstrap().check_database(copy).ok
        problems, stored = harness.whole_observation_problems(copy)
        assert problems == []
        assert set(stored) >= {1, 2, 3, 4}
    release_connections()


_HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("SELECT 1")
    print("ready", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


def test_backup_of_a_file_held_by_a_writer_times_out(dbfile: Path, tmp_path: Path) -> None:
    holder = _start(_HOLDER, str(dbfile), "30")
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        from astromon_adapters.storage.duckdb.backup import DuckDBCopier

        from astromon.services.storage.backup import backup_database

        with pytest.raises(DatabaseLockedError) as info:
            backup_database(
                DuckDBCopier(lock_timeout=0.5),
                bootstrap().staged_store,
                str(dbfile),
                str(tmp_path / "copy.duckdb"),
            )
        message = str(info.value)
        assert str(dbfile) in message
        assert f"PID {holder.pid}" in message
        assert not (tmp_path / "copy.duckdb").exists()
    finally:
        holder.kill()
        holder.wait()
