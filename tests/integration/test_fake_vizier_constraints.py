"""The fake VizieR server reads column constraints as VizieR's help page on query constraints
describes them, and refuses what it cannot read (:mod:`tests.integration.vizier_constraints`)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.catalog_rows import Star, vizier_catalogs
from tests.integration.fake_vizier import FakeVizier
from tests.integration.vizier_constraints import ConstraintError, constraint_mask

VALUES = np.array([-100.0, -7.5, 0.0, 1.0, 5.0, 7.0, 8.0, 12.2, 70.7, 70.8, math.nan])


@pytest.mark.parametrize(
    ("expression", "selected"),
    [
        ("!=", [-100.0, -7.5, 0.0, 1.0, 5.0, 7.0, 8.0, 12.2, 70.7, 70.8]),  # not blank
        ("12.0 .. 12.5", [12.2]),
        ("(<0)|null", [-100.0, -7.5, math.nan]),
        ("8+/-2", [7.0, 8.0]),
        ("0,1,2", [0.0, 1.0]),
        ("1..5 | 7..9", [1.0, 5.0, 7.0, 8.0]),
        ("1..5 & >=5", [5.0]),
        ("=7", [7.0]),
        ("7", [7.0]),
        ("!=7", [-100.0, -7.5, 0.0, 1.0, 5.0, 8.0, 12.2, 70.7, 70.8]),
        ("<-70.71|>70.71", [-100.0, 70.8]),
        ("! 1..80", [-100.0, -7.5, 0.0, math.nan]),
    ],
)
def test_the_documented_forms(expression: str, selected: list[float]) -> None:
    mask = constraint_mask(expression, VALUES)
    np.testing.assert_array_equal(VALUES[mask], np.array(selected))


def test_a_blank_value_satisfies_no_comparison() -> None:
    blank = np.array([math.nan])
    for expression in ("<-70.710|>70.710", ">0", "<0", "-5..5", "0,1", "=0", "!=0"):
        assert not constraint_mask(expression, blank)[0], expression
    assert constraint_mask("null", blank)[0]


@pytest.mark.parametrize(
    "expression", ["", ">>5", "5..", "<-70|", "(<0", "abc", "< 5 6", "|>5", "<<;1;2", ">5)"]
)
def test_what_cannot_be_read_is_refused(expression: str) -> None:
    with pytest.raises(ConstraintError):
        constraint_mask(expression, VALUES)


@settings(max_examples=400, deadline=None, database=None)
@given(st.text(alphabet="0123456789.-+<>=!&|,() nul±/e", max_size=16))
def test_any_text_is_read_or_refused(expression: str) -> None:
    try:
        mask = constraint_mask(expression, VALUES)
    except ConstraintError:
        return
    assert mask.dtype == bool and mask.shape == VALUES.shape


def test_the_server_answers_a_constraint_it_cannot_read_with_an_error() -> None:
    fake = FakeVizier()
    star = Star("1001", 10.0, 10.0, 2000.0, 20.0, 20.0)
    fake.catalogs = vizier_catalogs({"USNO-B1.0": [star]})
    script = "-source=I/284\n-out=USNO-B1.0,pmRA\n-out.max=unlimited\n{}\n-c.rs=3\n-c=10.0+10.0"
    for constraint, error in (("pmRA=>>5", "a number was expected"),
                              ("pmRAx=>5", "no column pmRAx in table I/284/out"),
                              ("USNO-B1.0=1001", "character column")):  # fmt: skip
        status, body = fake.answer(script.format(constraint))
        assert status == 200 and b'name="Error"' in body and error.encode() in body
    status, body = fake.answer(script.format("pmRA=>19.9"))
    assert status == 200 and b"<TD>1001</TD>" in body and fake.requests[-1]["rows"] == 1
    fake.answer(script.format("pmRA=>20"))
    assert fake.requests[-1]["rows"] == 0
