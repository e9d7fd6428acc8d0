"""Ports used to process observations: archives, CIAO, observation info, source detection.

:class:`astromon.observation.Observation` drives these ports. Without CIAO
(``use_ciao=False``) it needs only an :class:`ArchiveRetriever`, an :class:`ObservationInfo`,
a :class:`ParameterFiles` reader, an :class:`ObservationFiles` reader and, to detect
sources, a :class:`SourceDetector` (without one the obspar, the info and the downloads still
work and detection fails with an ERROR result); the contract is then:

- ``process()`` downloads (through the retriever) the ``obspar``, ``evt2`` and ``acal`` file
  types, reads the obspar, applies the selection rules, calls
  ``detector.detect(evt2, outdir, obsid, snr)`` with ``outdir`` the ``sources`` directory of the
  working directory (the detector writes ``{obsid}_celldetect.src`` there), reports the
  CIAO-only steps as SKIP, and archives.
- ``get_sources()`` reads that source list (columns RA, DEC, COMPONENT, NET_COUNTS, SNR,
  PSFRATIO) through an :class:`ObservationFiles` reader and computes y/z/r_angle from the
  evt2 header's RA_PNT/DEC_PNT/ROLL_PNT,
  near_neighbor_dist, pileup (0 without a pileup map), acis_streak (0 without streaks) and
  caldb_version (CALDBVER of the ``acal`` file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from astropy.table import Table
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ProcessingError

__all__ = [
    "OBSERVATION_SOURCES",
    "SOURCE_LIST_COLUMNS",
    "ArchiveRetriever",
    "CiaoRunner",
    "ObservationFiles",
    "ObservationInfo",
    "ParameterFiles",
    "SourceDetector",
    "ToolError",
    "ToolchainProbe",
]

OBSERVATION_SOURCES: tuple[str, ...] = ("arc5gl", "archive", "https")
"""Data sources an :class:`ArchiveRetriever` is built for: arc5gl, CIAO's
download_chandra_obsid (``archive``) and the public Chandra archive over HTTPS (``https``)."""


class ToolError(ProcessingError):
    """An external tool (CIAO tool, arc5gl, download_chandra_obsid) exited non-zero.

    Attributes
    ----------
    tool : str
        The tool's name.
    returncode : int
        Its exit status.
    output : list of str
        The lines it wrote (stdout and stderr); the last ones are in the message too.
    """

    def __init__(self, tool: str, returncode: int, output: Sequence[str], command: str = ""):
        self.tool = tool
        self.returncode = returncode
        self.output = list(output)
        self.command = command
        tail = "\n".join(self.output[-20:])
        super().__init__(
            f"{tool} failed with exit status {returncode}"
            + (f" (command: {command})" if command else "")
            + (f":\n{tail}" if tail else " without output")
        )

    @property
    def lines(self) -> tuple[str, ...]:
        """The output lines as a tuple (the name ``CiaoProcessFailure.lines`` had)."""
        return tuple(self.output)


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

    def sequence_summary(self, obsid: int, seq_num: str | None = None) -> Mapping[str, str]:
        """Keys: 'Title', 'PI', 'Observer', 'Subject Category', 'Cycle' (missing ones absent).

        ``seq_num`` is the sequence number of the observation (the obspar's ``seq_num``); the
        summary pages are keyed by it.
        """
        ...


@runtime_checkable
class ParameterFiles(Protocol):
    """Reads CIAO parameter files (``name,type,mode,value,...`` rows, possibly gzipped)."""

    def read(self, path: Path) -> dict[str, Any]:
        """The parameters of the file at ``path``; ProcessingError names a bad or missing file."""
        ...


SOURCE_LIST_COLUMNS: tuple[str, ...] = ("RA", "DEC", "COMPONENT", "NET_COUNTS", "PSFRATIO")
"""Columns every source list has (celldetect's also have SNR; wavdetect's do not)."""


@runtime_checkable
class ObservationFiles(Protocol):
    """Reads and writes the FITS files of an observation's working directory.

    Every method raises ProcessingError naming the file when it is missing, is not FITS or
    lacks what is asked for.
    """

    def header(self, path: Path, extname: str | None = None) -> Mapping[str, Any]:
        """The header of HDU ``extname``; by default of the first binary table, else the
        primary HDU."""
        ...

    def source_list(self, path: Path) -> Table:
        """The source list of a celldetect or wavdetect output file (its first binary table).

        Column names are upper case; it has the columns of :data:`SOURCE_LIST_COLUMNS` and an
        SNR column (NaN for a wavdetect list, which has none). ProcessingError names the
        missing columns.
        """
        ...

    def write_source_list(self, table: Table, path: Path) -> None:
        """Write ``table`` as a FITS source list at ``path``, replacing it at once (never a
        half-written file)."""
        ...

    def pileup_values(self, path: Path, ra: ArrayLike, dec: ArrayLike) -> NDArray[np.float64]:
        """The values of a pileup-map image (a 2-d image with a celestial WCS) at the pixels
        nearest to (ra, dec) in degrees; 0 outside the image."""
        ...

    def streak_regions(self, path: Path) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """The polygons of a FITS region table (``dmmakereg`` output, columns SHAPE, X, Y):
        the vertices (x, y) in sky pixels of each ``polygon`` row; none when the file has no
        table."""
        ...

    def alignment(self, path: Path) -> dict[str, Any]:
        """The alignment of an aspect calibration (``acal``) file, from its first table:
        ``aca_align``, ``aca_misalign``, ``fts_misalign`` (nested lists, 3x3 matrices per row)
        and ``CALDBVER`` (of that table's header, ``""`` when absent)."""
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


@runtime_checkable
class ToolchainProbe(Protocol):
    """Looks at the installation a first real run needs (for ``astromon doctor``).

    Every method raises ProcessingError with the reason when what it looks for is missing or
    broken; nothing is changed on disk or on a server.
    """

    def ciao_environment(self, prefix: str | None) -> Mapping[str, str]:
        """The environment of ``{prefix}/bin/ciao.sh`` (default prefix ``/soft/ciao``)."""
        ...

    def ciao_version(self, env: Mapping[str, str]) -> str:
        """The CIAO release of the environment (from ``ciaover``)."""
        ...

    def caldb_version(self, env: Mapping[str, str]) -> str:
        """The CALDB version of the environment (``$CALDB``'s caldb_version file)."""
        ...

    def find_executable(self, name: str, env: Mapping[str, str] | None = None) -> str:
        """The path of executable ``name`` on the PATH of ``env`` (default: this process)."""
        ...

    def download_types(self, env: Mapping[str, str]) -> list[str]:
        """The file types ``download_chandra_obsid -t -q`` lists."""
        ...

    def arc5gl_user_file(self) -> tuple[Path, str | None]:
        """The arc5gl user file and the user name in it (None when the file is absent)."""
        ...

    def reachable(self, url: str) -> str:
        """GET ``url``; a short description of the answer (an HTTP status below 500)."""
        ...

    def writable(self, path: Path) -> str:
        """Whether a database file can be written at ``path``; a short description."""
        ...
