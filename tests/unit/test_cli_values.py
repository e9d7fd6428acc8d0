"""Values as users type them: every bad one is exit code 2 with one line naming the option (or
the file's column) and the value; the documented forms (sexagesimal, radii with units,
category ids, the defaults of ``regions add``) work on every path that takes them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astromon_adapters.storage.input_files import LocalInputFiles
from typer.testing import CliRunner

from astromon.cli.app import app
from astromon.cli.legacy.region_script import excluded_region_argv
from astromon.cli.region_inputs import login_name
from tests.unit.fake_store import InMemoryStore
from tests.unit.test_cli_operator import store

__all__ = ["store"]  # the fixture: an in-memory store of two observations for every command

runner = CliRunner()


def one_line(result: Any, code: int, *needles: str) -> str:
    assert result.exit_code == code, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return str(lines[0])


def regions_of(memory: InMemoryStore) -> list[dict[str, Any]]:
    table = memory.read_table("astromon_regions")
    return [{name: row[name] for name in table.colnames} for row in table]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["regions", "update", "0123456789", "--obsid", "2147483648"], ["'--obsid'", "2147483648"]),
        (["regions", "add", "--ra", "1", "--dec", "1", "--obsid", "-2147483649"], ["'--obsid'"]),
        (["regions", "list", "--region-id", "99999999999999999999"], ["'--region-id'"]),
        (["regions", "remove", "2147483648"], ["'REGION_IDS'", "2147483648"]),
        (["show", "astromon_obs", "--obsid", "9223372036854775808"], ["'--obsid'"]),
        (["process", "1", "--workers", "2147483648"], ["'--workers'", "2147483648"]),
        (["demo", "-n", "2147483648"], ["'--observations'", "2147483648"]),
        (["regions", "add", "--ra", "1e308", "--dec", "0"], ["--ra 1e+308", "[0, 360)"]),
        (["regions", "add", "--ra", "1", "--dec", "inf"], ["--dec 'inf'", "finite"]),
        (["regions", "add", "--ra", "1", "--dec", "1", "--radius", "1e308"], ["--radius 1e+308"]),
        (["matches", "--snr", "x"], ["'--snr'", "(got 'x')"]),
        (["matches", "--foo"], ["no such option: --foo", "(astromon matches -h for help)"]),
        (["show"], ["missing argument 'TABLE' (astromon show -h for help)"]),
        (["show", "nope"], ["TABLE 'nope'", "Known tables"]),
        (["matches", "nope"], ["NAME 'nope' is not a stored cross-match"]),
        (["matches", "--exclude-category", "3"], ["--exclude-category '3'", "10 Normal Stars"]),
        (["matches", "--columns", "obsid,dr,obsid"], ["--columns 'obsid,dr,obsid'", "['obsid']"]),
        (["process", "--start", "252518688070"], ["--start '252518688070'", "calendar"]),
        (["report", "--now", "-1e12"], ["--now '-1e12'"]),
        (["report", "--now", "Query interrupted"], ["--now 'Query interrupted'"]),
        (["calalign", "offsets", "--bins-per-year", "1e308"], ["'--bins-per-year'", "1e308"]),
    ],
)
def test_bad_values_are_one_line_usage_errors_naming_the_option_and_value(
    store: InMemoryStore, args: list[str], needles: list[str]
) -> None:
    one_line(runner.invoke(app, args), 2, *needles)


def test_regions_add_file_takes_the_defaults_and_forms_of_regions_add(
    store: InMemoryStore, tmp_path: Path
) -> None:
    """A file row without radius, obsid, user or comments gets 5 arcsec, 0, the login name
    and no comments, as the options do; RA/Dec may be sexagesimal and radii carry units."""
    plain = tmp_path / "plain.csv"
    plain.write_text("ra,dec\n12:30:00,-30:15:00\n", encoding="utf-8")
    assert runner.invoke(app, ["regions", "add", "--file", str(plain)]).exit_code == 0
    assert (
        runner.invoke(app, ["regions", "add", "--ra", "12:30:00", "--dec", "-30:15:00"]).exit_code
        == 0
    )
    from_file, from_options = regions_of(store)
    for row in (from_file, from_options):
        assert row["ra"] == pytest.approx(12.5 * 15.0)  # 12h30m in degrees
        assert row["dec"] == pytest.approx(-(30.0 + 15.0 / 60.0))
        assert (row["radius"], row["obsid"], row["user"], row["comments"]) == (
            5.0, 0, login_name(), ""
        )  # fmt: skip
    units = tmp_path / "units.ecsv"
    units.write_text(
        "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: ra, unit: deg, datatype: float64}\n"
        "# - {name: dec, unit: deg, datatype: float64}\n"
        "# - {name: radius, unit: arcmin, datatype: float64}\n# schema: astropy-2.0\n"
        "ra dec radius\n10.0 -5.0 2.0\n",
        encoding="utf-8",
    )
    texts = tmp_path / "texts.csv"
    texts.write_text('ra,dec,radius,user\n10.0,-5.0,0.5arcmin,ops\n20.0,5.0,3",ops\n', "utf-8")
    for path in (units, texts):
        result = runner.invoke(app, ["regions", "add", "--file", str(path)])
        assert result.exit_code == 0, result.output
    radii = [row["radius"] for row in regions_of(store)[2:]]
    assert radii == pytest.approx([2.0 * 60.0, 0.5 * 60.0, 3.0])  # arcmin and '"' in arcsec


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ("ra,dec,radius\n1,2,5 kg\n", ["column radius row 0", "5 kg"]),
        ("ra,ra,dec\n1,2,3\n", ["the columns ['ra'] appear twice"]),
        ("ra,dec\n25:00:00x,1\n", ["column ra row 0", "25:00:00x"]),
        ("ra,dec\n400,1\n", ["ra=400.0", "[0, 360)"]),
    ],
)
def test_bad_values_in_a_regions_file_name_the_column_and_value(
    store: InMemoryStore, tmp_path: Path, content: str, needles: list[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    one_line(runner.invoke(app, ["regions", "add", "--file", str(path)]), 2, *needles)
    assert "astromon_regions" not in store.table_names()


def test_an_unknown_unit_in_a_regions_file_is_refused(store: InMemoryStore, tmp_path: Path) -> None:
    path = tmp_path / "units.ecsv"
    path.write_text(
        "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: ra, datatype: float64}\n"
        "# - {name: dec, datatype: float64}\n# - {name: radius, unit: foo, datatype: float64}\n"
        "# schema: astropy-2.0\nra dec radius\n1 2 3\n",
        encoding="utf-8",
    )
    one_line(runner.invoke(app, ["regions", "add", "--file", str(path)]), 2, "unit 'foo'")


def test_regions_update_takes_sexagesimal_and_units(store: InMemoryStore) -> None:
    assert runner.invoke(app, ["regions", "add", "--ra", "1", "--dec", "1"]).exit_code == 0
    id_str = regions_of(store)[0]["region_id_str"]
    args = ["regions", "update", id_str, "--ra", "01:00:00", "--dec", "-10:30:00"]
    result = runner.invoke(app, [*args, "--radius", "0.1arcmin", "--obsid", "7"])
    assert result.exit_code == 0, result.output
    (row,) = regions_of(store)
    assert (row["ra"], row["dec"], row["radius"], row["obsid"]) == pytest.approx(
        (15.0, -10.5, 6.0, 7)
    )


def test_exclude_category_takes_ids_as_well_as_names(store: InMemoryStore) -> None:
    every = json.loads(runner.invoke(app, ["matches", "--format", "json"]).stdout)
    kept = {}
    for value in ("10", "normal stars and wd", "Normal Stars and WD", "20"):
        result = runner.invoke(app, ["matches", "--exclude-category", value, "--format", "json"])
        assert result.exit_code == 0, result.output
        kept[value] = json.loads(result.stdout)
    # an independent filter: the rows whose category is not the one left out
    named = [r for r in every if r["category"].lower() != "normal stars and wd"]
    assert kept["10"] == kept["normal stars and wd"] == kept["Normal Stars and WD"] == named
    assert kept["20"] == [r for r in every if r["category"] != "WD Binaries and CVs"]
    assert len(every) > len(named)


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('[{"tstart": "2020:001", "dy": 1e308, "dz": 0}]', ["row 0: dy 1e+308", "half the sky"]),
        ('[{"tstart": 1e308, "dy": 0.1, "dz": 0}]', ["row 0: tstart 1e+308"]),
        ('[{"tstart": "2020:001", "dy": 0.1, "dz": 0, "n": 1e30}]', ["row 0: n 1e+30"]),
    ],
)
def test_absurd_values_in_an_offsets_file_name_the_row_and_column(
    store: InMemoryStore, tmp_path: Path, text: str, needles: list[str]
) -> None:
    path = tmp_path / "steps.json"
    path.write_text(text, encoding="utf-8")
    args = ["report", "--offsets-file", str(path), "--out", str(tmp_path / "r")]
    one_line(runner.invoke(app, args), 2, "--offsets-file", *needles)
    assert not (tmp_path / "r").exists()


def test_an_unknown_unit_in_an_offsets_file_is_refused(
    store: InMemoryStore, tmp_path: Path
) -> None:
    path = tmp_path / "steps.ecsv"
    path.write_text(
        "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: tstart, datatype: float64}\n"
        "# - {name: dy, unit: foo, datatype: float64}\n# - {name: dz, datatype: float64}\n"
        "# schema: astropy-2.0\ntstart dy dz\n5e8 1 0\n",
        encoding="utf-8",
    )
    args = ["report", "--offsets-file", str(path), "--out", str(tmp_path / "r")]
    one_line(runner.invoke(app, args), 2, "column dy has the unit 'foo'")


def test_offset_steps_in_other_angular_units_are_converted(tmp_path: Path) -> None:
    from astromon.services.calibration.offset_files import read_offsets

    path = tmp_path / "steps.ecsv"
    path.write_text(
        "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: tstart, unit: s, datatype: float64}\n"
        "# - {name: dy, unit: mas, datatype: float64}\n"
        "# - {name: dz, unit: arcmin, datatype: float64}\n"
        "# schema: astropy-2.0\ntstart dy dz\n5e8 250 0.01\n",
        encoding="utf-8",
    )
    steps = read_offsets(path, LocalInputFiles())
    assert (float(steps["dy"][0]), float(steps["dz"][0])) == pytest.approx((0.25, 0.6))


def test_the_legacy_region_script_reads_sexagesimal_like_regions_add() -> None:
    argv = excluded_region_argv(["add", "--ra", "12:30:00", "--dec", "30:00:00",
                                 "--radius", "0.5arcmin", "--username", "ops"])  # fmt: skip
    values = dict(itertools.pairwise(argv))
    assert float(values["--ra"]) == pytest.approx(187.5)
    assert float(values["--dec"]) == pytest.approx(30.0)
    assert float(values["--radius"]) == pytest.approx(30.0)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--ra", "12:30:xx", "--dec", "30:00:00"], "--ra '12:30:xx' is not an angle"),
        (["--ra", "1", "--dec", "1", "--radius", "5 kg"], "--radius must be an angle"),
    ],
)
def test_bad_values_of_the_legacy_region_script_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    with pytest.raises(SystemExit) as raised:
        excluded_region_argv(["add", *args])
    assert raised.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("astromon-excluded-region: error: ")
    assert needle in err[0]


def test_a_region_obsid_at_the_int32_bounds_is_stored(store: InMemoryStore) -> None:
    for obsid in ("2147483647", "-2147483648"):
        result = runner.invoke(app, ["regions", "add", "--ra", "1", "--dec", "1", "--obsid", obsid])
        assert result.exit_code == 0, result.output
    assert sorted(int(o) for o in np.asarray(store.read_table("astromon_regions")["obsid"])) == [
        -(2**31), 2**31 - 1
    ]  # fmt: skip
