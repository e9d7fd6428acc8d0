"""Invalid values are refused on every write (naming table, column, row and value) and listed
by ``db check``; units on input columns are converted to the schema's or refused."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from astromon_adapters.storage.duckdb.store import release_connections
from astropy import units as u
from astropy.table import Table
from typer.testing import CliRunner

from astromon import bootstrap, db
from astromon.cli.app import app
from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.schema import to_schema
from astromon.ports.store import TableWrite
from tests.integration import crash_harness as harness


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def dbfile(tmp_path: Path) -> Path:
    path = tmp_path / "astromon.duckdb"
    for obsid in (1, 2):
        harness.save_observation(path, obsid, obsid)
    release_connections()
    return path


def obs(**values: Any) -> Table:
    table = harness.observation_tables(9, 1)["astromon_obs"]
    rows = Table(np.repeat(table.as_array(), 2))  # two rows: the bad one is row 1
    rows["obsid"] = [9, 10]
    for name, value in values.items():
        column = rows[name].tolist()
        column[1] = value
        rows.replace_column(name, column)
    return rows


BAD_OBSERVATIONS = [
    ("date_obs", "2013-13-45T99:00:00"),
    ("date_obs", "2013-02-30T00:00:00"),
    ("date_obs", "yesterday"),
    ("tstart", float("inf")),
    ("tstart", float("nan")),
    ("tstart", -5.0),
    ("detector", "NOPE"),
    ("grating", "XETG"),
    ("category_id", 99999),
    ("obsid", -5),
    ("obsid", 0),
    ("roll", 360.5),
    ("ra", float("nan")),
    ("dec", 91.0),
    ("sim_z", float("inf")),
    ("target", "x" * 4097),
]


@pytest.mark.parametrize(("column", "value"), BAD_OBSERVATIONS)
def test_a_bad_observation_changes_nothing_and_is_named(
    dbfile: Path, column: str, value: Any
) -> None:
    before = digest(dbfile)
    with pytest.raises(ValidationError) as info:
        db.save("astromon_obs", obs(**{column: value}), dbfile)
    message = str(info.value)
    assert f"astromon_obs.{column}=" in message and "row 1" in message, message
    shown = repr(value) if not isinstance(value, str) or len(value) < 60 else "4097 characters"
    assert shown in message or str(value) in message, message
    assert digest(dbfile) == before
    assert sorted(db.get_table("astromon_obs", dbfile)["obsid"]) == [1, 2]


def test_the_store_checks_writes_that_bypass_the_api(dbfile: Path) -> None:
    """A pipeline writing through Store.save_many is held to the same rules."""
    store = bootstrap.bootstrap().store(dbfile, write=True)
    tables = harness.observation_tables(5, 1)
    tables["astromon_xray_src"]["ra"][0] = 400.0
    writes = [TableWrite(n, to_schema(n, t)) for n, t in tables.items()]
    before = digest(dbfile)
    with pytest.raises(ValidationError, match=r"astromon_xray_src\.ra=400\.0 in row 0"):
        store.save_many(writes)
    release_connections()
    assert digest(dbfile) == before


def test_region_values_and_long_text_are_refused(dbfile: Path) -> None:
    before = digest(dbfile)
    with pytest.raises(ValidationError, match="4096 characters"):
        db.add_regions(
            {"ra": [1.0], "dec": [1.0], "radius": [2.0], "comments": ["y" * 5000]}, dbfile
        )
    with pytest.raises(ValidationError, match="radius"):
        db.add_regions({"ra": [1.0], "dec": [1.0], "radius": [7e5]}, dbfile)
    release_connections()
    assert digest(dbfile) == before


def test_units_on_input_columns_are_converted(dbfile: Path) -> None:
    added = db.add_regions(
        {"ra": [10.0] * u.deg, "dec": [0.5] * u.deg, "radius": [2.0] * u.arcmin}, dbfile=dbfile
    )
    assert float(added["radius"][0]) == pytest.approx(120.0)
    table = obs()
    table["ra"] = np.radians(np.asarray(table["ra"], dtype=float)) * u.rad
    table["tstart"] = np.asarray(table["tstart"], dtype=float) / 86400.0 * u.day
    db.save("astromon_obs", table, dbfile)
    stored = db.get_table("astromon_obs", dbfile)
    row = stored[np.asarray(stored["obsid"]) == 10][0]
    assert float(row["ra"]) == pytest.approx(float(obs()["ra"][1]))
    assert float(row["tstart"]) == pytest.approx(float(obs()["tstart"][1]), rel=1e-6)


def test_incompatible_units_are_refused(dbfile: Path) -> None:
    before = digest(dbfile)
    with pytest.raises(SchemaError, match=r"radius has unit s.*arcsec"):
        db.add_regions({"ra": [1.0], "dec": [1.0], "radius": [3.0] * u.s}, dbfile=dbfile)
    table = obs()
    table["dec"] = np.asarray(table["dec"], dtype=float) * u.m
    with pytest.raises(SchemaError, match=r"astromon_obs\.dec has unit m"):
        db.save("astromon_obs", table, dbfile)
    release_connections()
    assert digest(dbfile) == before


def test_db_check_lists_each_invalid_stored_value(dbfile: Path) -> None:
    con = duckdb.connect(str(dbfile))  # a foreign tool writes values astromon refuses
    con.execute("UPDATE astromon_obs SET date_obs = '2013-13-45T99:00:00' WHERE obsid = 2")
    con.execute("UPDATE astromon_obs SET detector = 'NOPE', tstart = 'nan' WHERE obsid = 1")
    con.close()
    report = bootstrap.bootstrap().check_database(dbfile)
    assert not report.ok
    messages = [str(p) for p in report.problems]
    rows = {int(o): i for i, o in enumerate(db.get_table("astromon_obs", dbfile)["obsid"])}
    assert f"astromon_obs.date_obs='2013-13-45T99:00:00' in row {rows[2]}" in " ".join(messages)
    assert any(f"astromon_obs.detector='NOPE' in row {rows[1]}" in m for m in messages)
    assert any(f"astromon_obs.tstart=nan in row {rows[1]}" in m for m in messages)
    result = CliRunner().invoke(app, ["--db", str(dbfile), "db", "check"])
    assert result.exit_code == 1
    assert "detector='NOPE'" in result.output


def test_rows_without_their_observation_or_source_are_refused(dbfile: Path) -> None:
    before = digest(dbfile)
    sources = harness.observation_tables(99, 1)["astromon_xray_src"]
    with pytest.raises(
        ValidationError, match=r"astromon_xray_src\.obsid=99 in row 0 .*observation"
    ):
        db.save("astromon_xray_src", sources, dbfile)
    counterparts = Table(db.get_table("astromon_cat_src", dbfile)[:1])
    counterparts["x_id"] = 4000
    with pytest.raises(ValidationError, match=r"astromon_cat_src\.x_id=4000 in row 0"):
        db.save("astromon_cat_src", counterparts, dbfile)
    with pytest.raises(ValidationError, match=r"would leave .* without their observation"):
        db.save("astromon_obs", db.get_table("astromon_obs", dbfile)[:1], dbfile, True)
    release_connections()
    assert digest(dbfile) == before


def test_an_observation_saved_again_without_counterparts_loses_its_old_ones(dbfile: Path) -> None:
    """The pipeline writes absent tables empty for the obsid (``TableWrite.obsids``)."""
    store = bootstrap.bootstrap().store(dbfile, write=True)
    tables = harness.observation_tables(1, 5)  # other source ids than version 1
    tables["astromon_xray_src"]["id"] += 1000
    empty = {n: to_schema(n, tables[n])[:0] for n in ("astromon_cat_src", "astromon_xcorr")}
    parents = [
        TableWrite(n, to_schema(n, tables[n])) for n in ("astromon_obs", "astromon_xray_src")
    ]
    before = digest(dbfile)
    with pytest.raises(ValidationError, match=r"would leave .* astromon_cat_src without"):
        store.save_many([*parents, *(TableWrite(n, t) for n, t in empty.items())])
    release_connections()
    assert digest(dbfile) == before
    store.save_many([*parents, *(TableWrite(n, t, obsids=(1,)) for n, t in empty.items())])
    release_connections()
    assert 1 not in set(db.get_table("astromon_cat_src", dbfile)["obsid"])
    assert bootstrap.bootstrap().check_database(dbfile).ok


def test_last_region_id_follows_the_regions(dbfile: Path) -> None:
    regions = {
        "region_id": [7], "region_id_str": ["0123456789"], "last_modified": ["2020:001"],
        "ra": [1.0], "dec": [2.0], "radius": [3.0], "obsid": [0], "user": [""], "comments": [""],
    }  # fmt: skip
    db.save("astromon_regions", regions, dbfile)
    assert list(db.get_table("astromon_meta", dbfile)["last_region_id"]) == [7]
    with pytest.raises(ValidationError, match=r"last_region_id=6 in row 0 .* largest region_id"):
        db.save("astromon_meta", {"last_region_id": [6]}, dbfile)
    db.save("astromon_meta", {"last_region_id": [9]}, dbfile)
    added = db.add_regions({"ra": [5.0], "dec": [5.0]}, dbfile)
    assert list(added["region_id"]) == [10]
    assert bootstrap.bootstrap().check_database(dbfile).ok
