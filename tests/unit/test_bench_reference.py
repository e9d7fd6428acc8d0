"""The plain reference implementation agrees with the SPEC data and with astromon's fast paths.

These are correctness tests only (the benchmarks compare times; nothing here is timed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.table import Table

from benchmarks import reference
from benchmarks.generator import SIZES, Dataset, generate_dataset, generate_matches


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate_dataset(SIZES["tiny"], seed=11)


def _by_source(matches: Table) -> dict[tuple[int, int], Any]:
    return {
        (int(row["obsid"]), int(row["x_id"])): (
            int(row["c_id"]),
            float(row["dy"]),
            float(row["dz"]),
            float(row["dr"]),
        )
        for row in matches
    }


def _assert_same_matches(mine: Table, theirs: Table) -> None:
    a, b = _by_source(mine), _by_source(theirs)
    assert a.keys() == b.keys()
    for key, (c_id, dy, dz, dr) in a.items():
        other = b[key]
        assert c_id == other[0], key
        assert np.allclose([dy, dz, dr], other[1:], atol=1e-4), key


def test_reference_reproduces_the_recorded_cross_match(reference_dir: Path) -> None:
    obs = Table.read(reference_dir / "astromon_obs.ecsv")
    xray = Table.read(reference_dir / "astromon_xray_src.ecsv")
    cat = Table.read(reference_dir / "astromon_cat_src.ecsv")
    recorded = Table.read(reference_dir / "astromon_xcorr.ecsv")
    matches = reference.compute_cross_matches(obs, xray, cat, "astromon_21")
    assert len(matches) == 8
    _assert_same_matches(matches, recorded)
    assert set(matches["select_name"]) == {"astromon_21"}
    tycho = reference.simple_cross_match(
        obs,
        xray,
        cat,
        catalogs=["Tycho2"],
        snr=5,
        r_angle=120,
        r_angle_grating=0,
        near_neighbor_dist=6,
        dr=3,
    )
    assert sorted(set(tycho["obsid"].tolist())) == [13748, 14536, 14538, 14544, 14572]


def test_reference_filter_on_the_recorded_cross_match(reference_dir: Path) -> None:
    obs = Table.read(reference_dir / "astromon_obs.ecsv")
    xray = Table.read(reference_dir / "astromon_xray_src.ecsv")
    cat = Table.read(reference_dir / "astromon_cat_src.ecsv")
    matches = reference.compute_cross_matches(obs, xray, cat)
    keep = reference.filter_matches(matches, snr=5, exclude_bad_targets=True, sim_z=4)
    assert keep.sum() == 7
    assert 14577 not in matches["obsid"][keep]


@pytest.mark.parametrize("name", ["astromon_21", "astromon_22"])
def test_cross_match_agrees_with_astromon(dataset: Dataset, name: str) -> None:
    from astromon.cross_match import CROSS_MATCHES_ARGS, compute_cross_matches

    args = {k: v for k, v in CROSS_MATCHES_ARGS[name].items() if k not in ("method", "name")}
    mine = reference.compute_cross_matches(
        dataset.astromon_obs,
        dataset.astromon_xray_src,
        dataset.astromon_cat_src,
        name,
        **args,
    )
    theirs = compute_cross_matches(
        name,
        astromon_obs=dataset.astromon_obs,
        astromon_xray_src=dataset.astromon_xray_src,
        astromon_cat_src=dataset.astromon_cat_src,
    )
    assert len(mine) > 20
    _assert_same_matches(mine, theirs)
    for column in ("category", "time", "c_loc", "x_loc"):
        assert column in theirs.colnames


def test_filters_agree_with_astromon(dataset: Dataset) -> None:
    from astromon.cross_match import compute_cross_matches, filter_matches, get_bad_target_mask

    matches = compute_cross_matches(
        "astromon_21",
        astromon_obs=dataset.astromon_obs,
        astromon_xray_src=dataset.astromon_xray_src,
        astromon_cat_src=dataset.astromon_cat_src,
    )
    assert np.array_equal(get_bad_target_mask(matches), reference.bad_target_mask(matches))
    for kwargs in (
        {"snr": 5, "sim_z": 4, "exclude_bad_targets": True},
        {"dr": 1.0, "r_angle": 60.0, "r_angle_grating": 20.0},
        {"exclude_categories": ("Clusters of Galaxies", "SN, SNR, and Isolated NS")},
        {"detector": ["ACIS-S", "HRC-I"]},
    ):
        expected = reference.filter_matches(matches, **kwargs)
        assert np.array_equal(filter_matches(matches, **kwargs), expected), kwargs


def test_region_mask_agrees_with_astromon(dataset: Dataset) -> None:
    from astromon.cross_match import get_excluded_regions_mask

    matches = generate_matches(np.random.default_rng(3), dataset.astromon_xray_src, 1_500)
    regions = dataset.astromon_regions
    expected = reference.excluded_regions_mask(matches, regions)
    assert expected.sum() > 0
    assert np.array_equal(get_excluded_regions_mask(matches, regions), expected)
