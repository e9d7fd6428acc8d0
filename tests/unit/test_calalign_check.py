"""Re-expressing matches with proposed CALALIGN files, CalDB's pick within a version, and a
failed ``calalign write`` leaving nothing behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.chandra.calalign_files import FitsCalalignFiles
from astropy.table import Table

from astromon.domain.calalign import select_calalign
from astromon.domain.errors import ValidationError
from astromon.domain.time import CxoTime
from astromon.services.calibration import calalign as calibration
from astromon.services.demo import injected_offsets
from astromon.services.report import monitoring as report_service
from astromon.utils import calalign_from_files
from tests.unit.calalign_support import INSTRUMENTS, write_calalign_file

pytestmark = pytest.mark.filterwarnings("ignore:.*dubious year")


def steps(*rows: tuple[str, str, float, float]) -> Table:
    return Table(
        {
            "tstart": [CxoTime(r[0]).secs for r in rows],
            "tstop": [np.nan] * len(rows),
            "detector": [r[1] for r in rows],
            "dy": [r[2] for r in rows],
            "dz": [r[3] for r in rows],
        }
    )


def matches(times: list[str], caldb: list[str]) -> Table:
    n = len(times)
    return Table(
        {
            "obsid": np.arange(n),
            "x_id": np.ones(n, dtype=int),
            "detector": [INSTRUMENTS[i % 4] for i in range(n)],
            "caldb_version": caldb,
            "tstart": [CxoTime(t).secs for t in times],
            "dy": np.full(n, 0.5),
            "dz": np.full(n, -0.3),
            "dr": np.full(n, np.hypot(0.5, 0.3)),
        }
    )


def test_proposed_offsets_and_the_after_report(tmp_path: Path) -> None:
    base = write_calalign_file(tmp_path / "current")
    new = tmp_path / "new"
    calibration.write_calalign_files(
        steps(("2020:001", "all", 0.5, -0.3)), base, new, FitsCalalignFiles(), now="2026:001"
    )
    (new / "pcadD2022-06-01alignN0011.fits").unlink()  # only the step file: none before 2020
    m = matches(["2021:001", "2022:001", "2019:001", "2021:001"], ["4.10.0"] * 3 + ["4.1.0"])
    shifts = calibration.proposed_calalign_offsets(
        m, calalign_from_files(tmp_path / "current"), calalign_from_files(new)
    )
    assert list(shifts["proposed"]) == [True, True, False, False]  # before 2020; CalDB too old
    assert list(shifts["ref_calalign_version"][:2]) == ["N0011"] * 2
    after = report_service.build_report(m, now="2022:100", calalign_offsets=shifts)
    np.testing.assert_allclose(after.matches["dy"], [0.0, 0.0, 0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(after.matches["dz"], [0.0, 0.0, -0.3, -0.3], atol=1e-6)


def test_caldb_picks_the_latest_validity_start_within_a_version(tmp_path: Path) -> None:
    directory = tmp_path / "align"
    write_calalign_file(directory, "pcadD2022-06-01alignN0011.fits", start="1999-07-23T00:00:00")
    write_calalign_file(directory, "pcadD2020-01-01alignN0011.fits", start="2020-01-01T00:00:00")
    table = calalign_from_files(directory)
    pick = select_calalign(
        table, ["ACIS-S", "ACIS-S"], [CxoTime(t).secs for t in ("2019:001", "2021:001")]
    )
    assert [table["filename"][i] for i in pick] == [
        "pcadD2022-06-01alignN0011.fits",
        "pcadD2020-01-01alignN0011.fits",
    ]


class FailingFiles(FitsCalalignFiles):
    """The FITS adapter, failing on the n-th file: with OSError(ENOSPC), as write(2) reports a
    full disk through astropy.io.fits, or with FileExistsError, as os.link reports a target
    created meanwhile by another process."""

    def __init__(self, fail_at: int, error: BaseException) -> None:
        self.fail_at, self.error, self.calls = fail_at, error, 0

    def write_corrected(self, *args: Any, **kwargs: Any) -> Path:
        self.calls += 1
        if self.calls == self.fail_at:
            raise self.error
        return super().write_corrected(*args, **kwargs)


@pytest.mark.parametrize(
    ("error", "raised", "message"),
    [
        (OSError(28, "No space left on device"), OSError, "No space left"),
        (FileExistsError("CALALIGN file x exists"), ValidationError, "no file written"),
    ],
)
def test_failed_write_removes_the_files_of_the_call(
    tmp_path: Path, error: BaseException, raised: type[BaseException], message: str
) -> None:
    base = write_calalign_file(tmp_path / "current")
    offsets = steps(("2020:001", "all", 0.1, 0.1), ("2021:001", "all", 0.2, 0.2))
    out = tmp_path / "new"
    with pytest.raises(raised, match=message):
        calibration.write_calalign_files(offsets, base, out, FailingFiles(3, error))
    assert not list(out.iterdir())


def test_injected_offsets_per_detector_and_half_year() -> None:
    years = np.array([2024.1, 2024.2, 2024.3, 2024.6, 2024.1])
    truth = Table(
        {
            "obsid": [1, 1, 2, 3, 4],
            "detector": ["ACIS-S", "ACIS-S", "ACIS-S", "ACIS-S", "HRC-I"],
            "year": years,
            "inj_dy": [0.1, 0.2, 0.3, 0.4, -0.2],
            "inj_dz": [0.0, 0.0, 0.0, 0.1, 0.3],
        }
    )
    table = injected_offsets(truth)
    assert list(table["detector"]) == ["ACIS-S", "HRC-I", "ACIS-S"]
    assert list(table["n"]) == [3, 1, 1]
    np.testing.assert_allclose(table["dy"], [0.2, -0.2, 0.4], atol=1e-9)
    assert str(CxoTime(table["tstart"][2]).date).startswith("2024:184:00")  # 2024.5 (a leap year)
