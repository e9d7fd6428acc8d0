"""The integrity check over the Store port (in-memory fake store)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from astropy.table import Table, vstack

from astromon.domain.errors import DatabaseError
from astromon.domain.schema import LEGACY_TABLE_NAMES, TABLE_NAMES, empty_table, to_schema
from astromon.ports.store import TableWrite
from astromon.services.storage.integrity import PROBLEM_KINDS, check_integrity
from tests.unit.fake_store import InMemoryStore


def observation(obsid: int, n_src: int = 3, n_cat: int = 2) -> dict[str, Table]:
    """A consistent observation: obs row, x-ray sources, counterparts, cross-matches."""
    obs = {
        "obsid": [obsid],
        "version": [10.0],
        "detector": ["ACIS-S"],
        "target": ["Ω Cen"],
        "grating": ["NONE"],
        "sim_z": [-190.1],
        "date_obs": ["2020-01-01T00:00:00"],
        "tstart": [7.0e8],
        "ascdsver": ["10.9.2"],
        "ra": [10.0],
        "dec": [-20.0],
        "roll": [30.0],
        "category_id": [10],
    }
    xray = {
        "obsid": [obsid] * n_src,
        "id": list(range(n_src)),
        "ra": np.linspace(10, 10.01, n_src),
        "dec": np.full(n_src, -20.0),
        "net_counts": np.full(n_src, 100.0),
        "y_angle": np.zeros(n_src),
        "z_angle": np.zeros(n_src),
        "r_angle": np.zeros(n_src),
        "snr": np.full(n_src, 10.0),
        "near_neighbor_dist": np.full(n_src, 50.0),
        "pileup": np.zeros(n_src),
        "acis_streak": np.zeros(n_src, dtype=int),
        "caldb_version": ["4.10.0"] * n_src,
    }
    cat = {
        "obsid": [obsid] * n_cat,
        "id": list(range(n_cat)),
        "x_id": [i % n_src for i in range(n_cat)],
        "catalog": ["Tycho2"] * n_cat,
        "name": [f"c{i}" for i in range(n_cat)],
        "ra": np.full(n_cat, 10.0),
        "dec": np.full(n_cat, -20.0),
        "separation": np.full(n_cat, 0.5),
        "mag": np.full(n_cat, np.nan),
        "y_angle": np.zeros(n_cat),
        "z_angle": np.zeros(n_cat),
    }
    xcorr = {
        "select_name": ["astromon_21"] * n_cat,
        "obsid": [obsid] * n_cat,
        "c_id": list(range(n_cat)),
        "x_id": [i % n_src for i in range(n_cat)],
        "dy": np.zeros(n_cat),
        "dz": np.zeros(n_cat),
        "dr": np.zeros(n_cat),
    }
    return {
        "astromon_obs": to_schema("astromon_obs", obs),
        "astromon_xray_src": to_schema("astromon_xray_src", xray),
        "astromon_cat_src": to_schema("astromon_cat_src", cat),
        "astromon_xcorr": to_schema("astromon_xcorr", xcorr),
    }


def regions(ids: list[int], last: int) -> dict[str, Table]:
    n = len(ids)
    rows = {
        "region_id": ids,
        "region_id_str": [f"{i:010x}" for i in ids],
        "last_modified": ["2024:001:00:00:00.000"] * n,
        "ra": np.full(n, 10.0),
        "dec": np.full(n, 5.0),
        "radius": np.full(n, 3.0),
        "obsid": np.zeros(n, dtype=int),
        "user": ["me"] * n,
        "comments": [""] * n,
    }
    return {
        "astromon_regions": to_schema("astromon_regions", rows),
        "astromon_meta": to_schema("astromon_meta", {"last_region_id": [last]}),
    }


def database(*parts: dict[str, Table]) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for part in parts:
        for name, table in part.items():
            tables[name] = vstack([tables[name], table]) if name in tables else table
    return tables


def kinds(store: Any) -> list[tuple[str, str]]:
    return [(p.kind, p.table) for p in check_integrity(store).problems]


def test_sound_database_passes() -> None:
    store = InMemoryStore(database(observation(100), observation(200, 5, 4), regions([1, 2, 5], 7)))
    report = check_integrity(store)
    assert report.ok, report.lines()
    assert report.row_counts["astromon_xray_src"] == 8
    assert report.row_counts["astromon_regions"] == 3
    assert report.lines()[-1] == "integrity check passed"


def test_empty_database_is_a_problem() -> None:
    report = check_integrity(InMemoryStore())
    assert not report.ok
    assert report.problems[0].kind == "schema"
    assert "no astromon table" in report.problems[0].message


def test_reference_tables_pass(reference_dir: Any) -> None:
    store = InMemoryStore.from_directory(reference_dir)
    if "astromon_meta" not in store.table_names():  # the ECSV set has no meta table
        report = check_integrity(store)
        assert [str(p) for p in report.problems] == [
            "[regions] astromon_meta: last_region_id is missing while regions go up to region_id 13"
        ]
        store.save_many([TableWrite("astromon_meta", Table({"last_region_id": [13]}))])
    report = check_integrity(store)
    assert report.ok, report.lines()
    assert set(report.row_counts) == set(LEGACY_TABLE_NAMES)  # no alignment table there


def test_duplicate_keys_are_reported() -> None:
    tables = database(observation(100), observation(100), regions([1, 1], 3))
    report = check_integrity(InMemoryStore(tables))
    found = {(p.kind, p.table) for p in report.problems}
    assert ("key", "astromon_obs") in found
    assert ("key", "astromon_xray_src") in found
    assert ("key", "astromon_cat_src") in found
    assert ("key", "astromon_xcorr") in found
    assert ("key", "astromon_regions") in found
    obs_problem = next(p for p in report.problems if p.table == "astromon_obs")
    assert "duplicate obsid: 100" in obs_problem.message
    xray_problem = next(p for p in report.problems if p.table == "astromon_xray_src")
    assert "(100, 0)" in xray_problem.message
    assert xray_problem.count == 3


def test_orphans_are_reported() -> None:
    full = observation(100)
    # counterparts whose x-ray source is gone, and sources of an observation that is gone
    tables = database(
        {"astromon_obs": full["astromon_obs"]},
        {"astromon_xray_src": full["astromon_xray_src"][:1]},
        {
            "astromon_cat_src": full["astromon_cat_src"],
            "astromon_xcorr": full["astromon_xcorr"],
        },
        {"astromon_xray_src": observation(300)["astromon_xray_src"]},
    )
    report = check_integrity(InMemoryStore(tables))
    messages = [str(p) for p in report.problems]
    assert all(p.kind == "orphan" for p in report.problems), messages
    assert any("astromon_xray_src" in m and "observation" in m and "300" in m for m in messages)
    assert any("astromon_cat_src" in m and "(100, 1)" in m for m in messages)
    assert any("astromon_xcorr" in m and "x-ray source" in m for m in messages)
    assert not any("astromon_xcorr" in m and "counterpart" in m for m in messages)


def test_cross_match_without_counterpart_or_observation() -> None:
    full = observation(100)
    tables = database(
        {k: v for k, v in full.items() if k != "astromon_cat_src"},
        {"astromon_xcorr": observation(400)["astromon_xcorr"]},
    )
    messages = [str(p) for p in check_integrity(InMemoryStore(tables)).problems]
    assert any("counterpart (obsid, c_id)" in m and "(100, 0)" in m for m in messages)
    assert any("observation (obsid)" in m and "400" in m for m in messages)


def test_regions_consistency() -> None:
    tables = regions([3, 9], 5)
    tables["astromon_regions"]["region_id_str"][0] = "XYZ"
    tables["astromon_regions"]["radius"][1] = -1.0
    report = check_integrity(InMemoryStore(tables))
    messages = [str(p) for p in report.problems]
    assert {p.kind for p in report.problems} == {"regions"}
    assert any("'XYZ'" in m for m in messages)
    assert any("-1.0" in m for m in messages)
    assert any("last_region_id 5 is smaller than the largest region_id 9" in m for m in messages)


def test_regions_without_meta_and_meta_with_two_rows() -> None:
    tables = regions([1], 1)
    del tables["astromon_meta"]
    assert kinds(InMemoryStore(tables)) == [("regions", "astromon_meta")]
    tables = regions([1], 1)
    tables["astromon_meta"] = to_schema("astromon_meta", {"last_region_id": [1, 2]})
    report = check_integrity(InMemoryStore(tables))
    assert [(p.kind, p.table) for p in report.problems] == [("schema", "astromon_meta")]
    assert "exactly one row" in report.problems[0].message


class _BrokenStore(InMemoryStore):
    """Returns a table of a foreign schema and fails to read another."""

    def read_table(self, name: str) -> Table:
        if name == "astromon_obs":
            return Table({"obsid": ["a"], "foo": [1]})
        if name == "astromon_xray_src":
            raise DatabaseError("file is corrupt")
        if name == "astromon_cat_src":
            raise RuntimeError("low-level failure\nwith details")
        return super().read_table(name)


def test_foreign_schema_and_unreadable_tables_are_reported_not_raised() -> None:
    tables = database(observation(100), regions([1], 1))
    store = _BrokenStore(tables)
    report = check_integrity(store)
    messages = [str(p) for p in report.problems]
    assert not report.ok
    assert all(p.kind == "schema" for p in report.problems)
    assert any("missing" in m and "unexpected ['foo']" in m for m in messages)
    assert any("astromon_xray_src: cannot be read: file is corrupt" in m for m in messages)
    assert any("RuntimeError: low-level failure" in m for m in messages)
    # orphan checks are skipped: they would only repeat the schema problems
    assert not any(p.kind == "orphan" for p in report.problems)


def test_wrong_column_type_is_reported() -> None:
    class Store(InMemoryStore):
        def read_table(self, name: str) -> Table:
            table = super().read_table(name)
            if name == "astromon_xcorr":
                table.replace_column("dr", table["dr"].astype(str))
            return table

    report = check_integrity(Store(observation(5)))
    assert len(report.problems) == 1
    assert str(report.problems[0]).startswith("[schema] astromon_xcorr: column dr has type <U")
    assert str(report.problems[0]).endswith("expected f32")


def test_unlistable_store() -> None:
    class Store(InMemoryStore):
        def table_names(self) -> list[str]:
            raise DatabaseError("not a DuckDB file: /x.db")

    report = check_integrity(Store())
    assert not report.ok
    assert "not a DuckDB file: /x.db" in report.problems[0].message
    assert report.lines()[-1].endswith("not a DuckDB file: /x.db")


def test_problem_kinds_order() -> None:
    assert PROBLEM_KINDS == ("schema", "key", "orphan", "regions")
    tables = database(observation(1), observation(1))
    tables["astromon_xray_src"] = tables["astromon_xray_src"][:0]
    report = check_integrity(InMemoryStore(tables))
    assert report.problems[0].kind == "key"
    assert "orphan" in [p.kind for p in report.problems]


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_each_empty_table_alone_is_sound(name: str) -> None:
    tables = {name: empty_table(name)}
    if name == "astromon_meta":
        tables[name] = to_schema(name, {"last_region_id": [0]})
    assert check_integrity(InMemoryStore(tables)).ok
