"""Columns converted to the schema's types change no value's meaning.

A cross-match reads obsids and ids as integers and offsets as float32. A float or wide
integer column converted blindly wraps around (2**40 as int32 is 0) or turns NaN into
-2**63, and rows then join to the wrong source. The rule checked here, value by value
against Python's own integers: a whole number within the type's range converts exactly,
anything else is a SchemaError naming the column, the value and its row.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astromon.domain.crossmatch.tables import conform
from astromon.domain.errors import SchemaError

TARGETS = [np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.int16)]


def holds(value: float | int, dtype: np.dtype[np.signedinteger]) -> bool:
    """Reference: Python's exact arithmetic, not numpy's casts."""
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return False
    bits = dtype.itemsize * 8
    return -(2 ** (bits - 1)) <= int(value) < 2 ** (bits - 1)


edges = st.sampled_from(
    [2.0**31, 2.0**31 - 1, -(2.0**31), -(2.0**31) - 1, 2.0**63, -(2.0**63), 2.0**15, 0.5]
)
floats = st.lists(st.floats(allow_nan=True, allow_infinity=True) | edges, min_size=1, max_size=8)
ints = st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=8)


@settings(max_examples=800, deadline=None)
@given(values=floats | ints, dtype=st.sampled_from(TARGETS))
def test_columns_convert_to_integers_only_when_no_value_changes(
    values: list[float] | list[int], dtype: np.dtype[np.signedinteger]
) -> None:
    """Float columns (NaN, infinities, fractions, the edges of each range) and int64 columns
    (wider than an int32 or int16 target) against the reference above."""
    array = np.array(values, dtype=np.float64 if isinstance(values[0], float) else np.int64)
    bad = [row for row, v in enumerate(values) if not holds(v, dtype)]
    if bad:
        with pytest.raises(SchemaError, match=rf"column 'obsid'.*got .* in row {bad[0]}$"):
            conform(array, "obsid", dtype)
    else:
        out = conform(array, "obsid", dtype)
        assert out.dtype == dtype
        assert [int(v) for v in out] == [int(v) for v in values]


def test_float32_columns_round_and_overflow_to_infinity_without_a_warning() -> None:
    with np.errstate(all="raise"):
        out = conform(np.array([0.1, 1e39, -1e39, np.nan]), "dr", np.dtype(np.float32))
    assert out.dtype == np.float32
    assert out[0] == np.float32(0.1) and out[1] == np.inf and out[2] == -np.inf
    assert np.isnan(out[3])


def test_text_in_a_number_column_is_named() -> None:
    with pytest.raises(SchemaError, match="column 'snr' must be numeric"):
        conform(np.array(["1", "2"]), "snr", np.dtype(np.float32))
