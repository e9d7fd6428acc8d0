"""The column rules of astromon.domain.value_rules, directly (no file)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table
from hypothesis import given
from hypothesis import strategies as st

from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.schema import TABLE_NAMES, TABLES, to_schema
from astromon.domain.value_rules import MAX_TEXT_LENGTH, check_values, invalid_values
from tests.unit.fuzz_strategies import FUZZ, NUMBERS, STRINGS


def obs(n: int = 1, **columns: object) -> Table:
    base = {
        "obsid": np.arange(1, n + 1),
        "version": [1.0] * n,
        "detector": ["ACIS-S"] * n,
        "target": ["t"] * n,
        "grating": ["NONE"] * n,
        "sim_z": [-190.1] * n,
        "date_obs": ["2013-02-11T07:39:09"] * n,
        "tstart": [476955550.0] * n,
        "ascdsver": ["10.9.2"] * n,
        "ra": [10.0] * n,
        "dec": [20.0] * n,
        "roll": [30.0] * n,
        "category_id": [10] * n,
    }
    base.update(columns)
    return to_schema("astromon_obs", base)


@pytest.mark.parametrize(
    ("date", "valid"),
    [
        ("2013-02-11T07:39:09", True),
        ("2012-02-29T23:59:60", True),  # leap day, leap second
        ("2013-02-11T07:39:09.125", True),
        ("2013-02-29T00:00:00", False),
        ("2013-13-45T99:00:00", False),
        ("2013-02-11 07:39:09", False),
        ("2013-02-11T07:39:09.", False),
        ("2013-02-11T07:39", False),
        ("", False),
    ],
)
def test_date_obs(date: str, valid: bool) -> None:
    found = invalid_values("astromon_obs", obs(date_obs=[date]))
    assert (found == []) is valid, found


@pytest.mark.parametrize(
    ("date", "valid"),
    [
        ("2025:317:14:47:27.097", True),
        ("2025:001", True),
        ("2024:366:00:00:00.000", True),
        ("2025:001:12", True),
        ("2025:366", False),
        ("2025:001:24:00:00", False),
        ("2025:1", False),
        ("2025-01-01T00:00:00", False),
    ],
)
def test_last_modified(date: str, valid: bool) -> None:
    regions = to_schema(
        "astromon_regions",
        {
            "region_id": [1],
            "region_id_str": ["0123456789"],
            "last_modified": [date],
            "ra": [1.0],
            "dec": [1.0],
            "radius": [1.0],
            "obsid": [0],
            "user": [""],
            "comments": [""],
        },
    )
    assert (invalid_values("astromon_regions", regions) == []) is valid


def test_every_invalid_value_is_listed_with_table_column_row_and_value() -> None:
    table = obs(
        3,
        detector=["ACIS-S", "NOPE", "HRC-I"],
        tstart=[1.0, np.inf, np.nan],
        category_id=[10, 99999, 200],
        obsid=[1, -5, 3],
    )
    found = [str(v) for v in invalid_values("astromon_obs", table)]
    assert "astromon_obs.obsid=-5 in row 1 is invalid (an observation id, must be >= 1)" in found
    assert any(m.startswith("astromon_obs.detector='NOPE' in row 1") for m in found)
    assert any(m.startswith("astromon_obs.tstart=inf in row 1") for m in found)
    assert any(m.startswith("astromon_obs.tstart=nan in row 2") for m in found)
    assert any(m.startswith("astromon_obs.category_id=99999 in row 1") for m in found)
    assert len(found) == 5
    with pytest.raises(ValidationError, match=r"astromon_obs\.obsid=-5 in row 1"):
        check_values("astromon_obs", table)


def test_text_is_bounded() -> None:
    ok = obs(target=["x" * MAX_TEXT_LENGTH])
    assert invalid_values("astromon_obs", ok) == []
    long = obs(target=["x" * (MAX_TEXT_LENGTH + 1)])
    (bad,) = invalid_values("astromon_obs", long)
    assert bad.column == "target" and bad.row == 0 and "4097 characters" in str(bad)


def test_units_convert_or_are_refused() -> None:
    regions = to_schema(
        "astromon_regions",
        {
            "region_id": [1],
            "region_id_str": ["0123456789"],
            "last_modified": ["2025:001"],
            "ra": [np.pi] * u.rad,
            "dec": [30.0] * u.arcmin,
            "radius": [1.5] * u.arcmin,
            "obsid": [0],
            "user": [""],
            "comments": [""],
        },
    )
    assert float(regions["ra"][0]) == pytest.approx(180.0)
    assert float(regions["dec"][0]) == pytest.approx(0.5)
    assert float(regions["radius"][0]) == pytest.approx(90.0)
    assert getattr(regions["radius"], "unit", None) is None
    with pytest.raises(SchemaError, match=r"astromon_obs\.sim_z has unit deg.*mm"):
        to_schema("astromon_obs", dict(obs(), sim_z=[1.0] * u.deg))
    with pytest.raises(SchemaError, match=r"category_id has unit m.*no unit"):
        to_schema("astromon_obs", dict(obs(), category_id=[10] * u.m))


VALUES = st.one_of(
    NUMBERS, STRINGS, st.none(), st.booleans(), st.binary(max_size=4), st.floats(width=32)
)


@pytest.mark.slow
@FUZZ
@given(
    name=st.sampled_from(TABLE_NAMES),
    data=st.data(),
    value=VALUES,
    row=st.integers(0, 2),
)
def test_a_value_is_stored_exactly_or_refused_naming_it(
    name: str, data: st.DataObject, value: Any, row: int
) -> None:
    """Conversion to the stored type never changes a value silently: each value of the fuzz
    pools, put in any column, is refused with its table, column and row, or comes back
    exactly (text identical, integers identical, float64 identical, float32 the nearest
    float32, never turned infinite)."""
    spec = TABLES[name]
    column = data.draw(st.sampled_from(spec.names))
    good = {"str": "x", "i32": 1, "f32": 1.5, "f64": 2.5, "bool": True}
    columns = {c.name: [good[c.kind]] * 3 for c in spec.columns}
    values: list[Any] = list(columns[column])
    values[row] = value
    columns[column] = values
    try:
        stored = to_schema(name, columns)[column][row]
    except SchemaError as exc:
        assert f"{name}.{column}=" in str(exc) and f"in row {row}" in str(exc), exc
        return
    kind = spec.column(column).kind
    if kind == "str":
        text = value.decode("utf-8") if isinstance(value, bytes) else value
        assert isinstance(text, str) and str(stored) == text
    elif kind == "i32":
        assert not isinstance(value, str | bytes) and value is not None
        assert int(stored) == value
    elif kind == "bool":
        text = value.decode("utf-8") if isinstance(value, bytes) else value
        if isinstance(text, str):
            assert text.strip().lower() == {True: "true", False: "false"}[bool(stored)] or (
                text.strip() == str(int(bool(stored)))
            )
        else:
            assert value in (0, 1) and bool(stored) == bool(value)
    else:
        expected = np.float64(value).astype(np.float32 if kind == "f32" else np.float64)
        assert np.array_equal(stored, expected, equal_nan=True), (value, stored)
        assert bool(np.isfinite(stored)) == bool(np.isfinite(np.float64(value)))
