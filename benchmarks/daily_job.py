"""The daily-job benchmark: ``astromon daily``'s service end to end on the simulated observatory.

The job (search, processing, the standard cross-matches, both web-page views, the alarms and
the run record) runs over ``N`` simulated observations into a new DuckDB file, once with the
per-observation work in the calling process (the ``reference`` side: serial) and once with
2 local worker processes (the ``astromon`` side); the ratio is the speed-up of the workers.
The simulated observatory stands for CIAO and the archive: its files are copied from disk and
its sources found by the event-list detector, the cheap part of a real observation, so the
seconds per observation measure astromon's own work.
"""

from __future__ import annotations

import shutil
from typing import Any, Final

from benchmarks.cases import Case, Check, Context, SideResult, Summary, Timed

__all__ = ["OBSERVATIONS", "DailyJob"]

OBSERVATIONS: Final[dict[str, int]] = {"tiny": 8, "small": 24, "full": 200}
"""Simulated observations of the job at each benchmark size."""
WORKERS: Final[dict[str, int]] = {"reference": 1, "astromon": 2}
"""Local worker processes of each side (1: in the calling process)."""
DAYS: Final = 800
"""The processing window, days: the whole simulated span (two years) before its end."""


class _Clock:
    """The clock at the end of the simulated span (the job's now)."""

    def __init__(self, date: str) -> None:
        self.date = date

    def now_date(self) -> str:
        return self.date


class DailyJob(Case):
    """``run_daily`` over the simulated observatory, serial and with 2 workers."""

    name = "daily_job"
    title = "the daily job end to end (simulated observatory), serial and 2 workers"

    def setup(self, ctx: Context, side: str) -> Timed:
        from astromon_adapters.simulation import SimulatedArchive

        from astromon.bootstrap import bootstrap
        from astromon.config import Settings
        from astromon.ports.observation import ArchiveRetriever
        from astromon.services.daily import DailyPlan, DailyPorts, run_daily
        from astromon.services.demo import REPORT_NOW

        n_obs = OBSERVATIONS[ctx.size]
        root = ctx.workdir / f"daily-{side}"
        shutil.rmtree(root, ignore_errors=True)
        app = bootstrap(Settings(), clock=_Clock(REPORT_NOW))
        observatory, processor = app.demo_setup(root / "observatory", n_obs, ctx.seed)
        planned: Any = observatory  # the simulated observatory: its planned observations
        archive: ArchiveRetriever = SimulatedArchive(list(planned.observations))
        database = root / "astromon.duckdb"

        def call() -> Summary:
            for path in (database, root / "www", root / "logs"):
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
            ports = DailyPorts(
                store=app.store(database, write=True),
                processor=processor,
                executor=lambda: app.executor(WORKERS[side]),
                archive=archive,
                renderer=app.renderer(),
                clock=app.clock(),
                run_log=app.run_log(root / "logs"),
                run_lock=app.run_lock(database),
            )
            plan = DailyPlan(database=str(database), web_dir=root / "www", days=DAYS)
            record = run_daily(plan, ports).record
            return {
                "observations": n_obs,
                "processed": len(record.processed),
                "exit_code": record.exit_code,
                "alarms": sorted({str(alarm.kind) for alarm in record.alarms}),
                "workers": WORKERS[side],
            }

        return Timed(call)

    def checks(self, ctx: Context, results: dict[str, SideResult]) -> list[Check]:
        checks = []
        for result in results.values():
            n_obs = int(result.summary.get("observations", 0))
            per_obs = result.seconds / max(n_obs, 1)
            workers = result.summary.get("workers")
            alarms = list(result.summary.get("alarms", []))
            expected = 3 if alarms else 0  # the simulation injects aspect errors: flagged
            checks.append(
                Check(
                    f"every observation processed, no alarm but the flagged observations "
                    f"({workers} worker(s), {n_obs} observations)",
                    f"{result.summary.get('processed')} processed, exit code "
                    f"{result.summary.get('exit_code')}, alarms {alarms or 'none'}, "
                    f"{per_obs:.3f} s/observation",
                    result.summary.get("processed") == n_obs
                    and set(alarms) <= {"flagged_observations"}
                    and result.summary.get("exit_code") == expected,
                )
            )
        return checks
