"""Legacy names of :mod:`astromon.observation`: category maps and the members of the
original ``Observation`` that :class:`~astromon.services.observation.steps.ObservationSteps`
lacks.

:class:`LegacyObservation` adds them on top of ObservationSteps, each one built from the
steps, file lookup and ports that class already has. Properties that need the obspar
(``is_selected``, ``is_hrc``, ``is_acis``) download it first when it is missing, as the
original did.
"""

from __future__ import annotations

import collections
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import numpy as np
from astropy.io import fits
from astropy.table import Table

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_results import Status, StepResult
from astromon.domain.observation_rules import ARCHIVE_FILE_TYPES, MULTI_OBI
from astromon.domain.schema import CATEGORIES, CATEGORY_IDS
from astromon.domain.validation import require_flag, require_names, require_path
from astromon.services.observation import sources as src
from astromon.services.observation.steps import ObservationSteps

__all__ = ["CATEGORY_ID_MAP", "ID_CATEGORY_MAP", "LegacyObservation"]

ID_CATEGORY_MAP: Final[Mapping[int, str]] = MappingProxyType(CATEGORIES)
"""Category id → observation category name (10: 'Normal Stars and WD', ... 200: 'Unknown');
read-only."""

CATEGORY_ID_MAP: Final[collections.defaultdict[str, int]] = collections.defaultdict(
    lambda: 200, CATEGORY_IDS
)
"""Lower-case category name → category id; unknown names give 200 (Unknown)."""


class LegacyObservation(ObservationSteps):
    """ObservationSteps with the members of the original ``Observation``.

    See :class:`astromon.observation.Observation` for the parameters.
    """

    # --- properties ------------------------------------------------------------------------

    def _fetched_obspar(self) -> dict[str, Any]:
        if not self.file_glob("*obs0*"):
            self.download([])
        return self.get_obspar()

    @property
    def is_selected(self) -> bool:
        """Whether :meth:`process` processes this observation (a bool; the reason is in
        :meth:`selection`)."""
        self._fetched_obspar()
        return bool(self.selection()[0])

    @property
    def is_multi_obi(self) -> bool:
        """Whether the obsid is one of the multi-OBI observations (never processed)."""
        return self.obsid in MULTI_OBI

    @property
    def is_hrc(self) -> bool:
        """Whether the instrument (obspar ``instrume``) is HRC."""
        return str(self._fetched_obspar()["instrument"]).startswith("hrc")

    @property
    def is_acis(self) -> bool:
        """Whether the instrument (obspar ``instrume``) is ACIS."""
        return str(self._fetched_obspar()["instrument"]).startswith("acis")

    # --- files -----------------------------------------------------------------------------

    def file_path(self, path: str | os.PathLike[str]) -> Path:
        """The path of a file given relative to the observation's directory.

        The working-directory path, unless the file exists only in the archive directory.

        Raises
        ------
        ValidationError
            ``path`` is absolute.
        """
        if Path(require_path("path", path)).is_absolute():
            raise ValidationError(f"Observation.file_path needs a relative path, got {path}")
        in_work = self.workdir / path
        if self.archive_dir is not None and not in_work.exists():
            in_archive = self.archive_dir / path
            if in_archive.exists():
                return in_archive
        return in_work

    def download(
        self, ftypes: Sequence[str] | None = None, revision: int | None = None, force: bool = False
    ) -> StepResult:
        """Fetch file types not present (see ObservationSteps.download).

        Parameters
        ----------
        ftypes : list of str, optional
            Keys of ``archive_file_locations``; default evt2, asol, msk, fov, bpix, dtf (the
            obspar is always fetched first).
        revision : int, optional
            Must be the obspar's revision (the archive gives the files of that revision).
        force : bool
            Fetch again the types already present in the working directory (the obspar only
            when listed); the old files of a type are put back if it cannot be fetched.

        Raises
        ------
        ValidationError
            Unknown file types, or a revision other than the obspar's.
        """
        force = require_flag("force", force)
        ftypes = require_names("ftypes", ftypes, optional=True)
        if revision is not None and (
            isinstance(revision, bool) or not isinstance(revision, int | np.integer)
        ):
            raise ValidationError(f"revision must be an integer, got {revision!r:.80}")
        if revision is not None:
            current = self._fetched_obspar().get("revision")
            if current is None or int(revision) != int(current):
                raise ValidationError(
                    f"download(revision={revision}) is not available: files come in the "
                    f"revision of the obspar ({current})"
                )
        if not force:
            return super().download(ftypes)
        types = list(ftypes) if ftypes is not None else None
        unknown = [t for t in types or [] if t not in ARCHIVE_FILE_TYPES]
        if unknown:
            raise ValidationError(
                f"unknown file types {unknown}; known: {', '.join(ARCHIVE_FILE_TYPES)}"
            )
        return self._download_again(types)

    def _download_again(self, types: list[str] | None) -> StepResult:
        from astromon.domain.observation_rules import DEFAULT_DOWNLOAD

        wanted = ["obspar", *(DEFAULT_DOWNLOAD if types is None else types)]
        backup = Path(tempfile.mkdtemp(prefix=".force-", dir=self.workdir))
        moved: list[tuple[str, Path, Path]] = []
        try:
            for name in dict.fromkeys(wanted):
                if name == "obspar" and "obspar" not in (types or []):
                    continue
                ftype = ARCHIVE_FILE_TYPES[name]
                for path in sorted((self.workdir / ftype.subdir).glob(ftype.glob)):
                    if path.is_file():
                        target = backup / f"{len(moved)}-{path.name}"
                        path.replace(target)
                        moved.append((name, target, path))
            result = super().download(types)
            for name, target, path in moved:
                fetched = result.status != Status.ERROR and self._present(name)
                if not fetched and not path.exists():
                    target.replace(path)
            return result
        finally:
            shutil.rmtree(backup, ignore_errors=True)

    def get_asol_files(self) -> list[Path]:
        """The aspect solution files of the observation (downloaded when missing).

        When the event file names them (header ASOLFILE), only those.

        Raises
        ------
        ProcessingError
            No aspect solution file, or one named by the event file is missing.
        """
        if not self.file_glob("secondary/*asol*"):
            self.download(["asol"])
        files = self.file_glob("secondary/*asol*.fits*")
        evt = self._events()
        header = src.read_header(evt, "EVENTS") if evt is not None else {}
        if "ASOLFILE" in header:
            names = [n.strip() for n in str(header["ASOLFILE"]).split(",") if n.strip()]
            stems = {n.split(".fits")[0] for n in names}
            named = [f for f in files if f.name.split(".fits")[0] in stems]
            missing = stems - {f.name.split(".fits")[0] for f in named}
            if missing:
                raise ProcessingError(
                    f"aspect solution files of obsid {self.obsid} not found: {sorted(missing)}"
                )
            return named
        if not files:
            raise ProcessingError(f"no aspect solution files for obsid {self.obsid}")
        return files

    def get_calalign(self) -> dict[str, Any] | None:
        """The alignment of the observation's acal file (downloaded when missing).

        Returns
        -------
        dict or None
            aca_align, aca_misalign, fts_misalign (nested lists, the 3x3 matrices of each
            row), obsid and caldb_version (header CALDBVER); None without an acal file.
        """
        if not self.file_glob("secondary/*acal*"):
            self.download(["acal"])
        path = self._one("secondary/*acal*.fits*")
        if path is None:
            return None
        try:
            with fits.open(path) as hdus:
                data, header = hdus[1].data, hdus[1].header
                result: dict[str, Any] = {
                    key: np.asarray(data[key]).tolist()
                    for key in ("aca_align", "aca_misalign", "fts_misalign")
                }
        except (OSError, KeyError, IndexError, ValueError) as exc:
            raise ProcessingError(f"cannot read the acal file {path}: {exc}") from exc
        result["obsid"] = self.obsid
        result["caldb_version"] = src.caldb_version(header)
        return result

    # --- CIAO ------------------------------------------------------------------------------

    def dmcoords(self, name: str, **kwargs: Any) -> Any:
        """Run CIAO's dmcoords on the event file (with its aspect solution) and return the
        output parameter ``name`` as a float array.

        Example: ``obs.dmcoords("theta", option="cel", celfmt="deg", ra=20.46, dec=-28.35)``
        (theta in arcmin).

        Raises
        ------
        ProcessingError
            CIAO is disabled, the event file is missing, or dmcoords fails.
        """
        if not self.use_ciao or self.ciao is None:
            raise ProcessingError("dmcoords needs CIAO (this Observation has use_ciao=False)")
        if self._events() is None:
            self.download(["evt2"])
        evt = self._events()
        if evt is None:
            raise ProcessingError(f"no event file for obsid {self.obsid}")
        asol = self.get_asol_files()[0]
        self.ciao.run("punlearn", "dmcoords")
        self.ciao.run("dmcoords", infile=str(evt), asolfile=str(asol), **kwargs)
        return np.array(self.ciao.pget("dmcoords", name)).astype(float)

    # --- sources ---------------------------------------------------------------------------

    def get_sources(self, version: str = "celldetect", *, astromon_format: bool = True) -> Table:
        """The sources of ``sources/{obsid}_{version}.src`` as ``astromon_xray_src`` rows.

        With ``astromon_format=False`` the columns of the source list that are not already
        there (same name, any case) are added.
        """
        astromon_format = require_flag("astromon_format", astromon_format)
        table = super().get_sources(version)
        if astromon_format or len(table) == 0:
            return table
        path = self._one(f"sources/{self.obsid}_{version}.src")
        if path is None:
            return table
        raw = src.read_source_list(path)
        have = {name.lower() for name in table.colnames}
        for name in raw.colnames:
            if name.lower() not in have:
                table[name] = raw[name]
        return table
