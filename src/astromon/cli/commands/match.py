"""``astromon cross-match`` and ``astromon matches``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from astromon.cli.common import (
    FormatOpt,
    OutputFormat,
    OutputOpt,
    OverwriteOpt,
    handle_errors,
    parse_time_option,
    parse_where,
    require_cross_match,
    state,
    write_table,
)
from astromon.domain.crossmatch import CROSS_MATCHES
from astromon.domain.errors import ValidationError
from astromon.services.crossmatch.recompute import recompute_cross_match

__all__ = ["DEFAULT_COLUMNS", "category_names", "cross_match", "matches"]

DEFAULT_COLUMNS = (
    "obsid",
    "detector",
    "target",
    "date_obs",
    "x_id",
    "c_id",
    "catalog",
    "snr",
    "r_angle",
    "dy",
    "dz",
    "dr",
)
"""Columns shown by ``matches --format table`` unless ``--all-columns`` or ``--columns``."""

SnrOpt = Annotated[float | None, typer.Option(help="Signal-to-noise threshold.")]
DrOpt = Annotated[float | None, typer.Option(help="Offset threshold (arcsec).")]
RAngleOpt = Annotated[
    float | None, typer.Option(help="Off-axis angle threshold, non-grating observations (arcsec).")
]
RAngleGratingOpt = Annotated[
    float | None, typer.Option(help="Off-axis angle threshold, grating observations (arcsec).")
]
NeighbourOpt = Annotated[
    float | None, typer.Option(help="Distance to the nearest other x-ray source (arcsec).")
]
StartOpt = Annotated[str | None, typer.Option(help="Start time (Chandra date, ISO or CXC s).")]
StopOpt = Annotated[str | None, typer.Option(help="Stop time (Chandra date, ISO or CXC s).")]


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        metavar="COLUMN=VALUE",
        help="Keep rows whose COLUMN equals VALUE; VALUE a,b,c or the option repeated on one "
        "column: any of these. Repeatable.",
    ),
]


@handle_errors
def cross_match(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(help="A standard cross-match (astromon_21, astromon_22) or 'simple'."),
    ] = "astromon_21",
    select_name: Annotated[
        str | None,
        typer.Option(help="Name to store a custom ('simple') cross-match under."),
    ] = None,
    catalogs: Annotated[
        str | None, typer.Option(help="Comma-separated catalogs, in order of preference.")
    ] = None,
    snr: SnrOpt = None,
    dr: DrOpt = None,
    r_angle: RAngleOpt = None,
    r_angle_grating: RAngleGratingOpt = None,
    near_neighbor_dist: NeighbourOpt = None,
    start: StartOpt = None,
    stop: StopOpt = None,
    exclude_bad_targets: Annotated[
        bool, typer.Option("--exclude-bad-targets", help="Leave out known bad targets.")
    ] = False,
    exclude_regions: Annotated[
        bool, typer.Option("--exclude-regions", help="Leave out sources in excluded regions.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compute and report, but do not store.")
    ] = False,
) -> None:
    """Recompute a cross-match over the whole database and store it in astromon_xcorr.

    The rows stored under the same name are replaced in one transaction. A standard
    cross-match (astromon_21, astromon_22) has fixed parameters: only the exclusions and
    --dry-run apply to it, and any other option is a usage error. 'simple' takes the
    parameter options and needs --select-name.
    """
    kwargs = _given(
        snr=snr,
        dr=dr,
        r_angle=r_angle,
        r_angle_grating=r_angle_grating,
        near_neighbor_dist=near_neighbor_dist,
        start=parse_time_option("--start", start),
        stop=parse_time_option("--stop", stop),
    )
    if catalogs:
        kwargs["catalogs"] = [c.strip() for c in catalogs.split(",") if c.strip()]
    if name in CROSS_MATCHES:
        given = sorted(f"--{k.replace('_', '-')}" for k in kwargs)
        if select_name is not None:
            given.insert(0, "--select-name")
        if given:
            raise ValidationError(
                f"{name!r} is a standard cross-match with fixed parameters: "
                f"{', '.join(given)} cannot be used with it (use 'simple --select-name NAME')"
            )
    store = state(ctx).store(write=not dry_run)

    def said(rows: Any, verb: str = "stored") -> None:
        target = str(rows["select_name"][0]) if len(rows) else (select_name or name)
        n_obs = len(set(rows["obsid"].tolist()))
        typer.echo(f"{verb} {len(rows)} matches of {n_obs} observations as {target!r}")

    rows = recompute_cross_match(
        store,
        name,
        select_name=select_name,
        exclude_regions=exclude_regions,
        exclude_bad_targets=exclude_bad_targets,
        dry_run=dry_run,
        stored=said,  # said with the save, so that a signal cannot come between
        **kwargs,
    )
    if dry_run:
        said(rows, "would store")


@handle_errors
def matches(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The stored cross-match to read.")] = "astromon_21",
    snr: SnrOpt = None,
    dr: DrOpt = None,
    r_angle: RAngleOpt = None,
    r_angle_grating: RAngleGratingOpt = None,
    near_neighbor_dist: NeighbourOpt = None,
    start: StartOpt = None,
    stop: StopOpt = None,
    sim_z: Annotated[
        float | None, typer.Option(help="Maximum SIM-Z offset from the detector's nominal (mm).")
    ] = None,
    exclude_bad_targets: Annotated[
        bool, typer.Option("--exclude-bad-targets", help="Leave out known bad targets.")
    ] = False,
    exclude_regions: Annotated[
        bool, typer.Option("--exclude-regions", help="Leave out sources in excluded regions.")
    ] = False,
    exclude_category: Annotated[
        list[str] | None,
        typer.Option(
            help="Observation category to leave out: its name (any case) or id; repeatable."
        ),
    ] = None,
    where: WhereOpt = None,
    columns: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated columns to output; a sky position (c_loc, x_loc) gives "
            "<name>_ra and <name>_dec in degrees."
        ),
    ] = None,
    all_columns: Annotated[
        bool, typer.Option("--all-columns", help="Output every column (table format).")
    ] = False,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Show stored cross-matches, filtered like astromon.db.get_cross_matches.

    Thresholds keep rows with dr <= DR, snr >= SNR, near_neighbor_dist <= ..., tstart in
    [START, STOP], r_angle <= R_ANGLE (R_ANGLE_GRATING on grating observations). A NAME that
    is not stored is a usage error that lists the stored names (see also: astromon tables).
    """
    from astromon.services.crossmatch.matches import get_cross_matches

    kwargs = _given(
        snr=snr,
        dr=dr,
        r_angle=r_angle,
        r_angle_grating=r_angle_grating,
        near_neighbor_dist=near_neighbor_dist,
        start=parse_time_option("--start", start),
        stop=parse_time_option("--stop", stop),
        sim_z=sim_z,
    )
    if exclude_bad_targets:
        kwargs["exclude_bad_targets"] = True
    if exclude_regions:
        kwargs["exclude_regions"] = True
    if exclude_category:
        kwargs["exclude_categories"] = category_names(exclude_category, "--exclude-category ")
    items = list(where or [])
    categories = [i.partition("=")[2] for i in items if i.partition("=")[0].strip() == "category"]
    kwargs.update(parse_where([i for i in items if i.partition("=")[0].strip() != "category"]))
    store = state(ctx).store()
    table = get_cross_matches(store, name, **kwargs)
    if not len(table):
        require_cross_match(store, name, "NAME")
    if categories:
        table = _keep_categories(table, categories)
    coordinates: list[str] = []
    if columns:
        wanted = [c.strip() for c in columns.split(",") if c.strip()]
        twice = sorted({c for c in wanted if wanted.count(c) > 1})
        if twice:
            raise ValidationError(f"--columns {columns!r}: the columns {twice} are named twice")
        unknown = [c for c in wanted if c not in table.colnames]
        if unknown:
            raise ValidationError(
                f"--columns: unknown columns {unknown}; columns are {table.colnames}"
            )
        table = table[wanted]
        coordinates = [c for c in wanted if _is_position(table[c])]
    elif fmt is OutputFormat.table and not all_columns:
        table = table[[c for c in DEFAULT_COLUMNS if c in table.colnames]]
    write_table(table, fmt, output, overwrite=overwrite, coordinates=coordinates)


def _is_position(column: Any) -> bool:
    return hasattr(column, "ra") and hasattr(column, "dec") and not hasattr(column, "dtype")


def category_names(values: list[str], option: str) -> list[str]:
    """Observation categories given by name (any case; names may hold commas) or by id, or as
    comma-separated lists of those: their names, as in the schema.

    Raises
    ------
    ValidationError
        An unknown category (the message names ``option``, the value and the categories).
    """
    from astromon.domain.schema import CATEGORIES

    known = {name.lower(): name for name in CATEGORIES.values()}
    names: list[str] = []
    for value in values:
        parts = [value] if value.strip().lower() in known else value.split(",")
        for part in (p.strip() for p in parts):
            if part.isascii() and part.isdigit() and int(part) in CATEGORIES:
                part = CATEGORIES[int(part)]
            if part.lower() not in known:
                raise ValidationError(
                    f"{option}{part!r}: unknown category; categories (names or ids): "
                    + ", ".join(f"{i} {n}" for i, n in CATEGORIES.items())
                )
            names.append(known[part.lower()])
    return names


def _keep_categories(table: Any, values: list[str]) -> Any:
    """Rows whose observation category is one of ``values`` (see :func:`category_names`)."""
    import numpy as np

    names = [name.lower() for name in category_names(values, "--where category=")]
    if "category" not in table.colnames:
        raise ValidationError("--where category: the matches have no category column")
    column = np.char.lower(np.asarray(table["category"]).astype(str))
    return table[np.isin(column, names)]
