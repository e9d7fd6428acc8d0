"""The vectorised ``simple`` cross-match: reference data, a loop reference, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astromon.domain.crossmatch import (
    CROSS_MATCH_COLUMNS,
    CROSS_MATCH_METHODS,
    CROSS_MATCHES,
    CROSS_MATCHES_ARGS,
    CrossMatchMethod,
    SimpleCrossMatch,
    SimpleCrossMatchArgs,
    simple_cross_match,
    standard_cross_match_args,
)
from astromon.domain.errors import SchemaError, ValidationError
from tests.unit.xmatch_support import (
    cross_match_inputs,
    make_table,
    read_reference,
    reference_simple_cross_match,
    simple_arguments,
)


def _standard(name: str) -> SimpleCrossMatchArgs:
    args = standard_cross_match_args(name)
    args.pop("method")
    return SimpleCrossMatchArgs(**args)


def test_standard_sets_match_the_spec() -> None:
    assert CROSS_MATCHES == ["astromon_21", "astromon_22", "default"]
    assert CROSS_MATCHES_ARGS["default"] == CROSS_MATCHES_ARGS["astromon_21"]
    assert CROSS_MATCHES_ARGS["default"]["name"] == "astromon_21"
    assert CROSS_MATCHES_ARGS["astromon_21"]["r_angle_grating"] == 120.0
    assert CROSS_MATCHES_ARGS["astromon_22"]["r_angle_grating"] == 24.0
    for args in CROSS_MATCHES_ARGS.values():
        assert args["method"] == "simple"
        assert args["catalogs"] == ["ICRS", "Tycho2"]
        assert (args["snr"], args["r_angle"], args["near_neighbor_dist"], args["dr"]) == (
            3,
            120.0,
            6.0,
            3.0,
        )
    # the sets do not share mutable lists
    assert (
        CROSS_MATCHES_ARGS["astromon_21"]["catalogs"]
        is not CROSS_MATCHES_ARGS["default"]["catalogs"]
    )
    copy = standard_cross_match_args("astromon_22")
    copy["catalogs"].append("2MASS")
    assert CROSS_MATCHES_ARGS["astromon_22"]["catalogs"] == ["ICRS", "Tycho2"]


def test_methods_registry_is_pluggable() -> None:
    assert list(CROSS_MATCH_METHODS) == ["simple"]
    method = CROSS_MATCH_METHODS["simple"]
    assert isinstance(method, CrossMatchMethod)
    assert isinstance(method, SimpleCrossMatch)
    assert method.arguments is SimpleCrossMatchArgs
    parsed = method.parse({"snr": 5, "catalogs": ["Tycho2"]})
    assert parsed == SimpleCrossMatchArgs(snr=5.0, catalogs=("Tycho2",))


def test_astromon_21_reproduces_reference_xcorr(reference_dir: Path) -> None:
    tables = read_reference(reference_dir)
    matches = simple_cross_match(
        tables["astromon_obs"],
        tables["astromon_xray_src"],
        tables["astromon_cat_src"],
        _standard("astromon_21"),
    )
    expected = tables["astromon_xcorr"]
    assert len(matches) == 8
    assert matches.colnames == [*CROSS_MATCH_COLUMNS, "cat_order"]
    for name in ("obsid", "c_id", "x_id"):
        assert list(matches[name]) == list(expected[name])
    for name in ("dy", "dz", "dr"):
        np.testing.assert_allclose(matches[name], expected[name], atol=1e-5, rtol=0)
    assert set(matches["select_name"]) == {"astromon_21"}


def test_astromon_22_and_custom_sets(reference_dir: Path) -> None:
    tables = read_reference(reference_dir)
    obs, xray, cat = (
        tables["astromon_obs"],
        tables["astromon_xray_src"],
        tables["astromon_cat_src"],
    )
    assert len(simple_cross_match(obs, xray, cat, _standard("astromon_22"))) == 8
    custom = SimpleCrossMatchArgs(
        catalogs=("Tycho2",),
        snr=5,
        r_angle=120,
        r_angle_grating=0,
        near_neighbor_dist=6,
        dr=3,
    )
    matches = simple_cross_match(obs, xray, cat, custom)
    assert list(matches["obsid"]) == [13748, 14536, 14538, 14544, 14572]


def test_start_and_stop_select_observations(reference_dir: Path) -> None:
    tables = read_reference(reference_dir)
    args = standard_cross_match_args("astromon_21")
    args.pop("method")
    obs, xray, cat = (
        tables["astromon_obs"],
        tables["astromon_xray_src"],
        tables["astromon_cat_src"],
    )
    all_matches = simple_cross_match(obs, xray, cat, SimpleCrossMatchArgs(**args))
    date = {int(o["obsid"]): str(o["date_obs"]) for o in obs}
    start = "2013-08-04T14:17:03"  # date_obs of 14577: start is exclusive
    later = simple_cross_match(obs, xray, cat, SimpleCrossMatchArgs(**args, start=start))
    assert list(later["obsid"]) == [o for o in all_matches["obsid"] if date[o] > start]
    assert 14577 not in list(later["obsid"])
    earlier = simple_cross_match(obs, xray, cat, SimpleCrossMatchArgs(**args, stop=start))
    assert 14577 in list(earlier["obsid"])  # stop is inclusive
    assert sorted([*later["obsid"], *earlier["obsid"]]) == sorted(all_matches["obsid"])


def test_empty_inputs_give_empty_table_with_joined_columns() -> None:
    empty = [make_table(n, []) for n in ("astromon_obs", "astromon_xray_src", "astromon_cat_src")]
    matches = simple_cross_match(*empty, SimpleCrossMatchArgs(name="x"))
    assert len(matches) == 0
    assert matches.colnames == [*CROSS_MATCH_COLUMNS, "cat_order"]
    assert matches["obsid"].dtype == np.int32
    assert matches["dr"].dtype == np.float32


@settings(max_examples=200, deadline=None)
@given(inputs=cross_match_inputs(), args=simple_arguments, name=st.sampled_from(["", "n"]))
def test_vectorised_equals_loop_reference(
    inputs: tuple[Any, Any, Any], args: dict[str, Any], name: str
) -> None:
    obs, xray, cat = inputs
    matches = simple_cross_match(obs, xray, cat, SimpleCrossMatchArgs(name=name, **args))
    expected = reference_simple_cross_match(obs, xray, cat, args)
    got = [
        (
            int(m["obsid"]),
            int(m["x_id"]),
            int(m["c_id"]),
            float(m["dy"]),
            float(m["dz"]),
            float(m["dr"]),
            int(m["cat_order"]),
        )
        for m in matches
    ]
    assert got == expected
    assert matches.colnames == [*CROSS_MATCH_COLUMNS, "cat_order"]
    assert all(s == name for s in matches["select_name"])
    # joined columns come from the right rows
    for m in matches:
        o = obs[list(obs["obsid"]).index(m["obsid"])]
        assert m["grating"] == o["grating"] and m["date_obs"] == o["date_obs"]
        c = cat[(cat["obsid"] == m["obsid"]) & (cat["id"] == m["c_id"])][0]
        assert m["catalog"] == c["catalog"] and m["name"] == c["name"]
        assert np.array_equal(m["mag"], c["mag"], equal_nan=True)
        x = xray[(xray["obsid"] == m["obsid"]) & (xray["id"] == m["x_id"])][0]
        assert m["snr"] == x["snr"] and m["r_angle"] == x["r_angle"]


@settings(max_examples=100, deadline=None)
@given(
    inputs=cross_match_inputs(),
    catalogs=st.permutations(["ICRS", "Tycho2", "2MASS"]),
    dr=st.sampled_from([1.0, 2.0, 100.0]),
)
def test_precedence_and_ties_equal_loop_reference(
    inputs: tuple[Any, Any, Any], catalogs: list[str], dr: float
) -> None:
    """Permissive thresholds: many candidates per source, so catalog order and dr ties decide."""
    obs, xray, cat = inputs
    args = {
        "catalogs": catalogs,
        "snr": 0.0,
        "near_neighbor_dist": 0.0,
        "r_angle": 1000.0,
        "r_angle_grating": 1000.0,
        "dr": dr,
        "start": None,
        "stop": None,
    }
    matches = simple_cross_match(obs, xray, cat, SimpleCrossMatchArgs(**args))
    expected = reference_simple_cross_match(obs, xray, cat, args)
    got = [
        (
            int(m["obsid"]),
            int(m["x_id"]),
            int(m["c_id"]),
            float(m["dy"]),
            float(m["dz"]),
            float(m["dr"]),
            int(m["cat_order"]),
        )
        for m in matches
    ]
    assert got == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"snr": -1}, "snr must not be negative"),
        ({"dr": float("nan")}, "dr must be a finite number"),
        ({"r_angle": "wide"}, "r_angle must be a number"),
        ({"near_neighbor_dist": -0.5}, "near_neighbor_dist must not be negative"),
        ({"catalogs": []}, "at least one catalog"),
        ({"catalogs": ["ICRS", 3]}, "non-empty catalog names"),
        ({"catalogs": ["ICRS", "ICRS"]}, "more than once"),
        ({"catalogs": ["ICRS", "Tycho-2"]}, r"unknown catalog\(s\) \['Tycho-2'\]; known catalogs"),
        ({"name": 21}, "name must be a string"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SimpleCrossMatchArgs(**kwargs)


def test_unknown_argument_and_bad_times_are_rejected(reference_dir: Path) -> None:
    with pytest.raises(ValidationError, match=r"unknown argument\(s\) \['radius'\]"):
        CROSS_MATCH_METHODS["simple"].parse({"radius": 3})
    tables = read_reference(reference_dir)
    with pytest.raises(ValidationError, match="start='yesterday'"):
        simple_cross_match(
            tables["astromon_obs"],
            tables["astromon_xray_src"],
            tables["astromon_cat_src"],
            SimpleCrossMatchArgs(start="yesterday"),
        )
    with pytest.raises(ValidationError, match="not a standard cross-match"):
        standard_cross_match_args("astromon_99")


def test_a_catalog_name_string_is_one_catalog() -> None:
    assert SimpleCrossMatchArgs(catalogs="Tycho2").catalogs == ("Tycho2",)


def test_missing_columns_and_duplicate_keys_are_named(reference_dir: Path) -> None:
    tables = read_reference(reference_dir)
    obs, xray, cat = (
        tables["astromon_obs"],
        tables["astromon_xray_src"],
        tables["astromon_cat_src"],
    )
    with pytest.raises(SchemaError, match=r"astromon_xray_src lacks the column\(s\) \['snr'\]"):
        simple_cross_match(
            obs, xray[[c for c in xray.colnames if c != "snr"]], cat, _standard("default")
        )
    with pytest.raises(SchemaError, match=r"\['grating'\]"):
        simple_cross_match(
            obs[[c for c in obs.colnames if c != "grating"]], xray, cat, _standard("default")
        )
    doubled = xray.copy()
    selected = np.flatnonzero((xray["snr"] > 3) & (xray["near_neighbor_dist"] > 6))
    doubled.add_row(xray[selected[0]])
    with pytest.raises(ValidationError, match="more than one row"):
        simple_cross_match(obs, doubled, cat, _standard("default"))


def test_byte_string_tables_give_the_same_matches(reference_dir: Path) -> None:
    """Legacy (HDF5) tables hold byte strings: they must match like unicode ones."""
    tables = read_reference(reference_dir)
    names = ("astromon_obs", "astromon_xray_src", "astromon_cat_src")
    unicode = simple_cross_match(*(tables[n] for n in names), _standard("astromon_22"))
    for name in names:
        tables[name].convert_unicode_to_bytestring()
    assert tables["astromon_cat_src"]["catalog"].dtype.kind == "S"
    legacy = simple_cross_match(*(tables[n] for n in names), _standard("astromon_22"))
    assert legacy.colnames == unicode.colnames
    for column in ("obsid", "x_id", "c_id", "dr", "catalog", "target", "grating"):
        assert list(legacy[column]) == list(unicode[column]), column
    assert legacy["catalog"].dtype.kind == "U"
