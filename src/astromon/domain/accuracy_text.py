"""The accuracy statement in words and tables: one formatter for the terminal and the page.

Every figure is shown by :func:`format_value` (a missing figure is ``-``, never ``nan``); the
tables of the terminal summary and of the report page have the columns of
:data:`FIGURE_COLUMNS` and take their cells from :func:`figure_cells`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from astromon.domain.accuracy import AccuracyFigures, AccuracyStatement, SummaryRow

__all__ = [
    "CAVEAT",
    "FIGURE_COLUMNS",
    "MISSING",
    "accuracy_sentence",
    "figure_cells",
    "format_value",
    "now_line",
    "statement_lines",
    "summary_lines",
]

MISSING: Final = "-"
"""How a figure that cannot be computed is shown."""
CAVEAT: Final = (
    "These values apply to sources within 3 arcmin of the aimpoint and with the SIM-Z at "
    "the detector's nominal value."
)
FIGURE_COLUMNS: Final[tuple[str, ...]] = ("N", "RMS", "68%", "90%", "99%", "max", '% >1"')
"""Column headers of the figures: N, then dr's RMS, radii and worst offset (arcsec), and the
percentage of matches with dr above 1"."""
_WIDTH: Final = 7


def format_value(value: float | None, digits: int = 2) -> str:
    """A figure with ``digits`` decimals; :data:`MISSING` for None, NaN or infinity."""
    if value is None or not math.isfinite(value):
        return MISSING
    return f"{value:.{digits}f}"


def figure_cells(figures: AccuracyFigures) -> tuple[str, ...]:
    """The cells of :data:`FIGURE_COLUMNS` for one row of figures."""
    return (
        str(figures.n),
        format_value(figures.rms),
        format_value(figures.q68),
        format_value(figures.q90),
        format_value(figures.q99),
        format_value(figures.max_offset),
        format_value(figures.percent_above_1arcsec, 1),
    )


def accuracy_sentence(statement: AccuracyStatement) -> str:
    """The published statement: the 90% radius, the 99% limit and the worst case offset."""
    start, end = statement.start_date, statement.end_date
    overall = statement.overall
    if overall.n == 0:
        return (
            f"No cross-match of the selection falls between {start} and {end}: the accuracy "
            "cannot be stated for this period."
        )
    return (
        "The overall 90% uncertainty circle of Chandra X-ray absolute positions, based on "
        f"observations between {start} and {end}, has a radius of "
        f"{format_value(overall.q90)} arcsec. The 99% limit on positional accuracy is "
        f"{format_value(overall.q99)} arcsec. The worst case offset is "
        f"{format_value(overall.max_offset, 1)} arcsec."
    )


def now_line(now_date: str, statement: AccuracyStatement) -> str:
    """The summary's first line: now, and the window counted back from it."""
    snr = "" if statement.snr is None else f", S/N >= {statement.snr:g}"
    return (
        f"now = {now_date}: accuracy over the {statement.n_years:g} years before now, "
        f"{statement.start_date} to {statement.end_date}{snr}"
    )


def _table_line(labels: Sequence[str], widths: Sequence[int], cells: Sequence[str]) -> str:
    left = " ".join(f"{label:{width}}" for label, width in zip(labels, widths, strict=True))
    return left + "".join(f"{cell:>{_WIDTH}}" for cell in cells)


def statement_lines(statement: AccuracyStatement) -> list[str]:
    """The sentence, the caveat and the figures per detector over the window."""
    lines = [accuracy_sentence(statement), CAVEAT]
    lines.append(_table_line(["detector"], [8], FIGURE_COLUMNS))
    lines.append(_table_line(["all"], [8], figure_cells(statement.overall)))
    for name, figures in statement.detectors.items():
        lines.append(_table_line([name], [8], figure_cells(figures)))
    return lines


def summary_lines(
    now_date: str,
    statement: AccuracyStatement,
    periods: Sequence[SummaryRow],
    views: Sequence[tuple[str, AccuracyStatement]] = (),
) -> list[str]:
    """The summary shown by ``astromon report``, ``astromon demo`` and on the page.

    Parameters
    ----------
    now_date : str
        Now, as a Chandra date: the first line states it.
    statement : AccuracyStatement
        The accuracy over the window.
    periods : sequence of SummaryRow
        The periods table.
    views : sequence of (str, AccuracyStatement)
        Other views of the same matches (e.g. reprocessed with the reference CALALIGN), each
        with its label.
    """
    lines = [now_line(now_date, statement), *statement_lines(statement)]
    lines.append(_table_line(["period", "detector"], [13, 8], FIGURE_COLUMNS))
    for row in periods:
        lines.append(_table_line([row.period, row.detector], [13, 8], figure_cells(row.figures)))
    for label, other in views:
        lines.append(f"{label}:")
        lines.extend(statement_lines(other))
    return lines
