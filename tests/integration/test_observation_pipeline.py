"""Observation.process() + get_sources() on faithful fakes: CIAO tools, arc5gl,
download_chandra_obsid and the sequence-summary page, for an ACIS and an HRC observation
through both the ``arc5gl`` and the ``archive`` sources."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
from tests.integration.fake_ciao.summary_server import summary_server

ACIS = ObsSpec(1234, "ACIS", "ACIS-S", ra=150.0, dec=20.0, roll=30.0, seq_num="701234")
HRC_SOURCES = [(20.0, 10.0, 150), (-40.0, 30.0, 80), (60.0, -50.0, 60), (150.0, 0.0, 90),
               (250.0, 0.0, 90)]  # fmt: skip
HRC = ObsSpec(2345, "HRC", "HRC-I", ra=210.0, dec=-35.0, roll=300.0, caldbver="4.10.2",
              seq_num="902345", sources=HRC_SOURCES)  # fmt: skip
CONTINUOUS = ObsSpec(3456, "ACIS", "ACIS-S", readmode="CONTINUOUS")
PAGES = {
    "701234": {"Title": "Galaxy & friends", "PI": "Jane Doe", "Subject Category":
               "NORMAL GALAXIES", "Cycle": "21"},
    "902345": {"Title": "HRC calibration", "Subject Category": "ACTIVE GALAXIES AND QUASARS"},
}  # fmt: skip


@dataclass
class FakeEnv:
    root: Path
    prefix: Path
    config_file: Path
    log: Path
    info_url: str

    def configure(self, **changes: Any) -> None:
        config = json.loads(self.config_file.read_text())
        config.update(changes)
        self.config_file.write_text(json.dumps(config))

    def calls(self) -> list[dict[str, Any]]:
        return fake_ciao.calls(self.log)

    def activate(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PATH", f"{self.root / 'fakebin'}:/usr/bin:/bin")
        monkeypatch.setenv("FAKE_CIAO_CONFIG", str(self.config_file))
        monkeypatch.setenv("ASTROMON_INFO_URLS", self.info_url)
        monkeypatch.setenv("HOME", str(self.root / "home"))

    def observation(self, obsid: int, **kwargs: Any) -> Observation:
        kwargs.setdefault("workdir", self.root / "work")
        kwargs.setdefault("archive_dir", self.root / "archive")
        kwargs.setdefault("ciao_prefix", str(self.prefix))
        return Observation(obsid, **kwargs)


@pytest.fixture(scope="session")
def info_url() -> Iterator[str]:
    """The sequence-summary server, one per test process for the whole session.

    The observations processed once (:data:`_RUNS`) keep its URL: a module-scoped server would
    be stopped whenever a parallel worker turns to another module and comes back.
    """
    with summary_server(PAGES) as (url, _):
        yield f"{url}/cgi-bin/mp/target.cgi?{{seq_num}}"


def _make_env(root: Path, info_url: str) -> FakeEnv:
    archive = root / "fake_archive"
    for spec in (ACIS, HRC, CONTINUOUS):
        write_archive(archive, spec)
    log = root / "calls.jsonl"
    (root / "home").mkdir(parents=True, exist_ok=True)
    _, prefix, config_file = fake_ciao.install(
        root, {"archive": str(archive), "log": str(log), "streak_source": 0}
    )
    return FakeEnv(root, prefix, config_file, log, info_url)


@pytest.fixture
def env(tmp_path: Path, info_url: str, monkeypatch: pytest.MonkeyPatch) -> FakeEnv:
    """A fresh fake archive + CIAO installation."""
    fake = _make_env(tmp_path, info_url)
    fake.activate(monkeypatch)
    return fake


_RUNS: dict[tuple[str, str], tuple[FakeEnv, ProcessResult, int]] = {}
"""Processed observations of this test process: env, result, number of tool calls it made."""


def _processed(
    key: tuple[str, str], factory: pytest.TempPathFactory, info_url: str
) -> tuple[FakeEnv, ProcessResult, int]:
    """The observation ``key`` = (instrument, source) processed once per test session."""
    if key not in _RUNS:
        fake = _make_env(factory.mktemp(f"{key[0]}_{key[1]}"), info_url)
        spec = ACIS if key[0] == "ACIS" else HRC
        with pytest.MonkeyPatch.context() as monkeypatch:
            fake.activate(monkeypatch)
            result = fake.observation(spec.obsid, source=key[1]).process()
            _RUNS[key] = fake, result, len(fake.calls())  # later tests add calls of their own
    return _RUNS[key]


@pytest.fixture
def acis(
    tmp_path_factory: pytest.TempPathFactory, info_url: str, monkeypatch: pytest.MonkeyPatch
) -> FakeEnv:
    fake = _processed(("ACIS", "arc5gl"), tmp_path_factory, info_url)[0]
    fake.activate(monkeypatch)
    return fake


def _params(call: dict[str, Any]) -> dict[str, str]:
    return dict(
        a.split("=", 1) for a in call["args"] if "=" in a and a.split("=")[0].isidentifier()
    )


def _by_tool(calls: list[dict[str, Any]], tool: str) -> list[dict[str, Any]]:
    return [c for c in calls if c["tool"] == tool]


@pytest.mark.parametrize("source", ["arc5gl", "archive"])
@pytest.mark.parametrize("instrument", ["ACIS", "HRC"])
def test_full_process_and_sources(
    instrument: str,
    source: str,
    tmp_path_factory: pytest.TempPathFactory,
    info_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env, result, n_calls = _processed((instrument, source), tmp_path_factory, info_url)
    env.activate(monkeypatch)
    spec = ACIS if instrument == "ACIS" else HRC
    assert result.status == Status.OK, result
    assert [s.step for s in result.steps] == [
        "download", "select", "download", "filter_events", "make_images", "run_celldetect",
        "archive",
    ]  # fmt: skip
    calls = env.calls()[:n_calls]  # the processing's own (tests sharing the env add more)
    band = "broad" if instrument == "ACIS" else "wide"
    # filter_events: 180" at the instrument's true pixel size (0.492" ACIS, 0.13175" HRC)
    (dmcoords,) = _by_tool(calls, "dmcoords")
    assert float(_params(dmcoords)["ra"]) == pytest.approx(spec.ra)
    (dmcopy,) = _by_tool(calls, "dmcopy")
    pixel = 0.492 if instrument == "ACIS" else 0.13175
    assert _params(dmcopy)["infile"].endswith(f",{180 / pixel:.2f})]")
    (flux,) = _by_tool(calls, "fluximage")
    assert {k: _params(flux)[k] for k in ("bands", "binsize", "psfecf", "background")} == {
        "bands": band, "binsize": "1", "psfecf": "0.9", "background": "none",
    }  # fmt: skip
    assert _params(flux)["infile"].endswith(f"{spec.obsid}_evt2_filtered.fits.gz")
    assert _params(flux)["asolfile"].endswith("_asol1.fits.gz")
    assert _params(flux)["badpixfile"].endswith("_bpix1.fits.gz")
    (psfsize,) = _by_tool(calls, "psfsize_srcs")
    assert _params(psfsize)["energy"] == band and _params(psfsize)["ecf"] == "0.9"
    (cell,) = _by_tool(calls, "celldetect")
    assert _params(cell)["thresh"] == "3" and _params(cell)["maxlogicalwindow"] == "2048"

    obs = env.observation(spec.obsid, source=source)
    info = obs.get_info()
    assert info["seq_num"] == spec.seq_num and info["version"] == pytest.approx(10.0902)
    assert info["Title"] == PAGES[spec.seq_num]["Title"]
    assert info["category_id"] == (40 if instrument == "ACIS" else 50)

    sources = obs.get_sources()
    ra, dec = np.array(spec.source_radec()).T
    y, z = radec_to_yz(ra, dec, spec.ra, spec.dec, spec.roll)
    inside = np.hypot(y, z) < 180  # the HRC source at 250" is filtered out with its events
    assert len(sources) == int(inside.sum()) == (3 if instrument == "ACIS" else 4)
    np.testing.assert_allclose(sources["y_angle"], y[inside], atol=1e-3)
    np.testing.assert_allclose(sources["z_angle"], z[inside], atol=1e-3)
    assert list(sources["caldb_version"]) == [spec.caldbver] * len(sources)
    assert np.isfinite(sources["snr"]).all()
    if instrument == "ACIS":
        # acis_streak_map on the level-2 events and the level-1 fov, ASCII regions → dmmakereg
        (streak,) = _by_tool(calls, "acis_streak_map")
        assert _params(streak)["infile"].endswith("primary/acisf01234N002_evt2.fits.gz")
        assert _params(streak)["fovfile"].endswith("_fov1.fits.gz")
        regfile = Path(_params(streak)["regfile"])
        assert regfile.read_text().startswith("# Region file format")
        (makereg,) = _by_tool(calls, "dmmakereg")
        assert makereg["args"][0] == f"region({regfile})" and "kernel=fits" in makereg["args"]
        assert list(sources["acis_streak"]) == [1, 0, 0]
        assert (sources["pileup"] > 0).all()
    else:
        assert not _by_tool(calls, "pileup_map") and not _by_tool(calls, "acis_streak_map")
        assert (sources["pileup"] == 0).all() and (sources["acis_streak"] == 0).all()
    if source == "arc5gl":
        sessions = [c["args"] for c in calls if c["tool"] == "arc5gl-stdin"]
        assert all(session[-1] == "exit" for session in sessions)
        gets = [line for session in sessions for line in session if line.startswith("get ")]
        instr = instrument.lower()
        assert f"get {instr}1{{fov}}" in gets and f"get {instr}2{{evt2}}" in gets
        assert not _by_tool(calls, "download_chandra_obsid")
    else:
        dco = [c["args"] for c in _by_tool(calls, "download_chandra_obsid")]
        assert dco[0] == ["-t", "-q"]
        assert [str(spec.obsid), "evt2"] in dco and [str(spec.obsid), "fov"] in dco
        untyped = [a for a in dco if "--exclude" in a]  # the obspar and acal downloads
        assert len(untyped) == 2 and all(a[:2] == [str(spec.obsid), "--exclude"] for a in untyped)
        assert not [a for a in dco if "obspar" in a or "acal" in a]
        assert not [c for c in calls if c["tool"] == "arc5gl-stdin"]
    archived = {p.name for p in (env.root / "archive").rglob("*") if p.is_file()}
    assert {f"{spec.obsid}_celldetect.src", f"{spec.obsid}_psf_size_celldetect.fits",
            f"{spec.obsid}_{band}_flux.img"} <= archived  # fmt: skip
    assert not [n for n in archived if n.startswith(".") or n.endswith(".part")]


def test_rerun_does_no_work(
    tmp_path_factory: pytest.TempPathFactory, info_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the archive-source run: no other test adds files to its working directory, as the
    # tests sharing the arc5gl run (wavdetect, centroids, repro) do, in any order
    env = _processed(("ACIS", "archive"), tmp_path_factory, info_url)[0]
    env.activate(monkeypatch)
    n_calls = len(env.calls())
    again = env.observation(ACIS.obsid, source="archive").process()
    assert again.status == Status.OK
    assert len(env.calls()) == n_calls
    assert [s.step for s in again.steps if s.status == Status.OK] == ["select"]


def test_a_streak_failure_is_a_warning(env: FakeEnv) -> None:
    env.configure(fail={"acis_streak_map": "acis_streak_map: ERROR no good rows"})
    obs = env.observation(ACIS.obsid)
    result = obs.process()
    assert result.status == Status.WARNING, result
    step = result.step("make_images")
    assert step.status == Status.WARNING and "acis_streak_map failed" in step.message
    assert result.step("run_celldetect").status == Status.OK
    assert not (obs.workdir / "images" / "1234_acis_streaks.fits").exists()
    assert not _by_tool(env.calls(), "dmmakereg")
    assert list(obs.get_sources()["acis_streak"]) == [0, 0, 0]


def test_no_streaks_means_no_dmmakereg(env: FakeEnv) -> None:
    env.configure(streak_source=None)
    obs = env.observation(ACIS.obsid)
    result = obs.process()
    assert result.status == Status.OK and result.step("make_images").message == "0 streaks"
    assert not _by_tool(env.calls(), "dmmakereg")
    assert not (obs.workdir / "images" / "1234_acis_streaks.fits").exists()


def test_psfsize_srcs_is_not_run_for_an_empty_source_list(env: FakeEnv) -> None:
    env.configure(no_sources=True)
    obs = env.observation(HRC.obsid)
    result = obs.process()
    assert result.status == Status.WARNING
    assert result.step("run_celldetect").message == "no sources detected"
    assert not _by_tool(env.calls(), "psfsize_srcs")
    assert len(obs.get_sources()) == 0
    again = env.observation(HRC.obsid).run_celldetect()
    assert again.status == Status.SKIP and "no sources" in again.message


def test_wavdetect_lists_have_no_snr(acis: FakeEnv) -> None:
    obs = acis.observation(ACIS.obsid)
    n_calls = len(acis.calls())
    assert obs.run_wavdetect("baseline").status == Status.OK
    with fits.open(obs.workdir / "sources" / "1234_baseline.src") as hdus:
        assert "SNR" not in hdus[1].columns.names
    baseline = obs.get_sources(version="baseline")
    assert len(baseline) == 3 and np.isnan(baseline["snr"]).all()
    assert np.isfinite(baseline["y_angle"]).all()
    (psfsize,) = _by_tool(acis.calls()[n_calls:], "psfsize_srcs")
    assert _params(psfsize)["outfile"].endswith("1234_psf_size_baseline.fits")


def test_wavdetect_retries_without_largest_scale(acis: FakeEnv) -> None:
    acis.configure(wavdetect_max_scales=4)
    n_calls = len(acis.calls())
    obs = acis.observation(ACIS.obsid)
    assert obs.run_wavdetect("retried").status == Status.OK
    scales = [_params(c)["scales"] for c in _by_tool(acis.calls()[n_calls:], "wavdetect")]
    assert scales == ["1.4 2 4 8 16 32", "1.4 2 4 8 16", "1.4 2 4 8"]
    acis.configure(wavdetect_max_scales=2)
    failed = obs.run_wavdetect("other")
    assert failed.status == Status.ERROR and "too many scales (3)" in failed.message
    acis.configure(wavdetect_max_scales=99)


def test_centroids_filter_sources_and_repro(acis: FakeEnv) -> None:
    obs = acis.observation(ACIS.obsid)
    n_calls = len(acis.calls())
    assert obs.calculate_centroids().status == Status.OK
    assert len(_by_tool(acis.calls()[n_calls:], "dmstat")) == 3
    assert obs.filter_sources().status == Status.OK
    assert list(obs.get_sources("celldetect_filtered")["id"]) == [1, 2]  # PSFRATIO 1.5 dropped
    assert obs.repro().status == Status.OK
    assert list((obs.workdir / "repro").glob("*repro_evt2*"))


def test_tool_failure_output_reaches_the_error(env: FakeEnv) -> None:
    env.configure(fail={"celldetect": "celldetect: ERROR the PSF file is rubbish"})
    obs = env.observation(ACIS.obsid)
    result = obs.process()
    assert result.status == Status.ERROR
    step = result.step("run_celldetect")
    assert isinstance(step.error, ToolError) and step.error.tool == "celldetect"
    assert "celldetect: ERROR the PSF file is rubbish" in step.error.output
    assert not (obs.workdir / "sources" / "1234_celldetect.src").exists()
    assert len(obs.get_sources()) == 0 and obs.get_sources()["obsid"].dtype == np.int32


def test_not_selected_is_a_skip(env: FakeEnv) -> None:
    result = env.observation(CONTINUOUS.obsid).process()
    assert result.status == Status.SKIP and "readmode is 'CONTINUOUS'" in result.message
    assert {c["tool"] for c in env.calls()} == {"arc5gl", "arc5gl-stdin"}


def test_unknown_obsid_is_a_precise_error(env: FakeEnv) -> None:
    result = env.observation(9999).process()
    assert result.status == Status.ERROR
    assert "arc5gl found no obspar files for obsid 9999" in result.message
    archive = env.observation(9999, source="archive").process()
    assert "download_chandra_obsid found no obspar files for obsid 9999" in archive.message
    assert "Skipping ObsId 9999" in archive.message
    with pytest.raises(ProcessingError, match="no obspar file for obsid 9999"):
        env.observation(9999).get_obspar()


def test_corrupt_obspar_and_event_file(env: FakeEnv) -> None:
    obs = env.observation(ACIS.obsid)
    obs.download([])
    (par,) = obs.workdir.glob("*obs0a.par.gz")
    par.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ProcessingError, match=r"obs0a\.par\.gz"):
        env.observation(ACIS.obsid).get_obspar()
    other = env.observation(HRC.obsid)
    (other.workdir / "primary").mkdir(parents=True)
    (other.workdir / "primary" / "hrcf02345N002_evt2.fits.gz").write_bytes(b"\x1f\x8bnot fits")
    result = other.process()
    assert result.message.startswith("filter_events: ProcessingError: cannot read the FITS header")


def test_bad_configuration(env: FakeEnv) -> None:
    with pytest.raises(ProcessingError, match=r"CIAO prefix .*nowhere does not exist"):
        env.observation(ACIS.obsid, ciao_prefix=str(env.root / "nowhere"))
    with pytest.raises(ValidationError, match="must not contain ':'"):
        env.observation(ACIS.obsid, workdir=env.root / "a:b")


def test_without_ciao_and_without_a_detector(env: FakeEnv) -> None:
    obs = Observation(HRC.obsid, env.root / "noci:ao", use_ciao=False)  # no CIAO, no detector
    assert obs.ciao is None and obs.detector is None
    assert obs.download([]).status == Status.OK
    assert obs.get_obspar()["instrument"] == "hrc"
    assert obs.get_info()["Subject Category"] == "ACTIVE GALAXIES AND QUASARS"
    result = obs.process()
    assert result.status == Status.ERROR
    assert "no source detector" in result.step("run_celldetect").message
    assert result.step("filter_events").status == Status.SKIP
    assert not [c for c in env.calls() if c["tool"] not in ("arc5gl", "arc5gl-stdin")]


def test_obspar_and_info_from_local_files_without_any_tool(
    env: FakeEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    Observation(ACIS.obsid, env.root / "local", use_ciao=False).download([])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no CIAO, no arc5gl from here on
    n_calls = len(env.calls())
    obs = Observation(ACIS.obsid, env.root / "local", use_ciao=False)
    assert obs.get_obspar()["seq_num"] == "701234"
    assert obs.get_info()["Title"] == "Galaxy & friends"
    assert len(env.calls()) == n_calls


def test_ciao_celldetect_detector(env: FakeEnv) -> None:
    from astromon_adapters.chandra.celldetect import CiaoCelldetect

    from astromon.utils import Ciao

    evt2 = env.root / "fake_archive" / "2345" / "evt2" / "hrcf02345N002_evt2.fits.gz"
    out = CiaoCelldetect(Ciao(env.prefix, env.root / "pf")).detect(evt2, env.root / "det", 2345)
    assert out == env.root / "det" / "2345_celldetect.src"
    with fits.open(out) as hdus:
        assert len(hdus[1].data) == 5  # no event filter here: every source is found
    flux, cell = _by_tool(env.calls(), "fluximage")[0], _by_tool(env.calls(), "celldetect")[0]
    assert _params(flux)["bands"] == "wide" and _params(cell)["thresh"] == "3.0"
    with pytest.raises(ProcessingError, match="cannot read INSTRUME"):
        CiaoCelldetect(Ciao(env.prefix)).detect(env.root / "nothing.fits", env.root, 1)
