"""The output and input rules, hunted with hypothesis over the kinds of things a path can be.

Output: every writer (table and text files, ``db export``, ``show --output``, backup,
restore, CALALIGN files) writes only regular files: a device, FIFO, socket, directory, a link
to one of those, a dangling link, a database file (DuckDB or legacy HDF5) or a database's
lock file or write-ahead log is refused and left exactly as it was; a new path becomes a
regular file; an existing one is replaced only when asked (a link: its target). Input: every
reader (database, legacy import, ECSV import, backup source, restore source, ``--file``,
``--obsid-file``, CALALIGN files) refuses what is not a regular file (or directory) at once,
never blocking.

Devices are made with ``mknod`` (``/dev/null``'s numbers) when the tests run as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from astromon_adapters.chandra.calalign_files import FitsCalalignFiles
from astromon_adapters.storage import table_files
from astromon_adapters.storage.duckdb.store import release_connections
from astromon_adapters.storage.file_rules import HDF5_SIGNATURE, path_kind
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from astromon import db
from astromon.bootstrap import bootstrap
from astromon.cli.app import app
from astromon.domain.errors import AstromonError, ValidationError
from tests.integration import crash_harness as harness
from tests.unit.calalign_support import write_calalign_file
from tests.unit.fuzz_strategies import FUZZ

ROOT_DEVICES = os.geteuid() == 0
SPECIAL = ["fifo", "socket", "directory", "link-fifo", "link-directory", "link-dangling"]
SPECIAL += ["device", "link-device"] if ROOT_DEVICES else []
DATABASES = ["duckdb", "hdf5", "wal", "lock"]
KINDS = ["missing", "regular", "link-regular", *SPECIAL, *DATABASES]


@pytest.fixture(scope="module")
def sound_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("paths") / "sound.duckdb"
    harness.save_observation(path, 1, 1)
    db.add_regions({"ra": [1.0], "dec": [2.0], "radius": [3.0]}, dbfile=path)
    release_connections()
    return path


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """A fresh short directory (socket paths are limited to about 100 characters)."""
    directory = Path(tempfile.mkdtemp(prefix="am-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail with TimeoutError when the block takes longer (a blocked open() included)."""

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"BLOCKED: still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def make(kind: str, directory: Path, sound: Path) -> tuple[Path, socket.socket | None]:
    """A path of ``kind`` in ``directory`` (and the socket to close, for ``socket``)."""
    path = directory / "target.csv"
    held = None
    if kind == "link-dangling":
        path.symlink_to(directory / "absent")
    elif kind.startswith("link-"):
        inner, held = make(kind.removeprefix("link-"), directory / "inner", sound)
        path.symlink_to(inner)
        return path, held
    directory.mkdir(exist_ok=True)
    if kind == "regular":
        path.write_text("old\n")
    elif kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        held = socket.socket(socket.AF_UNIX)
        held.bind(str(path))
    elif kind == "device":
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    elif kind == "duckdb":
        shutil.copyfile(sound, path)
    elif kind == "hdf5":
        path.write_bytes(HDF5_SIGNATURE + b"\0" * 2040)
    elif kind in ("wal", "lock"):
        base = directory / "base.duckdb"
        shutil.copyfile(sound, base)
        path = directory / f"base.duckdb.{kind}"
        path.write_text("sidecar\n")
    return path, held


def state(path: Path) -> tuple[str | None, bytes | None]:
    """What is at ``path`` and, for a regular file (through links), its bytes."""
    kind = path_kind(path)
    data = path.read_bytes() if kind and kind.endswith("a regular file") else None
    return kind, data


def cli(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert "BLOCKED" not in result.output, result.output  # the deadline, caught by the CLI
    if result.exit_code:
        raise ValidationError(result.stderr.strip())  # the test only needs "refused"


WRITERS: dict[str, Callable[[Path, Path, bool], Any]] = {
    "table file": lambda path, sound, ow: table_files.write_table_file(
        db.get_table("astromon_regions", sound), path, format="csv", overwrite=ow
    ),
    "text file": lambda path, sound, ow: table_files.write_text_file("new\n", path, ow),
    "db export": lambda path, sound, ow: cli(
        ["--db", str(sound), "db", "export", "astromon_regions", str(path), "--format", "csv"]
        + ["--overwrite"] * ow
    ),
    "show --output": lambda path, sound, ow: cli(
        ["--db", str(sound), "show", "astromon_obs", "--format", "csv", "--output", str(path)]
        + ["--overwrite"] * ow
    ),
    "db backup": lambda path, sound, ow: bootstrap().backup_database(sound, path, force=ow),
    "db restore": lambda path, sound, ow: bootstrap().restore_database(sound, path, force=ow),
    "calalign write": lambda path, sound, ow: FitsCalalignFiles().write_corrected(
        write_calalign_file(path.parent / "base"), path, {}, {}, ["test"]
    ),
}
REPLACES_DATABASES = {"db backup", "db restore"}


@pytest.mark.slow
@FUZZ
@given(kind=st.sampled_from(KINDS), writer=st.sampled_from(sorted(WRITERS)), ow=st.booleans())
def test_writers_write_regular_files_only(sound_db: Path, kind: str, writer: str, ow: bool) -> None:
    with workspace() as directory:
        path, held = make(kind, directory, sound_db)
        before = state(path)
        try:
            with deadline(20):
                WRITERS[writer](path, sound_db, ow)
        except AstromonError as exc:
            refused: AstromonError | None = exc
        except FileExistsError as exc:  # CALALIGN files are never replaced (the port's rule)
            refused = ValidationError(str(exc))
        else:
            refused = None
        finally:
            release_connections()
            if held is not None:
                held.close()
        replaceable = kind in ("regular", "link-regular") or (
            kind == "duckdb" and writer in REPLACES_DATABASES
        )
        allowed = kind == "missing" or (replaceable and ow and writer != "calalign write")
        if allowed:
            assert refused is None, f"{writer} on {kind}: {refused}"
            assert state(path)[0] in ("a regular file", "a symbolic link to a regular file")
            assert state(path)[1] != before[1] or kind == "duckdb"
        else:
            assert refused is not None, f"{writer} wrote onto {kind} ({before[0]})"
            assert state(path) == before, f"{writer} changed {kind}"
            if kind in SPECIAL or kind in DATABASES:
                assert path.name in str(refused) or "target" in str(refused), refused
        leftovers = [p.name for p in directory.rglob(".*") if p.name != ".base"]
        assert not [n for n in leftovers if n.endswith((".tmp", ".staging", ".creating"))]


def test_dev_null_as_root_stays_a_device(sound_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report of the defect, literally: ``--output /dev/null --overwrite`` as root.

    A guard makes a regression fail this test instead of replacing the machine's device.
    """
    if not ROOT_DEVICES:
        pytest.skip("needs root to see whether the device node would be replaced")

    def guarded(real: Callable[..., Any]) -> Callable[..., Any]:
        def move(source: Any, target: Any, *args: Any, **kwargs: Any) -> Any:
            assert os.path.realpath(target) != "/dev/null", "about to replace /dev/null"
            return real(source, target, *args, **kwargs)

        return move

    monkeypatch.setattr(os, "replace", guarded(os.replace))
    monkeypatch.setattr(os, "link", guarded(os.link))
    before = os.stat("/dev/null")
    args = ["--db", str(sound_db), "show", "astromon_obs", "--output", "/dev/null"]
    result = CliRunner().invoke(app, [*args, "--overwrite", "--format", "csv"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: cannot write '/dev/null': it is a character device; "
        "astromon writes regular files only"
    )
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_dash_is_standard_output(sound_db: Path, tmp_path: Path) -> None:
    args = ["--db", str(sound_db), "db", "export", "astromon_regions", "-", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("[\n{") and '"region_id": 1' in result.stdout
    assert not (Path.cwd() / "-").exists()


def import_ecsv_file(path: Path, sound: Path) -> Any:
    """A directory whose astromon_obs.ecsv is ``path``'s kind."""
    directory = path.parent / "ecsv"
    directory.mkdir()
    os.rename(path, directory / "astromon_obs.ecsv")
    return db.import_ecsv(directory, path.parent / "new.duckdb")


def read_calalign_file(path: Path, sound: Path) -> Any:
    """A CALALIGN file named as one, of ``path``'s kind."""
    named = path.with_name("pcadD2022-06-01alignN0010.fits")
    os.rename(path, named)
    return FitsCalalignFiles().read_file(named)


READERS: dict[str, Callable[[Path, Path], Any]] = {
    "database": lambda path, sound: db.get_table("astromon_obs", path),
    "database (write)": lambda path, sound: db.add_regions({"ra": [1], "dec": [1]}, path),
    "db check": lambda path, sound: bootstrap().check_database(path),
    "legacy import": lambda path, sound: db.import_legacy(path, path.parent / "new.duckdb"),
    "ECSV import": lambda path, sound: db.import_ecsv(path, path.parent / "new.duckdb"),
    "ECSV table": import_ecsv_file,
    "CALALIGN file": read_calalign_file,
    "backup source": lambda path, sound: bootstrap().backup_database(path, path.parent / "b"),
    "restore source": lambda path, sound: bootstrap().restore_database(path, path.parent / "r"),
    "sync source": lambda path, sound: db.sync_regions(path, path.parent / "to.duckdb"),
    "--file": lambda path, sound: cli(["--db", str(sound), "regions", "add", "--file", str(path)]),
    "--obsid-file": lambda path, sound: cli(
        ["--db", str(path.parent / "p.duckdb"), "process", "--obsid-file", str(path)]
    ),
}


@pytest.mark.slow
@FUZZ
@given(kind=st.sampled_from(SPECIAL), reader=st.sampled_from(sorted(READERS)))
def test_readers_refuse_what_is_not_a_regular_file(sound_db: Path, kind: str, reader: str) -> None:
    with workspace() as directory:
        path, held = make(kind, directory, sound_db)
        try:
            with deadline(10), pytest.raises(AstromonError) as info:
                READERS[reader](path, sound_db)
        finally:
            release_connections()
            if held is not None:
                held.close()
        message = str(info.value)
        if reader == "ECSV import" and kind in ("directory", "link-directory"):
            assert "holds no astromon ECSV table" in message  # a directory is what it asks for
        else:
            renamed = {"ECSV table": "astromon_obs.ecsv", "CALALIGN file": "alignN0010.fits"}
            name = renamed.get(reader, path.name)
            assert name in message, message
        assert not (directory / "new.duckdb").exists() and not (directory / "to.duckdb").exists()


def test_a_fifo_named_like_a_table_is_not_skipped(tmp_path: Path) -> None:
    """A FIFO at ``astromon_obs.ecsv`` was skipped (is_file() is False): an import of less."""
    os.mkfifo(tmp_path / "astromon_obs.ecsv")
    (tmp_path / "astromon_meta.ecsv").write_text("")
    with deadline(10), pytest.raises(AstromonError, match=r"astromon_obs\.ecsv.* FIFO"):
        table_files.read_ecsv_directory(tmp_path)
    assert np.isin(["astromon_obs.ecsv"], os.listdir(tmp_path)).all()


def test_lock_and_wal_that_are_fifos_do_not_block(sound_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(sound_db, path)
    os.mkfifo(tmp_path / "copy.duckdb.lock")
    with deadline(10), pytest.raises(AstromonError, match=r"lock file .* not a regular file"):
        db.get_table("astromon_obs", path)
    os.unlink(tmp_path / "copy.duckdb.lock")
    os.mkfifo(tmp_path / "copy.duckdb.wal")
    with deadline(10), pytest.raises(AstromonError, match=r"write-ahead log .* FIFO"):
        db.get_table("astromon_obs", path)
    duckdb.connect(str(sound_db), read_only=True).close()  # the original is untouched
