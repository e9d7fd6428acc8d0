"""Every registered catalog against its VizieR table as documented, and a rough match that
keeps going when one catalog fails (VizieR-shaped server on 127.0.0.1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from astromon_adapters.vizier import _columns

from astromon.domain.catalogs import CATALOGS, get_catalog
from astromon.services.counterparts import CATALOG_FAILURES, rough_match
from tests.integration.test_catalog_vizier import (
    FIELDS,
    POSITION,
    TABLES,
    FakeVizier,
    Reply,
    offset,
    service,
    vizier_rows,
    x_ray_sources,
)
from tests.integration.test_catalog_vizier import fake_vizier as fake_vizier

BUILTIN = [name for name in CATALOGS if name not in ("Tycho2", "2MASS", "Gaia3")]


def _table(name: str) -> str:
    vizier_id = get_catalog(name).vizier_id
    return TABLES.get(vizier_id, vizier_id)


def _row(table_id: str, ra: float, dec: float) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, datatype, _ in FIELDS[table_id]:
        if datatype == "char":
            row[column] = f"{column}-1"
        elif datatype in ("int", "long", "short", "unsignedByte"):
            row[column] = 7
        else:
            row[column] = 12.5 if column.endswith("mag") else 1.0
    row["ObsDate"] = 2004.5
    ra_col, dec_col = POSITION[table_id]
    row[ra_col], row[dec_col] = ra, dec
    return row


@pytest.mark.parametrize("name", list(CATALOGS))
def test_the_columns_we_ask_for_are_in_the_documented_table(name: str) -> None:
    documented = {f[0] for f in FIELDS[_table(name)]} | {"_RAJ2000", "_DEJ2000"}
    asked = set(_columns(get_catalog(name)))
    assert asked <= documented, f"{name}: {sorted(asked - documented)} not in {_table(name)}"


def test_registry_ids_and_columns() -> None:
    assert get_catalog("HIP2").mag_column == "Hpmag"
    assert get_catalog("UCAC4").vizier_id == "I/322A/out"
    sdss = get_catalog("SDSS")
    assert (sdss.vizier_id, sdss.ra_column, sdss.dec_column) == ("II/294", "RAJ2000", "DEJ2000")
    assert (sdss.epoch_column, sdss.pmra_column, sdss.pmdec_column) == (
        "ObsDate", "pmRA", "pmDE",
    )  # fmt: skip


@pytest.mark.parametrize("name", BUILTIN)
def test_each_catalog_gives_its_star(name: str, fake_vizier: FakeVizier) -> None:
    ra, dec = offset(10.0, -5.0)
    fake_vizier.catalogs = {_table(name): [_row(_table(name), ra, dec)]}
    stars = service(fake_vizier).query(name, [ra], [dec], 3.0, 2004.5)
    assert len(stars) == 1 and stars["catalog"][0] == name
    spec = get_catalog(name)
    if spec.mag_column is None:
        assert np.isnan(stars["mag"][0])
    else:
        assert stars["mag"][0] == pytest.approx(12.5)
    assert stars["name"][0] != ""
    assert abs(stars["ra"][0] - ra) * 3600 < 0.1 and abs(stars["dec"][0] - dec) * 3600 < 0.1


def test_one_failing_catalog_keeps_the_others(fake_vizier: FakeVizier) -> None:
    fake_vizier.catalogs = vizier_rows()
    fake_vizier.script = [Reply(500)] * 3  # Tycho2 (asked first) fails 3 times
    src = x_ray_sources()
    result = rough_match(
        service(fake_vizier, retries=2), src, "2015:182", catalogs=["Tycho2", "2MASS"]
    )
    assert set(result["catalog"]) == {"2MASS"} and len(result) == 2
    failure = result.meta[CATALOG_FAILURES]["Tycho2"]
    assert "obsid 13276" in failure and "HTTP 500" in failure and "I/259/tyc2" in failure
