"""The application object: the ports of one astromon configuration, built on demand.

:class:`Astromon` holds a :class:`~astromon.config.Settings` and the overrides given to
:func:`astromon.bootstrap.bootstrap`; each port method returns the override of its role when
one was given, else builds the real adapter named in :data:`astromon.bootstrap.adapters.ADAPTERS`
with values from the settings. The use cases built on these ports are in
:class:`astromon.bootstrap.use_cases.UseCases`, the base class of :class:`Astromon`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict, cast

from astromon.bootstrap.adapters import load_adapter
from astromon.config import Settings
from astromon.domain.errors import DatabaseError, ValidationError
from astromon.domain.validation import require_path
from astromon.ports.calalign import CalalignFiles
from astromon.ports.catalog import CatalogService
from astromon.ports.clock import Clock
from astromon.ports.executor import Executor
from astromon.ports.notifier import Notifier
from astromon.ports.observation import (
    OBSERVATION_SOURCES,
    ArchiveRetriever,
    CiaoRunner,
    ObservationInfo,
    ParameterFiles,
    SourceDetector,
    ToolchainProbe,
)
from astromon.ports.report import ReportRenderer
from astromon.ports.run_lock import RunLock
from astromon.ports.run_log import RunLog
from astromon.ports.store import Store

__all__ = ["CATALOG_SOURCES", "PORTS", "DBFile", "Overrides", "PortsBase", "StoreOpener"]

DBFile = str | os.PathLike[str] | None
PathArg = str | os.PathLike[str]

CATALOG_SOURCES: tuple[str, ...] = ("vizier", "local")
"""Values of :meth:`PortsBase.catalogs` ``source``."""

_LEGACY_SUFFIXES = (".h5", ".hdf5", ".hdf")


class StoreOpener(Protocol):
    """``(dbfile, *, write) -> Store``: how an override opens the store of a file.

    ``dbfile`` is passed as the caller gave it (None for the default file).
    """

    def __call__(self, dbfile: DBFile = None, *, write: bool = False) -> Store: ...


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
    toolchain: ToolchainProbe
    calalign_files: CalalignFiles
    notifier: Notifier
    run_log: Callable[[Path], RunLog]
    run_lock: Callable[[Path], RunLock]


PORTS: tuple[str, ...] = tuple(Overrides.__annotations__)
"""The override keys (port roles) accepted by :func:`astromon.bootstrap.bootstrap`."""


def make_adapter(role: str, *args: object, **kwargs: object) -> object:
    """An instance of (or the result of calling) the adapter of ``role``."""
    factory = load_adapter(role)
    if not callable(factory):
        raise TypeError(f"the adapter of role {role!r} is not callable: {factory!r}")
    made: object = factory(*args, **kwargs)
    return made


def _given(**options: object) -> dict[str, object]:
    """The options that are not None (so that adapters keep their own defaults)."""
    return {key: value for key, value in options.items() if value is not None}


@dataclass(frozen=True)
class ObservationPorts:
    """The ports an observation's steps run on (see :meth:`PortsBase.observation_ports`)."""

    retriever: ArchiveRetriever
    info: ObservationInfo
    ciao: CiaoRunner | None
    detector: SourceDetector | None


class PortsBase:
    """The ports: override when given, else the real adapter configured from ``settings``."""

    def __init__(self, settings: Settings, overrides: Mapping[str, object]) -> None:
        unknown = sorted(set(overrides) - set(PORTS))
        if unknown:
            raise ValidationError(f"unknown override(s) {unknown}; known ports: {', '.join(PORTS)}")
        self.settings = settings
        self.overrides: dict[str, object] = dict(overrides)

    def __repr__(self) -> str:
        return f"<Astromon overrides={sorted(self.overrides)}>"

    # --- storage ------------------------------------------------------------------------

    def db_file(self, dbfile: DBFile = None) -> Path:
        """``dbfile`` as a path, or the default file of the settings when None.

        Raises
        ------
        ValidationError
            ``dbfile`` is neither None nor a path (a number, bytes...).
        """
        if dbfile is not None:
            require_path("dbfile", dbfile)
        return self.settings.resolve_db_file(dbfile)

    def _lock_options(self) -> dict[str, object]:
        return _given(lock_timeout=self.settings.lock_timeout)

    def store(self, dbfile: DBFile = None, *, write: bool = False) -> Store:
        """The store of ``dbfile`` (default: :meth:`astromon.config.Settings.default_db_file`).

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
        if "store" in self.overrides:
            return cast(StoreOpener, self.overrides["store"])(dbfile, write=write)
        path = self.db_file(dbfile)
        check = cast(Callable[..., Path], load_adapter("files.check_input"))
        check(path, "astromon database file", missing_ok=True)  # never open a FIFO
        if path.exists():
            if cast(Callable[[Path], bool], load_adapter("store.is_hdf5"))(path):
                return cast(Store, make_adapter("store.hdf5", path))
            return cast(Store, make_adapter("store.duckdb", path, **self._lock_options()))
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
        return cast(Store, make_adapter("store.duckdb", path, **self._lock_options()))

    def legacy_store(self, h5file: PathArg) -> Store:
        """A legacy HDF5 file as a read-only store (DatabaseError when it is not HDF5)."""
        return cast(Store, make_adapter("store.hdf5", h5file))

    def staged_store(self, path: str) -> Store:
        """A DuckDB store on a staging/backup file that keeps no connection open afterwards."""
        return cast(Store, make_adapter("store.duckdb", path, linger=0.0, **self._lock_options()))

    def clock(self) -> Clock:
        """The clock (time-stamps of region changes); the system clock by default."""
        if "clock" in self.overrides:
            return cast(Clock, self.overrides["clock"])
        return cast(Clock, make_adapter("clock"))

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
        if "catalogs" in self.overrides:
            return cast(CatalogService, self.overrides["catalogs"])
        if source == "vizier":
            options = _given(timeout=self.settings.vizier_timeout if timeout is None else timeout)
            return cast(
                CatalogService,
                make_adapter(
                    "catalogs.vizier",
                    server or self.settings.vizier_server,
                    retries=retries,
                    **options,
                ),
            )
        if source == "local":
            if catalog_file is None:
                raise ValidationError("catalog source 'local' needs catalog_file")
            return cast(
                CatalogService,
                make_adapter(
                    "catalogs.local",
                    catalog_file,
                    index_dir=index_dir,
                    cache_dir=self.settings.catalog_cache_dir(),
                ),
            )
        raise ValidationError(
            f"unknown catalog source {source!r}; use one of {', '.join(CATALOG_SOURCES)}"
        )

    # --- observations -------------------------------------------------------------------

    def ciao(
        self,
        prefix: PathArg | None = None,
        workdir: PathArg | None = None,
        logger: object = None,
    ) -> CiaoRunner:
        """A CIAO runner for ``prefix`` (default ``settings.ciao_prefix``, else /soft/ciao)
        with its parameter files in ``workdir``."""
        if "ciao" in self.overrides:
            return cast(CiaoRunner, self.overrides["ciao"])
        prefix = prefix if prefix is not None else self.settings.ciao_prefix
        return cast(CiaoRunner, make_adapter("ciao", prefix, workdir, logger))

    def archive(self, source: str = "arc5gl", ciao: CiaoRunner | None = None) -> ArchiveRetriever:
        """The archive of a data source: ``arc5gl``, ``archive`` (CIAO's download_chandra_obsid,
        needs ``ciao``) or ``https`` (base URL ``settings.archive_url``, default the public
        Chandra archive).

        Raises
        ------
        ValidationError
            Unknown source, or ``archive`` without a CIAO runner.
        """
        if "archive" in self.overrides:
            return cast(ArchiveRetriever, self.overrides["archive"])
        if source == "arc5gl":
            options = _given(executable=self.settings.arc5gl)
            return cast(ArchiveRetriever, make_adapter("archive.arc5gl", **options))
        if source == "archive":
            if ciao is None or not isinstance(ciao, cast(type, load_adapter("ciao"))):
                raise ValidationError("source 'archive' (download_chandra_obsid) needs CIAO")
            return cast(ArchiveRetriever, make_adapter("archive.archive", ciao))
        if source == "https":
            options = _given(base_url=self.settings.archive_url)
            return cast(ArchiveRetriever, make_adapter("archive.https", **options))
        raise ValidationError(
            f"unknown data source {source!r}; expected one of {', '.join(OBSERVATION_SOURCES)}"
        )

    def observation_info(self) -> ObservationInfo:
        """Sequence summaries from ``settings.info_urls`` (templates with ``{seq_num}`` and/or
        ``{obsid}``; default the CXC target page ``target.cgi?{seq_num}``)."""
        if "observation_info" in self.overrides:
            return cast(ObservationInfo, self.overrides["observation_info"])
        options = _given(urls=list(self.settings.info_urls) or None)
        return cast(ObservationInfo, make_adapter("observation_info", **options))

    def detector(self, ciao: CiaoRunner | None = None) -> SourceDetector:
        """The source detector: CIAO's fluximage + celldetect on ``ciao``; without CIAO, the
        event-list detector (aperture photometry on the events)."""
        if "detector" in self.overrides:
            return cast(SourceDetector, self.overrides["detector"])
        if ciao is None:
            return cast(SourceDetector, make_adapter("detector.events"))
        return cast(SourceDetector, make_adapter("detector.ciao", ciao))

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
        if source not in OBSERVATION_SOURCES:
            raise ValidationError(
                f"unknown data source {source!r}; expected one of {', '.join(OBSERVATION_SOURCES)}"
            )
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

    def communicate(
        self,
        process: object,
        logger: object = None,
        level: str = "WARNING",
        text: bool = False,
        logging_tag: str = "",
    ) -> list[str]:
        """Stream a subprocess' stdout to the log, line by line; the lines are returned."""
        stream = cast(Callable[..., list[str]], load_adapter("ciao.communicate"))
        return stream(process, logger, level, text, logging_tag)

    # --- batches and reports ------------------------------------------------------------

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
        if "executor" in self.overrides:
            return cast(Executor, self.overrides["executor"])
        if scheduler:
            return cast(Executor, make_adapter("executor.dask", scheduler))
        workers = workers if workers is not None else self.settings.workers
        if workers == 1:
            return cast(Executor, make_adapter("executor.serial"))
        return cast(Executor, make_adapter("executor.processes", workers))

    def renderer(self) -> ReportRenderer:
        """The report renderer: matplotlib PNG figures and an HTML page."""
        if "renderer" in self.overrides:
            return cast(ReportRenderer, self.overrides["renderer"])
        return cast(ReportRenderer, make_adapter("renderer"))
