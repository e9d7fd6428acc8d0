"""The stored alignment: its rows, the fingerprint of their pairs, the service that reads them,
the filters, and the cross-match and batch writes that store them with their pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.table import Table
from hypothesis import given
from hypothesis import strategies as st

from astromon.domain.alignment.selection import select_alignment
from astromon.domain.alignment.stored import (
    ALIGNMENT_TABLE,
    alignment_rows,
    is_current,
    pairs_digests,
)
from astromon.domain.errors import ValidationError
from astromon.domain.value_rules import check_values
from astromon.ports.store import TableWrite
from astromon.services.crossmatch.alignment import (
    AlignmentSource,
    read_alignment,
    stored_alignment_of,
)
from astromon.services.crossmatch.recompute import recompute_cross_match
from tests.unit.alignment_support import simulate
from tests.unit.fake_store import InMemoryStore
from tests.unit.fuzz_strategies import FUZZ


def same_rows(got: Table, expected: Table) -> None:
    """Equal columns, NaN equal to NaN."""
    assert got.colnames == expected.colnames
    for name in expected.colnames:
        np.testing.assert_array_equal(np.asarray(got[name]), np.asarray(expected[name]), name)


def matches(seed: int = 3, n_obs: int = 12) -> Table:
    rng = np.random.default_rng(seed)
    table = simulate(rng, rng.integers(1, 7, n_obs)).table
    table["select_name"] = "astromon_21"
    table["x_id"] = np.arange(len(table))
    table["c_id"] = np.arange(len(table)) + 100
    return table


def test_rows_are_the_fit_with_its_options_and_fingerprint() -> None:
    pairs = matches()
    rows = alignment_rows(pairs)
    check_values(ALIGNMENT_TABLE, rows)  # every rule of the table holds
    assert len(rows) == len(np.unique(pairs["obsid"]))
    assert set(rows["select_name"]) == {"astromon_21"}
    assert np.all(rows["k_sigma"] == 3.0) and np.all(np.isnan(rows["residual_limit"]))
    renamed = alignment_rows(pairs, "gaia3")
    assert set(renamed["select_name"]) == {"gaia3"}
    assert renamed["pairs_digest"].tolist() == rows["pairs_digest"].tolist()  # the pairs only
    assert alignment_rows(pairs[:0]).colnames == rows.colnames


def test_the_fingerprint_ignores_order_and_sees_any_change() -> None:
    pairs = matches()
    digests = pairs_digests(pairs)
    shuffled = pairs[np.random.default_rng(0).permutation(len(pairs))]
    assert pairs_digests(shuffled).as_array().tolist() == digests.as_array().tolist()
    for column in ("dy", "x_y_angle", "net_counts", "r_angle", "x_id", "c_id"):
        changed = pairs.copy()
        changed[column][0] = changed[column][0] + (1 if column.endswith("id") else 1e-3)
        again = pairs_digests(changed)
        differ = again["pairs_digest"] != digests["pairs_digest"]
        assert differ.tolist() == (digests["obsid"] == pairs["obsid"][0]).tolist(), column
    as_float32 = pairs.copy()
    as_float32["dy"] = np.asarray(pairs["dy"], dtype=np.float32)  # the stored precision
    assert pairs_digests(as_float32)["pairs_digest"].tolist() == digests["pairs_digest"].tolist()


def test_current_means_one_row_per_observation_with_its_fingerprint() -> None:
    pairs = matches()
    rows = alignment_rows(pairs)
    digests = pairs_digests(pairs)
    assert is_current(rows, digests) and is_current(rows[::-1], digests)
    assert not is_current(rows[1:], digests)
    stale = rows.copy()
    stale["pairs_digest"][0] = "0" * 16
    assert not is_current(stale, digests)


def store_with_pairs() -> InMemoryStore:
    """The pairs of :func:`matches` as stored tables (obs, sources, counterparts, xcorr)."""
    from tests.unit.ops_fakes import fake_tables

    pairs = matches(n_obs=5)
    obsids = sorted(set(pairs["obsid"].tolist()))
    obs = Table(np.concatenate([fake_tables(o)["astromon_obs"].as_array() for o in obsids]))
    n = len(pairs)
    xray = Table(
        {
            **{k: fake_tables(1)["astromon_xray_src"][k][:1].repeat(n) for k in (
                "ra", "dec", "snr", "near_neighbor_dist", "pileup", "acis_streak", "caldb_version"
            )},
            "obsid": pairs["obsid"], "id": pairs["x_id"], "net_counts": pairs["net_counts"],
            "y_angle": pairs["x_y_angle"], "z_angle": pairs["x_z_angle"],
            "r_angle": pairs["r_angle"],
        }
    )  # fmt: skip
    cat = Table(
        {
            "obsid": pairs["obsid"], "id": pairs["c_id"], "x_id": pairs["x_id"],
            "catalog": pairs["catalog"], "name": ["s"] * n, "ra": np.ones(n), "dec": np.ones(n),
            "separation": np.hypot(pairs["dy"], pairs["dz"]), "mag": np.ones(n),
            "y_angle": pairs["x_y_angle"] - pairs["dy"],
            "z_angle": pairs["x_z_angle"] - pairs["dz"],
        }
    )  # fmt: skip
    xcorr = Table(
        {
            "select_name": pairs["select_name"], "obsid": pairs["obsid"], "c_id": pairs["c_id"],
            "x_id": pairs["x_id"], "dy": pairs["dy"], "dz": pairs["dz"],
            "dr": np.hypot(pairs["dy"], pairs["dz"]),
        }
    )  # fmt: skip
    store = InMemoryStore()
    store.save_many(
        [
            TableWrite("astromon_obs", obs),
            TableWrite("astromon_xray_src", xray),
            TableWrite("astromon_cat_src", cat),
            TableWrite("astromon_xcorr", xcorr),
        ]
    )
    return store


def test_read_alignment_fits_saves_then_reads_the_stored_rows() -> None:
    store = store_with_pairs()
    opened: list[bool] = []

    def writer() -> InMemoryStore:
        opened.append(True)
        return store

    assert stored_alignment_of(store, "astromon_21") is None
    fitted = read_alignment(store, "astromon_21")
    assert fitted.source is AlignmentSource.FITTED and ALIGNMENT_TABLE not in store.table_names()
    saved = read_alignment(store, "astromon_21", writer)
    assert saved.source is AlignmentSource.SAVED and opened == [True]
    same_rows(store.read_table(ALIGNMENT_TABLE), saved.table)
    again = read_alignment(store, "astromon_21", writer)
    assert again.source is AlignmentSource.STORED and opened == [True]  # nothing written
    assert again.table["dy"].tolist() == saved.table["dy"].tolist()
    stored = stored_alignment_of(store, "astromon_21")
    assert stored is not None and len(stored) == len(saved.table)
    none = read_alignment(store, "nope", writer)  # no pairs: nothing to fit, nothing written
    assert none.source is AlignmentSource.STORED and not len(none.table) and opened == [True]


def test_a_cross_match_stores_its_alignment_in_the_same_transaction(
    reference_dir: Path,
) -> None:
    store = InMemoryStore.from_directory(reference_dir)
    before = store.transactions
    rows = recompute_cross_match(store, "astromon_21")
    assert store.transactions == before + 1  # xcorr and alignment: one save_many
    stored = store.read_table(ALIGNMENT_TABLE)
    assert sorted(stored["obsid"].tolist()) == sorted(set(rows["obsid"].tolist()))
    assert read_alignment(store, "astromon_21").source is AlignmentSource.STORED
    other = stored.copy()
    other["select_name"] = "other"
    store.save_many([TableWrite(ALIGNMENT_TABLE, other, obsids=())])
    recompute_cross_match(store, "astromon_21")  # keeps other cross-matches' rows
    names = store.read_table(ALIGNMENT_TABLE)["select_name"].tolist()
    assert names.count("other") == len(other) and names.count("astromon_21") == len(other)


def test_a_failed_cross_match_save_stores_neither(reference_dir: Path) -> None:
    store = InMemoryStore.from_directory(reference_dir)
    store.fail_after = 1  # the alignment write fails after the cross-match write
    before = store.snapshot()
    with pytest.raises(Exception, match="injected failure"):
        recompute_cross_match(store, "astromon_21", select_name=None)
    after = store.snapshot()
    assert set(after) == set(before)
    for name, table in before.items():
        same_rows(after[name], table)


def test_bad_alignment_values_are_refused_naming_them() -> None:
    rows = alignment_rows(matches())
    for column, value, rule in (
        ("n_pairs", 0, ">= 1"),
        ("roll", np.inf, "finite or NaN"),
        ("dy_err", -1.0, ">= 0"),
        ("pairs_digest", "xyz", "16 hexadecimal"),
        ("flag_sigma", 0.0, "> 0"),
        ("min_pairs_roll", 1, ">= 2"),
    ):
        bad = rows.copy()
        bad[column][1] = value
        with pytest.raises(
            ValidationError, match=rf"astromon_alignment\.{column}=.* row 1.*{rule}"
        ):
            check_values(ALIGNMENT_TABLE, bad)


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 2**40), st.floats(), st.text(max_size=3),
    st.lists(st.integers(-2, 99), max_size=3), st.sampled_from([object(), np.array([1.5])]),
)  # fmt: skip


@FUZZ
@given(filters=st.dictionaries(st.sampled_from(["obsid", "flagged", "min_pairs"]), VALUES))
def test_filters_keep_what_they_say_or_name_the_bad_value(filters: dict[str, Any]) -> None:
    rows = alignment_rows(matches())
    try:
        kept = select_alignment(rows, **filters)
    except ValidationError as exc:
        assert any(name in str(exc) for name in filters), exc
        return
    expected = np.ones(len(rows), dtype=bool)
    if filters.get("obsid") is not None:
        expected &= np.isin(rows["obsid"], np.atleast_1d(filters["obsid"]))
    if filters.get("flagged") is not None:
        expected &= rows["flagged"] == bool(filters["flagged"])
    if filters.get("min_pairs") is not None:
        expected &= rows["n_pairs"] >= filters["min_pairs"]
    assert kept["obsid"].tolist() == rows["obsid"][expected].tolist()
