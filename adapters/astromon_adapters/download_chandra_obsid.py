"""An :class:`~astromon.ports.observation.ArchiveRetriever` running CIAO's
``download_chandra_obsid``.

The tool writes ``{obsid}/primary``, ``{obsid}/secondary`` … below its working directory; the
files of the requested type are then moved into the destination.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import structlog

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import ARCHIVE_FILE_TYPES, check_obsid
from astromon_adapters._files import install_files
from astromon_adapters.ciao import Ciao, run_tool

__all__ = ["DownloadChandraObsid"]


class DownloadChandraObsid:
    """Retrieve observation files from the public archive with ``download_chandra_obsid``.

    Parameters
    ----------
    ciao : Ciao
        Its environment is used to run the tool (part of CIAO), in a scratch directory: the
        tool writes ``{obsid}/primary/...`` below the current directory.
    """

    def __init__(self, ciao: Ciao) -> None:
        self.ciao = ciao
        self.log: Any = structlog.get_logger("astromon.download_chandra_obsid")

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        """Download the ``file_type`` files of ``obsid`` into ``destination``.

        Raises
        ------
        ValidationError
            Unknown file type.
        ProcessingError
            The tool fails (ToolError) or downloads nothing (unknown obsid).
        """
        obsid = check_obsid(obsid)
        if file_type not in ARCHIVE_FILE_TYPES:
            raise ValidationError(
                f"unknown file type {file_type!r}; known: {', '.join(ARCHIVE_FILE_TYPES)}"
            )
        ftype = ARCHIVE_FILE_TYPES[file_type]
        with tempfile.TemporaryDirectory(prefix="astromon_dco_") as tmp:
            scratch = Path(tmp)
            run_tool(
                ["download_chandra_obsid", str(obsid), file_type],
                env=self.ciao.env,
                cwd=scratch,
                logger=self.log,
            )
            files = [p for p in scratch.rglob("*") if p.is_file()]
            written = install_files(files, Path(destination), ftype.glob)
        if not written:
            raise ProcessingError(
                f"download_chandra_obsid found no {file_type} files for obsid {obsid}"
            )
        self.log.info("retrieved", obsid=obsid, file_type=file_type, n_files=len(written))
        return written

    def find_obsids(self, start: str, stop: str) -> list[int]:
        """Not available from download_chandra_obsid."""
        raise ProcessingError(
            "download_chandra_obsid cannot list observations by date; use the arc5gl source"
        )
