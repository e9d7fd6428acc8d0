"""The VizieR adapter's cones (a slow-star cone and two constrained cones of fast stars)
against the VizieR-shaped server of :mod:`tests.integration.fake_vizier`: stars just above and
just below each catalog's fast-star motion, stars without motion, a dense field whose answers
stay small, stars found several times given once, and a constraint VizieR refuses.

Where stars are is computed with astropy (:func:`tests.integration.fake_vizier.move_many`),
never with astromon's code; the fast-star motions are the documented ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from astromon.domain.catalogs import (
    CatalogSpec,
    Epoch,
    PositionColumns,
    ProperMotion,
    register_catalog,
    unregister_catalog,
)
from astromon.domain.errors import CatalogError
from astromon.services.crossmatch.counterparts import rough_match
from tests.integration.catalog_rows import CATALOG_TABLES, Star, vizier_catalogs
from tests.integration.fake_vizier import FakeVizier, Reply, move_many
from tests.integration.fake_vizier import fake_vizier as fake_vizier
from tests.integration.test_catalog_epochs import (
    OBSERVATIONS,
    catalog_epoch,
    field_centre,
    name,
    x_star,
)
from tests.integration.test_catalog_vizier import service

ARCSEC = 1.0 / 3600.0
EPOCH = float(OBSERVATIONS[2025].tt.jyear)
YEARS = EPOCH - 2000.0
FAST_STAR_MOTION = {"Tycho2": 500.0, "USNO-B1.0": 200.0, "HIP": 500.0, "HIP2": 500.0,
                    "UCAC4": 100.0, "SDSS": 200.0, "Gaia2": 100.0, "Gaia3": 100.0}  # fmt: skip
"""Each moving catalog's fast-star motion P (mas/yr), as the catalogs page gives it."""


def slow_cone(catalog: str, radius: float = 3.0) -> float:
    """The documented slow-star cone in 2025: radius + P |t - 2000|, plus 0.1% and 0.01"."""
    return (radius + FAST_STAR_MOTION[catalog] * YEARS / 1000.0) * 1.001 + 0.01


def rows_answered(fake: FakeVizier) -> list[int]:
    return [int(r["rows"]) for r in fake.requests]


@pytest.mark.parametrize("side", ["above", "below"])
@pytest.mark.parametrize("catalog", list(FAST_STAR_MOTION))
def test_stars_just_above_and_just_below_the_fast_star_motion_are_found(
    catalog: str, side: str, fake_vizier: FakeVizier
) -> None:
    """A star moving diagonally 2 mas/yr above (below) P: both components above (below)
    P / sqrt(2). The source is 2.99" ahead of where it is in 2025, so the star's J2000
    position is outside (inside) the slow cone: only the fast cones (only the slow cone)
    find it."""
    fast = FAST_STAR_MOTION[catalog]
    component = float(round((fast + (2.0 if side == "above" else -2.0)) / math.sqrt(2.0)))
    assert (component > fast / math.sqrt(2.0)) is (side == "above")
    ra, dec = field_centre(catalog)
    star = Star(name(catalog, 5), ra, dec, catalog_epoch(catalog), component, component)
    fake_vizier.catalogs = vizier_catalogs({catalog: [star]})
    then, now = (SkyCoord(*star.at(e), unit="deg") for e in (2000.0, EPOCH))
    source = now.directional_offset_by(then.position_angle(now), 2.99 * u.arcsec)
    outside = bool(source.separation(then).arcsec > slow_cone(catalog))
    assert outside is (side == "above")
    found = service(fake_vizier).query(catalog, [source.ra.deg], [source.dec.deg], 3.0, EPOCH)
    assert found["name"].tolist() == [star.name]
    moved = SkyCoord(found["ra"][0], found["dec"][0], unit="deg")
    assert moved.separation(now).arcsec < 0.01
    assert rows_answered(fake_vizier) == ([0, 1, 1] if side == "above" else [1, 0, 0])


def test_stars_without_motion_come_from_the_slow_cone_only(fake_vizier: FakeVizier) -> None:
    """Tycho-2's 'X' stars and a USNO-B1.0 star with blank motions: no fast-star constraint
    selects a blank value."""
    ra, dec = field_centre("USNO-B1.0")
    still = Star(name("USNO-B1.0", 6), ra, dec, 2000.0)
    fake_vizier.catalogs = vizier_catalogs({"Tycho2": [x_star()], "USNO-B1.0": [still]})
    for catalog, star in (("Tycho2", x_star()), ("USNO-B1.0", still)):
        fake_vizier.requests.clear()
        found = service(fake_vizier).query(catalog, [star.ra], [star.dec + ARCSEC], 3.0, EPOCH)
        assert found["name"].tolist() == [star.name], catalog
        assert (found["ra"][0], found["dec"][0]) == (star.ra, star.dec)
        assert rows_answered(fake_vizier) == [1, 0, 0], catalog
        bound = f"{math.floor(FAST_STAR_MOTION[catalog] / math.sqrt(2.0) * 1e3) / 1e3:.3f}"
        assert [r["constraints"] for r in fake_vizier.requests] == [
            {}, {"pmRA": f"<-{bound}|>{bound}"}, {"pmDE": f"<-{bound}|>{bound}"}
        ]  # fmt: skip


def dense_field(rng: np.random.Generator, n: int) -> tuple[list[Star], tuple[float, float]]:
    """``n`` slow USNO-B1.0 stars (each motion component an integer within +-60 mas/yr, so
    never above 141.42) within 400" of a source, ten stars without motion within 2" of it,
    and four fast stars: two whose 2025 positions are within 2" of the source, two far from
    it."""
    ra0, dec0 = 150.0, 2.2  # a field of the COSMOS survey
    distance = 400.0 * np.sqrt(rng.uniform(0, 1, n + 10)) * ARCSEC
    distance[n:] = 2.0 * ARCSEC * rng.uniform(0, 1, 10)
    angle = rng.uniform(0, 360, n + 10)
    centre = SkyCoord(ra0, dec0, unit="deg")
    placed = centre.directional_offset_by(angle * u.deg, distance * u.deg)
    pm = rng.integers(-60, 61, size=(2, n))
    stars = [
        Star(str(1000 + i), float(placed.ra.deg[i]), float(placed.dec.deg[i]), 2000.0,
             *((float(pm[0, i]), float(pm[1, i])) if i < n else (math.nan, math.nan)))
        for i in range(n + 10)
    ]  # fmt: skip
    for k, (motion, near) in enumerate(
        [((-798.0, 10270.0), True), ((300.0, -400.0), True), ((5000.0, 0.0), False),
         ((0.0, -2000.0), False)]
    ):  # fmt: skip
        start = centre.directional_offset_by(
            (40 + 90 * k) * u.deg, (1.5 if near else 200) * u.arcsec
        )
        back = move_many(
            np.array([start.ra.deg]),
            np.array([start.dec.deg]),
            np.array([motion[0]]),
            np.array([motion[1]]),
            np.array([EPOCH]),
            2000.0,
        )
        stars.append(Star(str(900 + k), float(back[0][0]), float(back[1][0]), 2000.0, *motion))
    return stars, (ra0, dec0)


def within(stars: list[Star], epoch: float, centre: tuple[float, float], radius: float) -> set[str]:
    """Names of the stars within ``radius`` arcsec of ``centre`` at ``epoch`` (astropy)."""
    ra = np.array([s.ra for s in stars])
    dec = np.array([s.dec for s in stars])
    pm = np.array([[s.pmra, s.pmdec] for s in stars])
    moving = np.isfinite(pm).all(axis=1)
    ra[moving], dec[moving] = move_many(ra[moving], dec[moving], pm[moving, 0], pm[moving, 1],
                                        np.full(int(moving.sum()), 2000.0), epoch)  # fmt: skip
    separation = SkyCoord(ra, dec, unit="deg").separation(SkyCoord(*centre, unit="deg")).arcsec
    return {s.name for s, d in zip(stars, separation, strict=True) if d <= radius}


def test_a_dense_field_gives_answers_of_about_the_plain_radius(fake_vizier: FakeVizier) -> None:
    """4,000 slow stars within 400" of a source, as dense as USNO-B1.0 in the Galactic plane
    (28,000 per square degree): the widened cone of 2025 (357") holds some 3,000 of them;
    the plan's answers hold the slow stars within the slow cone (8") and the fast stars."""
    stars, source = dense_field(np.random.default_rng(25), 4000)
    fake_vizier.catalogs = vizier_catalogs({"USNO-B1.0": stars})
    found = service(fake_vizier).query("USNO-B1.0", [source[0]], [source[1]], 3.0, EPOCH)
    truth = within(stars, EPOCH, source, 3.0)
    assert sorted(found["name"]) == sorted(truth) and len(set(found["name"])) == len(found)
    assert {"900", "901"} <= truth and len(truth) >= 12  # the two fast stars, the still ones
    near_2000 = within(stars, 2000.0, source, slow_cone("USNO-B1.0"))
    widened = within(stars, 2000.0, source, 3.0 + math.hypot(10.0, 10.0) * YEARS)
    assert len(widened) > 3000
    answered = rows_answered(fake_vizier)
    assert answered[0] == len(near_2000) < 40
    assert answered[1] + answered[2] <= 2 * 4  # only the fast stars
    assert sum(answered) < len(widened) / 50


def test_a_star_found_by_every_cone_near_two_sources_is_given_once(
    fake_vizier: FakeVizier,
) -> None:
    """A USNO-B1.0 star moving (150, 150) mas/yr: faster than 200 mas/yr, both components
    above 141.42, and by 2025 only 5.4" from its J2000 position: with a radius of 5", in the
    slow cones of two sources 4.5" either side of it (9" apart, so each searched on its own:
    one cone around both would be larger than the two), and in both fast cones (searched
    around the sources' centre)."""
    ra, dec = field_centre("USNO-B1.0")
    star = Star(name("USNO-B1.0", 7), ra, dec, 2000.0, 150.0, 150.0, mag=14.0)
    fake_vizier.catalogs = vizier_catalogs({"USNO-B1.0": [star]})
    now = SkyCoord(*star.at(EPOCH), unit="deg")
    sources = [now.directional_offset_by(a * u.deg, 4.5 * u.arcsec) for a in (135.0, 315.0)]
    ras, decs = [s.ra.deg for s in sources], [s.dec.deg for s in sources]
    found = service(fake_vizier).query("USNO-B1.0", ras, decs, 5.0, EPOCH)
    assert [len(r["positions"]) for r in fake_vizier.requests] == [2, 1, 1]
    assert rows_answered(fake_vizier) == [2, 1, 1]
    assert found["name"].tolist() == [star.name]
    assert SkyCoord(found["ra"][0], found["dec"][0], unit="deg").separation(now).arcsec < 0.01
    table = Table({"id": [1, 2], "ra": ras, "dec": decs, "obsid": [5, 5]})
    match = rough_match(
        service(fake_vizier), table, OBSERVATIONS[2025], radius_arcsec=5.0, catalogs=["USNO-B1.0"]
    )
    assert match["name"].tolist() == [star.name] * 2 and match["x_id"].tolist() == [1, 2]


def test_one_cone_for_catalogs_without_motion_and_near_2000(fake_vizier: FakeVizier) -> None:
    fake_vizier.catalogs = vizier_catalogs({c: [] for c in CATALOG_TABLES})
    svc = service(fake_vizier)
    svc.query("2MASS", [10.0], [10.0], 3.0, EPOCH)
    svc.query("USNO-B1.0", [10.0], [10.0], 3.0, 2000.1)  # 1.4" of widening: one cone
    assert [r["constraints"] for r in fake_vizier.requests] == [{}, {}]
    assert float(fake_vizier.requests[0]["-c.rs"]) == pytest.approx(3.0, abs=0.02)
    assert float(fake_vizier.requests[1]["-c.rs"]) == pytest.approx(3.0 + 1.414, abs=0.02)


@pytest.fixture
def misnamed_motion() -> Iterator[str]:
    """A catalog whose spec names a motion column its VizieR table does not have."""
    register_catalog(
        CatalogSpec(
            "USNO-B1.0 misread", "I/284", ("USNO-B1.0",), "R1mag",
            positions=PositionColumns("RAJ2000", "DEJ2000", Epoch(2000.0)),
            motion=ProperMotion("pmRAx", "pmDE", math.hypot(10_000.0, 10_000.0)),
        )
    )  # fmt: skip
    try:
        yield "USNO-B1.0 misread"
    finally:
        unregister_catalog("USNO-B1.0 misread")


def test_a_constraint_vizier_refuses_is_an_error_not_retried(
    fake_vizier: FakeVizier, misnamed_motion: str
) -> None:
    with pytest.raises(CatalogError, match=r"'USNO-B1.0 misread' \(I/284\).*no column pmRAx"):
        service(fake_vizier).query(misnamed_motion, [10.0], [10.0], 3.0, EPOCH)
    assert len(fake_vizier.requests) == 2  # the slow cone, then the refused fast cone


def test_a_fast_cone_that_fails_once_is_retried(fake_vizier: FakeVizier) -> None:
    """The slow cone answers, the first fast cone gets an HTTP 503 and is sent again."""
    ra, dec = field_centre("Gaia3")
    star = Star(name("Gaia3", 8), ra, dec, 2016.0, -798.0, 10270.0)
    fake_vizier.catalogs = vizier_catalogs({"Gaia3": [star]})
    fake_vizier.script = [Reply(), Reply(503)]
    now = SkyCoord(*star.at(EPOCH), unit="deg")
    waits: list[float] = []
    svc = service(fake_vizier, backoff=0.5, sleep=waits.append)
    found = svc.query("Gaia3", [now.ra.deg], [now.dec.deg], 3.0, EPOCH)
    assert found["name"].tolist() == [star.name] and waits == [0.5]
    assert [list(r["constraints"]) for r in fake_vizier.requests] == [[], ["pmRA"], ["pmRA"],
                                                                      ["pmDE"]]  # fmt: skip
