"""rough_match and number_counterparts over a fake catalog service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table
from numpy.typing import ArrayLike

from astromon import cross_match
from astromon.domain.catalogs import counterpart_table
from astromon.domain.errors import CatalogError, SchemaError, ValidationError
from astromon.domain.geometry import radec_to_yz
from astromon.ports.catalog import CatalogService
from astromon.services.crossmatch import counterparts
from astromon.services.crossmatch.counterparts import (
    ROUGH_MATCH_COLUMNS,
    number_counterparts,
    rough_match,
)

ARCSEC = 1.0 / 3600.0


class FakeCatalogs:
    """Stars per catalog, returned when within the radius of a position; records calls."""

    def __init__(self, stars: dict[str, list[tuple[str, float, float, float]]]) -> None:
        self.stars = stars
        self.calls: list[tuple[str, int, float, float]] = []

    def query(
        self, catalog: str, ra: ArrayLike, dec: ArrayLike, radius_arcsec: float, epoch: float
    ) -> Table:
        assert len(np.atleast_1d(ra)) == len(np.atleast_1d(dec))
        self.calls.append((catalog, len(np.atleast_1d(ra)), radius_arcsec, epoch))
        rows = self.stars.get(catalog, [])
        names = [r[0] for r in rows]
        s_ra = np.array([r[1] for r in rows], dtype=float)
        s_dec = np.array([r[2] for r in rows], dtype=float)
        mag = np.array([r[3] for r in rows], dtype=float)
        return counterpart_table(catalog, names, s_ra, s_dec, mag)


class FailingCatalogs:
    def query(self, catalog: str, *args: Any) -> Table:
        raise CatalogError(f"VizieR at https://example: catalog {catalog!r} did not answer")


def sources(obsid: int | list[int] = 1234, n: int = 3) -> Table:
    obsids = obsid if isinstance(obsid, list) else [obsid] * n
    return Table(
        {
            "obsid": obsids,
            "id": np.arange(len(obsids)) + 10,
            "ra": 100.0 + np.arange(len(obsids)) * 10 * ARCSEC,
            "dec": np.full(len(obsids), -30.0),
        }
    )


def test_fake_is_a_catalog_service() -> None:
    assert isinstance(FakeCatalogs({}), CatalogService)


def test_every_star_pairs_with_every_source_closer_than_the_radius() -> None:
    src = sources()
    fake = FakeCatalogs(
        {
            "Tycho2": [
                ("1-2-1", 100.0 + 5 * ARCSEC, -30.0, 9.5),  # midway: ~4.33" from both
                ("1-2-2", 100.0 + 0.5 * ARCSEC, -30.0, 10.0),  # 0.43" from source 10
            ],
            "2MASS": [("J1", 100.0 + 20 * ARCSEC, -30.0 + 1 * ARCSEC, 12.0)],
        }
    )
    result = rough_match(fake, src, "2015:001", radius_arcsec=4.5, catalogs=("Tycho2", "2MASS"))
    assert result.colnames == list(ROUGH_MATCH_COLUMNS)
    rows = [(r["catalog"], r["name"], int(r["x_id"])) for r in result]
    assert rows == [
        ("Tycho2", "1-2-2", 10),
        ("Tycho2", "1-2-1", 10),
        ("Tycho2", "1-2-1", 11),
        ("2MASS", "J1", 12),
    ]
    cos_dec = np.cos(np.radians(30.0))
    assert result["separation"][0] == pytest.approx(0.5 * cos_dec, abs=1e-4)
    assert result["separation"][3] == pytest.approx(1.0, abs=1e-4)
    assert result["separation"].dtype == np.float32 and result["x_id"].dtype == np.int32
    # one query per catalog with all the sources, at the observation's Julian epoch
    assert [c[:3] for c in fake.calls] == [("Tycho2", 3, 4.5), ("2MASS", 3, 4.5)]
    assert fake.calls[0][3] == pytest.approx(2015.0, abs=0.01)


def test_separation_must_be_strictly_below_the_radius() -> None:
    src = sources(n=1)
    star_ra = 100.0 + 3.0 * ARCSEC / np.cos(np.radians(30.0))
    fake = FakeCatalogs({"ICRS": [("J0", star_ra, -30.0, np.nan)]})
    sep = float(
        rough_match(fake, src, 500000000.0, radius_arcsec=3.1, catalogs="ICRS")["separation"][0]
    )
    assert sep == pytest.approx(3.0, abs=1e-4)
    assert (
        len(rough_match(fake, src, 500000000.0, radius_arcsec=sep - 1e-5, catalogs=["ICRS"])) == 0
    )


def test_no_sources_gives_an_empty_typed_result_without_queries() -> None:
    fake = FakeCatalogs({})
    result = rough_match(fake, sources(n=0), "2015:001")
    assert len(result) == 0
    assert result.colnames == list(ROUGH_MATCH_COLUMNS)
    assert result["x_id"].dtype == np.int32 and result["ra"].dtype == np.float64
    assert fake.calls == []


def test_several_obsids_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"one observation at a time.*\[1, 2\]"):
        rough_match(FakeCatalogs({}), sources([1, 2, 2]), "2015:001")


def test_sources_without_positions_are_refused_naming_the_columns() -> None:
    src = sources()
    del src["ra"]
    del src["dec"]
    with pytest.raises(SchemaError, match=r"\['ra', 'dec'\]"):
        rough_match(FakeCatalogs({}), src, "2015:001")
    bad = sources()
    bad["dec"][1] = 95.0
    with pytest.raises(ValidationError, match=r"invalid positions .* rows \[1\]"):
        rough_match(FakeCatalogs({}), bad, "2015:001")


def test_unknown_catalogs_radius_and_time_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"unknown catalogs \['Hubble'\].*Tycho2"):
        rough_match(FakeCatalogs({}), sources(), "2015:001", catalogs=("Tycho2", "Hubble"))
    with pytest.raises(ValidationError, match="radius"):
        rough_match(FakeCatalogs({}), sources(), "2015:001", radius_arcsec=-1)
    with pytest.raises(ValidationError, match="observation time"):
        rough_match(FakeCatalogs({}), sources(), "not a time")


def test_catalog_errors_name_the_obsid() -> None:
    with pytest.raises(CatalogError, match=r"obsid 1234: VizieR at https://example.*'Tycho2'"):
        rough_match(FailingCatalogs(), sources(), "2015:001")  # type: ignore[arg-type]


def test_facade_takes_a_quantity_radius_and_an_injected_service() -> None:
    src = sources(n=1)
    fake = FakeCatalogs({"2MASS": [("J1", 100.0, -30.0 + 100 * ARCSEC, 12.0)]})
    result = cross_match.rough_match(src, "2015:001", 2 * u.arcmin, ["2MASS"], catalog_service=fake)
    assert len(result) == 1 and fake.calls[0][2] == pytest.approx(120.0)
    assert len(cross_match.rough_match(src, "2015:001", 3, ["2MASS"], catalog_service=fake)) == 0
    with pytest.raises(ValidationError, match="radius"):
        cross_match.rough_match(src, "2015:001", 3 * u.m, ["2MASS"], catalog_service=fake)


def test_number_counterparts_numbers_per_obsid_and_computes_angles() -> None:
    src = sources()
    fake = FakeCatalogs({"Tycho2": [("1-2-1", 100.0 + 5 * ARCSEC, -30.0, 9.5)]})
    matches = rough_match(fake, src, "2015:001", radius_arcsec=5.0, catalogs=["Tycho2"])
    obs = {"obsid": 1234, "ra": 100.0, "dec": -30.0, "roll": 45.0}
    cat_src = number_counterparts(matches, obs)
    assert cat_src.colnames[:3] == ["obsid", "id", "x_id"]
    assert cat_src["id"].tolist() == [0, 1]
    assert cat_src["obsid"].tolist() == [1234, 1234]
    y, z = radec_to_yz(cat_src["ra"], cat_src["dec"], 100.0, -30.0, 45.0)
    np.testing.assert_allclose(cat_src["y_angle"], y, atol=1e-4)
    np.testing.assert_allclose(cat_src["z_angle"], z, atol=1e-4)
    empty = number_counterparts(counterparts.empty_rough_match(), obs)
    assert len(empty) == 0 and "y_angle" in empty.colnames


def test_number_counterparts_refuses_bad_input() -> None:
    matches = counterparts.empty_rough_match()
    with pytest.raises(SchemaError, match=r"\['roll'\]"):
        number_counterparts(matches, {"obsid": 1, "ra": 1.0, "dec": 2.0})
    table = Table(matches)
    del table["ra"]
    with pytest.raises(SchemaError, match=r"\['ra'\]"):
        number_counterparts(table, {"obsid": 1, "ra": 1.0, "dec": 2.0, "roll": 0.0})
    other = sources()
    fake = FakeCatalogs({"ICRS": [("J", 100.0, -30.0, np.nan)]})
    found = rough_match(fake, other, "2015:001", catalogs=["ICRS"])
    found["obsid"] = 99
    with pytest.raises(ValidationError, match=r"obsids \[99\]"):
        number_counterparts(found, {"obsid": 1, "ra": 100.0, "dec": -30.0, "roll": 0.0})


class HalfBrokenCatalogs(FakeCatalogs):
    """Tycho2 answers without its name column (as a changed VizieR table would); 2MASS works."""

    def query(
        self, catalog: str, ra: ArrayLike, dec: ArrayLike, radius_arcsec: float, epoch: float
    ) -> Table:
        if catalog == "Tycho2":
            raise CatalogError("VizieR at https://x, catalog 'Tycho2': the answer lacks TYC1")
        return super().query(catalog, ra, dec, radius_arcsec, epoch)


def test_a_failing_catalog_does_not_abort_the_rough_match(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = HalfBrokenCatalogs({"2MASS": [("J1", 100.0 + 0.5 * ARCSEC, -30.0, 12.0)]})
    with caplog.at_level("WARNING"):
        result = rough_match(fake, sources(), "2015:001", catalogs=("Tycho2", "2MASS"))
    assert [(r["catalog"], r["name"]) for r in result] == [("2MASS", "J1")]
    failures = result.meta[counterparts.CATALOG_FAILURES]
    assert list(failures) == ["Tycho2"] and failures["Tycho2"].startswith("obsid 1234: ")
    assert "lacks TYC1" in failures["Tycho2"]
    (record,) = [r for r in caplog.records if "failed for obsid" in r.getMessage()]
    assert "catalog Tycho2 failed for obsid 1234" in record.getMessage()
    ok = rough_match(fake, sources(), "2015:001", catalogs=("2MASS",))
    assert ok.meta[counterparts.CATALOG_FAILURES] == {}


@dataclass
class _Result:
    status: str
    message: str = ""


@dataclass
class _Observation:
    obsid: int

    def process(self) -> _Result:
        return _Result("OK")

    def get_info(self) -> dict[str, Any]:
        return {
            "obsid": self.obsid, "detector": "ACIS-S", "target": "t", "grating": "NONE",
            "sim_z": -190.1, "date_obs": "2015-01-01T00:00:00", "tstart": 536457667.0,
            "ascdsver": "10.9.2", "ra": 100.0, "dec": -30.0, "roll": 0.0, "version": 10.0902,
            "category_id": 40,
        }  # fmt: skip

    def get_sources(self) -> Table:
        src = sources(self.obsid)
        for name in ("net_counts", "y_angle", "z_angle", "r_angle", "snr", "pileup"):
            src[name] = np.full(len(src), 10.0)
        src["near_neighbor_dist"] = np.full(len(src), 100.0)
        src["acis_streak"] = np.zeros(len(src), dtype=np.int32)
        src["caldb_version"] = ["4.9.8"] * len(src)
        return src


def _half_broken() -> HalfBrokenCatalogs:
    return HalfBrokenCatalogs({"2MASS": [("J1", 100.0 + 0.5 * ARCSEC, -30.0, 12.0)]})


def test_the_batch_summary_counts_catalog_failures() -> None:
    from astromon.ports.processing import OutcomeStatus
    from astromon.services.batch.pipeline import BatchSummary, StandardObservationProcessor

    processor = StandardObservationProcessor(
        _Observation, _half_broken, catalogs=("Tycho2", "2MASS"), cross_matches=()
    )
    outcome = processor.process(1234)
    assert outcome.status is OutcomeStatus.OK, outcome
    assert list(outcome.catalog_failures) == ["Tycho2"]
    assert "catalogs not searched: Tycho2" in outcome.message
    assert list(outcome.tables["astromon_cat_src"]["catalog"]) == ["2MASS"]
    summary = BatchSummary(requested=[1234], outcomes=[outcome], saved=[1234])
    assert summary.catalog_failures == {"Tycho2": [1234]}
    assert "  catalog Tycho2 not searched: 1: 1234" in summary.lines()
    assert summary.complete  # the obsid was saved with the other catalogs' counterparts
