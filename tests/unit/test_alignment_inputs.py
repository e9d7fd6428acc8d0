"""The alignment's inputs: the position-error model, the options and bad tables (hypothesis
hunts the bad values; every failure is a ValidationError or SchemaError naming the value)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from astromon import cross_match
from astromon.domain.alignment import (
    INPUT_COLUMNS,
    OPTION_COLUMNS,
    RESULT_COLUMNS,
    AlignmentOptions,
    fit_alignment,
)
from astromon.domain.catalogs import catalog_names
from astromon.domain.errors import AstromonError, SchemaError, ValidationError
from astromon.domain.position_errors import (
    CATALOG_POSITION_ERRORS,
    PU95_PER_SIGMA,
    UNLISTED_CATALOG_ERROR,
    catalog_position_error,
    xray_position_error,
)
from benchmarks.reference_alignment import kim_sigma
from tests.unit.alignment_support import simulate
from tests.unit.fuzz_strategies import FUZZ, SCALARS, STRINGS

CASES = settings(max_examples=200, deadline=None, database=None)


def test_the_95_percent_radius_is_2_4477_sigma() -> None:
    """For a circular Gaussian, |r|²/σ² is chi-square with 2 degrees of freedom."""
    factor = float(PU95_PER_SIGMA)
    assert factor == pytest.approx(math.sqrt(stats.chi2.ppf(0.95, df=2)), rel=1e-12)
    assert factor == pytest.approx(2.4477, abs=1e-4)


@pytest.mark.parametrize("counts", [-5.0, 0.0, 0.5, 1.0, 10.0, 137.0, 138.0, 1995.0, 1e5])
@pytest.mark.parametrize("r_angle", [0.0, 60.0, 119.0, 600.0, 900.0, 1800.0])
def test_the_x_ray_error_is_the_kim_et_al_relation_clipped(counts: float, r_angle: float) -> None:
    assert xray_position_error([counts], [r_angle])[0] == pytest.approx(
        kim_sigma(counts, r_angle), rel=1e-12
    )


def test_the_x_ray_error_on_axis_for_bright_sources() -> None:
    """log10 PU = -0.2064 * 3.3 - 0.4260 at 1995 counts and more: 0.078" at 95%."""
    assert xray_position_error([1e6], [0.0])[0] == pytest.approx(
        10 ** (-0.2064 * 3.3 - 0.4260) / 2.4477, rel=1e-4
    )


def test_the_catalog_errors_name_registered_catalogs() -> None:
    assert set(CATALOG_POSITION_ERRORS) <= set(catalog_names())
    errors = catalog_position_error(np.array(["Gaia3", "USNO-B1.0", "my catalog", "Gaia3"]))
    assert list(errors) == [0.01, 0.2, UNLISTED_CATALOG_ERROR, 0.01]
    assert catalog_position_error(np.array([], dtype=str)).shape == (0,)


def test_a_star_s_own_error_replaces_its_catalog_s() -> None:
    table = simulate(np.random.default_rng(1), [1, 1]).table
    table["c_pos_err"] = [0.5, np.nan]
    result = fit_alignment(table)
    own = math.hypot(kim_sigma(table["net_counts"][0], table["r_angle"][0]), 0.5)
    typical = math.hypot(kim_sigma(table["net_counts"][1], table["r_angle"][1]), 0.01)
    assert list(result["dy_err"]) == pytest.approx([own, typical], rel=1e-12)


# --- options -------------------------------------------------------------------------------

NOT_NUMBERS = st.one_of(STRINGS, st.booleans(), st.lists(st.integers(), max_size=2), st.just(1j))
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
BAD_OPTIONS: dict[str, st.SearchStrategy[Any]] = {
    "k_sigma": st.one_of(NOT_NUMBERS, NON_FINITE, st.floats(max_value=0), st.none()),
    "residual_limit": st.one_of(NOT_NUMBERS, NON_FINITE, st.floats(max_value=0)),
    "flag_threshold": st.one_of(
        NOT_NUMBERS, NON_FINITE, st.floats(max_value=-1e-300), st.integers(max_value=-1), st.none()
    ),
    "flag_sigma": st.one_of(
        NOT_NUMBERS, NON_FINITE, st.floats(max_value=0), st.floats(30.000001, 1e300), st.none()
    ),
    "min_pairs_roll": st.one_of(
        NOT_NUMBERS,
        st.floats(allow_nan=True),
        st.integers(max_value=1),
        st.integers(min_value=2**31),
        st.none(),
    ),
    "min_spread": st.one_of(NOT_NUMBERS, NON_FINITE, st.floats(max_value=-1e-300), st.none()),
    "max_iterations": st.one_of(
        NOT_NUMBERS,
        st.floats(allow_nan=True),
        st.integers(max_value=-1),
        st.integers(min_value=2**31),
        st.none(),
    ),
}
GOOD_OPTIONS: dict[str, st.SearchStrategy[Any]] = {
    "k_sigma": st.floats(1e-3, 1e3),
    "residual_limit": st.one_of(st.none(), st.floats(1e-3, 1e3)),
    "flag_threshold": st.floats(0, 1e3),
    "flag_sigma": st.floats(1e-3, 30),
    "min_pairs_roll": st.one_of(st.integers(2, 100), st.just(2**31 - 1)),
    "min_spread": st.floats(0, 1e4),
    "max_iterations": st.integers(0, 100),
}


@CASES
@given(data=st.data())
def test_a_bad_option_raises_validation_error_naming_it_and_its_value(data: Any) -> None:
    name = data.draw(st.sampled_from(sorted(BAD_OPTIONS)))
    value = data.draw(BAD_OPTIONS[name])
    with pytest.raises(ValidationError) as info:
        AlignmentOptions(**{name: value})
    assert name in str(info.value) and repr(value) in str(info.value)
    with pytest.raises(ValidationError, match=name):
        cross_match.fit_alignment(simulate(np.random.default_rng(0), [2]).table, **{name: value})


@CASES
@given(options=st.fixed_dictionaries({}, optional=GOOD_OPTIONS))
def test_good_options_are_kept_and_reported(options: dict[str, Any]) -> None:
    built = AlignmentOptions(**options)
    result = fit_alignment(simulate(np.random.default_rng(0), [3, 1]).table, built)
    for name, value in options.items():
        assert getattr(built, name) == value
        expected = math.nan if value is None else value
        np.testing.assert_array_equal(result[name], expected)


def test_unknown_options_are_named() -> None:
    table = simulate(np.random.default_rng(0), [2]).table
    with pytest.raises(ValidationError, match=r"\['ksigma', 'residlim'\]"):
        cross_match.fit_alignment(table, ksigma=3, residlim=1.0)


def test_the_flag_chi_square_matches_the_gaussian_tail() -> None:
    for sigmas in (1.0, 2.0, 3.0, 5.0, 10.0):
        expected = stats.chi2.isf(2 * stats.norm.sf(sigmas), df=2)
        assert AlignmentOptions(flag_sigma=sigmas).flag_chi2 == pytest.approx(expected, rel=1e-9)


# --- bad tables ----------------------------------------------------------------------------

NUMERIC = ("x_y_angle", "x_z_angle", "dy", "dz", "net_counts", "r_angle")


@st.composite
def bad_tables(draw: Any) -> tuple[Table, str, int | None]:
    """A generated table with one bad value: (table, column, obsid of its row or None)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    table = simulate(rng, draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))).table
    row = draw(st.integers(0, len(table) - 1))
    column = draw(st.sampled_from([*NUMERIC, "obsid", "c_pos_err"]))
    if column == "obsid":
        value = draw(st.sampled_from([0, -3, 2**31, 2**40, 1.5, math.nan, math.inf]))
        table["obsid"] = table["obsid"].astype(float)
    elif column == "c_pos_err":
        table[column] = np.full(len(table), np.nan)
        value = draw(st.sampled_from([-0.1, math.inf, -math.inf, 2e6]))
    else:
        choices = [math.nan, math.inf, -math.inf]
        if column != "net_counts":
            choices += [draw(st.floats(1_296_000.5, 1e300)), -draw(st.floats(1_296_000.5, 1e300))]
        if column == "r_angle":
            choices.append(-draw(st.floats(1e-6, 1e3)))
        value = draw(st.sampled_from(choices))
    obsid = None if column == "obsid" else int(table["obsid"][row])
    table[column][row] = value
    return table, column, obsid


@CASES
@given(case=bad_tables())
def test_a_bad_value_raises_validation_error_naming_the_column_and_obsid(
    case: tuple[Table, str, int | None],
) -> None:
    table, column, obsid = case
    with pytest.raises(ValidationError) as info:
        fit_alignment(table)
    message = str(info.value)
    assert repr(column) in message
    if obsid is not None:
        assert f"obsid {obsid})" in message


@pytest.mark.parametrize("column", INPUT_COLUMNS)
def test_a_missing_column_is_named(column: str) -> None:
    table = simulate(np.random.default_rng(0), [2]).table
    table.remove_column(column)
    with pytest.raises(SchemaError, match=column):
        fit_alignment(table)


def test_masked_values_and_text_in_numbers_are_refused() -> None:
    table = simulate(np.random.default_rng(0), [2, 2]).table
    table["dz"] = MaskedColumn(table["dz"], mask=[False, False, True, False])
    with pytest.raises(ValidationError, match=r"'dz'.*obsid 1001"):
        fit_alignment(table)
    table["dz"] = ["0.1", "x", "0.2", "0.3"]
    with pytest.raises(SchemaError, match="dz"):
        fit_alignment(table)


@st.composite
def hostile_inputs(draw: Any) -> tuple[Table, dict[str, Any]]:
    n = draw(st.integers(0, 4))
    good = simulate(np.random.default_rng(n), [1] * n).table if n else None
    columns: dict[str, Any] = {}
    for name in (*INPUT_COLUMNS, "select_name", "c_pos_err"):
        action = draw(st.sampled_from(["good"] * 6 + ["drop", "hostile"]))
        if (
            action == "drop"
            or (good is None and action == "good")
            or (action == "good" and name not in good.colnames)
        ):
            continue
        columns[name] = (
            list(good[name])
            if action == "good"
            else draw(st.lists(SCALARS, min_size=n, max_size=n))
        )
    try:
        table = Table(columns)
    except Exception:  # a column numpy cannot hold: the caller never gets such a table
        table = Table()
    names = draw(st.lists(st.sampled_from([*OPTION_COLUMNS, "nonsense"]), max_size=3, unique=True))
    return table, {name: draw(SCALARS) for name in names}


@pytest.mark.slow
@FUZZ
@given(inputs=hostile_inputs())
def test_fuzz_fit_alignment(inputs: tuple[Table, dict[str, Any]]) -> None:
    table, options = inputs
    try:
        result = cross_match.fit_alignment(table, **options)
    except AstromonError as exc:
        assert str(exc)
        return
    expected = [*RESULT_COLUMNS, *OPTION_COLUMNS]
    assert [c for c in result.colnames if c != "select_name"] == expected
    keys = [c for c in ("select_name", "obsid") if c in table.colnames]
    assert len(result) == len({tuple(str(v) for v in row) for row in table[keys]})
    assert np.all(np.isfinite(result["dy"])) and np.all(np.isfinite(result["dy_err"]))
