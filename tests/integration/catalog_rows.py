"""Test stars, and the rows each catalog gives for them: in VizieR's columns, and in a file.

A :class:`Star` is where a catalog puts a star (a position at its epoch and a proper motion,
or none). :func:`vizier_row` writes it in the columns and units of the catalog's VizieR table
(see :mod:`tests.integration.fake_vizier` for the sources), :func:`local_row` as a row of a
local catalog file (``ra``, ``dec`` at ``epoch``, ``pmra``/``pmdec`` with cos(dec)). Both are
written here from the catalogs' descriptions, not from astromon's catalog table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from astropy.coordinates import Angle
from astropy.table import Table

from tests.integration.fake_vizier import move

NO_MOTION = math.nan


@dataclass(frozen=True)
class CatalogTable:
    """A catalog's VizieR table and the epoch of its positions (None: each star's own)."""

    table_id: str
    epoch: float | None
    moves: bool


CATALOG_TABLES: dict[str, CatalogTable] = {
    "Tycho2": CatalogTable("I/259/tyc2", 2000.0, True),
    "ICRS": CatalogTable("I/323/icrf2", None, False),
    "USNO-B1.0": CatalogTable("I/284/out", 2000.0, True),
    "HIP": CatalogTable("I/239/hip_main", 1991.25, True),
    "HIP2": CatalogTable("I/311/hip2", 1991.25, True),
    "UCAC4": CatalogTable("I/322A/out", 2000.0, True),
    "2MASS": CatalogTable("II/246/out", None, False),
    "SDSS": CatalogTable("II/294/sdss7", None, True),
    "Gaia2": CatalogTable("I/345/gaia2", 2015.5, True),
    "Gaia3": CatalogTable("I/355/gaiadr3", 2016.0, True),
}


@dataclass(frozen=True)
class Star:
    """A catalog star: position (degrees) at the Julian ``epoch``, motion in mas/yr
    (``pmra`` with cos(dec); NaN for a star without motion), magnitude, astromon's name."""

    name: str
    ra: float
    dec: float
    epoch: float
    pmra: float = NO_MOTION
    pmdec: float = NO_MOTION
    mag: float = 12.0

    @property
    def moves(self) -> bool:
        return math.isfinite(self.pmra) and math.isfinite(self.pmdec)

    def at(self, epoch: float) -> tuple[float, float]:
        """Where the star is at the Julian ``epoch`` (independently of astromon's code)."""
        if not self.moves:
            return self.ra, self.dec
        return move(self.ra, self.dec, self.pmra, self.pmdec, self.epoch, epoch)


def _at_catalog_epoch(catalog: str, star: Star) -> None:
    table = CATALOG_TABLES[catalog]
    if table.epoch is not None and star.moves:
        assert star.epoch == table.epoch, f"{catalog} positions are at {table.epoch}"


def vizier_row(catalog: str, star: Star) -> dict[str, Any]:
    """The row of ``catalog``'s VizieR table for ``star`` (its columns, units and blanks)."""
    _at_catalog_epoch(catalog, star)
    pm = {"pmRA": star.pmra if star.moves else None, "pmDE": star.pmdec if star.moves else None}
    jd = 2451545.0 + (star.epoch - 2000.0) * 365.25
    if catalog == "Tycho2":
        t1, t2, t3 = (int(p) for p in star.name.split("-"))
        row = {"TYC1": t1, "TYC2": t2, "TYC3": t3, "BTmag": star.mag + 0.5, "VTmag": star.mag}
        if not star.moves:  # pflag X: no mean position, no motion; the observed one
            return {**row, "pflag": "X", "RA(ICRS)": star.ra, "DE(ICRS)": star.dec,
                    "EpRA-1990": star.epoch - 1990.0, "EpDE-1990": star.epoch - 1990.0}  # fmt: skip
        observed = star.at(1991.5)
        return {**row, "pflag": "", "RAmdeg": star.ra, "DEmdeg": star.dec, **pm,
                "EpRAm": 1960.0, "EpDEm": 1961.0, "RA(ICRS)": observed[0],
                "DE(ICRS)": observed[1], "EpRA-1990": 1.5, "EpDE-1990": 1.5}  # fmt: skip
    if catalog == "ICRS":
        return {"ICRF": star.name, "RAJ2000": star.ra, "DEJ2000": star.dec, "Type": "D"}
    if catalog == "USNO-B1.0":
        assert not star.moves or star.pmra == round(star.pmra), "USNO-B1.0 motions are integers"
        return {"USNO-B1.0": star.name, "RAJ2000": star.ra, "DEJ2000": star.dec, "Epoch": 1978.3,
                **pm, "Ndet": 4, "R1mag": star.mag, "B1mag": star.mag + 1.0}  # fmt: skip
    if catalog == "HIP":
        hms = Angle(star.ra, "deg").to_string(unit="hourangle", sep=" ", precision=2)
        return {"HIP": int(star.name), "RAhms": hms, "RAICRS": star.ra, "DEICRS": star.dec,
                **pm, "Vmag": star.mag, "Plx": 20.0}  # fmt: skip
    if catalog == "HIP2":
        return {"HIP": int(star.name), "RArad": star.ra, "DErad": star.dec, **pm,
                "Hpmag": star.mag, "Plx": 20.0}  # fmt: skip
    if catalog == "UCAC4":
        return {"UCAC4": star.name, "RAJ2000": star.ra, "DEJ2000": star.dec, **pm,
                "f.mag": star.mag, "EpRA": 1998.2, "EpDE": 1998.4}  # fmt: skip
    if catalog == "2MASS":
        return {"RAJ2000": star.ra, "DEJ2000": star.dec, "2MASS": star.name, "Kmag": star.mag,
                "Jmag": star.mag + 0.8, "Qflg": "AAA", "JD": jd}  # fmt: skip
    if catalog == "SDSS":
        return {"RAJ2000": star.ra, "DEJ2000": star.dec, "SDSS": star.name, "cl": 6,
                "ObsDate": star.epoch, "rmag": star.mag, **pm}  # fmt: skip
    if catalog in ("Gaia2", "Gaia3"):
        return {"RA_ICRS": star.ra, "DE_ICRS": star.dec, "Source": int(star.name), **pm,
                "Gmag": star.mag, "Epoch": CATALOG_TABLES[catalog].epoch}  # fmt: skip
    raise AssertionError(f"no VizieR table for {catalog}")


def local_row(catalog: str, star: Star) -> dict[str, Any]:
    """The row of a local catalog file for ``star``."""
    return {
        "catalog": catalog,
        "name": star.name,
        "ra": star.ra,
        "dec": star.dec,
        "pmra": star.pmra,
        "pmdec": star.pmdec,
        "epoch": star.epoch,
        "mag": math.nan if catalog == "ICRS" else star.mag,  # the ICRF gives no magnitude
    }


def vizier_catalogs(stars: dict[str, list[Star]]) -> dict[str, list[dict[str, Any]]]:
    """The rows of the fake VizieR server for ``{catalog: stars}``."""
    return {
        CATALOG_TABLES[catalog].table_id: [vizier_row(catalog, s) for s in catalog_stars]
        for catalog, catalog_stars in stars.items()
    }


def local_table(stars: dict[str, list[Star]]) -> Table:
    """A local catalog file's table (one file, a ``catalog`` column) for ``{catalog: stars}``."""
    rows = [local_row(c, s) for c, catalog_stars in stars.items() for s in catalog_stars]
    return Table(rows=rows, names=list(rows[0]))
