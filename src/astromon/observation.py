"""Process a Chandra observation: download, CIAO steps, source detection.

:class:`Observation` takes the observation ports (archive, CIAO, observation info, source
detector, parameter and FITS file readers) from the application object
(:func:`astromon.bootstrap.current`) and runs the steps of
:class:`astromon.services.observation.pipeline.ObservationPipeline`, with the members of the
original ``Observation`` (:mod:`astromon.legacy.observation_names`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from astropy.table import Table

from astromon.bootstrap import current
from astromon.domain.errors import ValidationError
from astromon.domain.observation_results import ProcessResult, Status, StepResult
from astromon.domain.observation_rules import MULTI_OBI, check_obsid, obs_subdir
from astromon.domain.validation import (
    require_choice,
    require_flag,
    require_instance,
    require_names,
    require_path,
    require_text,
)
from astromon.legacy import observation_names as legacy
from astromon.legacy.observation_names import CATEGORY_ID_MAP, ID_CATEGORY_MAP
from astromon.ports.observation import (
    OBSERVATION_SOURCES,
    ArchiveRetriever,
    CiaoRunner,
    ObservationInfo,
    SourceDetector,
)
from astromon.services.observation.pipeline import ObservationPipeline

__all__ = [
    "CATEGORY_ID_MAP",
    "ID_CATEGORY_MAP",
    "Observation",
    "ProcessResult",
    "Status",
    "StepResult",
]


class Observation(ObservationPipeline):
    """Class to encapsulate calls to CIAO and the archives for one observation.

    Parameters
    ----------
    obsid : int
    workdir : pathlib.Path or str, optional
        Top-level working directory (PFILES, ASCDS_WORK_PATH and downloads). The actual one is
        ``{workdir}/obs{obsid//1000:02d}/{obsid}``; a temporary directory when not given.
    source : str
        ``arc5gl``, ``archive`` (CIAO's download_chandra_obsid) or ``https`` (the public
        Chandra archive over HTTPS, no CIAO needed).
    ciao_prefix : str, optional
        Where CIAO is installed (default /soft/ciao).
    archive_dir : pathlib.Path or str, optional
        Top-level archive directory for the result files (same layout as ``workdir``).
    archive_regex : list of str, optional
        Glob patterns of the files to archive (default
        :data:`astromon.domain.observation_rules.DEFAULT_ARCHIVE_PATTERNS`).
    use_ciao : bool
        Without CIAO there are no calls to CIAO tools: the CIAO-only steps report SKIP,
        detection uses ``detector`` (and fails without one), while downloads, ``get_obspar()``
        and ``get_info()`` work from the files.
    retriever, ciao, info, detector : ports, optional
        Injected implementations; defaults come from the application object.
    logger : structlog logger, optional

    Raises
    ------
    ValidationError
        Bad obsid, unknown source, an argument of the wrong type (the message names it), or
        a working directory containing ':' with CIAO.
    ProcessingError
        CIAO is needed but its prefix does not exist.
    """

    def __init__(
        self,
        obsid: int,
        workdir: str | os.PathLike[str] | None = None,
        source: str = "arc5gl",
        ciao_prefix: str | None = None,
        archive_dir: str | os.PathLike[str] | None = None,
        archive_regex: Sequence[str] | None = None,
        use_ciao: bool = True,
        *,
        retriever: ArchiveRetriever | None = None,
        ciao: CiaoRunner | None = None,
        info: ObservationInfo | None = None,
        detector: SourceDetector | None = None,
        logger: Any = None,
    ) -> None:
        obsid = check_obsid(obsid)
        require_text("source", source)
        workdir = require_path("workdir", workdir, optional=True)
        archive_dir = require_path("archive_dir", archive_dir, optional=True)
        ciao_prefix = require_path("ciao_prefix", ciao_prefix, optional=True)
        archive_regex = require_names("archive_regex", archive_regex, optional=True)
        use_ciao = require_flag("use_ciao", use_ciao)
        for name, port, kind in (
            ("retriever", retriever, ArchiveRetriever),
            ("ciao", ciao, CiaoRunner),
            ("info", info, ObservationInfo),
            ("detector", detector, SourceDetector),
        ):
            require_instance(name, port, kind, f"an {kind.__name__}")
        if logger is not None and not callable(getattr(logger, "bind", None)):
            raise ValidationError(f"logger must be a structlog logger, got {logger!r:.80}")
        require_choice("data source", source, OBSERVATION_SOURCES)
        if workdir is not None and ":" in str(Path(workdir).absolute()) and use_ciao:
            raise ValidationError(
                f"working directory must not contain ':' (CIAO PFILES): {workdir}"
            )
        app = current()
        ports = app.observation_ports(
            Path(workdir) / obs_subdir(obsid) if workdir is not None else None,
            source=source,
            ciao_prefix=ciao_prefix,
            use_ciao=use_ciao,
            retriever=retriever,
            ciao=ciao,
            info=info,
            detector=detector,
            logger=logger,
        )
        super().__init__(
            obsid,
            workdir,
            retriever=ports.retriever,
            info=ports.info,
            ciao=ports.ciao,
            detector=ports.detector,
            par_files=app.parameter_files(),
            fits_files=app.observation_files(),
            archive_dir=archive_dir,
            archive_patterns=archive_regex,
            use_ciao=use_ciao,
            logger=logger,
        )
        self.source = source

    # --- members of the original Observation -----------------------------------------------

    @property
    def is_selected(self) -> bool:
        """Whether :meth:`process` processes this observation (a bool; the reason is in
        :meth:`selection`)."""
        legacy.fetched_obspar(self)
        return bool(self.selection()[0])

    @property
    def is_multi_obi(self) -> bool:
        """Whether the obsid is one of the multi-OBI observations (never processed)."""
        return self.obsid in MULTI_OBI

    @property
    def is_hrc(self) -> bool:
        """Whether the instrument (obspar ``instrume``) is HRC."""
        return str(legacy.fetched_obspar(self)["instrument"]).startswith("hrc")

    @property
    def is_acis(self) -> bool:
        """Whether the instrument (obspar ``instrume``) is ACIS."""
        return str(legacy.fetched_obspar(self)["instrument"]).startswith("acis")

    def file_path(self, path: str | os.PathLike[str]) -> Path:
        """The path of a file given relative to the observation's directory.

        The working-directory path, unless the file exists only in the archive directory.

        Raises
        ------
        ValidationError
            ``path`` is absolute.
        """
        return legacy.file_path(self, path)

    def download(
        self, ftypes: Sequence[str] | None = None, revision: int | None = None, force: bool = False
    ) -> StepResult:
        """Fetch file types not present (the obspar first).

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

        Returns
        -------
        StepResult
            ERROR naming the obsid and type when the archive cannot provide the obspar or the
            evt2 file; WARNING naming the others it cannot provide; SKIP when all are present.

        Raises
        ------
        ValidationError
            Unknown file types, or a revision other than the obspar's.
        """
        force = require_flag("force", force)
        ftypes = require_names("ftypes", ftypes, optional=True)
        if revision is not None:
            legacy.check_revision(self, revision)
        if not force:
            return super().download(ftypes)
        return legacy.download_again(self, list(ftypes) if ftypes is not None else None)

    def get_asol_files(self) -> list[Path]:
        """The aspect solution files of the observation (downloaded when missing).

        When the event file names them (header ASOLFILE), only those.

        Raises
        ------
        ProcessingError
            No aspect solution file, or one named by the event file is missing.
        """
        return legacy.asol_files(self)

    def get_calalign(self) -> dict[str, Any] | None:
        """The alignment of the observation's acal file (downloaded when missing).

        Returns
        -------
        dict or None
            aca_align, aca_misalign, fts_misalign (nested lists, the 3x3 matrices of each
            row), obsid and caldb_version (header CALDBVER); None without an acal file.
        """
        return legacy.calalign(self)

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
        return legacy.dmcoords(self, name, **kwargs)

    def get_sources(self, version: str = "celldetect", *, astromon_format: bool = True) -> Table:
        """The sources of ``sources/{obsid}_{version}.src`` as ``astromon_xray_src`` rows.

        With ``astromon_format=False`` the columns of the source list that are not already
        there (same name, any case) are added.
        """
        astromon_format = require_flag("astromon_format", astromon_format)
        table = super().get_sources(version)
        if astromon_format:
            return table
        return legacy.with_source_list_columns(self, table, version)
