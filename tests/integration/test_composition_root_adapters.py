"""The composition root with the real adapters: the table loads, settings reach the adapters."""

from __future__ import annotations

from pathlib import Path

import pytest
from astromon_adapters.chandra_archive import ChandraArchive
from astromon_adapters.duckdb_store import DuckDBStore
from astromon_adapters.executors import ProcessPoolExecutor, SerialExecutor
from astromon_adapters.local_catalog import LocalCatalogService
from astromon_adapters.observation_info import SequenceSummaryInfo
from astromon_adapters.vizier import VizierCatalogService

from astromon.bootstrap import ADAPTERS, bootstrap, load_adapter
from astromon.config import Settings
from astromon.domain.errors import ValidationError


@pytest.mark.parametrize("role", sorted(ADAPTERS))
def test_every_adapter_of_the_table_loads(role: str) -> None:
    module, _, attribute = ADAPTERS[role].partition(":")
    assert getattr(load_adapter(role), "__name__", attribute) in (attribute, module)


def test_an_unknown_role_is_named() -> None:
    with pytest.raises(ValidationError, match="no adapter for role 'tape'"):
        load_adapter("tape")


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
    from astromon_adapters.run_lock import DailyRunLock
    from astromon_adapters.run_log import JsonLinesRunLog

    from astromon.ports.run_lock import RunLock
    from astromon.ports.run_log import RunLog

    astromon = bootstrap(Settings())
    log = astromon.run_log(tmp_path / "logs")
    assert isinstance(log, JsonLinesRunLog) and isinstance(log, RunLog)
    assert log.path == tmp_path / "logs" / "daily.jsonl"
    lock = astromon.run_lock(tmp_path / "a.duckdb")
    assert isinstance(lock, DailyRunLock) and isinstance(lock, RunLock)
    assert lock.path == tmp_path / "a.duckdb.daily.lock"
