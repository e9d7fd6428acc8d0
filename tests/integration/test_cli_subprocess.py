"""``astromon`` as a real program: every command in a subprocess, against DuckDB files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.storage.duckdb.store import DuckDBStore

from tests.cli_commands import command_paths

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "astromon"
FAKE = "tests.unit.ops_fakes:scripted_from_env"


def command() -> list[str]:
    if SCRIPT.exists():
        return [str(SCRIPT)]
    return [sys.executable, "-c", "from astromon.cli.entry import main; main()"]


def env(**extra: str) -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), out.get("PYTHONPATH", "")]))
    out.pop("ASTROMON_FILE", None)
    out["MPLBACKEND"] = "Agg"
    out.update(extra)
    return out


def run(*args: str, cwd: Path | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *args],
        capture_output=True,
        text=True,
        env=env(**extra),
        cwd=cwd or ROOT,
        timeout=180,
        check=False,
    )


def start(*args: str, **extra: str) -> subprocess.Popen[str]:
    """``astromon ARGS`` started in a session of its own (signals reach only it), pipes open."""
    return subprocess.Popen(
        [*command(), *args],
        env=env(**extra),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def obsids_in(path: Path) -> list[int]:
    return sorted(int(o) for o in DuckDBStore(path).read_table("astromon_obs")["obsid"])


@pytest.fixture
def reference_db(reference_dir: Path, tmp_path: Path) -> Path:
    db = tmp_path / "ref.duckdb"
    result = run("--db", str(db), "db", "import-ecsv", str(reference_dir))
    assert result.returncode == 0, result.stderr
    return db


def test_help_of_the_program_and_of_commands_in_each_group() -> None:
    """The installed program prints help; every command's help is checked through Typer's
    CliRunner in tests/unit (one subprocess per command cost 16 s)."""
    commands = [[], ["process"], ["regions", "add"], ["db", "check"], ["demo"]]
    assert all(c in [[], *command_paths()] for c in commands)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda words: run(*words, "--help"), commands))
    for words, result in zip(commands, results, strict=True):
        assert result.returncode == 0, (words, result.stderr)
        assert "Usage: astromon" in result.stdout
        assert "<bool>" not in result.stdout
    process_help = results[1].stdout
    for option in ("--obsid-file", "--start", "--force", "--workers", "--scheduler"):
        assert option in process_help


def test_global_options_after_the_command(tmp_path: Path) -> None:
    db = tmp_path / "after.duckdb"
    result = run("process", "1", "--workers", "1", "--processor", FAKE, "--db", str(db), "-v")
    assert result.returncode == 0, result.stderr
    assert obsids_in(db) == [1]
    listed = run("matches", "--db", str(db), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    nosuch = run("matches", "NONAME", "--db", str(db))
    assert nosuch.returncode == 2 and "stored: astromon_21" in nosuch.stderr


def test_usage_errors_exit_2() -> None:
    """Click's own usage errors too are one line, naming the option and the value."""
    for args, message in [
        (["nope"], "error: no such command 'nope' (astromon -h for help)"),
        (["process", "12-x"], "error: '12-x' is not an obsid"),
        (["matches", "--format", "xml"], "error: invalid value for '--format'"),
        (["--log-format", "yaml", "tables"], "error: invalid value for '--log-format'"),
        (["matches", "--foo"], "error: no such option: --foo (Possible options: --format) ("),
        (["regions", "update", "x", "--obsid", "2147483648"], "error: invalid value for '--obsid'"),
    ]:
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), (args, result.stderr)
        assert (
            next(a for a in args if a in {"nope", "12-x", "xml", "yaml", "--foo", "2147483648"})
            in lines[0]
        )


def test_missing_database_is_one_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    for args in (["tables"], ["show", "astromon_obs"], ["matches"], ["report"]):
        result = (
            run("--db", str(missing), *args, "--out", str(tmp_path))
            if args == ["report"]
            else run("--db", str(missing), *args)
        )
        assert result.returncode == 1, (args, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and str(missing) in lines[0]
        assert "Traceback" not in result.stderr
        assert not missing.exists()  # never created by a read


@pytest.mark.parametrize("date", ["2300:001", "1900:001:00:00:00", "2400-01-01T00:00:00"])
def test_a_date_beyond_the_leap_second_table_is_a_bound_without_warnings(
    tmp_path: Path, date: str
) -> None:
    """ERFA warns "dubious year" for each such date; the command's stderr stays its own."""
    db = tmp_path / "r.duckdb"
    assert run("--db", str(db), "regions", "add", "--ra", "1", "--dec", "2").returncode == 0
    result = run("--db", str(db), "matches", "--start", date)
    assert result.returncode == 1  # no cross-matches stored: one error line, nothing else
    assert result.stderr.splitlines() == [
        f"error: table 'astromon_xcorr' is not in {db}; "
        "available tables: astromon_regions, astromon_meta"
    ]


def test_process_partial_failure_then_rerun(tmp_path: Path) -> None:
    db = tmp_path / "batch.duckdb"
    script = {"ASTROMON_TEST_SCRIPT": "2:error,3:skip"}
    first = run("--db", str(db), "process", "1-5", "--workers", "2", "--processor", FAKE, **script)
    assert first.returncode == 3, first.stderr
    assert "5 obsids: 3 saved, 1 skipped, 1 failed" in first.stdout
    assert obsids_in(db) == [1, 4, 5]
    second = run("--db", str(db), "process", "1-5", "--workers", "1", "--processor", FAKE)
    assert second.returncode == 0, second.stderr
    assert "5 obsids: 2 saved, 3 skipped, 0 failed" in second.stdout
    assert obsids_in(db) == [1, 2, 3, 4, 5]


def start_hanging_batch(db: Path, marker: Path, workers: int) -> subprocess.Popen[str]:
    """``process 11-15`` in its own session; obsid 13 hangs once ``marker`` is written."""
    proc = start(
        "--db", str(db), "--log-format", "json", "process", "11-15", "--workers", str(workers),
        "--processor", FAKE, ASTROMON_TEST_SCRIPT="13:hang", ASTROMON_TEST_MARKER=str(marker),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the batch never reached obsid 13"
        time.sleep(0.05)
    return proc


def assert_whole(db: Path, obsids: list[int]) -> None:
    """The database holds exactly these observations, each with all of its rows."""
    assert obsids_in(db) == obsids
    for table in ("astromon_xray_src", "astromon_cat_src", "astromon_xcorr"):
        stored = DuckDBStore(db).read_table(table)
        assert sorted(set(np.asarray(stored["obsid"]).tolist())) == obsids
    assert len(DuckDBStore(db).read_table("astromon_xray_src")) == 3 * len(obsids)


def assert_rerun_completes(db: Path, done: list[int]) -> None:
    rerun = run("--db", str(db), "process", "11-15", "--workers", "1", "--processor", FAKE)
    assert rerun.returncode == 0, rerun.stderr
    listed = " ".join(str(o) for o in done)
    assert f"skipped (already in database): {len(done)}: {listed}" in rerun.stdout
    assert_whole(db, [11, 12, 13, 14, 15])


@pytest.mark.slow
def test_tables_show_matches_and_cross_match(reference_db: Path, tmp_path: Path) -> None:
    db = ["--db", str(reference_db)]
    tables = run(*db, "tables")
    assert tables.returncode == 0, tables.stderr
    assert "astromon_xcorr" in tables.stdout and "8 rows" in tables.stdout
    shown = run(*db, "show", "astromon_obs", "--obsid", "14577", "--format", "json")
    assert json.loads(shown.stdout)[0]["target"] == "NGC 6337"
    matches = run(
        *db, "matches", "--snr", "5", "--exclude-bad-targets", "--sim-z", "4", "--format", "json"
    )
    assert matches.returncode == 0, matches.stderr
    assert len(json.loads(matches.stdout)) == 7
    ecsv = tmp_path / "m.ecsv"
    assert run(*db, "matches", "--format", "ecsv", "--output", str(ecsv)).returncode == 0
    assert ecsv.read_text().startswith("# %ECSV")
    assert "obsid" in run(*db, "matches").stdout
    custom = run(
        *db,
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
        "--select-name",
        "tycho",
    )
    assert custom.returncode == 0, custom.stderr
    assert "stored 5 matches of 5 observations as 'tycho'" in custom.stdout
    again = run(*db, "matches", "tycho", "--format", "json")
    assert sorted(r["obsid"] for r in json.loads(again.stdout)) == [
        13748,
        14536,
        14538,
        14544,
        14572,
    ]
    standard = run(*db, "cross-match")
    assert "stored 8 matches" in standard.stdout
    bad = run(*db, "cross-match", "nosuch")
    assert bad.returncode == 2 and "unknown cross-match 'nosuch'" in bad.stderr
    fixed = run(*db, "cross-match", "astromon_21", "--snr", "3")
    assert fixed.returncode == 2 and "--snr cannot be used" in fixed.stderr
    assert "UserWarning" not in fixed.stderr


@pytest.mark.slow
def test_regions_commands(reference_db: Path, tmp_path: Path) -> None:
    db = ["--db", str(reference_db)]
    added = run(
        *db,
        "regions",
        "add",
        "--ra",
        "10.5",
        "--dec",
        "-20",
        "--radius",
        "4",
        "--user",
        "ops",
        "--comments",
        "bright star",
    )
    assert added.returncode == 0, added.stderr
    listed = json.loads(run(*db, "regions", "list", "--format", "json").stdout)
    new = [r for r in listed if r["comments"] == "bright star"]
    assert len(new) == 1 and new[0]["region_id"] == 14  # continues from last_region_id 13
    id_str = new[0]["region_id_str"]
    updated = run(*db, "regions", "update", id_str, "--radius", "6")
    assert updated.returncode == 0, updated.stderr
    listed = json.loads(run(*db, "regions", "list", "--format", "json").stdout)
    assert [r["radius"] for r in listed if r["region_id_str"] == id_str] == [6.0]
    other = tmp_path / "other.duckdb"
    shutil.copyfile(reference_db, other)
    synced = run(*db, "regions", "sync", str(reference_db), "--to", str(other))
    assert synced.returncode == 0, synced.stderr
    assert "0 added, 0 updated, 0 removed" in synced.stdout  # a copy: nothing to do
    other_list = json.loads(run("--db", str(other), "regions", "list", "--format", "json").stdout)
    assert id_str in {r["region_id_str"] for r in other_list}
    removed = run(*db, "regions", "remove", "14")
    assert removed.returncode == 0, removed.stderr
    assert "removed 1 region" in removed.stdout and "bright star" in removed.stdout
    resynced = run(*db, "regions", "sync", str(reference_db), "--to", str(other), "--remove")
    assert "0 added, 0 updated, 1 removed" in resynced.stdout, resynced.stdout
    listed = json.loads(run(*db, "regions", "list", "--format", "json").stdout)
    assert 14 not in {r["region_id"] for r in listed}
    bad = run(*db, "regions", "add", "--ra", "400", "--dec", "0", "--radius", "1")
    assert bad.returncode in (1, 2) and "400" in bad.stderr


@pytest.mark.slow
def test_db_import_and_export(reference_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "legacy.duckdb"
    imported = run(
        "--db", str(db), "db", "import-legacy", str(reference_dir / "astromon_legacy.h5")
    )
    assert imported.returncode == 0, imported.stderr
    assert "astromon_obs" in run("--db", str(db), "tables").stdout
    out = tmp_path / "obs.ecsv"
    exported = run("--db", str(db), "db", "export", "astromon_obs", str(out))
    assert exported.returncode == 0, exported.stderr
    from astropy.table import Table

    assert len(Table.read(out)) == 10
    not_h5 = tmp_path / "x.h5"
    not_h5.write_text("not hdf5")
    bad = run("--db", str(tmp_path / "y.duckdb"), "db", "import-legacy", str(not_h5))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_report_command(reference_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = run("--db", str(reference_db), "report", "--out", str(out), "--now", "2015:001")
    assert result.returncode == 0, result.stderr
    assert (out / "index.html").exists() and (out / "dr_cdf.png").exists()
    assert "last 5 years" in result.stdout
    ops = run("--db", str(reference_db), "report", "--operations", "--out", str(out), "--overwrite")
    assert ops.returncode == 0, ops.stderr


def test_backup_to_a_place_that_cannot_be_written(tmp_path: Path) -> None:
    db = tmp_path / "b.duckdb"
    assert (
        run("--db", str(db), "process", "1", "--workers", "1", "--processor", FAKE).returncode == 0
    )
    (tmp_path / "file").write_text("not a directory")
    for destination in ("/proc/astromon-backup.duckdb", str(tmp_path / "file" / "b.duckdb")):
        result = run("db", "backup", destination, "--db", str(db))
        assert result.returncode == 1, (destination, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in lines[0]


def test_json_logs_on_stderr(tmp_path: Path) -> None:
    db = tmp_path / "log.duckdb"
    result = run(
        "--db",
        str(db),
        "--log-format",
        "json",
        "-v",
        "process",
        "1",
        "--workers",
        "1",
        "--processor",
        FAKE,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any("obsid 1: OK" in e.get("event", "") for e in events)
    assert all("level" in e and "timestamp" in e for e in events)


def test_calalign_command_errors_cleanly(tmp_path: Path) -> None:
    result = run("calalign", "--calalign-dir", str(tmp_path / "nowhere"))
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert "nowhere" in result.stderr


def test_process_with_the_standard_processor_reports_why(tmp_path: Path) -> None:
    """The real wiring (bootstrap().observation_processor) in worker processes: without CIAO,
    every obsid fails with the reason, nothing is saved, exit code 3."""
    db = tmp_path / "real.duckdb"
    work, no_ciao = str(tmp_path / "work"), str(tmp_path / "no-ciao")
    result = run("--db", str(db), "process", "14530", "14531", "--workers", "2",
                 "--workdir", work, "--ciao-prefix", no_ciao)  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "2 obsids: 0 saved, 0 skipped, 2 failed" in result.stdout
    assert "failed (ProcessingError): 2: 14530 14531" in result.stdout
    assert "no-ciao" in result.stdout  # the example message names the missing CIAO prefix
    assert "astromon_obs" not in DuckDBStore(db).table_names()


def test_a_closed_stdout_ends_the_command_silently(tmp_path: Path) -> None:
    """``astromon tables | head -1``: the reader is gone; no "error: Broken pipe", 141."""
    db = tmp_path / "pipe.duckdb"
    assert (
        run("--db", str(db), "process", "1-3", "--workers", "1", "--processor", FAKE).returncode
        == 0
    )
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has already gone
    try:
        result = subprocess.run(
            [*command(), "--db", str(db), "tables"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert result.stderr == ""
