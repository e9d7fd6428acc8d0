"""The composition root: the one place that names adapter classes and injects them.

Façade modules (:mod:`astromon.db`, :mod:`astromon.cross_match`, :mod:`astromon.observation`,
:mod:`astromon.utils`) and the CLI ask this module for ports; unit tests build services with
fakes instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # demo section
    import os
    from typing import Any

    from astromon.services import demo as _demo_service

if TYPE_CHECKING:  # operations section
    from astromon.ports import calalign as _calalign_port
    from astromon.ports import catalog as _catalog_port
    from astromon.ports import executor as _executor_port
    from astromon.ports import processing as _processing_port
    from astromon.ports import report as _report_port

# --- storage (owned by the storage work) -------------------------------------------------

if TYPE_CHECKING:  # storage section
    from collections.abc import Callable as _StorageCallable
    from os import PathLike as _StoragePathLike
    from pathlib import Path as _StoragePath

    from astropy.table import Table as _StorageTable

    from astromon.ports import clock as _clock_port
    from astromon.ports import store as _store_port

_LEGACY_SUFFIXES = (".h5", ".hdf5", ".hdf")


def _lock_timeout() -> float:
    """``$ASTROMON_LOCK_TIMEOUT`` (seconds), else the DuckDB store's default."""
    import os

    from astromon_adapters.duckdb_store import DEFAULT_LOCK_TIMEOUT

    from astromon.domain.errors import ValidationError

    text = os.environ.get("ASTROMON_LOCK_TIMEOUT")
    if not text:
        return DEFAULT_LOCK_TIMEOUT
    try:
        return float(text)
    except ValueError:
        raise ValidationError(f"ASTROMON_LOCK_TIMEOUT must be seconds, got {text!r}") from None


def open_store(
    dbfile: str | _StoragePathLike[str] | None = None, *, write: bool = False
) -> _store_port.Store:
    """The store of ``dbfile`` (default: :func:`astromon.config.default_db_file`).

    An existing file is opened as a legacy HDF5 store when it has the HDF5 signature
    (read-only), else as a DuckDB store. For reads the file must exist; for writes a missing
    DuckDB file is created by the first write. The directory of the default file is created
    for a write; the directory of a given file must exist.

    Raises
    ------
    DatabaseError
        The path is a directory; the file does not exist (read); its directory does not
        exist or it has an HDF5 suffix (write).
    """
    from astromon_adapters.duckdb_store import DuckDBStore
    from astromon_adapters.hdf5_store import HDF5Store, is_hdf5_file

    from astromon.config import resolve_db_file
    from astromon.domain.errors import DatabaseError

    path = resolve_db_file(dbfile)
    if path.is_dir():
        raise DatabaseError(f"database path {path} is a directory, not a file")
    if path.exists():
        if is_hdf5_file(path):
            return HDF5Store(path)
        return DuckDBStore(path, lock_timeout=_lock_timeout())
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
    return DuckDBStore(path, lock_timeout=_lock_timeout())


def set_lock_wait_notice(
    notice: _StorageCallable[[_StoragePath, int | None], None] | None,
) -> _StorageCallable[[_StoragePath, int | None], None] | None:
    """Set what is called, once, when a database access has waited 1 s for the file lock.

    ``notice(database_path, holder_pid_or_None)``; None restores the default (a structlog
    warning event). Returns the previous notice.
    """
    from astromon_adapters.duckdb_connections import set_wait_notice

    return set_wait_notice(notice)


def open_legacy_store(h5file: str | _StoragePathLike[str]) -> _store_port.Store:
    """A legacy HDF5 file as a read-only store (DatabaseError when it is not HDF5)."""
    from astromon_adapters.hdf5_store import HDF5Store

    return HDF5Store(h5file)


def is_legacy_file(path: str | _StoragePathLike[str]) -> bool:
    """True when ``path`` is an existing file with the HDF5 signature (a legacy file)."""
    from astromon_adapters.hdf5_store import is_hdf5_file

    return is_hdf5_file(path)


def read_table_directory(directory: str | _StoragePathLike[str]) -> dict[str, _StorageTable]:
    """The ``astromon_*.ecsv`` tables of ``directory`` (see astromon_adapters.table_files)."""
    from astromon_adapters.table_files import read_ecsv_directory

    return read_ecsv_directory(directory)


def write_table_file(
    table: _StorageTable,
    path: str | _StoragePathLike[str],
    format: str | None = None,
    overwrite: bool = False,
    overwrite_hint: str = "overwrite=True",
) -> _StoragePath:
    """Write a table file atomically: ECSV, CSV, JSON, FITS or Parquet.

    See astromon_adapters.table_files.write_table_file (the one table writer).
    """
    from astromon_adapters.table_files import write_table_file as _write

    return _write(table, path, format=format, overwrite=overwrite, overwrite_hint=overwrite_hint)


def write_text_file(
    text: str,
    path: str | _StoragePathLike[str],
    overwrite: bool = False,
    overwrite_hint: str = "overwrite=True",
) -> _StoragePath:
    """Write a text file atomically, with the overwrite rule of :func:`write_table_file`."""
    from astromon_adapters.table_files import write_text_file as _write

    return _write(text, path, overwrite=overwrite, overwrite_hint=overwrite_hint)


def clock() -> _clock_port.Clock:
    """The real clock (time-stamps of region changes)."""
    from astromon.ports.clock import SystemClock

    return SystemClock()


# --- catalogs (owned by the catalog work) ------------------------------------------------

if TYPE_CHECKING:  # catalogs section
    from collections.abc import Mapping as _Mapping
    from os import PathLike as _PathLike

    from astromon.ports.catalog import CatalogService as _CatalogService

CATALOG_SOURCES = ("vizier", "local")
"""Values of ``catalog_service(source=...)``."""


def catalog_service(
    source: str = "vizier",
    *,
    catalog_file: str | _PathLike[str] | _Mapping[str, str | _PathLike[str]] | None = None,
    server: str | None = None,
    timeout: float | None = None,
    retries: int = 3,
    index_dir: str | _PathLike[str] | None = None,
) -> _CatalogService:
    """The catalog service: VizieR (online) or local catalog files (offline).

    Parameters
    ----------
    source : str
        ``'vizier'`` or ``'local'``.
    catalog_file : path or mapping of catalog name to path
        For ``'local'``: one file with a ``catalog`` column, or one file per catalog.
    server : str, optional
        For ``'vizier'``: host or base URL; default ``$ASTROMON_VIZIER_SERVER``, else
        ``vizier.cds.unistra.fr``.
    timeout : float, optional
        For ``'vizier'``: seconds per HTTP request; default ``$ASTROMON_VIZIER_TIMEOUT``,
        else 60.
    retries : int
        For ``'vizier'``: extra attempts after a transient failure.
    index_dir : path, optional
        For ``'local'``: where catalog indexes are kept (default: beside the file, else the
        user cache).

    Raises
    ------
    ValidationError
        Unknown source, a missing ``catalog_file`` for ``'local'``, a bad timeout.
    """
    import os as _os

    from astromon.domain.errors import ValidationError

    if source == "vizier":
        from astromon_adapters.vizier import VizierCatalogService

        env_timeout = _os.environ.get("ASTROMON_VIZIER_TIMEOUT")
        if timeout is None and env_timeout:
            try:
                timeout = float(env_timeout)
            except ValueError:
                raise ValidationError(
                    f"ASTROMON_VIZIER_TIMEOUT must be a number of seconds, got {env_timeout!r}"
                ) from None
        return VizierCatalogService(
            server or _os.environ.get("ASTROMON_VIZIER_SERVER") or None,
            timeout=60.0 if timeout is None else timeout,
            retries=retries,
        )
    if source == "local":
        from astromon_adapters.local_catalog import LocalCatalogService

        if catalog_file is None:
            raise ValidationError("catalog source 'local' needs catalog_file")
        return LocalCatalogService(catalog_file, index_dir=index_dir)
    raise ValidationError(
        f"unknown catalog source {source!r}; use one of {', '.join(CATALOG_SOURCES)}"
    )


# --- observations (owned by the observation work) ----------------------------------------

if TYPE_CHECKING:  # observations section
    from astromon.ports import observation as _observation_port

OBSERVATION_SOURCES: tuple[str, ...] = ("arc5gl", "archive", "https")
"""Data sources of ``Observation``: arc5gl, CIAO's download_chandra_obsid, the HTTPS archive."""


def ciao_class() -> type[Any]:
    """The CIAO runner class (:class:`astromon_adapters.ciao.Ciao`), re-exported by utils."""
    from astromon_adapters.ciao import Ciao

    return Ciao


def ciao_communicate() -> Any:
    """The function that streams a subprocess' output to the log (``ciao.communicate``)."""
    from astromon_adapters.ciao import communicate

    return communicate


def ciao_runner(
    prefix: str | os.PathLike[str] | None = None,
    workdir: str | os.PathLike[str] | None = None,
    logger: Any = None,
) -> _observation_port.CiaoRunner:
    """A CIAO runner for ``prefix`` (default /soft/ciao) with its parameter files in ``workdir``."""
    from astromon_adapters.ciao import Ciao

    runner: _observation_port.CiaoRunner = Ciao(prefix, workdir, logger)
    return runner


def archive_retriever(
    source: str = "arc5gl", ciao: _observation_port.CiaoRunner | None = None
) -> _observation_port.ArchiveRetriever:
    """The archive of a data source: ``arc5gl``, ``archive`` (download_chandra_obsid, needs
    ``ciao``) or ``https`` (base URL ``$ASTROMON_ARCHIVE_URL``, default the public archive)."""
    import os as _os

    from astromon.domain.errors import ValidationError

    if source == "arc5gl":
        from astromon_adapters.arc5gl import Arc5glRetriever

        return Arc5glRetriever()
    if source == "archive":
        from astromon_adapters.ciao import Ciao
        from astromon_adapters.download_chandra_obsid import DownloadChandraObsid

        if not isinstance(ciao, Ciao):
            raise ValidationError("source 'archive' (download_chandra_obsid) needs CIAO")
        return DownloadChandraObsid(ciao)
    if source == "https":
        from astromon_adapters.chandra_archive import DEFAULT_ARCHIVE_URL, ChandraArchive

        return ChandraArchive(_os.environ.get("ASTROMON_ARCHIVE_URL") or DEFAULT_ARCHIVE_URL)
    raise ValidationError(
        f"unknown data source {source!r}; expected one of {', '.join(OBSERVATION_SOURCES)}"
    )


def observation_info() -> _observation_port.ObservationInfo:
    """Sequence summaries from ``$ASTROMON_INFO_URLS`` (space-separated templates with
    ``{seq_num}`` and/or ``{obsid}``), default the CXC target page ``target.cgi?{seq_num}``."""
    import os as _os

    from astromon_adapters.observation_info import DEFAULT_INFO_URLS, SequenceSummaryInfo

    urls = _os.environ.get("ASTROMON_INFO_URLS", "").split() or list(DEFAULT_INFO_URLS)
    return SequenceSummaryInfo(urls)


def parameter_files() -> _observation_port.ParameterFiles:
    """The reader of CIAO parameter files (obspar) from the local file system."""
    from astromon_adapters.par_file import ParFileReader

    return ParFileReader()


def toolchain_probe() -> _observation_port.ToolchainProbe:
    """The probe of this machine's CIAO, CALDB, arc5gl, URLs and files (``astromon doctor``)."""
    from astromon_adapters.toolchain_probe import LocalToolchainProbe

    return LocalToolchainProbe()


def ciao_detector(ciao: _observation_port.CiaoRunner) -> _observation_port.SourceDetector:
    """The CIAO source detector (fluximage + celldetect)."""
    from astromon_adapters.celldetect import CiaoCelldetect

    return CiaoCelldetect(ciao)


# --- operations: executors, report (owned by the operations work) ------------------------


def executor(workers: int | None = None, scheduler: str | None = None) -> _executor_port.Executor:
    """The executor of a batch: a Dask cluster when ``scheduler`` is given, else local.

    Parameters
    ----------
    workers : int, optional
        Local worker processes (default ``$ASTROMON_WORKERS`` or the CPU count); 1 runs the
        work in the calling process.
    scheduler : str, optional
        Address of a Dask ``distributed`` scheduler (``tcp://host:8786``).
    """
    from astromon_adapters.executors import DaskExecutor, ProcessPoolExecutor, SerialExecutor

    if scheduler:
        return DaskExecutor(scheduler)
    if workers == 1:
        return SerialExecutor()
    return ProcessPoolExecutor(workers)


class ObservationFactory:
    """Picklable ``obsid -> astromon.observation.Observation`` with fixed settings."""

    def __init__(
        self,
        *,
        workdir: str | None = None,
        source: str = "arc5gl",
        archive_dir: str | None = None,
        ciao_prefix: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.source = source
        self.archive_dir = archive_dir
        self.ciao_prefix = ciao_prefix

    def __call__(self, obsid: int) -> _processing_port.ObservationHandle:
        from astromon.observation import Observation

        handle: _processing_port.ObservationHandle = Observation(
            obsid,
            workdir=self.workdir,
            source=self.source,
            ciao_prefix=self.ciao_prefix,
            archive_dir=self.archive_dir,
        )
        return handle


class CatalogFactory:
    """Picklable ``() -> CatalogService``; each worker builds its own service."""

    def __init__(self, source: str = "vizier", **options: Any) -> None:
        self.source = source
        self.options: dict[str, Any] = dict(options)

    def __call__(self) -> _catalog_port.CatalogService:
        import astromon.bootstrap as root

        service: _catalog_port.CatalogService = root.catalog_service(self.source, **self.options)
        return service


def observation_processor(
    *,
    source: str = "arc5gl",
    workdir: str | None = None,
    archive_dir: str | None = None,
    ciao_prefix: str | None = None,
    catalog_source: str = "vizier",
    catalog_options: dict[str, Any] | None = None,
    catalogs: tuple[str, ...] | None = None,
) -> _processing_port.ObservationProcessor:
    """The standard per-observation work on real observations (CIAO, archives, catalogs).

    Parameters
    ----------
    source : str
        Where observation files come from ('arc5gl' or 'archive').
    workdir, archive_dir : str, optional
        Top-level working and archive directories.
    ciao_prefix : str, optional
        Where CIAO is installed.
    catalog_source : str
        'vizier' or 'local' (see :func:`catalog_service`).
    catalog_options : dict, optional
        Keyword arguments of :func:`catalog_service` (``catalog_file``, ``server``...).
    catalogs : tuple of str, optional
        Catalogs to search (default: those of SPEC section 3).
    """
    from astromon.services.processing import StandardObservationProcessor

    factory = ObservationFactory(
        workdir=workdir, source=source, archive_dir=archive_dir, ciao_prefix=ciao_prefix
    )
    catalog_factory = CatalogFactory(catalog_source, **(catalog_options or {}))
    if catalogs is None:
        return StandardObservationProcessor(factory, catalog_factory)
    return StandardObservationProcessor(factory, catalog_factory, catalogs=tuple(catalogs))


def report_renderer() -> _report_port.ReportRenderer:
    """The report renderer: matplotlib PNG figures and a jinja2 HTML page."""
    from astromon_adapters.report_renderer import MatplotlibReportRenderer

    return MatplotlibReportRenderer()


def calalign_files() -> _calalign_port.CalalignFiles:
    """CALALIGN FITS files: read a directory, write corrected copies."""
    from astromon_adapters.calalign_files import FitsCalalignFiles

    return FitsCalalignFiles()


# --- demo: the simulated observatory (owned by the demo work) ----------------------------


class SimulatedObservationFactory:
    """Picklable ``obsid -> Observation`` on the simulated archive, without CIAO.

    Holds only the observation plan (a list of small frozen dataclasses) and two directories,
    so it travels to worker processes.
    """

    def __init__(self, observations: list[object], workdir: str, archive_dir: str) -> None:
        self.observations = list(observations)
        self.workdir = workdir
        self.archive_dir = archive_dir

    def __call__(self, obsid: int) -> _processing_port.ObservationHandle:
        from astromon_adapters.detector import EventSourceDetector
        from astromon_adapters.simulation import SimulatedArchive, SimulatedObservationInfo

        from astromon.observation import Observation

        plans: Any = self.observations
        handle: _processing_port.ObservationHandle = Observation(
            obsid,
            workdir=self.workdir,
            archive_dir=self.archive_dir,
            use_ciao=False,
            retriever=SimulatedArchive(plans),
            info=SimulatedObservationInfo(plans),
            detector=EventSourceDetector(),
        )
        return handle


def demo_setup(
    root: str | os.PathLike[str], n_observations: int, seed: int
) -> tuple[_demo_service.DemoObservatory, _processing_port.ObservationProcessor]:
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
        The built :class:`astromon_adapters.simulation.SimulatedObservatory` and a
        :class:`~astromon.services.processing.StandardObservationProcessor` wired to the
        simulated archive, the event-list source detector and the local catalog file.
    """
    from pathlib import Path

    from astromon_adapters.simulation import SimulatedObservatory
    from astromon_adapters.simulation.files import CATALOG_NAME

    from astromon.services.processing import StandardObservationProcessor

    observatory = SimulatedObservatory(Path(root), n_observations, seed).build()
    factory = SimulatedObservationFactory(
        list(observatory.observations), str(observatory.work_dir), str(observatory.archive_dir)
    )
    catalogs = CatalogFactory(
        "local",
        catalog_file=str(observatory.catalog_file),
        index_dir=str(observatory.root / "catalog-index"),
    )
    processor = StandardObservationProcessor(factory, catalogs, catalogs=(CATALOG_NAME,))
    return observatory, processor


# --- reliability: integrity check, backup, restore (owned by the reliability work) --------

if TYPE_CHECKING:  # reliability section
    from astromon.services import backup as _backup_service
    from astromon.services import integrity as _integrity_service


def _staged_store(path: str) -> _store_port.Store:
    """A DuckDB store on a staging/backup file that keeps no connection open afterwards."""
    from astromon_adapters.duckdb_store import DuckDBStore

    return DuckDBStore(path, lock_timeout=_lock_timeout(), linger=0.0)


def check_database(
    dbfile: str | os.PathLike[str] | None = None,
) -> _integrity_service.IntegrityReport:
    """Integrity check of ``dbfile`` (default file rule): schema, keys, orphans, regions.

    Raises
    ------
    DatabaseError
        The file does not exist or is a directory (problems inside the file are reported).
    """
    from astromon.services.integrity import check_integrity

    return check_integrity(open_store(dbfile))


def backup_database(
    dbfile: str | os.PathLike[str] | None,
    destination: str | os.PathLike[str],
    *,
    force: bool = False,
) -> _backup_service.BackupResult:
    """Consistent, verified copy of the DuckDB file ``dbfile`` to ``destination``.

    See :func:`astromon.services.backup.backup_database` for the rules and errors.
    """
    import os as _os

    from astromon_adapters.duckdb_backup import DuckDBCopier

    from astromon.config import resolve_db_file
    from astromon.services.backup import backup_database as backup

    source = str(resolve_db_file(dbfile))
    copier = DuckDBCopier(lock_timeout=_lock_timeout())
    return backup(copier, _staged_store, source, _os.fspath(destination), force=force)


def restore_database(
    backup_file: str | os.PathLike[str],
    dbfile: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
) -> _backup_service.BackupResult:
    """Replace ``dbfile`` (default file rule) with the verified backup ``backup_file``.

    See :func:`astromon.services.backup.restore_database` for the rules and errors.
    """
    import os as _os

    from astromon_adapters.duckdb_backup import DuckDBCopier

    from astromon.config import resolve_db_file
    from astromon.services.backup import restore_database as restore

    destination = str(resolve_db_file(dbfile))
    copier = DuckDBCopier(lock_timeout=_lock_timeout())
    return restore(copier, _staged_store, _os.fspath(backup_file), destination, force=force)
