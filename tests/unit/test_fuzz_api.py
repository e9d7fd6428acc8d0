"""Hypothesis fuzzing of astromon.cross_match (in memory), 1,000 hostile cases per entry point,
and regression tests of the defects the fuzzing found.

Every call either returns a result of the documented shape or raises an AstromonError subclass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.table import Table, vstack
from hypothesis import given
from hypothesis import strategies as st

from astromon import cross_match, db
from astromon.domain.errors import AstromonError, ValidationError
from astromon.domain.schema import to_schema
from tests.integration import crash_harness as harness
from tests.unit.fuzz_strategies import DATES, FUZZ, NUMBERS, SCALARS, STRINGS, table_data
from tests.unit.test_fuzz_db import filter_kwargs, huge_number, not_iterable

CATALOG_NAMES = st.one_of(st.sampled_from(["Tycho2", "ICRS", "USNO-B1.0"]), STRINGS, SCALARS)


def good_tables() -> dict[str, Table]:
    """Three observations whose counterparts lie 0.1-0.5 arcsec from their x-ray sources."""
    parts = [harness.observation_tables(obsid, obsid) for obsid in (1, 2, 3)]
    out: dict[str, Table] = {}
    for name in ("astromon_obs", "astromon_xray_src", "astromon_cat_src"):
        rows = [to_schema(name, p[name]) for p in parts]
        out[name] = vstack(rows)
    xray, cat = out["astromon_xray_src"], out["astromon_cat_src"]
    for i in range(len(cat)):
        match = (xray["obsid"] == cat["obsid"][i]) & (xray["id"] == cat["x_id"][i])
        cat["y_angle"][i] = xray["y_angle"][match][0] + 0.1 * (i % 5)
        cat["z_angle"][i] = xray["z_angle"][match][0]
    xray["r_angle"] = 10.0
    xray["near_neighbor_dist"] = 50.0
    return out


GOOD = good_tables()


@pytest.fixture(autouse=True)
def _no_default_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASTROMON_FILE", str(tmp_path / "no-default.duckdb"))


def matches_table() -> Table:
    return cross_match.compute_cross_matches(
        "simple",
        astromon_obs=GOOD["astromon_obs"],
        astromon_xray_src=GOOD["astromon_xray_src"],
        astromon_cat_src=GOOD["astromon_cat_src"],
        catalogs=["Tycho2"],
        snr=0,
        dr=10,
        r_angle=1000,
        r_angle_grating=1000,
        near_neighbor_dist=0,
    )


MATCHES = matches_table()


def test_the_fuzzed_tables_match() -> None:
    assert len(MATCHES) >= 5
    assert set(MATCHES.colnames) >= {"dr", "snr", "tstart", "category", "x_loc"}


THRESHOLDS = st.one_of(NUMBERS, NUMBERS, STRINGS, st.none())


@pytest.mark.slow
@FUZZ
@given(kwargs=filter_kwargs())
def test_fuzz_filter_matches(kwargs: dict[str, Any]) -> None:
    if kwargs.get("exclude_regions") is True:
        kwargs["exclude_regions"] = False  # regions come from the database: tested in test_fuzz_db
    try:
        mask = cross_match.filter_matches(MATCHES, **kwargs)
    except AstromonError as exc:
        assert str(exc)
        return
    assert np.asarray(mask).dtype == bool
    assert len(mask) == len(MATCHES)


@st.composite
def cross_match_inputs(draw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    tables: dict[str, Any] = dict(GOOD)
    if draw(st.integers(0, 3)) == 0:  # one hostile table
        name, columns = draw(
            table_data(
                draw(st.sampled_from(["astromon_obs", "astromon_xray_src", "astromon_cat_src"]))
            )
        )
        tables[name] = Table(columns) if columns else Table()
    args: dict[str, Any] = {}
    for key in draw(
        st.lists(
            st.sampled_from(
                [
                    "snr",
                    "dr",
                    "r_angle",
                    "r_angle_grating",
                    "near_neighbor_dist",
                    "start",
                    "stop",
                    "catalogs",
                    "name",
                ]
            ),
            max_size=4,
            unique=True,
        )
    ):
        if key in ("start", "stop"):
            args[key] = draw(DATES)
        elif key == "catalogs":
            args[key] = draw(st.one_of(st.lists(CATALOG_NAMES, max_size=3), SCALARS))
        elif key == "name":
            args[key] = draw(STRINGS)
        else:
            args[key] = draw(THRESHOLDS)
    return tables, args


@pytest.mark.slow
@FUZZ
@given(inputs=cross_match_inputs())
def test_fuzz_simple_cross_match(inputs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    tables, args = inputs
    try:
        result = cross_match.simple_cross_match(
            tables["astromon_obs"], tables["astromon_xray_src"], tables["astromon_cat_src"], **args
        )
    except AstromonError as exc:
        assert str(exc)
        return
    assert isinstance(result, Table)
    assert {"dy", "dz", "dr", "obsid", "x_id", "c_id"} <= set(result.colnames)
    assert len(result) <= len(GOOD["astromon_xray_src"])


@pytest.mark.slow
@FUZZ
@given(
    inputs=cross_match_inputs(),
    name=st.one_of(
        st.none(), st.sampled_from(["simple", "default", "astromon_21", "astromon_22"]), STRINGS
    ),
    exclude_bad_targets=st.one_of(st.booleans(), SCALARS),
)
def test_fuzz_compute_cross_matches(
    inputs: tuple[dict[str, Any], dict[str, Any]], name: Any, exclude_bad_targets: Any
) -> None:
    tables, args = inputs
    args.pop("name", None)
    try:
        result = cross_match.compute_cross_matches(
            name,
            astromon_obs=tables["astromon_obs"],
            astromon_xray_src=tables["astromon_xray_src"],
            astromon_cat_src=tables["astromon_cat_src"],
            exclude_bad_targets=exclude_bad_targets,
            **args,
        )
    except AstromonError as exc:
        assert str(exc)
        return
    assert isinstance(result, Table)
    assert {"dr", "time", "x_loc", "c_loc", "category"} <= set(result.colnames)


# --- defects found by the fuzzing ------------------------------------------------------------


@pytest.mark.parametrize("obsid", [9.3e18, -1e19, float("inf")])
def test_is_in_excluded_region_rejects_an_absurd_obsid(obsid: Any) -> None:
    """Found by the fuzzing (an OverflowError escaped); fixed in the façade."""
    assert huge_number(obsid)
    regions = Table({"ra": [1.0], "dec": [1.0], "radius": [5.0], "obsid": [0]})
    with pytest.raises(ValidationError, match="obsid"):
        db.is_in_excluded_region((1.0, 1.0), obsid=obsid, regions=regions)


@pytest.mark.parametrize("value", [0.0, 7])
def test_filter_matches_rejects_scalar_exclude_categories(value: Any) -> None:
    assert not_iterable(value)
    with pytest.raises(ValidationError, match="exclude_categories"):
        cross_match.filter_matches(MATCHES, exclude_categories=value)


@pytest.mark.parametrize("value", [0.0, 3])
def test_simple_cross_match_rejects_scalar_catalogs(value: Any) -> None:
    with pytest.raises(ValidationError, match="catalogs"):
        cross_match.simple_cross_match(
            GOOD["astromon_obs"],
            GOOD["astromon_xray_src"],
            GOOD["astromon_cat_src"],
            catalogs=value,
        )
