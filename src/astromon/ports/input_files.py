"""The input-files port: the small files a user names on the command line.

An obsid list (``process --obsid-file``), offset steps (``report --offsets-file``,
``calalign write --offsets``) and a regions table (``regions add --file``) are read through
this port, whole, so that services parse text and tables and never open a path themselves.
The adapter is ``astromon_adapters.storage.input_files.LocalInputFiles``.

Every refusal is a :class:`~astromon.domain.errors.ValidationError` (a bad value of the
option) whose message starts with what the file is for and its path (``--obsid-file
'batch.txt' does not exist``): nothing there, something that is not a regular file (a FIFO
or a device would block or never end), a file that cannot be read or is not UTF-8 text, a
file that is not a table, or a table naming a column twice (the second would be renamed
and silently ignored).
"""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

from astropy.table import Table

__all__ = ["InputFiles"]


@runtime_checkable
class InputFiles(Protocol):
    """Reads the input files a user names, whole, or refuses them in one line."""

    def read_text(self, path: str | os.PathLike[str], what: str) -> str:
        """The UTF-8 text of the regular file ``path``; ``what`` (``'--obsid-file'``) starts
        the messages.

        Raises
        ------
        ValidationError
            Nothing at ``path``, not a regular file, unreadable, or not UTF-8 text.
        """
        ...

    def read_table(self, path: str | os.PathLike[str], what: str) -> Table:
        """The table in ``path``: ECSV (``.ecsv``), CSV (``.csv``), or another format astropy
        recognises from the file.

        Raises
        ------
        ValidationError
            As :meth:`read_text`, or not a table, or a column name given twice.
        """
        ...
