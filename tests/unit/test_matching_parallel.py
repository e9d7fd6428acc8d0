"""The threaded paths of the cross-match (large inputs) give exactly the sequential result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from astromon.cross_match import compute_cross_matches
from astromon.domain.crossmatch import catalog_order
from astromon.services.crossmatch import parallel


def _run(reference_dir: Path, name: str) -> Table:
    tables = {
        t: Table.read(reference_dir / f"{t}.ecsv")
        for t in ("astromon_obs", "astromon_xray_src", "astromon_cat_src")
    }
    return compute_cross_matches(name, **tables)


@pytest.mark.parametrize("name", ["astromon_21", "astromon_22"])
def test_threaded_cross_match_equals_sequential(
    reference_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    sequential = _run(reference_dir, name)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ROWS", 0)  # every call goes to threads
    threaded = _run(reference_dir, name)
    assert len(sequential) == 8
    assert threaded.colnames == sequential.colnames
    for col in ("obsid", "x_id", "c_id", "dy", "dz", "dr", "catalog", "target", "name"):
        assert np.array_equal(np.asarray(threaded[col]), np.asarray(sequential[col])), col


def test_threaded_catalog_screen_equals_plain_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    names = np.array(["Tycho2", "ICRS", "2MASS", "USNO-B1.0", "SDSS", "Tycho", "I"])
    catalog = names[rng.integers(0, len(names), 1001)]
    catalogs = ("ICRS", "Tycho2", "SDSS")
    expected = np.full(len(catalog), -1)
    for position, name in enumerate(catalogs):
        expected[catalog == name] = position
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ROWS", 0)
    assert np.array_equal(catalog_order(catalog, catalogs, parallel.parallel_map), expected)
    assert len(catalog_order(catalog[:0], catalogs, parallel.parallel_map)) == 0


def test_parallel_map_keeps_order_and_falls_back_for_small_work() -> None:
    items = list(range(10))
    assert parallel.parallel_map(lambda i: i * i, items, rows=10**6) == [i * i for i in items]
    assert parallel.parallel_map(lambda i: -i, items, rows=1) == [-i for i in items]
