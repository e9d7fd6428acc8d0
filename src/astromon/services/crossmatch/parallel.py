"""A threaded :class:`~astromon.domain.crossmatch.tables.Mapper` for large cross-matches.

The domain runs column work in order in the calling thread; services pass
:func:`parallel_map` instead, which spreads numpy work that releases the GIL and is bound by
memory latency (gathers of scattered rows, scans of string columns) over a few threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

__all__ = ["PARALLEL_MIN_ROWS", "parallel_map"]

_T = TypeVar("_T")
_R = TypeVar("_R")

PARALLEL_MIN_ROWS: Final = 20_000
"""Below this many rows per task, array work runs in the calling thread."""

MAX_THREADS: Final = 4
"""At most this many threads (and never more than the CPUs)."""


def parallel_map(func: Callable[[_T], _R], items: Sequence[_T], rows: int) -> list[_R]:
    """``[func(item) for item in items]``, on up to :data:`MAX_THREADS` threads when large.

    Results keep the input order and are the same as the sequential ones. ``rows`` (the work
    per item) decides: below :data:`PARALLEL_MIN_ROWS` there is no thread at all. When the
    calling thread is interrupted (Ctrl-C, SIGTERM) or an item fails, the items not started
    are cancelled and the threads finish their current item and end before this returns.
    """
    workers = min(len(items), os.cpu_count() or 1, MAX_THREADS)
    if workers < 2 or rows < PARALLEL_MIN_ROWS:
        return [func(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        return list(pool.map(func, items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
