"""``astromon calalign list|offsets|write|check`` on the reference data (legacy HDF5 file)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from astromon.cli.app import app
from tests.unit.calalign_support import write_calalign_file

pytestmark = pytest.mark.filterwarnings("ignore:.*dubious year")

runner = CliRunner()

CURRENT = ("pcadD2011-06-01alignN0008.fits", "pcadD2014-07-01alignN0009.fits",
           "pcadD2022-06-01alignN0010.fits")  # fmt: skip


@pytest.fixture
def legacy_db(reference_dir: Path) -> list[str]:
    return ["--db", str(reference_dir / "astromon_legacy.h5")]


def current_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "current"
    for name in CURRENT:
        write_calalign_file(directory, name)
    return directory


def test_list_is_the_default_and_a_subcommand(tmp_path: Path) -> None:
    directory = current_dir(tmp_path)
    default = runner.invoke(app, ["calalign", "--calalign-dir", str(directory), "--format", "csv"])
    assert default.exit_code == 0, default.output
    listed = runner.invoke(
        app, ["calalign", "list", "--calalign-dir", str(directory), "--format", "csv"]
    )
    assert listed.exit_code == 0, listed.output
    assert listed.stdout == default.stdout
    assert len(listed.stdout.splitlines()) == 1 + 3 * 4
    missing = runner.invoke(app, ["calalign", "list", "--calalign-dir", str(tmp_path / "no")])
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    # the group's options, before the subcommand, are the listing's
    before = runner.invoke(
        app, ["calalign", "--calalign-dir", str(directory), "--format", "csv", "list"]
    )
    assert before.exit_code == 0, before.output
    assert before.stdout == listed.stdout
    mixed = runner.invoke(
        app, ["calalign", "--calalign-dir", str(tmp_path / "no"), "list", "--calalign-dir",
              str(directory), "--format", "csv"],
    )  # fmt: skip
    assert mixed.exit_code == 0 and mixed.stdout == listed.stdout  # the subcommand's wins
    elsewhere = runner.invoke(app, ["calalign", "--calalign-dir", str(directory), "offsets"])
    assert elsewhere.exit_code == 2
    assert "--calalign-dir before the subcommand belongs to the listing" in elsewhere.stderr


def test_offsets_outputs_and_refusals(legacy_db: list[str], tmp_path: Path) -> None:
    json_file, ecsv_file, png = tmp_path / "o.json", tmp_path / "o.ecsv", tmp_path / "o.png"
    args = [*legacy_db, "calalign", "offsets"]
    result = runner.invoke(app, [*args, "--output", str(json_file), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    rows = json.loads(json_file.read_text())
    assert {r["detector"] for r in rows} == {"all"}  # one common correction by default
    per_detector = tmp_path / "per_detector.json"
    result = runner.invoke(app, [*args, "--per-detector", "--output", str(per_detector)])
    assert result.exit_code == 0, result.output
    detector_rows = json.loads(per_detector.read_text())
    assert {r["detector"] for r in detector_rows} >= {"all", "ACIS-S", "ACIS-I"}
    assert [r for r in detector_rows if r["detector"] == "all"] == rows
    assert all(re.fullmatch(r"\d{4}:\d{3}:\d\d:\d\d:\d\d\.\d{3}", r["tstart"]) for r in rows)
    assert sum(r["n"] for r in rows if r["detector"] == "all") == 6  # the standard selection
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = runner.invoke(app, [*args, "--output", str(json_file)])
    assert again.exit_code == 2 and "pass --overwrite" in again.stderr
    replot = runner.invoke(app, [*args, "--plot", str(png)])
    assert (
        replot.exit_code == 2 and "--plot" in replot.stderr and "pass --overwrite" in replot.stderr
    )
    assert runner.invoke(app, [*args, "--plot", str(png), "--overwrite"]).exit_code == 0
    table = runner.invoke(app, [*args, "--output", str(ecsv_file), "--bins-per-year", "1"])
    assert table.exit_code == 0, table.output
    assert "# %ECSV" in ecsv_file.read_text()
    bad = runner.invoke(app, [*args, "--output", str(tmp_path / "o.txt")])
    assert bad.exit_code == 2 and "--output" in bad.stderr and ".json or .ecsv" in bad.stderr
    empty = runner.invoke(app, [*args, "--start", "2030:001"])
    assert empty.exit_code == 2 and "no cross-matches" in empty.stderr
    filtered = runner.invoke(app, [*args, "--where", "detector=ACIS-I"])
    assert filtered.exit_code == 0 and "ACIS-S" not in filtered.stdout
    # the report reads the JSON it wrote
    report = runner.invoke(
        app,
        [*legacy_db, "report", "--now", "2015:001", "--out", str(tmp_path / "r"),
         "--offsets-file", str(json_file)],
    )  # fmt: skip
    assert report.exit_code == 0, report.output
    assert "offset steps removed" in (tmp_path / "r" / "index.html").read_text()


def test_check_without_current_files_names_the_option(
    legacy_db: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASTROMON_CALALIGN_DIR", raising=False)
    monkeypatch.delenv("CALDB", raising=False)
    new = current_dir(tmp_path)
    result = runner.invoke(app, [*legacy_db, "calalign", "check", "--calalign-dir", str(new)])
    assert result.exit_code == 2 and "--current-dir" in result.stderr and "CALDB" in result.stderr


def test_write_then_check(legacy_db: list[str], tmp_path: Path) -> None:
    offsets = tmp_path / "offsets.json"
    assert (
        runner.invoke(app, [*legacy_db, "calalign", "offsets", "--output", str(offsets)]).exit_code
        == 0
    )
    current = current_dir(tmp_path)
    new = tmp_path / "new"
    args = ["calalign", "write", "--offsets", str(offsets),
            "--calalign-file", str(current / CURRENT[-1]), "--out", str(new)]  # fmt: skip
    written = runner.invoke(app, [*args, "--date", "2026:001"])
    assert written.exit_code == 0, written.output
    names = sorted(p.name for p in new.iterdir())
    assert names[0] == "pcadD2013-01-01alignN0011.fits" and len(names) == 4
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "not overwritten" in again.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('[{"tstart": "2013:001", "dy": "big", "dz": 0}]')
    refused = runner.invoke(app, ["calalign", "write", "--offsets", str(bad),
                                  "--calalign-file", str(current / CURRENT[-1]),
                                  "--out", str(tmp_path / "x")])  # fmt: skip
    assert refused.exit_code == 2 and "--offsets" in refused.stderr and "'big'" in refused.stderr

    out = tmp_path / "check"
    check = runner.invoke(
        app,
        [*legacy_db, "calalign", "check", "--calalign-dir", str(new),
         "--current-dir", str(current), "--now", "2015:001", "--out", str(out)],
    )  # fmt: skip
    assert check.exit_code == 0, check.output
    assert "6 of 6 cross-matches re-expressed" in check.stdout
    before, after = check.stdout.split("after:")
    rms = [
        float(re.search(r"last 5 years\s+all\s+6\s+([\d.]+)", t).group(1)) for t in (before, after)
    ]  # type: ignore[union-attr]
    assert rms[1] < rms[0]
    html = (out / "index.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', html)
    assert {i.split("/")[0] for i in images} == {"before", "after"}
    assert all((out / i).is_file() for i in images)
    assert np.isfinite(rms).all()
