"""join_cross_matches (stored cross-matches joined with their rows) and the key helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astromon.domain.crossmatch import (
    CROSS_MATCH_COLUMNS,
    composite_key,
    join_cross_matches,
    lookup,
)
from astromon.domain.errors import SchemaError, ValidationError
from tests.unit.xmatch_support import cross_match_inputs, make_table, read_reference

RENAMED = {
    "astromon_cat_src": {
        "ra": "c_ra",
        "dec": "c_dec",
        "y_angle": "c_y_angle",
        "z_angle": "c_z_angle",
    },
    "astromon_xray_src": {
        "ra": "x_ra",
        "dec": "x_dec",
        "y_angle": "x_y_angle",
        "z_angle": "x_z_angle",
    },
}


def test_join_reference_data(reference_dir: Path) -> None:
    t = read_reference(reference_dir)
    joined = join_cross_matches(
        t["astromon_xcorr"],
        t["astromon_obs"],
        t["astromon_cat_src"],
        t["astromon_xray_src"],
        "astromon_21",
    )
    assert joined.colnames == CROSS_MATCH_COLUMNS
    assert len(CROSS_MATCH_COLUMNS) == 38
    assert len(joined) == 8
    assert list(joined["obsid"]) == list(t["astromon_xcorr"]["obsid"])
    np.testing.assert_array_equal(joined["dr"], t["astromon_xcorr"]["dr"])
    first = joined[0]
    x = t["astromon_xray_src"]
    x_row = x[(x["obsid"] == first["obsid"]) & (x["id"] == first["x_id"])][0]
    assert first["x_ra"] == x_row["ra"] and first["x_y_angle"] == x_row["y_angle"]
    assert joined["c_ra"].format == ".4f" and joined["dr"].format == ".2f"
    assert joined["target"].dtype.kind == "U"
    empty = join_cross_matches(
        t["astromon_xcorr"],
        t["astromon_obs"],
        t["astromon_cat_src"],
        t["astromon_xray_src"],
        "astromon_99",
    )
    assert len(empty) == 0 and empty.colnames == CROSS_MATCH_COLUMNS


def _reference_join(
    xcorr: Any, obs: Any, cat: Any, xray: Any, select_name: str
) -> list[dict[str, Any]]:
    rows = []
    for xc in xcorr:
        if xc["select_name"] != select_name:
            continue
        o = [r for r in obs if r["obsid"] == xc["obsid"]]
        c = [r for r in cat if r["obsid"] == xc["obsid"] and r["id"] == xc["c_id"]]
        x = [r for r in xray if r["obsid"] == xc["obsid"] and r["id"] == xc["x_id"]]
        if not (o and c and x):
            continue
        row = {name: xc[name] for name in xcorr.colnames}
        row.update({name: o[0][name] for name in obs.colnames if name != "obsid"})
        for table_name, source in (("astromon_cat_src", c[0]), ("astromon_xray_src", x[0])):
            for name in source.colnames:
                if name not in ("obsid", "id", "x_id"):
                    row[RENAMED[table_name].get(name, name)] = source[name]
        rows.append(row)
    return sorted(rows, key=lambda r: (int(r["obsid"]), int(r["x_id"])))


@st.composite
def xcorr_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(["a", "b"]), st.integers(1, 6), st.integers(0, 4)),
            max_size=10,
            unique=True,
        )
    )
    return [
        {
            "select_name": name,
            "obsid": obsid,
            "c_id": draw(st.integers(0, 5)),
            "x_id": x_id,
            "dy": 0.1,
            "dz": -0.2,
            "dr": draw(st.sampled_from([0.5, 1.0])),
        }
        for name, obsid, x_id in keys
    ]


@settings(max_examples=150, deadline=None)
@given(inputs=cross_match_inputs(), xcorr=xcorr_rows(), name=st.sampled_from(["a", "b", "c"]))
def test_join_equals_loop_reference(
    inputs: tuple[Any, Any, Any], xcorr: list[dict[str, Any]], name: str
) -> None:
    obs, xray, cat = inputs
    xcorr_table = make_table("astromon_xcorr", xcorr)
    joined = join_cross_matches(xcorr_table, obs, cat, xray, name)
    expected = _reference_join(xcorr_table, obs, cat, xray, name)
    assert joined.colnames == CROSS_MATCH_COLUMNS
    assert len(joined) == len(expected)
    for got, want in zip(joined, expected, strict=True):
        assert set(want) == set(CROSS_MATCH_COLUMNS)
        for column in CROSS_MATCH_COLUMNS:
            assert np.array_equal(
                np.asarray(got[column]), np.asarray(want[column]), equal_nan=column == "mag"
            ), column


def test_join_missing_columns_named(reference_dir: Path) -> None:
    t = read_reference(reference_dir)
    cat = t["astromon_cat_src"].copy()
    cat.remove_column("mag")
    with pytest.raises(SchemaError, match=r"astromon_cat_src lacks the column\(s\) \['mag'\]"):
        join_cross_matches(t["astromon_xcorr"], t["astromon_obs"], cat, t["astromon_xray_src"], "x")


def test_join_accepts_byte_strings(reference_dir: Path) -> None:
    t = read_reference(reference_dir)
    obs = t["astromon_obs"].copy()
    obs.convert_unicode_to_bytestring()
    joined = join_cross_matches(
        t["astromon_xcorr"], obs, t["astromon_cat_src"], t["astromon_xray_src"], "astromon_21"
    )
    assert joined["target"].dtype.kind == "U"
    assert "NGC 6337" in list(joined["target"])


def test_composite_keys_and_lookup() -> None:
    keys = composite_key([1, 1, 2, -3], [0, -1, 7, 2])
    assert len(set(keys.tolist())) == 4
    rows, found = lookup(keys, composite_key([2, 1, 9, -3], [7, -1, 0, 2]))
    assert found.tolist() == [True, True, False, True]
    assert rows[found].tolist() == [2, 1, 3]
    rows, found = lookup(keys[:0], keys)
    assert not found.any()
    with pytest.raises(ValidationError, match=r"obsid 1, id 5"):
        lookup(composite_key([1, 1], [5, 5]), keys, "astromon_xray_src")
