"""An in-memory model of the input-files port, for services tested without a file system.

Modelled on the port's contract (``astromon.ports.input_files``) and on the adapter that
implements it on the local file system (``astromon_adapters.storage.input_files``, whose
paths pass the input rule of ``astromon_adapters.storage.file_rules``): the same
refusals, with the same messages — nothing at a path, something that is not a regular file,
bytes that are not UTF-8, a file that is not a table, a column name given twice. Tables are
text (CSV, ECSV, other ASCII formats); the adapter also reads binary formats by their content.
``tests/integration/test_storage_input_files.py`` runs the same cases on both and compares.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from astropy.table import Table

from astromon.domain.errors import ValidationError


@dataclass
class MemoryInputFiles:
    """Files as bytes by path; ``special`` marks paths holding something else (``'a FIFO
    (named pipe)'``, ``'a directory'``), as the adapter names them."""

    files: dict[str, bytes] = field(default_factory=dict)
    special: dict[str, str] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)

    def add(self, path: str | os.PathLike[str], text: str | bytes) -> Path:
        data = text.encode() if isinstance(text, str) else text
        self.files[str(path)] = data
        return Path(path)

    def _bytes(self, path: str | os.PathLike[str], what: str) -> bytes:
        key = str(Path(path))
        self.reads.append(key)
        if key in self.special:
            raise ValidationError(f"{what} {key!r} is {self.special[key]}, not a regular file")
        if key not in self.files:
            raise ValidationError(f"{what} {key!r} does not exist")
        return self.files[key]

    def read_text(self, path: str | os.PathLike[str], what: str) -> str:
        data = self._bytes(path, what)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            key = str(Path(path))
            raise ValidationError(
                f"{what} {key!r}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None

    def read_table(self, path: str | os.PathLike[str], what: str) -> Table:
        data = self._bytes(path, what)
        key = str(Path(path))
        fmt = {".csv": "ascii.csv", ".ecsv": "ascii.ecsv"}.get(Path(key).suffix.lower())
        try:
            lines = data.decode("utf-8").splitlines()  # astropy reads a list of lines as text
            table = Table.read(lines, format=fmt or "ascii")
        except Exception as exc:
            text = " ".join(str(exc).split())
            raise ValidationError(f"{what} {key!r}: cannot read as a table ({text})") from None
        names = set(table.colnames)  # astropy renames a repeated column x to x_1, x_2...
        split = [n.rsplit("_", 1) for n in names if "_" in n]
        stems = {s for s, n in split if n.isdigit() and 1 <= int(n) < len(names)}
        twice = sorted(stems & names)
        if twice:
            raise ValidationError(f"{what} {key!r}: the columns {twice} appear twice")
        return table
