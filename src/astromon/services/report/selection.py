"""The report's selection of cross-matches, and the same selection in words for its page.

The standard selection (that of the system we replace, sot/astromon's ``web/celmon.py``):
the ``astromon_21`` cross-matches with S/N >= 5 (3 for the operations view), SIM-Z within
4 mm of the detector's nominal value, known bad targets and three observation categories left
out, and sources with CalDB version "0.0" dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
from astropy.table import Table

from astromon.domain.crossmatch import STANDARD_CROSS_MATCHES
from astromon.domain.errors import ValidationError
from astromon.domain.filters import BAD_TARGETS
from astromon.ports.store import Store
from astromon.services.crossmatch.matches import get_cross_matches

__all__ = [
    "EXCLUDED_CATEGORIES",
    "describe_selection",
    "select_matches",
    "standard_selection",
]

EXCLUDED_CATEGORIES: Final[tuple[str, ...]] = (
    "SN, SNR, and Isolated NS",
    "Solar System and Misc",
    "Clusters of Galaxies",
)
"""Observation categories left out of the report (they confound source detection)."""


def standard_selection(snr: float = 5.0) -> dict[str, Any]:
    """The report's selection, as ``filter_matches`` arguments.

    ``snr`` is 5 for the calibration view and 3 for the operations view.
    """
    if not (np.isfinite(snr) and snr >= 0):
        raise ValidationError(f"snr must be a non-negative number, got {snr!r}")
    return {
        "snr": float(snr),
        "exclude_bad_targets": True,
        "sim_z": 4.0,
        "exclude_categories": list(EXCLUDED_CATEGORIES),
    }


def select_matches(
    store: Store, *, snr: float = 5.0, name: str = "astromon_21", **filters: Any
) -> Table:
    """The cross-matches the report uses: the standard selection, without caldb "0.0" rows.

    Parameters
    ----------
    store : Store
        The database.
    snr : float
        Minimum signal-to-noise ratio (5 standard, 3 for the operations view).
    name : str
        The standard cross-match to read.
    **filters
        More criteria of :func:`astromon.domain.filters.filter_matches` (``r_angle``, ``dr``,
        ``exclude_regions``, column=value ...), applied with the standard selection.
    """
    matches = get_cross_matches(store, name, **{**standard_selection(snr), **filters})
    caldb = np.char.strip(np.asarray(matches["caldb_version"]).astype(str))
    return matches[caldb != "0.0"]


def _cross_match_words(name: str) -> str:
    standard = STANDARD_CROSS_MATCHES.get(name)
    if standard is None:
        return f"The stored cross-match {name!r}."
    k = standard.keywords
    catalogs = ", ".join(str(c) for c in k["catalogs"])
    return (
        f"The {name!r} cross-match: x-ray sources with S/N above {k['snr']:g} and no other "
        f'source within {k["near_neighbor_dist"]:g}", less than {k["r_angle"]:g}" from the '
        f'optical axis ({k["r_angle_grating"]:g}" in grating observations), each matched to '
        f'a catalog counterpart less than {k["dr"]:g}" away; where several catalogs have a '
        f"counterpart, the first of {catalogs} is used."
    )


def _filter_words(key: str, value: Any) -> str:
    if key == "snr":
        return f"Sources with S/N >= {float(value):g}."
    if key == "sim_z":
        return (
            f"Observations with the SIM-Z within {float(value):g} mm of the detector's "
            "nominal value."
        )
    if key == "exclude_bad_targets":
        targets = ", ".join(BAD_TARGETS)
        return f"Targets known to confound source detection left out ({targets})."
    if key == "exclude_categories":
        return "Observation categories left out: " + "; ".join(str(v) for v in value) + "."
    if key == "exclude_regions":
        return "Sources in excluded regions left out."
    if key in ("dr", "r_angle", "r_angle_grating", "near_neighbor_dist"):
        return f'{key} <= {float(value):g}".'
    return f"{key} = {value}."


def describe_selection(selection: Mapping[str, Any], cross_match: str | None) -> tuple[str, ...]:
    """The selection in words, one sentence per criterion.

    Parameters
    ----------
    selection : mapping
        ``filter_matches`` arguments (as :func:`standard_selection` gives); false flags are
        left out.
    cross_match : str or None
        The name of the stored cross-match (its own criteria are described when it is a
        standard one).
    """
    words = [_cross_match_words(cross_match)] if cross_match else []
    words += [_filter_words(k, v) for k, v in selection.items() if v is not False]
    if selection:
        words.append('Sources processed without a CalDB version ("0.0") left out.')
    return tuple(words)
