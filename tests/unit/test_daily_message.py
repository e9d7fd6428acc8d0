"""The e-mail of a daily run: subject, alert body, success notice, which one is sent."""

from __future__ import annotations

import math
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP

from hypothesis import given

from astromon.domain.accuracy import AccuracyFigures
from astromon.domain.daily_message import alert_message, outcome, run_message, success_message
from astromon.domain.daily_run import DailyRun, ObservationNote
from tests.unit.daily_support import RUNS, TYPICAL_ACCURACY, typical_run
from tests.unit.fuzz_strategies import FUZZ


def test_the_subject_names_the_database_and_the_outcome() -> None:
    assert alert_message(typical_run()).subject == (
        "astromon daily on /data/astromon.duckdb: 2 alarms"
    )
    failed = typical_run(error="DatabaseError: /data/astromon.duckdb is damaged")
    assert alert_message(failed).subject == "astromon daily on /data/astromon.duckdb: failed"
    ok = typical_run(alarms=[], failed=[])
    assert success_message(ok).subject == "astromon daily on /data/astromon.duckdb: ok"
    assert outcome(typical_run(alarms=typical_run().alarms[1:])) == "1 alarm"
    assert outcome(DailyRun("t", "d", 3)) == "partial failure"
    assert outcome(DailyRun("t", "d", 2)) == "exit code 2"


def test_the_alert_holds_the_summary_the_radius_the_alarms_and_each_failure() -> None:
    body = alert_message(typical_run()).body
    for line in [
        "  database    /data/astromon.duckdb",
        "  started     2024-05-01T06:00:00.000Z (2024:122:06:00:00.000)",
        "  finished    2024-05-01T06:12:30.500Z (2024:122:06:12:30.500)",
        "  host        ops1, PID 4242, astromon 0.1.0",
        "  exit code   3 (partial failure or alarm)",
        "  window      observations of the 30 days before 2024:122:06:00:00.000",
        "  obsids      3 processed, 2 failed, 1 skipped",
        "Accuracy over the 5 years before now, 2019-05-02 to 2024-05-01, S/N >= 5",
        "  90% radius  1.700 arcsec (limit 1.5 arcsec) over 1234 matches",
        "  all        1234   0.71   0.51   1.70   2.25   3.50   12.5",
        "  ACIS-I      200   0.80   0.60   1.90   2.40   3.10   18.0",
        "  HRC-S         0      -      -      -      -      -      -",
        "  Selection",
        "    The 'astromon_21' cross-match.",
        "    Sources with S/N >= 5.",
        "  - failed_observations: 2 observations failed: 27010, 27011 (value 2, limit 0)",
        "  - q90_radius: the 90% radius is 1.700 arcsec (value 1.7, limit 1.5)",
        "  27010  ProcessingError",
        "         celldetect exited with status 1",
        "         no map",
        "  27011  ToolError",
        "         arc5gl: no files for obsid 27011",
        "  already in database: 1 (26999)",
    ]:
        assert line in body.splitlines(), line


def test_a_failed_run_shows_its_error_and_a_run_without_figures_says_so() -> None:
    run = typical_run(error="DatabaseError: cannot open\nthe file", accuracy=None, alarms=[])
    lines = alert_message(run).body.splitlines()
    assert lines[lines.index("Error") + 1 : lines.index("Error") + 3] == [
        "  DatabaseError: cannot open",
        "  the file",
    ]
    assert lines[lines.index("Accuracy") + 1] == "  not computed"
    assert "  exit code   1 (the run failed)" in lines


def test_the_statement_is_worded_as_the_report_words_it_and_wrapped() -> None:
    lines = alert_message(typical_run()).body.splitlines()
    start = lines.index("  90% radius  1.700 arcsec (limit 1.5 arcsec) over 1234 matches") + 1
    block = lines[start : lines.index("  Selection")]
    words = " ".join(line.strip() for line in block[:6])
    assert words.startswith(
        "The overall 90% uncertainty circle of Chandra X-ray absolute positions, based on "
        "observations between 2019-05-02 and 2024-05-01, has a radius of 1.70 arcsec."
    )
    assert "These values apply to sources within 3 arcmin of the aimpoint" in words
    assert all(
        len(line) <= 78 for line in lines[lines.index("Alarms") - 20 : lines.index("Alarms")]
    )


def test_a_statement_without_matches_has_no_radius() -> None:
    empty = replace(
        TYPICAL_ACCURACY,
        overall=AccuracyFigures(0, *[math.nan] * 6),
        detectors={},
    )
    run = typical_run(accuracy=empty, alarms=[], failed=[])
    body = alert_message(run).body
    assert "90% radius" not in body
    assert "No cross-match of the selection falls between 2019-05-02 and 2024-05-01" in " ".join(
        line.strip() for line in body.splitlines()
    )
    assert success_message(run).body.count("\n") == 4  # subject, blank, finished, observations


def test_a_long_failure_message_is_cut() -> None:
    note = ObservationNote(5, "ProcessingError", "\n".join(f"line {i}" for i in range(50)))
    lines = alert_message(typical_run(failed=[note])).body.splitlines()
    start = lines.index("  5  ProcessingError")
    assert lines[start + 1 : start + 12] == [f"     line {i}" for i in range(10)] + [
        "     (40 more lines)"
    ]


def test_the_success_notice_is_short() -> None:
    notice = success_message(typical_run(alarms=[], failed=[]))
    assert notice.body.splitlines() == [
        "astromon daily on /data/astromon.duckdb: ok",
        "",
        "Finished 2024-05-01T06:12:30.500Z on ops1, PID 4242, astromon 0.1.0.",
        "Observations of the 30 days before 2024:122:06:00:00.000: 3 processed, 0 failed, "
        "1 skipped.",
        "90% radius 1.700 arcsec (limit 1.5 arcsec) over 1234 matches of the 5 years before "
        "now, 2019-05-02 to 2024-05-01, S/N >= 5.",
    ]


def test_which_message_is_sent() -> None:
    ok = typical_run(alarms=[], failed=[])
    assert run_message(ok) is None
    assert run_message(ok, notify_success=True) == success_message(ok)
    assert run_message(typical_run()) == alert_message(typical_run())
    failed = typical_run(error="boom")
    assert run_message(failed, notify_success=True) == alert_message(failed)


@FUZZ
@given(RUNS)
def test_any_run_gives_a_one_line_subject_and_a_body_any_mail_system_carries(
    run: DailyRun,
) -> None:
    for message in (alert_message(run), success_message(run)):
        assert message.subject.isprintable()
        assert all(line.isprintable() for line in message.body.splitlines())
        assert message.body.endswith("\n")
        message.body.encode("utf-8")  # no lone surrogate left
        mail = EmailMessage(policy=SMTP)
        mail["Subject"] = message.subject  # refuses a line break (header injection)
        mail.set_content(message.body)
        mail.as_bytes()
    body = alert_message(run).body
    for note in run.failed:
        assert f"  {note.obsid}  " in body
    for alarm in run.alarms:
        assert f"(value {alarm.value:g}, limit {alarm.limit:g})" in body
