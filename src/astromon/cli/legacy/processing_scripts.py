"""``astromon-cross-match`` (the daily job) and ``astromon-process-obs``.

``astromon-cross-match`` processed the observations of a time range (default: the last 30
days) or of ``--obsid``, cross-matched them and saved everything in ``--db-file``: that is
``astromon process``. ``astromon-process-obs`` ran the processing steps of each obsid in its
working directory without touching a database: that is :meth:`Observation.process`, run here
in-process.

The original ``astromon-cross-match`` had no CIAO option and used ``/soft/ciao``; here the CIAO
of the environment (``$ASCDS_INSTALL``, set by sourcing ciao.sh) is used when there is one.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from astromon.cli.common import ExitCode, configure_logging
from astromon.cli.legacy.common import (
    LegacyParser,
    console_script,
    fail,
    note,
    run_astromon,
    verbose_count,
    verbosity,
    writable_db_file,
)
from astromon.config import Settings
from astromon.domain.errors import AstromonError

__all__ = ["cross_match_main", "cross_match_parser", "process_obs_main", "process_obs_parser"]

CROSS_MATCH = "astromon-cross-match"
PROCESS_OBS = "astromon-process-obs"
DEFAULT_DAYS = 30.0
"""Length (days) of the default time range of astromon-cross-match, ending now."""


def cross_match_parser() -> LegacyParser:
    """The options of the original ``astromon-cross-match``."""
    parser = LegacyParser(
        prog=CROSS_MATCH,
        description="Process observations, find their catalog counterparts, cross-match them "
        "and save the results (runs `astromon process`).",
    )
    parser.add_argument(
        "--db-file",
        type=Path,
        default=Path("astromon.h5"),
        help="Database file (DuckDB) where the results are saved.",
    )
    parser.add_argument("--workdir", default=None, help="Top-level working directory.")
    parser.add_argument("--archive-dir", default=None, help="Top-level archive directory.")
    parser.add_argument("--start", help="Start of the time range (default: stop - 30 days).")
    parser.add_argument("--stop", help="End of the time range (default: now).")
    parser.add_argument("--obsid", help="An obsid, obsids (comma-separated) or a file of obsids.")
    parser.add_argument(
        "--no-exception",
        action="store_true",
        default=False,
        help="Process also the obsids already in the database.",
    )
    parser.add_argument("--threads", type=int, default=9, help="Worker processes.")
    parser.add_argument(
        "--log-level", default="debug", choices=["debug", "info", "warning", "error", "fatal"]
    )
    return parser


def _time_range(start: str | None, stop: str | None) -> tuple[str, str]:
    from astromon.domain.time import CxoTime

    try:
        stop_time = CxoTime(stop) if stop is not None else CxoTime.now()
        start_time = (
            CxoTime(start)
            if start is not None
            else CxoTime(stop_time.secs - DEFAULT_DAYS * 86400.0)
        )
    except (TypeError, ValueError) as exc:
        fail(CROSS_MATCH, f"--start/--stop must be Chandra or ISO dates: {exc}")
    return str(start_time.date), str(stop_time.date)


def _obsid_arguments(obsid: str) -> list[str]:
    if Path(obsid).is_file():
        return ["--obsid-file", obsid]
    return [item.strip() for item in obsid.split(",") if item.strip()]


def cross_match_argv(argv: Sequence[str] | None = None) -> list[str]:
    """The ``astromon`` arguments equivalent to an ``astromon-cross-match`` command line."""
    args = cross_match_parser().parse_args(argv)
    if args.threads < 1:
        fail(CROSS_MATCH, f"--threads must be at least 1, got {args.threads}")
    db_file = writable_db_file(CROSS_MATCH, "--db-file", args.db_file)
    new = [*verbosity(args.log_level), "--db", str(db_file), "process"]
    if args.obsid is not None:
        new += _obsid_arguments(args.obsid)
    else:
        start, stop = _time_range(args.start, args.stop)
        new += ["--start", start, "--stop", stop]
    if args.no_exception:
        new.append("--force")
    new += ["--workers", str(args.threads)]
    if args.workdir:
        new += ["--workdir", args.workdir]
    if args.archive_dir:
        new += ["--archive-dir", args.archive_dir]
    install = Settings.from_env().ascds_install
    if install:
        new += ["--ciao-prefix", install]
    return new


def _observations_in(start: str, stop: str) -> list[int]:
    from astromon.bootstrap import current
    from astromon.services.batch import obsids

    try:
        return obsids.find_obsids(current().archive("arc5gl"), start, stop)
    except AstromonError as exc:
        fail(CROSS_MATCH, f"cannot list the observations from {start} to {stop}: {exc}", 1)


@console_script(CROSS_MATCH)
def cross_match_main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``astromon-cross-match``.

    A time range without observations is not an error (exit code 0), as it was not.
    """
    new = cross_match_argv(argv)
    note(CROSS_MATCH, new)
    if "--start" in new:
        start, stop = new[new.index("--start") + 1], new[new.index("--stop") + 1]
        if not _observations_in(start, stop):
            print(f"{CROSS_MATCH}: no observations from {start} to {stop}", file=sys.stderr)
            return
    raise SystemExit(run_astromon(CROSS_MATCH, new))


def process_obs_parser() -> LegacyParser:
    """The options of the original ``astromon-process-obs``."""
    parser = LegacyParser(
        prog=PROCESS_OBS,
        description="Run the processing steps of observations (download, CIAO, source "
        "detection) in a working directory; nothing is saved in a database.",
    )
    parser.add_argument(
        "obsid", nargs="+", help="Obsids (or ranges, comma-separated) or files of obsids."
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path("."), help="Top-level working directory."
    )
    parser.add_argument("--ciao-prefix", type=Path, default=Path("/soft/ciao"), help="CIAO prefix.")
    parser.add_argument(
        "--data-source",
        default="archive",
        choices=["archive", "arc5gl"],
        help="Where the observation files come from.",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    return parser


def _obsids(items: Sequence[str]) -> list[int]:
    from astromon.bootstrap import current
    from astromon.services.batch import obsids

    found: list[int] = []
    for item in items:
        if Path(item).is_file():
            found += obsids.read_obsid_file(item, current().input_files())
        else:
            found += obsids.parse_obsids([item])
    return obsids.parse_obsids(found)


@console_script(PROCESS_OBS)
def process_obs_main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``astromon-process-obs``: process each obsid, print its result."""
    from astromon.bootstrap import current
    from astromon.bootstrap.factories import ObservationFactory
    from astromon.domain.observation_results import Status

    args = process_obs_parser().parse_args(argv)
    try:
        obsids = _obsids(args.obsid)
    except AstromonError as exc:
        fail(PROCESS_OBS, str(exc))
    equivalent = [
        *verbosity(args.log_level), "process", *map(str, obsids), "--workdir", str(args.workdir),
        "--source", args.data_source, "--ciao-prefix", str(args.ciao_prefix),
    ]  # fmt: skip
    note(PROCESS_OBS, equivalent, extra="which also saves the results in the database")
    configure_logging(None, verbose_count(args.log_level))
    args.workdir.mkdir(parents=True, exist_ok=True)
    failed = 0
    observations = ObservationFactory(
        current(),
        workdir=str(args.workdir),
        source=args.data_source,
        ciao_prefix=str(args.ciao_prefix),
    )
    for obsid in obsids:
        try:
            result = observations(obsid).process()
        except AstromonError as exc:
            fail(PROCESS_OBS, f"obsid {obsid}: {exc}", ExitCode.ERROR)
        print(f"{obsid} {result.status.value} {result.message}".rstrip())
        failed += result.status == Status.ERROR
    if failed:
        print(f"{PROCESS_OBS}: {failed} of {len(obsids)} observations failed", file=sys.stderr)
        raise SystemExit(int(ExitCode.PARTIAL))
