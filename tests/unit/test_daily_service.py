"""The daily run service with fake ports: what it processes, records, writes and sends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.table import Table
from hypothesis import given
from hypothesis import strategies as st

from astromon.domain.alarms import AlarmKind
from astromon.domain.daily_run import ObservationNote
from astromon.domain.errors import MissingTableException, ValidationError
from astromon.domain.schema import empty_table
from astromon.domain.time import CxoTime
from astromon.ports.run_lock import RunHolder, RunLockedError
from astromon.services.batch.pipeline import outcome_writes
from astromon.services.daily import (
    ALIGNMENT_TABLE,
    MAX_DAYS,
    DailyPlan,
    DailyPorts,
    flagged_observations,
    run_daily,
)
from tests.unit.daily_fakes import (
    BreakingExecutor,
    FakeArchive,
    FakeRunLock,
    MemoryRunLog,
    RecordingRenderer,
    ports,
)
from tests.unit.daily_support import RecordingNotifier
from tests.unit.fake_store import InMemoryStore
from tests.unit.ops_fakes import ScriptedProcessor

TEAM = ("aca@example.org", "ops@example.org")
DB = "/data/astromon.duckdb"


def plan(**changes: Any) -> DailyPlan:
    values: dict[str, Any] = {"database": DB, "web_dir": Path("/www/astromon"), "recipients": TEAM}
    values.update(changes)
    return DailyPlan(**values)


def stored(store: InMemoryStore) -> list[int]:
    try:
        return sorted(int(o) for o in store.read_table("astromon_obs")["obsid"])
    except MissingTableException:
        return []


def test_failed_observations_are_recorded_alerted_and_the_pages_written() -> None:
    notifier, log, lock, renderer = (
        RecordingNotifier(),
        MemoryRunLog(),
        FakeRunLock(),
        RecordingRenderer(),
    )
    values = ports(
        processor=ScriptedProcessor({2: "error", 3: "skip"}),
        notifier=notifier,
        run_log=log,
        run_lock=lock,
        renderer=renderer,
    )
    result = run_daily(plan(), DailyPorts(**values))
    record = result.record
    assert result.exit_code == record.exit_code == 3
    assert record.processed == (1, 4)
    assert record.failed == (ObservationNote(2, "ProcessingError", "celldetect failed"),)
    assert record.skipped == (ObservationNote(3, "not selected", "obs_mode is not POINTING"),)
    assert [a.kind for a in record.alarms] == [AlarmKind.FAILED_OBSERVATIONS.value]
    assert (record.database, record.days, record.error) == (DB, 30, "")
    assert stored(values["store"]) == [1, 4]
    assert log.runs == [record]
    assert lock.events == ["acquire 2016-01-01T00:00:00.000Z", "release"]
    # the observations of the 30 days before now were asked for
    ((start, stop),) = values["archive"].asked
    assert float(CxoTime(stop).secs) - float(CxoTime(start).secs) == pytest.approx(30 * 86400)
    assert stop.startswith("2016:001")
    # the two views, from what the database holds
    ((outdir, reports),) = renderer.sites
    assert outdir == Path("/www/astromon") and sorted(reports) == ["cal", "mta"]
    assert result.page == outdir / "index.html"
    [(subject, body, to)] = notifier.sent
    assert subject == f"astromon daily on {DB}: 1 alarm"
    assert to == TEAM
    assert "  2  ProcessingError\n     celldetect failed\n" in body
    assert "  obsids      2 processed, 1 failed, 1 skipped" in body


def test_a_run_that_goes_well_sends_nothing_unless_asked() -> None:
    quiet = RecordingNotifier()
    result = run_daily(plan(), DailyPorts(**ports(notifier=quiet)))
    assert result.exit_code == 0 and result.record.alarms == ()
    assert quiet.sent == []
    told = RecordingNotifier()
    result = run_daily(plan(notify_success=True), DailyPorts(**ports(notifier=told)))
    [(subject, body, _)] = told.sent
    assert subject == f"astromon daily on {DB}: ok"
    assert "4 processed, 0 failed, 0 skipped" in body


def filled_store(obsids: list[int]) -> InMemoryStore:
    """A database holding the observations ``obsids`` (as a batch saves them)."""
    store = InMemoryStore(location=DB)
    for obsid in obsids:
        store.save_many(outcome_writes(ScriptedProcessor().process(obsid)))
    return store


def test_a_failed_search_is_an_error_and_the_pages_are_still_written() -> None:
    notifier, renderer = RecordingNotifier(), RecordingRenderer()
    archive = FakeArchive(failure="connection refused")
    values = ports(
        store=filled_store([5, 6]), archive=archive, notifier=notifier, renderer=renderer
    )
    result = run_daily(plan(), DailyPorts(**values))
    assert result.exit_code == 1
    assert result.record.error == "processing: arc5gl failed: connection refused"
    assert result.summary is None and result.record.processed == ()
    ((_, reports),) = renderer.sites
    assert sorted(reports) == ["cal", "mta"]
    [(subject, body, _)] = notifier.sent
    assert subject.endswith(": failed")
    assert "processing: arc5gl failed: connection refused" in body


def test_pages_that_cannot_be_written_are_an_error_and_the_record_is_kept() -> None:
    log = MemoryRunLog()
    result = run_daily(
        plan(), DailyPorts(**ports(renderer=RecordingRenderer(failure="x"), run_log=log))
    )
    assert result.exit_code == 1 and result.page is None
    assert result.record.error.startswith("web pages: cannot create the report directory")
    assert result.record.processed == (1, 2, 3, 4)
    assert log.runs == [result.record]


def test_a_second_run_stops_at_once_and_does_nothing() -> None:
    holder = RunHolder(77, "ops2", "2016-01-01T00:00:00.000Z")
    values = ports(run_lock=FakeRunLock(holder=holder), notifier=RecordingNotifier())
    with pytest.raises(RunLockedError, match="PID 77 on host ops2"):
        run_daily(plan(), DailyPorts(**values))
    assert values["archive"].asked == []
    assert values["run_log"].runs == [] and values["notifier"].sent == []
    assert stored(values["store"]) == []


def test_an_empty_database_has_no_pages_and_no_error() -> None:
    renderer = RecordingRenderer()
    result = run_daily(plan(), DailyPorts(**ports(archive=FakeArchive([]), renderer=renderer)))
    assert result.exit_code == 0 and result.record.error == ""
    assert renderer.sites == [] and result.page is None
    assert result.warnings == ("the database holds no observation: no cross-match, no web page",)


def test_a_rerun_does_only_what_is_missing() -> None:
    store = InMemoryStore()
    first = run_daily(plan(), DailyPorts(**ports(store=store, archive=FakeArchive([1, 2]))))
    assert first.record.processed == (1, 2)
    second = run_daily(plan(), DailyPorts(**ports(store=store, archive=FakeArchive([1, 2, 3]))))
    assert second.record.processed == (3,)
    assert [(n.obsid, n.reason) for n in second.record.skipped] == [
        (1, "already in database"),
        (2, "already in database"),
    ]
    assert stored(store) == [1, 2, 3]


def test_a_lost_worker_reports_its_observations_as_failed() -> None:
    executor = BreakingExecutor(good=2)
    result = run_daily(plan(), DailyPorts(**ports(executor=lambda: executor)))
    assert executor.closed
    assert result.record.processed == (1, 2)
    assert [(n.obsid, n.reason) for n in result.record.failed] == [(3, "not run"), (4, "not run")]
    assert "KilledWorker" in result.record.failed[0].message
    assert result.exit_code == 3


def test_a_failed_email_or_record_is_a_warning_and_changes_nothing_saved() -> None:
    plain = ports(processor=ScriptedProcessor({2: "error"}))
    run_daily(plan(), DailyPorts(**plain))
    broken = ports(
        processor=ScriptedProcessor({2: "error"}),
        notifier=RecordingNotifier(failure="connection refused"),
        run_log=MemoryRunLog(failure="No space left on device"),
    )
    result = run_daily(plan(), DailyPorts(**broken))
    assert result.exit_code == 3
    assert result.warnings == (
        "the run was not recorded: cannot write the run log /logs/daily.jsonl: "
        "No space left on device",
        "the e-mail was not sent: e-mail not sent through SMTP server 127.0.0.1:25: "
        "connection refused",
    )
    for name in ("astromon_obs", "astromon_xray_src", "astromon_xcorr"):
        assert broken["store"].snapshot()[name].pformat(max_lines=-1, max_width=-1) == (
            plain["store"].snapshot()[name].pformat(max_lines=-1, max_width=-1)
        )


class AlignedStore(InMemoryStore):
    """An in-memory store that also holds a per-observation alignment table (in the schema of
    ``astromon_alignment``: its ``select_name``, ``obsid`` and ``flagged`` are what counts)."""

    def __init__(self, alignment: Table) -> None:
        super().__init__()
        self.alignment = alignment

    def table_names(self) -> list[str]:
        return [*super().table_names(), ALIGNMENT_TABLE]

    def read_table(self, name: str) -> Table:
        return self.alignment.copy() if name == ALIGNMENT_TABLE else super().read_table(name)


def test_flagged_observations_raise_an_alarm_when_the_alignment_table_exists() -> None:
    schema = empty_table(ALIGNMENT_TABLE)
    alignment = Table({name: np.zeros(4, dtype=schema[name].dtype) for name in schema.colnames})
    alignment["select_name"] = ["astromon_21", "astromon_21", "astromon_22", "astromon_21"]
    alignment["obsid"] = [1, 2, 3, 4]  # the observations the run processes
    alignment["flagged"] = [True, False, True, True]
    store = AlignedStore(alignment)
    assert flagged_observations(store, "astromon_21") == [1, 4]
    assert flagged_observations(InMemoryStore(), "astromon_21") is None
    result = run_daily(plan(), DailyPorts(**ports(store=store)))
    [alarm] = result.record.alarms
    assert (alarm.kind, alarm.value, alarm.limit) == ("flagged_observations", 2, 0)
    assert "1, 4" in alarm.message
    assert result.exit_code == 3


@given(
    st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=MAX_DAYS + 1),
        st.floats(),
        st.booleans(),
        st.text(max_size=3),
    )
)
def test_a_bad_number_of_days_is_refused(days: Any) -> None:
    with pytest.raises(
        ValidationError, match=f"--days must be a number of days from 0 to {MAX_DAYS}"
    ):
        plan(days=days)


@given(
    st.one_of(
        st.floats(max_value=0.0),
        st.sampled_from([float("nan"), float("inf")]),
        st.booleans(),
        st.integers(max_value=0),
    )
)
def test_a_bad_limit_is_refused(limit: Any) -> None:
    with pytest.raises(ValidationError, match="max_q90 must be a positive number"):
        plan(max_q90=limit)


def test_the_window_of_the_alarm_is_the_plan_s() -> None:
    renderer = RecordingRenderer()
    run_daily(plan(years=2.5), DailyPorts(**ports(renderer=renderer)))
    ((_, reports),) = renderer.sites
    statement = reports["cal"].accuracy
    assert statement.n_years == 2.5 and statement.snr == 5.0
    assert reports["mta"].accuracy.snr == 3.0
    assert np.isclose(statement.end, float(CxoTime("2016:001").secs))
