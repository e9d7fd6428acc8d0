"""The catalog port: cone searches in reference catalogs (VizieR, local catalog files)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from astropy.table import Table
from numpy.typing import ArrayLike

__all__ = ["CatalogProbe", "CatalogService"]


@runtime_checkable
class CatalogService(Protocol):
    """Finds catalog stars around a set of positions.

    ``catalog`` is a name of the catalog registry (``astromon.domain.catalogs``).
    """

    def query(
        self,
        catalog: str,
        ra: ArrayLike,
        dec: ArrayLike,
        radius_arcsec: float,
        epoch: float,
    ) -> Table:
        """Stars within ``radius_arcsec`` of any of the (ra, dec) positions (degrees).

        All positions go in one query. ``epoch`` is the observation time as a Julian epoch
        (years, TT; e.g. ``CxoTime(t).jyear``); every star with a proper motion is moved to
        that epoch, the others stay where their catalog puts them (the one path of
        :mod:`astromon.domain.star_positions`), and the radius is measured from there.

        Returns a table with columns catalog (str), name (str), ra, dec (degrees, float64) and
        mag (float32, NaN when the catalog has none); each star once (see
        :func:`astromon.domain.catalogs.counterpart_table`).

        Raises ValidationError for catalog names that are not registered, and CatalogError
        naming the catalog and the server or file when it cannot answer.
        """
        ...


@runtime_checkable
class CatalogProbe(Protocol):
    """Checks that a catalog service can answer for a catalog (for ``astromon doctor``)."""

    def missing_columns(self, catalog: str) -> list[str]:
        """The columns astromon reads from ``catalog`` that one tiny query does not return.

        Raises CatalogError naming the catalog and the server when the query fails.
        """
        ...
