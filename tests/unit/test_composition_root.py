"""The configuration (Settings) and the composition root (bootstrap, overrides, current)."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.table import Table
from hypothesis import given, settings
from typer.testing import CliRunner

from astromon import cross_match, db
from astromon.bootstrap import PORTS, Astromon, bootstrap, current, using
from astromon.cli.app import app
from astromon.config import Settings
from astromon.domain.errors import DatabaseError, ValidationError
from astromon.domain.schema import empty_table
from tests.unit.fake_store import InMemoryStore
from tests.unit.xmatch_support import cross_match_inputs


class FixedClock:
    """A clock that always gives the same Chandra date (the Clock port)."""

    def now_date(self) -> str:
        return "2024:001:00:00:00.000"


class Opener:
    """A ``store`` override handing out one in-memory store; records the requests."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.calls: list[tuple[Any, bool]] = []

    def __call__(self, dbfile: Any = None, *, write: bool = False) -> InMemoryStore:
        self.calls.append((dbfile, write))
        return self.store


def test_settings_read_every_variable_of_the_given_environment(tmp_path: Path) -> None:
    env = {
        "ASTROMON_FILE": str(tmp_path / "a.duckdb"),
        "SKA": "/ska",
        "XDG_DATA_HOME": "/data",
        "XDG_CACHE_HOME": "/cache",
        "ASTROMON_LOCK_TIMEOUT": "2.5",
        "ASTROMON_VIZIER_SERVER": "vizier.example.org",
        "ASTROMON_VIZIER_TIMEOUT": "7",
        "ASTROMON_ARCHIVE_URL": "http://127.0.0.1:9/cdaftp",
        "ASTROMON_INFO_URLS": "http://a/{obsid} http://b/{obsid}",
        "ASTROMON_CIAO_PREFIX": "/opt/ciao",
        "ASTROMON_ARC5GL": "/usr/local/bin/arc5gl",
        "ASTROMON_WORKERS": "3",
        "ASTROMON_CALALIGN_DIR": "/caldb/align",
        "CALDB": "/caldb",
        "ASTROMON_LOG_FORMAT": "json",
        "ASTROMON_LOG_LEVEL": "20",
    }
    s = Settings.from_env(env)
    assert s.db_file == tmp_path / "a.duckdb" and s.default_db_file() == tmp_path / "a.duckdb"
    assert (s.ska, s.data_home, s.cache_home) == (Path("/ska"), Path("/data"), Path("/cache"))
    assert (s.lock_timeout, s.vizier_timeout, s.workers, s.log_level) == (2.5, 7.0, 3, 20)
    assert s.vizier_server == "vizier.example.org"
    assert s.archive_url == "http://127.0.0.1:9/cdaftp"
    assert s.info_urls == ("http://a/{obsid}", "http://b/{obsid}")
    assert (s.ciao_prefix, s.arc5gl, s.log_format) == ("/opt/ciao", "/usr/local/bin/arc5gl", "json")
    assert s.default_calalign_dir() == Path("/caldb/align")
    assert s.catalog_cache_dir() == Path("/cache/astromon/catalog-index")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.workers = 4  # type: ignore[misc]


def test_settings_defaults_and_the_database_file_rule() -> None:
    empty = Settings.from_env({})
    assert empty == Settings()
    assert empty.default_db_file() == Path.home() / ".local/share/astromon/astromon.duckdb"
    ska = Settings.from_env({"SKA": "/ska", "XDG_DATA_HOME": "/d"})
    assert ska.default_db_file() == Path("/ska/data/astromon/astromon.duckdb")
    assert Settings.from_env({"XDG_DATA_HOME": "/d"}).default_db_file() == Path(
        "/d/astromon/astromon.duckdb"
    )
    assert ska.resolve_db_file("x.duckdb") == Path("x.duckdb")
    caldb = Settings.from_env({"CALDB": "/c"})
    assert caldb.default_calalign_dir() == Path("/c/data/chandra/pcad/align")
    with pytest.raises(ValidationError, match="CALDB"):
        empty.default_calalign_dir()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ASTROMON_LOCK_TIMEOUT", "soon", "ASTROMON_LOCK_TIMEOUT must be a number of seconds"),
        ("ASTROMON_VIZIER_TIMEOUT", "x", r"ASTROMON_VIZIER_TIMEOUT .*'x'"),
        ("ASTROMON_WORKERS", "two", "ASTROMON_WORKERS='two' is not an integer"),
        ("ASTROMON_WORKERS", "0", "ASTROMON_WORKERS='0' must be from 1 to 1024"),
    ],
)
def test_bad_settings_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings.from_env({name: value})


def test_settings_are_read_when_called(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASTROMON_FILE", str(tmp_path / "first.duckdb"))
    assert bootstrap().db_file() == tmp_path / "first.duckdb"
    monkeypatch.setenv("ASTROMON_FILE", str(tmp_path / "second.duckdb"))
    assert current().db_file() == tmp_path / "second.duckdb"


def test_overrides_replace_the_ports() -> None:
    store, clock = InMemoryStore(), FixedClock()
    opener = Opener(store)
    astromon = bootstrap(Settings(), store=opener, clock=clock)
    assert isinstance(astromon, Astromon)
    assert astromon.store("x.duckdb", write=True) is store
    assert opener.calls == [("x.duckdb", True)]
    assert astromon.clock() is clock
    assert set(PORTS) == {
        "store", "catalogs", "archive", "ciao", "detector", "observation_info", "executor",
        "renderer", "clock", "parameter_files", "observation_files", "toolchain",
        "calalign_files", "notifier", "input_files", "run_log", "run_lock",
    }  # fmt: skip
    with pytest.raises(ValidationError, match=r"unknown override\(s\) \['stores'\]"):
        bootstrap(stores=opener)  # type: ignore[call-arg]


def test_store_errors_come_before_any_adapter(tmp_path: Path) -> None:
    astromon = bootstrap(Settings(db_file=tmp_path / "absent.duckdb"))
    with pytest.raises(DatabaseError, match=r"absent\.duckdb does not exist"):
        astromon.store()
    with pytest.raises(DatabaseError, match="is a directory"):
        astromon.store(tmp_path)
    with pytest.raises(DatabaseError, match="writes DuckDB files, not HDF5"):
        astromon.store(tmp_path / "new.h5", write=True)
    with pytest.raises(DatabaseError, match="does not exist"):
        astromon.store(tmp_path / "no" / "dir.duckdb", write=True)


def test_unknown_sources_are_named() -> None:
    astromon = bootstrap(Settings())
    with pytest.raises(ValidationError, match="unknown catalog source 'ftp'"):
        astromon.catalogs("ftp")
    with pytest.raises(ValidationError, match="needs catalog_file"):
        astromon.catalogs("local")
    with pytest.raises(ValidationError, match="unknown data source 'tape'"):
        astromon.archive("tape")


PORT_METHODS = {"toolchain": "toolchain_probe"}
"""Port roles whose method has another name than the role."""
PATH_FACTORIES = ("run_log", "run_lock")
"""Port roles whose override is a factory called with a path (the method's argument)."""


def test_every_port_method_returns_the_override_of_its_role() -> None:
    fakes: dict[str, Any] = {
        role: object() for role in PORTS if role != "store" and role not in PATH_FACTORIES
    }
    built: dict[str, list[Path]] = {role: [] for role in PATH_FACTORIES}
    made = {role: object() for role in PATH_FACTORIES}
    factories = {
        role: (lambda path, role=role: built[role].append(path) or made[role])
        for role in PATH_FACTORIES
    }
    astromon = bootstrap(Settings(), **fakes, **factories)
    for role, fake in fakes.items():
        method = getattr(astromon, PORT_METHODS.get(role, role))
        assert method() is fake, role
    for role in PATH_FACTORIES:
        assert getattr(astromon, role)("some/where") is made[role], role
        assert built[role] == [Path("some/where")], role
    assert astromon.catalogs("local") is fakes["catalogs"]  # the source needs no adapter then
    assert astromon.archive("https") is fakes["archive"]


def test_a_store_given_as_the_database_is_used_as_it_is() -> None:
    store = InMemoryStore()
    opener = Opener(InMemoryStore())
    assert bootstrap(Settings(), store=opener).store(store, write=True) is store
    assert bootstrap(Settings()).store(store) is store
    assert opener.calls == []


def test_facades_use_the_installed_application(tmp_path: Path) -> None:
    store = InMemoryStore({"astromon_obs": empty_table("astromon_obs")})
    opener = Opener(store)
    with using(bootstrap(store=opener)):
        table = db.get_table("astromon_obs", tmp_path / "a.duckdb")
    assert len(table) == 0 and "obsid" in table.colnames
    assert opener.calls == [(tmp_path / "a.duckdb", False)]


def test_the_cli_uses_the_application_on_the_context() -> None:
    opener = Opener(InMemoryStore({"astromon_obs": empty_table("astromon_obs")}))
    result = CliRunner().invoke(app, ["--db", "x.duckdb", "tables"], obj=bootstrap(store=opener))
    assert result.exit_code == 0, result.output
    assert "astromon_obs" in result.stdout
    assert opener.calls == [(Path("x.duckdb"), False)]


def test_a_bad_environment_is_a_usage_error_of_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASTROMON_WORKERS", "many")
    result = CliRunner().invoke(app, ["tables"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: ASTROMON_WORKERS='many' is not an integer"


@settings(max_examples=25, deadline=None)
@given(tables=cross_match_inputs())
def test_simple_cross_match_and_compute_cross_matches_validate_alike(
    tables: tuple[Table, Table, Table],
) -> None:
    obs, xray, cat = tables
    direct = cross_match.simple_cross_match(obs, xray, cat, name="simple", catalogs="ICRS")
    computed = cross_match.compute_cross_matches(
        "simple", obs, xray, cat, catalogs="ICRS", select_name="simple"
    )
    for column in ("obsid", "x_id", "c_id", "dr", "select_name"):
        assert np.array_equal(np.asarray(direct[column]), np.asarray(computed[column])), column
    for bad in ({"catalogs": []}, {"catalogs": ["Nope"]}, {"snr": -1}, {"dr": float("nan")}):
        with pytest.raises(ValidationError) as from_simple:
            cross_match.simple_cross_match(obs, xray, cat, **bad)
        with pytest.raises(ValidationError) as from_compute:
            cross_match.compute_cross_matches("simple", obs, xray, cat, **bad)
        assert str(from_simple.value) == str(from_compute.value)


def test_the_batch_work_travels_to_worker_processes_with_its_settings(tmp_path: Path) -> None:
    astromon = bootstrap(Settings(workers=2, archive_url="http://127.0.0.1:9/cdaftp"))
    processor = astromon.observation_processor(source="https", workdir=str(tmp_path))
    copy: Any = pickle.loads(pickle.dumps(processor))
    assert copy.observation_factory.app.settings == astromon.settings
    assert copy.catalogs == ("Tycho2", "ICRS", "USNO-B1.0", "2MASS", "SDSS")
    outcome = astromon.observation_processor(source="tape").process(1)
    assert outcome.status.value == "ERROR"
    assert "unknown data source 'tape'" in outcome.message
