"""File adapters of storage: HDF5 detection and layout checks, ECSV directories, formats,
store selection, and two processes writing one DuckDB file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest
from astromon_adapters.storage.duckdb.store import DuckDBStore, release_connections
from astromon_adapters.storage.hdf5 import HDF5_SIGNATURE, HDF5Store, is_hdf5_file
from astromon_adapters.storage.table_files import read_ecsv_directory, table_file_format
from astropy.table import Table

from astromon import db
from astromon.bootstrap import bootstrap
from astromon.domain.errors import DatabaseError, MissingTableException, ValidationError
from astromon.domain.schema import get_spec


def test_hdf5_signature_detection(tmp_path: Path, reference_dir: Path) -> None:
    assert is_hdf5_file(reference_dir / "astromon_legacy.h5")
    assert not is_hdf5_file(reference_dir / "astromon_obs.ecsv")
    assert not is_hdf5_file(tmp_path)
    assert not is_hdf5_file(tmp_path / "absent")
    with_block = tmp_path / "userblock.h5"
    with h5py.File(with_block, "w", userblock_size=512) as h5:
        h5["x"] = np.arange(3)
    assert with_block.read_bytes()[512:520] == HDF5_SIGNATURE
    assert is_hdf5_file(with_block)


def test_open_store_picks_the_adapter(tmp_path: Path, reference_dir: Path) -> None:
    assert isinstance(bootstrap().store(reference_dir / "astromon_legacy.h5"), HDF5Store)
    new = tmp_path / "new.duckdb"
    store = bootstrap().store(new, write=True)
    assert isinstance(store, DuckDBStore) and not new.exists()
    with pytest.raises(DatabaseError, match="does not exist"):
        bootstrap().store(new)


def test_default_file_comes_from_the_environment(
    tmp_path: Path, reference_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASTROMON_FILE", str(reference_dir / "astromon_legacy.h5"))
    assert len(db.get_table("astromon_obs")) == 10
    monkeypatch.delenv("ASTROMON_FILE")
    monkeypatch.setenv("SKA", str(tmp_path))
    with pytest.raises(DatabaseError, match=str(tmp_path / "data" / "astromon")):
        db.get_table("astromon_obs")


def test_foreign_hdf5_layout(tmp_path: Path) -> None:
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as h5:
        h5["astromon_obs"] = np.zeros(3, dtype=[("obsid", "<i4"), ("flavour", "S4")])
    with pytest.raises(DatabaseError, match="lacks the columns"):
        db.get_table("astromon_obs", path)
    with pytest.raises(MissingTableException, match="available tables: astromon_obs"):
        db.get_table("astromon_xcorr", path)


def test_ecsv_directory_errors(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="does not exist"):
        read_ecsv_directory(tmp_path / "absent")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatabaseError, match="is a regular file, not a directory"):
        read_ecsv_directory(tmp_path / "file")
    (tmp_path / "file").unlink()
    with pytest.raises(DatabaseError, match="no astromon ECSV table"):
        read_ecsv_directory(tmp_path)
    (tmp_path / "astromon_obs.ecsv").write_text("this is not ECSV\n")
    with pytest.raises(DatabaseError, match=r"astromon_obs\.ecsv"):
        read_ecsv_directory(tmp_path)


def test_ecsv_import_of_a_partial_directory(tmp_path: Path, reference_dir: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "astromon_regions.ecsv").write_bytes(
        (reference_dir / "astromon_regions.ecsv").read_bytes()
    )
    (src / "astromon_unrelated.ecsv").write_text("ignored\n")
    target = tmp_path / "r.duckdb"
    assert db.import_ecsv(src, target) == ["astromon_regions"]
    assert list(db.get_table("astromon_meta", target)["last_region_id"]) == [13]  # the store's
    with pytest.raises(MissingTableException, match="available tables"):
        db.get_table("astromon_obs", target)


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        ("a.ecsv", None, "ecsv"),
        ("a.FITS", None, "fits"),
        ("a.fits.gz", None, "fits"),
        ("a.pq", None, "parquet"),
        ("a.dat", "ascii.ecsv", "ecsv"),
        ("a.dat", "Parquet", "parquet"),
    ],
)
def test_table_file_format(name: str, fmt: str | None, expected: str) -> None:
    assert table_file_format(name, fmt) == expected


def test_table_file_format_errors() -> None:
    with pytest.raises(ValidationError, match=r"a\.txt"):
        table_file_format("a.txt")
    assert table_file_format("a.csv") == "csv" and table_file_format("a.json") == "json"
    with pytest.raises(ValidationError, match="hdf5"):
        table_file_format("a.ecsv", "hdf5")


def test_two_processes_write_one_file(tmp_path: Path, reference_dir: Path) -> None:
    """Saves from two processes interleave: each waits for the other's short lock."""
    path = tmp_path / "shared.duckdb"
    obs = Table.read(reference_dir / "astromon_obs.ecsv")
    db.save("astromon_obs", obs[:1], path)
    release_connections()
    script = textwrap.dedent(
        f"""
        from astropy.table import Table
        from astromon import db
        obs = Table.read({str(reference_dir / "astromon_obs.ecsv")!r})[:1]
        for k in range(25):
            obs["obsid"] = 100000 + k
            db.save("astromon_obs", obs, {str(path)!r})
        print("done", flush=True)
        """
    )
    other = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    mine = obs[:1].copy()
    for k in range(25):
        mine["obsid"] = 200000 + k
        db.save("astromon_obs", mine, path)
    release_connections()
    out, _ = other.communicate(timeout=120)
    assert other.returncode == 0 and out.strip() == "done"
    stored = np.asarray(db.get_table("astromon_obs", path)["obsid"])
    assert len(stored) == 51
    assert set(range(100000, 100025)) | set(range(200000, 200025)) <= set(stored.tolist())


def legacy_with_orphans(reference_dir: Path, path: Path) -> Path:
    """The reference legacy file without the observation 14536 (its sources, counterparts and
    cross-match rows become orphans), as the system astromon replaced could leave it."""
    with h5py.File(reference_dir / "astromon_legacy.h5", "r") as source, h5py.File(path, "w") as h5:
        for name in source:
            data = source[name][()]
            if name == "astromon_obs":
                data = data[data["obsid"] != 14536]
            h5[name] = data
    return path


def test_a_legacy_file_with_orphans_is_refused_or_imported_without_them(
    tmp_path: Path, reference_dir: Path
) -> None:
    from typer.testing import CliRunner

    from astromon.cli.app import app

    legacy = legacy_with_orphans(reference_dir, tmp_path / "old.h5")
    target = tmp_path / "new.duckdb"
    with pytest.raises(ValidationError, match=r"astromon_xray_src without their observation"):
        db.import_legacy(legacy, target)
    assert not target.exists()
    refused = CliRunner().invoke(app, ["--db", str(target), "db", "import-legacy", str(legacy)])
    assert refused.exit_code == 2 and "--drop-orphans" in refused.stderr
    args = ["--db", str(target), "db", "import-legacy", str(legacy), "--drop-orphans"]
    imported = CliRunner().invoke(app, args)
    assert imported.exit_code == 0, imported.output
    release_connections()
    assert bootstrap().check_database(target).ok
    xray = db.get_table("astromon_xray_src", target)
    everything = db.get_table("astromon_xray_src", legacy)
    lost = int(np.sum(np.asarray(everything["obsid"]) == 14536))
    assert lost > 0 and len(xray) == len(everything) - lost
    assert 14536 not in set(db.get_table("astromon_cat_src", target)["obsid"])
    assert len(db.get_table("astromon_xray_src", legacy)) == len(everything)  # left as it was


def test_an_hdf5_alignment_table_keeps_its_boolean_column(tmp_path: Path) -> None:
    """h5py stores numpy booleans as an HDF5 enum (FALSE=0, TRUE=1) and reads them back as
    numpy booleans; the HDF5 store gives them as the schema's bool column."""
    spec = get_spec("astromon_alignment")
    rows = np.zeros(2, dtype=spec.legacy_dtype)
    rows["select_name"] = b"astromon_21"
    rows["obsid"] = [5, 6]
    rows["n_pairs"] = [1, 4]
    rows["roll"] = [np.nan, 12.5]
    rows["roll_err"] = [np.nan, 3.0]
    rows["chi2_dof"] = [np.nan, 1.1]
    rows["flagged"] = [False, True]
    rows["k_sigma"], rows["flag_sigma"], rows["min_pairs_roll"] = 3.0, 3.0, 3
    rows["residual_limit"] = np.nan
    rows["pairs_digest"] = b"0123456789abcdef"
    path = tmp_path / "with_alignment.h5"
    with h5py.File(path, "w") as h5:
        h5["astromon_alignment"] = rows
    table = db.get_table("astromon_alignment", path)
    assert table["flagged"].dtype == np.bool_
    assert table["flagged"].tolist() == [False, True]
    assert np.isnan(table["roll"][0]) and float(table["roll"][1]) == 12.5
    assert table["select_name"].tolist() == ["astromon_21"] * 2
