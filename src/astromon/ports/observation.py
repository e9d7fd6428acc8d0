"""Ports used to process observations: archives, CIAO, observation info, source detection."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["ArchiveRetriever", "CiaoRunner", "ObservationInfo", "SourceDetector"]


@runtime_checkable
class ArchiveRetriever(Protocol):
    """Fetches the files of an observation from an archive (arc5gl, Chandra archive...)."""

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        """Download the files of ``file_type`` (obspar, evt2, asol, ...) into ``destination``.

        Returns the paths written. Raises ProcessingError naming the obsid and file type when
        the archive cannot provide them.
        """
        ...

    def find_obsids(self, start: str, stop: str) -> list[int]:
        """Obsids of the observations that started between two Chandra dates."""
        ...


@runtime_checkable
class CiaoRunner(Protocol):
    """Runs CIAO tools."""

    def run(self, tool: str, *args: str, **params: object) -> list[str]:
        """Run ``tool args key=value...``; returns the output lines.

        Raises ProcessingError carrying the output lines when the tool exits non-zero.
        """
        ...

    def pget(self, tool: str, param: str = "value") -> str:
        """The value of a tool's parameter (CIAO ``pget``)."""
        ...


@runtime_checkable
class ObservationInfo(Protocol):
    """The sequence summary of an observation (title, PI, observer, subject category, cycle)."""

    def sequence_summary(self, obsid: int) -> Mapping[str, str]:
        """Keys: 'Title', 'PI', 'Observer', 'Subject Category', 'Cycle' (missing ones absent)."""
        ...


@runtime_checkable
class SourceDetector(Protocol):
    """Detects x-ray point sources in an observation's event file.

    The CIAO implementation runs fluximage and celldetect; another one may work without CIAO.
    """

    def detect(self, evt2: Path, outdir: Path, obsid: int, snr: float = 3.0) -> Path:
        """Detect sources in ``evt2`` and write a source list in ``outdir``.

        The source list is a FITS table with at least the columns RA, DEC (degrees), COMPONENT,
        NET_COUNTS, SNR and PSFRATIO. Returns its path.
        """
        ...
