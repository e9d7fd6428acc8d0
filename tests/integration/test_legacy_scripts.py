"""The console scripts of the system astromon replaces, run as subprocesses through the entry
points registered in pyproject.toml: their original options, the one-line note naming the
astromon command, the outputs, and one-line errors for what cannot be honoured."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from astromon import db
from astromon.cli.legacy.processing_scripts import cross_match_argv
from tests.integration.test_observation_pipeline import ACIS, CONTINUOUS, _make_env, info_url
from tests.unit.test_calalign_offsets import write_calalign

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
LEGACY = (
    "astromon-process-obs",
    "astromon-cross-match",
    "astromon-web-pages",
    "astromon-calc-rms",
    "astromon-excluded-region",
)


def run(
    name: str, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    module, func = SCRIPTS[name].split(":")
    code = f"import sys; sys.argv[0] = {name!r}; from {module} import {func}; {func}()"
    environ = {**os.environ, "MPLBACKEND": "Agg", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=300,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str], script: str) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"{script}: error: "), errors
    return errors[0]


def note(result: subprocess.CompletedProcess[str], script: str) -> str:
    notes = [line for line in result.stderr.splitlines() if line.startswith(f"{script}: now `")]
    assert len(notes) == 1, result.stderr
    return notes[0]


def test_the_five_scripts_are_registered() -> None:
    assert set(LEGACY) <= set(SCRIPTS)
    for name in LEGACY:
        module, func = SCRIPTS[name].split(":")
        assert callable(getattr(__import__(module, fromlist=[func]), func))


def test_web_pages_writes_the_calibration_and_operations_views(
    tmp_path: Path, reference_dir: Path
) -> None:
    legacy = reference_dir / "astromon_legacy.h5"
    out = tmp_path / "web"
    env = {"CALDB": "", "ASTROMON_CALALIGN_DIR": ""}
    result = run(
        "astromon-web-pages", "--out", str(out), "--db-file", str(legacy), "--log-level",
        "WARNING", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"report --web {out}" in note(result, "astromon-web-pages")
    assert "the pages show the offsets as archived only" in result.stderr
    assert "cal/index.html" in (out / "index.html").read_text()
    counts = []
    for view in ("cal", "mta"):
        page = (out / view / "index.html").read_text()
        assert list((out / view).glob("*.png"))
        selected = re.search(r"(\d+) cross-matches selected", page)
        assert selected is not None
        counts.append(int(selected.group(1)))
        # the data (2013-2014) are older than the 5 years before the clock: said on the page
        assert json.loads((out / view / "summary.json").read_text())["n"] == 0
        assert "Pass --now 2014:" in page
    assert 0 < counts[0] <= counts[1]  # snr >= 5 then snr >= 3
    calalign = write_calalign(tmp_path / "calalign")
    shifted = run(
        "astromon-web-pages", "--out", str(out), "--db-file", str(legacy), "--calalign-dir",
        str(calalign), "--log-level", "WARNING", cwd=tmp_path,
    )  # fmt: skip
    assert shifted.returncode == 0, shifted.stderr
    assert f"report --web {out} --calalign-dir {calalign}" in note(shifted, "astromon-web-pages")
    for view in ("cal", "mta"):  # the reprocessed view on the same page
        summary = json.loads((out / view / "summary.json").read_text())
        assert summary["reference_calalign"]["view"].startswith("reprocessed with the reference")
        assert (out / view / "reference_dr_cdf.png").is_file()
    missing = run(
        "astromon-web-pages", "--out", str(out), "--db-file", str(legacy), "--calalign-dir",
        str(tmp_path / "nowhere"), cwd=tmp_path,
    )  # fmt: skip
    assert missing.returncode == 2
    assert "CALALIGN directory" in one_line_error(missing, "astromon-web-pages")


def test_calc_rms_prints_the_statistics(tmp_path: Path, reference_dir: Path) -> None:
    env = {"ASTROMON_FILE": str(reference_dir / "astromon_legacy.h5")}
    result = run("astromon-calc-rms", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "report --snr 5" in note(result, "astromon-calc-rms")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("now = ") and "S/N >= 5" in lines[0]
    assert lines[1].startswith("No cross-match of the selection falls between")  # 2013-14 data
    assert any(line.split()[:4] == ["period", "detector", "N", "RMS"] for line in lines)
    offsets = tmp_path / "offsets.json"
    offsets.write_text(json.dumps([{"tstart": "2020:001", "dy": 0.1, "dz": -0.1}]))
    shifted = run("astromon-calc-rms", "--offsets-file", str(offsets), cwd=tmp_path, env=env)
    assert shifted.returncode == 0, shifted.stderr
    assert f"--offsets-file {offsets}" in note(shifted, "astromon-calc-rms")
    offsets.write_text("{not json")
    bad = run("astromon-calc-rms", "--offsets-file", str(offsets), cwd=tmp_path, env=env)
    assert bad.returncode == 2
    assert "not a JSON list" in one_line_error(bad, "astromon-calc-rms")
    calalign = write_calalign(tmp_path / "calalign")
    latest = run("astromon-calc-rms", "--use-latest-calalign", "--calalign-dir", str(calalign),
                 cwd=tmp_path, env=env)  # fmt: skip
    assert latest.returncode == 0, latest.stderr
    assert "--reference-calalign N0010 --calalign-dir" in note(latest, "astromon-calc-rms")
    assert "reprocessed with the reference CALALIGN N0010:" in latest.stdout
    env_no_caldb = {**env, "CALDB": "", "ASTROMON_CALALIGN_DIR": ""}
    latest = run("astromon-calc-rms", "--use-latest-calalign", cwd=tmp_path, env=env_no_caldb)
    assert latest.returncode == 2
    assert "calalign_dir" in one_line_error(latest, "astromon-calc-rms")


def test_excluded_region_actions(tmp_path: Path) -> None:
    script = "astromon-excluded-region"
    dbfile = tmp_path / "regions.duckdb"
    add = run(script, "add", "--ra", "10.5", "--dec", "-20", "--radius", "7", "--username",
              "me", "--comment", "x" * 250, "--db-file", str(dbfile), cwd=tmp_path)  # fmt: skip
    assert add.returncode == 0, add.stderr
    assert f"astromon --db {dbfile} regions add --ra 10.5 --dec -20.0" in note(add, script)
    sexagesimal = run(script, "add", "--ra", "1h00m00s", "--dec", "+10d00m00s", "--db-file",
                      str(dbfile), cwd=tmp_path)  # fmt: skip
    assert sexagesimal.returncode == 0, sexagesimal.stderr
    regions = db.get_table("astromon_regions", dbfile)
    assert list(regions["ra"]) == pytest.approx([10.5, 15.0])
    assert regions["radius"][0] == 7 and regions["radius"][1] == 5  # the original default
    assert regions["comments"][0] == "x" * 200 and regions["user"][0] == "me"
    assert list(regions["obsid"]) == [0, 0]
    listed = run(script, "list", "--db-file", str(dbfile), "--region-id", "2", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "regions list" in note(listed, script)
    rows = [line for line in listed.stdout.splitlines() if line.strip().startswith("2 ")]
    assert len(rows) == 1 and "15.0000" in rows[0]
    removed = run(script, "rm", "--region-id", "1", "--db-file", str(dbfile), cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert list(db.get_table("astromon_regions", dbfile)["region_id"]) == [2]
    copy = tmp_path / "copy.duckdb"
    synced = run(script, "sync", str(dbfile), str(copy), cwd=tmp_path)
    assert synced.returncode == 0, synced.stderr
    assert f"regions sync {dbfile} --to {copy}" in note(synced, script)
    assert list(db.get_table("astromon_regions", copy)["region_id_str"]) == list(
        db.get_table("astromon_regions", dbfile)["region_id_str"]
    )
    no_id = run(script, "rm", "--db-file", str(dbfile), cwd=tmp_path)
    assert no_id.returncode == 2 and "rm needs --region-id" in one_line_error(no_id, script)
    legacy = tmp_path / "astromon.h5"
    to_h5 = run(script, "add", "--ra", "1", "--dec", "1", "--db-file", str(legacy), cwd=tmp_path)
    assert to_h5.returncode == 2
    assert "db import-legacy" in one_line_error(to_h5, script)
    bad_ra = run(script, "add", "--ra", "ten", "--dec", "1", "--db-file", str(dbfile), cwd=tmp_path)
    assert bad_ra.returncode == 2 and "--ra 'ten'" in one_line_error(bad_ra, script)
    usage = run(script, cwd=tmp_path)
    assert usage.returncode == 0 and "add,remove,rm,list,sync" in usage.stdout
    unknown = run(script, "bogus", cwd=tmp_path)
    assert unknown.returncode == 2 and "invalid choice" in one_line_error(unknown, script)


def test_cross_match_options_map_to_astromon_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASCDS_INSTALL", raising=False)
    db_file = str(tmp_path / "a.duckdb")
    assert cross_match_argv(["--db-file", db_file, "--obsid", "1234,2345", "--threads", "2"]) == [
        "-vv", "--db", db_file, "process", "1234", "2345", "--workers", "2",
    ]  # fmt: skip
    listed = tmp_path / "obsids.txt"
    listed.write_text("1234\n2345\n")
    argv = cross_match_argv(
        ["--db-file", db_file, "--obsid", str(listed), "--no-exception", "--log-level", "info",
         "--workdir", "w", "--archive-dir", "a"]
    )  # fmt: skip
    assert argv == [
        "-v", "--db", db_file, "process", "--obsid-file", str(listed), "--force", "--workers",
        "9", "--workdir", "w", "--archive-dir", "a",
    ]  # fmt: skip
    argv = cross_match_argv(["--db-file", db_file, "--stop", "2024:031", "--log-level", "error"])
    assert argv[:4] == ["--db", db_file, "process", "--start"]
    assert argv[4].startswith("2024:001:00:00:00") and argv[6].startswith("2024:031:00:00:00")


def test_cross_match_daily_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, info_url: str
) -> None:
    """The daily job's command line on a skipped observation (no catalog search needed)."""
    script = "astromon-cross-match"
    default = run(script, "--archive-dir", str(tmp_path / "arch"), cwd=tmp_path)
    assert default.returncode == 2  # the original default --db-file is astromon.h5
    assert "astromon writes DuckDB files" in one_line_error(default, script)
    fake = _make_env(tmp_path / "fake", info_url)
    fake.activate(monkeypatch)
    monkeypatch.setenv("ASCDS_INSTALL", str(fake.prefix))  # a CIAO environment is active
    dbfile = tmp_path / "astromon.duckdb"
    result = run(
        script, "--archive-dir", str(tmp_path / "arch"), "--db-file", str(dbfile), "--obsid",
        str(CONTINUOUS.obsid), "--threads", "1", "--workdir", str(tmp_path / "work"),
        "--log-level", "warning", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    line = note(result, script)
    assert f"--db {dbfile} process {CONTINUOUS.obsid} --workers 1" in line
    assert f"--ciao-prefix {fake.prefix}" in line
    assert "1 obsids: 0 saved, 1 skipped, 0 failed" in result.stdout, result.stdout
    empty = tmp_path / "empty_archive"
    empty.mkdir()
    fake.configure(archive=str(empty))
    quiet = run(script, "--db-file", str(dbfile), "--stop", "2024:031", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr  # a time range without observations
    assert "no observations from 2024:001" in quiet.stderr
    assert "--start 2024:001:00:00:00.000 --stop 2024:031:00:00:00.000" in note(quiet, script)


def test_process_obs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, info_url: str) -> None:
    script = "astromon-process-obs"
    fake = _make_env(tmp_path / "fake", info_url)
    fake.activate(monkeypatch)
    listed = tmp_path / "obsids.txt"
    listed.write_text(f"{CONTINUOUS.obsid}\n")
    result = run(
        script, str(ACIS.obsid), str(listed), "--workdir", str(tmp_path / "work"),
        "--ciao-prefix", str(fake.prefix), "--data-source", "arc5gl", "--log-level", "warning",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    line = note(result, script)
    assert f"process {ACIS.obsid} {CONTINUOUS.obsid} --workdir" in line
    assert "also saves the results in the database" in line
    outcome = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert outcome[str(ACIS.obsid)].startswith("OK")
    assert outcome[str(CONTINUOUS.obsid)].startswith("SKIP")
    sources = tmp_path / "work" / "obs01" / str(ACIS.obsid) / "sources"
    assert (sources / f"{ACIS.obsid}_celldetect.src").exists()
    assert not list(tmp_path.glob("*.duckdb"))  # nothing saved in a database
    no_ciao = run(script, str(ACIS.obsid), "--ciao-prefix", str(tmp_path / "nowhere"),
                  "--workdir", str(tmp_path / "w2"), cwd=tmp_path)  # fmt: skip
    assert no_ciao.returncode == 1
    assert "CIAO prefix" in one_line_error(no_ciao, script)
    bad = run(script, "12x", cwd=tmp_path)
    assert bad.returncode == 2
    one_line_error(bad, script)


def test_file_system_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from astromon.cli import app as app_module
    from astromon.cli.legacy.report_scripts import web_pages_main
    from astromon.services import interrupts

    def denied(args: list[str], prog_name: str) -> None:
        raise PermissionError(13, "Permission denied", "/srv/web/cal")

    monkeypatch.setattr(app_module, "app", denied)
    try:
        with pytest.raises(SystemExit) as exit_info:
            web_pages_main(["--out", "/srv/web", "--db-file", str(tmp_path / "x.duckdb")])
    finally:
        interrupts.uninstall()  # the entry point installed the command line's handlers
    assert exit_info.value.code == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert errors == ["astromon-web-pages: error: cannot use '/srv/web/cal': Permission denied"]


__all__ = ["info_url"]  # the sequence-summary server fixture, shared with the pipeline tests
