"""Ctrl-C and SIGKILL of a real ``astromon`` process: one line and exit 130, what finished is
saved, no worker process, resource tracker or traceback is left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from astromon.cli.commands.demo import TEMP_PREFIX
from tests.integration.test_cli_subprocess import (
    assert_rerun_completes,
    assert_whole,
    env,
    obsids_in,
    run,
    start,
    start_hanging_batch,
)


def session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes of session ``sid``, read from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(entry))
    return found


def wait_until_gone(sid: int, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := session_processes(sid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def wait_for_workers(proc: subprocess.Popen[str], count: int, timeout: float = 60.0) -> None:
    """Wait until the session of ``proc`` has ``count`` processes (parent, tracker, workers)."""
    deadline = time.monotonic() + timeout
    while len(session_processes(proc.pid)) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.01)


def no_traceback(err: str) -> None:
    assert "Traceback" not in err, err
    assert "KeyboardInterrupt" not in err, err


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@pytest.mark.slow
def test_killed_batch_keeps_what_it_finished_and_leaves_no_worker(tmp_path: Path) -> None:
    db = tmp_path / "killed.duckdb"
    proc = start_hanging_batch(db, tmp_path / "marker", workers=2)
    assert len(session_processes(proc.pid)) >= 3  # astromon, resource tracker, workers
    time.sleep(1.0)  # the other worker goes on with 14 and 15
    proc.kill()  # SIGKILL while obsid 13 runs
    proc.communicate(timeout=60)  # returns: no worker holds the output pipes any more
    assert proc.returncode == -signal.SIGKILL
    assert wait_until_gone(proc.pid) == []
    done = obsids_in(db)
    assert 13 not in done and len(done) >= 1
    assert_whole(db, done)
    assert_rerun_completes(db, done)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_keeps_what_it_finished(tmp_path: Path, workers: int) -> None:
    db = tmp_path / "interrupted.duckdb"
    proc = start_hanging_batch(db, tmp_path / "marker", workers=workers)
    if workers > 1:  # give the other worker time to go on with 14 and 15
        time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "error: interrupted"
    no_traceback(err)
    assert "(interrupted: KeyboardInterrupt)" in out
    if workers == 1:
        done = [11, 12]
        assert "interrupted (nothing stored): 1: 13" in out
        assert "not run: 2: 14 15" in out
        assert "failed" in out and "failed (" not in out  # nothing is counted as failed
    else:  # the other worker went on while 13 hung: what it finished is saved
        done = obsids_in(db)
        assert 13 not in done and {11, 12} <= set(done)
        assert "interrupted (nothing stored)" in out and " 13" in out.split("interrupted (")[1]
    assert f"5 obsids: {len(done)} saved" in out
    assert f"saved: {len(done)}: {' '.join(map(str, sorted(done)))}" in out
    assert wait_until_gone(proc.pid) == []
    assert_whole(db, done)
    assert_rerun_completes(db, done)


def start_demo(tmp_path: Path, temp: Path) -> subprocess.Popen[str]:
    temp.mkdir(exist_ok=True)
    return start(
        "demo", "-n", "8", "--workers", "2", "--db", str(tmp_path / "d.duckdb"), "--out",
        str(tmp_path / "report"), TMPDIR=str(temp),
    )  # fmt: skip


@pytest.mark.slow
def test_ctrl_c_while_the_application_is_imported(tmp_path: Path) -> None:
    """Ctrl-C while the console script is still importing the application.

    ``-X importtime`` reports each import on stderr as it completes: the signal is sent when
    Typer (the first import of the application) is in, long before the application is.
    """
    code = "from astromon.cli.entry import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-c", code, "--db", str(tmp_path / "x.db"), "tables"],
        cwd=tmp_path,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("import time:") and line.rstrip().endswith("typer"):
            break
    os.killpg(proc.pid, signal.SIGINT)
    seen.append(proc.stderr.read())
    proc.wait(timeout=60)
    lines = "".join(seen).splitlines()
    err = "\n".join(line for line in lines if not line.startswith("import time:"))
    no_traceback(err)
    assert proc.returncode == 130, err
    assert err.strip() == "error: interrupted", err


CTRL_C_IN_DUCKDB_INIT = """
import os, signal, sys
from pathlib import Path
marker = Path(sys.argv.pop(1))

def loading(frame):
    # The name of the compiled module whose loader runs below this frame, if any.
    while frame is not None:
        if frame.f_code.co_name in ("create_module", "exec_module"):
            owner = frame.f_locals.get("spec") or frame.f_locals.get("module")
            return getattr(owner, "name", None) or getattr(owner, "__name__", None)
        frame = frame.f_back
    return None

def profile(frame, event, arg):
    # The first enum function that DuckDB's compiled module calls while it initialises
    # (it creates Python enums): Ctrl-C right there, once.
    if event == "call" and frame.f_code.co_filename.endswith("enum.py"):
        if not marker.exists() and loading(frame) == "_duckdb":
            marker.write_text(frame.f_code.co_name)
            os.kill(os.getpid(), signal.SIGINT)

sys.setprofile(profile)
from astromon.cli.entry import main
main()
"""


@pytest.mark.parametrize("args", [["db", "check"], ["regions", "add", "--ra", "10", "--dec", "20"]])
def test_ctrl_c_while_duckdb_initialises(tmp_path: Path, args: list[str]) -> None:
    """Ctrl-C inside the initialisation of DuckDB's compiled module (imported at the first
    database access): exit 130 and one line, the database as it was. Raised there, the
    interruption aborted the process ("Critical nanobind error", exit code 134; 1 round in 25
    of the signal loop)."""
    db = tmp_path / "x.duckdb"
    made = run("--db", str(db), "regions", "add", "--ra", "1", "--dec", "2", "--user", "t")
    assert made.returncode == 0, made.stderr
    before = db.read_bytes()
    marker = tmp_path / "sent"
    result = subprocess.run(
        [sys.executable, "-c", CTRL_C_IN_DUCKDB_INIT, str(marker), "--db", str(db), *args],
        cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert marker.exists(), "DuckDB's initialisation ran no Python code: nothing was sent"
    no_traceback(result.stderr)
    assert "nanobind" not in result.stderr, result.stderr
    assert result.returncode == 130, result.stderr
    assert result.stderr == "error: interrupted\n"
    assert db.read_bytes() == before


def test_ctrl_c_as_the_demo_starts_its_workers(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    proc = start_demo(tmp_path, temp)
    wait_for_workers(proc, 3)  # at once, while the workers are still importing
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert err.strip() == "error: interrupted", err
    assert wait_until_gone(proc.pid) == []
    assert list(temp.iterdir()) == []  # the temporary directory is removed
    assert not (tmp_path / "d.duckdb").exists()


@pytest.mark.slow
def test_killed_demo_leaves_no_worker_and_its_directory_is_cleaned_next_time(
    tmp_path: Path,
) -> None:
    temp = tmp_path / "tmp"
    proc = start_demo(tmp_path, temp)
    wait_for_workers(proc, 4)
    proc.kill()
    proc.communicate(timeout=60)
    assert wait_until_gone(proc.pid) == []  # workers and resource tracker are gone too
    left = [p.name for p in temp.iterdir()]
    assert len(left) == 1 and left[0].startswith(f"{TEMP_PREFIX}{proc.pid}-")
    # the next demo removes it as it starts (and its own as it ends)
    again = run("demo", "-n", "2", "--workers", "1", "--db", str(tmp_path / "e.duckdb"),
                "--out", str(tmp_path / "report2"), TMPDIR=str(temp))  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert list(temp.iterdir()) == []


HARNESS = Path(__file__).with_name("signal_harness.py")


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["INT", "TERM"])
@pytest.mark.parametrize("command", ["process", "demo", "report", "cross-match", "daily"])
def test_signals_at_random_moments(tmp_path: Path, command: str, signame: str) -> None:
    """25 rounds of each signal per long command (50 per command): after every one the exit
    code and the one stderr line, no process or staging left, the database as reported
    (tests/integration/signal_harness.py)."""
    seed = 20261124 + (signame == "TERM")
    result = subprocess.run(
        [sys.executable, str(HARNESS), "--command", command, "--signal", signame,
         "--rounds", "25", "--seed", str(seed), "--workdir", str(tmp_path)],
        capture_output=True, text=True, env=env(), timeout=560, check=False,
    )  # fmt: skip
    assert result.stdout, result.stderr
    summary = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(summary["failures"][:3], indent=1)
    assert summary["rounds"] == 25 and not summary["failures"]
    assert summary["interrupted_in_flight"] >= 15, summary  # most signals came mid-command
