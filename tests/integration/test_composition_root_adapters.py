"""The composition root with the real adapters: every port method builds its adapter, settings
reach the adapters."""

from __future__ import annotations

from pathlib import Path

import pytest
from astromon_adapters.catalogs.local.service import LocalCatalogService
from astromon_adapters.catalogs.vizier import VizierCatalogService
from astromon_adapters.chandra.archives.https import ChandraArchive
from astromon_adapters.chandra.observation_info import SequenceSummaryInfo
from astromon_adapters.executors import ProcessPoolExecutor, SerialExecutor
from astromon_adapters.storage.duckdb.store import DuckDBStore

from astromon.bootstrap import bootstrap
from astromon.config import Settings
from astromon.domain.errors import ValidationError
from astromon.ports.calalign import CalalignFiles
from astromon.ports.catalog import CatalogService
from astromon.ports.clock import Clock
from astromon.ports.executor import Executor
from astromon.ports.input_files import InputFiles
from astromon.ports.notifier import Notifier
from astromon.ports.observation import (
    ArchiveRetriever,
    CiaoRunner,
    ObservationInfo,
    ParameterFiles,
    SourceDetector,
    ToolchainProbe,
)
from astromon.ports.report import ReportRenderer
from astromon.ports.store import Store
from tests.integration import fake_ciao


def test_every_port_method_builds_an_adapter_of_its_port(tmp_path: Path) -> None:
    astromon = bootstrap(
        Settings(db_file=tmp_path / "a.duckdb", smtp="127.0.0.1:25", mail_from="a@b.org")
    )
    catalog = tmp_path / "stars.ecsv"
    catalog.write_text("")
    _, prefix, _ = fake_ciao.install(tmp_path / "fake", {})
    ciao = astromon.ciao(prefix, tmp_path / "work")
    built: dict[str, tuple[object, type]] = {
        "store": (astromon.store(write=True), Store),
        "vizier": (astromon.catalogs("vizier"), CatalogService),
        "local": (astromon.catalogs("local", catalog_file=catalog), CatalogService),
        "ciao": (ciao, CiaoRunner),
        "arc5gl": (astromon.archive("arc5gl"), ArchiveRetriever),
        "download_chandra_obsid": (astromon.archive("archive", ciao), ArchiveRetriever),
        "https": (astromon.archive("https"), ArchiveRetriever),
        "observation_info": (astromon.observation_info(), ObservationInfo),
        "celldetect": (astromon.detector(ciao), SourceDetector),
        "events": (astromon.detector(), SourceDetector),
        "parameter_files": (astromon.parameter_files(), ParameterFiles),
        "toolchain": (astromon.toolchain_probe(), ToolchainProbe),
        "calalign_files": (astromon.calalign_files(), CalalignFiles),
        "serial": (astromon.executor(workers=1), Executor),
        "renderer": (astromon.renderer(), ReportRenderer),
        "clock": (astromon.clock(), Clock),
        "notifier": (astromon.notifier(), Notifier),
        "input_files": (astromon.input_files(), InputFiles),
    }
    for name, (adapter, port) in built.items():
        assert isinstance(adapter, port), name
        assert type(adapter).__module__.startswith("astromon_adapters."), name
    assert astromon.ciao_class() is type(ciao)


def test_archive_without_ciao_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs CIAO"):
        bootstrap(Settings()).archive("archive")


def test_settings_reach_the_adapters(tmp_path: Path) -> None:
    settings = Settings(
        db_file=tmp_path / "a.duckdb",
        cache_home=tmp_path / "cache",
        lock_timeout=1.5,
        vizier_server="127.0.0.1:8080",
        vizier_timeout=4.0,
        archive_url="http://127.0.0.1:9/cdaftp",
        info_urls=("http://127.0.0.1:9/{obsid}",),
        workers=2,
    )
    astromon = bootstrap(settings)
    store = astromon.store(write=True)
    assert isinstance(store, DuckDBStore) and store.location.endswith("a.duckdb")
    vizier = astromon.catalogs()
    assert isinstance(vizier, VizierCatalogService)
    assert vizier.url == "https://127.0.0.1:8080" and vizier.timeout == 4.0
    assert astromon.catalogs(server="vizier.example.org", timeout=2).timeout == 2.0
    archive = astromon.archive("https")
    assert isinstance(archive, ChandraArchive) and archive.base_url == "http://127.0.0.1:9/cdaftp"
    info = astromon.observation_info()
    assert isinstance(info, SequenceSummaryInfo) and info.urls == ("http://127.0.0.1:9/{obsid}",)
    assert isinstance(astromon.executor(workers=1), SerialExecutor)
    pool = astromon.executor()
    try:
        assert isinstance(pool, ProcessPoolExecutor) and pool.workers == 2
    finally:
        pool.close()


def test_local_catalog_indexes_go_to_the_configured_cache(tmp_path: Path) -> None:
    catalog = tmp_path / "stars.parquet"
    catalog.write_bytes(b"")
    service = bootstrap(Settings(cache_home=tmp_path / "cache")).catalogs(
        "local", catalog_file=catalog
    )
    assert isinstance(service, LocalCatalogService)
    assert service.cache_dir == tmp_path / "cache" / "astromon" / "catalog-index"


def test_the_daily_run_ports_are_the_file_adapters(tmp_path: Path) -> None:
    from astromon_adapters.operations.run_lock import DailyRunLock
    from astromon_adapters.operations.run_log import JsonLinesRunLog

    from astromon.ports.run_lock import RunLock
    from astromon.ports.run_log import RunLog

    astromon = bootstrap(Settings())
    log = astromon.run_log(tmp_path / "logs")
    assert isinstance(log, JsonLinesRunLog) and isinstance(log, RunLog)
    assert log.path == tmp_path / "logs" / "daily.jsonl"
    lock = astromon.run_lock(tmp_path / "a.duckdb")
    assert isinstance(lock, DailyRunLock) and isinstance(lock, RunLock)
    assert lock.path == tmp_path / "a.duckdb.daily.lock"
