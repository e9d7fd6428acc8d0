"""Fakes for the operations tests: a scripted, picklable ObservationProcessor."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from astropy.table import Table

from astromon.domain.alignment.stored import alignment_rows
from astromon.domain.schema import to_schema
from astromon.ports.processing import ObservationOutcome


def fake_tables(obsid: int) -> dict[str, Table]:
    """Deterministic rows of one observation: 1 obs row, 3 sources, 2 counterparts, 1 match
    and its alignment row."""
    rng = np.random.default_rng(obsid)
    detector = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")[obsid % 4]
    obs = to_schema(
        "astromon_obs",
        {
            "obsid": [obsid],
            "version": [10.0902],
            "detector": [detector],
            "target": [f"Target {obsid}"],
            "grating": ["NONE"],
            "sim_z": [-190.143],
            "date_obs": ["2014-03-01T00:00:00"],
            "tstart": [5.15e8 + obsid],
            "ascdsver": ["10.9.2"],
            "ra": [10.0 + obsid % 7],
            "dec": [-5.0],
            "roll": [120.0],
            "category_id": [10],
        },
    )
    n = 3
    xray = to_schema(
        "astromon_xray_src",
        {
            "obsid": np.full(n, obsid),
            "id": np.arange(1, n + 1),
            "ra": 10.0 + rng.random(n) * 0.01,
            "dec": -5.0 + rng.random(n) * 0.01,
            "net_counts": rng.random(n) * 100,
            "y_angle": rng.random(n) * 60,
            "z_angle": rng.random(n) * 60,
            "r_angle": rng.random(n) * 80,
            "snr": 3 + rng.random(n) * 10,
            "near_neighbor_dist": 10 + rng.random(n),
            "pileup": np.zeros(n),
            "acis_streak": np.zeros(n, dtype=int),
            "caldb_version": ["4.6.2"] * n,
        },
    )
    cat = to_schema(
        "astromon_cat_src",
        {
            "obsid": [obsid, obsid],
            "id": [0, 1],
            "x_id": [1, 2],
            "catalog": ["Tycho2", "ICRS"],
            "name": [f"{obsid}-1", f"{obsid}-2"],
            "ra": [10.0, 10.001],
            "dec": [-5.0, -5.001],
            "separation": [0.5, 0.7],
            "mag": [9.5, np.nan],
            "y_angle": [1.0, 2.0],
            "z_angle": [3.0, 4.0],
        },
    )
    xcorr = to_schema(
        "astromon_xcorr",
        {
            "select_name": ["astromon_21"],
            "obsid": [obsid],
            "c_id": [0],
            "x_id": [1],
            "dy": [0.1],
            "dz": [-0.2],
            "dr": [float(np.hypot(0.1, 0.2))],
        },
    )
    source = xray[0]  # the x-ray source of the match (id 1)
    joined = Table(
        {
            "select_name": xcorr["select_name"],
            "obsid": xcorr["obsid"],
            "x_id": xcorr["x_id"],
            "c_id": xcorr["c_id"],
            "dy": xcorr["dy"],
            "dz": xcorr["dz"],
            "x_y_angle": [source["y_angle"]],
            "x_z_angle": [source["z_angle"]],
            "net_counts": [source["net_counts"]],
            "r_angle": [source["r_angle"]],
            "catalog": [cat["catalog"][0]],
        }
    )
    return {
        "astromon_obs": obs,
        "astromon_xray_src": xray,
        "astromon_cat_src": cat,
        "astromon_xcorr": xcorr,
        "astromon_alignment": alignment_rows(joined),
    }


@dataclass(frozen=True)
class ScriptedProcessor:
    """Does, per obsid, what ``script`` says; the default is a normal OK outcome.

    Actions: ``"ok"``, ``"skip"`` (not selected), ``"error"`` (an ERROR outcome),
    ``"raise"`` (an unexpected RuntimeError), ``"interrupt"`` (KeyboardInterrupt, like Ctrl-C),
    ``"die"`` (the worker process exits at once, like a kill), ``"hang"`` (writes
    ``$ASTROMON_TEST_MARKER`` and sleeps, so that a test can kill the batch there), ``"slow"``
    (an OK outcome after 50 ms, like a short real observation).
    """

    script: Mapping[int, str] = field(default_factory=dict)
    default: str = "ok"

    def process(self, obsid: int) -> ObservationOutcome:
        action = self.script.get(obsid, self.default)
        if action == "skip":
            return ObservationOutcome.skip(obsid, "not selected", "obs_mode is not POINTING")
        if action == "error":
            return ObservationOutcome.error(obsid, "ProcessingError", "celldetect failed")
        if action == "raise":
            raise RuntimeError(f"bug while processing {obsid}")
        if action == "interrupt":
            raise KeyboardInterrupt
        if action == "die":
            os._exit(17)
        if action == "hang":  # tell the test we are here, then wait to be killed
            marker = os.environ.get("ASTROMON_TEST_MARKER")
            if marker:
                Path(marker).write_text(str(obsid))
            time.sleep(600)
        if action == "slow":
            time.sleep(0.05)
        return ObservationOutcome.ok(obsid, fake_tables(obsid))


def scripted_from_env() -> ScriptedProcessor:
    """A ScriptedProcessor from ``$ASTROMON_TEST_SCRIPT`` (``"2:error,3:skip"``; ``*:slow``
    gives every other obsid the action ``slow``).

    Used by CLI tests as ``--processor tests.unit.ops_fakes:scripted_from_env``.
    """
    text = os.environ.get("ASTROMON_TEST_SCRIPT", "")
    script, default = {}, "ok"
    for item in filter(None, (p.strip() for p in text.split(","))):
        obsid, _, action = item.partition(":")
        if obsid == "*":
            default = action
        else:
            script[int(obsid)] = action
    return ScriptedProcessor(script, default)
