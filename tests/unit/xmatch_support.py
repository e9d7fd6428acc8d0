"""Helpers for the cross-matching tests: typed tables from rows, hypothesis strategies and
plain, obviously-correct reference implementations (loops, N×M) to compare against."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Column, Table
from hypothesis import strategies as st

from astromon.domain.geometry import angular_separation_arcsec
from astromon.domain.schema import TABLES, set_formats
from astromon.domain.time import CxoTime

TABLE_FILES = ("astromon_obs", "astromon_xray_src", "astromon_cat_src", "astromon_xcorr")


def make_table(name: str, rows: Sequence[Mapping[str, Any]]) -> Table:
    """A table with the schema of ``name`` from a list of row dicts (empty list → empty)."""
    columns = []
    for spec in TABLES[name].columns:
        values = [row[spec.name] for row in rows]
        dtype = spec.dtype if spec.kind != "str" else np.dtype(str)
        columns.append(Column(np.array(values, dtype=dtype), name=spec.name))
    return set_formats(Table(columns))


def read_reference(directory: Path) -> dict[str, Table]:
    """The reference ECSV tables, read with astropy."""
    return {
        name: Table.read(directory / f"{name}.ecsv", format="ascii.ecsv")
        for name in (*TABLE_FILES, "astromon_regions")
    }


# --- strategies --------------------------------------------------------------------------

DATES = ["2013-02-11T07:39:09", "2013-08-04T14:17:03", "2014-01-01T00:00:00"]
GRATINGS = ["NONE", "NONE", "HETG", "LETG"]
DETECTORS = ["ACIS-I", "ACIS-S", "HRC-I", "HRC-S", "ACIS-X"]
CATALOGS = ["ICRS", "Tycho2", "2MASS"]
# values straddling the thresholds used in the tests, so that ties (==) happen
SNRS = [2.0, 3.0, 4.0, 5.0, 10.0, 10.0]
NNDS = [5.0, 6.0, 7.0, 30.0]
R_ANGLES = [10.0, 10.0, 24.0, 50.0, 120.0, 130.0]
# focal-plane angles whose differences give equal dr for different counterparts
ANGLES = [0.0, 0.0, 1.0, -1.0, 2.0, 0.5]


@st.composite
def observations(draw: st.DrawFn, obsids: Sequence[int]) -> list[dict[str, Any]]:
    rows = []
    for obsid in obsids:
        rows.append(
            {
                "obsid": obsid,
                "version": 10.09,
                "detector": draw(st.sampled_from(DETECTORS)),
                "target": draw(st.sampled_from(["RW Aur A", "NGC 1624", "m87 core", "X"])),
                "grating": draw(st.sampled_from(GRATINGS)),
                "sim_z": draw(st.sampled_from([-233.587, -190.143, -186.0, 0.0, 126.983, 3.5])),
                "date_obs": draw(st.sampled_from(DATES)),
                "tstart": 4.7e8,
                "ascdsver": "10.9.2",
                "ra": 10.0,
                "dec": 20.0,
                "roll": 30.0,
                "category_id": draw(st.sampled_from([10, 50, 110, 200])),
            }
        )
    return rows


@st.composite
def cross_match_inputs(draw: st.DrawFn) -> tuple[Table, Table, Table]:
    """Random obs / x-ray / counterpart tables with ties, empty groups and dangling keys."""
    obs_ids = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4, unique=True))
    obs = draw(observations(obs_ids))
    # mostly sources of known observations, sometimes of an observation that is absent
    xray_obsid = st.sampled_from(obs_ids) if obs_ids else st.integers(1, 6)
    xray_keys = draw(
        st.lists(
            st.tuples(st.one_of(xray_obsid, xray_obsid, st.integers(1, 6)), st.integers(-2, 4)),
            max_size=12,
            unique=True,
        )
    )
    xray = []
    for obsid, ident in xray_keys:
        xray.append(
            {
                "obsid": obsid,
                "id": ident,
                "ra": 10.0,
                "dec": 20.0,
                "net_counts": 10.0,
                "y_angle": draw(st.sampled_from(ANGLES)),
                "z_angle": draw(st.sampled_from(ANGLES)),
                "r_angle": draw(st.sampled_from(R_ANGLES)),
                "snr": draw(st.sampled_from(SNRS)),
                "near_neighbor_dist": draw(st.sampled_from(NNDS)),
                "pileup": 0.0,
                "acis_streak": 0,
                "caldb_version": "4.10.0",
            }
        )
    n_cat = draw(st.integers(0, 20))
    cat = []
    next_id: dict[int, int] = {}
    # mostly counterparts of existing sources, sometimes dangling ones
    any_key = st.tuples(st.integers(1, 6), st.integers(-2, 4))
    known_key = st.sampled_from(xray_keys) if xray_keys else any_key
    cat_key = st.one_of(known_key, known_key, known_key, any_key)
    for _ in range(n_cat):
        obsid, x_id = draw(cat_key)
        ident = next_id.get(obsid, 0)
        next_id[obsid] = ident + 1
        cat.append(
            {
                "obsid": obsid,
                "id": ident,
                "x_id": x_id,
                "catalog": draw(st.sampled_from(CATALOGS)),
                "name": f"star-{ident}",
                "ra": 10.0,
                "dec": 20.0,
                "separation": 0.5,
                "mag": draw(st.sampled_from([float("nan"), 10.0, 12.5])),
                "y_angle": draw(st.sampled_from(ANGLES)),
                "z_angle": draw(st.sampled_from(ANGLES)),
            }
        )
    return (
        make_table("astromon_obs", obs),
        make_table("astromon_xray_src", xray),
        make_table("astromon_cat_src", cat),
    )


simple_arguments = st.fixed_dictionaries(
    {
        "catalogs": st.sampled_from(
            [["ICRS", "Tycho2"], ["Tycho2", "ICRS"], ["2MASS"], ["2MASS", "ICRS", "Tycho2"]]
        ),
        "snr": st.sampled_from([0.0, 3.0]),
        "r_angle": st.sampled_from([24.0, 120.0, 120.0]),
        "r_angle_grating": st.sampled_from([0.0, 24.0, 120.0, 120.0]),
        "dr": st.sampled_from([1.0, 2.0, 10.0, 10.0]),
        "near_neighbor_dist": st.sampled_from([0.0, 0.0, 6.0]),
        "start": st.sampled_from([None, None, None, *DATES]),
        "stop": st.sampled_from([None, None, None, *DATES]),
    }
)


# --- reference implementations -------------------------------------------------------------


def _rows(table: Table) -> list[dict[str, Any]]:
    return [{name: row[name] for name in table.colnames} for row in table]


def reference_simple_cross_match(
    obs: Table, xray: Table, cat: Table, args: Mapping[str, Any]
) -> list[tuple[int, int, int, float, float, float, int]]:
    """(obsid, x_id, c_id, dy, dz, dr, cat_order) of the SPEC §3 simple cross-match, by loops."""
    catalogs = list(args["catalogs"])
    start = CxoTime(args["start"]).secs if args.get("start") is not None else None
    stop = CxoTime(args["stop"]).secs if args.get("stop") is not None else None
    candidates: dict[tuple[int, int], list[tuple[int, float, int, float, float]]] = {}
    for o in _rows(obs):
        secs = CxoTime(str(o["date_obs"])).secs
        if (start is not None and not secs > start) or (stop is not None and not secs <= stop):
            continue
        for x in _rows(xray):
            if x["obsid"] != o["obsid"]:
                continue
            if not (
                x["snr"] > args["snr"] and x["near_neighbor_dist"] > args["near_neighbor_dist"]
            ):
                continue
            for c in _rows(cat):
                if c["obsid"] != x["obsid"] or c["x_id"] != x["id"]:
                    continue
                if c["catalog"] not in catalogs:
                    continue
                dy = np.float32(x["y_angle"]) - np.float32(c["y_angle"])
                dz = np.float32(x["z_angle"]) - np.float32(c["z_angle"])
                dr = np.hypot(dy, dz)
                limit = args["r_angle"] if o["grating"] == "NONE" else args["r_angle_grating"]
                if not (x["r_angle"] < limit and dr < args["dr"]):
                    continue
                key = (int(x["obsid"]), int(x["id"]))
                entry = (
                    catalogs.index(c["catalog"]),
                    float(dr),
                    int(c["id"]),
                    float(dy),
                    float(dz),
                )
                candidates.setdefault(key, []).append(entry)
    result = []
    for (obsid, x_id), entries in sorted(candidates.items()):
        cat_order, dr, c_id, dy, dz = min(entries)
        result.append((obsid, x_id, c_id, dy, dz, dr, cat_order))
    return result


def reference_in_regions(
    ra: Iterable[float], dec: Iterable[float], obsid: Iterable[int] | None, regions: Table
) -> tuple[list[bool], list[float]]:
    """N×M loop: (inside?, closest |separation - radius| in arcsec) for each position."""
    ras, decs = list(ra), list(dec)
    obsids = list(obsid) if obsid is not None else [None] * len(ras)
    inside, margin = [], []
    for r, d, o in zip(ras, decs, obsids, strict=True):
        hit, closest = False, math.inf
        for reg in _rows(regions):
            applies = o is None or reg["obsid"] <= 0 or reg["obsid"] == o
            if not applies:
                continue
            sep = float(angular_separation_arcsec(r, d, reg["ra"], reg["dec"]))
            closest = min(closest, abs(sep - float(reg["radius"])))
            hit = hit or sep < float(reg["radius"])
        inside.append(hit)
        margin.append(closest)
    return inside, margin
