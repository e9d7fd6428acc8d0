"""Worker processes log where the CLI logs (stderr), never on the command's output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_worker_events_go_to_stderr_with_the_parent_format(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASTROMON_LOG")}
    cmd = [
        sys.executable, "-m", "astromon", "--log-format", "json", "-v",
        "demo", "--observations", "4", "--workers", "2",
        "--db", str(tmp_path / "demo.duckdb"), "--out", str(tmp_path / "report"),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "[info" not in done.stdout and '"event"' not in done.stdout
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    # the per-observation events come from the worker processes, as JSON lines on stderr
    assert {"downloaded", "process"} <= {e.get("event") for e in events}
    assert (tmp_path / "demo.duckdb").exists()
