"""Helpers shared by the archive adapters: moving downloaded files into place atomically."""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

from astromon.domain.errors import ProcessingError
from astromon_adapters.par_file import read_par_file

__all__ = ["install_files", "instrument_and_revision"]


def install_files(sources: list[Path], destination: Path, glob: str = "*") -> list[Path]:
    """Move the files whose names match ``glob`` into ``destination`` (temp name + rename)."""
    destination.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for source in sorted(sources):
        if not source.is_file() or not fnmatch.fnmatch(source.name, glob):
            continue
        target = destination / source.name
        tmp = destination / f".{source.name}.{os.getpid()}.part"
        shutil.copyfile(source, tmp)
        tmp.replace(target)
        written.append(target)
    return written


def instrument_and_revision(obspar: Path) -> tuple[str, int | None]:
    """Instrument (lower case) and processing revision read from an obspar file."""
    par = read_par_file(obspar)
    instrument = str(par.get("instrume", "")).strip().lower()
    if not instrument:
        raise ProcessingError(f"obspar file {obspar} has no instrume parameter")
    revision = par.get("revision")
    return instrument, int(revision) if isinstance(revision, int) else None
