"""Arguments of the wrong type at the storage façade: only astromon's errors, never a
TypeError or AttributeError.

Every function of :mod:`astromon.db` (``astromon.db_files`` included) is called, 1,000 times,
with each argument either a good value or a hostile one: numbers, None, booleans, bytes,
lists, dicts, arrays, objects, empty tables, odd paths (``""``, ``"-"``, a directory; the
system's devices are left to the path tests, which make their own). Each call returns, or
raises an :class:`~astromon.domain.errors.AstromonError` with a message. The calls run in a
temporary directory with ``$ASTROMON_FILE`` there.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.storage.duckdb.store import release_connections
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st

from astromon import db
from astromon.domain.errors import AstromonError, ValidationError
from tests.integration import crash_harness as harness
from tests.unit.fuzz_strategies import FUZZ, SCALARS

HOSTILE = st.one_of(
    SCALARS,
    st.binary(max_size=4),
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=3), SCALARS, max_size=2),
    st.sampled_from([object(), Table(), np.zeros((2, 2)), np.array(["a"]), Path("."), "", "-"]),
    st.sampled_from([b"astromon.duckdb", 2.5, -1, 2**70, float("nan")]),
)

FUNCTIONS = sorted(
    name for name in db.__all__ if inspect.isfunction(getattr(db, name)) or name == "connect"
)


def good(name: str, parameter: str, work: Path) -> Any:
    """A value of ``parameter`` that the function accepts."""
    values: dict[str, Any] = {
        "table_name": "astromon_regions",
        "data": {"region_id": [9], "region_id_str": ["0123456789"], "last_modified": ["2020:001"],
                 "ra": [1.0], "dec": [1.0], "radius": [1.0], "obsid": [0], "user": [""],
                 "comments": [""]},
        "regions": {"ra": [1.0], "dec": [2.0]} if name != "remove_regions" else [1],
        "dbfile": work / "fuzz.duckdb",
        "from_file": work / "fuzz.duckdb",
        "to_file": work / "other.duckdb",
        "path": work / "out.csv",
        "h5file": work / "absent.h5",
        "directory": work,
        "position": (1.0, 2.0),
        "name": "astromon_21",
        "mode": "r",
        "table": Table({"ra": [1.0]}),
        "obsid": 1,
        "radius": 10.0,
    }  # fmt: skip
    return values.get(parameter, inspect.signature(getattr(db, name)).parameters[parameter].default)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory holding a sound database, made the working directory of the module."""
    directory = tmp_path_factory.mktemp("fuzz-arguments")
    harness.save_observation(directory / "fuzz.duckdb", 1, 1)
    release_connections()
    before, environment = Path.cwd(), os.environ.get("ASTROMON_FILE")
    os.chdir(directory)
    os.environ["ASTROMON_FILE"] = str(directory / "default.duckdb")
    try:
        yield directory
    finally:
        os.chdir(before)
        if environment is None:
            os.environ.pop("ASTROMON_FILE", None)
        else:
            os.environ["ASTROMON_FILE"] = environment


def call(name: str, arguments: dict[str, Any]) -> Any:
    function = getattr(db, name)
    if name == "connect":
        with function(**arguments) as store:
            return store
    return function(**arguments)


@st.composite
def calls(draw: Any, work: Path) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(FUNCTIONS))
    parameters = [
        p
        for p in inspect.signature(getattr(db, name)).parameters.values()
        if p.kind != p.VAR_KEYWORD
    ]
    hostile = draw(st.sampled_from([p.name for p in parameters])) if parameters else None
    arguments = {}
    for parameter in parameters:
        bad = parameter.name == hostile or draw(st.integers(0, 5)) == 0
        arguments[parameter.name] = draw(HOSTILE) if bad else good(name, parameter.name, work)
    return name, arguments


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_bad_arguments_raise_astromon_errors_only(work: Path, data: st.DataObject) -> None:
    name, arguments = data.draw(calls(work))
    try:
        call(name, arguments)
    except AstromonError as exc:
        assert str(exc), f"{name}: an error without a message"
    finally:
        release_connections()


@pytest.mark.parametrize(
    ("name", "arguments", "named"),
    [
        ("get_table", {"table_name": "astromon_obs", "dbfile": 5}, "dbfile"),
        ("get_table", {"table_name": None}, "None"),
        ("save", {"table_name": "astromon_meta", "data": {"last_region_id": [1]}, "dbfile": 2.5},
         "dbfile"),
        ("export_table", {"table_name": "astromon_obs", "path": 7}, "path"),
        ("import_ecsv", {"directory": None}, "directory"),
        ("import_legacy", {"h5file": b"x.h5"}, "h5file"),
        ("sync_regions", {"from_file": 1, "to_file": "b.duckdb"}, "dbfile"),
        ("set_formats", {"table": 5}, "Table"),
        ("save", {"table_name": "astromon_meta", "data": {"last_region_id": [1]},
                  "ignore_obsid": np.zeros(2)}, "ignore_obsid"),
        ("export_table", {"table_name": "astromon_obs", "path": "x" * 1000,
                          "dbfile": "fuzz.duckdb"}, "too long"),
    ],
)  # fmt: skip
def test_examples_of_wrong_types_name_the_argument(
    work: Path, name: str, arguments: dict[str, Any], named: str
) -> None:
    with pytest.raises(AstromonError, match=named):
        call(name, arguments)


@pytest.mark.slow
@settings(FUZZ, max_examples=200)
@given(
    filters=st.dictionaries(
        st.sampled_from(["obsid", "flagged", "min_pairs", "nope", "dy"]), HOSTILE, max_size=3
    )
)
def test_alignment_filters_are_applied_or_refused_naming_them(
    work: Path, filters: dict[str, Any]
) -> None:
    """``db.get_alignment``'s keyword filters: rows that pass them all, or a ValidationError
    naming the filter (never another exception)."""
    stored = db.get_alignment("v1", work / "fuzz.duckdb")
    assert len(stored) == 1  # the harness's observation 1, cross-match v1
    try:
        rows = db.get_alignment("v1", work / "fuzz.duckdb", **filters)
    except ValidationError as exc:
        assert any(name in str(exc) for name in filters), (filters, exc)
        return
    finally:
        release_connections()
    assert len(rows) <= len(stored)
    assert set(filters) <= {"obsid", "flagged", "min_pairs"}
