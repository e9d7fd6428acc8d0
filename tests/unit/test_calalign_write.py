"""New CALALIGN files from offsets: rotation convention, headers, names, round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.chandra.calalign_files import FitsCalalignFiles
from astromon_adapters.storage.input_files import LocalInputFiles
from astropy.io import fits
from astropy.table import Table

from astromon.domain.calalign import calalign_offsets
from astromon.domain.calalign_update import correct_misalignment, correction_rotation
from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.time import CxoTime
from astromon.services.calibration import calalign as calibration
from astromon.services.calibration.offset_files import read_offsets
from astromon.utils import calalign_from_files, get_calalign_offsets
from tests.unit.calalign_support import INSTRUMENTS, rotation, write_calalign_file

pytestmark = pytest.mark.filterwarnings("ignore:.*dubious year")

STEPS = [  # tstart, detector, dy, dz (x-ray minus catalog, arcsec)
    ("2023:001:00:00:00.000", "all", 0.30, -0.20),
    ("2023:001:00:00:00.000", "HRC-S", -0.45, 0.12),
    ("2023:182:12:00:00.000", "all", 0.10, 0.05),
    ("2024:001:00:00:00.000", "ACIS-I", 0.07, -0.33),
    ("2024:001:00:00:00.000", "all", -0.25, 0.40),
]


def offsets_file(tmp_path: Path) -> Path:
    path = tmp_path / "offsets.json"
    rows = [{"tstart": t, "detector": d, "dy": y, "dz": z} for t, d, y, z in STEPS]
    path.write_text(json.dumps(rows))
    return path


def expected(tstart: str, instrument: str) -> tuple[float, float]:
    rows = {(t, d): (y, z) for t, d, y, z in STEPS}
    return rows.get((tstart, instrument), rows[(tstart, "all")])


def test_correction_rotation_follows_the_production_convention() -> None:
    # R = R_pitch(dz) @ R_yaw(dy): the yaw rotation mixes x and y, the pitch x and z
    r = correction_rotation(3600.0, 0.0)
    assert r[1, 0] == pytest.approx(np.sin(np.radians(1.0)))
    r = correction_rotation(0.0, 3600.0)
    assert r[2, 0] == pytest.approx(np.sin(np.radians(1.0)))
    # a correction of -offset lowers the CALALIGN offsets by the offset
    aca = rotation(30.0, -12.0, 50.0)
    fts = rotation(1.0, 2.0, 3.0)
    new_aca, new_fts = correct_misalignment(aca, fts, 0.4, -0.25)
    (old_dy, old_dz), (dy, dz) = calalign_offsets(aca), calalign_offsets(new_aca)
    assert dy - old_dy == pytest.approx(-0.4, abs=1e-9)
    assert dz - old_dz == pytest.approx(0.25, abs=1e-9)
    # the FTS alignment does not move: ACA'·FTS' = A·FTS (up to the ACA correction's frame)
    np.testing.assert_allclose(new_aca @ new_aca.T, np.eye(3), atol=1e-14)
    np.testing.assert_allclose(new_fts @ new_fts.T, np.eye(3), atol=1e-14)
    np.testing.assert_allclose(aca.T @ new_aca @ new_fts, aca.T @ aca @ fts, atol=1e-14)
    with pytest.raises(ValidationError, match="must be 3x3"):
        correct_misalignment(np.eye(2), fts, 0.1, 0.1)
    with pytest.raises(ValidationError, match="finite"):
        correct_misalignment(aca, fts, float("nan"), 0.1)


def test_write_and_read_back_the_applied_offsets(tmp_path: Path) -> None:
    current_dir = tmp_path / "current"
    base = write_calalign_file(current_dir)
    steps = read_offsets(offsets_file(tmp_path), LocalInputFiles(), option="--offsets")
    out = tmp_path / "new"
    written = calibration.write_calalign_files(
        steps, base, out, FitsCalalignFiles(), now="2026:100:12:00:00", source="offsets.json",
        per_detector=True,
    )  # fmt: skip
    names = [p.name for p in written]
    assert names == [
        "pcadD2022-06-01alignN0011.fits",
        "pcadD2023-01-01alignN0011.fits",
        "pcadD2023-07-01alignN0011.fits",
        "pcadD2024-01-01alignN0011.fits",
    ]
    old = calalign_from_files(current_dir)
    new = calalign_from_files(out)
    assert set(new["calalign_version"]) == {"N0011"}
    for tstart in sorted({s[0] for s in STEPS}):
        name = f"pcadD{CxoTime(tstart).utc.isot[:10]}alignN0011.fits"
        for k, instrument in enumerate(INSTRUMENTS):
            row = new[(new["filename"] == name) & (new["instr_id"] == instrument)][0]
            dy, dz = expected(tstart, instrument)
            assert row["dy"] - old["dy"][k] == pytest.approx(-dy, abs=1e-6)
            assert row["dz"] - old["dz"][k] == pytest.approx(-dz, abs=1e-6)
            assert row["start"] == pytest.approx(CxoTime(tstart).secs, abs=1.0)
    # the re-issued base keeps the matrices of the current file
    reissued = new[new["filename"] == names[0]]
    np.testing.assert_allclose(reissued["aca_misalign"], old["aca_misalign"], atol=0)
    # headers as CALDB expects them
    with fits.open(out / names[2]) as hdus:
        for hdu in hdus:
            assert hdu.header["DATE"] == "2026-04-10T12:00:00"
            assert hdu.header["CVSD0001"] == "2023-07-01T12:00:00"
            assert hdu.header["CVST0001"] == "12:00:00"
            assert hdu.header["TSTART"] == np.floor(CxoTime("2023:182:12:00:00").secs)
            assert hdu.header["TSTOP"] == np.floor(CxoTime("2024:001:00:00:00").secs - 1)
            assert "CVED0001" not in hdu.header
        history = [str(h) for h in hdus[0].header["HISTORY"]]
        assert history[:2] == ["CALALIGN updated from offsets.json", "correction per detector"]
        assert "HRC-I alignment shift (dy, dz) = (-0.100, -0.050) arcsec" in history
        assert hdus[1].name == "CALALIGN"
        assert hdus[1].verify_checksum() == 1
    with fits.open(out / names[-1]) as hdus:  # the last step: no known end
        assert "TSTOP" not in hdus[1].header
    with fits.open(out / names[0]) as hdus:
        assert hdus[1].header["TSTOP"] == np.floor(CxoTime(STEPS[0][0]).secs - 1)


def test_get_calalign_offsets_on_the_new_files_gives_the_applied_offsets(tmp_path: Path) -> None:
    base = write_calalign_file(tmp_path / "current")
    steps = read_offsets(offsets_file(tmp_path), LocalInputFiles(), option="--offsets")
    out = tmp_path / "new"
    calibration.write_calalign_files(
        steps, base, out, FitsCalalignFiles(), now="2026:100", per_detector=True
    )
    times = ["2023:100", "2023:300", "2024:200", "2022:300"]
    matches = Table(
        {
            "obsid": np.arange(16),
            "x_id": np.ones(16, dtype=int),
            "detector": [d for _ in times for d in INSTRUMENTS],
            "caldb_version": ["4.10.0"] * 16,
            "tstart": [CxoTime(t).secs for t in times for _ in INSTRUMENTS],
        }
    )
    used = get_calalign_offsets(matches, calalign_dir=tmp_path / "current")
    proposed = get_calalign_offsets(matches, calalign_dir=out)
    starts = ["2023:001:00:00:00.000", "2023:182:12:00:00.000", "2024:001:00:00:00.000"]
    for i in range(16):
        instrument = INSTRUMENTS[i % 4]
        step = i // 4
        dy, dz = expected(starts[step], instrument) if step < 3 else (0.0, 0.0)
        assert proposed["ref_calalign_dy"][i] - used["calalign_dy"][i] == pytest.approx(
            -dy, abs=1e-6
        )
        assert proposed["ref_calalign_dz"][i] - used["calalign_dz"][i] == pytest.approx(
            -dz, abs=1e-6
        )


def test_the_default_is_one_common_correction_for_every_instr_id(tmp_path: Path) -> None:
    """As the system we replace does (set_calalign_offsets.py): the 'all' offsets of each step
    correct every INSTR_ID row; detector rows of the file are used only when asked for."""
    current_dir = tmp_path / "current"
    base = write_calalign_file(current_dir)
    steps = read_offsets(offsets_file(tmp_path), LocalInputFiles(), option="--offsets")
    out = tmp_path / "new"
    written = calibration.write_calalign_files(steps, base, out, FitsCalalignFiles())
    old, new = calalign_from_files(current_dir), calalign_from_files(out)
    common = {t: (y, z) for t, d, y, z in STEPS if d == "all"}
    for path, tstart in zip(written[1:], sorted(common), strict=True):
        rows = new[new["filename"] == path.name]
        assert list(rows["instr_id"]) == list(INSTRUMENTS)
        np.testing.assert_allclose(rows["dy"] - old["dy"][:4], -common[tstart][0], atol=1e-6)
        np.testing.assert_allclose(rows["dz"] - old["dz"][:4], -common[tstart][1], atol=1e-6)
        with fits.open(path) as hdus:
            assert "correction common to every INSTR_ID" in hdus[0].header["HISTORY"]
    detectors_only = steps[np.asarray(steps["detector"]) != "all"]
    with pytest.raises(ValidationError, match=r"no 'all' rows.*pass --per-detector"):
        calibration.write_calalign_files(detectors_only, base, tmp_path / "o", FitsCalalignFiles())
    assert not (tmp_path / "o").exists()


def test_write_never_overwrites_and_rejects_bad_input(tmp_path: Path) -> None:
    base = write_calalign_file(tmp_path / "current")
    steps = read_offsets(offsets_file(tmp_path), LocalInputFiles(), option="--offsets")
    out = tmp_path / "new"
    files = FitsCalalignFiles()
    calibration.write_calalign_files(steps, base, out, files, now="2026:100")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(ValidationError, match="exist, not overwritten"):
        calibration.write_calalign_files(steps, base, out, files, now="2026:200")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    with pytest.raises(ValidationError, match="is the version of the current file"):
        calibration.write_calalign_files(steps, base, tmp_path / "o2", files, version="N0010")
    with pytest.raises(ValidationError, match="like N0010"):
        calibration.write_calalign_files(steps, base, tmp_path / "o3", files, version="11")
    same_day = Table(
        {"tstart": [CxoTime("2024:001:00:00").secs, CxoTime("2024:001:12:00").secs],
         "tstop": [np.nan, np.nan], "detector": ["all", "all"], "dy": [0.1, 0.2],
         "dz": [0.0, 0.0]}
    )  # fmt: skip
    with pytest.raises(ValidationError, match="two offset steps start on one day"):
        calibration.write_calalign_files(same_day, base, tmp_path / "o4", files)
    assert not (tmp_path / "o4").exists()
    renamed = tmp_path / "current" / "align.fits"
    renamed.write_bytes(base.read_bytes())
    with pytest.raises(ValidationError, match="not named like a CALALIGN file"):
        calibration.write_calalign_files(steps, renamed, tmp_path / "o5", files)
    with pytest.raises(FileExistsError):
        files.write_corrected(base, out / sorted(before)[0], {}, {}, [])
    with pytest.raises(ProcessingError, match="no INSTR_ID rows"):
        files.write_corrected(base, tmp_path / "x" / base.name, {"HRC-X": (np.eye(3),) * 2}, {}, [])
    assert not (tmp_path / "x" / base.name).exists()
    assert not [p for p in (tmp_path / "x").iterdir()]  # no temporary file left behind
