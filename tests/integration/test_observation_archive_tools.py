"""The arc5gl and download_chandra_obsid adapters against their faithful fakes: the session
and user file of arc5gl, the type list, validation, exclusion and layout of
download_chandra_obsid."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from astromon_adapters.chandra.archives.arc5gl import Arc5glRetriever
from astromon_adapters.chandra.archives.download_chandra_obsid import (
    DownloadChandraObsid,
    parse_type_list,
)
from astromon_adapters.chandra.ciao import Ciao

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import ARCHIVE_FILE_TYPES
from astromon.ports.observation import ToolError
from tests.integration import fake_ciao
from tests.integration.fake_ciao.archive_tools import DCO_TYPES
from tests.integration.fake_ciao.data import ObsSpec, write_archive

HRC = ObsSpec(2345, "HRC", "HRC-I", ra=210.0, dec=-35.0, roll=300.0)


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    archive = tmp_path / "fake_archive"
    write_archive(archive, HRC)
    log = tmp_path / "calls.jsonl"
    bin_dir, prefix, config = fake_ciao.install(
        tmp_path, {"archive": str(archive), "log": str(log)}
    )
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_CIAO_CONFIG", str(config))
    monkeypatch.setenv("HOME", str(tmp_path))
    return prefix, log


def test_arc5gl_session_ends_with_exit_and_honours_the_user_file(
    tools: tuple[Path, Path], tmp_path: Path
) -> None:
    _, log = tools
    retriever = Arc5glRetriever()
    (evt2,) = retriever.retrieve(HRC.obsid, "evt2", tmp_path / "dl")
    assert evt2.name == "hrcf02345N002_evt2.fits.gz"
    sessions = [c for c in fake_ciao.calls(log) if c["tool"] == "arc5gl-stdin"]
    assert [s["args"] for s in sessions] == [
        ["obsid=2345", "get obspar", "exit"],
        ["obsid=2345", "version=2", "get hrc2{evt2}", "exit"],
    ]
    assert {s["user"] for s in sessions} == {None}  # no user file: arc5gl's own default
    (tmp_path / ".arc5gl_user").write_text("  calib\n")
    (fov,) = retriever.retrieve(HRC.obsid, "fov", tmp_path / "dl")
    assert fov.name.endswith("_fov1.fits.gz")
    last = [c for c in fake_ciao.calls(log) if c["tool"] == "arc5gl-stdin"][-1]
    assert last["user"] == "calib" and "get hrc1{fov}" in last["args"]
    (tmp_path / ".arc5gl_user").write_text("\n")
    with pytest.raises(ProcessingError, match=r"arc5gl user file .*\.arc5gl_user is empty"):
        retriever.retrieve(HRC.obsid, "bpix", tmp_path / "dl")


def test_a_level_2_fov_spec_finds_nothing(tools: tuple[Path, Path], tmp_path: Path) -> None:
    exe = subprocess.run(
        ["arc5gl", "--stdin"], input="obsid=2345\nget hrc2{fov}\nexit\n", capture_output=True,
        text=True, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert "No files found" in exe.stdout and not list(tmp_path.glob("*fov*"))
    wrong = subprocess.run(["arc5gl", "-stdin"], input="exit\n", capture_output=True, text=True)
    assert wrong.returncode != 0


def test_download_chandra_obsid_types_and_commands(
    tools: tuple[Path, Path], tmp_path: Path
) -> None:
    prefix, log = tools
    dco = DownloadChandraObsid(Ciao(prefix, tmp_path / "pf"))
    assert dco.file_types() == sorted(DCO_TYPES)
    assert "obspar" not in dco.file_types() and "acal" not in dco.file_types()
    assert dco.command(2345, "evt2") == ["download_chandra_obsid", "2345", "evt2"]
    assert dco.command(2345, "acal")[2:] == ["--exclude", ",".join(sorted(DCO_TYPES))]
    for name, ftype in ARCHIVE_FILE_TYPES.items():
        assert (ftype.dco_type in DCO_TYPES) != (name in ("obspar", "acal")), name
    (par,) = dco.retrieve(2345, "obspar", tmp_path / "w")
    (acal,) = dco.retrieve(2345, "acal", tmp_path / "w" / "secondary")
    (asol,) = dco.retrieve(2345, "asol", tmp_path / "w" / "secondary")  # primary/ in the CDA
    assert par.name.endswith("_obs0a.par.gz") and acal.name.endswith("_acal1.fits.gz")
    assert asol.parent == tmp_path / "w" / "secondary"
    calls = [c["args"] for c in fake_ciao.calls(log) if c["tool"] == "download_chandra_obsid"]
    assert calls[0] == ["-t", "-q"] and len([c for c in calls if c == ["-t", "-q"]]) == 1
    with pytest.raises(ProcessingError, match=r"found no evt2 files for obsid 777.*Skipping"):
        dco.retrieve(777, "evt2", tmp_path / "none")


def test_the_tool_refuses_types_it_does_not_know(tools: tuple[Path, Path], tmp_path: Path) -> None:
    prefix, _ = tools
    ciao = Ciao(prefix, tmp_path / "pf")
    for args in (["2345", "obspar"], ["2345", "evt2,acal"], ["2345", "--exclude", "obspar"]):
        with pytest.raises(ToolError, match=r"(obspar|acal) is not a valid file type"):
            ciao.run("download_chandra_obsid", *args)
    dco = DownloadChandraObsid(ciao)
    dco._types = ["evt2", "asol"]  # an older tool without the fov type
    with pytest.raises(ValidationError, match="does not know the file type 'fov'"):
        dco.command(2345, "fov")
    with pytest.raises(ProcessingError, match="cannot read the file types"):
        parse_type_list(["no list here"])


def test_the_archive_layout_is_obsid_primary_secondary(
    tools: tuple[Path, Path], tmp_path: Path
) -> None:
    prefix, _ = tools
    ciao = Ciao(prefix, tmp_path / "pf")
    out = tmp_path / "cwd"
    out.mkdir()
    subprocess.run(["download_chandra_obsid", "2345"], env=ciao.env, cwd=out, check=True)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "2345/oif.fits" in files
    assert "2345/primary/hrcf02345N002_evt2.fits.gz" in files
    assert "2345/secondary/hrcf02345N002_msk1.fits.gz" in files
    excluded = tmp_path / "cwd2"
    excluded.mkdir()
    subprocess.run(
        ["download_chandra_obsid", "2345", "--exclude", "evt2,oif"], env=ciao.env, cwd=excluded,
        check=True,
    )  # fmt: skip
    names = [p.name for p in excluded.rglob("*") if p.is_file()]
    assert names and not [n for n in names if "evt2" in n or n == "oif.fits"]
