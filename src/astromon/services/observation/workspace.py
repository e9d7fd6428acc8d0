"""The working directory of one observation: file lookup, the step runner, download, obspar.

:class:`ObservationWorkspace` holds the injected ports and the directory layout;
:class:`~astromon.services.observation.steps.ObservationSteps` adds the processing steps.
Every step declares its inputs and outputs: it is skipped when all outputs exist, fails with a
message naming the missing input otherwise, and removes its partial outputs when it fails.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import structlog

from astromon.domain.errors import AstromonError, ProcessingError, ValidationError
from astromon.domain.observation_results import Status, StepResult
from astromon.domain.observation_rules import (
    ARCHIVE_FILE_TYPES,
    DEFAULT_ARCHIVE_PATTERNS,
    DEFAULT_DOWNLOAD,
    band,
    check_obsid,
    is_selected,
    obs_subdir,
    obspar_fields,
)
from astromon.domain.schema import category_id
from astromon.domain.validation import require_names, require_path
from astromon.ports.observation import (
    ArchiveRetriever,
    CiaoRunner,
    ObservationInfo,
    ParameterFiles,
    SourceDetector,
)

__all__ = ["REQUIRED_FILE_TYPES", "ObservationWorkspace", "step_errors"]

REQUIRED_FILE_TYPES = ("obspar", "evt2")
"""File types without which an observation cannot be processed (download ERROR)."""

_W = TypeVar("_W", bound="ObservationWorkspace")
_P = ParamSpec("_P")


def step_errors(
    name: str,
) -> Callable[
    [Callable[Concatenate[_W, _P], StepResult]], Callable[Concatenate[_W, _P], StepResult]
]:
    """Decorate a step method so that an AstromonError it raises becomes an ERROR result."""

    def decorate(
        func: Callable[Concatenate[_W, _P], StepResult],
    ) -> Callable[Concatenate[_W, _P], StepResult]:
        def wrapper(self: _W, /, *args: _P.args, **kwargs: _P.kwargs) -> StepResult:
            try:
                return func(self, *args, **kwargs)
            except AstromonError as exc:
                return self._error(name, exc)

        functools.update_wrapper(wrapper, func)
        return wrapper

    return decorate


class ObservationWorkspace:
    """The files and ports of one observation (base of ObservationSteps).

    Parameters
    ----------
    obsid : int
    workdir : Path or None
        Top-level working directory; the observation's is ``{workdir}/obs{obsid//1000:02d}/
        {obsid}``. A temporary directory (removed with the object) when None.
    retriever : ArchiveRetriever
    info : ObservationInfo
    ciao : CiaoRunner or None
        Needed when ``use_ciao`` is True.
    detector : SourceDetector or None
        Used instead of CIAO's celldetect when ``use_ciao`` is False; without one (and without
        CIAO) source detection fails with a message saying so, but the obspar, the info and
        the downloads still work.
    par_files : ParameterFiles
        Reads the obspar file.
    archive_dir : Path or None
        Top-level archive directory (same layout as the working directory).
    archive_patterns : sequence of str or None
        Glob patterns of the files to archive (default
        :data:`~astromon.domain.observation_rules.DEFAULT_ARCHIVE_PATTERNS`).
    use_ciao : bool
    logger : structlog logger, optional
    """

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
        archive_dir: str | os.PathLike[str] | None = None,
        archive_patterns: Sequence[str] | None = None,
        use_ciao: bool = True,
        logger: Any = None,
    ) -> None:
        self.obsid = check_obsid(obsid)
        if workdir is None:
            self._tmp = tempfile.mkdtemp(prefix="astromon_obs_")
            weakref.finalize(self, shutil.rmtree, self._tmp, ignore_errors=True)
            top = Path(self._tmp)
        else:
            top = Path(workdir)
        if use_ciao and ":" in str(top.absolute()):
            raise ValidationError(f"working directory must not contain ':' (CIAO PFILES): {top}")
        if use_ciao and ciao is None:
            raise ValidationError("use_ciao=True needs a CIAO runner")
        if par_files is None:
            raise ValidationError("a parameter-file reader (par_files=...) is needed")
        self.workdir = top / obs_subdir(self.obsid)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.archive_dir = Path(archive_dir) / obs_subdir(self.obsid) if archive_dir else None
        self.archive_regex = list(archive_patterns or DEFAULT_ARCHIVE_PATTERNS)
        self.retriever = retriever
        self.info = info
        self.ciao = ciao
        self.detector = detector
        self.par_files = par_files
        self.use_ciao = use_ciao
        self.log: Any = (logger or structlog.get_logger("astromon.observation")).bind(
            obsid=self.obsid
        )
        self._obspar: dict[str, Any] | None = None

    archive_file_locations = ARCHIVE_FILE_TYPES
    """File types that :meth:`download` accepts."""

    # --- files -----------------------------------------------------------------------------

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

    def _one(self, pattern: str) -> Path | None:
        found = self.file_glob(pattern)
        return found[0] if found else None

    def _path(self, relative: str) -> Path:
        return self.workdir / relative

    def _raw_evt2(self) -> Path | None:
        for path in self.file_glob("primary/*evt2*.fits*"):
            if "_filtered" not in path.name:
                return path
        return None

    def _events(self) -> Path | None:
        filtered = self._one(f"primary/{self.obsid}_evt2_filtered.fits.gz")
        return filtered or self._raw_evt2()

    @property
    def band(self) -> str:
        """``wide`` (HRC) or ``broad`` (ACIS)."""
        return band(self.get_obspar()["instrument"])

    def _image(self, suffix: str) -> Path:
        return self._path(f"images/{self.obsid}_{self.band}_{suffix}")

    # --- the step runner ---------------------------------------------------------------------

    def _step(
        self,
        name: str,
        inputs: Iterable[Path | None],
        outputs: Sequence[Path],
        action: Callable[[], StepResult | None],
        input_names: Sequence[str] = (),
    ) -> StepResult:
        if outputs and all(self._exists(p) for p in outputs):
            result = StepResult(name, Status.SKIP, "outputs exist", list(outputs))
            self.log.info("step", step=name, status=str(result.status), message=result.message)
            return result
        for index, path in enumerate(inputs):
            if path is None or not path.exists():
                what = input_names[index] if index < len(input_names) else str(path)
                return self._error(name, ProcessingError(f"missing input: {what}"))
        self.log.info("step start", step=name)
        created_before = {p for p in outputs if p.exists()}
        try:
            result = action() or StepResult(name, Status.OK, "", list(outputs))
        except AstromonError as exc:
            for path in outputs:
                if path not in created_before:
                    path.unlink(missing_ok=True)
            return self._error(name, exc)
        self.log.info("step end", step=name, status=str(result.status), message=result.message)
        return result

    def _exists(self, path: Path) -> bool:
        if path.exists():
            return True
        if self.archive_dir is not None:
            try:
                return (self.archive_dir / path.relative_to(self.workdir)).exists()
            except ValueError:
                return False
        return False

    def _error(self, name: str, exc: Exception) -> StepResult:
        self.log.warning("step failed", step=name, error=str(exc))
        return StepResult(name, Status.ERROR, f"{type(exc).__name__}: {exc}", error=exc)

    def _no_ciao(self, name: str) -> StepResult:
        return StepResult(name, Status.SKIP, "CIAO is disabled (use_ciao=False)")

    def _ciao(self) -> CiaoRunner:
        if self.ciao is None:
            raise ProcessingError("no CIAO runner configured")
        return self.ciao

    def _ancillary_files(self) -> dict[str, str]:
        found = {}
        asol = self.file_glob("secondary/*asol*.fits*")
        if asol:
            found["asolfile"] = ",".join(str(p) for p in asol)
        for param, pattern in (
            ("badpixfile", "primary/*_bpix1.fits*"),
            ("maskfile", "secondary/*_msk1.fits*"),
            ("dtffile", "primary/*_dtf1.fits*"),
        ):
            path = self._one(pattern)
            if path is not None:
                found[param] = str(path)
        return found

    def archive(self, *regex: str, destination: str | os.PathLike[str] | None = None) -> StepResult:
        """Copy the files matching the patterns (default ``archive_regex``) to the archive.

        Files are copied to a hidden temporary name and renamed, so the archive never holds a
        half-written file; identical files (same size and time) are not copied again.
        """
        patterns = require_names("regex", list(regex)) or self.archive_regex
        destination = require_path("destination", destination, optional=True)
        target_root = Path(destination) if destination is not None else self.archive_dir
        if target_root is None:
            return StepResult("archive", Status.SKIP, "no archive directory")
        copied: list[Path] = []
        for path in sorted(self.workdir.rglob("*")):
            rel = path.relative_to(self.workdir)
            if not path.is_file() or any(part.startswith(".") for part in rel.parts):
                continue
            if not any(fnmatch.fnmatch(part, p) for p in patterns for part in rel.parts):
                continue
            target = target_root / rel
            stat = path.stat()
            if target.exists():
                tstat = target.stat()
                if tstat.st_size == stat.st_size and int(tstat.st_mtime) == int(stat.st_mtime):
                    continue
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
            try:
                shutil.copy2(path, tmp)
                tmp.replace(target)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                return self._error("archive", ProcessingError(f"cannot archive {path}: {exc}"))
            copied.append(target)
        if not copied:
            return StepResult("archive", Status.SKIP, "archive up to date")
        return StepResult("archive", Status.OK, f"{len(copied)} files", copied)

    # --- download, obspar, info --------------------------------------------------------------

    def _present(self, file_type: str) -> bool:
        ftype = ARCHIVE_FILE_TYPES[file_type]
        return bool(self.file_glob(f"{ftype.subdir}/{ftype.glob}"))

    def download(self, ftypes: Sequence[str] | None = None) -> StepResult:
        """Fetch file types (default: obspar plus evt2, asol, msk, fov, bpix, dtf) not present.

        The obspar comes first. ERROR naming the obsid and type when the archive cannot
        provide the obspar or the evt2 file; WARNING naming the others it cannot provide.
        """
        ftypes = require_names("ftypes", ftypes, optional=True)
        wanted = ["obspar", *(DEFAULT_DOWNLOAD if ftypes is None else ftypes)]
        unknown = [t for t in wanted if t not in ARCHIVE_FILE_TYPES]
        if unknown:
            raise ValidationError(
                f"unknown file types {unknown}; known: {', '.join(ARCHIVE_FILE_TYPES)}"
            )
        fetched: list[Path] = []
        missing: list[str] = []
        for file_type in dict.fromkeys(wanted):
            if self._present(file_type):
                continue
            destination = self.workdir / ARCHIVE_FILE_TYPES[file_type].subdir
            try:
                fetched += self.retriever.retrieve(self.obsid, file_type, destination)
            except AstromonError as exc:
                if file_type in REQUIRED_FILE_TYPES:
                    return self._error("download", exc)
                self.log.warning("download failed", file_type=file_type, error=str(exc))
                missing.append(f"{file_type} ({exc})")
        if missing:
            return StepResult("download", Status.WARNING, f"missing {'; '.join(missing)}", fetched)
        if not fetched:
            return StepResult("download", Status.SKIP, "files present")
        self.log.info("downloaded", n_files=len(fetched))
        return StepResult("download", Status.OK, f"{len(fetched)} files", fetched)

    def get_obspar(self) -> dict[str, Any]:
        """The obs0 parameters plus instrument, obsid, target, date_obs, ra/dec/roll, version.

        Raises
        ------
        ProcessingError
            No obspar file (download first) or a corrupt one.
        """
        if self._obspar is None:
            path = self._one("*obs0*.par*")
            if path is None:
                raise ProcessingError(
                    f"no obspar file for obsid {self.obsid} in {self.workdir}"
                    + (f" or {self.archive_dir}" if self.archive_dir else "")
                )
            self._obspar = obspar_fields(self.par_files.read(path))
        return dict(self._obspar)

    def get_info(self) -> dict[str, Any]:
        """The obspar plus the sequence summary ('NO MATCH' category when absent), category_id.

        The summary is looked up by the obspar's ``seq_num``; when it cannot be had (no
        network, no page) the category is 'NO MATCH' and a warning is logged.
        """
        info = self.get_obspar()
        summary: dict[str, str] = {}
        seq_num = str(info.get("seq_num", "")).strip() or None
        if self.info is not None:
            try:
                summary = dict(self.info.sequence_summary(self.obsid, seq_num=seq_num))
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
