"""``astromon doctor`` against a complete and a broken fake installation (faithful CIAO
fakes, arc5gl, download_chandra_obsid), a VizieR-shaped server, an archive server and a
sequence-summary server, all on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from astromon.cli.app import app
from astromon.services.doctor import CIAO_TOOLS, CONTRIB_TOOLS
from tests.integration import fake_ciao
from tests.integration import fake_vizier as vizier_fakes
from tests.integration.fake_ciao.summary_server import summary_server
from tests.integration.fake_vizier import FakeVizier
from tests.integration.fake_vizier import fake_vizier as fake_vizier
from tests.integration.test_catalog_vizier import vizier_rows
from tests.local_http import QuietHandler, serve

runner = CliRunner()


@pytest.fixture
def archive_url() -> Iterator[str]:
    """A Chandra-archive-shaped directory server: ``/byobsid/`` lists the obsid digits."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/cdaftp/byobsid":
                self.send_error(404)
                return
            self.reply(200, b"<html><body><a href='0/'>0/</a><a href='1/'>1/</a></body></html>")

    with serve(Handler) as url:
        yield f"{url}/cdaftp"


@pytest.fixture
def info_url() -> Iterator[str]:
    with summary_server({"0": {"Title": "probe"}}) as (url, _):
        yield f"{url}/cgi-bin/mp/target.cgi?{{seq_num}}"


def _installation(
    root: Path, monkeypatch: pytest.MonkeyPatch, *, user: str = "calib\n", **options: Any
) -> Path:
    bin_dir, prefix, config = fake_ciao.install(root, {"archive": str(root)}, **options)
    home = root / "home"
    home.mkdir()
    (home / ".arc5gl_user").write_text(user)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_CIAO_CONFIG", str(config))
    return prefix


def _doctor(db: Path, prefix: Path, *args: str) -> Any:
    return runner.invoke(
        app,
        ["--db", str(db), "doctor", "--ciao-prefix", str(prefix), "--catalogs",
         "Tycho2,2MASS", *args],
    )  # fmt: skip


def _rows(output: str) -> dict[str, tuple[str, str]]:
    """check name -> (status, the fix hint or ''); a fix shared by several checks, printed
    once as ``fix (for A, B): ...``, is given to each of them."""
    rows: dict[str, tuple[str, str]] = {}
    lines = output.splitlines()
    last = ""
    shared: dict[str, str] = {}
    for line in lines[1:-1]:
        status, rest = line[:7].strip(), line[9:]
        if status:
            name = rest.split("  ")[0].strip()
            rows[name], last = (status, ""), name
        elif "fix: " in line:
            rows[last] = (rows[last][0], line.split("fix: ", 1)[1])
        elif "fix (for " in line:
            names, fix = line.split("fix (for ", 1)[1].split("): ", 1)
            shared.update(dict.fromkeys(names.split(", "), fix))
    return {name: (status, fix or shared.get(name, "")) for name, (status, fix) in rows.items()}


def test_a_complete_installation_passes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_vizier: FakeVizier,
    archive_url: str,
    info_url: str,
) -> None:
    prefix = _installation(tmp_path, monkeypatch)
    fake_vizier.catalogs = vizier_rows()
    monkeypatch.setenv("ASTROMON_ARCHIVE_URL", archive_url)
    monkeypatch.setenv("ASTROMON_INFO_URLS", info_url)
    result = _doctor(
        tmp_path / "db" / "astromon.duckdb", prefix, "--vizier-server", fake_vizier.url
    )
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert {status for status, _ in rows.values()} == {"ok"}
    expected = {"CIAO prefix", "CIAO version", "CALDB", "arc5gl", "arc5gl user file",
                "download_chandra_obsid types", "VizieR Tycho2", "VizieR 2MASS",
                "Chandra archive", "sequence summary", "database file",
                *(f"tool {t}" for t in (*CIAO_TOOLS, *CONTRIB_TOOLS))}  # fmt: skip
    assert set(rows) == expected
    assert "CIAO 4.16.0" in result.stdout and "4.11.0" in result.stdout
    assert "user calib" in result.stdout
    assert {r["-source"] for r in fake_vizier.requests} == {"I/259/tyc2", "II/246/out"}
    assert all(not r["positions"] for r in fake_vizier.requests)  # one tiny query each
    assert not (tmp_path / "db").exists()  # nothing written
    assert result.stdout.splitlines()[-1].endswith("0 failed, 0 skipped")


def test_a_broken_installation_fails_with_one_fix_per_failed_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_vizier: FakeVizier,
    info_url: str,
) -> None:
    prefix = _installation(
        tmp_path, monkeypatch, user="", missing=("dmmakereg", "psfsize_srcs", "arc5gl"), caldb=None
    )
    fake_vizier.catalogs = vizier_rows()
    columns = [f for f in vizier_fakes.FIELDS["II/246/out"] if f[0] != "Kmag"]
    monkeypatch.setitem(vizier_fakes.FIELDS, "II/246/out", columns)
    monkeypatch.setenv("ASTROMON_ARCHIVE_URL", "http://127.0.0.1:9/cdaftp")
    monkeypatch.setenv("ASTROMON_INFO_URLS", info_url)
    (tmp_path / "not_a_dir").write_text("")
    result = _doctor(
        tmp_path / "not_a_dir" / "a.duckdb", prefix, "--vizier-server", fake_vizier.url
    )
    assert result.exit_code == 1, result.output
    rows = _rows(result.stdout)
    failed = {name for name, (status, _) in rows.items() if status == "FAIL"}
    assert failed == {"tool dmmakereg", "tool psfsize_srcs", "arc5gl", "arc5gl user file",
                      "CALDB", "VizieR 2MASS", "Chandra archive", "database file"}  # fmt: skip
    for name in failed:
        assert rows[name][1], f"{name} has no fix hint"
    assert "ciao-contrib" in rows["tool psfsize_srcs"][1]
    assert "--source archive" in rows["arc5gl"][1]
    assert rows["VizieR Tycho2"][0] == "ok" and rows["tool dmcopy"][0] == "ok"
    assert "lacks the columns ['Kmag']" in result.stdout
    assert result.stdout.count("fix: ") == len(failed)
    assert result.stdout.splitlines()[-1].endswith(f"{len(failed)} failed, 0 skipped")


def test_no_ciao_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(tmp_path))
    result = _doctor(tmp_path / "a.duckdb", tmp_path / "nowhere", "--offline")
    assert result.exit_code == 1
    rows = _rows(result.stdout)
    assert rows["CIAO prefix"][0] == "FAIL" and "--ciao-prefix" in rows["CIAO prefix"][1]
    assert rows["tool fluximage"] == ("FAIL", rows["CIAO prefix"][1])
    # the fix all the CIAO checks share is printed once, naming them
    [shared] = [line for line in result.stdout.splitlines() if "fix (for " in line]
    assert "fix (for CIAO prefix, CIAO version, CALDB, tool " in shared
    assert result.stdout.count(rows["CIAO prefix"][1]) == 1
    assert rows["arc5gl user file"][0] == "ok"  # absent: arc5gl uses the login name


def test_offline_skips_the_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = _installation(tmp_path, monkeypatch)
    monkeypatch.setenv("ASTROMON_ARCHIVE_URL", "http://127.0.0.1:9/cdaftp")
    monkeypatch.setenv("ASTROMON_INFO_URLS", "http://127.0.0.1:9/target.cgi?{seq_num}")
    result = _doctor(
        tmp_path / "a.duckdb", prefix, "--offline", "--vizier-server", "http://127.0.0.1:9"
    )
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    skipped = {name for name, (status, _) in rows.items() if status == "skipped"}
    assert skipped == {"VizieR Tycho2", "VizieR 2MASS", "Chandra archive", "sequence summary"}
    assert result.stdout.splitlines()[-1].endswith("0 failed, 4 skipped")
