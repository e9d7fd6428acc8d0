"""``astromon report`` (the monitoring report) and the CALALIGN listing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from astromon.cli.common import handle_errors, parse_time_option, require_cross_match, state
from astromon.ports.report import MonitoringReport
from astromon.services import report as report_service

__all__ = ["report", "summary_lines"]


def summary_lines(report: MonitoringReport) -> list[str]:
    """The report's summary table and quantiles as text lines."""
    big = '% >1"'
    lines = [f"{'period':15} {'detector':8} {'N':>6} {'RMS':>6} {'90%':>6} {big:>6}"]
    for row in report.summary:
        lines.append(
            f"{row.period:15} {row.detector:8} {row.n:6d} {row.rms:6.2f} {row.q90:6.2f} "
            f"{row.percent_big:6.1f}"
        )
    quantiles = ", ".join(f'{q:g}%: {v:.2f}"' for q, v in report.quantiles.items())
    lines.append(f"dr quantiles (all {len(report.matches)} matches): {quantiles}")
    return lines


@handle_errors
def report(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Directory for the HTML page and PNG plots.")] = Path(
        "astromon-report"
    ),
    snr: Annotated[float, typer.Option(help="Minimum signal-to-noise ratio (standard 5).")] = 5.0,
    operations: Annotated[
        bool, typer.Option("--operations", help="The operations view: snr >= 3.")
    ] = False,
    now: Annotated[
        str | None, typer.Option(help="Count the periods back from this date (default: now).")
    ] = None,
    reference_calalign: Annotated[
        str | None,
        typer.Option(help="Shift offsets to this reference calalign version (e.g. N0010)."),
    ] = None,
    calalign_dir: Annotated[
        Path | None, typer.Option(help="Directory of calalign files (with --reference-calalign).")
    ] = None,
    offsets_file: Annotated[
        Path | None,
        typer.Option(
            help="Offset steps {tstart, dy, dz} (arcsec) to remove: JSON list, ECSV or CSV."
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="The stored cross-match to use.")] = "astromon_21",
) -> None:
    """Write the monitoring report: summary, all-data block, quantiles, plots, HTML page.

    --offsets-file takes the JSON list of {tstart, dy, dz} written by `calalign offsets
    --output` (a detector's matches use that detector's rows, else the 'all' rows), or an
    ECSV/CSV table with the same columns. OUT is replaced as a whole (built beside it, then
    swapped in); an existing OUT must be a report directory. NAME (--name) must be a stored
    cross-match; an unknown one is a usage error that lists the stored names.
    """
    snr_min = 3.0 if operations else snr
    when = parse_time_option("--now", now)
    store = state(ctx).store()
    matches = report_service.select_matches(store, snr=snr_min, name=name)
    if not len(matches):
        require_cross_match(store, name, "--name")
    calalign_offsets = None
    if reference_calalign is not None:
        from astromon import utils

        calalign_offsets = utils.get_calalign_offsets(
            matches, ref_calalign=reference_calalign, calalign_dir=calalign_dir
        )
    steps = report_service.read_offset_steps(offsets_file) if offsets_file else None
    built = report_service.build_report(
        matches,
        now=when if when is not None else state(ctx).app.clock().now_date(),
        offset_steps=steps,
        calalign_offsets=calalign_offsets,
        selection=report_service.standard_selection(snr_min),
    )
    page = report_service.write_report(built, state(ctx).app.renderer(), out)
    for line in summary_lines(built):
        typer.echo(line)
    if built.hint:
        typer.echo(f"note: {built.hint}")
    typer.echo(f"report: {page}")
