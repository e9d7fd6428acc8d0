"""A generated record of the whole mission (1999-08 to 2026-06) for the accuracy tests.

The four tables the report reads (observations, x-ray sources, counterparts, the
``astromon_21`` cross-match), in the astromon schemas. Each observation has its own aspect
offset, shared by all its sources (as the real record has), drawn around a slow drift whose
scatter shrinks over the mission, so the radii of the last five years differ from those of
all the data. Some rows fail the report's selection: low S/N, off-nominal SIM-Z, a bad
target, an excluded category, CalDB version "0.0".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from astropy.table import Table

from astromon.domain.filters import NOMINAL_SIM_Z
from astromon.domain.time import CxoTime

__all__ = ["FIRST", "LAST", "Record", "generated_record"]

FIRST: Final = float(CxoTime("1999-08-01T00:00:00").secs)
LAST: Final = float(CxoTime("2026-06-01T00:00:00").secs)
DETECTORS: Final = ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I")


@dataclass(frozen=True)
class Record:
    """The generated tables, by astromon table name."""

    tables: dict[str, Table]


def _float32_secs(values: np.ndarray) -> np.ndarray:
    """Times as the schema stores them (float32 CXC seconds), back in float64."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def generated_record(
    seed: int = 2026, n_obs: int = 1200, extra_times: tuple[float, ...] = ()
) -> Record:
    """A generated 1999-2026 record.

    Parameters
    ----------
    seed : int
        Random seed.
    n_obs : int
        Observations spread uniformly over the mission.
    extra_times : tuple of float
        Start times (CXC s) of further observations (e.g. at the edges of a window).
    """
    rng = np.random.default_rng(seed)
    tstart = np.sort(np.concatenate([rng.uniform(FIRST, LAST, n_obs), extra_times]))
    tstart = _float32_secs(tstart)
    n = tstart.size
    obsid = np.arange(1000, 1000 + n, dtype=np.int32)
    detector = rng.choice(DETECTORS, n)
    nominal = np.array([NOMINAL_SIM_Z[d] for d in detector])
    sim_z = nominal + np.where(rng.random(n) < 0.03, rng.uniform(5, 40, n), rng.normal(0, 0.5, n))
    targets = np.array([f"NGC {k}" for k in rng.integers(1, 7000, n)], dtype=object)
    targets[rng.random(n) < 0.02] = "M87"
    category = rng.choice([10, 20, 40, 50, 110, 120], n, p=[0.4, 0.15, 0.15, 0.2, 0.05, 0.05])
    years = (tstart - FIRST) / (365.25 * 86400)
    # per-observation aspect offsets: scatter 0.45" at launch, 0.2" at the end
    scatter = 0.45 - 0.25 * years / years.max()
    obs_dy = rng.normal(0.05, scatter)
    obs_dz = rng.normal(-0.03, scatter)
    dates = CxoTime(tstart).isot
    obs = Table(
        {
            "obsid": obsid,
            "version": np.ones(n),
            "detector": detector,
            "target": targets.astype(str),
            "grating": np.where(rng.random(n) < 0.1, "HETG", "NONE"),
            "sim_z": sim_z,
            "date_obs": [str(d)[:19] for d in dates],
            "tstart": tstart,
            "ascdsver": ["10.12.2"] * n,
            "ra": rng.uniform(0, 360, n),
            "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, n))),
            "roll": rng.uniform(0, 360, n),
            "category_id": category,
        }
    )
    per_obs = rng.integers(1, 15, n)
    src_obs = np.repeat(np.arange(n), per_obs)
    m = src_obs.size
    src_id = np.concatenate([np.arange(k) for k in per_obs]).astype(np.int32)
    dy = obs_dy[src_obs] + rng.normal(0, 0.15, m)
    dz = obs_dz[src_obs] + rng.normal(0, 0.15, m)
    dr = np.hypot(dy, dz)
    keep = dr < 3.0  # the cross-match keeps pairs closer than 3"
    src_obs, src_id, dy, dz, dr = src_obs[keep], src_id[keep], dy[keep], dz[keep], dr[keep]
    m = src_obs.size
    ra, dec = np.asarray(obs["ra"])[src_obs], np.asarray(obs["dec"])[src_obs]
    snr = rng.uniform(2.5, 60, m)
    xray = Table(
        {
            "obsid": obsid[src_obs],
            "id": src_id,
            "ra": ra,
            "dec": dec,
            "net_counts": rng.uniform(20, 2000, m),
            "y_angle": rng.uniform(-100, 100, m),
            "z_angle": rng.uniform(-100, 100, m),
            "r_angle": rng.uniform(0, 110, m),
            "snr": snr,
            "near_neighbor_dist": rng.uniform(10, 100, m),
            "pileup": np.zeros(m),
            "acis_streak": np.zeros(m, dtype=np.int32),
            "caldb_version": np.where(rng.random(m) < 0.01, "0.0", "4.10.0"),
        }
    )
    cat = Table(
        {
            "obsid": obsid[src_obs],
            "id": src_id,
            "x_id": src_id,
            "catalog": rng.choice(["Tycho2", "ICRS", "2MASS"], m, p=[0.6, 0.1, 0.3]),
            "name": [f"star {k}" for k in range(m)],
            "ra": ra,
            "dec": dec,
            "separation": dr,
            "mag": rng.uniform(6, 14, m),
            "y_angle": np.asarray(xray["y_angle"]) - dy,
            "z_angle": np.asarray(xray["z_angle"]) - dz,
        }
    )
    xcorr = Table(
        {
            "select_name": ["astromon_21"] * m,
            "obsid": obsid[src_obs],
            "c_id": src_id,
            "x_id": src_id,
            "dy": dy,
            "dz": dz,
            "dr": dr,
        }
    )
    return Record(
        {
            "astromon_obs": obs,
            "astromon_xray_src": xray,
            "astromon_cat_src": cat,
            "astromon_xcorr": xcorr,
        }
    )
