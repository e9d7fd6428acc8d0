"""Processes of the storage concurrency test (started with multiprocessing's ``spawn``).

Each writer reports the saves that returned (acknowledged); readers check every read against
the saves acknowledged before it started.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

OBSID_BLOCK = 1000
"""Writer ``k`` saves obsids ``k * OBSID_BLOCK + 1 ...``."""


def observation_row(obsid: int) -> dict[str, list[Any]]:
    """One valid ``astromon_obs`` row."""
    return {
        "obsid": [obsid],
        "version": [1.0],
        "detector": ["ACIS-S"],
        "target": [f"target {obsid}"],
        "grating": ["NONE"],
        "sim_z": [-190.1],
        "date_obs": ["2013-02-11T07:39:09"],
        "tstart": [476955550.0],
        "ascdsver": ["10.9.2"],
        "ra": [float(obsid % 360)],
        "dec": [10.0],
        "roll": [30.0],
        "category_id": [10],
    }


def api_writer(dbfile: str, index: int, saves: int, acked: Any, results: Any) -> None:
    """``db.save`` of one observation ``saves`` times; ``acked[index]`` is the last one done."""
    from astromon import db

    done: list[int] = []
    errors: list[str] = []
    for i in range(saves):
        obsid = index * OBSID_BLOCK + i + 1
        try:
            db.save("astromon_obs", observation_row(obsid), dbfile=dbfile)
        except Exception as exc:  # recorded: the test asserts there are none
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        done.append(obsid)
        acked[index] = obsid
    results.put(("api", index, done, errors))


def cli_writer(dbfile: str, index: int, saves: int, results: Any) -> None:
    """``astromon --db F regions add ...`` run ``saves`` times in this process (Typer app)."""
    from typer.testing import CliRunner

    from astromon.cli.app import app

    runner = CliRunner()
    done: list[str] = []
    errors: list[str] = []
    for i in range(saves):
        tag = f"cli-{index}-{i}"
        args = ["--db", dbfile, "regions", "add", "--ra", str(1 + i % 300), "--dec", "5"]
        args += ["--radius", "3", "--comments", tag]
        result = runner.invoke(app, args)
        if result.exit_code == 0:
            done.append(tag)
        else:
            errors.append(f"exit {result.exit_code}: {result.output.strip()[-300:]}")
    results.put(("cli", index, done, errors))


def reader(dbfile: str, index: int, acked: Any, stop: Any, results: Any) -> None:
    """Read in a loop; every read must hold every save acknowledged before it began."""
    from astromon import db

    reads = 0
    errors: list[str] = []
    last_obs = last_regions = 0
    while not stop.is_set() and len(errors) < 20:
        before = [int(v) for v in acked[:]]
        try:
            obsids = set(db.get_table("astromon_obs", dbfile)["obsid"].tolist())
            regions = len(db.get_regions(dbfile=dbfile))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-500:]}")
            continue
        missing = [o for o in before if o and o not in obsids]
        if missing:
            errors.append(f"acknowledged saves {missing} not seen by a later read")
        if len(obsids) < last_obs or regions < last_regions:
            errors.append(
                f"rows went backwards: {last_obs}->{len(obsids)}, {last_regions}->{regions}"
            )
        last_obs, last_regions = len(obsids), regions
        reads += 1
        time.sleep(0.002)
    results.put(("reader", index, reads, errors))
