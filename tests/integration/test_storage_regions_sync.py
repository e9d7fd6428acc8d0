"""Region add/remove/update/sync through ``astromon.db`` on DuckDB files (SPEC section 2)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.storage.duckdb.store import release_connections
from astropy.table import Table

from astromon import db
from astromon.bootstrap import bootstrap, using

T1 = "2025:320:10:00:00.000"
T2 = "2025:321:10:00:00.000"


class SetClock:
    def __init__(self) -> None:
        self.date = T1

    def now_date(self) -> str:
        return self.date


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[SetClock]:
    fake = SetClock()
    with using(bootstrap(clock=fake)):
        yield fake
    release_connections()


def copy(src: Path, dst: Path) -> Path:
    release_connections()
    shutil.copyfile(src, dst)
    return dst


def by_str(table: Table, id_str: str) -> Table:
    return table[np.asarray(table["region_id_str"]) == id_str]


@pytest.fixture
def files(tmp_path: Path, reference_dir: Path, clock: SetClock) -> dict[str, Any]:
    """Base (regions 9, 11, 12, 13) and the two edited files of the SPEC's narrative."""
    base = tmp_path / "base.duckdb"
    db.import_legacy(reference_dir / "astromon_legacy.h5", base)
    ids = {int(r["region_id"]): str(r["region_id_str"]) for r in db.get_regions(dbfile=base)}
    f1 = copy(base, tmp_path / "f1.duckdb")
    f2 = copy(base, tmp_path / "f2.duckdb")

    clock.date = T1
    new1 = db.add_regions({"ra": [10.0], "dec": [20.0], "radius": [4.0], "user": ["one"]}, f1)
    assert list(new1["region_id"]) == [14]
    assert list(db.remove_regions([13], f1)["region_id"]) == [13]
    changed = db.update_regions(
        {"region_id_str": [ids[9], ids[11]], "comments": ["f1", "f1"], "radius": [201.0, 6.0]},
        f1,
    )
    assert sorted(changed["region_id"]) == [9, 11]

    clock.date = T2
    new2 = db.add_regions({"ra": [30.0], "dec": [-5.0], "radius": [7.0], "user": ["two"]}, f2)
    assert list(new2["region_id"]) == [14]
    db.remove_regions([12], f2)
    db.update_regions({"region_id_str": [ids[11]], "comments": ["f2"]}, f2)
    release_connections()
    return {
        "dir": tmp_path,
        "ids": ids,
        "f1": f1,
        "f2": f2,
        "new1": str(new1["region_id_str"][0]),
        "new2": str(new2["region_id_str"][0]),
    }


SCENARIOS = [
    ("f1", "f2", False, [9, 11, 12, 13, 14, 15], {"new2": 14, "new1": 15}),
    ("f1", "f2", True, [9, 11, 12, 14], {"new1": 14}),
    ("f2", "f1", False, [9, 11, 12, 13, 14, 15], {"new1": 14, "new2": 15}),
    ("f2", "f1", True, [9, 11, 13, 14], {"new2": 14}),
]


@pytest.mark.parametrize(("source", "target", "remove", "expected", "new_ids"), SCENARIOS)
def test_sync_scenarios(
    files: dict[str, Any],
    source: str,
    target: str,
    remove: bool,
    expected: list[int],
    new_ids: dict[str, int],
) -> None:
    root = files["dir"]
    assert isinstance(root, Path)
    src = files[source]
    dst = copy(files[target], root / f"target_{target}.duckdb")
    result = db.sync_regions(src, dst, remove=remove)
    assert list(result["region_id"]) == expected
    stored = db.get_regions(dbfile=dst)
    assert list(stored["region_id"]) == expected
    for key, region_id in new_ids.items():
        assert by_str(stored, files[key])[0]["region_id"] == region_id
    ids = files["ids"]
    assert isinstance(ids, dict)
    assert by_str(stored, ids[11])[0]["comments"] == "f2"  # file 2's later edit wins
    assert by_str(stored, ids[9])[0]["comments"] == "f1"  # file 1's edit is the only one
    assert list(db.get_table("astromon_meta", dst)["last_region_id"]) == [max(expected)]

    # idempotent: a second sync changes nothing
    again = db.sync_regions(src, dst, remove=remove)
    for name in again.colnames:
        assert again[name].tolist() == stored[name].tolist()
    assert list(db.get_table("astromon_meta", dst)["last_region_id"]) == [max(expected)]


def test_sync_from_the_legacy_file(tmp_path: Path, reference_dir: Path, clock: SetClock) -> None:
    target = tmp_path / "t.duckdb"
    db.add_regions({"ra": [1.0], "dec": [1.0]}, target)  # id 1
    result = db.sync_regions(reference_dir / "astromon_legacy.h5", target)
    assert list(result["region_id"]) == [1, 9, 11, 12, 13]
    assert list(db.get_table("astromon_meta", target)["last_region_id"]) == [13]


def test_id_continuity_across_sessions(
    tmp_path: Path, reference_dir: Path, clock: SetClock
) -> None:
    path = tmp_path / "c.duckdb"
    db.import_legacy(reference_dir / "astromon_legacy.h5", path)
    first = db.add_regions({"ra": [1.0, 2.0], "dec": [1.0, 2.0], "radius": [3.0, 3.0]}, path)
    assert list(first["region_id"]) == [14, 15]
    release_connections()  # a new session: nothing cached
    db.remove_regions([14, 15], path)
    release_connections()
    second = db.add_regions({"ra": [3.0], "dec": [3.0]}, path)
    assert list(second["region_id"]) == [16]
    assert list(db.get_table("astromon_meta", path)["last_region_id"]) == [16]
    stored = db.get_regions(dbfile=path)
    assert list(stored["region_id"]) == [9, 11, 12, 13, 16]
    assert set(first["region_id_str"]).isdisjoint(stored["region_id_str"])
    assert stored["last_modified"][-1] == T1


def test_update_keeps_identical_rows_untouched(
    tmp_path: Path, reference_dir: Path, clock: SetClock
) -> None:
    path = tmp_path / "u.duckdb"
    db.import_legacy(reference_dir / "astromon_legacy.h5", path)
    regions = db.get_regions(dbfile=path)
    clock.date = T2
    changed = db.update_regions(regions, path)
    assert len(changed) == 0
    after = db.get_regions(dbfile=path)
    assert after["last_modified"].tolist() == regions["last_modified"].tolist()
    regions["radius"][1] = 50.0
    changed = db.update_regions(regions, path)
    assert list(changed["region_id"]) == [11]
    after = db.get_regions(dbfile=path)
    assert after["last_modified"].tolist() == [
        "2025:317:14:47:27.097",
        T2,
        "2025:317:14:47:27.097",
        "2025:317:14:47:27.097",
    ]
    assert len(after) == 4
