"""The CALALIGN-files port: read a directory of CALALIGN files, write corrected copies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from astropy.table import Table
from numpy.typing import NDArray

__all__ = ["CalalignFiles"]


@runtime_checkable
class CalalignFiles(Protocol):
    """CALALIGN FITS files (``pcadD{YYYY-MM-DD}align{Nxxxx}.fits``)."""

    def read_directory(self, directory: Path) -> Table:
        """Every CALALIGN file of ``directory``, in the form of
        :func:`astromon.domain.calalign.calalign_table`.

        Raises ``ProcessingError`` when the directory is missing, holds no CALALIGN file or a
        file is corrupt (naming it).
        """
        ...

    def read_file(self, path: Path) -> Table:
        """The rows of one CALALIGN file (:func:`astromon.domain.calalign.calalign_rows`)."""
        ...

    def write_corrected(
        self,
        base: Path,
        target: Path,
        matrices: Mapping[str, tuple[NDArray[np.float64], NDArray[np.float64]]],
        header: Mapping[str, str | float | None],
        history: Sequence[str],
    ) -> Path:
        """Write ``target``: a copy of ``base`` with new matrices and header keywords.

        ``matrices`` maps INSTR_ID → (ACA_MISALIGN, FTS_MISALIGN) for the rows to change;
        ``header`` keywords are set in every HDU (None: removed); ``history`` lines are added
        to the primary header. The file appears complete or not at all, and an existing
        ``target`` is never replaced (``FileExistsError``).
        """
        ...
