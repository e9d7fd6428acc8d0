"""Fake CIAO tools, arc5gl and download_chandra_obsid that write real FITS files.

Each fake executable on PATH is a two-line script calling ``main(<tool name>)``. Each tool's
docstring names the source of the behaviour it models. Behaviour is driven by the JSON file
named by ``$FAKE_CIAO_CONFIG``:

- ``archive``: root of the fake archive (see :func:`data.write_archive`);
- ``log``: every call is appended there as a JSON line ``{"tool": ..., "args": [...]}``;
- ``fail``: ``{tool: "message"}`` makes that tool print the message and exit 1;
- ``wavdetect_max_scales``: wavdetect fails with more scales than this;
- ``streak_source``: index of the source a fake streak polygon covers (ACIS);
- ``no_sources``: celldetect finds nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.integration.fake_ciao.archive_tools import arc5gl, download_chandra_obsid
from tests.integration.fake_ciao.spec import ObsSpec, read_spec

if TYPE_CHECKING or os.environ.get("FAKE_CIAO_TOOL") not in (
    "pget",
    "punlearn",
    "arc5gl",
    "download_chandra_obsid",
):
    import numpy as np
    from astropy.io import fits
# astropy.table and astropy.wcs are imported by the tools that use them: each tool is a process
# of its own, and they would add a tenth of a second to every one.

CIAO_VERSION = "CIAO 4.16"


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


def _events_wcs(path: str) -> tuple[Any, Any]:
    from astropy.table import Table
    from astropy.wcs import WCS

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


# --- CIAO tools ---------------------------------------------------------------------------


def dmcoords(args: list[str], config: dict[str, Any]) -> int:
    """dmcoords (CIAO ahelp page for dmcoords): ``option=cel`` with ``ra``/``dec`` in degrees
    (``celfmt=deg``) leaves the sky ``x``/``y`` in its parameter file for ``pget``."""
    _, p = _params(args)
    _, (wcs, _) = _events_wcs(p["infile"])
    x, y = wcs.wcs_world2pix([[float(p["ra"]), float(p["dec"])]], 1)[0]
    _write_par("dmcoords", {"x": x, "y": y})
    return 0


def pget(args: list[str], config: dict[str, Any]) -> int:
    """pget (CIAO ahelp page for pget): prints a parameter's value from the writable PFILES
    directory; an unknown parameter is an error."""
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
    """dmcopy (CIAO ahelp pages for dmcopy and dmfiltering): copies the events inside a
    ``[(x,y)=circle(x0,y0,r)]`` filter (sky pixels)."""
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


def _ciao_error(tool: str, message: str) -> int:
    print(f"# {tool} ({CIAO_VERSION}): ERROR {message}", file=sys.stderr)
    return 1


def fluximage(args: list[str], config: dict[str, Any]) -> int:
    """fluximage (CIAO ahelp page for fluximage): ``outroot``, ``bands`` (broad, wide...),
    ``binsize``, ``psfecf`` and the optional ancillary files ``asolfile`` (a comma-separated
    list), ``badpixfile``, ``maskfile`` and ``dtffile``, which must exist; writes
    ``{outroot}_{band}_thresh.img/.expmap/.psfmap`` and ``{outroot}_{band}_flux.img``."""
    _, p = _params(args)
    for key in ("asolfile", "badpixfile", "maskfile", "dtffile"):
        for name in p.get(key, "").split(","):
            if name and not Path(name).exists():
                return _ciao_error("fluximage", f"{key} {name} does not exist")
    if p.get("bands") not in ("broad", "wide", "soft", "medium", "hard", "ultrasoft", "csc"):
        return _ciao_error("fluximage", f"unknown band {p.get('bands')!r}")
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
    """pileup_map (CIAO ahelp page for pileup_map): an image of the same grid as the input."""
    _, p = _params(args)
    with fits.open(p["infile"]) as hdus:
        fits.PrimaryHDU(hdus[0].data * 0.01, header=hdus[0].header).writeto(
            p["outfile"], overwrite=True
        )
    return 0


def dmimgfilt(args: list[str], config: dict[str, Any]) -> int:
    """dmimgfilt (CIAO ahelp page for dmimgfilt): ``function`` (``fun`` is its accepted
    abbreviation) and a ``mask`` region; only ``max`` over ``circle(0,0,3)`` is modelled."""
    from scipy import ndimage

    _, p = _params(args)
    function = p.get("function", p.get("fun"))
    assert function == "max" and p["mask"] == "circle(0,0,3)", p
    with fits.open(p["infile"]) as hdus:
        data = ndimage.maximum_filter(hdus[0].data, size=7)
        fits.PrimaryHDU(data, header=hdus[0].header).writeto(p["outfile"], overwrite=True)
    return 0


def _obs_of_image(path: str, config: dict[str, Any]) -> ObsSpec:
    obsid = int(fits.getval(path, "OBS_ID"))
    spec = read_spec(Path(config["archive"]), obsid)
    assert spec is not None
    return spec


def acis_streak_map(args: list[str], config: dict[str, Any]) -> int:
    """acis_streak_map (CIAO ahelp page for acis_streak_map; sot/astromon make_images): reads
    an ACIS event file and its fov file and writes ``regfile`` as an ASCII region file (a
    ds9 header and one ``polygon(x1,y1,...)`` line per streak, none when there are no
    streaks) and the ``bkgroot`` streak maps. A non-ACIS event file is an error."""
    _, p = _params(args)
    header = _events_wcs(p["infile"])[1][1]
    if str(header.get("INSTRUME", "")).upper() != "ACIS":
        return _ciao_error("acis_streak_map", f"{p['infile']} is not an ACIS event file")
    if not Path(p["fovfile"]).exists():
        return _ciao_error("acis_streak_map", f"fovfile {p['fovfile']} does not exist")
    spec = read_spec(Path(config["archive"]), int(header["OBS_ID"]))
    assert spec is not None
    lines = ["# Region file format: DS9 version 4.1", "physical"]
    index = config.get("streak_source")
    if index is not None:
        ra, dec = spec.source_radec()[index]
        (sx,), (sy,) = spec.sky_xy(np.array([ra]), np.array([dec]))
        xs, ys = [sx - 500, sx + 500, sx + 500, sx - 500], [sy - 3, sy - 3, sy + 3, sy + 3]
        lines.append(
            "polygon(" + ",".join(f"{a:.2f},{b:.2f}" for a, b in zip(xs, ys, strict=True)) + ")"
        )
    Path(p["regfile"]).write_text("\n".join(lines) + "\n")
    fits.PrimaryHDU(np.zeros((4, 4), dtype=np.float32)).writeto(p["bkgroot"], overwrite=True)
    return 0


def dmmakereg(args: list[str], config: dict[str, Any]) -> int:
    """dmmakereg (CIAO ahelp page for dmmakereg; sot/astromon make_images): ``dmmakereg
    "region(file.reg)" out.fits kernel=fits`` turns an ASCII region file into a FITS region
    table (SHAPE, X, Y, COMPONENT); it fails on a file without regions."""
    (region, outfile), p = _params(args)
    match = re.fullmatch(r"region\((.+)\)", region)
    if match is None or p.get("kernel") != "fits":
        return _ciao_error("dmmakereg", f"unsupported arguments {args}")
    polygons = []
    for line in Path(match.group(1)).read_text().splitlines():
        found = re.fullmatch(r"\s*polygon\(([^)]*)\)\s*", line, re.IGNORECASE)
        if found:
            values = [float(v) for v in found.group(1).split(",")]
            polygons.append((values[0::2], values[1::2]))
    if not polygons:
        return _ciao_error("dmmakereg", "no regions found in the region file")
    width = max(len(xs) for xs, _ in polygons)
    pad = [
        (xs + [np.nan] * (width - len(xs)), ys + [np.nan] * (width - len(ys)))
        for xs, ys in polygons
    ]
    cols = [
        fits.Column("SHAPE", "16A", array=["Polygon"] * len(pad)),
        fits.Column("X", f"{width}D", array=np.array([r[0] for r in pad])),
        fits.Column("Y", f"{width}D", array=np.array([r[1] for r in pad])),
        fits.Column("COMPONENT", "J", array=np.arange(1, len(pad) + 1)),
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name="REGION")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(outfile, overwrite=True)
    return 0


def _visible_sources(spec: ObsSpec, image: str) -> list[int]:
    """Indices of the spec's sources whose image pixel holds counts (filtered events)."""
    from astropy.wcs import WCS

    with fits.open(image) as hdus:
        data = hdus[0].data
        wcs = WCS(hdus[0].header)
    radec = np.array(spec.source_radec())
    col, row = wcs.wcs_world2pix(radec[:, 0], radec[:, 1], 0)
    keep = []
    for i, (c, r) in enumerate(
        zip(np.round(col).astype(int), np.round(row).astype(int), strict=True)
    ):
        if 0 <= r < data.shape[0] and 0 <= c < data.shape[1] and data[r, c] > 0:
            keep.append(i)
    return keep


def _write_sources(spec: ObsSpec, outfile: str, rows: list[int], with_snr: bool) -> None:
    radec = spec.source_radec()
    ra = np.array([radec[i][0] for i in rows], dtype=float)
    dec = np.array([radec[i][1] for i in rows], dtype=float)
    x, y = spec.sky_xy(ra, dec) if rows else (np.zeros(0), np.zeros(0))
    counts = np.array([spec.sources[i][2] for i in rows], dtype=float)
    cols = [
        fits.Column("RA", "D", array=ra),
        fits.Column("DEC", "D", array=dec),
        fits.Column("X", "D", array=x),
        fits.Column("Y", "D", array=y),
        fits.Column("R", "2D", array=np.full((len(ra), 2), 4.0)),
        fits.Column("COMPONENT", "J", array=np.arange(1, len(ra) + 1)),
        fits.Column("NET_COUNTS", "E", array=counts),
        fits.Column("PSFRATIO", "E", array=np.linspace(0.5, 1.5, len(ra))),
    ]
    if with_snr:
        cols.append(fits.Column("SNR", "E", array=np.sqrt(counts)))
    else:
        cols.append(fits.Column("SRC_SIGNIFICANCE", "E", array=np.sqrt(counts) * 1.1))
    hdu = fits.BinTableHDU.from_columns(cols, name="SRCLIST")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(outfile, overwrite=True)


def celldetect(args: list[str], config: dict[str, Any]) -> int:
    """celldetect (CIAO ahelp page for celldetect): ``thresh`` (S/N), ``maxlogicalwindow``,
    ``psffile``/``expstk`` that must exist; the source list has RA, DEC, X, Y, R, COMPONENT,
    NET_COUNTS, SNR and PSFRATIO. Here the sources are those of the spec whose image pixel has
    counts (so the event filter decides what is found)."""
    _, p = _params(args)
    assert p["maxlogicalwindow"] == "2048", p
    for key in ("psffile", "expstk"):
        assert Path(p[key]).exists(), p[key]
    spec = _obs_of_image(p["infile"], config)
    rows = [] if config.get("no_sources") else _visible_sources(spec, p["infile"])
    _write_sources(spec, p["outfile"], rows, with_snr=True)
    return 0


def psfsize_srcs(args: list[str], config: dict[str, Any]) -> int:
    """psfsize_srcs of cxcsds/ciao-contrib (bin/psfsize_srcs, param/psfsize_srcs.par):
    ``energy`` is a CSC band name (broad 2.3 keV, wide 1.5 keV, ...) or keV and defaults to
    broad; ``ecf`` in 0..1; it fails on an empty position list; the output table has SHAPE, X,
    Y, R (pixels) and COMPONENT."""
    _, p = _params(args)
    bands = {"broad": 2.3, "soft": 0.92, "ultrasoft": 0.4, "medium": 1.56, "hard": 3.8, "wide": 1.5}
    energy = p.get("energy", "broad")
    if energy not in bands:
        try:
            float(energy)
        except ValueError:
            return _ciao_error("psfsize_srcs", f"Unknown energy {energy}")
    from astropy.table import Table

    positions = Table.read(p["pos"], hdu=1)
    if len(positions) == 0:
        return _ciao_error("psfsize_srcs", "No positions found in the input")
    n = len(positions)
    t = Table(
        {
            "SHAPE": ["circle"] * n,
            "X": np.asarray(positions["X"]),
            "Y": np.asarray(positions["Y"]),
            "R": np.full(n, 1.5 if energy == "wide" else 2.0),
            "COMPONENT": np.arange(1, n + 1),
        }
    )
    t.write(p["outfile"], format="fits", overwrite=True)
    return 0


def wavdetect(args: list[str], config: dict[str, Any]) -> int:
    """wavdetect (CIAO detect manual, wavdetect data products): the source list has RA, DEC,
    X, Y, R, COMPONENT, NET_COUNTS, SRC_SIGNIFICANCE and PSFRATIO but no SNR column. Fails when
    given more scales than ``wavdetect_max_scales``."""
    _, p = _params(args)
    scales = p["scales"].split()
    if len(scales) > int(config.get("wavdetect_max_scales", 99)):
        print(f"wavdetect: too many scales ({len(scales)})")
        return 1
    spec = _obs_of_image(p["infile"], config)
    _write_sources(spec, p["outfile"], _visible_sources(spec, p["infile"]), with_snr=False)
    return 0


def dmstat(args: list[str], config: dict[str, Any]) -> int:
    """dmstat (CIAO ahelp page for dmstat): with ``centroid=yes`` leaves ``out_cntrd_phys``
    (``x,y``) in its parameter file."""
    (arg,), _ = _params(args)
    match = re.search(r"circle\(([^,]+),([^,]+),", arg)
    assert match
    _write_par("dmstat", {"out_cntrd_phys": f"{float(match[1]) + 0.25},{float(match[2]) - 0.25}"})
    return 0


def chandra_repro(args: list[str], config: dict[str, Any]) -> int:
    """chandra_repro (CIAO ahelp page for chandra_repro): writes ``*_repro_evt2.fits`` in
    ``outdir`` from the observation in ``indir``."""
    _, p = _params(args)
    out = Path(p["outdir"])
    out.mkdir(parents=True, exist_ok=True)
    for path in Path(p["indir"]).glob("primary/*evt2.fits*"):
        shutil.copy(path, out / path.name.replace("_evt2", "_repro_evt2"))
    return 0


def punlearn(args: list[str], config: dict[str, Any]) -> int:
    """punlearn (CIAO ahelp page for punlearn): resets a tool's parameters; no output."""
    return 0


def ciaover(args: list[str], config: dict[str, Any]) -> int:
    """ciaover (CIAO ahelp page for ciaover): prints the CIAO release and the CALDB version
    of the current environment, one ``Name : value`` line each."""
    caldb = os.environ.get("CALDB", "")
    version_file = Path(caldb) / "docs" / "chandra" / "caldb_version" / "caldb_version.fits"
    caldb_version = fits.getval(version_file, "CALDBVER", 1) if version_file.exists() else ""
    print("The current environment is configured for:")
    print(f"  CIAO                  : {CIAO_VERSION}.0 Thursday, December 14, 2023")
    print("  Contrib               : Package release 1 Thursday, December 14, 2023")
    print(f"  bin dir               : {os.environ.get('ASCDS_INSTALL', '')}/bin")
    print(f"  CALDB                 : {caldb_version or 'not installed'}")
    return 0


TOOLS = {f.__name__: f for f in (arc5gl, download_chandra_obsid, dmcoords, pget, dmcopy,
         fluximage, pileup_map, dmimgfilt, acis_streak_map, dmmakereg, celldetect,
         psfsize_srcs, wavdetect, dmstat, chandra_repro, punlearn, ciaover)}  # fmt: skip


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
