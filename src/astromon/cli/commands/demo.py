"""``astromon demo``: the whole pipeline on a simulated observatory, without CIAO or network.

Registered in the Typer app by :mod:`astromon.cli.app` (``app.command("demo")(demo)``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from astromon.bootstrap import Astromon
from astromon.cli.commands.process import progress_advance
from astromon.cli.common import ExitCode, echo_error, handle_errors, state
from astromon.domain.errors import AstromonError, MissingTableException, ValidationError
from astromon.ports.executor import MAX_WORKERS
from astromon.services import demo as demo_service
from astromon.services.batch.pipeline import BatchSummary
from astromon.services.calibration import offset_files
from astromon.services.report import monitoring as report_service

__all__ = [
    "DEFAULT_DB",
    "DEFAULT_OUT",
    "INJECTED_ALIGNMENT",
    "INJECTED_OFFSETS",
    "TEMP_PREFIX",
    "WORK_DB",
    "demo",
    "remove_stale_temporary_directories",
]

DEFAULT_DB = Path("astromon-demo.duckdb")
DEFAULT_OUT = Path("astromon-demo-report")
INJECTED_OFFSETS = "injected_offsets.json"
INJECTED_ALIGNMENT = "injected_alignment.ecsv"
"""File in the report directory: the injected offsets per detector and half-year."""
TEMP_PREFIX = "astromon-demo-"
WORK_DB = "astromon-demo.duckdb"
"""The database the demo builds in its temporary directory, installed at --db when done."""
"""Temporary directories of the demo are ``astromon-demo-<pid>-<random>`` in the temp dir."""


def remove_stale_temporary_directories(
    alive: Callable[[int], bool], root: Path | None = None
) -> list[Path]:
    """Remove the temporary directories of demos whose process is gone (killed, crashed).

    A demo removes its directory when it ends; one killed with SIGKILL cannot, so every demo
    cleans those of dead demos when it starts. ``alive(pid)`` tells whether a process still
    exists (:meth:`astromon.bootstrap.Astromon.process_alive`).

    Returns
    -------
    list of pathlib.Path
        The directories removed.
    """
    base = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed = []
    for path in base.glob(f"{TEMP_PREFIX}*"):
        pid_text = path.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if not path.is_dir() or not pid_text.isdigit() or alive(int(pid_text)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed


def _check_target(app: Astromon, db: Path, first_obsid: int) -> None:
    """Refuse to replace a database that holds anything but demo observations."""
    if not db.exists():
        if not db.parent.exists():
            raise ValidationError(f"the directory of --db {str(db)!r} does not exist")
        return
    if db.is_dir():
        raise ValidationError(f"--db {str(db)!r} is a directory")
    try:
        obs = app.store(db).read_table("astromon_obs")
    except MissingTableException:
        return
    except AstromonError as exc:
        raise ValidationError(
            f"--db {str(db)!r} exists and is not an astromon demo database ({exc}); "
            "give another path"
        ) from None
    obsids = np.asarray(obs["obsid"])
    if len(obsids) and int(obsids.min()) < first_obsid:
        raise ValidationError(
            f"--db {str(db)!r} holds real observations (obsid {int(obsids.min())}); the demo "
            "only replaces its own databases: give another path"
        )


def _install(source: Path, target: Path) -> None:
    """Move the finished database into place atomically (same directory, then rename).

    The copy is removed when anything, a signal included, stops it before the rename.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, tmp)
        tmp.replace(target)
    finally:
        try:  # only the first signal is raised: a removal it cuts is done again
            tmp.unlink(missing_ok=True)
        except KeyboardInterrupt:
            tmp.unlink(missing_ok=True)
            raise


@handle_errors
def demo(
    ctx: typer.Context,
    observations: Annotated[
        int,
        typer.Option(
            "--observations",
            "-n",
            min=1,
            max=demo_service.MAX_OBSERVATIONS,
            help="Number of simulated observations (4 detectors take turns), 1 to "
            f"{demo_service.MAX_OBSERVATIONS}.",
        ),
    ] = demo_service.DEFAULT_OBSERVATIONS,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Database file to write (a demo database is replaced) "
            "[default: the global --db, else ./astromon-demo.duckdb].",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Directory of the HTML report.")] = DEFAULT_OUT,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed: same seed, same database.")
    ] = 0,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=MAX_WORKERS,
            help=f"Worker processes, 1 to {MAX_WORKERS} (default: CPU count).",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="Exit with status 1 when the recovered offsets miss the injected ones.",
        ),
    ] = False,
) -> None:
    """Run the whole pipeline on a simulated observatory (no CIAO, no network).

    Builds simulated observations (obspar, evt2 event lists, a star catalog with proper
    motions, known per-detector offsets) in a temporary directory, processes them with the
    standard batch (archive retrieval, source detection, catalog look-up, cross-matching,
    storage), writes the database and the HTML report, and prints the report summary beside
    the injected offsets. Some observations also get an aspect error (a shift of up to 2" and
    a roll of up to 60"); the demo prints how many the per-observation alignment recovered
    (within 3 sigma) and whether exactly those above the flag threshold are flagged. The
    injected offsets per detector and half-year are written to OUT/injected_offsets.json (the
    format of `astromon calalign offsets --output`), the aspect errors to
    OUT/injected_alignment.ecsv (obsid, dy, dz, roll in arcsec).
    """
    console = Console()
    db = (db or state(ctx).db or DEFAULT_DB).expanduser().absolute()
    out = out.expanduser().absolute()
    app = state(ctx).app
    remove_stale_temporary_directories(app.process_alive)
    root = Path(tempfile.gettempdir()) / f"{TEMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        root.mkdir(mode=0o700)
        result, page, injected = _run(app, console, root, db, out, observations, seed, workers)
    finally:
        try:  # only the first signal is raised: a removal it cuts is done again
            _remove_directory(app, root)
        except KeyboardInterrupt:
            _remove_directory(app, root)
            raise
    console.print(
        "\nReport summary (standard selection; now is the end of the simulated span, "
        "not the clock):"
    )
    for line in result.report.summary_lines():
        console.print(line, markup=False, highlight=False)
    console.print("\nRecovered against injected offsets (arcsec, medians per half-year):")
    for line in result.comparison.lines():
        console.print(line, markup=False, highlight=False)
    if result.alignment is not None:
        console.print("\nPer-observation alignment against the injected aspect errors:")
        for line in result.alignment.lines():
            console.print(line, markup=False, highlight=False)
    console.print(
        f"\nDatabase: {db}\nReport:   {page}\nInjected offsets: {injected}\n"
        f"Injected aspect errors: {out / INJECTED_ALIGNMENT}",
        highlight=False,
    )
    if check and not result.comparison.passed:
        echo_error("the recovered offsets do not match the injected ones")
        raise typer.Exit(ExitCode.ERROR)


def _remove_directory(app: Astromon, root: Path) -> None:
    """Remove the demo's temporary directory, after closing the database session kept in it
    (closed later by a background thread, it wrote into the directory while it was being
    removed, and the directory stayed)."""
    with contextlib.suppress(AstromonError):  # a failed checkpoint: the file goes anyway
        app.release_database(root / WORK_DB)
    shutil.rmtree(root, ignore_errors=True)


def _run(
    app: Astromon,
    console: Console,
    root: Path,
    db: Path,
    out: Path,
    observations: int,
    seed: int,
    workers: int | None,
) -> tuple[demo_service.DemoResult, Path, Path]:
    """Simulate, process and report in the temporary directory ``root``, then install the
    database at ``db``; returns the result, the report page and the injected-offsets file."""
    observatory, processor = app.demo_setup(root / "observatory", observations, seed)
    _check_target(app, db, min(observatory.obsids))
    work_db = root / WORK_DB
    store = app.store(work_db, write=True)
    console.print(
        f"Simulated observatory: {observations} observations, seed {seed} "
        f"(temporary directory {root}, removed at the end)"
    )
    summary = BatchSummary(requested=[])
    executor = app.executor(workers)
    try:
        with Progress(
            TextColumn("[bold]processing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[last]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task("", total=observations, last="")
            result = demo_service.run_demo(
                observatory,
                store=store,
                processor=processor,
                executor=executor,
                progress=progress_advance(bar, task),
                summary=summary,
            )
    finally:
        executor.close()
        for line in summary.lines() if summary.requested else ():
            console.print(line, markup=False, highlight=False)
    if not result.batch.saved:
        raise AstromonError("no observation was processed: nothing to report")
    page = report_service.write_report(result.report, app.renderer(), out)
    injected = offset_files.write_offsets(
        demo_service.injected_offsets(observatory.truth()),
        out / INJECTED_OFFSETS,
        writer=app.write_text_file,
        overwrite=True,
    )
    app.write_table_file(
        observatory.injected_alignment(), out / INJECTED_ALIGNMENT, format="ecsv", overwrite=True
    )
    app.release_database(work_db)  # its last commits into the file, before it is copied
    _install(work_db, db)
    return result, page, injected
