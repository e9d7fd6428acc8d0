"""Build the ``astromon_xray_src`` rows of an observation from its files.

Inputs are paths found by :class:`astromon.services.observation.steps.ObservationSteps`: the
source list (a FITS table with RA, DEC, COMPONENT, NET_COUNTS, SNR, PSFRATIO), the evt2 file
(pointing attitude and the sky WCS of its x/y columns), the pileup map, the streak regions and
the acal file (CALDBVER).

``astropy.io.fits`` and ``astropy.wcs`` are imported by the functions that need them, so that
importing this module (every command-line start does) stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Column, Table

from astromon.domain.errors import ProcessingError
from astromon.domain.geometry import nearest_neighbor_dist, radec_to_yz
from astromon.domain.observation_rules import points_in_polygon
from astromon.domain.schema import empty_table, to_schema

__all__ = [
    "caldb_version",
    "event_sky_wcs",
    "pointing",
    "read_header",
    "read_source_list",
    "sources_table",
]

_SOURCE_COLUMNS = ("RA", "DEC", "COMPONENT", "NET_COUNTS", "PSFRATIO")
"""Columns every source list has; celldetect's also have SNR, wavdetect's do not."""


def read_header(path: Path, extname: str | None = None) -> Any:
    """Header of ``extname`` (or of the first table HDU, else the primary) of a FITS file."""
    from astropy.io import fits

    try:
        with fits.open(path) as hdus:
            if extname is not None:
                return hdus[extname].header.copy()
            for hdu in hdus[1:]:
                if isinstance(hdu, fits.BinTableHDU):
                    return hdu.header.copy()
            return hdus[0].header.copy()
    except (OSError, KeyError, ValueError, TypeError, EOFError) as exc:
        raise ProcessingError(f"cannot read the FITS header of {path}: {exc}") from exc


def read_source_list(path: Path) -> Table:
    """The first table of a source-list FITS file; ProcessingError names missing columns.

    A list without SNR (wavdetect writes SRC_SIGNIFICANCE, not SNR) gets an SNR column of
    NaN.
    """
    from astropy.io import fits

    try:
        with fits.open(path) as hdus:
            hdu = next((h for h in hdus[1:] if isinstance(h, fits.BinTableHDU)), None)
            if hdu is None:
                raise ProcessingError(f"source list {path} has no table")
            table = Table(hdu.data)
    except ProcessingError:
        raise
    except (OSError, ValueError, TypeError, EOFError) as exc:
        raise ProcessingError(f"cannot read source list {path}: {exc}") from exc
    upper = {name.upper(): name for name in table.colnames}
    missing = [c for c in _SOURCE_COLUMNS if c not in upper]
    if missing:
        raise ProcessingError(f"source list {path} lacks the columns {missing}")
    for key, name in upper.items():
        if key != name:
            table.rename_column(name, key)
    if "SNR" not in upper:
        table["SNR"] = np.full(len(table), np.nan)
    return table


def pointing(
    evt2_header: Mapping[str, Any] | None, obspar: Mapping[str, Any]
) -> tuple[float, float, float]:
    """Pointing attitude (ra, dec, roll; degrees): evt2 RA_PNT/DEC_PNT/ROLL_PNT, else obspar."""
    keys = ("RA_PNT", "DEC_PNT", "ROLL_PNT")
    if evt2_header is not None and all(k in evt2_header for k in keys):
        ra, dec, roll = (float(evt2_header[k]) for k in keys)
        return ra, dec, roll
    try:
        ra, dec, roll = (float(obspar[k.lower()]) for k in keys)
        return ra, dec, roll
    except (KeyError, TypeError, ValueError):
        raise ProcessingError(
            "no pointing attitude: the evt2 header lacks RA_PNT/DEC_PNT/ROLL_PNT and so does "
            "the obspar"
        ) from None


def event_sky_wcs(header: Mapping[str, Any]) -> Any:
    """Sky WCS of the x/y columns of an event file (TCTYP/TCRVL/TCRPX/TCDLT keywords)."""
    from astropy.wcs import WCS

    columns: dict[str, int] = {}
    for key in header:
        if str(key).startswith("TTYPE"):
            columns[str(header[key]).strip().lower()] = int(str(key)[5:])
    if "x" not in columns or "y" not in columns:
        raise ProcessingError("the event file has no x/y columns")
    wcs = WCS(naxis=2)
    try:
        wcs.wcs.ctype = [str(header[f"TCTYP{columns[c]}"]) for c in ("x", "y")]
        wcs.wcs.crval = [float(header[f"TCRVL{columns[c]}"]) for c in ("x", "y")]
        wcs.wcs.crpix = [float(header[f"TCRPX{columns[c]}"]) for c in ("x", "y")]
        wcs.wcs.cdelt = [float(header[f"TCDLT{columns[c]}"]) for c in ("x", "y")]
    except KeyError as exc:
        raise ProcessingError(f"the event file lacks the WCS keyword {exc}") from None
    return wcs


def caldb_version(*headers: Mapping[str, Any] | None) -> str:
    """CALDBVER of the first header that has it, else ``"0.0"``."""
    for header in headers:
        if header is not None and str(header.get("CALDBVER", "")).strip():
            return str(header["CALDBVER"]).strip()
    return "0.0"


def _pileup_values(pileup_map: Path, ra: Any, dec: Any) -> Any:
    from astropy.io import fits
    from astropy.wcs import WCS

    try:
        with fits.open(pileup_map) as hdus:
            image = np.asarray(hdus[0].data, dtype=np.float64)
            wcs = WCS(hdus[0].header).celestial
    except (OSError, ValueError, TypeError, IndexError) as exc:
        raise ProcessingError(f"cannot read pileup map {pileup_map}: {exc}") from exc
    if image.ndim != 2:
        raise ProcessingError(f"pileup map {pileup_map} is not a 2-d image")
    col, row = wcs.world_to_pixel_values(ra, dec)
    col = np.round(np.asarray(col)).astype(int)
    row = np.round(np.asarray(row)).astype(int)
    inside = (row >= 0) & (row < image.shape[0]) & (col >= 0) & (col < image.shape[1])
    values = np.zeros(len(col))
    values[inside] = image[row[inside], col[inside]]
    return values


def _in_streaks(streaks: Path, x: Any, y: Any) -> Any:
    from astropy.io import fits

    try:
        with fits.open(streaks) as hdus:
            hdu = next((h for h in hdus[1:] if isinstance(h, fits.BinTableHDU)), None)
            regions = Table(hdu.data) if hdu is not None else Table()
    except (OSError, ValueError, TypeError) as exc:
        raise ProcessingError(f"cannot read streak regions {streaks}: {exc}") from exc
    inside = np.zeros(len(x), dtype=bool)
    names = {n.upper(): n for n in regions.colnames}
    if not len(regions) or "X" not in names or "Y" not in names:
        return inside
    for row in regions:
        shape = str(row[names["SHAPE"]]).strip().lower() if "SHAPE" in names else "polygon"
        if shape != "polygon":
            continue
        px, py = np.atleast_1d(row[names["X"]]), np.atleast_1d(row[names["Y"]])
        valid = np.isfinite(px) & np.isfinite(py)
        inside |= points_in_polygon(x, y, px[valid], py[valid])
    return inside


def sources_table(
    obsid: int,
    source_list: Table,
    attitude: tuple[float, float, float],
    sky_wcs: Any = None,
    pileup_map: Path | None = None,
    streaks: Path | None = None,
    caldb: str = "0.0",
) -> Table:
    """The ``astromon_xray_src`` rows of a source list, plus a ``psfratio`` column.

    Parameters
    ----------
    obsid : int
    source_list : Table
        Columns RA, DEC (degrees), COMPONENT, NET_COUNTS, SNR (NaN for wavdetect), PSFRATIO
        (X, Y sky pixels used for streaks when ``sky_wcs`` is None).
    attitude : (ra, dec, roll)
        Pointing attitude in degrees.
    sky_wcs : astropy.wcs.WCS, optional
        Sky WCS of the event x/y columns (for streak regions, which are in sky pixels).
    pileup_map, streaks : Path, optional
        Pileup map image and streak-region table; without them pileup and acis_streak are 0.
    caldb : str
        CalDB version the observation was processed with.
    """
    n = len(source_list)
    if n == 0:
        table = empty_table("astromon_xray_src")
        table["psfratio"] = Column([], dtype=np.float32)
        return table
    ra = np.asarray(source_list["RA"], dtype=np.float64)
    dec = np.asarray(source_list["DEC"], dtype=np.float64)
    y, z = radec_to_yz(ra, dec, *attitude)
    pileup = _pileup_values(pileup_map, ra, dec) if pileup_map is not None else np.zeros(n)
    streak = np.zeros(n, dtype=bool)
    if streaks is not None:
        if sky_wcs is not None:
            x_pix, y_pix = sky_wcs.wcs_world2pix(ra, dec, 1)
        elif "X" in source_list.colnames and "Y" in source_list.colnames:
            x_pix, y_pix = np.asarray(source_list["X"]), np.asarray(source_list["Y"])
        else:
            raise ProcessingError("sky pixel positions are needed to check streak regions")
        streak = _in_streaks(streaks, x_pix, y_pix)
    rows = {
        "obsid": np.full(n, int(obsid)),
        "id": np.asarray(source_list["COMPONENT"]),
        "ra": ra,
        "dec": dec,
        "net_counts": np.asarray(source_list["NET_COUNTS"], dtype=np.float64),
        "y_angle": y,
        "z_angle": z,
        "r_angle": np.hypot(y, z),
        "snr": np.asarray(source_list["SNR"], dtype=np.float64),
        "near_neighbor_dist": nearest_neighbor_dist(y, z),
        "pileup": pileup,
        "acis_streak": streak.astype(np.int32),
        "caldb_version": np.full(n, caldb),
    }
    table = to_schema("astromon_xray_src", rows)
    table["psfratio"] = Column(np.asarray(source_list["PSFRATIO"], dtype=np.float32))
    table["psfratio"].format = ".2f"
    return table
