"""Export and import give back every table exactly, hunted with hypothesis over valid tables.

The generated tables follow every storage rule (so a database accepts them) and carry the
values that text formats lose easily: empty text, leading and trailing spaces, tabs, line
breaks, quotes, commas, a leading ``#``, non-ASCII text; NaN and infinite floats where the
rules allow them, float32 extremes, int32 extremes. Each example is written as ECSV files
with the one table writer and imported (``db.import_ecsv``) into a new DuckDB file, whose
tables must equal the generated ones; then every table is exported in every format and read
back with a reader that is not astromon's (the ``csv``, ``json`` modules, pyarrow, astropy's
ECSV and FITS readers), which must give the same values. FITS refuses text it would change.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.storage.duckdb.store import release_connections
from astromon_adapters.storage.table_files import write_table_file
from astropy.io import fits
from astropy.table import MaskedColumn, Table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astromon import db
from astromon.domain.errors import ValidationError
from astromon.domain.schema import CATEGORIES, TABLE_NAMES, TABLES, to_schema
from astromon.domain.value_rules import DETECTORS, GRATINGS

TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    st.sampled_from(["", " ", "  lead", "trail  ", "#hash", "a\nb", "c\r\nd", "\t", "é ✓", '"q"']),
    st.sampled_from(["a,b", "nan", "123", "None", "'", "\\", "Ω Cen", "x" * 300]),
)
F32 = st.floats(width=32)
FINITE32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
ANGLE = st.floats(-1e6, 1e6, width=32)
INT32 = st.integers(-(2**31), 2**31 - 1)


def _date_obs(draw: Any) -> str:
    y, mo, d = draw(st.integers(1999, 2040)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    h, mi, s = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    text = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
    return text + draw(st.sampled_from(["", ".5", ".123456"]))


def _chandra_date(draw: Any) -> str:
    year, day = draw(st.integers(1999, 2040)), draw(st.integers(1, 365))
    return f"{year:04d}:{day:03d}:" + draw(st.sampled_from(["00:00:00.000", "12:34:56.789"]))


@st.composite
def databases(draw: Any) -> dict[str, Table]:
    """The seven tables of a valid database: every value follows its rule, no orphan."""
    obsids = draw(st.lists(st.integers(1, 2**31 - 1), max_size=3, unique=True))
    obs = {c: [] for c in TABLES["astromon_obs"].names}
    xray = {c: [] for c in TABLES["astromon_xray_src"].names}
    cat = {c: [] for c in TABLES["astromon_cat_src"].names}
    xcorr = {c: [] for c in TABLES["astromon_xcorr"].names}
    alignment = {c: [] for c in TABLES["astromon_alignment"].names}
    for obsid in obsids:
        row = {
            "obsid": obsid, "version": draw(FINITE32), "detector": draw(st.sampled_from(DETECTORS)),
            "target": draw(TEXT), "grating": draw(st.sampled_from(GRATINGS)),
            "sim_z": draw(st.floats(-500, 500, width=32)), "date_obs": _date_obs(draw),
            "tstart": draw(st.floats(0, 3.2e9, width=32)), "ascdsver": draw(TEXT),
            "ra": draw(st.floats(0, 360, exclude_max=True)), "dec": draw(st.floats(-90, 90)),
            "roll": draw(st.floats(0, 360, exclude_max=True)),
            "category_id": draw(st.sampled_from(sorted(CATEGORIES))),
        }  # fmt: skip
        for name, value in row.items():
            obs[name].append(value)
        for source in draw(st.lists(st.integers(0, 2**31 - 1), max_size=2, unique=True)):
            values = {
                "obsid": obsid, "id": source, "ra": draw(st.floats(0, 360, exclude_max=True)),
                "dec": draw(st.floats(-90, 90)), "net_counts": draw(F32), "y_angle": draw(ANGLE),
                "z_angle": draw(ANGLE), "r_angle": draw(st.floats(0, 1e6, width=32)),
                "snr": draw(F32), "near_neighbor_dist": draw(F32), "pileup": draw(F32),
                "acis_streak": draw(INT32), "caldb_version": draw(TEXT),
            }  # fmt: skip
            for name, value in values.items():
                xray[name].append(value)
            if draw(st.booleans()):
                counterpart = len(cat["id"])
                values = {
                    "obsid": obsid, "id": counterpart, "x_id": source, "catalog": draw(TEXT),
                    "name": draw(TEXT), "ra": draw(st.floats(0, 360, exclude_max=True)),
                    "dec": draw(st.floats(-90, 90)), "mag": draw(F32),
                    "separation": draw(st.floats(0, 1e6, width=32)),
                    "y_angle": draw(ANGLE), "z_angle": draw(ANGLE),
                }  # fmt: skip
                for name, value in values.items():
                    cat[name].append(value)
                for select_name in draw(st.lists(TEXT, max_size=2, unique=True)):
                    values = {
                        "select_name": select_name, "obsid": obsid, "c_id": counterpart,
                        "x_id": source, "dy": draw(ANGLE), "dz": draw(ANGLE),
                        "dr": draw(st.floats(0, 1e6, width=32)),
                    }  # fmt: skip
                    for name, value in values.items():
                        xcorr[name].append(value)
        for select_name in draw(st.lists(TEXT, max_size=2, unique=True)):
            values = {
                "select_name": select_name, "obsid": obsid, "n_pairs": draw(st.integers(1, 99)),
                "n_rejected": draw(st.integers(0, 99)), "dy": draw(ANGLE), "dz": draw(ANGLE),
                "roll": draw(st.one_of(st.just(math.nan), st.floats(-1e6, 1e6))),
                "dy_err": draw(st.floats(0, 1e6)), "dz_err": draw(st.floats(0, 1e6)),
                "roll_err": draw(st.one_of(st.just(math.nan), st.floats(0, 1e6))),
                "chi2_dof": draw(st.one_of(st.just(math.nan), st.floats(0, 1e6))),
                "rms_before": draw(st.floats(0, 1e6)), "rms_after": draw(st.floats(0, 1e6)),
                "shift_chi2": draw(st.floats(0, 1e300)), "flagged": draw(st.booleans()),
                "k_sigma": draw(st.floats(1e-3, 1e3)),
                "residual_limit": draw(st.one_of(st.just(math.nan), st.floats(1e-3, 1e3))),
                "flag_threshold": draw(st.floats(0, 1e3)), "flag_sigma": draw(st.floats(0.1, 30)),
                "min_pairs_roll": draw(st.integers(2, 2**31 - 1)),
                "min_spread": draw(st.floats(0, 1e3)),
                "max_iterations": draw(st.integers(0, 2**31 - 1)),
                "pairs_digest": draw(st.text("0123456789abcdef", min_size=16, max_size=16)),
            }  # fmt: skip
            for name, value in values.items():
                alignment[name].append(value)
    ids = draw(st.lists(st.integers(0, 2**31 - 2), max_size=3, unique=True))
    hexes = draw(st.lists(st.text("0123456789abcdef", min_size=10, max_size=10), min_size=len(ids),
                          max_size=len(ids), unique=True))  # fmt: skip
    regions = {
        "region_id": ids, "region_id_str": hexes,
        "last_modified": [_chandra_date(draw) for _ in ids],
        "ra": [draw(st.floats(0, 360, exclude_max=True)) for _ in ids],
        "dec": [draw(st.floats(-90, 90)) for _ in ids],
        "radius": [draw(st.floats(0, 648000, width=32)) for _ in ids],
        "obsid": [draw(INT32) for _ in ids], "user": [draw(TEXT) for _ in ids],
        "comments": [draw(TEXT) for _ in ids],
    }  # fmt: skip
    last = max(ids, default=0) + draw(st.integers(0, 1))
    tables = {
        "astromon_obs": obs, "astromon_xray_src": xray, "astromon_cat_src": cat,
        "astromon_xcorr": xcorr, "astromon_regions": regions,
        "astromon_meta": {"last_region_id": [last]}, "astromon_alignment": alignment,
    }  # fmt: skip
    return {name: to_schema(name, columns) for name, columns in tables.items()}


def same(name: str, column: str, got: Any, expected: Any, how: str) -> None:
    """Exactly the same values (NaN equal to NaN), typed as the schema says."""
    kind = TABLES[name].column(column).kind
    want = np.asarray(expected)
    if kind == "str":
        assert [str(v) for v in got] == want.tolist(), f"{how}: {name}.{column}"
        return
    have = np.asarray(got, dtype=want.dtype)
    floats = kind in ("f32", "f64")
    assert np.array_equal(have, want, equal_nan=floats), f"{how}: {name}.{column}"
    numbers = ~np.isnan(want) if floats else np.ones(len(want), dtype=bool)
    assert np.array_equal(np.signbit(have[numbers]), np.signbit(want[numbers])), f"{how}: -0.0"


def read_csv(path: Path) -> dict[str, list[Any]]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return {c: [row[i] for row in rows[1:]] for i, c in enumerate(rows[0])}


def read_back(path: Path, fmt: str) -> dict[str, list[Any]]:
    """The columns of a file, read without astromon."""
    if fmt == "csv":
        return read_csv(path)
    if fmt == "json":
        rows = json.loads(path.read_text(encoding="utf-8"))
        names = list(rows[0]) if rows else []
        return {c: [math.nan if r[c] is None else r[c] for r in rows] for c in names}
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pydict()
    if fmt == "fits":
        with fits.open(path) as hdus:
            data = hdus[1].data
            return {
                c: [v.decode() if isinstance(v, bytes) else v for v in data[c].tolist()]
                for c in data.columns.names
            }
    table = Table.read(path, format="ascii.ecsv")
    out = {}
    for c in table.colnames:
        column = table[c]
        if isinstance(column, MaskedColumn):
            column = column.filled(np.nan if column.dtype.kind == "f" else "")
        out[c] = list(column)
    return out


def typed(name: str, column: str, values: list[Any], fmt: str) -> list[Any]:
    """CSV holds text: numbers as Python writes them, parsed with float()/int(), and booleans
    as ``True``/``False``."""
    kind = TABLES[name].column(column).kind
    if fmt != "csv" or kind == "str":
        return values
    if kind == "bool":
        assert set(values) <= {"True", "False"}, values
        return [v == "True" for v in values]
    parse = int if kind == "i32" else float
    return [parse(v) for v in values]


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(tables=databases())
def test_export_and_import_give_back_every_value(
    tmp_path_factory: pytest.TempPathFactory, tables: dict[str, Table]
) -> None:
    work = tmp_path_factory.mktemp("round-trip")
    (work / "ecsv").mkdir()
    for name, table in tables.items():
        write_table_file(table, work / "ecsv" / f"{name}.ecsv")
    dbfile = work / "imported.duckdb"
    assert db.import_ecsv(work / "ecsv", dbfile) == TABLE_NAMES
    for name, expected in tables.items():
        stored = db.get_table(name, dbfile)
        for column in expected.colnames:
            same(name, column, stored[column], expected[column], "ECSV import")
        for fmt in ("ecsv", "csv", "json", "parquet", "fits"):
            out = work / f"{name}.{fmt}"
            try:
                db.export_table(name, out, dbfile)
            except ValidationError as exc:
                assert fmt == "fits" and "FITS would change" in str(exc), exc
                continue
            columns = read_back(out, fmt)
            for column in expected.colnames:
                values = typed(name, column, columns.get(column, []), fmt)
                same(name, column, values, expected[column], f"{fmt} export")
    release_connections()


def test_empty_user_and_comments_survive_export_and_import(tmp_path: Path) -> None:
    """The report of the defect: regions added with the default empty user and comments."""
    source = tmp_path / "a.duckdb"
    added = db.add_regions({"ra": [1.0, 2.0], "dec": [3.0, 4.0], "user": ["", " x "]}, source)
    (tmp_path / "dir").mkdir()
    db.export_table("astromon_regions", tmp_path / "dir" / "astromon_regions.ecsv", source)
    db.import_ecsv(tmp_path / "dir", tmp_path / "b.duckdb")
    back = db.get_regions(dbfile=tmp_path / "b.duckdb")
    assert list(back["user"]) == ["", " x "] and list(back["comments"]) == ["", ""]
    assert list(back["region_id_str"]) == list(added["region_id_str"])
    assert list(db.get_table("astromon_meta", tmp_path / "b.duckdb")["last_region_id"]) == [2]


def test_fits_refuses_text_it_would_change(tmp_path: Path) -> None:
    table = Table({"name": ["kept", "trailing "]})
    with pytest.raises(ValidationError, match=r"name='trailing ' in row 1 .*FITS"):
        write_table_file(table, tmp_path / "t.fits")
    assert not (tmp_path / "t.fits").exists()
