"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REFERENCE_DIR = Path(
    os.environ.get("ASTROMON_REFERENCE_DIR")
    or Path(__file__).resolve().parents[1].parent / "shared" / "reference"
)
"""``../shared/reference`` beside the repository, or ``$ASTROMON_REFERENCE_DIR``."""


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``../shared/reference`` (real data of 10 observations); skips when absent."""
    if not (REFERENCE_DIR / "astromon_obs.ecsv").exists():
        pytest.skip(f"reference data not found at {REFERENCE_DIR}")
    return REFERENCE_DIR


def pytest_configure(config: pytest.Config) -> None:
    """Let the processes the tests start cache their bytecode, as Python does by default.

    Some environments set PYTHONDONTWRITEBYTECODE=1. The suite starts some 300 Python
    processes (test workers, the ``astromon`` program, fake CIAO tools, writer processes),
    and without the cache each of them would compile every astromon module again (a tenth of a
    second each) and pytest would rewrite every test module in each worker. The caches go
    to ``__pycache__`` directories, which git ignores.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # for the processes started from now on
    sys.dont_write_bytecode = False  # and for this one


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than CPUs.

    Many tests spend their time waiting on subprocesses (the CLI, fake CIAO tools, writer
    processes, a Dask cluster), so one extra worker keeps both CPUs busy (on 2 CPUs 3 workers
    took 4.5 minutes where 2 took 5.5, before the suite was made cheaper; it now takes about
    4).
    """
    return (os.cpu_count() or 1) + 1
