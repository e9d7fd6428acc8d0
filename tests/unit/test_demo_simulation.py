"""The simulated observatory: plan, injected offsets, files and the archive/info adapters."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.simulation import INJECTED_OFFSETS, SimulatedObservatory
from astromon_adapters.simulation.files import (
    catalog_table,
    make_events,
    obspar_text,
    sky_wcs,
    write_evt2,
)
from astromon_adapters.simulation.model import (
    CATALOG_EPOCH,
    DETECTORS,
    LinearStepOffset,
    plan_observations,
    plan_sources,
    propagate,
    yz_to_radec,
)
from astropy.io import fits
from astropy.table import Table

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.geometry import radec_to_yz
from astromon.domain.schema import category_id


def test_yz_to_radec_inverts_radec_to_yz():
    rng = np.random.default_rng(0)
    y, z = rng.uniform(-600, 600, 50), rng.uniform(-600, 600, 50)
    ra, dec = yz_to_radec(y, z, 123.4, -56.7, 89.0)
    y2, z2 = radec_to_yz(ra, dec, 123.4, -56.7, 89.0)
    assert np.allclose(y2, y, atol=1e-6) and np.allclose(z2, z, atol=1e-6)


def test_offset_model_is_linear_plus_step():
    model = LinearStepOffset(0.1, drift_per_year=0.2, step=-0.3, step_year=2025.0)
    assert model.value(2024.0) == pytest.approx(0.1)
    assert model.value(2024.5) == pytest.approx(0.2)
    assert model.value(2025.0) == pytest.approx(0.1 + 0.2 - 0.3)
    assert set(INJECTED_OFFSETS) == set(DETECTORS) == {"ACIS-S", "ACIS-I", "HRC-S", "HRC-I"}


def test_plan_is_deterministic_and_covers_each_detector_and_half_year():
    plans = plan_observations(16, seed=5)
    assert plans == plan_observations(16, seed=5)
    assert plans != plan_observations(16, seed=6)
    assert [p.detector for p in plans[:4]] == ["ACIS-S", "ACIS-I", "HRC-S", "HRC-I"]
    halves = {(p.detector, np.floor(p.year * 2) / 2) for p in plans}
    assert len(halves) == 16  # 4 detectors x 4 half-years
    assert len({p.obsid for p in plans}) == 16
    for p in plans:
        assert category_id(p.category) not in (100, 110, 120, 200)
    with pytest.raises(ValidationError, match="0"):
        plan_observations(0, seed=1)
    with pytest.raises(ValidationError, match="-1"):
        plan_observations(3, seed=-1)


def test_sources_carry_the_injected_offset_in_the_focal_plane():
    obs = plan_observations(3, seed=2)[1]
    src = plan_sources(obs)
    again = plan_sources(obs)
    for col in src.colnames:
        assert np.array_equal(src[col], again[col], equal_nan=src[col].dtype.kind == "f"), col
    dy, dz = INJECTED_OFFSETS[obs.detector].at(obs.year)
    assert np.allclose(src["inj_dy"], dy) and np.allclose(src["inj_dz"], dz)
    # the x-ray position is the star position plus injected offset plus scatter
    y, z = radec_to_yz(src["ra"], src["dec"], obs.ra, obs.dec, obs.roll)
    assert np.allclose(y - src["star_y"], src["true_dy"], atol=1e-6)
    assert np.allclose(z - src["star_z"], src["true_dz"], atol=1e-6)
    # the catalog position propagated to the epoch gives the star position
    ra, dec = propagate(
        src["cat_ra"], src["cat_dec"], src["pmra"], src["pmdec"], obs.year - CATALOG_EPOCH
    )
    assert np.allclose(ra, src["star_ra"], atol=1e-9) and np.allclose(
        dec, src["star_dec"], atol=1e-9
    )
    bright = src[(src["kind"] == "star") & (src["r_angle"] < 115)]
    assert len(bright) >= 20 and (bright["snr"] > 5).all()
    # sources are far enough apart for near_neighbor_dist > 6"
    pos = np.column_stack([src["star_y"], src["star_z"]])
    dist = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
    assert dist[np.triu_indices(len(src), 1)].min() > 10


def test_obspar_is_ciao_par_text():
    obs = plan_observations(4, seed=1)[3]
    rows = {}
    for line in obspar_text(obs).splitlines():
        name, kind, mode, value, *_ = line.split(",")
        assert kind in ("s", "r", "i") and mode == "h"
        rows[name] = value.strip('"')
    assert rows["instrume"] == "HRC" and rows["detector"] == "HRC-I"
    assert int(rows["obsid"]) == obs.obsid
    assert float(rows["ra_nom"]) == obs.ra and float(rows["roll_nom"]) == obs.roll
    assert rows["obs_mode"] == "POINTING" and rows["dtycycle"] == "0"
    assert rows["date-obs"] == obs.date_obs and len(rows["date-obs"]) == 19
    assert float(rows["sim_z"]) == pytest.approx(126.983)


def test_evt2_has_chandra_wcs_column_keywords(tmp_path: Path):
    obs = plan_observations(1, seed=4)[0]
    path = write_evt2(obs, tmp_path)
    assert path.name == f"acisf{obs.obsid:05d}N001_evt2.fits.gz"
    with fits.open(path) as hdus:
        h = hdus["EVENTS"].header
        names = [c.lower() for c in hdus["EVENTS"].columns.names]
        ix, iy = names.index("x") + 1, names.index("y") + 1
        assert h[f"TCTYP{ix}"] == "RA---TAN" and h[f"TCTYP{iy}"] == "DEC--TAN"
        assert h[f"TCDLT{iy}"] * 3600 == pytest.approx(0.492)
        assert h[f"TCUNI{ix}"] == "deg"
        assert h["RA_PNT"] == obs.ra and h["ROLL_PNT"] == obs.roll
        assert h["OBS_ID"] == str(obs.obsid) and h["INSTRUME"] == "ACIS"
        assert h["TSTART"] == obs.tstart and h["DATE-OBS"] == obs.date_obs
        n_events = len(hdus["EVENTS"].data)
    events = make_events(obs)
    assert n_events == len(events)
    # source photons centre on the true x-ray position
    src = plan_sources(obs)
    brightest = src[np.argmax(src["counts"])]
    mine = events[events["src_id"] == brightest["src_id"]]
    x, y = sky_wcs(obs).wcs_world2pix(brightest["ra"], brightest["dec"], 1)
    assert np.mean(mine["x"]) == pytest.approx(float(x), abs=0.05)
    assert np.mean(mine["y"]) == pytest.approx(float(y), abs=0.05)


def test_same_seed_same_files(tmp_path: Path):
    a = SimulatedObservatory(tmp_path / "a", 4, seed=9).build()
    b = SimulatedObservatory(tmp_path / "b", 4, seed=9).build()
    assert a.catalog_file.read_bytes() == b.catalog_file.read_bytes()
    for obsid in a.obsids:
        for ftype in ("obspar", "evt2", "acal"):
            (pa,) = a.archive().retrieve(obsid, ftype, tmp_path / "fa" / str(obsid))
            (pb,) = b.archive().retrieve(obsid, ftype, tmp_path / "fb" / str(obsid))
            if ftype == "obspar":
                assert gzip.decompress(pa.read_bytes()) == gzip.decompress(pb.read_bytes())
            else:
                with fits.open(pa) as ha, fits.open(pb) as hb:
                    for x, y in zip(ha, hb, strict=True):
                        assert x.header == y.header
                        if x.data is not None:
                            assert (x.data == y.data).all()


def test_archive_and_info(tmp_path: Path):
    sim = SimulatedObservatory(tmp_path, 8, seed=1).build()
    archive, info = sim.archive(), sim.info()
    obsid = sim.obsids[2]
    (acal,) = archive.retrieve(obsid, "acal", tmp_path / "x")
    assert fits.getval(acal, "CALDBVER", ext=1) in ("4.11.0", "4.12.0")
    with pytest.raises(ProcessingError, match=r"'fov'.*" + str(obsid)):
        archive.retrieve(obsid, "fov", tmp_path)
    with pytest.raises(ProcessingError, match="12345"):
        archive.retrieve(12345, "evt2", tmp_path)
    assert archive.find_obsids("2024:001", "2026:001") == sim.obsids
    assert archive.find_obsids("2020:001", "2021:001") == []
    summary = info.sequence_summary(obsid)
    assert set(summary) == {"Title", "PI", "Observer", "Subject Category", "Cycle"}
    assert category_id(summary["Subject Category"]) < 100
    assert info.sequence_summary(1) == {}


def test_catalog_holds_every_star_with_proper_motions(tmp_path: Path):
    sim = SimulatedObservatory(tmp_path, 4, seed=3).build()
    cat = Table.read(sim.catalog_file)
    assert set(cat.colnames) >= {"catalog", "name", "ra", "dec", "pmra", "pmdec", "epoch", "mag"}
    truth = sim.truth()
    assert len(cat) == int((truth["kind"] != "xray_only").sum())
    assert len(set(cat["name"])) == len(cat)
    assert (cat["epoch"] == CATALOG_EPOCH).all()
    assert catalog_table(sim.observations)["name"].tolist() == cat["name"].tolist()
    stored = Table.read(sim.truth_file)
    assert np.ma.filled(stored["name"], "").tolist() == truth["name"].tolist()
    assert np.allclose(stored["true_dy"], truth["true_dy"])
