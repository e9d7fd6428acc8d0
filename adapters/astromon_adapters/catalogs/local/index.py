"""The index of a local catalog file: Parquet rows sorted by HEALPix pixel, and a sidecar.

The sidecar (``.npz``) holds the sorted pixel keys, the first row and the number of rows of
each key, and JSON metadata (HEALPix resolution, per-catalog statistics). Reading the rows of
a few keys reads only the Parquet row groups that hold them.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from astropy.table import Table
from numpy.typing import NDArray

__all__ = ["CatalogIndex", "CatalogStats", "empty_rows"]


@dataclass(frozen=True)
class CatalogStats:
    """What the index knows of one catalog of the file (proper motions in mas/yr, epochs in
    Julian years)."""

    code: int
    rows: int
    has_pm: bool
    max_pm_mas_yr: float
    epoch_min: float
    epoch_max: float


class CatalogIndex:
    """An indexed catalog file: sorted Parquet rows plus the row range of each key."""

    def __init__(self, parquet: Path, sidecar: Path, source: Path) -> None:
        with np.load(sidecar, allow_pickle=False) as data:
            self.keys = np.asarray(data["keys"], dtype=np.int64)
            self.starts = np.asarray(data["starts"], dtype=np.int64)
            self.counts = np.asarray(data["counts"], dtype=np.int64)
            meta = json.loads(str(data["meta"]))
        self.source = source
        self.nside = int(meta["nside"])
        self.catalogs = {name: CatalogStats(**stats) for name, stats in meta["catalogs"].items()}
        self.parquet = parquet
        self._file = pq.ParquetFile(parquet)
        sizes = [
            self._file.metadata.row_group(i).num_rows for i in range(self._file.num_row_groups)
        ]
        self.group_starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._lock = threading.Lock()

    def rows(self, keys: NDArray[np.int64]) -> Table:
        """Rows whose key is in ``keys``, read from the needed row groups only."""
        pos = np.searchsorted(self.keys, keys)
        pos = pos[(pos < len(self.keys))]
        pos = pos[np.isin(self.keys[pos], keys)]
        if len(pos) == 0:
            return empty_rows()
        starts, counts = self.starts[pos], self.counts[pos]
        total = int(counts.sum())
        # global row numbers of every wanted row
        offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        wanted = offsets + np.arange(total)
        groups = np.unique(np.searchsorted(self.group_starts, wanted, side="right") - 1)
        with self._lock:
            table = self._file.read_row_groups(groups.tolist())
        sizes = self.group_starts[groups + 1] - self.group_starts[groups]
        read_start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        group_of = np.searchsorted(self.group_starts, wanted, side="right") - 1
        local = read_start[np.searchsorted(groups, group_of)] + (
            wanted - self.group_starts[group_of]
        )
        return Table(
            {
                name: np.asarray(table.column(name).take(pa.array(local)).to_numpy(False))
                for name in ("ra", "dec", "pmra", "pmdec", "epoch", "name", "mag")
            }
        )


def empty_rows() -> Table:
    """A table of index rows with no row (ra, dec, pmra, pmdec, epoch, mag, name)."""
    floats = {c: np.zeros(0) for c in ("ra", "dec", "pmra", "pmdec", "epoch", "mag")}
    return Table({**floats, "name": np.zeros(0, dtype="<U1")})
