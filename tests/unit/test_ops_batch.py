"""The batch pipeline service with fake ports: saving, skipping, failures, interruption."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.executors import SerialExecutor
from astropy.table import Table

from astromon.domain.errors import ReadOnlyDatabaseError, ValidationError
from astromon.ports.processing import ObservationOutcome, OutcomeStatus
from astromon.services.batch.obsids import find_obsids, parse_obsids, read_obsid_file
from astromon.services.batch.pipeline import (
    BatchSummary,
    observation_row,
    outcome_writes,
    process_observations,
)
from tests.unit.fake_store import InMemoryStore
from tests.unit.input_files_fake import MemoryInputFiles
from tests.unit.ops_fakes import ScriptedProcessor, fake_tables

TABLES = (
    "astromon_obs",
    "astromon_xray_src",
    "astromon_cat_src",
    "astromon_xcorr",
    "astromon_alignment",
)


def stored_obsids(store: InMemoryStore, table: str = "astromon_obs") -> list[int]:
    try:
        return sorted({int(v) for v in store.read_table(table)["obsid"]})
    except KeyError:
        return []


def test_parse_obsids_lists_ranges_and_duplicates() -> None:
    assert parse_obsids(["14530-14533", "14531", 7, "8,9, 10-11"]) == [
        14530,
        14531,
        14532,
        14533,
        7,
        8,
        9,
        10,
        11,
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("abc", "'abc' is not an obsid"),
        ("14540-14530", "reversed"),
        (-3, "out of range"),
        ("99999999999", "out of range"),
        ("1-", "is not an obsid"),
    ],
)
def test_parse_obsids_rejects_bad_input(spec: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_obsids([spec])  # type: ignore[list-item]


def test_read_obsid_file() -> None:
    """The service parses what the input-files port reads; it opens nothing itself."""
    files = MemoryInputFiles()
    path = files.add("/batch/obsids.txt", "# my batch\n14530 14531\n14535-14537, 14531  # dup\n\n")
    assert read_obsid_file(path, files) == [14530, 14531, 14535, 14536, 14537]
    files.add(path, "14530\nfoo\n")
    with pytest.raises(ValidationError, match=r"obsids.txt:2: 'foo' is not an obsid"):
        read_obsid_file(path, files)
    with pytest.raises(ValidationError, match=r"^--obsid-file '/batch/none.txt' does not exist$"):
        read_obsid_file("/batch/none.txt", files, "--obsid-file")
    assert files.reads == ["/batch/obsids.txt", "/batch/obsids.txt", "/batch/none.txt"]


class FakeArchive:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        raise AssertionError("not used")

    def find_obsids(self, start: str, stop: str) -> list[int]:
        self.calls.append((start, stop))
        return [3, 1, 2]


def test_find_obsids_asks_the_archive_with_chandra_dates() -> None:
    archive = FakeArchive()
    assert find_obsids(archive, "2014-01-01", "2014:032") == [3, 1, 2]
    assert archive.calls == [("2014:001:00:00:00.000", "2014:032:00:00:00.000")]
    with pytest.raises(ValidationError, match="ends"):
        find_obsids(archive, "2014:032", "2014:001")


def test_batch_saves_finished_observations_and_groups_failures() -> None:
    store = InMemoryStore()
    script = {2: "error", 3: "skip", 4: "raise"}
    seen: list[tuple[int, int, int]] = []
    summary = process_observations(
        [1, 2, 3, 4, 5],
        store=store,
        processor=ScriptedProcessor(script),
        executor=SerialExecutor(),
        progress=lambda outcome, done, total: seen.append((outcome.obsid, done, total)),
    )
    assert summary.saved == [1, 5]
    assert summary.skipped == {"not selected": [3]}
    assert summary.failed == {"ProcessingError": [2], "unexpected RuntimeError": [4]}
    assert not summary.interrupted and not summary.complete
    assert seen == [(1, 1, 5), (2, 2, 5), (3, 3, 5), (4, 4, 5), (5, 5, 5)]
    for table in TABLES:
        assert stored_obsids(store, table) == [1, 5]
    # one transaction per saved observation (after the empty one that opens the file)
    assert store.transactions == 1 + 2
    text = "\n".join(summary.lines())
    assert "5 obsids: 2 saved, 1 skipped, 2 failed" in text
    assert "failed (ProcessingError): 1: 2" in text


def test_interrupted_batch_keeps_what_finished_and_rerun_completes() -> None:
    store = InMemoryStore()
    obsids = [11, 12, 13, 14, 15, 16]
    script = {12: "error", 13: "skip", 15: "interrupt"}
    first = process_observations(
        obsids, store=store, processor=ScriptedProcessor(script), executor=SerialExecutor()
    )
    assert first.interrupted and first.interruption == "KeyboardInterrupt"
    assert first.saved == [11, 14]
    assert first.interrupted_obsids == [15]  # running when Ctrl-C came
    assert first.not_run == [16]  # never started
    assert first.failed == {"ProcessingError": [12]}  # neither counts as failed
    assert not first.complete
    text = "\n".join(first.lines())
    assert "6 obsids: 2 saved, 1 skipped, 1 failed, 1 interrupted, 1 not run" in text
    assert "  saved: 2: 11 14" in text and "failed (ProcessingError): 1: 12" in text
    assert "interrupted (nothing stored): 1: 15" in text and "not run: 1: 16" in text
    for table in TABLES:
        assert stored_obsids(store, table) == [11, 14]
    before = {t: store.read_table(t) for t in TABLES}

    second = process_observations(
        obsids,
        store=store,
        processor=ScriptedProcessor({12: "error", 13: "skip"}),
        executor=SerialExecutor(),
    )
    assert not second.interrupted
    assert second.saved == [15, 16]
    assert second.skipped == {"already in database": [11, 14], "not selected": [13]}
    assert second.failed == {"ProcessingError": [12]}
    assert stored_obsids(store) == [11, 14, 15, 16]
    # rows of the first run are untouched
    for table in TABLES:
        rows = store.read_table(table)
        old = rows[np.isin(rows["obsid"], [11, 14])]
        assert old.pformat(max_lines=-1, max_width=-1) == before[table].pformat(
            max_lines=-1, max_width=-1
        )


def test_force_reprocesses_stored_observations() -> None:
    store = InMemoryStore()
    process_observations([1], store=store, processor=ScriptedProcessor(), executor=SerialExecutor())
    again = process_observations(
        [1], store=store, processor=ScriptedProcessor(), executor=SerialExecutor(), force=True
    )
    assert again.saved == [1]
    assert len(store.read_table("astromon_xray_src")) == 3  # replaced, not duplicated


def test_read_only_store_is_refused() -> None:
    store = InMemoryStore(writable=False, location="old.h5")
    with pytest.raises(ReadOnlyDatabaseError, match=r"old\.h5 is read-only.*import-legacy"):
        process_observations(
            [1], store=store, processor=ScriptedProcessor(), executor=SerialExecutor()
        )


def test_a_failed_save_is_a_failure_of_that_obsid_only() -> None:
    class BadTables:
        def process(self, obsid: int) -> ObservationOutcome:
            tables = fake_tables(obsid)
            if obsid == 2:
                tables["astromon_xray_src"] = Table({"obsid": [2]})  # lacks columns
            return ObservationOutcome.ok(obsid, tables)

    store = InMemoryStore()
    summary = process_observations(
        [1, 2, 3], store=store, processor=BadTables(), executor=SerialExecutor()
    )
    assert summary.saved == [1, 3]
    assert list(summary.failed) == ["save failed (SchemaError)"]
    assert stored_obsids(store) == [1, 3]


def test_outcome_writes_checks_obsids_and_fills_missing_tables() -> None:
    tables = fake_tables(5)
    writes = outcome_writes(ObservationOutcome.ok(5, {"astromon_obs": tables["astromon_obs"]}))
    assert [w.table for w in writes] == list(TABLES)
    assert [len(w.data) for w in writes] == [1, 0, 0, 0, 0]
    with pytest.raises(ValidationError, match="holds rows of obsids"):
        outcome_writes(ObservationOutcome.ok(6, tables))
    with pytest.raises(ValidationError, match="only OK outcomes"):
        outcome_writes(ObservationOutcome.skip(5, "x"))


def test_observation_row_from_obspar_like_info() -> None:
    info = {
        "obsid": 14530,
        "version": 10.0902,
        "detector": "ACIS-S",
        "detnam": "ACIS-356789",
        "object": "RW Aur",
        "grating": "none",
        "sim_z": -190.14,
        "date-obs": "2013-09-06T05:33:29",
        "tstart": 4.97e8,
        "ascdsver": "10.9.2",
        "ra_nom": 76.9,
        "dec_nom": 30.4,
        "roll_nom": 290.0,
        "Subject Category": "normal stars and wd",
    }
    row = observation_row(info)
    assert row.colnames[0] == "obsid" and len(row) == 1
    assert row["detector"][0] == "ACIS-S"
    assert row["target"][0] == "RW Aur"
    assert row["grating"][0] == "NONE"
    assert row["category_id"][0] == 10
    assert row["date_obs"][0] == "2013-09-06T05:33:29"
    no_detector = {k: v for k, v in info.items() if k != "detector"} | {"instrume": "HRC"}
    assert observation_row(no_detector | {"sim_z": 250.0})["detector"][0] == "HRC-S"
    with pytest.raises(ValidationError, match="lacks tstart"):
        observation_row({k: v for k, v in info.items() if k != "tstart"})


def test_summary_of_outcomes() -> None:
    summary = BatchSummary(requested=[1, 2])
    summary.outcomes = [ObservationOutcome.error(2, "", "x"), ObservationOutcome.ok(1, {})]
    assert summary.failed == {"ERROR": [2]}
    assert summary.outcomes[1].status is OutcomeStatus.OK


def test_default_workers_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from astromon_adapters.executors import default_workers

    from astromon.config import Settings

    monkeypatch.setenv("ASTROMON_WORKERS", "3")
    assert default_workers(Settings.from_env().workers) == 3
    monkeypatch.setenv("ASTROMON_WORKERS", "zero")
    with pytest.raises(ValidationError, match="ASTROMON_WORKERS='zero'"):
        default_workers(Settings.from_env().workers)
    monkeypatch.delenv("ASTROMON_WORKERS")
    assert default_workers(Settings.from_env().workers) >= 1


def test_bootstrap_executor_choice() -> None:
    from astromon_adapters.executors import ProcessPoolExecutor

    from astromon.bootstrap import bootstrap

    assert isinstance(bootstrap().executor(workers=1), SerialExecutor)
    pool = bootstrap().executor(workers=2)
    try:
        assert isinstance(pool, ProcessPoolExecutor) and pool.workers == 2
    finally:
        pool.close()


def test_ctrl_c_during_a_save_is_an_interruption_not_a_failure() -> None:
    """DuckDB reports a Ctrl-C during a query as ``RuntimeError: Query interrupted``, which
    the store may wrap; the obsid being saved is interrupted and nothing of it is stored."""
    from astromon.domain.errors import DatabaseError

    class InterruptedSave(InMemoryStore):
        def save_many(self, writes: Any) -> None:
            if any(int(o) == 12 for w in writes for o in np.asarray(w.data["obsid"])):
                raise DatabaseError("cannot save: RuntimeError: Query interrupted")
            super().save_many(writes)

    store = InterruptedSave()
    summary = process_observations(
        [11, 12, 13], store=store, processor=ScriptedProcessor(), executor=SerialExecutor()
    )
    assert summary.interrupted and summary.interruption == "KeyboardInterrupt"
    assert summary.saved == [11] and summary.interrupted_obsids == [12]
    assert summary.not_run == [13] and summary.failed == {}
    assert stored_obsids(store) == [11]
