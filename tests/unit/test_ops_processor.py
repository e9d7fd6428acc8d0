"""The standard per-observation work over fake ports, on the reference observations."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.table import Table, unique

from astromon.domain.errors import ProcessingError
from astromon.ports.processing import OutcomeStatus
from astromon.services.batch.pipeline import StandardObservationProcessor


@dataclass
class Result:
    status: str
    message: str = ""


@dataclass
class FakeObservation:
    """An ObservationHandle serving the reference rows of one obsid."""

    obsid: int
    reference: Path
    status: str = "OK"
    message: str = ""

    def process(self) -> Result:
        if self.status == "RAISE":
            raise ProcessingError(f"obsid {self.obsid}: arc5gl failed")
        return Result(self.status, self.message)

    def get_info(self) -> Mapping[str, Any]:
        obs = Table.read(self.reference / "astromon_obs.ecsv")
        row = obs[obs["obsid"] == self.obsid][0]
        return {name: row[name] for name in obs.colnames}

    def get_sources(self) -> Table:
        src = Table.read(self.reference / "astromon_xray_src.ecsv")
        return src[src["obsid"] == self.obsid]


@dataclass(frozen=True)
class FakeObservations:
    reference: Path
    statuses: Mapping[int, tuple[str, str]]

    def __call__(self, obsid: int) -> FakeObservation:
        status, message = self.statuses.get(obsid, ("OK", ""))
        return FakeObservation(obsid, self.reference, status, message)


class FakeCatalog:
    """A CatalogService answering with the reference counterparts."""

    def __init__(self, reference: Path) -> None:
        cat = Table.read(reference / "astromon_cat_src.ecsv")
        self.stars = unique(cat, keys=["catalog", "name"])
        self.queries: list[str] = []

    def query(self, catalog: str, ra: Any, dec: Any, radius_arcsec: float, epoch: float) -> Table:
        self.queries.append(catalog)
        rows = self.stars[self.stars["catalog"] == catalog]
        out = Table({c: np.asarray(rows[c]) for c in ("catalog", "name", "ra", "dec")})
        out["mag"] = np.asarray(rows["mag"], dtype=np.float32)
        return out


@dataclass(frozen=True)
class CatalogFactory:
    reference: Path

    def __call__(self) -> FakeCatalog:
        return FakeCatalog(self.reference)


def make(reference: Path, **statuses: tuple[str, str]) -> StandardObservationProcessor:
    return StandardObservationProcessor(
        FakeObservations(reference, {int(k[1:]): v for k, v in statuses.items()}),
        CatalogFactory(reference),
    )


def test_reference_observation_gives_its_cross_match(reference_dir: Path) -> None:
    processor = make(reference_dir)
    outcome = processor.process(14577)
    assert outcome.status is OutcomeStatus.OK
    tables = outcome.tables
    assert len(tables["astromon_obs"]) == 1 and tables["astromon_obs"]["obsid"][0] == 14577
    assert len(tables["astromon_xray_src"]) > 0
    cat = tables["astromon_cat_src"]
    assert list(cat["id"]) == list(range(len(cat)))
    xcorr = tables["astromon_xcorr"]
    expected = Table.read(reference_dir / "astromon_xcorr.ecsv")
    expected = expected[expected["obsid"] == 14577]
    mine = xcorr[xcorr["select_name"] == "astromon_21"]
    assert list(mine["x_id"]) == list(expected["x_id"])
    np.testing.assert_allclose(mine["dy"], expected["dy"], atol=1e-4)
    np.testing.assert_allclose(mine["dz"], expected["dz"], atol=1e-4)
    np.testing.assert_allclose(mine["dr"], expected["dr"], atol=1e-4)
    assert set(xcorr["select_name"]) == {"astromon_21", "astromon_22"}
    # the counterpart referenced by the match is the one the pipeline numbered
    c = cat[cat["id"] == mine["c_id"][0]][0]
    ref_cat = Table.read(reference_dir / "astromon_cat_src.ecsv")
    ref_c = ref_cat[(ref_cat["obsid"] == 14577) & (ref_cat["id"] == expected["c_id"][0])][0]
    assert (c["catalog"], c["name"]) == (ref_c["catalog"], ref_c["name"])


def test_statuses_become_outcomes(reference_dir: Path) -> None:
    processor = make(
        reference_dir,
        o1=("SKIP", "obs_mode is RASTER, not POINTING"),
        o2=("ERROR", "celldetect exited with status 1"),
        o3=("RAISE", ""),
    )
    skipped = processor.process(1)
    assert skipped.status is OutcomeStatus.SKIP
    assert skipped.reason == "obs_mode is RASTER, not POINTING"
    failed = processor.process(2)
    assert failed.status is OutcomeStatus.ERROR
    assert failed.message == "celldetect exited with status 1"
    raised = processor.process(3)
    assert (raised.status, raised.reason) == (OutcomeStatus.ERROR, "ProcessingError")
    assert "arc5gl failed" in raised.message
    # a bug (KeyError on an unknown obsid here) is an error outcome, not a crash
    bug = processor.process(999)
    assert bug.status is OutcomeStatus.ERROR and bug.reason.startswith("unexpected")


def test_processor_and_outcome_pickle(reference_dir: Path) -> None:
    processor = make(reference_dir)
    clone = pickle.loads(pickle.dumps(processor))
    outcome = clone.process(14538)
    again = pickle.loads(pickle.dumps(outcome))
    assert again.status is OutcomeStatus.OK
    assert len(again.tables["astromon_xcorr"]) == len(outcome.tables["astromon_xcorr"]) > 0


@pytest.mark.parametrize("obsid", [13276, 14533])
def test_observations_without_matches_store_empty_tables(reference_dir: Path, obsid: int) -> None:
    outcome = make(reference_dir).process(obsid)
    assert outcome.status is OutcomeStatus.OK
    expected = Table.read(reference_dir / "astromon_xcorr.ecsv")
    n_expected = int(np.sum(expected["obsid"] == obsid))
    mine = outcome.tables["astromon_xcorr"]
    assert int(np.sum(mine["select_name"] == "astromon_21")) == n_expected
