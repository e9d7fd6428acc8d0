"""An in-memory model of an observation's FITS files: the ObservationFiles port without FITS.

Written from the files CIAO leaves in a working directory and from the production reader
that the fake stands in for (``astromon_adapters.chandra.fits_files.FitsObservationFiles``):

- a source list is the first binary table of celldetect's or wavdetect's output (columns RA,
  DEC, COMPONENT, NET_COUNTS, PSFRATIO; SNR for celldetect only, so a wavdetect list reads with
  an SNR of NaN); a list lacking a column is refused naming the missing columns;
- the pileup map of ``pileup_map`` + ``dmimgfilt`` is a 2-d image with a celestial WCS; its
  value at a position is that of the nearest pixel, 0 outside the image;
- ``dmmakereg`` writes the streak regions as a region table (SHAPE, X, Y in sky pixels, one row
  per region, NaN-padded vertex arrays); only ``polygon`` rows are streaks;
- an acal file's first table holds the ACA and FTS alignment matrices, its header CALDBVER.

It fails the way the reader fails: a path it does not hold is a missing file and raises
ProcessingError naming the path, with the reader's words ("cannot read ...").
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table
from astropy.wcs import WCS
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ProcessingError
from astromon.ports.observation import SOURCE_LIST_COLUMNS

Float = NDArray[np.float64]


class FakeObservationFiles:
    """The files of a working directory, by path, held in memory.

    ``headers[path][extname]`` (``None`` for the default HDU: the first table, else the
    primary), ``tables[path]`` (first binary table), ``images[path]`` (pixels, WCS),
    ``written`` (every table written, in order).
    """

    def __init__(self) -> None:
        self.headers: dict[Path, dict[str | None, dict[str, Any]]] = {}
        self.tables: dict[Path, Table] = {}
        self.images: dict[Path, tuple[Float, WCS]] = {}
        self.written: list[tuple[Path, Table]] = []

    def add_header(self, path: Path, header: Mapping[str, Any], extname: str | None = None) -> None:
        """Hold the header of HDU ``extname`` (also the default header when it is the first)."""
        held = self.headers.setdefault(path, {})
        held[extname] = dict(header)
        held.setdefault(None, dict(header))

    def header(self, path: Path, extname: str | None = None) -> Mapping[str, Any]:
        if path not in self.headers or extname not in self.headers[path]:
            raise ProcessingError(f"cannot read the FITS header of {path}: no HDU {extname!r}")
        return dict(self.headers[path][extname])

    def source_list(self, path: Path) -> Table:
        if path not in self.tables:
            raise ProcessingError(f"cannot read source list {path}: no such file")
        table = Table(self.tables[path], copy=True)
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

    def write_source_list(self, table: Table, path: Path) -> None:
        self.written.append((path, Table(table, copy=True)))
        self.tables[path] = Table(table, copy=True)

    def pileup_values(self, path: Path, ra: ArrayLike, dec: ArrayLike) -> Float:
        if path not in self.images:
            raise ProcessingError(f"cannot read pileup map {path}: no such file")
        image, wcs = self.images[path]
        if image.ndim != 2:
            raise ProcessingError(f"pileup map {path} is not a 2-d image")
        col, row = wcs.world_to_pixel_values(np.asarray(ra, float), np.asarray(dec, float))
        col = np.round(np.atleast_1d(col)).astype(int)
        row = np.round(np.atleast_1d(row)).astype(int)
        values = np.zeros(len(col))
        for i, (c, r) in enumerate(zip(col, row, strict=True)):
            if 0 <= r < image.shape[0] and 0 <= c < image.shape[1]:
                values[i] = image[r, c]
        return values

    def streak_regions(self, path: Path) -> list[tuple[Float, Float]]:
        if path not in self.tables:
            raise ProcessingError(f"cannot read streak regions {path}: no such file")
        regions = self.tables[path]
        polygons = []
        for row in regions:
            if "SHAPE" in regions.colnames and str(row["SHAPE"]).strip().lower() != "polygon":
                continue
            x, y = np.asarray(row["X"], float), np.asarray(row["Y"], float)
            keep = np.isfinite(x) & np.isfinite(y)
            polygons.append((x[keep], y[keep]))
        return polygons

    def alignment(self, path: Path) -> dict[str, Any]:
        if path not in self.tables:
            raise ProcessingError(f"cannot read the acal file {path}: no such file")
        table = self.tables[path]
        found: dict[str, Any] = {
            key: np.asarray(table[key]).tolist()
            for key in ("aca_align", "aca_misalign", "fts_misalign")
        }
        found["CALDBVER"] = str(self.headers.get(path, {}).get(None, {}).get("CALDBVER", ""))
        return found
