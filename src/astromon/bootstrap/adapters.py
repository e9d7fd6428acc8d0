"""The adapter table: every adapter the composition root uses, by role, as ``module:attribute``.

Adapters are imported only when an application object first needs them
(:func:`load_adapter`), so that ``import astromon`` does not import DuckDB, astroquery,
matplotlib or CIAO wrappers. This table is the one place that names adapter modules; a new
adapter is one line here and one method (or branch) in :class:`astromon.bootstrap.Astromon`.
"""

from __future__ import annotations

import importlib
from typing import Final

from astromon.domain.errors import ValidationError

__all__ = ["ADAPTERS", "load_adapter"]

ADAPTERS: Final[dict[str, str]] = {
    "store.duckdb": "astromon_adapters.duckdb_store:DuckDBStore",
    "store.hdf5": "astromon_adapters.hdf5_store:HDF5Store",
    "store.is_hdf5": "astromon_adapters.file_rules:is_hdf5_file",
    "store.copier": "astromon_adapters.duckdb_backup:DuckDBCopier",
    "store.lock_wait_notice": "astromon_adapters.duckdb_connections:set_wait_notice",
    "files.check_input": "astromon_adapters.file_rules:check_input_path",
    "process.alive": "astromon_adapters.file_lock:process_alive",
    "tables.read_directory": "astromon_adapters.table_files:read_ecsv_directory",
    "tables.write_file": "astromon_adapters.table_files:write_table_file",
    "tables.write_text": "astromon_adapters.table_files:write_text_file",
    "catalogs.vizier": "astromon_adapters.vizier:VizierCatalogService",
    "catalogs.local": "astromon_adapters.local_catalog:LocalCatalogService",
    "archive.arc5gl": "astromon_adapters.arc5gl:Arc5glRetriever",
    "archive.archive": "astromon_adapters.download_chandra_obsid:DownloadChandraObsid",
    "archive.https": "astromon_adapters.chandra_archive:ChandraArchive",
    "ciao": "astromon_adapters.ciao:Ciao",
    "ciao.communicate": "astromon_adapters.ciao:communicate",
    "detector.ciao": "astromon_adapters.celldetect:CiaoCelldetect",
    "detector.events": "astromon_adapters.detector:EventSourceDetector",
    "observation_info": "astromon_adapters.observation_info:SequenceSummaryInfo",
    "parameter_files": "astromon_adapters.par_file:ParFileReader",
    "toolchain": "astromon_adapters.toolchain_probe:LocalToolchainProbe",
    "calalign_files": "astromon_adapters.calalign_files:FitsCalalignFiles",
    "executor.serial": "astromon_adapters.executors:SerialExecutor",
    "executor.processes": "astromon_adapters.executors:ProcessPoolExecutor",
    "executor.dask": "astromon_adapters.executors:DaskExecutor",
    "renderer": "astromon_adapters.report_renderer:MatplotlibReportRenderer",
    "clock": "astromon_adapters.system_clock:SystemClock",
    "notifier": "astromon_adapters.smtp_mail:SmtpNotifier",
    "run_log": "astromon_adapters.run_log:JsonLinesRunLog",
    "run_lock": "astromon_adapters.run_lock:DailyRunLock",
    "simulation.observatory": "astromon_adapters.simulation:SimulatedObservatory",
    "simulation.archive": "astromon_adapters.simulation:SimulatedArchive",
    "simulation.info": "astromon_adapters.simulation:SimulatedObservationInfo",
    "simulation.catalog_name": "astromon_adapters.simulation.files:CATALOG_NAME",
}
"""Role -> ``module:attribute`` of the adapter (class, function or constant) filling it."""


def load_adapter(role: str) -> object:
    """The adapter of ``role`` in :data:`ADAPTERS`, imported now.

    Raises
    ------
    ValidationError
        ``role`` is not in the table (the message lists the roles).
    """
    try:
        target = ADAPTERS[role]
    except KeyError:
        raise ValidationError(
            f"no adapter for role {role!r}; known roles: {', '.join(sorted(ADAPTERS))}"
        ) from None
    module_name, _, attribute = target.partition(":")
    adapter: object = getattr(importlib.import_module(module_name), attribute)
    return adapter
