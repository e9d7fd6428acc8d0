"""A simulated Chandra observatory for the CIAO-free, network-free demo.

- :mod:`.detectors`: detectors and their injected time-dependent offsets;
- :mod:`.model`: observation and source plans;
- :mod:`.files`: obspar, evt2, acal and star-catalog writers;
- :mod:`.archive`: the ArchiveRetriever and ObservationInfo adapters;
- :mod:`.observatory`: :class:`SimulatedObservatory`, which ties them together.
"""

from astromon_adapters.simulation.archive import SimulatedArchive, SimulatedObservationInfo
from astromon_adapters.simulation.model import INJECTED_OFFSETS, PlannedObservation
from astromon_adapters.simulation.observatory import DEFAULT_OBSERVATIONS, SimulatedObservatory

__all__ = [
    "DEFAULT_OBSERVATIONS",
    "INJECTED_OFFSETS",
    "PlannedObservation",
    "SimulatedArchive",
    "SimulatedObservationInfo",
    "SimulatedObservatory",
]
