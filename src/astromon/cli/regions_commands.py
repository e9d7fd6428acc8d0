"""``astromon regions add|remove|update|list|sync``: the excluded regions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from astropy.table import Table

from astromon.cli.common import OutputFormat, handle_errors, state, write_table
from astromon.domain.errors import ValidationError

__all__ = ["regions_app"]

regions_app = typer.Typer(
    help="Excluded regions: sources closer than a radius to their centre are left out.",
    no_args_is_help=True,
)


def _read_file(path: Path) -> Table:
    try:
        return Table.read(path, format="ascii.csv" if path.suffix.lower() == ".csv" else None)
    except Exception as exc:
        raise ValidationError(f"cannot read the regions file {str(path)!r}: {exc}") from None


@regions_app.command("add")
@handle_errors
def add(
    ctx: typer.Context,
    ra: Annotated[float | None, typer.Option(help="Centre right ascension (degrees).")] = None,
    dec: Annotated[float | None, typer.Option(help="Centre declination (degrees).")] = None,
    radius: Annotated[float | None, typer.Option(help="Radius (arcsec).")] = None,
    obsid: Annotated[
        int, typer.Option(help="Observation it applies to (<= 0: every observation).")
    ] = -1,
    user: Annotated[str, typer.Option(help="Who adds it.")] = "",
    comments: Annotated[str, typer.Option(help="Why.")] = "",
    file: Annotated[
        Path | None,
        typer.Option(help="Table file (ECSV, CSV...) of regions: ra, dec, radius, obsid, ..."),
    ] = None,
) -> None:
    """Add a region (or every region of a file); prints the rows added with their ids."""
    from astromon import db

    if file is not None:
        if any(v is not None for v in (ra, dec, radius)):
            raise ValidationError("give either --file or --ra/--dec/--radius, not both")
        regions: Any = _read_file(file)
    else:
        if ra is None or dec is None or radius is None:
            raise ValidationError("--ra, --dec and --radius are required (or --file)")
        regions = {
            "ra": [ra],
            "dec": [dec],
            "radius": [radius],
            "obsid": [obsid],
            "user": [user],
            "comments": [comments],
        }
    added = db.add_regions(regions, dbfile=state(ctx).db)
    write_table(added, OutputFormat.table, None)


@regions_app.command("remove")
@handle_errors
def remove(
    ctx: typer.Context,
    region_ids: Annotated[list[int], typer.Argument(help="region_id of each region to remove.")],
) -> None:
    """Remove regions by region_id (unknown ids are ignored)."""
    from astromon import db

    db.remove_regions(list(region_ids), dbfile=state(ctx).db)
    typer.echo(f"removed regions {' '.join(str(i) for i in region_ids)} (if present)")


@regions_app.command("update")
@handle_errors
def update(
    ctx: typer.Context,
    region_id_str: Annotated[
        str | None, typer.Argument(help="The region_id_str of the region to change.")
    ] = None,
    ra: Annotated[float | None, typer.Option(help="New right ascension (degrees).")] = None,
    dec: Annotated[float | None, typer.Option(help="New declination (degrees).")] = None,
    radius: Annotated[float | None, typer.Option(help="New radius (arcsec).")] = None,
    obsid: Annotated[int | None, typer.Option(help="New obsid (<= 0: every one).")] = None,
    user: Annotated[str | None, typer.Option(help="New user.")] = None,
    comments: Annotated[str | None, typer.Option(help="New comments.")] = None,
    file: Annotated[
        Path | None, typer.Option(help="Table file of regions, matched on region_id_str.")
    ] = None,
) -> None:
    """Change a region (matched on region_id_str) or every region of a file."""
    from astromon import db

    dbfile = state(ctx).db
    if file is not None:
        if region_id_str is not None:
            raise ValidationError("give either REGION_ID_STR or --file, not both")
        db.update_regions(_read_file(file), dbfile=dbfile)
        typer.echo(f"updated regions from {file}")
        return
    if region_id_str is None:
        raise ValidationError("give REGION_ID_STR (and the fields to change) or --file")
    current = db.get_regions(dbfile=dbfile)
    rows = current[np.asarray(current["region_id_str"]).astype(str) == region_id_str]
    if len(rows) == 0:
        raise ValidationError(f"no region with region_id_str {region_id_str!r}")
    changes = {"ra": ra, "dec": dec, "radius": radius, "obsid": obsid, "user": user}
    changes["comments"] = comments
    row = Table(rows, copy=True)
    for key, value in changes.items():
        if value is not None:
            row[key] = [value]
    db.update_regions(row, dbfile=dbfile)
    after = db.get_regions(dbfile=dbfile)
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
        typer.Option(help="Only regions of this obsid or within --radius of its pointing."),
    ] = None,
    radius: Annotated[float, typer.Option(help="Radius around the pointing (arcmin).")] = 5.0,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
        OutputFormat.table
    ),
    output: Annotated[
        Path | None, typer.Option(help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """List excluded regions."""
    import astropy.units as u

    from astromon import db

    if not np.isfinite(radius) or radius < 0:
        raise ValidationError(f"--radius must be a non-negative number of arcmin, got {radius}")
    table = db.get_regions(obsid=obsid, dbfile=state(ctx).db, radius=radius * u.arcmin)
    write_table(table, fmt, output)


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
    """Bring the regions of a database up to date with another one."""
    from astromon import db
    from astromon.config import resolve_db_file

    target = to_file if to_file is not None else resolve_db_file(state(ctx).db)
    db.sync_regions(from_file, target, remove=remove)
    typer.echo(f"synced regions from {from_file} to {target}")
