"""Counterparts of the 10 reference observations: numbering, y/z angles and the rough match."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.catalogs.local.service import LocalCatalogService
from astropy.table import Table

from astromon.domain.time import CxoTime
from astromon.services.crossmatch.counterparts import number_counterparts, rough_match


def read(reference_dir: Path, name: str) -> Table:
    return Table.read(reference_dir / f"{name}.ecsv", format="ascii.ecsv")


def test_counterpart_angles_match_the_reference(reference_dir: Path) -> None:
    observations = read(reference_dir, "astromon_obs")
    cat_src = read(reference_dir, "astromon_cat_src")
    checked = 0
    for obs in observations:
        rows = cat_src[cat_src["obsid"] == obs["obsid"]]
        rows = rows[np.argsort(rows["id"], kind="stable")]
        bare = Table(rows)
        del bare["y_angle"], bare["z_angle"], bare["id"]
        numbered = number_counterparts(bare, obs)
        assert numbered["id"].tolist() == list(range(len(rows)))
        assert numbered["id"].tolist() == rows["id"].tolist()
        np.testing.assert_allclose(numbered["y_angle"], rows["y_angle"], rtol=0, atol=1e-4)
        np.testing.assert_allclose(numbered["z_angle"], rows["z_angle"], rtol=0, atol=1e-4)
        assert numbered["name"].tolist() == rows["name"].tolist()
        checked += len(rows)
    assert checked == len(cat_src) == 337


def test_rough_match_from_a_local_catalog_reproduces_the_reference_pairs(
    reference_dir: Path, tmp_path: Path
) -> None:
    """The reference counterparts as a catalog file give back exactly the reference pairs."""
    observations = read(reference_dir, "astromon_obs")
    cat_src = read(reference_dir, "astromon_cat_src")
    xray = read(reference_dir, "astromon_xray_src")
    catalog = Table(cat_src[["catalog", "name", "ra", "dec", "mag"]])
    catalog.write(tmp_path / "reference_stars.parquet")
    service = LocalCatalogService(tmp_path / "reference_stars.parquet", index_dir=tmp_path / "i")
    for obs in observations:
        sources = xray[xray["obsid"] == obs["obsid"]]
        expected = cat_src[cat_src["obsid"] == obs["obsid"]]
        catalogs = sorted(set(expected["catalog"]))
        if not catalogs:
            continue
        found = rough_match(
            service, sources, CxoTime(obs["date_obs"]), radius_arcsec=3.0, catalogs=catalogs
        )
        pairs = {(r["catalog"], r["name"], int(r["x_id"])) for r in found}
        reference = {(r["catalog"], r["name"], int(r["x_id"])) for r in expected}
        assert pairs == reference, obs["obsid"]
        separation = {(r["catalog"], r["name"], int(r["x_id"])): r["separation"] for r in found}
        for row in expected:
            key = (row["catalog"], row["name"], int(row["x_id"]))
            assert separation[key] == pytest.approx(row["separation"], abs=1e-3)
