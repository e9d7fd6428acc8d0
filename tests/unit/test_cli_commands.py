"""Every ``astromon`` command through Typer's CliRunner, with in-memory fakes of the ports."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.executors import SerialExecutor
from astropy.table import Table
from typer.testing import CliRunner

from astromon.bootstrap import Astromon, bootstrap, using
from astromon.cli.app import app
from astromon.domain.errors import DatabaseError, ReadOnlyDatabaseError
from tests.cli_commands import command_paths
from tests.unit.fake_store import InMemoryStore
from tests.unit.ops_fakes import fake_tables

runner = CliRunner()

COMMANDS = command_paths()


@pytest.fixture
def use_store() -> Iterator[Any]:
    """Make the CLI use a given in-memory store (``store`` override); records the calls."""
    with contextlib.ExitStack() as stack:

        def install(store: InMemoryStore) -> list[tuple[Any, bool]]:
            calls: list[tuple[Any, bool]] = []

            def open_store(dbfile: Any = None, *, write: bool = False) -> InMemoryStore:
                calls.append((dbfile, write))
                return store

            stack.enter_context(using(bootstrap(store=open_store, executor=SerialExecutor())))
            return calls

        yield install


@pytest.fixture
def reference_store(reference_dir: Path) -> InMemoryStore:
    return InMemoryStore.from_directory(reference_dir)


def test_top_level_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("process", "cross-match", "matches", "tables", "show", "regions", "db"):
        assert name in result.stdout
    assert "report" in result.stdout and "calalign" in result.stdout
    assert "--db" in result.stdout and "--log-format" in result.stdout


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout
    assert len(result.stdout.splitlines()) > 3


def test_no_arguments_shows_help_and_unknown_command_is_a_usage_error() -> None:
    assert "Usage:" in runner.invoke(app, []).output
    result = runner.invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert result.stderr == "error: no such command 'no-such-command' (astromon -h for help)\n"


def test_process_batch_with_failures_exits_3(use_store: Any) -> None:
    store = InMemoryStore()
    calls = use_store(store)
    result = runner.invoke(
        app,
        [
            "--db",
            "x.duckdb",
            "process",
            "1-3",
            "5",
            "--workers",
            "1",
            "--processor",
            "tests.unit.ops_fakes:scripted_from_env",
        ],
        env={"ASTROMON_TEST_SCRIPT": "2:error,3:skip"},
    )
    assert result.exit_code == 3, result.output
    assert "4 obsids: 2 saved, 1 skipped, 1 failed" in result.stdout
    assert "failed (ProcessingError): 1: 2" in result.stdout
    assert "skipped (not selected): 1: 3" in result.stdout
    assert calls == [(Path("x.duckdb"), True)]
    assert sorted(store.read_table("astromon_obs")["obsid"]) == [1, 5]


def test_process_success_and_rerun_skips(use_store: Any, tmp_path: Path) -> None:
    store = InMemoryStore()
    use_store(store)
    obsid_file = tmp_path / "obsids.txt"
    obsid_file.write_text("7\n8 # two\n")
    args = ["process", "--obsid-file", str(obsid_file), "--workers", "1"]
    args += ["--processor", "tests.unit.ops_fakes:scripted_from_env"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "2 obsids: 2 saved, 0 skipped, 0 failed" in first.stdout
    second = runner.invoke(app, args)
    assert second.exit_code == 0
    assert "skipped (already in database): 2: 7 8" in second.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["process", "abc"], "'abc' is not an obsid"),
        (["process", "0"], "obsid '0' is out of range"),
        (["process", "1", "--start", "yesterday"], "--start 'yesterday' is not a date"),
        (["process", "1", "--processor", "os:system"], "--processor 'os:system': calling"),
        (["process", "1", "--source", "ftp"], "--source 'ftp'"),
        (["process", "1", "--catalog-source", "local"], "needs --catalog-file"),
        (["process", "1", "--processor", "nowhere"], "MODULE:FACTORY"),
        (["process", "1", "--workers", "0"], "invalid value for '--workers'"),
    ],
)
def test_process_usage_errors_exit_2(use_store: Any, args: list[str], message: str) -> None:
    use_store(InMemoryStore())
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_database_errors_are_one_line_exit_1() -> None:
    def open_store(dbfile: Any = None, *, write: bool = False) -> Any:
        raise DatabaseError(f"database file {dbfile} does not exist")

    result = runner.invoke(
        app, ["--db", "missing.duckdb", "tables"], obj=bootstrap(store=open_store)
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: database file missing.duckdb does not exist"
    assert "Traceback" not in result.output


def test_process_on_read_only_store_exits_1(use_store: Any) -> None:
    use_store(InMemoryStore(writable=False, location="legacy.h5"))
    result = runner.invoke(
        app, ["process", "1", "--processor", "tests.unit.ops_fakes:ScriptedProcessor"]
    )
    assert result.exit_code == 1
    assert "legacy.h5 is read-only" in result.stderr


def test_tables_and_show(use_store: Any) -> None:
    store = InMemoryStore({k: v for k, v in fake_tables(4).items()})
    use_store(store)
    result = runner.invoke(app, ["tables"])
    assert result.exit_code == 0
    assert "astromon_xray_src" in result.stdout and "3 rows" in result.stdout
    assert "astromon_regions" in result.stdout and "(absent)" in result.stdout
    obs_line = next(line for line in result.stdout.splitlines() if line.startswith("astromon_obs"))
    assert obs_line.split()[1:] == ["1", "row"]  # one observation: "1 row"
    shown = runner.invoke(app, ["show", "astromon_xray_src", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.stdout)
    assert [r["id"] for r in rows] == [1, 2, 3] and rows[0]["obsid"] == 4
    limited = runner.invoke(app, ["show", "astromon_xray_src", "--limit", "1", "--format", "csv"])
    assert limited.stdout.count("\n") == 2  # header + one row
    missing = runner.invoke(app, ["show", "astromon_nope"])
    assert missing.exit_code == 2  # like a cross-match name that is not stored
    assert "Known tables" in missing.stderr


def test_matches_filters_and_formats(
    use_store: Any, reference_store: InMemoryStore, tmp_path: Path
) -> None:
    use_store(reference_store)
    result = runner.invoke(app, ["matches", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 8
    filtered = runner.invoke(
        app, ["matches", "--snr", "5", "--exclude-bad-targets", "--sim-z", "4", "--format", "json"]
    )
    rows = json.loads(filtered.stdout)
    assert len(rows) == 7 and 14577 not in {r["obsid"] for r in rows}
    assert {"c_loc", "x_loc"}.isdisjoint(rows[0])  # sky coordinates are left out
    table = runner.invoke(app, ["matches", "--where", "detector=ACIS-S,ACIS-I"])
    assert table.exit_code == 0 and "dr" in table.stdout.splitlines()[0]
    out = tmp_path / "m.parquet"
    written = runner.invoke(app, ["matches", "--format", "parquet", "--output", str(out)])
    assert written.exit_code == 0, written.output
    import pyarrow.parquet as pq

    assert pq.read_table(out).num_rows == 8
    csv = runner.invoke(app, ["matches", "--columns", "obsid,dr", "--format", "csv"])
    assert csv.stdout.splitlines()[0] == "obsid,dr"
    assert runner.invoke(app, ["matches", "--format", "parquet"]).exit_code == 2
    bad = runner.invoke(app, ["matches", "--columns", "nope"])
    assert bad.exit_code == 2 and "unknown columns ['nope']" in bad.stderr
    assert runner.invoke(app, ["matches", "--where", "novalue"]).exit_code == 2


def test_cross_match_recomputes_and_stores(use_store: Any, reference_dir: Path) -> None:
    store = InMemoryStore.from_directory(reference_dir)
    expected = store.read_table("astromon_xcorr")
    store.save_many([])
    use_store(store)
    result = runner.invoke(app, ["cross-match", "astromon_22"])
    assert result.exit_code == 0, result.output
    assert "stored 8 matches" in result.stdout
    custom = [
        "cross-match",
        "simple",
        "--catalogs",
        "Tycho2",
        "--snr",
        "5",
        "--r-angle",
        "120",
        "--r-angle-grating",
        "0",
        "--near-neighbor-dist",
        "6",
        "--dr",
        "3",
    ]
    assert runner.invoke(app, custom).exit_code == 2  # needs --select-name
    stored = runner.invoke(app, [*custom, "--select-name", "tycho_only"])
    assert stored.exit_code == 0, stored.output
    xcorr = store.read_table("astromon_xcorr")
    names = np.asarray(xcorr["select_name"]).astype(str)
    tycho = xcorr[names == "tycho_only"]
    assert sorted(set(tycho["obsid"])) == [13748, 14536, 14538, 14544, 14572]
    # the other cross-matches are untouched
    assert len(xcorr[names == "astromon_21"]) == len(expected) == 8
    assert len(xcorr[names == "astromon_22"]) == 8
    dry = runner.invoke(app, ["cross-match", "astromon_21", "--dry-run"])
    assert "would store 8 matches" in dry.stdout


def test_report_command(use_store: Any, reference_store: InMemoryStore, tmp_path: Path) -> None:
    use_store(reference_store)
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", "--out", str(out), "--now", "2015:001"])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists()
    lines = result.stdout.splitlines()
    assert lines[0].startswith("now = 2015:001:00:00:00.000: accuracy over the 5 years")
    assert lines[1].startswith("The overall 90% uncertainty circle of Chandra X-ray")
    assert "last 5 years" in result.stdout and "nan" not in result.stdout
    first_summary = json.loads((out / "summary.json").read_text())
    steps = tmp_path / "steps.csv"
    steps.write_text("tstart,dy,dz\n2013:001,0.5,-0.5\n")
    args = ["report", "--out", str(out), "--now", "2015:001", "--offsets-file", str(steps)]
    kept = runner.invoke(app, args)  # an existing report is replaced only with --overwrite
    assert kept.exit_code == 2 and "give --overwrite to replace it" in kept.stderr
    assert json.loads((out / "summary.json").read_text()) == first_summary
    shifted = runner.invoke(app, [*args, "--overwrite"])
    assert shifted.exit_code == 0, shifted.output
    assert shifted.stdout != result.stdout
    bad = runner.invoke(app, ["report", "--offsets-file", str(tmp_path / "none.csv")])
    assert bad.exit_code == 2 and "--offsets-file" in bad.stderr and "does not exist" in bad.stderr


def test_regions_and_db_commands_call_the_storage_services(
    monkeypatch: pytest.MonkeyPatch, use_store: Any, tmp_path: Path
) -> None:
    from astromon.services.storage import regions as region_service
    from astromon.services.storage import tables as storage

    calls: list[tuple[str, Any]] = []

    def record(name: str, result: Any = None) -> Any:
        def fake(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, (args, kwargs)))
            return result

        return fake

    regions = Table(
        {
            "region_id": [14],
            "region_id_str": ["abcdef0123"],
            "last_modified": ["2024:001:00:00:00.000"],
            "ra": [10.0],
            "dec": [20.0],
            "radius": [5.0],
            "obsid": [-1],
            "user": ["me"],
            "comments": ["bright star"],
        }
    )
    store = InMemoryStore()
    opened = use_store(store)
    for name in ("add_regions", "remove_regions", "update_regions", "sync_regions", "get_regions"):
        monkeypatch.setattr(region_service, name, record(name, regions))
    for name in ("copy_tables", "import_tables"):
        monkeypatch.setattr(storage, name, record(name))
    monkeypatch.setattr(storage, "read_table", record("read_table", regions))
    monkeypatch.setattr(Astromon, "legacy_store", record("legacy_store", store))
    monkeypatch.setattr(Astromon, "read_table_directory", record("read_table_directory", {}))
    monkeypatch.setattr(Astromon, "write_table_file", record("write_table_file", tmp_path))
    dbfile = tmp_path / "a.duckdb"
    base = ["--db", str(dbfile)]

    added = runner.invoke(
        app, [*base, "regions", "add", "--ra", "10", "--dec", "20", "--radius", "5", "--user", "me"]
    )
    assert added.exit_code == 0, added.output
    assert "abcdef0123" in added.stdout
    args, _ = calls[-1][1]
    assert args[0] is store and list(args[1]["ra"]) == [10.0]
    assert opened[-1] == (dbfile, True)
    assert runner.invoke(app, [*base, "regions", "add", "--ra", "10"]).exit_code == 2

    assert list(args[1]["obsid"]) == [0]  # every observation by default
    removed = runner.invoke(app, [*base, "regions", "remove", "14", "4"])
    assert removed.exit_code == 0, removed.output
    assert calls[-1] == ("remove_regions", ((store, [14, 4]), {}))
    assert opened[-1] == (dbfile, True)
    assert "removed 1 region" in removed.stdout and "bright star" in removed.stdout
    assert "not found (nothing removed): 4" in removed.stdout

    listed = runner.invoke(app, [*base, "regions", "list", "--obsid", "14530", "--format", "json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["region_id"] == 14
    assert calls[-1][1][1]["obsid"] == 14530 and opened[-1] == (dbfile, False)

    updated = runner.invoke(app, [*base, "regions", "update", "abcdef0123", "--radius", "9"])
    assert updated.exit_code == 0, updated.output
    update_call = next(c for c in calls if c[0] == "update_regions")
    assert list(update_call[1][0][1]["radius"]) == [9.0]
    unknown = runner.invoke(app, [*base, "regions", "update", "0000000000", "--radius", "9"])
    assert unknown.exit_code == 2 and "no region with region_id_str" in unknown.stderr

    synced = runner.invoke(app, [*base, "regions", "sync", "other.duckdb", "--remove"])
    assert synced.exit_code == 0, synced.output
    assert "1 added, 0 updated, 0 removed (1 regions)" in synced.stdout
    assert calls[-1] == ("sync_regions", ((store, store), {"remove": True}))
    assert opened[-2:] == [(Path("other.duckdb"), False), (dbfile, True)]

    assert runner.invoke(app, [*base, "db", "import-legacy", "old.h5"]).exit_code == 0
    assert calls[-1][0] == "copy_tables" and calls[-2][1][0][1] == Path("old.h5")
    assert opened[-1] == (dbfile, True)
    assert runner.invoke(app, [*base, "db", "import-ecsv", "dir"]).exit_code == 0
    assert calls[-1][0] == "import_tables" and calls[-1][1][1]["source"] == "dir"
    exported = runner.invoke(app, [*base, "db", "export", "astromon_obs", "o.fits"])
    assert exported.exit_code == 0, exported.output
    assert calls[-2] == ("read_table", ((store, "astromon_obs"), {}))
    assert opened[-1] == (dbfile, False)
    assert calls[-1][0] == "write_table_file"
    assert calls[-1][1][1] == {"format": None, "overwrite": False, "overwrite_hint": "--overwrite"}

    def read_only(*args: Any, **kwargs: Any) -> Any:
        raise ReadOnlyDatabaseError("old.h5 is a legacy HDF5 file: import it first")

    monkeypatch.setattr(region_service, "add_regions", read_only)
    failed = runner.invoke(
        app, [*base, "regions", "add", "--ra", "1", "--dec", "1", "--radius", "1"]
    )
    assert failed.exit_code == 1 and "import it first" in failed.stderr


def test_calalign_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    table = Table({"instr_id": ["ACIS-S"], "calalign_version": ["N0009"], "dy": [0.1]})
    seen: list[Any] = []
    monkeypatch.setattr(
        Astromon, "read_calalign", lambda self, d=None: seen.append(d) or table, raising=False
    )
    result = runner.invoke(app, ["calalign", "--calalign-dir", str(tmp_path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["instr_id,calalign_version,dy", "ACIS-S,N0009,0.1"]
    assert seen == [tmp_path]


@pytest.mark.filterwarnings("ignore:.*dubious year")
def test_report_reference_calalign(
    use_store: Any, reference_store: InMemoryStore, tmp_path: Path
) -> None:
    from astromon.services.report import monitoring as report_service
    from astromon.utils import get_calalign_offsets
    from tests.unit.test_calalign_offsets import write_calalign

    use_store(reference_store)
    align = write_calalign(tmp_path / "align")
    matches = report_service.select_matches(reference_store)
    offsets = get_calalign_offsets(matches, ref_calalign="N0009", calalign_dir=align)
    shift_y = np.asarray(offsets["ref_calalign_dy"]) - np.asarray(offsets["calalign_dy"])
    assert np.all(np.abs(shift_y) > 1)  # N0009 differs from the calalign in use
    built = report_service.build_report(matches, now="2015:001", calalign_offsets=offsets[::-1])
    # rows are matched on (obsid, x_id), whatever their order
    expected = np.asarray(matches["dy"]) + shift_y
    np.testing.assert_allclose(np.asarray(built.matches["dy"]), expected, atol=1e-9)
    assert built.shift.startswith("shifted to reference calalign")

    out = tmp_path / "report"
    args = ["report", "--out", str(out), "--now", "2015:001"]
    result = runner.invoke(
        app, [*args, "--reference-calalign", "N0009", "--calalign-dir", str(align)]
    )
    assert result.exit_code == 0, result.output
    # both views on one page: as archived, and as if reprocessed with N0009
    html = (out / "index.html").read_text()
    assert "Offsets after reprocessing: reprocessed with the reference CALALIGN N0009" in html
    assert 'src="reference_dr_cdf.png"' in html and (out / "reference_dr_cdf.png").is_file()
    summary = json.loads((out / "summary.json").read_text())
    archived = np.asarray(matches["dr"], dtype=float)
    reprocessed = np.hypot(
        expected,
        np.asarray(matches["dz"])
        + np.asarray(offsets["ref_calalign_dz"])
        - np.asarray(offsets["calalign_dz"]),
    )
    assert summary["q90"] == pytest.approx(np.percentile(archived, 90))
    assert summary["reference_calalign"]["q90"] == pytest.approx(np.percentile(reprocessed, 90))
    assert summary["reference_calalign"]["max_offset"] == pytest.approx(np.max(reprocessed))
    assert "reprocessed with the reference CALALIGN N0009:" in result.stdout
