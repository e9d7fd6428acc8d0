"""``astromon calalign``: list CALALIGN files, derive offsets, write and check new files.

* ``calalign`` / ``calalign list``: the CALALIGN files (versions, validity, offsets).
* ``calalign offsets``: median dy/dz per time bin, over all detectors (one common correction)
  or, with ``--per-detector``, per detector too.
* ``calalign write``: new CALALIGN files that correct those offsets: one common correction
  for every INSTR_ID, or with ``--per-detector`` each detector its own.
* ``calalign check``: the report before and after, as if processed with the new files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from astromon.cli.common import (
    FormatOpt,
    OutputFormat,
    OutputOpt,
    handle_errors,
    parse_where,
    state,
    write_table,
)
from astromon.domain.errors import ValidationError
from astromon.domain.time import CxoTime
from astromon.services.calibration import calalign as calibration
from astromon.services.calibration import offset_files
from astromon.services.report import monitoring as report_service

__all__ = ["calalign_app"]

calalign_app = typer.Typer(
    help="CALALIGN files: list them, derive offsets, write new files and check them.",
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DirOpt = Annotated[
    Path | None,
    typer.Option(
        help="Directory of pcadD...align...fits files (default: $ASTROMON_CALALIGN_DIR, "
        "else $CALDB/data/chandra/pcad/align)."
    ),
]
ListOverwriteOpt = Annotated[
    bool, typer.Option("--overwrite", help="Replace an existing --output file.")
]
SnrOpt = Annotated[float, typer.Option(help="Minimum signal-to-noise ratio (standard 5).")]
OperationsOpt = Annotated[bool, typer.Option("--operations", help="The operations view: snr >= 3.")]
NameOpt = Annotated[str, typer.Option(help="The stored cross-match to use.")]


def _list(
    ctx: typer.Context,
    calalign_dir: Path | None,
    fmt: OutputFormat,
    output: Path | None,
    overwrite: bool = False,
) -> None:
    table = state(ctx).app.read_calalign(calalign_dir)
    if fmt in (OutputFormat.csv, OutputFormat.parquet):  # flat columns: M[i, j] → name_ij
        for name in [c for c in ("aca_misalign", "fts_misalign") if c in table.colnames]:
            values = np.asarray(table[name]).reshape(len(table), 3, 3)
            index = table.colnames.index(name)
            table.remove_column(name)
            for i in range(3):
                for j in range(3):
                    table.add_column(values[:, i, j], name=f"{name}_{i}{j}", index=index)
                    index += 1
    write_table(table, fmt, output, overwrite=overwrite)


@calalign_app.callback()
@handle_errors
def _default(
    ctx: typer.Context,
    calalign_dir: DirOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    overwrite: ListOverwriteOpt = False,
) -> None:
    """List the CALALIGN files (without a subcommand), or run a subcommand.

    The options given here, before the subcommand, are those of the listing: `calalign
    --calalign-dir DIR list` lists DIR, as `calalign list --calalign-dir DIR` does.
    """
    if ctx.invoked_subcommand is None:
        _list(ctx, calalign_dir, fmt, output, overwrite)
        return
    given = {
        "--calalign-dir": calalign_dir is not None,
        "--format": fmt is not OutputFormat.table,
        "--output": output is not None,
        "--overwrite": overwrite,
    }
    if ctx.invoked_subcommand != "list" and any(given.values()):
        options = ", ".join(name for name, value in given.items() if value)
        raise ValidationError(
            f"{options} before the subcommand belongs to the listing (`calalign [OPTIONS] "
            f"list`); give the options of `calalign {ctx.invoked_subcommand}` after it"
        )


@calalign_app.command("list")
@handle_errors
def list_files(
    ctx: typer.Context,
    calalign_dir: DirOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    overwrite: ListOverwriteOpt = False,
) -> None:
    """List the CALALIGN (ACA/FTS misalignment) files: versions, validity, offsets.

    Options may also be given before `list` (`calalign --calalign-dir DIR list`); those
    given after it win.
    """
    group = ctx.parent.params if ctx.parent is not None else {}
    _list(
        ctx,
        calalign_dir if calalign_dir is not None else group.get("calalign_dir"),
        fmt if fmt is not OutputFormat.table else group.get("fmt", fmt),
        output if output is not None else group.get("output"),
        overwrite or bool(group.get("overwrite", False)),
    )


def _selected(
    ctx: typer.Context,
    *,
    snr: float,
    operations: bool,
    name: str,
    r_angle: float | None = None,
    dr: float | None = None,
    exclude_regions: bool = False,
    where: list[str] | None = None,
) -> Any:
    filters: dict[str, Any] = {}
    if r_angle is not None:
        filters["r_angle"] = r_angle
    if dr is not None:
        filters["dr"] = dr
    if exclude_regions:
        filters["exclude_regions"] = True
    filters.update(parse_where(where or []))
    store = state(ctx).store()
    return report_service.select_matches(
        store, snr=3.0 if operations else snr, name=name, **filters
    )


def _offset_lines(table: Any) -> list[str]:
    lines = [
        f"{'tstart':21} {'detector':8} {'N':>5} {'dy':>7} {'±':>5} {'dz':>7} {'±':>5}  (arcsec)"
    ]
    for row in table:
        lines.append(
            f"{CxoTime(float(row['tstart'])).date:21} {row['detector']:8} {row['n']:5d} "
            f"{row['dy']:7.3f} {row['dy_err']:5.3f} {row['dz']:7.3f} {row['dz_err']:5.3f}"
        )
    return lines


@calalign_app.command("offsets")
@handle_errors
def offsets(
    ctx: typer.Context,
    bins_per_year: Annotated[
        float,
        typer.Option(min=0.01, max=366.0, help="Time bins per year (2: half-years; 366: days)."),
    ] = 2.0,
    start: Annotated[
        str | None, typer.Option(help="Only matches from this time (Chandra date, ISO, CXC s).")
    ] = None,
    stop: Annotated[str | None, typer.Option(help="Only matches before this time.")] = None,
    snr: SnrOpt = 5.0,
    operations: OperationsOpt = False,
    r_angle: Annotated[float | None, typer.Option(help="Maximum off-axis angle (arcsec).")] = None,
    dr: Annotated[float | None, typer.Option(help="Maximum offset dr (arcsec).")] = None,
    exclude_regions: Annotated[
        bool, typer.Option("--exclude-regions", help="Leave out sources in excluded regions.")
    ] = False,
    where: Annotated[
        list[str] | None, typer.Option(help="COLUMN=VALUE filter (a,b,c: any); repeatable.")
    ] = None,
    name: NameOpt = "astromon_21",
    output: Annotated[
        Path | None,
        typer.Option(help="Write the offsets to F.json (list of {tstart, dy, dz, ...}) or F.ecsv."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace existing --output and --plot files.")
    ] = False,
    plot: Annotated[
        Path | None, typer.Option(help="PNG file of the binned medians over the matches.")
    ] = None,
    per_detector: Annotated[
        bool,
        typer.Option(
            "--per-detector",
            help="Also a median per detector and bin (default: the median over all "
            "detectors, one common correction).",
        ),
    ] = False,
) -> None:
    """Median dy/dz (x-ray minus catalog, arcsec) per time bin, over all detectors.

    One row per bin (detector 'all'): the common correction `calalign write` applies to
    every INSTR_ID; --per-detector adds a row per detector. Uses the report's standard
    selection (snr >= 5, known bad targets and some categories excluded, caldb 0.0 dropped)
    plus the filters given. Each row has N (matches), N_OBS (observations) and the
    uncertainty of the median: half the 15.87-84.13 percentile range of the medians of 400
    bootstrap resamples of whole observations (fixed seed), so that one observation with
    many sources cannot make it small; none with a single observation. Bins start at
    multiples of 1/BINS_PER_YEAR years.
    """
    if output is not None and output.suffix.lower() not in (".json", ".ecsv"):
        raise ValidationError(f"--output {str(output)!r}: the file name must end in .json or .ecsv")
    if output is not None and output.exists() and not overwrite:
        raise ValidationError(f"--output {str(output)!r} exists; pass --overwrite to replace it")
    if plot is not None and plot.suffix.lower() != ".png":
        raise ValidationError(f"--plot {str(plot)!r}: the file name must end in .png")
    if plot is not None and plot.exists() and not overwrite:
        raise ValidationError(f"--plot {str(plot)!r} exists; pass --overwrite to replace it")
    matches = _selected(
        ctx, snr=snr, operations=operations, name=name, r_angle=r_angle, dr=dr,
        exclude_regions=exclude_regions, where=where,
    )  # fmt: skip
    table = calibration.median_offsets(
        matches, bins_per_year=bins_per_year, start=start, stop=stop, per_detector=per_detector
    )
    if not len(table):
        raise ValidationError("no cross-matches in the selection: no offsets")
    for line in _offset_lines(table):
        typer.echo(line)
    if output is not None:
        written = offset_files.write_offsets(
            table, output, writer=state(ctx).app.write_text_file, overwrite=overwrite
        )
        typer.echo(f"offsets: {written}")
    if plot is not None:
        keep = np.ones(len(matches), dtype=bool)
        t = np.asarray(matches["tstart"], dtype=float)
        if start is not None:
            keep &= t >= float(CxoTime(_time(start)).secs)
        if stop is not None:
            keep &= t < float(CxoTime(_time(stop)).secs)
        path = (
            state(ctx).app.renderer().plot_offsets(matches[keep], table, plot, overwrite=overwrite)
        )
        typer.echo(f"plot: {path}")


def _time(value: str) -> Any:
    try:
        return float(value)
    except ValueError:
        return value


@calalign_app.command("write")
@handle_errors
def write(
    ctx: typer.Context,
    offsets_file: Annotated[
        Path,
        typer.Option("--offsets", help="Offsets file (JSON, ECSV or CSV) of calalign offsets."),
    ],
    calalign_file: Annotated[
        Path, typer.Option(help="The current CALALIGN file the new ones start from.")
    ],
    out: Annotated[Path, typer.Option(help="Directory for the new CALALIGN files.")],
    version: Annotated[
        str | None, typer.Option(help="Version of the new files (default: current + 1).")
    ] = None,
    date: Annotated[
        str | None, typer.Option(help="DATE keyword of the new files (default: now).")
    ] = None,
    per_detector: Annotated[
        bool,
        typer.Option(
            "--per-detector",
            help="Correct each detector's INSTR_ID row by its own offsets (default: the "
            "'all' offsets for every row).",
        ),
    ] = False,
) -> None:
    """Write new CALALIGN files: one per offset step, ACA_MISALIGN rotated by the correction.

    The correction is the negative of the measured (x-ray minus catalog) offset. By default
    every INSTR_ID row gets the same correction, from the 'all' rows of the offsets file;
    with --per-detector a detector's row uses its own offsets, else the 'all' offsets. Each
    file pcadD{YYYY-MM-DD}align{VERSION}.fits starts at its step (TSTART,
    CVSD0001/CVST0001) and has DATE and HISTORY lines; the current file is re-issued under
    the new version, valid until the first step. Existing files are never overwritten.
    """
    steps = report_service.read_offset_steps(
        offsets_file, state(ctx).app.input_files(), option="--offsets"
    )
    if not calalign_file.is_file():
        raise ValidationError(f"--calalign-file {str(calalign_file)!r}: no such file")
    written = calibration.write_calalign_files(
        steps,
        calalign_file,
        out,
        state(ctx).app.calalign_files(),
        version=version,
        now=_time(date) if date is not None else None,
        source=offsets_file.name,
        per_detector=per_detector,
    )
    for path in written:
        typer.echo(f"written: {path}")


@calalign_app.command("check")
@handle_errors
def check(
    ctx: typer.Context,
    calalign_dir: Annotated[Path, typer.Option(help="Directory of the proposed CALALIGN files.")],
    current_dir: Annotated[
        Path | None,
        typer.Option(
            help="Directory of the CALALIGN files in use (default: $ASTROMON_CALALIGN_DIR, "
            "else $CALDB/data/chandra/pcad/align)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory of the before/after report pages.")] = Path(
        "astromon-calalign-check"
    ),
    snr: SnrOpt = 5.0,
    operations: OperationsOpt = False,
    now: Annotated[
        str | None, typer.Option(help="Count the periods back from this date (default: now).")
    ] = None,
    name: NameOpt = "astromon_21",
) -> None:
    """The report before and after: stored matches as if processed with the proposed files.

    For each match, dy' = dy - calalign_dy + proposed_dy (the CALALIGN it was processed with
    picked as in get_calalign_offsets; the proposed one is the latest valid at its time),
    likewise dz. Writes OUT/index.html with statistics and plots side by side.
    """
    app = state(ctx).app
    matches = _selected(ctx, snr=snr, operations=operations, name=name)
    try:
        current = app.read_calalign(current_dir)
    except ValidationError as exc:
        raise ValidationError(f"--current-dir: {exc}") from None
    proposed = app.read_calalign(calalign_dir)
    shifts = calibration.proposed_calalign_offsets(matches, current, proposed)
    selection = report_service.standard_selection(3.0 if operations else snr)
    before = report_service.build_report(matches, now=now, selection=selection)
    after = report_service.build_report(
        matches, now=now, calalign_offsets=shifts, selection=selection
    )
    page = report_service.write_comparison(before, after, state(ctx).app.renderer(), out)
    changed = int(np.count_nonzero(shifts["proposed"]))
    typer.echo(f"{changed} of {len(matches)} cross-matches re-expressed with the proposed files")
    typer.echo("before:")
    for line in before.summary_lines():
        typer.echo(f"  {line}")
    typer.echo("after:")
    for line in after.summary_lines():
        typer.echo(f"  {line}")
    typer.echo(f"report: {page}")
