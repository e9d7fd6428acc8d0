"""The observation pipeline as composition: a workspace, step functions over ports, the FITS
files read through the ObservationFiles port (an in-memory model here), and the façade
composing one pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.chandra.par_file import ParFileReader
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.wcs import WCS

from astromon.domain.errors import ValidationError
from astromon.domain.observation_results import Status
from astromon.observation import Observation
from astromon.ports.observation import ObservationFiles
from astromon.services.observation import sources, steps
from astromon.services.observation.pipeline import ObservationPipeline
from astromon.services.observation.runner import StepPorts
from astromon.services.observation.workspace import ObservationWorkspace
from tests.unit.observation_files_fake import FakeObservationFiles

OBSID = 4321
RA0, DEC0, ROLL0 = 150.0, 20.0, 30.0
SKY_PIXEL_DEG = 0.492 / 3600.0
CRPIX = 4096.5
OFFSETS_ARCSEC = [(10.0, 0.0), (0.0, 30.0), (-150.0, 120.0)]
"""(east, north) offsets of the three sources from the pointing, arcsec."""


class NoArchive:
    """An archive that has nothing (the files of these tests are already in place)."""

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        from astromon.domain.errors import ProcessingError

        raise ProcessingError(f"no {file_type} files for obsid {obsid}")

    def find_obsids(self, start: str, stop: str) -> list[int]:
        return []


def evt2_header() -> dict[str, object]:
    """An EVENTS header as CIAO writes it: x, y columns with their sky WCS keywords."""
    header: dict[str, object] = {"RA_PNT": RA0, "DEC_PNT": DEC0, "ROLL_PNT": ROLL0}
    header["CALDBVER"] = "4.8.0"
    for index, (name, ctype, crval, cdelt) in enumerate(
        (("x", "RA---TAN", RA0, -SKY_PIXEL_DEG), ("y", "DEC--TAN", DEC0, SKY_PIXEL_DEG)), 3
    ):
        header.update({f"TTYPE{index}": name, f"TCTYP{index}": ctype, f"TCRVL{index}": crval,
                       f"TCRPX{index}": CRPIX, f"TCDLT{index}": cdelt})  # fmt: skip
    return header


def sky_pixels(ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sky x, y of positions, from an image-style WCS with the same values (not the code's)."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [RA0, DEC0]
    wcs.wcs.crpix = [CRPIX, CRPIX]
    wcs.wcs.cdelt = [-SKY_PIXEL_DEG, SKY_PIXEL_DEG]
    x, y = wcs.wcs_world2pix(ra, dec, 1)
    return np.asarray(x), np.asarray(y)


def source_positions() -> tuple[np.ndarray, np.ndarray]:
    east, north = np.array(OFFSETS_ARCSEC).T / 3600.0
    return RA0 + east / np.cos(np.radians(DEC0)), DEC0 + north


def touch(workspace: ObservationWorkspace, relative: str) -> Path:
    path = workspace.path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


@pytest.fixture
def setup(tmp_path: Path) -> tuple[ObservationWorkspace, StepPorts, FakeObservationFiles]:
    workspace = ObservationWorkspace(OBSID, tmp_path)
    files = FakeObservationFiles()
    ports = StepPorts(retriever=NoArchive(), par_files=ParFileReader(), fits_files=files)
    evt2 = touch(workspace, f"primary/acisf{OBSID:05d}N001_evt2.fits.gz")
    files.add_header(evt2, evt2_header(), "EVENTS")
    ra, dec = source_positions()
    source_list = touch(workspace, f"sources/{OBSID}_celldetect.src")
    files.tables[source_list] = Table(
        {"RA": ra, "DEC": dec, "COMPONENT": [1, 2, 3], "NET_COUNTS": [50.0, 40.0, 30.0],
         "SNR": [9.0, 7.0, 5.0], "PSFRATIO": [0.5, 1.5, 0.5]}
    )  # fmt: skip
    return workspace, ports, files


def test_get_sources_reads_every_file_through_the_port(setup: tuple) -> None:
    workspace, ports, files = setup
    ra, dec = source_positions()
    # a pileup map of 1" pixels around the pointing whose value tells its pixel
    pileup = touch(workspace, f"images/{OBSID}_pileup_max.img")
    map_wcs = WCS(naxis=2)
    map_wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    map_wcs.wcs.crval, map_wcs.wcs.crpix = [RA0, DEC0], [60.5, 60.5]
    map_wcs.wcs.cdelt = [-1 / 3600.0, 1 / 3600.0]
    rows, cols = np.mgrid[0:120, 0:120]
    files.images[pileup] = (1000.0 * rows + cols, map_wcs)
    col, row = map_wcs.world_to_pixel_values(ra, dec)
    inside = (np.abs(col - 59.5) < 60) & (np.abs(row - 59.5) < 60)
    expected_pileup = np.where(inside, 1000.0 * np.round(row) + np.round(col), 0.0)
    # a streak: a square of 3 sky pixels about the second source
    streaks = touch(workspace, f"images/{OBSID}_acis_streaks.fits")
    x, y = sky_pixels(ra, dec)
    square_x = x[1] + np.array([-3, 3, 3, -3, np.nan])
    square_y = y[1] + np.array([-3, -3, 3, 3, np.nan])
    files.tables[streaks] = Table(
        {"SHAPE": ["polygon", "circle"], "X": [square_x, x[0] + np.zeros(5)],
         "Y": [square_y, y[0] + np.zeros(5)]}
    )  # fmt: skip
    acal = touch(workspace, f"secondary/pcadf{OBSID}_acal1.fits")
    files.add_header(acal, {"CALDBVER": "4.9.1"})

    found = sources.get_sources(workspace, files, ports.par_files)

    assert list(found["id"]) == [1, 2, 3]
    assert not inside.all() and inside.any()  # one source lies off the map
    assert np.array_equal(np.asarray(found["pileup"]), expected_pileup)
    assert list(found["acis_streak"]) == [0, 1, 0]  # a circle region is no streak
    assert list(found["caldb_version"]) == ["4.9.1"] * 3
    separation = SkyCoord(ra * u.deg, dec * u.deg).separation(SkyCoord(RA0 * u.deg, DEC0 * u.deg))
    assert np.allclose(found["r_angle"], separation.arcsec, rtol=1e-6)
    files.headers.pop(acal)
    acal.unlink()
    assert (
        list(sources.get_sources(workspace, files, ports.par_files)["caldb_version"])
        == ["4.8.0"] * 3
    )


def test_filter_sources_writes_the_kept_rows_through_the_port(setup: tuple) -> None:
    workspace, ports, files = setup
    ra, dec = source_positions()
    radius = 60.0
    separation = SkyCoord(ra * u.deg, dec * u.deg).separation(SkyCoord(RA0 * u.deg, DEC0 * u.deg))
    keep = (separation.arcsec <= radius) & (np.array([0.5, 1.5, 0.5]) <= 1.0)

    result = steps.filter_sources(workspace, ports, radius=radius)

    assert result.status == Status.OK and result.message == f"{int(keep.sum())} sources"
    ((path, table),) = files.written
    assert path == workspace.path(f"sources/{OBSID}_celldetect_filtered.src")
    assert list(table["COMPONENT"]) == list(np.array([1, 2, 3])[keep])


def test_an_unreadable_file_is_an_error_result_naming_it(setup: tuple) -> None:
    workspace, ports, files = setup
    source_list = workspace.path(f"sources/{OBSID}_celldetect.src")
    files.tables[source_list].remove_column("PSFRATIO")
    result = steps.filter_sources(workspace, ports)
    assert result.status == Status.ERROR
    assert result.message == (
        f"ProcessingError: source list {source_list} lacks the columns ['PSFRATIO']"
    )
    assert files.written == []
    assert not workspace.path(f"sources/{OBSID}_celldetect_filtered.src").exists()


def test_the_ciao_steps_are_skipped_without_a_runner(setup: tuple) -> None:
    workspace, ports, _ = setup
    for step in (steps.filter_events, steps.make_images, steps.calculate_centroids, steps.repro):
        result = step(workspace, ports)
        assert (result.status, result.message) == (
            Status.SKIP, "CIAO is disabled (use_ciao=False)"
        )  # fmt: skip


def test_the_facade_composes_one_pipeline() -> None:
    assert Observation.__mro__ == (Observation, ObservationPipeline, object)
    for part in (ObservationPipeline, ObservationWorkspace, StepPorts):
        assert part.__bases__ == (object,)


def test_the_fake_and_the_reader_implement_the_port() -> None:
    from astromon_adapters.chandra.fits_files import FitsObservationFiles

    assert isinstance(FakeObservationFiles(), ObservationFiles)
    assert isinstance(FitsObservationFiles(), ObservationFiles)


def test_the_pipeline_state_is_the_workspace(tmp_path: Path) -> None:
    pipeline = ObservationPipeline(
        OBSID, tmp_path / "work", retriever=NoArchive(), par_files=ParFileReader(),
        fits_files=FakeObservationFiles(), archive_dir=tmp_path / "archive", use_ciao=False,
    )  # fmt: skip
    assert pipeline.workdir == pipeline.workspace.workdir == tmp_path / "work" / "obs04" / "4321"
    pipeline.archive_regex = ["*.src"]
    assert pipeline.workspace.archive_patterns == ["*.src"]
    touch(pipeline.workspace, f"sources/{OBSID}_celldetect.src")
    touch(pipeline.workspace, f"images/{OBSID}_broad_flux.img")
    result = pipeline.archive()
    assert result.status == Status.OK
    assert result.outputs == [
        tmp_path / "archive" / "obs04" / "4321" / "sources" / "4321_celldetect.src"
    ]
    with pytest.raises(ValidationError, match="archive_regex must hold texts only"):
        pipeline.archive_regex = [1]  # type: ignore[list-item]
