"""Fake CIAO installation, arc5gl and download_chandra_obsid for integration tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.integration.fake_ciao.tools import TOOLS

REPO_ROOT = Path(__file__).resolve().parents[3]


def install(root: Path, config: dict[str, Any]) -> tuple[Path, Path, Path]:
    """Write fake executables and a CIAO prefix below ``root``.

    Returns (bin directory to put on PATH, CIAO prefix, config file). ``{prefix}/bin/ciao.sh``
    sets ASCDS_INSTALL and puts the fake tools on PATH.
    """
    bin_dir = root / "fakebin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        script = bin_dir / tool
        script.write_text(
            f"#!{sys.executable}\n"
            f"import os, sys\nsys.path.insert(0, {str(REPO_ROOT)!r})\n"
            f"os.environ['FAKE_CIAO_TOOL'] = {tool!r}\n"
            f"from tests.integration.fake_ciao.tools import main\nmain({tool!r})\n"
        )
        script.chmod(0o755)
    prefix = root / "ciao"
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    (prefix / "param").mkdir(exist_ok=True)
    (prefix / "bin" / "ciao.sh").write_text(
        f'export ASCDS_INSTALL="{prefix}"\nexport PATH="{bin_dir}:$PATH"\n'
    )
    config_file = root / "fake_ciao.json"
    config_file.write_text(json.dumps(config))
    return bin_dir, prefix, config_file


def calls(log: Path) -> list[dict[str, Any]]:
    """The calls logged by the fake tools."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
