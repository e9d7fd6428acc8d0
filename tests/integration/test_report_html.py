"""The monitoring report on the reference data: the legacy HDF5 file imported into a DuckDB
database, ``astromon report --web`` with the reference CALALIGN view, the figures against
values computed here from the ECSV files, and every page opened in headless Chromium."""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.report.plots import ALIGNMENT_PLOTS
from astromon_adapters.report.renderer import PLOTS, MatplotlibReportRenderer
from astropy.table import Table
from typer.testing import CliRunner

from astromon.cli.app import app
from astromon.services.report import monitoring as report_service
from tests.unit.fake_store import InMemoryStore
from tests.unit.test_calalign_offsets import write_calalign

pytestmark = pytest.mark.filterwarnings("ignore:.*dubious year")

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NOW = "2015:001"

_CHECK_SCRIPT = """
<script>
window.addEventListener("load", function () {
  var images = Array.from(document.images);
  var broken = images.filter(function (img) { return !img.complete || img.naturalWidth === 0; });
  var marker = document.createElement("pre");
  marker.id = "image-check";
  marker.textContent = "images=" + images.length + " broken=" +
    broken.map(function (img) { return img.getAttribute("src"); }).join(",") + ";";
  document.body.appendChild(marker);
});
</script>
"""


def find_chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(
        "headless Chromium is not installed (Debian package 'chromium'; .ci/run installs it)"
    )


def browser_dom(chromium: str, page: Path, profile: Path) -> str:
    """The DOM of ``page`` after Chromium loaded it and its images (file:// URL)."""
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-dev-shm-usage",
         "--allow-file-access-from-files", f"--user-data-dir={profile}",
         "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.stdout, result.stderr[-2000:]
    return result.stdout


def image_check(chromium: str, page: Path, profile: Path) -> tuple[int, str]:
    """(number of images, the sources of those not loaded) of ``page`` in Chromium."""
    check = page.with_name(f"check-{page.name}")
    check.write_text(page.read_text().replace("</body>", _CHECK_SCRIPT + "</body>"))
    dom = browser_dom(chromium, check, profile)
    marker = re.search(r"images=(\d+) broken=([^;]*);", dom)
    assert marker is not None, dom[-2000:]
    return int(marker.group(1)), marker.group(2)


def text_of(html: str) -> str:
    body = re.sub(r"<head>.*?</head>", " ", html, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def reference_figures(reference_dir: Path, snr: float) -> np.ndarray:
    """dr of the report's selection, computed here from the ECSV files."""
    xcorr = Table.read(reference_dir / "astromon_xcorr.ecsv")
    obs = {r["obsid"]: r for r in Table.read(reference_dir / "astromon_obs.ecsv")}
    xray = {(r["obsid"], r["id"]): r for r in Table.read(reference_dir / "astromon_xray_src.ecsv")}
    nominal = {"ACIS-I": -233.587, "ACIS-S": -190.143, "HRC-I": 126.983, "HRC-S": 250.466}
    bad = ("rwaur", "tauboo", "70oph", "16cyg", "m87", "orion", "hd97950", "hd4915")
    dr = []
    for match in xcorr:
        o, x = obs[match["obsid"]], xray[(match["obsid"], match["x_id"])]
        if (
            x["snr"] >= snr
            and x["caldb_version"] != "0.0"
            and o["category_id"] not in (100, 110, 120)
            and abs(o["sim_z"] - nominal[o["detector"]]) <= 4
            and not o["target"].replace(" ", "").lower().startswith(bad)
        ):
            dr.append(float(match["dr"]))
    return np.array(dr)


@pytest.fixture(scope="module")
def site(reference_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``astromon report --web`` on the legacy file imported into a DuckDB database."""
    base = tmp_path_factory.mktemp("web")
    db = base / "reference.duckdb"
    runner = CliRunner()
    imported = runner.invoke(
        app, ["--db", str(db), "db", "import-legacy", str(reference_dir / "astromon_legacy.h5")]
    )
    assert imported.exit_code == 0, imported.output
    align = write_calalign(base / "align")
    web = base / "web"
    result = runner.invoke(
        app,
        ["--db", str(db), "report", "--web", str(web), "--now", NOW, "--calalign-dir", str(align)],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith("now = 2015:001:00:00:00.000: accuracy")
    return web


@pytest.mark.parametrize(("view", "snr"), [("cal", 5.0), ("mta", 3.0)])
def test_the_figures_of_the_reference_data(
    site: Path, reference_dir: Path, view: str, snr: float
) -> None:
    summary = json.loads((site / view / "summary.json").read_text())
    dr = reference_figures(reference_dir, snr)  # every match is in the window of 2015:001
    assert summary["n"] == dr.size > 0
    for q in (68, 90, 99):
        assert summary[f"q{q}"] == pytest.approx(np.percentile(dr, q), abs=1e-6)
    assert summary["max_offset"] == pytest.approx(np.max(dr), abs=1e-6)
    assert (summary["start_date"], summary["end_date"]) == ("2009-12-31", "2015-01-01")
    assert summary["reference_calalign"]["n"] == dr.size
    assert summary["reference_calalign"]["view"].startswith("reprocessed with the reference")
    page = (site / view / "index.html").read_text()
    assert (
        "The overall 90% uncertainty circle of Chandra X-ray absolute positions, based on "
        f"observations between 2009-12-31 and 2015-01-01, has a radius of "
        f"{np.percentile(dr, 90):.2f} arcsec."
    ) in text_of(page)
    images = re.findall(r'<img src="([^"]+)"', page)
    reference = [f"reference_{name}" for name in PLOTS if name not in ALIGNMENT_PLOTS]
    assert sorted(images) == sorted([*PLOTS, *reference])  # the alignment of the first view


def test_every_page_and_image_in_headless_chromium(site: Path, tmp_path: Path) -> None:
    chromium = find_chromium()
    index = browser_dom(chromium, site / "index.html", tmp_path / "profile")
    assert text_of(index).count("The overall 90% uncertainty circle") == 2
    for view in ("cal", "mta"):
        page = site / view / "index.html"
        dom = text_of(browser_dom(chromium, page, tmp_path / "profile"))
        assert "The overall 90% uncertainty circle of Chandra X-ray absolute positions" in dom
        assert "within 3 arcmin of the aimpoint" in dom
        count, broken = image_check(chromium, page, tmp_path / "profile")
        assert count == 2 * len(PLOTS) - len(ALIGNMENT_PLOTS)
        assert broken == "", f"images not loaded in {view}: {broken}"


def test_broken_image_is_detected(site: Path, tmp_path: Path) -> None:
    """The check itself works: a page with a missing image is reported."""
    chromium = find_chromium()
    page = site / "cal" / "broken.html"
    page.write_text((site / "cal" / "index.html").read_text().replace('"dr_cdf.png"', '"no.png"'))
    _, broken = image_check(chromium, page, tmp_path / "profile")
    assert broken == "no.png"


def test_calalign_check_page_shows_every_image_in_headless_chromium(
    reference_dir: Path, tmp_path: Path
) -> None:
    """The before/after page of ``calalign check``: both copies of every plot load."""
    chromium = find_chromium()
    store = InMemoryStore.from_directory(reference_dir)
    matches = report_service.select_matches(store)
    before = report_service.build_report(matches, now=NOW)
    steps = Table({"tstart": [0.0], "detector": ["all"], "dy": [0.2], "dz": [-0.1]})
    after = report_service.build_report(matches, now=NOW, offset_steps=steps)
    page = report_service.write_comparison(
        before, after, MatplotlibReportRenderer(dpi=40), tmp_path / "check"
    )
    count, broken = image_check(chromium, page, tmp_path / "profile")
    assert count == 2 * len(PLOTS)
    assert broken == "", f"images not loaded: {broken}"
