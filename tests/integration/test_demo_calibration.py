"""The calibration loop on the demo: injected offsets → recovered offsets → corrected report,
new CALALIGN files and their check."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.storage.input_files import LocalInputFiles
from typer.testing import CliRunner

from astromon import bootstrap
from astromon.cli.app import app
from astromon.domain.time import CxoTime
from astromon.services.demo import DEFAULT_OBSERVATIONS
from astromon.services.report import monitoring as report_service
from astromon.utils import calalign_from_files
from tests.integration.conftest import DefaultDemo
from tests.unit.calalign_support import write_calalign_file

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:.*dubious year")]

runner = CliRunner()
TOLERANCE = 0.05  # arcsec


def test_demo_offsets_are_recovered_and_removed(default_demo: DefaultDemo, tmp_path: Path) -> None:
    db = default_demo.db  # the default demo's database: read here, never written
    injected = json.loads(default_demo.injected_offsets.read_text())
    assert {r["detector"] for r in injected} == {"ACIS-S", "ACIS-I", "HRC-S", "HRC-I"}
    assert len(injected) == 16  # 4 detectors x 4 half-years

    # the observations with an aspect error are left out: their shift is their own, not the
    # detector's (the per-observation alignment flags them)
    from astromon_adapters.simulation import SimulatedObservatory

    observatory = SimulatedObservatory(tmp_path / "sim", DEFAULT_OBSERVATIONS, 0)
    aspect = set(observatory.injected_alignment()["obsid"].tolist())
    kept = [o for o in observatory.obsids if o not in aspect]
    recovered_file = tmp_path / "offsets.json"
    offsets = runner.invoke(
        app,
        ["--db", str(db), "calalign", "offsets", "--per-detector", "--output",
         str(recovered_file), "--where", f"obsid={','.join(map(str, kept))}"],
    )  # fmt: skip
    assert offsets.exit_code == 0, offsets.output
    recovered = {(r["detector"], r["tstart"]): r for r in json.loads(recovered_file.read_text())}
    for row in injected:
        got = recovered[(row["detector"], row["tstart"])]
        assert abs(got["dy"] - row["dy"]) <= TOLERANCE, (row, got)
        assert abs(got["dz"] - row["dz"]) <= TOLERANCE, (row, got)
        assert got["n"] >= 50 and 0 < got["dy_err"] < TOLERANCE

    corrected = runner.invoke(
        app,
        ["--db", str(db), "report", "--now", "2026:001", "--out", str(tmp_path / "corrected"),
         "--offsets-file", str(recovered_file)],
    )  # fmt: skip
    assert corrected.exit_code == 0, corrected.output
    store = bootstrap.bootstrap().store(db)
    matches = report_service.select_matches(store)
    report = report_service.build_report(
        matches[np.isin(np.asarray(matches["obsid"]), kept)],
        now="2026:001",
        offset_steps=report_service.read_offset_steps(recovered_file, LocalInputFiles()),
    )
    assert len(report.detector_medians) == 4
    for detector, (medians_dy, medians_dz) in report.detector_medians.items():
        assert medians_dy.n.size == 4, detector
        assert np.all(np.abs(medians_dy.median) <= TOLERANCE), (detector, medians_dy.median)
        assert np.all(np.abs(medians_dz.median) <= TOLERANCE), (detector, medians_dz.median)

    # the same correction as CALALIGN files, checked before shipping
    current = tmp_path / "current"
    base = write_calalign_file(current, "pcadD2022-06-01alignN0010.fits")
    new = tmp_path / "new"
    written = runner.invoke(
        app,
        ["calalign", "write", "--offsets", str(recovered_file), "--calalign-file", str(base),
         "--out", str(new), "--per-detector"],
    )  # fmt: skip
    assert written.exit_code == 0, written.output
    assert len(list(new.iterdir())) == 5  # the base re-issued and 4 half-years
    check = runner.invoke(
        app,
        ["--db", str(db), "calalign", "check", "--calalign-dir", str(new), "--current-dir",
         str(current), "--now", "2026:001", "--out", str(tmp_path / "check")],
    )  # fmt: skip
    assert check.exit_code == 0, check.output
    before, after = check.stdout.split("after:")
    pattern = r"last 2 years\s+all\s+\d+\s+([\d.]+)"
    rms_before = float(re.search(pattern, before).group(1))  # type: ignore[union-attr]
    rms_after = float(re.search(pattern, after).group(1))  # type: ignore[union-attr]
    assert rms_after < rms_before


def test_demo_common_correction_for_every_instr_id(
    default_demo: DefaultDemo, tmp_path: Path
) -> None:
    """By default one correction per half-year, the median over every detector, is written to
    every INSTR_ID row (the practice of the system we replace)."""
    db = default_demo.db
    common = tmp_path / "common.json"
    result = runner.invoke(app, ["--db", str(db), "calalign", "offsets", "--output", str(common)])
    assert result.exit_code == 0, result.output
    rows = json.loads(common.read_text())
    assert {r["detector"] for r in rows} == {"all"} and len(rows) == 4
    matches = report_service.select_matches(bootstrap.bootstrap().store(db))
    years = np.asarray(CxoTime(np.asarray(matches["tstart"], dtype=float)).frac_year)
    half = np.floor(2 * years) / 2
    for row in rows:
        sel = half == float(CxoTime(row["tstart"]).frac_year)
        assert row["n"] == sel.sum()
        assert row["n_obs"] == len(set(np.asarray(matches["obsid"])[sel]))
        assert row["dy"] == pytest.approx(np.median(np.asarray(matches["dy"])[sel]), abs=1e-6)
        assert row["dz"] == pytest.approx(np.median(np.asarray(matches["dz"])[sel]), abs=1e-6)
        # 16 observations of four detectors with their own injected offsets: the spread
        # between observations, not the number of sources, sets the uncertainty
        assert 0.01 < row["dy_err"] < 0.2
    current = tmp_path / "current"
    base = write_calalign_file(current, "pcadD2022-06-01alignN0010.fits")
    new = tmp_path / "new"
    written = runner.invoke(
        app,
        ["calalign", "write", "--offsets", str(common), "--calalign-file", str(base),
         "--out", str(new)],
    )  # fmt: skip
    assert written.exit_code == 0, written.output
    old = {str(r["instr_id"]): r for r in calalign_from_files(current)}
    files = calalign_from_files(new)
    for row in rows:
        name = f"pcadD{CxoTime(row['tstart']).utc.isot[:10]}alignN0011.fits"
        step = files[files["filename"] == name]
        assert sorted(step["instr_id"]) == ["ACIS-I", "ACIS-S", "HRC-I", "HRC-S"]
        for instrument in step:
            before = old[str(instrument["instr_id"])]
            assert instrument["dy"] - before["dy"] == pytest.approx(-row["dy"], abs=1e-6)
            assert instrument["dz"] - before["dz"] == pytest.approx(-row["dz"], abs=1e-6)


def test_demo_web_pages(default_demo: DefaultDemo, tmp_path: Path) -> None:
    web = tmp_path / "web"
    result = runner.invoke(
        app, ["--db", str(default_demo.db), "report", "--web", str(web), "--now", "2026:001"]
    )
    assert result.exit_code == 0, result.output
    cal = json.loads((web / "cal" / "summary.json").read_text())
    assert cal["n"] == len(default_demo.result.matches)  # the demo's two years: all in
    assert cal["q90"] == pytest.approx(np.percentile(default_demo.result.matches["dr"], 90))
    assert len(cal["worst_observations"]) == 20
