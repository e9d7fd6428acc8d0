"""The CIAO :class:`~astromon.ports.observation.SourceDetector`: fluximage then celldetect."""

from __future__ import annotations

from pathlib import Path

from astropy.io import fits

from astromon.domain.errors import ProcessingError
from astromon.domain.observation_rules import band
from astromon.ports.observation import CiaoRunner

__all__ = ["CiaoCelldetect"]


class CiaoCelldetect:
    """Detect sources with CIAO: ``fluximage`` (psfecf 0.9, binsize 1) then ``celldetect``.

    Parameters
    ----------
    ciao : CiaoRunner
        Runs the CIAO tools.
    """

    def __init__(self, ciao: CiaoRunner) -> None:
        self.ciao = ciao

    def detect(self, evt2: Path, outdir: Path, obsid: int, snr: float = 3.0) -> Path:
        """Write ``{outdir}/{obsid}_celldetect.src`` from the events in ``evt2``.

        Raises
        ------
        ProcessingError
            The event file is unreadable or a tool fails (ToolError, with its output).
        """
        try:
            instrument = str(fits.getval(evt2, "INSTRUME", extname="EVENTS"))
        except (OSError, KeyError) as exc:
            raise ProcessingError(f"cannot read INSTRUME from {evt2}: {exc}") from exc
        energy_band = band(instrument)
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        root = outdir / f"{obsid}_detect"
        self.ciao.run(
            "fluximage",
            infile=str(evt2),
            outroot=str(root),
            bands=energy_band,
            binsize=1,
            psfecf=0.9,
            background="none",
            clobber=True,
        )
        out = outdir / f"{obsid}_celldetect.src"
        self.ciao.run(
            "celldetect",
            infile=f"{root}_{energy_band}_thresh.img",
            psffile=f"{root}_{energy_band}_thresh.psfmap",
            expstk=f"{root}_{energy_band}_thresh.expmap",
            outfile=str(out),
            thresh=snr,
            maxlogicalwindow=2048,
            clobber=True,
        )
        return out
