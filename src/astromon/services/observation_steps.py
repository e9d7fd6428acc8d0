"""The processing steps of one observation, over the observation ports.

Steps return a :class:`~astromon.services.observation_results.StepResult`; expected failures
(tool errors, missing files) become ERROR results, bugs still raise. Inputs, outputs and
skipping are handled by :meth:`ObservationWorkspace._step`.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

import numpy as np
from astropy.table import Table

from astromon.domain.errors import AstromonError, ProcessingError
from astromon.domain.observation_rules import DEFAULT_DOWNLOAD
from astromon.ports.observation import CiaoRunner
from astromon.services import observation_sources as src
from astromon.services.observation_results import ProcessResult, Status, StepResult
from astromon.services.observation_workspace import ObservationWorkspace, step_errors

__all__ = ["ObservationSteps"]

_PIXEL_ARCSEC_ACIS = 0.492


def _failed(step: StepResult) -> bool:
    return step.status == Status.ERROR


class ObservationSteps(ObservationWorkspace):
    """Processing of one observation: download, CIAO steps, source detection, over the ports.

    See :class:`ObservationWorkspace` for the parameters.
    """

    # --- CIAO steps --------------------------------------------------------------------------

    @step_errors("filter_events")
    def filter_events(self, radius: float = 180, psfratio: float = 1) -> StepResult:
        """Keep the events within ``radius`` arcsec of the pointing (dmcoords + dmcopy)."""
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
            wcs = src.event_sky_wcs(header)
            pixel = abs(float(wcs.wcs.cdelt[0])) * 3600.0 or _PIXEL_ARCSEC_ACIS
            r_pix = radius / pixel
            ciao.run(
                "dmcopy",
                infile=f"{evt2}[(x,y)=circle({x:.2f},{y:.2f},{r_pix:.2f})]",
                outfile=str(out),
                clobber=True,
            )
            n_events = int(src.read_header(out, "EVENTS").get("NAXIS2", 0))
            if n_events == 0:
                raise ProcessingError(f"no events within {radius} arcsec of the pointing")
            return StepResult("filter_events", Status.OK, f"{n_events} events", [out])

        return self._step("filter_events", [evt2], [out], action, ["evt2 file"])

    @step_errors("make_images")
    def make_images(self, evt: str | os.PathLike[str] | None = None) -> StepResult:
        """fluximage images (and, for ACIS, the pileup map and streak regions)."""
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
            return self._streaks(ciao, events, outputs)

        return self._step("make_images", [events], outputs, action, ["event file"])

    def _streaks(self, ciao: CiaoRunner, events: Path, outputs: list[Path]) -> StepResult:
        fov = self._one("primary/*fov*.fits*")
        if fov is None:
            return StepResult(
                "make_images", Status.WARNING, "no fov file: streaks not mapped", outputs
            )
        final = self._path(f"images/{self.obsid}_acis_streaks.fits")
        tmp = self._path(f"images/.{self.obsid}_acis_streaks.tmp.fits")
        ciao.run(
            "acis_streak_map",
            infile=str(events),
            fovfile=str(fov),
            bkgroot=str(self._path(f"images/{self.obsid}_streaks_bkg")),
            regfile=str(tmp),
            msigma=4,
            clobber=True,
        )
        n_streaks = int(src.read_header(tmp).get("NAXIS2", 0)) if tmp.exists() else 0
        if n_streaks:
            tmp.replace(final)
        else:
            tmp.unlink(missing_ok=True)
        return StepResult("make_images", Status.OK, f"{n_streaks} streaks", outputs)

    @step_errors("run_celldetect")
    def run_celldetect(self, snr: float = 3) -> StepResult:
        """celldetect (thresh=snr) and psfsize_srcs; without CIAO, the injected detector."""
        out = self._path(f"sources/{self.obsid}_celldetect.src")
        if not self.use_ciao:
            evt2 = self._raw_evt2()
            return self._step(
                "run_celldetect", [evt2], [out], lambda: self._detect(evt2, out, snr), ["evt2 file"]
            )
        psf_size = self._path(f"sources/{self.obsid}_psf_size_celldetect.fits")
        images = [self._image(s) for s in ("thresh.img", "thresh.psfmap", "thresh.expmap")]
        events = self._events()

        def action() -> StepResult:
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
            ciao.run(
                "psfsize_srcs", infile=str(events), pos=str(out), outfile=str(psf_size),
                ecf=0.9, clobber=True,
            )  # fmt: skip
            return self._count_sources("run_celldetect", out, [out, psf_size])

        return self._step(
            "run_celldetect", [*images, events], [out, psf_size], action,
            ["image", "psf map", "exposure map", "event file"],
        )  # fmt: skip

    def _detect(self, evt2: Path | None, out: Path, snr: float) -> StepResult:
        assert evt2 is not None and self.detector is not None
        out.parent.mkdir(exist_ok=True)
        written = Path(self.detector.detect(evt2, out.parent, self.obsid, snr))
        if written != out:
            written.replace(out)
        return self._count_sources("run_celldetect", out, [out])

    def _count_sources(self, name: str, path: Path, outputs: list[Path]) -> StepResult:
        n_sources = len(src.read_source_list(path))
        if n_sources == 0:
            return StepResult(name, Status.WARNING, "no sources detected", outputs)
        return StepResult(name, Status.OK, f"{n_sources} sources", outputs)

    @step_errors("run_wavdetect")
    def run_wavdetect(
        self, edition: str, skip_exist: bool = False, scales: str = "1.4 2 4 8 16 32"
    ) -> StepResult:
        """wavdetect into ``sources/{obsid}_{edition}.src``; on failure retry without the
        largest scale while at least 3 remain."""
        if not self.use_ciao:
            return self._no_ciao("run_wavdetect")
        out = self._path(f"sources/{self.obsid}_{edition}.src")
        if out.exists() and not skip_exist:
            out.unlink()
        images = [self._image(s) for s in ("thresh.img", "thresh.expmap", "thresh.psfmap")]

        def action() -> StepResult:
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
            return StepResult("run_wavdetect", Status.OK, f"scales {' '.join(remaining)}", [out])

        return self._step(
            "run_wavdetect", images, [out], action, ["image", "exposure map", "psf map"]
        )

    @step_errors("filter_sources")
    def filter_sources(self, radius: float = 180, psfratio: float = 1) -> StepResult:
        """Keep celldetect sources with PSFRATIO <= psfratio within ``radius`` arcsec of the
        pointing, in ``sources/{obsid}_celldetect_filtered.src``."""
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

    def archive(self, *regex: str, destination: str | os.PathLike[str] | None = None) -> StepResult:
        """Copy the files matching the patterns (default ``archive_regex``) to the archive.

        Files are copied to a hidden temporary name and renamed, so the archive never holds a
        half-written file; identical files (same size and time) are not copied again.
        """
        patterns = list(regex) or self.archive_regex
        target_root = Path(destination) if destination is not None else self.archive_dir
        if target_root is None:
            return StepResult("archive", Status.SKIP, "no archive directory")
        copied: list[Path] = []
        for path in sorted(self.workdir.rglob("*")):
            rel = path.relative_to(self.workdir)
            if not path.is_file() or any(part.startswith(".") for part in rel.parts):
                continue
            if not any(fnmatch.fnmatch(part, p) for p in patterns for part in rel.parts):
                continue
            target = target_root / rel
            stat = path.stat()
            if target.exists():
                tstat = target.stat()
                if tstat.st_size == stat.st_size and int(tstat.st_mtime) == int(stat.st_mtime):
                    continue
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
            try:
                shutil.copy2(path, tmp)
                tmp.replace(target)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                return self._error("archive", ProcessingError(f"cannot archive {path}: {exc}"))
            copied.append(target)
        if not copied:
            return StepResult("archive", Status.SKIP, "archive up to date")
        return StepResult("archive", Status.OK, f"{len(copied)} files", copied)

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
            selected, reason = self.is_selected()
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
