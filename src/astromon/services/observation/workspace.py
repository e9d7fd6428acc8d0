"""The working directory of one observation: its obsid, directories, files and obspar.

:class:`ObservationWorkspace` is the state the steps share: where the observation's files are
(``{workdir}/obs{obsid//1000:02d}/{obsid}``, and the same layout under the archive directory)
and its parsed obspar. It runs nothing and holds no port; the steps
(:mod:`astromon.services.observation.steps`) take it with the ports they need.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import (
    ARCHIVE_FILE_TYPES,
    DEFAULT_ARCHIVE_PATTERNS,
    band,
    check_obsid,
    obs_subdir,
    obspar_fields,
)
from astromon.ports.observation import ParameterFiles

__all__ = ["OBSPAR_PATTERN", "ObservationWorkspace"]

OBSPAR_PATTERN = "*obs0*.par*"
"""Glob of the obspar file (``axaf{obsid}N{version}_obs0a.par.gz``) in the workspace."""


class ObservationWorkspace:
    """The files of one observation.

    Parameters
    ----------
    obsid : int
    workdir : path or None
        Top-level working directory; the observation's is ``{workdir}/obs{obsid//1000:02d}/
        {obsid}`` (created). A temporary directory (removed with the object) when None.
    archive_dir : path, optional
        Top-level archive directory (same layout as the working directory).
    archive_patterns : sequence of str, optional
        Glob patterns of the files to archive (default
        :data:`~astromon.domain.observation_rules.DEFAULT_ARCHIVE_PATTERNS`).
    logger : structlog logger, optional
        Bound to the obsid as :attr:`log`.

    Raises
    ------
    ValidationError
        Bad obsid.
    """

    def __init__(
        self,
        obsid: int,
        workdir: str | os.PathLike[str] | None,
        *,
        archive_dir: str | os.PathLike[str] | None = None,
        archive_patterns: Sequence[str] | None = None,
        logger: Any = None,
    ) -> None:
        self.obsid = check_obsid(obsid)
        if workdir is None:
            temporary = tempfile.mkdtemp(prefix="astromon_obs_")
            weakref.finalize(self, shutil.rmtree, temporary, ignore_errors=True)
            top = Path(temporary)
        else:
            top = Path(workdir)
        self.workdir = top / obs_subdir(self.obsid)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.archive_dir = Path(archive_dir) / obs_subdir(self.obsid) if archive_dir else None
        self.archive_patterns = list(archive_patterns or DEFAULT_ARCHIVE_PATTERNS)
        self.log: Any = (logger or structlog.get_logger("astromon.observation")).bind(
            obsid=self.obsid
        )
        self._obspar: dict[str, Any] | None = None

    # --- finding files -----------------------------------------------------------------------

    def file_glob(self, pattern: str) -> list[Path]:
        """Files matching ``pattern`` (relative glob) in the working directory, else the archive.

        Raises
        ------
        ValidationError
            ``pattern`` is not a relative glob pattern.
        """
        if not isinstance(pattern, str) or not pattern or Path(pattern).is_absolute():
            raise ValidationError(f"pattern must be a relative glob pattern, got {pattern!r:.80}")
        for root in (self.workdir, self.archive_dir):
            if root is not None and root.is_dir():
                found = sorted(p for p in root.glob(pattern) if not p.name.startswith("."))
                if found:
                    return found
        return []

    def find(self, pattern: str) -> Path | None:
        """The first file matching ``pattern`` (see :meth:`file_glob`), None when there is none."""
        found = self.file_glob(pattern)
        return found[0] if found else None

    def path(self, relative: str) -> Path:
        """The path of ``relative`` in the working directory (where steps write)."""
        return self.workdir / relative

    def exists(self, path: Path) -> bool:
        """Whether ``path`` (in the working directory) exists there or in the archive."""
        if path.exists():
            return True
        if self.archive_dir is not None:
            try:
                return (self.archive_dir / path.relative_to(self.workdir)).exists()
            except ValueError:
                return False
        return False

    def present(self, file_type: str) -> bool:
        """Whether files of an archive file type (a key of ``ARCHIVE_FILE_TYPES``) are here."""
        ftype = ARCHIVE_FILE_TYPES[file_type]
        return bool(self.file_glob(f"{ftype.subdir}/{ftype.glob}"))

    def raw_evt2(self) -> Path | None:
        """The level-2 event file from the archive (not the filtered one)."""
        for path in self.file_glob("primary/*evt2*.fits*"):
            if "_filtered" not in path.name:
                return path
        return None

    def events(self) -> Path | None:
        """The event file the images are made of: the filtered one, else the level-2 file."""
        filtered = self.find(f"primary/{self.obsid}_evt2_filtered.fits.gz")
        return filtered or self.raw_evt2()

    def image(self, energy_band: str, suffix: str) -> Path:
        """``images/{obsid}_{band}_{suffix}`` in the working directory."""
        return self.path(f"images/{self.obsid}_{energy_band}_{suffix}")

    def ancillary_files(self) -> dict[str, str]:
        """The aspect solution, bad-pixel, mask and dead-time files present, as CIAO
        parameters (``asolfile``, ``badpixfile``, ``maskfile``, ``dtffile``)."""
        found = {}
        asol = self.file_glob("secondary/*asol*.fits*")
        if asol:
            found["asolfile"] = ",".join(str(p) for p in asol)
        for param, pattern in (
            ("badpixfile", "primary/*_bpix1.fits*"),
            ("maskfile", "secondary/*_msk1.fits*"),
            ("dtffile", "primary/*_dtf1.fits*"),
        ):
            path = self.find(pattern)
            if path is not None:
                found[param] = str(path)
        return found

    # --- the obspar --------------------------------------------------------------------------

    def has_obspar(self) -> bool:
        """Whether the obspar file is here."""
        return self.find(OBSPAR_PATTERN) is not None

    def obspar(self, reader: ParameterFiles) -> dict[str, Any]:
        """The obs0 parameters plus instrument, obsid, target, date_obs, ra/dec/roll, version
        (:func:`~astromon.domain.observation_rules.obspar_fields`), read once with ``reader``.

        Raises
        ------
        ProcessingError
            No obspar file (download first) or a corrupt one.
        """
        if self._obspar is None:
            path = self.find(OBSPAR_PATTERN)
            if path is None:
                raise ProcessingError(
                    f"no obspar file for obsid {self.obsid} in {self.workdir}"
                    + (f" or {self.archive_dir}" if self.archive_dir else "")
                )
            self._obspar = obspar_fields(reader.read(path))
        return dict(self._obspar)

    def band(self, reader: ParameterFiles) -> str:
        """``wide`` (HRC) or ``broad`` (ACIS), from the obspar's instrument."""
        return band(self.obspar(reader)["instrument"])
