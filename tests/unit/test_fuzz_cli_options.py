"""Hypothesis fuzzing of the ``astromon`` options that once gave tracebacks or wrong exit
codes: ``--processor``, ``--start``/``--stop`` of ``process``, ``report --now`` and
``--offsets-file``, ``process`` obsids (0 is not an observation), ``db backup`` destinations
that cannot be written. Every case exits with 1 or 2 and one ``error:`` line, and leaves the
database unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.fuzz_strategies import DATES, FUZZ, OBSIDS, STRINGS
from tests.unit.test_fuzz_cli import ARG, built_once, invoke, text
from tests.unit.test_fuzz_db import build

__all__ = ["built_once"]  # the module fixture that builds the click command once

CASES = settings(FUZZ, max_examples=200)
"""200 cases each: these commands reach their checks quickly, the variety is in the values."""

PROCESSORS = st.one_of(
    st.sampled_from(
        [
            "os:system",
            "os:getcwd",
            "builtins:exit",
            "builtins:object",
            "builtins:print",
            "math:pi",
            "json:loads",
            "nowhere",
            "no.such.module:x",
            "a:b:c",
            ":x",
            "os:",
            "tests.unit.ops_fakes:fake_tables",
        ]
    ),
    ARG,
)


@pytest.fixture(scope="module")
def dbfile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("fuzzopts") / "astromon.duckdb")


def failed(result: Any, args: list[str]) -> None:
    assert result.exit_code in (1, 2), (args, result.exit_code, result.output)


@pytest.mark.slow
@CASES
@given(processor=PROCESSORS, obsid=st.integers(1, 10**6).map(str))
def test_fuzz_processor(dbfile: Path, processor: str, obsid: str) -> None:
    args = ["process", obsid, "--workers", "1", "--processor", text(processor)]
    result = invoke(dbfile, args, writes=False)
    failed(result, args)
    assert result.exit_code == 2, (args, result.stderr)


@pytest.mark.slow
@CASES
@given(obsid=st.one_of(OBSIDS.map(text), st.just("0"), st.just("0-3")))
def test_fuzz_process_obsids(dbfile: Path, obsid: str) -> None:
    args = ["process", obsid, "--workers", "1", "--processor", "nowhere:x"]
    result = invoke(dbfile, args, writes=False)
    if result.exit_code == 0:  # "-h" is the help option, not an obsid: help, nothing run
        assert obsid in ("-h", "--help"), (args, result.output)
        assert result.output.startswith("Usage: astromon process"), (args, result.output)
        return
    assert result.exit_code == 2, (args, result.output)


@pytest.mark.slow
@CASES
@given(start=DATES.map(text), stop=st.one_of(st.none(), DATES.map(text)))
def test_fuzz_process_time_range(dbfile: Path, start: str, stop: str | None) -> None:
    """Every date that is not one is refused before the archive is asked (no arc5gl here)."""
    args = ["process", "--start", start, *(["--stop", stop] if stop is not None else [])]
    result = invoke(dbfile, [*args, "--processor", "nowhere:x"], writes=False)
    failed(result, args)


@pytest.mark.slow
@CASES
@given(now=DATES.map(text))
def test_fuzz_report_now(dbfile: Path, tmp_path_factory: pytest.TempPathFactory, now: str) -> None:
    out = tmp_path_factory.getbasetemp() / "fuzz-report"
    args = ["report", "--now", now, "--name", "no_such_match", "--out", str(out)]
    result = invoke(dbfile, args, writes=False)
    failed(result, args)
    assert result.exit_code == 2, (args, result.stderr)


@pytest.mark.slow
@CASES
@given(content=st.one_of(STRINGS.map(text), st.sampled_from(["tstart,dy\n1,2\n", "a,b\n"])))
def test_fuzz_report_offsets_file(
    dbfile: Path, tmp_path_factory: pytest.TempPathFactory, content: str
) -> None:
    base = tmp_path_factory.getbasetemp()
    steps = base / "fuzz-steps.csv"
    steps.write_text(content, encoding="utf-8", errors="replace")
    args = ["report", "--offsets-file", str(steps), "--out", str(base / "r")]
    failed(invoke(dbfile, args, writes=False), args)


@pytest.mark.slow
@CASES
@given(
    destination=st.one_of(
        st.sampled_from(["/proc/astromon.duckdb", "/sys/astromon.duckdb", "/dev/null/x.duckdb"]),
        st.just("FILE/inside-a-file.duckdb"),
        st.just("MISSING/dir/x.duckdb"),
    )
)
def test_fuzz_backup_to_a_place_that_cannot_be_written(
    dbfile: Path, tmp_path_factory: pytest.TempPathFactory, destination: str
) -> None:
    base = tmp_path_factory.getbasetemp()
    (base / "FILE").write_text("a file, not a directory")
    target = destination.replace("FILE", str(base / "FILE")).replace("MISSING", str(base / "no"))
    args = ["db", "backup", target]
    result = invoke(dbfile, args, writes=False)
    assert result.exit_code == 1, (args, result.output)
