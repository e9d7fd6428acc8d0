"""A dense USNO-B1.0 field observed in 2025, served by the VizieR-shaped server of the tests,
for the ``vizier_cones`` benchmark case.

The field: x-ray sources within 4' of a pointing, and USNO-B1.0 stars at 25,000 per square
degree (the catalog's mean density) over 10' around it, positions at J2000. Motions: each
component normal with sigma 15 mas/yr, rounded to integer mas/yr as USNO-B1.0 stores them;
0.3% of the stars fast (150 to 3,000 mas/yr, log-uniform, any direction); 3% without
motion. 70% of the sources have a slow star within 2" of them in 2025, 5% a fast one.

The server is :mod:`tests.integration.fake_vizier` (VizieR's cone at J2000 positions, its
column constraints), run on 127.0.0.1 in the worker process; it records the rows of each
answer. Units: degrees, arcsec, mas/yr, Julian years.
"""

from __future__ import annotations

import atexit
import hashlib
import math
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from numpy.typing import NDArray

from tests.integration.catalog_rows import Star, vizier_catalogs
from tests.integration.fake_vizier import FakeVizier, move_many, running

__all__ = [
    "EPOCH",
    "RADIUS_ARCSEC",
    "Field",
    "dense_field",
    "names_summary",
    "serve",
]

EPOCH: Final = 2025.5
"""Julian epoch of the observation."""

RADIUS_ARCSEC: Final = 3.0
"""The search radius of the rough match."""

POINTING: Final = (150.1, 2.2)
"""The pointing (degrees): a field of the COSMOS survey."""

STARS_PER_DEG2: Final = 25_000.0
FIELD_ARCMIN: Final = 10.0
SOURCES_ARCMIN: Final = 4.0


@dataclass(frozen=True)
class Field:
    """The x-ray sources (degrees) and the USNO-B1.0 stars of the field."""

    ra: NDArray[np.float64]
    dec: NDArray[np.float64]
    stars: list[Star]


def _disc(rng: np.random.Generator, n: int, arcmin: float) -> SkyCoord:
    centre = SkyCoord(*POINTING, unit="deg")
    distance = arcmin * np.sqrt(rng.uniform(0.0, 1.0, n)) * u.arcmin
    return centre.directional_offset_by(rng.uniform(0.0, 360.0, n) * u.deg, distance)


def _back_to_2000(at_epoch: SkyCoord, pm: NDArray[np.float64]) -> tuple[Any, Any]:
    """Positions at J2000 of stars that are at ``at_epoch`` in :data:`EPOCH`."""
    n = len(pm)
    return move_many(at_epoch.ra.deg, at_epoch.dec.deg, pm[:, 0], pm[:, 1], np.full(n, EPOCH),
                     2000.0)  # fmt: skip


def _fast_motions(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    speed = np.exp(rng.uniform(math.log(150.0), math.log(3000.0), n))
    angle = rng.uniform(0.0, 2.0 * math.pi, n)
    return np.round(np.stack([speed * np.sin(angle), speed * np.cos(angle)], axis=1))


def dense_field(rng: np.random.Generator, n_sources: int) -> Field:
    """The generated field with ``n_sources`` x-ray sources (same ``rng`` state, same field)."""
    sources = _disc(rng, n_sources, SOURCES_ARCMIN)
    n_field = rng.poisson(STARS_PER_DEG2 * math.pi * (FIELD_ARCMIN / 60.0) ** 2)
    field = _disc(rng, n_field, FIELD_ARCMIN)
    pm = np.round(rng.normal(0.0, 15.0, (n_field, 2)))
    fast = rng.uniform(0.0, 1.0, n_field) < 0.003
    pm[fast] = _fast_motions(rng, int(fast.sum()))
    pm[rng.uniform(0.0, 1.0, n_field) < 0.03] = np.nan
    ra, dec = field.ra.deg, field.dec.deg
    # counterparts: within 2" of a source in 2025, put back at their J2000 positions
    near = np.flatnonzero(rng.uniform(0.0, 1.0, n_sources) < 0.75)
    near_pm = np.round(rng.normal(0.0, 15.0, (len(near), 2)))
    fast_near = rng.uniform(0.0, 1.0, len(near)) < 0.05 / 0.75
    near_pm[fast_near] = _fast_motions(rng, int(fast_near.sum()))
    offset = 2.0 * np.sqrt(rng.uniform(0.0, 1.0, len(near))) * u.arcsec
    placed = sources[near].directional_offset_by(rng.uniform(0, 360, len(near)) * u.deg, offset)
    near_ra, near_dec = _back_to_2000(placed, near_pm)
    ra, dec = np.concatenate([ra, near_ra]), np.concatenate([dec, near_dec])
    pm = np.concatenate([pm, near_pm])
    stars = [
        Star(f"{1000 + i // 10_000:04d}-{i % 10_000 + 100_000:07d}", float(ra[i]), float(dec[i]),
             2000.0, float(pm[i, 0]), float(pm[i, 1]), mag=float(rng.uniform(12.0, 21.0)))
        for i in range(len(ra))
    ]  # fmt: skip
    return Field(sources.ra.deg, sources.dec.deg, stars)


_RUNNING: Final = ExitStack()
"""The servers started by :func:`serve`: they run as long as the (worker) process, and are
shut down at its exit (before its daemon threads stop, or the shutdown would wait forever)."""
atexit.register(_RUNNING.close)


def serve(field: Field) -> FakeVizier:
    """The fake VizieR server holding ``field``'s stars, running until the process ends."""
    catalogs = vizier_catalogs({"USNO-B1.0": field.stars})
    return _RUNNING.enter_context(running(FakeVizier(catalogs)))


def names_summary(field: Field, names: Iterable[str], server: FakeVizier) -> dict[str, Any]:
    """Sources, stars found (count and digest of the sorted names), requests and rows
    answered."""
    found = sorted(names)
    return {
        "sources": len(field.ra),
        "stars": len(found),
        "stars_digest": hashlib.sha256("\n".join(found).encode()).hexdigest()[:16],
        "requests": len(server.requests),
        "rows_answered": sum(int(r.get("rows", 0)) for r in server.requests),
    }
