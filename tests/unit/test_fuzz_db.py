"""Hypothesis fuzzing of astromon.db on a DuckDB file in tmp: 1,000 hostile cases per entry point.

Every call either succeeds or raises an AstromonError subclass (never a low-level exception),
and a rejected call leaves the file byte-for-byte unchanged; reads never change it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
import pytest
from astromon_adapters.storage.duckdb.store import release_connections
from astropy.table import Table
from hypothesis import given
from hypothesis import strategies as st

from astromon import db
from astromon.bootstrap import bootstrap
from astromon.domain.errors import AstromonError
from astromon.domain.schema import TABLE_NAMES
from tests.integration import crash_harness as harness
from tests.unit.fuzz_strategies import (
    DATES,
    FUZZ,
    NUMBERS,
    OBSIDS,
    SCALARS,
    STRINGS,
    as_array,
    snapshot,
    table_data,
)

CALLS: dict[str, int] = {}


def _count(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


def build(path: Path) -> Path:
    for obsid in (1, 2, 3):
        harness.save_observation(path, obsid, obsid)
    db.add_regions(
        {"ra": [10.0, 200.0], "dec": [5.0, -30.0], "radius": [30.0, 5.0], "obsid": [0, 2]},
        dbfile=path,
    )
    release_connections()
    return path


@pytest.fixture(scope="module")
def dbfile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("fuzz") / "astromon.duckdb")


def huge_number(value: Any) -> bool:
    """An obsid outside int64 (once an OverflowError, see test_fuzz_api)."""
    return isinstance(value, int | float) and not abs(value) < 2**63


def not_iterable(value: Any) -> bool:
    """Known defect (see test_fuzz_api): a scalar exclude_categories raises TypeError."""
    return not isinstance(value, str) and not hasattr(value, "__iter__")


def attempt(path: Path, call: Any, *, read: bool) -> tuple[bool, Any]:
    """Run ``call``; check the error kind and that the file is unchanged when required.

    Connections are closed around a call that may write, so that its changes are in the
    file before the snapshot. A read keeps its cached read-only connection for the next case
    (reopening the file was most of a case's time): a read-only connection cannot change the
    file, and a read that wrongly wrote would have committed to the write-ahead log, which
    the snapshot includes.
    """
    if not read:
        release_connections()
    before = snapshot(path)
    try:
        result = call()
    except AstromonError as exc:
        if not read:
            release_connections()
        assert str(exc), "an error without a message"
        assert snapshot(path) == before, f"rejected call changed the file ({exc})"
        return False, exc
    if not read:
        release_connections()
    if read:
        assert snapshot(path) == before, "a read changed the file"
    return True, result


@pytest.mark.slow
@FUZZ
@given(data=table_data(), ignore_obsid=st.booleans(), name=st.none() | STRINGS)
def test_fuzz_save(
    tmp_path_factory: pytest.TempPathFactory,
    data: tuple[str, dict[str, Any]],
    ignore_obsid: bool,
    name: str | None,
) -> None:
    _count("db.save")
    path = tmp_path_factory.getbasetemp() / "fuzz-save.duckdb"
    if not path.exists():
        build(path)
    table, columns = data
    target = table if name is None else name
    ok, _ = attempt(path, lambda: db.save(target, columns, path, ignore_obsid), read=False)
    if ok:
        stored = db.get_table(table, path)
        assert stored.colnames[:2] == list(stored.colnames[:2])
        assert_sound(path)


def assert_sound(path: Path) -> None:
    """An accepted write leaves a file that ``db check`` passes."""
    report = bootstrap().check_database(path)
    release_connections()
    assert report.ok, "\n".join(report.lines())


@st.composite
def nearly_valid(draw: Any) -> tuple[str, Table, bool]:
    """Rows that a database accepts, but for one value drawn from the hostile pools, and
    obsids and ids moved around (so that rows may lack their observation or source)."""
    name = draw(st.sampled_from(TABLE_NAMES))
    if name == "astromon_meta":
        rows = Table({"last_region_id": [draw(st.one_of(st.integers(-2, 5), NUMBERS))]})
        return name, rows, False
    if name == "astromon_regions":
        rows = Table(VALID_REGIONS, copy=True)
        rows["region_id"] = draw(st.lists(st.integers(0, 6), min_size=2, max_size=2, unique=True))
    else:
        obsid = draw(st.integers(0, 5))
        rows = Table(harness.observation_tables(max(obsid, 1), draw(st.integers(1, 3)))[name])
        rows["obsid"] = obsid
    if len(rows) and draw(st.booleans()):
        column = draw(st.sampled_from(rows.colnames))
        values = list(rows[column])
        values[draw(st.integers(0, len(rows) - 1))] = draw(
            st.one_of(NUMBERS, STRINGS, OBSIDS, DATES, st.integers(-3, 45))
        )
        rows.replace_column(column, as_array(values))
    return name, rows, draw(st.booleans())


VALID_REGIONS = Table(
    {
        "region_id": [5, 6],
        "region_id_str": ["0123456789", "abcdef0123"],
        "last_modified": ["2020:001:00:00:00.000", "2021:100"],
        "ra": [1.0, 359.5],
        "dec": [-2.0, 89.0],
        "radius": [3.0, 0.0],
        "obsid": [0, 2],
        "user": ["", "me"],
        "comments": [" padded ", ""],
    }
)


@pytest.mark.slow
@FUZZ
@given(case=nearly_valid())
def test_fuzz_save_then_check(tmp_path_factory: pytest.TempPathFactory, case: Any) -> None:
    """Every save either is refused (file unchanged) or leaves a file ``db check`` passes."""
    _count("db.save then db check")
    path = tmp_path_factory.getbasetemp() / "fuzz-save-check.duckdb"
    if not path.exists():
        build(path)
    name, rows, ignore_obsid = case
    ok, _ = attempt(path, lambda: db.save(name, rows, path, ignore_obsid), read=False)
    if ok:
        assert_sound(path)


@pytest.mark.slow
@FUZZ
@given(name=st.one_of(st.sampled_from(TABLE_NAMES), STRINGS, SCALARS), which=st.integers(0, 3))
def test_fuzz_get_table(dbfile: Path, tmp_path: Path, name: Any, which: int) -> None:
    _count("db.get_table")
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"\x00not a database" * 100)
    target = [dbfile, tmp_path / "absent.duckdb", tmp_path, garbage][which]
    ok, result = attempt(dbfile, lambda: db.get_table(name, target), read=True)
    if ok:
        assert name in TABLE_NAMES and which == 0
        assert len(result.colnames) > 0
    assert not (tmp_path / "absent.duckdb").exists()


REGION_COLUMNS = ("ra", "dec", "radius", "obsid", "user", "comments")


@st.composite
def region_input(draw: Any) -> Any:
    n = draw(st.integers(0, 3))
    kind = draw(st.sampled_from(["dict"] * 6 + ["scalar", "list"]))
    if kind == "scalar":
        return draw(SCALARS)
    if kind == "list":
        return draw(st.lists(SCALARS, max_size=4))
    out: dict[str, Any] = {}
    for col in REGION_COLUMNS:
        if draw(st.integers(0, 9)) == 0:
            continue
        good = (
            st.floats(0, 359.9)
            if col == "ra"
            else st.floats(-90, 90)
            if col == "dec"
            else st.floats(0, 100)
            if col == "radius"
            else st.integers(-3, 5)
            if col == "obsid"
            else STRINGS
        )
        out[col] = draw(st.lists(st.one_of(good, good, SCALARS), min_size=n, max_size=n))
    return {k: as_array(v) for k, v in out.items()}


@pytest.mark.slow
@FUZZ
@given(regions=region_input())
def test_fuzz_add_regions(tmp_path_factory: pytest.TempPathFactory, regions: Any) -> None:
    _count("db.add_regions")
    path = tmp_path_factory.getbasetemp() / "fuzz-regions.duckdb"
    if not path.exists():
        build(path)
    ok, added = attempt(path, lambda: db.add_regions(regions, dbfile=path), read=False)
    if ok:
        assert_sound(path)
        ra = np.asarray(added["ra"], dtype=float)
        dec = np.asarray(added["dec"], dtype=float)
        radius = np.asarray(added["radius"], dtype=float)
        assert np.all((ra >= 0) & (ra < 360)), ra
        assert np.all((dec >= -90) & (dec <= 90)), dec
        assert np.all(np.isfinite(radius) & (radius >= 0)), radius
        assert all(len(s) == 10 for s in added["region_id_str"])


RADII = st.one_of(
    NUMBERS,
    STRINGS,
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda v: v * u.arcmin),
    st.floats(-10, 10).map(lambda v: v * u.kg),
    st.floats(-10, 10).map(lambda v: v * u.deg),
)


@pytest.mark.slow
@FUZZ
@given(obsid=OBSIDS, radius=RADII)
def test_fuzz_get_regions(dbfile: Path, obsid: Any, radius: Any) -> None:
    _count("db.get_regions")
    ok, result = attempt(
        dbfile, lambda: db.get_regions(obsid=obsid, dbfile=dbfile, radius=radius), read=True
    )
    if ok:
        assert set(result.colnames) >= {"region_id", "ra", "dec", "radius", "obsid"}
        assert len(result) <= 2


POSITIONS = st.one_of(
    st.tuples(NUMBERS, NUMBERS),
    st.tuples(st.floats(0, 360), st.floats(-90, 90)),
    st.tuples(
        st.lists(st.floats(0, 360), max_size=4), st.lists(st.floats(-90, 90), max_size=4)
    ).map(lambda p: (as_array(p[0]), as_array(p[1]))),
    st.tuples(st.lists(NUMBERS, max_size=3), st.lists(NUMBERS, max_size=4)).map(
        lambda p: (as_array(p[0]), as_array(p[1]))
    ),
    SCALARS,
    st.tuples(STRINGS, STRINGS),
    st.lists(NUMBERS, max_size=4).map(tuple),
)


@pytest.mark.slow
@FUZZ
@given(position=POSITIONS, obsid=OBSIDS)
def test_fuzz_is_in_excluded_region(dbfile: Path, position: Any, obsid: Any) -> None:
    _count("db.is_in_excluded_region")
    ok, result = attempt(
        dbfile,
        lambda: db.is_in_excluded_region(position, obsid=obsid, dbfile=dbfile),
        read=True,
    )
    if ok:
        assert isinstance(result, bool | np.bool_ | np.ndarray)
        if isinstance(result, np.ndarray):
            assert result.dtype == bool


FILTER_KEYS = (
    "snr",
    "dr",
    "r_angle",
    "r_angle_grating",
    "near_neighbor_dist",
    "sim_z",
    "start",
    "stop",
    "exclude_regions",
    "exclude_bad_targets",
    "exclude_categories",
)


@st.composite
def filter_kwargs(draw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(FILTER_KEYS), max_size=4, unique=True)):
        if key in ("start", "stop"):
            out[key] = draw(DATES)
        elif key in ("exclude_regions", "exclude_bad_targets"):
            out[key] = draw(st.one_of(st.booleans(), SCALARS))
        elif key == "exclude_categories":
            out[key] = draw(st.one_of(st.lists(STRINGS, max_size=3), SCALARS))
        else:
            out[key] = draw(st.one_of(NUMBERS, NUMBERS, STRINGS, st.none()))
    if draw(st.booleans()):  # a column filter: existing or unknown column, list or scalar
        column = draw(st.one_of(st.sampled_from(["detector", "obsid", "target"]), STRINGS))
        if column.isidentifier() and column not in (*FILTER_KEYS, "name", "dbfile"):
            out[column] = draw(st.one_of(SCALARS, st.lists(SCALARS, max_size=3)))
    return out


@pytest.mark.slow
@FUZZ
@given(
    name=st.one_of(st.sampled_from(["astromon_21", "v1", "v2", "v3"]), STRINGS, SCALARS),
    kwargs=filter_kwargs(),
)
def test_fuzz_get_cross_matches(dbfile: Path, name: Any, kwargs: dict[str, Any]) -> None:
    _count("db.get_cross_matches")
    ok, result = attempt(
        dbfile, lambda: db.get_cross_matches(name=name, dbfile=dbfile, **kwargs), read=True
    )
    if ok:
        assert len(result) <= 3
        if len(result):
            assert set(np.asarray(result["select_name"]).tolist()) == {name}


def test_fuzz_case_counts() -> None:
    """Runs last in this module: every entry point got its 1,000 cases."""
    if len(CALLS) < 6:
        pytest.skip("run with the whole module to count cases")
    print(f"fuzz cases per entry point: {CALLS}")
    assert all(n >= 1000 for n in CALLS.values()), CALLS
