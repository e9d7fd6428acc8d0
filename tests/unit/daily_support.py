"""Daily-run records for the tests: a typical run, hypothesis strategies of hostile runs, and a
fake notifier."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

from astromon.domain.accuracy import AccuracyFigures, AccuracyStatement
from astromon.domain.alarms import Alarm, AlarmKind
from astromon.domain.daily_run import DailyRun, ObservationNote
from astromon.domain.mail import check_addresses
from astromon.domain.statistics import DETECTORS, SECONDS_PER_YEAR
from astromon.domain.time import CxoTime
from astromon.ports.notifier import NotificationError

HOSTILE_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(exclude_categories=())),  # every code point, surrogates too
    st.sampled_from(
        [
            "",
            "\x00",
            "line one\nline two\r\nline three",
            "\u2028\u2029\x85\x1c\x1d\x1e",  # line breaks str.splitlines knows, JSON does not
            "\udc80\udcff",  # lone surrogates (undecodable file names, surrogateescape)
            '"}{\\"',
            "\x1b[31mred\x1b[0m",
            "Ω Cen ✓ 🛰",
            "Subject: injected\r\nBcc: x@example.org",
        ]
    ),
    st.integers(1_000, 20_000).map(lambda n: "x" * n),
)
"""Text a run may carry: control characters, line breaks, surrogates, huge strings."""

OBSIDS = st.integers(1, 2**40)
FINITE = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**53), 2**53),
)
RADII = st.floats(0.0, 1e6, allow_nan=False)

NOTES = st.builds(ObservationNote, OBSIDS, HOSTILE_TEXT, HOSTILE_TEXT)
ALARMS = st.builds(
    Alarm,
    st.one_of(st.sampled_from([k.value for k in AlarmKind]), HOSTILE_TEXT.filter(bool)),
    HOSTILE_TEXT,
    FINITE,
    FINITE,
)


NAN = math.nan


@st.composite
def figures(draw: st.DrawFn) -> AccuracyFigures:
    """Figures with or without matches (a figure may be NaN with matches: an overflow)."""
    n = draw(st.integers(0, 2**40))
    if n == 0:
        return AccuracyFigures(0, NAN, NAN, NAN, NAN, NAN, NAN)
    radii = draw(st.lists(st.one_of(RADII, st.just(NAN)), min_size=5, max_size=5))
    return AccuracyFigures(n, *radii, percent_above_1arcsec=draw(st.floats(0, 100)))


@st.composite
def statements(draw: st.DrawFn) -> AccuracyStatement:
    """Accuracy statements over any window from 1998 to 2099, with any of the detectors."""
    end = draw(st.floats(0.0, 3.2e9))
    n_years = draw(st.floats(1e-3, 30.0))
    detectors = draw(st.lists(st.sampled_from(DETECTORS), unique=True))
    return AccuracyStatement(
        start=end - n_years * SECONDS_PER_YEAR,
        end=end,
        n_years=n_years,
        snr=draw(st.one_of(st.none(), st.floats(0, 100))),
        overall=draw(figures()),
        detectors={name: draw(figures()) for name in detectors},
    )


RUNS = st.builds(
    DailyRun,
    start=HOSTILE_TEXT,
    start_date=HOSTILE_TEXT,
    exit_code=st.integers(0, 255),
    stop=HOSTILE_TEXT,
    stop_date=HOSTILE_TEXT,
    database=HOSTILE_TEXT,
    days=st.one_of(st.none(), st.integers(0, 10**6)),
    processed=st.lists(OBSIDS, max_size=5).map(tuple),
    failed=st.lists(NOTES, max_size=4).map(tuple),
    skipped=st.lists(NOTES, max_size=4).map(tuple),
    figures=st.one_of(st.none(), statements().map(AccuracyStatement.record)),
    selection=st.lists(HOSTILE_TEXT, max_size=3).map(tuple),
    max_q90=st.floats(1e-3, 1e3),
    alarms=st.lists(ALARMS, max_size=4).map(tuple),
    error=HOSTILE_TEXT,
    astromon_version=HOSTILE_TEXT,
    host=HOSTILE_TEXT,
    pid=st.one_of(st.none(), st.integers(1, 2**31)),
)
"""Any valid record, with hostile strings everywhere a string goes."""


TYPICAL_NOW = float(CxoTime("2024:122:06:00:00.000").secs)
TYPICAL_ACCURACY = AccuracyStatement(
    start=TYPICAL_NOW - 5 * SECONDS_PER_YEAR,
    end=TYPICAL_NOW,
    n_years=5.0,
    snr=5.0,
    overall=AccuracyFigures(1234, 0.512, 1.7, 2.25, 3.5, 0.71, 12.5),
    detectors={
        "ACIS-S": AccuracyFigures(1000, 0.5, 1.6, 2.2, 3.5, 0.7, 11.0),
        "ACIS-I": AccuracyFigures(200, 0.6, 1.9, 2.4, 3.1, 0.8, 18.0),
        "HRC-S": AccuracyFigures(0, NAN, NAN, NAN, NAN, NAN, NAN),
        "HRC-I": AccuracyFigures(34, 0.4, 1.2, 1.4, 1.5, 0.5, 15.0),
    },
)
"""The accuracy statement of :func:`typical_run`: 1234 matches from 2019-05-02 to 2024-05-01."""
TYPICAL_SELECTION = ("The 'astromon_21' cross-match.", "Sources with S/N >= 5.")


def typical_run(**changes: object) -> DailyRun:
    """A run with two failures, a skip, figures over 1234 matches and two alarms."""
    values: dict[str, object] = {
        "start_date": "2024:122:06:00:00.000",
        "stop_date": "2024:122:06:12:30.500",
        "database": "/data/astromon.duckdb",
        "days": 30,
        "processed": [27001, 27002, 27003],
        "failed": [
            ObservationNote(27010, "ProcessingError", "celldetect exited with status 1\nno map"),
            ObservationNote(27011, "ToolError", "arc5gl: no files for obsid 27011"),
        ],
        "skipped": [ObservationNote(26999, "already in database", "use force to redo")],
        "accuracy": TYPICAL_ACCURACY,
        "selection": TYPICAL_SELECTION,
        "alarms": [
            Alarm(AlarmKind.FAILED_OBSERVATIONS.value, "2 observations failed: 27010, 27011", 2, 0),
            Alarm(AlarmKind.Q90_RADIUS.value, "the 90% radius is 1.700 arcsec", 1.7, 1.5),
        ],
        "astromon_version": "0.1.0",
        "host": "ops1",
        "pid": 4242,
    }
    values.update(changes)
    return DailyRun.finished(**values)  # type: ignore[arg-type]


@dataclass
class RecordingNotifier:
    """A fake of the ``Notifier`` port, modelled on
    ``astromon_adapters.operations.smtp_mail.SmtpNotifier``: it checks the recipients as the
    adapter does (a ValidationError naming a bad address), keeps each message it accepts, and
    fails as a failed send does, with a NotificationError naming the server and the reason,
    when ``failure`` is set."""

    failure: str = ""
    server: str = "127.0.0.1:25"
    sent: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)

    def send(self, subject: str, body: str, recipients: Sequence[str]) -> None:
        to = check_addresses(recipients, "recipient")
        if self.failure:
            raise NotificationError(
                f"e-mail not sent through SMTP server {self.server}: {self.failure}"
            )
        self.sent.append((subject, body, to))
