"""The published page and its figures: the statement, one formatter for terminal and page, the
reference-CALALIGN view on the same page, the web pages (cal/, mta/, index), the plots of the
window (radii per detector, the last six half-years, the bootstrap band)."""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.report.plots import ALIGNMENT_PLOTS, FIGURES, PLOTS
from astromon_adapters.report.renderer import MatplotlibReportRenderer
from astropy.table import Table

from astromon.domain.accuracy_text import CAVEAT, figure_cells
from astromon.domain.time import CxoTime
from astromon.ports.report import MonitoringReport
from astromon.services.report import monitoring as report_service
from tests.unit.accuracy_record import generated_record
from tests.unit.fake_store import InMemoryStore
from tests.unit.test_accuracy import cli_report

NOW = "2020:001"
DETECTORS = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")


@pytest.fixture(scope="module")
def matches() -> Table:
    store = InMemoryStore(generated_record(seed=7, n_obs=500).tables)
    return report_service.select_matches(store)


def reference_offsets(matches: Table) -> Table:
    """CALALIGN offsets of every match: the one used, and a reference 0.2" away in dy."""
    n = len(matches)
    return Table(
        {
            "obsid": matches["obsid"],
            "x_id": matches["x_id"],
            "calalign_dy": np.full(n, 10.0),
            "calalign_dz": np.full(n, -3.0),
            "ref_calalign_dy": np.full(n, 10.2),
            "ref_calalign_dz": np.full(n, -3.0),
            "ref_calalign_version": ["N0010"] * n,
        }
    )


@pytest.fixture(scope="module")
def page(matches: Table, tmp_path_factory: pytest.TempPathFactory) -> tuple[MonitoringReport, Path]:
    report = report_service.build_report(
        matches,
        now=NOW,
        reference_offsets=reference_offsets(matches),
        selection=report_service.standard_selection(),
    )
    out = tmp_path_factory.mktemp("page") / "report"
    return report, MatplotlibReportRenderer(dpi=30).render(report, out)


def text_of(html: str) -> str:
    """The page's text: tags removed, entities decoded, white space collapsed."""
    body = re.sub(r"<head>.*?</head>", " ", html, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def table_rows(html: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', html, re.S)
    assert body is not None, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [[text_of(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)] for r in rows]


def test_the_page_states_the_accuracy(page: tuple[MonitoringReport, Path]) -> None:
    report, path = page
    html = path.read_text()
    text = text_of(html)
    dr = np.asarray(report.matches["dr"], dtype=float)
    window = dr[np.asarray(report.matches["in_window"], dtype=bool)]
    sentence = (
        "The overall 90% uncertainty circle of Chandra X-ray absolute positions, based on "
        f"observations between 2014-12-31 and 2020-01-01, has a radius of "
        f"{np.percentile(window, 90):.2f} arcsec. The 99% limit on positional accuracy is "
        f"{np.percentile(window, 99):.2f} arcsec. The worst case offset is "
        f"{np.max(window):.1f} arcsec."
    )
    assert sentence in text
    assert CAVEAT in text
    assert text.startswith(f"Chandra absolute astrometry now = {CxoTime(NOW).date}:")
    selection = [text_of(li) for li in re.findall(r"<li>(.*?)</li>", html, re.S)]
    assert any("S/N >= 5" in s for s in selection)
    assert any("SIM-Z within 4 mm of the detector's nominal value" in s for s in selection)
    assert any("Clusters of Galaxies" in s for s in selection)
    assert any("the first of ICRS, Tycho2 is used" in s for s in selection)
    catalogs = table_rows(html, "catalog-table")
    assert catalogs[1][0] == "Tycho2" and catalogs[1][2] == "I/259/tyc2"
    assert sum(int(row[3]) for row in catalogs[1:]) == window.size
    for term in ("dy, dz", "dr", "68%, 90%, 99% radii", "worst case offset (max)", "window"):
        assert f"<dt>{term}</dt>" in html
    assert '0.01" bins from 0 to 3"' in html_lib.unescape(html)
    periods = table_rows(html, "summary")
    assert [r[:2] for r in periods[1:6]] == [["last 5 years", d] for d in ("all", *DETECTORS)]
    observations = table_rows(html, "observations")
    assert len(observations) == 1 + 20
    assert float(observations[1][7]) == pytest.approx(np.max(window), abs=0.005)


def test_the_terminal_and_the_page_show_the_same_figures(
    page: tuple[MonitoringReport, Path],
) -> None:
    report, path = page
    lines = report.summary_lines()
    assert lines[0].startswith(f"now = {CxoTime(NOW).date}: accuracy over the 5 years")
    rows = table_rows(path.read_text(), "statement-figures")
    printed = [line.split() for line in lines[4:9]]
    assert [row[1:] for row in rows[1:]] == [line[1:] for line in printed]
    assert rows[1][1:] == list(figure_cells(report.accuracy.overall))
    empty = report_service.build_report(report.matches[:0], now=NOW)
    empty_lines = empty.summary_lines()
    assert not any("nan" in line.lower() for line in empty_lines)
    assert "     0      -      -      -" in empty_lines[4]


def test_both_views_on_one_page_and_in_summary_json(page: tuple[MonitoringReport, Path]) -> None:
    report, path = page
    html = path.read_text()
    assert report.reference is not None
    assert 'id="statement"' in html and 'id="reference-statement"' in html
    for name in PLOTS:  # every plot of both views (the alignment of the first), present, shown
        for prefix in ("",) if name in ALIGNMENT_PLOTS else ("", "reference_"):
            assert (path.parent / f"{prefix}{name}").read_bytes()[:4] == b"\x89PNG"
            assert f'src="{prefix}{name}"' in html
    summary = json.loads((path.parent / "summary.json").read_text())
    reference = summary["reference_calalign"]
    assert set(reference) == set(summary) - {"reference_calalign"}
    assert reference["view"] == "reprocessed with the reference CALALIGN N0010"
    shifted = np.hypot(np.asarray(report.matches["dy"]) + 0.2, np.asarray(report.matches["dz"]))[
        np.asarray(report.matches["in_window"], dtype=bool)
    ]
    assert reference["q90"] == pytest.approx(np.percentile(shifted, 90), abs=1e-6)
    assert reference["max_offset"] == pytest.approx(np.max(shifted), abs=1e-6)
    assert summary["q90"] != reference["q90"]


def draw(name: str, report: MonitoringReport) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt, FIGURES[name][1](plt, report)


def legend_labels(ax: Any) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend is not None else []


def test_the_window_plots(page: tuple[MonitoringReport, Path]) -> None:
    report, _ = page
    plt, fig = draw("half_year_cdf.png", report)
    try:  # the last six half-years of the window only
        labels = legend_labels(fig.axes[2])
        assert [label.split()[0] for label in labels] == [
            "2017.0-2017.5", "2017.5-2018.0", "2018.0-2018.5",
            "2018.5-2019.0", "2019.0-2019.5", "2019.5-2020.0",
        ]  # fmt: skip
        assert len({tuple(line.get_color()) for line in fig.axes[2].lines}) == 6
    finally:
        plt.close(fig)
    plt, fig = draw("detector_cdf.png", report)
    try:  # a panel per detector, each with its own radii
        for ax, name in zip(fig.axes, DETECTORS, strict=True):
            figures = report.accuracy.detectors[name]
            assert ax.get_title() == name
            assert legend_labels(ax) == [
                f"dr (N={figures.n})",
                f'68%: {figures.q68:.2f}"',
                f'90%: {figures.q90:.2f}"',
                f'99%: {figures.q99:.2f}"',
            ]
    finally:
        plt.close(fig)
    plt, fig = draw("dr_cdf.png", report)
    try:  # the band of the resamples of observations, under the CDF of the window
        ax = fig.axes[0]
        assert len(ax.collections) == 1
        assert "resamples of observations" in legend_labels(ax)[0]
        assert legend_labels(ax)[1] == f"dr (N={report.accuracy.overall.n})"
    finally:
        plt.close(fig)


@pytest.mark.slow
def test_the_web_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASTROMON_CALALIGN_DIR", raising=False)
    monkeypatch.delenv("CALDB", raising=False)
    tables = generated_record(seed=8, n_obs=300).tables
    web = tmp_path / "web"
    result = cli_report(tables, ["report", "--web", str(web), "--now", NOW])
    assert result.exit_code == 0, result.output
    assert "the pages show the offsets as archived only" in result.stderr
    index = (web / "index.html").read_text()
    assert re.findall(r'href="([^"]+)"', index) == ["cal/index.html", "mta/index.html"]
    cal = json.loads((web / "cal" / "summary.json").read_text())
    mta = json.loads((web / "mta" / "summary.json").read_text())
    assert (cal["snr"], mta["snr"]) == (5, 3) and mta["n"] > cal["n"]
    assert "reference_calalign" not in cal
    assert text_of(index).count("The overall 90% uncertainty circle") == 2
    assert result.stdout.splitlines()[0] == "cal/ (calibration view, S/N >= 5):"
    args = ["report", "--web", str(web), "--now", "2021:001"]
    kept = cli_report(tables, args)  # the pages are replaced only with --overwrite
    assert kept.exit_code == 2 and "exists and is not empty: give --overwrite" in kept.stderr
    again = cli_report(tables, [*args, "--overwrite"])
    assert again.exit_code == 0, again.output
    assert json.loads((web / "cal" / "summary.json").read_text())["end_date"] == "2021-01-01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["web"]  # swapped in, nothing left
    clash = cli_report(tables, ["report", "--web", str(web), "--operations", "--snr", "4"])
    assert clash.exit_code == 2 and "--snr, --operations does not apply" in clash.stderr
    years = cli_report(tables, ["report", "--years", "nan", "--out", str(tmp_path / "r")])
    assert years.exit_code == 2 and "--years must be a positive number" in years.stderr


def test_each_web_view_holds_the_matches_of_its_own_selection() -> None:
    """The views are built from one read of the cross-match; each must hold exactly the rows
    that the standard selection at its own S/N gives when read on its own."""
    from astromon.services.report.web_pages import build_views, web_views

    store = InMemoryStore(generated_record(seed=9, n_obs=200).tables)
    built = build_views(store, web_views(), now=NOW)
    for sub, (level, _) in web_views().items():
        alone = report_service.select_matches(store, snr=level)
        shown = built[sub].matches
        assert len(alone) > 0 and len(shown) == len(alone), sub
        for column in ("obsid", "tstart", "snr", "dy", "dz", "dr"):
            assert np.array_equal(np.asarray(shown[column]), np.asarray(alone[column])), column
