"""``astromon daily`` as operations run it: real processes on one database, a real SMTP
server on 127.0.0.1, a SIGKILL in the middle of a run."""

from __future__ import annotations

import email
import os
import signal
import subprocess
import time
from email.policy import default
from pathlib import Path

import pytest
from astromon_adapters.storage.duckdb.store import DuckDBStore

from astromon.domain.daily_run import ObservationNote
from tests.integration.daily_cli import daily_env
from tests.integration.smtp_server import smtp_server

SENDER = "astromon@example.org"
TEAM = ["aca@example.org", "ops@example.org"]
OBSIDS = [1001, 1002, 1003, 1004]


def stored(db: Path) -> list[int]:
    return sorted(int(o) for o in DuckDBStore(db).read_table("astromon_obs")["obsid"])


def test_a_failing_run_mails_the_team_its_summary_and_failures(tmp_path: Path) -> None:
    daily = daily_env(tmp_path, OBSIDS)
    with smtp_server() as server:
        result = daily.run(
            "--smtp", server.address, "--mail-from", SENDER,
            "--mail-to", TEAM[0], "--mail-to", TEAM[1],
            script="1002:error,1004:skip",
        )  # fmt: skip
        messages = list(server.inbox.messages)
    assert result.returncode == 3, result.stderr
    assert "alarm failed_observations: 1 observation failed: 1002" in result.stdout
    [received] = messages
    assert (received.mail_from, received.rcpt_tos) == (SENDER, TEAM)
    mail = email.message_from_bytes(received.content, policy=default)
    assert mail["Subject"] == f"astromon daily on {daily.db}: 1 alarm"
    body = str(mail.get_content()).replace("\r\n", "\n")
    assert "  exit code   3 (partial failure or alarm)\n" in body
    assert "  obsids      2 processed, 1 failed, 1 skipped\n" in body
    assert "Failed observations\n  1002  ProcessingError\n        celldetect failed\n" in body
    [record] = daily.records()
    assert record.processed == (1001, 1003) and record.exit_code == 3
    assert record.failed == (ObservationNote(1002, "ProcessingError", "celldetect failed"),)
    assert stored(daily.db) == [1001, 1003]
    assert (daily.web / "cal" / "index.html").is_file()
    assert (daily.web / "mta" / "index.html").is_file()


def test_an_unreachable_mail_server_changes_nothing_saved(tmp_path: Path) -> None:
    daily = daily_env(tmp_path, OBSIDS)
    with smtp_server() as server:
        address = server.address  # stopped: nothing listens there any more
    result = daily.run("--smtp", address, "--mail-from", SENDER, "--mail-to", TEAM[0],
                       script="1002:error")  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert f"warning: the e-mail was not sent: e-mail not sent through SMTP server {address}" in (
        result.stderr
    )
    [record] = daily.records()
    assert record.processed == (1001, 1003, 1004)
    assert stored(daily.db) == [1001, 1003, 1004]


def _wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_second_run_stops_at_once_and_a_run_after_a_crash_does_only_the_rest(
    tmp_path: Path,
) -> None:
    daily = daily_env(tmp_path, OBSIDS)
    marker = tmp_path / "running"
    # the first run saves 1001 and 1002, then works on 1003 until it is killed
    first = daily.start(script="1003:hang", ASTROMON_TEST_MARKER=str(marker))
    try:
        _wait_for(marker, first)
        began = time.monotonic()
        second = daily.run(timeout=60)
        assert time.monotonic() - began < 30
        assert second.returncode == 1, second.stderr
        [line] = second.stderr.strip().splitlines()
        assert line.startswith(f"error: another astromon daily run is working on {daily.db}")
        assert f"PID {first.pid} on host" in line
        assert daily.records() == []  # the refused run records nothing
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.kill()
        first.communicate()
    assert first.returncode == -signal.SIGKILL
    assert stored(daily.db) == [1001, 1002]
    assert daily.records() == []  # a killed run leaves no partial record
    rerun = daily.run()
    assert rerun.returncode == 0, rerun.stderr
    assert f"the run PID {first.pid} on host" in rerun.stderr  # the takeover is reported
    [record] = daily.records()
    assert record.processed == (1003, 1004)
    assert [(n.obsid, n.reason) for n in record.skipped] == [
        (1001, "already in database"),
        (1002, "already in database"),
    ]
    assert stored(daily.db) == OBSIDS
    history = daily.run("--history")
    assert history.returncode == 0, history.stderr
    assert "exit 0  ok" in history.stdout and "2 processed, 0 failed, 2 skipped" in history.stdout


@pytest.mark.parametrize("days", ["-1", "x"])
def test_bad_days_are_usage_errors(tmp_path: Path, days: str) -> None:
    result = daily_env(tmp_path, OBSIDS).run("--days", days)
    assert result.returncode == 2 and "--days" in result.stderr
