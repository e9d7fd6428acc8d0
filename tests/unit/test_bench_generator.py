"""The benchmark generator is seeded (same seed → same tables) and its tables are realistic."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table
from astropy.time import Time

from astromon.domain.geometry import (
    angular_separation_arcsec,
    grouped_nearest_neighbor_dist,
    radec_to_yz,
)
from astromon.domain.schema import CATEGORIES, TABLES
from benchmarks.data import read_table, write_table
from benchmarks.generator import (
    NOMINAL_SIM_Z,
    SIZES,
    Dataset,
    generate_dataset,
    generate_matches,
    generate_star_catalog,
)

TABLE_NAMES = ("astromon_obs", "astromon_xray_src", "astromon_cat_src", "astromon_regions")


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate_dataset(SIZES["tiny"], seed=7)


def _same_table(a: Table, b: Table) -> bool:
    if a.colnames != b.colnames or len(a) != len(b):
        return False
    for name in a.colnames:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        if x.dtype != y.dtype:
            return False
        equal = np.array_equal(x, y, equal_nan=True) if x.dtype.kind == "f" else (x == y).all()
        if not equal:
            return False
    return True


def test_same_seed_gives_identical_tables(dataset: Dataset) -> None:
    again = generate_dataset(SIZES["tiny"], seed=7)
    for name in TABLE_NAMES:
        assert _same_table(getattr(dataset, name), getattr(again, name)), name


def test_other_seed_gives_other_tables(dataset: Dataset) -> None:
    other = generate_dataset(SIZES["tiny"], seed=8)
    for name in TABLE_NAMES:
        assert not _same_table(getattr(dataset, name), getattr(other, name)), name


def test_observations_do_not_depend_on_the_number_of_sources(dataset: Dataset) -> None:
    sizes = SIZES["tiny"]
    bigger = type(sizes)(**{**sizes.__dict__, "n_sources": 3 * sizes.n_sources})
    assert _same_table(dataset.astromon_obs, generate_dataset(bigger, seed=7).astromon_obs)


def test_tables_have_the_schemas_and_sizes(dataset: Dataset) -> None:
    sizes = SIZES["tiny"]
    expected_rows = {
        "astromon_obs": sizes.n_obs,
        "astromon_xray_src": sizes.n_sources,
        "astromon_cat_src": sizes.n_counterparts,
        "astromon_regions": sizes.n_regions,
    }
    for name in TABLE_NAMES:
        table = getattr(dataset, name)
        spec = TABLES[name]
        assert table.colnames == spec.names
        for column in spec.columns:
            kind = table[column.name].dtype.kind
            assert kind == column.dtype.kind, (name, column.name)
            if kind != "U":
                assert table[column.name].dtype == column.dtype, (name, column.name)
        assert len(table) == expected_rows[name]


def test_observations_are_realistic(dataset: Dataset) -> None:
    obs = dataset.astromon_obs
    obsid = np.asarray(obs["obsid"])
    assert (np.diff(obsid) > 0).all()
    assert set(obs["detector"]) <= set(NOMINAL_SIM_Z)
    assert set(obs["grating"]) <= {"NONE", "HETG", "LETG"}
    assert set(obs["category_id"].tolist()) <= set(CATEGORIES)
    offsets = np.abs(
        np.asarray(obs["sim_z"]) - np.array([NOMINAL_SIM_Z[d] for d in obs["detector"]])
    )
    assert np.median(offsets) < 1.0
    assert ((obs["dec"] >= -90) & (obs["dec"] <= 90)).all()
    assert ((obs["ra"] >= 0) & (obs["ra"] < 360)).all()
    # date_obs is tstart as an ISO date, to the second (tstart is float32: ±64 s)
    secs = Time(list(obs["date_obs"]), format="isot", scale="utc").cxcsec
    assert np.abs(secs - np.asarray(obs["tstart"], float)).max() < 64
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", d) for d in obs["date_obs"])


def test_sources_lie_within_3_arcmin_with_consistent_angles(dataset: Dataset) -> None:
    obs, src = dataset.astromon_obs, dataset.astromon_xray_src
    assert (np.asarray(src["r_angle"]) <= 180.0).all()
    assert np.allclose(np.hypot(src["y_angle"], src["z_angle"]), src["r_angle"], atol=1e-3)
    for row in obs[:10]:
        mine = src[src["obsid"] == row["obsid"]]
        y, z = radec_to_yz(mine["ra"], mine["dec"], row["ra"], row["dec"], row["roll"])
        assert np.abs(y - mine["y_angle"]).max() < 1e-3
        assert np.abs(z - mine["z_angle"]).max() < 1e-3
    expected = grouped_nearest_neighbor_dist(src["obsid"], src["y_angle"], src["z_angle"])
    assert np.allclose(src["near_neighbor_dist"], expected, atol=1e-3)
    # ids are 1..n within each observation
    for obsid in np.unique(src["obsid"])[:10]:
        ids = np.asarray(src["id"][src["obsid"] == obsid])
        assert ids.tolist() == list(range(1, len(ids) + 1))
    # S/N spread around the astromon_21 threshold of 3
    snr = np.asarray(src["snr"])
    assert 0.3 < (snr > 3).mean() < 0.9


def test_counterparts_lie_within_3_arcsec_of_their_source(dataset: Dataset) -> None:
    src, cat = dataset.astromon_xray_src, dataset.astromon_cat_src
    keys = {
        (int(o), int(i)): n for n, (o, i) in enumerate(zip(src["obsid"], src["id"], strict=True))
    }
    host = np.array(
        [keys[(int(o), int(x))] for o, x in zip(cat["obsid"], cat["x_id"], strict=True)]
    )
    separation = angular_separation_arcsec(src["ra"][host], src["dec"][host], cat["ra"], cat["dec"])
    assert separation.max() < 3.0
    assert np.allclose(separation, cat["separation"], atol=1e-3)
    dr = np.hypot(
        np.asarray(src["y_angle"])[host] - cat["y_angle"],
        np.asarray(src["z_angle"])[host] - cat["z_angle"],
    )
    assert np.abs(dr - separation).max() < 0.01
    assert {"Tycho2", "ICRS", "2MASS", "USNO-B1.0"} <= set(cat["catalog"])
    assert np.isnan(np.asarray(cat["mag"])[cat["catalog"] == "ICRS"]).all()
    for obsid in np.unique(cat["obsid"])[:10]:
        ids = np.asarray(cat["id"][cat["obsid"] == obsid])
        assert ids.tolist() == list(range(len(ids)))


def test_regions_are_valid(dataset: Dataset) -> None:
    regions = dataset.astromon_regions
    assert regions["region_id"].tolist() == list(range(1, len(regions) + 1))
    assert len(set(regions["region_id_str"])) == len(regions)
    assert all(re.fullmatch(r"[0-9a-f]{10}", s) for s in regions["region_id_str"])
    assert all(
        re.fullmatch(r"\d{4}:\d{3}:\d\d:\d\d:\d\d\.\d{3}", s) for s in regions["last_modified"]
    )
    assert ((regions["radius"] >= 2) & (regions["radius"] <= 300)).all()
    own = np.asarray(regions["obsid"]) > 0
    assert 0 < own.mean() < 1
    assert set(np.asarray(regions["obsid"])[own]) <= set(dataset.astromon_obs["obsid"])


def test_matches_and_star_catalog(dataset: Dataset) -> None:
    src = dataset.astromon_xray_src
    matches = generate_matches(np.random.default_rng(1), src, 100)
    assert len(matches) == 100
    assert len({(o, x) for o, x in zip(matches["obsid"], matches["x_id"], strict=True)}) == 100
    assert np.allclose(matches["x_loc"].ra.deg, matches["x_ra"])
    stars = generate_star_catalog(np.random.default_rng(2), src[:50], 400)
    assert stars.colnames == ["catalog", "name", "ra", "dec", "mag"]
    assert len(stars) == 400
    closest = np.array(
        [
            angular_separation_arcsec(
                src["ra"][:50], src["dec"][:50], star["ra"], star["dec"]
            ).min()
            for star in stars
        ]
    )
    assert (closest < 3).sum() >= 75  # 1.5 per source on average
    assert (closest < 600).all()  # the others are field stars around the sources


def test_data_directory_round_trip(dataset: Dataset, tmp_path: Path) -> None:
    write_table(dataset.astromon_cat_src, tmp_path / "cat")
    back = read_table(tmp_path / "cat")
    assert _same_table(back, dataset.astromon_cat_src)
    assert back["ra"].format == ".4f"


def test_observation_mix_is_realistic() -> None:
    from benchmarks.generator import generate_observations
    from benchmarks.reference import bad_target_mask

    obs = generate_observations(np.random.default_rng(5), 3_000)
    assert 0.01 < bad_target_mask(obs).mean() < 0.06
    assert 0.05 < (obs["grating"] != "NONE").mean() < 0.3
    assert set(obs["detector"]) == set(NOMINAL_SIM_Z)
    offsets = np.abs(
        np.asarray(obs["sim_z"]) - np.array([NOMINAL_SIM_Z[d] for d in obs["detector"]])
    )
    assert 0.01 < (offsets > 4).mean() < 0.08  # a few observations off-nominal in SIM-Z
    assert len(set(obs["category_id"].tolist())) == len(CATEGORIES)
