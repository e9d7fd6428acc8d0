"""Ctrl-C and SIGTERM: one way to stop, sections that are never cut, and which signal it was.

A console script calls :func:`install` once, first thing. From then on SIGINT (Ctrl-C) and
SIGTERM both raise :class:`Interrupted`, a ``KeyboardInterrupt``, in the main thread, so every
``except KeyboardInterrupt`` and every ``finally`` of astromon treats both alike:

* **Only the first signal interrupts.** Later ones, while the program stops and cleans up
  (removes its staging directories, stops its workers), are noted and ignored, so that no
  cleanup is cut short — for :data:`GRACE_SECONDS`: a signal after that ends a program
  whose stop is stuck (on a file that never answers, say) at once, with its line and code.
* **An interruption is never lost.** Python runs signal handlers wherever the main thread
  is, also inside a finalizer or a weak-reference callback, which cannot raise: Python
  prints "Exception ignored" and goes on. Such a swallowed interruption is not printed but
  sent again a millisecond later, to stop the program at its next step.
* **Shielded sections finish first.** Code that must not stop half-way — a save together
  with the record that it was saved — runs in :func:`shielded`; a signal arriving inside
  interrupts at its end (or, after :data:`GRACE_SECONDS`, another signal ends the program).
* **Compiled modules load whole.** Importing a compiled (extension) module is a shielded
  section: its initialisation may run Python code (DuckDB's creates Python enums), and an
  exception raised there can abort the whole process ("Critical nanobind error", exit code
  134) instead of stopping it. The interruption is raised when the module is loaded.
* **After the command** (:func:`finish`), a signal ends the process at once with its exit
  code and one line on stderr instead of raising in the interpreter's shutdown (where Python
  would print "Exception ignored in threading" and a traceback).
* The exit code is 128 + the signal number (:func:`exit_code`): 130 after Ctrl-C, 143 after
  SIGTERM.

Without :func:`install` (the Python API, tests) nothing changes: Python's own Ctrl-C handling
applies and :func:`shielded` only marks sections.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import FrameType, ModuleType
from typing import Any, Final, NoReturn

__all__ = [
    "GRACE_SECONDS",
    "REASONS",
    "SIGNALS",
    "Interrupted",
    "ShieldedExtensionLoader",
    "exit_code",
    "finish",
    "install",
    "interrupting",
    "message",
    "reason",
    "shielded",
    "signal_number",
    "uninstall",
]

SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
"""The signals that stop an astromon command: Ctrl-C and the polite kill."""
REASONS: dict[int, str] = {signal.SIGINT: "KeyboardInterrupt", signal.SIGTERM: "SIGTERM"}
"""How a batch summary names each signal that stopped it (:func:`reason`)."""


GRACE_SECONDS: Final = 5.0
"""How long a program that is stopping ignores further signals (its cleanup takes
milliseconds; one still stopping after this is stuck, and another signal ends it at once)."""


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread by the first SIGINT or SIGTERM (``signum`` tells which)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)


@dataclass
class _State:
    installed: bool = False
    signum: int | None = None  # the first signal received
    raised: bool = False  # the interruption was raised: the program is stopping
    since: float = 0.0  # when the first signal came (time.monotonic)
    pending: bool = False  # a signal arrived inside a shielded section
    depth: int = 0  # nesting of shielded sections (main thread)
    finished: bool = False  # the command is over: a signal ends the process
    in_hook: bool = False  # in sys.unraisablehook, where an exception would be lost too
    raises: int = 0  # interruptions raised so far
    previous: tuple[Any, ...] = ()
    previous_hook: Any = None


_state = _State()


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _handle(signum: int, frame: FrameType | None) -> None:
    if _state.signum is None:
        _state.signum, _state.since = signum, time.monotonic()
    stopping = _state.raised or _state.pending
    stuck = stopping and time.monotonic() - _state.since > GRACE_SECONDS
    if _state.finished or stuck:
        os.write(2, f"error: {message()}\n".encode())
        os._exit(exit_code())
    if _state.raised or _state.in_hook:
        return
    if _state.depth:
        _state.pending = True
        return
    _raise()


def _raise() -> NoReturn:
    _state.raised = True
    _state.raises += 1
    raise Interrupted(signal_number())


def _send_again(raised: int) -> None:
    """In another thread: send the signal again until the main thread raises it once more
    (it takes it at its next step, which may again be in a finalizer: then again)."""
    for _ in range(1000):
        time.sleep(0.002)
        if _state.raises != raised or _state.finished:
            return
        os.kill(os.getpid(), signal_number())


def _unraisable(unraisable: Any) -> None:
    """``sys.unraisablehook``: an interruption swallowed where exceptions cannot propagate is
    sent again, until it is raised where it can stop the program."""
    if isinstance(unraisable.exc_value, Interrupted) and _state.installed:
        _state.in_hook = True
        try:
            _state.raised = False
            threading.Thread(target=_send_again, args=(_state.raises,), daemon=True).start()
        finally:
            _state.in_hook = False
        return
    _state.previous_hook(unraisable)


class ShieldedExtensionLoader(importlib.machinery.ExtensionFileLoader):
    """The loader of a compiled module whose initialisation runs as a :func:`shielded`
    section (a signal during it interrupts when the module is loaded)."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        with shielded():
            return super().create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        with shielded():
            super().exec_module(module)


class _ShieldedExtensions(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: asks the finders after it, and gives the spec of a
    compiled module a :class:`ShieldedExtensionLoader` (other specs are returned as found)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec: importlib.machinery.ModuleSpec | None = find(fullname, path, target)
            if spec is None:
                continue
            loader = spec.loader
            if type(loader) is importlib.machinery.ExtensionFileLoader:
                spec.loader = ShieldedExtensionLoader(loader.name, loader.path)
            return spec
        return None


_extensions = _ShieldedExtensions()


def install() -> None:
    """Make SIGINT and SIGTERM raise :class:`Interrupted` (main thread only; else nothing),
    and load compiled modules in shielded sections.

    Safe to call again: the state of an earlier signal is kept.
    """
    if _state.installed or not _main_thread():
        return
    _state.previous = tuple(signal.getsignal(s) for s in SIGNALS)
    _state.previous_hook = sys.unraisablehook
    if _extensions not in sys.meta_path:
        sys.meta_path.insert(0, _extensions)
    for number in SIGNALS:
        signal.signal(number, _handle)
    sys.unraisablehook = _unraisable
    _state.installed = True


def uninstall() -> None:
    """Restore the handlers :func:`install` replaced and forget every signal received.

    For callers that run a console script's code inside a longer-lived process (tests).
    """
    global _state
    if _state.installed and _main_thread():
        for number, handler in zip(SIGNALS, _state.previous, strict=True):
            signal.signal(number, handler)
        sys.unraisablehook = _state.previous_hook
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(_extensions)
    _state = _State()


def finish() -> None:
    """The command is over: from now on a signal ends the process at once (exit code, one
    line) instead of raising while the interpreter shuts down."""
    if _state.installed:
        _state.finished = True


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """A section that a signal does not cut: the interruption is raised when it ends.

    The interruption is raised even when the section ends with an exception, which it
    replaces. Outside the main thread, or without :func:`install`, it only marks the section.
    """
    if not _main_thread():
        yield
        return
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if not _state.depth and _state.pending:
            _state.pending = False
            if not _state.raised:
                _raise()


def interrupting() -> bool:
    """True once a signal has interrupted the program (it is stopping)."""
    return _state.raised


def signal_number() -> int:
    """The first signal received (SIGINT when none: a ``KeyboardInterrupt`` raised otherwise)."""
    return _state.signum if _state.signum is not None else int(signal.SIGINT)


def exit_code() -> int:
    """128 + the signal: 130 after Ctrl-C (or a plain ``KeyboardInterrupt``), 143 after SIGTERM."""
    return 128 + signal_number()


def message() -> str:
    """The one error line's text: ``interrupted`` (Ctrl-C) or ``terminated (SIGTERM)``."""
    if signal_number() == signal.SIGTERM:
        return "terminated (SIGTERM)"
    return "interrupted"


def reason() -> str:
    """Why a batch stopped, as its summary says (:data:`REASONS`): ``KeyboardInterrupt``
    (Ctrl-C) or ``SIGTERM``."""
    return REASONS.get(signal_number(), signal.Signals(signal_number()).name)
