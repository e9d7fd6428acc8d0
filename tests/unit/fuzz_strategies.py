"""Hypothesis strategies of hostile input for the fuzz tests (tests/unit/test_fuzz_*.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from astromon.domain.schema import TABLE_NAMES, get_spec

FUZZ = settings(
    max_examples=1000,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
"""1,000 cases per entry point, no deadline, no example database on disk."""

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e40, 1e40),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 1, 2**31, -(2**31) - 1, 360.0, -90.0, 90.000001, 1e300]),
)
STRINGS = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF), max_size=10),
    st.sampled_from(["", "NONE", "ACIS-S", "HRC-I", "Ω Cen ✓", "\x00", "2020:001", "nan"]),
    st.integers(1_000, 20_000).map(lambda n: "x" * n),  # huge strings
)
DATES = st.one_of(
    STRINGS,
    st.sampled_from(
        [
            "2020-01-01T00:00:00",
            "2020:001:00:00:00.000",
            "2020-13-45T99:99:99",
            "1850:999",
            "yesterday",
            "2020-02-30",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
)
OBSIDS = st.one_of(
    st.integers(-10, 30),
    st.sampled_from([-(2**31), 2**31 - 1, 2**31, 10**12, -(10**12)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.none(),
)
SCALARS = st.one_of(NUMBERS, STRINGS, st.none(), st.booleans())


def _column_values(kind: str, n: int) -> st.SearchStrategy[Any]:
    """Values for a column: mostly of the right kind, sometimes hostile."""
    good: st.SearchStrategy[Any]
    if kind == "str":
        good = st.lists(STRINGS, min_size=n, max_size=n)
    elif kind == "i32":
        good = st.lists(st.integers(-5, 40), min_size=n, max_size=n)
    else:
        good = st.lists(st.floats(-400, 400), min_size=n, max_size=n)
    bad = st.one_of(
        st.lists(NUMBERS, min_size=n, max_size=n),
        st.lists(STRINGS, min_size=n, max_size=n),
        st.lists(SCALARS, min_size=n, max_size=n),
    )
    return st.one_of(good, good, good, bad)


@st.composite
def table_data(draw: Any, name: str | None = None) -> tuple[str, dict[str, Any]]:
    """(table name, column dict): schema columns with some dropped, extra, renamed or bad."""
    table = name or draw(st.sampled_from(TABLE_NAMES))
    spec = get_spec(table)
    n = draw(st.integers(0, 4))
    columns: dict[str, Any] = {}
    for col in spec.columns:
        action = draw(st.sampled_from(["keep"] * 8 + ["drop", "rename"]))
        if action == "drop":
            continue
        key = col.name if action == "keep" else col.name.upper()
        columns[key] = draw(_column_values(col.kind, n))
    for _ in range(draw(st.integers(0, 2))):
        columns[draw(st.text(min_size=1, max_size=8))] = draw(
            st.lists(SCALARS, min_size=n, max_size=n)
        )
    return table, columns


def snapshot(path: Path) -> bytes:
    """The bytes of a file and of its write-ahead log (when present), to compare whole.

    Comparing the bytes themselves is exact and ten times cheaper than hashing them.
    """
    wal = path.with_name(path.name + ".wal")
    tail = b"\0wal\0" + wal.read_bytes() if wal.exists() else b""
    return path.read_bytes() + tail


def as_array(values: list[Any]) -> Any:
    """A numpy array of values when numpy accepts them, else the list."""
    try:
        return np.asarray(values)
    except (ValueError, TypeError, OverflowError):
        return values
