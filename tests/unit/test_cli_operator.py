"""What an operator relies on: global options anywhere, precise one-line errors, clear help,
visible state, time ranges of ``process`` (Typer's CliRunner, in-memory store)."""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from astromon_adapters.executors import SerialExecutor
from astropy.table import Table
from typer.testing import CliRunner

from astromon import bootstrap
from astromon.cli.app import app, hoist_global_options
from astromon.domain.time import CxoTime
from tests.cli_commands import command_paths
from tests.unit.fake_store import InMemoryStore
from tests.unit.ops_fakes import fake_tables

runner = CliRunner()
FAKE = ["--workers", "1", "--processor", "tests.unit.ops_fakes:scripted_from_env"]


def install(request: pytest.FixtureRequest, **ports: Any) -> None:
    """Use an application with these port overrides (added to those installed) in the test."""
    merged = {**bootstrap.current().overrides, **ports}
    block = bootstrap.using(bootstrap.bootstrap(**merged))
    block.__enter__()
    request.addfinalizer(lambda: block.__exit__(None, None, None))


@pytest.fixture
def store(request: pytest.FixtureRequest) -> InMemoryStore:
    """An in-memory store (two observations) used by every command of the test."""
    tables: dict[str, Table] = {}
    for obsid in (4, 5):
        for name, table in fake_tables(obsid).items():
            tables[name] = table if name not in tables else _stack(tables[name], table)
    memory = InMemoryStore(tables)
    install(request, store=lambda dbfile=None, *, write=False: memory, executor=SerialExecutor())
    return memory


def _stack(a: Table, b: Table) -> Table:
    from astropy.table import vstack

    return vstack([a, b])


class FakeArchive:
    """The ``find_obsids`` of an archive retriever (arc5gl's ``browse`` of obsids between two
    dates): records the dates asked and answers with fixed obsids."""

    def __init__(self, obsids: list[int]) -> None:
        self.obsids = obsids
        self.asked: list[tuple[str, str]] = []

    def find_obsids(self, start: str, stop: str) -> list[int]:
        self.asked.append((start, stop))
        return list(self.obsids)


@pytest.fixture
def archive(request: pytest.FixtureRequest) -> FakeArchive:
    fake = FakeArchive([21, 22])
    install(request, archive=fake)
    return fake


def one_line_error(result: Any, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output


# -- global options --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["matches", "--db", "F"], ["--db", "F", "matches"]),
        (["matches", "--db=F", "-vv"], ["--db=F", "-vv", "matches"]),
        (["regions", "list", "--log-format", "json"], ["--log-format", "json", "regions", "list"]),
        (["--db", "F", "tables"], ["--db", "F", "tables"]),
        (["demo", "--db", "F", "-v"], ["-v", "demo", "--db", "F"]),  # demo's own --db stays
        (["regions", "add", "--user", "-v"], ["regions", "add", "--user", "-v"]),  # a value
        (["show", "x", "--", "--db"], ["show", "x", "--", "--db"]),
    ],
)
def test_global_options_are_moved_in_front_of_the_command(
    args: list[str], expected: list[str]
) -> None:
    import typer

    assert hoist_global_options(typer.main.get_command(app), args) == expected


@pytest.mark.parametrize(
    "args",
    [["-v", "2", "tables"], ["-vv", "3"], ["--db", "F", "--verbose", "2"], ["--log-format",
     "json", "-v", "10", "matches"]],
)  # fmt: skip
def test_a_number_after_v_is_a_usage_error_that_says_v_is_counted(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    flag, value = next((a, b) for a, b in itertools.pairwise(args) if b.isdigit())
    assert f"{flag} takes no value (got '{value}'): repeat it instead" in result.stderr
    assert "no such command" not in result.stderr.lower()


def test_a_number_after_v_and_the_command_is_the_command_argument(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """``process -v 14538``: verbose, and 14538 is the obsid; ``--db 2``: 2 is the file."""
    seen: list[Any] = []

    def open_store(dbfile: Any = None, *, write: bool = False) -> InMemoryStore:
        seen.append(dbfile)
        return InMemoryStore()

    install(request, store=open_store)
    result = runner.invoke(app, ["process", "-v", "14538", "--processor", "nowhere:x"])
    assert result.exit_code == 2
    assert "takes no value" not in result.stderr and "nowhere" in result.stderr
    result = runner.invoke(app, ["--db", "2", "-v", "tables"])
    assert result.exit_code == 0, result.output
    assert seen == [Path("2")]


def test_db_after_the_command_is_used(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    seen: list[Any] = []

    def open_store(dbfile: Any = None, *, write: bool = False) -> InMemoryStore:
        seen.append(dbfile)
        return InMemoryStore()

    install(request, store=open_store)
    result = runner.invoke(app, ["tables", "--db", str(tmp_path / "x.duckdb"), "-v"])
    assert result.exit_code == 0, result.output
    assert seen == [tmp_path / "x.duckdb"]


# -- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], *command_paths()], ids=lambda c: " ".join(c) or "top")
def test_help_shows_flags_as_flags_and_cites_nothing_outside(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "<bool>" not in text and "SPEC" not in text
    if command:
        assert "may also be given after the command" in text
    else:
        assert "-v, --verbose" in text and "<int>" not in text.split("--verbose")[1][:10]


def test_third_party_debug_logs_only_at_vvv(store: InMemoryStore) -> None:
    for flags, level in (([], logging.WARNING), (["-vv"], logging.WARNING), (["-vvv"], 0)):
        assert runner.invoke(app, [*flags, "tables"]).exit_code == 0
        assert logging.getLogger("h5py").level == level
        assert logging.getLogger("matplotlib").level == level


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["matches", "--start", "2020-13-45"], ["--start '2020-13-45' is not a date"]),
        (["matches", "--stop", "inf"], ["--stop 'inf'"]),
        (["report", "--now", "yesterday"], ["--now 'yesterday' is not a date"]),
        (["matches", "NONAME"], ["NAME 'NONAME' is not a stored cross-match", "astromon_21"]),
        (["report", "--name", "NONAME"], ["--name 'NONAME'", "stored: astromon_21"]),
        (["cross-match", "astromon_21", "--snr", "3"], ["standard cross-match", "--snr"]),
        (["cross-match", "astromon_22", "--select-name", "x"], ["--select-name"]),
        (["matches", "--columns", "obsid,nope"], ["--columns: unknown columns ['nope']"]),
        (["matches", "--where", "category=Nope"], ["category='Nope'", "categories"]),
        (["matches", "--where", "noval"], ["--where 'noval' is not COLUMN=VALUE"]),
        (["regions", "add", "--ra", "12:xx", "--dec", "1"], ["--ra '12:xx' is not an angle"]),
        (["regions", "add", "--ra", "1", "--dec", "1", "--radius", "5kg"], ["--radius"]),
        (["regions", "list", "--radius", "-1"], ["--radius must be >= 0"]),
        (["process", "0"], ["obsid '0'"]),
        (["process", "²"], ["'²' is not an obsid"]),  # a digit to str.isdigit, not to int
        (["process", " , "], ["holds no obsid"]),
        (["process", "1", "--processor", "os:system", "--workers", "1"], ["os:system"]),
    ],
)
def test_bad_values_are_one_line_usage_errors(
    store: InMemoryStore, args: list[str], needles: list[str]
) -> None:
    one_line_error(runner.invoke(app, args), 2, *needles)


def test_unexpected_and_system_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch, store: InMemoryStore
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", "/ro/backup.duckdb")

    monkeypatch.setattr(bootstrap.Astromon, "backup_database", broken)
    one_line_error(
        runner.invoke(app, ["db", "backup", "/ro/backup.duckdb"]),
        1,
        "'/ro/backup.duckdb': Permission denied",
    )

    def bug(*args: Any, **kwargs: Any) -> Any:
        raise TypeError("unsupported operand")

    monkeypatch.setattr(bootstrap.Astromon, "check_database", bug)
    one_line_error(runner.invoke(app, ["db", "check"]), 1, "unexpected TypeError")

    def interrupted_query(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(bootstrap.Astromon, "check_database", interrupted_query)
    result = runner.invoke(app, ["db", "check"])
    assert result.exit_code == 130 and result.stderr.strip() == "error: interrupted"


# -- selections ------------------------------------------------------------------------------


def test_repeated_where_on_one_column_means_any_of(store: InMemoryStore) -> None:
    both = runner.invoke(
        app, ["matches", "--where", "obsid=4", "--where", "obsid=5", "--format", "json"]
    )
    assert both.exit_code == 0, both.output
    assert sorted({r["obsid"] for r in json.loads(both.stdout)}) == [4, 5]
    one = runner.invoke(app, ["matches", "--where", "obsid=5", "--format", "json"])
    assert {r["obsid"] for r in json.loads(one.stdout)} == {5}


def test_where_category_and_sky_position_columns(store: InMemoryStore) -> None:
    result = runner.invoke(
        app,
        [
            "matches",
            "--where",
            "category=normal stars and wd",
            "--columns",
            "obsid,c_loc",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "obsid,c_loc_ra,c_loc_dec" and len(lines) == 3
    names = "category=SN, SNR, and Isolated NS"  # a name holding commas
    none = runner.invoke(app, ["matches", "--where", names, "--format", "json"])
    assert none.exit_code == 0, none.output
    assert json.loads(none.stdout) == []
    by_id = runner.invoke(app, ["matches", "--where", "category=110,10", "--format", "json"])
    assert len(json.loads(by_id.stdout)) == 2


def test_tables_lists_the_stored_cross_matches(store: InMemoryStore) -> None:
    result = runner.invoke(app, ["tables"])
    assert result.exit_code == 0, result.output
    assert "cross-matches in astromon_xcorr: 1" in result.stdout
    assert "astromon_21" in result.stdout.split("cross-matches")[1]


# -- process: time ranges --------------------------------------------------------------------


def test_process_without_obsids_takes_the_last_30_days(
    store: InMemoryStore, archive: FakeArchive
) -> None:
    result = runner.invoke(app, ["process", *FAKE])
    assert result.exit_code == 0, result.output
    assert "2 obsids: 2 saved" in result.stdout
    ((start, stop),) = archive.asked
    days = (float(CxoTime(stop).secs) - float(CxoTime(start).secs)) / 86400
    assert days == pytest.approx(30.0, abs=1e-6)
    assert abs(float(CxoTime(stop).secs) - float(CxoTime.now().secs)) < 600


def test_process_start_alone_runs_to_now(store: InMemoryStore, archive: FakeArchive) -> None:
    result = runner.invoke(app, ["process", "--start", "2020:001", *FAKE])
    assert result.exit_code == 0, result.output
    ((start, stop),) = archive.asked
    assert start.startswith("2020:001")
    assert abs(float(CxoTime(stop).secs) - float(CxoTime.now().secs)) < 600
    archive.obsids = []
    empty = runner.invoke(app, ["process", "--start", "2020:001", "--stop", "2020:002", *FAKE])
    one_line_error(empty, 2, "no observations started between 2020:001")
