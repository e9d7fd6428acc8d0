"""``astromon alignment`` through Typer's CliRunner, on in-memory stores of the reference data."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.table import Table
from typer.testing import CliRunner

from astromon.bootstrap import bootstrap, using
from astromon.cli.app import app
from astromon.cli.commands.alignment import OUTPUT_COLUMNS
from astromon.domain.schema import to_schema
from astromon.ports.store import TableWrite
from tests.unit.fake_store import InMemoryStore

runner = CliRunner()


@pytest.fixture
def use_store(tmp_path: Path) -> Iterator[Any]:
    """Make the CLI use a given in-memory store; records (dbfile, write) of each opening."""
    with contextlib.ExitStack() as stack:

        def install(store: InMemoryStore) -> list[tuple[Any, bool]]:
            calls: list[tuple[Any, bool]] = []

            def open_store(dbfile: Any = None, *, write: bool = False) -> InMemoryStore:
                calls.append((dbfile, write))
                return store

            stack.enter_context(using(bootstrap(store=open_store)))
            return calls

        stack.enter_context(pytest.MonkeyPatch.context()).setenv(
            "ASTROMON_FILE", str(tmp_path / "absent.duckdb")
        )
        yield install


def _rows(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_fits_saves_then_reads_the_stored_table(use_store: Any, reference_dir: Path) -> None:
    store = InMemoryStore.from_directory(reference_dir)
    calls = use_store(store)
    first = runner.invoke(app, ["alignment", "--format", "json"])
    rows = _rows(first)
    assert "fitted from the stored pairs and saved" in first.stderr
    assert (None, True) in calls
    assert [list(r) for r in rows] == [list(OUTPUT_COLUMNS)] * len(rows)
    xcorr = store.read_table("astromon_xcorr")
    assert sorted(r["obsid"] for r in rows) == sorted(set(np.asarray(xcorr["obsid"]).tolist()))
    by_obsid = {int(o): (float(y), float(z)) for o, y, z in xcorr.iterrows("obsid", "dy", "dz")}
    for row in rows:  # one pair per observation: the shift is that pair's offset, no roll
        assert row["n_pairs"] == 1 and row["n_rejected"] == 0
        assert (row["dy"], row["dz"]) == pytest.approx(by_obsid[row["obsid"]], abs=1e-6)
        assert row["roll"] is None and row["roll_err"] is None and row["chi2_dof"] is None
        assert row["dy_err"] == row["dz_err"] > 0
    assert len(store.read_table("astromon_alignment")) == len(rows)
    calls.clear()
    second = runner.invoke(app, ["alignment", "--format", "json"])
    assert _rows(second) == rows
    assert second.stderr == "" and all(not write for _, write in calls)


def test_changed_pairs_are_fitted_again(use_store: Any, reference_dir: Path) -> None:
    store = InMemoryStore.from_directory(reference_dir)
    use_store(store)
    _rows(runner.invoke(app, ["alignment", "--format", "json"]))
    xcorr = store.read_table("astromon_xcorr")
    obsid = int(xcorr["obsid"][0])
    xcorr["dy"][0] += 1.5
    store.save_many([TableWrite("astromon_xcorr", to_schema("astromon_xcorr", xcorr))])
    again = runner.invoke(app, ["alignment", "--obsid", str(obsid), "--format", "json"])
    (row,) = _rows(again)
    assert "fitted from the stored pairs and saved" in again.stderr
    assert row["dy"] == pytest.approx(float(xcorr["dy"][0]), abs=1e-6)
    stored = store.read_table("astromon_alignment")
    assert float(stored["dy"][stored["obsid"] == obsid][0]) == pytest.approx(row["dy"])


def test_a_read_only_database_is_fitted_and_not_written(
    use_store: Any, reference_dir: Path
) -> None:
    store = InMemoryStore.from_directory(reference_dir, writable=False)
    use_store(store)
    result = runner.invoke(app, ["alignment", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == ",".join(OUTPUT_COLUMNS)
    assert result.stderr.strip() == "alignment of 'astromon_21' fitted from the stored pairs"
    assert "astromon_alignment" not in store.table_names()


def test_filters(use_store: Any, reference_dir: Path) -> None:
    use_store(InMemoryStore.from_directory(reference_dir))
    every = _rows(runner.invoke(app, ["alignment", "--format", "json"]))
    obsids = [r["obsid"] for r in every]
    chosen = ["--obsid", str(obsids[0]), "--obsid", str(obsids[2])]
    two = _rows(runner.invoke(app, ["alignment", *chosen, "--format", "json"]))
    assert [r["obsid"] for r in two] == [obsids[0], obsids[2]]
    flagged = _rows(runner.invoke(app, ["alignment", "--flagged", "--format", "json"]))
    assert [r["obsid"] for r in flagged] == [r["obsid"] for r in every if r["flagged"]]
    assert flagged  # the reference data has one observation off by more than 0.5"
    none = runner.invoke(app, ["alignment", "--min-pairs", "2"])
    assert none.exit_code == 0 and none.stdout.strip() == "(no rows)"
    zero = runner.invoke(app, ["alignment", "--min-pairs", "0"])
    assert zero.exit_code == 2 and "--min-pairs" in zero.stderr


def test_errors_and_output_files(use_store: Any, reference_dir: Path, tmp_path: Path) -> None:
    use_store(InMemoryStore.from_directory(reference_dir))
    unknown = runner.invoke(app, ["alignment", "nope"])
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == (
        "error: NAME 'nope' is not a stored cross-match; stored: astromon_21"
    )
    out = tmp_path / "alignment.ecsv"
    ecsv = ["alignment", "--format", "ecsv", "--output", str(out)]
    assert runner.invoke(app, ecsv).exit_code == 0
    written = Table.read(out, format="ascii.ecsv")
    assert written.colnames == list(OUTPUT_COLUMNS) and written["flagged"].dtype == bool
    again = runner.invoke(app, ecsv)
    assert again.exit_code != 0 and "--overwrite" in again.stderr
    assert Table.read(out, format="ascii.ecsv").colnames == list(OUTPUT_COLUMNS)
    replaced = runner.invoke(app, [*ecsv, "--overwrite"])
    assert replaced.exit_code == 0
    parquet = runner.invoke(app, ["alignment", "--format", "parquet"])
    assert parquet.exit_code == 2 and "--output" in parquet.stderr
