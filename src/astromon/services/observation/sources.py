"""The ``astromon_xray_src`` rows of an observation, from its files.

The files are found in the :class:`~astromon.services.observation.workspace.ObservationWorkspace`
and read through the :class:`~astromon.ports.observation.ObservationFiles` port: the source
list (RA, DEC, COMPONENT, NET_COUNTS, SNR, PSFRATIO), the evt2 header (pointing attitude and
the sky WCS of its x/y columns), the pileup map, the streak regions and the acal header
(CALDBVER).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from astropy.table import Column, Table
from numpy.typing import NDArray

from astromon.domain.errors import ProcessingError
from astromon.domain.event_wcs import event_sky_wcs
from astromon.domain.geometry import nearest_neighbor_dist, radec_to_yz
from astromon.domain.observation_rules import points_in_polygon
from astromon.domain.schema import empty_table, to_schema
from astromon.ports.observation import ObservationFiles, ParameterFiles
from astromon.services.observation.workspace import ObservationWorkspace

__all__ = ["caldb_version", "get_sources", "in_polygons", "pointing", "sources_table"]


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


def caldb_version(*headers: Mapping[str, Any] | None) -> str:
    """CALDBVER of the first header that has it, else ``"0.0"``."""
    for header in headers:
        if header is not None and str(header.get("CALDBVER", "")).strip():
            return str(header["CALDBVER"]).strip()
    return "0.0"


def in_polygons(
    x: Any, y: Any, polygons: list[tuple[NDArray[np.float64], NDArray[np.float64]]]
) -> NDArray[np.bool_]:
    """Whether each point (x, y) lies in one of the polygons (vertex arrays, same pixels)."""
    inside = np.zeros(len(x), dtype=bool)
    for px, py in polygons:
        inside |= points_in_polygon(x, y, px, py)
    return inside


def sources_table(
    obsid: int,
    source_list: Table,
    attitude: tuple[float, float, float],
    pileup: NDArray[np.float64] | None = None,
    acis_streak: NDArray[np.bool_] | None = None,
    caldb: str = "0.0",
) -> Table:
    """The ``astromon_xray_src`` rows of a source list, plus a ``psfratio`` column.

    Parameters
    ----------
    obsid : int
    source_list : Table
        Columns RA, DEC (degrees), COMPONENT, NET_COUNTS, SNR (NaN for wavdetect), PSFRATIO.
    attitude : (ra, dec, roll)
        Pointing attitude in degrees.
    pileup : array, optional
        The pileup map's value at each source; 0 without one.
    acis_streak : array of bool, optional
        Whether each source lies in an ACIS readout streak; False without streak regions.
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
        "pileup": pileup if pileup is not None else np.zeros(n),
        "acis_streak": (acis_streak if acis_streak is not None else np.zeros(n, bool)).astype(
            np.int32
        ),
        "caldb_version": np.full(n, caldb),
    }
    table = to_schema("astromon_xray_src", rows)
    table["psfratio"] = Column(np.asarray(source_list["PSFRATIO"], dtype=np.float32))
    table["psfratio"].format = ".2f"
    return table


def get_sources(
    workspace: ObservationWorkspace,
    files: ObservationFiles,
    par_files: ParameterFiles,
    version: str = "celldetect",
) -> Table:
    """The sources of ``sources/{obsid}_{version}.src`` as ``astromon_xray_src`` rows.

    The pointing is the evt2 header's (else the obspar's); ``pileup`` is the value of
    ``images/{obsid}_pileup_max.img`` at each source (0 without it); ``acis_streak`` is 1 for
    sources inside a polygon of ``images/{obsid}_acis_streaks.fits`` (sky pixels: the
    sources' positions through the event file's sky WCS, else their X, Y columns);
    ``caldb_version`` is CALDBVER of the acal file, else of the evt2 header, else of the
    obspar. An empty typed table when the source list does not exist (detection failed).

    Raises
    ------
    ProcessingError
        A file that exists cannot be read, or there is no pointing.
    """
    obsid = workspace.obsid
    path = workspace.find(f"sources/{obsid}_{version}.src")
    if path is None:
        workspace.log.warning("no source list", version=version)
        return sources_table(obsid, Table(), (0.0, 0.0, 0.0))
    table = files.source_list(path)
    evt2 = workspace.raw_evt2()
    header = files.header(evt2, "EVENTS") if evt2 is not None else None
    obspar = workspace.obspar(par_files) if workspace.has_obspar() else {}
    acal = workspace.find("secondary/*acal*.fits*")
    attitude = pointing(header, obspar)
    sky_wcs = event_sky_wcs(header) if header is not None else None
    caldb = caldb_version(
        files.header(acal) if acal is not None else None,
        header,
        {"CALDBVER": obspar.get("caldbver", "")},
    )
    if len(table) == 0:
        return sources_table(obsid, table, attitude, caldb=caldb)
    ra = np.asarray(table["RA"], dtype=np.float64)
    dec = np.asarray(table["DEC"], dtype=np.float64)
    pileup_map = workspace.find(f"images/{obsid}_pileup_max.img")
    pileup = files.pileup_values(pileup_map, ra, dec) if pileup_map is not None else None
    streaks = workspace.find(f"images/{obsid}_acis_streaks.fits")
    acis_streak = None
    if streaks is not None:
        if sky_wcs is not None:
            x_pix, y_pix = sky_wcs.wcs_world2pix(ra, dec, 1)
        elif "X" in table.colnames and "Y" in table.colnames:
            x_pix, y_pix = np.asarray(table["X"]), np.asarray(table["Y"])
        else:
            raise ProcessingError("sky pixel positions are needed to check streak regions")
        acis_streak = in_polygons(x_pix, y_pix, files.streak_regions(streaks))
    return sources_table(obsid, table, attitude, pileup, acis_streak, caldb)
