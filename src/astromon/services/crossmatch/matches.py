"""Use cases of cross-matching: read a stored cross-match, compute a new one.

Both work over a :class:`~astromon.ports.store.Store`; the science is in
:mod:`astromon.domain.crossmatch` and :mod:`astromon.domain.filters`.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
from astropy.table import Table

from astromon.domain.crossmatch import (
    CROSS_MATCH_METHODS,
    CROSS_MATCHES,
    STANDARD_CROSS_MATCHES,
    add_derived_columns,
    finish_matches,
)
from astromon.domain.errors import ValidationError
from astromon.domain.filters import (
    filter_matches,
    get_bad_target_mask,
    get_excluded_regions_mask,
)
from astromon.ports.store import Store
from astromon.services.crossmatch.parallel import parallel_map
from astromon.services.storage.regions import read_regions

__all__ = ["compute_cross_matches", "get_cross_matches", "read_regions", "resolve_cross_match"]

logger = logging.getLogger(__name__)


def get_cross_matches(store: Store, name: str = "astromon_21", **kwargs: Any) -> Table:
    """A stored cross-match with its observations and sources, filtered.

    Parameters
    ----------
    store : Store
        Where the tables are.
    name : str
        ``select_name`` of the stored cross-match.
    **kwargs
        Criteria of :func:`astromon.domain.filters.filter_matches` (``snr``, ``dr`` in arcsec,
        ``sim_z`` in mm, ``exclude_regions``, ``exclude_bad_targets``, column=value ...).

    Returns
    -------
    astropy.table.Table
        The 38 joined columns plus ``category``, ``time``, ``c_loc``, ``x_loc``; sorted by
        obsid, x_id and indexed on obsid.

    Raises
    ------
    MissingTableException
        A needed table is absent from the store.
    ValidationError
        Invalid filter arguments.
    """
    if not isinstance(name, str):
        raise ValidationError(f"name must be a string, got {name!r}")
    matches = store.read_cross_matches(name)
    regions = read_regions(store) if kwargs.get("exclude_regions") else None
    mask = filter_matches(matches, regions=regions, **kwargs)
    if not mask.all():
        matches = matches[np.flatnonzero(mask)]
    add_derived_columns(matches)
    return finish_matches(matches)


def resolve_cross_match(name: str | None, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The method and its arguments for ``compute_cross_matches(name, **kwargs)``.

    ``None`` means ``'default'`` without kwargs and ``'simple'`` with them. A standard name
    (:data:`~astromon.domain.crossmatch.CROSS_MATCHES`) uses its argument set and ignores
    ``kwargs`` with a warning. A method name uses ``kwargs``; the matches get the
    ``select_name`` given in ``kwargs``, by default the method's name.

    Raises
    ------
    ValidationError
        ``name`` is neither a standard cross-match nor a method (valid names listed).
    """
    if name is None:
        name = "simple" if kwargs else "default"
    if name in CROSS_MATCHES:
        if kwargs:
            warnings.warn(
                f"{name!r} is a standard cross-match: ignoring the arguments {sorted(kwargs)}",
                UserWarning,
                stacklevel=3,
            )
        args = STANDARD_CROSS_MATCHES[name].as_dict()
        return str(args.pop("method")), args
    if isinstance(name, str) and name in CROSS_MATCH_METHODS:
        args = dict(kwargs)
        args.pop("method", None)
        args["name"] = args.pop("select_name", name)
        return name, args
    raise ValidationError(
        f"unknown cross-match {name!r}; standard cross-matches: {CROSS_MATCHES}, "
        f"methods: {sorted(CROSS_MATCH_METHODS)}"
    )


def compute_cross_matches(
    store: Store | None,
    name: str | None = None,
    astromon_obs: Table | None = None,
    astromon_xray_src: Table | None = None,
    astromon_cat_src: Table | None = None,
    exclude_regions: bool = False,
    exclude_bad_targets: bool = False,
    logging_tag: str = "",
    **kwargs: Any,
) -> Table:
    """Cross-match x-ray sources with catalog counterparts.

    Parameters
    ----------
    store : Store or None
        Where tables not given come from (and the regions, with ``exclude_regions``).
    name : str or None
        A standard cross-match (``'astromon_21'``, ``'astromon_22'``, ``'default'``) or a
        method (``'simple'``); see :func:`resolve_cross_match`.
    astromon_obs, astromon_xray_src, astromon_cat_src : astropy.table.Table, optional
        The input tables; missing ones are read from ``store``.
    exclude_regions : bool
        Drop matches whose x-ray source lies in an excluded region of ``store``.
    exclude_bad_targets : bool
        Drop matches of known bad targets.
    logging_tag : str
        Prefix of log messages.
    **kwargs
        Arguments of the method (for ``simple``: catalogs, snr, r_angle (arcsec), dr
        (arcsec), r_angle_grating (arcsec), near_neighbor_dist (arcsec), start, stop) and
        ``select_name`` (name of the resulting cross-match; default: the method's name).

    Returns
    -------
    astropy.table.Table
        The matches with ``cat_order``, ``category``, ``time``, ``c_loc`` and ``x_loc``,
        sorted by obsid, x_id and indexed on obsid.

    Raises
    ------
    ValidationError
        Unknown name, invalid arguments, or a table missing without a store to read it from.
    MissingTableException
        A table is absent from the store.
    """
    method, args = resolve_cross_match(name, dict(kwargs))
    tables = {
        "astromon_obs": astromon_obs,
        "astromon_xray_src": astromon_xray_src,
        "astromon_cat_src": astromon_cat_src,
    }
    absent = [table_name for table_name, table in tables.items() if table is None]
    if absent and store is None:
        raise ValidationError(f"{absent[0]} was not given and there is no store to read")
    if absent and store is not None:  # one snapshot: never half of a concurrent save
        tables.update(store.read_tables(absent))
    prefix = f"{logging_tag} " if logging_tag else ""
    logger.debug("%scross-match %r with %s", prefix, method, args)
    matches = CROSS_MATCH_METHODS[method](
        tables["astromon_obs"],
        tables["astromon_xray_src"],
        tables["astromon_cat_src"],
        mapper=parallel_map,
        **args,
    )
    add_derived_columns(matches)
    keep = np.ones(len(matches), dtype=np.bool_)
    if exclude_bad_targets:
        keep &= ~get_bad_target_mask(matches)
    if exclude_regions:
        if store is None:
            raise ValidationError("exclude_regions=True needs a store to read the regions from")
        keep &= ~get_excluded_regions_mask(matches, read_regions(store))
    if not keep.all():
        matches = matches[np.flatnonzero(keep)]
    logger.info("%s%d cross-matches (%s)", prefix, len(matches), args.get("name", method))
    return finish_matches(matches)
