"""The local-catalog adapter on real files (Parquet, FITS, ECSV) in tmp_path."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.catalogs.local import service as local_catalog
from astromon_adapters.catalogs.local.service import LocalCatalogService
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.time import Time

from astromon.bootstrap import bootstrap
from astromon.domain.catalogs import propagate_proper_motion
from astromon.domain.errors import CatalogError, ValidationError
from astromon.domain.geometry import angular_separation_arcsec
from astromon.services.crossmatch.counterparts import rough_match

ARCSEC = 1.0 / 3600.0


def star_table(n: int = 2000, seed: int = 3, catalog: str | None = "Tycho2") -> Table:
    """Random stars around (ra, dec) = (0, 60) and across ra = 0 (wrap-around)."""
    rng = np.random.default_rng(seed)
    ra = (rng.uniform(-0.5, 0.5, n)) % 360.0
    dec = rng.uniform(59.5, 60.5, n)
    table = Table(
        {
            "name": [f"S{i:06d}" for i in range(n)],
            "ra": ra,
            "dec": dec,
            "pmra": rng.normal(0, 50, n),
            "pmdec": rng.normal(0, 50, n),
            "epoch": np.full(n, 2000.0),
            "mag": rng.uniform(5, 12, n).astype(np.float32),
        }
    )
    if catalog is not None:
        table["catalog"] = catalog
    return table


def brute_force(stars: Table, ra: Any, dec: Any, radius: float, epoch: float) -> list[str]:
    s_ra, s_dec = propagate_proper_motion(
        stars["ra"], stars["dec"], stars["pmra"], stars["pmdec"], stars["epoch"], epoch
    )
    sep = angular_separation_arcsec(
        s_ra[:, None], s_dec[:, None], np.asarray(ra)[None, :], np.asarray(dec)[None, :]
    )
    return sorted(str(n) for n in stars["name"][(sep <= radius).any(axis=1)])


def sources_near(stars: Table, count: int, seed: int = 5) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(stars), count, replace=False)
    s_ra, s_dec = propagate_proper_motion(
        stars["ra"][pick], stars["dec"][pick], stars["pmra"][pick], stars["pmdec"][pick], 2000, 2015
    )
    return s_ra + rng.normal(0, 1, count) * ARCSEC, s_dec + rng.normal(0, 1, count) * ARCSEC


@pytest.mark.parametrize("suffix", [".parquet", ".fits", ".ecsv"])
def test_cone_search_matches_brute_force_in_every_format(tmp_path: Path, suffix: str) -> None:
    stars = star_table()
    path = tmp_path / f"stars{suffix}"
    stars.write(path)
    svc = LocalCatalogService(path, index_dir=tmp_path / "index")
    ra, dec = sources_near(stars, 40)
    found = svc.query("Tycho2", ra, dec, 3.0, 2015.0)
    assert found["name"].tolist() == brute_force(stars, ra, dec, 3.0, 2015.0)
    assert len(found) >= 40
    assert found.colnames == ["catalog", "name", "ra", "dec", "mag"]
    assert set(found["catalog"]) == {"Tycho2"}
    assert found["mag"].dtype == np.float32


def test_upper_case_fits_columns_and_a_file_per_catalog(tmp_path: Path) -> None:
    stars = star_table(300, catalog=None)
    for name in list(stars.colnames):
        stars.rename_column(name, name.upper())
    path = tmp_path / "twomass.fits"
    stars.write(path)
    svc = bootstrap().catalogs("local", catalog_file={"2MASS": path}, index_dir=tmp_path / "idx")
    assert isinstance(svc, LocalCatalogService)
    ra, dec = np.asarray(stars["RA"][:5]), np.asarray(stars["DEC"][:5])
    # 2MASS positions are not propagated: stars sit exactly on the sources
    found = svc.query("2MASS", ra, dec, 0.01, 2015.0)
    assert sorted(found["name"]) == sorted(stars["NAME"][:5])
    np.testing.assert_allclose(np.sort(found["ra"]), np.sort(ra), atol=1e-12)
    with pytest.raises(CatalogError, match=r"no local catalog file for catalog 'Tycho2'.*2MASS"):
        svc.query("Tycho2", ra, dec, 3.0, 2015.0)


def test_files_without_the_needed_columns_are_named(tmp_path: Path) -> None:
    stars = star_table(10)
    del stars["dec"]
    del stars["name"]
    path = tmp_path / "broken.ecsv"
    stars.write(path)
    svc = LocalCatalogService(path, index_dir=tmp_path / "idx")
    with pytest.raises(CatalogError, match=r"broken\.ecsv lacks the columns \['dec', 'name'\]"):
        svc.query("Tycho2", [0.0], [60.0], 3.0, 2015.0)

    no_epoch = star_table(10)
    del no_epoch["epoch"]
    path2 = tmp_path / "no_epoch.parquet"
    no_epoch.write(path2)
    with pytest.raises(CatalogError, match=r"no_epoch\.parquet lacks the columns \['epoch'\]"):
        LocalCatalogService(path2, index_dir=tmp_path / "idx").query(
            "Tycho2", [0.0], [60.0], 3.0, 2015.0
        )

    no_catalog = star_table(10, catalog=None)
    path3 = tmp_path / "mixed.fits"
    no_catalog.write(path3)
    with pytest.raises(CatalogError, match=r"mixed\.fits lacks the columns \['catalog'\]"):
        LocalCatalogService(path3, index_dir=tmp_path / "idx").query(
            "Tycho2", [0.0], [60.0], 3.0, 2015.0
        )


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        LocalCatalogService(tmp_path / "absent.parquet")
    (tmp_path / "stars.csv").write_text("ra,dec\n")
    with pytest.raises(ValidationError, match="unsupported file type"):
        LocalCatalogService(tmp_path / "stars.csv")
    path = tmp_path / "s.ecsv"
    star_table(10).write(path)
    with pytest.raises(ValidationError, match="unknown catalog 'Nope'"):
        LocalCatalogService({"Nope": path})
    svc = LocalCatalogService(path, index_dir=tmp_path / "idx")
    with pytest.raises(CatalogError, match=r"holds no rows of catalog '2MASS'.*Tycho2"):
        svc.query("2MASS", [0.0], [60.0], 3.0, 2015.0)
    with pytest.raises(ValidationError, match="unknown catalog 'Nope'"):
        svc.query("Nope", [0.0], [60.0], 3.0, 2015.0)
    with pytest.raises(ValidationError, match="catalog_file"):
        bootstrap().catalogs("local")
    with pytest.raises(ValidationError, match=r"unknown catalog source 'ftp'"):
        bootstrap().catalogs("ftp")


def test_the_index_is_built_once_and_rebuilt_when_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stars.parquet"
    star_table(500).write(path)
    builds: list[Path] = []
    original = LocalCatalogService._build

    def counting(self: LocalCatalogService, *args: Any) -> None:
        builds.append(args[0])
        original(self, *args)

    monkeypatch.setattr(LocalCatalogService, "_build", counting)
    for _ in range(2):
        svc = LocalCatalogService(path)  # default index: beside the file
        svc.query("Tycho2", [0.0], [60.0], 3.0, 2015.0)
        svc.query("Tycho2", [0.1], [60.1], 3.0, 2015.0)
    assert len(builds) == 1
    assert list((tmp_path / ".astromon-index").glob("stars-*.parquet"))
    star_table(600, seed=9).write(path, overwrite=True)
    os.utime(path, ns=(1, 1))
    LocalCatalogService(path).query("Tycho2", [0.0], [60.0], 3.0, 2015.0)
    assert len(builds) == 2


def test_a_query_reads_only_the_row_groups_near_the_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 300_000
    rng = np.random.default_rng(11)
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    stars = Table(
        {
            "catalog": np.full(n, "Gaia3"),
            "name": np.char.add("G", np.arange(n).astype(str)),
            "ra": ra,
            "dec": dec,
            "pmra": rng.normal(0, 30, n),
            "pmdec": rng.normal(0, 30, n),
            "epoch": np.full(n, 2016.0),
            "mag": rng.uniform(10, 20, n),
        }
    )
    path = tmp_path / "sky.parquet"
    stars.write(path)
    svc = LocalCatalogService(path, index_dir=tmp_path / "idx")
    svc.query("Gaia3", [0.0], [0.0], 1.0, 2016.0)  # builds the index
    read: list[int] = []
    index = next(iter(svc._indexes.values()))
    original = index._file.read_row_groups

    def spy(groups: list[int], *args: Any, **kwargs: Any) -> Any:
        read.extend(groups)
        return original(groups, *args, **kwargs)

    monkeypatch.setattr(index._file, "read_row_groups", spy)
    centre_ra, centre_dec = float(ra[1234]), float(dec[1234])
    # 30 sources within 2' of one star
    q_ra = centre_ra + rng.uniform(-2, 2, 30) / 60.0 / np.cos(np.radians(centre_dec))
    q_dec = centre_dec + rng.uniform(-2, 2, 30) / 60.0
    found = svc.query("Gaia3", q_ra, q_dec, 60.0, 2016.5)
    total_groups = index._file.num_row_groups
    assert 0 < len(read) <= 8 < total_groups
    subset = stars[np.abs(dec - centre_dec) < 1.0]
    assert found["name"].tolist() == brute_force(subset, q_ra, q_dec, 60.0, 2016.5)


def test_a_fast_star_is_found_at_its_2015_position(tmp_path: Path) -> None:
    # Barnard's star (Gaia DR3) at epoch 2016.0: 10.4"/yr
    ra0, dec0, pmra, pmdec = 269.44850252543836, 4.739420051112412, -801.551, 10362.394
    table = Table(
        {
            "name": ["4472832130942575872", "neighbour"],
            "ra": [ra0, ra0 + 0.01],
            "dec": [dec0, dec0],
            "pmra": [pmra, 0.0],
            "pmdec": [pmdec, 0.0],
            "mag": [8.19, 15.0],
        }
    )
    table.meta["epoch"] = 2016.0
    path = tmp_path / "barnard.ecsv"
    table.write(path)
    epoch = float(Time("2015-02-11T07:39:09", scale="tt").jyear)
    star = SkyCoord(
        ra=ra0 * u.deg,
        dec=dec0 * u.deg,
        pm_ra_cosdec=pmra * u.mas / u.yr,
        pm_dec=pmdec * u.mas / u.yr,
        distance=1e6 * u.pc,
        radial_velocity=0 * u.km / u.s,
        obstime=Time(2016.0, format="jyear"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = star.apply_space_motion(new_obstime=Time(epoch, format="jyear"))
    svc = LocalCatalogService({"Gaia3": path}, index_dir=tmp_path / "idx")
    found = svc.query("Gaia3", [expected.ra.deg], [expected.dec.deg], 0.5, epoch)
    assert found["name"].tolist() == ["4472832130942575872"]
    position = SkyCoord(found["ra"][0] * u.deg, found["dec"][0] * u.deg)
    assert position.separation(expected).to_value(u.mas) < 1.0
    sources = Table({"id": [7], "ra": [expected.ra.deg], "dec": [expected.dec.deg]})
    matches = rough_match(svc, sources, Time(epoch, format="jyear"), catalogs=["Gaia3"])
    assert matches["x_id"].tolist() == [7]
    assert matches["separation"][0] < 0.001


def test_no_positions_and_local_module_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    star_table(20).write(path)
    svc = LocalCatalogService(path, index_dir=tmp_path / "idx")
    assert len(svc.query("Tycho2", [], [], 3.0, 2015.0)) == 0
    assert local_catalog.default_index_dir().parts[-2:] == ("astromon", "catalog-index")
    with pytest.raises(ValidationError, match="nside"):
        LocalCatalogService(path, nside=100)


def test_only_stars_that_move_need_an_epoch(tmp_path: Path) -> None:
    # a Tycho-2 'X' star (no motion) may have no epoch; a moving star may not
    table = Table(
        {
            "name": ["9-9-1", "9-9-2"],
            "ra": [10.0, 10.001],
            "dec": [20.0, 20.0],
            "pmra": [np.nan, 50.0],
            "pmdec": [np.nan, 0.0],
            "epoch": [np.nan, 2000.0],
        }
    )
    good = tmp_path / "good.ecsv"
    table.write(good)
    svc = LocalCatalogService({"Tycho2": good}, index_dir=tmp_path / "idx")
    found = svc.query("Tycho2", [10.0], [20.0], 5.0, 2020.0)
    assert found["name"].tolist() == ["9-9-1", "9-9-2"]
    assert (found["ra"][0], found["dec"][0]) == (10.0, 20.0)  # without motion: not moved
    assert (found["ra"][1] - 10.001) * np.cos(np.radians(20.0)) * 3600 == pytest.approx(1.0)
    table["epoch"][1] = np.nan
    bad = tmp_path / "bad.ecsv"
    table.write(bad)
    with pytest.raises(CatalogError, match=r"bad\.ecsv: 1 rows with a proper motion have no epoch"):
        LocalCatalogService({"Tycho2": bad}, index_dir=tmp_path / "idx").query(
            "Tycho2", [10.0], [20.0], 5.0, 2020.0
        )
