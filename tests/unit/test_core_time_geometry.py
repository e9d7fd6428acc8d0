"""CxoTime compatibility, focal-plane geometry and the default database file rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from astromon.config import default_db_file, resolve_db_file
from astromon.domain import geometry
from astromon.domain.time import CxoTime, to_cxc_seconds


def test_numbers_are_cxc_seconds_and_dates_are_chandra_dates() -> None:
    t = CxoTime(0.0)
    # CXC seconds count from 1998-01-01T00:00:00 TT, i.e. 63.184 s earlier in UTC
    assert t.date == "1997:365:23:58:56.816"
    assert CxoTime("1997:365:23:58:56.816").secs == pytest.approx(0.0, abs=1e-3)
    assert CxoTime("2013:042").date == "2013:042:00:00:00.000"
    assert CxoTime("2013:042:07:39").date == "2013:042:07:39:00.000"


def test_iso_strings_arrays_and_round_trips() -> None:
    secs = CxoTime(["2013-02-11T07:39:09", "2014-02-11T07:39:09"]).secs
    assert np.diff(secs)[0] == pytest.approx(365 * 86400.0)
    t = CxoTime(476955550.0)
    assert CxoTime(t.date).secs == pytest.approx(476955550.0, abs=1e-3)
    assert CxoTime(t).secs == pytest.approx(476955550.0)
    assert 2013.11 < t.frac_year < 2013.12
    assert to_cxc_seconds("2013:042:07:38:02.816") == pytest.approx(476955550.0, abs=1e-3)


def test_now_is_recent() -> None:
    assert CxoTime.now().secs > CxoTime("2026:001").secs
    assert CxoTime().secs == pytest.approx(CxoTime.now().secs, abs=5.0)


def test_attitude_matrix_is_a_rotation() -> None:
    m = geometry.attitude_matrix(258.08, -38.48, 93.28)
    assert np.allclose(m @ m.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(m) == pytest.approx(1.0)


def test_on_axis_source_has_zero_angles() -> None:
    y, z = geometry.radec_to_yz([30.0], [40.0], 30.0, 40.0, 123.0)
    assert abs(y[0]) < 1e-9 and abs(z[0]) < 1e-9


def test_reference_source_angles(reference_dir: Path) -> None:
    obs = Table.read(reference_dir / "astromon_obs.ecsv")
    src = Table.read(reference_dir / "astromon_xray_src.ecsv")
    pointing = obs[obs["obsid"] == 13276][0]
    row = src[(src["obsid"] == 13276) & (src["id"] == 12)][0]
    y, z = geometry.radec_to_yz(
        row["ra"], row["dec"], pointing["ra"], pointing["dec"], pointing["roll"]
    )
    assert float(y) == pytest.approx(-28.114218, abs=1e-5)
    assert float(z) == pytest.approx(-9.301147, abs=1e-5)
    for p in obs:
        sel = src[src["obsid"] == p["obsid"]]
        y, z = geometry.radec_to_yz(sel["ra"], sel["dec"], p["ra"], p["dec"], p["roll"])
        assert np.allclose(y, sel["y_angle"], atol=1e-4)
        assert np.allclose(z, sel["z_angle"], atol=1e-4)
    nn = geometry.grouped_nearest_neighbor_dist(src["obsid"], src["y_angle"], src["z_angle"])
    assert np.allclose(nn, src["near_neighbor_dist"], atol=1e-4)


def test_separation_and_lone_neighbour() -> None:
    sep = geometry.angular_separation_arcsec(10.0, 20.0, 10.0, 20.0 + 1 / 3600)
    assert float(sep) == pytest.approx(1.0, rel=1e-9)
    assert np.isinf(geometry.nearest_neighbor_dist([1.0], [2.0])[0])
    assert len(geometry.grouped_nearest_neighbor_dist([], [], [])) == 0


def test_default_db_file_rule(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASTROMON_FILE", str(tmp_path / "x.duckdb"))
    monkeypatch.setenv("SKA", str(tmp_path / "ska"))
    assert default_db_file() == tmp_path / "x.duckdb"
    monkeypatch.delenv("ASTROMON_FILE")
    assert default_db_file() == tmp_path / "ska" / "data" / "astromon" / "astromon.duckdb"
    monkeypatch.delenv("SKA")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_file() == tmp_path / "xdg" / "astromon" / "astromon.duckdb"
    assert resolve_db_file("a.duckdb") == Path("a.duckdb")


def test_importing_astromon_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import astromon

    monkeypatch.delenv("SKA", raising=False)
    monkeypatch.delenv("ASTROMON_FILE", raising=False)
    importlib.reload(astromon)
    assert astromon.__version__
