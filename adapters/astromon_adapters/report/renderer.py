"""The report renderer: the figures of :mod:`astromon_adapters.report.plots` and a jinja2 page.

A report directory is built in a temporary directory beside the target and swapped into place
(an atomic exchange where the kernel has ``renameat2``), so a reader that opens the page and
its images by path sees either the old content or the complete new report. An existing
target is replaced only when it is empty or looks like a report directory (it has
``index.html`` and only files and directories a report writes).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import matplotlib

from astromon.domain.accuracy import iso_date
from astromon.domain.accuracy_text import (
    CAVEAT,
    FIGURE_COLUMNS,
    MISSING,
    accuracy_sentence,
    figure_cells,
    format_value,
    now_line,
)
from astromon.domain.errors import AstromonError, ValidationError
from astromon.domain.resampling import CDF_RESAMPLES
from astromon.ports.report import MonitoringReport
from astromon_adapters.report.plots import (
    ALIGNMENT_PLOTS,
    DISTRIBUTION_PLOTS,
    FIGURES,
    HISTORY_PLOTS,
    PLOTS,
    offsets_figure,
)
from astromon_adapters.storage.atomic_files import atomic_write
from astromon_adapters.storage.table_files import write_text_file

__all__ = ["PLOTS", "REFERENCE_PREFIX", "SUMMARY_FILE", "MatplotlibReportRenderer"]


def _pyplot() -> Any:
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


REFERENCE_PREFIX = "reference_"
"""File-name prefix of the reference-CALALIGN view's plots, beside those of the first view."""
SUMMARY_FILE = "summary.json"
"""The report's figures as JSON (:meth:`MonitoringReport.record`), beside ``index.html``."""
_DATA_SUFFIXES = (".png", ".json", ".ecsv")


def _check_replaceable(outdir: Path) -> None:
    """Refuse to replace anything but a report directory: ``index.html`` with plots and data
    files, and subdirectories that are reports themselves (``before/``, ``cal/`` ...)."""
    if not outdir.exists():
        return
    if not outdir.is_dir():
        raise ValidationError(f"--out {str(outdir)!r} exists and is not a directory")
    entries = list(outdir.iterdir())
    foreign = [
        p.name
        for p in entries
        if not (
            p.name == "index.html"
            or (p.is_file() and p.name.endswith(_DATA_SUFFIXES))
            or (p.is_dir() and (p / "index.html").is_file())
        )
    ]
    if entries and (foreign or not (outdir / "index.html").is_file()):
        raise ValidationError(
            f"--out {str(outdir)!r} exists and is not an astromon report directory "
            "(it would be replaced as a whole): give a new or report directory"
        )


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
    """Writes the PNG plots of :data:`PLOTS`, ``index.html`` and ``summary.json`` in a directory.

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

    def plot_offsets(
        self, matches: Any, offsets: Any, path: Path, *, overwrite: bool = False
    ) -> Path:
        """Write the binned-median offsets PNG at ``path`` through the one atomic writer
        (only a regular file is written or, with ``overwrite``, replaced)."""
        path = Path(path)
        if not path.parent.is_dir():
            raise ValidationError(f"--plot {str(path)!r}: its directory does not exist")
        plt = _pyplot()
        fig = offsets_figure(plt, matches, offsets)
        try:
            atomic_write(
                path,
                lambda tmp: fig.savefig(tmp, format="png", dpi=self.dpi),
                overwrite=overwrite,
                overwrite_hint="--overwrite",
            )
        finally:
            plt.close(fig)
        return path

    def render_comparison(
        self, before: MonitoringReport, after: MonitoringReport, outdir: Path
    ) -> Path:
        """Write ``before/`` and ``after/`` reports and a side-by-side ``index.html``."""

        def build(tmp: Path) -> Path:
            self._write_report(before, tmp / "before")
            self._write_report(after, tmp / "after")
            window = f"{before.accuracy.start_date} to {before.accuracy.end_date}"
            rows = [
                (window, name, before.accuracy.detectors[name], after.accuracy.detectors[name])
                for name in before.accuracy.detectors
            ]
            rows.insert(0, (window, "all", before.accuracy.overall, after.accuracy.overall))
            rows += [
                (b.period, b.detector, b.figures, a.figures)
                for b, a in zip(before.summary, after.summary, strict=True)
            ]
            html = self._page(
                "comparison.html",
                before=before,
                after=after,
                before_n=len(before.matches),
                rows=rows,
                plots=PLOTS,
                now_line=now_line(before.now_date, before.accuracy),
            )
            return write_text_file(html, tmp / "index.html")

        return self._atomic(outdir, build)

    def render_site(self, reports: Mapping[str, MonitoringReport], outdir: Path) -> Path:
        """Write each report in ``outdir/<name>/`` and an ``index.html`` linking them.

        Raises
        ------
        ValidationError
            A name that is not a plain directory name, or ``outdir`` is not a report
            directory.
        """
        for name in reports:
            if not name or Path(name).name != name or name in (".", ".."):
                raise ValidationError(f"report name {name!r} is not a plain directory name")

        def build(tmp: Path) -> Path:
            for name, report in reports.items():
                self._write_report(report, tmp / name)
            return write_text_file(self._page("site.html", reports=reports), tmp / "index.html")

        return self._atomic(outdir, build)

    def _page(self, template: str, **context: Any) -> str:
        """A page from a template of ``templates/``, with the shared formatters."""
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("astromon_adapters.report", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        shared = {
            "fmt": format_value,
            "cells": figure_cells,
            "columns": FIGURE_COLUMNS,
            "sentence": accuracy_sentence,
            "caveat": CAVEAT,
            "missing": MISSING,
            "date": iso_date,
        }
        return env.get_template(template).render(**shared, **context)

    def _atomic(self, outdir: Path, build: Callable[[Path], Path]) -> Path:
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

    def _draw(self, report: MonitoringReport, outdir: Path, prefix: str) -> None:
        plt = _pyplot()
        for name, (_, draw) in FIGURES.items():
            if prefix and name in ALIGNMENT_PLOTS:  # the alignment of the first view only
                continue
            fig = draw(plt, report)
            try:
                fig.savefig(outdir / f"{prefix}{name}", dpi=self.dpi)
            finally:
                plt.close(fig)

    def _write_report(self, report: MonitoringReport, outdir: Path) -> Path:
        """The plots of each view, ``summary.json`` and ``index.html`` in ``outdir``."""
        outdir.mkdir(parents=True, exist_ok=True)
        self._draw(report, outdir, "")
        if report.reference is not None:
            self._draw(report.reference, outdir, REFERENCE_PREFIX)
        record = json.dumps(report.record(), indent=2, allow_nan=False)
        write_text_file(record + "\n", outdir / SUMMARY_FILE)
        html = self._page(
            "report.html",
            report=report,
            plots=PLOTS,
            distributions=DISTRIBUTION_PLOTS,
            histories=HISTORY_PLOTS,
            alignment_plots=ALIGNMENT_PLOTS,
            reference_prefix=REFERENCE_PREFIX,
            n_matches=len(report.matches),
            now_line=now_line(report.now_date, report.accuracy),
            resamples=CDF_RESAMPLES,
        )
        return write_text_file(html, outdir / "index.html")
