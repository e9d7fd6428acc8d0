"""The CIAO-free event-list source detector (astromon_adapters.chandra.detector) on simulated
evt2 files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.chandra.detector import (
    EventSourceDetector,
    nominal_psf_sigma_arcsec,
    read_event_list,
)
from astromon_adapters.simulation.files import write_evt2
from astromon_adapters.simulation.model import plan_observations, plan_sources
from astropy.io import fits
from astropy.table import Table

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.geometry import angular_separation_arcsec


@pytest.fixture(scope="module")
def detections(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Table, Table]]:
    """(truth, detected source list) for 8 simulated observations (2 per detector)."""
    root = tmp_path_factory.mktemp("detector")
    out = []
    detector = EventSourceDetector()
    for obs in plan_observations(8, seed=11):
        evt2 = write_evt2(obs, root)
        src = detector.detect(evt2, root / "sources", obs.obsid, snr=3.0)
        assert src == root / "sources" / f"{obs.obsid}_celldetect.src"
        out.append((plan_sources(obs), Table.read(src, hdu="SRCLIST")))
    return out


def _nearest(truth: Table, found: Table) -> np.ndarray:
    sep = angular_separation_arcsec(
        np.asarray(truth["ra"])[:, None],
        np.asarray(truth["dec"])[:, None],
        np.asarray(found["RA"])[None, :],
        np.asarray(found["DEC"])[None, :],
    )
    return sep.min(axis=1) if sep.shape[1] else np.full(len(truth), np.inf)


def test_finds_95_percent_of_bright_sources_within_0_1_arcsec(detections):
    n_bright, n_good = 0, 0
    for truth, found in detections:
        bright = truth[(truth["kind"] != "dark") & (truth["snr"] > 5)]
        dist = _nearest(bright, found)
        n_bright += len(bright)
        n_good += int((dist < 0.1).sum())
    assert n_bright > 200
    assert n_good / n_bright >= 0.95


def test_no_spurious_sources_and_faint_ones_below_threshold(detections):
    for truth, found in detections:
        emitting = truth[truth["kind"] != "dark"]
        sep = angular_separation_arcsec(
            np.asarray(found["RA"])[:, None],
            np.asarray(found["DEC"])[:, None],
            np.asarray(emitting["ra"])[None, :],
            np.asarray(emitting["dec"])[None, :],
        )
        # every detection lies at a simulated x-ray source
        assert (sep.min(axis=1) < 1.0).all()
        assert (np.asarray(found["SNR"]) >= 3.0).all()


def test_counts_snr_and_psfratio_are_consistent(detections):
    for truth, found in detections:
        emitting = truth[(truth["kind"] != "dark") & (truth["counts"] > 300)]
        sep = angular_separation_arcsec(
            np.asarray(emitting["ra"])[:, None],
            np.asarray(emitting["dec"])[:, None],
            np.asarray(found["RA"])[None, :],
            np.asarray(found["DEC"])[None, :],
        )
        j = sep.argmin(axis=1)
        net = np.asarray(found["NET_COUNTS"])[j]
        expected = np.asarray(emitting["counts"])
        # Poisson: within 5 sigma of the expected counts
        assert (np.abs(net - expected) < 5 * np.sqrt(expected) + 3).all()
        snr = np.asarray(found["SNR"])[j]
        assert np.allclose(snr, np.sqrt(net), rtol=0.15)
        # bright point sources: size as the nominal PSF, PSFRATIO well below 1
        ratio = np.asarray(found["PSFRATIO"])[j]
        assert (ratio <= 1.0).all()
        assert np.median(ratio) == pytest.approx(1 / 1.5, rel=0.1)


def test_source_list_has_celldetect_columns(detections):
    _, found = detections[0]
    for col in ("RA", "DEC", "COMPONENT", "NET_COUNTS", "SNR", "PSFRATIO", "X", "Y", "R"):
        assert col in found.colnames
    assert list(found["COMPONENT"]) == list(range(1, len(found) + 1))
    # brightest first
    assert np.all(np.diff(np.asarray(found["NET_COUNTS"])) <= 0)


def test_snr_threshold_is_applied(tmp_path: Path):
    obs = plan_observations(1, seed=3)[0]
    evt2 = write_evt2(obs, tmp_path)
    low = Table.read(EventSourceDetector().detect(evt2, tmp_path / "a", obs.obsid, snr=3))
    high = Table.read(EventSourceDetector().detect(evt2, tmp_path / "b", obs.obsid, snr=20))
    assert 0 < len(high) < len(low)
    assert (np.asarray(high["SNR"]) >= 20).all()


def _write_events(path: Path, x: np.ndarray, y: np.ndarray, wcs: bool = True) -> Path:
    hdu = fits.BinTableHDU.from_columns(
        [fits.Column("x", "E", array=x), fits.Column("y", "E", array=y)], name="EVENTS"
    )
    if wcs:
        for i, (ctype, crval, cdelt) in (
            (1, ("RA---TAN", 10.0, -1.3667e-4)),
            (2, ("DEC--TAN", 20.0, 1.3667e-4)),
        ):
            hdu.header[f"TCTYP{i}"] = ctype
            hdu.header[f"TCRVL{i}"] = crval
            hdu.header[f"TCRPX{i}"] = 4096.5
            hdu.header[f"TCDLT{i}"] = cdelt
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


def test_single_source_position_and_empty_field(tmp_path: Path):
    rng = np.random.default_rng(1)
    x = 4000.0 + rng.normal(0, 0.6, 500)
    y = 4100.0 + rng.normal(0, 0.6, 500)
    evt2 = _write_events(tmp_path / "one.fits", x.astype(np.float32), y.astype(np.float32))
    found = Table.read(EventSourceDetector().detect(evt2, tmp_path, 1))
    assert len(found) == 1
    assert found["X"][0] == pytest.approx(x.mean(), abs=0.01)
    assert found["Y"][0] == pytest.approx(y.mean(), abs=0.01)
    events = read_event_list(evt2)
    ra, dec = events.to_world(found["X"], found["Y"])
    assert ra[0] == pytest.approx(found["RA"][0]) and dec[0] == pytest.approx(found["DEC"][0])

    empty = _write_events(tmp_path / "empty.fits", np.zeros(0, np.float32), np.zeros(0, np.float32))
    assert len(Table.read(EventSourceDetector().detect(empty, tmp_path / "e", 2))) == 0


def test_bad_inputs_raise_precise_errors(tmp_path: Path):
    detector = EventSourceDetector()
    with pytest.raises(ProcessingError, match="not found"):
        detector.detect(tmp_path / "missing.fits", tmp_path, 1)
    junk = tmp_path / "junk.fits"
    junk.write_text("not fits")
    with pytest.raises(ProcessingError, match=r"junk\.fits"):
        detector.detect(junk, tmp_path, 1)
    no_wcs = _write_events(
        tmp_path / "nowcs.fits", np.ones(3, np.float32), np.ones(3, np.float32), wcs=False
    )
    with pytest.raises(ProcessingError, match="TCTYP"):
        detector.detect(no_wcs, tmp_path, 1)
    with pytest.raises(ValidationError, match="snr"):
        detector.detect(no_wcs, tmp_path, 1, snr=float("nan"))
    with pytest.raises(ValidationError, match="aperture"):
        EventSourceDetector(aperture_arcsec=0)
    with pytest.raises(ValidationError, match="XMM"):
        nominal_psf_sigma_arcsec("XMM", 0.0)


def test_psf_grows_off_axis():
    on, off = nominal_psf_sigma_arcsec("acis", [0.0, 120.0])
    assert on == pytest.approx(0.30) and off == pytest.approx(0.45)
    assert nominal_psf_sigma_arcsec("HRC", 0.0) < on
