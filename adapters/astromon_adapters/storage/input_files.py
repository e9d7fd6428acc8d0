"""The input files a user names, read from the local file system (the ``InputFiles`` port).

The path is checked by the input rule (``file_rules.check_input_path``, symbolic links
followed) before it is opened: only a regular file is read, so that a FIFO or a device never
blocks the command. Text is UTF-8.
Tables are read by astropy (format from the suffix for ``.ecsv`` and ``.csv``, otherwise
astropy's own detection). Astropy renames the repeats of a column ``x`` to ``x_1``, ``x_2``...
(numbered from 1); a table where ``x`` and such a ``x_N`` both appear (N below the number of
columns) is refused, because one of the two would be silently ignored. ``dec`` beside
``dec_2000`` is read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

from astropy.table import Table

from astromon.domain.errors import ValidationError
from astromon_adapters.storage.file_rules import check_input_path

__all__ = ["LocalInputFiles"]

_FORMATS: Final = {".csv": "ascii.csv", ".ecsv": "ascii.ecsv"}
_RENAMED: Final = re.compile(r"^(.+)_(\d+)$")


def _refused(what: str, file: Path, why: str) -> ValidationError:
    return ValidationError(f"{what} {str(file)!r}: {why}")


class LocalInputFiles:
    """:class:`astromon.ports.input_files.InputFiles` on the local file system."""

    def read_text(self, path: str | os.PathLike[str], what: str) -> str:
        """See :meth:`astromon.ports.input_files.InputFiles.read_text`."""
        file = check_input_path(path, what, error=ValidationError)
        try:
            return file.read_text(encoding="utf-8")
        except OSError as exc:
            raise _refused(what, file, f"cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise _refused(
                what, file, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None

    def read_table(self, path: str | os.PathLike[str], what: str) -> Table:
        """See :meth:`astromon.ports.input_files.InputFiles.read_table`."""
        file = check_input_path(path, what, error=ValidationError)
        try:
            fmt = _FORMATS.get(file.suffix.lower())
            table = Table.read(file, format=fmt) if fmt else Table.read(file)
        except Exception as exc:  # astropy raises many kinds for a file it cannot read
            text = " ".join(str(exc).split())
            raise _refused(what, file, f"cannot read as a table ({text})") from None
        names = set(table.colnames)
        renamed = (_RENAMED.match(name) for name in table.colnames)
        twice = sorted(
            {
                m.group(1)
                for m in renamed
                if m and m.group(1) in names and 1 <= int(m.group(2)) < len(names)
            }
        )
        if twice:
            raise _refused(what, file, f"the columns {twice} appear twice")
        return table
