"""The plain way to find USNO-B1.0 stars near sources through VizieR: ONLY the comparator of
the ``vizier_cones`` benchmark case.

One cone per source (in one astroquery request), widened by how far USNO-B1.0's fastest star
moves between J2000, where VizieR applies its cone, and the observation: each motion
component is stored within +-10"/yr (Monet et al. 2003), so 14.14"/yr. Every star is moved
with astropy's ``SkyCoord.apply_space_motion`` (a blank motion: the star stays) and kept when
within the radius of a source (``SkyCoord.search_around_sky``). It shares no code with
astromon's VizieR adapter.

Units: degrees, arcsec, mas/yr, Julian years.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Final

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from astroquery.vizier import VizierClass
from numpy.typing import ArrayLike

__all__ = ["USNO_B_FASTEST_MAS_YR", "widened_cone_names"]

USNO_B_FASTEST_MAS_YR: Final = math.hypot(10_000.0, 10_000.0)
"""The fastest motion USNO-B1.0 can hold (mas/yr)."""

_COLUMNS: Final = ["USNO-B1.0", "RAJ2000", "DEJ2000", "pmRA", "pmDE"]


class _VizierAt(VizierClass):  # type: ignore[misc]
    """astroquery's Vizier at a plain base URL (astroquery itself always uses HTTPS)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._base_url = base_url

    def _server_to_url(self, return_type: str = "votable") -> str:
        return f"{self._base_url}/viz-bin/{return_type}"


def _filled(column: Any) -> Any:
    return np.ma.filled(np.ma.asarray(column, dtype=float), np.nan)


def widened_cone_names(
    url: str, ra: ArrayLike, dec: ArrayLike, radius_arcsec: float, epoch: float
) -> list[str]:
    """Names of the USNO-B1.0 stars within ``radius_arcsec`` of a source at ``epoch``."""
    sources = SkyCoord(ra, dec, unit="deg")
    cone = radius_arcsec + USNO_B_FASTEST_MAS_YR * abs(epoch - 2000.0) / 1000.0 + 0.01
    vizier = _VizierAt(url, columns=_COLUMNS, row_limit=-1, timeout=600)
    (table,) = vizier.query_region(sources, radius=cone * u.arcsec, catalog="I/284", cache=False)
    pmra, pmdec = _filled(table["pmRA"]), _filled(table["pmDE"])
    still = ~(np.isfinite(pmra) & np.isfinite(pmdec))
    star = SkyCoord(
        ra=np.asarray(table["RAJ2000"], dtype=float) * u.deg,
        dec=np.asarray(table["DEJ2000"], dtype=float) * u.deg,
        pm_ra_cosdec=np.where(still, 0.0, pmra) * u.mas / u.yr,
        pm_dec=np.where(still, 0.0, pmdec) * u.mas / u.yr,
        distance=np.ones(len(table)) * u.kpc,
        radial_velocity=np.zeros(len(table)) * u.km / u.s,
        obstime=Time(2000.0, format="jyear", scale="tt"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        moved = star.apply_space_motion(new_obstime=Time(epoch, format="jyear", scale="tt"))
    near, _, _, _ = sources.search_around_sky(  # indices of the stars, then of the sources
        SkyCoord(moved.ra, moved.dec), radius_arcsec * u.arcsec
    )
    return sorted({str(n) for n in np.asarray(table["USNO-B1.0"])[near]})
