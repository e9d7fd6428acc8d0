"""The processing steps of one observation, over the observation ports.

Steps return a :class:`~astromon.domain.observation_results.StepResult`; expected failures
(tool errors, missing files) become ERROR results, bugs still raise. Inputs, outputs and
skipping are handled by :meth:`ObservationWorkspace._step`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table

from astromon.domain.errors import AstromonError, ProcessingError
from astromon.domain.observation_results import ProcessResult, Status, StepResult
from astromon.domain.observation_rules import DEFAULT_DOWNLOAD, sky_pixel_arcsec
from astromon.domain.region_values import radius_to_arcsec
from astromon.ports.observation import CiaoRunner
from astromon.services.observation import sources as src
from astromon.services.observation import streaks
from astromon.services.observation.workspace import ObservationWorkspace, step_errors

__all__ = ["ObservationSteps"]


def _failed(step: StepResult) -> bool:
    return step.status == Status.ERROR


class ObservationSteps(ObservationWorkspace):
    """Processing of one observation: download, CIAO steps, source detection, over the ports.

    See :class:`ObservationWorkspace` for the parameters.
    """

    # --- CIAO steps --------------------------------------------------------------------------

    @step_errors("filter_events")
    def filter_events(self, radius: float = 180, psfratio: float = 1) -> StepResult:
        """Keep the events within ``radius`` arcsec of the pointing (dmcoords + dmcopy).

        The radius is a true angle for both instruments: it is converted to sky pixels with
        the pixel size of the event file's x column (TCDLT; 0.492" for ACIS, 0.13175" for
        HRC), so HRC keeps the same 180" as ACIS (1366 HRC pixels). The standard
        cross-matches select sources up to 120" off-axis, which a narrower HRC cut would
        silently empty. ``radius`` may also be an angle or a text with a unit (``"3arcmin"``).
        """
        radius = radius_to_arcsec(radius, "radius")
        if not self.use_ciao:
            return self._no_ciao("filter_events")
        evt2 = self._raw_evt2()
        out = self._path(f"primary/{self.obsid}_evt2_filtered.fits.gz")

        def action() -> StepResult:
            assert evt2 is not None
            ciao = self._ciao()
            header = src.read_header(evt2, "EVENTS")
            ra, dec, _ = src.pointing(header, self.get_obspar())
            ciao.run("punlearn", "dmcoords")
            ciao.run("dmcoords", infile=str(evt2), option="cel", ra=ra, dec=dec, celfmt="deg")
            x, y = float(ciao.pget("dmcoords", "x")), float(ciao.pget("dmcoords", "y"))
            r_pix = radius / self._pixel_arcsec(header)
            ciao.run(
                "dmcopy",
                infile=f"{evt2}[(x,y)=circle({x:.2f},{y:.2f},{r_pix:.2f})]",
                outfile=str(out),
                clobber=True,
            )
            n_events = int(src.read_header(out, "EVENTS").get("NAXIS2", 0))
            if n_events == 0:
                raise ProcessingError(f"no events within {radius:g} arcsec of the pointing")
            return StepResult("filter_events", Status.OK, f"{n_events} events", [out])

        return self._step("filter_events", [evt2], [out], action, ["evt2 file"])

    def _pixel_arcsec(self, header: Any) -> float:
        try:
            pixel = abs(float(src.event_sky_wcs(header).wcs.cdelt[0])) * 3600.0
        except ProcessingError:
            pixel = 0.0
        return pixel or sky_pixel_arcsec(self.get_obspar()["instrument"])

    @step_errors("make_images")
    def make_images(self, evt: str | os.PathLike[str] | None = None) -> StepResult:
        """fluximage images (and, for ACIS, the pileup map and streak regions).

        fluximage gets the aspect solution, bad-pixel, mask and dead-time files present in the
        working directory. acis_streak_map reads the level-2 event file and the level-1 fov
        file; its failure is a warning (the images are still good).
        """
        if not self.use_ciao:
            return self._no_ciao("make_images")
        events = Path(evt) if evt is not None else self._events()
        instrument = self.get_obspar()["instrument"]
        outputs = [self._image(s) for s in ("thresh.img", "thresh.expmap", "thresh.psfmap")]
        outputs.append(self._path(f"images/{self.obsid}_{self.band}_flux.img"))
        acis = instrument.startswith("acis")
        pileup = self._path(f"images/{self.obsid}_pileup_max.img")
        if acis:
            outputs.append(pileup)

        def action() -> StepResult:
            assert events is not None
            ciao = self._ciao()
            self._path("images").mkdir(exist_ok=True)
            ciao.run(
                "fluximage",
                infile=str(events),
                outroot=str(self._path(f"images/{self.obsid}")),
                bands=self.band,
                binsize=1,
                psfecf=0.9,
                background="none",
                clobber=True,
                **self._ancillary_files(),
            )
            if not acis:
                return StepResult("make_images", Status.OK, "", outputs)
            raw_pileup = self._path(f"images/{self.obsid}_pileup.img")
            ciao.run("pileup_map", infile=str(outputs[0]), outfile=str(raw_pileup), clobber=True)
            ciao.run(
                "dmimgfilt",
                infile=str(raw_pileup),
                outfile=str(pileup),
                function="max",
                mask="circle(0,0,3)",
                clobber=True,
            )
            return streaks.map_streaks(self, ciao, outputs)

        return self._step("make_images", [events], outputs, action, ["event file"])

    @step_errors("run_celldetect")
    def run_celldetect(self, snr: float = 3) -> StepResult:
        """celldetect (thresh=snr) and psfsize_srcs; without CIAO, the injected detector.

        psfsize_srcs (ecf 0.9, energy = the band: wide for HRC, broad for ACIS) fails on an
        empty source list, so it is not run when celldetect finds nothing.
        """
        out = self._path(f"sources/{self.obsid}_celldetect.src")
        if not self.use_ciao:
            evt2 = self._raw_evt2()
            return self._step(
                "run_celldetect", [evt2], [out], lambda: self._detect(evt2, out, snr), ["evt2 file"]
            )
        psf_size = self._path(f"sources/{self.obsid}_psf_size_celldetect.fits")
        if self._exists(out) and not self._exists(psf_size) and self._no_sources(out):
            return StepResult("run_celldetect", Status.SKIP, "outputs exist (no sources)", [out])
        images = [self._image(s) for s in ("thresh.img", "thresh.psfmap", "thresh.expmap")]
        events = self._events()

        def action() -> StepResult:
            assert events is not None
            ciao = self._ciao()
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
            self._psf_size(ciao, events, out, psf_size)
            return self._count_sources("run_celldetect", out, [out, psf_size])

        return self._step(
            "run_celldetect", [*images, events], [out, psf_size], action,
            ["image", "psf map", "exposure map", "event file"],
        )  # fmt: skip

    def _no_sources(self, path: Path) -> bool:
        found = self._one(str(path.relative_to(self.workdir)))
        return found is not None and len(src.read_source_list(found)) == 0

    def _psf_size(self, ciao: CiaoRunner, events: Path, sources: Path, out: Path) -> None:
        if len(src.read_source_list(sources)) == 0:
            self.log.info("no sources: psfsize_srcs not run", source_list=str(sources))
            return
        ciao.run(
            "psfsize_srcs", infile=str(events), pos=str(sources), outfile=str(out),
            energy=self.band, ecf=0.9, clobber=True,
        )  # fmt: skip

    def _detect(self, evt2: Path | None, out: Path, snr: float) -> StepResult:
        assert evt2 is not None
        if self.detector is None:
            raise ProcessingError(
                "CIAO is disabled (use_ciao=False) and no source detector was given "
                "(detector=...): no sources can be detected"
            )
        out.parent.mkdir(exist_ok=True)
        written = Path(self.detector.detect(evt2, out.parent, self.obsid, snr))
        if written != out:
            written.replace(out)
        return self._count_sources("run_celldetect", out, [out])

    def _count_sources(self, name: str, path: Path, outputs: list[Path]) -> StepResult:
        n_sources = len(src.read_source_list(path))
        if n_sources == 0:
            return StepResult(name, Status.WARNING, "no sources detected", outputs[:1])
        return StepResult(name, Status.OK, f"{n_sources} sources", outputs)

    @step_errors("run_wavdetect")
    def run_wavdetect(
        self, edition: str, skip_exist: bool = False, scales: str = "1.4 2 4 8 16 32"
    ) -> StepResult:
        """wavdetect into ``sources/{obsid}_{edition}.src``, then psfsize_srcs into
        ``sources/{obsid}_psf_size_{edition}.fits`` (not for an empty list). On failure
        wavdetect is retried without the largest scale while at least 3 remain. Its source
        lists have no SNR column (``get_sources`` gives NaN snr)."""
        if not self.use_ciao:
            return self._no_ciao("run_wavdetect")
        out = self._path(f"sources/{self.obsid}_{edition}.src")
        if out.exists() and not skip_exist:
            out.unlink()
        images = [self._image(s) for s in ("thresh.img", "thresh.expmap", "thresh.psfmap")]
        events = self._events()

        def action() -> StepResult:
            assert events is not None
            ciao = self._ciao()
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
                        scellfile=str(self._path(f"sources/{self.obsid}_{edition}.scell")),
                        imagefile=str(self._path(f"sources/{self.obsid}_{edition}.recon")),
                        defnbkgfile=str(self._path(f"sources/{self.obsid}_{edition}.nbkg")),
                        scales=" ".join(remaining),
                        clobber=True,
                    )
                    break
                except ProcessingError:
                    if len(remaining) <= 3:
                        raise
                    remaining = remaining[:-1]
                    self.log.warning("wavdetect failed, retrying", scales=" ".join(remaining))
            psf_size = self._path(f"sources/{self.obsid}_psf_size_{edition}.fits")
            self._psf_size(ciao, events, out, psf_size)
            return StepResult("run_wavdetect", Status.OK, f"scales {' '.join(remaining)}", [out])

        return self._step(
            "run_wavdetect", [*images, events], [out], action,
            ["image", "exposure map", "psf map", "event file"],
        )  # fmt: skip

    @step_errors("filter_sources")
    def filter_sources(self, radius: float = 180, psfratio: float = 1) -> StepResult:
        """Keep celldetect sources with PSFRATIO <= psfratio within ``radius`` (arcsec or an
        angle) of the pointing, in ``sources/{obsid}_celldetect_filtered.src``."""
        radius = radius_to_arcsec(radius, "radius")
        inp = self._one(f"sources/{self.obsid}_celldetect.src")
        out = self._path(f"sources/{self.obsid}_celldetect_filtered.src")

        def action() -> StepResult:
            assert inp is not None
            table = src.read_source_list(inp)
            sources = self.get_sources()
            keep = (np.asarray(sources["r_angle"]) <= radius) & (
                np.asarray(sources["psfratio"]) <= psfratio
            )
            out.parent.mkdir(exist_ok=True)
            tmp = out.with_name(f".{out.name}.tmp")
            table[keep].write(tmp, format="fits", overwrite=True)
            tmp.replace(out)
            return StepResult("filter_sources", Status.OK, f"{int(keep.sum())} sources", [out])

        return self._step("filter_sources", [inp], [out], action, ["celldetect source list"])

    @step_errors("calculate_centroids")
    def calculate_centroids(self) -> StepResult:
        """dmstat centroids of each celldetect source on the flux image."""
        if not self.use_ciao:
            return self._no_ciao("calculate_centroids")
        inp = self._one(f"sources/{self.obsid}_celldetect.src")
        flux = self._path(f"images/{self.obsid}_{self.band}_flux.img")
        out = self._path(f"sources/{self.obsid}_centroids.src")

        def action() -> StepResult:
            assert inp is not None
            ciao = self._ciao()
            table = src.read_source_list(inp)
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
            tmp = out.with_name(f".{out.name}.tmp")
            table.write(tmp, format="fits", overwrite=True)
            tmp.replace(out)
            return StepResult("calculate_centroids", Status.OK, f"{len(table)} sources", [out])

        return self._step(
            "calculate_centroids", [inp, flux], [out], action, ["source list", "flux image"]
        )

    @step_errors("repro")
    def repro(self) -> StepResult:
        """chandra_repro into ``repro/``."""
        if not self.use_ciao:
            return self._no_ciao("repro")
        out_dir = self._path("repro")

        def action() -> None:
            self._ciao().run(
                "chandra_repro", indir=str(self.workdir), outdir=str(out_dir), clobber=True
            )

        outputs = sorted(out_dir.glob("*evt2.fits*")) if out_dir.is_dir() else [out_dir / "evt2"]
        return self._step("repro", [self._raw_evt2()], outputs, action, ["evt2 file"])

    # --- archive, process, sources -----------------------------------------------------------

    def process(self) -> ProcessResult:
        """download → select → filter_events → make_images → run_celldetect → archive.

        Returns the combined result; stops at the first ERROR. Not-selected observations give
        a SKIP result.
        """
        steps: list[StepResult] = []

        def done() -> ProcessResult:
            result = ProcessResult.from_steps(self.obsid, steps)
            self.log.info("process", status=str(result.status), message=result.message)
            return result

        steps.append(self.download([]))
        if _failed(steps[-1]):
            return done()
        try:
            selected, reason = self.selection()
        except AstromonError as exc:
            steps.append(self._error("select", exc))
            return done()
        steps.append(StepResult("select", Status.OK if selected else Status.SKIP, reason))
        if not selected:
            return done()
        steps.append(self.download(self._download_types()))
        if _failed(steps[-1]):
            return done()
        for step in (self.filter_events, self.make_images, self.run_celldetect, self.archive):
            steps.append(step())
            if _failed(steps[-1]):
                break
        return done()

    def _download_types(self) -> list[str]:
        """evt2 and acal without CIAO; else the defaults (no dtf for ACIS, which has none)
        plus acal."""
        if not self.use_ciao:
            return ["evt2", "acal"]
        acis = self.get_obspar()["instrument"].startswith("acis")
        return [t for t in DEFAULT_DOWNLOAD if not (acis and t == "dtf")] + ["acal"]

    def get_sources(self, version: str = "celldetect") -> Table:
        """The sources of ``sources/{obsid}_{version}.src`` as ``astromon_xray_src`` rows.

        Empty typed table when the source list does not exist (detection failed).
        """
        path = self._one(f"sources/{self.obsid}_{version}.src")
        if path is None:
            self.log.warning("no source list", version=version)
            return src.sources_table(self.obsid, Table(), (0.0, 0.0, 0.0))
        table = src.read_source_list(path)
        evt2 = self._raw_evt2()
        header = src.read_header(evt2, "EVENTS") if evt2 is not None else None
        obspar = self.get_obspar() if self._one("*obs0*.par*") is not None else {}
        acal = self._one("secondary/*acal*.fits*")
        return src.sources_table(
            self.obsid,
            table,
            src.pointing(header, obspar),
            sky_wcs=src.event_sky_wcs(header) if header is not None else None,
            pileup_map=self._one(f"images/{self.obsid}_pileup_max.img"),
            streaks=self._one(f"images/{self.obsid}_acis_streaks.fits"),
            caldb=src.caldb_version(
                src.read_header(acal) if acal is not None else None,
                header,
                {"CALDBVER": obspar.get("caldbver", "")},
            ),
        )
