"""The FITS reader of an observation's files (astromon_adapters.chandra.fits_files) on real
FITS files, and the in-memory model the unit tests use in its place, on the same contents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astromon_adapters.chandra.fits_files import FitsObservationFiles
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from astromon.domain.errors import ProcessingError
from tests.unit.observation_files_fake import FakeObservationFiles


def _write_table(path: Path, table: Table, header: dict[str, object] | None = None) -> Path:
    hdu = fits.BinTableHDU(table, name="TABLE")
    hdu.header.update(header or {})
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


def test_source_lists_read_alike(tmp_path: Path) -> None:
    real, fake = FitsObservationFiles(), FakeObservationFiles()
    celldetect = Table({"RA": [1.0, 2.0], "dec": [3.0, 4.0], "COMPONENT": [1, 2],
                        "NET_COUNTS": [5.0, 6.0], "SNR": [7.0, 8.0], "PSFRATIO": [0.5, 2.0],
                        "R": [[1.0, 1.0], [2.0, 2.0]]})  # fmt: skip
    wavdetect = Table(celldetect, copy=True)
    wavdetect.remove_column("SNR")
    broken = Table(celldetect, copy=True)
    broken.remove_columns(["COMPONENT", "NET_COUNTS"])
    for name, table in (("cell.src", celldetect), ("wav.src", wavdetect)):
        path = _write_table(tmp_path / name, table)
        fake.tables[path] = table
        from_file, modelled = real.source_list(path), fake.source_list(path)
        assert from_file.colnames == modelled.colnames
        assert "DEC" in from_file.colnames and "SNR" in from_file.colnames
        for column in from_file.colnames:
            assert np.array_equal(from_file[column], modelled[column], equal_nan=True), column
    assert np.isnan(real.source_list(tmp_path / "wav.src")["SNR"]).all()
    path = _write_table(tmp_path / "broken.src", broken)
    fake.tables[path] = broken
    for files in (real, fake):
        with pytest.raises(
            ProcessingError, match=r"lacks the columns \['COMPONENT', 'NET_COUNTS'\]"
        ):
            files.source_list(path)
        with pytest.raises(ProcessingError, match=r"cannot read source list .*absent\.src"):
            files.source_list(tmp_path / "absent.src")


def test_a_written_source_list_reads_back_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    real = FitsObservationFiles()
    table = Table({"RA": [1.0], "DEC": [2.0], "COMPONENT": [1], "NET_COUNTS": [3.0],
                   "PSFRATIO": [0.4], "SNR": [5.0]})  # fmt: skip
    out = tmp_path / "kept.src"
    real.write_source_list(table, out)
    real.write_source_list(table[:0], out)  # replaces it
    assert len(real.source_list(out)) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.src"]
    with pytest.raises(ProcessingError, match="cannot write source list"):
        real.write_source_list(table, tmp_path / "no" / "dir.src")


def test_pileup_maps_read_alike(tmp_path: Path) -> None:
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval, wcs.wcs.crpix = [150.0, 20.0], [10.5, 8.5]
    wcs.wcs.cdelt = [-1 / 3600.0, 1 / 3600.0]
    image = np.arange(20 * 16, dtype=np.float64).reshape(16, 20)
    path = tmp_path / "pileup_max.img"
    fits.PrimaryHDU(image, header=wcs.to_header()).writeto(path)
    fake = FakeObservationFiles()
    fake.images[path] = (image, wcs)
    rng = np.random.default_rng(1)
    ra = 150.0 + rng.uniform(-15, 15, 100) / 3600.0
    dec = 20.0 + rng.uniform(-12, 12, 100) / 3600.0
    from_file = FitsObservationFiles().pileup_values(path, ra, dec)
    assert np.array_equal(from_file, fake.pileup_values(path, ra, dec))
    assert (from_file == 0).any() and (from_file > 0).any()  # some positions off the map
    cube = tmp_path / "cube.img"
    fits.PrimaryHDU(np.zeros((2, 3, 4))).writeto(cube)
    fake.images[cube] = (np.zeros((2, 3, 4)), wcs)
    for files in (FitsObservationFiles(), fake):
        with pytest.raises(ProcessingError, match=r"cube\.img is not a 2-d image"):
            files.pileup_values(cube, ra, dec)
        with pytest.raises(ProcessingError, match=r"cannot read pileup map .*none\.img"):
            files.pileup_values(tmp_path / "none.img", ra, dec)


def test_streak_regions_read_alike(tmp_path: Path) -> None:
    nan = np.nan
    regions = Table({
        "SHAPE": ["Polygon", "circle", "polygon"],
        "X": [[1.0, 5.0, 5.0, 1.0, nan], [3.0, nan, nan, nan, nan], [7.0, 9.0, 8.0, nan, nan]],
        "Y": [[1.0, 1.0, 4.0, 4.0, nan], [3.0, nan, nan, nan, nan], [7.0, 7.0, 9.0, nan, nan]],
    })  # fmt: skip
    path = _write_table(tmp_path / "streaks.fits", regions)
    fake = FakeObservationFiles()
    fake.tables[path] = regions
    from_file = FitsObservationFiles().streak_regions(path)
    modelled = fake.streak_regions(path)
    assert [len(x) for x, _ in from_file] == [4, 3]
    for (x1, y1), (x2, y2) in zip(from_file, modelled, strict=True):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    empty = tmp_path / "empty.fits"
    fits.PrimaryHDU().writeto(empty)
    assert FitsObservationFiles().streak_regions(empty) == []


def test_headers_and_the_acal_file_read_alike(tmp_path: Path) -> None:
    matrices = {key: [np.eye(3) * (i + 1)] for i, key in
                enumerate(("aca_align", "aca_misalign", "fts_misalign"))}  # fmt: skip
    path = _write_table(tmp_path / "acal1.fits", Table(matrices), {"CALDBVER": "4.11.0"})
    fake = FakeObservationFiles()
    fake.tables[path] = Table(matrices)
    fake.add_header(path, {"CALDBVER": "4.11.0"})
    real = FitsObservationFiles()
    assert real.alignment(path) == fake.alignment(path)
    assert real.alignment(path)["fts_misalign"] == [(np.eye(3) * 3).tolist()]
    assert real.header(path)["CALDBVER"] == fake.header(path)["CALDBVER"] == "4.11.0"
    assert real.header(path, "TABLE")["EXTNAME"] == "TABLE"
    for files in (real, fake):
        with pytest.raises(ProcessingError, match=r"cannot read the FITS header of .*acal1"):
            files.header(path, "EVENTS")
        with pytest.raises(ProcessingError, match=r"cannot read the acal file .*nothing"):
            files.alignment(tmp_path / "nothing.fits")
