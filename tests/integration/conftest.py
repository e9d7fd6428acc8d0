"""Fixtures shared by the integration tests."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from astromon.bootstrap import bootstrap
from astromon.services import demo as demo_service
from astromon.services.calibration import offset_files


@dataclass(frozen=True)
class DefaultDemo:
    """The files and the result of one run of the default demo (treat them as read-only)."""

    db: Path
    injected_offsets: Path
    result: demo_service.DemoResult


def _session_directory(factory: pytest.TempPathFactory) -> Path:
    """A directory every test process of this session shares (pytest-xdist workers each have
    their own base directory, ``popen-gwN``, inside the session's)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _run_default_demo(root: Path) -> None:
    """The default demo through the API, as ``astromon demo --workers 2`` runs it."""
    app = bootstrap()
    observatory, processor = app.demo_setup(root / "sim", demo_service.DEFAULT_OBSERVATIONS, 0)
    store = app.store(root / "demo.duckdb", write=True)
    executor = app.executor(2)
    try:
        result = demo_service.run_demo(
            observatory, store=store, processor=processor, executor=executor
        )
    finally:
        executor.close()
    store.close()
    offset_files.write_offsets(
        demo_service.injected_offsets(observatory.truth()),
        root / "injected_offsets.json",
        writer=app.write_text_file,
        overwrite=True,
    )
    partial = root / "result.pickle.partial"
    partial.write_bytes(pickle.dumps(result))
    partial.replace(root / "result.pickle")  # last: its presence means the run is complete


@pytest.fixture(scope="session")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> DefaultDemo:
    """The default demo (64 observations, seed 0, 2 worker processes), run once per session.

    It takes a quarter of a minute of both CPUs, and two tests need it: the first test process
    to ask runs it under an exclusive lock, the others wait for the lock and read its files.
    A run that failed left no ``result.pickle`` and is run again by the next one to ask.
    """
    root = _session_directory(tmp_path_factory) / "default-demo"
    with (root.parent / "default-demo.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "result.pickle").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            _run_default_demo(root)
        result = pickle.loads((root / "result.pickle").read_bytes())
    return DefaultDemo(root / "demo.duckdb", root / "injected_offsets.json", result)
