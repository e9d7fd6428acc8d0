"""Reading the catalog files of the local catalog service (Parquet, FITS, ECSV).

A catalog file has the columns ``ra``, ``dec`` (degrees, at the star's epoch) and ``name``;
optionally ``mag``, ``pmra``/``pmdec`` (mas/yr, ``pmra`` with the cos(dec) factor; blank for a
star without motion), ``epoch`` (Julian years; a column or an ``epoch`` entry of the file's
metadata; needed for every star with a motion) and ``catalog`` (when one file holds several
catalogs). Column names are matched case-insensitively.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from astropy.table import Table
from numpy.typing import NDArray

from astromon.domain.errors import CatalogError, ValidationError

__all__ = ["CATALOG_FILE_SUFFIXES", "catalog_file_format", "read_catalog_file"]

logger = logging.getLogger(__name__)

CATALOG_FILE_SUFFIXES: Final = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".fits": "fits",
    ".fit": "fits",
    ".fits.gz": "fits",
    ".fit.gz": "fits",
    ".ecsv": "ecsv",
    ".ecsv.gz": "ecsv",
}
_REQUIRED: Final = ("ra", "dec", "name")


def catalog_file_format(path: Path) -> str:
    name = path.name.lower()
    for suffix, kind in sorted(CATALOG_FILE_SUFFIXES.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return kind
    raise ValidationError(
        f"catalog file {path}: unsupported file type (use one of {sorted(CATALOG_FILE_SUFFIXES)})"
    )


def read_catalog_file(path: Path, *, need_catalog: bool) -> dict[str, Any]:
    """Columns of a catalog file as arrays: ra, dec, name, mag, pmra, pmdec, epoch, ...

    Raises CatalogError naming the file and the missing columns.
    """
    kind = catalog_file_format(path)
    table: _ParquetColumns | _AstropyColumns
    try:
        if kind == "parquet":
            schema_names = pq.read_schema(path).names
            table = _ParquetColumns(pq.read_table(path, columns=_wanted(schema_names)))
            meta = pq.read_schema(path).metadata or {}
            epoch_meta: Any = meta.get(b"epoch")
            columns = schema_names
        else:
            astropy_table = Table.read(path, format="fits" if kind == "fits" else "ascii.ecsv")
            table = _AstropyColumns(astropy_table)
            epoch_meta = {str(k).lower(): v for k, v in astropy_table.meta.items()}.get("epoch")
            columns = astropy_table.colnames
    except CatalogError:
        raise
    except Exception as exc:
        raise CatalogError(f"cannot read catalog file {path}: {exc}") from exc
    lower = {c.lower(): c for c in columns}
    required = [*_REQUIRED, "catalog"] if need_catalog else list(_REQUIRED)
    missing = [c for c in required if c not in lower]
    has_pmra, has_pmdec = "pmra" in lower, "pmdec" in lower
    if has_pmra != has_pmdec:
        missing.append("pmdec" if has_pmra else "pmra")
    has_pm = has_pmra and has_pmdec
    if has_pm and "epoch" not in lower and epoch_meta is None:
        missing.append("epoch")
    if missing:
        raise CatalogError(
            f"catalog file {path} lacks the columns {missing} (it has {list(columns)}; needed: "
            "ra, dec, name; optional: mag, pmra and pmdec with epoch"
            + (", and catalog when one file holds several catalogs)" if need_catalog else ")")
        )
    n = table.length()
    out: dict[str, Any] = {
        "ra": table.floats(lower["ra"]),
        "dec": table.floats(lower["dec"]),
        "name": table.strings(lower["name"]),
        "mag": table.floats(lower["mag"]) if "mag" in lower else np.full(n, np.nan),
        "pmra": table.floats(lower["pmra"]) if has_pm else np.full(n, np.nan),
        "pmdec": table.floats(lower["pmdec"]) if has_pm else np.full(n, np.nan),
        "has_pm": has_pm,
    }
    if "epoch" in lower:
        out["epoch"] = table.floats(lower["epoch"])
    else:
        value = float(
            epoch_meta.decode() if isinstance(epoch_meta, bytes) else epoch_meta or 2000.0
        )
        out["epoch"] = np.full(n, value)
    if need_catalog:
        out["catalog"] = table.strings(lower["catalog"])
    bad = ~np.isfinite(out["ra"]) | ~np.isfinite(out["dec"]) | (np.abs(out["dec"]) > 90)
    if bad.any():
        logger.warning("catalog file %s: %d rows without a valid position skipped", path, bad.sum())
        keep = ~bad
        for key in ("ra", "dec", "name", "mag", "pmra", "pmdec", "epoch", "catalog"):
            if key in out:
                out[key] = np.asarray(out[key])[keep]
    moving = np.isfinite(out["pmra"]) & np.isfinite(out["pmdec"])
    undated = int((moving & ~np.isfinite(out["epoch"])).sum())
    if undated:
        raise CatalogError(
            f"catalog file {path}: {undated} rows with a proper motion have no epoch (a star "
            "that moves needs the epoch of its position)"
        )
    return out


def _wanted(names: list[str]) -> list[str]:
    wanted = {"ra", "dec", "name", "mag", "pmra", "pmdec", "epoch", "catalog"}
    return [n for n in names if n.lower() in wanted]


class _ParquetColumns:
    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def length(self) -> int:
        return int(self.table.num_rows)

    def floats(self, name: str) -> NDArray[np.float64]:
        column = self.table.column(name)
        try:
            filled = column.cast(pa.float64()).fill_null(math.nan)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise CatalogError(f"column {name} is not numeric: {exc}") from exc
        return np.asarray(filled.to_numpy(), dtype=np.float64)

    def strings(self, name: str) -> NDArray[np.str_]:
        column = self.table.column(name).cast(pa.string()).fill_null("")
        return np.asarray(column.to_pylist(), dtype=str)


class _AstropyColumns:
    def __init__(self, table: Table) -> None:
        self.table = table

    def length(self) -> int:
        return len(self.table)

    def floats(self, name: str) -> NDArray[np.float64]:
        data: Any = np.ma.asarray(self.table[name])
        try:
            filled: Any = np.ma.filled(data.astype(np.float64), np.nan)
        except (TypeError, ValueError) as exc:
            raise CatalogError(f"column {name} is not numeric: {exc}") from exc
        return np.asarray(filled, dtype=np.float64)

    def strings(self, name: str) -> NDArray[np.str_]:
        data: Any = np.ma.asarray(self.table[name])
        values = [
            "" if m else (v.decode().strip() if isinstance(v, bytes) else str(v).strip())
            for v, m in zip(data.data.tolist(), np.ma.getmaskarray(data).tolist(), strict=True)
        ]
        return np.asarray(values, dtype=str)
