"""Reading a Chandra evt2 file: the EVENTS table and the sky WCS of its ``x``/``y`` columns.

The WCS comes from the column keywords TCTYPn/TCRVLn/TCRPXn/TCDLTn of the ``x`` and ``y``
columns (sky pixels), built by :func:`astromon.domain.event_wcs.event_sky_wcs`. Sky positions
are in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ProcessingError
from astromon.domain.event_wcs import event_sky_wcs

__all__ = ["EventList", "read_event_list"]

Float = NDArray[np.float64]


@dataclass(frozen=True)
class EventList:
    """The parts of an evt2 file the detector uses.

    ``x``/``y`` are sky pixel coordinates (FITS convention, first pixel is 1); ``wcs`` maps them
    to RA/Dec (degrees); ``pixel_arcsec`` is the sky pixel size.
    """

    x: Float
    y: Float
    wcs: Any
    pixel_arcsec: float
    instrument: str
    ra_pnt: float
    dec_pnt: float
    header: dict[str, Any]

    def to_world(self, x: ArrayLike, y: ArrayLike) -> tuple[Float, Float]:
        """RA, Dec (degrees) of sky pixel coordinates."""
        ra, dec = self.wcs.wcs_pix2world(np.asarray(x, float), np.asarray(y, float), 1)
        return np.asarray(ra, dtype=np.float64) % 360.0, np.asarray(dec, dtype=np.float64)

    def to_pixel(self, ra: ArrayLike, dec: ArrayLike) -> tuple[Float, Float]:
        """Sky pixel coordinates of RA, Dec (degrees)."""
        x, y = self.wcs.wcs_world2pix(np.asarray(ra, float), np.asarray(dec, float), 1)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def read_event_list(evt2: Path) -> EventList:
    """Read the events and the sky WCS of an evt2 file.

    Raises
    ------
    ProcessingError
        When the file is missing, not FITS, has no EVENTS table, no x/y columns or no WCS
        column keywords (the message names the file and what is missing).
    """
    path = Path(evt2)
    if not path.exists():
        raise ProcessingError(f"event file not found: {path}")
    try:
        with fits.open(path, memmap=False) as hdus:
            if "EVENTS" not in hdus:
                raise ProcessingError(f"{path}: no EVENTS table")
            hdu = hdus["EVENTS"]
            header = hdu.header
            columns = [c.lower() for c in hdu.columns.names]
            for needed in ("x", "y"):
                if needed not in columns:
                    raise ProcessingError(f"{path}: EVENTS table has no {needed!r} column")
            try:
                wcs = event_sky_wcs(header)
            except ProcessingError as exc:
                raise ProcessingError(f"{path}: {exc}") from None
            data = hdu.data
            x = np.asarray(data["x"], dtype=np.float64)
            y = np.asarray(data["y"], dtype=np.float64)
            head = {k: header[k] for k in header if k}
    except OSError as exc:
        raise ProcessingError(f"{path}: not a readable FITS event file ({exc})") from exc
    pixel_arcsec = abs(float(wcs.wcs.cdelt[1])) * 3600.0
    if not pixel_arcsec > 0:
        raise ProcessingError(f"{path}: bad sky pixel size TCDLT {list(wcs.wcs.cdelt)}")
    instrument = str(head.get("INSTRUME", "ACIS")).strip().upper()
    if instrument not in ("ACIS", "HRC"):
        raise ProcessingError(f"{path}: unknown INSTRUME {instrument!r}")
    ra_pnt = float(head.get("RA_PNT", wcs.wcs.crval[0]))
    dec_pnt = float(head.get("DEC_PNT", wcs.wcs.crval[1]))
    return EventList(x, y, wcs, pixel_arcsec, instrument, ra_pnt, dec_pnt, head)
