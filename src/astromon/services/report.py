"""The monitoring report: select cross-matches, compute figures, render.

The figures come from the pure functions of :mod:`astromon.domain.statistics`; a
:class:`~astromon.ports.report.ReportRenderer` writes the plots and the HTML page.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
from astropy.table import Table

from astromon.domain import statistics as stats
from astromon.domain.calalign import CALALIGN_CALDB
from astromon.domain.errors import ValidationError
from astromon.domain.time import CxoTime
from astromon.ports.report import MonitoringReport, ReportRenderer
from astromon.ports.store import Store
from astromon.services.offset_files import read_offsets

__all__ = [
    "EXCLUDED_CATEGORIES",
    "build_report",
    "read_offset_steps",
    "select_matches",
    "standard_selection",
    "write_comparison",
    "write_report",
]

EXCLUDED_CATEGORIES: Final[tuple[str, ...]] = (
    "SN, SNR, and Isolated NS",
    "Solar System and Misc",
    "Clusters of Galaxies",
)
"""Observation categories left out of the report."""


def standard_selection(snr: float = 5.0) -> dict[str, Any]:
    """The report's selection, as ``filter_matches`` arguments.

    ``snr`` is 5 for the standard report and 3 for the operations view.
    """
    if not (np.isfinite(snr) and snr >= 0):
        raise ValidationError(f"snr must be a non-negative number, got {snr!r}")
    return {
        "snr": float(snr),
        "exclude_bad_targets": True,
        "sim_z": 4.0,
        "exclude_categories": list(EXCLUDED_CATEGORIES),
    }


def select_matches(
    store: Store, *, snr: float = 5.0, name: str = "astromon_21", **filters: Any
) -> Table:
    """The cross-matches the report uses: the standard selection, without caldb "0.0" rows.

    Parameters
    ----------
    store : Store
        The database.
    snr : float
        Minimum signal-to-noise ratio (5 standard, 3 for the operations view).
    name : str
        The standard cross-match to read.
    **filters
        More criteria of :func:`astromon.domain.filters.filter_matches` (``r_angle``, ``dr``,
        ``exclude_regions``, column=value ...), applied with the standard selection.
    """
    from astromon.services.cross_matching import get_cross_matches

    matches = get_cross_matches(store, name, **{**standard_selection(snr), **filters})
    caldb = np.char.strip(np.asarray(matches["caldb_version"]).astype(str))
    return matches[caldb != "0.0"]


def read_offset_steps(path: str | os.PathLike[str], option: str = "--offsets-file") -> Table:
    """Read a file of offset steps: the JSON list of ``{tstart, dy, dz}`` (as written by
    ``astromon calalign offsets``), ECSV, CSV or another astropy table format.

    ``tstart`` may be a Chandra date, an ISO date or CXC seconds; it is returned in CXC
    seconds, with the columns of :func:`astromon.services.offset_files.read_offsets`
    (``detector`` is ``all`` when the file has none).

    Raises
    ------
    ValidationError
        The file is missing or unreadable, lacks columns, or holds bad values (the message
        names ``option``, the file and the bad value).
    """
    return read_offsets(path, option=option)


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


def _hint(now_secs: float, tstart: np.ndarray[Any, Any]) -> str:
    """Advice to pass ``--now`` when every match is older than the most recent period."""
    recent = min(stats.PERIODS, key=lambda p: p.start_years)
    if not len(tstart) or np.max(tstart) >= now_secs - recent.start_years * stats.SECONDS_PER_YEAR:
        return ""
    latest = str(CxoTime(float(np.max(tstart))).date)[:8]
    return (
        f"The data end at {latest}, before the period '{recent.label}' counted back from now. "
        f"Pass --now {latest} to count the periods back from the end of the data."
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


def build_report(
    matches: Table,
    *,
    now: Any = None,
    offset_steps: Table | None = None,
    calalign_offsets: Table | None = None,
    selection: Mapping[str, object] | None = None,
    title: str = "Chandra absolute astrometry",
) -> MonitoringReport:
    """Compute the report's figures from selected cross-matches.

    Parameters
    ----------
    matches : Table
        Cross-matches (as from :func:`select_matches`) with obsid, detector, target, tstart
        (CXC s), dy, dz, dr (arcsec).
    now : CxoTime-compatible, optional
        The time periods count back from (default: the current time).
    offset_steps : Table, optional
        Steps ``{tstart, dy, dz}`` (and optionally ``detector``) removed from the offsets
        (see :func:`astromon.domain.statistics.apply_offset_steps`): a detector's matches
        take the rows of that detector when there are any, else the ``all`` rows.
    calalign_offsets : Table, optional
        Rows matching ``matches`` with calalign_dy, calalign_dz, ref_calalign_dy,
        ref_calalign_dz (arcsec, from ``astromon.utils.get_calalign_offsets``): offsets are
        shifted to the reference calalign.
    selection : Mapping, optional
        The selection that produced ``matches`` (shown on the page).
    title : str
        Page title.

    Raises
    ------
    ValidationError
        Missing columns, or shift tables that do not fit ``matches``.
    """
    needed = ["obsid", "detector", "tstart", "dy", "dz", "dr"]
    missing = [c for c in needed if c not in matches.colnames]
    if missing:
        raise ValidationError(f"cross-matches lack the columns {missing} needed by the report")
    now_secs, now_date = _now_secs(now)
    tstart = np.asarray(matches["tstart"], dtype=float)
    dy = np.asarray(matches["dy"], dtype=float)
    dz = np.asarray(matches["dz"], dtype=float)
    dr = np.asarray(matches["dr"], dtype=float)
    shifts = []
    if calalign_offsets is not None:
        if len(calalign_offsets) != len(matches):
            raise ValidationError(
                f"calalign offsets have {len(calalign_offsets)} rows for {len(matches)} matches"
            )
        ref = _aligned(calalign_offsets, matches)
        dy, dz, dr = stats.shift_to_reference_calalign(
            dy,
            dz,
            ref["calalign_dy"],
            ref["calalign_dz"],
            ref["ref_calalign_dy"],
            ref["ref_calalign_dz"],
        )
        version = ref["ref_calalign_version"][0] if "ref_calalign_version" in ref.colnames else ""
        shifts.append(f"shifted to reference calalign {version}".strip())
    detector = np.asarray(matches["detector"]).astype(str)
    if offset_steps is not None:
        dy, dz, dr = _apply_steps(tstart, dy, dz, detector, offset_steps)
        shifts.append(f"{len(offset_steps)} offset steps removed")
    years = np.asarray(CxoTime(tstart).frac_year, dtype=float) if len(tstart) else tstart
    columns = [
        c for c in ("obsid", "detector", "target", "grating", "snr") if c in matches.colnames
    ]
    table = Table({c: np.asarray(matches[c]) for c in columns})
    table["tstart"] = tstart
    table["year"] = years
    table["dy"], table["dz"], table["dr"] = dy, dz, dr
    det_quantiles = {
        d: stats.dr_quantiles(dr[detector == d]) for d in stats.DETECTORS if np.any(detector == d)
    }
    present = [d for d in stats.DETECTORS if np.any(detector == d)]
    summary = stats.summary_table(dr, detector, tstart, now_secs)
    return MonitoringReport(
        title=title,
        now_date=now_date,
        matches=table,
        summary=summary,
        quantiles=stats.dr_quantiles(dr),
        detector_quantiles=det_quantiles,
        medians_dy=stats.binned_medians(years, dy),
        medians_dz=stats.binned_medians(years, dz),
        selection=dict(selection or {}),
        shift="; ".join(shifts),
        detector_medians={
            d: (
                stats.binned_medians(years[detector == d], dy[detector == d]),
                stats.binned_medians(years[detector == d], dz[detector == d]),
            )
            for d in present
        },
        quantile_history=stats.quantile_history(years, dr),
        caldb_releases=_caldb_releases(),
        all_data=stats.all_data_summary(dr, detector),
        hint=_hint(now_secs, tstart),
    )


def write_report(
    report: MonitoringReport, renderer: ReportRenderer, outdir: str | os.PathLike[str]
) -> Path:
    """Render ``report`` into ``outdir``; returns the path of its HTML page."""
    return renderer.render(report, Path(outdir))


def write_comparison(
    before: MonitoringReport,
    after: MonitoringReport,
    renderer: ReportRenderer,
    outdir: str | os.PathLike[str],
) -> Path:
    """Render two reports side by side into ``outdir``; returns the path of its HTML page."""
    return renderer.render_comparison(before, after, Path(outdir))
