"""A real Dask cluster on 127.0.0.1 for the tests: ``dask scheduler`` and ``dask worker``
processes on free ports, every scratch directory inside the test's directory."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="the Dask distributed package is absent")


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on (the system's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    """A running cluster: its scheduler ``address`` and the worker processes."""

    address: str
    workers: list[subprocess.Popen[bytes]]


def _dask() -> list[str]:
    script = Path(sys.executable).parent / "dask"
    if not script.exists():
        pytest.skip("the dask command is not installed in this environment")
    return [str(script)]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@contextmanager
def dask_cluster(root: Path, env: dict[str, str], *, workers: int = 2) -> Iterator[Cluster]:
    """A scheduler and ``workers`` single-threaded worker processes (each with a nanny that
    restarts it when it dies). A task whose worker died is retried once on another worker,
    then reported lost (``KilledWorker``). Scratch space goes to ``root/scratch`` and each
    worker's ``root/worker-N``; they are removed at the end."""
    scratch = root / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    environment = {
        **env,
        "DASK_TEMPORARY_DIRECTORY": str(scratch),
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
    }
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            subprocess.Popen(
                [
                    *_dask(),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-dashboard",
                ],
                env=environment,
                cwd=scratch,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        for index in range(workers):
            directory = root / f"worker-{index}"
            directory.mkdir(exist_ok=True)
            processes.append(
                subprocess.Popen(
                    [
                        *_dask(),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--local-directory",
                        str(directory),
                    ],
                    env=environment,
                    cwd=directory,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield Cluster(address, processes[1:])
    finally:
        for process in reversed(processes):
            _stop(process)
        for path in (scratch, *(root / f"worker-{i}" for i in range(workers))):
            with suppress(OSError):
                shutil.rmtree(path)
        assert not (root / "dask-scratch-space").exists()
        assert os.path.isdir(root)
