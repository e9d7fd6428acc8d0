"""The processing pipeline (the fake CIAO toolchain of :mod:`tests.integration.fake_ciao`, the
fake VizieR of :mod:`tests.integration.fake_vizier`) stores every catalog's counterparts where
the stars were when the observation was made."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time

from astromon.bootstrap import bootstrap
from astromon.domain.catalogs import CATALOGS
from astromon.domain.geometry import radec_to_yz
from astromon.ports.processing import OutcomeStatus
from tests.integration import fake_ciao
from tests.integration.catalog_rows import CATALOG_TABLES, Star, vizier_catalogs
from tests.integration.fake_ciao.data import ObsSpec, write_archive
from tests.integration.fake_ciao.summary_server import summary_server
from tests.integration.fake_vizier import FakeVizier
from tests.integration.fake_vizier import fake_vizier as fake_vizier

ACIS = ObsSpec(1234, "ACIS", "ACIS-S", ra=150.0, dec=20.0, roll=30.0, seq_num="701234")
DATE_OBS = "2020-03-01T10:00:00"
"""The start of every observation of the fake archive (its obspar ``date-obs``, UTC)."""
PAGES = {"701234": {"Title": "Field stars", "Subject Category": "STARS AND WD", "Cycle": "21"}}


@pytest.fixture
def info_url() -> Iterator[str]:
    with summary_server(PAGES) as (url, _):
        yield f"{url}/cgi-bin/mp/target.cgi?{{seq_num}}"


def stars_near_the_sources(epoch: float) -> dict[str, Star]:
    """For every catalog, a star 0.4" north of one of the x-ray sources at ``epoch``, moving
    like Barnard's star (at its catalog's epoch it was far from there), or without motion."""
    sources = ACIS.source_radec()
    stars = {}
    for index, catalog in enumerate(CATALOG_TABLES):
        table = CATALOG_TABLES[catalog]
        ra, dec = sources[index % len(sources)]
        there = SkyCoord(ra, dec + (0.4 + 0.05 * index) / 3600.0, unit="deg")
        name = f"77-{index}-1" if catalog == "Tycho2" else str(5_000 + index)
        if not table.moves:
            stars[catalog] = Star(name, there.ra.deg, there.dec.deg, 1999.5, mag=10.0)
            continue
        own = table.epoch or 2003.7
        pm = (-798.0, 10270.0)
        # where it was at its own epoch: back along its motion, computed with astropy
        start = Star(name, there.ra.deg, there.dec.deg, epoch, *pm).at(own)
        stars[catalog] = Star(name, *start, own, *pm, mag=10.0)
    return stars


def test_process_stores_every_catalogs_stars_at_the_observation_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_vizier: FakeVizier, info_url: str
) -> None:
    epoch = float(Time(DATE_OBS, scale="utc").tt.jyear)
    stars = stars_near_the_sources(epoch)
    fake_vizier.catalogs = vizier_catalogs({c: [s] for c, s in stars.items()})
    archive = tmp_path / "fake_archive"
    write_archive(archive, ACIS)
    _, prefix, config_file = fake_ciao.install(
        tmp_path, {"archive": str(archive), "log": str(tmp_path / "calls.jsonl"),
                   "streak_source": 0}
    )  # fmt: skip
    (tmp_path / "home").mkdir()
    for name, value in {
        "PATH": f"{tmp_path / 'fakebin'}:/usr/bin:/bin", "FAKE_CIAO_CONFIG": str(config_file),
        "ASTROMON_INFO_URLS": info_url, "HOME": str(tmp_path / "home"),
        "ASTROMON_VIZIER_SERVER": fake_vizier.url, "ASTROMON_VIZIER_TIMEOUT": "10",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    processor = bootstrap().observation_processor(
        workdir=str(tmp_path / "work"),
        archive_dir=str(tmp_path / "archive"),
        ciao_prefix=str(prefix),
        catalogs=list(CATALOGS),
    )
    outcome = processor.process(ACIS.obsid)
    assert outcome.status is OutcomeStatus.OK, outcome
    assert dict(outcome.catalog_failures) == {}
    cat_src = outcome.tables["astromon_cat_src"]
    assert list(cat_src["catalog"]) == list(CATALOGS)  # one star each, in the catalogs' order
    assert cat_src["id"].tolist() == list(range(len(CATALOGS)))
    for row in cat_src:
        star = stars[row["catalog"]]
        assert row["name"] == star.name
        truth = SkyCoord(*star.at(epoch), unit="deg")
        found = SkyCoord(row["ra"], row["dec"], unit="deg")
        assert found.separation(truth).arcsec < 0.01, row["catalog"]
        if star.moves:
            moved = SkyCoord(star.ra, star.dec, unit="deg").separation(truth).arcsec
            assert moved > 10.0 * abs(epoch - star.epoch)  # about 10.3"/yr
        y, z = radec_to_yz(row["ra"], row["dec"], ACIS.ra, ACIS.dec, ACIS.roll)
        assert (row["y_angle"], row["z_angle"]) == pytest.approx((y, z), abs=1e-3)
    sources = outcome.tables["astromon_xray_src"]
    separations = {int(r["x_id"]): r["separation"] for r in cat_src}
    assert set(separations) <= set(np.asarray(sources["id"]).tolist())
    assert all(0.0 < s < 3.0 and math.isfinite(s) for s in separations.values())
