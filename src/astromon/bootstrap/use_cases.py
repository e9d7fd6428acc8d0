"""Use cases that need more than one port: integrity check, backup, restore, batch wiring, demo.

They are methods of :class:`astromon.bootstrap.Astromon` (this class is its base), so the CLI,
the façades and the tests call them on one application object.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, cast

from astromon.bootstrap.adapters import load_adapter
from astromon.bootstrap.application import DBFile, make_adapter
from astromon.bootstrap.factories import (
    CatalogFactory,
    ObservationFactory,
    SimulatedObservationFactory,
)
from astromon.bootstrap.tooling import ToolingPorts
from astromon.domain.catalogs import DEFAULT_ROUGH_MATCH_CATALOGS
from astromon.ports.processing import ObservationProcessor
from astromon.services.batch.pipeline import StandardObservationProcessor
from astromon.services.demo import DemoObservatory
from astromon.services.storage.backup import BackupResult, DatabaseCopier
from astromon.services.storage.backup import backup_database as _backup
from astromon.services.storage.backup import restore_database as _restore
from astromon.services.storage.integrity import IntegrityReport, check_integrity

__all__ = ["UseCases"]


class _SimulatedObservatory(DemoObservatory, Protocol):
    """The simulated observatory adapter, as far as the wiring needs it."""

    root: Path

    @property
    def observations(self) -> Sequence[object]: ...

    @property
    def work_dir(self) -> Path: ...

    @property
    def archive_dir(self) -> Path: ...

    @property
    def catalog_file(self) -> Path: ...


class _ObservatoryBuilder(Protocol):
    def build(self) -> _SimulatedObservatory: ...


class UseCases(ToolingPorts):
    """The use cases of :class:`astromon.bootstrap.Astromon` (see each method)."""

    def _copier(self) -> DatabaseCopier:
        return cast(DatabaseCopier, make_adapter("store.copier", **self._lock_options()))

    def check_database(self, dbfile: DBFile = None) -> IntegrityReport:
        """Integrity check of ``dbfile`` (default file rule): schema, keys, orphans, regions.

        Raises
        ------
        DatabaseError
            The file does not exist or is a directory (problems inside the file are reported).
        """
        return check_integrity(self.store(dbfile))

    def backup_database(
        self, dbfile: DBFile, destination: str | os.PathLike[str], *, force: bool = False
    ) -> BackupResult:
        """Consistent, verified copy of the DuckDB file ``dbfile`` to ``destination``.

        See :func:`astromon.services.storage.backup.backup_database` for the rules and errors.
        """
        source = str(self.db_file(dbfile))
        return _backup(
            self._copier(), self.staged_store, source, os.fspath(destination), force=force
        )

    def restore_database(
        self, backup_file: str | os.PathLike[str], dbfile: DBFile = None, *, force: bool = False
    ) -> BackupResult:
        """Replace ``dbfile`` (default file rule) with the verified backup ``backup_file``.

        See :func:`astromon.services.storage.backup.restore_database` for the rules and errors.
        """
        destination = str(self.db_file(dbfile))
        return _restore(
            self._copier(), self.staged_store, os.fspath(backup_file), destination, force=force
        )

    def observation_processor(
        self,
        *,
        source: str = "arc5gl",
        workdir: str | None = None,
        archive_dir: str | None = None,
        ciao_prefix: str | None = None,
        catalog_source: str = "vizier",
        catalog_file: str | None = None,
        catalogs: Sequence[str] | None = None,
    ) -> ObservationProcessor:
        """The standard per-observation work on real observations (CIAO, archives, catalogs).

        Parameters
        ----------
        source : str
            Where observation files come from (one of
            :data:`astromon.ports.observation.OBSERVATION_SOURCES`).
        workdir, archive_dir : str, optional
            Top-level working and archive directories.
        ciao_prefix : str, optional
            Where CIAO is installed.
        catalog_source : str
            ``'vizier'`` or ``'local'`` (see :meth:`catalogs`).
        catalog_file : str, optional
            The local catalog file (``catalog_source='local'``).
        catalogs : sequence of str, optional
            Catalogs to search (default
            :data:`astromon.domain.catalogs.DEFAULT_ROUGH_MATCH_CATALOGS`).
        """
        factory = ObservationFactory(
            self, workdir=workdir, source=source, archive_dir=archive_dir, ciao_prefix=ciao_prefix
        )
        catalog_factory = CatalogFactory(self, catalog_source, catalog_file=catalog_file)
        chosen = DEFAULT_ROUGH_MATCH_CATALOGS if catalogs is None else tuple(catalogs)
        return StandardObservationProcessor(factory, catalog_factory, catalogs=chosen)

    def demo_setup(
        self, root: str | os.PathLike[str], n_observations: int, seed: int
    ) -> tuple[DemoObservatory, ObservationProcessor]:
        """Build a simulated observatory in ``root`` and the per-observation work that reads it.

        Parameters
        ----------
        root : path
            Directory for the catalog, truth table, working and archive directories.
        n_observations : int
            Number of simulated observations (> 0).
        seed : int
            Random seed (>= 0); the same seed gives the same observatory.

        Returns
        -------
        observatory, processor
            The built simulated observatory and a
            :class:`~astromon.services.batch.pipeline.StandardObservationProcessor` wired to the
            simulated archive, the event-list source detector and the local catalog file.
        """
        builder = cast(
            _ObservatoryBuilder,
            make_adapter("simulation.observatory", Path(root), n_observations, seed),
        )
        observatory = builder.build()
        work_dir, archive_dir = str(observatory.work_dir), str(observatory.archive_dir)
        catalog_file = str(observatory.catalog_file)
        index_dir = str(observatory.root / "catalog-index")
        factory = SimulatedObservationFactory(observatory.observations, work_dir, archive_dir)
        catalogs = CatalogFactory(self, "local", catalog_file=catalog_file, index_dir=index_dir)
        catalog_name = str(load_adapter("simulation.catalog_name"))
        processor = StandardObservationProcessor(factory, catalogs, catalogs=(catalog_name,))
        return observatory, processor
