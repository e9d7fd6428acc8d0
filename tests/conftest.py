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
