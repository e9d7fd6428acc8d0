"""The names of the system astromon replaces, with their original meaning: astromon.db row
types and connect, astromon.utils helpers, astromon.cross_match catalogs and SIM-Z, and the
observation category maps."""

from __future__ import annotations

import collections
import os
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time

from astromon import bootstrap, cross_match, db, observation, utils
from astromon.domain import catalogs
from astromon.domain.errors import (
    DatabaseError,
    MissingTableException,
    ProcessingError,
    ReadOnlyDatabaseError,
    SchemaError,
    ValidationError,
)
from astromon.domain.filters import NOMINAL_SIM_Z
from astromon.domain.schema import (
    CATEGORIES,
    LEGACY_TABLE_NAMES,
    TABLES,
    get_spec,
    set_formats,
)
from astromon.ports.observation import ToolError
from astromon.ports.store import Store
from tests.unit.fake_store import InMemoryStore

# --- astromon.db -----------------------------------------------------------------------

LEGACY_WIDTHS = {
    ("astromon_xcorr", "select_name"): 14,
    ("astromon_xray_src", "caldb_version"): 10,
    ("astromon_cat_src", "catalog"): 16,
    ("astromon_cat_src", "name"): 24,
    ("astromon_obs", "detector"): 6,
    ("astromon_obs", "target"): 28,
    ("astromon_obs", "grating"): 4,
    ("astromon_obs", "date_obs"): 20,
    ("astromon_obs", "ascdsver"): 32,
    ("astromon_regions", "region_id_str"): 10,
    ("astromon_regions", "last_modified"): 21,
    ("astromon_regions", "user"): 50,
    ("astromon_regions", "comments"): 200,
}
"""The fixed-width byte strings of the original astromon.db dtypes (sot/astromon)."""


def test_dtypes_follow_the_schema() -> None:
    assert list(db.DTYPES) == LEGACY_TABLE_NAMES
    for name, dtype in db.DTYPES.items():
        spec = get_spec(name)
        assert dtype.names == tuple(spec.names)
        for column in spec.columns:
            if column.kind == "str":
                assert dtype[column.name] == np.dtype(f"S{LEGACY_WIDTHS[(name, column.name)]}")
            else:
                assert dtype[column.name] == column.dtype
    strings = {
        (n, c.name) for n in LEGACY_TABLE_NAMES for c in TABLES[n].columns if c.kind == "str"
    }
    assert strings == set(LEGACY_WIDTHS)


def test_the_six_dtype_names() -> None:
    assert db.DTYPES["astromon_xcorr"] == db.ASTROMON_XCORR_DTYPE
    assert db.DTYPES["astromon_xray_src"] == db.ASTROMON_XRAY_SRC_DTYPE
    assert db.DTYPES["astromon_cat_src"] == db.ASTROMON_CAT_SRC_DTYPE
    assert db.DTYPES["astromon_obs"] == db.ASTROMON_OBS_DTYPE
    assert db.DTYPES["astromon_regions"] == db.ASTROMON_REGION_DTYPE
    assert db.DTYPES["astromon_meta"] == db.ASTROMON_META_DTYPE
    with pytest.raises(TypeError):
        db.DTYPES["astromon_obs"] = np.dtype([("x", "i4")])  # type: ignore[index]


def test_dtypes_match_the_legacy_file(reference_dir: Path) -> None:
    h5py = pytest.importorskip("h5py")
    with h5py.File(reference_dir / "astromon_legacy.h5", "r") as h5:
        for name in LEGACY_TABLE_NAMES:
            assert h5[name].dtype.newbyteorder("=") == db.DTYPES[name].newbyteorder("=")


def test_rows_of_a_dtype_can_be_saved(tmp_path: Path) -> None:
    """As in the original tests: Table(np.array(rows, dtype=db.ASTROMON_..._DTYPE))."""
    rows = [(9, "8f53da3773", "2025:317:14:47:27.097", 128.8, -45.1, 200.0, 0, "j", "c")]
    regions = Table(np.array(rows, dtype=db.ASTROMON_REGION_DTYPE))
    assert db.set_formats(regions) is regions
    assert regions["ra"].info.format == ".4f" and regions["radius"].info.format == ".2f"
    dbfile = tmp_path / "r.duckdb"
    db.save("astromon_meta", Table(np.array([(9,)], dtype=db.ASTROMON_META_DTYPE)), dbfile)
    db.save("astromon_regions", regions, dbfile)
    back = db.get_table("astromon_regions", dbfile)
    assert back["region_id_str"].dtype.kind == "U"  # unicode, as get_table always gave
    assert back["region_id_str"][0] == "8f53da3773" and back["user"][0] == "j"


def test_set_formats_is_the_schema_rule() -> None:
    assert db.set_formats is set_formats


def test_connect_yields_the_store(tmp_path: Path) -> None:
    dbfile = tmp_path / "c.duckdb"
    with pytest.raises(DatabaseError, match="does not exist"), db.connect(dbfile):
        pass
    with db.connect(dbfile, mode="r+") as con:
        assert isinstance(con, Store)
        db.save("astromon_regions", db.create_table("astromon_regions"), con)
        db.add_regions({"ra": [1.0], "dec": [2.0], "radius": [3.0]}, dbfile=con)
    with db.connect(str(dbfile)) as con:
        assert len(db.get_table("astromon_regions", con)) == 1
        with db.connect(con) as same:
            assert same is con
    for mode in ("w", "a"):
        with db.connect(tmp_path / f"{mode}.duckdb", mode=mode) as con:
            db.save("astromon_meta", {"last_region_id": [0]}, con)
        assert (tmp_path / f"{mode}.duckdb").exists()
    bad_mode = pytest.raises(ValidationError, match=r"connect mode must be one of .*got 'x'")
    with bad_mode, db.connect(dbfile, mode="x"):
        pass


def test_connect_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASTROMON_FILE", str(tmp_path / "default.duckdb"))
    with db.connect(mode="w") as con:
        db.save("astromon_meta", {"last_region_id": [4]}, con)
    assert db.get_table("astromon_meta")["last_region_id"][0] == 4


def test_get_cross_matches_default_file(
    reference_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    legacy = reference_dir / "astromon_legacy.h5"
    monkeypatch.setenv("ASTROMON_FILE", str(legacy))
    default = db.get_cross_matches()
    given = db.get_cross_matches(dbfile=legacy)
    assert len(default) > 0 and list(default["x_id"]) == list(given["x_id"])
    from_tables = cross_match.compute_cross_matches("astromon_21")  # tables via db.get_table
    assert list(from_tables["obsid"]) == list(default["obsid"])


def test_compute_cross_matches_from_a_connection(reference_dir: Path) -> None:
    with db.connect(reference_dir / "astromon_legacy.h5") as con:
        matches = cross_match.compute_cross_matches("astromon_21", dbfile=con, exclude_regions=True)
    assert len(matches) > 0


def test_connect_reads_a_legacy_file_in_place(reference_dir: Path) -> None:
    with db.connect(reference_dir / "astromon_legacy.h5") as con:
        assert len(db.get_table("astromon_obs", con)) > 0
        with pytest.raises(ReadOnlyDatabaseError):
            db.save("astromon_meta", {"last_region_id": [1]}, con)


# --- astromon.utils --------------------------------------------------------------------


def test_missing_table_exception_is_the_same_class(tmp_path: Path) -> None:
    assert utils.MissingTableException is db.MissingTableException is MissingTableException
    dbfile = tmp_path / "m.duckdb"
    db.save("astromon_meta", {"last_region_id": [0]}, dbfile)
    with pytest.raises(utils.MissingTableException, match="astromon_regions"):
        db.get_table("astromon_regions", dbfile)


def test_ciao_process_failure_is_the_tool_error() -> None:
    assert utils.CiaoProcessFailure is ToolError
    error = utils.CiaoProcessFailure("dmcopy", 1, ["line 1", "line 2"], "dmcopy a b")
    assert isinstance(error, ProcessingError)
    assert error.lines == ("line 1", "line 2") and error.returncode == 1


def _events_header() -> fits.Header:
    header = fits.Header()
    header["TTYPE1"], header["TTYPE2"], header["TTYPE3"] = "time", "x", "y"
    for i, ctype, crval, cdelt in (
        (2, "RA---TAN", 150.0, -1.366e-4),
        (3, "DEC--TAN", 20.0, 1.366e-4),
    ):
        header[f"TCTYP{i}"], header[f"TCRVL{i}"] = ctype, crval
        header[f"TCRPX{i}"], header[f"TCDLT{i}"] = 4096.5, cdelt
    return header


def test_wcs_from_fits_header(tmp_path: Path) -> None:
    header = _events_header()
    wcs = utils.get_wcs_from_fits_header(header=header)
    ra, dec = wcs.pixel_to_world_values(4096.5, 4096.5)  # sky x, y of the reference pixel
    assert (float(ra), float(dec)) == pytest.approx((150.0, 20.0))
    x, y = wcs.world_to_pixel_values(150.0, 20.0 + 10 * 1.366e-4)
    assert (float(x), float(y)) == pytest.approx((4096.5, 4106.5), abs=1e-6)
    path = tmp_path / "evt2.fits"
    hdu = fits.BinTableHDU.from_columns(
        [fits.Column(n, "E", array=np.zeros(1)) for n in ("time", "x", "y")], name="EVENTS"
    )
    for key in ("TCTYP", "TCRVL", "TCRPX", "TCDLT"):
        for i in (2, 3):
            hdu.header[f"{key}{i}"] = header[f"{key}{i}"]
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    from_file = utils.get_wcs_from_fits_header(path, hdu=1)
    assert from_file.pixel_to_world_values(4096.5, 4096.5) == pytest.approx((150.0, 20.0))
    with pytest.raises(ValidationError, match="exactly one"):
        utils.get_wcs_from_fits_header()
    with pytest.raises(ValidationError, match="exactly one"):
        utils.get_wcs_from_fits_header(path, header=header)
    with pytest.raises(ProcessingError, match="no x/y columns"):
        utils.get_wcs_from_fits_header(path, hdu=0)
    with pytest.raises(ProcessingError, match="cannot read HDU 5"):
        utils.get_wcs_from_fits_header(path, hdu=5)


def _brute_near_neighbour(sources: Table, others: Table) -> np.ndarray:
    dist = np.hypot(
        np.asarray(sources["y_angle"])[:, None] - np.asarray(others["y_angle"])[None, :],
        np.asarray(sources["z_angle"])[:, None] - np.asarray(others["z_angle"])[None, :],
    )
    dist[np.asarray(sources["COMPONENT"])[:, None] == np.asarray(others["COMPONENT"])[None, :]] = (
        np.inf
    )
    return dist.min(axis=1)


def test_near_neighbor_dist() -> None:
    rng = np.random.default_rng(4)
    table = Table(
        {"COMPONENT": np.arange(50), "y_angle": rng.uniform(-300, 300, 50),
         "z_angle": rng.uniform(-300, 300, 50)}
    )  # fmt: skip
    assert utils.get_near_neighbor_dist(table) == pytest.approx(_brute_near_neighbour(table, table))
    subset = table[::3]
    got = utils.get_near_neighbor_dist(subset, table)
    assert got == pytest.approx(_brute_near_neighbour(subset, table))
    lone = Table({"id": [1], "y_angle": [0.0], "z_angle": [0.0]})
    assert np.isinf(utils.get_near_neighbor_dist(lone, lone.copy(), id_col="id")[0])
    with pytest.raises(SchemaError, match="'COMPONENT' column"):
        utils.get_near_neighbor_dist(lone)
    with pytest.raises(SchemaError, match="no z_angle"):
        utils.get_near_neighbor_dist(Table({"COMPONENT": [1], "y_angle": [0.0]}))


def test_set_ciao_context_and_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PFILES", "/home/me/cxcds_param4;/soft/ciao/param")
    monkeypatch.delenv("ASCDS_WORK_PATH", raising=False)
    with utils.CIAOContext(tmp_path / "params") as context:
        assert isinstance(context, utils.CIAOContext)
        assert os.environ["PFILES"] == f"{tmp_path / 'params'};/soft/ciao/param"
        assert context.env["ASCDS_WORK_PATH"] == str(tmp_path / "params")
    assert os.environ["PFILES"] == "/home/me/cxcds_param4;/soft/ciao/param"
    assert "ASCDS_WORK_PATH" not in os.environ
    result = utils.set_ciao_context(tmp_path / "p2")
    assert (tmp_path / "p2").is_dir()
    assert os.environ["PFILES"] == result["PFILES"] == f"{tmp_path / 'p2'};/soft/ciao/param"
    assert os.environ["ASCDS_WORK_PATH"] == str(tmp_path / "p2")
    with pytest.raises(ValidationError, match="must not contain ':'"):
        utils.set_ciao_context(tmp_path / "a:b")


# --- astromon.cross_match --------------------------------------------------------------


def test_sim_z_and_cross_match_dtype() -> None:
    assert dict(cross_match.SIM_Z) == NOMINAL_SIM_Z
    with pytest.raises(TypeError):
        cross_match.SIM_Z["ACIS-I"] = 0.0  # type: ignore[index]
    assert cross_match.SIM_Z["ACIS-I"] == -233.587 and cross_match.SIM_Z["HRC-S"] == 250.466
    dtype = cross_match.CROSS_MATCH_DTYPE
    assert dtype.names == ("catalog", "name", "ra", "dec", "mag")
    assert dtype["catalog"] == np.dtype("<U16") and dtype["name"] == np.dtype("<U24")
    assert dtype["ra"] == np.float64 and dtype["mag"] == np.float32


def test_vizier_catalogs_is_the_registry() -> None:
    tycho = cross_match.VIZIER_CATALOGS["Tycho2"]
    assert tycho["cat_identifier"] == "I/259/tyc2" and tycho["catalog"] == "Tycho2"
    assert tycho["name_cols"] == ["TYC1", "TYC2", "TYC3"] and tycho["columns"]["mag"] == "VTmag"
    assert "mag" not in cross_match.VIZIER_CATALOGS["ICRS"]["columns"]
    assert list(cross_match.VIZIER_CATALOGS) == list(catalogs.CATALOGS)
    spec = catalogs.CatalogSpec("MyCat", "J/A+A/1/2", ("ID",), "Vmag")
    catalogs.register_catalog(spec)
    try:
        assert cross_match.VIZIER_CATALOGS["MyCat"]["cat_identifier"] == "J/A+A/1/2"
    finally:
        catalogs.unregister_catalog("MyCat")
    assert "MyCat" not in cross_match.VIZIER_CATALOGS
    with pytest.raises(KeyError):
        cross_match.VIZIER_CATALOGS["nope"]


def test_get_vizier_through_the_catalog_service(tmp_path: Path) -> None:
    stars = Table(
        {
            "catalog": ["ICRS", "ICRS", "ICRS"],
            "name": ["a", "b", "c"],
            "ra": [10.0, 10.0 + 2.0 / 3600, 11.0],
            "dec": [-5.0, -5.0, -5.0],
            "mag": np.full(3, np.nan, dtype=np.float32),
        }
    )
    path = tmp_path / "stars.ecsv"
    stars.write(path)
    service = bootstrap.bootstrap().catalogs("local", catalog_file=str(path))
    pos = SkyCoord([10.0] * u.deg, [-5.0] * u.deg, obstime=Time("2020-01-01"))
    found = cross_match.get_vizier(
        pos, "ICRS", "I/323", ["ICRF"], {"ra": "_RAJ2000"}, radius=3 * u.arcsec,
        catalog_service=service,
    )  # fmt: skip
    assert sorted(found["name"]) == ["a", "b"]
    assert found.colnames == list(cross_match.CROSS_MATCH_DTYPE.names)
    assert len(cross_match.get_vizier(pos, "ICRS", radius=1.0, catalog_service=service)) == 1
    with pytest.raises(ValidationError, match="registered with VizieR id 'I/323', got 'I/999'"):
        cross_match.get_vizier(pos, "ICRS", "I/999", catalog_service=service)
    with pytest.raises(ValidationError, match="raw=True"):
        cross_match.get_vizier(pos, "ICRS", raw=True, catalog_service=service)
    with pytest.raises(ValidationError, match="obstime"):
        cross_match.get_vizier(SkyCoord(10 * u.deg, 1 * u.deg), "ICRS", catalog_service=service)
    with pytest.raises(ValidationError, match="unknown catalog 'nope'"):
        cross_match.get_vizier(pos, "nope", catalog_service=service)


def test_compute_cross_matches_reads_the_store_of_dbfile_once() -> None:
    """Tables not given come from the store of ``dbfile``, in one read of all of them."""
    asked: list[tuple[object, tuple[str, ...]]] = []

    class Missing(InMemoryStore):
        def read_tables(self, names: list[str]) -> dict[str, Table]:
            asked.append((opened[-1], tuple(names)))
            raise MissingTableException("astromon_obs asked")

    opened: list[object] = []

    def open_store(dbfile: object = None, *, write: bool = False) -> Store:
        opened.append(dbfile)
        return Missing()

    with (
        bootstrap.using(bootstrap.bootstrap(store=open_store)),
        pytest.raises(MissingTableException, match="astromon_obs asked"),
    ):
        cross_match.compute_cross_matches("astromon_21", dbfile="some.duckdb")
    assert asked == [("some.duckdb", ("astromon_obs", "astromon_xray_src", "astromon_cat_src"))]


# --- astromon.observation --------------------------------------------------------------


def test_category_maps() -> None:
    assert dict(observation.ID_CATEGORY_MAP) == CATEGORIES
    with pytest.raises(TypeError):
        observation.ID_CATEGORY_MAP[1] = "x"  # type: ignore[index]
    assert observation.ID_CATEGORY_MAP[110] == "SN, SNR, and Isolated NS"
    assert isinstance(observation.CATEGORY_ID_MAP, collections.defaultdict)
    assert observation.CATEGORY_ID_MAP["clusters of galaxies"] == 120
    assert observation.CATEGORY_ID_MAP["no match"] == 200
    for cid, name in observation.ID_CATEGORY_MAP.items():
        assert observation.CATEGORY_ID_MAP[name.lower()] == cid
