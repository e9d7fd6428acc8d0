"""Recomputing a standard or custom cross-match over a whole database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from astropy.table import Table

from astromon.domain.alignment.stored import alignment_rows
from astromon.domain.crossmatch import CROSS_MATCHES
from astromon.domain.errors import MissingTableException, ValidationError
from astromon.domain.schema import empty_table, to_schema
from astromon.ports.store import Store, TableWrite
from astromon.services import interrupts
from astromon.services.crossmatch import matches as cross_matching
from astromon.services.crossmatch.alignment import alignment_write

__all__ = ["recompute_cross_match"]


def recompute_cross_match(
    store: Store,
    name: str | None = None,
    *,
    select_name: str | None = None,
    exclude_regions: bool = False,
    exclude_bad_targets: bool = False,
    dry_run: bool = False,
    stored: Callable[[Table], None] | None = None,
    **kwargs: Any,
) -> Table:
    """Recompute a standard or custom cross-match over the database and store it.

    The rows of ``astromon_xcorr`` with the cross-match's ``select_name``, and its
    per-observation alignment in ``astromon_alignment`` (fitted with the default options),
    are replaced in one transaction; rows of other cross-matches stay.

    Parameters
    ----------
    store : Store
        The database (read for the input tables, written unless ``dry_run``).
    name : str, optional
        A standard cross-match (``astromon_21``, ``astromon_22``) or a method (``simple``);
        see ``compute_cross_matches``.
    select_name : str, optional
        Name the rows are stored under (default: the cross-match's own name). Required for
        a custom cross-match, so that it never overwrites a standard one by accident.
    exclude_regions, exclude_bad_targets : bool
        As in ``compute_cross_matches``.
    dry_run : bool
        Compute only; nothing is written.
    stored : callable, optional
        Called with the stored rows right after the save, in one section with it that Ctrl-C
        or SIGTERM does not cut (:func:`astromon.services.interrupts.shielded`): what it
        reports as stored is stored, and a save is never left unreported.
    **kwargs
        Arguments of the method (catalogs, snr, r_angle, dr, r_angle_grating,
        near_neighbor_dist, start, stop; offsets in arcsec).

    Returns
    -------
    astropy.table.Table
        The stored ``astromon_xcorr`` rows.

    Raises
    ------
    ValidationError
        A custom cross-match without ``select_name``, or one named like a standard
        cross-match.
    """
    if name is not None and name not in CROSS_MATCHES:
        cross_matching.resolve_cross_match(name, {})  # unknown names: error listing valid ones
    standard = name in CROSS_MATCHES if name is not None else not kwargs
    if not standard:
        if not select_name:
            raise ValidationError("a custom cross-match needs a select_name to be stored under")
        if select_name in CROSS_MATCHES:
            raise ValidationError(
                f"select_name {select_name!r} is a standard cross-match; choose another name"
            )
    matches = cross_matching.compute_cross_matches(
        store,
        name,
        exclude_regions=exclude_regions,
        exclude_bad_targets=exclude_bad_targets,
        **kwargs,
    )
    target = select_name or ("astromon_21" if name is None or name == "default" else name)
    rows = to_schema("astromon_xcorr", matches) if len(matches) else empty_table("astromon_xcorr")
    rows["select_name"] = np.asarray([target] * len(rows), dtype=str)
    rows = to_schema("astromon_xcorr", rows)
    if dry_run:
        return rows
    try:
        current = store.read_table("astromon_xcorr")
    except MissingTableException:
        current = empty_table("astromon_xcorr")
    keep = current[np.asarray(current["select_name"]).astype(str) != target]
    from astropy.table import vstack

    merged = to_schema("astromon_xcorr", vstack([to_schema("astromon_xcorr", keep), rows]))
    alignment = alignment_write(store, target, alignment_rows(matches, target))
    with interrupts.shielded():
        store.save_many([TableWrite("astromon_xcorr", merged, ignore_obsid=True), alignment])
        if stored is not None:
            stored(rows)
    return rows
