"""The report renderer: the figures of :mod:`astromon_adapters.report_plots` and a jinja2 page.

A report directory is built in a temporary directory beside the target and swapped into place
(an atomic exchange where the kernel has ``renameat2``), so a reader that opens the page and
its images by path sees either the old content or the complete new report. An existing
target is replaced only when it is empty or looks like a report directory (it has
``index.html`` and only files and directories a report writes).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import jinja2
import matplotlib

from astromon.domain.errors import AstromonError, ValidationError
from astromon.ports.report import MonitoringReport
from astromon_adapters.report_plots import FIGURES, PLOTS, offsets_figure

__all__ = ["PLOTS", "MatplotlibReportRenderer"]

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
{% if report.hint %}<p id="hint"><strong>Note:</strong> {{ report.hint }}</p>{% endif %}
<h2>Summary</h2>
<table id="summary">
<tr><th class="text">period</th><th class="text">detector</th><th>N</th>
<th>RMS dr (arcsec)</th><th>90% dr (arcsec)</th><th>% dr &gt; 1 arcsec</th></tr>
{% for row in report.summary %}<tr><td class="text">{{ row.period }}</td>
<td class="text">{{ row.detector }}</td><td>{{ row.n }}</td><td>{{ fmt(row.rms) }}</td>
<td>{{ fmt(row.q90) }}</td><td>{{ fmt(row.percent_big, 1) }}</td></tr>
{% endfor %}</table>
<h2>All data</h2>
<table id="all-data">
<tr><th class="text">detector</th><th>N</th><th>RMS dr (arcsec)</th><th>90% dr (arcsec)</th>
<th>% dr &gt; 1 arcsec</th></tr>
{% for row in report.all_data %}<tr><td class="text">{{ row.detector }}</td><td>{{ row.n }}</td>
<td>{{ fmt(row.rms) }}</td><td>{{ fmt(row.q90) }}</td><td>{{ fmt(row.percent_big, 1) }}</td></tr>
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


_COMPARISON = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CALALIGN check: {{ before.title }}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }
th { background: #eee; }
td.text, th.text { text-align: left; }
.pair { display: flex; gap: 1em; }
.pair figure { flex: 1; margin: 0.5em 0; }
img { max-width: 100%; }
</style>
</head>
<body>
<h1>CALALIGN check: before and after the proposed files</h1>
<p>Before: {{ before_n }} cross-matches as processed. After: the same cross-matches as if
processed with the proposed CALALIGN ({{ after.shift }}). Full pages:
<a href="before/index.html">before</a>, <a href="after/index.html">after</a>.</p>
<table id="comparison">
<tr><th class="text">period</th><th class="text">detector</th><th>N</th>
<th>RMS dr before</th><th>RMS dr after</th><th>90% dr before</th><th>90% dr after</th>
<th>% &gt; 1" before</th><th>% &gt; 1" after</th></tr>
{% for b, a in rows %}<tr><td class="text">{{ b.period }}</td><td class="text">{{ b.detector }}</td>
<td>{{ b.n }}</td><td>{{ fmt(b.rms) }}</td><td>{{ fmt(a.rms) }}</td><td>{{ fmt(b.q90) }}</td>
<td>{{ fmt(a.q90) }}</td><td>{{ fmt(b.percent_big, 1) }}</td>
<td>{{ fmt(a.percent_big, 1) }}</td></tr>
{% endfor %}</table>
{% for name, caption in plots.items() %}<h2>{{ caption }}</h2>
<div class="pair">
<figure><img src="before/{{ name }}" alt="before: {{ caption }}">
<figcaption>before</figcaption></figure>
<figure><img src="after/{{ name }}" alt="after: {{ caption }}">
<figcaption>after</figcaption></figure>
</div>
{% endfor %}
</body>
</html>
"""

_REPORT_ENTRIES = {"index.html", "before", "after", *PLOTS}


def _check_replaceable(outdir: Path) -> None:
    if not outdir.exists():
        return
    if not outdir.is_dir():
        raise ValidationError(f"--out {str(outdir)!r} exists and is not a directory")
    names = {p.name for p in outdir.iterdir()}
    if names and ("index.html" not in names or not names <= _REPORT_ENTRIES | _png(names)):
        raise ValidationError(
            f"--out {str(outdir)!r} exists and is not an astromon report directory "
            "(it would be replaced as a whole): give a new or report directory"
        )


def _png(names: set[str]) -> set[str]:
    """Plot and data files a report directory may hold besides :data:`PLOTS`."""
    return {n for n in names if n.endswith((".png", ".json", ".ecsv"))}


def _exchange(source: Path, target: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(
        at_fdcwd, os.fsencode(source), at_fdcwd, os.fsencode(target), rename_exchange
    )
    return bool(result == 0)


def _staging(outdir: Path, kind: str) -> Path:
    """A new name beside ``outdir`` for a directory being built (``new``) or replaced
    (``old``): hidden, and naming this process."""
    return outdir.parent / f".{outdir.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _swap_into_place(built: Path, outdir: Path) -> None:
    """Put the directory ``built`` at ``outdir`` (replacing it); remove the old content.

    Where renameat2 cannot exchange the two, ``outdir`` is moved aside first, and moved back
    if ``built`` could not take its place (an error, a signal in between).
    """
    if not outdir.exists():
        built.rename(outdir)
        return
    if _exchange(built, outdir):
        shutil.rmtree(built, ignore_errors=True)  # the old report (else the caller removes it)
        return
    old = _staging(outdir, "old")
    try:
        outdir.rename(old)
        built.rename(outdir)
    finally:
        try:  # the command line raises only its first signal: a step it cuts is redone
            _settle(old, outdir)
        except KeyboardInterrupt:
            _settle(old, outdir)
            raise


def _settle(old: Path, outdir: Path) -> None:
    """After a swap through ``old``: remove it, or put it back if ``outdir`` is missing."""
    if outdir.exists():
        shutil.rmtree(old, ignore_errors=True)
    elif old.exists():
        old.rename(outdir)


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
        ValidationError
            ``outdir`` exists and is not a report directory.
        AstromonError
            ``outdir`` cannot be written (the message names it); ``outdir`` is unchanged.
        """
        return self._atomic(outdir, lambda tmp: self._write_report(report, tmp))

    def plot_offsets(self, matches: Any, offsets: Any, path: Path) -> Path:
        """Write the binned-median offsets PNG at ``path`` (temporary file, then rename)."""
        path = Path(path)
        if not path.parent.is_dir():
            raise ValidationError(f"--plot {str(path)!r}: its directory does not exist")
        plt = _pyplot()
        fig = offsets_figure(plt, matches, offsets)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
        os.close(fd)
        try:
            fig.savefig(tmp, dpi=self.dpi)
            os.replace(tmp, path)
        except OSError as exc:
            raise AstromonError(f"cannot write the plot {str(path)!r}: {exc}") from exc
        finally:
            plt.close(fig)
            Path(tmp).unlink(missing_ok=True)
        return path

    def render_comparison(
        self, before: MonitoringReport, after: MonitoringReport, outdir: Path
    ) -> Path:
        """Write ``before/`` and ``after/`` reports and a side-by-side ``index.html``."""

        def build(tmp: Path) -> Path:
            self._write_report(before, tmp / "before")
            self._write_report(after, tmp / "after")
            html = (
                self._env()
                .from_string(_COMPARISON)
                .render(
                    before=before,
                    after=after,
                    before_n=len(before.matches),
                    rows=list(
                        zip(
                            before.summary + before.all_data,
                            after.summary + after.all_data,
                            strict=True,
                        )
                    ),
                    plots=PLOTS,
                    fmt=_fmt,
                )
            )
            page = tmp / "index.html"
            page.write_text(html, encoding="utf-8")
            return page

        return self._atomic(outdir, build)

    @staticmethod
    def _env() -> jinja2.Environment:
        return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)

    def _atomic(self, outdir: Path, build: Any) -> Path:
        outdir = Path(outdir).absolute()
        _check_replaceable(outdir)
        tmp = _staging(outdir, "new")
        try:
            try:
                outdir.parent.mkdir(parents=True, exist_ok=True)
                tmp.mkdir(mode=0o700)
            except OSError as exc:
                raise AstromonError(
                    f"cannot create the report directory {str(outdir)!r}: {exc}"
                ) from exc
            page: Path = build(tmp)
            tmp.chmod(0o755)
            _swap_into_place(tmp, outdir)
        except OSError as exc:
            raise AstromonError(f"cannot write the report in {str(outdir)!r}: {exc}") from exc
        finally:  # tmp is gone unless something failed, or was stopped, before the swap
            try:  # the command line raises only its first signal: a removal it cuts is redone
                shutil.rmtree(tmp, ignore_errors=True)
            except KeyboardInterrupt:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        return outdir / page.relative_to(tmp)

    def _write_report(self, report: MonitoringReport, outdir: Path) -> Path:
        outdir.mkdir(parents=True, exist_ok=True)
        plt = _pyplot()
        for name, (_, draw) in FIGURES.items():
            fig = draw(plt, report)
            try:
                fig.savefig(outdir / name, dpi=self.dpi)
            finally:
                plt.close(fig)
        selection = ", ".join(f"{k}={v}" for k, v in report.selection.items()) or "none"
        html = (
            self._env()
            .from_string(_TEMPLATE)
            .render(
                report=report,
                plots=PLOTS,
                fmt=_fmt,
                selection=selection,
                n_matches=len(report.matches),
            )
        )
        page = outdir / "index.html"
        page.write_text(html, encoding="utf-8")
        return page
