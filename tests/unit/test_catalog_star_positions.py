"""Every catalog's stars at the observation's epoch: reading a catalog's columns with its spec
(:func:`catalog_stars`) and moving the stars that have a motion (:meth:`CatalogStars.at_epoch`),
checked against astropy's ``SkyCoord.apply_space_motion``."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from hypothesis import given, settings
from hypothesis import strategies as st

from astromon.domain.catalogs import (
    CatalogSpec,
    CatalogStars,
    Epoch,
    PositionColumns,
    ProperMotion,
    catalog_stars,
    get_catalog,
)
from astromon.domain.errors import ValidationError

MAS = 1.0 / 3.6e6  # degrees


def expected(ra: float, dec: float, pmra: float, pmdec: float, start: float, end: float) -> Any:
    """Uniform motion in space from ``start`` to ``end`` (Julian years), by astropy."""
    star = SkyCoord(
        ra=ra * u.deg,
        dec=dec * u.deg,
        pm_ra_cosdec=pmra * u.mas / u.yr,
        pm_dec=pmdec * u.mas / u.yr,
        distance=1 * u.kpc,
        radial_velocity=0 * u.km / u.s,
        obstime=Time(start, format="jyear", scale="tt"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return star.apply_space_motion(new_obstime=Time(end, format="jyear", scale="tt"))


def reader(columns: dict[str, list[float]]) -> Any:
    def values(name: str) -> np.ndarray:
        return np.asarray(columns[name], dtype=float)

    return values


def test_tycho2_stars_without_a_mean_position_stay_at_their_observed_one() -> None:
    # a normal star (mean position at J2000 and a motion) and a pflag 'X' star (blank mean
    # position and motion; observed at 1990 + EpRA-1990)
    columns = {
        "RAmdeg": [10.0, math.nan], "DEmdeg": [20.0, math.nan],
        "pmRA": [500.0, math.nan], "pmDE": [-300.0, math.nan],
        "RA(ICRS)": [10.0001, 30.0], "DE(ICRS)": [20.0001, -40.0],
        "EpRA-1990": [1.5, 1.62],
    }  # fmt: skip
    stars = catalog_stars(get_catalog("Tycho2"), reader(columns), 2)
    assert stars.epoch.tolist() == [2000.0, pytest.approx(1991.62)]
    assert stars.moving.tolist() == [True, False]
    ra, dec = stars.at_epoch(2025.0)
    truth = expected(10.0, 20.0, 500.0, -300.0, 2000.0, 2025.0)
    assert SkyCoord(ra[0], dec[0], unit="deg").separation(truth).to_value(u.mas) < 0.01
    assert (ra[1], dec[1]) == (30.0, -40.0)


def test_blank_motions_and_epochs_keep_a_star_where_the_catalog_puts_it() -> None:
    spec = get_catalog("SDSS")
    columns = {
        "RAJ2000": [1.0, 2.0, 3.0], "DEJ2000": [0.0, 0.0, 0.0],
        "pmRA": [100.0, math.nan, 100.0], "pmDE": [0.0, 0.0, 0.0],
        "ObsDate": [2004.2, 2004.2, math.nan],
    }  # fmt: skip
    stars = catalog_stars(spec, reader(columns), 3)
    ra, dec = stars.at_epoch(2024.2)
    assert (ra[0] - 1.0) / MAS == pytest.approx(2000.0, rel=1e-6)  # 100 mas/yr for 20 years
    assert ra[1:].tolist() == [2.0, 3.0] and dec.tolist() == [0.0, 0.0, 0.0]


def test_catalogs_without_motion_are_never_moved_and_their_epochs_not_read() -> None:
    read: list[str] = []

    def values(name: str) -> np.ndarray:
        read.append(name)
        return np.asarray({"RAJ2000": [5.0], "DEJ2000": [6.0]}[name])

    stars = catalog_stars(get_catalog("2MASS"), values, 1)
    assert read == ["RAJ2000", "DEJ2000"]
    assert stars.at_epoch(2030.0) == (np.array([5.0]), np.array([6.0]))
    assert not stars.moving.any()


def test_a_pmra_without_the_cos_dec_factor_is_put_on_the_sky() -> None:
    spec = CatalogSpec(
        "Raw", "J/X/1/t", ("ID",), None,
        positions=PositionColumns("RA", "DE", Epoch(2000.0)),
        motion=ProperMotion("pmRA", "pmDE", 1000.0, pmra_includes_cosdec=False),
    )  # fmt: skip
    stars = catalog_stars(spec, reader({"RA": [0.0], "DE": [60.0], "pmRA": [200.0],
                                        "pmDE": [0.0]}), 1)  # fmt: skip
    assert stars.pmra[0] == pytest.approx(100.0)  # d(ra)/dt * cos(60 deg)


def test_catalog_stars_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValidationError, match="different lengths"):
        CatalogStars(np.zeros(2), np.zeros(2), np.zeros(1), np.zeros(2), np.zeros(2))


MOTIONS = st.floats(-11_000.0, 11_000.0) | st.just(math.nan)


@settings(max_examples=150, deadline=None, database=None)
@given(
    ra=st.floats(0.0, 359.999),
    dec=st.floats(-89.9, 89.9),
    pmra=MOTIONS,
    pmdec=MOTIONS,
    start=st.sampled_from([1991.25, 2000.0, 2015.5, 2016.0]) | st.floats(1990.0, 2010.0),
    end=st.floats(1999.0, 2030.0),
)
def test_moving_stars_agree_with_astropy_and_the_others_stay(
    ra: float, dec: float, pmra: float, pmdec: float, start: float, end: float
) -> None:
    stars = CatalogStars(*(np.array([v]) for v in (ra, dec, start, pmra, pmdec)))
    new_ra, new_dec = stars.at_epoch(end)
    if math.isnan(pmra) or math.isnan(pmdec):
        assert (new_ra[0], new_dec[0]) == (ra, dec)
    else:
        truth = expected(ra, dec, pmra, pmdec, start, end)
        found = SkyCoord(new_ra[0], new_dec[0], unit="deg")
        assert found.separation(truth).to_value(u.mas) < 0.01


@settings(max_examples=300, deadline=None, database=None)
@given(
    value=st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 5),
    column=st.none() | st.text(max_size=4),
    unit=st.text(max_size=3) | st.sampled_from(["yr", "d"]),
    zero=st.floats(allow_nan=True, allow_infinity=True),
)
def test_an_epoch_is_accepted_only_when_well_defined(
    value: Any, column: Any, unit: str, zero: float
) -> None:
    positions = PositionColumns("RA", "DE", Epoch(value, column, unit, zero))
    good = (
        (value is None) != (column is None)
        and (value is None or math.isfinite(value))
        and (column is None or bool(column.strip()))
        and unit in ("yr", "d")
        and math.isfinite(zero)
    )
    if good:
        spec = CatalogSpec("E", "I/1", ("ID",), None, positions=positions)
        assert spec.positions.epoch is not None
    else:
        with pytest.raises(ValidationError, match="catalog 'E'"):
            CatalogSpec("E", "I/1", ("ID",), None, positions=positions)
