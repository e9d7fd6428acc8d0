"""filter_matches, the bad-target mask and the excluded-region mask against loop references."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st

from astromon.domain.crossmatch import join_cross_matches
from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.excluded_regions import in_excluded_regions
from astromon.domain.filters import (
    NOMINAL_SIM_Z,
    filter_matches,
    get_bad_target_mask,
    get_excluded_regions_mask,
    per_distinct,
)
from astromon.domain.schema import CATEGORIES
from astromon.domain.time import CxoTime
from tests.unit.xmatch_support import read_reference, reference_in_regions

TSTARTS = [4.7e8, 4.8e8, 4.9e8]
TARGETS = ["RW Aur A", "rwaur", "Tau Boo", "70 Oph", "16 cyg b", "M 87", "m87", "Orion Nebula",
           "HD 97950", "HD 4915", "HD 4916", "NGC 1624", "Cas A", ""]  # fmt: skip
DETECTORS = ["ACIS-I", "ACIS-S", "HRC-I", "HRC-S", "ACIS-X"]


@st.composite
def matches_tables(draw: st.DrawFn) -> Table:
    n = draw(st.integers(0, 12))
    detector = [draw(st.sampled_from(DETECTORS)) for _ in range(n)]
    return Table(
        {
            "obsid": np.array([draw(st.integers(1, 4)) for _ in range(n)], dtype=np.int32),
            "dr": np.array([draw(st.sampled_from([0.5, 1.0, 2.0])) for _ in range(n)], "f4"),
            "snr": np.array([draw(st.sampled_from([3.0, 5.0, 8.0])) for _ in range(n)], "f4"),
            "near_neighbor_dist": np.array(
                [draw(st.sampled_from([6.0, 10.0, 40.0])) for _ in range(n)], "f4"
            ),
            "tstart": np.array([draw(st.sampled_from(TSTARTS)) for _ in range(n)], "f4"),
            "r_angle": np.array([draw(st.sampled_from([10.0, 24.0, 60.0])) for _ in range(n)],
                                "f4"),
            "grating": np.array([draw(st.sampled_from(["NONE", "HETG", "LETG"]))
                                 for _ in range(n)], str),
            "detector": np.array(detector, dtype=str),
            "sim_z": np.array(
                [NOMINAL_SIM_Z.get(d, 0.0) + draw(st.sampled_from([0.0, 3.0, -5.0]))
                 for d in detector],
                "f4",
            ),
            "category_id": np.array([draw(st.sampled_from([10, 110, 120, 200]))
                                     for _ in range(n)], "i4"),
            "target": np.array([draw(st.sampled_from(TARGETS)) for _ in range(n)], str),
            "catalog": np.array([draw(st.sampled_from(["ICRS", "Tycho2"])) for _ in range(n)], str),
        }
    )  # fmt: skip


filter_kwargs = st.fixed_dictionaries(
    {},
    optional={
        "snr": st.sampled_from([0.0, 5.0]),
        "dr": st.sampled_from([1.0, 2.0]),
        "r_angle": st.sampled_from([24.0, 100.0]),
        "r_angle_grating": st.sampled_from([0.0, 24.0]),
        "near_neighbor_dist": st.sampled_from([10.0]),
        "start": st.sampled_from([4.8e8, "2013:001"]),
        "stop": st.sampled_from([4.8e8]),
        "sim_z": st.sampled_from([0.0, 4.0]),
        "exclude_bad_targets": st.booleans(),
        "exclude_categories": st.sampled_from(
            [(), ["SN, SNR, and Isolated NS"], ("clusters of galaxies", "Unknown")]
        ),
        "catalog": st.sampled_from(["ICRS", ["ICRS", "Tycho2"], ["Tycho2"]]),
        "obsid": st.sampled_from([1, [2, 3]]),
    },
)


def _reference_keep(row: Any, kw: dict[str, Any]) -> bool:
    keep = True
    if "snr" in kw:
        keep &= row["snr"] >= kw["snr"]
    if "dr" in kw:
        keep &= row["dr"] <= kw["dr"]
    if "near_neighbor_dist" in kw:
        keep &= row["near_neighbor_dist"] <= kw["near_neighbor_dist"]
    if "start" in kw:
        keep &= float(row["tstart"]) >= CxoTime(kw["start"]).secs
    if "stop" in kw:
        keep &= float(row["tstart"]) <= CxoTime(kw["stop"]).secs
    if row["grating"] == "NONE" and "r_angle" in kw:
        keep &= row["r_angle"] <= kw["r_angle"]
    if row["grating"] != "NONE" and "r_angle_grating" in kw:
        keep &= row["r_angle"] <= kw["r_angle_grating"]
    if "sim_z" in kw:
        nominal = np.float32(NOMINAL_SIM_Z.get(row["detector"], 0.0))
        keep &= abs(row["sim_z"] - nominal) <= kw["sim_z"]
    excluded = [c.lower() for c in kw.get("exclude_categories", ())]
    keep &= CATEGORIES[int(row["category_id"])].lower() not in excluded
    if kw.get("exclude_bad_targets"):
        keep &= not _reference_bad(str(row["target"]))
    for name in ("catalog", "obsid"):
        if name in kw:
            value = kw[name]
            keep &= row[name] in value if isinstance(value, list) else row[name] == value
    return bool(keep)


def _reference_bad(target: str) -> bool:
    bad = ["RW Aur", "Tau Boo", "70 OPH", "16 Cyg", "M87", "Orion", "HD 97950", "HD4915"]
    name = target.replace(" ", "").lower()
    return any(name.startswith(b.replace(" ", "").lower()) for b in bad)


@settings(max_examples=200, deadline=None)
@given(matches=matches_tables(), kwargs=filter_kwargs)
def test_filter_matches_equals_row_by_row_reference(matches: Table, kwargs: dict[str, Any]) -> None:
    mask = filter_matches(matches, **kwargs)
    assert mask.dtype == np.bool_ and mask.shape == (len(matches),)
    assert mask.tolist() == [_reference_keep(row, kwargs) for row in matches]


@settings(max_examples=100, deadline=None)
@given(matches=matches_tables())
def test_bad_target_mask_equals_reference(matches: Table) -> None:
    mask = get_bad_target_mask(matches)
    assert mask.tolist() == [_reference_bad(str(t)) for t in matches["target"]]


def test_bad_target_examples() -> None:
    table = Table({"target": ["RW Aur A", "M 87", "HD 4915", "HD 4916", "NGC 6337", "orion bar"]})
    assert get_bad_target_mask(table).tolist() == [True, True, True, False, False, True]


def test_reference_filter_keeps_7_of_8(reference_dir: Path) -> None:
    t = read_reference(reference_dir)
    matches = join_cross_matches(
        t["astromon_xcorr"],
        t["astromon_obs"],
        t["astromon_cat_src"],
        t["astromon_xray_src"],
        "astromon_21",
    )
    mask = filter_matches(matches, snr=5, exclude_bad_targets=True, sim_z=4)
    assert mask.sum() == 7
    assert list(matches["obsid"][~mask]) == [14577]


def test_exclude_categories_by_name_or_id() -> None:
    table = Table({"category_id": np.array([10, 110, 120, 200], dtype=np.int32)})
    expected = [True, False, True, True]
    assert filter_matches(table, exclude_categories="sn, snr, and isolated ns").tolist() == expected
    assert filter_matches(table, exclude_categories=[110]).tolist() == expected
    named = Table({"category": ["Normal Stars and WD", "Clusters of Galaxies"]})
    assert filter_matches(named, exclude_categories=("Clusters of Galaxies",)).tolist() == [
        True,
        False,
    ]


def test_sim_z_uses_nominal_values() -> None:
    table = Table(
        {
            "detector": ["ACIS-I", "ACIS-S", "HRC-I", "HRC-S", "OTHER"],
            "sim_z": np.array([-233.587, -186.0, 130.983, 250.466, 3.9], "f4"),
        }
    )
    assert filter_matches(table, sim_z=4).tolist() == [True, False, True, True, True]
    assert filter_matches(table, sim_z=4.2).tolist() == [True, True, True, True, True]


def test_per_distinct_groups_unsorted_runs() -> None:
    values = np.array(["b", "b", "a", "b", "c", "c", "a"])
    distinct, index = per_distinct(values)
    assert distinct.tolist() == ["a", "b", "c"]
    assert distinct[index].tolist() == values.tolist()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"snr": -1}, ValidationError, "snr must not be negative"),
        ({"dr": float("nan")}, ValidationError, "dr must be a finite number"),
        ({"sim_z": "x"}, ValidationError, "sim_z must be a number"),
        ({"stop": "not a time"}, ValidationError, "stop='not a time'"),
        ({"exclude_categories": ["Comets"]}, ValidationError, "unknown observation category"),
        ({"colour": "red"}, ValidationError, "no column 'colour'"),
        ({"exclude_regions": True}, ValidationError, "needs the excluded regions"),
    ],
)  # fmt: skip
def test_bad_filter_arguments(kwargs: dict[str, Any], error: type, message: str) -> None:
    table = Table({"snr": [5.0], "dr": [1.0], "sim_z": [0.0], "detector": ["ACIS-S"],
                   "tstart": [4.8e8], "category_id": [10], "x_ra": [1.0], "x_dec": [1.0],
                   "obsid": [1]})  # fmt: skip
    with pytest.raises(error, match=message):
        filter_matches(table, **kwargs)


def test_missing_column_for_a_rule_is_named() -> None:
    with pytest.raises(SchemaError, match="'near_neighbor_dist'"):
        filter_matches(Table({"snr": [1.0]}), near_neighbor_dist=3)
    with pytest.raises(SchemaError, match="'target'"):
        get_bad_target_mask(Table({"snr": [1.0]}))


# --- excluded regions ---------------------------------------------------------------------

CENTRES = [(10.0, 20.0), (10.01, 20.0), (359.999, -30.0), (120.0, 89.99)]


@st.composite
def regions_and_positions(draw: st.DrawFn) -> tuple[Table, np.ndarray, np.ndarray, np.ndarray]:
    n_reg = draw(st.integers(0, 6))
    reg_rows = []
    for _ in range(n_reg):
        ra, dec = draw(st.sampled_from(CENTRES))
        reg_rows.append(
            (
                ra,
                dec,
                draw(st.sampled_from([0.0, 5.0, 36.0, 200.0])),
                draw(st.sampled_from([-1, 0, 1, 2])),
            )
        )
    columns = list(zip(*reg_rows, strict=True)) if reg_rows else [[], [], [], []]
    regions = Table(
        [np.array(columns[0], float), np.array(columns[1], float),
         np.array(columns[2], float), np.array(columns[3], int)],
        names=["ra", "dec", "radius", "obsid"],
    )  # fmt: skip
    n = draw(st.integers(0, 10))
    offset = st.floats(-0.06, 0.06, allow_nan=False)
    ra, dec, obsid = [], [], []
    for _ in range(n):
        c_ra, c_dec = draw(st.sampled_from(CENTRES))
        ra.append((c_ra + draw(offset)) % 360.0)
        dec.append(float(np.clip(c_dec + draw(offset), -90, 90)))
        obsid.append(draw(st.integers(1, 3)))
    return regions, np.array(ra, float), np.array(dec, float), np.array(obsid, int)


@settings(max_examples=200, deadline=None)
@given(data=regions_and_positions(), use_obsid=st.sampled_from(["array", "scalar", "none"]))
def test_excluded_regions_equal_n_by_m_reference(data: Any, use_obsid: str) -> None:
    regions, ra, dec, obsid = data
    given_obsid: Any = {"array": obsid, "scalar": 2, "none": None}[use_obsid]
    ref_obsid = {"array": obsid, "scalar": [2] * len(ra), "none": None}[use_obsid]
    mask = in_excluded_regions(ra, dec, given_obsid, regions)
    expected, margin = reference_in_regions(ra, dec, ref_obsid, regions)
    assert mask.shape == (len(ra),)
    for got, want, near in zip(mask.tolist(), expected, margin, strict=True):
        # positions within 1e-6 arcsec of a region edge may round either way
        assert got == want or near < 1e-6


def test_excluded_region_mask_on_matches() -> None:
    regions = Table({"ra": [10.0, 50.0], "dec": [20.0, 0.0], "radius": [5.0, 60.0],
                     "obsid": [0, 7]})  # fmt: skip
    matches = Table({"obsid": [1, 7, 8, 1], "x_ra": [10.0, 50.0, 50.0, 10.01],
                     "x_dec": [20.0 + 4.9 / 3600, 0.0, 0.0, 20.0]})  # fmt: skip
    expected = [True, True, False, False]
    assert get_excluded_regions_mask(matches, regions).tolist() == expected
    matches["x_loc"] = SkyCoord(matches["x_ra"], matches["x_dec"], unit="deg")
    matches.remove_columns(["x_ra", "x_dec"])
    assert get_excluded_regions_mask(matches, regions).tolist() == expected
    assert filter_matches(matches, exclude_regions=True, regions=regions).tolist() == [
        False,
        False,
        True,
        True,
    ]


def test_region_radius_is_exclusive_and_scalar_positions_work() -> None:
    regions = Table({"ra": [0.0], "dec": [0.0], "radius": [3600.0], "obsid": [0]})
    assert in_excluded_regions(0.0, 0.999, None, regions).tolist() == [True]
    assert in_excluded_regions(0.0, 1.001, None, regions).tolist() == [False]
    no_obsid = Table({"ra": [0.0], "dec": [0.0], "radius": [10.0]})
    assert in_excluded_regions([0.0], [0.0], [5], no_obsid).tolist() == [True]


ONE = {"ra": [0.0], "dec": [0.0], "radius": [1.0]}


@pytest.mark.parametrize(
    ("ra", "dec", "obsid", "regions", "error", "message"),
    [
        ([1.0], [np.nan], None, ONE, ValidationError, "dec=nan"),
        ([1.0], [95.0], None, ONE, ValidationError, "dec=95.0"),
        ([1.0, 2.0], [1.0], None, ONE, ValidationError, "same length"),
        ([1.0], [1.0], None, {**ONE, "radius": [-1.0]}, ValidationError, "-1.0"),
        ([1.0], [1.0], [1, 2], ONE, ValidationError, "obsid must be"),
        ([1.0], [1.0], None, {"ra": [0.0], "dec": [0.0]}, SchemaError, r"\['radius'\]"),
    ],
)
def test_bad_region_input(
    ra: Any, dec: Any, obsid: Any, regions: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        in_excluded_regions(ra, dec, obsid, Table(regions))
