"""The processing steps over fake ports: command lines and parameters (SPEC §4), skipping,
failure propagation, obspar-derived fields and get_sources' columns and types."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.chandra.fits_files import FitsObservationFiles
from astromon_adapters.chandra.par_file import ParFileReader
from astropy.io import fits

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_results import Status
from astromon.domain.schema import get_spec
from astromon.ports.observation import ToolError
from astromon.services.observation.pipeline import ObservationPipeline as ObservationSteps
from tests.integration.fake_ciao.data import ObsSpec, par_text, write_evt2

ACIS = ObsSpec(1234, "ACIS", "ACIS-S", ra=150.0, dec=20.0, roll=30.0)
HRC = ObsSpec(2345, "HRC", "HRC-I", ra=10.0, dec=-60.0, roll=10.0)


def write_sources(path: Path, spec: ObsSpec, snr: bool = True) -> None:
    ra, dec = np.array(spec.source_radec()).T
    n = len(ra)
    cols = [
        fits.Column("RA", "D", array=ra),
        fits.Column("DEC", "D", array=dec),
        fits.Column("COMPONENT", "J", array=np.arange(1, n + 1)),
        fits.Column("NET_COUNTS", "E", array=np.full(n, 30.0)),
        fits.Column("PSFRATIO", "E", array=np.full(n, 0.5)),
    ]
    if snr:
        cols.append(fits.Column("SNR", "E", array=np.full(n, 5.0)))
    fits.BinTableHDU.from_columns(cols, name="SRCLIST").writeto(path, overwrite=True)


class FakeRetriever:
    def __init__(self, *specs: ObsSpec) -> None:
        self.specs = {s.obsid: s for s in specs}
        self.calls: list[tuple[int, str]] = []

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        self.calls.append((obsid, file_type))
        if obsid not in self.specs:
            raise ProcessingError(f"no {file_type} files for obsid {obsid}")
        spec = self.specs[obsid]
        destination.mkdir(parents=True, exist_ok=True)
        if file_type == "obspar":
            path = destination / f"axaff{obsid:05d}N001_obs0a.par.gz"
            path.write_bytes(gzip.compress(par_text(spec).encode()))
        elif file_type == "evt2":
            path = destination / f"acisf{obsid:05d}N001_evt2.fits.gz"
            write_evt2(spec, path)
        elif file_type == "acal":
            path = destination / f"pcadf{obsid}_acal1.fits"
            hdu = fits.PrimaryHDU()
            hdu.header["CALDBVER"] = "4.8.1"
            hdu.writeto(path)
        else:
            path = destination / f"f{obsid}_{file_type}1.fits"
            path.write_bytes(b"")
        return [path]

    def find_obsids(self, start: str, stop: str) -> list[int]:
        return sorted(self.specs)


class FakeCiao:
    """Records calls; writes plausible outputs; fails the tools in ``fail``."""

    def __init__(self, fail: Mapping[str, str] | None = None, max_scales: int = 99) -> None:
        self.calls: list[tuple[str, tuple[str, ...], dict[str, object]]] = []
        self.fail = dict(fail or {})
        self.max_scales = max_scales
        self.empty_events = False

    def tools(self) -> list[str]:
        return [c[0] for c in self.calls]

    def params(self, tool: str) -> dict[str, object]:
        return next(c[2] for c in self.calls if c[0] == tool)

    def run(self, tool: str, *args: str, **params: object) -> list[str]:
        self.calls.append((tool, args, params))
        if tool in self.fail:
            for key in ("outfile",):  # a partial output is left behind
                if key in params:
                    Path(str(params[key])).write_bytes(b"partial")
            raise ToolError(tool, 2, [f"# {tool}: starting", self.fail[tool]])
        if tool == "dmcopy":
            src = str(params["infile"]).split("[")[0]
            with fits.open(src) as hdus:
                data = hdus["EVENTS"].data[:0] if self.empty_events else hdus["EVENTS"].data
                hdu = fits.BinTableHDU(data, header=hdus["EVENTS"].header, name="EVENTS")
                fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(str(params["outfile"]))
        elif tool == "fluximage":
            root, band = params["outroot"], params["bands"]
            for suffix in ("thresh.img", "thresh.expmap", "thresh.psfmap", "flux.img"):
                Path(f"{root}_{band}_{suffix}").write_bytes(b"")
        elif tool in ("pileup_map", "dmimgfilt", "psfsize_srcs"):
            Path(str(params["outfile"])).write_bytes(b"")
        elif tool == "celldetect":
            obsid = int(Path(str(params["outfile"])).name.split("_")[0])
            write_sources(Path(str(params["outfile"])), ACIS if obsid == ACIS.obsid else HRC)
        elif tool == "wavdetect":
            if len(str(params["scales"]).split()) > self.max_scales:
                raise ToolError(tool, 1, ["too many scales"])
            write_sources(Path(str(params["outfile"])), ACIS, snr=False)
        elif tool == "acis_streak_map":  # an ASCII region file without streaks
            Path(str(params["regfile"])).write_text("# Region file format: DS9\nphysical\n")
        return []

    def pget(self, tool: str, param: str = "value") -> str:
        self.calls.append(("pget", (tool, param), {}))
        return {"x": "4100.25", "y": "4090.75"}[param]


class FakeDetector:
    def __init__(self) -> None:
        self.calls: list[tuple[Path, Path, int, float]] = []

    def detect(self, evt2: Path, outdir: Path, obsid: int, snr: float = 3.0) -> Path:
        self.calls.append((evt2, outdir, obsid, snr))
        out = outdir / f"{obsid}_other_name.src"
        write_sources(out, ACIS)
        return out


class FakeInfo:
    def __init__(self) -> None:
        self.asked: list[tuple[int, str | None]] = []

    def sequence_summary(self, obsid: int, seq_num: str | None = None) -> Mapping[str, str]:
        self.asked.append((obsid, seq_num))
        return {"Title": "t", "PI": "p"}


def make(tmp_path: Path, spec: ObsSpec = ACIS, **kwargs: Any) -> ObservationSteps:
    kwargs.setdefault("retriever", FakeRetriever(ACIS, HRC))
    if kwargs.get("use_ciao", True):
        kwargs.setdefault("ciao", FakeCiao())
    kwargs.setdefault("info", FakeInfo())
    kwargs.setdefault("par_files", ParFileReader())
    kwargs.setdefault("fits_files", FitsObservationFiles())
    return ObservationSteps(spec.obsid, tmp_path / "work", archive_dir=tmp_path / "arch", **kwargs)


def test_acis_command_lines(tmp_path: Path) -> None:
    obs = make(tmp_path)
    ciao = obs.ciao
    assert isinstance(ciao, FakeCiao)
    result = obs.process()
    assert result.status == Status.OK, result
    assert ciao.tools() == [
        "punlearn", "dmcoords", "pget", "pget", "dmcopy", "fluximage", "pileup_map",
        "dmimgfilt", "acis_streak_map", "celldetect", "psfsize_srcs",
    ]  # fmt: skip
    w = obs.workdir
    evt2 = w / "primary" / "acisf01234N001_evt2.fits.gz"
    assert ciao.params("dmcoords") == {
        "infile": str(evt2), "option": "cel", "ra": 150.0, "dec": 20.0, "celfmt": "deg",
    }  # fmt: skip
    assert ciao.params("dmcopy") == {
        "infile": f"{evt2}[(x,y)=circle(4100.25,4090.75,365.85)]",
        "outfile": str(w / "primary" / "1234_evt2_filtered.fits.gz"),
        "clobber": True,
    }
    filtered = str(w / "primary" / "1234_evt2_filtered.fits.gz")
    assert ciao.params("fluximage") == {
        "infile": filtered, "outroot": str(w / "images" / "1234"), "bands": "broad",
        "binsize": 1, "psfecf": 0.9, "background": "none", "clobber": True,
        "asolfile": str(w / "secondary" / "f1234_asol1.fits"),
        "badpixfile": str(w / "primary" / "f1234_bpix1.fits"),
        "maskfile": str(w / "secondary" / "f1234_msk1.fits"),
    }  # fmt: skip
    img = w / "images"
    assert ciao.params("pileup_map")["infile"] == str(img / "1234_broad_thresh.img")
    assert ciao.params("dmimgfilt") == {
        "infile": str(img / "1234_pileup.img"), "outfile": str(img / "1234_pileup_max.img"),
        "function": "max", "mask": "circle(0,0,3)", "clobber": True,
    }  # fmt: skip
    streak = ciao.params("acis_streak_map")
    assert streak["msigma"] == 4 and str(streak["fovfile"]).endswith("f1234_fov1.fits")
    assert streak["infile"] == str(evt2)  # the level-2 events, not the filtered ones
    assert streak["regfile"] == str(img / "1234_acis_streaks.reg")
    assert ciao.params("celldetect") == {
        "infile": str(img / "1234_broad_thresh.img"),
        "psffile": str(img / "1234_broad_thresh.psfmap"),
        "expstk": str(img / "1234_broad_thresh.expmap"),
        "outfile": str(w / "sources" / "1234_celldetect.src"),
        "thresh": 3, "maxlogicalwindow": 2048, "clobber": True,
    }  # fmt: skip
    assert ciao.params("psfsize_srcs") == {
        "infile": filtered, "pos": str(w / "sources" / "1234_celldetect.src"),
        "outfile": str(w / "sources" / "1234_psf_size_celldetect.fits"),
        "energy": "broad", "ecf": 0.9, "clobber": True,
    }  # fmt: skip
    retriever = obs.retriever
    assert isinstance(retriever, FakeRetriever)
    assert [t for _, t in retriever.calls] == [
        "obspar", "evt2", "asol", "msk", "fov", "bpix", "acal",  # no dtf for ACIS
    ]  # fmt: skip


def test_hrc_uses_the_wide_band_and_no_pileup(tmp_path: Path) -> None:
    obs = make(tmp_path, HRC)
    assert obs.process().status == Status.OK
    ciao = obs.ciao
    assert isinstance(ciao, FakeCiao)
    assert "pileup_map" not in ciao.tools() and "acis_streak_map" not in ciao.tools()
    assert ciao.params("fluximage")["bands"] == "wide"
    assert ciao.params("psfsize_srcs")["energy"] == "wide"
    assert str(ciao.params("dmcopy")["infile"]).endswith(f",{180 / 0.13175:.2f})]")


def test_rerun_skips_every_step(tmp_path: Path) -> None:
    make(tmp_path).process()
    again = make(tmp_path)
    result = again.process()
    assert result.status == Status.OK
    ciao = again.ciao
    assert isinstance(ciao, FakeCiao) and ciao.calls == []
    assert isinstance(again.retriever, FakeRetriever) and again.retriever.calls == []
    skipped = {s.step: s.message for s in result.steps if s.status == Status.SKIP}
    assert skipped["filter_events"] == "outputs exist"
    assert skipped["run_celldetect"] == "outputs exist"
    assert skipped["archive"] == "archive up to date"


def test_failure_stops_processing_and_removes_partial_outputs(tmp_path: Path) -> None:
    ciao = FakeCiao(fail={"celldetect": "celldetect: bad PSF map"})
    obs = make(tmp_path, ciao=ciao)
    result = obs.process()
    assert result.status == Status.ERROR
    assert result.message.startswith("run_celldetect: ToolError: celldetect failed")
    assert "celldetect: bad PSF map" in result.message
    assert [s.step for s in result.steps][-1] == "run_celldetect"
    assert "psfsize_srcs" not in ciao.tools()
    assert not (obs.workdir / "sources" / "1234_celldetect.src").exists()
    assert not (tmp_path / "arch").exists()  # the archive step did not run


def test_missing_input_and_no_events(tmp_path: Path) -> None:
    obs = make(tmp_path)
    obs.download([])
    step = obs.run_celldetect()
    assert step.status == Status.ERROR and step.message.endswith("missing input: image")
    assert isinstance(step.error, ProcessingError)
    ciao = FakeCiao()
    ciao.empty_events = True
    result = make(tmp_path / "b", ciao=ciao).process()
    assert result.status == Status.ERROR
    assert "no events within 180 arcsec of the pointing" in result.message


def test_not_selected(tmp_path: Path) -> None:
    spec = ObsSpec(3456, readmode="CONTINUOUS")
    obs = make(tmp_path, spec, retriever=FakeRetriever(spec))
    result = obs.process()
    assert result.status == Status.SKIP and "readmode is 'CONTINUOUS'" in result.message
    assert isinstance(obs.retriever, FakeRetriever)
    assert obs.retriever.calls == [(3456, "obspar")]


def test_unknown_obsid(tmp_path: Path) -> None:
    result = make(tmp_path, ObsSpec(4321)).process()
    assert result.status == Status.ERROR
    assert result.message == "download: ProcessingError: no obspar files for obsid 4321"


def test_obspar_and_info(tmp_path: Path) -> None:
    obs = make(tmp_path)
    with pytest.raises(ProcessingError, match="no obspar file for obsid 1234"):
        obs.get_obspar()
    obs.download([])
    par = obs.get_obspar()
    assert par["version"] == pytest.approx(10.0902)
    assert par["instrument"] == "acis" and par["target"] == "Target 1234"
    assert (par["ra"], par["dec"], par["roll"]) == (150.0, 20.0, 30.0)
    info = obs.get_info()
    assert info["Subject Category"] == "NO MATCH" and info["category_id"] == 200
    assert info["PI"] == "p"
    assert isinstance(obs.info, FakeInfo) and obs.info.asked == [(1234, "201234")]
    assert obs.selection() == (True, "")


def test_get_sources_columns_and_types(tmp_path: Path) -> None:
    obs = make(tmp_path)
    empty = obs.get_sources()
    spec = get_spec("astromon_xray_src")
    assert empty.colnames == [*spec.names, "psfratio"] and len(empty) == 0
    kinds = [np.dtype(c.dtype).str[1:] if c.kind != "str" else "U" for c in spec.columns]
    assert [empty[c].dtype.str[1:2] if c == "caldb_version" else empty[c].dtype.str[1:]
            for c in spec.names] == kinds  # fmt: skip
    obs.process()
    with pytest.raises(ProcessingError, match=r"cannot read pileup map .*1234_pileup_max\.img"):
        obs.get_sources()  # the fake pileup map is an empty file
    (obs.workdir / "images" / "1234_pileup_max.img").unlink()
    sources = obs.get_sources()
    assert sources.colnames == [*spec.names, "psfratio"]
    assert [sources[c].dtype.str[1:2] if c == "caldb_version" else sources[c].dtype.str[1:]
            for c in spec.names] == kinds  # fmt: skip
    assert len(sources) == 3 and list(sources["id"]) == [1, 2, 3]
    assert list(sources["caldb_version"]) == ["4.8.1"] * 3
    assert (sources["pileup"] == 0).all()  # no pileup map
    assert sources["ra"].format == ".4f" and sources["snr"].format == ".2f"
    assert (sources["r_angle"] < 100).all()


def test_without_ciao_uses_the_detector(tmp_path: Path) -> None:
    detector = FakeDetector()
    obs = make(tmp_path, use_ciao=False, detector=detector)
    result = obs.process()
    assert result.status == Status.OK
    assert [(s.step, s.status) for s in result.steps if s.status == Status.SKIP] == [
        ("filter_events", Status.SKIP), ("make_images", Status.SKIP),
    ]  # fmt: skip
    ((evt2, outdir, obsid, snr),) = detector.calls
    assert evt2.name.endswith("evt2.fits.gz") and outdir == obs.workdir / "sources"
    assert (obsid, snr) == (1234, 3)
    assert (obs.workdir / "sources" / "1234_celldetect.src").exists()
    assert isinstance(obs.retriever, FakeRetriever)
    assert [t for _, t in obs.retriever.calls] == ["obspar", "evt2", "acal"]
    for method in (obs.calculate_centroids, obs.repro):
        assert method().message == "CIAO is disabled (use_ciao=False)"


def test_wavdetect_retry(tmp_path: Path) -> None:
    ciao = FakeCiao(max_scales=3)
    obs = make(tmp_path, ciao=ciao)
    obs.process()
    assert obs.run_wavdetect("baseline").status == Status.OK
    scales = [c[2]["scales"] for c in ciao.calls if c[0] == "wavdetect"]
    assert scales == ["1.4 2 4 8 16 32", "1.4 2 4 8 16", "1.4 2 4 8", "1.4 2 4"]
    ciao.max_scales = 2
    step = obs.run_wavdetect("second", scales="1 2 4 8")
    assert step.status == Status.ERROR and "too many scales" in step.message


def test_constructor_checks(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must not contain ':'"):
        ObservationSteps(
            1, tmp_path / "a:b", retriever=FakeRetriever(), ciao=FakeCiao(), par_files=None
        )
    reader, files = ParFileReader(), FitsObservationFiles()
    no_detector = ObservationSteps(
        1, tmp_path, retriever=FakeRetriever(), use_ciao=False, par_files=reader, fits_files=files
    )
    assert no_detector.detector is None and no_detector.ciao is None
    with pytest.raises(ValidationError, match="needs a CIAO runner"):
        ObservationSteps(1, tmp_path, retriever=FakeRetriever(), par_files=reader)
    with pytest.raises(ValidationError, match="parameter-file reader"):
        ObservationSteps(1, tmp_path, retriever=FakeRetriever(), ciao=FakeCiao())
    with pytest.raises(ValidationError, match="obsid must be a positive integer"):
        ObservationSteps(0, tmp_path, retriever=FakeRetriever(), ciao=FakeCiao(), par_files=reader)
    temp = ObservationSteps(
        5, None, retriever=FakeRetriever(), ciao=FakeCiao(), par_files=reader, fits_files=files
    )
    assert temp.workdir.is_dir() and temp.workdir.parts[-2:] == ("obs00", "5")


def test_archive_is_never_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    obs = make(tmp_path)
    obs.process()
    archive = tmp_path / "arch" / "obs01" / "1234"
    archived = sorted(p.relative_to(archive).as_posix() for p in archive.rglob("*.*"))
    assert archived == [
        "axaff01234N001_obs0a.par.gz",
        "images/1234_broad_flux.img",
        "sources/1234_celldetect.src",
        "sources/1234_psf_size_celldetect.fits",
    ]
    (obs.workdir / "sources" / "1234_celldetect.src").write_bytes(b"changed")

    def broken_copy(src: Any, dst: Any) -> None:
        Path(dst).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(shutil, "copy2", broken_copy)
    step = obs.archive()
    assert step.status == Status.ERROR and "disk full" in step.message
    assert (archive / "sources" / "1234_celldetect.src").read_bytes() != b"half"
    assert not [p for p in archive.rglob("*") if p.name.startswith(".")]


class PartialRetriever(FakeRetriever):
    """Has no asol and no acal files."""

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        if file_type in ("asol", "acal", "evt2") and file_type in self.missing:
            raise ProcessingError(f"no {file_type} files for obsid {obsid}")
        return super().retrieve(obsid, file_type, destination)

    missing: tuple[str, ...] = ("asol", "acal")


def test_optional_files_missing_is_a_warning(tmp_path: Path) -> None:
    obs = make(tmp_path, HRC, retriever=PartialRetriever(ACIS, HRC))
    result = obs.process()
    assert result.status == Status.WARNING
    download = result.steps[2]
    assert download.status == Status.WARNING
    assert "missing asol (no asol files for obsid 2345)" in download.message
    assert "acal (no acal files" in download.message
    assert isinstance(obs.retriever, FakeRetriever)
    assert "dtf" in [t for _, t in obs.retriever.calls]  # HRC has dtf files
    # without acal, CALDBVER comes from the evt2 header
    assert list(obs.get_sources()["caldb_version"]) == ["4.9.8"] * 3
    no_events = PartialRetriever(ACIS)
    no_events.missing = ("evt2",)
    failed = make(tmp_path / "b", ACIS, retriever=no_events).process()
    assert failed.status == Status.ERROR
    assert failed.message == "download: ProcessingError: no evt2 files for obsid 1234"
