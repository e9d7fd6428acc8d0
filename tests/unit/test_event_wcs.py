"""The one sky-WCS builder of event files (astromon.domain.event_wcs), against the standard
image WCS of the same values, its refusals of bad headers, and the simulated event files."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from astromon_adapters.simulation.files import sky_keywords, sky_wcs, write_evt2
from astromon_adapters.simulation.model import plan_observations
from astropy.io import fits
from astropy.wcs import WCS
from hypothesis import given
from hypothesis import strategies as st

from astromon.domain.errors import ProcessingError
from astromon.domain.event_wcs import SKY_WCS_KEYWORDS, event_sky_wcs


def events_header(x_column: int = 2, y_column: int = 3) -> dict[str, Any]:
    """An EVENTS header of an ACIS event file: x and y columns with TAN sky keywords."""
    header: dict[str, Any] = {"TTYPE1": "time", f"TTYPE{x_column}": "x", f"TTYPE{y_column}": "y"}
    for column, ctype, crval, cdelt in (
        (x_column, "RA---TAN", 83.63, -0.492 / 3600), (y_column, "DEC--TAN", 22.01, 0.492 / 3600)
    ):  # fmt: skip
        header.update({f"TCTYP{column}": ctype, f"TCRVL{column}": crval,
                       f"TCRPX{column}": 4096.5, f"TCDLT{column}": cdelt})  # fmt: skip
    return header


def image_wcs(header: dict[str, Any], x_column: int, y_column: int) -> WCS:
    """The WCS of an image with the same values (CTYPEi/CRVALi/CRPIXi/CDELTi of FITS images)."""
    card = {}
    for axis, column in ((1, x_column), (2, y_column)):
        for image_key, table_key in (("CTYPE", "TCTYP"), ("CRVAL", "TCRVL"), ("CRPIX", "TCRPX"),
                                     ("CDELT", "TCDLT")):  # fmt: skip
            card[f"{image_key}{axis}"] = header[f"{table_key}{column}"]
    return WCS(fits.Header(card))


@pytest.mark.parametrize("columns", [(2, 3), (11, 12), (4, 1)])
def test_the_sky_wcs_is_the_image_wcs_of_the_same_keywords(columns: tuple[int, int]) -> None:
    header = events_header(*columns)
    header.update({f"TTYPE{columns[0]}": "X ", f"TTYPE{columns[1]}": "y"})  # any case, padded
    wcs = event_sky_wcs(header)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(1, 8192, 200), rng.uniform(1, 8192, 200)
    ra, dec = wcs.wcs_pix2world(x, y, 1)
    ra_ref, dec_ref = image_wcs(header, *columns).wcs_pix2world(x, y, 1)
    assert np.allclose(ra, ra_ref, rtol=0, atol=1e-12)
    assert np.allclose(dec, dec_ref, rtol=0, atol=1e-12)
    # the reference pixel is the reference position; one pixel is 0.492" there
    assert np.allclose(wcs.wcs_pix2world(4096.5, 4096.5, 1), (83.63, 22.01))
    step = wcs.wcs_pix2world(4096.5, 4097.5, 1)[1] - 22.01
    assert step * 3600 == pytest.approx(0.492, rel=1e-6)


@given(
    st.sampled_from([f"{k}{c}" for k in SKY_WCS_KEYWORDS for c in (2, 3)]),
    st.one_of(st.none(), st.text(max_size=8), st.lists(st.integers(), max_size=2)),
)
def test_a_missing_or_bad_keyword_is_refused_naming_it(keyword: str, value: Any) -> None:
    header = events_header()
    if value is None:
        del header[keyword]
    else:
        header[keyword] = value
    try:
        event_sky_wcs(header)
    except ProcessingError as exc:
        assert keyword in str(exc)
    else:  # a text is a valid projection name or a number for astropy
        assert keyword.startswith("TCTYP") or _is_number(value)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def test_no_x_or_y_column_is_refused() -> None:
    header = events_header()
    header["TTYPE3"] = "chipy"
    with pytest.raises(ProcessingError, match="no x/y columns"):
        event_sky_wcs(header)


def test_the_simulation_writes_the_keywords_its_wcs_is_built_from(tmp_path: Any) -> None:
    obs = plan_observations(2, seed=5)[1]
    path = write_evt2(obs, tmp_path)
    with fits.open(path) as hdus:
        written = hdus["EVENTS"].header
        for key, value in sky_keywords(obs).items():
            assert written[key] == (pytest.approx(value) if isinstance(value, float) else value)
        from_file = event_sky_wcs(written)
    x = np.array([1.0, 2000.5, 4096.5])
    assert np.allclose(from_file.wcs_pix2world(x, x, 1), sky_wcs(obs).wcs_pix2world(x, x, 1))
