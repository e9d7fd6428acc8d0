"""Files in and out of an observation's working directory: download from the archive (the
``download`` step) and copy the results to the archive directory (the ``archive`` step)."""

from __future__ import annotations

import fnmatch
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from astromon.domain.errors import AstromonError, ProcessingError, ValidationError
from astromon.domain.observation_results import Status, StepResult
from astromon.domain.observation_rules import ARCHIVE_FILE_TYPES, DEFAULT_DOWNLOAD
from astromon.ports.observation import ArchiveRetriever
from astromon.services.observation.runner import step_error
from astromon.services.observation.workspace import ObservationWorkspace

__all__ = ["REQUIRED_FILE_TYPES", "archive", "download"]

REQUIRED_FILE_TYPES = ("obspar", "evt2")
"""File types without which an observation cannot be processed (download ERROR)."""


def download(
    workspace: ObservationWorkspace,
    retriever: ArchiveRetriever,
    ftypes: Sequence[str] | None = None,
) -> StepResult:
    """Fetch the file types (default: obspar plus evt2, asol, msk, fov, bpix, dtf) not present.

    The obspar comes first. ERROR naming the obsid and type when the archive cannot provide
    the obspar or the evt2 file; WARNING naming the others it cannot provide; SKIP when every
    type is present.

    Raises
    ------
    ValidationError
        An unknown file type (the message lists the known ones).
    """
    wanted = ["obspar", *(DEFAULT_DOWNLOAD if ftypes is None else ftypes)]
    unknown = [t for t in wanted if t not in ARCHIVE_FILE_TYPES]
    if unknown:
        raise ValidationError(
            f"unknown file types {unknown}; known: {', '.join(ARCHIVE_FILE_TYPES)}"
        )
    fetched: list[Path] = []
    missing: list[str] = []
    for file_type in dict.fromkeys(wanted):
        if workspace.present(file_type):
            continue
        destination = workspace.workdir / ARCHIVE_FILE_TYPES[file_type].subdir
        try:
            fetched += retriever.retrieve(workspace.obsid, file_type, destination)
        except AstromonError as exc:
            if file_type in REQUIRED_FILE_TYPES:
                return step_error(workspace, "download", exc)
            workspace.log.warning("download failed", file_type=file_type, error=str(exc))
            missing.append(f"{file_type} ({exc})")
    if missing:
        return StepResult("download", Status.WARNING, f"missing {'; '.join(missing)}", fetched)
    if not fetched:
        return StepResult("download", Status.SKIP, "files present")
    workspace.log.info("downloaded", n_files=len(fetched))
    return StepResult("download", Status.OK, f"{len(fetched)} files", fetched)


def archive(
    workspace: ObservationWorkspace,
    patterns: Sequence[str] | None = None,
    destination: Path | None = None,
) -> StepResult:
    """Copy the files matching the patterns (default the workspace's) to the archive.

    Files are copied to a hidden temporary name and renamed, so the archive never holds a
    half-written file; identical files (same size and time) are not copied again. SKIP
    without an archive directory or when it is up to date.
    """
    patterns = list(patterns or workspace.archive_patterns)
    target_root = destination if destination is not None else workspace.archive_dir
    if target_root is None:
        return StepResult("archive", Status.SKIP, "no archive directory")
    copied: list[Path] = []
    for path in sorted(workspace.workdir.rglob("*")):
        rel = path.relative_to(workspace.workdir)
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
            return step_error(
                workspace, "archive", ProcessingError(f"cannot archive {path}: {exc}")
            )
        copied.append(target)
    if not copied:
        return StepResult("archive", Status.SKIP, "archive up to date")
    return StepResult("archive", Status.OK, f"{len(copied)} files", copied)
