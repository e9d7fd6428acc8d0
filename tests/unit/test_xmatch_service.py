"""services.cross_matching over the in-memory fake store (reference data and edge cases)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table

from astromon.domain.crossmatch import CROSS_MATCH_COLUMNS
from astromon.domain.errors import MissingTableException, ValidationError
from astromon.domain.schema import CATEGORIES, empty_table
from astromon.domain.time import CxoTime
from astromon.ports.store import Store, TableWrite
from astromon.services.crossmatch.matches import (
    compute_cross_matches,
    get_cross_matches,
    resolve_cross_match,
)
from tests.unit.fake_store import InMemoryStore
from tests.unit.xmatch_support import read_reference

DERIVED = ["category", "time", "c_loc", "x_loc"]


@pytest.fixture
def store(reference_dir: Path) -> InMemoryStore:
    return InMemoryStore.from_directory(reference_dir)


def test_get_cross_matches_reference(store: InMemoryStore, reference_dir: Path) -> None:
    matches = get_cross_matches(store)
    expected = read_reference(reference_dir)["astromon_xcorr"]
    assert len(matches) == 8
    assert len(matches.colnames) == 42
    assert matches.colnames == [*CROSS_MATCH_COLUMNS, *DERIVED]
    assert list(matches["obsid"]) == list(expected["obsid"])
    np.testing.assert_allclose(matches["dr"], expected["dr"], atol=1e-5)
    assert isinstance(matches["time"], CxoTime)
    assert isinstance(matches["x_loc"], SkyCoord) and isinstance(matches["c_loc"], SkyCoord)
    np.testing.assert_allclose(matches["x_loc"].ra.deg, matches["x_ra"])
    first = matches[0]
    assert abs(CxoTime(str(first["date_obs"])).secs - matches["time"][0].secs) < 1e-6
    assert [str(c) for c in matches["category"]] == [
        CATEGORIES[int(i)] for i in matches["category_id"]
    ]
    assert "SN, SNR, and Isolated NS" in list(matches["category"])
    assert matches.indices and matches.indices[0].columns[0].info.name == "obsid"
    assert matches.loc[14577]["target"] == "NGC 6337"
    assert matches["x_ra"].format == ".4f" and matches["dy"].format == ".2f"


def test_get_cross_matches_with_filters(store: InMemoryStore) -> None:
    matches = get_cross_matches(store, snr=5, exclude_bad_targets=True, sim_z=4)
    assert len(matches) == 7
    assert 14577 not in list(matches["obsid"])
    assert len(get_cross_matches(store, "astromon_99")) == 0
    by_obsid = get_cross_matches(store, obsid=[14533, 14534])
    assert list(by_obsid["obsid"]) == [14533, 14534]


def test_get_cross_matches_excluded_regions(store: InMemoryStore) -> None:
    every = get_cross_matches(store)
    target = every[every["obsid"] == 14536][0]
    region = {
        "ra": [float(target["x_ra"])],
        "dec": [float(target["x_dec"])],
        "radius": [2.0],
        "obsid": [0],
    }

    def add(regions: Table, last: int) -> tuple[Table, int]:
        row = {
            "region_id": last + 1,
            "region_id_str": "abcdef0123",
            "last_modified": "2025:001:00:00:00.000",
            "user": "test",
            "comments": "",
        }
        regions.add_row({**row, **{k: v[0] for k, v in region.items()}})
        return regions, last + 1

    store.modify_regions(add)
    assert 14536 not in list(get_cross_matches(store, exclude_regions=True)["obsid"])
    assert len(get_cross_matches(store, exclude_regions=True)) == 7
    assert len(get_cross_matches(store)) == 8


def test_compute_standard_and_custom(store: InMemoryStore, reference_dir: Path) -> None:
    expected = read_reference(reference_dir)["astromon_xcorr"]
    matches = compute_cross_matches(store, "astromon_21")
    assert list(matches["obsid"]) == list(expected["obsid"])
    assert list(matches["c_id"]) == list(expected["c_id"])
    assert list(matches["x_id"]) == list(expected["x_id"])
    for name in ("dy", "dz", "dr"):
        np.testing.assert_allclose(matches[name], expected[name], atol=1e-5, rtol=0)
    assert set(matches["select_name"]) == {"astromon_21"}
    assert matches.colnames[-4:] == DERIVED
    assert matches.indices
    default = compute_cross_matches(store)
    assert set(default["select_name"]) == {"astromon_21"} and len(default) == 8
    assert len(compute_cross_matches(store, "astromon_22")) == 8
    custom = compute_cross_matches(
        store,
        catalogs=["Tycho2"],
        snr=5,
        r_angle=120,
        r_angle_grating=0,
        near_neighbor_dist=6,
        dr=3,
    )
    assert list(custom["obsid"]) == [13748, 14536, 14538, 14544, 14572]
    assert set(custom["select_name"]) == {"simple"}
    named = compute_cross_matches(store, "simple", select_name="mine", catalogs=["Tycho2"])
    assert set(named["select_name"]) == {"mine"}


def test_compute_with_given_tables_needs_no_store(reference_dir: Path) -> None:
    t = read_reference(reference_dir)
    matches = compute_cross_matches(
        None,
        "astromon_21",
        astromon_obs=t["astromon_obs"],
        astromon_xray_src=t["astromon_xray_src"],
        astromon_cat_src=t["astromon_cat_src"],
        exclude_bad_targets=True,
    )
    assert len(matches) == 8
    with pytest.raises(ValidationError, match="astromon_cat_src was not given"):
        compute_cross_matches(
            None, astromon_obs=t["astromon_obs"], astromon_xray_src=t["astromon_xray_src"]
        )
    with pytest.raises(ValidationError, match="needs a store"):
        compute_cross_matches(
            None,
            astromon_obs=t["astromon_obs"],
            astromon_xray_src=t["astromon_xray_src"],
            astromon_cat_src=t["astromon_cat_src"],
            exclude_regions=True,
        )


def test_compute_save_and_read_back(store: InMemoryStore) -> None:
    matches = compute_cross_matches(store, "astromon_22")
    store.save_many([TableWrite("astromon_xcorr", matches, ignore_obsid=True)])
    again = get_cross_matches(store, "astromon_22")
    assert list(again["x_id"]) == list(matches["x_id"])
    np.testing.assert_allclose(again["dr"], matches["dr"])
    assert len(get_cross_matches(store, "astromon_21")) == 0  # the whole table was replaced


def test_standard_name_ignores_kwargs_with_a_warning(store: InMemoryStore) -> None:
    with pytest.warns(UserWarning, match=r"ignoring the arguments \['snr'\]"):
        matches = compute_cross_matches(store, "astromon_21", snr=100)
    assert len(matches) == 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compute_cross_matches(store, "astromon_21")


def test_unknown_names_and_arguments(store: InMemoryStore) -> None:
    with pytest.raises(ValidationError, match=r"unknown cross-match 'astromon_23'.*astromon_21"):
        compute_cross_matches(store, "astromon_23")
    with pytest.raises(ValidationError, match=r"unknown argument\(s\) \['radius'\]"):
        compute_cross_matches(store, radius=3)
    with pytest.raises(ValidationError, match="snr must not be negative"):
        compute_cross_matches(store, snr=-3)
    with pytest.raises(ValidationError, match="name must be a string"):
        get_cross_matches(store, 21)
    with pytest.raises(ValidationError, match="no column 'colour'"):
        get_cross_matches(store, colour="red")


def test_resolve_cross_match() -> None:
    assert resolve_cross_match(None, {})[1]["name"] == "astromon_21"
    method, args = resolve_cross_match(None, {"snr": 4})
    assert (method, args) == ("simple", {"snr": 4, "name": "simple"})
    method, args = resolve_cross_match("default", {})
    assert method == "simple" and args["r_angle_grating"] == 120.0 and "method" not in args


def test_missing_tables_raise(reference_dir: Path) -> None:
    t = read_reference(reference_dir)
    store = InMemoryStore({"astromon_obs": t["astromon_obs"]})
    with pytest.raises(MissingTableException, match="astromon_xray_src"):
        compute_cross_matches(store)
    with pytest.raises(MissingTableException, match="astromon_xcorr"):
        get_cross_matches(store)
    # no regions table: nothing is excluded
    full = InMemoryStore({k: v for k, v in t.items() if k != "astromon_regions"})
    assert len(get_cross_matches(full, exclude_regions=True)) == 8


def test_empty_store_tables_give_empty_results() -> None:
    store = InMemoryStore()
    store.save_many(
        [
            TableWrite(name, empty_table(name))
            for name in ("astromon_obs", "astromon_xray_src", "astromon_cat_src", "astromon_xcorr")
        ]
    )
    computed = compute_cross_matches(store)
    assert len(computed) == 0 and computed.colnames[:38] == CROSS_MATCH_COLUMNS
    stored = get_cross_matches(store)
    assert len(stored) == 0 and len(stored.colnames) == 42


def test_fake_store_is_a_store() -> None:
    assert isinstance(InMemoryStore(), Store)
