"""The simulated observatory: a plan of observations plus the files a pipeline run needs.

:class:`SimulatedObservatory` is what the demo asks for. It builds, in a directory of its
own, the local star catalog file and the truth table (every simulated source with its injected
offset), and hands out the archive and observation-info adapters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.table import Table, vstack

from astromon_adapters.simulation.archive import SimulatedArchive, SimulatedObservationInfo
from astromon_adapters.simulation.files import write_catalog
from astromon_adapters.simulation.model import (
    INJECTED_OFFSETS,
    PlannedObservation,
    plan_observations,
    plan_sources,
)

__all__ = ["DEFAULT_OBSERVATIONS", "SimulatedObservatory"]

DEFAULT_OBSERVATIONS = 64
"""Default number of simulated observations: 4 per detector and half-year."""


class SimulatedObservatory:
    """N simulated observations over two years, with known injected astrometric offsets.

    Parameters
    ----------
    root : Path
        Directory for the catalog and truth files (created when missing).
    n_observations : int
        Number of observations (> 0); detectors take turns (ACIS-S, ACIS-I, HRC-S, HRC-I).
    seed : int
        Random seed (>= 0): the same seed gives the same observatory, file for file.
    """

    def __init__(self, root: Path, n_observations: int = DEFAULT_OBSERVATIONS, seed: int = 0):
        self.root = Path(root)
        self.seed = int(seed)
        self.observations: list[PlannedObservation] = plan_observations(n_observations, seed)
        self._truth: Table | None = None

    @property
    def obsids(self) -> list[int]:
        return [obs.obsid for obs in self.observations]

    @property
    def catalog_file(self) -> Path:
        return self.root / "catalog" / "simulated_stars.ecsv"

    @property
    def truth_file(self) -> Path:
        return self.root / "truth.ecsv"

    @property
    def archive_dir(self) -> Path:
        """Where the pipeline archives its products (``{root}/archive``)."""
        return self.root / "archive"

    @property
    def work_dir(self) -> Path:
        """The pipeline's working directory (``{root}/work``)."""
        return self.root / "work"

    def build(self) -> SimulatedObservatory:
        """Write the catalog file and the truth table; returns self."""
        self.catalog_file.parent.mkdir(parents=True, exist_ok=True)
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        write_catalog(self.observations, self.catalog_file)
        self.truth().write(self.truth_file, overwrite=True, format="ascii.ecsv")
        return self

    def truth(self) -> Table:
        """Every simulated source of every observation (see ``plan_sources`` for columns)."""
        if self._truth is None:
            self._truth = vstack([plan_sources(obs) for obs in self.observations])
        return self._truth

    def archive(self) -> SimulatedArchive:
        return SimulatedArchive(self.observations)

    def info(self) -> SimulatedObservationInfo:
        return SimulatedObservationInfo(self.observations)

    def injected_alignment(self) -> Table:
        """The aspect errors: obsid, dy, dz, roll (arcsec) of the observations with one."""
        rows = [(o.obsid, *o.aspect) for o in self.observations if any(o.aspect)]
        return Table(rows=rows or None, names=("obsid", "dy", "dz", "roll"),
                     dtype=(np.int64, np.float64, np.float64, np.float64))  # fmt: skip

    def alignment_truth(self) -> Table:
        """The expected alignment fit of every observation: obsid, dy, dz (the translation
        ``R(roll) · o + a`` of the detector's offset ``o`` and the aspect shift ``a``), roll
        (arcsec) and ``injected`` (whether it has an aspect error)."""
        rows = []
        for obs in self.observations:
            dy, dz, roll = obs.aspect
            oy, oz = self.injected_offsets(obs.detector, obs.year)
            theta = np.radians(roll / 3600.0)
            rows.append((
                obs.obsid,
                np.cos(theta) * oy - np.sin(theta) * oz + dy,
                np.sin(theta) * oy + np.cos(theta) * oz + dz,
                roll,
                any(obs.aspect),
            ))  # fmt: skip
        return Table(rows=rows, names=("obsid", "dy", "dz", "roll", "injected"))

    def injected_offsets(self, detector: str, year: float) -> tuple[float, float]:
        """Injected ``(dy, dz)`` in arcsec for a detector at a decimal year."""
        dy, dz = INJECTED_OFFSETS[detector].at(year)
        return float(np.asarray(dy)), float(np.asarray(dz))
