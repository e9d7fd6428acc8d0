"""Hypothesis fuzzing of ``astromon`` command-line options (Typer's CliRunner), 1,000 cases each.

Every invocation ends with exit code 0, 1 (error) or 2 (usage error) — never an uncaught
exception — an error is reported as one ``error: ...`` line on stderr (Click's usage errors
too), never ``error: unexpected ...`` (a bug), and a rejected command leaves the database file
unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from astromon_adapters.storage.duckdb.store import release_connections
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from astromon.cli.app import app
from astromon.domain.schema import TABLE_NAMES
from tests.unit.fuzz_strategies import DATES, FUZZ, NUMBERS, OBSIDS, STRINGS, snapshot
from tests.unit.test_fuzz_db import CALLS, build

RUNNER = CliRunner()


@pytest.fixture(autouse=True, scope="module")
def built_once() -> Any:
    """Build the click command of the app once for the module, not once per case (Typer's
    CliRunner rebuilds it on every call: more than half the time of a case)."""
    import functools

    import typer.testing

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            typer.testing, "_get_command", functools.lru_cache(typer.testing._get_command)
        )
        yield


def text(value: Any) -> str:
    return str(value).replace("\x00", "")


ARG = st.one_of(NUMBERS.map(text), STRINGS.map(text), DATES.map(text), OBSIDS.map(text))


@pytest.fixture(scope="module")
def dbfile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("fuzzcli") / "astromon.duckdb")


def invoke(path: Path, args: list[str], *, writes: bool) -> Any:
    """Run ``astromon --db PATH ARGS`` and check the exit code, the error line and the file.

    Connections are closed after a command that may write (so its changes are in the file
    before the snapshot). A read-only command keeps its cached read-only connection for the next
    case: a read-only connection cannot change the file, and a command that wrongly wrote
    would have committed to the write-ahead log, which the snapshot includes.
    """
    before = snapshot(path)
    result = RUNNER.invoke(app, ["--db", str(path), *args])
    if writes:
        release_connections()
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (args, repr(result.exception))
    if result.exit_code != 0:  # one line, Click's usage errors too; log events aside
        err = [line for line in result.stderr.splitlines() if not line.startswith("{")]
        assert len(err) == 1 and err[0].startswith("error: "), (args, err)
        assert not err[0].startswith("error: unexpected"), (args, err)  # a bug by definition
        assert "Traceback" not in result.output
    if result.exit_code != 0 or not writes:
        assert snapshot(path) == before, (args, result.exit_code, result.stderr)
    return result


def options(names: list[str]) -> st.SearchStrategy[list[str]]:
    """A random subset of ``names`` with hostile values, flattened into argv tokens."""
    pairs = st.lists(st.tuples(st.sampled_from(names), ARG), max_size=5)
    return pairs.map(lambda items: [tok for name, value in items for tok in (name, value)])


MATCH_OPTIONS = [
    "--snr",
    "--dr",
    "--r-angle",
    "--r-angle-grating",
    "--near-neighbor-dist",
    "--start",
    "--stop",
    "--sim-z",
    "--exclude-category",
    "--where",
    "--columns",
]


@pytest.mark.slow
@FUZZ
@given(
    args=options(MATCH_OPTIONS),
    flags=st.lists(st.sampled_from(["--exclude-bad-targets", "--exclude-regions"]), max_size=2),
    name=st.one_of(st.just([]), ARG.map(lambda v: [v])),
)
def test_fuzz_cli_matches(dbfile: Path, args: list[str], flags: list[str], name: list[str]) -> None:
    CALLS["cli matches"] = CALLS.get("cli matches", 0) + 1
    invoke(dbfile, ["matches", *name, *args, *flags, "--format", "csv"], writes=False)


@pytest.mark.slow
@FUZZ
@given(
    table=st.one_of(st.sampled_from(TABLE_NAMES), ARG),
    args=options(["--obsid", "--limit"]),
)
def test_fuzz_cli_show(dbfile: Path, table: str, args: list[str]) -> None:
    CALLS["cli show"] = CALLS.get("cli show", 0) + 1
    invoke(dbfile, ["show", table, *args, "--format", "csv"], writes=False)


@pytest.mark.slow
@FUZZ
@given(args=options(["--ra", "--dec", "--radius", "--obsid", "--user", "--comments"]))
def test_fuzz_cli_regions_add(tmp_path_factory: pytest.TempPathFactory, args: list[str]) -> None:
    CALLS["cli regions add"] = CALLS.get("cli regions add", 0) + 1
    path = tmp_path_factory.getbasetemp() / "fuzzcli-regions.duckdb"
    if not path.exists():
        build(path)
    invoke(path, ["regions", "add", *args], writes=True)


@pytest.mark.slow
@FUZZ
@given(args=options(["--obsid", "--radius"]))
def test_fuzz_cli_regions_list(dbfile: Path, args: list[str]) -> None:
    CALLS["cli regions list"] = CALLS.get("cli regions list", 0) + 1
    invoke(dbfile, ["regions", "list", *args, "--format", "csv"], writes=False)


CROSS_MATCH_OPTIONS = [
    "--select-name",
    "--catalogs",
    "--snr",
    "--dr",
    "--r-angle",
    "--r-angle-grating",
    "--near-neighbor-dist",
    "--start",
    "--stop",
]


@pytest.mark.slow
@FUZZ
@given(
    name=st.one_of(st.sampled_from(["astromon_21", "astromon_22", "simple", "default"]), ARG),
    args=options(CROSS_MATCH_OPTIONS),
)
def test_fuzz_cli_cross_match_dry_run(dbfile: Path, name: str, args: list[str]) -> None:
    CALLS["cli cross-match"] = CALLS.get("cli cross-match", 0) + 1
    invoke(dbfile, ["cross-match", name, *args, "--dry-run"], writes=False)


@pytest.mark.parametrize(
    "command", [["matches"], ["cross-match", "simple", "--select-name", "x", "--dry-run"]]
)
def test_malformed_date_is_a_one_line_error(dbfile: Path, command: list[str]) -> None:
    """Found by the fuzzing (astropy's 11-line parse error was printed); fixed upstream."""
    result = RUNNER.invoke(app, ["--db", str(dbfile), *command, "--start", "yesterday"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_fuzz_cli_case_counts() -> None:
    """Runs last in this module: every command got its 1,000 cases."""
    counted = {k: v for k, v in CALLS.items() if k.startswith("cli ")}
    if len(counted) < 5:
        pytest.skip("run with the whole module to count cases")
    print(f"fuzz cases per entry point: {counted}")
    assert all(n >= 1000 for n in counted.values()), counted
