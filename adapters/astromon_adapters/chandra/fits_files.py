"""The FITS files of an observation, read with ``astropy.io.fits`` (the ObservationFiles port).

The files are those CIAO writes in an observation's working directory: the source lists of
``celldetect`` and ``wavdetect`` (a binary table with RA, DEC, COMPONENT, NET_COUNTS, PSFRATIO
and, for celldetect, SNR), the pileup map of ``pileup_map`` + ``dmimgfilt`` (a 2-d image with
a celestial WCS), the streak regions of ``acis_streak_map`` made a FITS region table by
``dmmakereg`` (columns SHAPE, X, Y in sky pixels, one row per region), the event file's
headers, and the archive's aspect calibration file (``acal``, a table with the ACA and FTS
alignment matrices).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ProcessingError
from astromon.ports.observation import SOURCE_LIST_COLUMNS

__all__ = ["FitsObservationFiles", "read_source_list"]

Float = NDArray[np.float64]

_READ_ERRORS = (OSError, KeyError, IndexError, ValueError, TypeError, EOFError)
"""What astropy raises on a missing, truncated or non-FITS file, or a missing HDU."""


def _first_table(hdus: fits.HDUList) -> Any:
    return next((h for h in hdus[1:] if isinstance(h, fits.BinTableHDU)), None)


def read_source_list(path: Path) -> Table:
    """The first table of a source-list FITS file, with upper-case column names.

    A list without SNR (wavdetect writes SRC_SIGNIFICANCE, not SNR) gets an SNR column of NaN.

    Raises
    ------
    ProcessingError
        The file cannot be read, has no table, or lacks a column of
        :data:`~astromon.ports.observation.SOURCE_LIST_COLUMNS` (the message names them).
    """
    try:
        with fits.open(path) as hdus:
            hdu = _first_table(hdus)
            if hdu is None:
                raise ProcessingError(f"source list {path} has no table")
            table = Table(hdu.data)
    except ProcessingError:
        raise
    except _READ_ERRORS as exc:
        raise ProcessingError(f"cannot read source list {path}: {exc}") from exc
    upper = {name.upper(): name for name in table.colnames}
    missing = [c for c in SOURCE_LIST_COLUMNS if c not in upper]
    if missing:
        raise ProcessingError(f"source list {path} lacks the columns {missing}")
    for key, name in upper.items():
        if key != name:
            table.rename_column(name, key)
    if "SNR" not in upper:
        table["SNR"] = np.full(len(table), np.nan)
    return table


class FitsObservationFiles:
    """Reads and writes an observation's FITS files (the ObservationFiles port)."""

    def header(self, path: Path, extname: str | None = None) -> Mapping[str, Any]:
        """Header of ``extname`` (or of the first table HDU, else the primary) of a FITS file."""
        try:
            with fits.open(path) as hdus:
                if extname is not None:
                    header = hdus[extname].header
                else:
                    table = _first_table(hdus)
                    header = (table if table is not None else hdus[0]).header
                copied: Mapping[str, Any] = header.copy()
                return copied
        except _READ_ERRORS as exc:
            raise ProcessingError(f"cannot read the FITS header of {path}: {exc}") from exc

    def source_list(self, path: Path) -> Table:
        """See :func:`read_source_list`."""
        return read_source_list(path)

    def write_source_list(self, table: Table, path: Path) -> None:
        """Write ``table`` as a FITS table at ``path`` through a hidden temporary file."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            table.write(tmp, format="fits", overwrite=True)
            tmp.replace(path)
        except OSError as exc:
            raise ProcessingError(f"cannot write source list {path}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)

    def pileup_values(self, path: Path, ra: ArrayLike, dec: ArrayLike) -> Float:
        """Pixel values of the pileup map at the pixels nearest to (ra, dec); 0 outside it."""
        try:
            with fits.open(path) as hdus:
                image = np.asarray(hdus[0].data, dtype=np.float64)
                wcs = WCS(hdus[0].header).celestial
        except _READ_ERRORS as exc:
            raise ProcessingError(f"cannot read pileup map {path}: {exc}") from exc
        if image.ndim != 2:
            raise ProcessingError(f"pileup map {path} is not a 2-d image")
        col, row = wcs.world_to_pixel_values(np.asarray(ra), np.asarray(dec))
        col = np.round(np.atleast_1d(col)).astype(int)
        row = np.round(np.atleast_1d(row)).astype(int)
        inside = (row >= 0) & (row < image.shape[0]) & (col >= 0) & (col < image.shape[1])
        values = np.zeros(len(col))
        values[inside] = image[row[inside], col[inside]]
        return values

    def streak_regions(self, path: Path) -> list[tuple[Float, Float]]:
        """The polygons (finite vertices, sky pixels) of a FITS region table."""
        try:
            with fits.open(path) as hdus:
                hdu = _first_table(hdus)
                regions = Table(hdu.data) if hdu is not None else Table()
        except _READ_ERRORS as exc:
            raise ProcessingError(f"cannot read streak regions {path}: {exc}") from exc
        names = {n.upper(): n for n in regions.colnames}
        if not len(regions) or "X" not in names or "Y" not in names:
            return []
        polygons = []
        for row in regions:
            shape = str(row[names["SHAPE"]]).strip().lower() if "SHAPE" in names else "polygon"
            if shape != "polygon":
                continue
            x = np.atleast_1d(np.asarray(row[names["X"]], dtype=np.float64))
            y = np.atleast_1d(np.asarray(row[names["Y"]], dtype=np.float64))
            valid = np.isfinite(x) & np.isfinite(y)
            polygons.append((x[valid], y[valid]))
        return polygons

    def alignment(self, path: Path) -> dict[str, Any]:
        """The ACA and FTS alignment matrices of an acal file, and its CALDBVER."""
        try:
            with fits.open(path) as hdus:
                data, header = hdus[1].data, hdus[1].header
                result: dict[str, Any] = {
                    key: np.asarray(data[key]).tolist()
                    for key in ("aca_align", "aca_misalign", "fts_misalign")
                }
                result["CALDBVER"] = str(header.get("CALDBVER", ""))
        except _READ_ERRORS as exc:
            raise ProcessingError(f"cannot read the acal file {path}: {exc}") from exc
        return result
