"""``astromon-web-pages`` (the daily pages) and ``astromon-calc-rms`` (the RMS numbers).

``astromon-web-pages --out DIR`` wrote the calibration view (snr >= 5) in ``DIR/cal/`` and
the operations view (snr >= 3) in ``DIR/mta/``, each page showing the offsets as archived and
as if reprocessed with the latest CALALIGN: ``astromon report --web DIR`` (with
``--calalign-dir`` when given).

``astromon-calc-rms`` printed the offset statistics of the standard selection (snr >= 5):
the summary of ``astromon report``, computed here in-process without writing the page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from astropy.table import Table

from astromon.cli.common import ExitCode
from astromon.cli.legacy.common import (
    LegacyParser,
    console_script,
    fail,
    note,
    run_astromon,
    verbosity,
)
from astromon.domain.errors import AstromonError
from astromon.ports.input_files import InputFiles

__all__ = [
    "calc_rms_main",
    "calc_rms_parser",
    "latest_calalign",
    "web_pages_argvs",
    "web_pages_main",
    "web_pages_parser",
]

WEB_PAGES = "astromon-web-pages"
CALC_RMS = "astromon-calc-rms"


def latest_calalign(script: str, calalign_dir: str | os.PathLike[str] | None) -> str:
    """The latest CALALIGN version (``N0010``...) in ``calalign_dir`` (one-line error if none)."""
    from astromon.bootstrap import current

    try:
        table = current().read_calalign(calalign_dir)
    except AstromonError as exc:
        fail(script, str(exc))
    return str(max(str(v) for v in table["calalign_version"]))


def web_pages_parser() -> LegacyParser:
    """The options of the original ``astromon-web-pages``."""
    parser = LegacyParser(
        prog=WEB_PAGES,
        description="Write the calibration (DIR/cal) and operations (DIR/mta) report pages "
        "(runs `astromon report --web DIR`).",
    )
    parser.add_argument(
        "--out", "-o", type=Path, default=Path("./celmon"), help="Output directory."
    )
    parser.add_argument(
        "--db-file", type=Path, default=None, help="Database file (default: $ASTROMON_FILE, ...)."
    )
    parser.add_argument(
        "--calalign-dir",
        type=Path,
        default=None,
        help="CALALIGN files: the pages also show the offsets reprocessed with the latest one.",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
    )
    return parser


def web_pages_argvs(argv: Sequence[str] | None = None) -> list[list[str]]:
    """The ``astromon`` run equivalent to an ``astromon-web-pages`` command line."""
    args = web_pages_parser().parse_args(argv)
    run = [*verbosity(args.log_level)]
    if args.db_file is not None:
        run += ["--db", str(args.db_file)]
    run += ["report", "--web", str(args.out)]
    if args.calalign_dir is not None:
        latest_calalign(WEB_PAGES, args.calalign_dir)  # one-line error when there is none
        run += ["--calalign-dir", str(args.calalign_dir)]
    return [[*run, "--overwrite"]]  # the original replaced its pages at every run


@console_script(WEB_PAGES)
def web_pages_main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``astromon-web-pages``."""
    runs = web_pages_argvs(argv)
    note(WEB_PAGES, *runs)
    for run in runs:
        code = run_astromon(WEB_PAGES, run)
        if code:
            raise SystemExit(code)


def calc_rms_parser() -> LegacyParser:
    """The options of the original ``astromon-calc-rms``."""
    parser = LegacyParser(
        prog=CALC_RMS,
        description="Print the offset statistics (RMS, 90% radius, fraction beyond 1 arcsec) "
        "of the standard selection (snr >= 5) of the default database.",
    )
    parser.add_argument(
        "--offsets-file",
        type=Path,
        help="Offset steps to subtract: JSON list of {tstart, dy, dz} or a table.",
    )
    parser.add_argument(
        "--use-latest-calalign",
        action="store_true",
        default=False,
        help="Also show the offsets as if reprocessed with the latest CALALIGN (takes "
        "precedence over --offsets-file).",
    )
    parser.add_argument("--calalign-dir", help="Directory of the CALALIGN files.")
    return parser


def _offset_steps(path: Path, files: InputFiles) -> Table:
    """The offset steps of a legacy JSON file (a list of {tstart, dy, dz}: other keys are
    ignored) or a table file."""
    from astromon.services.calibration.offset_files import offsets_from_rows
    from astromon.services.report import monitoring as report_service

    if path.suffix.lower() != ".json":
        return report_service.read_offset_steps(path, files)
    text = files.read_text(path, "--offsets-file")
    try:
        rows: Any = json.loads(text)
        table = Table(rows=[{k: row[k] for k in ("tstart", "dy", "dz")} for row in rows])
    except (ValueError, TypeError, KeyError) as exc:
        fail(CALC_RMS, f"--offsets-file {path}: not a JSON list of {{tstart, dy, dz}}: {exc}")
    return offsets_from_rows(table, path)


@console_script(CALC_RMS)
def calc_rms_main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``astromon-calc-rms``: the report summary, printed."""
    from astromon.bootstrap import current
    from astromon.domain.calalign import calalign_offsets_table
    from astromon.services.report import monitoring as report_service

    args = calc_rms_parser().parse_args(argv)
    equivalent = ["report", "--snr", "5"]
    latest = None
    if args.use_latest_calalign:
        latest = latest_calalign(CALC_RMS, args.calalign_dir)
        equivalent += ["--reference-calalign", latest]
        equivalent += ["--calalign-dir", args.calalign_dir] if args.calalign_dir else []
    elif args.offsets_file is not None:
        equivalent += ["--offsets-file", str(args.offsets_file)]
    note(CALC_RMS, equivalent, extra="which also writes the HTML page and plots")
    try:
        app = current()
        matches = report_service.select_matches(app.store(None), snr=5.0)
        if len(matches) == 0:
            fail(CALC_RMS, "no cross-matches pass the standard selection", ExitCode.ERROR)
        reference = (
            calalign_offsets_table(matches, app.read_calalign(args.calalign_dir), latest)
            if latest is not None
            else None
        )
        offsets = args.offsets_file if latest is None else None
        steps = _offset_steps(offsets, app.input_files()) if offsets else None
        built = report_service.build_report(
            matches,
            offset_steps=steps,
            reference_offsets=reference,
            selection=report_service.standard_selection(5.0),
        )
    except AstromonError as exc:
        fail(CALC_RMS, str(exc), ExitCode.ERROR)
    for line in built.summary_lines():
        print(line)
