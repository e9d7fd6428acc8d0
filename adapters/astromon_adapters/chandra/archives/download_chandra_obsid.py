"""An :class:`~astromon.ports.observation.ArchiveRetriever` running CIAO's
``download_chandra_obsid``.

The tool accepts only its own file-type names (``download_chandra_obsid -t -q`` lists them;
there is no ``obspar`` nor ``acal`` type) and exits non-zero naming an unknown one. A type is
asked for as ``download_chandra_obsid OBSID TYPE``; the obspar and the acal file, which have no
type, come from ``download_chandra_obsid OBSID --exclude <every type>`` (a download of the
untyped files only). The tool writes ``OBSID/`` with ``primary/``, ``secondary/`` and
top-level files below its working directory (a scratch directory here); the files of the
requested type are then moved into the destination.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import structlog

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import ARCHIVE_FILE_TYPES, check_obsid
from astromon_adapters.chandra.ciao import Ciao, run_tool
from astromon_adapters.storage.atomic_files import install_files

__all__ = ["DownloadChandraObsid", "parse_type_list"]


def parse_type_list(lines: list[str]) -> list[str]:
    """The file types in the output of ``download_chandra_obsid -t -q``.

    The tool prints a heading ending with ``:`` and then the type names separated by blanks
    (wrapped over several lines).

    Raises
    ------
    ProcessingError
        The output has no heading or no types.
    """
    text = "\n".join(lines)
    _, sep, rest = text.rpartition(":")
    types = rest.split()
    if not sep or not types:
        raise ProcessingError(
            f"cannot read the file types listed by download_chandra_obsid -t -q: {text!r}"
        )
    return types


class DownloadChandraObsid:
    """Retrieve observation files from the public archive with ``download_chandra_obsid``.

    Parameters
    ----------
    ciao : Ciao
        Its environment is used to run the tool (part of CIAO), in a scratch directory.
    """

    def __init__(self, ciao: Ciao) -> None:
        self.ciao = ciao
        self.log: Any = structlog.get_logger("astromon.download_chandra_obsid")
        self._types: list[str] | None = None

    def file_types(self) -> list[str]:
        """The type names the installed tool accepts (``-t -q``, read once)."""
        if self._types is None:
            with tempfile.TemporaryDirectory(prefix="astromon_dco_") as tmp:
                lines = run_tool(
                    ["download_chandra_obsid", "-t", "-q"],
                    env=self.ciao.env,
                    cwd=Path(tmp),
                    logger=self.log,
                )
            self._types = parse_type_list(lines)
        return list(self._types)

    def command(self, obsid: int, file_type: str) -> list[str]:
        """The command line that downloads ``file_type`` of ``obsid``.

        Raises
        ------
        ValidationError
            The astromon type maps to a type name the installed tool does not list.
        """
        ftype = ARCHIVE_FILE_TYPES[file_type]
        known = self.file_types()
        if ftype.dco_type is None:
            return ["download_chandra_obsid", str(obsid), "--exclude", ",".join(known)]
        if ftype.dco_type not in known:
            raise ValidationError(
                f"download_chandra_obsid does not know the file type {ftype.dco_type!r} "
                f"(for {file_type!r}); it lists: {' '.join(known)}"
            )
        return ["download_chandra_obsid", str(obsid), ftype.dco_type]

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        """Download the ``file_type`` files of ``obsid`` into ``destination``.

        Raises
        ------
        ValidationError
            Unknown file type.
        ProcessingError
            The tool fails (ToolError) or downloads nothing (unknown or non-public obsid).
        """
        obsid = check_obsid(obsid)
        if file_type not in ARCHIVE_FILE_TYPES:
            raise ValidationError(
                f"unknown file type {file_type!r}; known: {', '.join(ARCHIVE_FILE_TYPES)}"
            )
        ftype = ARCHIVE_FILE_TYPES[file_type]
        command = self.command(obsid, file_type)
        with tempfile.TemporaryDirectory(prefix="astromon_dco_") as tmp:
            scratch = Path(tmp)
            lines = run_tool(command, env=self.ciao.env, cwd=scratch, logger=self.log)
            files = [p for p in (scratch / str(obsid)).rglob("*") if p.is_file()]
            written = install_files(files, Path(destination), ftype.glob)
        if not written:
            said = "; ".join(line.strip() for line in lines if line.strip())[-300:]
            raise ProcessingError(
                f"download_chandra_obsid found no {file_type} files for obsid {obsid}"
                + (f" ({said})" if said else "")
            )
        self.log.info("retrieved", obsid=obsid, file_type=file_type, n_files=len(written))
        return written

    def find_obsids(self, start: str, stop: str) -> list[int]:
        """Not available from download_chandra_obsid."""
        raise ProcessingError(
            "download_chandra_obsid cannot list observations by date; use the arc5gl source"
        )
