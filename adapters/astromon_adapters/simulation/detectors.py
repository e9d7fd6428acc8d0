"""The simulated detectors and the astrometric offsets injected into each of them.

Units: SIM-Z in mm, pixel sizes and offsets in arcsec, times in decimal years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.filters import NOMINAL_SIM_Z

__all__ = ["DETECTORS", "INJECTED_OFFSETS", "DetectorSetup", "InjectedOffset", "LinearStepOffset"]

Float = NDArray[np.float64]


@dataclass(frozen=True)
class DetectorSetup:
    """What the simulation needs to know about one focal-plane detector.

    Attributes
    ----------
    name : str
        Detector as stored in ``astromon_obs.detector`` (ACIS-S, ACIS-I, HRC-S, HRC-I).
    instrument : str
        ``ACIS`` or ``HRC`` (the INSTRUME keyword).
    detnam : str
        The DETNAM keyword.
    sim_z : float
        Nominal SIM-Z translation in mm.
    pixel_arcsec : float
        Sky pixel size in arcsec (0.492 for ACIS, 0.13175 for HRC).
    crpix : float
        Reference sky pixel of the event file's x/y columns.
    background : float
        Background surface density in counts per arcsec² over the whole exposure.
    """

    name: str
    instrument: str
    detnam: str
    sim_z: float
    pixel_arcsec: float
    crpix: float
    background: float


DETECTORS: Final[dict[str, DetectorSetup]] = {
    d.name: d
    for d in (
        DetectorSetup(
            "ACIS-S", "ACIS", "ACIS-235678", NOMINAL_SIM_Z["ACIS-S"], 0.492, 4096.5, 0.015
        ),
        DetectorSetup("ACIS-I", "ACIS", "ACIS-0123", NOMINAL_SIM_Z["ACIS-I"], 0.492, 4096.5, 0.02),
        DetectorSetup("HRC-S", "HRC", "HRC-S", NOMINAL_SIM_Z["HRC-S"], 0.13175, 32768.5, 0.08),
        DetectorSetup("HRC-I", "HRC", "HRC-I", NOMINAL_SIM_Z["HRC-I"], 0.13175, 16384.5, 0.06),
    )
}


@dataclass(frozen=True)
class LinearStepOffset:
    """An offset (arcsec) that drifts linearly and jumps once.

    ``value(year) = offset + drift_per_year * (year - reference_year)
    + step * (year >= step_year)``.
    """

    offset: float
    drift_per_year: float = 0.0
    step: float = 0.0
    step_year: float = np.inf
    reference_year: float = 2024.0

    def value(self, year: ArrayLike) -> Float:
        """The offset in arcsec at ``year`` (decimal years)."""
        y = np.asarray(year, dtype=np.float64)
        result: Float = (
            self.offset
            + self.drift_per_year * (y - self.reference_year)
            + self.step * (y >= self.step_year)
        )
        return result


@dataclass(frozen=True)
class InjectedOffset:
    """The time-dependent astrometric offset of one detector, in the focal-plane frame.

    X-ray positions are displaced from their catalog star by ``(dy, dz)`` arcsec in
    (y_angle, z_angle), so a perfect pipeline measures ``dy = x_y_angle - c_y_angle = dy``.
    """

    dy: LinearStepOffset
    dz: LinearStepOffset

    def at(self, year: ArrayLike) -> tuple[Float, Float]:
        """``(dy, dz)`` in arcsec at ``year`` (decimal years)."""
        return self.dy.value(year), self.dz.value(year)


INJECTED_OFFSETS: Final[dict[str, InjectedOffset]] = {
    "ACIS-S": InjectedOffset(
        LinearStepOffset(0.10, drift_per_year=0.08, step=0.15, step_year=2025.0),
        LinearStepOffset(-0.12, drift_per_year=0.05),
    ),
    "ACIS-I": InjectedOffset(
        LinearStepOffset(-0.05, drift_per_year=-0.06),
        LinearStepOffset(0.18, step=-0.20, step_year=2024.5),
    ),
    "HRC-S": InjectedOffset(
        LinearStepOffset(0.25),
        LinearStepOffset(-0.10, drift_per_year=0.10),
    ),
    "HRC-I": InjectedOffset(
        LinearStepOffset(-0.15, drift_per_year=0.04, step=-0.10, step_year=2025.5),
        LinearStepOffset(0.05, step=0.12, step_year=2025.0),
    ),
}
"""The offsets the demo injects and must recover, per detector."""
