"""The storage API on real files: DuckDB files built from the reference data, and the legacy
HDF5 file read in place."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pytest
from astromon_adapters.storage.duckdb.store import DuckDBStore, release_connections
from astropy.coordinates import SkyCoord
from astropy.table import Table

from astromon import db
from astromon.bootstrap import bootstrap
from astromon.domain.errors import (
    DatabaseError,
    DatabaseLockedError,
    MissingTableException,
    ReadOnlyDatabaseError,
    SchemaError,
    ValidationError,
)
from astromon.domain.schema import LEGACY_TABLE_NAMES, TABLES
from astromon.ports.store import Store, TableWrite

ECSV_TABLES = [n for n in LEGACY_TABLE_NAMES if n != "astromon_meta"]


def digest(path: Path) -> str:
    """SHA-256 of a file (its connections closed first, so the bytes are final)."""
    release_connections()
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, reference_dir: Path) -> dict[str, Path]:
    """DuckDB files imported from the ECSV tables and from the legacy HDF5 file."""
    root = tmp_path_factory.mktemp("storage")
    files = {"ecsv": root / "from_ecsv.duckdb", "legacy": root / "from_legacy.duckdb"}
    assert db.import_ecsv(reference_dir, files["ecsv"]) == ECSV_TABLES  # meta: the store's rule
    legacy = reference_dir / "astromon_legacy.h5"
    assert db.import_legacy(legacy, files["legacy"]) == LEGACY_TABLE_NAMES
    files["h5"] = reference_dir / "astromon_legacy.h5"
    release_connections()
    return files


@pytest.fixture(params=["ecsv", "legacy", "h5"])
def dbfile(request: pytest.FixtureRequest, built: dict[str, Path]) -> Path:
    return built[request.param]


def reference(reference_dir: Path, name: str) -> Table:
    return Table.read(reference_dir / f"{name}.ecsv", format="ascii.ecsv")


# --- every table and the cross-match, from each kind of file ----------------------------------


@pytest.mark.parametrize("name", ECSV_TABLES)
def test_get_table_equals_the_reference(dbfile: Path, reference_dir: Path, name: str) -> None:
    table = db.get_table(name, dbfile)
    expected = reference(reference_dir, name)
    assert table.colnames == TABLES[name].names
    assert len(table) == len(expected)
    for col in TABLES[name].columns:
        values = np.asarray(table[col.name])
        if col.kind == "str":
            assert values.dtype.kind == "U"
            assert values.tolist() == np.asarray(expected[col.name]).astype(str).tolist()
        else:
            assert values.dtype == col.dtype
            np.testing.assert_array_equal(values, np.asarray(expected[col.name], dtype=col.dtype))
    if "obsid" in table.colnames:
        assert [ix.columns[0].info.name for ix in table.indices] == ["obsid"]
    if "ra" in table.colnames:
        assert table["ra"].format == ".4f"
    for c in table.colnames:
        if table[c].dtype.kind == "f" and c not in ("ra", "dec", "pileup"):
            assert table[c].format == ".2f"


def test_meta_and_regions(dbfile: Path) -> None:
    meta = db.get_table("astromon_meta", dbfile)
    assert meta.colnames == ["last_region_id"] and list(meta["last_region_id"]) == [13]
    regions = db.get_regions(dbfile=dbfile)
    assert list(regions["region_id"]) == [9, 11, 12, 13]
    assert list(regions["region_id_str"]) == [
        "8f53da3773",
        "40fc4e84fb",
        "63b66ed331",
        "a1c54bdab6",
    ]


def test_get_cross_matches(dbfile: Path, reference_dir: Path) -> None:
    matches = db.get_cross_matches("astromon_21", dbfile=dbfile)
    expected = reference(reference_dir, "astromon_xcorr")
    assert len(matches) == 8
    assert len(matches.colnames) == 42
    for col in ("time", "c_loc", "x_loc", "category"):
        assert col in matches.colnames
    assert list(matches["obsid"]) == sorted(expected["obsid"])
    order = np.argsort(expected["obsid"])
    for col in ("c_id", "x_id", "dy", "dz", "dr"):
        np.testing.assert_array_equal(matches[col], np.asarray(expected[col])[order])
    filtered = db.get_cross_matches(dbfile=dbfile, snr=5, exclude_bad_targets=True, sim_z=4)
    assert len(filtered) == 7 and 14577 not in filtered["obsid"]
    assert len(db.get_cross_matches("astromon_99", dbfile=dbfile)) == 0


def test_is_in_excluded_region(dbfile: Path) -> None:
    inside = (187.70263686010165, 12.392113543877699 + 4.0 / 3600)
    outside = (187.70263686010165, 12.392113543877699 + 30.0 / 3600)
    assert db.is_in_excluded_region(inside, dbfile=dbfile) is True
    assert db.is_in_excluded_region(outside, dbfile=dbfile) is False
    coords = SkyCoord([inside[0], outside[0]], [inside[1], outside[1]], unit="deg")
    mask = db.is_in_excluded_region(coords, obsid=14536, dbfile=dbfile)
    assert mask.tolist() == [True, False]


def test_get_regions_of_an_observation(dbfile: Path) -> None:
    # no reference region is within 5 arcmin of any reference pointing
    assert len(db.get_regions(14536, dbfile=dbfile)) == 0


def test_legacy_file_is_read_only(built: dict[str, Path], reference_dir: Path) -> None:
    before = digest(built["h5"])
    with pytest.raises(ReadOnlyDatabaseError, match="import-legacy"):
        db.save("astromon_obs", reference(reference_dir, "astromon_obs"), built["h5"])
    with pytest.raises(ReadOnlyDatabaseError, match="import_legacy"):
        db.add_regions({"ra": [1.0], "dec": [1.0]}, built["h5"])
    assert digest(built["h5"]) == before


# --- import / export --------------------------------------------------------------------------


def test_import_legacy_needs_an_hdf5_file(tmp_path: Path, reference_dir: Path) -> None:
    target = tmp_path / "x.duckdb"
    with pytest.raises(DatabaseError, match="not an HDF5 file"):
        db.import_legacy(reference_dir / "astromon_obs.ecsv", target)
    assert not target.exists()


def test_import_refuses_to_overwrite(tmp_path: Path, reference_dir: Path) -> None:
    target = tmp_path / "x.duckdb"
    db.import_ecsv(reference_dir, target)
    before = digest(target)
    with pytest.raises(DatabaseError, match="overwrite=True"):
        db.import_legacy(reference_dir / "astromon_legacy.h5", target)
    assert digest(target) == before
    assert db.import_legacy(reference_dir / "astromon_legacy.h5", target, overwrite=True)


@pytest.mark.parametrize("suffix", [".ecsv", ".fits", ".parquet"])
def test_export_round_trip(tmp_path: Path, built: dict[str, Path], suffix: str) -> None:
    out = tmp_path / f"cat_src{suffix}"
    assert db.export_table("astromon_cat_src", out, built["legacy"]) == out
    if suffix == ".parquet":  # astropy reads Parquet through pandas, which is not needed here
        import pyarrow.parquet as pq

        arrow = pq.read_table(out)
        back = Table({name: arrow.column(name).to_numpy() for name in arrow.column_names})
    else:
        back = Table.read(out)
    original = db.get_table("astromon_cat_src", built["legacy"])
    assert back.colnames == original.colnames
    for name in original.colnames:
        values = np.asarray(back[name])
        if values.dtype.kind == "S":
            values = np.char.decode(values)
        np.testing.assert_array_equal(values, np.asarray(original[name]))
    with pytest.raises(DatabaseError, match="exists"):
        db.export_table("astromon_cat_src", out, built["legacy"])


def test_export_format_errors(tmp_path: Path, built: dict[str, Path]) -> None:
    with pytest.raises(ValidationError, match="suffix"):
        db.export_table("astromon_obs", tmp_path / "obs.txt", built["legacy"])
    with pytest.raises(ValidationError, match="xlsx"):
        db.export_table("astromon_obs", tmp_path / "obs.txt", built["legacy"], format="xlsx")
    db.export_table("astromon_obs", tmp_path / "obs.txt", built["legacy"], format="ecsv")
    assert len(Table.read(tmp_path / "obs.txt", format="ascii.ecsv")) == 10


# --- save -------------------------------------------------------------------------------------


@pytest.fixture
def work_db(tmp_path: Path, built: dict[str, Path]) -> Iterator[Path]:
    path = tmp_path / "work.duckdb"
    path.write_bytes(built["legacy"].read_bytes())
    yield path
    release_connections()


def test_save_obsid_replacement_rule(work_db: Path) -> None:
    obs = db.get_table("astromon_obs", work_db)
    changed = obs[obs["obsid"] == 14533]
    changed.replace_column("target", ["WR 6 — renamed Ω"] * len(changed))
    new = Table(obs[:1], copy=True)
    new["obsid"] = 99999
    db.save("astromon_obs", Table(np.concatenate([changed.as_array(), new.as_array()])), work_db)
    after = db.get_table("astromon_obs", work_db)
    assert len(after) == 11
    assert after.loc[14533]["target"] == "WR 6 — renamed Ω"
    assert after.loc[13276]["target"] == "RCW120"
    before = digest(work_db)
    with pytest.raises(ValidationError, match=r"would leave .* of astromon_xray_src without"):
        db.save("astromon_obs", new, work_db, ignore_obsid=True)  # sources would lose theirs
    assert digest(work_db) == before
    db.save("astromon_obs", Table(np.concatenate([after.as_array()[:-1]])), work_db, True)
    assert 99999 not in db.get_table("astromon_obs", work_db)["obsid"]


def test_tables_without_obsid_are_replaced(work_db: Path) -> None:
    db.save("astromon_meta", {"last_region_id": [20]}, work_db)
    assert list(db.get_table("astromon_meta", work_db)["last_region_id"]) == [20]


def test_save_creates_the_file_and_the_schema(tmp_path: Path, reference_dir: Path) -> None:
    path = tmp_path / "new.duckdb"
    for name in ("astromon_obs", "astromon_xray_src", "astromon_cat_src", "astromon_xcorr"):
        db.save(name, reference(reference_dir, name), path)  # parents first
    release_connections()
    con = duckdb.connect(str(path), read_only=True)
    try:
        keys = con.execute(
            "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints()"
            " WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
        ).fetchall()
    finally:
        con.close()
    assert ("astromon_xcorr", "PRIMARY KEY", ["select_name", "obsid", "x_id"]) in keys
    db.save(
        "astromon_regions",
        db.get_table("astromon_regions", reference_dir / "astromon_legacy.h5"),
        path,
    )
    release_connections()
    con = duckdb.connect(str(path), read_only=True)
    try:
        keys = con.execute(
            "SELECT constraint_type, constraint_column_names FROM duckdb_constraints()"
            " WHERE table_name = 'astromon_regions'"
        ).fetchall()
    finally:
        con.close()
    assert ("PRIMARY KEY", ["region_id"]) in keys and ("UNIQUE", ["region_id_str"]) in keys


def test_save_is_all_or_nothing(work_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = bootstrap().store(work_db, write=True)
    assert isinstance(store, DuckDBStore)
    before = {name: db.get_table(name, work_db) for name in LEGACY_TABLE_NAMES}
    original = DuckDBStore._write_one
    calls: list[str] = []

    def failing(self: DuckDBStore, handle: object, write: TableWrite) -> None:
        original(self, handle, write)  # type: ignore[arg-type]
        calls.append(write.table)
        if len(calls) == 2:
            raise RuntimeError("injected failure after the second write")

    monkeypatch.setattr(DuckDBStore, "_write_one", failing)
    obs = db.get_table("astromon_obs", work_db)
    writes = [
        TableWrite("astromon_obs", obs[:3]),
        TableWrite("astromon_xray_src", db.get_table("astromon_xray_src", work_db)[:2]),
        TableWrite("astromon_xcorr", db.get_table("astromon_xcorr", work_db)[:0], True),
    ]
    obs["target"] = "changed"
    writes[0] = TableWrite("astromon_obs", obs[:3])
    with pytest.raises(RuntimeError, match="injected"):
        store.save_many(writes)
    assert calls == ["astromon_obs", "astromon_xray_src"]
    monkeypatch.undo()
    for name in LEGACY_TABLE_NAMES:
        after = db.get_table(name, work_db)
        assert after.colnames == before[name].colnames
        for col in after.colnames:
            np.testing.assert_array_equal(after[col], before[name][col])


def test_primary_key_violation_rolls_back(work_db: Path) -> None:
    store: Store = bootstrap().store(work_db, write=True)
    before = db.get_table("astromon_obs", work_db)
    obs = before[:2].copy()
    obs["obsid"] = 1
    with pytest.raises(ValidationError, match="astromon_obs"):
        store.save_many([TableWrite("astromon_obs", obs, ignore_obsid=True)])
    assert db.get_table("astromon_obs", work_db)["obsid"].tolist() == before["obsid"].tolist()


def bad_obs(reference_dir: Path, column: str, value: object) -> Table:
    obs = reference(reference_dir, "astromon_obs")
    obs[column] = obs[column].astype(object)
    obs[column][3] = value
    return obs


@pytest.mark.parametrize(
    ("table", "data", "error", "message"),
    [
        (
            "astromon_bogus",
            lambda r: reference(r, "astromon_obs"),
            MissingTableException,
            "astromon_obs, astromon_xray_src",
        ),
        (
            "astromon_obs",
            lambda r: reference(r, "astromon_obs")["obsid", "ra"],
            SchemaError,
            "detector",
        ),
        ("astromon_obs", lambda r: Table({"nothing": [1]}), SchemaError, "no column in common"),
        ("astromon_obs", lambda r: bad_obs(r, "sim_z", "high"), SchemaError, "sim_z"),
        ("astromon_obs", lambda r: bad_obs(r, "ra", np.nan), ValidationError, "ra=nan"),
        ("astromon_obs", lambda r: bad_obs(r, "dec", 91.0), ValidationError, "dec=91.0"),
        ("astromon_cat_src", lambda r: reference(r, "astromon_cat_src")[:0], None, None),
    ],
)
def test_bad_input_leaves_the_file_unchanged(
    work_db: Path,
    reference_dir: Path,
    table: str,
    data: object,
    error: type[Exception] | None,
    message: str | None,
) -> None:
    before = digest(work_db)
    rows = data(reference_dir)  # type: ignore[operator]
    if error is None:  # an empty save of an obsid table changes nothing either
        db.save(table, rows, work_db)
        assert len(db.get_table("astromon_cat_src", work_db)) == 337
        return
    with pytest.raises(error, match=re.escape(message or "")):
        db.save(table, rows, work_db)
    assert digest(work_db) == before


def test_bad_regions_leave_the_file_unchanged(work_db: Path) -> None:
    before = digest(work_db)
    with pytest.raises(ValidationError, match=re.escape("radius=-3.0")):
        db.add_regions({"ra": [10.0], "dec": [10.0], "radius": [-3.0]}, work_db)
    with pytest.raises(ValidationError, match=re.escape("ra=400.0")):
        db.add_regions({"ra": [400.0], "dec": [10.0], "radius": [3.0]}, work_db)
    with pytest.raises(ValidationError, match="integers"):
        db.remove_regions(["x"], work_db)
    with pytest.raises(ValidationError, match=re.escape("dec=-95.0")):
        db.update_regions({"region_id_str": ["40fc4e84fb"], "dec": [-95.0]}, work_db)
    assert digest(work_db) == before


def test_unknown_table_lists_the_available_ones(built: dict[str, Path]) -> None:
    with pytest.raises(MissingTableException, match="astromon_obs") as info:
        db.get_table("astromon_nothing", built["legacy"])
    assert isinstance(info.value, KeyError)
    partial = built["ecsv"].parent / "partial.duckdb"
    db.save("astromon_obs", db.get_table("astromon_obs", built["ecsv"]), partial)
    with pytest.raises(MissingTableException, match=r"available tables: astromon_obs$"):
        db.get_table("astromon_xcorr", partial)


# --- bad files ----------------------------------------------------------------------------


def test_missing_file_on_read_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.duckdb"
    with pytest.raises(DatabaseError, match=re.escape(str(path))):
        db.get_table("astromon_obs", path)
    with pytest.raises(DatabaseError, match="does not exist"):
        db.get_regions(dbfile=path)
    assert not path.exists()


def test_directory_is_an_error(tmp_path: Path, reference_dir: Path) -> None:
    with pytest.raises(DatabaseError, match="directory"):
        db.get_table("astromon_obs", tmp_path)
    with pytest.raises(DatabaseError, match="directory"):
        db.save("astromon_obs", reference(reference_dir, "astromon_obs"), tmp_path)
    with pytest.raises(DatabaseError, match="does not exist"):
        db.save("astromon_obs", reference(reference_dir, "astromon_obs"), tmp_path / "no" / "x.db")
    with pytest.raises(DatabaseError, match="HDF5"):
        db.save("astromon_obs", reference(reference_dir, "astromon_obs"), tmp_path / "new.h5")


def test_foreign_duckdb_files(tmp_path: Path, reference_dir: Path) -> None:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE measurements (x INTEGER)")
    con.close()
    foreign = tmp_path / "foreign.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE astromon_obs (obsid INTEGER, flavour VARCHAR)")
    con.close()
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    obs = reference(reference_dir, "astromon_obs")
    for path in (other, foreign, text):
        before = digest(path)
        with pytest.raises(DatabaseError, match=r"not an astromon database|not a DuckDB"):
            db.get_table("astromon_obs", path)
        with pytest.raises(DatabaseError, match=r"without astromon tables|not an astromon|not a"):
            db.save("astromon_obs", obs, path)
        assert digest(path) == before


def test_locked_file_gives_a_clear_error(tmp_path: Path, reference_dir: Path) -> None:
    path = tmp_path / "locked.duckdb"
    db.import_ecsv(reference_dir, path)
    release_connections()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(path)!r})
                print("locked", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        store = DuckDBStore(path, lock_timeout=0.3)
        with pytest.raises(DatabaseLockedError, match=re.escape(str(path))) as info:
            store.read_table("astromon_obs")
        assert f"PID {holder.pid}" in str(info.value)
        with pytest.raises(DatabaseLockedError):
            store.save_many([TableWrite("astromon_meta", Table({"last_region_id": [1]}))])
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert len(DuckDBStore(path, lock_timeout=5).read_table("astromon_obs")) == 10
    assert list(db.get_table("astromon_meta", path)["last_region_id"]) == [13]


def test_unicode_and_long_strings_survive(tmp_path: Path, reference_dir: Path) -> None:
    path = tmp_path / "u.duckdb"
    regions = db.get_table("astromon_regions", reference_dir / "astromon_legacy.h5")
    regions["comments"] = ["é" * 500, "", "日本語 comment", "tab\tand\nnewline"]
    db.save("astromon_regions", regions, path)
    back = db.get_table("astromon_regions", path)
    assert back["comments"].tolist() == regions["comments"].tolist()


def test_sql_join_equals_the_pure_join(built: dict[str, Path]) -> None:
    from astromon_adapters.storage.hdf5 import HDF5Store

    from astromon.domain.crossmatch import CROSS_MATCH_COLUMNS

    sql = DuckDBStore(built["legacy"]).read_cross_matches("astromon_21")
    pure = HDF5Store(built["h5"]).read_cross_matches("astromon_21")
    assert sql.colnames == CROSS_MATCH_COLUMNS == pure.colnames
    for name in CROSS_MATCH_COLUMNS:
        if sql[name].dtype.kind == "U":  # widths follow the values
            assert pure[name].dtype.kind == "U"
        else:
            assert sql[name].dtype == pure[name].dtype
        np.testing.assert_array_equal(sql[name], pure[name])
        assert sql[name].format == pure[name].format


def test_release_database_puts_the_kept_session_into_the_file_now(tmp_path: Path) -> None:
    """A save keeps its write session (and lock) open for a while; until it closes, a new
    file is still staged and the last commits are in the write-ahead log. The demo copies its
    database alone and then removes its directory: both need the session closed first."""
    from astromon.domain.time import CxoTime
    from astromon.services.storage import regions as region_service

    class Clock:
        def now_date(self) -> str:
            return str(CxoTime("2024:001").date)

    path = tmp_path / "work" / "kept.duckdb"
    path.parent.mkdir()
    store = DuckDBStore(path, linger=60.0)  # kept far longer than this test
    for ra in (10.0, 30.0):  # the first save creates the file, the second is kept open
        region_service.add_regions(store, {"ra": [ra], "dec": [20.0], "radius": [5.0]}, Clock())
    alone = tmp_path / "alone.duckdb"

    def copied_regions() -> int:
        alone.write_bytes(path.read_bytes())
        with duckdb.connect(str(alone), read_only=True) as con:
            tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
            if "astromon_regions" not in tables:
                return 0
            return int(con.execute("SELECT count(*) FROM astromon_regions").fetchone()[0])

    assert copied_regions() == 1  # the kept session holds the second row outside the file
    assert (path.parent / "kept.duckdb.wal").exists()  # its write-ahead log
    bootstrap().release_database(path)
    assert copied_regions() == 2
    assert sorted(p.name for p in path.parent.iterdir()) == ["kept.duckdb", "kept.duckdb.lock"]
