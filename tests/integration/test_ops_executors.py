"""The batch pipeline on real executors (process pool, Dask LocalCluster) into DuckDB files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import process as pool_internals
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.executors import DaskExecutor, ProcessPoolExecutor, SerialExecutor
from astromon_adapters.storage.duckdb.store import DuckDBStore

from astromon.domain.errors import ValidationError
from astromon.services.batch.pipeline import process_observations
from tests.unit.ops_fakes import ScriptedProcessor

OBSIDS = [101, 102, 103, 104, 105, 106]
SCRIPT = {102: "error", 104: "skip"}
TABLES = ("astromon_obs", "astromon_xray_src", "astromon_cat_src", "astromon_xcorr")


def _plain(value: Any) -> Any:
    if isinstance(value, np.floating):
        return "NaN" if np.isnan(value) else float(value)
    return value.item() if isinstance(value, np.generic) else value


def contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the outcome tables, sorted, as plain tuples."""
    store = DuckDBStore(path)
    out = {}
    for name in TABLES:
        table = store.read_table(name)
        rows = [tuple(_plain(v) for v in row.as_void()) for row in table]
        out[name] = sorted(rows, key=repr)
    return out


def run_batch(path: Path, executor: Any, script: dict[int, str] = SCRIPT) -> Any:
    try:
        return process_observations(
            OBSIDS,
            store=DuckDBStore(path),
            processor=ScriptedProcessor(script),
            executor=executor,
        )
    finally:
        executor.close()


@pytest.fixture(autouse=True)
def dask_scratch(tmp_path: Path) -> Iterator[Path]:
    """Dask's scratch space (``dask-scratch-space``, its lock files) goes into the test's own
    directory, not the system's temporary directory, and goes with it."""
    scratch = tmp_path / "dask"
    try:
        import dask
    except ImportError:  # the process-pool tests do not need it
        yield scratch
        return
    with dask.config.set({"temporary-directory": str(scratch)}):
        yield scratch


@pytest.fixture(scope="module")
def serial_contents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("serial") / "astromon.duckdb"
    summary = run_batch(path, SerialExecutor())
    assert summary.saved == [101, 103, 105, 106]
    return contents(path)


def test_process_pool_gives_the_same_database(
    tmp_path: Path, serial_contents: dict[str, Any]
) -> None:
    path = tmp_path / "pool.duckdb"
    summary = run_batch(path, ProcessPoolExecutor(2))
    assert sorted(summary.saved) == [101, 103, 105, 106]
    assert summary.failed == {"ProcessingError": [102]}
    assert summary.skipped == {"not selected": [104]}
    assert contents(path) == serial_contents


def test_dask_local_cluster_gives_the_same_database(
    tmp_path: Path, serial_contents: dict[str, Any], dask_scratch: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        path = tmp_path / "dask.duckdb"
        summary = run_batch(path, DaskExecutor(client=client))
        assert sorted(summary.saved) == [101, 103, 105, 106]
        assert summary.failed == {"ProcessingError": [102]}
        assert contents(path) == serial_contents
        # through the scheduler address, as `--scheduler ADDRESS` does
        path2 = tmp_path / "dask2.duckdb"
        summary2 = run_batch(path2, DaskExecutor(cluster.scheduler_address))
        assert sorted(summary2.saved) == [101, 103, 105, 106]
        assert contents(path2) == serial_contents
    assert (dask_scratch / "dask-scratch-space").is_dir()  # here, not in the system's /tmp


def test_a_dead_worker_keeps_finished_observations_and_rerun_completes(
    tmp_path: Path, serial_contents: dict[str, Any]
) -> None:
    path = tmp_path / "killed.duckdb"
    # one worker: items run in order; the worker dies (like SIGKILL) on obsid 105
    first = run_batch(path, ProcessPoolExecutor(1), {**SCRIPT, 105: "die"})
    assert first.interrupted and "BrokenProcessPool" in first.interruption
    assert first.saved == [101, 103]
    assert first.not_run == [105, 106]
    assert [r[0] for r in contents(path)["astromon_obs"]] == [101, 103]
    second = run_batch(path, ProcessPoolExecutor(2))
    assert sorted(second.saved) == [105, 106]
    assert second.skipped == {"already in database": [101, 103], "not selected": [104]}
    assert contents(path) == serial_contents


def test_an_early_stop_leaves_nothing_of_the_pool_for_the_exit_hook() -> None:
    """Python 3.11 wakes each pool's manager thread at exit through a pipe that the thread
    closes as it ends; a thread still ending then made the hook write to a closed pipe and
    print an OSError traceback after ``error: terminated (SIGTERM)`` (the daily job's signal
    loop, 1 round in 25). After :meth:`close` the thread has ended and its pipe is closed,
    so the hook writes nothing."""
    executor = ProcessPoolExecutor(2)
    manager = executor._pool._executor_manager_thread
    results = executor.map_unordered(time.sleep, [0.0, 30.0, 30.0, 30.0])
    assert next(results) == (0.0, None)
    results.close()  # the batch stops early (Ctrl-C, an error)
    manager = manager or executor._pool._executor_manager_thread
    started = time.monotonic()
    executor.close()
    assert time.monotonic() - started < 20  # the sleeping workers were stopped, not awaited
    assert manager is not None and not manager.is_alive()
    wakeups = [w for t, w in pool_internals._threads_wakeups.items() if t is manager]
    assert all(w._closed for w in wakeups)


def test_executor_arguments_are_checked() -> None:
    for workers in (0, 1025, 2**31):
        with pytest.raises(ValidationError, match=f"from 1 to 1024, got {workers}"):
            ProcessPoolExecutor(workers)
    with pytest.raises(ValidationError, match="scheduler address"):
        DaskExecutor()


def test_unreachable_scheduler_is_a_clear_error() -> None:
    pytest.importorskip("distributed")
    from astromon.domain.errors import AstromonError

    with pytest.raises(
        AstromonError, match=r"cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'"
    ):
        DaskExecutor("tcp://127.0.0.1:1", timeout=1)


def test_cli_process_on_a_dask_scheduler(tmp_path: Path, serial_contents: dict[str, Any]) -> None:
    """`astromon process --scheduler ADDRESS` in a subprocess, workers in this process."""
    import os
    import subprocess
    import sys

    distributed = pytest.importorskip("distributed")
    root = Path(__file__).resolve().parents[2]
    script = Path(sys.executable).parent / "astromon"
    if not script.exists():
        pytest.skip("the astromon script is not installed in this environment")
    code = [str(p) for p in (root / "src", root / "adapters", root)]
    path = os.pathsep.join(filter(None, [*code, os.environ.get("PYTHONPATH", "")]))
    env = dict(
        os.environ,
        PYTHONPATH=path,
        ASTROMON_TEST_SCRIPT="102:error,104:skip",
        DASK_TEMPORARY_DIRECTORY=str(tmp_path / "dask"),
    )
    path = tmp_path / "cli-dask.duckdb"
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None,
        protocol="tcp://", host="127.0.0.1",
    ) as cluster:  # fmt: skip
        result = subprocess.run(
            [str(script), "--db", str(path), "process", "101-106", "--scheduler",
             cluster.scheduler_address, "--processor", "tests.unit.ops_fakes:scripted_from_env"],
            capture_output=True, text=True, env=env, cwd=root, timeout=180, check=False,
        )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "6 obsids: 4 saved, 1 skipped, 1 failed" in result.stdout
    assert contents(path) == serial_contents
