"""The per-observation alignment fit on generated pairs with known shifts and rolls, against
the truth and against a plain per-observation lstsq fit written in the tests."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from astropy.table import Table, vstack
from scipy import stats

from astromon import cross_match
from astromon.domain.alignment import (
    OPTION_COLUMNS,
    RESULT_COLUMNS,
    AlignmentOptions,
    align_observations,
    fit_alignment,
)
from benchmarks import reference_alignment
from benchmarks.reference_alignment import kim_sigma, pair_sigma, rotate
from tests.unit.alignment_support import Simulated, simulate

RESULT_FIGURES = (
    "dy", "dz", "roll", "dy_err", "dz_err", "roll_err", "chi2_dof", "rms_before", "rms_after",
    "shift_chi2",
)  # fmt: skip


def by_obsid(result: Table) -> dict[int, Any]:
    return {int(row["obsid"]): row for row in result}


@pytest.mark.parametrize("max_roll", [60.0, 3600.0])
def test_noise_free_pairs_are_recovered_to_a_micro_arcsec(max_roll: float) -> None:
    rng = np.random.default_rng(1)
    sim = simulate(rng, rng.integers(3, 11, 2000), max_roll=max_roll, noise=False)
    result = fit_alignment(sim.table)
    assert list(result["obsid"]) == list(sim.obsid)
    assert np.all(np.isfinite(result["roll"]))
    np.testing.assert_allclose(result["dy"], sim.dy, rtol=0, atol=1e-6)
    np.testing.assert_allclose(result["dz"], sim.dz, rtol=0, atol=1e-6)
    np.testing.assert_allclose(result["roll"], sim.roll, rtol=0, atol=1e-6)
    assert np.all(result["n_rejected"] == 0)
    assert np.max(result["rms_after"]) < 1e-6
    assert np.max(result["chi2_dof"]) < 1e-10


def test_the_pulls_of_noisy_fits_are_unit_gaussians() -> None:
    """500 observations of 8 pairs within 15' with noise drawn from the model's sigma.

    The standard error of a mean of 500 unit pulls is 0.045, so "mean within 0.1" is a
    2.2-sigma bound: across the seeds [23, 0] to [23, 11] one of the 36 means was at -0.116,
    the others within 0.090, and the standard deviations were 0.93-1.07. The seed is fixed.
    """
    rng = np.random.default_rng([23, 0])
    sim = simulate(rng, np.full(500, 8))
    result = fit_alignment(sim.table)
    for name, truth in (("dy", sim.dy), ("dz", sim.dz), ("roll", sim.roll)):
        pulls = (np.asarray(result[name]) - truth) / np.asarray(result[f"{name}_err"])
        assert abs(np.mean(pulls)) < 0.1, name
        assert 0.8 <= np.std(pulls) <= 1.25, name


def _with_outliers(rng: np.random.Generator, sim: Simulated, size: float) -> np.ndarray:
    """Move the x-ray position of one pair per observation by ``size`` times its sigma (or by
    ``-size`` arcsec when negative); returns the rows."""
    table = sim.table
    obsid = np.asarray(table["obsid"])
    first = np.flatnonzero(np.r_[True, obsid[1:] != obsid[:-1]])
    rows = first + rng.integers(0, 6, len(first))
    length = -size if size < 0 else size * sim.sigma[rows]
    angle = rng.uniform(0, 2 * np.pi, len(rows))
    for name, shift in (("y", length * np.cos(angle)), ("z", length * np.sin(angle))):
        table[f"x_{name}_angle"][rows] += shift
        table[f"d{name}"][rows] += shift
    return rows


def test_an_outlier_pair_is_rejected_and_the_fit_then_matches_the_truth() -> None:
    rng = np.random.default_rng(2)
    sim = simulate(rng, np.full(300, 6), noise=False, max_off_axis=300.0)
    rows = _with_outliers(rng, sim, 20.0)
    alignment = align_observations(sim.table)
    assert np.array_equal(np.flatnonzero(alignment.rejected), np.sort(rows))
    result = alignment.table
    assert np.all(result["n_rejected"] == 1)
    np.testing.assert_allclose(result["dy"], sim.dy, rtol=0, atol=1e-6)
    np.testing.assert_allclose(result["dz"], sim.dz, rtol=0, atol=1e-6)
    np.testing.assert_allclose(result["roll"], sim.roll, rtol=0, atol=1e-6)


def test_with_noise_the_outlier_is_among_the_pairs_rejected() -> None:
    rng = np.random.default_rng(3)
    sim = simulate(rng, np.full(300, 6), max_off_axis=300.0)
    rows = _with_outliers(rng, sim, 30.0)
    alignment = align_observations(sim.table)
    assert alignment.rejected[rows].all()
    pulls = (np.asarray(alignment.table["dy"]) - sim.dy) / np.asarray(alignment.table["dy_err"])
    assert np.max(np.abs(pulls)) < 5


def test_the_absolute_limit_rejects_what_k_sigma_keeps() -> None:
    """15-count sources 8-10' off axis (sigma 1.4-2.3"): a 2" outlier is within 3 sigma."""
    rng = np.random.default_rng(4)
    sim = simulate(rng, np.full(50, 6), noise=False, min_off_axis=480.0, max_off_axis=600.0)
    sim.table["net_counts"] = 15.0
    rows = _with_outliers(rng, sim, -2.0)
    assert np.all(align_observations(sim.table).table["n_rejected"] == 0)
    limited = align_observations(sim.table, AlignmentOptions(residual_limit=1.0))
    assert np.array_equal(np.flatnonzero(limited.rejected), np.sort(rows))


def test_one_pair_gives_its_offset_with_the_model_error_and_no_roll() -> None:
    rng = np.random.default_rng(5)
    table = simulate(rng, np.ones(40, dtype=int)).table
    result = fit_alignment(table)
    sigma = [
        pair_sigma(c, r, "Gaia3")
        for c, r in zip(table["net_counts"], table["r_angle"], strict=True)
    ]
    np.testing.assert_allclose(result["dy"], table["dy"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(result["dz"], table["dz"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(result["dy_err"], sigma, rtol=1e-12)
    np.testing.assert_allclose(result["dz_err"], sigma, rtol=1e-12)
    for name in ("roll", "roll_err", "chi2_dof"):
        assert np.all(np.isnan(result[name])), name
    np.testing.assert_allclose(result["rms_before"], np.hypot(table["dy"], table["dz"]))
    assert np.max(result["rms_after"]) < 1e-12 and np.all(result["n_rejected"] == 0)


def test_two_pairs_give_the_weighted_mean_offset_and_no_roll() -> None:
    rng = np.random.default_rng(6)
    table = simulate(rng, np.full(40, 2)).table
    table["dy"][::2] += 10.0  # discordant pairs: with two, neither can be blamed
    result = fit_alignment(table)
    assert np.all(result["n_rejected"] == 0)
    for k, row in enumerate(result):
        pair = table[2 * k : 2 * k + 2]
        w = np.array(
            [
                pair_sigma(c, r, "Gaia3") ** -2
                for c, r in zip(pair["net_counts"], pair["r_angle"], strict=True)
            ]
        )
        dy, dz = np.average(pair["dy"], weights=w), np.average(pair["dz"], weights=w)
        assert row["dy"] == pytest.approx(dy, abs=1e-12)
        assert row["dz"] == pytest.approx(dz, abs=1e-12)
        assert row["dy_err"] == pytest.approx(np.sum(w) ** -0.5, rel=1e-12)
        chi2 = np.sum(w * ((pair["dy"] - dy) ** 2 + (pair["dz"] - dz) ** 2))
        assert row["chi2_dof"] == pytest.approx(chi2 / 2, rel=1e-10)
        assert math.isnan(row["roll"]) and math.isnan(row["roll_err"])


def test_a_roll_needs_enough_pairs_spread_over_the_field() -> None:
    rng = np.random.default_rng(7)
    sim = simulate(rng, np.full(20, 4), noise=False, max_off_axis=5.0)  # spread below 10"
    assert np.all(np.isnan(fit_alignment(sim.table)["roll"]))
    rolled = fit_alignment(sim.table, AlignmentOptions(min_spread=0.0))
    np.testing.assert_allclose(rolled["roll"], sim.roll, atol=1e-6)
    assert np.all(np.isnan(fit_alignment(sim.table, AlignmentOptions(min_pairs_roll=5))["roll"]))


def _flag_cases() -> Table:
    """One pair per observation: shifts 0.3-1.2" along random directions, errors 0.05-0.4"."""
    rng = np.random.default_rng(8)
    shifts = np.repeat([0.3, 0.45, 0.49, 0.51, 0.6, 0.9, 1.2], 12)
    own = np.tile(np.geomspace(0.05, 0.4, 12), 7)
    angle = rng.uniform(0, 2 * np.pi, len(shifts))
    n = len(shifts)
    return Table(
        {
            "obsid": np.arange(1, n + 1),
            "x_y_angle": np.full(n, 30.0),
            "x_z_angle": np.zeros(n),
            "dy": shifts * np.cos(angle),
            "dz": shifts * np.sin(angle),
            "net_counts": np.full(n, 2000.0),
            "r_angle": np.full(n, 30.0),
            "catalog": np.full(n, "ICRS"),
            "c_pos_err": own,
        }
    )


@pytest.mark.parametrize(("threshold", "sigmas"), [(0.5, 3.0), (0.8, 2.0), (0.0, 5.0)])
def test_the_flag_fires_exactly_when_the_shift_is_large_and_significant(
    threshold: float, sigmas: float
) -> None:
    table = _flag_cases()
    result = fit_alignment(table, AlignmentOptions(flag_threshold=threshold, flag_sigma=sigmas))
    sigma = np.hypot([kim_sigma(2000.0, 30.0)] * len(table), table["c_pos_err"])
    shift = np.hypot(table["dy"], table["dz"])
    chi2_limit = stats.chi2.isf(2 * stats.norm.sf(sigmas), df=2)
    significant = (shift / sigma) ** 2 > chi2_limit
    large = shift > threshold
    np.testing.assert_allclose(result["shift_chi2"], (shift / sigma) ** 2, rtol=1e-10)
    assert np.array_equal(result["flagged"], significant & large)
    cases = set(zip(significant.tolist(), large.tolist(), strict=True))
    expected_cases = 4 if threshold > 0 else 2  # with threshold 0 every shift is large
    assert len(cases) == expected_cases


OPTION_SETS = [
    AlignmentOptions(),
    AlignmentOptions(k_sigma=2.0, residual_limit=0.8, flag_threshold=0.2),
    AlignmentOptions(min_spread=300.0, flag_sigma=2.0),
    AlignmentOptions(min_pairs_roll=2, max_iterations=1),
    AlignmentOptions(max_iterations=0),
]


@pytest.mark.parametrize("options", OPTION_SETS, ids=range(len(OPTION_SETS)))
def test_the_vectorised_fit_equals_a_per_observation_lstsq_fit(options: AlignmentOptions) -> None:
    rng = np.random.default_rng(9)
    sim = simulate(rng, rng.integers(1, 10, 250))
    bad = rng.choice(len(sim.table), 60, replace=False)
    sim.table["dz"][bad] += rng.uniform(-8, 8, len(bad))
    result = by_obsid(fit_alignment(sim.table, options))
    reference = by_obsid(reference_alignment.fit_alignment(sim.table, options))
    assert sorted(result) == sorted(reference)
    rejected = 0
    for obsid, expected in reference.items():
        row = result[obsid]
        for name in ("n_pairs", "n_rejected", "flagged"):
            assert row[name] == expected[name], (obsid, name)
        rejected += row["n_rejected"]
        for name in RESULT_FIGURES:
            got, want = float(row[name]), float(expected[name])
            if math.isnan(want):
                assert math.isnan(got), (obsid, name)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-6), (obsid, name)
    assert (rejected > 0) == (options.max_iterations > 0)


def test_the_result_has_one_row_per_observation_and_cross_match_with_the_options() -> None:
    rng = np.random.default_rng(10)
    first = simulate(rng, [3, 1, 4]).table
    second = simulate(rng, [2, 5]).table
    first["select_name"], second["select_name"] = "astromon_21", "gaia"
    options = AlignmentOptions(residual_limit=2.5, min_spread=20.0)
    result = fit_alignment(vstack([second, first]), options)
    assert result.colnames == ["select_name", *RESULT_COLUMNS, *OPTION_COLUMNS]
    assert list(zip(result["select_name"], result["obsid"], strict=True)) == [
        ("astromon_21", 1000), ("astromon_21", 1001), ("astromon_21", 1002),
        ("gaia", 1000), ("gaia", 1001),
    ]  # fmt: skip
    assert list(result["n_pairs"]) == [3, 1, 4, 2, 5]
    for name in OPTION_COLUMNS:
        assert np.all(result[name] == getattr(options, name)), name
    assert np.all(np.isnan(fit_alignment(first)["residual_limit"]))


def test_an_empty_table_gives_an_empty_result_with_every_column() -> None:
    empty = simulate(np.random.default_rng(11), [3]).table[:0]
    result = fit_alignment(empty)
    assert len(result) == 0
    assert result.colnames == [*RESULT_COLUMNS, *OPTION_COLUMNS]
    assert result["flagged"].dtype == bool


def test_the_facade_fits_the_reference_cross_match(reference_dir: Any) -> None:
    """One Tycho-2 pair per observation: the shift is the pair's offset, its error the model's."""
    tables = {
        name: Table.read(reference_dir / f"{name}.ecsv", format="ascii.ecsv")
        for name in ("astromon_obs", "astromon_xray_src", "astromon_cat_src")
    }
    matches = cross_match.compute_cross_matches(
        "astromon_21",
        astromon_obs=tables["astromon_obs"],
        astromon_xray_src=tables["astromon_xray_src"],
        astromon_cat_src=tables["astromon_cat_src"],
    )
    result = by_obsid(cross_match.fit_alignment(matches, flag_threshold=0.3))
    assert len(result) == len(matches) > 0
    for pair in matches:
        row = result[int(pair["obsid"])]
        assert row["select_name"] == "astromon_21" and row["n_pairs"] == 1
        assert row["dy"] == pytest.approx(float(pair["dy"]), abs=1e-12)
        assert row["dz"] == pytest.approx(float(pair["dz"]), abs=1e-12)
        sigma = pair_sigma(float(pair["net_counts"]), float(pair["r_angle"]), "Tycho2")
        assert row["dy_err"] == pytest.approx(sigma, rel=1e-6)
        shift = math.hypot(float(pair["dy"]), float(pair["dz"]))
        assert row["flagged"] == (shift > 0.3 and (shift / sigma) ** 2 > 11.829158)


def test_rotating_the_catalog_counter_clockwise_is_a_positive_roll() -> None:
    """x-ray = R(roll)·catalog: stars at +y seen towards +z have a positive roll."""
    stars_y = np.array([300.0, 0.0, -300.0, 0.0])
    stars_z = np.array([0.0, 300.0, 0.0, -300.0])
    xy, xz = rotate(20.0, stars_y, stars_z)
    assert xz[0] > 0  # the star on +y moved towards +z
    table = Table(
        {
            "obsid": np.full(4, 7),
            "x_y_angle": xy,
            "x_z_angle": xz,
            "dy": xy - stars_y,
            "dz": xz - stars_z,
            "net_counts": np.full(4, 500.0),
            "r_angle": np.hypot(xy, xz),
            "catalog": np.full(4, "Gaia3"),
        }
    )
    assert fit_alignment(table)["roll"][0] == pytest.approx(20.0, abs=1e-9)
