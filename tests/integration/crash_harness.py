"""SIGKILL crash harness for the DuckDB store.

Run as a script (``python tests/integration/crash_harness.py --workdir DIR --kills 100``), it

1. creates ``DIR/astromon.duckdb`` (one observation) and ``DIR/regions-source.duckdb``
   (regions to sync from);
2. ``kills`` times: forks a writer process that loops over random operations — saves of whole
   observations (obs, x-ray sources, counterparts, cross-matches and their alignment of one
   obsid in one ``Store.save_many`` transaction), region additions / removals / updates and
   region syncs through the public ``astromon.db`` functions — and kills it with SIGKILL
   after a random delay;
3. after each kill, opens the file and checks that
   * it passes the integrity check (``bootstrap().check_database``),
   * every observation is wholly present or wholly absent: each stored obsid has exactly the
     rows of one saved version in every table, and no table has rows of an obsid missing from
     ``astromon_obs``,
   * nothing committed was lost: the writer journals ``intent``/``done`` lines (fsynced)
     around each save; the stored version of an obsid is its last ``done`` version or the one
     in flight at the kill.

It prints a JSON summary (kills, operations in flight at the kill, whether the in-flight save
was committed or rolled back, failures) and exits 1 when any check failed. Writers are forked
from the already-initialised harness so each round costs milliseconds, not an interpreter
start.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table

N_OBSIDS = 25
"""Obsids 1..N_OBSIDS are written, so saves often replace a stored observation."""


def sizes(obsid: int, version: int) -> tuple[int, int, int, int]:
    """Rows of (x-ray sources, counterparts, cross-matches, alignment) of one saved version."""
    n_src = 1 + (obsid * 7 + version) % 6
    n_cat = 1 + (obsid + version) % 4
    return n_src, n_cat, min(n_src, n_cat), 1


def observation_tables(obsid: int, version: int) -> dict[str, Table]:
    """The five tables of one observation; ``version`` is stored in every table (the
    cross-match and its alignment are named ``v{version}``)."""
    from astromon.domain.alignment.stored import alignment_rows

    n_src, n_cat, n_x, _ = sizes(obsid, version)
    tag = f"v{version}"
    rng = np.random.default_rng(obsid * 100_003 + version)
    obs = Table(
        {
            "obsid": [obsid],
            "version": [float(version)],
            "detector": ["ACIS-S"],
            "target": [f"target {obsid} ✓"],
            "grating": ["NONE"],
            "sim_z": [-190.1],
            "date_obs": ["2020-01-01T00:00:00"],
            "tstart": [7.0e8],
            "ascdsver": [tag],
            "ra": [rng.uniform(0, 360)],
            "dec": [rng.uniform(-80, 80)],
            "roll": [rng.uniform(0, 360)],
            "category_id": [10],
        }
    )
    xray = Table(
        {
            "obsid": np.full(n_src, obsid),
            "id": np.arange(n_src),
            "ra": rng.uniform(0, 360, n_src),
            "dec": rng.uniform(-80, 80, n_src),
            "net_counts": rng.uniform(10, 1000, n_src),
            "y_angle": rng.normal(0, 60, n_src),
            "z_angle": rng.normal(0, 60, n_src),
            "r_angle": rng.uniform(0, 100, n_src),
            "snr": rng.uniform(3, 50, n_src),
            "near_neighbor_dist": rng.uniform(5, 100, n_src),
            "pileup": np.zeros(n_src),
            "acis_streak": np.zeros(n_src, dtype=int),
            "caldb_version": [tag] * n_src,
        }
    )
    cat = Table(
        {
            "obsid": np.full(n_cat, obsid),
            "id": np.arange(n_cat),
            "x_id": np.arange(n_cat) % n_src,
            "catalog": ["Tycho2"] * n_cat,
            "name": [tag] * n_cat,
            "ra": rng.uniform(0, 360, n_cat),
            "dec": rng.uniform(-80, 80, n_cat),
            "separation": rng.uniform(0, 3, n_cat),
            "mag": np.full(n_cat, np.nan),
            "y_angle": rng.normal(0, 60, n_cat),
            "z_angle": rng.normal(0, 60, n_cat),
        }
    )
    xcorr = Table(
        {
            "select_name": [tag] * n_x,
            "obsid": np.full(n_x, obsid),
            "c_id": np.arange(n_x),
            "x_id": np.arange(n_x),
            "dy": rng.normal(0, 1, n_x),
            "dz": rng.normal(0, 1, n_x),
            "dr": rng.uniform(0, 1, n_x),
        }
    )
    pairs = Table(
        {
            **{c: xcorr[c] for c in ("select_name", "obsid", "x_id", "c_id", "dy", "dz")},
            **{f"x_{c}": xray[c][:n_x] for c in ("y_angle", "z_angle")},
            **{c: xray[c][:n_x] for c in ("net_counts", "r_angle")},
            "catalog": cat["catalog"][:n_x],
        }
    )
    return {
        "astromon_obs": obs,
        "astromon_xray_src": xray,
        "astromon_cat_src": cat,
        "astromon_xcorr": xcorr,
        "astromon_alignment": alignment_rows(pairs),
    }


def save_observation(dbfile: Path, obsid: int, version: int) -> None:
    """One transaction with the five tables of ``obsid``."""
    from astromon.bootstrap import bootstrap
    from astromon.domain.schema import to_schema
    from astromon.ports.store import TableWrite

    store = bootstrap().store(dbfile, write=True)
    writes = [TableWrite(n, to_schema(n, t)) for n, t in observation_tables(obsid, version).items()]
    store.save_many(writes)


def _journal(handle: Any, line: str) -> None:
    handle.write(line + "\n")
    handle.flush()
    os.fsync(handle.fileno())


def writer(
    dbfile: Path, source: Path, journal: Path, seed: int, first_version: int, first_obsid: int = 1
) -> None:
    """Loop over random writes of obsids ``first_obsid ...`` until killed (a forked child)."""
    from astromon import db

    rng = random.Random(seed)
    version = first_version
    with open(journal, "a", encoding="utf-8") as log:
        for _ in range(100_000):
            op = rng.choices(["save", "add", "remove", "update", "sync"], [6, 2, 1, 1, 1])[0]
            if op == "save":
                obsid = first_obsid + rng.randint(0, N_OBSIDS - 1)
                version += 1
                _journal(log, f"intent save {obsid} {version}")
                save_observation(dbfile, obsid, version)
                _journal(log, f"done save {obsid} {version}")
                continue
            _journal(log, f"intent {op}")
            if op == "add":
                n = rng.randint(1, 3)
                db.add_regions(
                    {
                        "ra": [rng.uniform(0, 359) for _ in range(n)],
                        "dec": [rng.uniform(-89, 89) for _ in range(n)],
                        "radius": [rng.uniform(1, 30) for _ in range(n)],
                        "obsid": [rng.choice([0, rng.randint(1, N_OBSIDS)]) for _ in range(n)],
                        "user": ["crash-harness"] * n,
                        "comments": [f"seed {seed} ünïcode"] * n,
                    },
                    dbfile=dbfile,
                )
            elif op == "remove":
                stored = db.get_regions(dbfile=dbfile)
                if len(stored):
                    db.remove_regions([int(rng.choice(list(stored["region_id"])))], dbfile=dbfile)
            elif op == "update":
                stored = db.get_regions(dbfile=dbfile)
                if len(stored):
                    i = rng.randrange(len(stored))
                    row = stored[i : i + 1]
                    row.replace_column("comments", [f"edited by seed {seed} #{rng.random():.6f}"])
                    db.update_regions(row, dbfile=dbfile)
            else:
                db.sync_regions(source, dbfile, remove=rng.random() < 0.2)
            _journal(log, f"done {op}")


def read_journal(
    journal: Path,
) -> tuple[dict[int, set[int | None]], tuple[str, int, int] | None]:
    """Versions each obsid may hold, and the operation in flight at the last kill.

    An obsid may hold its last ``done`` version or any version whose save started after it
    (a writer killed between the commit and its ``done`` line leaves such an intent); an
    obsid never saved to the end may also be absent (None).
    """
    allowed: dict[int, set[int | None]] = {}
    in_flight: tuple[str, int, int] | None = None
    if not journal.exists():
        return allowed, None
    for line in journal.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue  # a line torn by the kill
        kind, op = parts[0], parts[1]
        numbers = [int(p) for p in parts[2:4]] if len(parts) >= 4 else [0, 0]
        if kind == "intent":
            in_flight = (op, numbers[0], numbers[1])
            if op == "save":
                allowed.setdefault(numbers[0], {None}).add(numbers[1])
        elif kind == "done":
            in_flight = None
            if op == "save":
                allowed[numbers[0]] = {numbers[1]}
    return allowed, in_flight


def whole_observation_problems(dbfile: Path) -> tuple[list[str], dict[int, int]]:
    """Observations that are not wholly present, and the stored version of each obsid."""
    from astromon_adapters.storage.duckdb.store import DuckDBStore, release_connections

    problems: list[str] = []
    store = DuckDBStore(dbfile, lock_timeout=30.0, linger=0.0)
    tables = store.read_tables(
        [
            "astromon_obs",
            "astromon_xray_src",
            "astromon_cat_src",
            "astromon_xcorr",
            "astromon_alignment",
        ]
    )
    release_connections(dbfile)
    stored = {
        int(o): round(float(v))
        for o, v in zip(
            tables["astromon_obs"]["obsid"], tables["astromon_obs"]["version"], strict=True
        )
    }
    tag_column = {
        "astromon_xray_src": "caldb_version",
        "astromon_cat_src": "name",
        "astromon_xcorr": "select_name",
        "astromon_alignment": "select_name",
    }
    for position, (name, column) in enumerate(tag_column.items()):
        table = tables[name]
        obsids = np.asarray(table["obsid"])
        for obsid in sorted(set(obsids.tolist()) - set(stored)):
            problems.append(f"{name} has rows of obsid {obsid}, absent from astromon_obs")
        for obsid, version in stored.items():
            rows = table[obsids == obsid]
            expected = sizes(obsid, version)[position]
            tags = set(np.asarray(rows[column]).tolist())
            if len(rows) != expected or tags != {f"v{version}"}:
                problems.append(
                    f"obsid {obsid} is partial in {name}: {len(rows)} rows tagged {sorted(tags)}, "
                    f"expected {expected} rows of v{version}"
                )
    return problems, stored


def verify(dbfile: Path, journal: Path) -> tuple[list[str], str]:
    """Problems found in ``dbfile`` after a kill, and the fate of the in-flight operation."""
    from astromon.bootstrap import bootstrap

    report = bootstrap().check_database(dbfile)
    problems = [f"integrity: {p}" for p in report.problems]
    whole, stored = whole_observation_problems(dbfile)
    problems += whole
    allowed, in_flight = read_journal(journal)
    fate = "none"
    if in_flight is not None:
        op, obsid, version = in_flight
        if op == "save":
            fate = "committed" if stored.get(obsid) == version else "rolled back"
        else:
            fate = op
    for obsid, versions in allowed.items():
        if stored.get(obsid) not in versions:
            problems.append(
                f"lost write: obsid {obsid} may hold {versions}, the file has {stored.get(obsid)}"
            )
    for obsid in sorted(set(stored) - set(allowed)):
        problems.append(f"obsid {obsid} v{stored[obsid]} is stored but was never saved")
    return problems, fate


GROWTH_CEILING = 120.0
"""Seconds to wait for a journal to grow before giving up (a stuck writer, not a slow one)."""


def wait_for_growth(journal: Path, size: int, pid: int | None = None) -> bool:
    """Wait until ``journal`` is longer than ``size`` bytes, polling; False after
    :data:`GROWTH_CEILING` seconds or when the process ``pid`` ended meanwhile.

    The harness waits for what happened (a line written), never for a fixed time, so that a
    loaded machine makes it slower, not wrong.
    """
    ceiling = time.monotonic() + GROWTH_CEILING
    while time.monotonic() < ceiling:
        if journal.exists() and journal.stat().st_size > size:
            return True
        if pid is not None and os.waitpid(pid, os.WNOHANG) != (0, 0):
            return False
        time.sleep(0.002)
    return False


def run(workdir: Path, kills: int, seed: int, max_delay: float) -> dict[str, Any]:
    """Run the harness; returns the summary."""
    from astromon import db

    workdir.mkdir(parents=True, exist_ok=True)
    dbfile = workdir / "astromon.duckdb"
    source = workdir / "regions-source.duckdb"
    journal = workdir / "journal.txt"
    save_observation(dbfile, 1, 1)
    Path(journal).write_text("done save 1 1\n", encoding="utf-8")
    db.add_regions(
        {
            "ra": [10.0, 20.0, 30.0],
            "dec": [0.0, 10.0, -10.0],
            "radius": [5.0, 6.0, 7.0],
            "obsid": [0, 2, 3],
            "user": ["source"] * 3,
            "comments": ["a", "b", "c"],
        },
        dbfile=source,
    )
    from astromon_adapters.storage.duckdb.store import release_connections

    release_connections()
    rng = random.Random(seed)
    fates: Counter[str] = Counter()
    failures: list[str] = []
    wal_at_kill = 0
    version = 1
    started = time.monotonic()
    for round_ in range(kills):
        version += 10_000
        pid = os.fork()
        if pid == 0:  # the writer
            code = 0
            try:
                writer(dbfile, source, journal, seed * 1_000_003 + round_, version)
            except BaseException as exc:  # report unexpected errors of the writer itself
                print(f"writer error: {type(exc).__name__}: {exc}", file=sys.stderr)
                code = 3
            os._exit(code)
        wait_for_growth(journal, journal.stat().st_size, pid)  # the writer is writing
        time.sleep(rng.uniform(0.005, max_delay))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
            failures.append(f"round {round_}: writer ended on its own (status {status})")
        wal_at_kill += (workdir / "astromon.duckdb.wal").exists()
        try:
            problems, fate = verify(dbfile, journal)
        except Exception as exc:
            problems, fate = [f"cannot open after kill: {type(exc).__name__}: {exc}"], "error"
        fates[fate] += 1
        failures += [f"round {round_}: {p}" for p in problems]
        if len(failures) > 50:
            break
    from astromon_adapters.storage.duckdb.store import DuckDBStore

    store = DuckDBStore(dbfile, linger=0.0)
    counts = {name: len(store.read_table(name)) for name in store.table_names()}
    release_connections()
    return {
        "kills": sum(fates.values()),
        "seed": seed,
        "max_delay_s": max_delay,
        "in_flight_at_kill": dict(fates),
        "wal_present_after_kill": wal_at_kill,
        "final_row_counts": counts,
        "failures": failures,
        "elapsed_s": round(time.monotonic() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=0.25, help="seconds")
    args = parser.parse_args(argv)
    summary = run(args.workdir, args.kills, args.seed, args.max_delay)
    print(json.dumps(summary, indent=1))
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
