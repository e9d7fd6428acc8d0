"""The accuracy figures of the daily run, its alarms and its exit code."""

from __future__ import annotations

import datetime
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from astromon.domain.accuracy import AccuracyFigures, accuracy_figures
from astromon.domain.alarms import (
    DEFAULT_MAX_Q90,
    EXIT_ALARM,
    EXIT_ERROR,
    EXIT_OK,
    Alarm,
    evaluate_alarms,
    exit_code,
)
from astromon.domain.errors import ValidationError
from astromon.domain.time import CxoTime
from tests.unit.fuzz_strategies import FUZZ

YEAR = 365.25 * 86400.0  # s: the Julian year of the accuracy statement
NOW = 800_000_000.0  # CXC s (2023:129)


def _figures(q90: float | None, n: int = 100) -> AccuracyFigures:
    radius = None if n == 0 else q90
    return AccuracyFigures(n, radius, radius, radius, radius, "2019:001", "2024:001")


@FUZZ
@given(
    hnp.arrays(np.float64, st.integers(0, 300), elements=st.floats(0, 10)),
    st.data(),
)
def test_the_radii_are_the_percentiles_of_dr_over_the_last_five_years(
    dr: np.ndarray, data: st.DataObject
) -> None:
    times = data.draw(
        hnp.arrays(np.float64, dr.size, elements=st.floats(NOW - 8 * YEAR, NOW + YEAR))
    )
    figures = accuracy_figures(dr, times, NOW, selection="astromon_21, snr >= 5")
    inside = [d for d, t in zip(dr, times, strict=True) if NOW - 5 * YEAR < t <= NOW]
    assert figures.n == len(inside)
    assert figures.selection == "astromon_21, snr >= 5"
    if not inside:
        assert (figures.q68, figures.q90, figures.q99, figures.max_offset) == (None,) * 4
        return
    expected = np.percentile(np.array(inside), [68, 90, 99])
    assert [figures.q68, figures.q90, figures.q99] == pytest.approx(expected, rel=1e-12)
    assert figures.max_offset == max(inside)


def test_the_window_edges_and_dates() -> None:
    start = NOW - 5 * YEAR
    figures = accuracy_figures(
        [1.0, 2.0, 3.0, 4.0, np.nan], [start, start + 1, NOW, NOW + 1, NOW], NOW
    )
    assert figures.n == 2 and figures.max_offset == 3.0  # start excluded, now included, NaN out
    # CXC seconds count from 1998-01-01T00:00:00 TT = 1997-12-31T23:58:56.816 UTC (TT - UTC =
    # 32.184 s + 31 leap seconds); 6 leap seconds were inserted between 1998 and 2023
    utc = datetime.datetime(1997, 12, 31, 23, 58, 56, 816000) + datetime.timedelta(seconds=NOW - 6)
    assert figures.window_stop == utc.strftime("%Y:%j:%H:%M:%S.%f")[:-3] == "2023:129:06:12:10.816"
    assert figures.window_start == CxoTime(start).date
    assert figures.years == 5.0
    assert accuracy_figures([1.0], [NOW - 1.5 * YEAR], NOW, years=1.0).n == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: accuracy_figures([1.0], [1.0, 2.0], NOW), "dr and times differ in length (1, 2)"),
        (lambda: accuracy_figures(["a"], [1.0], NOW), "dr and times must be numeric"),
        (lambda: accuracy_figures([1.0], [1.0], math.nan), "now must be a finite time"),
        (lambda: accuracy_figures([1.0], [1.0], NOW, years=0), "years must be a positive"),
        (lambda: AccuracyFigures(0, 1.0, None, None, None, "", ""), "q68 = 1.0 although n = 0"),
        (lambda: AccuracyFigures(2, None, 1.0, 1.0, 1.0, "", ""), "q68 is missing although n = 2"),
        (lambda: AccuracyFigures(1, 1.0, math.inf, 1.0, 1.0, "", ""), "q90 must be a finite"),
        (lambda: AccuracyFigures(-1, None, None, None, None, "", ""), "n must be a count >= 0"),
    ],
)
def test_bad_figures_are_refused(call: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()  # type: ignore[operator]


def test_each_alarm_names_what_fired_its_value_and_its_limit() -> None:
    alarms = evaluate_alarms([27011, 27010, 27010], _figures(1.7), flagged=[30001])
    assert [(a.kind, a.value, a.limit) for a in alarms] == [
        ("failed_observations", 2, 0),
        ("q90_radius", 1.7, DEFAULT_MAX_Q90),
        ("flagged_observations", 1, 0),
    ]
    assert alarms[0].message == "2 observations failed: 27010, 27011"
    assert alarms[1].message == (
        "the 90% radius is 1.700 arcsec, above the limit of 1.5 arcsec "
        "(100 matches from 2019:001 to 2024:001)"
    )
    assert alarms[2].message == ("1 observation flagged by the per-observation alignment: 30001")


def test_the_q90_alarm_fires_only_above_its_limit() -> None:
    assert evaluate_alarms([], _figures(1.5)) == ()
    assert evaluate_alarms([], _figures(math.nextafter(1.5, 2)))[0].kind == "q90_radius"
    assert evaluate_alarms([], _figures(0.9), max_q90=0.8)[0].limit == 0.8
    assert evaluate_alarms([], _figures(None, n=0), max_q90=0.1) == ()  # no matches: no radius
    assert evaluate_alarms([], None) == ()
    assert evaluate_alarms([], _figures(0.5), flagged=None) == ()
    assert evaluate_alarms([], _figures(0.5), flagged=[]) == ()


def test_many_failed_obsids_are_listed_up_to_twenty() -> None:
    alarm = evaluate_alarms(list(range(1, 31)), None)[0]
    assert alarm.value == 30
    assert alarm.message.endswith("19, 20 and 10 more")


@pytest.mark.parametrize("limit", [0, -1.0, math.nan, math.inf, "1.5", True])
def test_a_bad_limit_is_named(limit: object) -> None:
    with pytest.raises(
        ValidationError, match=f"max_q90 must be a positive number of arcsec, got {limit!r}"
    ):
        evaluate_alarms([], None, max_q90=limit)  # type: ignore[arg-type]


def test_a_bad_obsid_is_named() -> None:
    with pytest.raises(ValidationError, match="obsid must be a positive integer, got -3"):
        evaluate_alarms([-3], None)
    with pytest.raises(ValidationError, match="obsid must be an integer, got 'x'"):
        evaluate_alarms([], None, flagged=["x"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("kind", "message", "value", "limit", "wrong"),
    [
        ("", "m", 1, 0, "alarm kind must be a non-empty string"),
        ("k", None, 1, 0, "alarm message must be a string"),
        ("k", "m", math.nan, 0, "alarm value must be a finite number"),
        ("k", "m", 1, "0", "alarm limit must be a finite number"),
    ],
)
def test_a_bad_alarm_is_refused(
    kind: str, message: str, value: float, limit: float, wrong: str
) -> None:
    with pytest.raises(ValidationError, match=wrong):
        Alarm(kind, message, value, limit)


def test_the_exit_code_rule() -> None:
    alarm = Alarm("q90_radius", "", 2.0, 1.5)
    assert (EXIT_OK, EXIT_ALARM, EXIT_ERROR) == (0, 3, 1)
    assert exit_code([]) == 0
    assert exit_code([alarm]) == 3
    assert exit_code([], error=True) == 1
    assert exit_code([alarm], error=True) == 1
