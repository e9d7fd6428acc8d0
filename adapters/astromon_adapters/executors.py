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
import contextlib
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from astromon.domain.errors import AstromonError, ValidationError
from astromon.logging_config import configure_from_environment
from astromon.ports.executor import MAX_WORKERS

__all__ = ["DaskExecutor", "ProcessPoolExecutor", "SerialExecutor", "default_workers"]

T = TypeVar("T")
R = TypeVar("R")


def default_workers(configured: int | None = None) -> int:
    """Number of worker processes: ``configured`` (``Settings.workers``), else the CPU count."""
    if configured is not None:
        return int(configured)
    return max(1, os.cpu_count() or 1)


WATCH_INTERVAL = 0.5
"""Seconds between two checks, in a worker, that the process that started it is alive."""


def _watch_parent(parent: int, interval: float = WATCH_INTERVAL) -> None:
    """Exit this worker at once when its parent ``parent`` is gone (killed, crashed).

    The pool's worker processes would otherwise keep running, and keep the multiprocessing
    resource tracker alive, after a SIGKILL of ``astromon``. A worker whose parent died is
    re-parented, so its parent pid changes.
    """
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(interval)


def _worker_init(parent: int) -> None:
    """Worker initializer: ignore Ctrl-C, follow the parent's logging, die with the parent.

    Ctrl-C is for the calling process, which stops the workers. The calling process's
    logging settings are applied so worker events go where its own go (stderr) rather than to
    structlog's default (stdout). A daemon thread ends the worker when ``parent`` dies.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_from_environment()
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


_TRACKER_QUIET = "ignore::UserWarning:multiprocessing.resource_tracker"
"""The warning filter the resource tracker starts with: a batch stopped by a signal ends
while its queues' semaphores are registered, and the tracker, which removes them as it is
meant to, would otherwise print its cleanup warnings after the one line of the signal."""


def _start_quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (it sets and clears the signal mask itself as
    it starts) with :data:`_TRACKER_QUIET` in its environment; ours is left as it was."""
    from multiprocessing import resource_tracker

    before = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [before, _TRACKER_QUIET]))
    try:
        resource_tracker.ensure_running()
    finally:
        if before is None:
            del os.environ["PYTHONWARNINGS"]
        else:
            os.environ["PYTHONWARNINGS"] = before


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while worker processes are started (main thread only).

    SIGINT is blocked in this thread, and a process inherits the signal mask of the thread
    that starts it: the workers begin with SIGINT blocked and cannot print KeyboardInterrupt
    tracebacks while they import, before the worker initializer ignores SIGINT (SIGTERM keeps
    its default in the workers: it ends them without a word). Meanwhile a Ctrl-C or SIGTERM of
    this process (delivered to another thread) is only recorded, so that no worker is left half
    started; once every worker has started it is raised again, for the handler it was meant
    for (Python's KeyboardInterrupt, or the command line's handler).
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    _start_quiet_resource_tracker()
    pressed: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = [signal.signal(s, lambda signum, frame: pressed.append(signum)) for s in held]
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        for number, handler in zip(held, previous, strict=True):
            signal.signal(number, handler)
    if pressed:
        signal.raise_signal(pressed[0])


class SerialExecutor:
    """Runs every item in the calling process, in order.

    Attributes
    ----------
    interrupted_items : list
        After an iteration stopped by an exception (Ctrl-C): the item that was running.
    """

    def __init__(self) -> None:
        self.interrupted_items: list[Any] = []

    def map_unordered(self, func: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """Yield ``(item, func(item))`` for each item, in order."""
        self.interrupted_items = []
        for item in items:
            try:
                result = func(item)
            except BaseException:
                self.interrupted_items = [item]
                raise
            yield item, result

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
        ``workers`` is not from 1 to :data:`~astromon.ports.executor.MAX_WORKERS`, or the
        start method is unknown.
    """

    def __init__(self, workers: int | None = None, *, start_method: str = "spawn") -> None:
        n = default_workers() if workers is None else int(workers)
        if not 1 <= n <= MAX_WORKERS:
            raise ValidationError(f"workers must be from 1 to {MAX_WORKERS}, got {workers!r}")
        if start_method not in multiprocessing.get_all_start_methods():
            raise ValidationError(
                f"unknown start method {start_method!r}; "
                f"known: {multiprocessing.get_all_start_methods()}"
            )
        self.workers = n
        self._stopped_early = False
        self.interrupted_items: list[Any] = []
        self._pool = cf.ProcessPoolExecutor(
            max_workers=n,
            mp_context=multiprocessing.get_context(start_method),
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )

    def map_unordered(self, func: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """Submit every item and yield ``(item, result)`` as each completes.

        Raises the exception of an item whose ``func`` raised, and
        ``concurrent.futures.process.BrokenProcessPool`` when a worker died. When the
        iteration stops early (Ctrl-C, an exception), the items that had started (or
        finished) and were not yielded are kept in ``interrupted_items``, and :meth:`close`
        stops the workers instead of waiting for the running items. Workers are started with
        Ctrl-C and SIGTERM held back and exit by themselves when this process dies.
        """
        self.interrupted_items = []
        self._stopped_early = True  # until every item is yielded
        with _signals_held():
            futures: dict[cf.Future[R], T] = {self._pool.submit(func, item): item for item in items}
        finished = False
        yielded: set[cf.Future[R]] = set()
        try:
            for future in cf.as_completed(futures):
                yielded.add(future)
                yield futures[future], future.result()
            finished = True
            self._stopped_early = False
        finally:
            if not finished:
                started = [f for f in futures if f not in yielded and (f.running() or f.done())]
                self.interrupted_items = [futures[f] for f in started]

    def close(self) -> None:
        """Shut the pool down: wait for the workers, or stop them after an early stop.

        After an early stop the workers are terminated first: the pool, broken, fails its
        pending items itself. (Cancelling them first made the pool's manager thread of
        Python 3.11 print an ``InvalidStateError`` traceback as it failed the cancelled ones.)
        Then the pool's manager thread is waited for, so that nothing of the pool runs when
        the interpreter exits.
        """
        if not self._stopped_early:
            self._pool.shutdown(wait=True, cancel_futures=True)
            return
        processes = list(getattr(self._pool, "_processes", {}).values())
        manager = getattr(self._pool, "_executor_manager_thread", None)  # None after shutdown
        for process in processes:
            if process.is_alive():
                process.terminate()
        self._pool.shutdown(wait=False)
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
                process.kill()
                process.join(timeout=5)
        # The pool's manager thread closes its wake-up pipe as it ends. Left running, it races
        # the hook that Python 3.11 runs at exit to wake it: that hook then writes to the
        # closed pipe and prints an OSError traceback (Bad file descriptor) after the
        # command's last line. Waiting for it here leaves the hook nothing to wake.
        if manager is not None:
            manager.join(timeout=10)


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
    ValidationError
        ``scheduler`` is not an address.
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
            except ValueError as exc:  # not an address: no port, unknown protocol...
                raise ValidationError(
                    f"the Dask scheduler address {scheduler!r} is not one (tcp://host:port): {exc}"
                ) from None
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
