"""``astromon demo`` end to end: simulated archive, event-list detector, local catalog,
the batch service with the default executor, the DuckDB store and the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table
from typer.testing import CliRunner

from astromon.bootstrap import bootstrap
from astromon.cli.app import app
from astromon.domain.schema import to_schema
from astromon.ports.store import TableWrite
from astromon.services.demo import DEFAULT_OBSERVATIONS
from tests.integration.conftest import DefaultDemo

TABLES = ("astromon_obs", "astromon_xray_src", "astromon_cat_src", "astromon_xcorr")


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["demo", *args])
    return result.exit_code, result.output


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    store = bootstrap().store(db)
    out = {}
    for name in TABLES:
        table = Table(store.read_table(name), copy=True)  # a private, writable copy
        keys = [c for c in ("select_name", "obsid", "id", "x_id", "c_id") if c in table.colnames]
        table.sort(keys)
        out[name] = [tuple(row) for row in table.as_array().tolist()]
    return out


def test_demo_small_run_writes_db_and_report(tmp_path: Path):
    db, out = tmp_path / "demo.duckdb", tmp_path / "report"
    code, output = _run(["-n", "8", "--db", str(db), "--out", str(out), "--seed", "3"])
    assert code == 0, output
    assert "8 obsids: 8 saved" in output
    assert "Recovered against injected offsets" in output
    assert "90% radius" in output
    # the summary, as the report prints it: now on its first line, never "nan"
    assert "now = 2026:001:00:00:00.000: accuracy over the 5 years before now" in output
    assert "The overall 90% uncertainty circle of Chandra X-ray absolute positions" in output
    assert "nan" not in output.lower()
    assert (out / "index.html").exists() and (out / "summary.json").exists()
    injected = json.loads((out / "injected_offsets.json").read_text())
    assert {r["detector"] for r in injected} == {"ACIS-S", "ACIS-I", "HRC-S", "HRC-I"}
    assert all({"tstart", "dy", "dz", "n"} <= set(r) for r in injected)
    tables = _tables(db)
    assert len(tables["astromon_obs"]) == 8
    assert {row[2] for row in tables["astromon_obs"]} == {"ACIS-S", "ACIS-I", "HRC-S", "HRC-I"}
    # bright sources at catalog stars are cross-matched in every observation
    assert len(tables["astromon_xcorr"]) > 8 * 15


def test_same_seed_same_database(tmp_path: Path):
    runs = {}
    for label, seed, workers in (("a", 5, "1"), ("b", 5, "2"), ("c", 6, "1")):
        db = tmp_path / f"{label}.duckdb"
        code, output = _run(
            ["-n", "4", "--db", str(db), "--out", str(tmp_path / label), "--seed", str(seed),
             "--workers", workers]
        )  # fmt: skip
        assert code == 0, output
        runs[label] = _tables(db)
    assert runs["a"] == runs["b"]
    assert runs["a"]["astromon_xray_src"] != runs["c"]["astromon_xray_src"]


def test_demo_replaces_its_own_database_but_refuses_others(tmp_path: Path):
    db = tmp_path / "demo.duckdb"
    one = ["--workers", "1"]
    assert _run(["-n", "4", "--db", str(db), "--out", str(tmp_path / "r1"), *one])[0] == 0
    code, output = _run(["-n", "2", "--db", str(db), "--out", str(tmp_path / "r2"), *one])
    assert code == 0, output
    assert len(_tables(db)["astromon_obs"]) == 2

    real = tmp_path / "real.duckdb"
    row = {
        "obsid": [14538], "version": [10.0902], "detector": ["ACIS-S"], "target": ["HD 214419"],
        "grating": ["NONE"], "sim_z": [-190.1], "date_obs": ["2013-03-19T12:56:12"],
        "tstart": [480084960.0], "ascdsver": ["10.9.2"], "ra": [339.2], "dec": [56.9],
        "roll": [23.2], "category_id": [10],
    }  # fmt: skip
    store = bootstrap().store(real, write=True)
    store.save_many([TableWrite("astromon_obs", to_schema("astromon_obs", row))])
    store.close()  # checkpoint now: a kept write session would rewrite the header later
    before = real.read_bytes()
    code, output = _run(["-n", "2", "--db", str(real), "--out", str(tmp_path / "r3"), *one])
    assert code == 2  # a bad value of --db: a usage error naming it
    assert "real observations" in output and "14538" in output
    assert real.read_bytes() == before


def test_demo_as_a_real_subprocess(tmp_path: Path):
    exe = Path(sys.executable).with_name("astromon")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "astromon.cli.app"]
    proc = subprocess.run(
        [*command, "demo", "-n", "4", "--workers", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "astromon-demo.duckdb").exists()
    assert (tmp_path / "astromon-demo-report" / "index.html").exists()


@pytest.mark.slow
def test_default_demo_recovers_the_injected_offsets(default_demo: DefaultDemo):
    result = default_demo.result  # run_demo with the default executor of 2 processes
    assert result.batch.complete and len(result.batch.saved) == DEFAULT_OBSERVATIONS
    assert len(bootstrap().store(default_demo.db).read_table("astromon_obs")) == len(
        result.batch.saved
    )
    comparison = result.comparison
    assert len(comparison.bins) == 16  # 4 detectors x 4 half-years
    for b in comparison.bins:
        assert b.n >= 50
        assert abs(b.recovered_dy - b.injected_dy) <= 0.05, b
        assert abs(b.recovered_dz - b.injected_dz) <= 0.05, b
    assert comparison.radius_error <= 0.10
    assert comparison.n_unidentified <= 0.01 * comparison.n_matches
    assert comparison.passed
    # the report saw the same matches, every one in the 5 years before 2026:001
    assert sum(r.figures.n for r in result.report.summary if r.detector == "all") >= len(
        result.matches
    )
    assert result.report.accuracy.overall.n == len(result.matches)
    assert result.report.accuracy.overall.q90 == np.percentile(result.matches["dr"], 90)


@pytest.mark.slow
def test_default_demo_recovers_the_injected_aspect_errors(
    default_demo: DefaultDemo, tmp_path: Path
) -> None:
    """The stored alignment of every observation against the simulated truth, computed here:
    the injected aspect errors within 3 sigma, and exactly the observations whose expected
    shift is longer than 0.5" flagged."""
    from astromon_adapters.simulation import SimulatedObservatory

    from astromon import db

    observatory = SimulatedObservatory(tmp_path, DEFAULT_OBSERVATIONS, 0)
    truth = observatory.alignment_truth()
    injected = observatory.injected_alignment()
    assert len(injected) >= 10 and np.all(np.abs(injected["roll"]) <= 60.0)
    assert np.all(np.hypot(injected["dy"], injected["dz"]) <= 2.0)
    stored = db.get_alignment("astromon_21", default_demo.db)
    assert sorted(stored["obsid"].tolist()) == sorted(truth["obsid"].tolist())
    fitted = {int(row["obsid"]): row for row in stored}
    for row in truth[np.asarray(truth["injected"], dtype=bool)]:
        fit = fitted[int(row["obsid"])]
        assert fit["n_pairs"] >= 10, fit
        for name in ("dy", "dz", "roll"):
            pull = (float(fit[name]) - float(row[name])) / float(fit[f"{name}_err"])
            assert abs(pull) <= 3.0, (int(row["obsid"]), name, pull)
    expected = {int(o) for o, y, z in truth.iterrows("obsid", "dy", "dz") if np.hypot(y, z) > 0.5}
    assert expected and {int(o) for o in stored["obsid"][stored["flagged"]]} == expected
    recovery = default_demo.result.alignment
    assert recovery is not None and recovery.passed
    assert recovery.injected == tuple(sorted(int(o) for o in injected["obsid"]))
