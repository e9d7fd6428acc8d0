"""The processing steps of one observation: functions of its workspace and the ports.

Each step takes the :class:`~astromon.services.observation.workspace.ObservationWorkspace`
and the :class:`~astromon.services.observation.runner.StepPorts` and returns a
:class:`~astromon.domain.observation_results.StepResult`; inputs, outputs and skipping are
handled by :func:`~astromon.services.observation.runner.run_step`. The CIAO-only steps are
SKIP when CIAO is disabled (``ports.ciao`` is None).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from astromon.domain.errors import ProcessingError
from astromon.domain.event_wcs import event_sky_wcs
from astromon.domain.observation_results import Status, StepResult
from astromon.domain.observation_rules import sky_pixel_arcsec
from astromon.domain.region_values import radius_to_arcsec
from astromon.ports.observation import CiaoRunner
from astromon.services.observation import sources, streaks
from astromon.services.observation.runner import (
    StepPorts,
    catch_errors,
    ciao_disabled,
    run_step,
)
from astromon.services.observation.workspace import ObservationWorkspace

__all__ = [
    "calculate_centroids",
    "filter_events",
    "filter_sources",
    "make_images",
    "repro",
    "run_celldetect",
    "run_wavdetect",
]


@catch_errors("filter_events")
def filter_events(
    workspace: ObservationWorkspace, ports: StepPorts, radius: Any = 180, psfratio: float = 1
) -> StepResult:
    """Keep the events within ``radius`` arcsec of the pointing (dmcoords + dmcopy).

    The radius is a true angle for both instruments: it is converted to sky pixels with
    the pixel size of the event file's x column (TCDLT; 0.492" for ACIS, 0.13175" for
    HRC), so HRC keeps the same 180" as ACIS (1366 HRC pixels). The standard
    cross-matches select sources up to 120" off-axis, which a narrower HRC cut would
    silently empty. ``radius`` may also be an angle or a text with a unit (``"3arcmin"``).
    """
    radius = radius_to_arcsec(radius, "radius")
    if ports.ciao is None:
        return ciao_disabled("filter_events")
    evt2 = workspace.raw_evt2()
    out = workspace.path(f"primary/{workspace.obsid}_evt2_filtered.fits.gz")

    def action() -> StepResult:
        assert evt2 is not None
        ciao = ports.require_ciao()
        header = ports.fits_files.header(evt2, "EVENTS")
        obspar = workspace.obspar(ports.par_files)
        ra, dec, _ = sources.pointing(header, obspar)
        ciao.run("punlearn", "dmcoords")
        ciao.run("dmcoords", infile=str(evt2), option="cel", ra=ra, dec=dec, celfmt="deg")
        x, y = float(ciao.pget("dmcoords", "x")), float(ciao.pget("dmcoords", "y"))
        r_pix = radius / _pixel_arcsec(header, obspar)
        ciao.run(
            "dmcopy",
            infile=f"{evt2}[(x,y)=circle({x:.2f},{y:.2f},{r_pix:.2f})]",
            outfile=str(out),
            clobber=True,
        )
        n_events = int(ports.fits_files.header(out, "EVENTS").get("NAXIS2", 0))
        if n_events == 0:
            raise ProcessingError(f"no events within {radius:g} arcsec of the pointing")
        return StepResult("filter_events", Status.OK, f"{n_events} events", [out])

    return run_step(workspace, "filter_events", [evt2], [out], action, ["evt2 file"])


def _pixel_arcsec(header: Mapping[str, Any], obspar: Mapping[str, Any]) -> float:
    """The sky pixel size (arcsec) of the event file, else the instrument's nominal one."""
    try:
        pixel = abs(float(event_sky_wcs(header).wcs.cdelt[0])) * 3600.0
    except ProcessingError:
        pixel = 0.0
    return pixel or sky_pixel_arcsec(obspar["instrument"])


@catch_errors("make_images")
def make_images(
    workspace: ObservationWorkspace, ports: StepPorts, evt: str | os.PathLike[str] | None = None
) -> StepResult:
    """fluximage images (and, for ACIS, the pileup map and streak regions).

    fluximage gets the aspect solution, bad-pixel, mask and dead-time files present in the
    working directory. acis_streak_map reads the level-2 event file and the level-1 fov
    file; its failure is a warning (the images are still good).
    """
    if ports.ciao is None:
        return ciao_disabled("make_images")
    events = Path(evt) if evt is not None else workspace.events()
    instrument = workspace.obspar(ports.par_files)["instrument"]
    energy_band = workspace.band(ports.par_files)
    obsid = workspace.obsid
    outputs = [workspace.image(energy_band, s) for s in ("thresh.img", "thresh.expmap")]
    outputs += [workspace.image(energy_band, "thresh.psfmap")]
    outputs.append(workspace.path(f"images/{obsid}_{energy_band}_flux.img"))
    acis = instrument.startswith("acis")
    pileup = workspace.path(f"images/{obsid}_pileup_max.img")
    if acis:
        outputs.append(pileup)

    def action() -> StepResult:
        assert events is not None
        ciao = ports.require_ciao()
        workspace.path("images").mkdir(exist_ok=True)
        ciao.run(
            "fluximage",
            infile=str(events),
            outroot=str(workspace.path(f"images/{obsid}")),
            bands=energy_band,
            binsize=1,
            psfecf=0.9,
            background="none",
            clobber=True,
            **workspace.ancillary_files(),
        )
        if not acis:
            return StepResult("make_images", Status.OK, "", outputs)
        raw_pileup = workspace.path(f"images/{obsid}_pileup.img")
        ciao.run("pileup_map", infile=str(outputs[0]), outfile=str(raw_pileup), clobber=True)
        ciao.run(
            "dmimgfilt",
            infile=str(raw_pileup),
            outfile=str(pileup),
            function="max",
            mask="circle(0,0,3)",
            clobber=True,
        )
        return streaks.map_streaks(workspace, ciao, outputs)

    return run_step(workspace, "make_images", [events], outputs, action, ["event file"])


@catch_errors("run_celldetect")
def run_celldetect(workspace: ObservationWorkspace, ports: StepPorts, snr: float = 3) -> StepResult:
    """celldetect (thresh=snr) and psfsize_srcs; without CIAO, the injected detector.

    psfsize_srcs (ecf 0.9, energy = the band: wide for HRC, broad for ACIS) fails on an
    empty source list, so it is not run when celldetect finds nothing.
    """
    obsid = workspace.obsid
    out = workspace.path(f"sources/{obsid}_celldetect.src")
    if ports.ciao is None:
        evt2 = workspace.raw_evt2()
        return run_step(
            workspace, "run_celldetect", [evt2], [out],
            lambda: _detect(workspace, ports, evt2, out, snr), ["evt2 file"],
        )  # fmt: skip
    psf_size = workspace.path(f"sources/{obsid}_psf_size_celldetect.fits")
    if (
        workspace.exists(out)
        and not workspace.exists(psf_size)
        and _no_sources(workspace, ports, out)
    ):
        return StepResult("run_celldetect", Status.SKIP, "outputs exist (no sources)", [out])
    energy_band = workspace.band(ports.par_files)
    images = [workspace.image(energy_band, s) for s in ("thresh.img", "thresh.psfmap")]
    images.append(workspace.image(energy_band, "thresh.expmap"))
    events = workspace.events()

    def action() -> StepResult:
        assert events is not None
        ciao = ports.require_ciao()
        out.parent.mkdir(exist_ok=True)
        ciao.run(
            "celldetect",
            infile=str(images[0]),
            psffile=str(images[1]),
            expstk=str(images[2]),
            outfile=str(out),
            thresh=snr,
            maxlogicalwindow=2048,
            clobber=True,
        )
        _psf_size(workspace, ports, ciao, events, out, psf_size)
        return _count_sources(ports, "run_celldetect", out, [out, psf_size])

    return run_step(
        workspace, "run_celldetect", [*images, events], [out, psf_size], action,
        ["image", "psf map", "exposure map", "event file"],
    )  # fmt: skip


def _no_sources(workspace: ObservationWorkspace, ports: StepPorts, path: Path) -> bool:
    found = workspace.find(str(path.relative_to(workspace.workdir)))
    return found is not None and len(ports.fits_files.source_list(found)) == 0


def _psf_size(
    workspace: ObservationWorkspace,
    ports: StepPorts,
    ciao: CiaoRunner,
    events: Path,
    source_list: Path,
    out: Path,
) -> None:
    if len(ports.fits_files.source_list(source_list)) == 0:
        workspace.log.info("no sources: psfsize_srcs not run", source_list=str(source_list))
        return
    ciao.run(
        "psfsize_srcs", infile=str(events), pos=str(source_list), outfile=str(out),
        energy=workspace.band(ports.par_files), ecf=0.9, clobber=True,
    )  # fmt: skip


def _detect(
    workspace: ObservationWorkspace, ports: StepPorts, evt2: Path | None, out: Path, snr: float
) -> StepResult:
    assert evt2 is not None
    if ports.detector is None:
        raise ProcessingError(
            "CIAO is disabled (use_ciao=False) and no source detector was given "
            "(detector=...): no sources can be detected"
        )
    out.parent.mkdir(exist_ok=True)
    written = Path(ports.detector.detect(evt2, out.parent, workspace.obsid, snr))
    if written != out:
        written.replace(out)
    return _count_sources(ports, "run_celldetect", out, [out])


def _count_sources(ports: StepPorts, name: str, path: Path, outputs: list[Path]) -> StepResult:
    n_sources = len(ports.fits_files.source_list(path))
    if n_sources == 0:
        return StepResult(name, Status.WARNING, "no sources detected", outputs[:1])
    return StepResult(name, Status.OK, f"{n_sources} sources", outputs)


@catch_errors("run_wavdetect")
def run_wavdetect(
    workspace: ObservationWorkspace,
    ports: StepPorts,
    edition: str,
    skip_exist: bool = False,
    scales: str = "1.4 2 4 8 16 32",
) -> StepResult:
    """wavdetect into ``sources/{obsid}_{edition}.src``, then psfsize_srcs into
    ``sources/{obsid}_psf_size_{edition}.fits`` (not for an empty list). On failure
    wavdetect is retried without the largest scale while at least 3 remain. Its source
    lists have no SNR column (``get_sources`` gives NaN snr)."""
    if ports.ciao is None:
        return ciao_disabled("run_wavdetect")
    obsid = workspace.obsid
    out = workspace.path(f"sources/{obsid}_{edition}.src")
    if out.exists() and not skip_exist:
        out.unlink()
    energy_band = workspace.band(ports.par_files)
    images = [workspace.image(energy_band, s) for s in ("thresh.img", "thresh.expmap")]
    images.append(workspace.image(energy_band, "thresh.psfmap"))
    events = workspace.events()

    def action() -> StepResult:
        assert events is not None
        ciao = ports.require_ciao()
        out.parent.mkdir(exist_ok=True)
        remaining = scales.split()
        while True:
            try:
                ciao.run(
                    "wavdetect",
                    infile=str(images[0]),
                    expfile=str(images[1]),
                    psffile=str(images[2]),
                    outfile=str(out),
                    scellfile=str(workspace.path(f"sources/{obsid}_{edition}.scell")),
                    imagefile=str(workspace.path(f"sources/{obsid}_{edition}.recon")),
                    defnbkgfile=str(workspace.path(f"sources/{obsid}_{edition}.nbkg")),
                    scales=" ".join(remaining),
                    clobber=True,
                )
                break
            except ProcessingError:
                if len(remaining) <= 3:
                    raise
                remaining = remaining[:-1]
                workspace.log.warning("wavdetect failed, retrying", scales=" ".join(remaining))
        psf_size = workspace.path(f"sources/{obsid}_psf_size_{edition}.fits")
        _psf_size(workspace, ports, ciao, events, out, psf_size)
        return StepResult("run_wavdetect", Status.OK, f"scales {' '.join(remaining)}", [out])

    return run_step(
        workspace, "run_wavdetect", [*images, events], [out], action,
        ["image", "exposure map", "psf map", "event file"],
    )  # fmt: skip


@catch_errors("filter_sources")
def filter_sources(
    workspace: ObservationWorkspace, ports: StepPorts, radius: Any = 180, psfratio: float = 1
) -> StepResult:
    """Keep celldetect sources with PSFRATIO <= psfratio within ``radius`` (arcsec or an
    angle) of the pointing, in ``sources/{obsid}_celldetect_filtered.src``."""
    radius = radius_to_arcsec(radius, "radius")
    obsid = workspace.obsid
    inp = workspace.find(f"sources/{obsid}_celldetect.src")
    out = workspace.path(f"sources/{obsid}_celldetect_filtered.src")

    def action() -> StepResult:
        assert inp is not None
        table = ports.fits_files.source_list(inp)
        found = sources.get_sources(workspace, ports.fits_files, ports.par_files)
        keep = (np.asarray(found["r_angle"]) <= radius) & (
            np.asarray(found["psfratio"]) <= psfratio
        )
        out.parent.mkdir(exist_ok=True)
        ports.fits_files.write_source_list(table[keep], out)
        return StepResult("filter_sources", Status.OK, f"{int(keep.sum())} sources", [out])

    return run_step(workspace, "filter_sources", [inp], [out], action, ["celldetect source list"])


@catch_errors("calculate_centroids")
def calculate_centroids(workspace: ObservationWorkspace, ports: StepPorts) -> StepResult:
    """dmstat centroids of each celldetect source on the flux image."""
    if ports.ciao is None:
        return ciao_disabled("calculate_centroids")
    obsid = workspace.obsid
    inp = workspace.find(f"sources/{obsid}_celldetect.src")
    flux = workspace.path(f"images/{obsid}_{workspace.band(ports.par_files)}_flux.img")
    out = workspace.path(f"sources/{obsid}_centroids.src")

    def action() -> StepResult:
        assert inp is not None
        ciao = ports.require_ciao()
        table = ports.fits_files.source_list(inp)
        for name in ("X", "Y"):
            if name not in table.colnames:
                raise ProcessingError(f"source list {inp} has no {name} column")
        radius = np.full(len(table), 3.0)
        if "R" in table.colnames:
            radius = np.atleast_2d(np.asarray(table["R"], dtype=float).T)[0]
        for i, row in enumerate(table):
            region = f"circle({row['X']},{row['Y']},{max(radius[i], 1.0)})"
            ciao.run("dmstat", f"{flux}[sky={region}]", centroid=True)
            cx, cy = ciao.pget("dmstat", "out_cntrd_phys").split(",")[:2]
            table["X"][i], table["Y"][i] = float(cx), float(cy)
        ports.fits_files.write_source_list(table, out)
        return StepResult("calculate_centroids", Status.OK, f"{len(table)} sources", [out])

    return run_step(
        workspace, "calculate_centroids", [inp, flux], [out], action,
        ["source list", "flux image"],
    )  # fmt: skip


@catch_errors("repro")
def repro(workspace: ObservationWorkspace, ports: StepPorts) -> StepResult:
    """chandra_repro into ``repro/``."""
    if ports.ciao is None:
        return ciao_disabled("repro")
    out_dir = workspace.path("repro")

    def action() -> None:
        ports.require_ciao().run(
            "chandra_repro", indir=str(workspace.workdir), outdir=str(out_dir), clobber=True
        )

    outputs = sorted(out_dir.glob("*evt2.fits*")) if out_dir.is_dir() else [out_dir / "evt2"]
    return run_step(workspace, "repro", [workspace.raw_evt2()], outputs, action, ["evt2 file"])
