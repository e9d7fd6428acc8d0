"""Median offsets per time bin and the offsets files (JSON, ECSV, CSV)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.storage.input_files import LocalInputFiles
from astropy.table import Table, vstack

from astromon.bootstrap import bootstrap
from astromon.domain.errors import ValidationError
from astromon.domain.offset_bins import bin_starts, binned_offsets
from astromon.domain.resampling import median_uncertainty
from astromon.domain.time import CxoTime
from astromon.services.calibration import calalign as calibration
from astromon.services.calibration.offset_files import read_offsets, write_offsets
from astromon.services.report.monitoring import read_offset_steps

WRITER = bootstrap().write_text_file
"""The real atomic text writer (table_files adapter), as the CLI passes it."""


def test_bins_start_at_multiples_of_the_width() -> None:
    np.testing.assert_allclose(bin_starts([2020.1, 2020.5, 2020.99], 2), [2020.0, 2020.5, 2020.5])
    np.testing.assert_allclose(bin_starts([2020.3], 4), [2020.25])
    with pytest.raises(ValidationError, match="bins per year must be a positive number, got 0"):
        bin_starts([2020.0], 0)


def test_binned_offsets_overall_and_per_detector() -> None:
    years = np.array([2020.1, 2020.2, 2020.3, 2020.6, 2020.7, 2020.8])
    dy = np.array([1.0, 2.0, 3.0, -1.0, -2.0, np.nan])
    dz = np.array([0.0, 0.5, 1.0, 2.0, 4.0, 9.0])
    det = np.array(["ACIS-S", "ACIS-S", "HRC-I", "HRC-I", "HRC-I", "HRC-I"])
    obsid = np.array([1, 2, 3, 4, 4, 5])
    detectors = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")
    rows = binned_offsets(years, dy, dz, det, obsid, bins_per_year=2, detectors=detectors)
    assert [(r.start_year, r.detector, r.n, r.n_obs) for r in rows] == [
        (2020.0, "all", 3, 3), (2020.0, "ACIS-S", 2, 2), (2020.0, "HRC-I", 1, 1),
        (2020.5, "all", 2, 1), (2020.5, "HRC-I", 2, 1),
    ]  # fmt: skip
    assert rows[0].dy == 2.0 and rows[0].dz == 0.5 and rows[0].stop_year == 2020.5
    assert rows[1].dy == 1.5
    assert np.isnan(rows[2].dy_err)  # one observation: no uncertainty
    assert np.isnan(rows[3].dy_err)  # two matches of one observation: none either
    assert rows[0].dy_err == median_uncertainty(dy[:3], obsid[:3])
    common = binned_offsets(years, dy, dz, det, obsid)  # by default the common rows only
    assert [(r.start_year, r.detector) for r in common] == [(2020.0, "all"), (2020.5, "all")]
    with pytest.raises(ValidationError, match="one length"):
        binned_offsets(years, dy[:2], dz, det, obsid)


def matches() -> Table:
    times = ["2021:010", "2021:020", "2021:200", "2021:210", "2022:010"]
    return Table(
        {
            "obsid": [1, 2, 3, 4, 5],
            "tstart": [CxoTime(t).secs for t in times],
            "detector": ["ACIS-S", "HRC-S", "ACIS-S", "ACIS-S", "HRC-S"],
            "dy": [0.1, 0.3, 0.5, 0.7, 0.9],
            "dz": [-0.1, -0.3, -0.5, -0.7, -0.9],
        }
    )


def test_median_offsets_with_start_and_stop() -> None:
    table = calibration.median_offsets(matches(), per_detector=True)
    assert list(table["detector"]) == ["all", "ACIS-S", "HRC-S", "all", "ACIS-S", "all", "HRC-S"]
    assert str(CxoTime(table["tstart"][3]).date).startswith("2021:183:12")  # 2021.5
    assert table["dy"][3] == pytest.approx(0.6) and table["n"][3] == 2
    assert table["n_obs"][3] == 2
    common = calibration.median_offsets(matches())
    assert list(common["detector"]) == ["all", "all", "all"]
    np.testing.assert_array_equal(common["dy"], table["dy"][table["detector"] == "all"])
    limited = calibration.median_offsets(
        matches(), start="2021:100", stop="2022:001", per_detector=True
    )
    assert list(limited["detector"]) == ["all", "ACIS-S"]
    yearly = calibration.median_offsets(matches(), bins_per_year=1)
    assert yearly["n"][0] == 4 and yearly["dy"][0] == pytest.approx(0.4)
    with pytest.raises(ValidationError, match="--start: cannot parse the time 'soon'"):
        calibration.median_offsets(matches(), start="soon")


def test_a_bins_uncertainty_comes_from_its_observations() -> None:
    """Each observation's sources listed ten times over: same medians, same uncertainties."""
    rng = np.random.default_rng(4)
    obsid = np.repeat(np.arange(30), 8)
    aspect = rng.normal(0, 0.3, (30, 2))
    table = Table(
        {
            "obsid": obsid,
            "tstart": np.full(obsid.size, CxoTime("2021:100").secs),
            "detector": np.where(obsid % 2, "ACIS-S", "HRC-I"),
            "dy": aspect[obsid, 0] + rng.normal(0, 0.1, obsid.size),
            "dz": aspect[obsid, 1] + rng.normal(0, 0.1, obsid.size),
        }
    )
    once = calibration.median_offsets(table, per_detector=True)
    tenfold = calibration.median_offsets(vstack([table] * 10), per_detector=True)
    assert list(tenfold["n"]) == [10 * n for n in once["n"]]
    assert list(tenfold["n_obs"]) == list(once["n_obs"]) == [30, 15, 15]
    for column in ("dy", "dz", "dy_err", "dz_err"):
        np.testing.assert_array_equal(tenfold[column], once[column])
    assert np.all(once["dy_err"] > 1.2533 * 0.3 / np.sqrt(30) / 2)  # not 0.3 / sqrt(240)


def test_json_and_ecsv_round_trip(tmp_path: Path) -> None:
    table = calibration.median_offsets(matches(), per_detector=True)
    path = write_offsets(table, tmp_path / "offsets.json", writer=WRITER)
    rows = json.loads(path.read_text())
    assert rows[0]["tstart"] == "2021:001:00:00:00.000"
    assert set(rows[0]) == {
        "tstart", "tstop", "detector", "n", "n_obs", "dy", "dz", "dy_err", "dz_err",
    }  # fmt: skip
    for name in ("offsets.json", "offsets.ecsv"):
        write_offsets(table, tmp_path / name, writer=WRITER, overwrite=True)
        back = read_offsets(tmp_path / name, LocalInputFiles())
        assert list(back["detector"]) == list(table["detector"])
        np.testing.assert_allclose(back["tstart"], table["tstart"], atol=1e-3)
        np.testing.assert_allclose(back["dy"], table["dy"], atol=1e-6)
        np.testing.assert_array_equal(back["n"], table["n"])
    with pytest.raises(
        ValidationError, match=r"--output '.*offsets.json': exists; pass --overwrite"
    ):
        write_offsets(table, tmp_path / "offsets.json", writer=WRITER)
    with pytest.raises(ValidationError, match=r"must end in \.json or \.ecsv"):
        write_offsets(table, tmp_path / "offsets.txt", writer=WRITER)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["offsets.ecsv", "offsets.json"]


def test_the_production_json_and_csv_are_read(tmp_path: Path) -> None:
    legacy = tmp_path / "offsets.json"  # as written by calc_median.py: isot dates, no detector
    legacy.write_text(
        json.dumps([{"tstart": "2013-07-01T00:00:00.000", "tstop": "2014-01-01T00:00:00.000",
                     "dy": 0.12, "dz": -0.05}])
    )  # fmt: skip
    steps = read_offset_steps(legacy, LocalInputFiles())
    assert steps["detector"][0] == "all" and steps["n"][0] == -1
    assert steps["tstart"][0] == pytest.approx(CxoTime("2013-07-01T00:00:00").secs)
    csv = tmp_path / "steps.csv"
    csv.write_text("tstart,dy,dz\n2013:001,0.5,-0.5\n500000000.0,0.1,0.2\n")
    steps = read_offset_steps(csv, LocalInputFiles())
    assert steps["tstart"][1] == 500000000.0 and steps["dz"][0] == -0.5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"tstart": 1}', "must hold a JSON list"),
        ("[]", "holds no offset steps"),
        ('[{"tstart": "2013:001", "dy": 1}]', r"entry 0 lacks \['dz'\]"),
        ('[{"tstart": "yesterday", "dy": 1, "dz": 2}]', "row 0: bad tstart 'yesterday'"),
        ('[{"tstart": "2013:001", "dy": "x", "dz": 2}]', "row 0: bad dy 'x'"),
        ('[{"tstart": "2013:001", "dy": null, "dz": 2}]', "row 0: bad dy None"),
        ('[{"tstart": "2013:001", "dy": 1, "dz": 2, "detector": "ACIS"}]', "bad detector 'ACIS'"),
        (
            '[{"tstart": "2013:001", "dy": 1, "dz": 2}, {"tstart": "2013:001", "dy": 1, "dz": 2}]',
            "two steps with the same detector and tstart",
        ),
    ],
)
def test_bad_json_files_name_the_option_and_value(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValidationError, match=rf"--offsets-file '.*bad.json': .*{message}"):
        read_offset_steps(path, LocalInputFiles())


def test_bad_table_files(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("tstart,dx,dz\n2013:001,1,2\n")
    with pytest.raises(ValidationError, match=r"--offsets .*lacks the columns \['dy'\]"):
        read_offsets(csv, LocalInputFiles(), option="--offsets")
    with pytest.raises(ValidationError, match=r"--offsets-file .*none\.ecsv. does not exist"):
        read_offset_steps(tmp_path / "none.ecsv", LocalInputFiles())
    nan = tmp_path / "nan.csv"
    nan.write_text("tstart,dy,dz\n2013:001,nan,2\n")
    with pytest.raises(ValidationError, match="row 0: dy is not finite"):
        read_offset_steps(nan, LocalInputFiles())
