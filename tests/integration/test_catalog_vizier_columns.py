"""Every registered catalog against its VizieR table as documented (the fake server's tables,
:mod:`tests.integration.fake_vizier`), and a rough match that keeps going when one catalog
fails (VizieR-shaped server on 127.0.0.1)."""

from __future__ import annotations

import math

import pytest
from astromon_adapters.catalogs.vizier import _columns

from astromon.domain.catalogs import CATALOGS, get_catalog
from astromon.services.crossmatch.counterparts import CATALOG_FAILURES, rough_match
from astromon.services.doctor import CheckStatus, run_doctor
from tests.integration.catalog_rows import CATALOG_TABLES, Star, vizier_catalogs
from tests.integration.fake_vizier import FIELDS, TABLES, FakeVizier, Reply
from tests.integration.fake_vizier import fake_vizier as fake_vizier
from tests.integration.test_catalog_vizier import offset, service, vizier_rows, x_ray_sources
from tests.unit.test_observation_doctor import FakeProbe, settings


@pytest.mark.parametrize("name", list(CATALOGS))
def test_the_columns_we_ask_for_are_in_the_documented_table(name: str) -> None:
    table_id = TABLES.get(get_catalog(name).vizier_id, get_catalog(name).vizier_id)
    assert table_id == CATALOG_TABLES[name].table_id
    documented = {f[0] for f in FIELDS[table_id]} | {"_RAJ2000", "_DEJ2000"}
    asked = set(_columns(get_catalog(name)))
    assert asked <= documented, f"{name}: {sorted(asked - documented)} not in {table_id}"


@pytest.mark.parametrize("name", list(CATALOGS))
def test_each_catalog_gives_its_star(name: str, fake_vizier: FakeVizier) -> None:
    table = CATALOG_TABLES[name]
    epoch = table.epoch or 2004.5
    ra, dec = offset(10.0, -5.0)
    pm = (20.0, -10.0) if table.moves else (math.nan, math.nan)
    star = Star("1234-567-1" if name == "Tycho2" else "4242", ra, dec, epoch, *pm, mag=12.5)
    fake_vizier.catalogs = vizier_catalogs({name: [star]})
    stars = service(fake_vizier).query(name, [ra], [dec], 3.0, epoch)
    assert len(stars) == 1 and stars["catalog"][0] == name
    if get_catalog(name).mag_column is None:
        assert math.isnan(stars["mag"][0])
    else:
        assert stars["mag"][0] == pytest.approx(12.5)
    assert stars["name"][0] == star.name
    # at the catalog's epoch, the star is where the catalog puts it
    assert abs(stars["ra"][0] - ra) * 3600 < 1e-6 and abs(stars["dec"][0] - dec) * 3600 < 1e-6


def test_one_failing_catalog_keeps_the_others(fake_vizier: FakeVizier) -> None:
    fake_vizier.catalogs = vizier_rows()
    fake_vizier.script = [Reply(500)] * 3  # Tycho2 (asked first) fails 3 times
    src = x_ray_sources()
    result = rough_match(
        service(fake_vizier, retries=2), src, "2015:182", catalogs=["Tycho2", "2MASS"]
    )
    assert set(result["catalog"]) == {"2MASS"} and len(result) == 2
    failure = result.meta[CATALOG_FAILURES]["Tycho2"]
    assert "obsid 13276" in failure and "HTTP 500" in failure and "I/259/tyc2" in failure


def test_doctor_names_each_missing_column_and_what_it_is_read_for(
    fake_vizier: FakeVizier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """VizieR answers Tycho-2 without the observed positions: the check fails, naming them."""
    fake_vizier.catalogs = vizier_rows()
    kept = [f for f in FIELDS["I/259/tyc2"] if f[0] not in ("DE(ICRS)", "EpRA-1990")]
    monkeypatch.setitem(FIELDS, "I/259/tyc2", kept)
    svc = service(fake_vizier)
    assert svc.missing_columns("Tycho2") == ["DE(ICRS)", "EpRA-1990"]
    assert svc.missing_columns("2MASS") == []
    checks = {c.name: c for c in run_doctor(FakeProbe(), svc, settings())}
    tycho, two_mass = checks["VizieR Tycho2"], checks["VizieR 2MASS"]
    assert tycho.status is CheckStatus.FAIL and two_mass.status is CheckStatus.PASS
    assert "DE(ICRS) (declination of the stars without a main position)" in tycho.detail
    assert "EpRA-1990 (epoch of the stars without a main position)" in tycho.detail
    assert "ReadMe" in tycho.fix and "astromon.domain.catalogs" in tycho.fix
