"""The simulated archive (ArchiveRetriever port) and observation info (ObservationInfo port).

Files are made on demand from the observation plan (deterministic given the seed), so the
archive can be handed to worker processes: it holds only the plan, which pickles.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from astromon.domain.errors import ProcessingError
from astromon.domain.time import CxoTime
from astromon_adapters.simulation.files import write_acal, write_evt2, write_obspar
from astromon_adapters.simulation.model import PlannedObservation

__all__ = ["SimulatedArchive", "SimulatedObservationInfo"]

FILE_TYPES = ("obspar", "evt2", "acal")
"""The file types the simulated archive serves."""


class SimulatedArchive:
    """An :class:`~astromon.ports.observation.ArchiveRetriever` over simulated observations.

    Parameters
    ----------
    observations : list of PlannedObservation
        The observations it serves (see
        :func:`astromon_adapters.simulation.model.plan_observations`).
    """

    def __init__(self, observations: list[PlannedObservation]) -> None:
        self._observations = {obs.obsid: obs for obs in observations}

    def observation(self, obsid: int) -> PlannedObservation:
        """The planned observation; ProcessingError naming the obsid when it is unknown."""
        try:
            return self._observations[int(obsid)]
        except KeyError:
            raise ProcessingError(
                f"obsid {obsid} is not in the simulated archive "
                f"({len(self._observations)} observations)"
            ) from None

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        """Write the ``file_type`` file(s) of ``obsid`` into ``destination``.

        Serves ``obspar`` (gzipped CIAO .par), ``evt2`` (gzipped FITS event list) and ``acal``
        (FITS with CALDBVER); any other type raises ProcessingError naming obsid and type.
        """
        obs = self.observation(obsid)
        destination = Path(destination)
        destination.mkdir(parents=True, exist_ok=True)
        if file_type == "obspar":
            return [write_obspar(obs, destination)]
        if file_type == "evt2":
            return [write_evt2(obs, destination)]
        if file_type == "acal":
            return [write_acal(obs, destination)]
        raise ProcessingError(
            f"the simulated archive has no {file_type!r} files for obsid {obsid} "
            f"(it serves {', '.join(FILE_TYPES)})"
        )

    def find_obsids(self, start: str, stop: str) -> list[int]:
        """Obsids of the simulated observations with ``start <= tstart <= stop`` (dates)."""
        t0, t1 = float(CxoTime(start).secs), float(CxoTime(stop).secs)
        return sorted(o.obsid for o in self._observations.values() if t0 <= o.tstart <= t1)


class SimulatedObservationInfo:
    """An :class:`~astromon.ports.observation.ObservationInfo` for simulated observations."""

    def __init__(self, observations: list[PlannedObservation]) -> None:
        self._observations = {obs.obsid: obs for obs in observations}

    def sequence_summary(self, obsid: int, seq_num: str | None = None) -> Mapping[str, str]:
        """Title, PI, Observer, Subject Category and Cycle of a simulated observation
        (looked up by obsid; ``seq_num`` is not needed).

        Unknown obsids get an empty mapping (as the real service gives no match).
        """
        obs = self._observations.get(int(obsid))
        if obs is None:
            return {}
        cycle = 25 + int(obs.year - 2024.0)
        return {
            "Title": f"Astrometry demo: {obs.target}",
            "PI": "Simulated PI",
            "Observer": "Simulated Observer",
            "Subject Category": obs.category,
            "Cycle": str(cycle),
        }
