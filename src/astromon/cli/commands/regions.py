"""``astromon regions add|remove|update|list|sync``: the excluded regions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from astropy.table import Table

from astromon.cli.common import (
    INT32_RANGE,
    OutputFormat,
    OutputOpt,
    OverwriteOpt,
    handle_errors,
    state,
    write_table,
)
from astromon.cli.region_inputs import (
    DEFAULT_RADIUS_ARCSEC,
    checked_options,
    file_regions,
    parse_angle,
    region_defaults,
)
from astromon.domain.errors import ValidationError
from astromon.domain.region_values import radius_to_arcsec
from astromon.services.storage import regions as region_service

__all__ = ["regions_app"]

regions_app = typer.Typer(
    rich_markup_mode=None,
    help="Excluded regions: sources closer than a radius to their centre are left out.",
    no_args_is_help=True,
)


RadiusOpt = Annotated[
    str,
    typer.Option(help="Region radius: arcsec, or with a unit ('10arcsec', '0.5arcmin', '3\"')."),
]
RaOpt = Annotated[
    str | None,
    typer.Option(help="Centre right ascension: degrees or sexagesimal hours (12:30:45.5)."),
]
DecOpt = Annotated[
    str | None,
    typer.Option(help="Centre declination: degrees or sexagesimal degrees (-30:15:00)."),
]


@regions_app.command("add")
@handle_errors
def add(
    ctx: typer.Context,
    ra: RaOpt = None,
    dec: DecOpt = None,
    radius: RadiusOpt = f"{DEFAULT_RADIUS_ARCSEC:g}",
    obsid: Annotated[
        int, typer.Option(help="Observation it applies to (0: every observation).", **INT32_RANGE)
    ] = 0,
    user: Annotated[
        str | None, typer.Option(help="Who adds it (default: your login name).")
    ] = None,
    comments: Annotated[str, typer.Option(help="Why.")] = "",
    file: Annotated[
        Path | None,
        typer.Option(
            help="Table file (ECSV, CSV...) of regions: ra, dec and optionally radius, obsid, "
            "user, comments (the same units and defaults as the options)."
        ),
    ] = None,
) -> None:
    """Add a region (or every region of a file); prints the rows added with their ids.

    The radius defaults to 5 arcsec, the obsid to 0 (every observation) and the user to your
    login name, for the options and for the rows of --file alike. RA and Dec may be degrees
    or sexagesimal, radii text with a unit ('0.5arcmin'), in the options and in the file; a
    file column with an angular unit is converted.
    """
    if file is not None:
        if ra is not None or dec is not None:
            raise ValidationError("give either --file or --ra/--dec, not both")
        regions: Any = file_regions(file, state(ctx).app.input_files(), new=True)
    else:
        if ra is None or dec is None:
            raise ValidationError("--ra and --dec are required (or --file)")
        position = checked_options(
            {
                "ra": parse_angle(ra, "--ra", hours=True),
                "dec": parse_angle(dec, "--dec", hours=False),
                "radius": radius_to_arcsec(radius, "--radius"),
            }
        )
        regions = {
            **{k: [v] for k, v in region_defaults().items()},
            **{k: [v] for k, v in position.items()},
            "obsid": [obsid],
            "comments": [comments],
        }
        if user is not None:
            regions["user"] = [user]
    app = state(ctx).app
    added = region_service.add_regions(state(ctx).store(write=True), regions, app.clock())
    write_table(added, OutputFormat.table, None)


@regions_app.command("remove")
@handle_errors
def remove(
    ctx: typer.Context,
    region_ids: Annotated[
        list[int], typer.Argument(help="region_id of each region to remove.", **INT32_RANGE)
    ],
) -> None:
    """Remove regions by region_id; prints the rows removed and the ids not found."""
    removed = region_service.remove_regions(state(ctx).store(write=True), list(region_ids))
    gone = sorted(int(i) for i in np.asarray(removed["region_id"])) if len(removed) else []
    typer.echo(f"removed {len(gone)} region{'s' if len(gone) != 1 else ''}")
    if len(removed):
        write_table(removed, OutputFormat.table, None)
    missing = sorted(set(region_ids) - set(gone))
    if missing:
        typer.echo(f"not found (nothing removed): {' '.join(str(i) for i in missing)}")


@regions_app.command("update")
@handle_errors
def update(
    ctx: typer.Context,
    region_id_str: Annotated[
        str | None, typer.Argument(help="The region_id_str of the region to change.")
    ] = None,
    ra: Annotated[
        str | None, typer.Option(help="New right ascension: degrees or sexagesimal hours.")
    ] = None,
    dec: Annotated[
        str | None, typer.Option(help="New declination: degrees or sexagesimal degrees.")
    ] = None,
    radius: Annotated[
        str | None, typer.Option(help="New radius: arcsec, or with a unit ('0.5arcmin').")
    ] = None,
    obsid: Annotated[
        int | None, typer.Option(help="New obsid (<= 0: every one).", **INT32_RANGE)
    ] = None,
    user: Annotated[str | None, typer.Option(help="New user.")] = None,
    comments: Annotated[str | None, typer.Option(help="New comments.")] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            help="Table file of regions, matched on region_id_str (units as --file of add)."
        ),
    ] = None,
) -> None:
    """Change a region (matched on region_id_str) or every region of a file."""
    clock = state(ctx).app.clock()
    if file is not None:
        if region_id_str is not None:
            raise ValidationError("give either REGION_ID_STR or --file, not both")
        updates = file_regions(file, state(ctx).app.input_files(), new=False)
        region_service.update_regions(state(ctx).store(write=True), updates, clock)
        typer.echo(f"updated regions from {file}")
        return
    if region_id_str is None:
        raise ValidationError("give REGION_ID_STR (and the fields to change) or --file")
    changes: dict[str, Any] = checked_options(
        {
            "ra": None if ra is None else parse_angle(ra, "--ra", hours=True),
            "dec": None if dec is None else parse_angle(dec, "--dec", hours=False),
            "radius": None if radius is None else radius_to_arcsec(radius, "--radius"),
        }
    )
    changes |= {
        "obsid": obsid,
        "user": user,
        "comments": comments,
    }
    current = region_service.get_regions(state(ctx).store())
    rows = current[np.asarray(current["region_id_str"]).astype(str) == region_id_str]
    if len(rows) == 0:
        raise ValidationError(f"no region with region_id_str {region_id_str!r}")
    row = {name: [rows[name][0]] for name in rows.colnames}
    row.update({key: [value] for key, value in changes.items() if value is not None})
    region_service.update_regions(state(ctx).store(write=True), Table(row), clock)
    after = region_service.get_regions(state(ctx).store())
    write_table(
        after[np.asarray(after["region_id_str"]).astype(str) == region_id_str],
        OutputFormat.table,
        None,
    )


@regions_app.command("list")
@handle_errors
def list_regions(
    ctx: typer.Context,
    obsid: Annotated[
        int | None,
        typer.Option(
            help="Only regions of this obsid or within --radius of its pointing.", **INT32_RANGE
        ),
    ] = None,
    radius: Annotated[
        str,
        typer.Option(
            help="Search radius around the pointing (with --obsid): arcsec, or with a unit "
            "('5arcmin')."
        ),
    ] = "300",
    region_id: Annotated[
        list[int] | None,
        typer.Option(
            "--region-id",
            metavar="ID",
            help="Only the region with this id (repeatable).",
            **INT32_RANGE,
        ),
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
        OutputFormat.table
    ),
    output: OutputOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """List excluded regions (radii in arcsec)."""
    search = radius_to_arcsec(radius, "--radius")
    table = region_service.get_regions(state(ctx).store(), obsid=obsid, radius=search)
    if region_id:
        table = table[np.isin(np.asarray(table["region_id"]), region_id)]
    write_table(table, fmt, output, overwrite=overwrite)


@regions_app.command("sync")
@handle_errors
def sync(
    ctx: typer.Context,
    from_file: Annotated[Path, typer.Argument(help="Database to copy regions from.")],
    to_file: Annotated[
        Path | None, typer.Option("--to", help="Database to change (default: --db).")
    ] = None,
    remove: Annotated[
        bool, typer.Option("--remove", help="Also delete regions absent from FROM_FILE.")
    ] = False,
) -> None:
    """Bring the regions of a database up to date with another one; prints the counts of
    regions added, updated and removed.
    """
    app = state(ctx).app
    target = app.db_file(to_file if to_file is not None else state(ctx).db)
    stored = region_service.get_regions(app.store(target)) if target.exists() else None
    before = _region_versions(stored) if stored is not None else {}
    synced = region_service.sync_regions(
        app.store(from_file), app.store(target, write=True), remove=remove
    )
    after = _region_versions(synced)
    added = len(set(after) - set(before))
    removed = len(set(before) - set(after))
    updated = sum(1 for key in set(after) & set(before) if after[key] != before[key])
    typer.echo(
        f"synced regions from {from_file} to {target}: {added} added, {updated} updated, "
        f"{removed} removed ({len(after)} regions)"
    )


def _region_versions(table: Table) -> dict[str, tuple[str, ...]]:
    """region_id_str -> the row's values as text (to tell changed rows)."""
    if not len(table):
        return {}
    names = [n for n in table.colnames if n != "region_id"]
    keys = np.asarray(table["region_id_str"]).astype(str)
    return {
        str(key): tuple(str(row[n]) for n in names) for key, row in zip(keys, table, strict=True)
    }
