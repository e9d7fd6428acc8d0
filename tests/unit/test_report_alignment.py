"""The report's alignment section: the fitted shifts over time, the flagged observations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.report.plots import FIGURES, FLAGGED_COLOR
from astromon_adapters.report.renderer import MatplotlibReportRenderer
from astropy.table import Table
from matplotlib.colors import to_rgba

from astromon.domain.alignment import AlignmentOptions
from astromon.domain.alignment.history import FITTED_SOURCE, STORED_SOURCE
from astromon.domain.time import CxoTime
from astromon.services.report import monitoring as report_service
from benchmarks import reference_alignment
from tests.unit.alignment_support import simulate

NOW = "2016:001"


def pairs(seed: int = 11, n_obs: int = 60) -> Table:
    """Simulated cross-matches of ``n_obs`` observations (3-8 pairs, shifts up to 2", rolls
    up to 60") with the columns the report needs; observation k starts at 2012.0 + k/20."""
    rng = np.random.default_rng(seed)
    sim = simulate(rng, rng.integers(3, 9, n_obs), max_off_axis=400.0)
    table = sim.table
    index = np.asarray(table["obsid"]) - int(sim.obsid[0])
    start = CxoTime("2012:001").secs
    table["tstart"] = start + index * 0.05 * 365.25 * 86400.0
    table["detector"] = np.array(["ACIS-S", "ACIS-I", "HRC-S", "HRC-I"])[index % 4]
    table["target"] = [f"target {i}" for i in index]
    table["dr"] = np.hypot(table["dy"], table["dz"])
    table["select_name"] = "astromon_21"
    return table


@pytest.fixture(scope="module")
def matches() -> Table:
    return pairs()


def test_the_shifts_are_those_of_a_fit_of_each_observation_on_its_own(matches: Table) -> None:
    """Against the per-observation reference fit (numpy least squares, written separately)."""
    report = report_service.build_report(matches, now=NOW)
    history = report.alignment
    assert history is not None and history.source == FITTED_SOURCE
    expected = reference_alignment.fit_alignment(matches, AlignmentOptions())
    table = history.table
    assert sorted(table["obsid"].tolist()) == expected["obsid"].tolist()
    got = table[np.argsort(np.asarray(table["obsid"]))]
    for name in ("dy", "dz", "dy_err", "dz_err"):
        np.testing.assert_allclose(got[name], expected[name], atol=1e-6, err_msg=name)
    assert got["flagged"].tolist() == expected["flagged"].tolist()
    assert 0 < int(np.sum(expected["flagged"])) < len(expected)  # both kinds are drawn
    first = {int(o): float(t) for o, t in zip(matches["obsid"], matches["tstart"], strict=True)}
    years = CxoTime([first[int(o)] for o in got["obsid"]]).frac_year
    np.testing.assert_allclose(got["year"], years)
    assert np.all(np.diff(np.asarray(table["tstart"])) >= 0)  # by time
    flagged = {int(o) for o in expected["obsid"][np.asarray(expected["flagged"], dtype=bool)]}
    listed = report.record()["flagged_observations"]
    assert [item["obsid"] for item in listed] == [
        int(o) for o in table["obsid"] if int(o) in flagged
    ]
    one = next(item for item in listed)
    row = expected[expected["obsid"] == one["obsid"]][0]
    assert one["dy"] == pytest.approx(float(row["dy"]), abs=1e-6)
    assert one["date"] == CxoTime(first[one["obsid"]]).iso[:10]


def test_the_figure_draws_every_shift_and_the_flagged_ones_in_red(matches: Table) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    report = report_service.build_report(matches, now=NOW)
    assert report.alignment is not None
    table = report.alignment.table
    fig = FIGURES["alignment_shifts.png"][1](plt, report)
    try:
        for ax, axis in zip(fig.axes[:2], ("dy", "dz"), strict=True):
            red = to_rgba(FLAGGED_COLOR)
            drawn = {True: [], False: []}
            for container in ax.containers:
                line = container.lines[0]
                drawn[to_rgba(line.get_color()) == red].extend(map(tuple, line.get_xydata()))
            flagged = np.asarray(table["flagged"], dtype=bool)
            for is_red in (True, False):
                chosen = flagged == is_red
                want = list(zip(table["year"][chosen], table[axis][chosen], strict=True))
                np.testing.assert_allclose(sorted(drawn[is_red]), sorted(want))
    finally:
        plt.close(fig)


def test_the_stored_alignment_is_shown_when_given(matches: Table, tmp_path: Path) -> None:
    stored = reference_alignment.fit_alignment(matches, AlignmentOptions())
    stored["dy"] = 5.0  # recognisably the stored rows
    stored["flagged"] = False
    stored["flagged"][:2] = True
    kept = matches[np.isin(matches["obsid"], stored["obsid"][1:])]  # first observation left out
    report = report_service.build_report(kept, now=NOW, stored_alignment=stored)
    assert report.alignment is not None and report.alignment.source == STORED_SOURCE
    assert set(report.alignment.table["obsid"].tolist()) == set(stored["obsid"][1:].tolist())
    assert np.all(report.alignment.table["dy"] == 5.0)
    listed = report.record()["flagged_observations"]
    assert [item["obsid"] for item in listed] == [int(stored["obsid"][1])]
    page = MatplotlibReportRenderer(dpi=30).render(report, tmp_path / "report")
    html = page.read_text()
    assert 'id="alignment"' in html and STORED_SOURCE in html
    assert f"<td>{int(stored['obsid'][1])}</td>" in html.split('id="flagged-observations"')[1]
    summary = json.loads((page.parent / "summary.json").read_text())
    assert summary["flagged_observations"] == listed
    assert (page.parent / "alignment_shifts.png").read_bytes()[:4] == b"\x89PNG"


def test_matches_without_the_pairs_columns_have_no_alignment_section(tmp_path: Path) -> None:
    plain = pairs(n_obs=8)["obsid", "detector", "target", "tstart", "dy", "dz", "dr"]
    report = report_service.build_report(plain, now=NOW)
    assert report.alignment is None and report.record()["flagged_observations"] == []
    page = MatplotlibReportRenderer(dpi=30).render(report, tmp_path / "plain")
    assert 'id="alignment"' not in page.read_text()
