"""Small but real Chandra-like files for the fake archive: obspar, evt2, fov, acal, asol...

An :class:`ObsSpec` describes an observation; :func:`write_archive` writes its files into a
fake archive tree ``{root}/{obsid}/{file_type}/`` served by the fake ``arc5gl`` and
``download_chandra_obsid`` (and by the 127.0.0.1 HTTP server of the archive tests).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
from astropy.io import fits

from tests.integration.fake_ciao.spec import ARC5GL_SPECS, CRPIX, PIXEL_ARCSEC, ObsSpec

__all__ = ["ARC5GL_SPECS", "ObsSpec", "write_archive"]


def par_text(spec: ObsSpec) -> str:
    rows = [
        ("obs_id", "s", str(spec.obsid)),
        ("obsid", "i", spec.obsid),
        ("seq_num", "s", spec.seq_num or f"{200000 + spec.obsid % 100000}"),
        ("object", "s", f"Target {spec.obsid}"),
        ("instrume", "s", spec.instrument),
        ("detector", "s", spec.detector),
        ("grating", "s", "NONE"),
        ("sim_z", "r", -190.5 if spec.instrument == "ACIS" else 126.98),
        ("date-obs", "s", "2020-03-01T10:00:00"),
        ("tstart", "r", 700000000.0),
        ("ascdsver", "s", spec.ascdsver),
        ("caldbver", "s", spec.caldbver),
        ("ra_nom", "r", spec.ra),
        ("dec_nom", "r", spec.dec),
        ("roll_nom", "r", spec.roll),
        ("ra_pnt", "r", spec.ra),
        ("dec_pnt", "r", spec.dec),
        ("roll_pnt", "r", spec.roll),
        ("obs_mode", "s", spec.obs_mode),
        ("readmode", "s", spec.readmode),
        ("dtycycle", "i", spec.dtycycle),
        ("revision", "i", 2),
    ]
    lines = []
    for name, kind, value in rows:
        text = f'"{value}"' if kind == "s" else str(value)
        lines.append(f'{name},{kind},h,{text},,,"{name}"')
    return "\n".join(lines) + '\nmode,s,h,"hl",,,""\n'


def write_evt2(spec: ObsSpec, path: Path, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    ras, decs = [], []
    for (ra, dec), (_, _, counts) in zip(spec.source_radec(), spec.sources, strict=True):
        sigma = 0.5 / 3600.0
        ras.append(ra + rng.normal(0, sigma, counts) / np.cos(np.radians(dec)))
        decs.append(dec + rng.normal(0, sigma, counts))
    x, y = spec.sky_xy(np.concatenate(ras), np.concatenate(decs))
    n_bkg = 200
    half = 400.0 / PIXEL_ARCSEC[spec.instrument]  # background over +-400"
    x = np.concatenate([x, CRPIX[spec.instrument] + rng.uniform(-half, half, n_bkg)])
    y = np.concatenate([y, CRPIX[spec.instrument] + rng.uniform(-half, half, n_bkg)])
    cols = [
        fits.Column("time", "D", array=np.linspace(7e8, 7e8 + 1000, len(x))),
        fits.Column("x", "E", array=x.astype(np.float32)),
        fits.Column("y", "E", array=y.astype(np.float32)),
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name="EVENTS")
    for i, (ctype, crval, cdelt) in (
        (2, ("RA---TAN", spec.ra, -spec.pixel_deg)),
        (3, ("DEC--TAN", spec.dec, spec.pixel_deg)),
    ):
        hdu.header[f"TCTYP{i}"] = ctype
        hdu.header[f"TCRVL{i}"] = crval
        hdu.header[f"TCRPX{i}"] = CRPIX[spec.instrument]
        hdu.header[f"TCDLT{i}"] = cdelt
    for key, value in (
        ("INSTRUME", spec.instrument),
        ("DETNAM", spec.detector),
        ("OBS_ID", str(spec.obsid)),
        ("RA_PNT", spec.ra),
        ("DEC_PNT", spec.dec),
        ("ROLL_PNT", spec.roll),
        ("CALDBVER", spec.caldbver),
    ):
        hdu.header[key] = value
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path, overwrite=True)


def write_table(
    path: Path, extname: str, header: dict[str, object], columns: dict[str, np.ndarray]
) -> None:
    cols = [fits.Column(name, "D", array=np.asarray(v, dtype=float)) for name, v in columns.items()]
    hdu = fits.BinTableHDU.from_columns(cols, name=extname)
    for key, value in header.items():
        hdu.header[key] = value
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path, overwrite=True)


def write_archive(root: Path, spec: ObsSpec) -> dict[str, list[Path]]:
    """Write the files of ``spec`` below ``{root}/{obsid}/{file_type}/``; returns them by type."""
    base = root / str(spec.obsid)
    instr = spec.instrument.lower()
    prefix = f"{instr}f{spec.obsid:05d}N002"
    files: dict[str, list[Path]] = {}

    def target(file_type: str, name: str) -> Path:
        directory = base / file_type
        directory.mkdir(parents=True, exist_ok=True)
        files.setdefault(file_type, []).append(directory / name)
        return directory / name

    target("obspar", f"axaff{spec.obsid:05d}N002_obs0a.par.gz").write_bytes(
        gzip.compress(par_text(spec).encode())
    )
    write_evt2(spec, target("evt2", f"{prefix}_evt2.fits.gz"))
    write_table(target("fov", f"{prefix}_fov1.fits.gz"), "FOV", {}, {"x": [1.0], "y": [1.0]})
    write_table(
        target("asol", f"pcadf{spec.obsid:05d}_000N001_asol1.fits.gz"),
        "ASPSOL",
        {},
        {"time": [7e8], "ra": [spec.ra]},
    )
    write_table(
        target("acal", f"pcadf{spec.obsid:05d}_000N001_acal1.fits.gz"),
        "ACAL",
        {"CALDBVER": spec.caldbver},
        {"time": [7e8]},
    )
    for file_type in ("msk", "bpix", "dtf"):
        write_table(
            target(file_type, f"{prefix}_{file_type}1.fits.gz"), file_type.upper(), {}, {"a": [0]}
        )
    (base / "spec.json").write_text(json.dumps(asdict(spec)))
    return files
