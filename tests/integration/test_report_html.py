"""The monitoring report on the reference data: files, statistics, and the page in Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.report_renderer import PLOTS, MatplotlibReportRenderer
from astropy.table import Table

from astromon.services import report as report_service
from tests.unit.fake_store import InMemoryStore

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

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


@pytest.fixture(scope="module")
def rendered(reference_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Table]:
    store = InMemoryStore.from_directory(reference_dir)
    matches = report_service.select_matches(store)
    report = report_service.build_report(
        matches, now="2015:001", selection=report_service.standard_selection()
    )
    outdir = tmp_path_factory.mktemp("report")
    page = report_service.write_report(report, MatplotlibReportRenderer(), outdir)
    return page, matches


def test_report_files_and_summary_table(rendered: tuple[Path, Table]) -> None:
    page, matches = rendered
    assert page.name == "index.html"
    for name in PLOTS:
        png = page.parent / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    html = page.read_text()
    # every plot by a relative path
    assert sorted(re.findall(r'<img src="([^"]+)"', html)) == sorted(PLOTS)
    # the summary's overall row for the last 5 years holds the figures computed here
    dr = np.asarray(matches["dr"], dtype=float)
    rms = f"{np.sqrt(np.mean(dr**2)):.2f}"
    q90 = f"{np.percentile(dr, 90):.2f}"
    row = re.search(
        r"<td class=\"text\">last 5 years</td>\s*<td class=\"text\">all</td><td>(\d+)</td>"
        r"<td>([^<]+)</td>\s*<td>([^<]+)</td>",
        html,
    )
    assert row is not None
    assert row.groups() == (str(len(matches)), rms, q90)


def test_page_shows_every_image_in_headless_chromium(
    rendered: tuple[Path, Table], tmp_path: Path
) -> None:
    chromium = find_chromium()
    page, _ = rendered
    check = page.parent / "check.html"
    check.write_text(page.read_text().replace("</body>", _CHECK_SCRIPT + "</body>"))
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            "--allow-file-access-from-files",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            check.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    marker = re.search(r"images=(\d+) broken=([^;]*);", result.stdout)
    assert marker is not None, f"no marker in the DOM; stderr: {result.stderr[-2000:]}"
    assert int(marker.group(1)) == len(PLOTS)
    assert marker.group(2) == "", f"images not loaded: {marker.group(2)}"


def test_broken_image_is_detected(rendered: tuple[Path, Table], tmp_path: Path) -> None:
    """The check itself works: a page with a missing image is reported."""
    chromium = find_chromium()
    page, _ = rendered
    check = page.parent / "broken.html"
    html = page.read_text().replace('src="dr_cdf.png"', 'src="missing.png"')
    check.write_text(html.replace("</body>", _CHECK_SCRIPT + "</body>"))
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            check.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    marker = re.search(r"images=(\d+) broken=([^;]*);", result.stdout)
    assert marker is not None, result.stderr[-2000:]
    assert marker.group(2) == "missing.png"


def _image_marker(chromium: str, check: Path, profile: Path) -> re.Match[str] | None:
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-dev-shm-usage",
         "--allow-file-access-from-files", f"--user-data-dir={profile}",
         "--virtual-time-budget=10000", "--dump-dom", check.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return re.search(r"images=(\d+) broken=([^;]*);", result.stdout)


def test_calalign_check_page_shows_every_image_in_headless_chromium(
    reference_dir: Path, tmp_path: Path
) -> None:
    """The before/after page of ``calalign check``: both copies of every plot load."""
    chromium = find_chromium()
    store = InMemoryStore.from_directory(reference_dir)
    matches = report_service.select_matches(store)
    before = report_service.build_report(matches, now="2015:001")
    steps = Table({"tstart": [0.0], "detector": ["all"], "dy": [0.2], "dz": [-0.1]})
    after = report_service.build_report(matches, now="2015:001", offset_steps=steps)
    page = report_service.write_comparison(
        before, after, MatplotlibReportRenderer(dpi=40), tmp_path / "check"
    )
    check = page.parent / "check.html"
    check.write_text(page.read_text().replace("</body>", _CHECK_SCRIPT + "</body>"))
    marker = _image_marker(chromium, check, tmp_path / "profile")
    assert marker is not None
    assert int(marker.group(1)) == 2 * len(PLOTS)
    assert marker.group(2) == "", f"images not loaded: {marker.group(2)}"
