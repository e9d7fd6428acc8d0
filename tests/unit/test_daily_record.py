"""The record of a daily run: exact JSON lines, lenient layout, strict values, damaged lines."""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from astromon.domain.accuracy import AccuracyStatement
from astromon.domain.accuracy_json import read_statement
from astromon.domain.daily_run import DailyRun, iso_utc, run_from_json, run_to_json
from astromon.domain.errors import ValidationError
from astromon.domain.run_history import read_run_lines
from tests.unit.daily_support import RUNS, statements, typical_run
from tests.unit.fuzz_strategies import FUZZ

KEYS = [
    "format", "start", "start_date", "stop", "stop_date", "database", "days", "processed",
    "failed", "skipped", "figures", "selection", "max_q90", "alarms", "exit_code", "error",
    "astromon_version", "host", "pid",
]  # fmt: skip
"""Every key of a record line, in the documented order."""


@FUZZ
@given(RUNS)
def test_a_record_reads_back_exactly_whatever_its_strings(run: DailyRun) -> None:
    line = run_to_json(run)
    assert run_from_json(line) == run
    assert line.isascii() and "\n" not in line and "\r" not in line
    assert list(json.loads(line)) == KEYS
    assert run_to_json(run_from_json(line)) == line


@FUZZ
@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(0, 1e300))
def test_numbers_are_written_to_the_last_bit(value: float, radius: float) -> None:
    base = typical_run()
    data = json.loads(run_to_json(base))
    data["alarms"][0]["value"] = value
    data["figures"]["q99"] = radius
    run = run_from_json(json.dumps(data))
    assert run.alarms[0].value == value and math.copysign(1, run.alarms[0].value) == math.copysign(
        1, value
    )
    assert run.figures is not None and run.figures["q99"] == radius


@FUZZ
@given(statements())
def test_the_accuracy_statement_reads_back_to_the_same_record(statement: AccuracyStatement) -> None:
    record = statement.record()
    again = read_statement(json.loads(json.dumps(record, allow_nan=False)))
    assert again.record() == record
    assert (again.start_date, again.end_date) == (statement.start_date, statement.end_date)
    assert list(again.detectors) == [
        d for d in ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I") if d in statement.detectors
    ]


def test_finished_derives_iso_times_and_the_exit_code() -> None:
    run = typical_run()
    # 2024 day 122 is 1 May: day-of-year counting written out independently
    start = datetime.datetime(2024, 1, 1, 6) + datetime.timedelta(days=121)
    assert run.start == start.strftime("%Y-%m-%dT%H:%M:%S.000Z") == "2024-05-01T06:00:00.000Z"
    assert run.stop == "2024-05-01T06:12:30.500Z"
    assert run.exit_code == 3
    assert typical_run(alarms=[], failed=[]).exit_code == 0
    assert typical_run(error="DatabaseError: cannot open /data/astromon.duckdb").exit_code == 1
    with pytest.raises(ValidationError, match="'yesterday' is not a Chandra date"):
        iso_utc("yesterday")


def test_a_record_of_a_newer_version_still_reads() -> None:
    data = json.loads(run_to_json(typical_run()))
    data.update(format=7, cluster={"workers": 12}, web_dir="/web")
    data["failed"][0]["retries"] = 3
    data["figures"]["q95"] = 1.9
    data["figures"]["XRISM"] = {"n": 3}
    data["alarms"].append({"kind": "calalign_drift", "message": "new", "value": 2, "limit": 1})
    run = run_from_json(json.dumps(data))
    assert run.failed == typical_run().failed
    assert run.alarms[-1].kind == "calalign_drift"
    assert run.figures == typical_run().figures


def test_missing_keys_take_their_defaults_but_three_are_required() -> None:
    run = run_from_json('{"start": "2024-05-01T06:00:00.000Z", "start_date": "x", "exit_code": 1}')
    assert run == DailyRun("2024-05-01T06:00:00.000Z", "x", 1)
    assert (run.processed, run.figures, run.selection, run.days, run.pid, run.max_q90) == (
        (),
        None,
        (),
        None,
        None,
        1.5,
    )
    for key in ("start", "start_date", "exit_code"):
        data = json.loads(run_to_json(typical_run()))
        del data[key]
        with pytest.raises(ValidationError, match=f"key '{key}' is missing"):
            run_from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["exit_code"], "3", "key 'exit_code': expected an integer >= 0, got '3'"),
        (["exit_code"], True, "key 'exit_code': expected an integer >= 0, got True"),
        (["pid"], 0, "key 'pid': expected an integer >= 1, got 0"),
        (["processed"], [1, -2], "key 'processed[1]': expected an integer >= 1, got -2"),
        (["failed", 0, "obsid"], 1.5, "key 'failed[0].obsid': expected an integer >= 1, got 1.5"),
        (["skipped"], {"a": 1}, "key 'skipped': expected a list"),
        (["figures", "q90"], -0.1, "key 'figures.q90': expected a number >= 0 or null, got -0.1"),
        (["figures", "n"], None, "key 'figures.n': expected a count >= 0, got None"),
        (["figures"], [], "key 'figures': expected an object, got []"),
        (["figures", "end_date"], "2024:122", "key 'figures.end_date': expected a date YYYY-MM-DD"),
        (["figures", "start_date"], "2019-02-30", "key 'figures.start_date': expected a date"),
        (["figures", "snr"], "5", "key 'figures.snr': expected a number >= 0 or null, got '5'"),
        (["figures", "n_years"], 0, "key 'figures.n_years': expected a number > 0, got 0"),
        (["figures", "HRC_S", "q90"], 0.5, "key 'figures.HRC_S.q90': expected null (n is 0)"),
        (["figures", "HRC_I"], None, "key 'figures.HRC_I': expected an object, got None"),
        (
            ["figures", "ACIS_I", "percent_above_1arcsec"],
            100.5,
            "key 'figures.ACIS_I.percent_above_1arcsec': expected a percentage from 0 to 100",
        ),
        (["selection"], ["a", 3], "key 'selection[1]': expected a string, got 3"),
        (["alarms", 0, "limit"], 10**400, "key 'alarms[0].limit': expected a finite number"),
        (["alarms", 1, "value"], "NaN", "key 'alarms[1].value': expected a finite number"),
        (["alarms", 0, "kind"], "", "key 'alarms[0].kind': expected a non-empty string"),
        (["host"], 5, "key 'host': expected a string, got 5"),
        (["max_q90"], 1e400, "key 'max_q90': expected a finite number, got inf"),
    ],
)
def test_a_value_of_the_wrong_type_is_named(path: list[Any], value: Any, message: str) -> None:
    data = json.loads(run_to_json(typical_run()))
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(ValidationError) as info:
        run_from_json(json.dumps(data))
    assert str(info.value).startswith(message)


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(st.characters(exclude_categories=())),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@FUZZ
@given(st.sampled_from(KEYS), JSON_VALUES)
def test_any_value_at_any_key_is_read_or_refused_with_a_validation_error(
    key: str, value: object
) -> None:
    data = json.loads(run_to_json(typical_run()))
    data[key] = value
    try:
        run = run_from_json(json.dumps(data))
    except ValidationError as exc:
        assert repr(value)[:20] in str(exc) or key in str(exc)
        return
    assert isinstance(run, DailyRun)


FIGURE_KEYS = [
    "start_date", "end_date", "snr", "n_years", "n", "q68", "q90", "q99", "max_offset", "rms",
    "percent_above_1arcsec", "ACIS_S", "ACIS_I", "HRC_S", "HRC_I",
]  # fmt: skip
"""Every key of the accuracy statement's record (``figures``)."""


@FUZZ
@given(st.sampled_from(FIGURE_KEYS), st.sampled_from([None, "n", "q90"]), JSON_VALUES)
def test_any_value_in_the_figures_is_read_or_refused_with_a_validation_error(
    key: str, inner: str | None, value: object
) -> None:
    data = json.loads(run_to_json(typical_run()))
    assert list(data["figures"]) == FIGURE_KEYS
    if inner is not None and isinstance(data["figures"][key], dict):  # a detector's figure
        data["figures"][key][inner] = value
    else:
        data["figures"][key] = value
    try:
        run = run_from_json(json.dumps(data))
    except ValidationError as exc:
        assert str(exc).startswith("key 'figures")
        return
    assert run.figures is not None and run_from_json(run_to_json(run)) == run


@FUZZ
@given(st.one_of(st.text(st.characters(exclude_categories=())), st.binary().map(repr)))
def test_any_text_is_read_or_refused_with_a_validation_error(text: str) -> None:
    try:
        run_from_json(text)
    except ValidationError:
        return


def test_damaged_lines_are_reported_with_their_number_and_the_rest_is_read() -> None:
    runs = [typical_run(pid=pid) for pid in (11, 12, 13, 14)]
    lines = [
        run_to_json(runs[0]).encode(),
        b"",
        run_to_json(runs[1]).encode()[:57],  # cut short by a full disk
        run_to_json(runs[2]).encode() + b"\r\n",
        b"\xff\xfe not text",
        b'{"start": "x", "start_date": "y"}',
        b"   ",
        run_to_json(runs[3]).encode(),
    ]
    history = read_run_lines(lines)
    assert history.runs == (runs[0], runs[2], runs[3])
    assert [d.number for d in history.damaged] == [3, 5, 6]
    assert history.damaged[0].reason.startswith("not JSON: Unterminated string")
    assert history.damaged[1].reason == "not UTF-8 text (invalid start byte)"
    assert history.damaged[2].reason == "key 'exit_code' is missing"
    assert history.damaged[1].text == "\\xff\\xfe not text"
    last_two = read_run_lines(lines, last=2)
    assert last_two.runs == (runs[2], runs[3])
    assert [d.number for d in last_two.damaged] == [5, 6]
    assert read_run_lines(lines, last=0).runs == ()
    with pytest.raises(ValidationError, match="last must be a number of runs >= 0, got -1"):
        read_run_lines(lines, last=-1)
