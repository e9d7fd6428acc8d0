"""Reading CIAO parameter files (the :class:`~astromon.ports.observation.ParameterFiles` port).

The file is read as bytes, gunzipped when it starts with the gzip magic number, decoded as
UTF-8 and parsed by :func:`astromon.domain.observation_rules.parse_par`.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import parse_par

__all__ = ["ParFileReader", "read_par_file"]


def read_par_file(path: Path) -> dict[str, Any]:
    """Read a (possibly gzipped) CIAO parameter file as a dict.

    Raises
    ------
    ProcessingError
        The file cannot be read, is not text, or a row is malformed (the message names the
        file).
    """
    try:
        data = Path(path).read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        text = data.decode()
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise ProcessingError(f"cannot read parameter file {path}: {exc}") from exc
    try:
        return parse_par(text)
    except ValidationError as exc:
        raise ProcessingError(f"corrupt parameter file {path}: {exc}") from exc


class ParFileReader:
    """Reads CIAO parameter files from the local file system."""

    def read(self, path: Path) -> dict[str, Any]:
        """The parameters of the file at ``path`` (see :func:`read_par_file`)."""
        return read_par_file(path)
