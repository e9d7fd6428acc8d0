"""Tables between astromon (astropy) and DuckDB: DDL, Arrow conversions, the cross-match join.

Bulk data moves through Arrow (``register`` + ``INSERT ... SELECT`` on the way in,
``to_arrow_table`` on the way out), never row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import duckdb
import numpy as np
import pyarrow as pa
from astropy.table import Column, Table

from astromon.domain.crossmatch import JOINED_COLUMNS
from astromon.domain.errors import DatabaseError
from astromon.domain.schema import TableSpec, conforms, set_formats, to_schema

__all__ = [
    "INCOMING",
    "JOIN_ALIASES",
    "attach_observations",
    "conform",
    "ddl",
    "expected_columns",
    "fetch_table",
    "quote",
    "to_arrow",
]

SQL_TYPES: Final = {
    "i32": "INTEGER",
    "f32": "FLOAT",
    "f64": "DOUBLE",
    "bool": "BOOLEAN",
    "str": "VARCHAR",
}
ARROW_TYPES: Final = {
    "i32": pa.int32(),
    "f32": pa.float32(),
    "f64": pa.float64(),
    "bool": pa.bool_(),
    "str": pa.string(),
}
_NUMPY_TYPES: Final = {"i32": np.int32, "f32": np.float32, "f64": np.float64, "bool": np.bool_}
INCOMING: Final = "_astromon_incoming"

# output column -> (table alias, source column) of Store.read_cross_matches
JOIN_ALIASES: Final = {
    "astromon_xcorr": "x",
    "astromon_obs": "o",
    "astromon_cat_src": "c",
    "astromon_xray_src": "s",
}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ddl(spec: TableSpec) -> str:
    columns = [f"{quote(c.name)} {SQL_TYPES[c.kind]} NOT NULL" for c in spec.columns]
    if spec.key:
        columns.append(f"PRIMARY KEY ({', '.join(quote(k) for k in spec.key)})")
    if spec.name == "astromon_regions":
        columns.append(f"UNIQUE ({quote('region_id_str')})")
    return f"CREATE TABLE {quote(spec.name)} ({', '.join(columns)})"


def expected_columns(spec: TableSpec) -> list[tuple[str, str]]:
    return [(c.name, SQL_TYPES[c.kind]) for c in spec.columns]


def to_arrow(spec: TableSpec, table: Table) -> pa.Table:
    arrays = []
    for col in spec.columns:
        values = np.asarray(table[col.name])
        if col.kind == "str":
            arrays.append(pa.array(values.astype(str).tolist(), type=pa.string()))
        else:
            arrays.append(
                pa.array(values.astype(col.dtype, copy=False), type=ARROW_TYPES[col.kind])
            )
    return pa.Table.from_arrays(arrays, names=spec.names)


def conform(name: str, data: Table) -> Table:
    """``data`` in the schema of ``name``; no conversion when it already is."""
    return data if conforms(name, data) else to_schema(name, data)


def column(name: str, kind: str, values: Any) -> Column:
    if np.ma.isMaskedArray(values):
        mask = np.ma.getmaskarray(values)
        if kind in ("f32", "f64"):
            values = np.ma.filled(values.astype(np.float64), np.nan)
        elif kind == "str":
            values = np.where(mask, "", np.ma.getdata(values))
        elif mask.any():
            raise DatabaseError(f"column {name} holds NULL values")
        else:
            values = np.ma.getdata(values)
    arr = np.asarray(values)
    if kind == "str":
        arr = arr.astype(str) if len(arr) else np.zeros(0, dtype="U1")
    else:
        arr = arr.astype(_NUMPY_TYPES[kind], copy=False)
    if not arr.flags.writeable:  # Arrow hands out read-only buffers; users sort and edit tables
        arr = arr.copy()
    return Column(arr, name=name, copy=False)


def fetch_table(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    kinds: dict[str, str],
    params: Any = None,
    order: Sequence[str] = (),
) -> Table:
    """Run ``sql`` and return its columns ``kinds`` as a typed Table (through Arrow).

    ``order`` names columns to sort the rows by (in numpy, cheaper than SQL ORDER BY).
    """
    arrow = con.sql(sql, params=params).to_arrow_table()
    data = {name: arrow.column(name).to_numpy(zero_copy_only=False) for name in kinds}
    if order and arrow.num_rows:
        rows = np.lexsort([data[name] for name in reversed(order)])
        data = {name: values[rows] for name, values in data.items()}
    table = Table([column(name, kind, data[name]) for name, kind in kinds.items()], copy=False)
    set_formats(table)
    if "obsid" in table.colnames:
        table.add_index("obsid")
    return table


def attach_observations(matches: Table, obs: Table, select_name: str) -> Table:
    """``matches`` with ``select_name`` and the observation columns, in the port's order."""
    obsid = np.asarray(matches["obsid"])
    obs_obsid = np.asarray(obs["obsid"])
    order = np.argsort(obs_obsid, kind="stable")
    rows = order[np.searchsorted(obs_obsid[order], obsid)] if len(obs) else order[:0]
    columns = []
    for out, table, col in JOINED_COLUMNS:
        if out == "select_name":
            values: Any = np.array([select_name] * len(matches), dtype=str)
            columns.append(column(out, "str", values))
        elif table == "astromon_obs":
            columns.append(Column(np.asarray(obs[col])[rows], name=out, copy=False))
        else:
            columns.append(matches[out])
    table = Table(columns, copy=False)
    set_formats(table)
    table.add_index("obsid")
    return table
