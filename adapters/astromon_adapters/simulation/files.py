"""Files of the simulated archive: obspar (CIAO .par), evt2 event lists, acal, star catalog.

Every writer writes to a temporary name and renames, so a reader never sees half a file.
The file names follow the Chandra archive's conventions.
"""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.table import Table, vstack

from astromon.domain.event_wcs import event_sky_wcs
from astromon_adapters.simulation.model import CATALOG_EPOCH, PlannedObservation, plan_sources

__all__ = [
    "CATALOG_NAME",
    "acal_name",
    "evt2_name",
    "make_events",
    "obspar_name",
    "obspar_text",
    "sky_keywords",
    "sky_wcs",
    "write_acal",
    "write_catalog",
    "write_evt2",
    "write_obspar",
]

CATALOG_NAME = "Tycho2"
"""Catalog name given to the simulated stars (one of the default cross-match catalogs)."""

BACKGROUND_RADIUS_ARCSEC = 200.0
"""Background events cover a disk of this radius around the pointing."""


def obspar_name(obs: PlannedObservation) -> str:
    return f"axaff{obs.obsid:05d}N001_obs0a.par.gz"


def evt2_name(obs: PlannedObservation) -> str:
    return f"{obs.setup.instrument.lower()}f{obs.obsid:05d}N001_evt2.fits.gz"


def acal_name(obs: PlannedObservation) -> str:
    return f"pcadf{obs.obsid:05d}_000N001_acal1.fits.gz"


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _par_row(name: str, kind: str, value: Any, prompt: str) -> str:
    if kind == "s":
        text = f'"{value}"'
    elif kind == "i":
        text = str(int(value))
    else:
        text = repr(float(value))
    return f'{name},{kind},h,{text},,,"{prompt}"'


def obspar_text(obs: PlannedObservation) -> str:
    """The obs0 parameter file of an observation, in CIAO ``.par`` text format."""
    setup = obs.setup
    acis = setup.instrument == "ACIS"
    rows = [
        ("obs_id", "s", str(obs.obsid), "Observation ID"),
        ("obsid", "i", obs.obsid, "Observation ID"),
        ("seq_num", "s", f"9{obs.obsid % 100000:05d}", "Sequence number"),
        ("object", "s", obs.target, "Source name"),
        ("title", "s", f"Astrometry demo: {obs.target}", "Proposal title"),
        ("observer", "s", "Simulated Observer", "Observer"),
        ("telescop", "s", "CHANDRA", "Telescope"),
        ("instrume", "s", setup.instrument, "Instrument"),
        ("detector", "s", setup.name, "Detector"),
        ("detnam", "s", setup.detnam, "Detector name"),
        ("grating", "s", "NONE", "Grating"),
        ("sim_x", "r", -0.7828, "SIM focus pos (mm)"),
        ("sim_y", "r", 0.0, "SIM orthogonal axis pos (mm)"),
        ("sim_z", "r", setup.sim_z, "SIM translation stage pos (mm)"),
        ("date-obs", "s", obs.date_obs, "Date and time of observation start"),
        ("date-end", "s", obs.date_end, "Date and time of observation stop"),
        ("tstart", "r", obs.tstart, "Observation start time (CXC s)"),
        ("tstop", "r", obs.tstop, "Observation end time (CXC s)"),
        ("ascdsver", "s", "10.13.0", "ASC-DS processing system revision"),
        ("caldbver", "s", obs.caldb_version, "CALDB version"),
        ("ra_nom", "r", obs.ra, "Nominal RA (deg)"),
        ("dec_nom", "r", obs.dec, "Nominal Dec (deg)"),
        ("roll_nom", "r", obs.roll, "Nominal roll (deg)"),
        ("ra_pnt", "r", obs.ra, "Pointing RA (deg)"),
        ("dec_pnt", "r", obs.dec, "Pointing Dec (deg)"),
        ("roll_pnt", "r", obs.roll, "Pointing roll (deg)"),
        ("ra_targ", "r", obs.ra, "Target RA (deg)"),
        ("dec_targ", "r", obs.dec, "Target Dec (deg)"),
        ("equinox", "r", 2000.0, "Equinox"),
        ("obs_mode", "s", "POINTING", "Observation mode"),
        ("datamode", "s", "FAINT" if acis else "NTRNL", "Data mode"),
        ("readmode", "s", "TIMED" if acis else "", "Read mode"),
        ("dtycycle", "i", 0, "Duty cycle"),
        ("exptime", "r", obs.exposure, "Exposure time (s)"),
        ("revision", "i", 1, "Processing revision"),
    ]
    lines = [_par_row(*row) for row in rows]
    lines.append('mode,s,h,"hl",,,""')
    return "\n".join(lines) + "\n"


def write_obspar(obs: PlannedObservation, destination: Path) -> Path:
    """Write the gzipped obspar file into ``destination``; returns its path."""
    path = Path(destination) / obspar_name(obs)
    _atomic_write_bytes(path, gzip.compress(obspar_text(obs).encode(), mtime=0))
    return path


SKY_COLUMNS = {"x": 3, "y": 4}
"""Column numbers of the sky ``x``/``y`` columns in the simulated EVENTS table."""


def sky_keywords(obs: PlannedObservation) -> dict[str, Any]:
    """The column keywords of the sky ``x``/``y`` columns of an observation's EVENTS table.

    TAN projection at the nominal pointing, the detector's sky pixel size: the keywords of
    real Chandra event files (TTYPE/TCTYP/TCRVL/TCRPX/TCDLT/TCUNI, TLMIN/TLMAX).
    """
    setup = obs.setup
    scale = setup.pixel_arcsec / 3600.0
    keywords: dict[str, Any] = {}
    for (name, index), (ctype, crval, cdelt) in zip(
        SKY_COLUMNS.items(),
        (("RA---TAN", obs.ra, -scale), ("DEC--TAN", obs.dec, scale)),
        strict=True,
    ):
        keywords[f"TTYPE{index}"] = name
        keywords[f"TCTYP{index}"] = ctype
        keywords[f"TCRVL{index}"] = crval
        keywords[f"TCRPX{index}"] = setup.crpix
        keywords[f"TCDLT{index}"] = cdelt
        keywords[f"TCUNI{index}"] = "deg"
        keywords[f"TLMIN{index}"] = 0.5
        keywords[f"TLMAX{index}"] = 2.0 * setup.crpix - 0.5
    return keywords


def sky_wcs(obs: PlannedObservation) -> Any:
    """The sky-pixel WCS of an observation's event file, from the keywords it is written with."""
    return event_sky_wcs(sky_keywords(obs))


def make_events(obs: PlannedObservation, sources: Table | None = None) -> Table:
    """The event list of an observation: PSF-blurred source photons plus uniform background.

    Returns a table with time (CXC s), x, y (sky pixels), energy (eV) and src_id (-1 for
    background, not written to the evt2 file), sorted by time.
    """
    if sources is None:
        sources = plan_sources(obs)
    setup = obs.setup
    rng = np.random.default_rng([obs.seed, obs.obsid, 1])
    wcs = sky_wcs(obs)
    pix = setup.pixel_arcsec
    counts = rng.poisson(np.asarray(sources["counts"], dtype=np.float64))
    sx, sy = wcs.wcs_world2pix(np.asarray(sources["ra"]), np.asarray(sources["dec"]), 1)
    sigma_pix = np.asarray(sources["psf_sigma"], dtype=np.float64) / pix
    src_id = np.repeat(np.asarray(sources["src_id"], dtype=np.int32), counts)
    x = np.repeat(sx, counts) + rng.normal(0.0, 1.0, counts.sum()) * np.repeat(sigma_pix, counts)
    y = np.repeat(sy, counts) + rng.normal(0.0, 1.0, counts.sum()) * np.repeat(sigma_pix, counts)
    area = np.pi * BACKGROUND_RADIUS_ARCSEC**2
    n_bkg = int(rng.poisson(setup.background * area))
    r = np.sqrt(rng.uniform(0.0, 1.0, n_bkg)) * BACKGROUND_RADIUS_ARCSEC / pix
    phi = rng.uniform(0.0, 2.0 * np.pi, n_bkg)
    px, py = wcs.wcs_world2pix(obs.ra, obs.dec, 1)
    x = np.concatenate([x, px + r * np.cos(phi)])
    y = np.concatenate([y, py + r * np.sin(phi)])
    src_id = np.concatenate([src_id, np.full(n_bkg, -1, dtype=np.int32)])
    n = len(x)
    time = obs.tstart + rng.uniform(0.0, obs.exposure, n)
    energy = rng.lognormal(np.log(1500.0), 0.6, n).clip(300.0, 9000.0)
    order = np.argsort(time, kind="stable")
    return Table(
        {
            "time": time[order],
            "x": x[order],
            "y": y[order],
            "energy": energy[order],
            "src_id": src_id[order],
        }
    )


def write_evt2(obs: PlannedObservation, destination: Path, events: Table | None = None) -> Path:
    """Write the gzipped evt2 event list of an observation into ``destination``.

    The EVENTS table carries the sky WCS of the x/y columns in the column keywords of real
    Chandra event files (TCTYP/TCRVL/TCRPX/TCDLT/TCUNI) and the usual header keywords.
    """
    if events is None:
        events = make_events(obs)
    setup = obs.setup
    acis = setup.instrument == "ACIS"
    n = len(events)
    chip = np.full(n, 7 if obs.detector == "ACIS-S" else (3 if acis else 0), dtype=np.int16)
    cols = [
        fits.Column("time", "D", unit="s", array=np.asarray(events["time"])),
        fits.Column("ccd_id" if acis else "chip_id", "I", array=chip),
        fits.Column("x", "E", unit="pixel", array=np.asarray(events["x"], dtype=np.float32)),
        fits.Column("y", "E", unit="pixel", array=np.asarray(events["y"], dtype=np.float32)),
    ]
    if acis:
        cols.append(fits.Column("energy", "E", unit="eV", array=np.asarray(events["energy"])))
    else:
        pha = np.clip(np.asarray(events["energy"]) / 40.0, 1, 255).astype(np.int16)
        cols.append(fits.Column("pha", "I", array=pha))
    hdu = fits.BinTableHDU.from_columns(cols, name="EVENTS")
    h = hdu.header
    h.update(sky_keywords(obs))
    header_values: list[tuple[str, Any, str]] = [
        ("TELESCOP", "CHANDRA", "Telescope"),
        ("INSTRUME", setup.instrument, "Instrument"),
        ("DETNAM", setup.detnam, "Detector"),
        ("GRATING", "NONE", "Grating"),
        ("OBJECT", obs.target, "Source name"),
        ("OBS_ID", str(obs.obsid), "Observation ID"),
        ("OBI_NUM", 0, "Observation interval number"),
        ("RA_PNT", obs.ra, "[deg] Pointing RA"),
        ("DEC_PNT", obs.dec, "[deg] Pointing Dec"),
        ("ROLL_PNT", obs.roll, "[deg] Pointing Roll"),
        ("RA_NOM", obs.ra, "[deg] Nominal RA"),
        ("DEC_NOM", obs.dec, "[deg] Nominal Dec"),
        ("ROLL_NOM", obs.roll, "[deg] Nominal Roll"),
        ("SIM_Z", setup.sim_z, "[mm] SIM-Z"),
        ("TSTART", obs.tstart, "[s] Observation start time"),
        ("TSTOP", obs.tstop, "[s] Observation end time"),
        ("DATE-OBS", obs.date_obs, "Date and time of observation start"),
        ("DATE-END", obs.date_end, "Date and time of observation stop"),
        ("EXPOSURE", obs.exposure, "[s] Exposure time"),
        ("MJDREF", 50814.0, "MJD of clock start"),
        ("TIMESYS", "TT", "Time system"),
        ("TIMEUNIT", "s", "Time unit"),
        ("EQUINOX", 2000.0, "Equinox"),
        ("RADESYS", "ICRS", "Reference frame"),
        ("ASCDSVER", "10.13.0", "ASC-DS processing system revision"),
        ("CALDBVER", obs.caldb_version, "CALDB version"),
        ("CREATOR", "astromon simulated observatory", "Program"),
    ]
    for key, value, comment in header_values:
        h[key] = (value, comment)
    primary = fits.PrimaryHDU()
    for key in ("TELESCOP", "INSTRUME", "OBS_ID", "OBJECT"):
        primary.header[key] = h[key]
    path = Path(destination) / evt2_name(obs)
    _write_gzipped_fits(fits.HDUList([primary, hdu]), path)
    return path


def write_acal(obs: PlannedObservation, destination: Path) -> Path:
    """Write the aspect calibration (acal) file; its header carries CALDBVER."""
    hdu = fits.BinTableHDU.from_columns(
        [
            fits.Column("time", "D", unit="s", array=np.array([obs.tstart])),
            fits.Column("ra", "D", unit="deg", array=np.array([obs.ra])),
            fits.Column("dec", "D", unit="deg", array=np.array([obs.dec])),
            fits.Column("roll", "D", unit="deg", array=np.array([obs.roll])),
        ],
        name="ACAL",
    )
    hdu.header["OBS_ID"] = str(obs.obsid)
    hdu.header["CALDBVER"] = obs.caldb_version
    hdu.header["TSTART"] = obs.tstart
    primary = fits.PrimaryHDU()
    primary.header["CALDBVER"] = obs.caldb_version
    primary.header["OBS_ID"] = str(obs.obsid)
    path = Path(destination) / acal_name(obs)
    _write_gzipped_fits(fits.HDUList([primary, hdu]), path)
    return path


def _write_gzipped_fits(hdus: fits.HDUList, path: Path) -> None:
    """Write ``hdus`` gzipped to ``path`` (through a temporary file and a rename).

    Level 1 compression: the simulated archive's files are read back at once, and level 9
    (astropy's and gzip's default) made compression a quarter of the demo's time. mtime 0
    keeps the bytes reproducible.
    """
    raw = io.BytesIO()
    hdus.writeto(raw)
    _atomic_write_bytes(path, gzip.compress(raw.getvalue(), compresslevel=1, mtime=0))


def catalog_table(observations: list[PlannedObservation]) -> Table:
    """The simulated star catalog: every catalog star of every observation.

    Columns: catalog, name, ra, dec (degrees at ``epoch``), pmra, pmdec (mas/yr, pmra with
    cos dec), epoch (decimal year), mag.
    """
    parts = []
    for obs in observations:
        src = plan_sources(obs)
        stars = src[src["kind"] != "xray_only"]
        parts.append(
            Table(
                {
                    "catalog": np.full(len(stars), CATALOG_NAME),
                    "name": np.asarray(stars["name"]),
                    "ra": np.asarray(stars["cat_ra"]),
                    "dec": np.asarray(stars["cat_dec"]),
                    "pmra": np.asarray(stars["pmra"]),
                    "pmdec": np.asarray(stars["pmdec"]),
                    "epoch": np.full(len(stars), CATALOG_EPOCH),
                    "mag": np.asarray(stars["mag"], dtype=np.float32),
                }
            )
        )
    table = vstack(parts) if parts else Table()
    table.meta = {"description": "astromon simulated star catalog"}
    return table


def write_catalog(observations: list[PlannedObservation], path: Path) -> Path:
    """Write the simulated star catalog as an ECSV file (format chosen by the suffix)."""
    table = catalog_table(observations)
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    table.write(tmp, overwrite=True, format="ascii.ecsv" if path.suffix == ".ecsv" else None)
    tmp.replace(path)
    return path
