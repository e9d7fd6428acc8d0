"""Storage and region use cases over an in-memory store and a fake clock."""

from __future__ import annotations

import re

import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table

from astromon.domain.errors import (
    DatabaseError,
    MissingTableException,
    ReadOnlyDatabaseError,
    SchemaError,
    ValidationError,
)
from astromon.domain.schema import to_schema
from astromon.domain.value_rules import check_values as validate_values
from astromon.services.storage import regions as region_service
from astromon.services.storage import tables as storage
from tests.unit.fake_store import InMemoryStore


class FakeClock:
    """A clock the test sets."""

    def __init__(self, date: str = "2025:330:00:00:00.000") -> None:
        self.date = date

    def now_date(self) -> str:
        return self.date


def obs_rows(obsids: list[int], target: str = "T") -> Table:
    n = len(obsids)
    return Table(
        {
            "obsid": obsids,
            "version": [10.0] * n,
            "detector": ["ACIS-S"] * n,
            "target": [target] * n,
            "grating": ["NONE"] * n,
            "sim_z": [-190.1] * n,
            "date_obs": ["2013-02-11T07:39:09"] * n,
            "tstart": [476955550.0] * n,
            "ascdsver": ["10.9.2"] * n,
            "ra": [187.7] * n,
            "dec": [12.39] * n,
            "roll": [10.0] * n,
            "category_id": [10] * n,
            "extra": [1] * n,
        }
    )


# --- save ---------------------------------------------------------------------------------


def test_save_replaces_rows_of_the_given_obsids_only() -> None:
    store = InMemoryStore()
    storage.save(store, "astromon_obs", obs_rows([1, 2, 3], "old"))
    storage.save(store, "astromon_obs", obs_rows([2, 4], "new"))
    table = store.read_table("astromon_obs")
    assert sorted(table["obsid"]) == [1, 2, 3, 4]
    targets = dict(zip(table["obsid"].tolist(), table["target"].tolist(), strict=True))
    assert targets == {1: "old", 2: "new", 3: "old", 4: "new"}
    assert "extra" not in table.colnames


def test_save_with_ignore_obsid_replaces_the_table() -> None:
    store = InMemoryStore()
    storage.save(store, "astromon_obs", obs_rows([1, 2, 3]))
    storage.save(store, "astromon_obs", obs_rows([5]), ignore_obsid=True)
    assert list(store.read_table("astromon_obs")["obsid"]) == [5]


@pytest.mark.parametrize(
    ("table", "data", "error", "message"),
    [
        ("astromon_nope", {"obsid": [1]}, MissingTableException, "astromon_obs"),
        ("astromon_obs", {"obsid": [1], "ra": [1.0]}, SchemaError, "detector"),
        ("astromon_obs", {"foo": [1]}, SchemaError, "no column in common"),
    ],
)
def test_save_rejects_bad_input_before_touching_the_store(
    table: str, data: dict[str, list[object]], error: type[Exception], message: str
) -> None:
    store = InMemoryStore({"astromon_obs": obs_rows([7])})
    before = store.snapshot()
    with pytest.raises(error, match=message):
        storage.save(store, table, data)
    assert store.transactions == 0
    assert list(store.snapshot()["astromon_obs"]["obsid"]) == list(before["astromon_obs"]["obsid"])


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("ra", np.nan, "astromon_obs.ra=nan"),
        ("ra", 360.0, "astromon_obs.ra=360.0"),
        ("dec", -91.0, "astromon_obs.dec=-91.0"),
        ("tstart", "yesterday", "tstart"),
        ("obsid", 1.5, "obsid"),
    ],
)
def test_save_rejects_bad_values(column: str, value: object, message: str) -> None:
    data = obs_rows([1, 2])
    data[column] = data[column].astype(object)
    data[column][1] = value
    store = InMemoryStore()
    with pytest.raises(ValidationError, match=re.escape(message)):
        storage.save(store, "astromon_obs", data)
    assert store.transactions == 0


def test_duplicate_keys_are_named() -> None:
    with pytest.raises(ValidationError, match=r"'obsid': 3"):
        storage.prepare_write("astromon_obs", obs_rows([3, 3]))


def test_negative_region_radius_is_rejected_on_save() -> None:
    rows = to_schema(
        "astromon_regions",
        {
            "region_id": [1],
            "region_id_str": ["abc0123456"],
            "last_modified": ["2025:001"],
            "ra": [1.0],
            "dec": [1.0],
            "radius": [-2.0],
            "obsid": [0],
            "user": [""],
            "comments": [""],
        },
    )
    with pytest.raises(ValidationError, match=re.escape("radius=-2.0")):
        validate_values("astromon_regions", rows)


def test_read_only_store_refuses_writes_and_suggests_import() -> None:
    store = InMemoryStore(writable=False)
    with pytest.raises(ReadOnlyDatabaseError, match="import-legacy"):
        storage.save(store, "astromon_obs", obs_rows([1]))
    with pytest.raises(ReadOnlyDatabaseError, match="import"):
        region_service.add_regions(store, {"ra": [1.0], "dec": [1.0]}, FakeClock())


def test_import_tables_refuses_to_overwrite_unless_asked() -> None:
    target = InMemoryStore({"astromon_obs": obs_rows([1])})
    with pytest.raises(DatabaseError, match="overwrite"):
        storage.import_tables({"astromon_obs": obs_rows([2])}, target)
    assert list(target.read_table("astromon_obs")["obsid"]) == [1]
    storage.import_tables({"astromon_obs": obs_rows([2])}, target, overwrite=True)
    assert list(target.read_table("astromon_obs")["obsid"]) == [2]


def test_copy_tables_copies_everything(reference_dir: object) -> None:
    source = InMemoryStore.from_directory(str(reference_dir))
    target = InMemoryStore()
    result = storage.copy_tables(source, target)
    assert result == storage.ImportResult(source.table_names(), {})
    assert "astromon_meta" not in source.table_names()  # made by the store from the regions
    for name in source.table_names():
        assert len(target.read_table(name)) == len(source.read_table(name))
    assert list(target.read_table("astromon_meta")["last_region_id"]) == [13]


# --- regions --------------------------------------------------------------------------------


def test_region_use_cases_and_id_continuity() -> None:
    store = InMemoryStore()
    clock = FakeClock("2025:330:00:00:00.000")
    added = region_service.add_regions(store, {"ra": [1.0, 2.0], "dec": [3.0, 4.0]}, clock)
    assert list(added["region_id"]) == [1, 2]
    assert list(store.read_table("astromon_meta")["last_region_id"]) == [2]
    removed = region_service.remove_regions(store, [2, 77])
    assert list(removed["region_id"]) == [2]
    clock.date = "2025:331:00:00:00.000"
    again = region_service.add_regions(store, {"ra": [5.0], "dec": [6.0]}, clock)
    assert list(again["region_id"]) == [3]
    changed = region_service.update_regions(
        store, {"region_id_str": [added["region_id_str"][0]], "radius": [9.0]}, clock
    )
    assert list(changed["last_modified"]) == ["2025:331:00:00:00.000"]
    regions = region_service.get_regions(store)
    assert list(regions["region_id"]) == [1, 3]
    assert store.transactions == 4


def test_add_regions_validates_before_touching_the_store() -> None:
    store = InMemoryStore()
    with pytest.raises(ValidationError, match="radius"):
        region_service.add_regions(
            store, {"ra": [1.0], "dec": [1.0], "radius": [-5.0]}, FakeClock()
        )
    assert store.transactions == 0


def test_get_regions_of_an_observation() -> None:
    store = InMemoryStore({"astromon_obs": obs_rows([100])})
    clock = FakeClock()
    region_service.add_regions(
        store,
        {
            "ra": [187.7, 187.7 + 0.2, 10.0, 50.0],
            "dec": [12.39, 12.39, 10.0, 50.0],
            "obsid": [0, 0, 100, 55],
        },
        clock,
    )
    near = region_service.get_regions(store, 100)
    assert list(near["region_id"]) == [1, 3]
    wide = region_service.get_regions(store, 100, radius=1 * u.deg)
    assert list(wide["region_id"]) == [1, 2, 3]
    unknown = region_service.get_regions(store, 55)  # not in astromon_obs: obsid rule only
    assert list(unknown["region_id"]) == [4]
    with pytest.raises(ValidationError, match="radius"):
        region_service.get_regions(store, 100, radius=-3)


def test_sync_between_stores() -> None:
    clock = FakeClock("2025:330:00:00:00.000")
    source = InMemoryStore()
    target = InMemoryStore()
    region_service.add_regions(source, {"ra": [1.0, 2.0], "dec": [1.0, 2.0]}, clock)
    region_service.add_regions(target, {"ra": [3.0], "dec": [3.0]}, clock)
    result = region_service.sync_regions(source, target)
    assert list(result["region_id"]) == [1, 2, 3]
    assert list(target.read_table("astromon_meta")["last_region_id"]) == [3]
    again = region_service.sync_regions(source, target)
    assert list(again["region_id_str"]) == list(result["region_id_str"])
    removed = region_service.sync_regions(source, target, remove=True)
    assert list(removed["region_id"]) == [2, 3]


def test_text_that_cannot_be_stored_is_rejected() -> None:
    data = obs_rows([1, 2])
    data.replace_column("target", ["fine", "bad \ud800 surrogate"])
    with pytest.raises(SchemaError, match=r"astromon_obs\.target in row 1"):
        storage.prepare_write("astromon_obs", data)
    with pytest.raises(SchemaError, match="user in row 0"):
        region_service.add_regions(
            InMemoryStore(), {"ra": [1.0], "dec": [1.0], "user": ["\udfff"]}, FakeClock()
        )


def test_tables_already_in_the_schema_are_not_converted() -> None:
    table = to_schema("astromon_obs", obs_rows([1]))
    assert storage.prepare_write("astromon_obs", table).data is table
    assert storage.prepare_write("astromon_obs", obs_rows([1])).data.colnames[-1] == "category_id"


@pytest.mark.parametrize("data", [5, "text", {"obsid": [1, 2], "ra": [1.0]}])
def test_data_that_is_not_a_table_is_a_schema_error(data: object) -> None:
    with pytest.raises(SchemaError, match="astromon_obs"):
        storage.prepare_write("astromon_obs", data)
