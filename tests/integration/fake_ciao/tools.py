"""Fake CIAO tools, arc5gl and download_chandra_obsid that write real FITS files.

Each fake executable on PATH is a two-line script calling ``main(<tool name>)``. Behaviour is
driven by the JSON file named by ``$FAKE_CIAO_CONFIG``:

- ``archive``: root of the fake archive (see :func:`data.write_archive`);
- ``log``: every call is appended there as a JSON line ``{"tool": ..., "args": [...]}``;
- ``fail``: ``{tool: "message"}`` makes that tool print the message and exit 1;
- ``wavdetect_max_scales``: wavdetect fails with more scales than this;
- ``streak_source``: index of the source a fake streak polygon covers (ACIS).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.integration.fake_ciao.spec import ARC5GL_SPECS, ObsSpec

if TYPE_CHECKING or os.environ.get("FAKE_CIAO_TOOL") not in (
    "pget",
    "punlearn",
    "arc5gl",
    "download_chandra_obsid",
):
    import numpy as np
    from astropy.io import fits
    from astropy.table import Table
    from astropy.wcs import WCS

PRIMARY = ("evt2", "fov", "bpix", "dtf")
SUBDIRS = {"obspar": "", **dict.fromkeys(PRIMARY, "primary")}


def _config() -> dict[str, Any]:
    path = os.environ.get("FAKE_CIAO_CONFIG")
    return json.loads(Path(path).read_text()) if path else {}


def _params(args: list[str]) -> tuple[list[str], dict[str, str]]:
    positional, params = [], {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if sep and re.fullmatch(r"[A-Za-z_]+", key):
            params[key] = value
        else:
            positional.append(arg)
    return positional, params


def _pfiles_dir() -> Path:
    return Path(os.environ["PFILES"].split(";")[0])


def _write_par(tool: str, values: dict[str, object]) -> None:
    lines = [f'{k},s,h,"{v}",,,""' for k, v in values.items()]
    (_pfiles_dir() / f"{tool}.par").write_text("\n".join(lines) + "\n")


def _spec(archive: Path, obsid: int) -> ObsSpec | None:
    path = archive / str(obsid) / "spec.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    data["sources"] = [tuple(s) for s in data["sources"]]
    return ObsSpec(**data)


def _events_wcs(path: str) -> tuple[Any, Any]:
    with fits.open(path) as hdus:
        header = hdus["EVENTS"].header
        data = Table(hdus["EVENTS"].data)
    cols = {str(header[k]).lower(): int(k[5:]) for k in header if k.startswith("TTYPE")}
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = [header[f"TCTYP{cols[c]}"] for c in "xy"]
    wcs.wcs.crval = [header[f"TCRVL{cols[c]}"] for c in "xy"]
    wcs.wcs.crpix = [header[f"TCRPX{cols[c]}"] for c in "xy"]
    wcs.wcs.cdelt = [header[f"TCDLT{cols[c]}"] for c in "xy"]
    return data, (wcs, header)


# --- archive tools ------------------------------------------------------------------------


def arc5gl(args: list[str], config: dict[str, Any]) -> int:
    archive = Path(config["archive"])
    obsid = None
    commands = sys.stdin.read().splitlines()
    if config.get("log"):
        with open(config["log"], "a") as log:
            log.write(json.dumps({"tool": "arc5gl-stdin", "args": commands}) + "\n")
    for line in commands:
        line = line.strip()
        if line.startswith("obsid="):
            obsid = int(line.split("=", 1)[1])
        elif line.startswith("browse obspar"):
            for path in sorted(archive.glob("*/obspar/*")):
                print(path.name)
        elif line.startswith("get "):
            wanted = line[4:].strip()
            spec = _spec(archive, obsid) if obsid is not None else None
            if spec is None:
                print(f"No files found for obsid={obsid}")
                continue
            for file_type, pattern in ARC5GL_SPECS.items():
                if pattern.replace("{instr}", spec.instrument.lower()) == wanted:
                    for path in sorted((archive / str(obsid) / file_type).glob("*")):
                        shutil.copy(path, Path.cwd() / path.name)
                        print(path.name)
    return 0


def download_chandra_obsid(args: list[str], config: dict[str, Any]) -> int:
    (obsid, file_type), _ = _params(args)
    source = Path(config["archive"]) / obsid / file_type
    if not source.is_dir():
        print(f"Unable to download {file_type} for obsid {obsid}")
        return 0
    target = Path.cwd() / obsid / SUBDIRS.get(file_type, "secondary")
    target.mkdir(parents=True, exist_ok=True)
    for path in source.glob("*"):
        shutil.copy(path, target / path.name)
    return 0


# --- CIAO tools ---------------------------------------------------------------------------


def dmcoords(args: list[str], config: dict[str, Any]) -> int:
    _, p = _params(args)
    _, (wcs, _) = _events_wcs(p["infile"])
    x, y = wcs.wcs_world2pix([[float(p["ra"]), float(p["dec"])]], 1)[0]
    _write_par("dmcoords", {"x": x, "y": y})
    return 0


def pget(args: list[str], config: dict[str, Any]) -> int:
    tool, param = args[0], args[1]
    import csv

    with open(_pfiles_dir() / f"{tool}.par") as par:
        for fields in csv.reader(par):
            if fields and fields[0] == param:
                print(fields[3])
                return 0
    print(f"pget: parameter {param} not found")
    return 1


def dmcopy(args: list[str], config: dict[str, Any]) -> int:
    _, p = _params(args)
    match = re.fullmatch(r"(.+)\[\(x,y\)=circle\(([^,]+),([^,]+),([^)]+)\)\]", p["infile"])
    assert match, p["infile"]
    path, cx, cy, r = match.group(1), *map(float, match.groups()[1:])
    with fits.open(path) as hdus:
        events = hdus["EVENTS"]
        keep = np.hypot(events.data["x"] - cx, events.data["y"] - cy) <= r
        hdu = fits.BinTableHDU(events.data[keep], header=events.header, name="EVENTS")
        fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(p["outfile"], overwrite=True)
    return 0


def fluximage(args: list[str], config: dict[str, Any]) -> int:
    _, p = _params(args)
    data, (wcs, header) = _events_wcs(p["infile"])
    x, y = np.asarray(data["x"]), np.asarray(data["y"])
    x0, y0 = np.floor(x.min()), np.floor(y.min())
    size = max(x.max() - x0, y.max() - y0) + 1
    binning = max(1.0, float(np.ceil(size / 128)))
    n = int(np.ceil(size / binning))
    counts, _, _ = np.histogram2d(
        y, x, bins=n, range=[[y0, y0 + n * binning], [x0, x0 + n * binning]]
    )
    image_header = fits.Header()
    image_header["CTYPE1"], image_header["CTYPE2"] = wcs.wcs.ctype
    image_header["CRVAL1"], image_header["CRVAL2"] = wcs.wcs.crval
    image_header["CDELT1"], image_header["CDELT2"] = wcs.wcs.cdelt * binning
    image_header["CRPIX1"] = (wcs.wcs.crpix[0] - x0) / binning + 0.5
    image_header["CRPIX2"] = (wcs.wcs.crpix[1] - y0) / binning + 0.5
    image_header["OBS_ID"] = header.get("OBS_ID", "")
    root, band = p["outroot"], p["bands"]
    for name, values in (
        (f"{root}_{band}_thresh.img", counts),
        (f"{root}_{band}_thresh.expmap", np.ones_like(counts)),
        (f"{root}_{band}_thresh.psfmap", np.ones_like(counts)),
        (f"{root}_{band}_flux.img", counts),
    ):
        fits.PrimaryHDU(values.astype(np.float32), header=image_header).writeto(
            name, overwrite=True
        )
    return 0


def pileup_map(args: list[str], config: dict[str, Any]) -> int:
    _, p = _params(args)
    with fits.open(p["infile"]) as hdus:
        fits.PrimaryHDU(hdus[0].data * 0.01, header=hdus[0].header).writeto(
            p["outfile"], overwrite=True
        )
    return 0


def dmimgfilt(args: list[str], config: dict[str, Any]) -> int:
    from scipy import ndimage

    _, p = _params(args)
    assert p["function"] == "max" and p["mask"] == "circle(0,0,3)", p
    with fits.open(p["infile"]) as hdus:
        data = ndimage.maximum_filter(hdus[0].data, size=7)
        fits.PrimaryHDU(data, header=hdus[0].header).writeto(p["outfile"], overwrite=True)
    return 0


def _obs_of_image(path: str, config: dict[str, Any]) -> ObsSpec:
    obsid = int(fits.getval(path, "OBS_ID"))
    spec = _spec(Path(config["archive"]), obsid)
    assert spec is not None
    return spec


def acis_streak_map(args: list[str], config: dict[str, Any]) -> int:
    _, p = _params(args)
    header = _events_wcs(p["infile"])[1][1]
    spec = _spec(Path(config["archive"]), int(header["OBS_ID"]))
    assert spec is not None and Path(p["fovfile"]).exists()
    index = config.get("streak_source")
    rows = []
    if index is not None:
        ra, dec = spec.source_radec()[index]
        (sx,), (sy,) = spec.sky_xy(np.array([ra]), np.array([dec]))
        rows.append(([sx - 500, sx + 500, sx + 500, sx - 500], [sy - 3, sy - 3, sy + 3, sy + 3]))
    cols = [
        fits.Column("SHAPE", "16A", array=["Polygon"] * len(rows)),
        fits.Column("X", "4D", array=np.array([r[0] for r in rows]).reshape(-1, 4)),
        fits.Column("Y", "4D", array=np.array([r[1] for r in rows]).reshape(-1, 4)),
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name="REGION")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(p["regfile"], overwrite=True)
    return 0


def _write_sources(spec: ObsSpec, outfile: str) -> None:
    radec = spec.source_radec()
    ra = np.array([r for r, _ in radec])
    dec = np.array([d for _, d in radec])
    x, y = spec.sky_xy(ra, dec)
    counts = np.array([c for _, _, c in spec.sources], dtype=float)
    cols = [
        fits.Column("RA", "D", array=ra),
        fits.Column("DEC", "D", array=dec),
        fits.Column("X", "D", array=x),
        fits.Column("Y", "D", array=y),
        fits.Column("R", "2D", array=np.full((len(ra), 2), 4.0)),
        fits.Column("COMPONENT", "J", array=np.arange(1, len(ra) + 1)),
        fits.Column("NET_COUNTS", "E", array=counts),
        fits.Column("SNR", "E", array=np.sqrt(counts)),
        fits.Column("PSFRATIO", "E", array=np.linspace(0.5, 1.5, len(ra))),
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name="SRCLIST")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(outfile, overwrite=True)


def celldetect(args: list[str], config: dict[str, Any]) -> int:
    _, p = _params(args)
    assert p["maxlogicalwindow"] == "2048", p
    for key in ("psffile", "expstk"):
        assert Path(p[key]).exists(), p[key]
    _write_sources(_obs_of_image(p["infile"], config), p["outfile"])
    return 0


def psfsize_srcs(args: list[str], config: dict[str, Any]) -> int:
    _, p = _params(args)
    assert p["ecf"] == "0.9", p
    n = len(Table.read(p["pos"], hdu=1))
    t = Table({"PSFSIZE": np.full(n, 1.5)})
    t.write(p["outfile"], format="fits", overwrite=True)
    return 0


def wavdetect(args: list[str], config: dict[str, Any]) -> int:
    _, p = _params(args)
    scales = p["scales"].split()
    if len(scales) > int(config.get("wavdetect_max_scales", 99)):
        print(f"wavdetect: too many scales ({len(scales)})")
        return 1
    _write_sources(_obs_of_image(p["infile"], config), p["outfile"])
    return 0


def dmstat(args: list[str], config: dict[str, Any]) -> int:
    (arg,), _ = _params(args)
    match = re.search(r"circle\(([^,]+),([^,]+),", arg)
    assert match
    _write_par("dmstat", {"out_cntrd_phys": f"{float(match[1]) + 0.25},{float(match[2]) - 0.25}"})
    return 0


def chandra_repro(args: list[str], config: dict[str, Any]) -> int:
    _, p = _params(args)
    out = Path(p["outdir"])
    out.mkdir(parents=True, exist_ok=True)
    for path in Path(p["indir"]).glob("primary/*evt2.fits*"):
        shutil.copy(path, out / path.name.replace("_evt2", "_repro_evt2"))
    return 0


def punlearn(args: list[str], config: dict[str, Any]) -> int:
    return 0


TOOLS = {f.__name__: f for f in (arc5gl, download_chandra_obsid, dmcoords, pget, dmcopy,
         fluximage, pileup_map, dmimgfilt, acis_streak_map, celldetect, psfsize_srcs,
         wavdetect, dmstat, chandra_repro, punlearn)}  # fmt: skip


def main(tool: str) -> None:
    config = _config()
    args = sys.argv[1:]
    if config.get("log"):
        with open(config["log"], "a") as log:
            log.write(json.dumps({"tool": tool, "args": args}) + "\n")
    if tool in config.get("fail", {}):
        print(f"# {tool} (CIAO 4.16): starting")
        print(config["fail"][tool])
        sys.exit(1)
    sys.exit(TOOLS[tool](args, config))
