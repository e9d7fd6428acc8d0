"""The astromon.cross_match façade: seed signatures, wiring to the store, results."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.table import Table

import astromon
from astromon import cross_match as xm
from astromon.bootstrap import bootstrap, using
from tests.unit.fake_store import InMemoryStore
from tests.unit.xmatch_support import read_reference


class _Opener:
    """The ``store`` override of the application; records the dbfile it is asked for."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.calls: list[Any] = []

    def __call__(self, dbfile: Any = None, *, write: bool = False) -> InMemoryStore:
        self.calls.append(dbfile)
        return self.store


@pytest.fixture
def opener(reference_dir: Path) -> Iterator[_Opener]:
    fake = _Opener(InMemoryStore.from_directory(reference_dir))
    with using(bootstrap(store=fake)):
        yield fake


def _defaults(func: Any) -> dict[str, Any]:
    return {
        name: p.default
        for name, p in inspect.signature(func).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def test_seed_signatures() -> None:
    assert list(inspect.signature(xm.compute_cross_matches).parameters) == [
        "name", "astromon_obs", "astromon_xray_src", "astromon_cat_src", "dbfile",
        "exclude_regions", "exclude_bad_targets", "logging_tag", "kwargs",
    ]  # fmt: skip
    assert _defaults(xm.compute_cross_matches) == {
        "name": None, "astromon_obs": None, "astromon_xray_src": None, "astromon_cat_src": None,
        "dbfile": None, "exclude_regions": False, "exclude_bad_targets": False,
        "logging_tag": "",
    }  # fmt: skip
    assert _defaults(xm.simple_cross_match) == {
        "name": "", "catalogs": ("ICRS", "Tycho2"), "snr": 3, "r_angle": 120.0, "dr": 3,
        "r_angle_grating": 24.0, "near_neighbor_dist": 6.0, "start": None, "stop": None,
        "logging_tag": "",
    }  # fmt: skip
    assert _defaults(xm.filter_matches) == {
        "snr": None, "dr": None, "r_angle": None, "start": None, "stop": None,
        "r_angle_grating": None, "near_neighbor_dist": None, "sim_z": None,
        "exclude_regions": False, "exclude_bad_targets": False, "exclude_categories": (),
    }  # fmt: skip
    assert list(inspect.signature(xm.get_bad_target_mask).parameters) == ["matches"]
    assert _defaults(xm.get_excluded_regions_mask) == {"regions": None}
    assert xm.CROSS_MATCHES == ["astromon_21", "astromon_22", "default"]
    assert list(xm.CROSS_MATCH_METHODS) == ["simple"]
    assert astromon.compute_cross_matches is xm.compute_cross_matches


def test_given_tables_do_not_open_the_database(opener: _Opener, reference_dir: Path) -> None:
    t = read_reference(reference_dir)
    matches = xm.compute_cross_matches(
        "astromon_21",
        astromon_obs=t["astromon_obs"],
        astromon_xray_src=t["astromon_xray_src"],
        astromon_cat_src=t["astromon_cat_src"],
    )
    assert len(matches) == 8
    assert opener.calls == []


def test_missing_tables_come_from_dbfile(opener: _Opener, tmp_path: Path) -> None:
    matches = xm.compute_cross_matches(dbfile=tmp_path / "a.duckdb")
    # the tables not given are read from one store, in one snapshot
    assert opener.calls == [tmp_path / "a.duckdb"]
    assert len(matches) == 8 and set(matches["select_name"]) == {"astromon_21"}
    custom = xm.compute_cross_matches(
        catalogs=["Tycho2"], snr=5, r_angle=120, r_angle_grating=0, near_neighbor_dist=6, dr=3
    )
    assert list(custom["obsid"]) == [13748, 14536, 14538, 14544, 14572]


def test_simple_cross_match_facade(reference_dir: Path) -> None:
    t = read_reference(reference_dir)
    matches = xm.simple_cross_match(
        t["astromon_obs"],
        t["astromon_xray_src"],
        t["astromon_cat_src"],
        name="x",
        r_angle_grating=120,
    )
    expected = t["astromon_xcorr"]
    assert list(matches["x_id"]) == list(expected["x_id"])
    np.testing.assert_allclose(matches["dr"], expected["dr"], atol=1e-5)
    assert matches.indices
    assert (
        len(xm.simple_cross_match(t["astromon_obs"], t["astromon_xray_src"], t["astromon_cat_src"]))
        == 8
    )


def test_masks_through_the_facade(opener: _Opener, reference_dir: Path) -> None:
    matches = xm.compute_cross_matches()
    keep = xm.filter_matches(matches, snr=5, exclude_bad_targets=True, sim_z=4)
    assert keep.sum() == 7 and list(matches["obsid"][~keep]) == [14577]
    assert not xm.get_bad_target_mask(matches).any()
    # regions from the default database (the reference regions are far from these sources)
    assert not xm.get_excluded_regions_mask(matches).any()
    assert opener.calls == [None] * 2  # one snapshot of the tables, then the regions
    x = matches[matches["obsid"] == 14538][0]
    regions = Table({"ra": [x["x_ra"]], "dec": [x["x_dec"]], "radius": [1.0], "obsid": [14538]})
    excluded = xm.get_excluded_regions_mask(matches, regions)
    assert list(matches["obsid"][excluded]) == [14538]
    keep = xm.filter_matches(matches, exclude_regions=True, regions=regions)
    assert list(matches["obsid"][~keep]) == [14538]
    assert opener.calls == [None] * 2
    assert xm.filter_matches(matches, exclude_regions=True).all()
    assert opener.calls == [None] * 3


class _SnapshotStore(InMemoryStore):
    """A store that records its reads: one ``read_tables`` is one snapshot of the file."""

    def __init__(self, tables: dict[str, Table]) -> None:
        super().__init__(tables)
        self.reads: list[tuple[str, ...]] = []

    def read_table(self, name: str) -> Table:
        self.reads.append((name,))
        return super().read_table(name)

    def read_tables(self, names: Any) -> dict[str, Table]:
        self.reads.append(tuple(names))
        return {name: super(_SnapshotStore, self).read_table(name) for name in names}


def test_the_missing_tables_are_read_in_one_snapshot(reference_dir: Path) -> None:
    t = read_reference(reference_dir)
    store = _SnapshotStore(dict(t))
    with using(bootstrap(store=lambda dbfile=None, *, write=False: store)):
        matches = xm.compute_cross_matches("astromon_21")
        assert store.reads == [("astromon_obs", "astromon_xray_src", "astromon_cat_src")]
        store.reads.clear()
        again = xm.compute_cross_matches("astromon_21", astromon_obs=t["astromon_obs"])
    assert store.reads == [("astromon_xray_src", "astromon_cat_src")]
    assert list(again["x_id"]) == list(matches["x_id"]) and len(matches) == 8
