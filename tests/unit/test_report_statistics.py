"""Report statistics (pure domain) and the report service, against direct computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.storage.input_files import LocalInputFiles
from astropy.table import Table

from astromon.domain import accuracy as acc
from astromon.domain import statistics as stats
from astromon.domain.errors import ValidationError
from astromon.domain.time import CxoTime
from astromon.services.report import monitoring as report_service
from tests.unit.fake_store import InMemoryStore

YEAR = stats.SECONDS_PER_YEAR


def test_periods_are_counted_back_from_now() -> None:
    """Each period is now - start < t <= now - stop, like the accuracy window."""
    now = 100 * YEAR
    t = now - np.array([-0.01, 0.0, 0.5, 1.99, 2.0, 3.0, 4.0, 4.01, 5.0, 5.5]) * YEAR
    dr = np.ones(t.size)
    rows = acc.summary_table(dr, np.full(t.size, "ACIS-S"), t, now)
    n = {(r.period, r.detector): r.figures.n for r in rows}
    assert n[("last 2 years", "all")] == 3  # 0, 0.5, 1.99 years ago; none after now
    assert n[("4-2 years ago", "all")] == 2  # 2.0 and 3.0 years ago, not 4.0
    assert n[("last 5 years", "all")] == 7  # from 0 to 4.01 years ago, not 5.0
    assert n[("last 5 years", "HRC-I")] == 0
    with pytest.raises(ValidationError, match="finite"):
        acc.summary_table(dr, np.full(t.size, "ACIS-S"), t, float("nan"))


def test_summary_table_per_detector() -> None:
    rng = np.random.default_rng(1)
    n = 200
    dr = rng.rayleigh(0.5, n)
    det = rng.choice(["ACIS-S", "ACIS-I", "HRC-S", "HRC-I"], n)
    now = 30 * YEAR
    t = now - rng.random(n) * 6 * YEAR
    rows = acc.summary_table(dr, det, t, now)
    assert len(rows) == 3 * 5
    by_key = {(r.period, r.detector): r.figures for r in rows}
    sel = (t > now - 4 * YEAR) & (t <= now - 2 * YEAR) & (det == "HRC-I")
    row = by_key[("4-2 years ago", "HRC-I")]
    assert row.n == sel.sum()
    assert row.rms == pytest.approx(np.sqrt(np.mean(dr[sel] ** 2)))
    assert row.q90 == pytest.approx(np.percentile(dr[sel], 90))
    assert row.max_offset == np.max(dr[sel])
    assert row.percent_above_1arcsec == pytest.approx(100 * np.mean(dr[sel] > 1))
    assert by_key[("last 5 years", "all")].n == np.sum(t > now - 5 * YEAR)
    with pytest.raises(ValidationError, match="differ in length"):
        acc.summary_table(dr, det[:-1], t, now)


def test_binned_medians_half_year() -> None:
    years = np.array([2013.1, 2013.2, 2013.4, 2013.6, 2013.9, 2014.2])
    values = np.array([1.0, 3.0, 2.0, -1.0, 5.0, 7.0])
    binned = stats.binned_medians(years, values)
    assert binned.bin_start.tolist() == [2013.0, 2013.5, 2014.0]
    assert binned.n.tolist() == [3, 2, 1]
    assert binned.median.tolist() == [2.0, 2.0, 7.0]
    assert binned.low[0] == pytest.approx(np.percentile([1, 3, 2], 15.8))
    assert binned.high[1] == pytest.approx(np.percentile([-1, 5], 84.2))
    assert stats.half_year_bins([2013.49, 2013.5]).tolist() == [2013.0, 2013.5]
    with pytest.raises(ValidationError, match="positive"):
        stats.binned_medians(years, values, width_years=0)


def test_cdf() -> None:
    x, y = stats.cdf([3.0, 1.0, np.nan, 2.0])
    assert x.tolist() == [1.0, 2.0, 3.0] and y.tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_offset_steps_apply_from_their_tstart() -> None:
    steps = Table({"tstart": [200.0, 100.0], "dy": [1.0, 0.5], "dz": [-1.0, 0.0]})
    dy, dz, dr = stats.apply_offset_steps([50, 100, 150, 250], [1, 1, 1, 1], [0, 0, 0, 0], steps)
    assert dy.tolist() == [1.0, 0.5, 0.5, 0.0]
    assert dz.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert dr.tolist() == pytest.approx(np.hypot(dy, dz).tolist())
    with pytest.raises(ValidationError, match="tstart, dy, dz"):
        stats.apply_offset_steps([1], [1], [1], Table({"tstart": [1.0]}))


def test_shift_to_reference_calalign() -> None:
    dy, dz, dr = stats.shift_to_reference_calalign([1.0], [2.0], [0.3], [0.1], [0.5], [0.0])
    assert dy[0] == pytest.approx(1.2) and dz[0] == pytest.approx(1.9)
    assert dr[0] == pytest.approx(np.hypot(1.2, 1.9))


def test_report_on_reference_equals_direct_computation(reference_dir: Path) -> None:
    store = InMemoryStore.from_directory(reference_dir)
    matches = report_service.select_matches(store)
    # the selection, computed directly from the ECSV tables
    xcorr = Table.read(reference_dir / "astromon_xcorr.ecsv")
    obs = Table.read(reference_dir / "astromon_obs.ecsv")
    xray = Table.read(reference_dir / "astromon_xray_src.ecsv")
    snr = {(r["obsid"], r["id"]): r["snr"] for r in xray}
    caldb = {(r["obsid"], r["id"]): r["caldb_version"] for r in xray}
    nominal = {"ACIS-I": -233.587, "ACIS-S": -190.143, "HRC-I": 126.983, "HRC-S": 250.466}
    bad_targets = ("rwaur", "tauboo", "70oph", "16cyg", "m87", "orion", "hd97950", "hd4915")
    ok_obs = {
        r["obsid"]
        for r in obs
        if r["category_id"] not in (100, 110, 120)
        and abs(r["sim_z"] - nominal[r["detector"]]) <= 4
        and not r["target"].replace(" ", "").lower().startswith(bad_targets)
    }
    keep = [
        r
        for r in xcorr
        if snr[(r["obsid"], r["x_id"])] >= 5
        and r["obsid"] in ok_obs
        and caldb[(r["obsid"], r["x_id"])] != "0.0"
    ]
    assert 13748 not in ok_obs  # category "SN, SNR, and Isolated NS"
    assert sorted(matches["obsid"]) == sorted(r["obsid"] for r in keep)

    now = "2015:001"
    report = report_service.build_report(matches, now=now)
    dr = np.asarray(matches["dr"], dtype=float)
    tstart = np.asarray(matches["tstart"], dtype=float)
    now_s = float(CxoTime(now).secs)
    last5 = (tstart > now_s - 5 * YEAR) & (tstart <= now_s)
    row = next(r for r in report.summary if (r.period, r.detector) == ("last 5 years", "all"))
    assert row.figures.n == len(matches) == last5.sum()
    assert row.figures.rms == pytest.approx(np.sqrt(np.mean(dr**2)))
    assert row.figures.q90 == pytest.approx(np.percentile(dr, 90))
    assert row.figures.percent_above_1arcsec == pytest.approx(100 * np.mean(dr > 1))
    overall = report.accuracy.overall
    assert overall.n == len(matches)
    assert overall.q68 == pytest.approx(np.percentile(dr, 68))
    assert overall.q99 == pytest.approx(np.percentile(dr, 99))
    assert overall.max_offset == np.max(dr)
    for det in ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I"):
        sel = np.asarray(matches["detector"]) == det
        figures = report.accuracy.detectors[det]
        assert figures.n == sel.sum()
        if sel.any():
            assert figures.rms == pytest.approx(np.sqrt(np.mean(dr[sel] ** 2)))
            assert figures.q90 == pytest.approx(np.percentile(dr[sel], 90))
    years = np.asarray(CxoTime(tstart).frac_year)
    for binned, col in ((report.medians_dy, "dy"), (report.medians_dz, "dz")):
        values = np.asarray(matches[col], dtype=float)
        for start, median in zip(binned.bin_start, binned.median, strict=True):
            in_bin = (years >= start) & (years < start + 0.5)
            assert median == pytest.approx(np.median(values[in_bin]))
        assert binned.n.sum() == len(matches)


def test_report_service_validates_input(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"lack the columns \['detector'"):
        report_service.build_report(Table({"obsid": [1]}))
    bad = tmp_path / "steps.ecsv"
    Table({"tstart": [1.0], "dy": [0.1]}).write(bad)
    with pytest.raises(ValidationError, match=r"lacks the columns \['dz'\]"):
        report_service.read_offset_steps(bad, LocalInputFiles())
    good = tmp_path / "steps.csv"
    good.write_text("tstart,dy,dz\n2014:001,0.1,0.2\n")
    steps = report_service.read_offset_steps(good, LocalInputFiles())
    assert steps["tstart"][0] == pytest.approx(CxoTime("2014:001").secs)
    with pytest.raises(ValidationError, match="snr"):
        report_service.standard_selection(-1)
