"""CALALIGN files written here with known misalignment rotations → offsets and selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from astromon.domain.calalign import calalign_offsets, caldb_tuple
from astromon.domain.errors import ProcessingError, SchemaError, ValidationError
from astromon.domain.time import CxoTime
from astromon.utils import calalign_from_files, get_calalign_offsets
from tests.unit.calalign_support import INSTRUMENTS, rotation, write_calalign_matrices


def offsets_of(version: int, date_index: int, instrument: int) -> tuple[float, float]:
    """The (yaw, pitch) in arcsec written for a file/instrument: all distinct."""
    return 10.0 * version + instrument + 0.5 * date_index, -(version + 0.1 * instrument)


FILES = [  # (date, version, CVSD0001, CVED0001 or None)
    ("2011-06-01", 8, "1999-07-23T00:00:00", None),
    ("2014-07-01", 9, "1999-07-23T00:00:00", None),
    ("2022-06-01", 10, "1999-07-23T00:00:00", "2024-01-01T00:00:00"),
    ("2024-01-01", 10, "2024-01-01T00:00:00", None),
]


def write_calalign(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for index, (date, version, start, stop) in enumerate(FILES):
        aca = np.array([rotation(*offsets_of(version, index, i), 3.0) for i in range(4)])
        fts = np.array([rotation(1.0, 2.0) for _ in range(4)])
        path = directory / f"pcadD{date}alignN{version:04d}.fits"
        write_calalign_matrices(path, aca, fts, start, stop)
    (directory / "README.txt").write_text("not a calalign file")
    return directory


def test_offsets_of_a_rotation() -> None:
    dy, dz = calalign_offsets(rotation(12.5, -4.0, 100.0))
    assert dy == pytest.approx(12.5, abs=1e-6)
    assert dz == pytest.approx(4.0, abs=1e-6)
    with pytest.raises(ValidationError, match=r"3x3 matrices, got shape \(2, 2\)"):
        calalign_offsets(np.eye(2))


def test_caldb_tuple_orders_versions() -> None:
    assert caldb_tuple("4.10.0") > caldb_tuple("4.9.8") > caldb_tuple("4.4.4")
    assert caldb_tuple("") == (0,)


@pytest.mark.filterwarnings("ignore:.*dubious year")
def test_calalign_from_files(tmp_path: Path) -> None:
    table = calalign_from_files(write_calalign(tmp_path / "align"))
    assert len(table) == 16
    assert list(table["calalign_version"][::4]) == ["N0008", "N0009", "N0010", "N0010"]
    assert list(table["caldb_version"][::4]) == ["4.4.4", "4.6.2", "4.10.0", "4.10.0"]
    assert list(table["instr_id"][:4]) == list(INSTRUMENTS)
    assert table["stop"][0] == pytest.approx(CxoTime("2050:001").secs)
    assert table["stop"][8] == pytest.approx(CxoTime("2024-01-01T00:00:00").secs)
    assert table["aca_misalign"].shape == (16, 3, 3)
    for row, (index, version, instrument) in enumerate(
        (i, v, k) for i, (_, v, _, _) in enumerate(FILES) for k in range(4)
    ):
        yaw, pitch = offsets_of(version, index, instrument)
        assert table["dy"][row] == pytest.approx(yaw, abs=1e-6)
        assert table["dz"][row] == pytest.approx(-pitch, abs=1e-6)


def test_calalign_directory_errors(tmp_path: Path) -> None:
    with pytest.raises(ProcessingError, match="does not exist"):
        calalign_from_files(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProcessingError, match="no CALALIGN files"):
        calalign_from_files(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "pcadD2011-06-01alignN0008.fits").write_bytes(b"not fits at all")
    with pytest.raises(ProcessingError, match=r"pcadD2011-06-01alignN0008\.fits"):
        calalign_from_files(bad)


def matches() -> Table:
    rows = [  # obsid, detector, caldb_version, date → (expected file index, version)
        (1, "ACIS-S", "4.5.0", "2013-01-01T00:00:00"),  # N0008
        (2, "HRC-I", "4.9.0", "2015-01-01T00:00:00"),  # N0009
        (3, "ACIS-I", "4.10.2", "2023-01-01T00:00:00"),  # N0010 (2022 file)
        (4, "HRC-S", "4.10.2", "2024-06-01T00:00:00"),  # N0010 (2024 file)
        (5, "ACIS-S", "4.9.0", "2024-06-01T00:00:00"),  # N0009 (valid to 2050)
        (6, "ACIS-S", "4.1.0", "2010-01-01T00:00:00"),  # none: CalDB older than N0008
    ]
    return Table(
        {
            "obsid": [r[0] for r in rows],
            "x_id": [1] * len(rows),
            "detector": [r[1] for r in rows],
            "caldb_version": [r[2] for r in rows],
            "tstart": [CxoTime(r[3]).secs for r in rows],
        }
    )


def test_calalign_per_caldb_version_and_time(tmp_path: Path) -> None:
    directory = write_calalign(tmp_path / "align")
    result = get_calalign_offsets(matches(), calalign_dir=directory)
    expected = [(0, 8, 0), (1, 9, 3), (2, 10, 1), (3, 10, 2), (1, 9, 0)]
    for row, (index, version, instrument) in enumerate(expected):
        yaw, pitch = offsets_of(version, index, instrument)
        assert result["calalign_version"][row] == f"N{version:04d}"
        assert result["calalign_dy"][row] == pytest.approx(yaw, abs=1e-6)
        assert result["calalign_dz"][row] == pytest.approx(-pitch, abs=1e-6)
    assert result["calalign_version"][5] == ""
    assert np.isnan(result["calalign_dy"][5])
    # default reference: latest valid at the time
    assert list(result["ref_calalign_version"]) == ["N0010"] * 6
    ref_yaw = [offsets_of(10, 2 if t < 2024 else 3, k)[0] for t, k in
               ((2013, 0), (2015, 3), (2023, 1), (2024.5, 2), (2024.5, 0), (2010, 0))]  # fmt: skip
    np.testing.assert_allclose(result["ref_calalign_dy"], ref_yaw, atol=1e-6)
    assert list(result["after_caldb"]) == [False, False, True, True, False, False]
    assert result["ref_aca_misalign"].shape == (6, 3, 3)
    assert set(result.colnames) >= {
        "calalign_dy", "calalign_dz", "aca_misalign", "fts_misalign", "calalign_version",
        "ref_calalign_dy", "ref_calalign_dz", "ref_aca_misalign", "ref_fts_misalign",
        "ref_calalign_version", "after_caldb",
    }  # fmt: skip


def test_explicit_reference_calalign(tmp_path: Path) -> None:
    directory = write_calalign(tmp_path / "align")
    for ref in ("N0009", 9, "9"):
        result = get_calalign_offsets(matches(), ref_calalign=ref, calalign_dir=directory)
        assert list(result["ref_calalign_version"]) == ["N0009"] * 6
        assert list(result["after_caldb"]) == [False, True, True, True, True, False]
    with pytest.raises(ValidationError, match="N0042 not found"):
        get_calalign_offsets(matches(), ref_calalign="N0042", calalign_dir=directory)
    with pytest.raises(ValidationError, match="like 'N0010'"):
        get_calalign_offsets(matches(), ref_calalign="latest", calalign_dir=directory)
    with pytest.raises(SchemaError, match="caldb_version"):
        get_calalign_offsets(matches()["obsid", "x_id"], calalign_dir=directory)


def test_default_calalign_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASTROMON_CALALIGN_DIR", raising=False)
    monkeypatch.delenv("CALDB", raising=False)
    with pytest.raises(ValidationError, match="CALDB"):
        calalign_from_files()
    write_calalign(tmp_path / "caldb" / "data" / "chandra" / "pcad" / "align")
    monkeypatch.setenv("CALDB", str(tmp_path / "caldb"))
    assert len(calalign_from_files()) == 16
