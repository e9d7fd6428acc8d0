"""The alarms of the daily run, the window and selection its record states, its exit code.

The q90 alarm's definition: the overall 90% radius (all detectors) of the accuracy statement,
the 90th percentile of dr over the matches of ``now - 5 years < t <= now`` (a year of 365.25
days), fires above the limit. The statement's figures themselves are tested in
``test_accuracy.py``.
"""

from __future__ import annotations

import datetime
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from astromon.domain.accuracy import AccuracyFigures, AccuracyStatement, accuracy_statement
from astromon.domain.alarms import (
    DEFAULT_MAX_Q90,
    EXIT_ALARM,
    EXIT_ERROR,
    EXIT_OK,
    Alarm,
    evaluate_alarms,
    exit_code,
)
from astromon.domain.daily_message import alert_message
from astromon.domain.daily_run import run_from_json, run_to_json
from astromon.domain.errors import ValidationError
from astromon.domain.time import CxoTime
from tests.unit.daily_support import typical_run
from tests.unit.fuzz_strategies import FUZZ

YEAR = 365.25 * 86400.0  # s: the Julian year of the accuracy statement
NOW = 800_000_000.0  # CXC s (2023:129)
DETECTORS = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")


def _statement(q90: float, n: int = 100) -> AccuracyStatement:
    """A statement from 2019-01-01 to 2024-01-01 whose overall radii are all ``q90``."""
    radius = q90 if n else math.nan
    overall = AccuracyFigures(n, radius, radius, radius, radius, radius, 0.0 if n else math.nan)
    start, end = CxoTime("2019-01-01").secs, CxoTime("2024-01-01").secs
    return AccuracyStatement(float(start), float(end), 5.0, 5.0, overall)


@FUZZ
@given(
    hnp.arrays(np.float64, st.integers(0, 300), elements=st.floats(0, 10) | st.just(float("nan"))),
    st.floats(0.01, 10),
    st.data(),
)
def test_the_q90_alarm_is_the_90th_percentile_of_dr_over_the_last_five_years(
    dr: np.ndarray, limit: float, data: st.DataObject
) -> None:
    times = data.draw(
        hnp.arrays(np.float64, dr.size, elements=st.floats(NOW - 8 * YEAR, NOW + YEAR))
    )
    detector = data.draw(hnp.arrays("U6", dr.size, elements=st.sampled_from(DETECTORS)))
    statement = accuracy_statement(dr, detector, times, NOW)
    alarms = evaluate_alarms([], statement, max_q90=limit)
    inside = [
        d for d, t in zip(dr, times, strict=True) if NOW - 5 * YEAR < t <= NOW and math.isfinite(d)
    ]
    q90 = float(np.percentile(inside, 90)) if inside else math.nan
    if not inside or q90 <= limit:
        assert alarms == ()
        return
    [alarm] = alarms
    assert (alarm.kind, alarm.limit) == ("q90_radius", limit)
    assert alarm.value == pytest.approx(q90, rel=1e-12)
    assert f"({len(inside)} match" in alarm.message


def test_the_record_states_the_window_and_the_selection() -> None:
    statement = accuracy_statement([0.5, 2.0], ["ACIS-S", "HRC-I"], [NOW - YEAR, NOW], NOW)
    selection = ("The 'astromon_21' cross-match.", "Sources with S/N >= 5.")
    run = typical_run(accuracy=statement, selection=selection)
    # CXC seconds count from 1998-01-01T00:00:00 TT = 1997-12-31T23:58:56.816 UTC (TT - UTC =
    # 32.184 s + 31 leap seconds); 6 leap seconds were inserted between 1998 and 2018
    epoch = datetime.datetime(1997, 12, 31, 23, 58, 56, 816000)
    end = epoch + datetime.timedelta(seconds=NOW - 6)
    start = epoch + datetime.timedelta(seconds=NOW - 5 * YEAR - 6)
    assert (end.isoformat()[:19], start.isoformat()[:19]) == (
        "2023-05-09T06:12:10",
        "2018-05-09T00:12:10",
    )
    assert run.figures is not None
    assert (run.figures["start_date"], run.figures["end_date"], run.figures["n_years"]) == (
        "2018-05-09",
        "2023-05-09",
        5.0,
    )
    assert run.selection == selection
    again = run_from_json(run_to_json(run))
    assert again == run and again.figures == statement.record()
    body = alert_message(again).body.splitlines()
    assert "Accuracy over the 5 years before now, 2018-05-09 to 2023-05-09" in body
    assert body[body.index("  Selection") + 1 :][:2] == [f"    {s}" for s in selection]


def test_each_alarm_names_what_fired_its_value_and_its_limit() -> None:
    alarms = evaluate_alarms([27011, 27010, 27010], _statement(1.7), flagged=[30001])
    assert [(a.kind, a.value, a.limit) for a in alarms] == [
        ("failed_observations", 2, 0),
        ("q90_radius", 1.7, DEFAULT_MAX_Q90),
        ("flagged_observations", 1, 0),
    ]
    assert alarms[0].message == "2 observations failed: 27010, 27011"
    assert alarms[1].message == (
        "the 90% radius is 1.700 arcsec, above the limit of 1.5 arcsec "
        "(100 matches from 2019-01-01 to 2024-01-01)"
    )
    assert alarms[2].message == ("1 observation flagged by the per-observation alignment: 30001")


def test_the_q90_alarm_fires_only_above_its_limit() -> None:
    assert evaluate_alarms([], _statement(1.5)) == ()
    assert evaluate_alarms([], _statement(math.nextafter(1.5, 2)))[0].kind == "q90_radius"
    assert evaluate_alarms([], _statement(0.9), max_q90=0.8)[0].limit == 0.8
    assert evaluate_alarms([], _statement(0.0, n=0), max_q90=0.1) == ()  # no match: no radius
    assert evaluate_alarms([], None) == ()
    assert evaluate_alarms([], _statement(0.5), flagged=None) == ()
    assert evaluate_alarms([], _statement(0.5), flagged=[]) == ()


def test_the_q90_alarm_reads_the_overall_radius_not_a_detector() -> None:
    worst = AccuracyFigures(10, 2.0, 3.0, 4.0, 5.0, 2.5, 90.0)
    statement = AccuracyStatement(
        0.0, 5 * YEAR, 5.0, None, _statement(1.0).overall, {"HRC-I": worst}
    )
    assert evaluate_alarms([], statement) == ()
    with_overall = AccuracyStatement(
        0.0, 5 * YEAR, 5.0, None, worst, {"ACIS-S": _statement(1.0).overall}
    )
    assert evaluate_alarms([], with_overall)[0].value == 3.0


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
