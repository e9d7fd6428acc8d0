"""Legacy names of :mod:`astromon.observation`: the category maps and the members of the
original ``Observation`` beyond the processing steps.

Each member is a function of an :class:`~astromon.services.observation.pipeline.
ObservationPipeline`, built from its public steps, files and ports;
:class:`astromon.observation.Observation` exposes them as its methods and properties. Those
that need the obspar (``is_selected``, ``is_hrc``, ``is_acis``) download it first when it is
missing, as the original did.
"""

from __future__ import annotations

import collections
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import numpy as np
from astropy.table import Table

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_results import Status, StepResult
from astromon.domain.observation_rules import ARCHIVE_FILE_TYPES, DEFAULT_DOWNLOAD
from astromon.domain.schema import CATEGORIES, CATEGORY_IDS
from astromon.domain.validation import require_path
from astromon.services.observation import sources, transfer
from astromon.services.observation.pipeline import ObservationPipeline

__all__ = [
    "CATEGORY_ID_MAP",
    "ID_CATEGORY_MAP",
    "asol_files",
    "calalign",
    "check_revision",
    "dmcoords",
    "download_again",
    "fetched_obspar",
    "file_path",
    "with_source_list_columns",
]

ID_CATEGORY_MAP: Final[Mapping[int, str]] = MappingProxyType(CATEGORIES)
"""Category id → observation category name (10: 'Normal Stars and WD', ... 200: 'Unknown');
read-only."""

CATEGORY_ID_MAP: Final[collections.defaultdict[str, int]] = collections.defaultdict(
    lambda: 200, CATEGORY_IDS
)
"""Lower-case category name → category id; unknown names give 200 (Unknown)."""


def fetched_obspar(pipeline: ObservationPipeline) -> dict[str, Any]:
    """The obspar, downloaded first when it is not in the working or archive directory."""
    if not pipeline.file_glob("*obs0*"):
        pipeline.download([])
    return pipeline.get_obspar()


def file_path(pipeline: ObservationPipeline, path: str | os.PathLike[str]) -> Path:
    """The path of a file given relative to the observation's directory: the working
    directory's, unless the file exists only in the archive directory.

    Raises
    ------
    ValidationError
        ``path`` is absolute.
    """
    if Path(require_path("path", path)).is_absolute():
        raise ValidationError(f"Observation.file_path needs a relative path, got {path}")
    in_work = pipeline.workdir / path
    if pipeline.archive_dir is not None and not in_work.exists():
        in_archive = pipeline.archive_dir / path
        if in_archive.exists():
            return in_archive
    return in_work


def check_revision(pipeline: ObservationPipeline, revision: Any) -> None:
    """Refuse a download revision other than the obspar's (the archive gives that one).

    Raises
    ------
    ValidationError
        ``revision`` is not an integer, or not the obspar's revision.
    """
    if isinstance(revision, bool) or not isinstance(revision, int | np.integer):
        raise ValidationError(f"revision must be an integer, got {revision!r:.80}")
    current = fetched_obspar(pipeline).get("revision")
    if current is None or int(revision) != int(current):
        raise ValidationError(
            f"download(revision={revision}) is not available: files come in the "
            f"revision of the obspar ({current})"
        )


def download_again(pipeline: ObservationPipeline, types: list[str] | None) -> StepResult:
    """Fetch the file types again (default evt2, asol, msk, fov, bpix, dtf; the obspar only
    when listed): the present files of a type are moved aside and put back when the type
    cannot be fetched.

    Raises
    ------
    ValidationError
        An unknown file type.
    """
    unknown = [t for t in types or [] if t not in ARCHIVE_FILE_TYPES]
    if unknown:
        raise ValidationError(
            f"unknown file types {unknown}; known: {', '.join(ARCHIVE_FILE_TYPES)}"
        )
    workspace = pipeline.workspace
    wanted = ["obspar", *(DEFAULT_DOWNLOAD if types is None else types)]
    backup = Path(tempfile.mkdtemp(prefix=".force-", dir=workspace.workdir))
    moved: list[tuple[str, Path, Path]] = []
    try:
        for name in dict.fromkeys(wanted):
            if name == "obspar" and "obspar" not in (types or []):
                continue
            ftype = ARCHIVE_FILE_TYPES[name]
            for path in sorted((workspace.workdir / ftype.subdir).glob(ftype.glob)):
                if path.is_file():
                    target = backup / f"{len(moved)}-{path.name}"
                    path.replace(target)
                    moved.append((name, target, path))
        result = transfer.download(workspace, pipeline.retriever, types)
        for name, target, path in moved:
            fetched = result.status != Status.ERROR and workspace.present(name)
            if not fetched and not path.exists():
                target.replace(path)
        return result
    finally:
        shutil.rmtree(backup, ignore_errors=True)


def asol_files(pipeline: ObservationPipeline) -> list[Path]:
    """The aspect solution files (downloaded when missing); when the event file names them
    (header ASOLFILE), only those.

    Raises
    ------
    ProcessingError
        No aspect solution file, or one named by the event file is missing.
    """
    if not pipeline.file_glob("secondary/*asol*"):
        pipeline.download(["asol"])
    files = pipeline.file_glob("secondary/*asol*.fits*")
    evt = pipeline.workspace.events()
    header = pipeline.fits_files.header(evt, "EVENTS") if evt is not None else {}
    if "ASOLFILE" in header:
        names = [n.strip() for n in str(header["ASOLFILE"]).split(",") if n.strip()]
        stems = {n.split(".fits")[0] for n in names}
        named = [f for f in files if f.name.split(".fits")[0] in stems]
        missing = stems - {f.name.split(".fits")[0] for f in named}
        if missing:
            raise ProcessingError(
                f"aspect solution files of obsid {pipeline.obsid} not found: {sorted(missing)}"
            )
        return named
    if not files:
        raise ProcessingError(f"no aspect solution files for obsid {pipeline.obsid}")
    return files


def calalign(pipeline: ObservationPipeline) -> dict[str, Any] | None:
    """The alignment of the observation's acal file (downloaded when missing): aca_align,
    aca_misalign, fts_misalign (nested lists), obsid and caldb_version; None without one.

    Raises
    ------
    ProcessingError
        The acal file cannot be read.
    """
    if not pipeline.file_glob("secondary/*acal*"):
        pipeline.download(["acal"])
    path = pipeline.workspace.find("secondary/*acal*.fits*")
    if path is None:
        return None
    read = pipeline.fits_files.alignment(path)
    result = {key: read[key] for key in ("aca_align", "aca_misalign", "fts_misalign")}
    result["obsid"] = pipeline.obsid
    result["caldb_version"] = sources.caldb_version({"CALDBVER": read.get("CALDBVER", "")})
    return result


def dmcoords(pipeline: ObservationPipeline, name: str, **kwargs: Any) -> Any:
    """CIAO's dmcoords on the event file (with its aspect solution); the output parameter
    ``name`` as a float array.

    Raises
    ------
    ProcessingError
        CIAO is disabled, the event file is missing, or dmcoords fails.
    """
    ciao = pipeline.ciao
    if not pipeline.use_ciao or ciao is None:
        raise ProcessingError("dmcoords needs CIAO (this Observation has use_ciao=False)")
    if pipeline.workspace.events() is None:
        pipeline.download(["evt2"])
    evt = pipeline.workspace.events()
    if evt is None:
        raise ProcessingError(f"no event file for obsid {pipeline.obsid}")
    asol = asol_files(pipeline)[0]
    ciao.run("punlearn", "dmcoords")
    ciao.run("dmcoords", infile=str(evt), asolfile=str(asol), **kwargs)
    return np.array(ciao.pget("dmcoords", name)).astype(float)


def with_source_list_columns(pipeline: ObservationPipeline, table: Table, version: str) -> Table:
    """``table`` (the ``astromon_xray_src`` rows of a source list) plus the columns of the
    source list file that it lacks (same name, any case)."""
    if len(table) == 0:
        return table
    path = pipeline.workspace.find(f"sources/{pipeline.obsid}_{version}.src")
    if path is None:
        return table
    raw = pipeline.fits_files.source_list(path)
    have = {name.lower() for name in table.colnames}
    for name in raw.colnames:
        if name.lower() not in have:
            table[name] = raw[name]
    return table
