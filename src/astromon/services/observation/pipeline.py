"""One observation's processing: its workspace and the ports, with the steps as methods.

:class:`ObservationPipeline` composes an
:class:`~astromon.services.observation.workspace.ObservationWorkspace` (the state: obsid,
directories, files, obspar) and :class:`~astromon.services.observation.runner.StepPorts`
(archive, CIAO, info, detector, file readers); each method calls a step function of
:mod:`~astromon.services.observation.steps` or :mod:`~astromon.services.observation.transfer`
with them. :meth:`ObservationPipeline.process` runs the standard sequence.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from astropy.table import Table

from astromon.domain.errors import AstromonError, ValidationError
from astromon.domain.observation_results import ProcessResult, Status, StepResult
from astromon.domain.observation_rules import (
    ARCHIVE_FILE_TYPES,
    DEFAULT_DOWNLOAD,
    check_obsid,
    is_selected,
)
from astromon.domain.schema import category_id
from astromon.domain.validation import require_names, require_path
from astromon.ports.observation import (
    ArchiveRetriever,
    CiaoRunner,
    ObservationFiles,
    ObservationInfo,
    ParameterFiles,
    SourceDetector,
)
from astromon.services.observation import sources, steps, transfer
from astromon.services.observation.runner import StepPorts, step_error
from astromon.services.observation.workspace import ObservationWorkspace

__all__ = ["ObservationPipeline"]


class ObservationPipeline:
    """Processing of one observation: download, CIAO steps, source detection, over the ports.

    Parameters
    ----------
    obsid : int
    workdir : path or None
        Top-level working directory; the observation's is ``{workdir}/obs{obsid//1000:02d}/
        {obsid}``. A temporary directory (removed with the object) when None.
    retriever : ArchiveRetriever
    info : ObservationInfo or None
    ciao : CiaoRunner or None
        Needed when ``use_ciao`` is True.
    detector : SourceDetector or None
        Used instead of CIAO's celldetect when ``use_ciao`` is False; without one (and without
        CIAO) source detection fails with a message saying so, but the obspar, the info and
        the downloads still work.
    par_files : ParameterFiles
        Reads the obspar file.
    fits_files : ObservationFiles
        Reads and writes the FITS files (headers, source lists, pileup map, streak regions).
    archive_dir : path or None
        Top-level archive directory (same layout as the working directory).
    archive_patterns : sequence of str or None
        Glob patterns of the files to archive (default
        :data:`~astromon.domain.observation_rules.DEFAULT_ARCHIVE_PATTERNS`).
    use_ciao : bool
    logger : structlog logger, optional

    Raises
    ------
    ValidationError
        Bad obsid, a working directory containing ':' with CIAO, CIAO without a runner, no
        parameter-file or FITS reader.
    """

    archive_file_locations = ARCHIVE_FILE_TYPES
    """File types that :meth:`download` accepts."""

    def __init__(
        self,
        obsid: int,
        workdir: str | os.PathLike[str] | None,
        *,
        retriever: ArchiveRetriever,
        info: ObservationInfo | None = None,
        ciao: CiaoRunner | None = None,
        detector: SourceDetector | None = None,
        par_files: ParameterFiles | None = None,
        fits_files: ObservationFiles | None = None,
        archive_dir: str | os.PathLike[str] | None = None,
        archive_patterns: Sequence[str] | None = None,
        use_ciao: bool = True,
        logger: Any = None,
    ) -> None:
        obsid = check_obsid(obsid)
        if use_ciao and workdir is not None and ":" in str(Path(workdir).absolute()):
            raise ValidationError(
                f"working directory must not contain ':' (CIAO PFILES): {workdir}"
            )
        if use_ciao and ciao is None:
            raise ValidationError("use_ciao=True needs a CIAO runner")
        if par_files is None:
            raise ValidationError("a parameter-file reader (par_files=...) is needed")
        if fits_files is None:
            raise ValidationError("a FITS file reader (fits_files=...) is needed")
        self.workspace = ObservationWorkspace(
            obsid, workdir, archive_dir=archive_dir, archive_patterns=archive_patterns,
            logger=logger,
        )  # fmt: skip
        self.ports = StepPorts(
            retriever=retriever, par_files=par_files, fits_files=fits_files, info=info,
            ciao=ciao if use_ciao else None, detector=detector,
        )  # fmt: skip
        self.ciao = ciao
        self.use_ciao = use_ciao

    # --- the state, by its former names ------------------------------------------------------

    @property
    def obsid(self) -> int:
        """The observation id."""
        return self.workspace.obsid

    @property
    def workdir(self) -> Path:
        """The observation's working directory."""
        return self.workspace.workdir

    @property
    def archive_dir(self) -> Path | None:
        """The observation's archive directory (None without one)."""
        return self.workspace.archive_dir

    @property
    def archive_regex(self) -> list[str]:
        """Glob patterns of the files :meth:`archive` copies by default (settable)."""
        return self.workspace.archive_patterns

    @archive_regex.setter
    def archive_regex(self, patterns: Sequence[str]) -> None:
        self.workspace.archive_patterns = list(require_names("archive_regex", patterns))

    @property
    def log(self) -> Any:
        """The structlog logger bound to the obsid."""
        return self.workspace.log

    @property
    def retriever(self) -> ArchiveRetriever:
        """The archive the files come from."""
        return self.ports.retriever

    @property
    def info(self) -> ObservationInfo | None:
        """The source of sequence summaries."""
        return self.ports.info

    @property
    def detector(self) -> SourceDetector | None:
        """The source detector used without CIAO."""
        return self.ports.detector

    @property
    def par_files(self) -> ParameterFiles:
        """The obspar reader."""
        return self.ports.par_files

    @property
    def fits_files(self) -> ObservationFiles:
        """The FITS file reader."""
        return self.ports.fits_files

    @property
    def band(self) -> str:
        """``wide`` (HRC) or ``broad`` (ACIS)."""
        return self.workspace.band(self.ports.par_files)

    def file_glob(self, pattern: str) -> list[Path]:
        """Files matching ``pattern`` (relative glob) in the working directory, else the archive.

        Raises
        ------
        ValidationError
            ``pattern`` is not a relative glob pattern.
        """
        return self.workspace.file_glob(pattern)

    # --- obspar, info, selection -------------------------------------------------------------

    def get_obspar(self) -> dict[str, Any]:
        """The obs0 parameters plus instrument, obsid, target, date_obs, ra/dec/roll, version.

        Raises
        ------
        ProcessingError
            No obspar file (download first) or a corrupt one.
        """
        return self.workspace.obspar(self.ports.par_files)

    def get_info(self) -> dict[str, Any]:
        """The obspar plus the sequence summary ('NO MATCH' category when absent), category_id.

        The summary is looked up by the obspar's ``seq_num``; when it cannot be had (no
        network, no page) the category is 'NO MATCH' and a warning is logged.
        """
        info = self.get_obspar()
        summary: dict[str, str] = {}
        seq_num = str(info.get("seq_num", "")).strip() or None
        if self.ports.info is not None:
            try:
                summary = dict(self.ports.info.sequence_summary(self.obsid, seq_num=seq_num))
            except AstromonError as exc:
                self.log.warning("sequence summary unavailable", error=str(exc))
        info.update(summary)
        info.setdefault("Subject Category", "NO MATCH")
        info["category_id"] = category_id(info["Subject Category"])
        return info

    def selection(self) -> tuple[bool, str]:
        """Whether :meth:`process` processes this observation, and why not (empty when it
        does); see :func:`astromon.domain.observation_rules.is_selected`."""
        return is_selected(self.get_obspar())

    # --- the steps ---------------------------------------------------------------------------

    def download(self, ftypes: Sequence[str] | None = None) -> StepResult:
        """Fetch file types (default: obspar plus evt2, asol, msk, fov, bpix, dtf) not present.

        The obspar comes first. ERROR naming the obsid and type when the archive cannot
        provide the obspar or the evt2 file; WARNING naming the others it cannot provide.
        """
        ftypes = require_names("ftypes", ftypes, optional=True)
        return transfer.download(self.workspace, self.ports.retriever, ftypes)

    def archive(self, *regex: str, destination: str | os.PathLike[str] | None = None) -> StepResult:
        """Copy the files matching the patterns (default ``archive_regex``) to the archive.

        Files are copied to a hidden temporary name and renamed, so the archive never holds a
        half-written file; identical files (same size and time) are not copied again.
        """
        patterns = require_names("regex", list(regex))
        destination = require_path("destination", destination, optional=True)
        target = Path(destination) if destination is not None else None
        return transfer.archive(self.workspace, patterns, target)

    def filter_events(self, radius: Any = 180, psfratio: float = 1) -> StepResult:
        """Keep the events within ``radius`` arcsec of the pointing; see
        :func:`astromon.services.observation.steps.filter_events`."""
        return steps.filter_events(self.workspace, self.ports, radius, psfratio)

    def make_images(self, evt: str | os.PathLike[str] | None = None) -> StepResult:
        """fluximage images (and, for ACIS, the pileup map and streak regions); see
        :func:`astromon.services.observation.steps.make_images`."""
        return steps.make_images(self.workspace, self.ports, evt)

    def run_celldetect(self, snr: float = 3) -> StepResult:
        """celldetect and psfsize_srcs, or the detector without CIAO; see
        :func:`astromon.services.observation.steps.run_celldetect`."""
        return steps.run_celldetect(self.workspace, self.ports, snr)

    def run_wavdetect(
        self, edition: str, skip_exist: bool = False, scales: str = "1.4 2 4 8 16 32"
    ) -> StepResult:
        """wavdetect then psfsize_srcs; see
        :func:`astromon.services.observation.steps.run_wavdetect`."""
        return steps.run_wavdetect(self.workspace, self.ports, edition, skip_exist, scales)

    def filter_sources(self, radius: Any = 180, psfratio: float = 1) -> StepResult:
        """Keep the point sources near the pointing; see
        :func:`astromon.services.observation.steps.filter_sources`."""
        return steps.filter_sources(self.workspace, self.ports, radius, psfratio)

    def calculate_centroids(self) -> StepResult:
        """dmstat centroids of the celldetect sources; see
        :func:`astromon.services.observation.steps.calculate_centroids`."""
        return steps.calculate_centroids(self.workspace, self.ports)

    def repro(self) -> StepResult:
        """chandra_repro into ``repro/``."""
        return steps.repro(self.workspace, self.ports)

    def get_sources(self, version: str = "celldetect") -> Table:
        """The sources of ``sources/{obsid}_{version}.src`` as ``astromon_xray_src`` rows;
        see :func:`astromon.services.observation.sources.get_sources`."""
        return sources.get_sources(
            self.workspace, self.ports.fits_files, self.ports.par_files, version
        )

    # --- the standard sequence ---------------------------------------------------------------

    def process(self) -> ProcessResult:
        """download → select → filter_events → make_images → run_celldetect → archive.

        Returns the combined result; stops at the first ERROR. Not-selected observations give
        a SKIP result.
        """
        workspace, ports = self.workspace, self.ports
        results: list[StepResult] = []

        def done() -> ProcessResult:
            result = ProcessResult.from_steps(self.obsid, results)
            self.log.info("process", status=str(result.status), message=result.message)
            return result

        results.append(transfer.download(workspace, ports.retriever, []))
        if not results[-1].ok:
            return done()
        try:
            selected, reason = self.selection()
        except AstromonError as exc:
            results.append(step_error(workspace, "select", exc))
            return done()
        results.append(StepResult("select", Status.OK if selected else Status.SKIP, reason))
        if not selected:
            return done()
        results.append(transfer.download(workspace, ports.retriever, self._download_types()))
        if not results[-1].ok:
            return done()
        sequence: tuple[Callable[[], StepResult], ...] = (
            lambda: steps.filter_events(workspace, ports),
            lambda: steps.make_images(workspace, ports),
            lambda: steps.run_celldetect(workspace, ports),
            lambda: transfer.archive(workspace),
        )
        for step in sequence:
            results.append(step())
            if not results[-1].ok:
                break
        return done()

    def _download_types(self) -> list[str]:
        """evt2 and acal without CIAO; else the defaults (no dtf for ACIS, which has none)
        plus acal."""
        if not self.use_ciao:
            return ["evt2", "acal"]
        acis = self.get_obspar()["instrument"].startswith("acis")
        return [t for t in DEFAULT_DOWNLOAD if not (acis and t == "dtf")] + ["acal"]
