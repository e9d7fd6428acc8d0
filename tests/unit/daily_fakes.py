"""Fakes of the ports of the daily run: run lock, run log, clock, archive, renderer, executor.

Each is modelled on the adapter it stands for (named in its docstring) and fails the way that
adapter fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from astromon.domain.daily_run import DailyRun
from astromon.domain.errors import AstromonError, DatabaseError
from astromon.domain.run_history import RunHistory
from astromon.ports.report import MonitoringReport
from astromon.ports.run_lock import RunHolder, RunLockedError, RunLockGrant

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class FakeRunLock:
    """The ``RunLock`` port as ``astromon_adapters.operations.run_lock.DailyRunLock`` behaves: taken
    without waiting, refused with RunLockedError naming the holder when ``holder`` is set,
    released by ``release`` (nothing when not held)."""

    holder: RunHolder | None = None
    events: list[str] = field(default_factory=list)

    def acquire(self, started: str) -> RunLockGrant:
        if self.holder is not None:
            raise RunLockedError(
                f"another astromon daily run is working on db: {self.holder.describe()}"
            )
        self.events.append(f"acquire {started}")
        return RunLockGrant(RunHolder(4242, "ops1", started))

    def release(self) -> None:
        self.events.append("release")


@dataclass
class MemoryRunLog:
    """The ``RunLog`` port as ``astromon_adapters.operations.run_log.JsonLinesRunLog``
    behaves, in memory: each append adds one whole record; a log that cannot be written
    raises DatabaseError naming the file (``failure``)."""

    path: Path = Path("/logs/daily.jsonl")
    runs: list[DailyRun] = field(default_factory=list)
    failure: str = ""

    def append(self, run: DailyRun) -> None:
        if self.failure:
            raise DatabaseError(f"cannot write the run log {self.path}: {self.failure}")
        self.runs.append(run)

    def history(self, last: int | None = None) -> RunHistory:
        runs = self.runs if last is None else self.runs[len(self.runs) - last :]
        return RunHistory(tuple(runs), ())


@dataclass(frozen=True)
class FixedClock:
    """The ``Clock`` port of ``astromon_adapters.system_clock.SystemClock``, stopped at
    ``date``."""

    date: str = "2016:001:00:00:00.000"

    def now_date(self) -> str:
        return self.date


@dataclass
class FakeArchive:
    """The ``find_obsids`` of ``astromon_adapters.chandra.archives.arc5gl.Arc5glRetriever``
    (arc5gl's ``browse obspar`` between two dates): records the dates asked, answers with
    ``obsids``, or raises the ToolError-like AstromonError of a failed arc5gl
    (``failure``)."""

    obsids: list[int] = field(default_factory=list)
    failure: str = ""
    asked: list[tuple[str, str]] = field(default_factory=list)

    def find_obsids(self, start: str, stop: str) -> list[int]:
        self.asked.append((start, stop))
        if self.failure:
            raise AstromonError(f"arc5gl failed: {self.failure}")
        return list(self.obsids)

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        raise AssertionError("the processor retrieves files, not the daily run")


@dataclass
class RecordingRenderer:
    """The ``render_site`` of ``astromon_adapters.report.renderer.MatplotlibReportRenderer``:
    keeps the reports of each call and returns ``outdir/index.html``; an output directory that
    cannot be replaced raises the adapter's AstromonError (``failure``)."""

    sites: list[tuple[Path, dict[str, MonitoringReport]]] = field(default_factory=list)
    failure: str = ""

    def render_site(self, reports: Mapping[str, MonitoringReport], outdir: Path) -> Path:
        if self.failure:
            raise AstromonError(f"cannot create the report directory {str(outdir)!r}: x")
        self.sites.append((outdir, dict(reports)))
        return outdir / "index.html"


@dataclass
class BreakingExecutor:
    """An executor whose worker is lost after ``good`` items, as a Dask cluster or a process
    pool reports a dead worker: the iteration raises (``distributed``'s ``KilledWorker``,
    ``BrokenProcessPool``) and the items not yielded are left."""

    good: int
    closed: bool = False

    def map_unordered(self, func: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        for i, item in enumerate(items):
            if i == self.good:
                raise RuntimeError("KilledWorker: the worker running it died")
            yield item, func(item)

    def close(self) -> None:
        self.closed = True


def ports(**changes: Any) -> dict[str, Any]:
    """The keyword arguments of ``DailyPorts`` with fakes (``changes`` replace them)."""
    from astromon_adapters.executors import SerialExecutor

    from tests.unit.fake_store import InMemoryStore
    from tests.unit.ops_fakes import ScriptedProcessor

    values: dict[str, Any] = {
        "store": InMemoryStore(location="/data/astromon.duckdb"),
        "processor": ScriptedProcessor(),
        "executor": SerialExecutor,
        "archive": FakeArchive([1, 2, 3, 4]),
        "renderer": RecordingRenderer(),
        "clock": FixedClock(),
        "run_log": MemoryRunLog(),
        "run_lock": FakeRunLock(),
    }
    values.update(changes)
    return values
