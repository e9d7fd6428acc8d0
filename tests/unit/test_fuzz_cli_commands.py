"""Hypothesis fuzzing of EVERY ``astromon`` command, read from the Typer app itself.

For each command (a command added to the app is fuzzed without editing this file), random
subsets of its options and arguments get values of the hostile classes: integers that
overflow int32 and int64, inf/nan/1e308, empty and unicode text, options given twice,
devices (``/dev/null``, ``/dev/full``, ``/dev/zero``), a FIFO, a directory, the database
itself, missing files and directories, files of garbage. Every run must

* end with exit code 0, 1, 2 (or 3, the partial failure of ``process``), never an uncaught
  exception, and never the one-line ``error: unexpected ...`` (an unexpected error is a bug);
* on failure, say so in exactly one ``error: ...`` line on stderr (Click's usage errors too);
* leave the database file byte-for-byte unchanged when it fails (but for ``daily``, which
  saves what it can after a failed step), or when it only reads;
* leave the device nodes devices and the FIFO a FIFO (and never block on it: a case that
  waits for a writer that never comes ends in pytest's timeout).

Paths given to the parameters the file adapters' output and input rules check (outputs,
imports, the databases of ``regions sync``) get only the harmless classes here: the hostile
ones are known defects of those rules, kept as strict-xfail tests in
``test_cli_file_rules.py``.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import typer
from astromon_adapters.storage.duckdb.store import release_connections
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from astromon import db
from astromon.cli.app import app
from astromon.domain.schema import TABLE_NAMES
from tests.cli_commands import command_paths
from tests.unit.fuzz_strategies import DATES, FUZZ, NUMBERS, STRINGS, snapshot
from tests.unit.test_fuzz_cli import built_once
from tests.unit.test_fuzz_db import build

__all__ = ["built_once"]  # the module fixture that builds the click command once

RUNNER = CliRunner()
CASES = settings(FUZZ, max_examples=60)
"""60 cases per command: the commands are many; each case aims one hostile value at one option."""
FEW = settings(FUZZ, max_examples=15)
"""Commands whose valid runs draw a report or run the demo (seconds each)."""

INTS = st.one_of(
    st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63, -(2**63) - 1, 10**30]),
    st.integers(-3, 40),
)
FLOATS = st.sampled_from(["inf", "-inf", "nan", "1e308", "-1e308", "1e-320", "-0", "1e400"])
DEVICES = {"NULL": (1, 3), "FULL": (1, 7), "ZERO": (1, 5)}
"""Character devices (major, minor) made in the test's directory when root may (a writer
that wrongly replaced one would replace the copy, never /dev/null), else links to them."""
HOSTILE_PATHS = ["DB", "FIFO", *DEVICES]
SAFE_PATHS = ["DIR", "GARBAGE", "MISSING", "NODIR/x.ecsv", "NEW", ""]
"""Path classes, replaced by real paths of the test (NEW: a new file in a directory)."""
OTHER_RULES = {
    "output", "plot", "path", "destination", "h5file", "directory", "from_file", "to_file",
    "calalign_dir", "current_dir", "catalog_file",
}  # fmt: skip
"""Parameters whose paths the output and input rules of the file adapters check: hostile
paths given to them are known defects (see the xfail tests), not fuzzed here."""

# options whose valid values would reach the network, start worker processes or run long
FIXED: dict[str, st.SearchStrategy[str]] = {
    "--workers": st.sampled_from(["1", "0", "-1", "2147483648", "99999999999999999999", "x", ""]),
    "--scheduler": st.sampled_from(["", "nowhere", "tcp://"]),
    "--observations": st.sampled_from(["1", "0", "-1", "2147483648", "10**9", "1e308", ""]),
    "--processor": st.sampled_from(
        ["tests.unit.ops_fakes:scripted_from_env", "nowhere:x", "os:getcwd", "a:b:c", ""]
    ),
}
BASE: dict[str, list[str]] = {
    "process": ["--workers", "1", "--processor", "tests.unit.ops_fakes:scripted_from_env"],
    "demo": ["--workers", "1", "-n", "1", "--db", "DB"],
    "report": ["--name", "no_such_match"],
    "calalign check": ["--name", "no_such_match"],
    "doctor": ["--offline"],
}
"""Arguments given first (the fuzzed ones come after and win): cheap, offline runs."""


def annotation(param: Any) -> Any:
    """The Python type of a Typer parameter (``int``, ``float``, ``Path``, an enum...)."""
    kind = param.type_descriptor.annotation
    args = [a for a in get_args(kind) if a is not type(None)]
    while args:
        kind = args[0]
        args = [a for a in get_args(kind) if a is not type(None)]
    return kind


NAMED: dict[str, st.SearchStrategy[str]] = {
    "region_id_str": st.sampled_from(["REGION", "0000000000", "zz", "REGION "]),
    "table": st.sampled_from([*TABLE_NAMES, "astromon_OBS", "sqlite_master"]),
    "name": st.sampled_from(
        ["v1", "v2", "astromon_21", "astromon_22", "simple", "default", "nope"]
    ),
    "catalogs": st.sampled_from(["Tycho2,ICRS", "ICRS,ICRS", ",", "Tycho2,nope"]),
    "where": st.sampled_from(
        [
            "obsid=1",
            "obsid=1,obsid=2",
            "category=3",
            "category=Normal Stars and WD",
            "detector=ACIS-S,ACIS-S",
            "obsid=2147483648",
            "obsid=1e308",
            "snr=nan",
            "=",
            "x",
        ]
    ),
    "exclude_category": st.sampled_from(
        ["3", "0", "99", "Unknown", "unknown", "SN, SNR, and Isolated NS"]
    ),
    "columns": st.sampled_from(["obsid,dr", "obsid,obsid", "c_loc", "x_loc,nope", ","]),
    "radius": st.sampled_from(
        ["5arcmin", '3"', "0.5'", "1e308", "inf", "nan", "-1", "5 kg", "5 foo"]
    ),
    "ra": st.sampled_from(["12:30:00", "12h30m45.5s", "359.99", "360", "1e308", "nan", "-0"]),
    "dec": st.sampled_from(["30:00:00", "-30:15:00", "-90", "90.0001", "1e308", "inf"]),
    "obsids": st.sampled_from(
        ["1", "1-3", "3-1", "0", "1,1", "2147483647", "2147483648-2147483649"]
    ),
    "region_ids": st.sampled_from(["1", "2", "1", "0", "2147483648"]),
}
VALID: dict[str, str] = {
    "name": "v1", "table": "astromon_obs", "region_id_str": "REGION", "obsid": "1",
    "obsids": "1", "region_ids": "1", "ra": "10", "dec": "5", "radius": "5", "snr": "3",
    "dr": "3", "limit": "2", "start": "2000:001", "stop": "2030:001", "fmt": "csv",
    "catalogs": "Tycho2,ICRS", "where": "obsid=1", "columns": "obsid,dr", "file": "TEXT",
    "offsets_file": "TEXT", "obsid_file": "TEXT", "select_name": "fuzzed",
}  # fmt: skip
"""A valid value for parameters the fuzzing leaves alone in a case (v1 is stored)."""
"""Values of the field for parameters that have a vocabulary (names, ranges, units); v1 and v2
are the cross-matches stored in the fuzzed database (tests.unit.test_fuzz_db.build)."""


def values(param: Any) -> st.SearchStrategy[str]:
    """Hostile text values for one parameter: its field's vocabulary and its type's classes."""
    name = (getattr(param, "opts", None) or [""])[0]
    if name in FIXED:
        return FIXED[name]
    kind = annotation(param)
    classes = SAFE_PATHS if param.name in OTHER_RULES else [*SAFE_PATHS, *HOSTILE_PATHS]
    paths = st.sampled_from(classes)
    junk = st.one_of(STRINGS.map(lambda v: v.replace("\x00", "")), st.sampled_from(["", "-"]))
    by_type: st.SearchStrategy[str]
    if kind is int:
        by_type = st.one_of(INTS.map(str), junk)
    elif kind is float:
        by_type = st.one_of(FLOATS, NUMBERS.map(str), junk)
    elif kind is Path:
        by_type = st.one_of(paths, paths, st.just("TEXT"), junk)
    else:
        members = getattr(kind, "__members__", {})
        choices = [m.value for m in members.values()]
        options = [junk, NUMBERS.map(str), DATES.map(str), paths, st.just("TEXT")]
        by_type = st.one_of(*[st.sampled_from(choices)] * bool(choices), *options)
    if param.name in NAMED:
        return st.one_of(NAMED[param.name], NAMED[param.name], by_type)
    return by_type


COLUMNS = ["ra", "dec", "radius", "obsid", "user", "comments", "tstart", "dy", "dz", "detector"]
CELLS = st.one_of(
    NUMBERS.map(str),
    STRINGS.map(lambda v: v.replace("\n", " ").replace(",", ";")),
    st.sampled_from(["5arcmin", "12:30:00", "-30:00:00", "", "nan", "1e308", "2147483648"]),
)


@st.composite
def file_content(draw: Any) -> tuple[str, str]:
    """(suffix, text) of an input file: a CSV or ECSV table of regions, offsets or obsids
    with hostile cells, duplicated and unknown columns, unknown units; or plain text."""
    kind = draw(st.sampled_from(["csv", "ecsv", "txt", "json"]))
    names = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(CELLS, min_size=len(names), max_size=len(names)), max_size=3))
    if kind == "txt":  # an obsid file
        return ".txt", "\n".join(" ".join(row) for row in rows) + "\n# comment\n"
    if kind == "json":
        return ".json", draw(st.sampled_from(["[]", "{}", "[1]", '[{"tstart": 1}]', "nan"]))
    if kind == "csv":
        return ".csv", "\n".join(",".join(line) for line in [names, *rows]) + "\n"
    units = draw(st.lists(st.sampled_from(["", "arcsec", "arcmin", "deg", "kg", "foo"]),
                          min_size=len(names), max_size=len(names)))  # fmt: skip
    header = ["# %ECSV 1.0", "# ---", "# datatype:"]
    for name, unit in zip(names, units, strict=True):
        header.append(
            f"# - {{name: {name}, {'unit: ' + unit + ', ' if unit else ''}datatype: string}}"
        )
    body = [" ".join(f'"{cell}"' for cell in row) for row in rows]
    return ".ecsv", "\n".join([*header, "# schema: astropy-2.0", " ".join(names), *body]) + "\n"


@functools.cache
def _root() -> Any:
    return typer.main.get_command(app)


@st.composite
def command_line(draw: Any, path: tuple[str, ...]) -> tuple[list[str], tuple[str, str]]:
    """``path`` with a hostile value for one of its parameters (the target) and, mostly, valid
    values for the others given (so that the command reaches the target's check), sometimes a
    hostile one more or an option given twice; and the content of the input file ``TEXT``."""
    command: Any = _root()
    for word in path:
        command = command.commands[word]
    params = [p for p in command.params if getattr(p, "name", "") != "help"]
    argv = [*path, *BASE.get(" ".join(path), [])]
    content = draw(file_content())
    if not params:
        return argv, content
    target = draw(st.sampled_from(params))
    others = draw(st.lists(st.sampled_from(params), max_size=3))
    chosen = [p for p in params if p.param_type_name == "argument" or p is target] + others
    positional: list[str] = []
    first_target = chosen.index(target)
    for index, param in enumerate(chosen):
        hostile = index == first_target or draw(st.integers(0, 4)) == 0
        if not hostile and param.name not in VALID and param.param_type_name == "option":
            continue  # nothing valid to say: left out
        value = draw(values(param)) if hostile else VALID.get(param.name, draw(values(param)))
        if param.param_type_name == "argument":
            positional.append(value)
        elif param.is_flag or param.count:
            argv.append(param.opts[0])
        else:
            argv += [param.opts[0], value]
    return [*argv, *positional], content


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The paths the classes stand for: the database, a FIFO, a directory, garbage..."""
    base = tmp_path_factory.mktemp("fuzzcommands")
    (base / "dir").mkdir()
    os.mkfifo(base / "fifo")
    (base / "garbage").write_bytes(b"\x00\xff garbage,\n1,2\n")
    devices = {}
    for name, (major, minor) in DEVICES.items():
        devices[name] = base / name.lower()
        try:
            os.mknod(devices[name], 0o666 | stat.S_IFCHR, os.makedev(major, minor))
        except PermissionError:  # not root: a link to the real device
            devices[name].symlink_to(f"/dev/{name.lower()}")
    dbfile = build(base / "astromon.duckdb")
    region = str(db.get_regions(dbfile=dbfile)["region_id_str"][0])
    release_connections()
    return {
        "DB": dbfile,
        "REGION": Path(region),
        "TEXT": base / "input",
        "FIFO": base / "fifo",
        "DIR": base / "dir",
        "GARBAGE": base / "garbage",
        "MISSING": base / "missing",
        "NODIR": base / "no" / "such",
        "NEW": base / "dir" / "new",
        **devices,
    }


@pytest.fixture(scope="module", autouse=True)
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every service the commands could reach is a closed port on 127.0.0.1; no CALDB; the
    working directory is a temporary one (relative paths land there)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("cwd"))
        for name in ("ASTROMON_ARCHIVE_URL", "ASTROMON_INFO_URLS"):
            patch.setenv(name, "http://127.0.0.1:9/")
        patch.setenv("ASTROMON_VIZIER_SERVER", "127.0.0.1:9")
        patch.setenv("ASTROMON_CALALIGN_DIR", str(tmp_path_factory.mktemp("no-calalign")))
        patch.setenv("ASTROMON_LOCK_TIMEOUT", "2")
        patch.setenv("MPLBACKEND", "Agg")
        patch.delenv("CALDB", raising=False)
        patch.delenv("ASTROMON_FILE", raising=False)
        yield


def run(argv: list[str], places: dict[str, Path], *, writes: bool) -> Any:
    """``astromon --db DB ARGV`` through Typer's CliRunner.

    A command that may write closes its connections afterwards (so that its changes are in
    the file for the snapshot); a read-only one keeps them for the next case.
    """
    real = [_place(a, places) for a in argv]
    try:
        return RUNNER.invoke(app, ["--db", str(places["DB"]), *real])
    finally:
        if writes:
            release_connections()


def _place(token: str, places: dict[str, Path]) -> str:
    if token == "REGION" or token.startswith("REGION "):
        return token.replace("REGION", places["REGION"].name)
    head, sep, tail = token.partition("/")
    if head in places:
        return str(places[head] / tail) if sep else str(places[head])
    return token


READ_ONLY = {("tables",), ("show",), ("matches",), ("regions", "list"), ("db", "check"),
             ("db", "export"), ("report",), ("doctor",), ("calalign",), ("calalign", "list"),
             ("calalign", "offsets"), ("calalign", "check"), ("calalign", "write")}  # fmt: skip
"""Commands that never write the database."""
REFRESHING = {("daily",)}
"""Commands that go on after a failed step and save what they can (the daily run refreshes the
cross-matches after a failed search): their exit code 1 may follow writes."""


def check(
    path: tuple[str, ...], argv: list[str], content: tuple[str, str], places: dict[str, Path]
) -> None:
    db = places["DB"]
    suffix, text = content
    places["TEXT"] = places["TEXT"].with_suffix(suffix)
    places["TEXT"].write_text(text, encoding="utf-8", errors="surrogatepass")
    before = snapshot(db)
    writes = path not in READ_ONLY
    result = run(argv, places, writes=writes)
    assert result.exit_code in (0, 1, 2, 3), (argv, result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        argv,
        repr(result.exception),
    )
    err = [line for line in result.stderr.splitlines() if not line.startswith("{")]  # no logs
    if result.exit_code not in (0, 3) and argv != list(path):
        assert len(err) == 1 and err[0].startswith("error: "), (argv, result.stderr)
    assert "error: unexpected" not in result.stderr, (argv, result.stderr)
    assert "Traceback" not in result.output, (argv, result.output)
    if (result.exit_code != 0 and path not in REFRESHING) or not writes:
        assert snapshot(db) == before, (argv, result.exit_code, result.stderr)
    for name in DEVICES:
        assert stat.S_ISCHR(os.stat(places[name]).st_mode), (argv, name)
    assert stat.S_ISFIFO(os.stat(places["FIFO"]).st_mode), argv
    leftover = places["NEW"]
    if leftover.is_dir():
        shutil.rmtree(leftover)
    elif leftover.exists():
        leftover.unlink()


FUZZED = [tuple(p) for p in command_paths()]
HEAVY = {("report",), ("demo",), ("calalign", "check")}


@pytest.mark.slow
@pytest.mark.parametrize("path", FUZZED, ids=" ".join)
def test_fuzz_every_command(path: tuple[str, ...], places: dict[str, Path]) -> None:
    @(FEW if path in HEAVY else CASES)
    @given(drawn=command_line(path))
    def case(drawn: tuple[list[str], tuple[str, str]]) -> None:
        argv, content = drawn
        check(path, argv, content, places)

    case()
