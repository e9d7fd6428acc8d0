"""Picklable factories that worker processes call to build their own ports.

A batch sends its per-observation work to other processes; what travels is one of these small
objects holding the application object (its settings and picklable overrides) and plain
options, never an open connection or a live adapter.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from astromon.domain.observation_rules import check_obsid, obs_subdir
from astromon.ports.catalog import CatalogService
from astromon.ports.processing import ObservationHandle
from astromon.services.observation.pipeline import ObservationPipeline

if TYPE_CHECKING:
    from astromon_adapters.simulation import PlannedObservation

    from astromon.bootstrap.application import Astromon

__all__ = ["CatalogFactory", "ObservationFactory", "SimulatedObservationFactory"]


class ObservationFactory:
    """``obsid -> ObservationHandle`` on real archives and CIAO, with fixed settings."""

    def __init__(
        self,
        app: Astromon,
        *,
        workdir: str | None = None,
        source: str = "arc5gl",
        archive_dir: str | None = None,
        ciao_prefix: str | None = None,
    ) -> None:
        self.app = app
        self.workdir = workdir
        self.source = source
        self.archive_dir = archive_dir
        self.ciao_prefix = ciao_prefix

    def __call__(self, obsid: int) -> ObservationHandle:
        obsid = check_obsid(obsid)
        obsid_dir = Path(self.workdir) / obs_subdir(obsid) if self.workdir is not None else None
        ports = self.app.observation_ports(
            obsid_dir, source=self.source, ciao_prefix=self.ciao_prefix
        )
        return ObservationPipeline(
            obsid,
            self.workdir,
            retriever=ports.retriever,
            info=ports.info,
            ciao=ports.ciao,
            detector=ports.detector,
            par_files=self.app.parameter_files(),
            fits_files=self.app.observation_files(),
            archive_dir=self.archive_dir,
        )


class CatalogFactory:
    """``() -> CatalogService``; each worker builds its own service.

    ``catalog_file`` and ``index_dir`` are for the ``local`` source, ``server`` for VizieR
    (see :meth:`astromon.bootstrap.Astromon.catalogs`).
    """

    def __init__(
        self,
        app: Astromon,
        source: str = "vizier",
        *,
        catalog_file: str | None = None,
        index_dir: str | None = None,
        server: str | None = None,
    ) -> None:
        self.app = app
        self.source = source
        self.catalog_file = catalog_file
        self.index_dir = index_dir
        self.server = server

    def __call__(self) -> CatalogService:
        return self.app.catalogs(
            self.source,
            catalog_file=self.catalog_file,
            index_dir=self.index_dir,
            server=self.server,
        )


class SimulatedObservationFactory:
    """``obsid -> ObservationHandle`` on the simulated archive, without CIAO.

    Holds only the observation plan (a list of small frozen dataclasses) and two directories,
    so it travels to worker processes.
    """

    def __init__(
        self,
        observations: Sequence[PlannedObservation],
        workdir: str | os.PathLike[str],
        archive_dir: str,
    ) -> None:
        self.observations = list(observations)
        self.workdir = str(workdir)
        self.archive_dir = archive_dir

    def __call__(self, obsid: int) -> ObservationHandle:
        from astromon_adapters.chandra.detector import EventSourceDetector
        from astromon_adapters.chandra.fits_files import FitsObservationFiles
        from astromon_adapters.chandra.par_file import ParFileReader
        from astromon_adapters.simulation import SimulatedArchive, SimulatedObservationInfo

        return ObservationPipeline(
            obsid,
            self.workdir,
            retriever=SimulatedArchive(self.observations),
            info=SimulatedObservationInfo(self.observations),
            detector=EventSourceDetector(),
            par_files=ParFileReader(),
            fits_files=FitsObservationFiles(),
            archive_dir=self.archive_dir,
            use_ciao=False,
        )
