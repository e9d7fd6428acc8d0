"""The sky WCS of a Chandra event file: celestial coordinates of its ``x``/``y`` columns.

An event file (level-2 ``evt2``) stores the sky position of each event in the columns ``x``
and ``y`` (sky pixels). Their world coordinates are given by the FITS binary-table WCS keywords
of those columns: for the column number ``n`` named by ``TTYPEn``, the projection ``TCTYPn``
(``RA---TAN``/``DEC--TAN``), the reference value ``TCRVLn`` (degrees), the reference pixel
``TCRPXn`` and the pixel size ``TCDLTn`` (degrees; 0.492" for ACIS, 0.13175" for HRC). These
are the keywords CIAO writes in every Chandra event file; every reader of event files in
astromon builds the WCS here, and the simulated observatory writes the same keywords.

``astropy.wcs`` is imported when a WCS is built, so that importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from astromon.domain.errors import ProcessingError

__all__ = ["SKY_WCS_KEYWORDS", "event_sky_wcs"]

SKY_WCS_KEYWORDS: tuple[str, ...] = ("TCTYP", "TCRVL", "TCRPX", "TCDLT")
"""Column WCS keywords (followed by the column number) of the ``x``/``y`` sky columns."""


_MAX_CTYPE = 68
"""Longest value of a FITS string keyword (80-character card less the keyword and quotes)."""


def _sky_columns(header: Mapping[str, Any]) -> tuple[int, int]:
    columns: dict[str, int] = {}
    for key in header:
        name = str(key)
        if name.startswith("TTYPE") and name[5:].isdigit():
            columns[str(header[key]).strip().lower()] = int(name[5:])
    if "x" not in columns or "y" not in columns:
        raise ProcessingError("the event file has no x/y columns")
    return columns["x"], columns["y"]


def event_sky_wcs(header: Mapping[str, Any]) -> Any:
    """The WCS from sky pixels (``x``, ``y``) to (ra, dec) in degrees.

    Pixels are 1-based, as in the event file: ``wcs.wcs_world2pix(ra, dec, 1)`` gives the sky
    ``x``, ``y`` of a position.

    Parameters
    ----------
    header : mapping
        The header of the EVENTS table (``astropy.io.fits.Header`` or a dict): ``TTYPEn``
        naming the columns, and ``TCTYPn``, ``TCRVLn``, ``TCRPXn``, ``TCDLTn`` of the ``x``
        and ``y`` columns.

    Returns
    -------
    astropy.wcs.WCS
        A two-axis celestial WCS.

    Raises
    ------
    ProcessingError
        No ``x``/``y`` column, a WCS keyword missing, a projection that is not printable
        ASCII text or a value that is not a number (the message names the keyword).
    """
    from astropy.wcs import WCS

    x_column, y_column = _sky_columns(header)
    values: dict[str, list[Any]] = {}
    for prefix in SKY_WCS_KEYWORDS:
        values[prefix] = []
        for column in (x_column, y_column):
            keyword = f"{prefix}{column}"
            if keyword not in header:
                raise ProcessingError(f"the event file lacks the WCS keyword {keyword!r}")
            values[prefix].append(header[keyword])
    wcs = WCS(naxis=2)
    ctypes = [str(value).strip() for value in values["TCTYP"]]
    for column, ctype in zip((x_column, y_column), ctypes, strict=True):
        if not (ctype.isascii() and ctype.isprintable() and len(ctype) <= _MAX_CTYPE):
            raise ProcessingError(
                f"the event file's WCS keyword TCTYP{column} is not a projection name: "
                f"{ctype!r:.80}"
            )
    wcs.wcs.ctype = ctypes
    for prefix, attribute in (("TCRVL", "crval"), ("TCRPX", "crpix"), ("TCDLT", "cdelt")):
        try:
            numbers = [float(value) for value in values[prefix]]
        except (TypeError, ValueError):
            raise ProcessingError(
                f"the event file's WCS keywords {prefix}{x_column}/{prefix}{y_column} are not "
                f"numbers: {values[prefix]!r}"
            ) from None
        setattr(wcs.wcs, attribute, numbers)
    return wcs
