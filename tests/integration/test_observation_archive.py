"""The HTTPS archive client and the sequence-summary source against a 127.0.0.1 server, and a
CIAO-free Observation run (use_ciao=False, injected detector) on top of them."""

from __future__ import annotations

import functools
import http.server
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.chandra.archives.https import ChandraArchive
from astromon_adapters.chandra.observation_info import SequenceSummaryInfo
from astropy.io import fits

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.observation import Observation, Status
from tests.integration.fake_ciao.data import ObsSpec, write_archive
from tests.integration.fake_ciao.spec import CDA_SUBDIRS
from tests.integration.fake_ciao.summary_server import summary_page
from tests.local_http import QuietHandler, serve

SPEC = ObsSpec(
    1234, "ACIS", "ACIS-I", ra=83.6, dec=22.0, roll=100.0, caldbver="4.11.0", seq_num="200123"
)

SUMMARY_PAGE = summary_page(
    {
        "Title": "A & B   survey: part 2",
        "PI": "Jane Doe",
        "Observer": "John Roe",
        "Subject Category": "ACTIVE GALAXIES AND QUASARS",
        "Cycle": "21",
    }
)
"""The target page of sequence 200123, laid out as the real one (fields in <h4> text nodes)."""


class Handler(QuietHandler, http.server.SimpleHTTPRequestHandler):
    """The Chandra Data Archive tree over HTTP (``byobsid/{obsid % 10}/{obsid}/`` directory
    listings, as ciao_contrib/cda/data.py in cxcsds/ciao-contrib reads them) and the target
    page ``target.cgi?{seq_num}`` (fields in ``<h4>`` text nodes, as sot/astromon's
    ``_get_sequence_summary`` reads them); a truncated asol transfer and an HTTP 500 tree."""

    def do_GET(self) -> None:
        if self.path.startswith("/target.cgi?"):
            seq_num = self.path.split("?", 1)[1]
            if seq_num == "200123":
                self.reply(200, SUMMARY_PAGE.encode())
            else:
                self.send_error(404)
            return
        if "broken" in self.path:
            self.send_error(500)
            return
        if self.path.endswith("_asol1.fits.gz"):  # a truncated transfer
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"SIMPLE  =    T" * 10)
            return
        super().do_GET()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("cda")
    files = write_archive(root / "src", SPEC)
    base = root / "byobsid" / "4" / "1234"
    for file_type, paths in files.items():
        subdir = CDA_SUBDIRS.get(file_type, "secondary")
        (base / subdir).mkdir(parents=True, exist_ok=True)
        for path in paths:
            (base / subdir / path.name).write_bytes(path.read_bytes())
    (root / "byobsid" / "5" / "broken5").mkdir(parents=True)
    with serve(functools.partial(Handler, directory=str(root))) as url:
        yield url, root


def test_archive_downloads_files(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    archive = ChandraArchive(url)
    (evt2,) = archive.retrieve(1234, "evt2", tmp_path / "primary")
    assert evt2.name == "acisf01234N002_evt2.fits.gz"
    source = root / "byobsid/4/1234/primary/acisf01234N002_evt2.fits.gz"
    assert evt2.read_bytes() == source.read_bytes()
    (par,) = archive.retrieve(1234, "obspar", tmp_path)
    assert par.name == "axaff01234N002_obs0a.par.gz"
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted([par.name, evt2.name, "primary"])


def test_archive_errors(server: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = server
    archive = ChandraArchive(url)
    with pytest.raises(ProcessingError, match="has no obspar files for obsid 5555"):
        archive.retrieve(5555, "obspar", tmp_path)
    with pytest.raises(ProcessingError, match="HTTP 500"):
        archive.list_files(f"{url}/byobsid/5/broken5/")
    with pytest.raises(ValidationError, match="unknown file type 'evt3'"):
        archive.retrieve(1234, "evt3", tmp_path)
    with pytest.raises(ValidationError, match="obsid must be a positive integer"):
        archive.retrieve(-3, "evt2", tmp_path)
    with pytest.raises(ValidationError, match="must be http"):
        ChandraArchive("ftp://example.org")


def test_truncated_download_leaves_nothing(server: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = server
    with pytest.raises(ProcessingError, match="cannot download"):
        ChandraArchive(url).retrieve(1234, "asol", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_sequence_summary(server: tuple[str, Path]) -> None:
    url, _ = server
    info = SequenceSummaryInfo([f"{url}/target.cgi?{{seq_num}}"])
    assert info.sequence_summary(1234) == {}  # no seq_num: the template cannot be filled
    summary = info.sequence_summary(1234, seq_num="200123")
    assert summary == {
        "Title": "A & B survey: part 2",
        "PI": "Jane Doe",
        "Observer": "John Roe",
        "Subject Category": "ACTIVE GALAXIES AND QUASARS",
        "Cycle": "21",
    }
    assert info.sequence_summary(1234, seq_num="777") == {}
    by_obsid = SequenceSummaryInfo([f"{url}/target.cgi?{{obsid}}"])  # obsid-keyed templates
    assert by_obsid.sequence_summary(200123) == summary
    dead = SequenceSummaryInfo(["http://127.0.0.1:9/target.cgi?{seq_num}"], timeout=2)
    with pytest.raises(ProcessingError, match="no sequence summary for obsid 1234"):
        dead.sequence_summary(1234, seq_num="200123")
    with pytest.raises(ValidationError, match=r"\{seq_num\} or \{obsid\}"):
        SequenceSummaryInfo(["http://127.0.0.1/target.cgi"])


def test_summary_fields_are_h4_text_nodes() -> None:
    from astromon_adapters.chandra.observation_info import parse_sequence_summary

    page = (
        "<table><tr><td>Title: in a cell</td></tr></table>"
        "<h4>Title: first</h4><h4>PI:<b>Name: in bold</b></h4><h4>Cycle: 21<br>Observer: Roe</h4>"
        "<h4>Title: second</h4><h4>Subject Category:   NORMAL   STARS </h4>"
    )
    assert parse_sequence_summary(page) == {
        "Title": "first", "Cycle": "21", "Observer": "Roe", "Subject Category": "NORMAL STARS",
    }  # fmt: skip


class CatalogDetector:
    """A SourceDetector writing the known sources of SPEC (no CIAO)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Path, Path, int, float]] = []

    def detect(self, evt2: Path, outdir: Path, obsid: int, snr: float = 3.0) -> Path:
        self.calls.append((evt2, outdir, obsid, snr))
        ra, dec = np.array(SPEC.source_radec()).T
        n = len(ra)
        cols = [
            fits.Column("RA", "D", array=ra),
            fits.Column("DEC", "D", array=dec),
            fits.Column("COMPONENT", "J", array=np.arange(1, n + 1)),
            fits.Column("NET_COUNTS", "E", array=np.full(n, 50.0)),
            fits.Column("SNR", "E", array=np.full(n, 7.0)),
            fits.Column("PSFRATIO", "E", array=np.full(n, 0.4)),
        ]
        out = outdir / f"{obsid}_celldetect.src"
        fits.BinTableHDU.from_columns(cols, name="SRCLIST").writeto(out)
        return out


def test_observation_without_ciao(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = server
    monkeypatch.setenv("ASTROMON_ARCHIVE_URL", url)
    monkeypatch.setenv("ASTROMON_INFO_URLS", f"{url}/target.cgi?{{seq_num}}")
    detector = CatalogDetector()
    obs = Observation(
        1234,
        tmp_path / "w:ork",  # no CIAO: ':' is fine
        source="https",
        archive_dir=tmp_path / "archive",
        use_ciao=False,
        detector=detector,
    )
    result = obs.process()
    assert result.status == Status.OK, result
    for step in ("filter_events", "make_images"):
        assert result.step(step).status == Status.SKIP
        assert "CIAO is disabled" in result.step(step).message
    ((evt2, outdir, obsid, snr),) = detector.calls
    assert evt2.name == "acisf01234N002_evt2.fits.gz" and obsid == 1234 and snr == 3
    assert outdir == obs.workdir / "sources"
    sources = obs.get_sources()
    assert len(sources) == 3
    assert set(sources["caldb_version"]) == {"4.11.0"}
    assert (sources["pileup"] == 0).all() and (sources["acis_streak"] == 0).all()
    assert obs.get_info()["category_id"] == 50
    assert (tmp_path / "archive/obs01/1234/sources/1234_celldetect.src").exists()
    # everything is in place: a second run does nothing
    again = Observation(
        1234, tmp_path / "w:ork", source="https", archive_dir=tmp_path / "archive",
        use_ciao=False, detector=detector,
    ).process()  # fmt: skip
    assert again.status == Status.OK and len(detector.calls) == 1
    assert obs.run_wavdetect("baseline").status == Status.SKIP
