"""The executor port: where per-observation work runs (process pool, Dask cluster...)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final, Protocol, TypeVar, runtime_checkable

__all__ = ["MAX_WORKERS", "Executor"]

MAX_WORKERS: Final = 1024
"""The most local worker processes a batch may ask for: more than any machine astromon runs
on has CPUs, and below the limits of the process pool's queues and of open files."""

T = TypeVar("T")
R = TypeVar("R")


@runtime_checkable
class Executor(Protocol):
    """Runs ``func`` over ``items`` and yields ``(item, result)`` pairs as they complete.

    Results come back to the caller's process, which is the single writer of the database.
    ``func`` and items must be picklable. An exception in ``func`` is re-raised by the
    iterator for that item only if ``func`` does not catch it; services wrap their work so
    that a failure becomes a result.
    """

    def map_unordered(
        self, func: Callable[[T], R], items: Iterable[T]
    ) -> Iterator[tuple[T, R]]: ...

    def close(self) -> None: ...
