"""The benchmark data directory: generated tables stored as one ``.npy`` file per column.

The runner generates the tables once per run (:func:`write_dataset`); each case's worker
process loads what it needs (:func:`read_table`) outside the timed section. Columns keep their
exact dtypes (unicode strings, float32, int32), so a worker sees the same tables the generator
produced, without the cost of a text or FITS round trip.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from astropy.table import Column, Table

from astromon.domain.schema import set_formats
from benchmarks.generator import Dataset, Sizes, generate_dataset

__all__ = ["read_table", "write_dataset", "write_table"]

_ORDER_FILE = "columns.json"


def write_table(table: Table, directory: Path) -> None:
    """Write ``table`` (plain columns only) to ``directory``, one ``.npy`` per column."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in table.colnames:
        np.save(directory / f"{name}.npy", np.asarray(table[name]), allow_pickle=False)
    (directory / _ORDER_FILE).write_text(json.dumps(table.colnames))


def read_table(directory: Path) -> Table:
    """Read a table written by :func:`write_table` (display formats as astromon sets them)."""
    names = json.loads((directory / _ORDER_FILE).read_text())
    columns = [
        Column(np.load(directory / f"{name}.npy", allow_pickle=False), name=name) for name in names
    ]
    return set_formats(Table(columns, copy=False))


def write_dataset(workdir: Path, sizes: Sizes, seed: int) -> Dataset:
    """Generate the dataset for ``sizes``/``seed`` and write its four tables below ``workdir``."""
    dataset = generate_dataset(sizes, seed)
    for name in ("astromon_obs", "astromon_xray_src", "astromon_cat_src", "astromon_regions"):
        write_table(getattr(dataset, name), workdir / "tables" / name)
    return dataset
