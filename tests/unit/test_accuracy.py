"""The accuracy statement against independent computations of its definition.

The definition: over the cross-matches of the report's selection whose observation started in
``now - 5 years < tstart <= now`` (a year = 365.25 days), the 68/90/99% radii of dr
(``numpy.percentile``; the system we replace, sot/astromon's celmon.py, interpolates the
cumulative histogram of dr in 0.01" bins from 0 to 3"), the worst offset max(dr), the RMS
of dr and the percentage above 1", overall and per detector.
"""

from __future__ import annotations

import json
import math
import statistics as pystats
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.report.renderer import MatplotlibReportRenderer
from astropy.table import Table
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from astromon.bootstrap import bootstrap
from astromon.cli.app import app
from astromon.domain import accuracy as acc
from astromon.domain.errors import ValidationError
from astromon.domain.filters import NOMINAL_SIM_Z
from astromon.domain.observation_offsets import observation_figures
from astromon.domain.time import CxoTime
from tests.unit.accuracy_record import generated_record
from tests.unit.fake_store import InMemoryStore
from tests.unit.fuzz_strategies import FUZZ, NUMBERS, STRINGS

YEAR = 365.25 * 86400.0
NOW_SECS = float(np.float32(CxoTime("2012:183").secs))
"""The middle of the generated 1999-2026 record, as the schema stores times (float32)."""
NOW = repr(NOW_SECS)
NOW_DATE = str(CxoTime(NOW_SECS).date)
DETECTORS = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")


def histogram_quantile(dr: np.ndarray, q: float) -> float:
    """The radius of the system we replace: the cumulative histogram of dr in 0.01" bins
    from 0 to 3", inverted by linear interpolation at the fraction ``q``."""
    edges = np.linspace(0.0, 3.0, 301)
    counts, _ = np.histogram(dr, bins=edges)
    cumulative = np.concatenate([[0.0], np.cumsum(counts) / dr.size])
    k = int(np.argmax(cumulative >= q))  # the first edge where the CDF reaches q
    low, high = cumulative[k - 1], cumulative[k]
    return float(edges[k - 1] + (q - low) / (high - low) * (edges[k] - edges[k - 1]))


def selected_in_window(tables: dict[str, Table], now: float, years: float = 5.0) -> Table:
    """The report's selection and window, computed here from the stored tables."""
    obs = {int(r["obsid"]): r for r in tables["astromon_obs"]}
    xray = {(int(r["obsid"]), int(r["id"])): r for r in tables["astromon_xray_src"]}
    rows = []
    for match in tables["astromon_xcorr"]:
        o = obs[int(match["obsid"])]
        x = xray[(int(match["obsid"]), int(match["x_id"]))]
        t = float(o["tstart"])
        keep = (
            x["snr"] >= 5
            and abs(o["sim_z"] - NOMINAL_SIM_Z[str(o["detector"])]) <= 4
            and str(o["target"]) != "M87"  # the one bad target of the record
            and int(o["category_id"]) not in (100, 110, 120)
            and str(x["caldb_version"]) != "0.0"
        )
        if keep:
            rows.append(
                (int(o["obsid"]), str(o["detector"]), t, float(match["dy"]), float(match["dz"]),
                 float(match["dr"]), now - years * YEAR < t <= now)
            )  # fmt: skip
    return Table(rows=rows, names=["obsid", "detector", "tstart", "dy", "dz", "dr", "inside"])


def cli_report(tables: dict[str, Table], args: list[str]) -> Any:
    store = InMemoryStore(tables)

    def open_store(dbfile: Any = None, *, write: bool = False) -> InMemoryStore:
        return store

    renderer = MatplotlibReportRenderer(dpi=30)
    return CliRunner().invoke(app, args, obj=bootstrap(store=open_store, renderer=renderer))


@pytest.fixture(scope="module")
def record() -> dict[str, Table]:
    now = NOW_SECS
    edges = (now, now + 1000.0, now - 5 * YEAR + 1000.0, now - 5 * YEAR - 1000.0)
    tables = generated_record(extra_times=edges).tables
    return {name: InMemoryStore(tables).read_table(name) for name in tables}  # as stored


@pytest.fixture(scope="module")
def reported(
    record: dict[str, Table], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, dict[str, Any]]:
    """``astromon report --now NOW`` on the record: the CLI result and its summary.json."""
    out = tmp_path_factory.mktemp("accuracy") / "report"
    result = cli_report(record, ["report", "--now", NOW, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result, json.loads((out / "summary.json").read_text())


def test_window_counts_nothing_after_now_nor_at_its_start() -> None:
    now = 500_000_000.0
    t = now + np.array([1.0, 0.0, -1.0, -5 * YEAR + 1.0, -5 * YEAR, -5 * YEAR - 1.0])
    assert acc.window_mask(t, now, 5.0).tolist() == [False, True, True, True, False, False]
    assert acc.window_mask(t, now, 2.0, 1.0).tolist() == [False] * 6


def test_the_figures_of_the_cli_against_numpy_with_now_in_the_middle(
    record: dict[str, Table], reported: tuple[Any, dict[str, Any]]
) -> None:
    result, summary = reported
    now = NOW_SECS
    matches = selected_in_window(record, now)
    inside = np.asarray(matches["inside"], dtype=bool)
    tstart = np.asarray(matches["tstart"])
    dr = np.asarray(matches["dr"], dtype=float)
    assert np.sum(tstart > now) > 1000  # half the record is after --now ...
    assert np.sum(tstart == now) >= 1  # ... one observation starts at now: it counts
    window = dr[inside]
    assert summary["n"] == window.size
    for q in (68, 90, 99):
        assert abs(summary[f"q{q}"] - np.percentile(window, q)) <= 1e-9
        assert abs(summary[f"q{q}"] - histogram_quantile(window, q / 100)) <= 0.01
    assert summary["max_offset"] == float(np.max(window))  # exact
    assert summary["rms"] == pytest.approx(math.sqrt(float(np.mean(window**2))), rel=1e-12)
    assert summary["percent_above_1arcsec"] == pytest.approx(100 * np.mean(window > 1))
    # ... and counting the matches after --now would give other radii
    assert abs(np.percentile(dr[tstart > now - 5 * YEAR], 90) - summary["q90"]) > 0.01
    assert abs(np.percentile(dr, 90) - summary["q90"]) > 0.01
    detector = np.asarray(matches["detector"])
    for name in DETECTORS:
        values = dr[inside & (detector == name)]
        figures = summary[name.replace("-", "_")]
        assert figures["n"] == values.size > 0
        assert abs(figures["q90"] - np.percentile(values, 90)) <= 1e-9
        assert figures["max_offset"] == float(np.max(values))
    assert summary["start_date"] == str(CxoTime(now - 5 * YEAR).iso)[:10] == "2007-07-01"
    assert summary["end_date"] == "2012-07-01"
    assert (summary["snr"], summary["n_years"], summary["now"]) == (5, 5, NOW_DATE)
    lines = result.stdout.splitlines()
    window = "accuracy over the 5 years before now, 2007-07-01 to 2012-07-01, S/N >= 5"
    assert lines[0] == f"now = {NOW_DATE}: {window}"
    assert f"has a radius of {summary['q90']:.2f} arcsec" in lines[1]


def test_the_years_option_sets_the_window(record: dict[str, Table], tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = cli_report(record, ["report", "--now", NOW, "--years", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    matches = selected_in_window(record, NOW_SECS, years=2.0)
    window = np.asarray(matches["dr"], dtype=float)[np.asarray(matches["inside"], dtype=bool)]
    assert summary["n_years"] == 2 and summary["n"] == window.size
    assert summary["q99"] == pytest.approx(np.percentile(window, 99), abs=1e-12)


def test_summary_json_keys_and_the_worst_observations(
    record: dict[str, Table], reported: tuple[Any, dict[str, Any]]
) -> None:
    _, summary = reported
    figures = {"n", "q68", "q90", "q99", "max_offset", "rms", "percent_above_1arcsec"}
    assert set(summary) == {
        "start_date", "end_date", "snr", "n_years", "now", "view", "worst_observations",
        "flagged_observations", *figures, "ACIS_S", "ACIS_I", "HRC_S", "HRC_I",
    }  # fmt: skip
    assert all(set(summary[d]) == figures for d in ("ACIS_S", "ACIS_I", "HRC_S", "HRC_I"))
    assert summary["view"] == "as archived"
    # the 20 observations with the largest dr in the window, computed here
    matches = selected_in_window(record, NOW_SECS)
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in matches[np.asarray(matches["inside"], dtype=bool)]:
        groups[int(row["obsid"])].append(row)
    expected = sorted(groups, key=lambda o: (-max(r["dr"] for r in groups[o]), o))[:20]
    worst = summary["worst_observations"]
    assert [w["obsid"] for w in worst] == expected
    obs = {int(r["obsid"]): r for r in record["astromon_obs"]}
    for entry in worst:
        rows = groups[entry["obsid"]]
        assert entry["n"] == len(rows)
        assert entry["max_dr"] == max(float(r["dr"]) for r in rows)
        assert entry["median_dy"] == pytest.approx(pystats.median(float(r["dy"]) for r in rows))
        assert entry["median_dz"] == pytest.approx(pystats.median(float(r["dz"]) for r in rows))
        o = obs[entry["obsid"]]
        assert entry["target"] == str(o["target"]) and entry["detector"] == str(o["detector"])
        assert entry["date"] == str(o["date_obs"])[:10]


def test_no_data_gives_null_figures_never_nan() -> None:
    statement = acc.accuracy_statement([0.5], ["ACIS-S"], [0.0], 10 * YEAR, 5.0, snr=3.0)
    assert statement.overall.n == 0 and math.isnan(statement.overall.q90)
    record = statement.record()
    text = json.dumps(record, allow_nan=False)  # no NaN reaches the JSON
    assert record["q90"] is None and record["HRC_I"] == {
        "n": 0, "q68": None, "q90": None, "q99": None, "max_offset": None, "rms": None,
        "percent_above_1arcsec": None,
    }  # fmt: skip
    assert '"snr": 3.0' in text


def test_observation_figures_against_plain_python() -> None:
    rng = np.random.default_rng(5)
    obsid = rng.integers(1, 40, 300)
    dy, dz = rng.normal(0, 0.4, 300), rng.normal(0, 0.4, 300)
    dr = np.hypot(dy, dz)
    dr[7] = np.nan  # left out
    det = np.array([DETECTORS[o % 4] for o in obsid])
    got = observation_figures(
        obsid, dy, dz, dr, detector=det, target=[f"T{o}" for o in obsid], times=obsid * 1e6
    )
    groups: dict[int, list[int]] = defaultdict(list)
    for i, o in enumerate(obsid):
        if i != 7:
            groups[int(o)].append(i)
    assert [g.obsid for g in got] == sorted(groups, key=lambda o: (-max(dr[groups[o]]), o))
    for g in got:
        rows = groups[g.obsid]
        assert g.n == len(rows) and g.max_dr == max(dr[rows])
        assert g.median_dy == pytest.approx(pystats.median(dy[rows]))
        assert g.median_dz == pytest.approx(pystats.median(dz[rows]))
        assert (g.detector, g.target, g.tstart) == (
            DETECTORS[g.obsid % 4],
            f"T{g.obsid}",
            g.obsid * 1e6,
        )


def test_recent_half_years_end_with_the_latest_match() -> None:
    assert acc.recent_half_years([2019.2, 2021.7, 2021.4]) == [
        2019.0, 2019.5, 2020.0, 2020.5, 2021.0, 2021.5,
    ]  # fmt: skip
    assert acc.recent_half_years([]) == []


@FUZZ
@given(years=st.one_of(st.floats(max_value=0.0), st.just(float("nan")), st.just(float("inf"))))
def test_a_window_that_is_not_a_positive_number_of_years_is_refused(years: float) -> None:
    with pytest.raises(ValidationError, match="positive number of years"):
        acc.window_mask([1.0], 10.0, years)
    with pytest.raises(ValidationError, match="positive number of years"):
        acc.accuracy_statement([1.0], ["ACIS-S"], [1.0], 10.0, years)


def _positive(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and value > 0


@pytest.mark.slow
@settings(FUZZ, max_examples=200)
@given(years=st.one_of(NUMBERS.map(str), STRINGS))
def test_fuzz_report_years(record: dict[str, Table], years: str) -> None:
    """Any --years: a usage error naming the option unless it is a positive number of years
    (then the unknown --name is the error); never a traceback, never a page written."""
    assume(years not in ("-h", "--help"))
    args = ["report", "--years", years, "--name", "no_such_match", "--out", "/nonexistent/r"]
    result = cli_report(record, args)
    assert result.exit_code == 2, (years, result.output)
    assert "Traceback" not in result.output
    if _positive(years):
        assert "no_such_match" in result.stderr, (years, result.stderr)
    else:
        assert "--years" in result.stderr, (years, result.stderr)
