"""``astromon process`` and ``astromon daily`` on a real Dask cluster: a ``dask scheduler`` and
two ``dask worker`` processes on 127.0.0.1, with the fake arc5gl and a scripted processor."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from astromon_adapters.storage.duckdb.store import DuckDBStore

from tests.integration.daily_cli import FAKE_WORK, REPO, daily_env
from tests.integration.dask_cluster import dask_cluster

OBSIDS = [101, 102, 103, 104, 105, 106]

pytestmark = pytest.mark.slow


def stored(db: Path) -> list[int]:
    return sorted(int(o) for o in DuckDBStore(db).read_table("astromon_obs")["obsid"])


def test_process_and_daily_run_on_the_cluster(tmp_path: Path) -> None:
    daily = daily_env(tmp_path, OBSIDS)
    with dask_cluster(tmp_path / "cluster", daily.env) as cluster:
        db = tmp_path / "process.duckdb"
        result = subprocess.run(
            [sys.executable, "-m", "astromon", "--db", str(db), "process", "101-106",
             "--scheduler", cluster.address, *FAKE_WORK],
            capture_output=True, text=True, env=daily.environment("102:error,104:skip"),
            cwd=tmp_path, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 3, result.stderr
        assert "6 obsids: 4 saved, 1 skipped, 1 failed" in result.stdout
        assert stored(db) == [101, 103, 105, 106]
        run = daily.run("--scheduler", cluster.address, script="103:error")
        assert run.returncode == 3, run.stderr
        [record] = daily.records()
        assert record.processed == (101, 102, 104, 105, 106)
        assert [(n.obsid, n.reason) for n in record.failed] == [(103, "ProcessingError")]
    assert stored(daily.db) == [101, 102, 104, 105, 106]
    assert not (REPO / "dask-scratch-space").exists()


def test_a_worker_lost_mid_run_loses_no_save_and_its_observations_are_reported(
    tmp_path: Path,
) -> None:
    daily = daily_env(tmp_path, OBSIDS)
    with dask_cluster(tmp_path / "cluster", daily.env) as cluster:
        # the worker running 104 dies (and the one it is retried on): the task is lost
        first = daily.run("--scheduler", cluster.address, script="*:slow,104:die")
        assert first.returncode == 3, first.stderr
        [record] = daily.records()
        failed = {n.obsid: n for n in record.failed}
        assert 104 in failed and failed[104].reason == "not run"
        assert "KilledWorker" in failed[104].message
        assert set(record.processed) | set(failed) == set(OBSIDS)
        assert stored(daily.db) == sorted(record.processed)  # every acknowledged save is kept
        second = daily.run("--scheduler", cluster.address, script="*:slow")
        assert second.returncode == 0, second.stderr
    last = daily.records()[-1]
    assert sorted(last.processed) == sorted(failed)
    assert stored(daily.db) == OBSIDS
