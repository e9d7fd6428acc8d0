"""Tables returned by the public API belong to the caller: they can be sorted and edited."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from astromon import db


def test_tables_from_duckdb_and_hdf5_are_writable(reference_dir: Path, tmp_path: Path) -> None:
    dbfile = tmp_path / "astromon.duckdb"
    db.import_ecsv(reference_dir, dbfile)
    stored_min = float(db.get_table("astromon_xray_src", dbfile)["snr"].min())
    for source in (dbfile, reference_dir / "astromon_legacy.h5"):
        src = db.get_table("astromon_xray_src", source)
        src.sort("snr")
        assert np.all(np.diff(np.asarray(src["snr"])) >= 0)
        src["snr"][0] = -1.0
        assert src["snr"][0] == -1.0
        matches = db.get_cross_matches("astromon_21", source)
        matches.sort("dr")
        matches["dr"][0] = 99.0
        assert matches["dr"][0] == np.float32(99.0)
    # editing the returned copy never touches the file
    assert float(db.get_table("astromon_xray_src", dbfile)["snr"].min()) == stored_min
    assert stored_min != -1.0
