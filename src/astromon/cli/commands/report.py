"""``astromon report``: the monitoring report, one page (``--out``) or the web pages (``--web``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Final

import typer

from astromon.cli.common import handle_errors, parse_time_option, require_cross_match, state
from astromon.domain.accuracy import DEFAULT_YEARS
from astromon.domain.errors import ValidationError
from astromon.ports.report import MonitoringReport
from astromon.services.report import monitoring as report_service
from astromon.services.report.web_pages import TITLE, WEB_VIEWS, build_views, web_views

__all__ = ["DEFAULT_OUT", "report"]

DEFAULT_OUT: Final = Path("astromon-report")


def _with_reference(
    ctx: typer.Context, version: str | None, calalign_dir: Path | None, web: bool
) -> bool:
    """Whether the pages show the reference-CALALIGN view.

    Yes with ``--reference-calalign``; with ``--web``, also when a CALALIGN directory is
    known (the latest CALALIGN valid at each match's time is then the reference).
    """
    if version is not None:
        return True
    if not web:
        if calalign_dir is not None:
            raise ValidationError("--calalign-dir is used with --reference-calalign or --web")
        return False
    if calalign_dir is not None:
        return True
    try:
        state(ctx).app.settings.default_calalign_dir()
    except ValidationError:
        typer.echo(
            "note: no CALALIGN directory (--calalign-dir, $ASTROMON_CALALIGN_DIR or $CALDB): "
            "the pages show the offsets as archived only",
            err=True,
        )
        return False
    return True


def _echo(report: MonitoringReport) -> None:
    for line in report.summary_lines():
        typer.echo(line)
    if report.hint:
        typer.echo(f"note: {report.hint}")


@handle_errors
def report(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            help=f"Directory for the page, its plots and summary.json [default: ./{DEFAULT_OUT}].",
            show_default=False,
        ),
    ] = None,
    web: Annotated[
        Path | None,
        typer.Option(
            help="Write the web pages instead: DIR/cal (S/N >= 5), DIR/mta (S/N >= 3) and "
            "DIR/index.html linking them.",
        ),
    ] = None,
    snr: Annotated[
        float | None,
        typer.Option(help="Minimum signal-to-noise ratio [default: 5].", show_default=False),
    ] = None,
    operations: Annotated[
        bool, typer.Option("--operations", help="The operations view: snr >= 3.")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(help="The end of the accuracy window and periods (default: the clock)."),
    ] = None,
    years: Annotated[
        float, typer.Option(help="Length of the accuracy window, years before now.")
    ] = DEFAULT_YEARS,
    reference_calalign: Annotated[
        str | None,
        typer.Option(
            help="Also show the offsets as if reprocessed with this CALALIGN version (e.g. N0010)."
        ),
    ] = None,
    calalign_dir: Annotated[
        Path | None,
        typer.Option(help="Directory of CALALIGN files (with --reference-calalign or --web)."),
    ] = None,
    offsets_file: Annotated[
        Path | None,
        typer.Option(
            help="Offset steps {tstart, dy, dz} (arcsec) to remove: JSON list, ECSV or CSV."
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="The stored cross-match to use.")] = "astromon_21",
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace an existing, non-empty OUT (or DIR)."),
    ] = False,
) -> None:
    """Write the monitoring report: the accuracy statement, figures, plots, HTML page.

    The accuracy statement (68/90/99% radii of dr, the worst offset, RMS) is computed over
    the cross-matches of the YEARS years before now: now - YEARS < tstart <= now. The page
    (OUT/index.html) shows it with the periods table, the observations with the largest
    offsets, the selection, the catalogs and the plots; OUT/summary.json holds its figures.
    With --reference-calalign the same cross-matches as if reprocessed with that CALALIGN
    are shown on the same page (and under reference_calalign in summary.json).

    --web DIR writes the calibration (DIR/cal, S/N >= 5) and operations (DIR/mta, S/N >= 3)
    pages and DIR/index.html; each page also shows the offsets as if reprocessed with the
    reference CALALIGN (--reference-calalign, else the latest valid one) when a CALALIGN
    directory is known.

    --offsets-file takes the JSON list of {tstart, dy, dz} written by `calalign offsets
    --output` (a detector's matches use that detector's rows, else the 'all' rows), or an
    ECSV/CSV table with the same columns. An existing, non-empty OUT (or DIR) is replaced only
    with --overwrite, as a whole (built beside it, then swapped in), and only when it is a
    report directory. NAME (--name) must be a stored cross-match; an unknown one is a usage
    error that lists the stored names.
    """
    if web is not None:
        given = {"--out": out is not None, "--snr": snr is not None, "--operations": operations}
        clashing = [option for option, value in given.items() if value]
        if clashing:
            raise ValidationError(
                f"--web writes both views (S/N >= 5 and S/N >= 3): {', '.join(clashing)} "
                "does not apply"
            )
    target, option = (web, "--web") if web is not None else (out or DEFAULT_OUT, "--out")
    if not overwrite and target.is_dir() and any(target.iterdir()):
        raise ValidationError(
            f"{option} {str(target)!r} exists and is not empty: give --overwrite to replace it"
        )
    if not (math.isfinite(years) and years > 0):
        raise ValidationError(f"--years must be a positive number of years, got {years!r}")
    when = parse_time_option("--now", now)
    moment = when if when is not None else state(ctx).app.clock().now_date()
    files = state(ctx).app.input_files()
    steps = report_service.read_offset_steps(offsets_file, files) if offsets_file else None
    store = state(ctx).store()
    views = (
        web_views()
        if web is not None
        else {"": (3.0 if operations else 5.0 if snr is None else snr, TITLE)}
    )
    app = state(ctx).app
    calalign = (
        app.read_calalign(calalign_dir)
        if _with_reference(ctx, reference_calalign, calalign_dir, web is not None)
        else None
    )
    built = build_views(
        store,
        views,
        now=moment,
        years=years,
        name=name,
        offset_steps=steps,
        calalign=calalign,
        reference_calalign=reference_calalign,
        when_empty=lambda: require_cross_match(store, name, "--name"),
    )
    renderer = app.renderer()
    if web is None:
        page = report_service.write_report(built[""], renderer, target)
        _echo(built[""])
    else:
        page = report_service.write_site(built, renderer, target)
        for sub, view in built.items():
            typer.echo(f"{sub}/ ({WEB_VIEWS[sub][1]}):")
            _echo(view)
    typer.echo(f"report: {page}")
