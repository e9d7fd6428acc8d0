"""The VizieR adapter through astroquery against the VizieR-shaped server on 127.0.0.1
(:mod:`tests.integration.fake_vizier`): one request per catalog, retries, VizieR's errors, and
stars moved to the observation's epoch. No test touches the internet.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.catalogs.local.service import LocalCatalogService
from astromon_adapters.catalogs.vizier import VizierCatalogService
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.time import Time

from astromon import cross_match
from astromon.bootstrap import bootstrap
from astromon.domain.errors import CatalogError
from astromon.services.crossmatch.counterparts import rough_match
from tests.integration.catalog_rows import Star, local_table, vizier_catalogs
from tests.integration.fake_vizier import FakeVizier, Reply, votable
from tests.integration.fake_vizier import fake_vizier as fake_vizier

ARCSEC = 1.0 / 3600.0

# --- the stars --------------------------------------------------------------------------------

FIELD_RA, FIELD_DEC = 258.0829681638793, -38.48414927100099  # obsid 13276's pointing


def offset(dra: float, ddec: float) -> tuple[float, float]:
    """The position ``dra``, ``ddec`` arcsec (on the sky) from the field centre."""
    return (
        FIELD_RA + dra * ARCSEC / np.cos(np.radians(FIELD_DEC)),
        FIELD_DEC + ddec * ARCSEC,
    )


TYCHO = [  # mean positions at J2000
    Star("7870-965-1", *offset(10.0, -5.0), 2000.0, 120.0, -80.0, 10.982),
    Star("7870-965-2", *offset(-40.0, 30.0), 2000.0, 0.0, 0.0, 11.5),
    Star("7870-966-1", *offset(300.0, 0.0), 2000.0, -20.0, 5.0, math.nan),  # far from all
    Star("7870-967-1", *offset(-80.0, -60.0), 2000.0, 900.0, 1200.0, 9.1),  # 22.5" in 15 yr
]
TWO_MASS = [  # no motion, observed in 1999
    Star("17121072-3830281", *offset(10.5, -5.5), 1999.3, mag=13.087),
    Star("17121030-3830416", *offset(-40.0, 31.0), 1999.3, mag=12.672),
    Star("17121248-3830570", *offset(100.0, 100.0), 1999.3, mag=10.929),
]


def vizier_rows() -> dict[str, list[dict[str, Any]]]:
    """The Tycho-2 and 2MASS stars in their VizieR tables."""
    return vizier_catalogs({"Tycho2": TYCHO, "2MASS": TWO_MASS})


def local_catalog_file(path: Path) -> Path:
    """The same stars as a local catalog file (one file, a ``catalog`` column)."""
    local_table({"Tycho2": TYCHO, "2MASS": TWO_MASS}).write(path, overwrite=True)
    return path


def x_ray_sources() -> Table:
    """Sources near the Tycho-2 stars' 2015 positions and near the 2MASS stars."""
    positions = [offset(10.6, -5.8), offset(-40.0, 30.5), offset(-66.5, -42.0), offset(0, 200)]
    return Table(
        {
            "obsid": [13276] * 4,
            "id": [1, 2, 3, 4],
            "ra": [p[0] for p in positions],
            "dec": [p[1] for p in positions],
        }
    )


EPOCH_2015 = 2015.0


def service(fake: FakeVizier, **kwargs: Any) -> VizierCatalogService:
    options: dict[str, Any] = {"timeout": 5.0, "retries": 2, "backoff": 0.0}
    options.update(kwargs)
    return VizierCatalogService(fake.url, **options)


# --- the tests ------------------------------------------------------------------------------


def test_tycho2_stars_come_at_the_observation_epoch_from_a_slow_and_two_fast_cones(
    fake_vizier: FakeVizier,
) -> None:
    fake_vizier.catalogs = vizier_rows()
    src = x_ray_sources()
    stars = service(fake_vizier).query("Tycho2", src["ra"], src["dec"], 3.0, EPOCH_2015)
    assert len(fake_vizier.requests) == 3  # one request for each cone
    for request in fake_vizier.requests:
        assert request["-source"] == "I/259/tyc2"
        assert {"RAmdeg", "DEmdeg", "pmRA", "pmDE", "TYC1", "TYC2", "TYC3", "VTmag", "RA(ICRS)",
                "DE(ICRS)", "EpRA-1990"} == set(request["out"]) - {"_q"}  # fmt: skip
    slow, fast_ra, fast_dec = fake_vizier.requests
    # VizieR's cone is at J2000. Every star: widened by how far a star moving 500 mas/yr
    # (Tycho-2's fast-star motion) goes in 15 years
    assert slow["constraints"] == {}
    assert float(slow["-c.rs"]) == pytest.approx(3.0 + 0.5 * 15, rel=2e-3)
    positions = list(zip(src["ra"], src["dec"], strict=True))
    assert slow["positions"] == [(round(r, 8), round(d, 8)) for r, d in positions]
    # the fast stars (a component above 500/sqrt(2) = 353.5534 mas/yr): widened by how far
    # Tycho-2's fastest star moves (its ReadMe: |pmRA| <= 6544.2, |pmDE| <= 10277.3 mas/yr)
    fastest = math.hypot(6544.2, 10277.3) / 1000.0
    assert fast_ra["constraints"] == {"pmRA": "<-353.553|>353.553"}
    assert fast_dec["constraints"] == {"pmDE": "<-353.553|>353.553"}
    # each around one position, the centre of the sources (within 220" of it): one cone of
    # 3" + 183" + 220" around it answers less than four of 3" + 183"
    centre = SkyCoord(*fast_ra["positions"][0], unit="deg")
    spread = max(centre.separation(SkyCoord(r, d, unit="deg")).arcsec for r, d in positions)
    assert 150.0 < spread < 220.0 and fast_dec["positions"] == fast_ra["positions"]
    for fast in (fast_ra, fast_dec):
        assert float(fast["-c.rs"]) == pytest.approx(3.0 + fastest * 15 + spread, rel=2e-3)
    # slow: two stars near sources; fast: only the fast star (900, 1200 mas/yr), in both fast
    # answers; it is given once
    assert [r["rows"] for r in fake_vizier.requests] == [2, 1, 1]
    assert stars.colnames == ["catalog", "name", "ra", "dec", "mag"]
    assert stars["name"].tolist() == ["7870-965-1", "7870-965-2", "7870-967-1"]
    assert set(stars["catalog"]) == {"Tycho2"}
    assert stars["mag"][0] == pytest.approx(10.982, abs=1e-4)
    # the fast star moved 13.5" east and 18" north in 15 years
    expected = offset(-80.0, -60.0)
    moved = SkyCoord(stars["ra"][2] * u.deg, stars["dec"][2] * u.deg)
    start = SkyCoord(expected[0] * u.deg, expected[1] * u.deg)
    assert start.separation(moved).to_value(u.arcsec) == pytest.approx(22.5, abs=1e-3)


def test_a_gaia_star_with_known_proper_motion_lands_at_its_2015_position(
    fake_vizier: FakeVizier,
) -> None:
    # a nearby star at epoch 2016.0 moving 0.97"/yr
    star = Star("4472832130942575872", 269.44850252543836, 4.739420051112412, 2016.0,
                -650.0, 720.0, 8.19)  # fmt: skip
    fake_vizier.catalogs = vizier_catalogs({"Gaia3": [star]})
    epoch = float(Time("2015-01-01T00:00:00", scale="tt").jyear)
    expected = SkyCoord(*star.at(epoch), unit="deg")
    result = service(fake_vizier).query("Gaia3", [expected.ra.deg], [expected.dec.deg], 1.0, epoch)
    assert result["name"].tolist() == ["4472832130942575872"]
    found = SkyCoord(result["ra"][0] * u.deg, result["dec"][0] * u.deg)
    assert found.separation(expected).to_value(u.mas) < 1.0
    assert SkyCoord(star.ra * u.deg, star.dec * u.deg).separation(found).to_value(u.arcsec) > 0.9


def test_an_empty_answer_gives_an_empty_table(fake_vizier: FakeVizier) -> None:
    result = service(fake_vizier).query("2MASS", [10.0], [10.0], 3.0, EPOCH_2015)
    assert len(result) == 0
    assert result.colnames == ["catalog", "name", "ra", "dec", "mag"]
    assert len(fake_vizier.requests) == 1
    assert {"RAJ2000", "DEJ2000", "2MASS", "Kmag"} <= set(fake_vizier.requests[0]["out"])


def test_an_http_500_is_retried(fake_vizier: FakeVizier) -> None:
    fake_vizier.catalogs = vizier_rows()
    fake_vizier.script = [Reply(500)]
    waits: list[float] = []
    src = x_ray_sources()
    svc = service(fake_vizier, backoff=0.25, sleep=waits.append)
    result = svc.query("2MASS", src["ra"], src["dec"], 3.0, EPOCH_2015)
    assert result["name"].tolist() == ["17121030-3830416", "17121072-3830281"]
    assert len(fake_vizier.requests) == 2
    assert waits == [0.25]


def test_a_persistent_500_names_catalog_server_and_obsid(fake_vizier: FakeVizier) -> None:
    fake_vizier.script = [Reply(500)] * 5
    waits: list[float] = []
    svc = service(fake_vizier, retries=2, backoff=1.0, sleep=waits.append)
    with pytest.raises(CatalogError) as info:
        rough_match(svc, x_ray_sources(), "2015:182", catalogs=["2MASS"])
    message = str(info.value)
    assert "obsid 13276" in message
    assert "'2MASS'" in message and "II/246/out" in message
    assert fake_vizier.url in message and "HTTP 500" in message and "3 attempts" in message
    assert waits == [1.0, 2.0]
    assert len(fake_vizier.requests) == 3


def test_a_slow_reply_beyond_the_timeout_is_an_error(fake_vizier: FakeVizier) -> None:
    fake_vizier.script = [Reply(delay=3.0), Reply(delay=3.0)]
    svc = service(fake_vizier, timeout=0.3, retries=1)
    with pytest.raises(CatalogError, match=r"'Tycho2'.*2 attempts.*Timeout"):
        svc.query("Tycho2", [10.0], [10.0], 3.0, EPOCH_2015)
    assert len(fake_vizier.requests) == 2


def test_client_errors_and_vizier_errors_are_not_retried(fake_vizier: FakeVizier) -> None:
    fake_vizier.script = [Reply(400, b"bad request")]
    with pytest.raises(CatalogError, match=r"refused .*'ICRS'.*HTTP 400"):
        service(fake_vizier).query("ICRS", [10.0], [10.0], 3.0, EPOCH_2015)
    assert len(fake_vizier.requests) == 1
    error = (
        b'<?xml version="1.0"?><VOTABLE version="1.4"><INFO name="Error" '
        b'value="*** Unknown catalog I/999"/></VOTABLE>'
    )
    fake_vizier.script = [Reply(200, error)]
    with pytest.raises(CatalogError, match=r"Unknown catalog I/999"):
        service(fake_vizier).query("ICRS", [10.0], [10.0], 3.0, EPOCH_2015)
    fake_vizier.script = [Reply(200, b"<html>maintenance</html>")]
    with pytest.raises(CatalogError, match="non-VOTable"):
        service(fake_vizier).query("ICRS", [10.0], [10.0], 3.0, EPOCH_2015)


def test_vizier_and_the_local_catalog_give_the_same_rows(
    fake_vizier: FakeVizier, tmp_path: Path
) -> None:
    fake_vizier.catalogs = vizier_rows()
    online = service(fake_vizier)
    offline = LocalCatalogService(local_catalog_file(tmp_path / "stars.ecsv"))
    src = x_ray_sources()
    for catalog in ("Tycho2", "2MASS"):
        a = online.query(catalog, src["ra"], src["dec"], 3.0, EPOCH_2015)
        b = offline.query(catalog, src["ra"], src["dec"], 3.0, EPOCH_2015)
        assert len(a) > 0
        assert a["name"].tolist() == b["name"].tolist()
        assert a["catalog"].tolist() == b["catalog"].tolist()
        np.testing.assert_allclose(a["ra"], b["ra"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(a["dec"], b["dec"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(a["mag"], b["mag"], rtol=0, atol=1e-6)
    kwargs: dict[str, Any] = {"catalogs": ("Tycho2", "2MASS"), "radius_arcsec": 3.0}
    m1 = rough_match(online, src, "2015:001:00:00:00", **kwargs)
    m2 = rough_match(offline, src, "2015:001:00:00:00", **kwargs)
    assert [(r["catalog"], r["name"], r["x_id"]) for r in m1] == [
        (r["catalog"], r["name"], r["x_id"]) for r in m2
    ]
    assert {r["x_id"] for r in m1} == {1, 2, 3}
    np.testing.assert_allclose(m1["separation"], m2["separation"], atol=1e-5)


def test_bootstrap_and_facade_drive_vizier(fake_vizier: FakeVizier, monkeypatch: Any) -> None:
    fake_vizier.catalogs = vizier_rows()
    monkeypatch.setenv("ASTROMON_VIZIER_SERVER", fake_vizier.url)
    monkeypatch.setenv("ASTROMON_VIZIER_TIMEOUT", "5")
    svc = bootstrap().catalogs()
    assert isinstance(svc, VizierCatalogService)
    assert svc.url == fake_vizier.url and svc.timeout == 5.0
    result = cross_match.rough_match(x_ray_sources(), "2015:001", catalogs=["2MASS"])
    assert result["x_id"].tolist() == [1, 2]
    assert all(s < 3.0 for s in result["separation"])
    explicit: Callable[..., Any] = bootstrap().catalogs
    assert explicit("vizier", server="vizier.example.org").url == "https://vizier.example.org"


def test_an_answer_without_the_name_column_is_an_error(fake_vizier: FakeVizier) -> None:
    rows = vizier_rows()["II/246/out"]
    body = votable("II/246/out", rows, ["RAJ2000", "DEJ2000", "Kmag"])
    fake_vizier.script = [Reply(200, body)]
    with pytest.raises(
        CatalogError, match=r"'2MASS' \(II/246/out\): the answer lacks the column 2MASS"
    ):
        service(fake_vizier).query("2MASS", [FIELD_RA], [FIELD_DEC], 3.0, EPOCH_2015)


def test_long_position_lists_are_split_and_stars_given_once(
    fake_vizier: FakeVizier, monkeypatch: pytest.MonkeyPatch
) -> None:
    import astromon_adapters.catalogs.vizier

    monkeypatch.setattr(astromon_adapters.catalogs.vizier, "MAX_POSITIONS_PER_REQUEST", 2)
    fake_vizier.catalogs = vizier_rows()
    ra, dec = offset(10.5, -5.5)
    # five positions a degree apart, three of them on one 2MASS star: three requests, the star
    # once
    ras, decs = [ra, ra, ra + 1.0, ra, ra - 1.0], [dec, dec, dec, dec, dec]
    result = service(fake_vizier).query("2MASS", ras, decs, 1.0, EPOCH_2015)
    assert len(fake_vizier.requests) == 3
    assert [len(r["positions"]) for r in fake_vizier.requests] == [2, 2, 1]
    assert [r["rows"] for r in fake_vizier.requests] == [2, 1, 0]
    assert result["name"].tolist() == ["17121072-3830281"]


def test_bad_vizier_settings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from astromon.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="timeout"):
        VizierCatalogService("vizier.example.org", timeout=0)
    with pytest.raises(ValidationError, match="retries"):
        VizierCatalogService("vizier.example.org", retries=-1)
    with pytest.raises(ValidationError, match="host name or http"):
        VizierCatalogService("ftp://vizier.example.org")
    monkeypatch.setenv("ASTROMON_VIZIER_TIMEOUT", "soon")
    with pytest.raises(ValidationError, match=r"ASTROMON_VIZIER_TIMEOUT.*'soon'"):
        bootstrap().catalogs("vizier")
    svc = VizierCatalogService("127.0.0.1:8080", timeout=2)
    assert svc.url == "https://127.0.0.1:8080" and "127.0.0.1:8080" in repr(svc)
    with pytest.raises(ValidationError, match="unknown catalog 'Nope'"):
        svc.query("Nope", [1.0], [1.0], 3.0, 2015.0)
    assert len(svc.query("2MASS", [], [], 3.0, 2015.0)) == 0  # no positions: no request
