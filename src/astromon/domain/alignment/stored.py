"""The stored alignment (table ``astromon_alignment``) and how to know it is out of date.

A stored row is the fit of one observation's pairs of one cross-match
(:func:`~astromon.domain.alignment.table.fit_alignment`, its results and its options) and
``pairs_digest``, a fingerprint of the pairs it was fitted to. The fingerprint of an
observation is the sum modulo 2**64 of one 64-bit hash per pair, so it does not depend on
the order of the rows; a pair's hash mixes (the SplitMix64 finaliser of Steele, Lea & Flood
2014, applied after each value) its ``x_id`` and ``c_id`` and the float32 bits of ``dy``,
``dz``, ``x_y_angle``, ``x_z_angle``, ``net_counts`` and ``r_angle`` (the stored precision,
so a fit computed before the save and one read back from the file agree).

The stored alignment of a cross-match is **current** when it has exactly one row per
observation that has pairs, each with the fingerprint of that observation's pairs as they
are stored now; anything else (a cross-match saved without its alignment, by an older
astromon, an import or ``astromon.db.save_table``; pairs changed since; an observation with
no row) makes it out of date.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from astropy.table import Table
from numpy.typing import NDArray

from astromon.domain.alignment.options import AlignmentOptions
from astromon.domain.alignment.table import fit_alignment
from astromon.domain.crossmatch.tables import column_values, require_columns
from astromon.domain.schema import empty_table, to_schema

__all__ = [
    "ALIGNMENT_TABLE",
    "DIGEST_COLUMNS",
    "alignment_rows",
    "is_current",
    "pairs_digests",
]

ALIGNMENT_TABLE: Final = "astromon_alignment"
"""The table of the stored alignment."""

DIGEST_COLUMNS: Final = (
    "x_id", "c_id", "dy", "dz", "x_y_angle", "x_z_angle", "net_counts", "r_angle",
)  # fmt: skip
"""The columns of a pair that its fingerprint covers (integers, then float32 bits)."""

_INTEGER_COLUMNS: Final = ("x_id", "c_id")
_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)
_MIX_1: Final = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2: Final = np.uint64(0x94D049BB133111EB)

U64 = NDArray[np.uint64]


def _mix(state: U64) -> U64:
    """The SplitMix64 finaliser (arrays wrap modulo 2**64)."""
    state = (state ^ (state >> np.uint64(30))) * _MIX_1
    state = (state ^ (state >> np.uint64(27))) * _MIX_2
    return np.asarray(state ^ (state >> np.uint64(31)), dtype=np.uint64)


def _pair_hashes(matches: Table) -> U64:
    hashes = np.zeros(len(matches), dtype=np.uint64)
    for name in DIGEST_COLUMNS:
        if name in _INTEGER_COLUMNS:
            bits = column_values(matches, name, np.dtype(np.int64)).view(np.uint64)
        else:
            as32 = column_values(matches, name, np.dtype(np.float64)).astype(np.float32)
            bits = as32.view(np.uint32).astype(np.uint64)
        hashes = _mix(hashes + _GOLDEN + bits)
    return hashes


def pairs_digests(matches: Table) -> Table:
    """The fingerprint of each observation's pairs (see the module documentation).

    Parameters
    ----------
    matches : astropy.table.Table
        Cross-matches with ``select_name``, ``obsid`` and :data:`DIGEST_COLUMNS`.

    Returns
    -------
    astropy.table.Table
        ``select_name``, ``obsid`` and ``pairs_digest`` (16 lower-case hexadecimal
        characters), one row per observation, sorted by (select_name, obsid).
    """
    require_columns(matches, ("select_name", "obsid", *DIGEST_COLUMNS), "the cross-matches")
    names = column_values(matches, "select_name", np.dtype(str))
    obsid = column_values(matches, "obsid", np.dtype(np.int64))
    out = Table({"select_name": names[:0], "obsid": obsid[:0], "pairs_digest": names[:0]})
    if not len(matches):
        return out
    distinct, code = np.unique(names, return_inverse=True)
    order = np.lexsort((obsid, code))
    key_code, key_obsid = code[order], obsid[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (key_code[1:] != key_code[:-1]) | (key_obsid[1:] != key_obsid[:-1])
    starts = np.flatnonzero(new)
    sums = np.add.reduceat(_pair_hashes(matches)[order], starts)
    return Table(
        {
            "select_name": distinct[key_code[starts]],
            "obsid": key_obsid[starts],
            "pairs_digest": np.array([f"{int(v):016x}" for v in sums.tolist()], dtype=str),
        }
    )


def alignment_rows(
    matches: Table, select_name: str | None = None, options: AlignmentOptions | None = None
) -> Table:
    """The rows of ``astromon_alignment`` for cross-matches: fit, options and fingerprint.

    Parameters
    ----------
    matches : astropy.table.Table
        Joined cross-matches (the columns of :func:`fit_alignment` and of
        :func:`pairs_digests`).
    select_name : str, optional
        The cross-match's stored name, replacing the rows' ``select_name``.
    options : AlignmentOptions, optional
        The fit's options (default: ``AlignmentOptions()``).

    Returns
    -------
    astropy.table.Table
        In the schema of ``astromon_alignment``, one row per (select_name, obsid), sorted.

    Raises
    ------
    SchemaError, ValidationError
        As :func:`fit_alignment`.
    """
    if not len(matches):
        return empty_table(ALIGNMENT_TABLE)
    if select_name is not None:
        matches = matches.copy(copy_data=False)
        matches["select_name"] = np.array([select_name] * len(matches), dtype=str)
    fitted = fit_alignment(matches, options)
    digests = pairs_digests(matches)
    fitted["pairs_digest"] = digests["pairs_digest"]  # same (select_name, obsid) order
    return to_schema(ALIGNMENT_TABLE, fitted)


def is_current(stored: Table, digests: Table) -> bool:
    """Whether ``stored`` alignment rows are those of the pairs whose ``digests`` are given.

    Both hold the rows of the same cross-match(es): ``stored`` in the schema of
    ``astromon_alignment``, ``digests`` from :func:`pairs_digests` of the stored pairs.
    """
    if len(stored) != len(digests):
        return False

    def keys(table: Table) -> list[tuple[str, int, str]]:
        return sorted(
            zip(
                np.asarray(table["select_name"], dtype=str).tolist(),
                np.asarray(table["obsid"], dtype=np.int64).tolist(),
                np.asarray(table["pairs_digest"], dtype=str).tolist(),
                strict=True,
            )
        )

    return keys(stored) == keys(digests)
