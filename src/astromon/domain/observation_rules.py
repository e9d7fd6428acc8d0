"""Rules of observation processing: selection, obspar parsing, file types and directory layout.

Everything here is pure: it works on strings, numbers and paths, never on the file system or
CIAO (parameter files are parsed from their text; opening them is an adapter's job).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import ValidationError

__all__ = [
    "ARCHIVE_FILE_TYPES",
    "DEFAULT_ARCHIVE_PATTERNS",
    "DEFAULT_DOWNLOAD",
    "MAX_OBSID",
    "MIN_OBSID",
    "MULTI_OBI",
    "FileType",
    "band",
    "check_obsid",
    "is_selected",
    "obs_subdir",
    "obsid_in_range",
    "obspar_fields",
    "parse_par",
    "parse_version",
    "points_in_polygon",
    "region_shapes",
    "sky_pixel_arcsec",
]

MULTI_OBI: Final[frozenset[int]] = frozenset(
    {
        82, 108, 279, 380, 400, 433, 800, 861, 897, 906, 943, 1411, 1431, 1456, 1561, 1578,
        2010, 2042, 2077, 2365, 2783, 3057, 3182, 3764, 4175, 60879, 60880, 62249, 62264,
        62796,
    }
)  # fmt: skip
"""Obsids of multi-OBI observations (never processed)."""


@dataclass(frozen=True)
class FileType:
    """An archive file type: how to ask each archive for it and where it goes.

    Attributes
    ----------
    name : str
        The astromon name (``evt2``, ``asol``...).
    spec : str
        The arc5gl ``get`` specification; ``{instr}`` is replaced by the instrument (``acis``
        or ``hrc``). Level-1 products are ``{instr}1...``, level-2 ``{instr}2...``, aspect
        products ``asp1...``; ``[*pattern*]`` selects files by name within a level.
    subdir : str
        Sub-directory of the working directory (``.``, ``primary`` or ``secondary``).
    glob : str
        Only files whose name matches this pattern are kept (``*`` keeps everything).
    dco_type : str or None
        The ``download_chandra_obsid`` type name, or None when that tool has no such type
        (its files come only in a full download, e.g. the obspar and the acal file).
    """

    name: str
    spec: str
    subdir: str
    glob: str = "*"
    dco_type: str | None = None

    def arc5gl_spec(self, instrument: str) -> str:
        """The arc5gl ``get`` argument for an instrument (``acis`` or ``hrc``)."""
        return self.spec.replace("{instr}", instrument.lower())


ARCHIVE_FILE_TYPES: Final[dict[str, FileType]] = {
    ft.name: ft
    for ft in (
        FileType("obspar", "obspar", ".", "*obs0*"),
        FileType("evt2", "{instr}2{evt2}", "primary", "*evt2*", "evt2"),
        FileType("evt1", "{instr}1{evt1}", "secondary", "*evt1*", "evt1"),
        FileType("fov", "{instr}1{fov}", "primary", "*fov1*", "fov"),
        FileType("msk", "{instr}1{msk}", "secondary", "*msk*", "msk"),
        FileType("mtl", "{instr}1{mtl}", "secondary", "*mtl*", "mtl"),
        FileType("flt", "{instr}1[*flt*]", "secondary", "*flt*", "flt"),
        FileType("stat", "{instr}1[*stat*]", "secondary", "*stat*", "stat"),
        FileType("bpix", "{instr}1[*bpix*]", "primary", "*bpix*", "bpix"),
        FileType("asol", "asp1[*asol*]", "secondary", "*asol*", "asol"),
        FileType("acal", "asp1[*acal*]", "secondary", "*acal*"),
        FileType("dtf", "{instr}1[*dtf1*]", "primary", "*dtf1*", "dtf"),
    )
}
"""Observation file types: name → :class:`FileType` (arc5gl spec, directory, name pattern,
download_chandra_obsid type)."""

DEFAULT_DOWNLOAD: Final[tuple[str, ...]] = ("evt2", "asol", "msk", "fov", "bpix", "dtf")
"""File types downloaded by default."""

DEFAULT_ARCHIVE_PATTERNS: Final[tuple[str, ...]] = (
    "*.par.gz",
    "cache",
    "*_wide_flux.img",
    "*_broad_flux.img",
    "*_acis_streaks.fits",
    "*.src",
    "*_psf_size_*.fits",
)
"""Glob patterns of the files kept in the archive directory by default."""

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)")


MIN_OBSID: Final = 1
"""The smallest obsid of an observation (0 stands for "every observation" in the regions
table, never for an observation)."""

MAX_OBSID: Final = 2**31 - 1
"""The largest obsid: obsids are stored as 32-bit integers."""


def obsid_in_range(value: ArrayLike) -> NDArray[np.bool_]:
    """Whether each integer of ``value`` is an observation's obsid (from :data:`MIN_OBSID` to
    :data:`MAX_OBSID`)."""
    v = np.asarray(value)
    return np.asarray((v >= MIN_OBSID) & (v <= MAX_OBSID))


def check_obsid(obsid: Any) -> int:
    """``obsid`` as an int from :data:`MIN_OBSID` to :data:`MAX_OBSID`; anything else raises
    ValidationError naming it."""
    if isinstance(obsid, bool):
        raise ValidationError(f"obsid must be an integer, got {obsid!r}")
    try:
        value = int(str(obsid).strip()) if isinstance(obsid, str) else int(obsid)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"obsid must be an integer, got {obsid!r}") from None
    if (not isinstance(obsid, str) and value != obsid) or value < MIN_OBSID:
        raise ValidationError(f"obsid must be a positive integer, got {obsid!r}")
    if value > MAX_OBSID:
        raise ValidationError(f"obsid must be at most {MAX_OBSID}, got {obsid!r}")
    return value


def obs_subdir(obsid: int) -> Path:
    """Relative directory of an observation: ``obs{obsid//1000:02d}/{obsid}``."""
    return Path(f"obs{int(obsid) // 1000:02d}") / str(int(obsid))


def band(instrument: str) -> str:
    """Energy band of the images: ``wide`` for HRC, ``broad`` for ACIS."""
    name = str(instrument).strip().lower()
    if name.startswith("hrc"):
        return "wide"
    if name.startswith("acis"):
        return "broad"
    raise ValidationError(f"unknown instrument {instrument!r} (expected ACIS or HRC)")


def parse_version(ascdsver: Any) -> float:
    """Processing version ``a.b.c`` → ``a + b/100 + c/10000`` (10.9.2 → 10.0902); else 0."""
    match = _VERSION.match(str(ascdsver))
    if match is None:
        return 0.0
    a, b, c = (int(g) for g in match.groups())
    return a + b / 100 + c / 10000


def _split_par_row(line: str) -> list[str]:
    fields: list[str] = []
    current: list[str] = []
    quote = ""
    for char in line:
        if quote:
            if char == quote:
                quote = ""
            else:
                current.append(char)
        elif char in "\"'":
            quote = char
        elif char == ",":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def parse_par(text: str) -> dict[str, Any]:
    """Parse a CIAO parameter file (rows ``name,type,mode,value,min,max,prompt``).

    Types ``r`` become float, ``i`` int, ``b`` bool, everything else str. Comment lines
    (``#``) and blank lines are ignored.

    Raises
    ------
    ValidationError
        A row has fewer than four fields or a value does not fit its type.
    """
    result: dict[str, Any] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = _split_par_row(line)
        if len(fields) < 4:
            raise ValidationError(
                f"parameter file line {number} is not name,type,mode,value: {raw!r}"
            )
        name, kind, value = fields[0].strip(), fields[1].strip(), fields[3].strip()
        try:
            if kind == "r":
                result[name] = float(value) if value not in ("", "INDEF") else float("nan")
            elif kind == "i":
                result[name] = int(value) if value not in ("", "INDEF") else 0
            elif kind == "b":
                result[name] = value.lower() in ("yes", "y", "true")
            else:
                result[name] = value
        except ValueError:
            raise ValidationError(
                f"parameter {name!r} (line {number}) has type {kind!r} but value {value!r}"
            ) from None
    return result


def sky_pixel_arcsec(instrument: str) -> float:
    """Sky pixel size in arcsec: 0.492 for ACIS, 0.13175 for HRC."""
    name = str(instrument).strip().lower()
    if name.startswith("hrc"):
        return 0.13175
    if name.startswith("acis"):
        return 0.492
    raise ValidationError(f"unknown instrument {instrument!r} (expected ACIS or HRC)")


def obspar_fields(par: Mapping[str, Any]) -> dict[str, Any]:
    """The obspar dict plus derived keys.

    Adds instrument (``instrume`` lower-cased), obsid, target (= object), date_obs
    (= date-obs), ra/dec/roll (= ra_nom/dec_nom/roll_nom, degrees) and version (from
    ascdsver, see :func:`parse_version`).
    """
    result = dict(par)
    result["instrument"] = str(par.get("instrume", "")).strip().lower()
    obsid = par.get("obsid", par.get("obs_id", 0))
    try:
        result["obsid"] = int(obsid)
    except (TypeError, ValueError):
        raise ValidationError(f"obspar has a non-integer obsid {obsid!r}") from None
    result["target"] = par.get("object", "")
    result["date_obs"] = par.get("date-obs", "")
    for key in ("ra", "dec", "roll"):
        result[key] = par.get(f"{key}_nom", float("nan"))
    result["version"] = parse_version(par.get("ascdsver", ""))
    return result


def is_selected(obspar: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether an observation is processed, and why not.

    Selected: obs_mode POINTING; HRC, or ACIS with readmode TIMED and dtycycle 0; and not a
    multi-OBI obsid (:data:`MULTI_OBI`).

    Returns
    -------
    selected : bool
    reason : str
        Empty when selected, else the rule that failed.
    """
    obsid = int(obspar.get("obsid", 0))
    if obsid in MULTI_OBI:
        return False, f"obsid {obsid} is a multi-OBI observation"
    obs_mode = str(obspar.get("obs_mode", "")).strip().upper()
    if obs_mode != "POINTING":
        return False, f"obs_mode is {obs_mode!r}, not 'POINTING'"
    instrument = str(obspar.get("instrume", obspar.get("instrument", ""))).strip().upper()
    if instrument.startswith("HRC"):
        return True, ""
    if instrument.startswith("ACIS"):
        readmode = str(obspar.get("readmode", "")).strip().upper()
        if readmode != "TIMED":
            return False, f"ACIS readmode is {readmode!r}, not 'TIMED'"
        dtycycle = obspar.get("dtycycle", 0)
        if int(dtycycle or 0) != 0:
            return False, f"ACIS dtycycle is {dtycycle}, not 0"
        return True, ""
    return False, f"unknown instrument {instrument!r}"


def points_in_polygon(
    x: ArrayLike, y: ArrayLike, px: ArrayLike, py: ArrayLike
) -> NDArray[np.bool_]:
    """Which points (x, y) lie inside the polygon with vertices (px, py) (even-odd rule)."""
    xs = np.atleast_1d(np.asarray(x, dtype=np.float64))
    ys = np.atleast_1d(np.asarray(y, dtype=np.float64))
    vx = np.asarray(px, dtype=np.float64).ravel()
    vy = np.asarray(py, dtype=np.float64).ravel()
    inside = np.zeros(xs.shape, dtype=bool)
    n = len(vx)
    if n < 3:
        return inside
    for i in range(n):
        x1, y1, x2, y2 = vx[i], vy[i], vx[(i + 1) % n], vy[(i + 1) % n]
        if y1 == y2:
            continue
        crosses = (y1 > ys) != (y2 > ys)
        x_cross = x1 + (ys - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (xs < x_cross)
    return inside


_REGION_SHAPE = re.compile(r"^\s*[-+!]?\s*([A-Za-z]+)\s*\(")


def region_shapes(text: str) -> list[str]:
    """The shapes (lower case) of an ASCII region file, one per region line.

    Lines of the CIAO and ds9 region syntax (``polygon(x1,y1,x2,y2,...)``, ``box(...)``...)
    count; comments (``#``), ds9 headers (``global ...``) and coordinate-system lines
    (``physical``, ``image``...) do not.
    """
    shapes = []
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        for part in stripped.split(";"):
            match = _REGION_SHAPE.match(part)
            if match:
                shapes.append(match.group(1).lower())
    return shapes
