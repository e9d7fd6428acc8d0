"""The table schemas, categories and conversion to the schema."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table

from astromon.domain import schema
from astromon.domain.errors import MissingTableException, SchemaError


def test_seven_tables_in_spec_order() -> None:
    assert schema.TABLE_NAMES == [
        "astromon_obs",
        "astromon_xray_src",
        "astromon_cat_src",
        "astromon_xcorr",
        "astromon_regions",
        "astromon_meta",
        "astromon_alignment",
    ]
    assert schema.TABLES["astromon_xcorr"].names == [
        "select_name",
        "obsid",
        "c_id",
        "x_id",
        "dy",
        "dz",
        "dr",
    ]
    assert schema.TABLES["astromon_regions"].key == ("region_id",)


def test_empty_table_has_schema_types_and_formats() -> None:
    table = schema.empty_table("astromon_obs")
    assert len(table) == 0
    assert table.colnames[0] == "obsid" and table["obsid"].dtype == np.int32
    assert table["version"].dtype == np.float32
    assert table["ra"].dtype == np.float64
    assert table["ra"].format == ".4f"
    assert table["sim_z"].format == ".2f"
    assert table["target"].dtype.kind == "U"


def test_unknown_table_lists_known_tables() -> None:
    with pytest.raises(MissingTableException, match="astromon_obs") as info:
        schema.get_spec("astromon_nope")
    assert "astromon_nope" in str(info.value)


def test_to_schema_drops_extras_reorders_and_converts_bytes() -> None:
    data = Table(
        {
            "extra": [1, 2],
            "dr": [0.5, 1.5],
            "dz": [0.1, 0.2],
            "dy": [0.3, 0.4],
            "x_id": [1, 2],
            "c_id": [0, 1],
            "obsid": [10, 11],
            "select_name": np.array([b"astromon_21", b"astromon_21"]),
        }
    )
    out = schema.to_schema("astromon_xcorr", data)
    assert out.colnames == schema.TABLES["astromon_xcorr"].names
    assert out["select_name"].dtype.kind == "U"
    assert out["select_name"][0] == "astromon_21"
    assert out["obsid"].dtype == np.int32
    assert out["dr"].dtype == np.float32


def test_to_schema_names_missing_columns() -> None:
    with pytest.raises(SchemaError, match=r"\['dz', 'dr'\]"):
        schema.to_schema(
            "astromon_xcorr",
            {"select_name": ["a"], "obsid": [1], "c_id": [0], "x_id": [1], "dy": [0.0]},
        )


def test_to_schema_rejects_no_common_column() -> None:
    with pytest.raises(SchemaError, match="no column in common"):
        schema.to_schema("astromon_meta", {"foo": [1]})


def test_to_schema_rejects_strings_in_numeric_columns() -> None:
    with pytest.raises(SchemaError, match=r"astromon_meta\.last_region_id"):
        schema.to_schema("astromon_meta", {"last_region_id": ["thirteen"]})


def test_to_schema_rejects_fractional_integers_and_masked_ints() -> None:
    with pytest.raises(SchemaError, match=r"last_region_id=1\.5 in row 0 .*an integer"):
        schema.to_schema("astromon_meta", {"last_region_id": [1.5]})
    masked = MaskedColumn([1, 2], mask=[False, True], name="last_region_id")
    with pytest.raises(SchemaError, match="masked"):
        schema.to_schema("astromon_meta", Table([masked]))


def test_to_schema_masked_floats_become_nan() -> None:
    table = Table(
        {
            "obsid": [1, 1],
            "id": [0, 1],
            "x_id": [3, 4],
            "catalog": ["Tycho2", "ICRS"],
            "name": ["a", "b"],
            "ra": [1.0, 2.0],
            "dec": [3.0, 4.0],
            "separation": [0.1, 0.2],
            "mag": MaskedColumn([10.0, 0.0], mask=[False, True]),
            "y_angle": [0.0, 0.0],
            "z_angle": [0.0, 0.0],
        }
    )
    out = schema.to_schema("astromon_cat_src", table)
    assert out["mag"][0] == pytest.approx(10.0)
    assert np.isnan(out["mag"][1])


def test_categories_case_insensitive_and_unknown() -> None:
    assert schema.category_id("sn, snr, and isolated ns") == 110
    assert schema.category_id("Clusters of Galaxies") == 120
    assert schema.category_id("no such thing") == 200
    assert schema.category_name(50) == "Active Galaxies and Quasars"
    assert schema.category_name(999) == "Unknown"
