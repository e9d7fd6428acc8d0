"""Every catalog's stars where they were when Chandra looked, through VizieR (the fake server of
:mod:`tests.integration.fake_vizier`) and through a local catalog file.

The expected positions are computed here with astropy (:meth:`Star.at`), never with astromon's
code. Observations in 2000, 2010 and 2025.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.catalogs.local.service import LocalCatalogService
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.time import Time

from astromon.domain.catalogs import CATALOGS
from astromon.ports.catalog import CatalogService
from astromon.services.crossmatch.counterparts import rough_match
from tests.integration.catalog_rows import CATALOG_TABLES, Star, local_table, vizier_catalogs
from tests.integration.fake_vizier import FakeVizier
from tests.integration.fake_vizier import fake_vizier as fake_vizier
from tests.integration.test_catalog_vizier import service

ARCSEC = 1.0 / 3600.0
OBSERVATIONS = {year: Time(f"{year}-06-01T00:00:00", scale="tt") for year in (2000, 2010, 2025)}
FAST = (-798.0, 10270.0)
"""A Barnard's-star motion (mas/yr, pmRA*cos(dec), pmDE) within every catalog's range."""
SDSS_EPOCH, TWO_MASS_EPOCH = 2003.7, 1999.3


def field_centre(catalog: str) -> tuple[float, float]:
    """A different field for each catalog (so no two catalogs' stars are near each other)."""
    index = list(CATALOG_TABLES).index(catalog)
    return 20.0 + 30.0 * index, -60.0 + 12.0 * index


def catalog_epoch(catalog: str) -> float:
    table = CATALOG_TABLES[catalog]
    if table.epoch is not None:
        return table.epoch
    return SDSS_EPOCH if catalog == "SDSS" else TWO_MASS_EPOCH


def name(catalog: str, number: int) -> str:
    """A name unique across the catalogs (Tycho-2's in its TYC1-TYC2-TYC3 form)."""
    index = list(CATALOG_TABLES).index(catalog)
    return f"9000-{number}-1" if catalog == "Tycho2" else str(4_000_000 + 100 * index + number)


def fast_star(catalog: str) -> Star:
    """A star moving like Barnard's (or, in a catalog without motion, a star that stays)."""
    ra, dec = field_centre(catalog)
    motion = FAST if CATALOG_TABLES[catalog].moves else (math.nan, math.nan)
    return Star(name(catalog, 1), ra, dec, catalog_epoch(catalog), *motion, mag=9.5)


def x_star() -> Star:
    """A Tycho-2 star without a mean position (pflag 'X'), observed in 1991.62."""
    ra, dec = field_centre("Tycho2")
    return Star(name("Tycho2", 2), ra + 0.02, dec, 1991.62, mag=11.2)


def catalog_of_every_kind() -> dict[str, list[Star]]:
    """Every catalog: its fast star and one moving 0.5"/yr; Tycho-2 also an 'X' star."""
    stars: dict[str, list[Star]] = {}
    for catalog in CATALOG_TABLES:
        ra, dec = field_centre(catalog)
        moderate = (300.0, -400.0) if CATALOG_TABLES[catalog].moves else (math.nan, math.nan)
        stars[catalog] = [
            fast_star(catalog),
            Star(name(catalog, 3), ra - 0.01, dec + 0.01, catalog_epoch(catalog), *moderate),
        ]
    stars["Tycho2"].append(x_star())
    return stars


def sources_at(stars: list[Star], epoch: float, north_arcsec: float = 0.5) -> Table:
    """One x-ray source 0.5" north of each star's position at ``epoch``."""
    positions = [star.at(epoch) for star in stars]
    return Table(
        {
            "id": np.arange(1, len(stars) + 1),
            "ra": [p[0] for p in positions],
            "dec": [p[1] + north_arcsec * ARCSEC for p in positions],
        }
    )


def separation_arcsec(ra: float, dec: float, position: tuple[float, float]) -> float:
    return float(SkyCoord(ra, dec, unit="deg").separation(SkyCoord(*position, unit="deg")).arcsec)


@pytest.fixture
def services(fake_vizier: FakeVizier, tmp_path: Path) -> dict[str, CatalogService]:
    """VizieR and a local catalog file holding the same stars (:func:`catalog_of_every_kind`)."""
    stars = catalog_of_every_kind()
    fake_vizier.catalogs = vizier_catalogs(stars)
    path = tmp_path / "catalogs.parquet"
    local_table(stars).write(path)
    return {
        "vizier": service(fake_vizier),
        "local": LocalCatalogService(path, index_dir=tmp_path / "index"),
    }


@pytest.mark.parametrize("year", list(OBSERVATIONS))
@pytest.mark.parametrize("catalog", list(CATALOG_TABLES))
def test_a_fast_star_is_found_where_it_was_at_the_observation(
    catalog: str, year: int, services: dict[str, CatalogService]
) -> None:
    epoch = float(OBSERVATIONS[year].tt.jyear)
    star = fast_star(catalog)
    truth = star.at(epoch)
    if star.moves:  # far from its catalog position, and (but in 2000) from its J2000 one
        assert separation_arcsec(star.ra, star.dec, truth) > 10.0 * abs(epoch - star.epoch)
    sources = sources_at([star], epoch)
    for source, svc in services.items():
        found = svc.query(catalog, sources["ra"], sources["dec"], 3.0, epoch)
        assert found["name"].tolist() == [star.name], source
        assert separation_arcsec(found["ra"][0], found["dec"][0], truth) < 0.01, source
        match = rough_match(svc, sources, OBSERVATIONS[year], catalogs=[catalog])
        assert match["name"].tolist() == [star.name] and match["x_id"].tolist() == [1]
        assert match["separation"][0] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("year", list(OBSERVATIONS))
def test_a_tycho2_star_without_a_mean_position_is_found_at_its_observed_one(
    year: int, services: dict[str, CatalogService]
) -> None:
    star = x_star()
    sources = sources_at([star], 2000.0)  # the star does not move
    for source, svc in services.items():
        match = rough_match(svc, sources, OBSERVATIONS[year], catalogs=["Tycho2"])
        assert match["name"].tolist() == [star.name], source
        assert (match["ra"][0], match["dec"][0]) == (star.ra, star.dec)
        assert match["mag"][0] == pytest.approx(11.2)


@pytest.mark.parametrize("catalog", [c for c, t in CATALOG_TABLES.items() if t.moves])
def test_a_star_that_moved_out_of_the_radius_is_not_found(
    catalog: str, services: dict[str, CatalogService]
) -> None:
    """A source on the star's catalog position: by 2025 the star has moved away from it; it is
    cut at the exact radius around its 2025 position (VizieR's wider cones hold it)."""
    star = fast_star(catalog)
    epoch = float(OBSERVATIONS[2025].tt.jyear)
    moderate = next(s for s in catalog_of_every_kind()[catalog] if s.name == name(catalog, 3))
    sources = sources_at([moderate], moderate.epoch, north_arcsec=0.0)  # its catalog position
    distance = separation_arcsec(sources["ra"][0], sources["dec"][0], moderate.at(epoch))
    assert distance > 3.0 + 0.05
    for source, svc in services.items():
        assert len(svc.query(catalog, sources["ra"], sources["dec"], 3.0, epoch)) == 0, source
        inside = svc.query(catalog, sources["ra"], sources["dec"], distance + 0.001, epoch)
        outside = svc.query(catalog, sources["ra"], sources["dec"], distance - 0.001, epoch)
        assert inside["name"].tolist() == [moderate.name] and len(outside) == 0, source
    # the fast star's catalog position is 0.3 deg from its 2025 one: nothing there either
    far = sources_at([star], star.epoch, north_arcsec=0.0)
    assert all(len(s.query(catalog, far["ra"], far["dec"], 3.0, epoch)) == 0
               for s in services.values())  # fmt: skip


@pytest.mark.parametrize("year", list(OBSERVATIONS))
def test_the_local_catalog_file_and_vizier_give_the_same_rows(
    year: int, services: dict[str, CatalogService]
) -> None:
    epoch = float(OBSERVATIONS[year].tt.jyear)
    stars = catalog_of_every_kind()
    for catalog in CATALOGS:
        sources = sources_at(stars[catalog], epoch)
        online, offline = (
            svc.query(catalog, sources["ra"], sources["dec"], 3.0, epoch)
            for svc in (services["vizier"], services["local"])
        )
        assert len(online) == len(stars[catalog]), catalog
        assert online["name"].tolist() == offline["name"].tolist(), catalog
        assert online["catalog"].tolist() == offline["catalog"].tolist()
        np.testing.assert_allclose(online["ra"], offline["ra"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(online["dec"], offline["dec"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(online["mag"], offline["mag"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("year", list(OBSERVATIONS))
def test_rough_match_gives_every_catalogs_stars_at_the_observation_epoch(
    year: int, services: dict[str, CatalogService]
) -> None:
    epoch = float(OBSERVATIONS[year].tt.jyear)
    stars = [s for catalog_stars in catalog_of_every_kind().values() for s in catalog_stars]
    sources = sources_at(stars, epoch)
    sources["obsid"] = 777
    truth = {s.name: s.at(epoch) for s in stars}
    for source, svc in services.items():
        match = rough_match(svc, sources, OBSERVATIONS[year], catalogs=list(CATALOGS))
        assert sorted(match["name"]) == sorted(truth), source
        assert list(dict.fromkeys(match["catalog"])) == list(CATALOGS)
        for row in match:
            assert separation_arcsec(row["ra"], row["dec"], truth[row["name"]]) < 0.01
            assert row["separation"] == pytest.approx(0.5, abs=0.01)
