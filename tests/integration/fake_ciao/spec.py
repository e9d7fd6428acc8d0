"""The description of a fake observation (light: numpy/astropy imported only when used)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PIXEL_ARCSEC = {"ACIS": 0.492, "HRC": 0.13175}
CRPIX = {"ACIS": 4096.5, "HRC": 16384.5}


@dataclass
class ObsSpec:
    """A test observation: pointing, instrument and sources (offsets in arcsec)."""

    obsid: int
    instrument: str = "ACIS"
    detector: str = "ACIS-S"
    ra: float = 150.0
    dec: float = 20.0
    roll: float = 30.0
    readmode: str = "TIMED"
    obs_mode: str = "POINTING"
    dtycycle: int = 0
    ascdsver: str = "10.9.2"
    caldbver: str = "4.9.8"
    seq_num: str = ""
    # (dx, dy) offsets from the pointing in arcsec (RA*cos(dec), Dec) and counts
    sources: list[tuple[float, float, int]] = field(
        default_factory=lambda: [(20.0, 10.0, 150), (-40.0, 30.0, 80), (60.0, -50.0, 60)]
    )

    @property
    def pixel_deg(self) -> float:
        return PIXEL_ARCSEC[self.instrument] / 3600.0

    def source_radec(self) -> list[tuple[float, float]]:
        import numpy as np

        cosd = np.cos(np.radians(self.dec))
        return [
            (self.ra + dx / 3600.0 / cosd, self.dec + dy / 3600.0) for dx, dy, _ in self.sources
        ]

    def sky_xy(self, ra: Any, dec: Any) -> tuple[Any, Any]:
        """Tangent-plane sky pixels (x grows with -RA, as in Chandra sky coordinates)."""
        import numpy as np
        from astropy.wcs import WCS

        wcs = WCS(naxis=2)
        wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
        wcs.wcs.crval = [self.ra, self.dec]
        wcs.wcs.crpix = [CRPIX[self.instrument]] * 2
        wcs.wcs.cdelt = [-self.pixel_deg, self.pixel_deg]
        x, y = wcs.wcs_world2pix(ra, dec, 1)
        return np.asarray(x), np.asarray(y)


ARC5GL_SPECS = {
    "obspar": "obspar",
    "evt2": "{instr}2{evt2}",
    "fov": "{instr}1{fov}",
    "asol": "asp1[*asol*]",
    "acal": "asp1[*acal*]",
    "msk": "{instr}1{msk}",
    "bpix": "{instr}1[*bpix*]",
    "dtf": "{instr}1[*dtf1*]",
}
"""What the fake arc5gl serves for each file type of the fake archive: the ``get`` specs of
``Observation.archive_file_locations`` in sot/astromon (astromon/observation.py); any other
spec (e.g. a level-2 ``{instr}2{fov}``) finds nothing, as it would in the real archive."""

CDA_SUBDIRS = {
    "evt2": "primary",
    "fov": "primary",
    "bpix": "primary",
    "asol": "primary",
    "dtf": "primary",
    "msk": "secondary",
    "acal": "secondary",
    "obspar": "secondary",
}
"""Where the Chandra Data Archive keeps each file type below ``byobsid/{d}/{obsid}/`` (the
layout download_chandra_obsid reproduces below its working directory)."""


def read_spec(archive: Path, obsid: int) -> ObsSpec | None:
    """The spec of ``obsid`` in a fake archive (``{archive}/{obsid}/spec.json``), if any."""
    path = archive / str(obsid) / "spec.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    data["sources"] = [tuple(s) for s in data["sources"]]
    return ObsSpec(**data)
