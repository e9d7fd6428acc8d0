"""The application object: the ports of one astromon configuration, built on demand.

:class:`Astromon` holds a :class:`~astromon.config.Settings` and the overrides given to
:func:`astromon.bootstrap.bootstrap`. Each port method returns the override of its role when
one was given, else builds the real adapter with values from the settings. The adapter
module is imported inside the method that builds it: importing astromon stays light and
works without the optional libraries, and mypy and import-linter see every link from the
composition root to an adapter (this package is the only one that names adapters).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypedDict

from astropy.table import Table

from astromon.bootstrap.factories import (
    CatalogFactory,
    ObservationFactory,
    SimulatedObservationFactory,
)
from astromon.config import Settings
from astromon.domain.catalogs import DEFAULT_ROUGH_MATCH_CATALOGS
from astromon.domain.errors import DatabaseError, ValidationError
from astromon.domain.validation import PathArg, require_choice, require_path
from astromon.ports.calalign import CalalignFiles
from astromon.ports.catalog import CatalogService
from astromon.ports.clock import Clock
from astromon.ports.executor import Executor
from astromon.ports.input_files import InputFiles
from astromon.ports.notifier import Notifier
from astromon.ports.observation import (
    OBSERVATION_SOURCES,
    ArchiveRetriever,
    CiaoRunner,
    ObservationFiles,
    ObservationInfo,
    ParameterFiles,
    SourceDetector,
    ToolchainProbe,
)
from astromon.ports.processing import ObservationProcessor
from astromon.ports.report import ReportRenderer
from astromon.ports.run_lock import RunLock
from astromon.ports.run_log import RunLog
from astromon.ports.store import DBFile, DBPath, Store
from astromon.services.demo import DemoObservatory
from astromon.services.observation.processor import StandardObservationProcessor
from astromon.services.storage.backup import BackupResult, DatabaseCopier
from astromon.services.storage.backup import backup_database as backup_service
from astromon.services.storage.backup import restore_database as restore_service
from astromon.services.storage.integrity import IntegrityReport, check_integrity

__all__ = [
    "CATALOG_SOURCES",
    "PORTS",
    "Astromon",
    "LockWaitNotice",
    "ObservationPorts",
    "Overrides",
    "StoreOpener",
]

CATALOG_SOURCES: tuple[str, ...] = ("vizier", "local")
"""Values of :meth:`Astromon.catalogs` ``source``."""

_LEGACY_SUFFIXES = (".h5", ".hdf5", ".hdf")

LockWaitNotice = Callable[[Path, int | None], None]
"""``notice(database_path, holder_pid_or_None)``, called once after 1 s of waiting for a lock."""


class StoreOpener(Protocol):
    """``(dbfile, *, write) -> Store``: how an override opens the store of a file.

    ``dbfile`` is passed as the caller gave it (None for the default file).
    """

    def __call__(self, dbfile: DBPath = None, *, write: bool = False) -> Store: ...


class Overrides(TypedDict, total=False):
    """Port implementations given to :func:`astromon.bootstrap.bootstrap` instead of adapters."""

    store: StoreOpener
    catalogs: CatalogService
    archive: ArchiveRetriever
    ciao: CiaoRunner
    detector: SourceDetector
    observation_info: ObservationInfo
    executor: Executor
    renderer: ReportRenderer
    clock: Clock
    parameter_files: ParameterFiles
    observation_files: ObservationFiles
    toolchain: ToolchainProbe
    calalign_files: CalalignFiles
    notifier: Notifier
    input_files: InputFiles
    run_log: Callable[[Path], RunLog]
    run_lock: Callable[[Path], RunLock]


PORTS: tuple[str, ...] = tuple(Overrides.__annotations__)
"""The override keys (port roles) accepted by :func:`astromon.bootstrap.bootstrap`."""


@dataclass(frozen=True)
class ObservationPorts:
    """The ports an observation's steps run on (see :meth:`Astromon.observation_ports`)."""

    retriever: ArchiveRetriever
    info: ObservationInfo
    ciao: CiaoRunner | None
    detector: SourceDetector | None


class Astromon:
    """One astromon application: settings, ports and the use cases wired on them.

    Build it with :func:`astromon.bootstrap.bootstrap`. Attributes: ``settings``
    (:class:`~astromon.config.Settings`) and ``overrides`` (role -> port implementation,
    see :class:`Overrides`).
    """

    def __init__(self, settings: Settings, overrides: Overrides) -> None:
        unknown = sorted(set(overrides) - set(PORTS))  # keys given through **mapping
        if unknown:
            raise ValidationError(f"unknown override(s) {unknown}; known ports: {', '.join(PORTS)}")
        self.settings = settings
        self.overrides: Overrides = overrides.copy()

    def __repr__(self) -> str:
        return f"<Astromon overrides={sorted(self.overrides)}>"

    # --- storage ------------------------------------------------------------------------

    def db_file(self, dbfile: DBPath = None) -> Path:
        """``dbfile`` as a path, or the default file of the settings when None.

        Raises
        ------
        ValidationError
            ``dbfile`` is neither None nor a path (a number, bytes...).
        """
        if dbfile is not None:
            require_path("dbfile", dbfile)
        return self.settings.resolve_db_file(dbfile)

    def store(self, dbfile: DBFile = None, *, write: bool = False) -> Store:
        """The store of ``dbfile`` (default: :meth:`astromon.config.Settings.default_db_file`);
        a :class:`~astromon.ports.store.Store` given as ``dbfile`` is returned as it is.

        An existing file is opened as a legacy HDF5 store when it has the HDF5 signature
        (read-only), else as a DuckDB store. For reads the file must exist; for writes a
        missing DuckDB file is created by the first write. The directory of the default file
        is created for a write; the directory of a given file must exist.

        Raises
        ------
        DatabaseError
            The path is not a regular file (a directory, a FIFO, a device); the file does not
            exist (read); its directory does not exist or it has an HDF5 suffix (write).
        """
        if isinstance(dbfile, Store):
            return dbfile
        opener = self.overrides.get("store")
        if opener is not None:
            return opener(dbfile, write=write)
        path = self.db_file(dbfile)
        self.input_path(path, "astromon database file", missing_ok=True)  # never open a FIFO
        if path.exists():
            if self.is_legacy_file(path):
                return self.legacy_store(path)
            return self._duckdb_store(path)
        if not write:
            raise DatabaseError(f"astromon database file {path} does not exist")
        if path.suffix.lower() in _LEGACY_SUFFIXES:
            raise DatabaseError(
                f"{path} does not exist and astromon writes DuckDB files, not HDF5; "
                "use a name such as astromon.duckdb"
            )
        if dbfile is None and not path.parent.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot create the directory of {path}: {exc}") from None
        if not path.parent.is_dir():
            raise DatabaseError(
                f"cannot create database file {path}: directory {path.parent} does not exist"
            )
        return self._duckdb_store(path)

    def _duckdb_store(self, path: PathArg, *, linger: float | None = None) -> Store:
        from astromon_adapters.storage.duckdb.store import DuckDBStore

        options: dict[str, float] = {}
        if self.settings.lock_timeout is not None:
            options["lock_timeout"] = self.settings.lock_timeout
        if linger is not None:
            options["linger"] = linger
        return DuckDBStore(path, **options)

    def legacy_store(self, h5file: PathArg) -> Store:
        """A legacy HDF5 file as a read-only store (DatabaseError when it is not HDF5)."""
        from astromon_adapters.storage.hdf5 import HDF5Store

        return HDF5Store(h5file)

    def staged_store(self, path: str) -> Store:
        """A DuckDB store on a staging/backup file that keeps no connection open afterwards."""
        return self._duckdb_store(path, linger=0.0)

    def database_copier(self) -> DatabaseCopier:
        """The file operations of backup and restore: consistent DuckDB snapshots, published
        atomically, under the lock timeout of the settings."""
        from astromon_adapters.storage.duckdb.backup import DuckDBCopier

        timeout = self.settings.lock_timeout
        return DuckDBCopier() if timeout is None else DuckDBCopier(lock_timeout=timeout)

    def is_legacy_file(self, path: PathArg) -> bool:
        """True when ``path`` is an existing file with the HDF5 signature (a legacy file)."""
        from astromon_adapters.storage.file_rules import is_hdf5_file

        return is_hdf5_file(path)

    def input_path(
        self,
        path: PathArg,
        what: str,
        *,
        directory: bool = False,
        usage: bool = False,
        missing_ok: bool = False,
    ) -> Path:
        """``path`` checked to be a regular file (a directory with ``directory``) before it is
        opened, so that a FIFO or a device never blocks (the input rule).

        ``what`` names the path in messages (``'--obsid-file'``); ``usage`` makes the error a
        :class:`ValidationError` (a bad command-line value) instead of a
        :class:`DatabaseError`; ``missing_ok`` accepts a path that does not exist.
        """
        from astromon_adapters.storage.file_rules import check_input_path

        error = ValidationError if usage else DatabaseError
        return check_input_path(path, what, directory=directory, missing_ok=missing_ok, error=error)

    def release_database(self, dbfile: DBPath) -> None:
        """Close the write session a DuckDB file keeps open for a moment after a save, now.

        Closing it checkpoints the write-ahead log into the file and releases the file's
        lock. Left to expire, it is closed by a background thread: do this before the file is
        copied alone, or before its directory is removed (that thread writing there meanwhile
        would leave the directory behind). Nothing happens for a file with no kept session.
        """
        from astromon_adapters.storage.duckdb.store import release_connections

        release_connections(self.db_file(dbfile))

    def input_files(self) -> InputFiles:
        """The input files a user names (an obsid list, offset steps, a regions table), read
        whole or refused in one line; the local file system by default."""
        override = self.overrides.get("input_files")
        if override is not None:
            return override
        from astromon_adapters.storage.input_files import LocalInputFiles

        return LocalInputFiles()

    def read_table_directory(self, directory: PathArg) -> dict[str, Table]:
        """The ``astromon_*.ecsv`` tables of ``directory``."""
        from astromon_adapters.storage.table_files import read_ecsv_directory

        return read_ecsv_directory(directory)

    def write_table_file(
        self,
        table: Table,
        path: PathArg,
        format: str | None = None,
        overwrite: bool = False,
        overwrite_hint: str = "overwrite=True",
    ) -> Path:
        """Write a table file atomically: ECSV, CSV, JSON, FITS or Parquet (format from
        ``format`` or the suffix); an existing file is refused unless ``overwrite``, with
        ``overwrite_hint`` (the option that allows it) in the message."""
        from astromon_adapters.storage.table_files import write_table_file

        return write_table_file(
            table, path, format=format, overwrite=overwrite, overwrite_hint=overwrite_hint
        )

    def write_text_file(
        self,
        text: str,
        path: PathArg,
        overwrite: bool = False,
        overwrite_hint: str = "overwrite=True",
    ) -> Path:
        """Write a text file atomically, with the overwrite rule of :meth:`write_table_file`."""
        from astromon_adapters.storage.table_files import write_text_file

        return write_text_file(text, path, overwrite=overwrite, overwrite_hint=overwrite_hint)

    def process_alive(self, pid: int) -> bool:
        """True while a process ``pid`` exists on this machine."""
        from astromon_adapters.storage.file_lock import process_alive

        return process_alive(pid)

    def set_lock_wait_notice(self, notice: LockWaitNotice | None) -> LockWaitNotice | None:
        """Set what is called, once, when a database access has waited 1 s for the file lock.

        The notice is process-wide (every store of the process uses it); None restores the
        default, a structlog warning event. Returns the previous notice.
        """
        from astromon_adapters.storage.duckdb.connections import set_wait_notice

        return set_wait_notice(notice)

    def clock(self) -> Clock:
        """The clock (time-stamps of region changes); the system clock by default."""
        override = self.overrides.get("clock")
        if override is not None:
            return override
        from astromon_adapters.system_clock import SystemClock

        return SystemClock()

    # --- use cases on the store ---------------------------------------------------------

    def check_database(self, dbfile: DBPath = None) -> IntegrityReport:
        """Integrity check of ``dbfile`` (default file rule): schema, keys, orphans, regions
        (:func:`astromon.services.storage.integrity.check_integrity` on its store).

        Raises
        ------
        DatabaseError
            The file does not exist or is a directory (problems inside the file are reported).
        """
        return check_integrity(self.store(dbfile))

    def backup_database(
        self, dbfile: DBPath, destination: PathArg, *, force: bool = False
    ) -> BackupResult:
        """Consistent, verified copy of the DuckDB file ``dbfile`` to ``destination``.

        See :func:`astromon.services.storage.backup.backup_database` for the rules and errors.
        """
        source = str(self.db_file(dbfile))
        return backup_service(
            self.database_copier(), self.staged_store, source, os.fspath(destination), force=force
        )

    def restore_database(
        self, backup_file: PathArg, dbfile: DBPath = None, *, force: bool = False
    ) -> BackupResult:
        """Replace ``dbfile`` (default file rule) with the verified backup ``backup_file``.

        See :func:`astromon.services.storage.backup.restore_database` for the rules and
        errors.
        """
        destination = str(self.db_file(dbfile))
        return restore_service(
            self.database_copier(),
            self.staged_store,
            os.fspath(backup_file),
            destination,
            force=force,
        )

    # --- catalogs -----------------------------------------------------------------------

    def catalogs(
        self,
        source: str = "vizier",
        *,
        catalog_file: PathArg | Mapping[str, PathArg] | None = None,
        server: str | None = None,
        timeout: float | None = None,
        retries: int = 3,
        index_dir: PathArg | None = None,
    ) -> CatalogService:
        """The catalog service: VizieR (online) or local catalog files (offline).

        Parameters
        ----------
        source : str
            ``'vizier'`` or ``'local'``.
        catalog_file : path or mapping of catalog name to path
            For ``'local'``: one file with a ``catalog`` column, or one file per catalog.
        server : str, optional
            For ``'vizier'``: host or base URL (default ``settings.vizier_server``, else
            ``vizier.cds.unistra.fr``).
        timeout : float, optional
            For ``'vizier'``: seconds per HTTP request (default ``settings.vizier_timeout``,
            else 60).
        retries : int
            For ``'vizier'``: extra attempts after a transient failure.
        index_dir : path, optional
            For ``'local'``: where catalog indexes are kept (default: beside the file, else
            ``settings.catalog_cache_dir()``).

        Raises
        ------
        ValidationError
            Unknown source, a missing ``catalog_file`` for ``'local'``, a bad timeout.
        """
        override = self.overrides.get("catalogs")
        if override is not None:
            return override
        require_choice("catalog source", source, CATALOG_SOURCES)
        if source == "vizier":
            from astromon_adapters.catalogs.vizier import VizierCatalogService

            wait = self.settings.vizier_timeout if timeout is None else timeout
            server = server or self.settings.vizier_server
            if wait is None:
                return VizierCatalogService(server, retries=retries)
            return VizierCatalogService(server, timeout=wait, retries=retries)
        if catalog_file is None:  # source "local"
            raise ValidationError("catalog source 'local' needs catalog_file")
        from astromon_adapters.catalogs.local.service import LocalCatalogService

        return LocalCatalogService(
            catalog_file, index_dir=index_dir, cache_dir=self.settings.catalog_cache_dir()
        )

    # --- observations -------------------------------------------------------------------

    def ciao_class(self) -> type[CiaoRunner]:
        """The class of the CIAO runner adapter (``astromon.utils.Ciao``)."""
        from astromon_adapters.chandra.ciao import Ciao

        return Ciao

    def ciao(
        self,
        prefix: PathArg | None = None,
        workdir: PathArg | None = None,
        logger: object = None,
    ) -> CiaoRunner:
        """A CIAO runner for ``prefix`` (default ``settings.ciao_prefix``, else /soft/ciao)
        with its parameter files in ``workdir``."""
        override = self.overrides.get("ciao")
        if override is not None:
            return override
        from astromon_adapters.chandra.ciao import Ciao

        prefix = prefix if prefix is not None else self.settings.ciao_prefix
        return Ciao(prefix, workdir, logger)

    def communicate(
        self,
        process: subprocess.Popen[Any],
        logger: object = None,
        level: str = "WARNING",
        text: bool = False,
        logging_tag: str = "",
    ) -> list[str]:
        """Stream a subprocess' stdout to the log, line by line; the lines are returned."""
        from astromon_adapters.chandra.ciao import communicate

        return communicate(process, logger, level, text, logging_tag)

    def archive(self, source: str = "arc5gl", ciao: CiaoRunner | None = None) -> ArchiveRetriever:
        """The archive of a data source: ``arc5gl``, ``archive`` (CIAO's download_chandra_obsid,
        needs ``ciao``) or ``https`` (base URL ``settings.archive_url``, default the public
        Chandra archive).

        Raises
        ------
        ValidationError
            Unknown source, or ``archive`` without a CIAO runner.
        """
        override = self.overrides.get("archive")
        if override is not None:
            return override
        require_choice("data source", source, OBSERVATION_SOURCES)
        if source == "arc5gl":
            from astromon_adapters.chandra.archives.arc5gl import Arc5glRetriever

            user_file = self.settings.arc5gl_user_file()
            executable = self.settings.arc5gl
            if executable is None:
                return Arc5glRetriever(user_file=user_file)
            return Arc5glRetriever(executable, user_file=user_file)
        if source == "archive":
            from astromon_adapters.chandra.archives.download_chandra_obsid import (
                DownloadChandraObsid,
            )
            from astromon_adapters.chandra.ciao import Ciao

            if not isinstance(ciao, Ciao):
                raise ValidationError("source 'archive' (download_chandra_obsid) needs CIAO")
            return DownloadChandraObsid(ciao)
        from astromon_adapters.chandra.archives.https import ChandraArchive  # source "https"

        url = self.settings.archive_url
        return ChandraArchive() if url is None else ChandraArchive(url)

    def observation_info(self) -> ObservationInfo:
        """Sequence summaries from ``settings.info_urls`` (templates with ``{seq_num}`` and/or
        ``{obsid}``; default the CXC target page ``target.cgi?{seq_num}``)."""
        override = self.overrides.get("observation_info")
        if override is not None:
            return override
        from astromon_adapters.chandra.observation_info import SequenceSummaryInfo

        urls = self.settings.info_urls
        return SequenceSummaryInfo(list(urls)) if urls else SequenceSummaryInfo()

    def detector(self, ciao: CiaoRunner | None = None) -> SourceDetector:
        """The source detector: CIAO's fluximage + celldetect on ``ciao``; without CIAO, the
        event-list detector (aperture photometry on the events)."""
        override = self.overrides.get("detector")
        if override is not None:
            return override
        if ciao is None:
            from astromon_adapters.chandra.detector import EventSourceDetector

            return EventSourceDetector()
        from astromon_adapters.chandra.celldetect import CiaoCelldetect

        return CiaoCelldetect(ciao)

    def parameter_files(self) -> ParameterFiles:
        """The reader of CIAO parameter files (obspar) on the local file system."""
        override = self.overrides.get("parameter_files")
        if override is not None:
            return override
        from astromon_adapters.chandra.par_file import ParFileReader

        return ParFileReader()

    def observation_files(self) -> ObservationFiles:
        """The reader and writer of an observation's FITS files (headers, source lists,
        pileup map, streak regions, aspect offsets) on the local file system."""
        override = self.overrides.get("observation_files")
        if override is not None:
            return override
        from astromon_adapters.chandra.fits_files import FitsObservationFiles

        return FitsObservationFiles()

    def toolchain_probe(self) -> ToolchainProbe:
        """The probe of this machine's CIAO, CALDB, arc5gl, URLs and files (``astromon doctor``)."""
        override = self.overrides.get("toolchain")
        if override is not None:
            return override
        from astromon_adapters.chandra.toolchain_probe import LocalToolchainProbe

        return LocalToolchainProbe(arc5gl_user_file=self.settings.arc5gl_user_file())

    def calalign_files(self) -> CalalignFiles:
        """CALALIGN FITS files: read a directory, write corrected copies."""
        override = self.overrides.get("calalign_files")
        if override is not None:
            return override
        from astromon_adapters.chandra.calalign_files import FitsCalalignFiles

        return FitsCalalignFiles()

    def read_calalign(self, calalign_dir: PathArg | None = None) -> Table:
        """The CALALIGN files of ``calalign_dir`` (default
        :meth:`~astromon.config.Settings.default_calalign_dir`) as one table, read by
        :meth:`calalign_files`.

        Raises
        ------
        ValidationError
            No directory given and none set (``ASTROMON_CALALIGN_DIR``, ``CALDB``).
        """
        directory = (
            Path(calalign_dir) if calalign_dir is not None else self.settings.default_calalign_dir()
        )
        return self.calalign_files().read_directory(directory)

    def observation_ports(
        self,
        obsid_dir: Path | None,
        *,
        source: str = "arc5gl",
        ciao_prefix: PathArg | None = None,
        use_ciao: bool = True,
        retriever: ArchiveRetriever | None = None,
        ciao: CiaoRunner | None = None,
        info: ObservationInfo | None = None,
        detector: SourceDetector | None = None,
        logger: object = None,
    ) -> ObservationPorts:
        """The ports of one observation: the given ones, else those of this application.

        ``obsid_dir`` is the observation's working directory (its CIAO parameter files go to
        ``{obsid_dir}/ciao``); None for a temporary one.

        Without CIAO (``use_ciao=False``) and no detector, the detector is None: the
        observation constructs, and only source detection fails (naming the missing detector).

        Raises
        ------
        ValidationError
            Unknown source.
        """
        require_choice("data source", source, OBSERVATION_SOURCES)
        if use_ciao and ciao is None:
            ciao_dir = obsid_dir / "ciao" if obsid_dir is not None else None
            ciao = self.ciao(ciao_prefix, ciao_dir, logger)
        if retriever is None:
            retriever = self.archive(source, ciao)
        if info is None:
            info = self.observation_info()
        if detector is None and not use_ciao and "detector" in self.overrides:
            detector = self.detector()
        return ObservationPorts(retriever=retriever, info=info, ciao=ciao, detector=detector)

    # --- batches, reports, alerts -------------------------------------------------------

    def executor(self, workers: int | None = None, scheduler: str | None = None) -> Executor:
        """The executor of a batch: a Dask cluster when ``scheduler`` is given, else local.

        Parameters
        ----------
        workers : int, optional
            Local worker processes (default ``settings.workers``, else the CPU count); 1 runs
            the work in the calling process.
        scheduler : str, optional
            Address of a Dask ``distributed`` scheduler (``tcp://host:8786``).
        """
        override = self.overrides.get("executor")
        if override is not None:
            return override
        from astromon_adapters.executors import DaskExecutor, ProcessPoolExecutor, SerialExecutor

        if scheduler:
            return DaskExecutor(scheduler)
        workers = workers if workers is not None else self.settings.workers
        if workers == 1:
            return SerialExecutor()
        return ProcessPoolExecutor(workers)

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
        """The standard per-observation work on real observations (CIAO, archives, catalogs),
        wired with picklable factories so that it travels to worker processes.

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
        self, root: PathArg, n_observations: int, seed: int
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
            :class:`~astromon.services.observation.processor.StandardObservationProcessor`
            wired to the simulated archive, the event-list source detector and the local
            catalog file.
        """
        from astromon_adapters.simulation import SimulatedObservatory
        from astromon_adapters.simulation.files import CATALOG_NAME

        observatory = SimulatedObservatory(Path(root), n_observations, seed).build()
        work_dir, archive_dir = str(observatory.work_dir), str(observatory.archive_dir)
        factory = SimulatedObservationFactory(observatory.observations, work_dir, archive_dir)
        catalogs = CatalogFactory(
            self,
            "local",
            catalog_file=str(observatory.catalog_file),
            index_dir=str(observatory.root / "catalog-index"),
        )
        processor = StandardObservationProcessor(factory, catalogs, catalogs=(CATALOG_NAME,))
        return observatory, processor

    def renderer(self) -> ReportRenderer:
        """The report renderer: matplotlib PNG figures and an HTML page."""
        override = self.overrides.get("renderer")
        if override is not None:
            return override
        from astromon_adapters.report.renderer import MatplotlibReportRenderer

        return MatplotlibReportRenderer()

    def notifier(
        self,
        *,
        smtp: str | None = None,
        starttls: bool | None = None,
        user: str | None = None,
        mail_from: str | None = None,
        password_file: PathArg | None = None,
        timeout: float | None = None,
    ) -> Notifier:
        """The sender of the alerts: e-mail through an SMTP server.

        Each argument left None takes its setting: ``smtp`` (``ASTROMON_SMTP``,
        ``HOST[:PORT]``), ``starttls`` (``ASTROMON_SMTP_STARTTLS``), ``user``
        (``ASTROMON_SMTP_USER``), ``mail_from`` (``ASTROMON_MAIL_FROM``), ``password_file``
        (``ASTROMON_SMTP_PASSWORD_FILE``), ``timeout`` (``ASTROMON_SMTP_TIMEOUT``, else 30 s).
        The password is ``ASTROMON_SMTP_PASSWORD`` unless a password file is given; it is never
        an argument. The recipients are given to ``send`` (``settings.mail_to`` holds those of
        ``ASTROMON_MAIL_TO``).

        Raises
        ------
        ValidationError
            No SMTP server or no sender is set, a value is bad, the password file is refused
            (not a regular file, or open to other users), or a user has no password.
        """
        override = self.overrides.get("notifier")
        if override is not None:
            return override
        settings = self.settings
        server = smtp or settings.smtp
        if not server:
            raise ValidationError("no SMTP server for the alerts: set ASTROMON_SMTP (HOST[:PORT])")
        from astromon_adapters.operations.smtp_mail import DEFAULT_TIMEOUT, SmtpNotifier

        wait = timeout if timeout is not None else settings.smtp_timeout
        return SmtpNotifier(
            server,
            mail_from=mail_from or settings.mail_from,
            starttls=settings.smtp_starttls if starttls is None else starttls,
            user=user or settings.smtp_user,
            password=settings.smtp_password,
            password_file=password_file or settings.smtp_password_file,
            timeout=DEFAULT_TIMEOUT if wait is None else wait,
        )

    def run_log(self, log_dir: PathArg) -> RunLog:
        """The record of the daily runs: ``daily.jsonl`` in ``log_dir`` (the override, when
        given, is called with ``log_dir`` as a path)."""
        override = self.overrides.get("run_log")
        if override is not None:
            return override(Path(log_dir))
        from astromon_adapters.operations.run_log import JsonLinesRunLog

        return JsonLinesRunLog(log_dir)

    def run_lock(self, database: PathArg) -> RunLock:
        """The lock that keeps daily runs on ``database`` apart (files beside it; the
        override, when given, is called with ``database`` as a path)."""
        override = self.overrides.get("run_lock")
        if override is not None:
            return override(Path(database))
        from astromon_adapters.operations.run_lock import DailyRunLock

        return DailyRunLock(database)
