"""The simulated observatory's model: pointings and sources (detectors and injected offsets
are in :mod:`.detectors`).

Some observations also have an **aspect error** (:func:`aspect_error`): their x-ray positions
are turned by a roll about the optical axis and shifted, ``x = R(roll) · x₀ + (dy, dz)`` with
``x₀`` the position without it and ``R`` counter-clockwise from +y towards +z, the model the
per-observation alignment fits.

Everything here is deterministic given a seed: the plan of observations and of every source
(catalog star, x-ray counts, injected offset, per-source scatter) is drawn from
``numpy.random.default_rng`` seeded with ``(seed, obsid)``, so a plan can be rebuilt for one
observation in any process.

Units: sky angles in degrees, focal-plane angles and offsets in arcsec, times in CXC seconds,
proper motions in mas/yr (``pmra`` includes the cos(dec) factor), epochs in decimal years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from astropy.table import Table
from numpy.typing import ArrayLike, NDArray

from astromon.domain.catalogs import propagate_proper_motion
from astromon.domain.errors import ValidationError
from astromon.domain.geometry import attitude_matrix, radec_to_yz
from astromon.domain.time import CxoTime
from astromon_adapters.chandra.detector import APERTURE_RADIUS_ARCSEC, nominal_psf_sigma_arcsec
from astromon_adapters.simulation.detectors import (
    DETECTORS,
    INJECTED_OFFSETS,
    DetectorSetup,
    InjectedOffset,
    LinearStepOffset,
)

__all__ = [
    "CATALOG_EPOCH",
    "DETECTORS",
    "FIRST_OBSID",
    "INJECTED_OFFSETS",
    "DetectorSetup",
    "InjectedOffset",
    "LinearStepOffset",
    "PlannedObservation",
    "aspect_error",
    "plan_observations",
    "plan_sources",
    "propagate",
    "yz_to_radec",
]

Float = NDArray[np.float64]

CATALOG_EPOCH: Final = 2000.0
"""Epoch (decimal year) of the positions in the simulated star catalog."""

FIRST_OBSID: Final = 90001
"""Simulated obsids count up from here (clear of real obsids and of the multi-OBI list)."""

SPAN_START: Final = "2024-01-01T00:00:00"
SPAN_YEARS: Final = 2.0
"""Observations are spread evenly over four half-years starting at :data:`SPAN_START`."""


SCATTER_FLOOR_ARCSEC: Final = 0.08
"""Per-axis astrometric scatter of bright sources (aspect and catalog errors), arcsec."""
SCATTER_COUNTS_ARCSEC: Final = 1.0
"""Counts-dependent scatter: ``SCATTER_COUNTS_ARCSEC / sqrt(counts)`` per axis, arcsec."""

ASPECT_EVERY: Final = 5
"""Observation ``i`` (from 0) has an aspect error when ``i % ASPECT_EVERY == 2``."""
MAX_ASPECT_SHIFT_ARCSEC: Final = 2.0
"""Largest shift of an aspect error (arcsec)."""
MAX_ASPECT_ROLL_ARCSEC: Final = 60.0
"""Largest roll of an aspect error (arcsec)."""

N_BRIGHT: Final = 24
"""Bright (≥ 150 counts) catalog stars within 110" of the pointing, per observation."""
N_BRIGHT_OUTER: Final = 3
N_FAINT: Final = 6
N_XRAY_ONLY: Final = 3
N_DARK_STARS: Final = 8
MIN_SEPARATION_ARCSEC: Final = 12.0
FIELD_RADIUS_ARCSEC: Final = 170.0
EXPOSURE_S: Final = 20_000.0

TARGETS: Final = (
    ("Simulated cluster", "NORMAL STARS AND WD"),
    ("Simulated CV", "WD BINARIES AND CVS"),
    ("Simulated XRB", "BH AND NS BINARIES"),
    ("Simulated galaxy", "NORMAL GALAXIES"),
    ("Simulated QSO", "ACTIVE GALAXIES AND QUASARS"),
    ("Simulated survey", "GALACTIC DIFFUSE EMISSION & SURVEYS"),
)


@dataclass(frozen=True)
class PlannedObservation:
    """One simulated observation.

    ``ra``, ``dec``, ``roll`` (degrees) are both the nominal and the pointing attitude.
    """

    obsid: int
    detector: str
    target: str
    category: str
    ra: float
    dec: float
    roll: float
    tstart: float
    exposure: float
    seed: int = field(repr=False)
    aspect: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Aspect error ``(dy, dz, roll)`` in arcsec (:func:`aspect_error`); zeros: none."""

    @property
    def setup(self) -> DetectorSetup:
        return DETECTORS[self.detector]

    @property
    def tstop(self) -> float:
        return self.tstart + self.exposure

    @property
    def year(self) -> float:
        """Decimal year at the start of the observation."""
        return float(CxoTime(self.tstart).frac_year)

    @property
    def date_obs(self) -> str:
        """Start as ``YYYY-MM-DDThh:mm:ss`` (UTC)."""
        return _iso(self.tstart)

    @property
    def date_end(self) -> str:
        return _iso(self.tstop)

    @property
    def caldb_version(self) -> str:
        return "4.11.0" if self.year < 2025.0 else "4.12.0"


def _iso(secs: float) -> str:
    return str(CxoTime(secs).utc.isot)[:19]


def plan_observations(n_observations: int, seed: int) -> list[PlannedObservation]:
    """The simulated observations: detectors in turn, times spread evenly over the span.

    Parameters
    ----------
    n_observations : int
        Number of observations (> 0).
    seed : int
        Random seed (>= 0).
    """
    if n_observations < 1:
        raise ValidationError(f"number of observations must be positive, got {n_observations}")
    if seed < 0:
        raise ValidationError(f"seed must be non-negative, got {seed}")
    rng = np.random.default_rng([seed, 0])
    t0 = float(CxoTime(SPAN_START).secs)
    span = SPAN_YEARS * 365.25 * 86400.0
    names = list(DETECTORS)
    plans = []
    for i in range(n_observations):
        # stratified times: observation i in the i-th slice of the span, detectors in turn
        tstart = t0 + span * (i + rng.uniform(0.05, 0.95)) / n_observations
        target, category = TARGETS[int(rng.integers(len(TARGETS)))]
        ra = float(rng.uniform(0.0, 360.0))
        dec = float(np.degrees(np.arcsin(rng.uniform(-0.95, 0.95))))
        plans.append(
            PlannedObservation(
                obsid=FIRST_OBSID + i,
                detector=names[i % len(names)],
                target=f"{target} {i + 1}",
                category=category,
                ra=ra,
                dec=dec,
                roll=float(rng.uniform(0.0, 360.0)),
                tstart=round(tstart, 1),
                exposure=EXPOSURE_S,
                seed=seed,
                aspect=aspect_error(seed, i),
            )
        )
    return plans


def aspect_error(seed: int, index: int) -> tuple[float, float, float]:
    """The aspect error ``(dy, dz, roll)`` (arcsec) of observation ``index`` of a plan.

    Every :data:`ASPECT_EVERY`-th observation has one, with a roll uniform within
    :data:`MAX_ASPECT_ROLL_ARCSEC`; in turn a large shift (length uniform in 1" to
    :data:`MAX_ASPECT_SHIFT_ARCSEC`, above the alignment's flag threshold) and a small one
    (below 0.1"), in a uniform direction. Drawn from its own generator, so the rest of the
    plan does not depend on it.
    """
    if index % ASPECT_EVERY != 2:
        return (0.0, 0.0, 0.0)
    rng = np.random.default_rng([seed, index, 1])
    large = (index // ASPECT_EVERY) % 2 == 0
    length = rng.uniform(1.0, MAX_ASPECT_SHIFT_ARCSEC) if large else rng.uniform(0.0, 0.1)
    direction = rng.uniform(0.0, 2.0 * np.pi)
    roll = rng.uniform(-MAX_ASPECT_ROLL_ARCSEC, MAX_ASPECT_ROLL_ARCSEC)
    return (
        float(length * np.cos(direction)),
        float(length * np.sin(direction)),
        float(roll),
    )


def _with_aspect(aspect: tuple[float, float, float], y: Float, z: Float) -> tuple[Float, Float]:
    """Focal-plane positions ``(y, z)`` (arcsec) turned by the roll and shifted."""
    dy, dz, roll = aspect
    theta = np.radians(roll / 3600.0)
    cos, sin = np.cos(theta), np.sin(theta)
    return cos * y - sin * z + dy, sin * y + cos * z + dz


def yz_to_radec(
    y_angle: ArrayLike, z_angle: ArrayLike, ra: float, dec: float, roll: float
) -> tuple[Float, Float]:
    """Sky positions (degrees) of focal-plane angles (arcsec): the inverse of ``radec_to_yz``."""
    y = np.radians(np.asarray(y_angle, dtype=np.float64) / 3600.0)
    z = np.radians(np.asarray(z_angle, dtype=np.float64) / 3600.0)
    body = np.stack([np.ones_like(y), np.tan(y), np.tan(z)], axis=-1)
    body /= np.linalg.norm(body, axis=-1, keepdims=True)
    eci = body @ attitude_matrix(ra, dec, roll)
    out_ra = np.degrees(np.arctan2(eci[..., 1], eci[..., 0])) % 360.0
    out_dec = np.degrees(np.arcsin(np.clip(eci[..., 2], -1.0, 1.0)))
    return out_ra, out_dec


def propagate(
    ra: ArrayLike, dec: ArrayLike, pmra: ArrayLike, pmdec: ArrayLike, years: float
) -> tuple[Float, Float]:
    """Positions (degrees) moved by proper motions (mas/yr, pmra with cos dec) over ``years``.

    The same propagation the catalog adapters use
    (:func:`astromon.domain.catalogs.propagate_proper_motion`).
    """
    return propagate_proper_motion(ra, dec, pmra, pmdec, 0.0, float(years))


def _place(rng: np.random.Generator, n: int, r_min: float, r_max: float, taken: list[Any]) -> Float:
    """``n`` focal-plane positions (arcsec) in an annulus, apart from each other and ``taken``."""
    points: list[tuple[float, float]] = []
    while len(points) < n:
        r = np.sqrt(rng.uniform(r_min**2, r_max**2))
        phi = rng.uniform(0.0, 2.0 * np.pi)
        p = (float(r * np.cos(phi)), float(r * np.sin(phi)))
        if all(np.hypot(p[0] - q[0], p[1] - q[1]) > MIN_SEPARATION_ARCSEC for q in taken):
            points.append(p)
            taken.append(p)
    return np.array(points, dtype=np.float64).reshape(n, 2)


def _counts(rng: np.random.Generator, n: int, low: float, high: float, index: float) -> Float:
    """Counts drawn from a power law ``dN/dS ∝ S^-index`` between ``low`` and ``high``."""
    u = rng.uniform(size=n)
    a = 1.0 - index
    result: Float = (low**a + u * (high**a - low**a)) ** (1.0 / a)
    return result


def plan_sources(obs: PlannedObservation) -> Table:
    """Every simulated source and catalog star of an observation, with its true position.

    Kinds: ``star`` (bright x-ray source at a catalog star), ``faint`` (faint x-ray source at a
    catalog star), ``xray_only`` (no catalog counterpart), ``dark`` (catalog star without x-ray
    emission, ``counts`` 0).

    Columns: obsid, src_id, kind, name, cat_ra, cat_dec (catalog epoch), pmra, pmdec (mas/yr),
    mag, star_ra, star_dec (at the observation), star_y, star_z (arcsec), inj_dy, inj_dz
    (injected offset, arcsec: the detector's and the observation's aspect error at the
    source), scatter_dy, scatter_dz (per-source scatter, arcsec), true_dy, true_dz (the
    offset of the x-ray position: injected and scatter), ra, dec (true x-ray position),
    y_angle, z_angle, r_angle, counts (expected), psf_sigma (arcsec), snr (expected), detector,
    tstart, year.
    """
    rng = np.random.default_rng([obs.seed, obs.obsid])
    setup = obs.setup
    taken: list[Any] = []
    groups = [
        ("star", _place(rng, N_BRIGHT, 0.0, 110.0, taken), _counts(rng, N_BRIGHT, 150, 3000, 2.2)),
        (
            "star",
            _place(rng, N_BRIGHT_OUTER, 125.0, FIELD_RADIUS_ARCSEC, taken),
            _counts(rng, N_BRIGHT_OUTER, 150, 3000, 2.2),
        ),
        ("faint", _place(rng, N_FAINT, 0.0, 150.0, taken), _counts(rng, N_FAINT, 5, 24, 1.5)),
        (
            "xray_only",
            _place(rng, N_XRAY_ONLY, 0.0, 150.0, taken),
            _counts(rng, N_XRAY_ONLY, 100, 600, 2.0),
        ),
        ("dark", _place(rng, N_DARK_STARS, 0.0, 150.0, taken), np.zeros(N_DARK_STARS)),
    ]
    kind = np.concatenate([np.full(len(c), k) for k, _, c in groups])
    star_yz = np.concatenate([p for _, p, _ in groups])
    counts = np.concatenate([c for _, _, c in groups])
    n = len(kind)
    year = obs.year
    star_ra, star_dec = yz_to_radec(star_yz[:, 0], star_yz[:, 1], obs.ra, obs.dec, obs.roll)
    pmra = rng.normal(0.0, 15.0, n)
    pmdec = rng.normal(0.0, 15.0, n)
    cat_ra, cat_dec = propagate(star_ra, star_dec, pmra, pmdec, CATALOG_EPOCH - year)
    # recompute the epoch position from the catalog one, exactly as a catalog adapter would
    star_ra, star_dec = propagate(cat_ra, cat_dec, pmra, pmdec, year - CATALOG_EPOCH)
    star_y, star_z = radec_to_yz(star_ra, star_dec, obs.ra, obs.dec, obs.roll)
    det_dy, det_dz = INJECTED_OFFSETS[obs.detector].at(np.full(n, year))
    sigma = np.sqrt(SCATTER_FLOOR_ARCSEC**2 + SCATTER_COUNTS_ARCSEC**2 / np.maximum(counts, 1.0))
    scatter_dy = rng.normal(0.0, 1.0, n) * sigma
    scatter_dz = rng.normal(0.0, 1.0, n) * sigma
    nominal_y, nominal_z = _with_aspect(obs.aspect, star_y + det_dy, star_z + det_dz)
    inj_dy, inj_dz = nominal_y - star_y, nominal_z - star_z
    x_y, x_z = _with_aspect(obs.aspect, star_y + det_dy + scatter_dy, star_z + det_dz + scatter_dz)
    true_dy, true_dz = x_y - star_y, x_z - star_z
    x_ra, x_dec = yz_to_radec(x_y, x_z, obs.ra, obs.dec, obs.roll)
    r_angle = np.hypot(x_y, x_z)
    psf = nominal_psf_sigma_arcsec(setup.instrument, r_angle)
    bkg = setup.background * np.pi * APERTURE_RADIUS_ARCSEC**2
    snr = counts / np.sqrt(counts + bkg)
    names = np.array([f"SIM {obs.obsid}-{i:03d}" for i in range(n)])
    names[kind == "xray_only"] = ""
    mag = np.where(kind == "xray_only", np.nan, rng.uniform(6.0, 12.0, n))
    return Table(
        {
            "obsid": np.full(n, obs.obsid, dtype=np.int32),
            "src_id": np.arange(n, dtype=np.int32),
            "kind": kind,
            "name": names,
            "cat_ra": cat_ra,
            "cat_dec": cat_dec,
            "pmra": pmra,
            "pmdec": pmdec,
            "mag": mag.astype(np.float32),
            "star_ra": star_ra,
            "star_dec": star_dec,
            "star_y": star_y,
            "star_z": star_z,
            "inj_dy": inj_dy,
            "inj_dz": inj_dz,
            "scatter_dy": scatter_dy,
            "scatter_dz": scatter_dz,
            "true_dy": true_dy,
            "true_dz": true_dz,
            "ra": x_ra,
            "dec": x_dec,
            "y_angle": x_y,
            "z_angle": x_z,
            "r_angle": r_angle,
            "counts": counts,
            "psf_sigma": psf,
            "snr": snr,
            "detector": np.full(n, obs.detector),
            "tstart": np.full(n, obs.tstart),
            "year": np.full(n, year),
        }
    )
