"""astromon.cross_match and db.get_cross_matches against real database files.

A DuckDB file built by importing the reference ECSV tables, and the legacy HDF5 file read in
place (copied to tmp_path first, so nothing touches the reference directory).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from astromon import cross_match as xm
from astromon import db
from astromon.bootstrap import bootstrap

if not hasattr(bootstrap(), "store") or not hasattr(db, "import_ecsv"):
    pytest.skip(
        "the storage layer (bootstrap().store, db.import_ecsv) is not available",
        allow_module_level=True,
    )

CUSTOM = {
    "catalogs": ["Tycho2"],
    "snr": 5,
    "r_angle": 120,
    "r_angle_grating": 0,
    "near_neighbor_dist": 6,
    "dr": 3,
}


@pytest.fixture(scope="module")
def reference_tables(reference_dir: Path) -> dict[str, Table]:
    return {
        name: Table.read(reference_dir / f"{name}.ecsv", format="ascii.ecsv")
        for name in ("astromon_xcorr", "astromon_regions")
    }


@pytest.fixture
def duckdb_file(reference_dir: Path, tmp_path: Path) -> Path:
    dbfile = tmp_path / "astromon.duckdb"
    db.import_ecsv(reference_dir, dbfile)
    return dbfile


@pytest.fixture
def legacy_file(reference_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "astromon.h5"
    shutil.copy(reference_dir / "astromon_legacy.h5", path)
    path.chmod(0o644)
    return path


@pytest.fixture(params=["duckdb", "legacy-hdf5"])
def dbfile(request: pytest.FixtureRequest, duckdb_file: Path, legacy_file: Path) -> Path:
    return duckdb_file if request.param == "duckdb" else legacy_file


def test_compute_reproduces_the_stored_cross_match(
    dbfile: Path, reference_tables: dict[str, Table]
) -> None:
    expected = reference_tables["astromon_xcorr"]
    matches = xm.compute_cross_matches("astromon_21", dbfile=dbfile)
    assert list(matches["obsid"]) == list(expected["obsid"])
    assert list(matches["c_id"]) == list(expected["c_id"])
    assert list(matches["x_id"]) == list(expected["x_id"])
    for name in ("dy", "dz", "dr"):
        np.testing.assert_allclose(matches[name], expected[name], atol=1e-5, rtol=0)
    assert len(xm.compute_cross_matches("astromon_22", dbfile=dbfile)) == 8
    custom = xm.compute_cross_matches(dbfile=dbfile, **CUSTOM)
    assert list(custom["obsid"]) == [13748, 14536, 14538, 14544, 14572]


def test_get_cross_matches_from_file(dbfile: Path) -> None:
    matches = db.get_cross_matches(dbfile=dbfile)
    assert len(matches) == 8 and len(matches.colnames) == 42
    assert matches.colnames[-4:] == ["category", "time", "c_loc", "x_loc"]
    filtered = db.get_cross_matches(dbfile=dbfile, snr=5, exclude_bad_targets=True, sim_z=4)
    assert len(filtered) == 7 and 14577 not in list(filtered["obsid"])
    keep = xm.filter_matches(matches, snr=5, exclude_bad_targets=True, sim_z=4)
    assert list(matches["obsid"][~keep]) == [14577]


def test_computed_matches_saved_and_read_back(duckdb_file: Path) -> None:
    computed = xm.compute_cross_matches(dbfile=duckdb_file, select_name="custom", **CUSTOM)
    db.save("astromon_xcorr", computed, duckdb_file)
    stored = db.get_cross_matches("custom", dbfile=duckdb_file)
    assert list(stored["obsid"]) == [13748, 14536, 14538, 14544, 14572]
    np.testing.assert_allclose(stored["dr"], computed["dr"])
    # the obsid-replacement rule dropped the astromon_21 rows of those five observations
    remaining = db.get_cross_matches("astromon_21", dbfile=duckdb_file)
    assert sorted(remaining["obsid"]) == [14533, 14534, 14577]


def test_excluded_regions_from_the_file(duckdb_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    matches = db.get_cross_matches(dbfile=duckdb_file)
    x = matches[matches["obsid"] == 14544][0]
    db.add_regions(
        {"ra": [x["x_ra"]], "dec": [x["x_dec"]], "radius": [1.5], "obsid": [0]}, duckdb_file
    )
    kept = db.get_cross_matches(dbfile=duckdb_file, exclude_regions=True)
    assert 14544 not in list(kept["obsid"]) and len(kept) == 7
    computed = xm.compute_cross_matches(dbfile=duckdb_file, exclude_regions=True)
    assert 14544 not in list(computed["obsid"]) and len(computed) == 7
    # regions=None reads the default database file
    monkeypatch.setenv("ASTROMON_FILE", str(duckdb_file))
    assert list(matches["obsid"][xm.get_excluded_regions_mask(matches)]) == [14544]
    assert list(matches["obsid"][~xm.filter_matches(matches, exclude_regions=True)]) == [14544]


def test_given_tables_need_no_file(tmp_path: Path, reference_dir: Path) -> None:
    tables = {
        name: Table.read(reference_dir / f"{name}.ecsv", format="ascii.ecsv")
        for name in ("astromon_obs", "astromon_xray_src", "astromon_cat_src")
    }
    missing = tmp_path / "nowhere.duckdb"
    matches = xm.compute_cross_matches(
        astromon_obs=tables["astromon_obs"],
        astromon_xray_src=tables["astromon_xray_src"],
        astromon_cat_src=tables["astromon_cat_src"],
        dbfile=missing,
    )
    assert len(matches) == 8
    assert not missing.exists()
