"""Seeded generator of realistic astromon tables, at any size.

Everything is drawn from one :class:`numpy.random.SeedSequence`: the same seed and sizes give
the same tables, bit for bit. The shapes follow the real record (``../shared/reference``):

* observations: pointings uniform on the sky, random roll, dates from 1999-08 to 2025-06,
  detectors ACIS-I/ACIS-S/HRC-I/HRC-S with their nominal SIM-Z (a few percent off-nominal),
  gratings (HETG on ACIS-S, LETG on HRC-S/ACIS-S), categories and a few "bad" targets;
* x-ray sources: a heavy-tailed number per observation, uniform within 3' (180") of the
  optical axis, positions on the sky consistent with the focal-plane angles of the attitude,
  net counts, S/N, pileup, ACIS streaks, CalDB versions, and the exact nearest-neighbour
  distance within each observation;
* counterparts: within 3" of their x-ray source (most are close "true" matches, the rest
  chance alignments uniform in the 3" disk), from Tycho2, ICRS, 2MASS, USNO-B1.0 and SDSS,
  numbered 0..n-1 per obsid, with their own focal-plane angles and separations;
* excluded regions: on x-ray sources, around pointings or anywhere, global (obsid 0) or
  tied to one observation, radii from a few arcsec to a few arcmin.

Units: ra/dec in degrees, focal-plane angles, separations and radii in arcsec, SIM-Z in mm,
tstart in CXC seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Column, Table
from astropy.time import Time
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from astromon.domain.geometry import angular_separation_arcsec
from astromon.domain.schema import TABLES, set_formats

__all__ = [
    "CATALOG_WEIGHTS",
    "NOMINAL_SIM_Z",
    "SIZES",
    "Dataset",
    "Sizes",
    "attitude_matrices",
    "generate_counterparts",
    "generate_dataset",
    "generate_matches",
    "generate_observations",
    "generate_regions",
    "generate_star_catalog",
    "generate_xray_sources",
    "yz_to_radec",
]

Float = NDArray[np.float64]

FIELD_RADIUS_ARCSEC: Final = 180.0
"""Sources are detected within 3' of the optical axis."""

COUNTERPART_RADIUS_ARCSEC: Final = 3.0
"""Counterparts are catalog stars within 3" of an x-ray source (the rough-match radius)."""

NOMINAL_SIM_Z: Final[dict[str, float]] = {
    "ACIS-I": -233.587,
    "ACIS-S": -190.143,
    "HRC-I": 126.983,
    "HRC-S": 250.466,
}
_DETECTOR_WEIGHTS: Final = {"ACIS-I": 0.30, "ACIS-S": 0.47, "HRC-I": 0.14, "HRC-S": 0.09}

CATALOG_WEIGHTS: Final[dict[str, float]] = {
    "Tycho2": 0.15,
    "ICRS": 0.07,
    "2MASS": 0.35,
    "USNO-B1.0": 0.33,
    "SDSS": 0.10,
}
"""Share of counterparts per catalog (the ``astromon_21`` catalogs are ICRS and Tycho2)."""

_MAGNITUDES: Final[dict[str, tuple[float, float]]] = {
    "Tycho2": (6.0, 12.5),
    "ICRS": (np.nan, np.nan),
    "2MASS": (7.0, 16.0),
    "USNO-B1.0": (10.0, 20.5),
    "SDSS": (14.0, 22.5),
}
_CATEGORY_WEIGHTS: Final = {
    10: 0.18,
    20: 0.08,
    30: 0.09,
    40: 0.12,
    50: 0.15,
    60: 0.07,
    70: 0.09,
    100: 0.03,
    110: 0.08,
    120: 0.09,
    200: 0.02,
}
_BAD_TARGETS: Final = (
    "RW Aur",
    "Tau Boo",
    "70 Oph",
    "16 Cyg A",
    "M87",
    "Orion Nebula Cluster",
    "HD 97950",
    "HD4915",
)
_TARGET_PREFIXES: Final = ("NGC ", "HD ", "IC ", "SDSS J", "Abell ", "PSR J", "2MASS J", "GRB ")
_SOFTWARE: Final = (("10.9.2", 10.0902), ("10.8.3", 10.0803), ("10.12.2", 10.1202))
_CALDB: Final = ("4.4.4", "4.6.2", "4.9.8", "4.10.0", "4.11.5")
_USERS: Final = ("jgonzalez", "tom", "aldcroft", "j", "ops")

_T_FIRST: Final = Time("1999-08-01T00:00:00", scale="utc").cxcsec
_T_LAST: Final = Time("2025-06-01T00:00:00", scale="utc").cxcsec


@dataclass(frozen=True)
class Sizes:
    """Sizes of a generated dataset.

    Attributes
    ----------
    n_obs, n_sources, n_counterparts, n_regions : int
        Rows of astromon_obs, astromon_xray_src, astromon_cat_src and astromon_regions.
    n_matches : int
        Rows of the cross-match table used by the excluded-region mask case.
    n_reference_regions : int
        Regions given to the N×M reference mask (its time is scaled to ``n_regions``).
    n_catalog_stars, n_rough_sources : int
        Stars of the local catalog file and x-ray sources of the rough-match case.
    n_save_obs : int
        Observations whose sources the ``save`` case writes, one transaction each.
    n_reference_fits : int
        Observations the plain alignment loop fits (its time is scaled to all of them).
    """

    n_obs: int
    n_sources: int
    n_counterparts: int
    n_regions: int
    n_matches: int
    n_reference_regions: int
    n_catalog_stars: int
    n_rough_sources: int
    n_save_obs: int
    n_reference_fits: int


SIZES: Final[dict[str, Sizes]] = {
    "tiny": Sizes(
        n_obs=40,
        n_sources=2_000,
        n_counterparts=2_400,
        n_regions=60,
        n_matches=400,
        n_reference_regions=20,
        n_catalog_stars=5_000,
        n_rough_sources=100,
        n_save_obs=20,
        n_reference_fits=40,
    ),
    "small": Sizes(
        n_obs=400,
        n_sources=20_000,
        n_counterparts=24_000,
        n_regions=500,
        n_matches=4_000,
        n_reference_regions=50,
        n_catalog_stars=50_000,
        n_rough_sources=1_000,
        n_save_obs=200,
        n_reference_fits=400,
    ),
    "full": Sizes(
        n_obs=20_000,
        n_sources=1_000_000,
        n_counterparts=1_200_000,
        n_regions=10_000,
        n_matches=76_000,
        n_reference_regions=200,
        n_catalog_stars=2_500_000,
        n_rough_sources=50_000,
        n_save_obs=20_000,
        n_reference_fits=2_000,
    ),
}


@dataclass(frozen=True)
class Dataset:
    """A generated astromon record (tables in the astromon schemas)."""

    astromon_obs: Table
    astromon_xray_src: Table
    astromon_cat_src: Table
    astromon_regions: Table


def _as_schema(name: str, columns: dict[str, Any]) -> Table:
    """A table of ``name``'s schema (column order, types, formats) from generated columns."""
    spec = TABLES[name]
    table = Table(
        [Column(np.asarray(columns[c.name]).astype(c.dtype), name=c.name) for c in spec.columns],
        copy=False,
    )
    return set_formats(table)


def _choice(rng: np.random.Generator, weights: dict[Any, float], n: int) -> NDArray[Any]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    idx = rng.choice(len(keys), size=n, p=p / p.sum())
    return np.array(keys)[idx]


def attitude_matrices(ra: Float, dec: Float, roll: Float) -> Float:
    """Attitude matrices (N×3×3) whose rows are the body axes in ECI; angles in degrees."""
    a, d, r = np.radians(ra), np.radians(dec), np.radians(roll)
    ca, sa, cd, sd, cr, sr = np.cos(a), np.sin(a), np.cos(d), np.sin(d), np.cos(r), np.sin(r)
    return np.stack(
        [
            np.stack([ca * cd, sa * cd, sd], axis=-1),
            np.stack([-ca * sd * sr - sa * cr, -sa * sd * sr + ca * cr, cd * sr], axis=-1),
            np.stack([-ca * sd * cr + sa * sr, -sa * sd * cr - ca * sr, cd * cr], axis=-1),
        ],
        axis=-2,
    )


def yz_to_radec(y: Float, z: Float, matrices: Float) -> tuple[Float, Float]:
    """Sky positions (degrees) of focal-plane angles (arcsec), one attitude matrix per point.

    The inverse of :func:`astromon.domain.geometry.radec_to_yz`: the body-frame vector
    ``(1, tan y, tan z)`` rotated to ECI.
    """
    ty = np.tan(np.radians(np.asarray(y, float) / 3600.0))
    tz = np.tan(np.radians(np.asarray(z, float) / 3600.0))
    body = np.stack([np.ones_like(ty), ty, tz], axis=-1)
    body /= np.linalg.norm(body, axis=-1, keepdims=True)
    eci = np.einsum("ni,nij->nj", body, matrices)
    ra = np.degrees(np.arctan2(eci[:, 1], eci[:, 0])) % 360.0
    dec = np.degrees(np.arcsin(np.clip(eci[:, 2], -1.0, 1.0)))
    return ra, dec


def _random_sky(rng: np.random.Generator, n: int) -> tuple[Float, Float]:
    ra = rng.uniform(0.0, 360.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    return ra, dec


def _target_names(rng: np.random.Generator, n: int) -> list[str]:
    prefixes = rng.integers(0, len(_TARGET_PREFIXES), n)
    numbers = rng.integers(1, 10_000, n)
    bad = rng.random(n) < 0.03
    bad_pick = rng.integers(0, len(_BAD_TARGETS), n)
    return [
        _BAD_TARGETS[b] if is_bad else f"{_TARGET_PREFIXES[p]}{num}"
        for p, num, is_bad, b in zip(
            prefixes.tolist(), numbers.tolist(), bad.tolist(), bad_pick.tolist(), strict=True
        )
    ]


def generate_observations(rng: np.random.Generator, n_obs: int) -> Table:
    """``n_obs`` rows of ``astromon_obs`` (unique obsids, sorted)."""
    obsid = np.sort(rng.choice(np.arange(1, max(30_000, 2 * n_obs)), n_obs, replace=False))
    detector = _choice(rng, _DETECTOR_WEIGHTS, n_obs)
    u = rng.random(n_obs)
    grating = np.full(n_obs, "NONE", dtype="U4")
    grating[(detector == "ACIS-S") & (u < 0.30)] = "HETG"
    grating[(detector == "ACIS-S") & (u >= 0.30) & (u < 0.35)] = "LETG"
    grating[(detector == "HRC-S") & (u < 0.70)] = "LETG"
    nominal = np.array([NOMINAL_SIM_Z[d] for d in detector])
    offset = rng.normal(0.0, 0.3, n_obs)
    off_nominal = rng.random(n_obs) < 0.04
    offset[off_nominal] = rng.choice([-1.0, 1.0], off_nominal.sum()) * rng.uniform(
        4.5, 30.0, off_nominal.sum()
    )
    tstart = np.round(rng.uniform(_T_FIRST, _T_LAST, n_obs), 0)
    date_obs = np.array([t[:19] for t in Time(tstart, format="cxcsec").utc.isot])
    software = rng.integers(0, len(_SOFTWARE), n_obs)
    ra, dec = _random_sky(rng, n_obs)
    return _as_schema(
        "astromon_obs",
        {
            "obsid": obsid,
            "version": np.array([_SOFTWARE[i][1] for i in software]),
            "detector": detector,
            "target": _target_names(rng, n_obs),
            "grating": grating,
            "sim_z": nominal + offset,
            "date_obs": date_obs,
            "tstart": tstart,
            "ascdsver": np.array([_SOFTWARE[i][0] for i in software]),
            "ra": ra,
            "dec": dec,
            "roll": rng.uniform(0.0, 360.0, n_obs),
            "category_id": _choice(rng, _CATEGORY_WEIGHTS, n_obs).astype(np.int32),
        },
    )


def _sources_per_observation(rng: np.random.Generator, n_obs: int, n_sources: int) -> NDArray[Any]:
    """Heavy-tailed counts (at least 2 per observation) summing to ``n_sources``."""
    if n_sources < 2 * n_obs:
        raise ValueError(f"need at least 2 sources per observation, got {n_sources} for {n_obs}")
    weights = rng.lognormal(0.0, 1.0, n_obs)
    return 2 + rng.multinomial(n_sources - 2 * n_obs, weights / weights.sum())


def _grouped_nearest_neighbour(group: NDArray[Any], y: Float, z: Float) -> Float:
    """Nearest-neighbour distance (arcsec) within each group, with one k-d tree.

    Groups are moved apart on a grid far wider than a field, so a point's nearest neighbour
    is always in its own group (every group has at least two points).
    """
    spacing = 10.0 * FIELD_RADIUS_ARCSEC
    side = int(np.ceil(np.sqrt(group.max() + 1)))
    gy = (group % side) * spacing
    gz = (group // side) * spacing
    points = np.column_stack([y + gy, z + gz])
    dist, _ = cKDTree(points).query(points, k=2)
    return np.asarray(dist[:, 1], dtype=np.float64)


def generate_xray_sources(rng: np.random.Generator, obs: Table, n_sources: int) -> Table:
    """``n_sources`` rows of ``astromon_xray_src`` spread over the observations ``obs``."""
    n_obs = len(obs)
    counts = _sources_per_observation(rng, n_obs, n_sources)
    obs_index = np.repeat(np.arange(n_obs), counts)
    starts = np.cumsum(counts) - counts
    ident = np.arange(n_sources) - np.repeat(starts, counts) + 1
    radius = FIELD_RADIUS_ARCSEC * np.sqrt(rng.random(n_sources))
    theta = rng.uniform(0.0, 2.0 * np.pi, n_sources)
    y, z = radius * np.cos(theta), radius * np.sin(theta)
    matrices = attitude_matrices(
        np.asarray(obs["ra"], float), np.asarray(obs["dec"], float), np.asarray(obs["roll"], float)
    )
    ra, dec = yz_to_radec(y, z, matrices[obs_index])
    net_counts = np.minimum(15.0 + rng.pareto(1.2, n_sources) * 20.0, 50_000.0)
    snr = np.sqrt(net_counts) * rng.uniform(0.35, 0.95, n_sources) + rng.normal(0, 0.6, n_sources)
    detector = np.asarray(obs["detector"])[obs_index]
    is_acis = np.char.startswith(detector, "ACIS")
    pileup = np.where(is_acis, rng.lognormal(np.log(0.002), 1.2, n_sources), 0.0)
    streak = (is_acis & (rng.random(n_sources) < 0.005)).astype(np.int32)
    caldb = np.array(_CALDB)[rng.integers(0, len(_CALDB), n_sources)]
    caldb[rng.random(n_sources) < 0.01] = "0.0"
    return _as_schema(
        "astromon_xray_src",
        {
            "obsid": np.asarray(obs["obsid"])[obs_index],
            "id": ident.astype(np.int32),
            "ra": ra,
            "dec": dec,
            "net_counts": net_counts,
            "y_angle": y,
            "z_angle": z,
            "r_angle": radius,
            "snr": snr,
            "near_neighbor_dist": _grouped_nearest_neighbour(obs_index, y, z),
            "pileup": pileup,
            "acis_streak": streak,
            "caldb_version": caldb,
        },
    )


def _sexagesimal(ra: Float, dec: Float) -> list[str]:
    """IAU-style ``hhmmssss+ddmmsss`` designations of positions in degrees."""
    ra_cs = np.round(np.asarray(ra) / 15.0 * 360_000.0).astype(np.int64) % (24 * 360_000)
    dec_ds = np.round(np.abs(np.asarray(dec)) * 36_000.0).astype(np.int64)
    sign = np.where(np.asarray(dec) < 0, "-", "+")
    return [
        f"{r // 360_000:02d}{r // 6_000 % 60:02d}{r % 6_000:04d}{s}"
        f"{d // 36_000:02d}{d // 600 % 60:02d}{d % 600:03d}"
        for r, d, s in zip(ra_cs.tolist(), dec_ds.tolist(), sign.tolist(), strict=True)
    ]


def _star_names(rng: np.random.Generator, catalog: NDArray[Any], ra: Float, dec: Float) -> Any:
    """Catalog designations in each catalog's style."""
    n = len(catalog)
    names = np.empty(n, dtype=object)
    a = rng.integers(1, 9_538, n)
    b = rng.integers(1, 99_999, n)
    designations = np.array(_sexagesimal(ra, dec), dtype=object)
    for cat in np.unique(catalog).tolist():
        sel = catalog == cat
        if cat == "Tycho2":
            names[sel] = [f"{x}-{y % 20_000}-1" for x, y in zip(a[sel], b[sel], strict=True)]
        elif cat == "USNO-B1.0":
            names[sel] = [f"{x % 1_800:04d}-{y:07d}" for x, y in zip(a[sel], b[sel], strict=True)]
        elif cat == "ICRS":
            names[sel] = ["J" + d for d in designations[sel]]
        elif cat == "SDSS":
            names[sel] = ["J" + d[:6] + d[8:15] for d in designations[sel]]
        else:
            names[sel] = designations[sel]
    return names.astype(str)


def _magnitudes(rng: np.random.Generator, catalog: NDArray[Any]) -> Float:
    mag = np.full(len(catalog), np.nan)
    for cat, (low, high) in _MAGNITUDES.items():
        sel = catalog == cat
        if np.isfinite(low):
            mag[sel] = rng.uniform(low, high, sel.sum())
    mag[rng.random(len(catalog)) < 0.02] = np.nan
    return mag


def generate_counterparts(
    rng: np.random.Generator, obs: Table, sources: Table, n_counterparts: int
) -> Table:
    """``n_counterparts`` rows of ``astromon_cat_src`` within 3" of the ``sources``."""
    host = np.sort(rng.integers(0, len(sources), n_counterparts))
    obs_row = np.searchsorted(np.asarray(obs["obsid"]), np.asarray(sources["obsid"])[host])
    catalog = _choice(rng, CATALOG_WEIGHTS, n_counterparts).astype(str)
    # most counterparts are the source's star (0.3" Gaussian scatter per axis); the rest are
    # chance alignments, uniform in the 3" disk.
    true_match = rng.random(n_counterparts) < 0.7
    offset = np.where(
        true_match,
        np.abs(rng.normal(0.0, 0.3, n_counterparts)) * np.sqrt(2.0),
        COUNTERPART_RADIUS_ARCSEC * np.sqrt(rng.random(n_counterparts)),
    )
    offset = np.minimum(offset, 0.995 * COUNTERPART_RADIUS_ARCSEC)
    angle = rng.uniform(0.0, 2.0 * np.pi, n_counterparts)
    x_y = np.asarray(sources["y_angle"], float)[host]
    x_z = np.asarray(sources["z_angle"], float)[host]
    c_y = x_y - offset * np.cos(angle)
    c_z = x_z - offset * np.sin(angle)
    matrices = attitude_matrices(
        np.asarray(obs["ra"], float), np.asarray(obs["dec"], float), np.asarray(obs["roll"], float)
    )
    ra, dec = yz_to_radec(c_y, c_z, matrices[obs_row])
    x_ra = np.asarray(sources["ra"], float)[host]
    x_dec = np.asarray(sources["dec"], float)[host]
    obsid = np.asarray(sources["obsid"])[host]
    first = np.searchsorted(obsid, obsid, side="left")
    return _as_schema(
        "astromon_cat_src",
        {
            "obsid": obsid,
            "id": (np.arange(n_counterparts) - first).astype(np.int32),
            "x_id": np.asarray(sources["id"])[host],
            "catalog": catalog,
            "name": _star_names(rng, catalog, ra, dec),
            "ra": ra,
            "dec": dec,
            "separation": angular_separation_arcsec(x_ra, x_dec, ra, dec),
            "mag": _magnitudes(rng, catalog),
            "y_angle": c_y,
            "z_angle": c_z,
        },
    )


def generate_regions(rng: np.random.Generator, obs: Table, sources: Table, n_regions: int) -> Table:
    """``n_regions`` rows of ``astromon_regions`` (ids 1..n, unique 10-hex-digit id strings).

    About 40% are centred within 2" of an x-ray source (a bright or extended source someone
    flagged), 30% within 4' of an observation's pointing, the rest anywhere on the sky. Half
    of the first two kinds apply only to that observation (obsid > 0), the others to every
    observation (obsid 0).
    """
    kind = rng.random(n_regions)
    on_source, near = kind < 0.4, (kind >= 0.4) & (kind < 0.7)
    source_row = rng.integers(0, len(sources), n_regions)
    pick = np.searchsorted(np.asarray(obs["obsid"]), np.asarray(sources["obsid"])[source_row])
    pick = np.where(on_source, pick, rng.integers(0, len(obs), n_regions))
    ra, dec = _random_sky(rng, n_regions)
    angle = rng.uniform(0.0, 2.0 * np.pi, n_regions)
    dist = np.where(on_source, 2.0, 240.0) * np.sqrt(rng.random(n_regions))
    y0 = np.where(on_source, np.asarray(sources["y_angle"], float)[source_row], 0.0)
    z0 = np.where(on_source, np.asarray(sources["z_angle"], float)[source_row], 0.0)
    matrices = attitude_matrices(
        np.asarray(obs["ra"], float), np.asarray(obs["dec"], float), np.asarray(obs["roll"], float)
    )
    near_ra, near_dec = yz_to_radec(
        y0 + dist * np.cos(angle), z0 + dist * np.sin(angle), matrices[pick]
    )
    ra = np.where(on_source | near, near_ra, ra)
    dec = np.where(on_source | near, near_dec, dec)
    own = (on_source | near) & (rng.random(n_regions) < 0.5)
    obsid = np.where(own, np.asarray(obs["obsid"])[pick], 0)
    radius = np.clip(rng.lognormal(np.log(10.0), 1.0, n_regions), 2.0, 300.0)
    hexes: set[str] = set()
    id_str: list[str] = []
    while len(id_str) < n_regions:
        text = f"{int(rng.integers(0, 16**10)):010x}"
        if text not in hexes:
            hexes.add(text)
            id_str.append(text)
    modified = Time(np.sort(rng.uniform(_T_LAST, _T_LAST + 3e7, n_regions)), format="cxcsec").yday
    users = np.array(_USERS)[rng.integers(0, len(_USERS), n_regions)]
    return _as_schema(
        "astromon_regions",
        {
            "region_id": np.arange(1, n_regions + 1, dtype=np.int32),
            "region_id_str": id_str,
            "last_modified": np.asarray(modified),
            "ra": ra,
            "dec": dec,
            "radius": radius,
            "obsid": obsid.astype(np.int32),
            "user": users,
            "comments": np.where(own, "bright source", "extended emission"),
        },
    )


def generate_matches(rng: np.random.Generator, sources: Table, n_matches: int) -> Table:
    """A cross-match-like table of ``n_matches`` distinct x-ray sources.

    Columns: obsid, x_id, x_ra, x_dec (degrees) and x_loc (SkyCoord) — what the excluded-region
    mask reads.
    """
    rows = np.sort(rng.choice(len(sources), size=min(n_matches, len(sources)), replace=False))
    x_ra = np.asarray(sources["ra"], float)[rows]
    x_dec = np.asarray(sources["dec"], float)[rows]
    table = Table(
        {
            "obsid": np.asarray(sources["obsid"])[rows],
            "x_id": np.asarray(sources["id"])[rows],
            "x_ra": x_ra,
            "x_dec": x_dec,
        }
    )
    table["x_loc"] = SkyCoord(x_ra, x_dec, unit="deg")
    return table


def _offsets(
    rng: np.random.Generator, ra: Float, dec: Float, radius_arcsec: float
) -> tuple[Float, Float]:
    """Positions uniform in a disk of ``radius_arcsec`` around each (ra, dec) in degrees."""
    n = len(ra)
    offset = radius_arcsec * np.sqrt(rng.random(n)) / 3600.0
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    new_dec = np.clip(dec + offset * np.sin(angle), -90.0, 90.0)
    new_ra = (ra + offset * np.cos(angle) / np.maximum(np.cos(np.radians(dec)), 1e-6)) % 360.0
    return new_ra, new_dec


def generate_star_catalog(
    rng: np.random.Generator, sources: Table, n_stars: int, stars_per_source: float = 1.5
) -> Table:
    """A local star catalog of ``n_stars`` rows: catalog, name, ra, dec (degrees), mag.

    Like a catalog cut out around the observed fields: on average ``stars_per_source`` stars
    lie within 3" of each given x-ray source (what a rough match finds), and the others are
    field stars within 10' of the sources. Catalogs follow ``CATALOG_WEIGHTS``; rows are
    sorted by ra.
    """
    src_ra = np.asarray(sources["ra"], float)
    src_dec = np.asarray(sources["dec"], float)
    n_near = min(int(stars_per_source * len(sources)), n_stars)
    near = rng.integers(0, len(sources), n_near)
    near_ra, near_dec = _offsets(rng, src_ra[near], src_dec[near], COUNTERPART_RADIUS_ARCSEC)
    field = rng.integers(0, len(sources), n_stars - n_near)
    field_ra, field_dec = _offsets(rng, src_ra[field], src_dec[field], 600.0)
    ra = np.concatenate([near_ra, field_ra])
    dec = np.concatenate([near_dec, field_dec])
    catalog = _choice(rng, CATALOG_WEIGHTS, n_stars).astype(str)
    order = np.argsort(ra, kind="stable")
    ra, dec, catalog = ra[order], dec[order], catalog[order]
    return Table(
        {
            "catalog": catalog,
            "name": _star_names(rng, catalog, ra, dec),
            "ra": ra,
            "dec": dec,
            "mag": _magnitudes(rng, catalog).astype(np.float32),
        }
    )


def generate_dataset(sizes: Sizes, seed: int = 2026) -> Dataset:
    """The four generated tables for ``sizes``; same ``seed`` and sizes → identical tables.

    Each table has its own random stream (spawned from ``seed``), so the observations of a
    given seed do not depend on how many sources are asked for.
    """
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    obs = generate_observations(streams[0], sizes.n_obs)
    sources = generate_xray_sources(streams[1], obs, sizes.n_sources)
    counterparts = generate_counterparts(streams[2], obs, sources, sizes.n_counterparts)
    regions = generate_regions(streams[3], obs, sources, sizes.n_regions)
    return Dataset(obs, sources, counterparts, regions)
