"""Damaged files, files of a newer DuckDB, the waiting notice and the lock holder's PID."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from astromon_adapters.storage.duckdb.errors import database_error, writer_version
from typer.testing import CliRunner

from astromon import bootstrap, db
from astromon.cli.app import app
from astromon.domain.errors import DatabaseError, DatabaseLockedError
from tests.integration import crash_harness as harness

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dbfile(tmp_path: Path) -> Path:
    """A file of 40 observations (a few hundred kilobytes)."""
    path = tmp_path / "astromon.duckdb"
    for obsid in range(1, 41):
        harness.save_observation(path, obsid, obsid)
    bootstrap.bootstrap().store(path).read_table("astromon_obs")
    from astromon_adapters.storage.duckdb.store import release_connections

    release_connections()
    return path


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif how == "garbage":  # the headers survive, the blocks after them do not
        rng = np.random.default_rng(1)
        path.write_bytes(data[:12288] + rng.bytes(len(data) - 12288))
    elif how == "header":
        path.write_bytes(b"\x00" * 64 + data[64:])
    else:
        raise ValueError(how)


@pytest.mark.parametrize("how", ["truncated", "garbage", "header"])
def test_a_damaged_file_is_reported_at_once_as_damaged(dbfile: Path, how: str) -> None:
    _damage(dbfile, how)
    os.environ["ASTROMON_LOCK_TIMEOUT"] = "30"
    try:
        for call in (
            lambda: db.get_table("astromon_xray_src", dbfile),
            lambda: db.save(
                "astromon_obs", harness.observation_tables(77, 1)["astromon_obs"], dbfile
            ),
        ):
            started = time.monotonic()
            with pytest.raises(DatabaseError) as info:
                call()
            assert time.monotonic() - started < 1.0
            assert not isinstance(info.value, DatabaseLockedError)
            message = str(info.value)
            assert "damaged" in message and "db restore" in message, message
            assert str(dbfile) in message
            assert "locked" not in message
    finally:
        os.environ.pop("ASTROMON_LOCK_TIMEOUT", None)
    result = CliRunner().invoke(app, ["--db", str(dbfile), "db", "check"])
    assert result.exit_code == 1
    assert "damaged" in result.output and "FAILED" in result.output


def test_a_damaged_file_is_restored_from_its_backup(dbfile: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.duckdb"
    bootstrap.bootstrap().backup_database(dbfile, backup)
    _damage(dbfile, "truncated")
    bootstrap.bootstrap().restore_database(backup, dbfile, force=True)
    assert len(db.get_table("astromon_obs", dbfile)) == 40
    assert bootstrap.bootstrap().check_database(dbfile).ok


def _written_by(path: Path, version: bytes) -> None:
    """``path`` as a newer DuckDB would leave it: another library version in the header.

    The DuckDB main header (``duckdb/src/storage/single_file_block_manager.cpp``) holds the
    checksum (8 bytes), ``DUCK``, the storage version (uint64), four flag words and, at byte 52,
    the 32-byte version string of the library that created the file. Changing it also breaks
    the header checksum, so DuckDB refuses the file as a newer reader would be refused.
    """
    data = bytearray(path.read_bytes())
    assert data[8:12] == b"DUCK"
    data[52:84] = version.ljust(32, b"\x00")
    data[12:20] = struct.pack("<Q", 999)
    path.write_bytes(bytes(data))


def test_a_file_of_a_newer_duckdb_names_both_versions(dbfile: Path) -> None:
    assert writer_version(dbfile) == f"v{duckdb.__version__}"
    _written_by(dbfile, b"v9.1.0")
    with pytest.raises(DatabaseError) as info:
        db.get_table("astromon_obs", dbfile)
    message = str(info.value)
    assert "v9.1.0" in message and duckdb.__version__ in message, message
    assert "written by DuckDB v9.1.0" in message


def test_duckdb_storage_version_error_names_both_versions(tmp_path: Path) -> None:
    """The message DuckDB gives for a storage version it cannot read (its storage_info.cpp)."""
    path = tmp_path / "x.duckdb"
    error = duckdb.IOException(
        "IO Error: Trying to read a database file with version number 70, but we can only "
        "read versions 64 up to 67.\nThe database file was created with a newer version of "
        "DuckDB."
    )
    message = str(database_error(path, error))
    assert "storage version 70" in message and "64 up to 67" in message, message
    assert duckdb.__version__ in message


_LOCK_HOLDER = textwrap.dedent(
    """
    import fcntl, os, sys
    fd = os.open(sys.argv[1] + ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.pwrite(fd, str(os.getpid()).encode().ljust(23) + b"\\n", 0)
    print("ready", flush=True)
    sys.stdin.readline()  # held until the test releases it (or ends)
    """
)
CEILING = 120.0
"""Seconds to wait for an event before the test fails (a hang, not a slow machine)."""


def _hold_lock(dbfile: Path) -> subprocess.Popen[str]:
    """A process holding the write lock of ``dbfile`` until :func:`_release`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _LOCK_HOLDER, str(dbfile)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    if holder.stdin is not None and not holder.stdin.closed:
        holder.stdin.close()
    holder.wait(timeout=CEILING)


def test_a_writer_waits_then_names_the_holder_from_the_lock_file(
    dbfile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = _hold_lock(dbfile)
    try:
        monkeypatch.setenv("ASTROMON_LOCK_TIMEOUT", "0.5")
        with pytest.raises(DatabaseLockedError) as info:
            db.save("astromon_obs", harness.observation_tables(50, 1)["astromon_obs"], dbfile)
        assert str(dbfile) in str(info.value) and f"PID {holder.pid}" in str(info.value)
    finally:
        _release(holder)


def test_the_cli_says_it_waits_for_the_lock(dbfile: Path) -> None:
    """The command line prints the notice once while it waits, then does its work once the
    lock is released (the release follows the notice: no fixed delay on either side)."""
    holder = _hold_lock(dbfile)
    args = ["--db", str(dbfile), "regions", "add", "--ra", "1", "--dec", "1", "--radius", "1"]
    command = subprocess.Popen(
        [sys.executable, "-m", "astromon", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "ASTROMON_LOCK_TIMEOUT": str(CEILING)},
        cwd=ROOT,
    )
    seen: list[str] = []
    try:
        assert command.stderr is not None
        for line in command.stderr:  # blocks until the command writes (its notice, or ends)
            seen.append(line)
            if "waiting for the lock" in line:
                break
    finally:
        _release(holder)
    _, rest = command.communicate(timeout=CEILING)
    text = "".join(seen) + rest
    assert command.returncode == 0, text
    lines = [line for line in text.splitlines() if "waiting for the lock" in line]
    assert lines == [f"waiting for the lock on {dbfile} held by PID {holder.pid} ..."]
    assert len(db.get_regions(dbfile=dbfile)) == 1


def test_the_api_notice_is_called_once(dbfile: Path) -> None:
    calls: list[tuple[Path, int | None]] = []
    app = bootstrap.bootstrap()
    previous = app.set_lock_wait_notice(lambda path, pid: calls.append((path, pid)))
    holder = _hold_lock(dbfile)
    read: list[Any] = []
    reader = threading.Thread(  # a reader waits too, and then reads
        target=lambda: read.append(db.get_table("astromon_obs", dbfile))
    )
    try:
        reader.start()
        ceiling = time.monotonic() + CEILING
        while not calls and reader.is_alive() and time.monotonic() < ceiling:
            time.sleep(0.01)
    finally:
        _release(holder)
        reader.join(timeout=CEILING)
        app.set_lock_wait_notice(previous)
    assert len(read) == 1 and len(read[0]) == 40
    assert calls == [(dbfile, holder.pid)]


def test_the_default_directory_is_made_by_the_first_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ASTROMON_FILE", "SKA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data" / "home"))
    target = tmp_path / "data" / "home" / "astromon" / "astromon.duckdb"
    with pytest.raises(DatabaseError, match="does not exist"):
        db.get_table("astromon_obs")
    assert not target.parent.exists()
    db.save("astromon_obs", harness.observation_tables(3, 1)["astromon_obs"])
    assert target.exists()
    assert list(db.get_table("astromon_obs")["obsid"]) == [3]
