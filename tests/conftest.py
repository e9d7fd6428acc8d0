"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import os
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


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than CPUs.

    Many tests spend their time waiting on subprocesses (the CLI, fake CIAO tools, writer
    processes, a Dask cluster), so one extra worker keeps both CPUs busy (on 2 CPUs 3 workers
    took 4.5 minutes where 2 took 5.5, before the suite was made cheaper; it now takes about
    4).
    """
    return (os.cpu_count() or 1) + 1
