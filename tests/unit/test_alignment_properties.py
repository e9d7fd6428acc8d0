"""Properties of the alignment fit that hold for any pairs (hypothesis): the order of the rows
and of the observations does not matter, and turning or moving the x-ray positions turns or
moves the solution with them."""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st

from astromon.domain.alignment import RESULT_COLUMNS, AlignmentOptions, fit_alignment
from benchmarks.reference_alignment import rotate
from tests.unit.alignment_support import simulate

CASES = settings(max_examples=150, deadline=None, database=None)
NO_REJECTION = AlignmentOptions(max_iterations=0)

POSITION = st.floats(-900.0, 900.0, allow_subnormal=False)
OFFSET = st.floats(-3.0, 3.0, allow_subnormal=False)
PAIR = st.tuples(
    POSITION,
    POSITION,
    OFFSET,
    OFFSET,
    st.floats(1.0, 5000.0),
    st.sampled_from(["Gaia3", "Tycho2", "2MASS", "a catalog of mine"]),
)


@st.composite
def pair_tables(draw: Any) -> Table:
    """1-5 observations of 1-8 pairs: catalog positions within 900", offsets within 3"."""
    rows: list[tuple[Any, ...]] = []
    for obsid in draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=5, unique=True)):
        for cy, cz, dy, dz, counts, catalog in draw(st.lists(PAIR, min_size=1, max_size=8)):
            rows.append((obsid, cy + dy, cz + dz, dy, dz, counts, catalog))
    obsid, xy, xz, dy, dz, counts, catalog = (list(c) for c in zip(*rows, strict=True))
    return Table(
        {
            "obsid": obsid,
            "x_y_angle": xy,
            "x_z_angle": xz,
            "dy": dy,
            "dz": dz,
            "net_counts": counts,
            "r_angle": np.hypot(xy, xz),
            "catalog": catalog,
        }
    )


def same(a: Table, b: Table) -> None:
    """Equal tables; floats to rounding (the sums may add the pairs in another order)."""
    assert a.colnames == b.colnames and len(a) == len(b)
    for name in a.colnames:
        if a[name].dtype.kind == "f":
            np.testing.assert_allclose(a[name], b[name], rtol=1e-9, atol=1e-9, err_msg=name)
        else:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@CASES
@given(table=pair_tables(), seed=st.integers(0, 2**32 - 1))
def test_the_order_of_the_rows_does_not_matter(table: Table, seed: int) -> None:
    order = np.random.default_rng(seed).permutation(len(table))
    same(fit_alignment(table), fit_alignment(table[order]))


@CASES
@given(table=pair_tables(), seed=st.integers(0, 2**32 - 1))
def test_observations_are_fitted_independently_of_their_ids_and_of_each_other(
    table: Table, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    result = fit_alignment(table)
    ids = np.unique(table["obsid"])
    renamed = dict(zip(ids, rng.permutation(ids), strict=True))
    relabelled = table.copy()
    relabelled["obsid"] = [renamed[o] for o in table["obsid"]]
    moved = fit_alignment(relabelled)
    for row in result:
        other = moved[moved["obsid"] == renamed[row["obsid"]]]
        other["obsid"] = row["obsid"]
        same(other[list(RESULT_COLUMNS)], Table(row)[list(RESULT_COLUMNS)])
    alone = fit_alignment(table[table["obsid"] == ids[0]])
    same(alone, result[:1])


def _turned(table: Table, angle: float, *, catalog_too: bool) -> Table:
    """The x-ray positions (and the catalog's with ``catalog_too``) turned by ``angle``."""
    out = table.copy()
    xy, xz = rotate(angle, table["x_y_angle"], table["x_z_angle"])
    cy, cz = table["x_y_angle"] - table["dy"], table["x_z_angle"] - table["dz"]
    if catalog_too:
        cy, cz = rotate(angle, cy, cz)
    out["x_y_angle"], out["x_z_angle"] = xy, xz
    out["dy"], out["dz"] = xy - cy, xz - cz
    return out


@CASES
@given(table=pair_tables(), angle=st.floats(-3600.0, 3600.0))
def test_turning_the_x_ray_positions_adds_to_the_roll_and_turns_the_shift(
    table: Table, angle: float
) -> None:
    result = fit_alignment(table, NO_REJECTION)
    turned = fit_alignment(_turned(table, angle, catalog_too=False), NO_REJECTION)
    has_roll = np.isfinite(result["roll"])
    assert np.array_equal(has_roll, np.isfinite(turned["roll"]))
    ty, tz = rotate(angle, result["dy"], result["dz"])
    np.testing.assert_allclose(
        turned["roll"][has_roll], result["roll"][has_roll] + angle, atol=1e-6
    )
    np.testing.assert_allclose(turned["dy"][has_roll], ty[has_roll], atol=1e-6)
    np.testing.assert_allclose(turned["dz"][has_roll], tz[has_roll], atol=1e-6)
    for name in ("roll_err", "rms_after", "shift_chi2"):
        np.testing.assert_allclose(
            turned[name][has_roll], result[name][has_roll], rtol=1e-6, atol=1e-9, err_msg=name
        )


@CASES
@given(table=pair_tables(), angle=st.floats(-3600.0, 3600.0))
def test_turning_the_whole_field_turns_the_shift_and_keeps_the_roll(
    table: Table, angle: float
) -> None:
    result = fit_alignment(table, NO_REJECTION)
    turned = fit_alignment(_turned(table, angle, catalog_too=True), NO_REJECTION)
    ty, tz = rotate(angle, result["dy"], result["dz"])
    np.testing.assert_allclose(turned["roll"], result["roll"], atol=1e-6)
    np.testing.assert_allclose(turned["dy"], ty, atol=1e-6)
    np.testing.assert_allclose(turned["dz"], tz, atol=1e-6)
    for name in ("roll_err", "chi2_dof", "rms_after", "shift_chi2"):
        np.testing.assert_allclose(turned[name], result[name], rtol=1e-6, atol=1e-9)


@CASES
@given(table=pair_tables(), shift=st.tuples(OFFSET, OFFSET))
def test_moving_the_x_ray_positions_moves_the_shift(
    table: Table, shift: tuple[float, float]
) -> None:
    moved = table.copy()
    for axis, step in zip("yz", shift, strict=True):
        moved[f"x_{axis}_angle"] = table[f"x_{axis}_angle"] + step
        moved[f"d{axis}"] = table[f"d{axis}"] + step
    result, after = fit_alignment(table, NO_REJECTION), fit_alignment(moved, NO_REJECTION)
    np.testing.assert_allclose(after["dy"], result["dy"] + shift[0], atol=1e-9)
    np.testing.assert_allclose(after["dz"], result["dz"] + shift[1], atol=1e-9)
    for name in ("roll", "roll_err", "chi2_dof", "rms_after"):
        np.testing.assert_allclose(after[name], result[name], rtol=1e-6, atol=1e-9)


@settings(max_examples=20, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), angle=st.floats(-600.0, 600.0))
def test_rejection_is_the_same_in_a_turned_and_moved_field(seed: int, angle: float) -> None:
    """Generated observations with one 20-sigma outlier each: the same pairs are rejected."""
    rng = np.random.default_rng(seed)
    sim = simulate(rng, np.full(30, 6), max_off_axis=300.0)
    rows = rng.integers(0, 6, 30) + 6 * np.arange(30)
    sim.table["dy"][rows] += 20 * sim.sigma[rows]
    sim.table["x_y_angle"][rows] += 20 * sim.sigma[rows]
    result = fit_alignment(sim.table)
    moved = _turned(sim.table, angle, catalog_too=False)
    moved["dz"] += 1.5
    moved["x_z_angle"] += 1.5
    after = fit_alignment(moved)
    assert np.array_equal(after["n_rejected"], result["n_rejected"])
    assert np.all(result["n_rejected"] >= 1)
    np.testing.assert_allclose(after["roll"], result["roll"] + angle, atol=1e-6)
