"""Hypothesis fuzzing of the legacy console scripts, read from their argparse parsers.

Every script (``astromon-cross-match``, ``astromon-process-obs``, ``astromon-web-pages``,
``astromon-calc-rms`` and each action of ``astromon-excluded-region``) gets random subsets of
its options with values of the hostile classes: integers that overflow, inf/nan/1e308,
empty and unicode text, sexagesimal and unit-carrying angles, options given twice, missing
and garbage files, a FIFO and devices for the files the scripts read themselves. Every run
ends with exit code 0, 1, 2 or 3 (``SystemExit`` from the entry point, which exits like the
installed script), never another exception, never ``error: unexpected``, and says why it
failed in at most one error line.
"""

from __future__ import annotations

import argparse
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astromon.cli.legacy import processing_scripts, region_script, report_scripts
from astromon.services import interrupts
from tests.unit.fuzz_strategies import FUZZ, NUMBERS, STRINGS
from tests.unit.test_fuzz_cli import built_once
from tests.unit.test_fuzz_db import build

__all__ = ["built_once"]  # the module fixture that builds the click command once

CASES = settings(FUZZ, max_examples=60)
SCRIPTS: dict[str, tuple[Callable[..., None], Callable[[], argparse.ArgumentParser], list[str]]] = {
    "astromon-cross-match": (
        processing_scripts.cross_match_main, processing_scripts.cross_match_parser, []
    ),
    "astromon-process-obs": (
        processing_scripts.process_obs_main, processing_scripts.process_obs_parser, ["1"]
    ),
    "astromon-web-pages": (report_scripts.web_pages_main, report_scripts.web_pages_parser, []),
    "astromon-calc-rms": (report_scripts.calc_rms_main, report_scripts.calc_rms_parser, []),
    **{
        f"astromon-excluded-region {action}": (
            region_script.excluded_region_main,
            lambda action=action: region_script.excluded_region_parser(action),
            [action],
        )
        for action in region_script.ACTIONS
    },
}  # fmt: skip
"""Entry point, parser and the words every command line starts with."""

INTS = st.sampled_from(["0", "-1", "1", "2147483647", "2147483648", "-2147483649", "10**30"])
FLOATS = st.sampled_from(["inf", "-inf", "nan", "1e308", "-1e308", "0", "5"])
ANGLES = st.sampled_from(["12:30:00", "-30:15:00", "12h30m", "400", "1e308", "nan", "x"])
RADII = st.sampled_from(["5", "0.5arcmin", '3"', "-1", "5 kg", "inf", ""])
PATHS = st.sampled_from(["DB", "FIFO", "NULL", "GARBAGE", "MISSING", "DIR", "NODIR/x", "OBSIDS"])
JUNK = STRINGS.map(lambda v: v.replace("\x00", ""))
BY_DEST: dict[str, st.SearchStrategy[str]] = {
    "ra": ANGLES, "dec": ANGLES, "radius": RADII, "obsid": st.one_of(INTS, PATHS, JUNK),
    "region_id": INTS, "threads": INTS, "start": JUNK, "stop": JUNK,
}  # fmt: skip
DATABASES = {"db_file", "from_file", "to_file"}
"""Options naming a database: read and written through the file adapters, whose input and
output rules are fuzzed elsewhere; here they get the harmless path classes only."""


def option_values(action: argparse.Action) -> st.SearchStrategy[str]:
    if action.choices:
        return st.one_of(st.sampled_from([str(c) for c in action.choices]), JUNK)
    if action.dest in BY_DEST:
        return BY_DEST[action.dest]
    if action.dest in DATABASES:
        return st.sampled_from(["GARBAGE", "MISSING", "DIR", "NODIR/x", "new.duckdb"])
    if action.type is int:
        return st.one_of(INTS, JUNK)
    if action.type is float:
        return st.one_of(FLOATS, NUMBERS.map(str))
    return st.one_of(PATHS, JUNK, NUMBERS.map(str))


@st.composite
def legacy_line(draw: Any, script: str) -> list[str]:
    _, parser, words = SCRIPTS[script]
    actions = [
        a for a in parser()._actions if a.option_strings and not isinstance(a, argparse._HelpAction)
    ]
    argv = list(words)
    for action in draw(st.lists(st.sampled_from(actions), max_size=5)):
        argv.append(action.option_strings[0])
        if action.nargs != 0:
            argv.append(draw(option_values(action)))
    positional = [a for a in parser()._actions if not a.option_strings and a.dest != "action"]
    for action in positional:
        argv.append(draw(option_values(action)))
    return argv


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("fuzzlegacy")
    (base / "dir").mkdir()
    os.mkfifo(base / "fifo")
    (base / "garbage").write_bytes(b"\x00\xff garbage,\n1,2\n")
    (base / "obsids").write_text("1 2\n3-4 # comment\n")
    null = base / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:  # not root: a link to /dev/null
        null.symlink_to("/dev/null")
    return {
        "DB": build(base / "astromon.duckdb"), "FIFO": base / "fifo", "NULL": null,
        "GARBAGE": base / "garbage", "MISSING": base / "missing", "DIR": base / "dir",
        "NODIR": base / "no" / "such", "OBSIDS": base / "obsids",
    }  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No network (closed ports on 127.0.0.1), no arc5gl or CIAO, no default database; the
    working directory is a temporary one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("cwd"))
        for name in ("ASTROMON_ARCHIVE_URL", "ASTROMON_INFO_URLS"):
            patch.setenv(name, "http://127.0.0.1:9/{obsid}")
        patch.setenv("ASTROMON_VIZIER_SERVER", "127.0.0.1:9")
        patch.setenv("ASTROMON_ARC5GL", str(tmp_path_factory.mktemp("no-arc5gl") / "arc5gl"))
        patch.setenv("ASTROMON_FILE", str(tmp_path_factory.mktemp("nodb") / "none.duckdb"))
        patch.setenv("ASTROMON_CALALIGN_DIR", str(tmp_path_factory.mktemp("no-calalign")))
        patch.setenv("MPLBACKEND", "Agg")
        patch.delenv("ASCDS_INSTALL", raising=False)
        patch.delenv("CALDB", raising=False)
        yield


def _place(token: str, places: dict[str, Path]) -> str:
    head, sep, tail = token.partition("/")
    if head in places:
        return str(places[head] / tail) if sep else str(places[head])
    return token


@pytest.mark.slow
@pytest.mark.parametrize("script", list(SCRIPTS))
def test_fuzz_legacy_script(
    script: str, places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    main = SCRIPTS[script][0]

    @CASES
    @given(argv=legacy_line(script))
    def case(argv: list[str]) -> None:
        real = [_place(a, places) for a in argv]
        try:
            with pytest.raises(SystemExit) as ended:
                main(real)
        finally:
            interrupts.uninstall()  # the entry point installed the command line's handlers
        err = capsys.readouterr().err
        code = ended.value.code
        assert code in (0, 1, 2, 3), (real, code, err)
        errors = [line for line in err.splitlines() if "error:" in line]
        assert len(errors) <= 1, (real, err)
        if code not in (0, 3):
            assert errors, (real, code, err)
        assert "unexpected" not in err and "Traceback" not in err, (real, err)
        assert stat.S_ISFIFO(os.stat(places["FIFO"]).st_mode), real

    case()
