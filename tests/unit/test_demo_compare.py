"""The demo's comparison of recovered cross-matches with the simulated truth (fakes only)."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.table import Table

from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.time import CxoTime
from astromon.services.demo import compare_with_truth, half_year

YEARS = {"2024.0": 2024.2, "2024.5": 2024.7}


def _truth(rng: np.random.Generator, n: int = 400) -> Table:
    detector = np.array(["ACIS-S", "HRC-I"] * (n // 2))
    year = np.where(np.arange(n) % 4 < 2, 2024.2, 2024.7)
    inj_dy = np.where(detector == "ACIS-S", 0.2, -0.1) + 0.1 * (year - 2024.0)
    inj_dz = np.where(year > 2024.5, 0.3, -0.05)
    true_dy = inj_dy + rng.normal(0, 0.1, n)
    true_dz = inj_dz + rng.normal(0, 0.1, n)
    return Table(
        {
            "obsid": np.arange(n) // 10 + 1,
            "name": [f"S{i}" for i in range(n)],
            "detector": detector,
            "year": year,
            "inj_dy": inj_dy,
            "inj_dz": inj_dz,
            "true_dy": true_dy,
            "true_dz": true_dz,
        }
    )


def _matches(truth: Table, noise: float, rng: np.random.Generator) -> Table:
    n = len(truth)
    dy = np.asarray(truth["true_dy"]) + rng.normal(0, noise, n)
    dz = np.asarray(truth["true_dz"]) + rng.normal(0, noise, n)
    tstart = np.asarray(CxoTime(np.asarray(truth["year"]), format="decimalyear").secs)
    return Table(
        {
            "obsid": truth["obsid"],
            "name": truth["name"],
            "detector": truth["detector"],
            "tstart": tstart,
            "dy": dy,
            "dz": dz,
            "dr": np.hypot(dy, dz),
        }
    )


def test_exact_recovery_passes():
    rng = np.random.default_rng(0)
    truth = _truth(rng)
    result = compare_with_truth(_matches(truth, 0.0, rng), truth)
    assert result.passed and result.offsets_ok and result.radius_ok
    assert result.n_matches == 400 and result.n_unidentified == 0
    assert [(b.detector, b.half_year) for b in result.bins] == [
        ("ACIS-S", 2024.0),
        ("ACIS-S", 2024.5),
        ("HRC-I", 2024.0),
        ("HRC-I", 2024.5),
    ]
    first = result.bins[0]
    assert first.n == 100
    assert first.injected_dy == pytest.approx(0.2 + 0.02)
    assert first.injected_dz == pytest.approx(-0.05)
    assert result.radius90_recovered == pytest.approx(result.radius90_simulated)
    assert result.lines()[-1].startswith("PASS")


def test_small_measurement_noise_still_passes_and_a_bias_fails():
    rng = np.random.default_rng(1)
    truth = _truth(rng)
    assert compare_with_truth(_matches(truth, 0.02, rng), truth).passed
    biased = _matches(truth, 0.0, rng)
    sel = (biased["detector"] == "HRC-I") & (biased["tstart"] > CxoTime("2024-07-01").secs)
    biased["dz"][sel] += 0.08
    result = compare_with_truth(biased, truth)
    assert not result.offsets_ok and not result.passed
    bad = [b for b in result.bins if b.error > 0.05]
    assert [(b.detector, b.half_year) for b in bad] == [("HRC-I", 2024.5)]
    assert bad[0].error == pytest.approx(0.08, abs=0.03)
    assert any("<-- off" in line for line in result.lines())


def test_radius_disagreement_fails():
    rng = np.random.default_rng(2)
    truth = _truth(rng)
    matches = _matches(truth, 0.0, rng)
    matches["dr"] *= 1.2
    result = compare_with_truth(matches, truth)
    assert result.offsets_ok and not result.radius_ok
    assert result.radius_error == pytest.approx(0.2, rel=1e-6)


def test_unidentified_matches_are_counted_not_used():
    rng = np.random.default_rng(3)
    truth = _truth(rng)
    matches = _matches(truth, 0.0, rng)
    names = np.asarray(matches["name"]).astype("U32")
    names[:5] = "not a simulated star"
    matches["name"] = names
    matches["dy"][:5] = 2.5
    result = compare_with_truth(matches, truth)
    assert result.n_unidentified == 5 and result.n_matches == 395
    assert result.passed


def test_bad_input():
    rng = np.random.default_rng(4)
    truth = _truth(rng, 8)
    matches = _matches(truth, 0.0, rng)
    with pytest.raises(SchemaError, match="dz"):
        compare_with_truth(matches[["obsid", "name", "detector", "tstart", "dy", "dr"]], truth)
    with pytest.raises(SchemaError, match="inj_dy"):
        compare_with_truth(matches, truth[["obsid", "name"]])
    with pytest.raises(ValidationError, match="offset_tolerance"):
        compare_with_truth(matches, truth, offset_tolerance=0)
    empty = compare_with_truth(matches[:0], truth)
    assert not empty.passed and empty.bins == ()


def test_half_year():
    assert half_year(2024.49).tolist() == 2024.0
    assert half_year([2024.5, 2025.99]).tolist() == [2024.5, 2025.5]
