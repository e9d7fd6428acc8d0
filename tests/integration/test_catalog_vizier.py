"""The VizieR adapter through astroquery against a VizieR-shaped HTTP server on 127.0.0.1.

The server answers ``POST /viz-bin/votable`` with VOTable documents laid out as VizieR's
(RESOURCE / TABLE / FIELD / DATA / TABLEDATA, ``-out.form=mini``), doing the cone search on the
catalog positions it holds. No test touches the internet.
"""

from __future__ import annotations

import contextlib
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pytest
from astromon_adapters.local_catalog import LocalCatalogService
from astromon_adapters.vizier import VizierCatalogService
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.time import Time

from astromon import cross_match
from astromon.bootstrap import bootstrap
from astromon.domain.errors import CatalogError
from astromon.domain.geometry import angular_separation_arcsec
from astromon.services.counterparts import rough_match
from tests.local_http import QuietHandler, serve

ARCSEC = 1.0 / 3600.0

# VizieR FIELD definitions (name, datatype, unit) of the catalogs, as VizieR names them (the
# labels of each catalog's ReadMe byte-by-byte description; astroquery keeps them as column
# names, e.g. ``f.mag``, ``2MASS``, ``USNO-B1.0``)
FIELDS: dict[str, list[tuple[str, str, str]]] = {
    "I/323/icrf2": [
        ("ICRF", "char", ""),
        ("RAJ2000", "double", "deg"),
        ("DEJ2000", "double", "deg"),
        ("Type", "char", ""),
    ],
    "I/284/out": [
        ("USNO-B1.0", "char", ""),
        ("RAJ2000", "double", "deg"),
        ("DEJ2000", "double", "deg"),
        ("pmRA", "int", "mas/yr"),
        ("pmDE", "int", "mas/yr"),
        ("B1mag", "float", "mag"),
        ("R1mag", "float", "mag"),
        ("B2mag", "float", "mag"),
        ("R2mag", "float", "mag"),
        ("Imag", "float", "mag"),
    ],
    "I/239/hip_main": [
        ("HIP", "int", ""),
        ("RAICRS", "double", "deg"),
        ("DEICRS", "double", "deg"),
        ("Vmag", "float", "mag"),
        ("pmRA", "double", "mas/yr"),
        ("pmDE", "double", "mas/yr"),
        ("BTmag", "float", "mag"),
        ("VTmag", "float", "mag"),
    ],
    "I/311/hip2": [
        ("HIP", "int", ""),
        ("RArad", "double", "deg"),
        ("DErad", "double", "deg"),
        ("Plx", "double", "mas"),
        ("pmRA", "double", "mas/yr"),
        ("pmDE", "double", "mas/yr"),
        ("Hpmag", "double", "mag"),
        ("e_Hpmag", "double", "mag"),
        ("B-V", "float", "mag"),
        ("V-I", "float", "mag"),
    ],
    "I/322A/out": [
        ("UCAC4", "char", ""),
        ("RAJ2000", "double", "deg"),
        ("DEJ2000", "double", "deg"),
        ("EpRA", "double", "yr"),
        ("EpDE", "double", "yr"),
        ("f.mag", "float", "mag"),
        ("a.mag", "float", "mag"),
        ("pmRA", "double", "mas/yr"),
        ("pmDE", "double", "mas/yr"),
        ("Vmag", "float", "mag"),
    ],
    "II/294/sdss7": [
        ("RAJ2000", "double", "deg"),
        ("DEJ2000", "double", "deg"),
        ("cl", "unsignedByte", ""),
        ("SDSS", "char", ""),
        ("ObsDate", "double", "yr"),
        ("umag", "float", "mag"),
        ("gmag", "float", "mag"),
        ("rmag", "float", "mag"),
        ("imag", "float", "mag"),
        ("zmag", "float", "mag"),
        ("pmRA", "double", "mas/yr"),
        ("pmDE", "double", "mas/yr"),
    ],
    "I/345/gaia2": [
        ("RA_ICRS", "double", "deg"),
        ("DE_ICRS", "double", "deg"),
        ("Source", "long", ""),
        ("pmRA", "double", "mas/yr"),
        ("pmDE", "double", "mas/yr"),
        ("Gmag", "double", "mag"),
    ],
    "I/259/tyc2": [
        ("TYC1", "short", ""),
        ("TYC2", "short", ""),
        ("TYC3", "unsignedByte", ""),
        ("RAmdeg", "double", "deg"),
        ("DEmdeg", "double", "deg"),
        ("pmRA", "double", "mas/yr"),
        ("pmDE", "double", "mas/yr"),
        ("BTmag", "float", "mag"),
        ("VTmag", "float", "mag"),
    ],
    "II/246/out": [
        ("RAJ2000", "double", "deg"),
        ("DEJ2000", "double", "deg"),
        ("2MASS", "char", ""),
        ("Jmag", "float", "mag"),
        ("Kmag", "float", "mag"),
    ],
    "I/355/gaiadr3": [
        ("RA_ICRS", "double", "deg"),
        ("DE_ICRS", "double", "deg"),
        ("Source", "long", ""),
        ("pmRA", "double", "mas/yr"),
        ("pmDE", "double", "mas/yr"),
        ("Gmag", "double", "mag"),
    ],
}
POSITION = {
    "I/323/icrf2": ("RAJ2000", "DEJ2000"),
    "I/284/out": ("RAJ2000", "DEJ2000"),
    "I/239/hip_main": ("RAICRS", "DEICRS"),
    "I/311/hip2": ("RArad", "DErad"),
    "I/322A/out": ("RAJ2000", "DEJ2000"),
    "II/294/sdss7": ("RAJ2000", "DEJ2000"),
    "I/345/gaia2": ("RA_ICRS", "DE_ICRS"),
    "I/259/tyc2": ("RAmdeg", "DEmdeg"),
    "II/246/out": ("RAJ2000", "DEJ2000"),
    "I/355/gaiadr3": ("RA_ICRS", "DE_ICRS"),
}
TABLES = {"I/323": "I/323/icrf2", "I/284": "I/284/out", "II/294": "II/294/sdss7"}
"""The table VizieR answers with when a catalog (not a table) id is asked for."""
TITLES = {
    "I/323/icrf2": ("I/323", "ICRF2 (Fey+ 2009)"),
    "I/284/out": ("I/284", "The USNO-B1.0 Catalog (Monet+ 2003)"),
    "I/239/hip_main": ("I/239", "The Hipparcos and Tycho Catalogues (ESA 1997)"),
    "I/311/hip2": ("I/311", "Hipparcos, the New Reduction (van Leeuwen, 2007)"),
    "I/322A/out": ("I/322A", "UCAC4 Catalogue (Zacharias+, 2012)"),
    "II/294/sdss7": ("II/294", "The SDSS Photometric Catalog, Release 7 (Adelman-McCarthy+, 2009)"),
    "I/345/gaia2": ("I/345", "Gaia DR2 (Gaia Collaboration, 2018)"),
    "I/259/tyc2": ("I/259", "The Tycho-2 Catalogue (Hog+ 2000)"),
    "II/246/out": ("II/246", "2MASS All-Sky Catalog of Point Sources (Cutri+ 2003)"),
    "I/355/gaiadr3": ("I/355", "Gaia DR3 Part 1. Main source"),
}


def _td(value: Any) -> str:
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return "<TD></TD>"
    if isinstance(value, float | np.floating):
        return f"<TD>{float(value)!r}</TD>"
    return f"<TD>{escape(str(value))}</TD>"


def votable(table_id: str, rows: list[dict[str, Any]], out: list[str]) -> bytes:
    """A VizieR-style VOTable answer with the ``out`` columns of ``rows`` (plus ``_q``)."""
    resource, title = TITLES[table_id]
    defined = {f[0]: f for f in FIELDS[table_id]}
    computed = [c for c in out if c in ("_RAJ2000", "_DEJ2000")]
    columns = ["_q", *computed, *[c for c in out if c in defined]]
    fields = []
    for name in columns:
        if name == "_q":
            fields.append(
                '<FIELD name="_q" ucd="meta.id" datatype="short" width="4">'
                "<DESCRIPTION>Index of the target position</DESCRIPTION></FIELD>"
            )
        elif name in computed:
            fields.append(
                f'<FIELD name="{name}" ucd="pos.eq.{"ra" if "RA" in name else "dec"}" '
                'ref="J2000" datatype="double" width="12" precision="8" unit="deg">'
                "<DESCRIPTION>Position (computed by VizieR)</DESCRIPTION></FIELD>"
            )
        else:
            _, datatype, unit = defined[name]
            extra = ' arraysize="*"' if datatype == "char" else ""
            unit_attr = f' unit="{unit}"' if unit else ""
            fields.append(
                f'<FIELD name="{escape(name)}" ucd="meta" datatype="{datatype}"{extra}'
                f"{unit_attr}><DESCRIPTION>{escape(name)}</DESCRIPTION></FIELD>"
            )
    ra_col, dec_col = POSITION[table_id]
    trs = []
    for row in rows:
        values = {**row, "_RAJ2000": row[ra_col], "_DEJ2000": row[dec_col]}
        trs.append("<TR>" + "".join(_td(values.get(c)) for c in columns) + "</TR>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns="http://www.ivoa.net/xml/VOTable/v1.3"
  xsi:schemaLocation="http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/v1.3">
 <DESCRIPTION>
   VizieR Astronomical Server vizier.cds.unistra.fr
    Date: 2026-11-24T12:00:00 [V7.4.5]
   In case of problem, please report to: cds-question@unistra.fr
 </DESCRIPTION>
<!-- VOTable description at http://www.ivoa.net/Documents/latest/VOT.html -->
<INFO ID="VERSION" name="votable-version" value="1.99+ (14-Oct-2013)"/>
<INFO ID="Ref" name="-ref" value="VOTx12345"/>
<INFO name="-out.form" value="mini"/>
<INFO name="MaxTuples" value="50000" />
<RESOURCE ID="yCat_{resource.replace("/", "_")}" name="{resource}">
  <DESCRIPTION>{escape(title)}</DESCRIPTION>
  <COOSYS ID="H_2000.000" system="ICRS" epoch="2000.000"/>
  <TABLE ID="{table_id.replace("/", "_")}" name="{table_id}">
    <DESCRIPTION>{escape(title)}</DESCRIPTION>
    <!-- Definitions of GROUPs and FIELDs -->
    {"".join(fields)}
<DATA><TABLEDATA>
{chr(10).join(trs)}
</TABLEDATA></DATA>
</TABLE>
<INFO name="matches" value="{len(rows)}">matching records</INFO>
</RESOURCE>
</VOTABLE>
""".encode()


def vizier_error(message: str) -> bytes:
    """VizieR's answer to a query it cannot do: a VOTable with an Error INFO, no table."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
<INFO ID="VERSION" name="votable-version" value="1.99+ (14-Oct-2013)"/>
<INFO name="Error" value="{escape(message)}"/>
<RESOURCE><INFO name="QUERY_STATUS" value="ERROR">{escape(message)}</INFO></RESOURCE>
</VOTABLE>
""".encode()


@dataclass
class Reply:
    """A scripted reply: HTTP status, optional body, delay (seconds)."""

    status: int = 200
    body: bytes | None = None
    delay: float = 0.0


@dataclass
class FakeVizier:
    """State of the fake server: catalog rows per VizieR table, scripted replies, requests."""

    catalogs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    script: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def answer(self, body: str) -> tuple[int, bytes]:
        request = parse_script(body)
        self.requests.append(request)
        if self.script:
            reply = self.script.pop(0)
            if reply.delay:
                self.release.wait(reply.delay)
            if reply.status != 200 or reply.body is not None:
                return reply.status, reply.body or b"<html>Internal Server Error</html>"
        table_id = TABLES.get(request["-source"], request["-source"])
        if table_id not in FIELDS:
            return 200, vizier_error(f"Unknown catalogue {request['-source']}")
        if not request["positions"]:  # no cone: the first -out.max rows (get_catalogs)
            limit = int(request.get("-out.max", "50"))
            rows = self.catalogs.get(table_id, [])[:limit]
            return 200, votable(table_id, rows, request["out"])
        radius = float(request["-c.rs"]) / 3600.0
        ra_col, dec_col = POSITION[table_id]
        rows = []
        for q, (ra, dec) in enumerate(request["positions"], start=1):
            for row in self.catalogs.get(table_id, []):
                sep = angular_separation_arcsec(ra, dec, row[ra_col], row[dec_col]) / 3600.0
                if sep <= radius:
                    rows.append({**row, "_q": q})
        return 200, votable(table_id, rows, request["out"])


def parse_script(body: str) -> dict[str, Any]:
    """The astroquery/VizieR query script: ``key=value`` lines and the list of positions."""
    result: dict[str, Any] = {"positions": [], "out": []}
    lines = iter(body.splitlines())
    for line in lines:
        if line.endswith("=<<====AstroqueryList"):
            for item in lines:
                if item == "====AstroqueryList":
                    break
                found = re.match(r"^([0-9.]+)([+-][0-9.]+)$", item.strip())
                assert found, item
                result["positions"].append((float(found.group(1)), float(found.group(2))))
        elif "=" in line:
            key, value = line.split("=", 1)
            result[key] = value
    for key in ("-out", "-out.add"):
        if key in result:
            result["out"] += result[key].split(",")
    return result


@pytest.fixture
def fake_vizier() -> Iterator[FakeVizier]:
    state = FakeVizier()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode()
            assert self.path == "/viz-bin/votable"
            status, payload = state.answer(body)
            with contextlib.suppress(OSError):  # the client gave up (time-out test)
                self.reply(status, payload, "text/xml")

    with serve(Handler) as url:
        state.url = url
        try:
            yield state
        finally:
            state.release.set()  # before the shutdown: a handler may wait for it


# --- the stars --------------------------------------------------------------------------------

FIELD_RA, FIELD_DEC = 258.0829681638793, -38.48414927100099  # obsid 13276's pointing
# ra, dec offsets (arcsec), pm (mas/yr) of Tycho-2 stars at epoch 2000
TYCHO = [
    ("7870-965-1", 10.0, -5.0, 120.0, -80.0, 10.982),
    ("7870-965-2", -40.0, 30.0, 0.0, 0.0, 11.5),
    ("7870-966-1", 300.0, 0.0, -20.0, 5.0, float("nan")),  # far from every source
    ("7870-967-1", -80.0, -60.0, 900.0, 1200.0, 9.1),  # fast: 22.5" away in 2000
]
TWO_MASS = [
    ("17121072-3830281", 10.5, -5.5, 13.087),
    ("17121030-3830416", -40.0, 31.0, 12.672),
    ("17121248-3830570", 100.0, 100.0, 10.929),
]


def offset(dra: float, ddec: float) -> tuple[float, float]:
    return (
        FIELD_RA + dra * ARCSEC / np.cos(np.radians(FIELD_DEC)),
        FIELD_DEC + ddec * ARCSEC,
    )


def vizier_rows() -> dict[str, list[dict[str, Any]]]:
    tycho = []
    for name, dra, ddec, pmra, pmdec, mag in TYCHO:
        ra, dec = offset(dra, ddec)
        t1, t2, t3 = (int(p) for p in name.split("-"))
        tycho.append(
            {
                "TYC1": t1,
                "TYC2": t2,
                "TYC3": t3,
                "RAmdeg": ra,
                "DEmdeg": dec,
                "pmRA": pmra,
                "pmDE": pmdec,
                "BTmag": mag + 0.5,
                "VTmag": mag,
            }
        )
    two_mass = []
    for name, dra, ddec, mag in TWO_MASS:
        ra, dec = offset(dra, ddec)
        two_mass.append({"RAJ2000": ra, "DEJ2000": dec, "2MASS": name, "Jmag": 14.0, "Kmag": mag})
    return {"I/259/tyc2": tycho, "II/246/out": two_mass}


def local_catalog_file(path: Path) -> Path:
    """The same stars as a local catalog file (one file, a ``catalog`` column)."""
    rows = []
    for name, dra, ddec, pmra, pmdec, mag in TYCHO:
        ra, dec = offset(dra, ddec)
        rows.append(("Tycho2", name, ra, dec, pmra, pmdec, 2000.0, mag))
    for name, dra, ddec, mag in TWO_MASS:
        ra, dec = offset(dra, ddec)
        rows.append(("2MASS", name, ra, dec, np.nan, np.nan, 2000.0, mag))
    table = Table(
        rows=rows, names=("catalog", "name", "ra", "dec", "pmra", "pmdec", "epoch", "mag")
    )
    table.write(path, overwrite=True)
    return path


def x_ray_sources() -> Table:
    """Sources near the Tycho-2 stars' 2015 positions and near the 2MASS stars."""
    positions = [offset(10.6, -5.8), offset(-40.0, 30.5), offset(-66.5, -42.0), offset(0, 200)]
    return Table(
        {
            "obsid": [13276] * 4,
            "id": [1, 2, 3, 4],
            "ra": [p[0] for p in positions],
            "dec": [p[1] for p in positions],
        }
    )


EPOCH_2015 = 2015.0


def service(fake: FakeVizier, **kwargs: Any) -> VizierCatalogService:
    options: dict[str, Any] = {"timeout": 5.0, "retries": 2, "backoff": 0.0}
    options.update(kwargs)
    return VizierCatalogService(fake.url, **options)


# --- the tests ------------------------------------------------------------------------------


def test_tycho2_stars_come_at_the_observation_epoch_in_one_request(
    fake_vizier: FakeVizier,
) -> None:
    fake_vizier.catalogs = vizier_rows()
    src = x_ray_sources()
    stars = service(fake_vizier).query("Tycho2", src["ra"], src["dec"], 3.0, EPOCH_2015)
    assert len(fake_vizier.requests) == 1
    request = fake_vizier.requests[0]
    assert request["-source"] == "I/259/tyc2"
    assert len(request["positions"]) == 4
    assert {"RAmdeg", "DEmdeg", "pmRA", "pmDE", "TYC1", "TYC2", "TYC3", "VTmag"} <= set(
        request["out"]
    )
    # the cone is widened by how far a fast star may move in 15 years
    assert float(request["-c.rs"]) > 3.0 + 5.0 * 15
    assert stars.colnames == ["catalog", "name", "ra", "dec", "mag"]
    assert stars["name"].tolist() == ["7870-965-1", "7870-965-2", "7870-967-1"]
    assert set(stars["catalog"]) == {"Tycho2"}
    assert stars["mag"][0] == pytest.approx(10.982, abs=1e-4)
    # the fast star moved 13.5" east and 18" north in 15 years
    expected = offset(-80.0, -60.0)
    moved = SkyCoord(stars["ra"][2] * u.deg, stars["dec"][2] * u.deg)
    start = SkyCoord(expected[0] * u.deg, expected[1] * u.deg)
    assert start.separation(moved).to_value(u.arcsec) == pytest.approx(22.5, abs=1e-3)


def test_a_gaia_star_with_known_proper_motion_lands_at_its_2015_position(
    fake_vizier: FakeVizier,
) -> None:
    # a nearby star at epoch 2016.0 moving 0.97"/yr (within the margin VizieR cones allow)
    ra0, dec0, pmra, pmdec = 269.44850252543836, 4.739420051112412, -650.0, 720.0
    fake_vizier.catalogs = {
        "I/355/gaiadr3": [
            {
                "RA_ICRS": ra0,
                "DE_ICRS": dec0,
                "Source": 4472832130942575872,
                "pmRA": pmra,
                "pmDE": pmdec,
                "Gmag": 8.19,
            }
        ]
    }
    epoch = float(Time("2015-01-01T00:00:00", scale="tt").jyear)
    star = SkyCoord(
        ra=ra0 * u.deg,
        dec=dec0 * u.deg,
        pm_ra_cosdec=pmra * u.mas / u.yr,
        pm_dec=pmdec * u.mas / u.yr,
        distance=1e6 * u.pc,
        radial_velocity=0 * u.km / u.s,
        obstime=Time(2016.0, format="jyear"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = star.apply_space_motion(new_obstime=Time(epoch, format="jyear"))
    result = service(fake_vizier).query("Gaia3", [expected.ra.deg], [expected.dec.deg], 1.0, epoch)
    assert result["name"].tolist() == ["4472832130942575872"]
    found = SkyCoord(result["ra"][0] * u.deg, result["dec"][0] * u.deg)
    assert found.separation(expected).to_value(u.mas) < 1.0
    assert SkyCoord(ra0 * u.deg, dec0 * u.deg).separation(found).to_value(u.arcsec) > 0.9


def test_an_empty_answer_gives_an_empty_table(fake_vizier: FakeVizier) -> None:
    result = service(fake_vizier).query("2MASS", [10.0], [10.0], 3.0, EPOCH_2015)
    assert len(result) == 0
    assert result.colnames == ["catalog", "name", "ra", "dec", "mag"]
    assert len(fake_vizier.requests) == 1
    assert (
        fake_vizier.requests[0]["out"][:2] == ["2MASS", "Kmag"]
        or "2MASS" in (fake_vizier.requests[0]["out"])
    )


def test_an_http_500_is_retried(fake_vizier: FakeVizier) -> None:
    fake_vizier.catalogs = vizier_rows()
    fake_vizier.script = [Reply(500)]
    waits: list[float] = []
    src = x_ray_sources()
    svc = service(fake_vizier, backoff=0.25, sleep=waits.append)
    result = svc.query("2MASS", src["ra"], src["dec"], 3.0, EPOCH_2015)
    assert result["name"].tolist() == ["17121030-3830416", "17121072-3830281"]
    assert len(fake_vizier.requests) == 2
    assert waits == [0.25]


def test_a_persistent_500_names_catalog_server_and_obsid(fake_vizier: FakeVizier) -> None:
    fake_vizier.script = [Reply(500)] * 5
    waits: list[float] = []
    svc = service(fake_vizier, retries=2, backoff=1.0, sleep=waits.append)
    with pytest.raises(CatalogError) as info:
        rough_match(svc, x_ray_sources(), "2015:182", catalogs=["2MASS"])
    message = str(info.value)
    assert "obsid 13276" in message
    assert "'2MASS'" in message and "II/246/out" in message
    assert fake_vizier.url in message and "HTTP 500" in message and "3 attempts" in message
    assert waits == [1.0, 2.0]
    assert len(fake_vizier.requests) == 3


def test_a_slow_reply_beyond_the_timeout_is_an_error(fake_vizier: FakeVizier) -> None:
    fake_vizier.script = [Reply(delay=3.0), Reply(delay=3.0)]
    svc = service(fake_vizier, timeout=0.3, retries=1)
    with pytest.raises(CatalogError, match=r"'Tycho2'.*2 attempts.*Timeout"):
        svc.query("Tycho2", [10.0], [10.0], 3.0, EPOCH_2015)
    assert len(fake_vizier.requests) == 2


def test_client_errors_and_vizier_errors_are_not_retried(fake_vizier: FakeVizier) -> None:
    fake_vizier.script = [Reply(400, b"bad request")]
    with pytest.raises(CatalogError, match=r"refused .*'ICRS'.*HTTP 400"):
        service(fake_vizier).query("ICRS", [10.0], [10.0], 3.0, EPOCH_2015)
    assert len(fake_vizier.requests) == 1
    error = (
        b'<?xml version="1.0"?><VOTABLE version="1.4"><INFO name="Error" '
        b'value="*** Unknown catalog I/999"/></VOTABLE>'
    )
    fake_vizier.script = [Reply(200, error)]
    with pytest.raises(CatalogError, match=r"Unknown catalog I/999"):
        service(fake_vizier).query("ICRS", [10.0], [10.0], 3.0, EPOCH_2015)
    fake_vizier.script = [Reply(200, b"<html>maintenance</html>")]
    with pytest.raises(CatalogError, match="non-VOTable"):
        service(fake_vizier).query("ICRS", [10.0], [10.0], 3.0, EPOCH_2015)


def test_vizier_and_the_local_catalog_give_the_same_rows(
    fake_vizier: FakeVizier, tmp_path: Path
) -> None:
    fake_vizier.catalogs = vizier_rows()
    online = service(fake_vizier)
    offline = LocalCatalogService(local_catalog_file(tmp_path / "stars.ecsv"))
    src = x_ray_sources()
    for catalog in ("Tycho2", "2MASS"):
        a = online.query(catalog, src["ra"], src["dec"], 3.0, EPOCH_2015)
        b = offline.query(catalog, src["ra"], src["dec"], 3.0, EPOCH_2015)
        assert len(a) > 0
        assert a["name"].tolist() == b["name"].tolist()
        assert a["catalog"].tolist() == b["catalog"].tolist()
        np.testing.assert_allclose(a["ra"], b["ra"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(a["dec"], b["dec"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(a["mag"], b["mag"], rtol=0, atol=1e-6)
    kwargs: dict[str, Any] = {"catalogs": ("Tycho2", "2MASS"), "radius_arcsec": 3.0}
    m1 = rough_match(online, src, "2015:001:00:00:00", **kwargs)
    m2 = rough_match(offline, src, "2015:001:00:00:00", **kwargs)
    assert [(r["catalog"], r["name"], r["x_id"]) for r in m1] == [
        (r["catalog"], r["name"], r["x_id"]) for r in m2
    ]
    assert {r["x_id"] for r in m1} == {1, 2, 3}
    np.testing.assert_allclose(m1["separation"], m2["separation"], atol=1e-5)


def test_bootstrap_and_facade_drive_vizier(fake_vizier: FakeVizier, monkeypatch: Any) -> None:
    fake_vizier.catalogs = vizier_rows()
    monkeypatch.setenv("ASTROMON_VIZIER_SERVER", fake_vizier.url)
    monkeypatch.setenv("ASTROMON_VIZIER_TIMEOUT", "5")
    svc = bootstrap().catalogs()
    assert isinstance(svc, VizierCatalogService)
    assert svc.url == fake_vizier.url and svc.timeout == 5.0
    result = cross_match.rough_match(x_ray_sources(), "2015:001", catalogs=["2MASS"])
    assert result["x_id"].tolist() == [1, 2]
    assert all(s < 3.0 for s in result["separation"])
    explicit: Callable[..., Any] = bootstrap().catalogs
    assert explicit("vizier", server="vizier.example.org").url == "https://vizier.example.org"


def test_an_answer_without_the_name_column_is_an_error(fake_vizier: FakeVizier) -> None:
    rows = vizier_rows()["II/246/out"]
    body = votable("II/246/out", rows, ["_RAJ2000", "_DEJ2000", "Kmag"])
    fake_vizier.script = [Reply(200, body)]
    with pytest.raises(
        CatalogError, match=r"'2MASS' \(II/246/out\): the answer lacks the column 2MASS"
    ):
        service(fake_vizier).query("2MASS", [FIELD_RA], [FIELD_DEC], 3.0, EPOCH_2015)


def test_long_position_lists_are_split_and_stars_given_once(
    fake_vizier: FakeVizier, monkeypatch: pytest.MonkeyPatch
) -> None:
    import astromon_adapters.vizier

    monkeypatch.setattr(astromon_adapters.vizier, "MAX_POSITIONS_PER_REQUEST", 2)
    fake_vizier.catalogs = vizier_rows()
    ra, dec = offset(10.5, -5.5)
    # five positions around one 2MASS star: three requests, the star once
    result = service(fake_vizier).query("2MASS", [ra] * 5, [dec] * 5, 1.0, EPOCH_2015)
    assert len(fake_vizier.requests) == 3
    assert [len(r["positions"]) for r in fake_vizier.requests] == [2, 2, 1]
    assert result["name"].tolist() == ["17121072-3830281"]


def test_bad_vizier_settings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from astromon.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="timeout"):
        VizierCatalogService("vizier.example.org", timeout=0)
    with pytest.raises(ValidationError, match="retries"):
        VizierCatalogService("vizier.example.org", retries=-1)
    with pytest.raises(ValidationError, match="host name or http"):
        VizierCatalogService("ftp://vizier.example.org")
    monkeypatch.setenv("ASTROMON_VIZIER_TIMEOUT", "soon")
    with pytest.raises(ValidationError, match=r"ASTROMON_VIZIER_TIMEOUT.*'soon'"):
        bootstrap().catalogs("vizier")
    svc = VizierCatalogService("127.0.0.1:8080", timeout=2)
    assert svc.url == "https://127.0.0.1:8080" and "127.0.0.1:8080" in repr(svc)
    with pytest.raises(ValidationError, match="unknown catalog 'Nope'"):
        svc.query("Nope", [1.0], [1.0], 3.0, 2015.0)
    assert len(svc.query("2MASS", [], [], 3.0, 2015.0)) == 0  # no positions: no request
