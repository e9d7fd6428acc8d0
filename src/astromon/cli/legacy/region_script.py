"""``astromon-excluded-region``: add, remove (rm), list and sync excluded regions.

Each action runs the matching ``astromon regions`` command; ``list --region-id`` reads the
regions in-process (``astromon regions list`` has no region filter).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from astromon.cli.common import ExitCode, OutputFormat, write_table
from astromon.cli.legacy.common import (
    LegacyParser,
    console_script,
    fail,
    note,
    run_astromon,
    writable_db_file,
)
from astromon.cli.region_inputs import DEFAULT_RADIUS_ARCSEC, login_name, parse_angle
from astromon.domain.errors import AstromonError, ValidationError
from astromon.domain.region_values import radius_to_arcsec

__all__ = ["ACTIONS", "excluded_region_argv", "excluded_region_main", "excluded_region_parser"]

SCRIPT = "astromon-excluded-region"
ACTIONS = ("add", "remove", "rm", "list", "sync")
_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
COMMENT_LENGTH = 200
"""Comments longer than this are truncated, as they were."""


def excluded_region_parser(action: str | None = None) -> LegacyParser:
    """The options of the original script for ``action`` (all of them without one)."""
    parser = LegacyParser(
        prog=SCRIPT, description="Manage the excluded regions.", add_help=action is not None
    )
    levels = [*_LEVELS, *(level.lower() for level in _LEVELS)]
    if action == "sync":
        parser.add_argument("action", choices=["sync"])
        parser.add_argument("from_file", type=Path, help="Source database file.")
        parser.add_argument("to_file", type=Path, help="Destination database file.")
        parser.add_argument(
            "--remove",
            action="store_true",
            default=False,
            help="Remove regions of the destination absent from the source.",
        )
        parser.add_argument("--log-level", choices=levels, default="INFO")
        return parser
    parser.add_argument("action", choices=list(ACTIONS), nargs="?" if action is None else None)
    if action is None:
        return parser
    parser.add_argument(
        "--ra", help="Centre right ascension: degrees or sexagesimal hours (12:30:45.5)."
    )
    parser.add_argument(
        "--dec", help="Centre declination: degrees or sexagesimal degrees (-30:15:00)."
    )
    parser.add_argument(
        "--radius",
        default=f"{DEFAULT_RADIUS_ARCSEC:g}",
        help="Radius: arcsec, or with a unit ('0.5arcmin').",
    )
    parser.add_argument(
        "--username", default=None, help="Who adds the region (default: your login name)."
    )
    parser.add_argument("--comment", default="", help="Comment (truncated to 200 characters).")
    parser.add_argument("--obsid", type=int, default=0, help="Obsid of the region (0: all).")
    parser.add_argument("--region-id", type=int, help="Region id to list or remove.")
    parser.add_argument("--db-file", type=Path, help="Database file.")
    parser.add_argument("--log-level", choices=levels, default="INFO")
    return parser


def _debug(log_level: str) -> list[str]:
    return ["-vv"] if log_level.lower() == "debug" else []


def _region(ra: str, dec: str, radius: str) -> tuple[float, float, float]:
    """RA and Dec in degrees and the radius in arcsec, read as ``astromon regions add`` reads
    them (one-line error and exit code 2 otherwise)."""
    try:
        return (
            parse_angle(ra, "--ra", hours=True),
            parse_angle(dec, "--dec", hours=False),
            radius_to_arcsec(radius, "--radius"),
        )
    except ValidationError as exc:
        fail(SCRIPT, str(exc))


def excluded_region_argv(argv: Sequence[str]) -> list[str] | None:
    """The ``astromon`` arguments of an action (None for ``list --region-id``)."""
    first, _ = excluded_region_parser().parse_known_args(argv)
    args = excluded_region_parser(first.action).parse_args(argv)
    if args.action == "sync":
        target = writable_db_file(SCRIPT, "TO_FILE", args.to_file)
        if not args.from_file.exists():
            fail(SCRIPT, f"source file {args.from_file} does not exist")
        return [*_debug(args.log_level), "regions", "sync", str(args.from_file), "--to",
                str(target)] + (["--remove"] if args.remove else [])  # fmt: skip
    base = [*_debug(args.log_level)]
    base += ["--db", str(args.db_file)] if args.db_file is not None else []
    if args.action == "list":
        if args.region_id is not None:
            return None
        return [*base, "regions", "list"] + (["--obsid", str(args.obsid)] if args.obsid > 0 else [])
    if args.db_file is not None:
        writable_db_file(SCRIPT, "--db-file", args.db_file)
    if args.action in ("remove", "rm"):
        if args.region_id is None:
            fail(SCRIPT, f"{args.action} needs --region-id")
        return [*base, "regions", "remove", str(args.region_id)]
    if args.ra is None or args.dec is None:
        fail(SCRIPT, "add needs --ra and --dec")
    ra, dec, radius = _region(args.ra, args.dec, args.radius)
    user = login_name() if args.username is None else args.username
    return [
        *base, "regions", "add", "--ra", repr(ra), "--dec", repr(dec),
        "--radius", repr(radius), "--obsid", str(args.obsid), "--user", user,
        "--comments", args.comment[:COMMENT_LENGTH],
    ]  # fmt: skip


def _list_one(argv: Sequence[str]) -> None:
    from astromon.bootstrap import current
    from astromon.services.storage import regions as region_service

    args = excluded_region_parser("list").parse_args(argv)
    base = ["--db", str(args.db_file)] if args.db_file is not None else []
    obsid = ["--obsid", str(args.obsid)] if args.obsid > 0 else []
    extra = f"keeping the row of region_id {args.region_id}"
    note(SCRIPT, [*base, "regions", "list", *obsid], extra=extra)
    try:
        store = current().store(args.db_file)
        regions = region_service.get_regions(store, args.obsid if args.obsid > 0 else None)
    except AstromonError as exc:
        fail(SCRIPT, str(exc), ExitCode.ERROR)
    write_table(regions[regions["region_id"] == args.region_id], OutputFormat.table, None)


@console_script(SCRIPT)
def excluded_region_main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``astromon-excluded-region``."""
    args = list(sys.argv[1:] if argv is None else argv)
    first, _ = excluded_region_parser().parse_known_args(args)
    if first.action is None:
        excluded_region_parser().print_help()
        return
    new = excluded_region_argv(args)
    if new is None:
        _list_one(args)
        return
    note(SCRIPT, new)
    raise SystemExit(run_astromon(SCRIPT, new))
