"""The seven astromon tables: column names, types, display formats and conversion to the schema.

Units (:data:`UNITS`): ``ra``/``dec``/``roll`` in degrees; ``y_angle``, ``z_angle``,
``r_angle``, ``dy``, ``dz``, ``dr``, ``separation``, ``near_neighbor_dist`` and region
``radius`` in arcsec; ``sim_z`` in mm; ``tstart`` in CXC seconds. In ``astromon_alignment``
(:data:`TABLE_UNITS`) the fitted ``roll`` and every shift, error, RMS, limit and spread are
in arcsec. Input columns that carry an astropy unit are converted to these; an incompatible
unit is a SchemaError.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from astropy import units as u
from astropy.table import Column, Table

from astromon.domain.column_conversion import as_table, convert_column
from astromon.domain.errors import MissingTableException, SchemaError, ValidationError

__all__ = [
    "CATEGORIES",
    "CATEGORY_IDS",
    "LEGACY_TABLE_NAMES",
    "TABLES",
    "TABLE_NAMES",
    "TABLE_UNITS",
    "UNITS",
    "ColumnSpec",
    "TableSpec",
    "category_id",
    "category_name",
    "conforms",
    "empty_table",
    "get_spec",
    "set_formats",
    "to_schema",
    "validate_text",
]


@dataclass(frozen=True)
class ColumnSpec:
    """One column: name, kind ('i32', 'f32', 'f64', 'bool' or 'str') and, for strings, the
    width in bytes of the fixed-width byte strings of the legacy HDF5 file (0 for other
    kinds)."""

    name: str
    kind: str
    legacy_bytes: int = 0

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(_NUMPY_TYPES[self.kind])

    @property
    def legacy_dtype(self) -> np.dtype[Any]:
        """The column's numpy type in the legacy HDF5 file (``S{legacy_bytes}`` for strings)."""
        if self.kind == "str":
            return np.dtype(f"S{self.legacy_bytes}")
        return self.dtype


@dataclass(frozen=True)
class TableSpec:
    """One table: its name, ordered columns and primary key."""

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def has_obsid(self) -> bool:
        return "obsid" in self.names

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def legacy_dtype(self) -> np.dtype[Any]:
        """The structured numpy type of the table's rows in the legacy HDF5 file."""
        return np.dtype([(c.name, c.legacy_dtype) for c in self.columns])


_NUMPY_TYPES: Final = {
    "i32": "int32",
    "f32": "float32",
    "f64": "float64",
    "bool": "bool",
    "str": "str",
}


def _column_spec(item: str) -> ColumnSpec:
    """``name:kind`` or, for strings, ``name:str:bytes`` (the legacy HDF5 width)."""
    name, kind, *width = item.split(":")
    return ColumnSpec(name, kind, int(width[0]) if width else 0)


def _spec(name: str, columns: str, key: tuple[str, ...]) -> TableSpec:
    cols = tuple(_column_spec(item) for item in columns.split())
    return TableSpec(name, cols, key)


TABLES: Final[dict[str, TableSpec]] = {
    spec.name: spec
    for spec in (
        _spec(
            "astromon_obs",
            "obsid:i32 version:f32 detector:str:6 target:str:28 grating:str:4 sim_z:f32 "
            "date_obs:str:20 tstart:f32 ascdsver:str:32 ra:f64 dec:f64 roll:f64 category_id:i32",
            ("obsid",),
        ),
        _spec(
            "astromon_xray_src",
            "obsid:i32 id:i32 ra:f64 dec:f64 net_counts:f32 y_angle:f32 z_angle:f32 r_angle:f32 "
            "snr:f32 near_neighbor_dist:f32 pileup:f32 acis_streak:i32 caldb_version:str:10",
            ("obsid", "id"),
        ),
        _spec(
            "astromon_cat_src",
            "obsid:i32 id:i32 x_id:i32 catalog:str:16 name:str:24 ra:f64 dec:f64 separation:f32 "
            "mag:f32 y_angle:f32 z_angle:f32",
            ("obsid", "id"),
        ),
        _spec(
            "astromon_xcorr",
            "select_name:str:14 obsid:i32 c_id:i32 x_id:i32 dy:f32 dz:f32 dr:f32",
            ("select_name", "obsid", "x_id"),
        ),
        _spec(
            "astromon_regions",
            "region_id:i32 region_id_str:str:10 last_modified:str:21 ra:f64 dec:f64 radius:f32 "
            "obsid:i32 user:str:50 comments:str:200",
            ("region_id",),
        ),
        _spec("astromon_meta", "last_region_id:i32", ()),
        _spec(
            "astromon_alignment",
            "select_name:str:14 obsid:i32 n_pairs:i32 n_rejected:i32 dy:f64 dz:f64 roll:f64 "
            "dy_err:f64 dz_err:f64 roll_err:f64 chi2_dof:f64 rms_before:f64 rms_after:f64 "
            "shift_chi2:f64 flagged:bool k_sigma:f64 residual_limit:f64 flag_threshold:f64 "
            "flag_sigma:f64 min_pairs_roll:i32 min_spread:f64 max_iterations:i32 "
            "pairs_digest:str:16",
            ("select_name", "obsid"),
        ),
    )
}

TABLE_NAMES: Final[list[str]] = list(TABLES)

LEGACY_TABLE_NAMES: Final[list[str]] = [n for n in TABLE_NAMES if n != "astromon_alignment"]
"""The tables of the legacy HDF5 file of sot/astromon (it has no ``astromon_alignment``)."""

UNITS: Final[dict[str, u.UnitBase]] = {
    **{name: u.deg for name in ("ra", "dec", "roll")},
    **{
        name: u.arcsec
        for name in (
            "y_angle",
            "z_angle",
            "r_angle",
            "dy",
            "dz",
            "dr",
            "separation",
            "near_neighbor_dist",
            "radius",
        )
    },
    "sim_z": u.mm,
    "tstart": u.s,
}
"""The unit of each float column that has one (in every table but those of :data:`TABLE_UNITS`)."""

TABLE_UNITS: Final[dict[str, dict[str, u.UnitBase]]] = {
    "astromon_alignment": {
        name: u.arcsec
        for name in (
            "dy",
            "dz",
            "roll",
            "dy_err",
            "dz_err",
            "roll_err",
            "rms_before",
            "rms_after",
            "residual_limit",
            "flag_threshold",
            "min_spread",
        )
    },
}
"""Tables whose columns have their own units (table → column → unit), instead of :data:`UNITS`."""

CATEGORIES: Final[dict[int, str]] = {
    10: "Normal Stars and WD",
    20: "WD Binaries and CVs",
    30: "BH and NS Binaries",
    40: "Normal Galaxies",
    50: "Active Galaxies and Quasars",
    60: "Extragalactic Diffuse Emission & Surveys",
    70: "Galactic Diffuse Emission & Surveys",
    100: "Solar System and Misc",
    110: "SN, SNR, and Isolated NS",
    120: "Clusters of Galaxies",
    200: "Unknown",
}
CATEGORY_IDS: Final[dict[str, int]] = {name.lower(): cid for cid, name in CATEGORIES.items()}

_FOUR_DECIMALS: Final = frozenset({"ra", "dec", "x_ra", "x_dec", "c_ra", "c_dec", "pileup"})


def _unit(table: str, column: str) -> u.UnitBase:
    units = TABLE_UNITS.get(table, UNITS)
    return units.get(column, u.dimensionless_unscaled)


def category_id(name: str) -> int:
    """Category id of a category name (case-insensitive); unknown names give 200 (Unknown)."""
    return CATEGORY_IDS.get(str(name).strip().lower(), 200)


def category_name(cid: int) -> str:
    """Category name of a category id; unknown ids give 'Unknown'."""
    return CATEGORIES.get(int(cid), CATEGORIES[200])


def get_spec(name: str) -> TableSpec:
    """The spec of table ``name``; unknown names raise MissingTableException."""
    try:
        return TABLES[name]
    except (KeyError, TypeError):
        raise MissingTableException(
            f"{name!r} is not an astromon table. Known tables: {', '.join(TABLE_NAMES)}"
        ) from None


def set_formats(table: Table) -> Table:
    """Set display formats in place: ra/dec-like columns and pileup '.4f', other floats '.2f'.

    Raises
    ------
    ValidationError
        ``table`` is not an astropy Table.
    """
    if not isinstance(table, Table):
        raise ValidationError(f"set_formats needs an astropy Table, got {table!r}")
    for name in table.colnames:
        col = table[name]
        if isinstance(col, Column) and col.dtype.kind == "f":
            col.format = ".4f" if name in _FOUR_DECIMALS else ".2f"
    return table


def empty_table(name: str) -> Table:
    """An empty table with the schema of ``name`` (columns in order, typed, formatted)."""
    spec = get_spec(name)
    table = Table([Column(name=c.name, dtype=c.dtype, length=0) for c in spec.columns])
    return set_formats(table)


def to_schema(name: str, data: Table | Mapping[str, Any] | Sequence[Any]) -> Table:
    """Convert ``data`` to the schema of table ``name``.

    Extra columns are dropped; columns come out in schema order with schema types and formats.

    Raises
    ------
    MissingTableException
        ``name`` is not an astromon table.
    SchemaError
        ``data`` has no column in common with the schema, lacks schema columns (named in the
        message), or has a value that cannot be stored exactly (the rules of
        :mod:`astromon.domain.column_conversion`: text that is not text or holds NUL
        characters, integers beyond int32, float32 overflow, masked integers or text, units
        that cannot be converted), named with its table, column, row and value.
    """
    spec = get_spec(name)
    table = as_table(data)
    common = [c for c in spec.names if c in table.colnames]
    if not common:
        raise SchemaError(
            f"data for {name} has no column in common with the schema "
            f"(got {table.colnames}, expected {spec.names})"
        )
    missing = [c for c in spec.names if c not in table.colnames]
    if missing:
        raise SchemaError(f"data for {name} lacks the columns {missing}")
    columns = [
        convert_column(name, c.name, c.kind, table[c.name], _unit(name, c.name))
        for c in spec.columns
    ]
    out = Table(
        [Column(v, name=c.name) for v, c in zip(columns, spec.columns, strict=True)], copy=False
    )
    return set_formats(out)


def conforms(name: str, data: Any) -> bool:
    """True when ``data`` is already a Table in the schema of ``name``.

    Same column names in order, schema dtypes (any unicode width for strings), no masked
    column, one-dimensional columns: :func:`to_schema` would change nothing but formats.
    """
    spec = get_spec(name)
    if not isinstance(data, Table) or data.colnames != spec.names or data.has_masked_columns:
        return False
    for col in spec.columns:
        values = data[col.name]
        if values.ndim != 1 or getattr(values, "unit", None) is not None:
            return False
        if col.kind == "str":
            if values.dtype.kind != "U":
                return False
        elif values.dtype != col.dtype:
            return False
    return True


def validate_text(name: str, table: Table) -> None:
    """Check that every text column of ``table`` can be stored (valid unicode, UTF-8).

    Raises
    ------
    SchemaError
        A string holds characters that have no UTF-8 encoding (lone surrogates); the
        message names the column and row.
    """
    for colname in table.colnames:
        values = np.asarray(table[colname])
        if values.dtype.kind != "U" or values.size == 0:
            continue
        try:
            np.char.encode(values, "utf-8")
        except UnicodeEncodeError:
            for row, text in enumerate(values.tolist()):
                try:
                    str(text).encode("utf-8")
                except UnicodeEncodeError:
                    raise SchemaError(
                        f"{name}.{colname} in row {row} is not valid unicode text: {text!r}"
                    ) from None
