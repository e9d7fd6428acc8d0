"""Table files users give astromon (regions, offset steps): read whole, or refused in one line.

Every refusal is a :class:`~astromon.domain.errors.ValidationError` naming the option and the
file: a path that is not a regular file (a FIFO or a device would block or never end), a file
astropy cannot read as a table, a column name given twice (astropy would rename the second
``x`` to ``x_1`` and one of them would be silently ignored).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from astropy.table import Table

from astromon.domain.errors import ValidationError

__all__ = ["read_table_file"]

_FORMATS = {".csv": "ascii.csv", ".ecsv": "ascii.ecsv"}
_RENAMED = re.compile(r"^(.+)_(\d+)$")


def read_table_file(path: str | os.PathLike[str], option: str) -> Table:
    """The table in ``path`` (CSV and ECSV by suffix, other formats as astropy tells them).

    Raises
    ------
    ValidationError
        ``path`` is missing or not a regular file, cannot be read as a table, or names a
        column twice (the message names ``option``, the file and the column).
    """
    file = Path(path)
    if not file.is_file():
        why = "not a regular file" if file.exists() else "no such file"
        raise ValidationError(f"{option} {str(file)!r}: {why}")
    try:
        fmt = _FORMATS.get(file.suffix.lower())
        table = Table.read(file, format=fmt) if fmt else Table.read(file)
    except Exception as exc:  # astropy raises many kinds for a file it cannot read
        text = " ".join(str(exc).split())
        raise ValidationError(f"{option} {str(file)!r}: cannot read as a table ({text})") from None
    names = set(table.colnames)
    twice = sorted(
        {m.group(1) for m in map(_RENAMED.match, table.colnames) if m and m.group(1) in names}
    )
    if twice:
        raise ValidationError(f"{option} {str(file)!r}: the columns {twice} appear twice")
    return table
