"""Corrupt or foreign files: each a clear AstromonError; ``astromon db check`` exits non-zero."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from typer.testing import CliRunner

from astromon import db
from astromon.bootstrap import bootstrap
from astromon.cli.app import app
from astromon.domain.errors import AstromonError, CatalogError, DatabaseError, ProcessingError
from tests.integration import crash_harness as harness


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sound_db(tmp_path: Path) -> Path:
    path = tmp_path / "sound.duckdb"
    for obsid in (1, 2, 3):
        harness.save_observation(path, obsid, obsid)
    db.add_regions({"ra": [1.0], "dec": [2.0], "radius": [3.0]}, dbfile=path)
    from astromon_adapters.storage.duckdb.store import release_connections

    release_connections()
    return path


def check_cli(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--db", str(path), "db", "check"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_check_passes_on_sound_file(sound_db: Path) -> None:
    code, output = check_cli(sound_db)
    assert code == 0, output
    assert "integrity check passed" in output
    assert "astromon_xray_src:" in output


@pytest.mark.parametrize("keep", [0, 100, 4096, 12288, 20000])
def test_truncated_duckdb_file(sound_db: Path, keep: int) -> None:
    data = sound_db.read_bytes()
    sound_db.write_bytes(data[:keep])
    before = digest(sound_db)
    with pytest.raises(AstromonError) as info:
        db.get_table("astromon_obs", dbfile=sound_db)
    assert str(sound_db) in str(info.value) or "astromon" in str(info.value)
    assert isinstance(info.value, DatabaseError)
    code, output = check_cli(sound_db)
    assert code != 0
    assert "Traceback" not in output
    assert digest(sound_db) == before


def test_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "garbage.duckdb"
    path.write_bytes(np.random.default_rng(1).bytes(50_000))
    before = digest(path)
    with pytest.raises(DatabaseError):
        db.get_table("astromon_obs", dbfile=path)
    with pytest.raises(DatabaseError):
        db.save("astromon_obs", harness.observation_tables(1, 1)["astromon_obs"], path)
    code, _ = check_cli(path)
    assert code != 0
    assert digest(path) == before


def test_duckdb_file_of_another_schema(tmp_path: Path) -> None:
    path = tmp_path / "foreign.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE astromon_obs (a INTEGER, b VARCHAR)")
    con.execute("INSERT INTO astromon_obs VALUES (1, 'x')")
    con.close()
    before = digest(path)
    with pytest.raises(DatabaseError) as info:
        db.get_table("astromon_obs", dbfile=path)
    assert "astromon_obs" in str(info.value)
    code, output = check_cli(path)
    assert code == 1
    assert "FAILED" in output or "error" in output
    assert digest(path) == before


def test_duckdb_file_without_astromon_tables(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE stars (name VARCHAR)")
    con.close()
    with pytest.raises(DatabaseError):
        db.get_table("astromon_obs", dbfile=path)
    code, output = check_cli(path)
    assert code == 1
    assert "no astromon table" in output or "error" in output


def test_orphans_and_duplicates_written_behind_astromon(sound_db: Path) -> None:
    """A file damaged by a foreign tool: check names each problem and exits 1."""
    con = duckdb.connect(str(sound_db))
    con.execute("DELETE FROM astromon_obs WHERE obsid = 2")
    con.execute("UPDATE astromon_meta SET last_region_id = 0")
    con.close()
    code, output = check_cli(sound_db)
    assert code == 1
    assert "[orphan] astromon_xray_src" in output
    assert "without their observation (obsid): 2" in output
    assert "last_region_id 0 is smaller than the largest region_id 1" in output


def test_check_of_missing_file_and_directory(tmp_path: Path) -> None:
    code, output = check_cli(tmp_path / "absent.duckdb")
    assert code == 1
    assert "does not exist" in output
    assert not (tmp_path / "absent.duckdb").exists()
    code, output = check_cli(tmp_path)
    assert code == 1
    assert "directory" in output


def test_non_hdf5_file_given_to_legacy_import(tmp_path: Path, sound_db: Path) -> None:
    fake = tmp_path / "astromon.h5"
    fake.write_text("this is not HDF5\n")
    target = tmp_path / "imported.duckdb"
    with pytest.raises(DatabaseError):
        db.import_legacy(fake, dbfile=target)
    assert not target.exists()
    with pytest.raises(DatabaseError):  # a DuckDB file is not a legacy file either
        db.import_legacy(sound_db, dbfile=target)
    result = CliRunner().invoke(app, ["--db", str(target), "db", "import-legacy", str(fake)])
    assert result.exit_code == 1
    assert result.output.startswith("error: ")
    assert len(result.output.strip().splitlines()) == 1


def test_truncated_hdf5_file(tmp_path: Path, reference_dir: Path) -> None:
    data = (reference_dir / "astromon_legacy.h5").read_bytes()
    broken = tmp_path / "broken.h5"
    broken.write_bytes(data[: len(data) // 3])
    with pytest.raises(DatabaseError):
        db.import_legacy(broken, dbfile=tmp_path / "x.duckdb")
    with pytest.raises(AstromonError):
        db.get_table("astromon_xray_src", dbfile=broken)


def _fits_table(path: Path, columns: dict[str, object]) -> Path:
    fits.BinTableHDU(Table(columns)).writeto(path)
    return path


def test_source_list_fits_with_missing_columns(tmp_path: Path) -> None:
    from astromon_adapters.chandra.fits_files import read_source_list

    path = _fits_table(tmp_path / "src.fits", {"RA": [1.0], "DEC": [2.0], "SNR": [3.0]})
    with pytest.raises(ProcessingError) as info:
        read_source_list(path)
    assert "COMPONENT" in str(info.value) and "NET_COUNTS" in str(info.value)
    junk = tmp_path / "junk.fits"
    junk.write_bytes(b"SIMPLE  = T" + b" " * 100)
    with pytest.raises(ProcessingError):
        read_source_list(junk)


def test_local_catalog_fits_with_missing_columns(tmp_path: Path) -> None:
    path = _fits_table(tmp_path / "cat.fits", {"ra": [1.0], "mag": [5.0]})
    service = bootstrap().catalogs("local", catalog_file={"Tycho2": path}, index_dir=tmp_path)
    with pytest.raises(CatalogError) as info:
        service.query("Tycho2", [1.0], [0.0], 10.0, 2020.0)
    assert "dec" in str(info.value) or "name" in str(info.value)


def doctor_database_line(path: Path) -> str:
    result = CliRunner().invoke(app, ["--db", str(path), "doctor", "--offline"])
    return next(line for line in result.output.splitlines() if "database file" in line)


def test_doctor_calls_only_a_sound_database_writable(
    sound_db: Path, tmp_path: Path, reference_dir: Path
) -> None:
    assert doctor_database_line(sound_db).startswith("ok ")
    damaged = tmp_path / "damaged.duckdb"
    damaged.write_bytes(sound_db.read_bytes()[:12288])
    line = doctor_database_line(damaged)
    assert line.startswith("FAIL") and "damaged" in line, line
    legacy = tmp_path / "legacy.h5"
    legacy.write_bytes((reference_dir / "astromon_legacy.h5").read_bytes())
    line = doctor_database_line(legacy)
    assert line.startswith("FAIL") and "read-only" in line, line
    assert doctor_database_line(tmp_path / "new.duckdb").startswith("ok ")  # can be created
    assert not (tmp_path / "new.duckdb").exists()
