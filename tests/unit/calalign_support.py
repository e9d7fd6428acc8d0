"""CALALIGN files written with astropy.io.fits for tests, in the CALDB layout.

The layout is that of the CALDB files read by ``calalign_from_files`` in sot/astromon
(``astromon/utils.py``) and written by its ``scripts/calalign/set_calalign_offsets.py``: a
primary HDU and a binary table named CALALIGN with INSTR_ID and the 3×3 ACA_MISALIGN and
FTS_MISALIGN of each instrument, validity in CVSD0001 (and optionally CVED0001).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

INSTRUMENTS = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")


def rotation(yaw_arcsec: float, pitch_arcsec: float, roll_arcsec: float = 0.0) -> np.ndarray:
    """Rz(yaw) · Ry(pitch) · Rx(roll), angles in arcsec."""
    y, p, r = np.radians(np.array([yaw_arcsec, pitch_arcsec, roll_arcsec]) / 3600.0)
    rz = np.array([[np.cos(y), -np.sin(y), 0], [np.sin(y), np.cos(y), 0], [0, 0, 1]])
    ry = np.array([[np.cos(p), 0, np.sin(p)], [0, 1, 0], [-np.sin(p), 0, np.cos(p)]])
    rx = np.array([[1, 0, 0], [0, np.cos(r), -np.sin(r)], [0, np.sin(r), np.cos(r)]])
    return rz @ ry @ rx


# realistic misalignments: tens of arcsec of yaw/pitch, some roll (arcsec)
MISALIGN = {
    "ACIS-S": (12.0, -25.0, 40.0),
    "ACIS-I": (-30.0, 8.0, -15.0),
    "HRC-S": (45.0, 20.0, 60.0),
    "HRC-I": (-5.0, -40.0, 10.0),
}


def write_calalign_matrices(
    path: Path,
    aca: np.ndarray,
    fts: np.ndarray,
    start: str,
    stop: str | None = None,
    **header: float,
) -> Path:
    """A CALALIGN file at ``path`` with the (4, 3, 3) ACA/FTS misalignments of
    :data:`INSTRUMENTS`, valid from ``start`` (CVSD0001) to ``stop`` (CVED0001, if given);
    ``header`` adds keywords (TSTART=...) to the CALALIGN table."""
    hdu = fits.BinTableHDU.from_columns(
        [
            fits.Column("INSTR_ID", "10A", array=list(INSTRUMENTS)),
            fits.Column("ACA_MISALIGN", "9D", dim="(3,3)", array=aca.reshape(4, 9)),
            fits.Column("FTS_MISALIGN", "9D", dim="(3,3)", array=fts.reshape(4, 9)),
        ],
        name="CALALIGN",
    )
    hdu.header["CVSD0001"] = start
    for key, value in header.items():
        hdu.header[key] = value
    if stop is not None:
        hdu.header["CVED0001"] = stop
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


def write_calalign_file(
    directory: Path,
    name: str = "pcadD2022-06-01alignN0010.fits",
    start: str = "1999-07-23T00:00:00",
    stop: str | None = None,
) -> Path:
    """One CALALIGN file with the misalignments of :data:`MISALIGN`; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    aca = np.array([rotation(*MISALIGN[i]) for i in INSTRUMENTS])
    fts = np.array([rotation(1.0, 2.0, 3.0) for _ in INSTRUMENTS])
    return write_calalign_matrices(directory / name, aca, fts, start, stop, TSTART=0.0, TSTOP=2.0e9)
