"""Executors: where the per-observation work of a batch runs.

* :class:`SerialExecutor` — in the calling process, one item after the other (debugging,
  tests, ``--workers 1``).
* :class:`ProcessPoolExecutor` — a local pool of worker processes (the default).
* :class:`DaskExecutor` — a Dask ``distributed`` cluster given by its scheduler address, or
  an existing ``distributed.Client``.

All yield ``(item, result)`` pairs as results complete; results come back to the calling
process, which is the single writer of the database.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from astromon.domain.errors import AstromonError, ValidationError
from astromon.logging_config import configure_from_environment

__all__ = ["DaskExecutor", "ProcessPoolExecutor", "SerialExecutor", "default_workers"]

T = TypeVar("T")
R = TypeVar("R")


def default_workers(configured: int | None = None) -> int:
    """Number of worker processes: ``configured`` (``Settings.workers``), else the CPU count."""
    if configured is not None:
        return int(configured)
    return max(1, os.cpu_count() or 1)


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is for the calling process, which stops the workers.

    Also applies the calling process's logging settings, so worker events go where its own go
    (stderr) rather than to structlog's default (stdout).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_from_environment()


class SerialExecutor:
    """Runs every item in the calling process, in order."""

    def map_unordered(self, func: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """Yield ``(item, func(item))`` for each item, in order."""
        for item in items:
            yield item, func(item)

    def close(self) -> None:
        """Nothing to release."""


class ProcessPoolExecutor:
    """A local pool of worker processes.

    Parameters
    ----------
    workers : int, optional
        Number of worker processes; default :func:`default_workers`.
    start_method : str
        The multiprocessing start method; ``"spawn"`` (default) gives workers a clean
        interpreter (no inherited threads, locks or open database connections).

    Raises
    ------
    ValidationError
        ``workers`` is smaller than 1, or the start method is unknown.
    """

    def __init__(self, workers: int | None = None, *, start_method: str = "spawn") -> None:
        n = default_workers() if workers is None else int(workers)
        if n < 1:
            raise ValidationError(f"workers must be at least 1, got {workers!r}")
        if start_method not in multiprocessing.get_all_start_methods():
            raise ValidationError(
                f"unknown start method {start_method!r}; "
                f"known: {multiprocessing.get_all_start_methods()}"
            )
        self.workers = n
        self._stopped_early = False
        self._pool = cf.ProcessPoolExecutor(
            max_workers=n,
            mp_context=multiprocessing.get_context(start_method),
            initializer=_ignore_sigint,
        )

    def map_unordered(self, func: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """Submit every item and yield ``(item, result)`` as each completes.

        Raises the exception of an item whose ``func`` raised, and
        ``concurrent.futures.process.BrokenProcessPool`` when a worker died. When the
        iteration stops early (Ctrl-C, an exception), pending items are cancelled and
        :meth:`close` stops the workers instead of waiting for the running items.
        """
        futures: dict[cf.Future[R], T] = {self._pool.submit(func, item): item for item in items}
        finished = False
        try:
            for future in cf.as_completed(futures):
                yield futures[future], future.result()
            finished = True
        finally:
            if not finished:
                self._stopped_early = True
                for future in futures:
                    future.cancel()

    def close(self) -> None:
        """Shut the pool down: wait for the workers, or stop them after an early stop."""
        if not self._stopped_early:
            self._pool.shutdown(wait=True, cancel_futures=True)
            return
        processes = list(getattr(self._pool, "_processes", {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=10)


class DaskExecutor:
    """Runs the work on a Dask ``distributed`` cluster.

    Parameters
    ----------
    scheduler : str, optional
        Scheduler address (``tcp://host:8786``). Ignored when ``client`` is given.
    client : distributed.Client, optional
        An existing client (for example of a ``LocalCluster``); it is not closed by
        :meth:`close`.
    timeout : float
        Seconds to wait for the scheduler when connecting.

    Raises
    ------
    AstromonError
        The ``distributed`` package is missing, or the scheduler cannot be reached (the
        message names its address).
    """

    def __init__(
        self, scheduler: str | None = None, *, client: Any = None, timeout: float = 10.0
    ) -> None:
        try:
            import distributed
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise AstromonError(
                "the Dask executor needs the 'distributed' package: pip install 'astromon[dask]'"
            ) from exc
        self._owns_client = client is None
        if client is None:
            if not scheduler:
                raise ValidationError("the Dask executor needs a scheduler address or a client")
            try:
                client_cls: Any = distributed.Client
                client = client_cls(scheduler, timeout=timeout)
            except (OSError, TimeoutError) as exc:
                raise AstromonError(
                    f"cannot reach the Dask scheduler at {scheduler!r}: {exc}"
                ) from exc
        self._client = client
        self._as_completed: Any = distributed.as_completed

    def map_unordered(self, func: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """Submit every item (``pure=False``) and yield ``(item, result)`` as each completes."""
        batch = uuid.uuid4().hex[:12]
        futures = {
            self._client.submit(func, item, pure=False, key=f"astromon-{batch}-{i}"): item
            for i, item in enumerate(items)
        }
        try:
            for future in self._as_completed(list(futures)):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        """Close the client if this executor opened it."""
        if self._owns_client:
            self._client.close()
