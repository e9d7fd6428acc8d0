"""Services read no file themselves: what a user names comes through the input-files port.

An AST scan of ``src/astromon/services`` for the calls that read a file (``open``,
``Path.read_text``/``read_bytes``, ``Table.read``, ``json.load``, ``numpy.loadtxt``,
``fits.open``). The observation pipeline (``services/observation/``) is the one place that
works on files: its workspace is the directory of the tools' own outputs, read through the
observation ports except for the region text that ``acis_streak_map`` writes there.
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "src" / "astromon" / "services"
ALLOWED = {("observation/streaks.py", "read_text")}
MODULE_READERS = {
    ("json", "load"), ("pickle", "load"), ("np", "load"), ("numpy", "load"),
    ("np", "loadtxt"), ("np", "genfromtxt"), ("fits", "open"), ("io", "open"),
    ("gzip", "open"), ("os", "open"), ("Table", "read"), ("QTable", "read"), ("ascii", "read"),
}  # fmt: skip


def file_reads(path: Path) -> list[tuple[str, int]]:
    """The calls of ``path`` that read a file: ``open(...)``, ``module.reader(...)`` and
    ``Path.read_text()``/``read_bytes()`` (no positional argument: a port's ``read_text(path,
    what)`` is not one)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            found.append(("open", node.lineno))
        elif isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if (owner, func.attr) in MODULE_READERS:
                found.append((f"{owner}.{func.attr}", node.lineno))
            elif func.attr in {"read_text", "read_bytes"} and not node.args:
                found.append((func.attr, node.lineno))
    return found


def test_services_read_files_only_through_ports() -> None:
    offenders = []
    for path in sorted(SERVICES.rglob("*.py")):
        relative = path.relative_to(SERVICES).as_posix()
        for name, line in file_reads(path):
            if (relative, name) not in ALLOWED:
                offenders.append(f"services/{relative}:{line}: {name}")
    assert offenders == []


def test_the_scan_finds_each_kind_of_read(tmp_path: Path) -> None:
    """The scan is not blind: each reader it looks for is found in a sample."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import json, numpy as np\nfrom astropy.table import Table\nfrom astropy.io import fits\n"
        "open('a')\nPath('b').read_text()\nPath('c').read_bytes()\nTable.read('d')\n"
        "json.load(f)\nnp.loadtxt('e')\nfits.open('f')\nstore.open_session()\n"
        "files.read_text(path, '--file')\n"
    )
    names = [name for name, _ in file_reads(sample)]
    expected = "open read_text read_bytes Table.read json.load np.loadtxt fits.open"
    assert names == expected.split()
