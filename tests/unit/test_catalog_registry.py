"""The catalog registry, proper-motion propagation and the catalog-service result table."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from astromon.domain import catalogs
from astromon.domain.catalogs import (
    CATALOGS,
    CatalogSpec,
    Epoch,
    PositionColumns,
    ProperMotion,
    counterpart_table,
    get_catalog,
    propagate_proper_motion,
    register_catalog,
    stars_near_positions,
    unregister_catalog,
    validate_catalog_names,
)
from astromon.domain.errors import ValidationError

# catalog: (VizieR id, name columns, magnitude, position columns, epoch, motion columns),
# from each table's VizieR description (ReadMe)
TABLE = {
    "Tycho2": ("I/259/tyc2", ("TYC1", "TYC2", "TYC3"), "VTmag", ("RAmdeg", "DEmdeg"), 2000.0,
               ("pmRA", "pmDE")),
    "ICRS": ("I/323", ("ICRF",), None, ("_RAJ2000", "_DEJ2000"), None, None),
    "USNO-B1.0": ("I/284", ("USNO-B1.0",), "R1mag", ("RAJ2000", "DEJ2000"), 2000.0,
                  ("pmRA", "pmDE")),
    "HIP": ("I/239/hip_main", ("HIP",), "Vmag", ("RAICRS", "DEICRS"), 1991.25, ("pmRA", "pmDE")),
    "HIP2": ("I/311/hip2", ("HIP",), "Hpmag", ("RArad", "DErad"), 1991.25, ("pmRA", "pmDE")),
    "UCAC4": ("I/322A/out", ("UCAC4",), "f.mag", ("RAJ2000", "DEJ2000"), 2000.0,
              ("pmRA", "pmDE")),
    "2MASS": ("II/246/out", ("2MASS",), "Kmag", ("RAJ2000", "DEJ2000"), "JD", None),
    "SDSS": ("II/294", ("SDSS",), "rmag", ("RAJ2000", "DEJ2000"), "ObsDate", ("pmRA", "pmDE")),
    "Gaia2": ("I/345/gaia2", ("Source",), "Gmag", ("RA_ICRS", "DE_ICRS"), 2015.5,
              ("pmRA", "pmDE")),
    "Gaia3": ("I/355/gaiadr3", ("Source",), "Gmag", ("RA_ICRS", "DE_ICRS"), 2016.0,
              ("pmRA", "pmDE")),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TABLE))
def test_the_table_holds_each_catalogs_columns_epoch_and_motion(name: str) -> None:
    vizier_id, name_columns, mag, (ra, dec), epoch, motion = TABLE[name]
    spec = CATALOGS[name]
    assert (spec.vizier_id, spec.name_columns, spec.mag_column) == (vizier_id, name_columns, mag)
    assert (spec.positions.ra, spec.positions.dec) == (ra, dec)
    given = spec.positions.epoch
    if epoch is None:
        assert given is None
    else:
        assert given is not None
        assert (given.column if isinstance(epoch, str) else given.value) == epoch
    assert spec.moves is (motion is not None)
    if spec.motion is not None:
        assert (spec.motion.pmra, spec.motion.pmdec) == motion
        assert spec.motion.pmra_includes_cosdec  # every table gives pmRA*cos(dec)
        assert spec.motion.max_mas_yr >= 10_393.0  # at least Barnard's star (Gaia DR3)


def test_tycho2_stars_without_a_mean_position_fall_back_to_the_observed_one() -> None:
    spec = get_catalog("Tycho2")
    assert spec.fallback == PositionColumns(
        "RA(ICRS)", "DE(ICRS)", Epoch(column="EpRA-1990", zero=1990.0)
    )
    assert all(s.fallback is None for n, s in CATALOGS.items() if n != "Tycho2")
    columns = spec.columns()
    assert list(columns) == ["RAmdeg", "DEmdeg", "TYC1", "TYC2", "TYC3", "VTmag", "pmRA",
                             "pmDE", "RA(ICRS)", "DE(ICRS)", "EpRA-1990"]  # fmt: skip
    assert "stars without a main position" in columns["EpRA-1990"]
    # catalogs without motion are not asked for epochs: their stars stay where they are
    assert list(get_catalog("2MASS").columns()) == ["RAJ2000", "DEJ2000", "2MASS", "Kmag"]
    assert "ObsDate" in get_catalog("SDSS").columns()


def test_unknown_catalog_names_are_listed_with_the_known_ones() -> None:
    with pytest.raises(ValidationError, match=r"unknown catalog 'Tycho3'.*Tycho2"):
        get_catalog("Tycho3")
    with pytest.raises(ValidationError, match=r"\['nope', 'bad'\].*known catalogs: Tycho2"):
        validate_catalog_names(["Tycho2", "nope", "bad"])
    assert validate_catalog_names("ICRS") == ("ICRS",)
    assert validate_catalog_names(["ICRS", "2MASS"]) == ("ICRS", "2MASS")


def test_users_can_register_and_replace_catalogs() -> None:
    spec = CatalogSpec("MyCat", "J/A+A/1/2", ("ID",), "Vmag", description="mine")
    register_catalog(spec)
    try:
        assert get_catalog("MyCat") is spec
        assert "MyCat" in catalogs.catalog_names()
        with pytest.raises(ValidationError, match="already registered"):
            register_catalog(spec)
        other = CatalogSpec("MyCat", "J/A+A/1/3", ("ID",), None)
        register_catalog(other, replace=True)
        assert get_catalog("MyCat").vizier_id == "J/A+A/1/3"
    finally:
        unregister_catalog("MyCat")
    assert "MyCat" not in CATALOGS
    with pytest.raises(ValidationError, match="expects a CatalogSpec"):
        register_catalog("MyCat")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "non-empty string"),
        ({"vizier_id": " "}, "vizier_id"),
        ({"name_columns": ()}, "name_columns"),
        ({"name_columns": "ID"}, "name_columns"),
        ({"positions": ("RA", "DE")}, "positions must be a PositionColumns"),
        ({"positions": PositionColumns("RA", "")}, "dec column"),
        (
            {"positions": PositionColumns("RA", "DE"), "motion": ProperMotion("pmRA", "pmDE", 1.0)},
            "positions have no epoch",
        ),
        ({"positions": PositionColumns("RA", "DE", Epoch(2000.0, "Ep"))}, "not both"),
        ({"positions": PositionColumns("RA", "DE", Epoch())}, "not both or neither"),
        ({"positions": PositionColumns("RA", "DE", Epoch(column="JD", unit="s"))}, "unit"),
        ({"positions": PositionColumns("RA", "DE", Epoch(math.nan))}, "finite"),
        (
            {
                "positions": PositionColumns("RA", "DE", Epoch(2000.0)),
                "motion": ProperMotion("pmRA", "pmDE", -1.0),
            },
            "max_mas_yr",
        ),
        ({"fallback": "RA"}, "fallback must be a PositionColumns"),
    ],
)
def test_bad_catalog_specs_are_refused(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "name": "X",
        "vizier_id": "I/1",
        "name_columns": ("ID",),
        "mag_column": None,
    }
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        CatalogSpec(**args)  # type: ignore[arg-type]


def test_search_margin_grows_with_time_from_the_searched_epoch_for_moving_catalogs_only() -> None:
    tycho = get_catalog("Tycho2")
    fastest = math.hypot(6544.2, 10277.3)  # Tycho-2's ReadMe ranges of pmRA and pmDE
    assert tycho.search_margin_arcsec(2015.0, 2000.0) == pytest.approx(fastest * 15 / 1000)
    assert tycho.search_margin_arcsec(1990.0, 2000.0) == pytest.approx(fastest * 10 / 1000)
    assert tycho.search_margin_arcsec(2000.0, 2000.0) == 0.0
    assert get_catalog("2MASS").search_margin_arcsec(2015.0, 2000.0) == 0.0


def test_epochs_in_julian_years_julian_dates_and_years_since_1990() -> None:
    assert Epoch(2016.0).years(None, 3).tolist() == [2016.0] * 3
    assert Epoch(column="EpRA-1990", zero=1990.0).years([1.25, np.nan], 2)[0] == 1991.25
    assert np.isnan(Epoch(column="EpRA-1990", zero=1990.0).years([1.25, np.nan], 2)[1])
    # a Julian date: JD 2451545.0 is J2000.0, and a Julian year is 365.25 days
    jd = Epoch(column="JD", unit="d").years([2451545.0, 2451545.0 + 365.25 * 1.5], 2)
    assert jd.tolist() == [2000.0, 2001.5]


def test_propagation_of_a_known_star_to_2015() -> None:
    # a star on the equator moving 1"/yr north and 2"/yr east (on the sky) for 15 years
    ra, dec = propagate_proper_motion([10.0], [0.0], [2000.0], [1000.0], 2000.0, 2015.0)
    moved = SkyCoord(ra[0] * u.deg, dec[0] * u.deg)
    start = SkyCoord(10.0 * u.deg, 0.0 * u.deg)
    assert start.separation(moved).to_value(u.mas) == pytest.approx(np.hypot(30e3, 15e3), 1e-6)
    assert dec[0] * 3.6e6 == pytest.approx(15_000.0, abs=0.01)  # 15" north, in mas
    assert (ra[0] - 10.0) * 3.6e6 == pytest.approx(30_000.0, abs=0.01)


@pytest.mark.parametrize("target", [1990.0, 2015.0, 2024.5])
def test_propagation_agrees_with_astropy_space_motion(target: float) -> None:
    ra = np.array([269.452, 10.0, 45.0, 200.0, 0.1])
    dec = np.array([4.69, 89.9, -30.0, -89.95, 0.0])
    pmra = np.array([-798.6, 200.0, 50.0, 1500.0, -100.0])
    pmdec = np.array([10328.1, -300.0, 20.0, 5.0, 0.0])
    star = SkyCoord(
        ra=ra * u.deg,
        dec=dec * u.deg,
        pm_ra_cosdec=pmra * u.mas / u.yr,
        pm_dec=pmdec * u.mas / u.yr,
        distance=1e6 * u.pc,
        radial_velocity=0 * u.km / u.s,
        obstime=Time(2016.0, format="jyear"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = star.apply_space_motion(new_obstime=Time(target, format="jyear"))
    new_ra, new_dec = propagate_proper_motion(ra, dec, pmra, pmdec, 2016.0, target)
    sep = SkyCoord(new_ra * u.deg, new_dec * u.deg).separation(expected).to_value(u.mas)
    assert np.all(sep < 0.01)
    assert np.all((new_ra >= 0) & (new_ra < 360))


def test_missing_proper_motions_count_as_zero_and_epochs_may_vary() -> None:
    ra, dec = propagate_proper_motion(
        [30.0, 30.0], [10.0, 10.0], [np.nan, 100.0], [np.nan, 0.0], [2000.0, 2010.0], 2015.0
    )
    assert ra[0] == pytest.approx(30.0, abs=1e-12) and dec[0] == pytest.approx(10.0, abs=1e-12)
    sep = SkyCoord(30 * u.deg, 10 * u.deg).separation(SkyCoord(ra[1] * u.deg, dec[1] * u.deg))
    assert sep.to_value(u.mas) == pytest.approx(500.0, rel=1e-6)


def test_stars_near_positions_is_inclusive_and_uses_the_nearest_position() -> None:
    src_ra, src_dec = np.array([10.0, 10.1]), np.array([20.0, 20.0])
    offsets = np.array([0.0, 2.999, 3.0005, 5.0]) / 3600.0
    star_ra = np.concatenate([np.full(4, 10.0), [10.1, np.nan]])
    star_dec = np.concatenate([20.0 + offsets, [20.0 + 2.0 / 3600], [20.0]])
    mask = stars_near_positions(star_ra, star_dec, src_ra, src_dec, 3.0)
    assert mask.tolist() == [True, True, False, False, True, False]
    assert stars_near_positions([], [], src_ra, src_dec, 3.0).shape == (0,)


def test_counterpart_table_is_sorted_deduplicated_and_typed() -> None:
    table = counterpart_table(
        "Tycho2",
        ["b", "a", "b", "c"],
        [2.0, 1.0, 2.0, 3.0],
        [0.0, 0.0, 0.0, 0.0],
        np.ma.MaskedArray([1.0, 2.0, 1.0, 3.0], mask=[False, False, False, True]),
    )
    assert table.colnames == ["catalog", "name", "ra", "dec", "mag"]
    assert table["name"].tolist() == ["a", "b", "c"]
    assert table["catalog"].tolist() == ["Tycho2"] * 3
    assert table["ra"].dtype == np.float64 and table["mag"].dtype == np.float32
    assert np.isnan(table["mag"][2])
    empty = catalogs.empty_counterpart_table()
    assert len(empty) == 0 and empty.colnames == list(catalogs.COUNTERPART_COLUMNS)
    with pytest.raises(ValidationError, match="different lengths"):
        counterpart_table("X", ["a"], [1.0, 2.0], [0.0], [1.0])
