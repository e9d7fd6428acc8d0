"""The monitoring reports of the web pages: the calibration and operations views.

The web pages show two views of one stored cross-match (:data:`WEB_VIEWS`): the calibration
view (cross-matches with S/N >= 5) in ``cal/`` and the operations view (S/N >= 3) in
``mta/``, each with the offsets as archived and, when CALALIGN files are given, as if
reprocessed with the reference CALALIGN. ``astromon report`` (one view, ``--out``, or the
pages, ``--web``) and ``astromon daily`` build them here and write them with
:func:`astromon.services.report.monitoring.write_site`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from astropy.table import Table

from astromon.domain.accuracy import DEFAULT_YEARS
from astromon.domain.calalign import calalign_offsets_table
from astromon.domain.filters import filter_matches
from astromon.ports.report import MonitoringReport
from astromon.ports.store import Store
from astromon.services.crossmatch.alignment import stored_alignment_of
from astromon.services.report import monitoring as report_service

__all__ = ["TITLE", "WEB_VIEWS", "build_views", "web_views"]

WEB_VIEWS: Final[dict[str, tuple[float, str]]] = {
    "cal": (5.0, "calibration view, S/N >= 5"),
    "mta": (3.0, "operations view, S/N >= 3"),
}
"""The pages of the web site: subdirectory -> (minimum S/N, what it is)."""
TITLE: Final = "Chandra absolute astrometric accuracy"
"""The title of the report pages."""


def web_views() -> dict[str, tuple[float, str]]:
    """The views of the web pages: subdirectory -> (minimum S/N, page title)."""
    return {sub: (level, f"{TITLE}: {what}") for sub, (level, what) in WEB_VIEWS.items()}


def build_views(
    store: Store,
    views: Mapping[str, tuple[float, str]],
    *,
    now: Any,
    years: float = DEFAULT_YEARS,
    name: str = "astromon_21",
    offset_steps: Table | None = None,
    calalign: Table | None = None,
    reference_calalign: str | None = None,
    when_empty: Callable[[], None] | None = None,
) -> dict[str, MonitoringReport]:
    """The report of each view of the cross-match ``name``, with the stored per-observation
    alignment when it is current (else each view fits its selected matches).

    Parameters
    ----------
    store : Store
        The database.
    views : mapping
        View name -> (minimum S/N, page title).
    now : CxoTime-compatible
        The end of the accuracy window and of the periods.
    years : float
        Length of the accuracy window, years before ``now``.
    name : str
        The stored cross-match.
    offset_steps : Table, optional
        Offset steps removed from the offsets (see
        :func:`astromon.services.report.monitoring.build_report`).
    calalign : Table, optional
        The CALALIGN files (as read by the ``CalalignFiles`` port): each view also shows the
        offsets as if reprocessed with ``reference_calalign`` (default: the latest CALALIGN
        valid at each match's time).
    reference_calalign : str, optional
        The reference CALALIGN version (``N0010``).
    when_empty : callable, optional
        Called when a view selects no cross-match (``astromon report`` refuses a cross-match
        name that is not stored there); the view is built empty when it returns.
    """
    built: dict[str, MonitoringReport] = {}
    stored_alignment = stored_alignment_of(store, name)
    # one read of the stored cross-match, at the lowest S/N; each view keeps its own S/N
    lowest = min((level for level, _ in views.values()), default=0.0)
    selected = report_service.select_matches(store, snr=lowest, name=name)
    for sub, (level, title) in views.items():
        matches = selected[filter_matches(selected, snr=level)]
        if not len(matches) and when_empty is not None:
            when_empty()
        reference = (
            None
            if calalign is None
            else calalign_offsets_table(matches, calalign, reference_calalign)
        )
        built[sub] = report_service.build_report(
            matches,
            now=now,
            years=years,
            offset_steps=offset_steps,
            reference_offsets=reference,
            selection=report_service.standard_selection(level),
            title=title,
            stored_alignment=stored_alignment,
        )
    return built
