"""The monitoring report: select cross-matches, compute figures, render.

The figures come from the pure functions of :mod:`astromon.domain.accuracy` (the accuracy
statement over the window, the periods table, the observations to look at),
:mod:`astromon.domain.statistics` (histories) and :mod:`astromon.domain.resampling` (the
bootstrap band of the CDF); a :class:`~astromon.ports.report.ReportRenderer` writes the plots,
the HTML page and ``summary.json``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
from astropy.table import Table

from astromon.domain import accuracy as acc
from astromon.domain import statistics as stats
from astromon.domain.alignment.history import alignment_history
from astromon.domain.alignment.table import INPUT_COLUMNS
from astromon.domain.calalign import CALALIGN_CALDB
from astromon.domain.catalogs import CATALOGS
from astromon.domain.errors import ValidationError
from astromon.domain.observation_offsets import observation_figures
from astromon.domain.resampling import CdfBand, cdf_band
from astromon.domain.time import CxoTime
from astromon.ports.input_files import InputFiles
from astromon.ports.report import CatalogUse, MonitoringReport, ReportRenderer
from astromon.services.calibration.offset_files import read_offsets
from astromon.services.report.selection import (
    EXCLUDED_CATEGORIES,
    describe_selection,
    select_matches,
    standard_selection,
)

__all__ = [
    "CDF_STEP_ARCSEC",
    "EXCLUDED_CATEGORIES",
    "build_report",
    "read_offset_steps",
    "select_matches",
    "standard_selection",
    "write_comparison",
    "write_report",
    "write_site",
]

CDF_STEP_ARCSEC: Final = 0.01
"""Grid step of the CDF band of dr (arcsec); the grid runs from 0 to at least 3"."""
_CDF_MAX_ARCSEC: Final = 3.0

Array = np.ndarray[Any, Any]


def read_offset_steps(
    path: str | os.PathLike[str], files: InputFiles, option: str = "--offsets-file"
) -> Table:
    """Read a file of offset steps: the JSON list of ``{tstart, dy, dz}`` (as written by
    ``astromon calalign offsets``), ECSV, CSV or another astropy table format.

    ``tstart`` may be a Chandra date, an ISO date or CXC seconds; it is returned in CXC
    seconds, with the columns of :func:`astromon.services.calibration.offset_files.read_offsets`
    (``detector`` is ``all`` when the file has none). ``files`` reads it (the input-files port).

    Raises
    ------
    ValidationError
        The file is missing or unreadable, lacks columns, or holds bad values (the message
        names ``option``, the file and the bad value).
    """
    return read_offsets(path, files, option=option)


def _apply_steps(
    tstart: np.ndarray[Any, Any],
    dy: np.ndarray[Any, Any],
    dz: np.ndarray[Any, Any],
    detector: np.ndarray[Any, Any],
    steps: Table,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Remove offset steps per detector: a detector's own rows, else the ``all`` rows."""
    step_det = (
        np.asarray(steps["detector"]).astype(str)
        if "detector" in steps.colnames
        else np.full(len(steps), "all")
    )
    new_y, new_z = dy.copy(), dz.copy()
    for name in np.unique(detector):
        sel = detector == name
        rows = step_det == name
        if not rows.any():
            rows = step_det == "all"
        if not rows.any():
            continue
        new_y[sel], new_z[sel], _ = stats.apply_offset_steps(
            tstart[sel], dy[sel], dz[sel], steps[rows]
        )
    return new_y, new_z, np.hypot(new_y, new_z)


def _hint(now_secs: float, years: float, tstart: Array) -> str:
    """Advice to pass ``--now`` when every match is older than the accuracy window."""
    if not len(tstart) or np.max(tstart) > now_secs - years * stats.SECONDS_PER_YEAR:
        return ""
    latest = str(CxoTime(float(np.max(tstart))).date)[:8]
    return (
        f"The data end at {latest}, before the {years:g} years counted back from now. "
        f"Pass --now {latest} to count them back from the end of the data."
    )


def _caldb_releases() -> list[tuple[str, float]]:
    return [
        (f"CalDB {caldb} ({version})", float(CxoTime(date).frac_year))
        for version, (caldb, date) in CALALIGN_CALDB.items()
    ]


def _aligned(offsets: Table, matches: Table) -> Table:
    """Rows of ``offsets`` in the order of ``matches`` (by obsid and x_id when both have them)."""
    keys = ("obsid", "x_id")
    if not all(k in offsets.colnames and k in matches.colnames for k in keys):
        return offsets
    where = {
        (int(o), int(x)): i
        for i, (o, x) in enumerate(zip(offsets["obsid"], offsets["x_id"], strict=True))
    }
    try:
        index = [where[(int(o), int(x))] for o, x in zip(*(matches[k] for k in keys), strict=True)]
    except KeyError as exc:
        raise ValidationError(f"no calalign offsets for the match (obsid, x_id) {exc}") from None
    return offsets[index]


def _now_secs(now: Any) -> tuple[float, str]:
    try:
        t = CxoTime() if now is None else CxoTime(now)
    except Exception as exc:
        raise ValidationError(f"cannot parse the report time {now!r}: {exc}") from None
    return float(t.secs), str(t.date)


def _catalogs(matches: Table, inside: Array) -> tuple[CatalogUse, ...]:
    if "catalog" not in matches.colnames:
        return ()
    counts = Counter(str(c).strip() for c in np.asarray(matches["catalog"])[inside])
    uses = []
    for name, n in counts.most_common():
        spec = CATALOGS.get(name)
        if spec is None:
            uses.append(CatalogUse(name, "", "", n))
        else:
            uses.append(CatalogUse(name, spec.description, spec.vizier_id, n))
    return tuple(uses)


def _cdf(dr: Array, obsid: Array) -> CdfBand:
    finite = dr[np.isfinite(dr)]
    top = max(_CDF_MAX_ARCSEC, float(np.max(finite)) if finite.size else 0.0)
    grid = np.arange(0.0, top + CDF_STEP_ARCSEC / 2, CDF_STEP_ARCSEC)
    return cdf_band(dr, obsid, grid)


@dataclass(frozen=True)
class _Frame:
    """What every view of one report shares: now, the window, the selection, the title."""

    now_secs: float
    now_date: str
    years: float
    selection: Mapping[str, object]
    title: str

    @property
    def snr(self) -> float | None:
        value = self.selection.get("snr")
        return None if value is None else float(str(value))


def _view(
    matches: Table, offsets: tuple[Array, Array, Array], frame: _Frame, shift: str
) -> MonitoringReport:
    """The report of one view of the offsets (as archived, shifted ...)."""
    dy, dz, dr = offsets
    now_secs, years = frame.now_secs, frame.years
    tstart = np.asarray(matches["tstart"], dtype=float)
    detector = np.asarray(matches["detector"]).astype(str)
    obsid = np.asarray(matches["obsid"])
    target = (
        np.asarray(matches["target"]).astype(str)
        if "target" in matches.colnames
        else np.full(len(matches), "")
    )
    years_of = np.asarray(CxoTime(tstart).frac_year, dtype=float) if len(tstart) else tstart
    inside = acc.window_mask(tstart, now_secs, years)
    columns = ("obsid", "detector", "target", "grating", "snr", "catalog")
    table = Table({c: np.asarray(matches[c]) for c in columns if c in matches.colnames})
    table["tstart"], table["year"] = tstart, years_of
    table["dy"], table["dz"], table["dr"] = dy, dz, dr
    table["in_window"] = inside
    present = [d for d in stats.DETECTORS if np.any(detector == d)]
    named = "select_name" in matches.colnames and len(matches)
    cross_match = str(matches["select_name"][0]) if named else None
    return MonitoringReport(
        title=frame.title,
        now_date=frame.now_date,
        matches=table,
        accuracy=acc.accuracy_statement(dr, detector, tstart, now_secs, years, snr=frame.snr),
        summary=acc.summary_table(dr, detector, tstart, now_secs),
        medians_dy=stats.binned_medians(years_of, dy),
        medians_dz=stats.binned_medians(years_of, dz),
        selection=dict(frame.selection),
        selection_text=describe_selection(frame.selection, cross_match),
        shift=shift,
        detector_medians={
            d: (
                stats.binned_medians(years_of[detector == d], dy[detector == d]),
                stats.binned_medians(years_of[detector == d], dz[detector == d]),
            )
            for d in present
        },
        quantile_history=stats.quantile_history(years_of, dr),
        caldb_releases=_caldb_releases(),
        hint=_hint(now_secs, years, tstart),
        cdf=_cdf(dr[inside], obsid[inside]),
        observations=tuple(
            observation_figures(
                obsid[inside],
                dy[inside],
                dz[inside],
                dr[inside],
                detector=detector[inside],
                target=target[inside],
                times=tstart[inside],
            )
        ),
        catalogs=_catalogs(matches, inside),
        half_years=tuple(acc.recent_half_years(years_of[inside & np.isfinite(dr)])),
    )


def _reference_shift(matches: Table, offsets: Table) -> tuple[tuple[Array, Array, Array], str]:
    """The offsets as if processed with the reference CALALIGN, and its version(s)."""
    if len(offsets) != len(matches):
        raise ValidationError(
            f"calalign offsets have {len(offsets)} rows for {len(matches)} matches"
        )
    ref = _aligned(offsets, matches)
    shifted = stats.shift_to_reference_calalign(
        np.asarray(matches["dy"], dtype=float),
        np.asarray(matches["dz"], dtype=float),
        ref["calalign_dy"],
        ref["calalign_dz"],
        ref["ref_calalign_dy"],
        ref["ref_calalign_dz"],
    )
    versions = sorted(
        {str(v) for v in ref["ref_calalign_version"] if str(v)}
        if "ref_calalign_version" in ref.colnames
        else set()
    )
    return shifted, ", ".join(versions)


def build_report(
    matches: Table,
    *,
    now: Any = None,
    years: float = acc.DEFAULT_YEARS,
    offset_steps: Table | None = None,
    calalign_offsets: Table | None = None,
    reference_offsets: Table | None = None,
    selection: Mapping[str, object] | None = None,
    title: str = "Chandra absolute astrometry",
    stored_alignment: Table | None = None,
) -> MonitoringReport:
    """Compute the report's figures from selected cross-matches.

    Parameters
    ----------
    matches : Table
        Cross-matches (as from :func:`select_matches`) with obsid, detector, target, tstart
        (CXC s), dy, dz, dr (arcsec).
    now : CxoTime-compatible, optional
        The end of the accuracy window; the periods count back from it too (default: the
        current time).
    years : float
        Length of the accuracy window: a match at ``t`` (its tstart) counts when
        ``now - years < t <= now``.
    offset_steps : Table, optional
        Steps ``{tstart, dy, dz}`` (and optionally ``detector``) removed from the offsets
        (see :func:`astromon.domain.statistics.apply_offset_steps`): a detector's matches
        take the rows of that detector when there are any, else the ``all`` rows.
    calalign_offsets : Table, optional
        Rows matching ``matches`` with calalign_dy, calalign_dz, ref_calalign_dy,
        ref_calalign_dz (arcsec, from ``astromon.utils.get_calalign_offsets``): the offsets
        of this report are shifted to the reference calalign (``calalign check``'s "after").
    reference_offsets : Table, optional
        The same kind of rows: the report also holds the view of the matches as if
        reprocessed with the reference CALALIGN (``reference``), shown on the same page.
        Offset steps apply to the first view only.
    selection : Mapping, optional
        The selection that produced ``matches`` (its ``snr`` is recorded; shown in words).
    title : str
        Page title.
    stored_alignment : Table, optional
        The stored ``astromon_alignment`` rows of the cross-match, current with its pairs
        (:func:`astromon.services.crossmatch.alignment.read_alignment`): the report's alignment
        section shows them for its observations. None: the selected matches are fitted, when they
        carry the pairs' columns the fit needs (else the report has no alignment).

    Raises
    ------
    ValidationError
        Missing columns, a window that is not a positive number of years, or shift tables
        that do not fit ``matches``.
    """
    needed = ["obsid", "detector", "tstart", "dy", "dz", "dr"]
    missing = [c for c in needed if c not in matches.colnames]
    if missing:
        raise ValidationError(f"cross-matches lack the columns {missing} needed by the report")
    if not (np.isfinite(years) and years > 0):
        raise ValidationError(f"--years must be a positive number of years, got {years!r}")
    now_secs, now_date = _now_secs(now)
    frame = _Frame(now_secs, now_date, float(years), selection or {}, title)
    offsets = (
        np.asarray(matches["dy"], dtype=float),
        np.asarray(matches["dz"], dtype=float),
        np.asarray(matches["dr"], dtype=float),
    )
    shifts = []
    if calalign_offsets is not None:
        offsets, versions = _reference_shift(matches, calalign_offsets)
        shifts.append(f"shifted to reference calalign {versions}".strip())
    if offset_steps is not None:
        tstart = np.asarray(matches["tstart"], dtype=float)
        detector = np.asarray(matches["detector"]).astype(str)
        offsets = _apply_steps(tstart, offsets[0], offsets[1], detector, offset_steps)
        shifts.append(f"{len(offset_steps)} offset steps removed")
    report = _view(matches, offsets, frame, "; ".join(shifts))
    if stored_alignment is not None or all(c in matches.colnames for c in INPUT_COLUMNS):
        report = replace(report, alignment=alignment_history(matches, stored_alignment))
    if reference_offsets is None:
        return report
    shifted, versions = _reference_shift(matches, reference_offsets)
    label = f"reprocessed with the reference CALALIGN {versions}".strip()
    return replace(report, reference=_view(matches, shifted, frame, label))


def write_report(
    report: MonitoringReport, renderer: ReportRenderer, outdir: str | os.PathLike[str]
) -> Path:
    """Render ``report`` into ``outdir`` (page, plots, ``summary.json``); returns the page."""
    return renderer.render(report, Path(outdir))


def write_site(
    reports: Mapping[str, MonitoringReport],
    renderer: ReportRenderer,
    outdir: str | os.PathLike[str],
) -> Path:
    """Render each report in ``outdir/<name>/`` with an index page linking them."""
    return renderer.render_site(reports, Path(outdir))


def write_comparison(
    before: MonitoringReport,
    after: MonitoringReport,
    renderer: ReportRenderer,
    outdir: str | os.PathLike[str],
) -> Path:
    """Render two reports side by side into ``outdir``; returns the path of its HTML page."""
    return renderer.render_comparison(before, after, Path(outdir))
