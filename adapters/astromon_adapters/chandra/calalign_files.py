"""CALALIGN FITS files read and written with astropy.io.fits.

The layout follows the CALDB CALALIGN files (``pcadD{YYYY-MM-DD}align{Nxxxx}.fits`` in
``$CALDB/data/chandra/pcad/align``) as read by ``calalign_from_files`` and written by
``set_calalign_offsets.py`` in ``sot/astromon`` (``astromon/scripts/calalign``): a primary HDU
and a binary table extension named CALALIGN with the columns INSTR_ID, ACA_MISALIGN and
FTS_MISALIGN (3×3 per row), validity in the header keywords CVSD0001/CVED0001.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.table import Table
from numpy.typing import NDArray

from astromon.domain.calalign import calalign_rows, calalign_table, parse_calalign_name
from astromon.domain.errors import ProcessingError, ValidationError
from astromon_adapters.storage.atomic_files import OutputFileError, atomic_write
from astromon_adapters.storage.file_rules import check_input_path

__all__ = ["FitsCalalignFiles"]

_COLUMNS = ("INSTR_ID", "ACA_MISALIGN", "FTS_MISALIGN")


def _table_hdu(hdus: fits.HDUList, path: Path) -> fits.BinTableHDU:
    hdu = next((h for h in hdus[1:] if isinstance(h, fits.BinTableHDU)), None)
    if hdu is None:
        raise ProcessingError(f"CALALIGN file {path} has no table extension")
    names = [n.upper() for n in hdu.data.columns.names]
    for needed in _COLUMNS:
        if needed not in names:
            raise ProcessingError(f"CALALIGN file {path} has no {needed} column")
    return hdu


class FitsCalalignFiles:
    """Reads and writes CALALIGN FITS files (see the module docstring for the layout)."""

    def read_file(self, path: Path) -> Table:
        """The rows of one CALALIGN file.

        Raises
        ------
        ProcessingError
            The name is not a CALALIGN name, the path is not a regular file (a FIFO...), or
            the file is unreadable or lacks a column.
        """
        path = Path(path)
        if parse_calalign_name(path.name) is None:
            raise ProcessingError(
                f"{path} is not named like a CALALIGN file (pcadD<YYYY-MM-DD>align<Nxxxx>.fits)"
            )
        check_input_path(path, "CALALIGN file", error=ProcessingError)
        try:
            with fits.open(path) as hdus:
                hdu = _table_hdu(hdus, path)
                data, header = hdu.data, hdu.header
                instr = [str(v).strip() for v in data["INSTR_ID"]]
                aca = np.asarray(data["ACA_MISALIGN"], dtype=np.float64).reshape(-1, 3, 3)
                fts = np.asarray(data["FTS_MISALIGN"], dtype=np.float64).reshape(-1, 3, 3)
                start = header.get("CVSD0001")
                stop = header.get("CVED0001")
            return calalign_rows(
                filename=path.name,
                instr_id=instr,
                aca_misalign=aca,
                fts_misalign=fts,
                start=None if start is None else str(start),
                stop=None if stop is None else str(stop),
            )
        except ProcessingError:
            raise
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
            raise ProcessingError(f"cannot read CALALIGN file {path}: {exc}") from exc

    def read_directory(self, directory: Path) -> Table:
        """Every CALALIGN file in ``directory`` (other files are ignored).

        Raises
        ------
        ProcessingError
            The directory does not exist, holds no CALALIGN file, or a file is corrupt.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise ProcessingError(f"CALALIGN directory {directory} does not exist")
        tables = [
            self.read_file(path)
            for path in sorted(directory.iterdir())
            if parse_calalign_name(path.name) is not None
        ]
        if not tables:
            raise ProcessingError(
                f"no CALALIGN files (pcadD<YYYY-MM-DD>align<Nxxxx>.fits) in {directory}"
            )
        return calalign_table(tables)

    def write_corrected(
        self,
        base: Path,
        target: Path,
        matrices: Mapping[str, tuple[NDArray[np.float64], NDArray[np.float64]]],
        header: Mapping[str, str | float | None],
        history: Sequence[str],
    ) -> Path:
        """Write ``target`` from ``base`` with new matrices, header keywords and HISTORY.

        The file is written by the one atomic writer
        (:func:`astromon_adapters.storage.atomic_files.atomic_write`: a temporary name in the
        target directory, fsync, a link into place), so it appears complete or not at all; an
        existing ``target`` is left alone.

        Raises
        ------
        FileExistsError
            ``target`` exists.
        ProcessingError
            ``base`` is unreadable, names an INSTR_ID it lacks, or ``target`` cannot be
            written.
        """
        base, target = Path(base), Path(target)
        if target.exists():
            raise FileExistsError(f"CALALIGN file {target} exists: not overwritten")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with fits.open(base) as hdus:
                hdus = fits.HDUList([h.copy() for h in hdus])
            table = _table_hdu(hdus, base)
            instr = [str(v).strip() for v in table.data["INSTR_ID"]]
            unknown = sorted(set(matrices) - set(instr))
            if unknown:
                raise ProcessingError(f"CALALIGN file {base} has no INSTR_ID rows {unknown}")
            for row, name in enumerate(instr):
                if name in matrices:
                    aca, fts = matrices[name]
                    shape = np.shape(table.data["ACA_MISALIGN"][row])
                    table.data["ACA_MISALIGN"][row] = np.reshape(aca, shape)
                    table.data["FTS_MISALIGN"][row] = np.reshape(fts, shape)
            for hdu in hdus:
                for key, value in header.items():
                    if value is None:
                        hdu.header.remove(key, ignore_missing=True, remove_all=True)
                    else:
                        hdu.header[key] = value
            for line in history:
                hdus[0].header["HISTORY"] = line
            atomic_write(target, lambda tmp: hdus.writeto(tmp, overwrite=True, checksum=True))
        except OutputFileError as exc:
            if target.exists() or target.is_symlink():  # created meanwhile: never replaced
                raise FileExistsError(f"CALALIGN file {target} exists: not overwritten") from None
            raise ProcessingError(
                f"cannot write CALALIGN file {target} from {base}: {exc}"
            ) from None
        except (FileExistsError, ProcessingError):
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ProcessingError(
                f"cannot write CALALIGN file {target} from {base}: {exc}"
            ) from exc
        return target
