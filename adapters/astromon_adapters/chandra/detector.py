"""A CIAO-free x-ray point-source detector working directly on an evt2 event list.

It implements the :class:`astromon.ports.observation.SourceDetector` port, like the CIAO
celldetect detector, and writes a source list of the same shape (a FITS ``SRCLIST`` table with
RA, DEC, X, Y, COMPONENT, NET_COUNTS, SNR, PSFRATIO, ...). The algorithm:

1. read the EVENTS table and the sky WCS of its ``x``/``y`` columns (TCTYP/TCRVL/TCRPX/TCDLT;
   :mod:`astromon_adapters.chandra.event_list`);
2. bin the events into an image of ~0.5" bins, smooth it with a Gaussian of the PSF size and
   take local maxima whose counts in a circular cell exceed the background by 3 sigma;
3. for each candidate, centroid iteratively on the *events* (not the image, so there is no
   pixelisation bias) in a circular aperture of :data:`APERTURE_RADIUS_ARCSEC`, correcting for
   the background events that fall in the aperture;
4. background from an annulus around each source (other sources masked), net counts, their
   Poisson error, S/N = net counts / error, and PSFRATIO = measured RMS size over the largest
   RMS size of a point source (1.5 × the nominal PSF RMS at that off-axis angle): a point
   source has PSFRATIO <= 1;
5. keep sources with S/N >= ``snr``.

Sky positions are in degrees, sizes in arcsec unless the name says pixels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from astropy.io import fits
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
from scipy.spatial import cKDTree

from astromon.domain.errors import ValidationError
from astromon_adapters.chandra.event_list import EventList, read_event_list

__all__ = [
    "APERTURE_RADIUS_ARCSEC",
    "EventList",
    "EventSourceDetector",
    "nominal_psf_sigma_arcsec",
    "read_event_list",
]

Float = NDArray[np.float64]

APERTURE_RADIUS_ARCSEC: Final = 2.0
"""Radius of the source aperture in which events are centroided and counted, arcsec."""
BACKGROUND_ANNULUS_ARCSEC: Final = (6.0, 15.0)
"""Inner and outer radius of the local background annulus, arcsec."""
MASK_RADIUS_ARCSEC: Final = 4.0
"""Other sources' events within this radius are left out of a background annulus, arcsec."""
BIN_ARCSEC: Final = 0.5
"""Target size of an image bin used for peak finding, arcsec."""
POINT_SOURCE_SIZE_FACTOR: Final = 1.5
"""A source whose RMS size exceeds this factor times the nominal PSF RMS is extended."""
MIN_CANDIDATE_COUNTS: Final = 5


def nominal_psf_sigma_arcsec(instrument: str, off_axis_arcsec: ArrayLike) -> Float:
    """Gaussian sigma (per axis, arcsec) of the nominal PSF at an off-axis angle.

    A simple model of the Chandra HRMA core: ``sigma0 + 0.15 * (theta / 120")**2`` with
    sigma0 = 0.30" for ACIS (includes the pixel size) and 0.22" for HRC.

    Parameters
    ----------
    instrument : str
        ``ACIS`` or ``HRC`` (case-insensitive).
    off_axis_arcsec : array-like
        Off-axis angle in arcsec.
    """
    inst = instrument.strip().upper()
    if inst not in ("ACIS", "HRC"):
        raise ValidationError(f"unknown instrument {instrument!r}: expected 'ACIS' or 'HRC'")
    sigma0 = 0.30 if inst == "ACIS" else 0.22
    theta = np.asarray(off_axis_arcsec, dtype=np.float64)
    result: Float = sigma0 + 0.15 * (theta / 120.0) ** 2
    return result


@dataclass(frozen=True)
class DetectedSource:
    """One detected source; positions in sky pixels, sizes in pixels."""

    x: float
    y: float
    counts: int
    net_counts: float
    net_counts_err: float
    bkg_counts: float
    snr: float
    rms_size: float
    psfratio: float


class EventSourceDetector:
    """Detects point sources in an evt2 file without CIAO (the SourceDetector port).

    Parameters
    ----------
    aperture_arcsec : float
        Source aperture radius in arcsec (> 0).
    """

    def __init__(self, aperture_arcsec: float = APERTURE_RADIUS_ARCSEC) -> None:
        if not aperture_arcsec > 0:
            raise ValidationError(f"aperture radius must be positive, got {aperture_arcsec}")
        self.aperture_arcsec = float(aperture_arcsec)

    def detect(self, evt2: Path, outdir: Path, obsid: int, snr: float = 3.0) -> Path:
        """Detect sources in ``evt2`` and write ``{outdir}/{obsid}_celldetect.src``.

        Parameters
        ----------
        evt2 : Path
            Event file (FITS, EVENTS table with sky x/y and their WCS keywords).
        outdir : Path
            Directory of the source list (created when missing).
        obsid : int
            Observation id (file name and OBS_ID keyword).
        snr : float
            Minimum signal-to-noise ratio of the sources kept.

        Returns
        -------
        Path
            The source list: a FITS table ``SRCLIST`` (celldetect's columns, one row per
            source, possibly none).
        """
        if not np.isfinite(snr) or snr < 0:
            raise ValidationError(f"snr threshold must be a non-negative number, got {snr}")
        events = read_event_list(Path(evt2))
        sources = self.find_sources(events, snr)
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        path = outdir / f"{int(obsid)}_celldetect.src"
        _write_source_list(path, events, sources, obsid, snr, self.aperture_arcsec)
        return path

    def find_sources(self, events: EventList, snr: float = 3.0) -> list[DetectedSource]:
        """Sources with S/N >= ``snr``, brightest first."""
        n = len(events.x)
        if n == 0:
            return []
        pix = events.pixel_arcsec
        aperture = self.aperture_arcsec / pix
        candidates = _find_peaks(events, aperture)
        if len(candidates) == 0:
            return []
        tree = cKDTree(np.column_stack([events.x, events.y]))
        centres = [_centroid(events, tree, c, aperture) for c in candidates]
        centres = _merge_close(centres, aperture)
        all_centres = np.array(centres, dtype=np.float64).reshape(-1, 2)
        pnt_x, pnt_y = events.to_pixel(events.ra_pnt, events.dec_pnt)
        found = []
        for cx, cy in centres:
            src = _measure(events, tree, cx, cy, aperture, all_centres, (pnt_x, pnt_y))
            if src is not None and src.snr >= snr:
                found.append(src)
        found.sort(key=lambda s: -s.net_counts)
        return found


def _find_peaks(events: EventList, aperture: float) -> Float:
    """Candidate positions (sky pixels): local maxima with a significant cell count."""
    pix = events.pixel_arcsec
    binning = max(1, round(BIN_ARCSEC / pix))
    lo_x, lo_y = np.floor(events.x.min()), np.floor(events.y.min())
    nx = int((events.x.max() - lo_x) // binning) + 1
    ny = int((events.y.max() - lo_y) // binning) + 1
    ix = ((events.x - lo_x) // binning).astype(np.int64)
    iy = ((events.y - lo_y) // binning).astype(np.int64)
    image = np.zeros((ny, nx), dtype=np.float64)
    np.add.at(image, (iy, ix), 1.0)
    bin_arcsec = binning * pix
    psf_bins = nominal_psf_sigma_arcsec(events.instrument, 0.0).item() / bin_arcsec
    smooth = ndimage.gaussian_filter(image, max(psf_bins, 0.7), mode="constant")
    r_cell = max(1.0, 0.75 * aperture / binning)
    size = int(np.ceil(r_cell))
    yy, xx = np.mgrid[-size : size + 1, -size : size + 1]
    disk = (xx**2 + yy**2 <= r_cell**2).astype(np.float64)
    cell = ndimage.convolve(image, disk, mode="constant")
    bkg_cell = _background_per_bin(image) * disk.sum()
    threshold = max(MIN_CANDIDATE_COUNTS, bkg_cell + 3.0 * np.sqrt(bkg_cell) + 1.0)
    local_max = smooth == ndimage.maximum_filter(smooth, size=5, mode="constant")
    peaks = np.argwhere(local_max & (cell >= threshold) & (smooth > 0))
    # bin centres in sky pixels
    px = lo_x + (peaks[:, 1] + 0.5) * binning
    py = lo_y + (peaks[:, 0] + 0.5) * binning
    return np.column_stack([px, py])


def _background_per_bin(image: Float, block: int = 32, min_blocks: int = 20) -> float:
    """Robust background (counts per bin): median count of the non-empty blocks of bins.

    Sources occupy few blocks, so the median ignores them. With fewer than ``min_blocks``
    non-empty blocks there is no background to speak of and 0 is returned.
    """
    ny, nx = image.shape
    by, bx = -(-ny // block), -(-nx // block)
    padded = np.zeros((by * block, bx * block))
    padded[:ny, :nx] = image
    sums = padded.reshape(by, block, bx, block).sum(axis=(1, 3))
    occupied = sums[sums > 0]
    if len(occupied) < min_blocks:
        return 0.0
    return float(np.median(occupied)) / block**2


def _centroid(
    events: EventList, tree: Any, start: Float, aperture: float, max_iter: int = 30
) -> tuple[float, float]:
    """Iterative background-corrected event centroid (sky pixels) in a circular aperture."""
    cx, cy = float(start[0]), float(start[1])
    for _ in range(max_iter):
        idx = tree.query_ball_point([cx, cy], aperture)
        if len(idx) == 0:
            break
        nx, ny = float(np.mean(events.x[idx])), float(np.mean(events.y[idx]))
        shift = np.hypot(nx - cx, ny - cy)
        cx, cy = nx, ny
        if shift < 1e-4:
            break
    return cx, cy


def _merge_close(centres: list[tuple[float, float]], aperture: float) -> list[tuple[float, float]]:
    """Drop candidates that converged onto the same source (within half an aperture)."""
    kept: list[tuple[float, float]] = []
    for c in centres:
        if all(np.hypot(c[0] - k[0], c[1] - k[1]) > 0.5 * aperture for k in kept):
            kept.append(c)
    return kept


def _measure(
    events: EventList,
    tree: Any,
    cx: float,
    cy: float,
    aperture: float,
    centres: Float,
    pointing: tuple[Float, Float],
) -> DetectedSource | None:
    pix = events.pixel_arcsec
    r_in, r_out = (r / pix for r in BACKGROUND_ANNULUS_ARCSEC)
    mask_r = MASK_RADIUS_ARCSEC / pix
    ann_idx = np.asarray(tree.query_ball_point([cx, cy], r_out), dtype=np.int64)
    ax, ay = events.x[ann_idx], events.y[ann_idx]
    ar = np.hypot(ax - cx, ay - cy)
    in_annulus = ar >= r_in
    others = centres[np.hypot(centres[:, 0] - cx, centres[:, 1] - cy) > 0.5 * aperture]
    if len(others):
        near_other = np.zeros(len(ax), dtype=bool)
        for ox, oy in others:
            near_other |= np.hypot(ax - ox, ay - oy) < mask_r
        in_annulus &= ~near_other
        ann_area = _annulus_area(cx, cy, r_in, r_out, others, mask_r)
    else:
        ann_area = np.pi * (r_out**2 - r_in**2)
    n_bkg = int(in_annulus.sum())
    bkg_density = n_bkg / ann_area if ann_area > 0 else 0.0
    src = ar < aperture
    n_src = int(src.sum())
    if n_src == 0:
        return None
    ap_area = np.pi * aperture**2
    bkg_counts = bkg_density * ap_area
    net = n_src - bkg_counts
    scale = ap_area / ann_area if ann_area > 0 else 0.0
    err = float(np.sqrt(n_src + scale**2 * n_bkg))
    snr = net / err if err > 0 else 0.0
    # background-corrected centroid and second moment (background is uniform about the centre)
    dx, dy = ax[src] - cx, ay[src] - cy
    w_net = max(net, 1.0)
    mx = float(dx.sum()) / w_net
    my = float(dy.sum()) / w_net
    second = float((dx**2 + dy**2).sum()) - bkg_counts * aperture**2 / 2.0
    rms = float(np.sqrt(max(second / w_net - mx**2 - my**2, 0.0) / 2.0))
    x_final, y_final = cx + mx, cy + my
    off_axis = float(np.hypot(x_final - pointing[0], y_final - pointing[1])) * pix
    psf_rms = nominal_psf_sigma_arcsec(events.instrument, off_axis).item() / pix
    psfratio = rms / (POINT_SOURCE_SIZE_FACTOR * psf_rms)
    return DetectedSource(
        x=x_final,
        y=y_final,
        counts=n_src,
        net_counts=float(net),
        net_counts_err=err,
        bkg_counts=float(bkg_counts),
        snr=float(snr),
        rms_size=rms,
        psfratio=float(psfratio),
    )


def _annulus_area(
    cx: float, cy: float, r_in: float, r_out: float, others: Float, mask_r: float
) -> float:
    """Area (pixels²) of the annulus less the disks masked around other sources (on a grid)."""
    close = others[np.hypot(others[:, 0] - cx, others[:, 1] - cy) < r_out + mask_r]
    full = float(np.pi * (r_out**2 - r_in**2))
    if len(close) == 0:
        return full
    step = r_out / 40.0
    g = np.arange(-r_out, r_out + step, step)
    gx, gy = np.meshgrid(g + cx, g + cy)
    rr = np.hypot(gx - cx, gy - cy)
    inside = (rr >= r_in) & (rr < r_out)
    for ox, oy in close:
        inside &= np.hypot(gx - ox, gy - oy) >= mask_r
    frac = float(inside.sum()) / float(((rr >= r_in) & (rr < r_out)).sum())
    return full * frac


def _write_source_list(
    path: Path,
    events: EventList,
    sources: list[DetectedSource],
    obsid: int,
    snr: float,
    aperture_arcsec: float,
) -> None:
    x = np.array([s.x for s in sources], dtype=np.float64)
    y = np.array([s.y for s in sources], dtype=np.float64)
    ra, dec = events.to_world(x, y) if len(sources) else (np.zeros(0), np.zeros(0))
    pix = events.pixel_arcsec
    net = np.array([s.net_counts for s in sources], dtype=np.float64)
    net_err = np.array([s.net_counts_err for s in sources], dtype=np.float64)
    rms = np.array([s.rms_size for s in sources], dtype=np.float64)
    pos_err_pix = np.where(net > 0, rms / np.sqrt(np.maximum(net, 1.0)), 0.0)
    aperture_pix = aperture_arcsec / pix
    n = len(sources)
    cols = [
        fits.Column("RA", "D", unit="deg", array=ra),
        fits.Column("DEC", "D", unit="deg", array=dec),
        fits.Column("RA_ERR", "D", unit="deg", array=pos_err_pix * pix / 3600.0),
        fits.Column("DEC_ERR", "D", unit="deg", array=pos_err_pix * pix / 3600.0),
        fits.Column("X", "D", unit="pixel", array=x),
        fits.Column("Y", "D", unit="pixel", array=y),
        fits.Column("X_ERR", "D", unit="pixel", array=pos_err_pix),
        fits.Column("Y_ERR", "D", unit="pixel", array=pos_err_pix),
        fits.Column("COMPONENT", "J", array=np.arange(1, n + 1, dtype=np.int32)),
        fits.Column("NET_COUNTS", "E", unit="count", array=net),
        fits.Column("NET_COUNTS_ERR", "E", unit="count", array=net_err),
        fits.Column(
            "BKG_COUNTS", "E", unit="count", array=np.array([s.bkg_counts for s in sources])
        ),
        fits.Column("SRC_COUNTS", "J", unit="count", array=np.array([s.counts for s in sources])),
        fits.Column("SNR", "E", array=np.array([s.snr for s in sources])),
        fits.Column("PSFRATIO", "E", array=np.array([s.psfratio for s in sources])),
        fits.Column("SHAPE", "16A", array=np.full(n, "circle")),
        fits.Column("R", "2D", unit="pixel", array=np.full((n, 2), aperture_pix)),
        fits.Column("ROTANG", "D", unit="deg", array=np.zeros(n)),
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name="SRCLIST")
    header = hdu.header
    header["OBS_ID"] = str(int(obsid))
    for key in ("INSTRUME", "DETNAM", "OBJECT", "RA_PNT", "DEC_PNT", "ROLL_PNT", "TSTART"):
        if key in events.header:
            header[key] = events.header[key]
    header["CREATOR"] = "astromon EventSourceDetector"
    header["THRESH"] = (float(snr), "minimum signal-to-noise ratio")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(tmp, overwrite=True)
    tmp.replace(path)
