"""astromon: monitor the absolute astrometry of the Chandra X-ray Observatory.

The public API is in :mod:`astromon.db`, :mod:`astromon.cross_match`,
:mod:`astromon.observation` and :mod:`astromon.utils`. ``get_cross_matches`` and
``compute_cross_matches`` are also available here.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "compute_cross_matches", "get_cross_matches"]


def __getattr__(name: str) -> Any:
    # Lazy, so that ``import astromon`` stays light and never touches the environment.
    if name == "get_cross_matches":
        from astromon.db import get_cross_matches

        return get_cross_matches
    if name == "compute_cross_matches":
        from astromon.cross_match import compute_cross_matches

        return compute_cross_matches
    raise AttributeError(f"module 'astromon' has no attribute {name!r}")
