"""The report's figures and page: titles, N in legends, per-detector offsets, quantile history
with CalDB releases, the all-data block, the --now hint, and the atomic report directory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.report import plots as report_plots
from astromon_adapters.report.plots import FIGURES, PLOTS
from astromon_adapters.report.renderer import MatplotlibReportRenderer
from astropy.table import Table

from astromon.domain.errors import ValidationError
from astromon.domain.time import CxoTime
from astromon.ports.report import MonitoringReport
from astromon.services.report import monitoring as report_service

DETECTORS = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")


def synthetic_matches(n: int = 400, seed: int = 2) -> Table:
    rng = np.random.default_rng(seed)
    tstart = np.sort(rng.uniform(CxoTime("2012:001").secs, CxoTime("2016:001").secs, n))
    detector = np.array([DETECTORS[i % 4] for i in range(n)])
    offset = {"ACIS-S": 0.3, "ACIS-I": -0.2, "HRC-S": 0.1, "HRC-I": -0.4}
    dy = np.array([offset[d] for d in detector]) + rng.normal(0, 0.2, n)
    dz = rng.normal(0, 0.2, n)
    return Table(
        {
            "obsid": np.arange(1, n + 1),
            "detector": detector,
            "target": ["t"] * n,
            "tstart": tstart,
            "dy": dy,
            "dz": dz,
            "dr": np.hypot(dy, dz),
            "x_y_angle": rng.uniform(-300, 300, n),  # one pair per observation
            "x_z_angle": rng.uniform(-300, 300, n),
            "net_counts": rng.uniform(20, 500, n),
            "r_angle": rng.uniform(0, 400, n),
            "catalog": ["Tycho2"] * n,
        }
    )


def test_report_holds_detector_medians_quantile_history_and_the_hint() -> None:
    report = report_service.build_report(synthetic_matches(), now="2016:001")
    assert set(report.detector_medians) == set(DETECTORS)
    medians_dy, _ = report.detector_medians["HRC-I"]
    assert medians_dy.n.size == 8 and np.all(np.abs(medians_dy.median + 0.4) < 0.15)
    history = report.quantile_history
    assert history is not None and history.n.sum() == 400
    assert np.all(history.values[68.0] <= history.values[90.0])
    assert [label for label, _ in report.caldb_releases][-1].startswith("CalDB 4.10.0")
    assert report.accuracy.overall.n == 400 and report.hint == ""
    old = report_service.build_report(synthetic_matches(), now="2026:001")
    assert "--now 2015:" in old.hint and "5 years" in old.hint
    assert old.accuracy.overall.n == 0
    recent = synthetic_matches()
    recent = recent[recent["tstart"] > CxoTime("2015:001").secs]
    gap = report_service.build_report(recent, now="2016:001")  # 4-2 years ago is empty
    assert any(r.figures.n == 0 for r in gap.summary if r.detector == "all") and gap.hint == ""


def test_offset_steps_apply_per_detector() -> None:
    matches = synthetic_matches()
    steps = Table(
        {
            "tstart": [CxoTime("2010:001").secs] * 2,
            "detector": ["HRC-I", "all"],
            "dy": [-0.4, 1.0],
            "dz": [0.0, 0.0],
        }
    )
    report = report_service.build_report(matches, now="2016:001", offset_steps=steps)
    det = np.asarray(matches["detector"])
    np.testing.assert_allclose(
        report.matches["dy"][det == "HRC-I"], matches["dy"][det == "HRC-I"] + 0.4
    )
    np.testing.assert_allclose(
        report.matches["dy"][det == "ACIS-S"], matches["dy"][det == "ACIS-S"] - 1.0
    )


class Recorder:
    """Wraps matplotlib's pyplot to record every figure's title and legend labels."""

    def __init__(self, plt: Any) -> None:
        self.plt = plt
        self.figures: list[Any] = []

    def subplots(self, *args: Any, **kwargs: Any) -> Any:
        fig, axes = self.plt.subplots(*args, **kwargs)
        self.figures.append(fig)
        return fig, axes


def test_every_figure_has_a_title_and_n_in_its_legends() -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    report = report_service.build_report(synthetic_matches(), now="2016:001")
    for name, (_, draw) in FIGURES.items():
        fig = draw(plt, report)
        try:
            titles = [fig.get_suptitle()] + [ax.get_title() for ax in fig.axes]
            assert any(t.strip() for t in titles), name
            labels = [
                t.get_text()
                for ax in fig.axes
                if ax.get_legend()
                for t in ax.get_legend().get_texts()
            ]
            if name != "quantile_history.png":
                assert any("N=" in label for label in labels), (name, labels)
            if name == "dr_cdf.png":  # quantiles are legend entries, not text beside their lines
                assert sum("%:" in label for label in labels) == 3
                assert not fig.axes[0].texts
            for ax in fig.axes:
                legend = ax.get_legend()
                if legend is not None:  # legends sit right of the axes, hiding no data
                    assert legend.get_bbox_to_anchor().x0 >= ax.get_window_extent().x1 - 1
        finally:
            plt.close(fig)
    assert set(PLOTS) == set(FIGURES)


def test_page_shows_the_hint_and_no_statement_without_data(tmp_path: Path) -> None:
    report = report_service.build_report(synthetic_matches(), now="2026:001")
    page = MatplotlibReportRenderer(dpi=40).render(report, tmp_path / "r")
    html = page.read_text()
    assert 'id="hint"' in html and "--now 2015:" in html
    assert "the accuracy cannot be stated" in html and "nan" not in html.lower()
    for name in PLOTS:
        assert (page.parent / name).read_bytes()[:4] == b"\x89PNG"


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_failed_render_leaves_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = MatplotlibReportRenderer(dpi=40)
    out = tmp_path / "report"
    renderer.render(report_service.build_report(synthetic_matches(), now="2016:001"), out)
    old = _snapshot(out)

    def broken(plt: Any, report: MonitoringReport) -> Any:
        raise OSError("disk full (injected)")

    figures = dict(report_plots.FIGURES)
    figures["detector_cdf.png"] = (figures["detector_cdf.png"][0], broken)
    monkeypatch.setattr("astromon_adapters.report.renderer.FIGURES", figures)
    new = report_service.build_report(synthetic_matches(seed=9), now="2016:001")
    with pytest.raises(Exception, match="disk full"):
        renderer.render(new, out)
    assert _snapshot(out) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no temporary directory left
    monkeypatch.undo()
    renderer.render(new, out)
    assert _snapshot(out) != old and set(_snapshot(out)) == set(old)


def test_empty_report_renders(tmp_path: Path) -> None:
    report = report_service.build_report(synthetic_matches()[:0], now="2016:001")
    page = MatplotlibReportRenderer(dpi=30).render(report, tmp_path / "empty")
    assert "0 cross-matches selected" in page.read_text()
    assert all((page.parent / name).is_file() for name in PLOTS)


def test_render_refuses_a_directory_that_is_not_a_report(tmp_path: Path) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    report = report_service.build_report(synthetic_matches(), now="2016:001")
    with pytest.raises(ValidationError, match="not an astromon report directory"):
        MatplotlibReportRenderer(dpi=40).render(report, precious)
    assert (precious / "thesis.tex").read_text() == "years of work"


READER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    out, stop = Path(sys.argv[1]), time.time() + float(sys.argv[2])
    names = sys.argv[3].split(",")
    seen = 0
    while time.time() < stop:
        # a browser or a copy opens the page and its images by path
        missing = [n for n in names if not (out / n).is_file()]
        if missing:
            print("PARTIAL", missing); sys.exit(1)
        seen += 1
    print("OK", seen)
    """
)


def test_readers_see_the_old_or_the_complete_new_report(tmp_path: Path) -> None:
    """A separate process lists the directory while this one re-renders it several times."""
    out = tmp_path / "report"
    renderer = MatplotlibReportRenderer(dpi=30)
    report = report_service.build_report(synthetic_matches(n=80), now="2016:001")
    renderer.render(report, out)
    script = tmp_path / "reader.py"
    script.write_text(READER)
    reader = subprocess.Popen(
        [sys.executable, str(script), str(out), "6", ",".join(["index.html", *PLOTS])],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        for seed in range(4):
            renderer.render(
                report_service.build_report(synthetic_matches(80, seed), now="2016:001"), out
            )
    finally:
        stdout, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0, stdout
    assert stdout.startswith("OK")
