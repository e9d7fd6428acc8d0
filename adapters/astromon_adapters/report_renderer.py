"""The report renderer: matplotlib PNG figures (Agg backend) and a jinja2 HTML page."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import jinja2
import matplotlib
import numpy as np

from astromon.domain.errors import AstromonError
from astromon.domain.statistics import DETECTORS, BinnedMedians, cdf
from astromon.ports.report import MonitoringReport

__all__ = ["PLOTS", "MatplotlibReportRenderer"]

PLOTS: dict[str, str] = {
    "offsets_history.png": "dy and dz history with half-year medians (15.8-84.2% bands)",
    "dr_cdf.png": "Cumulative distribution of dr with the 68/90/99% quantiles",
    "yearly_cdf.png": "Cumulative distributions of dy, dz and dr per year",
    "detector_history.png": "dr history per detector",
    "detector_cdf.png": "Cumulative distribution of dr per detector",
}
"""File name → caption of every plot the page shows."""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ report.title }}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }
th { background: #eee; }
td.text, th.text { text-align: left; }
figure { margin: 1.5em 0; }
img { max-width: 100%; }
</style>
</head>
<body>
<h1>{{ report.title }}</h1>
<p>Periods count back from {{ report.now_date }}. {{ n_matches }} cross-matches selected
({{ selection }}).{% if report.shift %} Offsets {{ report.shift }}.{% endif %}</p>
<h2>Summary</h2>
<table id="summary">
<tr><th class="text">period</th><th class="text">detector</th><th>N</th>
<th>RMS dr (arcsec)</th><th>90% dr (arcsec)</th><th>% dr &gt; 1 arcsec</th></tr>
{% for row in report.summary %}<tr><td class="text">{{ row.period }}</td>
<td class="text">{{ row.detector }}</td><td>{{ row.n }}</td><td>{{ fmt(row.rms) }}</td>
<td>{{ fmt(row.q90) }}</td><td>{{ fmt(row.percent_big, 1) }}</td></tr>
{% endfor %}</table>
<h2>Quantiles of dr</h2>
<table id="quantiles">
<tr><th class="text">detector</th>{% for q in report.quantiles %}<th>{{ q|round|int }}%
(arcsec)</th>{% endfor %}</tr>
<tr><td class="text">all</td>{% for v in report.quantiles.values() %}<td>{{ fmt(v) }}</td>
{% endfor %}</tr>
{% for det, qs in report.detector_quantiles.items() %}<tr><td class="text">{{ det }}</td>
{% for v in qs.values() %}<td>{{ fmt(v) }}</td>{% endfor %}</tr>
{% endfor %}</table>
<h2>Plots</h2>
{% for name, caption in plots.items() %}<figure>
<img src="{{ name }}" alt="{{ caption }}">
<figcaption>{{ caption }}</figcaption>
</figure>
{% endfor %}
</body>
</html>
"""


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _pyplot() -> Any:
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _empty(ax: Any) -> None:
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)


def _history(ax: Any, years: Any, values: Any, medians: BinnedMedians, label: str) -> None:
    ax.plot(years, values, ".", color="0.6", markersize=3, label="cross-matches")
    if medians.n.size:
        centre = (medians.bin_start + medians.bin_stop) / 2
        ax.fill_between(centre, medians.low, medians.high, alpha=0.3, label="15.8-84.2%")
        ax.plot(centre, medians.median, "o-", label="half-year median")
    else:
        _empty(ax)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_ylabel(f"{label} (arcsec)")
    ax.legend(loc="upper left", fontsize="small")


class MatplotlibReportRenderer:
    """Writes the PNG plots of :data:`PLOTS` and ``index.html`` into a directory.

    Parameters
    ----------
    dpi : int
        Resolution of the PNG files.
    """

    def __init__(self, dpi: int = 90) -> None:
        self.dpi = dpi

    def render(self, report: MonitoringReport, outdir: Path) -> Path:
        """Write the plots and the page; returns the path of ``index.html``.

        Raises
        ------
        AstromonError
            ``outdir`` cannot be created or written (the message names it).
        """
        try:
            outdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AstromonError(
                f"cannot create the report directory {str(outdir)!r}: {exc}"
            ) from exc
        plt = _pyplot()
        try:
            for name, draw in (
                ("offsets_history.png", self._offsets_history),
                ("dr_cdf.png", self._dr_cdf),
                ("yearly_cdf.png", self._yearly_cdf),
                ("detector_history.png", self._detector_history),
                ("detector_cdf.png", self._detector_cdf),
            ):
                fig = draw(plt, report)
                try:
                    fig.savefig(outdir / name, dpi=self.dpi)
                finally:
                    plt.close(fig)
            env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
            selection = ", ".join(f"{k}={v}" for k, v in report.selection.items()) or "none"
            html = env.from_string(_TEMPLATE).render(
                report=report,
                plots=PLOTS,
                fmt=_fmt,
                selection=selection,
                n_matches=len(report.matches),
            )
            page = outdir / "index.html"
            page.write_text(html, encoding="utf-8")
        except OSError as exc:
            raise AstromonError(f"cannot write the report in {str(outdir)!r}: {exc}") from exc
        return page

    @staticmethod
    def _offsets_history(plt: Any, report: MonitoringReport) -> Any:
        fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
        m = report.matches
        _history(axes[0], m["year"], m["dy"], report.medians_dy, "dy")
        _history(axes[1], m["year"], m["dz"], report.medians_dz, "dz")
        axes[1].set_xlabel("year")
        fig.tight_layout()
        return fig

    @staticmethod
    def _dr_cdf(plt: Any, report: MonitoringReport) -> Any:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        x, y = cdf(report.matches["dr"])
        if x.size:
            ax.step(np.r_[0.0, x], np.r_[0.0, y], where="post")
            ax.set_ylim(0, 1.05)
            for q, v in report.quantiles.items():
                ax.axvline(v, ls="--", color="C1")
                ax.text(v, q / 100, f' {q:.0f}%: {v:.2f}"', fontsize="small")
        else:
            _empty(ax)
        ax.set_xlabel("dr (arcsec)")
        ax.set_ylabel("fraction of cross-matches")
        fig.tight_layout()
        return fig

    @staticmethod
    def _yearly_cdf(plt: Any, report: MonitoringReport) -> Any:
        fig, axes = plt.subplots(1, 3, figsize=(12, 4))
        m = report.matches
        years = np.floor(np.asarray(m["year"], dtype=float))
        for ax, col in zip(axes, ("dy", "dz", "dr"), strict=True):
            values = np.asarray(m[col], dtype=float)
            for year in np.unique(years):
                x, y = cdf(values[years == year])
                ax.step(x, y, where="post", label=f"{year:.0f}")
            if not len(m):
                _empty(ax)
            else:
                ax.legend(fontsize="x-small")
            ax.set_xlabel(f"{col} (arcsec)")
        axes[0].set_ylabel("fraction of cross-matches")
        fig.tight_layout()
        return fig

    @staticmethod
    def _detector_history(plt: Any, report: MonitoringReport) -> Any:
        fig, axes = plt.subplots(len(DETECTORS), 1, figsize=(8, 8), sharex=True)
        m = report.matches
        det = np.asarray(m["detector"]).astype(str)
        for ax, name in zip(axes, DETECTORS, strict=True):
            sel = det == name
            if np.any(sel):
                ax.plot(np.asarray(m["year"])[sel], np.asarray(m["dr"])[sel], ".")
            else:
                _empty(ax)
            ax.set_ylabel(f"{name}\ndr (arcsec)")
        axes[-1].set_xlabel("year")
        fig.tight_layout()
        return fig

    @staticmethod
    def _detector_cdf(plt: Any, report: MonitoringReport) -> Any:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        m = report.matches
        det = np.asarray(m["detector"]).astype(str)
        drawn = False
        for name in DETECTORS:
            x, y = cdf(np.asarray(m["dr"], dtype=float)[det == name])
            if x.size:
                ax.step(x, y, where="post", label=name)
                drawn = True
        if drawn:
            ax.legend()
        else:
            _empty(ax)
        ax.set_xlabel("dr (arcsec)")
        ax.set_ylabel("fraction of cross-matches")
        fig.tight_layout()
        return fig
