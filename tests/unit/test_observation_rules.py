"""Selection rules, obspar parsing and derived fields, file types and layout (pure domain)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.chandra.par_file import ParFileReader, read_par_file

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import (
    ARCHIVE_FILE_TYPES,
    DEFAULT_ARCHIVE_PATTERNS,
    DEFAULT_DOWNLOAD,
    MULTI_OBI,
    band,
    check_obsid,
    is_selected,
    obs_subdir,
    obspar_fields,
    parse_par,
    parse_version,
    points_in_polygon,
    region_shapes,
    sky_pixel_arcsec,
)

PAR = """# a comment
obsid,i,h,1234,,,"Observation ID"
object,s,h,"Crab, the nebula",,,"Source name"
instrume,s,h,"ACIS",,,""
date-obs,s,h,"2020-03-01T10:00:00",,,""
ra_nom,r,h,83.633,,,""
dec_nom,r,h,22.0145,,,""
roll_nom,r,h,271.5,,,""
ascdsver,s,h,"10.9.2",,,""
obs_mode,s,h,"POINTING",,,""
readmode,s,h,"TIMED",,,""
dtycycle,i,h,0,,,""
clobber,b,h,yes,,,""
"""


def test_parse_version() -> None:
    assert parse_version("10.9.2") == pytest.approx(10.0902)
    assert parse_version("8.4.5") == pytest.approx(8.0405)
    assert parse_version("10.12.3a") == pytest.approx(10.1203)
    assert parse_version("junk") == 0
    assert parse_version(None) == 0


def test_parse_par_types_and_quotes() -> None:
    par = parse_par(PAR)
    assert par["obsid"] == 1234 and isinstance(par["obsid"], int)
    assert par["object"] == "Crab, the nebula"
    assert par["ra_nom"] == pytest.approx(83.633)
    assert par["clobber"] is True
    with pytest.raises(ValidationError, match=r"'obsid'.*type 'i' but value 'abc'"):
        parse_par('obsid,i,h,abc,,,""')
    with pytest.raises(ValidationError, match="line 1 is not name,type,mode,value"):
        parse_par("obsid,i")


def test_obspar_derived_fields() -> None:
    fields = obspar_fields(parse_par(PAR))
    assert fields["instrument"] == "acis"
    assert fields["obsid"] == 1234
    assert fields["target"] == "Crab, the nebula"
    assert fields["date_obs"] == "2020-03-01T10:00:00"
    assert (fields["ra"], fields["dec"], fields["roll"]) == (83.633, 22.0145, 271.5)
    assert fields["version"] == pytest.approx(10.0902)
    assert fields["ascdsver"] == "10.9.2"  # the original keys stay


def test_read_par_file(tmp_path: Path) -> None:
    plain = tmp_path / "obs0a.par"
    plain.write_text(PAR)
    zipped = tmp_path / "obs0a.par.gz"
    zipped.write_bytes(gzip.compress(PAR.encode()))
    assert read_par_file(plain) == read_par_file(zipped) == ParFileReader().read(plain)
    corrupt = tmp_path / "corrupt.par.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08 truncated")
    with pytest.raises(ProcessingError, match=r"corrupt\.par\.gz"):
        read_par_file(corrupt)
    with pytest.raises(ProcessingError, match=r"missing\.par"):
        read_par_file(tmp_path / "missing.par")
    bad = tmp_path / "bad.par"
    bad.write_text("obsid,i,h,xx\n")
    with pytest.raises(ProcessingError, match=r"corrupt parameter file .*bad\.par"):
        read_par_file(bad)


BASE = {"obsid": 1234, "obs_mode": "POINTING", "instrume": "ACIS", "readmode": "TIMED",
        "dtycycle": 0}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "selected", "reason"),
    [
        ({}, True, ""),
        ({"instrume": "HRC", "readmode": "", "dtycycle": 3}, True, ""),
        ({"obs_mode": "SLEW"}, False, "obs_mode is 'SLEW'"),
        ({"readmode": "CONTINUOUS"}, False, "readmode is 'CONTINUOUS'"),
        ({"dtycycle": 5}, False, "dtycycle is 5"),
        ({"obsid": 2010}, False, "multi-OBI"),
        ({"obsid": 62796, "instrume": "HRC"}, False, "multi-OBI"),
        ({"instrume": "XMM"}, False, "unknown instrument 'XMM'"),
    ],
)
def test_selection_rules(changes: dict[str, object], selected: bool, reason: str) -> None:
    ok, why = is_selected({**BASE, **changes})
    assert ok is selected
    assert reason in why and (why == "") == selected


def test_multi_obi_list() -> None:
    assert len(MULTI_OBI) == 30 and {82, 4175, 60879, 62796} <= MULTI_OBI


def test_file_types_and_layout() -> None:
    # the arc5gl specs of production (sot/astromon Observation.archive_file_locations)
    specs = {name: ft.arc5gl_spec("acis") for name, ft in ARCHIVE_FILE_TYPES.items()}
    assert specs == {
        "obspar": "obspar", "evt2": "acis2{evt2}", "evt1": "acis1{evt1}",
        "fov": "acis1{fov}", "msk": "acis1{msk}", "mtl": "acis1{mtl}",
        "flt": "acis1[*flt*]", "stat": "acis1[*stat*]", "bpix": "acis1[*bpix*]",
        "asol": "asp1[*asol*]", "acal": "asp1[*acal*]", "dtf": "acis1[*dtf1*]",
    }  # fmt: skip
    assert ARCHIVE_FILE_TYPES["fov"].arc5gl_spec("HRC") == "hrc1{fov}"
    assert ARCHIVE_FILE_TYPES["fov"].glob == "*fov1*"
    subdirs = {name: ft.subdir for name, ft in ARCHIVE_FILE_TYPES.items()}
    assert subdirs == {
        "obspar": ".", "evt2": "primary", "evt1": "secondary", "fov": "primary",
        "msk": "secondary", "mtl": "secondary", "flt": "secondary", "stat": "secondary",
        "bpix": "primary", "asol": "secondary", "acal": "secondary", "dtf": "primary",
    }  # fmt: skip
    # download_chandra_obsid has no obspar nor acal type (its list: ciao-contrib cda/data.py)
    dco = {name: ft.dco_type for name, ft in ARCHIVE_FILE_TYPES.items()}
    assert dco["obspar"] is None and dco["acal"] is None
    assert {k: v for k, v in dco.items() if v is not None} == {
        k: k for k in ("evt2", "evt1", "fov", "msk", "mtl", "flt", "stat", "bpix", "asol", "dtf")
    }
    assert DEFAULT_DOWNLOAD == ("evt2", "asol", "msk", "fov", "bpix", "dtf")
    assert "*_psf_size_*.fits" in DEFAULT_ARCHIVE_PATTERNS
    assert obs_subdir(1234) == Path("obs01/1234")
    assert obs_subdir(62796) == Path("obs62/62796")
    assert obs_subdir(5) == Path("obs00/5")


def test_region_shapes_of_an_ascii_region_file() -> None:
    text = (
        "# Region file format: DS9 version 4.1\n"
        'global color=green font="helvetica 10 normal"\nphysical\n'
        "polygon(1,2,3,4,5,6) # a streak\nPolygon(1,1,2,2,3,1);box(1,2,3,4,0)\n"
        "-circle(4096,4096,20)\n"
    )
    assert region_shapes(text) == ["polygon", "polygon", "box", "circle"]
    assert region_shapes("# Region file format: DS9\nphysical\n") == []


def test_sky_pixel_sizes() -> None:
    assert sky_pixel_arcsec("ACIS") == 0.492 and sky_pixel_arcsec("hrc") == 0.13175
    # the event filter keeps 180 arcsec for both (production's HRC cut was 180 px ~ 24")
    assert 180 / sky_pixel_arcsec("hrc") == pytest.approx(1366.22, abs=0.01)
    with pytest.raises(ValidationError, match="unknown instrument 'EPIC'"):
        sky_pixel_arcsec("EPIC")


def test_band_and_obsid_checks() -> None:
    assert band("HRC") == "wide" and band("acis") == "broad"
    with pytest.raises(ValidationError, match="unknown instrument 'EPIC'"):
        band("EPIC")
    assert check_obsid("1234") == 1234 and check_obsid(np.int64(7)) == 7
    for bad in (0, -1, 1.5, "abc", None, True):
        with pytest.raises(ValidationError, match="obsid must be"):
            check_obsid(bad)


def test_points_in_polygon() -> None:
    square = ([0, 10, 10, 0], [0, 0, 10, 10])
    inside = points_in_polygon([5, 15, -1, 9.9], [5, 5, 5, 0.1], *square)
    assert inside.tolist() == [True, False, False, True]
    assert not points_in_polygon([1], [1], [0, 1], [0, 1]).any()
