"""The one rule for Ctrl-C and SIGTERM (astromon.services.interrupts), in small processes.

Each case runs a few lines in a fresh interpreter (the module is light: no numpy), so that
the handlers, the exit codes and what reaches stderr are those of a real process.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from astromon.services import interrupts

ROOT = Path(__file__).resolve().parents[2]


def run(code: str) -> subprocess.CompletedProcess[str]:
    source = "import os, signal, sys, time\nfrom astromon.services import interrupts\n"
    return subprocess.run(
        [sys.executable, "-c", source + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated (SIGTERM)")],
)
def test_each_signal_raises_one_interruption_with_its_exit_code(
    signum: int, code: int, line: str
) -> None:
    result = run(f"""
        interrupts.install()
        try:
            os.kill(os.getpid(), {int(signum)})
            time.sleep(5)
        except KeyboardInterrupt as exc:
            print(type(exc).__name__, exc.signum, interrupts.exit_code(), interrupts.message(),
                  interrupts.reason(), sep="|")
    """)
    assert result.returncode == 0, result.stderr
    reason = "KeyboardInterrupt" if signum == signal.SIGINT else "SIGTERM"
    assert result.stdout.split("|") == ["Interrupted", str(signum), str(code), line, reason + "\n"]


def test_only_the_first_signal_interrupts_so_cleanup_is_not_cut() -> None:
    result = run("""
        interrupts.install()
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            os.kill(os.getpid(), signal.SIGTERM)  # while cleaning up: noted, not raised
            time.sleep(0.05)
            print("cleaned up", interrupts.exit_code())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "cleaned up 130\n"


def test_a_shielded_section_finishes_then_the_interruption_comes() -> None:
    result = run("""
        interrupts.install()
        done = []
        try:
            with interrupts.shielded():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)
                done.append("saved")
                with interrupts.shielded():  # nested: still the outer section's end
                    done.append("recorded")
            print("not here")
        except KeyboardInterrupt:
            print(done, interrupts.exit_code())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['saved', 'recorded'] 143\n"


def test_the_interruption_replaces_an_error_ending_a_shielded_section() -> None:
    """Otherwise a save that failed while Ctrl-C waited would let the batch go on."""
    result = run("""
        interrupts.install()
        try:
            with interrupts.shielded():
                os.kill(os.getpid(), signal.SIGINT)
                raise RuntimeError("the save failed")
        except KeyboardInterrupt as exc:
            print("interrupted after", repr(exc.__context__))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "interrupted after RuntimeError('the save failed')\n"


def test_an_interruption_swallowed_by_a_finalizer_is_sent_again() -> None:
    """Python prints "Exception ignored" for an exception raised in __del__ and goes on."""
    result = run("""
        interrupts.install()
        class Finalized:
            def __del__(self):
                os.kill(os.getpid(), signal.SIGTERM)  # handled here, where it cannot raise
                time.sleep(0.01)
        try:
            Finalized()
            for _ in range(500):
                time.sleep(0.01)
            print("swallowed")
        except KeyboardInterrupt as exc:
            print("interrupted", exc.signum)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "interrupted 15\n"
    assert "Exception ignored" not in result.stderr and "Traceback" not in result.stderr


def test_after_the_command_a_signal_ends_the_process_with_one_line() -> None:
    """Not a traceback from the interpreter's shutdown ("Exception ignored in threading")."""
    result = run("""
        interrupts.install()
        print("done", flush=True)
        interrupts.finish()
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        print("not here")
    """)
    assert result.returncode == 143
    assert result.stdout == "done\n"
    assert result.stderr == "error: terminated (SIGTERM)\n"


def test_without_install_nothing_changes() -> None:
    """The Python API keeps Python's own Ctrl-C: KeyboardInterrupt, and SIGTERM kills."""
    assert signal.getsignal(signal.SIGTERM) is not interrupts._handle
    with interrupts.shielded():  # only marks the section
        pass
    assert not interrupts.interrupting()
    assert interrupts.exit_code() == 130 and interrupts.reason() == "KeyboardInterrupt"


def test_a_stop_that_is_stuck_is_ended_by_a_later_signal() -> None:
    """A cleanup that hangs (a file that never answers) does not make the program unkillable
    but by SIGKILL: a signal after the grace period ends it with its line and code."""
    result = run("""
        interrupts.install()
        interrupts.GRACE_SECONDS = 0.2
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except KeyboardInterrupt:
            os.kill(os.getpid(), signal.SIGINT)  # within the grace period: ignored
            time.sleep(0.3)
            print("still stopping", flush=True)
            os.kill(os.getpid(), signal.SIGINT)  # after it: ends the stuck stop
            time.sleep(5)
            print("not here")
    """)
    assert result.returncode == 143  # the code of the first signal
    assert result.stdout == "still stopping\n"
    assert result.stderr == "error: terminated (SIGTERM)\n"


def test_a_compiled_module_loads_whole_then_the_interruption_comes() -> None:
    """A signal while a compiled module initialises (here the standard library's ``mmap``,
    whose loader is made to send one and run Python code, as DuckDB's does when it creates
    its enums) is raised once the module is loaded, not inside its initialisation."""
    result = run("""
        import importlib.machinery
        assert "mmap" not in sys.modules
        steps = []
        real = importlib.machinery.ExtensionFileLoader.create_module
        def create_module(self, spec):
            steps.append("start")
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # Python code runs here: without the shield it raises here
            module = real(self, spec)
            steps.append("initialised")
            return module
        importlib.machinery.ExtensionFileLoader.create_module = create_module
        interrupts.install()
        try:
            import mmap
            print("not interrupted", steps)
        except KeyboardInterrupt as exc:
            print(steps, type(exc).__name__, exc.signum)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['start', 'initialised'] Interrupted 2\n"


def test_only_compiled_modules_get_the_shielded_loader_and_uninstall_removes_it() -> None:
    result = run("""
        import importlib.util
        interrupts.install()
        compiled = type(importlib.util.find_spec("mmap").loader).__name__
        source = type(importlib.util.find_spec("textwrap").loader).__name__
        interrupts.uninstall()
        after = type(importlib.util.find_spec("mmap").loader).__name__
        print(compiled, source, after)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ShieldedExtensionLoader SourceFileLoader ExtensionFileLoader\n"
