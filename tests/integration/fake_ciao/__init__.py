"""Fake CIAO installation, arc5gl and download_chandra_obsid for integration tests."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.integration.fake_ciao.tools import TOOLS

REPO_ROOT = Path(__file__).resolve().parents[3]


def _write_caldb(root: Path, version: str) -> Path:
    """A CALDB tree with its version file (docs/chandra/caldb_version/caldb_version.fits)."""
    from astropy.io import fits

    caldb = root / "caldb"
    version_dir = caldb / "docs" / "chandra" / "caldb_version"
    version_dir.mkdir(parents=True, exist_ok=True)
    hdu = fits.BinTableHDU.from_columns(
        [fits.Column("CALDB_VER", "8A", array=[version])], name="CALDB_VERSION"
    )
    hdu.header["CALDBVER"] = version
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(version_dir / "caldb_version.fits")
    return caldb


def install(
    root: Path,
    config: dict[str, Any],
    *,
    missing: Iterable[str] = (),
    caldb: str | None = "4.11.0",
) -> tuple[Path, Path, Path]:
    """Write fake executables and a CIAO prefix below ``root``.

    Returns (bin directory to put on PATH, CIAO prefix, config file). ``{prefix}/bin/ciao.sh``
    sets ASCDS_INSTALL and CALDB (a CALDB tree of version ``caldb``; none when None) and puts
    the fake tools on PATH. Tools named in ``missing`` are not installed (a broken
    installation).
    """
    bin_dir = root / "fakebin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    skipped = set(missing)
    for tool in TOOLS:
        if tool in skipped:
            continue
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
    lines = [f'export ASCDS_INSTALL="{prefix}"', f'export PATH="{bin_dir}:$PATH"']
    if caldb is not None:
        lines.append(f'export CALDB="{_write_caldb(root, caldb)}"')
    (prefix / "bin" / "ciao.sh").write_text("\n".join(lines) + "\n")
    config_file = root / "fake_ciao.json"
    config_file.write_text(json.dumps(config))
    return bin_dir, prefix, config_file


def calls(log: Path) -> list[dict[str, Any]]:
    """The calls logged by the fake tools."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
