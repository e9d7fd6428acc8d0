"""Legacy names of :mod:`astromon.utils`: the sky WCS of event files, near-neighbour distances.

:func:`get_wcs_from_fits_header` adapts :func:`astromon.domain.event_wcs.event_sky_wcs`;
:func:`get_near_neighbor_dist` is the distance in the (y_angle, z_angle) plane of
:func:`astromon.domain.geometry.nearest_neighbor_dist`, extended to a second set of sources.

Units: y_angle, z_angle and the distances in arcsec.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.table import Table
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from astromon.domain.errors import ProcessingError, SchemaError, ValidationError
from astromon.domain.event_wcs import event_sky_wcs
from astromon.domain.geometry import nearest_neighbor_dist
from astromon.domain.validation import require_path, require_table, require_text

__all__ = ["get_near_neighbor_dist", "get_wcs_from_fits_header"]


def get_wcs_from_fits_header(
    filename: str | os.PathLike[str] | None = None, hdu: int | str = 0, header: Any = None
) -> Any:
    """The WCS from sky pixels (an event file's x, y columns) to (ra, dec) in degrees.

    Pixel values are 0-based in the astropy sense and equal the event file's sky x, y:
    ``wcs.pixel_to_world_values(evt['x'], evt['y'])`` gives (ra, dec).

    Parameters
    ----------
    filename : str or os.PathLike, optional
        FITS file (give this or ``header``, not both).
    hdu : int or str
        HDU of ``filename`` whose header describes the columns (1 for the EVENTS table).
    header : astropy.io.fits.Header, optional
        A header with TTYPE/TCTYP/TCRVL/TCRPX/TCDLT keywords of the x and y columns.

    Raises
    ------
    ValidationError
        Neither or both of ``filename`` and ``header``.
    ProcessingError
        The file cannot be read, or the header has no x/y columns or lacks a WCS keyword.
    """
    if (filename is None) == (header is None):
        raise ValidationError("give either filename or header (exactly one of them)")
    require_path("filename", filename, optional=True)
    if not isinstance(hdu, int | str) or isinstance(hdu, bool):
        raise ValidationError(f"hdu must be an HDU number or name, got {hdu!r}")
    if header is not None and not isinstance(header, fits.Header):
        raise ValidationError(
            f"header must be an astropy.io.fits.Header, got {type(header).__name__}"
        )
    if header is None:
        try:
            header = fits.getheader(filename, hdu)
        except (OSError, KeyError, IndexError, ValueError) as exc:
            raise ProcessingError(f"cannot read HDU {hdu!r} of {filename}: {exc}") from exc
    wcs = event_sky_wcs(header)
    # event_sky_wcs is 1-based (wcs_world2pix(..., 1) gives sky x, y); shift by one so the
    # 0-based astropy API gives sky x, y directly
    wcs.wcs.crpix = [value + 1.0 for value in wcs.wcs.crpix]
    wcs.wcs.set()
    return wcs


def _yz(table: Table, what: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    for column in ("y_angle", "z_angle"):
        if column not in table.colnames:
            raise SchemaError(f"{what} has no {column} column (arcsec)")
    return (
        np.asarray(table["y_angle"], dtype=np.float64),
        np.asarray(table["z_angle"], dtype=np.float64),
    )


def get_near_neighbor_dist(
    sources: Table, all_sources: Table | None = None, id_col: str = "COMPONENT"
) -> NDArray[np.float64]:
    """Distance (arcsec) from each source to the nearest other source of ``all_sources``.

    Distances are in the (y_angle, z_angle) plane; a source is never its own neighbour
    (sources with the same ``id_col`` value are the same source). A source without
    neighbours gets ``inf``.

    Parameters
    ----------
    sources : astropy.table.Table
        Columns y_angle, z_angle (arcsec) and ``id_col``.
    all_sources : astropy.table.Table, optional
        The possible neighbours (same columns); default ``sources``.
    id_col : str
        Column identifying a source.

    Raises
    ------
    SchemaError
        A table lacks y_angle, z_angle or ``id_col``.
    """
    require_table("sources", sources)
    require_table("all_sources", all_sources, optional=True)
    require_text("id_col", id_col)
    neighbours = sources if all_sources is None else all_sources
    for table, what in ((sources, "sources"), (neighbours, "all_sources")):
        if id_col not in table.colnames:
            raise SchemaError(f"{what} has no {id_col!r} column (id_col)")
    y, z = _yz(sources, "sources")
    if neighbours is sources:
        return nearest_neighbor_dist(y, z)
    ny, nz = _yz(neighbours, "all_sources")
    result = np.full(len(y), np.inf)
    if len(ny) == 0 or len(y) == 0:
        return result
    k = min(2, len(ny))
    dist, idx = cKDTree(np.column_stack([ny, nz])).query(np.column_stack([y, z]), k=k)
    dist, idx = dist.reshape(len(y), k), idx.reshape(len(y), k)
    ids, other_ids = np.asarray(sources[id_col]), np.asarray(neighbours[id_col])
    same = other_ids[idx[:, 0]] == ids
    result[~same] = dist[~same, 0]
    if k == 2:
        result[same] = dist[same, 1]
    return result
