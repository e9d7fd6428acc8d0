"""Legacy names of :mod:`astromon.cross_match`: SIM-Z, the VizieR catalogs, ``get_vizier``.

Everything here is a view of the catalog registry (:mod:`astromon.domain.catalogs`), the
nominal SIM-Z of the filters (:mod:`astromon.domain.filters`) and the catalog service
(:meth:`astromon.bootstrap.Astromon.catalogs`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import numpy as np
from astropy import units as u
from astropy.table import Table

from astromon.domain.catalogs import CATALOGS, COUNTERPART_COLUMNS, CatalogSpec, get_catalog
from astromon.domain.errors import ValidationError
from astromon.domain.filters import NOMINAL_SIM_Z
from astromon.domain.schema import get_spec
from astromon.domain.validation import require_flag, require_instance, require_names, require_text
from astromon.ports.catalog import CatalogService

__all__ = ["CROSS_MATCH_DTYPE", "SIM_Z", "VIZIER_CATALOGS", "get_vizier"]

SIM_Z: Final[Mapping[str, float]] = MappingProxyType(NOMINAL_SIM_Z)
"""Nominal SIM-Z (mm) of each detector: ACIS-I, ACIS-S, HRC-I, HRC-S (read-only)."""


def _counterpart_dtype() -> np.dtype[Any]:
    spec = get_spec("astromon_cat_src")
    fields = []
    for name in COUNTERPART_COLUMNS:
        column = spec.column(name)
        fields.append((name, f"<U{column.legacy_bytes}" if column.kind == "str" else column.dtype))
    return np.dtype(fields)


CROSS_MATCH_DTYPE: Final = _counterpart_dtype()
"""Row type of a catalog search (:func:`get_vizier`): catalog, name, ra, dec (deg), mag."""


def _vizier_entry(spec: CatalogSpec) -> dict[str, Any]:
    columns = {"ra": spec.ra_column, "dec": spec.dec_column}
    if spec.mag_column is not None:
        columns["mag"] = spec.mag_column
    return {
        "catalog": spec.name,
        "cat_identifier": spec.vizier_id,
        "name_cols": list(spec.name_columns),
        "columns": columns,
    }


class _VizierCatalogs(Mapping[str, dict[str, Any]]):
    """Read-only view of the catalog registry in the legacy layout.

    Each value is a new dict ``{catalog, cat_identifier, name_cols, columns}`` (``columns``
    maps ra, dec and mag to the VizieR columns); catalogs added with
    :func:`astromon.domain.catalogs.register_catalog` appear here too.
    """

    def __getitem__(self, name: str) -> dict[str, Any]:
        return _vizier_entry(CATALOGS[name])

    def __iter__(self) -> Iterator[str]:
        return iter(list(CATALOGS))

    def __len__(self) -> int:
        return len(CATALOGS)

    def __repr__(self) -> str:
        return f"VIZIER_CATALOGS({list(CATALOGS)})"


VIZIER_CATALOGS: Final = _VizierCatalogs()
"""Catalog name → ``{catalog, cat_identifier, name_cols, columns}`` (the catalog registry)."""


def _check_same(catalog: str, what: str, given: Any, registered: Any) -> None:
    if given is not None and given != registered:
        raise ValidationError(
            f"catalog {catalog!r} is registered with {what} {registered!r}, got {given!r}; "
            "register a CatalogSpec (astromon.domain.catalogs.register_catalog) for another table"
        )


def get_vizier(
    pos: Any,
    catalog: str,
    cat_identifier: str | None = None,
    name_cols: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    radius: Any = 3 * u.arcsec,
    logging_tag: str = "",
    use_astroquery: bool = True,
    raw: bool = False,
    *,
    catalog_service: CatalogService | None = None,
) -> Table:
    """Stars of a registered catalog within ``radius`` of the positions ``pos``.

    Positions of catalogs with proper motions are moved to the epoch of ``pos.obstime``.

    Parameters
    ----------
    pos : astropy.coordinates.SkyCoord
        Positions, with ``obstime`` (the observation time).
    catalog : str
        A registered catalog name (a key of :data:`VIZIER_CATALOGS`).
    cat_identifier, name_cols : optional
        If given, they must be the registered VizieR id and name columns of ``catalog``.
    columns : mapping, optional
        Ignored: the registry says which columns hold the positions and magnitude.
    radius : astropy.units.Quantity or float
        Search radius (a float is arcsec).
    logging_tag : str
        Unused; kept for compatibility.
    use_astroquery : bool
        Unused: the configured catalog service answers either way.
    raw : bool
        Must be False (the unparsed VizieR tables are not available).
    catalog_service : CatalogService, optional
        Default :meth:`astromon.bootstrap.Astromon.catalogs`.

    Returns
    -------
    astropy.table.Table
        Columns catalog, name, ra, dec (degrees), mag; each star once.

    Raises
    ------
    ValidationError
        Unknown catalog, mismatching ``cat_identifier``/``name_cols``, ``raw=True``, no
        ``obstime``, a bad radius.
    CatalogError
        The catalog cannot be searched.
    """
    from astromon.services.crossmatch.counterparts import observation_epoch

    require_text("catalog", catalog)
    require_text("cat_identifier", cat_identifier, optional=True)
    name_cols = require_names("name_cols", name_cols, optional=True)
    raw = require_flag("raw", raw)
    require_flag("use_astroquery", use_astroquery)
    require_instance("catalog_service", catalog_service, CatalogService, "a CatalogService")
    if not (hasattr(pos, "icrs") and hasattr(pos, "obstime")):
        raise ValidationError(f"pos must be a SkyCoord with obstime, got {type(pos).__name__}")
    spec = get_catalog(catalog)
    _check_same(catalog, "VizieR id", cat_identifier, spec.vizier_id)
    _check_same(
        catalog, "name columns", None if name_cols is None else tuple(name_cols), spec.name_columns
    )
    if raw:
        raise ValidationError("get_vizier(raw=True) is not supported: the result is always parsed")
    if getattr(pos, "obstime", None) is None:
        raise ValidationError("pos must be a SkyCoord with obstime (the observation time)")
    try:
        radius_arcsec = float(u.Quantity(radius, u.arcsec).to_value(u.arcsec))
    except (TypeError, ValueError, u.UnitsError):
        raise ValidationError(f"radius must be an angle or arcsec, got {radius!r}") from None
    if catalog_service is None:
        from astromon.bootstrap import current

        catalog_service = current().catalogs()
    icrs = pos.icrs
    ra = np.atleast_1d(icrs.ra.deg)
    dec = np.atleast_1d(icrs.dec.deg)
    return catalog_service.query(catalog, ra, dec, radius_arcsec, observation_epoch(pos.obstime))
