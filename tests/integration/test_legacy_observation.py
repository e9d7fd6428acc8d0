"""The members of the original ``Observation`` on astromon's Observation, over the fake CIAO
installation, arc5gl and archive of ``tests.integration.fake_ciao`` (real FITS files)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from astromon import utils
from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import MULTI_OBI
from astromon.observation import Observation, ProcessResult, Status
from tests.integration.test_observation_pipeline import (
    ACIS,
    CONTINUOUS,
    HRC,
    FakeEnv,
    _by_tool,
    _make_env,
    _params,
    info_url,
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, info_url: str) -> FakeEnv:
    fake = _make_env(tmp_path, info_url)
    fake.activate(monkeypatch)
    return fake


@pytest.fixture(scope="module")
def processed(
    tmp_path_factory: pytest.TempPathFactory, info_url: str
) -> Iterator[tuple[FakeEnv, ProcessResult]]:
    """The ACIS observation processed once (the fake CIAO tools are slow)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake = _make_env(tmp_path_factory.mktemp("legacy"), info_url)
        fake.activate(monkeypatch)
        result = fake.observation(ACIS.obsid).process()
        yield fake, result


@pytest.fixture
def acis(processed: tuple[FakeEnv, ProcessResult], monkeypatch: pytest.MonkeyPatch) -> Observation:
    fake, result = processed
    assert result.status == Status.OK, result
    fake.activate(monkeypatch)
    return fake.observation(ACIS.obsid)


def test_is_selected_is_a_bool_false_on_a_skipped_observation(env: FakeEnv) -> None:
    obs = env.observation(CONTINUOUS.obsid)
    assert not obs.file_glob("*obs0*")  # nothing downloaded yet: the property fetches it
    if obs.is_selected:
        pytest.fail("a CONTINUOUS-mode ACIS observation is not selected")
    assert obs.is_selected is False
    assert obs.selection() == (False, "ACIS readmode is 'CONTINUOUS', not 'TIMED'")
    result = obs.process()  # process() uses the same rule
    assert result.status == Status.SKIP and "CONTINUOUS" in result.message


def test_instrument_properties(env: FakeEnv) -> None:
    acis, hrc = env.observation(ACIS.obsid), env.observation(HRC.obsid)
    assert acis.is_selected is True and hrc.is_selected is True
    assert (acis.is_acis, acis.is_hrc) == (True, False)
    assert (hrc.is_acis, hrc.is_hrc) == (False, True)
    assert acis.is_multi_obi is False
    multi = env.observation(min(MULTI_OBI))
    assert multi.is_multi_obi is True  # known without any file
    assert not multi.file_glob("*obs0*")
    assert _by_tool(env.calls(), "arc5gl"), "the obspars were fetched through arc5gl"


def test_is_selected_without_an_obspar_is_a_precise_error(env: FakeEnv) -> None:
    with pytest.raises(ProcessingError, match="no obspar file for obsid 9999"):
        _ = env.observation(9999).is_selected


def test_file_path(env: FakeEnv) -> None:
    obs = env.observation(ACIS.obsid)
    assert obs.file_path("sources/x.src") == obs.workdir / "sources" / "x.src"
    assert obs.archive_dir is not None
    archived = obs.archive_dir / "images" / "a.img"
    archived.parent.mkdir(parents=True)
    archived.write_bytes(b"")
    assert obs.file_path("images/a.img") == archived
    (obs.workdir / "images").mkdir()
    (obs.workdir / "images" / "a.img").write_bytes(b"")
    assert obs.file_path(Path("images/a.img")) == obs.workdir / "images" / "a.img"
    with pytest.raises(ValidationError, match="relative path, got /etc/passwd"):
        obs.file_path("/etc/passwd")


def test_download_revision_and_force(env: FakeEnv) -> None:
    obs = env.observation(ACIS.obsid)
    assert obs.download(["evt2"], revision=2).status == Status.OK  # the obspar's revision
    with pytest.raises(ValidationError, match=r"revision=3.*obspar \(2\)"):
        obs.download(["evt2"], revision=3)
    (evt2,) = obs.file_glob("primary/*evt2*")
    evt2.write_bytes(b"stale")
    assert obs.download(["evt2"]).status == Status.SKIP  # present: not fetched again
    assert obs.download(["evt2"], force=True).status == Status.OK
    (again,) = obs.file_glob("primary/*evt2*")
    assert again.read_bytes() != b"stale"
    assert not list(obs.workdir.glob(".force-*"))
    with pytest.raises(ValidationError, match=r"unknown file types \['nope'\]"):
        obs.download(["nope"], force=True)


def test_force_download_keeps_the_old_files_when_the_archive_fails(env: FakeEnv) -> None:
    obs = env.observation(ACIS.obsid)
    obs.download(["evt2", "fov"])
    (evt2,) = obs.file_glob("primary/*evt2*")
    (fov,) = obs.file_glob("primary/*fov*")
    before = evt2.read_bytes()
    env.configure(fail={"arc5gl": "arc5gl: connection refused"})
    result = obs.download(["evt2"], force=True)
    assert result.status == Status.ERROR
    assert evt2.read_bytes() == before
    optional = obs.download(["fov"], force=True)  # an optional type: a WARNING, not an ERROR
    assert optional.status == Status.WARNING and "fov" in optional.message
    assert fov.exists()


def test_get_asol_files_and_calalign(env: FakeEnv) -> None:
    obs = env.observation(HRC.obsid)
    (asol,) = obs.get_asol_files()
    assert asol.name == f"pcadf{HRC.obsid:05d}_000N001_asol1.fits.gz" and asol.exists()
    with pytest.raises(ProcessingError, match="cannot read the acal file"):
        obs.get_calalign()  # fetched, but the fake archive's acal has no alignment matrices
    (acal,) = obs.file_glob("secondary/*acal*")
    matrices = np.tile(np.eye(3), (2, 1, 1))
    cols = [
        fits.Column(name, "9D", dim="(3,3)", array=matrices)
        for name in ("aca_align", "aca_misalign", "fts_misalign")
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name="CALALIGN")
    hdu.header["CALDBVER"] = "4.10.2"
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(acal, overwrite=True)
    calalign = obs.get_calalign()
    assert calalign is not None
    assert calalign["obsid"] == HRC.obsid and calalign["caldb_version"] == "4.10.2"
    assert np.array(calalign["aca_misalign"]).shape == (2, 3, 3)


def test_asol_files_named_by_the_event_file(env: FakeEnv) -> None:
    obs = env.observation(ACIS.obsid)
    obs.download(["evt2", "asol"])
    (evt2,) = obs.file_glob("primary/*evt2*")
    with fits.open(evt2) as hdus:
        hdus["EVENTS"].header["ASOLFILE"] = "pcadf01234_999N001_asol1.fits"
        hdus.writeto(evt2, overwrite=True)
    with pytest.raises(ProcessingError, match="pcadf01234_999N001_asol1"):
        obs.get_asol_files()


def test_ciao_property_and_dmcoords(
    acis: Observation, processed: tuple[FakeEnv, ProcessResult]
) -> None:
    fake = processed[0]
    assert acis.ciao is not None
    lines = acis.ciao("punlearn", "dmcoords", stdout=subprocess.DEVNULL)
    assert lines == []  # the output went to /dev/null
    x = acis.dmcoords("x", option="cel", celfmt="deg", ra=ACIS.ra, dec=ACIS.dec)
    assert isinstance(x, np.ndarray) and float(x) == pytest.approx(4096.5)
    assert acis.ciao("pget", "dmcoords", "x") == ["4096.5"]  # stdout into the pipe: returned
    assert acis.ciao("pget", "dmcoords", "x", stdout=subprocess.DEVNULL) == []
    with pytest.raises(utils.CiaoProcessFailure) as failure:
        acis.ciao("pget", "dmcoords", "nothing", stderr=subprocess.DEVNULL)
    assert failure.value.lines == ("pget: parameter nothing not found",)
    call = _by_tool(fake.calls(), "dmcoords")[-1]
    params = _params(call)
    assert params["asolfile"].endswith("_asol1.fits.gz") and params["option"] == "cel"
    assert not [a for a in call["args"] if a.startswith(("stdout=", "stderr="))]
    punlearns = _by_tool(fake.calls(), "punlearn")
    assert all("stdout=" not in " ".join(c["args"]) for c in punlearns)


def test_dmcoords_needs_ciao(env: FakeEnv) -> None:
    from tests.unit.test_observation_steps import FakeDetector

    obs = env.observation(ACIS.obsid, use_ciao=False, detector=FakeDetector())
    with pytest.raises(ProcessingError, match="dmcoords needs CIAO"):
        obs.dmcoords("theta", option="sky", x=1.0, y=1.0)


def test_get_sources_formats(acis: Observation) -> None:
    standard = acis.get_sources()
    assert "X" not in standard.colnames
    assert acis.get_sources(version="celldetect").colnames == standard.colnames
    full = acis.get_sources(astromon_format=False)
    assert full.colnames[: len(standard.colnames)] == standard.colnames
    assert {"X", "Y", "R"} <= set(full.colnames)
    assert "RA" not in full.colnames  # already there as ra
    assert len(full) == len(standard)


__all__ = ["info_url"]  # the sequence-summary server fixture, shared with the pipeline tests
