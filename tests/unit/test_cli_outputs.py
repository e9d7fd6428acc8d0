"""Output files of the CLI and of ``db.export_table``: one atomic writer, one overwrite rule,
full precision; excluded regions in arcsec with units, degrees or sexagesimal."""

from __future__ import annotations

import errno
import getpass
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.storage import table_files
from astropy.table import Table, vstack
from typer.testing import CliRunner

from astromon import bootstrap
from astromon.cli.app import app
from tests.unit.fake_store import InMemoryStore
from tests.unit.ops_fakes import fake_tables

runner = CliRunner()

PRECISE = Table(
    {
        "obsid": [1, 2],
        "ra": [123.456789012345, 10.000000001],
        "dy": [0.123456789, -0.36],
        "name": ["a", "b"],
    }
)
PRECISE["ra"].format = ".4f"  # a display format must not round the data formats
PRECISE["dy"].format = ".2f"


@pytest.fixture
def store(request: pytest.FixtureRequest) -> InMemoryStore:
    """astromon_obs of two observations with many-digit ra and dec (display-formatted)."""
    obs = vstack([fake_tables(1)["astromon_obs"], fake_tables(2)["astromon_obs"]])
    obs["ra"] = PRECISE["ra"]
    obs["dec"] = PRECISE["dy"]
    obs["ra"].format = ".4f"
    obs["dec"].format = ".2f"
    memory = InMemoryStore({"astromon_obs": obs})
    block = bootstrap.using(bootstrap.bootstrap(store=lambda dbfile=None, *, write=False: memory))
    block.__enter__()
    request.addfinalizer(lambda: block.__exit__(None, None, None))
    return memory


def read_back(path: Path, fmt: str) -> Table:
    if fmt == "json":
        return Table(rows=json.loads(path.read_text()))
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return Table(pq.read_table(path).to_pydict())
    formats = {"csv": "ascii.csv", "ecsv": "ascii.ecsv", "fits": "fits"}
    return Table.read(path, format=formats[fmt])


@pytest.mark.parametrize("fmt", ["csv", "ecsv", "json", "parquet"])
def test_show_output_keeps_full_precision_and_refuses_to_overwrite(
    store: InMemoryStore, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"obs.{fmt}"
    args = ["show", "astromon_obs", "--format", fmt, "--output", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    back = read_back(out, fmt)
    assert list(back["ra"]) == [123.456789012345, 10.000000001]
    assert list(back["dec"]) == [0.123456789, -0.36]
    again = runner.invoke(app, args)
    assert again.exit_code == 1
    assert again.stderr.strip() == f"error: {str(out)!r} exists; give --overwrite to replace it"
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0


@pytest.mark.parametrize("fmt", ["csv", "ecsv", "json"])
def test_text_to_stdout_keeps_full_precision(store: InMemoryStore, fmt: str) -> None:
    result = runner.invoke(app, ["show", "astromon_obs", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "123.456789012345" in result.stdout and "0.123456789" in result.stdout
    table = runner.invoke(app, ["show", "astromon_obs"])
    assert "123.4568" in table.stdout  # the table view uses the display formats


def disk_full_after(monkeypatch: pytest.MonkeyPatch, nbytes: int) -> None:
    """Make every file write of astropy, pathlib and the CSV writer fail with ENOSPC after
    ``nbytes`` bytes, as on a full file system: the bytes before are written, then
    ``OSError(ENOSPC)``."""

    def partial(path: Any) -> None:
        with open(path, "wb") as handle:
            handle.write(b"x" * nbytes)
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    def table_write(self: Table, path: Any, *args: Any, **kwargs: Any) -> None:
        partial(path)

    def write_text(self: Path, *args: Any, **kwargs: Any) -> int:
        partial(self)
        return 0

    def csv_write(table: Table, path: Path) -> None:
        partial(path)

    monkeypatch.setattr(Table, "write", table_write)
    monkeypatch.setattr(Path, "write_text", write_text)
    monkeypatch.setattr(table_files, "_write_csv", csv_write)


@pytest.mark.parametrize("fmt", ["csv", "ecsv", "json", "parquet", "fits"])
def test_a_full_disk_leaves_the_old_file_and_no_temporary(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"good.{fmt}"
    table_files.write_table_file(PRECISE, out)
    old = out.read_bytes()
    disk_full_after(monkeypatch, 10)
    with pytest.raises(table_files.OutputFileError, match="No space left on device"):
        table_files.write_table_file(PRECISE, out, overwrite=True)
    assert out.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
    new = tmp_path / f"new.{fmt}"
    with pytest.raises(table_files.OutputFileError):
        table_files.write_table_file(PRECISE, new)
    assert not new.exists()  # never an empty or truncated file
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_a_full_disk_through_the_cli_is_one_line(
    store: InMemoryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "m.txt"
    out.write_text("old report\n")
    disk_full_after(monkeypatch, 3)
    result = runner.invoke(app, ["show", "astromon_obs", "--output", str(out), "--overwrite"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot write") and "No space left" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    monkeypatch.undo()
    assert out.read_text() == "old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.txt"]


def test_export_table_uses_the_same_rule(tmp_path: Path) -> None:
    from astromon import db

    path = tmp_path / "a.duckdb"
    db.add_regions({"ra": [1.0], "dec": [2.0], "radius": [3.0]}, dbfile=path)
    out = tmp_path / "regions.csv"
    db.export_table("astromon_regions", out, dbfile=path)
    with pytest.raises(table_files.OutputFileError, match="give overwrite=True"):
        db.export_table("astromon_regions", out, dbfile=path)
    cli = runner.invoke(app, ["--db", str(path), "db", "export", "astromon_regions", str(out)])
    assert cli.exit_code == 1 and "give --overwrite to replace it" in cli.stderr
    assert "overwrite=True" not in cli.stderr
    forced = ["--db", str(path), "db", "export", "astromon_regions", str(out), "--overwrite"]
    assert runner.invoke(app, forced).exit_code == 0
    assert Table.read(out, format="ascii.csv")["radius"][0] == 3.0


def test_regions_in_arcsec_with_units_and_sexagesimal(tmp_path: Path) -> None:
    from astromon import db

    base = ["--db", str(tmp_path / "r.duckdb"), "regions"]
    added = runner.invoke(app, [*base, "add", "--ra", "12:30:00", "--dec", "-30:15:00"])
    assert added.exit_code == 0, added.output
    more = runner.invoke(
        app, [*base, "add", "--ra", "187.5", "--dec", "-30.25", "--radius", "0.5arcmin"]
    )
    assert more.exit_code == 0, more.output
    regions = db.get_regions(dbfile=tmp_path / "r.duckdb")
    assert list(regions["radius"]) == [5.0, 30.0]  # default 5 arcsec
    assert np.allclose(regions["ra"], 187.5) and np.allclose(regions["dec"], -30.25)
    assert list(regions["obsid"]) == [0, 0]
    assert list(regions["user"]) == [getpass.getuser()] * 2
    listed = runner.invoke(app, [*base, "list", "--region-id", "2", "--format", "json"])
    rows = json.loads(listed.stdout)
    assert [r["region_id"] for r in rows] == [2] and rows[0]["radius"] == 30.0
    # the API takes the same units: a number is arcsec, text and quantities have units
    import astropy.units as u

    assert db.get_regions(dbfile=tmp_path / "r.duckdb", radius="5arcmin") is not None
    assert db.get_regions(dbfile=tmp_path / "r.duckdb", radius=2 * u.arcmin) is not None
    assert math.isclose(float(regions["radius"][1]), 30.0)
