"""The input-files adapter on the local file system, and the in-memory model of it.

Each refusal is checked on real files (a FIFO, a directory, a dangling link, bytes that are
not UTF-8, a file that is not a table, a column given twice) and the model
(``tests/unit/input_files_fake.py``) is held to the same messages on the same cases, so that
service tests on the model prove what the adapter does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from astromon_adapters.storage.input_files import LocalInputFiles

from astromon.domain.errors import ValidationError
from tests.unit.input_files_fake import MemoryInputFiles

CASES: dict[str, bytes] = {
    "ok.txt": b"14530 14531 # comment\n",
    "latin1.txt": "caf\xe9\n".encode("latin-1"),
    "regions.csv": b"ra,dec,radius\n10.0,20.0,5\n",
    "regions.ecsv": b"# %ECSV 1.0\n# ---\n# datatype:\n# - {name: ra, datatype: float64}\n"
    b"ra\n1.5\n",
    "twice.csv": b"ra,ra,dec\n1,2,3\n",
    "errors.csv": b"ra,ra_err,dec,dec_2000\n1,2,3,4\n",
    "ragged.csv": b"ra,dec\n1,2,3,4\n5\n",
}


def both(tmp_path: Path) -> list[tuple[str, object]]:
    real = LocalInputFiles()
    model = MemoryInputFiles()
    for name, data in CASES.items():
        (tmp_path / name).write_bytes(data)
        model.add(tmp_path / name, data)
    (tmp_path / "dir").mkdir()
    model.special[str(tmp_path / "dir")] = "a directory"
    return [("adapter", real), ("model", model)]


def outcome(call: Callable[[], object]) -> str:
    try:
        result = call()
    except ValidationError as exc:
        return f"refused: {exc}"
    return f"read: {result!s}"


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("ok.txt", "read_text"),
        ("latin1.txt", "read_text"),
        ("missing.txt", "read_text"),
        ("dir", "read_text"),
        ("regions.csv", "read_table"),
        ("regions.ecsv", "read_table"),
        ("twice.csv", "read_table"),
        ("errors.csv", "read_table"),
        ("missing.csv", "read_table"),
        ("dir", "read_table"),
    ],
)
def test_the_model_answers_as_the_adapter(tmp_path: Path, name: str, method: str) -> None:
    answers = {
        who: outcome(lambda files=files: getattr(files, method)(tmp_path / name, "--file"))
        for who, files in both(tmp_path)
    }
    assert answers["model"] == answers["adapter"]


def test_messages_name_the_option_the_file_and_why(tmp_path: Path) -> None:
    files = LocalInputFiles()
    for name, data in CASES.items():
        (tmp_path / name).write_bytes(data)
    assert files.read_text(tmp_path / "ok.txt", "--obsid-file") == "14530 14531 # comment\n"
    table = files.read_table(tmp_path / "regions.csv", "--file")
    assert table.colnames == ["ra", "dec", "radius"] and list(table["ra"]) == [10.0]
    expected = {
        ("missing.txt", "read_text"): " does not exist",
        ("latin1.txt", "read_text"): ": not UTF-8 text (invalid continuation byte at byte 3)",
        ("twice.csv", "read_table"): ": the columns ['ra'] appear twice",
    }
    for (name, method), why in expected.items():
        with pytest.raises(ValidationError) as info:
            getattr(files, method)(tmp_path / name, "--file")
        assert str(info.value) == f"--file {str(tmp_path / name)!r}{why}"
    errors = files.read_table(tmp_path / "errors.csv", "--file")  # not renamed repeats
    assert errors.colnames == ["ra", "ra_err", "dec", "dec_2000"]
    with pytest.raises(ValidationError, match=r"ragged.csv': cannot read as a table \("):
        files.read_table(tmp_path / "ragged.csv", "--file")


def test_what_is_not_a_regular_file_is_refused_without_opening_it(tmp_path: Path) -> None:
    """A FIFO with no writer would block ``open`` for ever; a device would never end."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    dangling = tmp_path / "link.txt"
    dangling.symlink_to(tmp_path / "gone.txt")
    linked = tmp_path / "linked.csv"
    (tmp_path / "real.csv").write_text("a,b\n1,2\n")
    linked.symlink_to(tmp_path / "real.csv")
    files = LocalInputFiles()
    answers: dict[str, str] = {}

    def read_all() -> None:
        answers["fifo"] = outcome(lambda: files.read_text(fifo, "--obsid-file"))
        answers["fifo table"] = outcome(lambda: files.read_table(fifo, "--file"))
        answers["dangling"] = outcome(lambda: files.read_text(dangling, "--obsid-file"))
        answers["device"] = outcome(lambda: files.read_text("/dev/zero", "--obsid-file"))
        answers["directory"] = outcome(lambda: files.read_table(tmp_path, "--file"))
        answers["linked"] = outcome(lambda: files.read_table(linked, "--file"))

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(timeout=30)  # a ceiling that tells a blocked open from a slow machine
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert answers["fifo"] == (
        f"refused: --obsid-file {str(fifo)!r} is a FIFO (named pipe), not a regular file"
    )
    assert answers["fifo table"].endswith("a FIFO (named pipe), not a regular file")
    assert answers["dangling"] == (
        f"refused: --obsid-file {str(dangling)!r} does not exist (a dangling symbolic link)"
    )
    assert answers["device"].endswith("'/dev/zero' is a character device, not a regular file")
    assert answers["directory"].endswith("a directory, not a regular file")
    assert answers["linked"].startswith("read: ") and "1   2" in answers["linked"]
