"""The in-memory fake Store follows the Store port's contract (other areas' tests rely on it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from astromon.domain.errors import (
    MissingTableException,
    ReadOnlyDatabaseError,
    SchemaError,
    ValidationError,
)
from astromon.domain.schema import TABLES
from astromon.ports.store import TableWrite
from tests.unit.fake_store import InjectedFailure, InMemoryStore


@pytest.fixture
def store(reference_dir: Path) -> InMemoryStore:
    return InMemoryStore.from_directory(reference_dir)


def test_reads_schema_tables_with_obsid_index(store: InMemoryStore) -> None:
    assert store.table_names() == list(TABLES)[:5]  # the reference has no astromon_meta
    obs = store.read_table("astromon_obs")
    assert obs.colnames == TABLES["astromon_obs"].names
    assert obs.indices and obs.loc[14577]["target"] == "NGC 6337"
    assert obs["ra"].format == ".4f" and obs["sim_z"].format == ".2f"
    obs["target"][0] = "changed"
    assert store.read_table("astromon_obs")["target"][0] != "changed"  # reads are copies
    assert "memory" not in store.location  # from_directory names the directory


def test_missing_and_unknown_tables(store: InMemoryStore) -> None:
    with pytest.raises(MissingTableException, match="available tables: astromon_obs"):
        store.read_table("astromon_meta")
    with pytest.raises(MissingTableException, match="not an astromon table"):
        store.read_table("astromon_nope")
    with pytest.raises(MissingTableException, match="not an astromon table"):
        store.save_many([TableWrite("astromon_nope", Table({"obsid": [1]}))])


def test_save_replaces_rows_of_the_saved_obsids(store: InMemoryStore) -> None:
    before = store.read_table("astromon_xray_src")
    new = before[before["obsid"] == 14577][:2]
    new["snr"] = [100.0, 200.0]
    with pytest.raises(ValidationError, match="astromon_cat_src without their x-ray source"):
        store.save_many([TableWrite("astromon_xray_src", new)])  # counterparts would lose theirs
    cat = store.read_table("astromon_cat_src")
    kept = cat[(cat["obsid"] == 14577) & np.isin(cat["x_id"], new["id"])]
    xcorr = store.read_table("astromon_xcorr")
    matches = xcorr[(xcorr["obsid"] == 14577) & np.isin(xcorr["c_id"], kept["id"])]
    store.save_many(
        [
            TableWrite("astromon_xray_src", new),
            TableWrite("astromon_cat_src", kept, obsids=(14577,)),  # also when none is kept
            TableWrite("astromon_xcorr", matches, obsids=(14577,)),
        ]
    )
    after = store.read_table("astromon_xray_src")
    assert (after["obsid"] == 14577).sum() == 2
    assert sorted(after[after["obsid"] == 14577]["snr"]) == [100.0, 200.0]
    others = before[before["obsid"] != 14577]
    assert len(after) == len(others) + 2
    assert set(after["obsid"]) == set(before["obsid"])
    cat_after = store.read_table("astromon_cat_src")
    assert int((cat_after["obsid"] == 14577).sum()) == len(kept)


def test_ignore_obsid_replaces_the_table(store: InMemoryStore) -> None:
    obs = store.read_table("astromon_obs")[:2]
    children = [
        TableWrite(name, table[np.isin(table["obsid"], obs["obsid"])], ignore_obsid=True)
        for name in ("astromon_xray_src", "astromon_cat_src", "astromon_xcorr")
        for table in [store.read_table(name)]
    ]
    with pytest.raises(ValidationError, match="without their observation"):
        store.save_many([TableWrite("astromon_obs", obs, ignore_obsid=True)])
    store.save_many([TableWrite("astromon_obs", obs, ignore_obsid=True), *children])
    assert len(store.read_table("astromon_obs")) == 2
    # a table without obsid (regions are keyed by region_id) is always replaced
    regions = store.read_table("astromon_regions")[:1]
    store.save_many([TableWrite("astromon_regions", regions)])
    assert list(store.read_table("astromon_regions")["region_id"]) == [9]


def test_save_many_is_all_or_nothing(store: InMemoryStore) -> None:
    before = store.snapshot()
    obs = store.read_table("astromon_obs")[:1]
    store.fail_after = 1
    with pytest.raises(InjectedFailure):
        store.save_many(
            [
                TableWrite("astromon_obs", obs, ignore_obsid=True),
                TableWrite("astromon_xcorr", store.read_table("astromon_xcorr")[:0]),
            ]
        )
    assert len(store.read_table("astromon_obs")) == len(before["astromon_obs"])
    bad = Table({"obsid": [1], "id": [2]})
    with pytest.raises(SchemaError, match="lacks the columns"):
        store.save_many(
            [
                TableWrite("astromon_obs", obs, ignore_obsid=True),
                TableWrite("astromon_xray_src", bad),
            ]
        )
    after = store.snapshot()
    for name, table in before.items():
        assert len(after[name]) == len(table)
        assert np.array_equal(np.asarray(after[name][table.colnames[0]]), table[table.colnames[0]])
    assert store.transactions == 0


def test_modify_regions_updates_regions_and_last_id(store: InMemoryStore) -> None:
    def drop_first(regions: Table, last_id: int) -> tuple[Table, int]:
        assert last_id == 0  # no astromon_meta in the reference directory
        return regions[1:], 13

    result = store.modify_regions(drop_first)
    assert list(result["region_id"]) == [11, 12, 13]
    assert list(store.read_table("astromon_regions")["region_id"]) == [11, 12, 13]
    assert list(store.read_table("astromon_meta")["last_region_id"]) == [13]

    def check(regions: Table, last_id: int) -> tuple[Table, int]:
        assert last_id == 13
        return regions, last_id

    store.modify_regions(check)
    empty = InMemoryStore()
    created = empty.modify_regions(lambda regions, last: (regions, last))
    assert len(created) == 0 and created.colnames == TABLES["astromon_regions"].names


def test_read_only_store_refuses_writes(reference_dir: Path) -> None:
    store = InMemoryStore.from_directory(reference_dir, writable=False)
    assert not store.writable
    with pytest.raises(ReadOnlyDatabaseError):
        store.save_many([TableWrite("astromon_obs", store.read_table("astromon_obs"))])
    with pytest.raises(ReadOnlyDatabaseError):
        store.modify_regions(lambda regions, last: (regions, last))


def test_read_cross_matches_uses_the_join(store: InMemoryStore) -> None:
    matches = store.read_cross_matches("astromon_21")
    assert len(matches) == 8 and len(matches.colnames) == 38
    assert list(matches["obsid"]) == sorted(matches["obsid"])
