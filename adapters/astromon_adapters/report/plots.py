"""The monitoring report's figures (matplotlib, Agg backend), one function per PNG file.

The distributions (``dr_cdf.png``, ``detector_cdf.png``, ``half_year_cdf.png``) are those of
the accuracy window; the histories show all the selected data.

Every figure has a title; legends give the number of cross-matches (N) and sit outside the
axes so that they hide no data; quantile values are given in legends rather than as text
next to their lines, so labels never collide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from astromon.domain.accuracy import AccuracyFigures
from astromon.domain.statistics import DETECTORS, QUANTILES, BinnedMedians, cdf
from astromon.domain.time import CxoTime
from astromon.ports.report import MonitoringReport

__all__ = [
    "ALIGNMENT_PLOTS",
    "DISTRIBUTION_PLOTS",
    "FIGURES",
    "FLAGGED_COLOR",
    "HISTORY_PLOTS",
    "PLOTS",
    "offsets_figure",
]

Figure = Any

_RELEASE_COLORS = ("tab:purple", "tab:brown", "tab:olive")
FLAGGED_COLOR = "red"
"""The colour of the flagged observations in the alignment figure."""
RELEASE_MARGIN_YEARS = 1.0
"""CalDB releases up to this many years outside the data span are marked (the axis widens)."""


def _empty(ax: Any) -> None:
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)


def _year_axis(ax: Any) -> None:
    """At most five year ticks, labelled without trailing zeros, so labels never overlap."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
    ax.set_xlabel("year")


def _legend(ax: Any) -> None:
    """The legend right of the axes; long legends (one entry per year) in columns."""
    handles = ax.get_legend_handles_labels()[0]
    if handles:
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small" if len(handles) <= 12 else "x-small",
            ncols=1 + (len(handles) - 1) // 14,
            frameon=False,
        )


def _releases_in_span(
    years: Any, releases: list[tuple[str, float]]
) -> list[tuple[int, str, float]]:
    """The CalDB releases within :data:`RELEASE_MARGIN_YEARS` of the years, with their index."""
    y = np.asarray(years, dtype=float)
    y = y[np.isfinite(y)]
    if not y.size:
        return []
    lo, hi = float(y.min()) - RELEASE_MARGIN_YEARS, float(y.max()) + RELEASE_MARGIN_YEARS
    return [(k, label, year) for k, (label, year) in enumerate(releases) if lo <= year <= hi]


def _mark_releases(ax: Any, marks: list[tuple[int, str, float]]) -> None:
    for k, label, year in marks:
        ax.axvline(year, color=_RELEASE_COLORS[k % 3], ls="--", lw=1.2, label=label)


def _history(
    ax: Any,
    years: Any,
    values: Any,
    medians: BinnedMedians,
    label: str,
    releases: list[tuple[str, float]] | None = None,
) -> None:
    """Matches (grey; red since the latest CalDB release shown), medians and their band."""
    years = np.asarray(years, dtype=float)
    values = np.asarray(values, dtype=float)
    marks = _releases_in_span(years, releases or [])
    if marks:
        since = years >= marks[-1][2]
        name = marks[-1][1].split(" (")[0]
        ax.plot(years[~since], values[~since], ".", color="0.6", markersize=3,
                label=f"before {name} (N={int((~since).sum())})")  # fmt: skip
        ax.plot(years[since], values[since], ".", color="tab:red", alpha=0.5, markersize=3,
                label=f"since {name} (N={int(since.sum())})")  # fmt: skip
    else:
        ax.plot(
            years, values, ".", color="0.6", markersize=3, label=f"cross-matches (N={len(values)})"
        )
    if medians.n.size:
        centre = (medians.bin_start + medians.bin_stop) / 2
        ax.fill_between(centre, medians.low, medians.high, alpha=0.3, label="15.8-84.2%")
        ax.plot(centre, medians.median, "o-", label=f"half-year median ({medians.n.size} bins)")
    else:
        _empty(ax)
    _mark_releases(ax, marks)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_ylabel(f"{label} (arcsec)")
    _legend(ax)


def _offsets_history(plt: Any, report: MonitoringReport) -> Figure:
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True, layout="constrained")
    m = report.matches
    _history(axes[0], m["year"], m["dy"], report.medians_dy, "dy", report.caldb_releases)
    _history(axes[1], m["year"], m["dz"], report.medians_dz, "dz", report.caldb_releases)
    _year_axis(axes[1])
    fig.suptitle("X-ray minus catalog offsets, all detectors, CalDB CALALIGN releases marked")
    return fig


def _detector_offsets(plt: Any, report: MonitoringReport) -> Figure:
    fig, axes = plt.subplots(
        len(DETECTORS), 2, figsize=(13, 10), sharex=True, squeeze=False, layout="constrained"
    )
    m = report.matches
    det = np.asarray(m["detector"]).astype(str)
    years = np.asarray(m["year"], dtype=float)
    for row, name in enumerate(DETECTORS):
        sel = det == name
        for col, axis in enumerate(("dy", "dz")):
            ax = axes[row, col]
            if name in report.detector_medians:
                medians = report.detector_medians[name][col]
                _history(ax, years[sel], np.asarray(m[axis])[sel], medians, f"{name} {axis}")
            else:
                _empty(ax)
                ax.set_ylabel(f"{name} {axis} (arcsec)")
    for ax in axes[-1]:
        _year_axis(ax)
    fig.suptitle("Offsets per detector with half-year medians")
    return fig


def _mark_radii(ax: Any, figures: AccuracyFigures) -> None:
    """The 68/90/99% radii as vertical lines, their values in the legend."""
    styles = ("--", "-.", ":")
    radii = (figures.q68, figures.q90, figures.q99)
    for k, (q, value) in enumerate(zip(QUANTILES, radii, strict=True)):
        ax.axvline(value, ls=styles[k], color=f"C{k + 1}", label=f'{q:.0f}%: {value:.2f}"')


def _cdf_axes(ax: Any, top: float) -> None:
    ax.set_xlim(0.0, top)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("dr (arcsec)")
    ax.set_ylabel("fraction of cross-matches")


def _cdf_limit(q99: float) -> float:
    """The dr axis: to 1.1" (as the published figure), wider when the 99% radius is beyond."""
    return max(1.1, q99 + 0.2) if np.isfinite(q99) else 1.1


def _dr_cdf(plt: Any, report: MonitoringReport) -> Figure:
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    overall = report.accuracy.overall
    band = report.cdf
    if overall.n and band is not None:
        ax.fill_between(
            band.grid, band.low, band.high, step="post", alpha=0.3, color="C0",
            label="15.9-84.1% of resamples of observations",
        )  # fmt: skip
        ax.step(band.grid, band.cdf, where="post", color="C0", label=f"dr (N={overall.n})")
        _mark_radii(ax, overall)
    else:
        _empty(ax)
    _cdf_axes(ax, _cdf_limit(overall.q99))
    statement = report.accuracy
    ax.set_title(f"Cumulative distribution of dr, {statement.start_date} to {statement.end_date}")
    _legend(ax)
    return fig


def _quantile_history(plt: Any, report: MonitoringReport) -> Figure:
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    history = report.quantile_history
    if history is not None and history.n.size:
        centre = (history.bin_start + history.bin_stop) / 2
        for k, (q, values) in enumerate(history.values.items()):
            ax.plot(centre, values, "o-", color=f"C{k}", label=f"{q:.0f}% quantile")
        lo, hi = float(history.bin_start.min()), float(history.bin_stop.max())
        marks = _releases_in_span(centre, report.caldb_releases)
        _mark_releases(ax, marks)
        for _, _, year in marks:
            lo, hi = min(lo, year - 0.1), max(hi, year + 0.1)
        ax.set_xlim(lo, hi)
        ax.text(
            0.0, -0.18, f"N={int(history.n.sum())} in {history.n.size} half-years",
            transform=ax.transAxes, fontsize="small",
        )  # fmt: skip
    else:
        _empty(ax)
    _year_axis(ax)
    ax.set_ylabel("dr quantile (arcsec)")
    ax.set_title("Half-year quantiles of dr, CalDB CALALIGN releases marked")
    _legend(ax)
    return fig


def _half_year_cdf(plt: Any, report: MonitoringReport) -> Figure:
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.5), layout="constrained")
    m = report.matches
    inside = np.asarray(m["in_window"], dtype=bool)
    years = np.asarray(m["year"], dtype=float)[inside]
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, max(len(report.half_years), 1)))
    for ax, col in zip(axes, ("dy", "dz", "dr"), strict=True):
        values = np.asarray(m[col], dtype=float)[inside]
        for color, start in zip(colors, report.half_years, strict=False):
            x, y = cdf(values[(years >= start) & (years < start + 0.5)])
            if x.size:
                ax.step(x, y, where="post", color=color,
                        label=f"{start:.1f}-{start + 0.5:.1f} (N={x.size})")  # fmt: skip
        if not report.half_years:
            _empty(ax)
        ax.set_xlabel(f"{col} (arcsec)")
        ax.set_title(col)
    axes[0].set_ylabel("fraction of cross-matches")
    _legend(axes[-1])
    fig.suptitle("Cumulative distributions of the last six half-years")
    return fig


def _detector_history(plt: Any, report: MonitoringReport) -> Figure:
    fig, axes = plt.subplots(len(DETECTORS), 1, figsize=(9, 8), sharex=True, layout="constrained")
    m = report.matches
    det = np.asarray(m["detector"]).astype(str)
    for ax, name in zip(axes, DETECTORS, strict=True):
        sel = det == name
        if np.any(sel):
            ax.plot(
                np.asarray(m["year"])[sel], np.asarray(m["dr"])[sel], ".", label=f"N={sel.sum()}"
            )
            _legend(ax)
        else:
            _empty(ax)
        ax.set_ylabel(f"{name}\ndr (arcsec)")
    _year_axis(axes[-1])
    fig.suptitle("dr history per detector")
    return fig


def _detector_cdf(plt: Any, report: MonitoringReport) -> Figure:
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), layout="constrained")
    m = report.matches
    inside = np.asarray(m["in_window"], dtype=bool)
    det = np.asarray(m["detector"]).astype(str)
    dr = np.asarray(m["dr"], dtype=float)
    for ax, name in zip(axes.flat, DETECTORS, strict=True):
        figures = report.accuracy.detectors.get(name)
        x, y = cdf(dr[inside & (det == name)])
        if figures is not None and x.size:
            ax.step(np.r_[0.0, x], np.r_[0.0, y], where="post", label=f"dr (N={x.size})")
            _mark_radii(ax, figures)
            _legend(ax)
        else:
            _empty(ax)
        _cdf_axes(ax, _cdf_limit(figures.q99 if figures is not None else np.nan))
        ax.set_title(name)
    fig.suptitle("Cumulative distribution of dr per detector, with its own radii")
    return fig


def _alignment_shifts(plt: Any, report: MonitoringReport) -> Figure:
    fig, axes = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, layout="constrained")
    table = report.alignment.table if report.alignment is not None else None
    for ax, axis in zip(axes, ("dy", "dz"), strict=True):
        if table is None or not len(table):
            _empty(ax)
        else:
            flagged = np.asarray(table["flagged"], dtype=bool)
            for chosen, color, label in ((~flagged, "C0", "observations"),
                                         (flagged, FLAGGED_COLOR, "flagged")):  # fmt: skip
                if chosen.any():
                    ax.errorbar(
                        np.asarray(table["year"], float)[chosen],
                        np.asarray(table[axis], float)[chosen],
                        yerr=np.asarray(table[f"{axis}_err"], float)[chosen], fmt="o", ms=3,
                        color=color, capsize=2, label=f"{label} (N={int(chosen.sum())})",
                    )  # fmt: skip
            ax.axhline(0, color="k", lw=0.5)
            _legend(ax)
        ax.set_ylabel(f"shift {axis} (arcsec)")
    _year_axis(axes[1])
    fig.suptitle("Fitted shift of each observation (x-ray minus catalog), flagged in red")
    return fig


FIGURES: dict[str, tuple[str, Callable[[Any, MonitoringReport], Figure]]] = {
    "dr_cdf.png": (
        "Cumulative distribution of dr over the window with the 68/90/99% radii and its "
        "bootstrap band (whole observations resampled)",
        _dr_cdf,
    ),
    "detector_cdf.png": (
        "Cumulative distribution of dr over the window per detector, with its 68/90/99% radii",
        _detector_cdf,
    ),
    "half_year_cdf.png": (
        "Cumulative distributions of dy, dz and dr in the last six half-years of the window",
        _half_year_cdf,
    ),
    "offsets_history.png": (
        "dy and dz history with half-year medians (15.8-84.2% bands), all the selected data",
        _offsets_history,
    ),
    "detector_offsets.png": (
        "dy and dz history per detector with half-year medians",
        _detector_offsets,
    ),
    "quantile_history.png": (
        "Half-year 68/90/99% quantiles of dr with the CalDB CALALIGN releases",
        _quantile_history,
    ),
    "detector_history.png": ("dr history per detector", _detector_history),
    "alignment_shifts.png": (
        "Fitted shift (dy, dz) of each observation with its 1-sigma errors; flagged "
        "observations in red",
        _alignment_shifts,
    ),
}
"""File name → (caption, drawing function) of every figure."""

PLOTS: dict[str, str] = {name: caption for name, (caption, _) in FIGURES.items()}
"""File name → caption of every plot the page shows."""
DISTRIBUTION_PLOTS: tuple[str, ...] = ("dr_cdf.png", "detector_cdf.png", "half_year_cdf.png")
"""The plots of the accuracy window, shown with the statement."""
ALIGNMENT_PLOTS: tuple[str, ...] = ("alignment_shifts.png",)
"""The plots of the alignment section (of the first view only)."""
HISTORY_PLOTS: tuple[str, ...] = tuple(
    name for name in FIGURES if name not in DISTRIBUTION_PLOTS + ALIGNMENT_PLOTS
)
"""The plots of all the selected data over time."""


def offsets_figure(plt: Any, matches: Any, offsets: Any) -> Figure:
    """dy and dz of the matches with the binned medians (±uncertainty) of ``offsets``."""
    fig, axes = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, layout="constrained")
    t = np.asarray(matches["tstart"], dtype=float)
    years = np.asarray(CxoTime(t).frac_year, dtype=float) if t.size else t
    det = np.asarray(offsets["detector"]).astype(str)
    start = np.asarray(CxoTime(np.asarray(offsets["tstart"], float)).frac_year, dtype=float)
    stop = np.asarray(CxoTime(np.asarray(offsets["tstop"], float)).frac_year, dtype=float)
    for ax, axis in zip(axes, ("dy", "dz"), strict=True):
        ax.plot(years, np.asarray(matches[axis], float), ".", color="0.7", ms=2,
                label=f"cross-matches (N={t.size})")  # fmt: skip
        for k, name in enumerate(("all", *DETECTORS)):
            sel = det == name
            if not sel.any():
                continue
            centre = (start[sel] + stop[sel]) / 2
            ax.errorbar(
                centre + 0.02 * (k - 2), np.asarray(offsets[axis], float)[sel],
                yerr=np.asarray(offsets[f"{axis}_err"], float)[sel], fmt="o" if k else "s-",
                color=f"C{k}", ms=4, capsize=2,
                label=f"{name} median (N={int(np.asarray(offsets['n'])[sel].sum())})",
            )  # fmt: skip
        ax.axhline(0, color="k", lw=0.5)
        ax.set_ylabel(f"{axis} (arcsec)")
        _legend(ax)
    _year_axis(axes[1])
    fig.suptitle("Binned median offsets (x-ray minus catalog)")
    return fig
