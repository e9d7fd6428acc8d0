"""The cones an online catalog is searched with (:func:`astromon.domain.cone_plan.cone_plan`):
every star within the radius at the observation's epoch is in one of them, whatever its
motion, and the answers stay small.

Where the stars are is computed here with astropy (``SkyCoord.apply_space_motion``), never
with astromon's code.
"""

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
    CATALOGS,
    CatalogSpec,
    Epoch,
    PositionColumns,
    ProperMotion,
    get_catalog,
)
from astromon.domain.cone_plan import QueryCone, cone_plan, search_positions
from astromon.domain.errors import ValidationError

J2000 = 2000.0


def padded(radius: float) -> float:
    """A cone radius with the documented slack: 0.1% and 0.01"."""
    return radius * 1.001 + 0.01


def at(ra: float, dec: float, pm: tuple[float, float] | None, start: float, end: float) -> Any:
    """Where a star (pm: mas/yr on the sky, or None) is at the Julian epoch ``end``."""
    if pm is None:
        return SkyCoord(ra * u.deg, dec * u.deg)
    star = SkyCoord(
        ra=ra * u.deg,
        dec=dec * u.deg,
        pm_ra_cosdec=pm[0] * u.mas / u.yr,
        pm_dec=pm[1] * u.mas / u.yr,
        distance=1 * u.kpc,
        radial_velocity=0 * u.km / u.s,
        obstime=Time(start, format="jyear", scale="tt"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return star.apply_space_motion(new_obstime=Time(end, format="jyear", scale="tt"))


def catalog(fastest: float, fast: float, pmra_includes_cosdec: bool = True) -> CatalogSpec:
    return CatalogSpec(
        "Test",
        "J/XX/1/stars",
        ("Seq",),
        None,
        positions=PositionColumns("RAJ2000", "DEJ2000", Epoch(2000.0)),
        motion=ProperMotion("pmRA", "pmDE", fastest, pmra_includes_cosdec, fast_mas_yr=fast),
    )


def in_a_cone(
    spec: CatalogSpec,
    radius: float,
    epoch: float,
    star: tuple[float, float, float],
    pm: tuple[float, float] | None,
    where: float,
    angle: float,
) -> tuple[bool, Any]:
    """Whether some cone of the plan finds a star (ra, dec at the Julian epoch of ``star``,
    ``pm`` on the sky or None) whose source is ``where * radius`` away from where the star is
    at ``epoch``, at position angle ``angle`` (degrees): the star's J2000 position within
    the cone's radius, and the catalog's own motion values passing the cone's constraint."""
    ra, dec, star_epoch = star
    now = at(ra, dec, pm, star_epoch, epoch)
    source = now.directional_offset_by(angle * u.deg, where * radius * u.arcsec)
    assert source.separation(now).arcsec < radius  # the star must be found
    distance = source.separation(at(ra, dec, pm, star_epoch, J2000)).arcsec
    values = {}
    if pm is not None and spec.motion is not None:
        cosdec = 1.0 if spec.motion.pmra_includes_cosdec else math.cos(math.radians(dec))
        values = {"pmRA": pm[0] / cosdec, "pmDE": pm[1]}

    def holds(cone: QueryCone) -> bool:
        if distance > cone.radius_arcsec:
            return False
        if cone.motion_column is None:
            return True
        value = values.get(cone.motion_column)  # a blank value passes no bound
        return value is not None and abs(value) > cone.above_mas_yr

    cones = cone_plan(spec, radius, epoch, J2000)
    return any(holds(cone) for cone in cones), (cones, distance)


def on_the_sky(mu: float, direction: float) -> tuple[float, float]:
    """The motion ``mu`` (mas/yr) towards position angle ``direction`` (degrees, east of
    north) as (pmRA*cos(dec), pmDE)."""
    return mu * math.sin(math.radians(direction)), mu * math.cos(math.radians(direction))


@settings(max_examples=200, deadline=None, database=None)
@given(
    fastest=st.floats(10.0, 20_000.0),
    fast_fraction=st.floats(0.001, 1.5),
    pmra_includes_cosdec=st.booleans(),
    radius=st.floats(0.2, 30.0),
    epoch=st.floats(1990.0, 2040.0),
    star=st.tuples(st.floats(0.0, 359.999), st.floats(-88.0, 88.0), st.floats(1990.0, 2020.0)),
    speed=st.floats(0.0, 1.0),
    direction=st.floats(0.0, 360.0),
    where=st.floats(0.0, 0.999),
    angle=st.floats(0.0, 360.0),
    blank=st.booleans(),
)
def test_every_star_within_the_radius_at_the_epoch_is_in_a_cone_of_the_plan(
    fastest: float,
    fast_fraction: float,
    pmra_includes_cosdec: bool,
    radius: float,
    epoch: float,
    star: tuple[float, float, float],
    speed: float,
    direction: float,
    where: float,
    angle: float,
    blank: bool,
) -> None:
    """A star moving at any speed up to the catalog's fastest, or without motion, and a
    source anywhere within the radius of where it is at ``epoch``."""
    spec = catalog(fastest, fast_fraction * fastest, pmra_includes_cosdec)
    pm = None if blank else on_the_sky(speed * fastest, direction)
    found, plan = in_a_cone(spec, radius, epoch, star, pm, where, angle)
    assert found, plan


@settings(max_examples=200, deadline=None, database=None)
@given(
    fast=st.floats(10.0, 2000.0),
    fastest_ratio=st.floats(2.0, 100.0),
    above=st.floats(-0.02, 0.02),
    pmra_includes_cosdec=st.booleans(),
    radius=st.floats(0.5, 10.0),
    years=st.floats(5.0, 40.0),
    before_2000=st.booleans(),
    star=st.tuples(st.floats(0.0, 359.999), st.floats(-88.0, 88.0), st.floats(1990.0, 2020.0)),
    direction=st.one_of(st.floats(0.0, 360.0), st.sampled_from([45.0, 135.0, 225.0, 315.0])),
)
def test_a_star_moving_about_the_fast_star_motion_at_the_edge_of_the_radius_is_found(
    fast: float,
    fastest_ratio: float,
    above: float,
    pmra_includes_cosdec: bool,
    radius: float,
    years: float,
    before_2000: bool,
    star: tuple[float, float, float],
    direction: float,
) -> None:
    """The hardest stars: moving P give or take 2%, in any direction (diagonal ones have both
    components near P / sqrt(2)), with the source just inside the radius, ahead of the star
    (as far as can be from where it was in 2000)."""
    spec = catalog(min(fast * fastest_ratio, 20_000.0), fast, pmra_includes_cosdec)
    epoch = J2000 - years if before_2000 else J2000 + years
    ahead = direction + 180.0 if before_2000 else direction
    pm = on_the_sky(fast * (1.0 + above), direction)
    found, plan = in_a_cone(spec, radius, epoch, star, pm, 0.999, ahead)
    assert found, plan


def test_a_catalog_without_motion_is_searched_at_the_radius() -> None:
    for epoch in (1999.6, 2000.0, 2025.4):
        assert cone_plan(get_catalog("2MASS"), 3.0, epoch, J2000) == (QueryCone(padded(3.0)),)
        assert cone_plan(get_catalog("ICRS"), 1.5, epoch, J2000) == (QueryCone(padded(1.5)),)


def test_usno_b_in_2025_a_slow_cone_and_two_cones_of_fast_stars() -> None:
    """USNO-B1.0 holds motions up to 10"/yr in each component; its fast stars move more than
    200 mas/yr, so one of their components exceeds 200/sqrt(2) = 141.42 mas/yr."""
    fastest = math.hypot(10_000.0, 10_000.0)
    slow, fast_ra, fast_dec = cone_plan(get_catalog("USNO-B1.0"), 3.0, 2025.0, J2000)
    assert slow == QueryCone(padded(3.0 + 0.2 * 25.0))
    wide = padded(3.0 + fastest / 1000.0 * 25.0)
    assert fast_ra.radius_arcsec == pytest.approx(wide, rel=1e-12)
    assert fast_dec.radius_arcsec == pytest.approx(wide, rel=1e-12)
    assert (fast_ra.motion_column, fast_dec.motion_column) == ("pmRA", "pmDE")
    assert fast_ra.above_mas_yr == fast_dec.above_mas_yr == pytest.approx(141.4213562373095)
    assert slow.radius_arcsec < 8.1 and wide > 356.9


def test_one_widened_cone_while_it_is_at_most_twice_the_slow_one() -> None:
    """The plan is used only when the widened cone is more than twice as wide as the slow
    one: for USNO-B1.0 (M = 14142 mas/yr, P = 200 mas/yr) and a 3" radius, from
    |t - 2000| = (3 * 1.001 + 0.01) / (1.001 * (M - 2 P)) years on."""
    spec = get_catalog("USNO-B1.0")
    fastest, fast = math.hypot(10_000.0, 10_000.0) / 1000.0, 0.2  # arcsec/yr
    switch = (3.0 * 1.001 + 0.01) / (1.001 * (fastest - 2 * fast))
    for sign in (1.0, -1.0):
        (before,) = cone_plan(spec, 3.0, J2000 + sign * 0.99 * switch, J2000)
        assert before.motion_column is None
        assert before.radius_arcsec == pytest.approx(padded(3.0 + fastest * 0.99 * switch))
        assert len(cone_plan(spec, 3.0, J2000 + sign * 1.01 * switch, J2000)) == 3
    assert cone_plan(spec, 3.0, J2000, J2000) == (QueryCone(padded(3.0)),)


def test_a_fast_star_motion_not_below_the_fastest_gives_one_cone() -> None:
    spec = catalog(fastest=300.0, fast=300.0)
    assert cone_plan(spec, 2.0, 2030.0, J2000) == (QueryCone(padded(2.0 + 0.3 * 30.0)),)


# the fast-star motion of each built-in catalog (mas/yr), as the catalogs page gives it
FAST_STAR_MOTION = {"Tycho2": 500.0, "USNO-B1.0": 200.0, "HIP": 500.0, "HIP2": 500.0,
                    "UCAC4": 100.0, "SDSS": 200.0, "Gaia2": 100.0, "Gaia3": 100.0}  # fmt: skip


@pytest.mark.parametrize("name", list(CATALOGS))
def test_each_catalogs_fast_star_motion(name: str) -> None:
    spec = get_catalog(name)
    if spec.motion is None:
        assert name not in FAST_STAR_MOTION
        return
    assert spec.motion.fast_mas_yr == FAST_STAR_MOTION[name]
    slow, *fast = cone_plan(spec, 3.0, 2025.0, J2000)  # every built-in catalog splits in 2025
    assert slow == QueryCone(padded(3.0 + FAST_STAR_MOTION[name] / 1000.0 * 25.0))
    assert [c.motion_column for c in fast] == ["pmRA", "pmDE"]


@pytest.mark.parametrize("fast", [0.0, -5.0, math.nan, math.inf, True])
def test_a_fast_star_motion_must_be_a_positive_number(fast: Any) -> None:
    with pytest.raises(ValidationError, match=r"catalog 'Test': fast_mas_yr"):
        catalog(fastest=1000.0, fast=fast)


ANYTHING = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10, 10),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
)


@settings(max_examples=300, deadline=None, database=None)
@given(radius=ANYTHING, epoch=ANYTHING, cone_epoch=ANYTHING)
def test_bad_radii_and_epochs_are_refused_by_name(radius: Any, epoch: Any, cone_epoch: Any) -> None:
    spec = get_catalog("Gaia3")
    try:
        cones = cone_plan(spec, radius, epoch, cone_epoch)
    except ValidationError as exc:
        assert "radius" in str(exc) or "epoch" in str(exc)
        return
    assert not isinstance(radius, bool) and float(radius) > 0 and math.isfinite(float(radius))
    assert all(math.isfinite(float(e)) for e in (epoch, cone_epoch))
    assert not any(isinstance(e, bool) for e in (epoch, cone_epoch))
    assert all(c.radius_arcsec >= float(radius) for c in cones)


@settings(max_examples=200, deadline=None, database=None)
@given(
    centre=st.tuples(st.floats(0.0, 359.999), st.floats(-89.9, 89.9)),
    spread=st.one_of(st.floats(0.0, 600.0), st.floats(0.0, 100_000.0)),
    n=st.integers(1, 40),
    radius=st.floats(0.5, 600.0),
    seed=st.integers(0, 2**32 - 1),
    where=st.floats(0.0, 0.999),
    angle=st.floats(0.0, 360.0),
)
def test_the_search_positions_hold_every_star_near_a_source_in_the_smaller_answer(
    centre: tuple[float, float],
    spread: float,
    n: int,
    radius: float,
    seed: int,
    where: float,
    angle: float,
) -> None:
    """``n`` sources up to ``spread`` arcsec from a point, a star within the radius of one of
    them: it is within the radius returned of a position returned. One position is returned
    only when its cone is smaller than the sources' cones added up, and holds them all."""
    rng = np.random.default_rng(seed)
    middle = SkyCoord(*centre, unit="deg")
    sources = middle.directional_offset_by(
        rng.uniform(0.0, 360.0, n) * u.deg, rng.uniform(0.0, spread, n) * u.arcsec
    )
    star = sources[int(rng.integers(0, n))].directional_offset_by(
        angle * u.deg, where * radius * u.arcsec
    )
    ra, dec, searched = search_positions(sources.ra.deg, sources.dec.deg, radius)
    around = SkyCoord(ra, dec, unit="deg")
    assert float(np.min(star.separation(around).arcsec)) <= searched
    if len(ra) == 1 and n > 1:
        reach = float(np.max(around[0].separation(sources).arcsec))
        assert searched >= radius + reach
        assert searched**2 < n * radius**2
    else:
        assert searched == radius
        assert np.array_equal(ra, sources.ra.deg) and np.array_equal(dec, sources.dec.deg)
        # the cone around the sources' mean direction (astropy) would be no smaller
        xyz = sources.cartesian.xyz.value.mean(axis=1)
        mean = SkyCoord(x=xyz[0], y=xyz[1], z=xyz[2], representation_type="cartesian")
        mean_ra, mean_dec = mean.spherical.lon.deg, mean.spherical.lat.deg
        reach = float(np.max(SkyCoord(mean_ra, mean_dec, unit="deg").separation(sources).arcsec))
        assert (radius + reach + 0.01) ** 2 >= n * radius**2 * (1 - 1e-9)


def test_sources_on_one_spot_are_searched_once() -> None:
    ra, dec, searched = search_positions([10.0] * 5, [-20.0] * 5, 3.0)
    assert ra.tolist() == [pytest.approx(10.0)] and dec.tolist() == [pytest.approx(-20.0)]
    assert searched == pytest.approx(3.01)


POSITION = st.one_of(
    st.floats(-400.0, 400.0), st.just(math.nan), st.just(math.inf), st.just(-math.inf)
)


@settings(max_examples=300, deadline=None, database=None)
@given(ra=st.lists(POSITION, max_size=6), dec=st.lists(POSITION, max_size=6))
def test_bad_source_positions_are_refused_by_name(ra: list[float], dec: list[float]) -> None:
    try:
        c_ra, c_dec, radius = search_positions(ra, dec, 5.0)
    except ValidationError as exc:
        assert "source positions" in str(exc)
        finite = all(math.isfinite(v) for v in ra) and all(abs(v) <= 90.0 for v in dec)
        assert len(ra) != len(dec) or not finite
        return
    assert len(ra) == len(dec) and all(math.isfinite(v) for v in ra)
    assert all(abs(v) <= 90.0 for v in dec) and radius >= 5.0
    assert np.isfinite(c_ra).all() and np.isfinite(c_dec).all()
