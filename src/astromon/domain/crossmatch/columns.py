"""The columns of a joined cross-match table, in order, and where each one comes from.

One list, :data:`JOINED_COLUMNS`, of (output column, source table, source column): the
``astromon_xcorr`` columns, the observation columns after obsid, then the counterpart and the
x-ray source columns. Every store's ``read_cross_matches`` and the in-memory join produce these
columns in this order.
"""

from __future__ import annotations

from typing import Final

from astromon.domain.schema import TABLES

__all__ = ["COLUMN_KINDS", "CROSS_MATCH_COLUMNS", "JOINED_COLUMNS"]

# (output column, source table, source column), in the order of Store.read_cross_matches.
_XCORR_PART: Final = [
    ("select_name", "astromon_xcorr", "select_name"),
    ("obsid", "astromon_xcorr", "obsid"),
    ("c_id", "astromon_xcorr", "c_id"),
    ("x_id", "astromon_xcorr", "x_id"),
    ("dy", "astromon_xcorr", "dy"),
    ("dz", "astromon_xcorr", "dz"),
    ("dr", "astromon_xcorr", "dr"),
]
_OBS_PART: Final = [(c, "astromon_obs", c) for c in TABLES["astromon_obs"].names if c != "obsid"]
_CAT_PART: Final = [
    ("catalog", "astromon_cat_src", "catalog"),
    ("name", "astromon_cat_src", "name"),
    ("c_ra", "astromon_cat_src", "ra"),
    ("c_dec", "astromon_cat_src", "dec"),
    ("separation", "astromon_cat_src", "separation"),
    ("mag", "astromon_cat_src", "mag"),
    ("c_y_angle", "astromon_cat_src", "y_angle"),
    ("c_z_angle", "astromon_cat_src", "z_angle"),
]
_XRAY_PART: Final = [
    ("x_ra", "astromon_xray_src", "ra"),
    ("x_dec", "astromon_xray_src", "dec"),
    ("net_counts", "astromon_xray_src", "net_counts"),
    ("x_y_angle", "astromon_xray_src", "y_angle"),
    ("x_z_angle", "astromon_xray_src", "z_angle"),
    *[
        (c, "astromon_xray_src", c)
        for c in (
            "r_angle",
            "snr",
            "near_neighbor_dist",
            "pileup",
            "acis_streak",
            "caldb_version",
        )
    ],
]

JOINED_COLUMNS: Final[list[tuple[str, str, str]]] = [
    *_XCORR_PART,
    *_OBS_PART,
    *_CAT_PART,
    *_XRAY_PART,
]
"""(output column, source table, source column) of each joined column, in order."""

CROSS_MATCH_COLUMNS: Final[list[str]] = [out for out, _, _ in JOINED_COLUMNS]
"""Columns of a joined cross-match table, in order (see ``Store.read_cross_matches``)."""

COLUMN_KINDS: Final[dict[str, str]] = {
    out: TABLES[table].column(column).kind for out, table, column in JOINED_COLUMNS
}
"""Schema kind (``i32``, ``f32``, ``f64``, ``str``) of each joined column."""
