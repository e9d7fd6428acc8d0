"""Observation.process() + get_sources() with fake CIAO tools, arc5gl and
download_chandra_obsid on PATH writing real FITS files."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.geometry import radec_to_yz
from astromon.observation import Observation, ProcessResult, Status
from astromon.ports.observation import ToolError
from tests.integration import fake_ciao
from tests.integration.fake_ciao.data import ObsSpec, write_archive

ACIS = ObsSpec(1234, "ACIS", "ACIS-S", ra=150.0, dec=20.0, roll=30.0)
HRC = ObsSpec(2345, "HRC", "HRC-I", ra=210.0, dec=-35.0, roll=300.0, caldbver="4.10.2")
CONTINUOUS = ObsSpec(3456, "ACIS", "ACIS-S", readmode="CONTINUOUS")


class FakeInfo:
    def sequence_summary(self, obsid: int) -> Mapping[str, str]:
        return {"Title": "a title", "Subject Category": "Normal Galaxies", "Cycle": "21"}


@dataclass
class FakeEnv:
    root: Path
    prefix: Path
    config_file: Path
    log: Path

    def configure(self, **changes: Any) -> None:
        config = json.loads(self.config_file.read_text())
        config.update(changes)
        self.config_file.write_text(json.dumps(config))

    def calls(self) -> list[dict[str, Any]]:
        return fake_ciao.calls(self.log)

    def observation(self, obsid: int, **kwargs: Any) -> Observation:
        kwargs.setdefault("workdir", self.root / "work")
        kwargs.setdefault("archive_dir", self.root / "archive")
        kwargs.setdefault("ciao_prefix", str(self.prefix))
        kwargs.setdefault("info", FakeInfo())
        return Observation(obsid, **kwargs)


def _make_env(root: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEnv:
    archive = root / "fake_archive"
    for spec in (ACIS, HRC, CONTINUOUS):
        write_archive(archive, spec)
    log = root / "calls.jsonl"
    bin_dir, prefix, config_file = fake_ciao.install(
        root, {"archive": str(archive), "log": str(log), "streak_source": 0}
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_CIAO_CONFIG", str(config_file))
    return FakeEnv(root, prefix, config_file, log)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEnv:
    """A fresh fake archive + CIAO installation."""
    return _make_env(tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def acis_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeEnv, ProcessResult]]:
    """The ACIS observation processed once (shared: CIAO fakes take ~0.5 s per call)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake = _make_env(tmp_path_factory.mktemp("acis"), monkeypatch)
        result = fake.observation(ACIS.obsid).process()
        yield fake, result


@pytest.fixture
def acis(acis_env: tuple[FakeEnv, ProcessResult], monkeypatch: pytest.MonkeyPatch) -> FakeEnv:
    fake = acis_env[0]
    monkeypatch.setenv("PATH", f"{fake.root / 'fakebin'}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_CIAO_CONFIG", str(fake.config_file))
    return fake


def _params(call: dict[str, Any]) -> dict[str, str]:
    return dict(
        a.split("=", 1) for a in call["args"] if "=" in a and a.split("=")[0].isidentifier()
    )


def _by_tool(calls: list[dict[str, Any]], tool: str) -> list[dict[str, Any]]:
    return [c for c in calls if c["tool"] == tool]


def test_acis_full_process_and_sources(
    acis_env: tuple[FakeEnv, ProcessResult], acis: FakeEnv
) -> None:
    env, result = acis_env
    obs = env.observation(ACIS.obsid)
    assert result.status == Status.OK, result
    assert [s.step for s in result.steps] == [
        "download", "select", "download", "filter_events", "make_images", "run_celldetect",
        "archive",
    ]  # fmt: skip
    calls = env.calls()
    # filter_events: dmcoords at the pointing, dmcopy within 180" (0.492"/pixel)
    (dmcoords,) = _by_tool(calls, "dmcoords")
    assert float(_params(dmcoords)["ra"]) == pytest.approx(ACIS.ra)
    assert _params(dmcoords)["option"] == "cel"
    (dmcopy,) = _by_tool(calls, "dmcopy")
    infile = _params(dmcopy)["infile"]
    assert infile.endswith(",365.85)]") and "[(x,y)=circle(4096.50,4096.50," in infile
    assert _params(dmcopy)["outfile"].endswith("primary/1234_evt2_filtered.fits.gz")
    (flux,) = _by_tool(calls, "fluximage")
    assert {k: _params(flux)[k] for k in ("bands", "binsize", "psfecf", "background")} == {
        "bands": "broad", "binsize": "1", "psfecf": "0.9", "background": "none",
    }  # fmt: skip
    assert _params(flux)["infile"].endswith("1234_evt2_filtered.fits.gz")
    assert _params(_by_tool(calls, "dmimgfilt")[0])["mask"] == "circle(0,0,3)"
    assert _params(_by_tool(calls, "acis_streak_map")[0])["msigma"] == "4"
    (cell,) = _by_tool(calls, "celldetect")
    assert _params(cell)["thresh"] == "3" and _params(cell)["maxlogicalwindow"] == "2048"
    assert _params(_by_tool(calls, "psfsize_srcs")[0])["ecf"] == "0.9"

    info = obs.get_info()
    assert info["version"] == pytest.approx(10.0902)
    assert info["category_id"] == 40 and info["instrument"] == "acis"

    sources = obs.get_sources()
    assert len(sources) == 3
    assert sources.colnames[:13] == [
        "obsid", "id", "ra", "dec", "net_counts", "y_angle", "z_angle", "r_angle", "snr",
        "near_neighbor_dist", "pileup", "acis_streak", "caldb_version",
    ]  # fmt: skip
    assert sources["obsid"].dtype == np.int32 and sources["y_angle"].dtype == np.float32
    assert list(sources["id"]) == [1, 2, 3]
    assert list(sources["caldb_version"]) == ["4.9.8"] * 3
    ra, dec = np.array(ACIS.source_radec()).T
    y, z = radec_to_yz(ra, dec, ACIS.ra, ACIS.dec, ACIS.roll)
    np.testing.assert_allclose(sources["y_angle"], y, atol=1e-3)
    np.testing.assert_allclose(sources["z_angle"], z, atol=1e-3)
    np.testing.assert_allclose(sources["r_angle"], np.hypot(y, z), atol=1e-3)
    assert list(sources["acis_streak"]) == [1, 0, 0]
    assert (sources["pileup"] > 0).all()
    assert np.isfinite(sources["near_neighbor_dist"]).all()
    np.testing.assert_allclose(sources["psfratio"], [0.5, 1.0, 1.5])

    archived = {p.name for p in (env.root / "archive").rglob("*") if p.is_file()}
    assert {"1234_celldetect.src", "1234_psf_size_celldetect.fits", "1234_broad_flux.img",
            "1234_acis_streaks.fits", "axaff01234N002_obs0a.par.gz"} <= archived  # fmt: skip
    assert not [n for n in archived if n.startswith(".") or n.endswith(".part")]
    assert not any("evt2" in n for n in archived)


def test_rerun_does_no_work(acis: FakeEnv) -> None:
    env = acis
    n_calls = len(env.calls())
    again = env.observation(ACIS.obsid).process()
    assert again.status == Status.OK
    assert len(env.calls()) == n_calls
    assert {s.status for s in again.steps} == {Status.SKIP, Status.OK}
    assert [s.step for s in again.steps if s.status == Status.OK] == ["select"]


def test_hrc_full_process_and_sources(env: FakeEnv) -> None:
    obs = env.observation(HRC.obsid)
    result = obs.process()
    assert result.status == Status.OK, result
    calls = env.calls()
    assert not _by_tool(calls, "pileup_map") and not _by_tool(calls, "acis_streak_map")
    assert _params(_by_tool(calls, "fluximage")[0])["bands"] == "wide"
    infile = _params(_by_tool(calls, "dmcopy")[0])["infile"]
    assert infile.endswith(f",{180 / 0.13175:.2f})]")
    sources = obs.get_sources()
    assert len(sources) == 3
    assert (sources["pileup"] == 0).all() and (sources["acis_streak"] == 0).all()
    assert set(sources["caldb_version"]) == {"4.10.2"}
    assert (env.root / "archive" / "obs02" / "2345" / "images" / "2345_wide_flux.img").exists()


def test_download_chandra_obsid_source(env: FakeEnv) -> None:
    obs = env.observation(HRC.obsid, source="archive")
    result = obs.download(["evt2", "acal"])
    assert result.status == Status.OK
    names = sorted(p.relative_to(obs.workdir).as_posix() for p in result.outputs)
    assert names == [
        "axaff02345N002_obs0a.par.gz",
        "primary/hrcf02345N002_evt2.fits.gz",
        "secondary/pcadf02345_000N001_acal1.fits.gz",
    ]
    assert {c["tool"] for c in env.calls()} == {"download_chandra_obsid"}


def test_tool_failure_output_reaches_the_error(env: FakeEnv) -> None:
    env.configure(fail={"celldetect": "celldetect: ERROR the PSF file is rubbish"})
    obs = env.observation(ACIS.obsid)
    result = obs.process()
    assert result.status == Status.ERROR
    assert "run_celldetect" in result.message and "PSF file is rubbish" in result.message
    step = result.step("run_celldetect")
    assert isinstance(step.error, ToolError)
    assert step.error.tool == "celldetect" and step.error.returncode == 1
    assert "celldetect: ERROR the PSF file is rubbish" in step.error.output
    assert not (obs.workdir / "sources" / "1234_celldetect.src").exists()
    assert "archive" not in [s.step for s in result.steps]
    assert len(obs.get_sources()) == 0  # detection failed: empty typed table
    assert obs.get_sources()["obsid"].dtype == np.int32


def test_wavdetect_retries_without_largest_scale(acis: FakeEnv) -> None:
    env = acis
    env.configure(wavdetect_max_scales=4)
    obs = env.observation(ACIS.obsid)
    result = obs.run_wavdetect("baseline")
    assert result.status == Status.OK
    scales = [_params(c)["scales"] for c in _by_tool(env.calls(), "wavdetect")][:3]
    assert scales == ["1.4 2 4 8 16 32", "1.4 2 4 8 16", "1.4 2 4 8"]
    assert (obs.workdir / "sources" / "1234_baseline.src").exists()
    env.configure(wavdetect_max_scales=2)
    failed = obs.run_wavdetect("other")
    assert failed.status == Status.ERROR and "too many scales (3)" in failed.message


def test_centroids_filter_sources_and_repro(acis: FakeEnv) -> None:
    env = acis
    obs = env.observation(ACIS.obsid)
    n_calls = len(env.calls())
    assert obs.calculate_centroids().status == Status.OK
    assert len(_by_tool(env.calls()[n_calls:], "dmstat")) == 3
    assert obs.filter_sources().status == Status.OK
    filtered = obs.get_sources("celldetect_filtered")
    assert list(filtered["id"]) == [1, 2]  # PSFRATIO 1.5 dropped
    assert obs.repro().status == Status.OK
    assert list((obs.workdir / "repro").glob("*repro_evt2*"))


def test_not_selected_is_a_skip(env: FakeEnv) -> None:
    result = env.observation(CONTINUOUS.obsid).process()
    assert result.status == Status.SKIP
    assert "readmode is 'CONTINUOUS'" in result.message
    assert {c["tool"] for c in env.calls()} == {"arc5gl", "arc5gl-stdin"}


def test_unknown_obsid_is_a_precise_error(env: FakeEnv) -> None:
    result = env.observation(9999).process()
    assert result.status == Status.ERROR
    assert "arc5gl found no obspar files for obsid 9999" in result.message
    with pytest.raises(ProcessingError, match="no obspar file for obsid 9999"):
        env.observation(9999).get_obspar()


def test_corrupt_obspar(env: FakeEnv) -> None:
    obs = env.observation(ACIS.obsid)
    obs.download([])
    (par,) = obs.workdir.glob("*obs0a.par.gz")
    par.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ProcessingError, match=r"obs0a\.par\.gz"):
        env.observation(ACIS.obsid).get_obspar()
    assert env.observation(ACIS.obsid).process().status == Status.ERROR


def test_missing_ciao_prefix(env: FakeEnv) -> None:
    with pytest.raises(ProcessingError, match=r"CIAO prefix .*nowhere does not exist"):
        env.observation(ACIS.obsid, ciao_prefix=str(env.root / "nowhere"))


def test_colon_in_workdir(env: FakeEnv) -> None:
    with pytest.raises(ValidationError, match="must not contain ':'"):
        env.observation(ACIS.obsid, workdir=env.root / "a:b")


def test_arc5gl_commands_and_find_obsids(env: FakeEnv) -> None:
    from astromon_adapters.arc5gl import Arc5glRetriever

    retriever = Arc5glRetriever()
    (evt2,) = retriever.retrieve(HRC.obsid, "evt2", env.root / "dl")
    assert evt2.name == "hrcf02345N002_evt2.fits.gz"
    stdin = [c["args"] for c in env.calls() if c["tool"] == "arc5gl-stdin"]
    assert stdin == [["obsid=2345", "get obspar"], ["obsid=2345", "version=2", "get hrc2{evt2}"]]
    assert retriever.find_obsids("2020:001", "2020:100") == [1234, 2345, 3456]
    with pytest.raises(ValidationError, match="unknown file type 'evt9'"):
        retriever.retrieve(HRC.obsid, "evt9", env.root / "dl")
    env.configure(fail={"arc5gl": "arc5gl: cannot connect to the archive server"})
    with pytest.raises(ToolError, match="cannot connect to the archive server"):
        Arc5glRetriever().retrieve(HRC.obsid, "obspar", env.root / "dl2")


def test_corrupt_event_file(env: FakeEnv) -> None:
    obs = env.observation(ACIS.obsid)
    (obs.workdir / "primary").mkdir(parents=True)
    (obs.workdir / "primary" / "acisf01234N002_evt2.fits.gz").write_bytes(b"\x1f\x8bnot fits")
    result = obs.process()
    assert result.status == Status.ERROR
    assert result.message.startswith("filter_events: ProcessingError: cannot read the FITS header")
    assert "acisf01234N002_evt2.fits.gz" in result.message
    assert not _by_tool(env.calls(), "dmcopy")
    assert not (env.root / "archive").exists()


def test_ciao_celldetect_detector(env: FakeEnv) -> None:
    from astromon_adapters.celldetect import CiaoCelldetect

    from astromon.utils import Ciao

    evt2 = env.root / "fake_archive" / "2345" / "evt2" / "hrcf02345N002_evt2.fits.gz"
    out = CiaoCelldetect(Ciao(env.prefix, env.root / "pf")).detect(evt2, env.root / "det", 2345)
    assert out == env.root / "det" / "2345_celldetect.src"
    with fits.open(out) as hdus:
        assert len(hdus[1].data) == 3
    flux, cell = _by_tool(env.calls(), "fluximage")[0], _by_tool(env.calls(), "celldetect")[0]
    assert _params(flux)["bands"] == "wide" and _params(flux)["psfecf"] == "0.9"
    assert _params(cell)["infile"].endswith("2345_detect_wide_thresh.img")
    assert _params(cell)["thresh"] == "3.0"
    with pytest.raises(ProcessingError, match="cannot read INSTRUME"):
        CiaoCelldetect(Ciao(env.prefix)).detect(env.root / "nothing.fits", env.root, 1)
