"""CALALIGN: the ACA and FTS misalignment matrices and the offsets they imply.

A CALALIGN file (``pcadD{YYYY-MM-DD}align{Nxxxx}.fits``) has one row per science instrument
(INSTR_ID: ACIS-S, ACIS-I, HRC-S, HRC-I) with the 3×3 matrices ACA_MISALIGN and FTS_MISALIGN,
and a validity interval (header CVSD0001/CVED0001). Each version N entered a CalDB release
(:data:`CALALIGN_CALDB`). The offsets of an ACA_MISALIGN rotation are ``dy = yaw·3600`` and
``dz = −pitch·3600`` (arcsec), with yaw and pitch (degrees) those of the rotation.

This module holds the pure math; the files are read and written by the
:class:`~astromon.ports.calalign.CalalignFiles` port.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from astropy.table import Table, vstack
from numpy.typing import ArrayLike, NDArray

from astromon.domain.errors import SchemaError, ValidationError
from astromon.domain.time import CxoTime

__all__ = [
    "CALALIGN_CALDB",
    "CALALIGN_FILE",
    "DEFAULT_VALIDITY_END",
    "calalign_offsets",
    "calalign_offsets_table",
    "calalign_rows",
    "calalign_table",
    "caldb_tuple",
    "parse_calalign_name",
    "select_calalign",
    "validity_seconds",
]

CALALIGN_FILE: Final = re.compile(r"^pcadD(\d{4}-\d{2}-\d{2})align(N\d{4})\.fits(\.gz)?$")
"""File names of CALALIGN files; groups: date, version."""

CALALIGN_CALDB: Final[dict[str, tuple[str, str]]] = {
    "N0008": ("4.4.4", "2011-06-28T20:45:00"),
    "N0009": ("4.6.2", "2014-07-09T21:00:00"),
    "N0010": ("4.10.0", "2022-06-28T14:00:00"),
}
"""CALALIGN version → (CalDB version that introduced it, release date)."""

DEFAULT_VALIDITY_END: Final = "2050:001"
"""End of validity of a CALALIGN file without CVED0001."""

Float = NDArray[np.float64]


def caldb_tuple(version: Any) -> tuple[int, ...]:
    """A CalDB version string ('4.10.0') as a tuple of ints for comparison; bad → (0,)."""
    parts = re.findall(r"\d+", str(version))
    return tuple(int(p) for p in parts) if parts else (0,)


def calalign_offsets(aca_misalign: ArrayLike) -> tuple[Float, Float]:
    """Offsets (dy, dz) in arcsec implied by ACA_MISALIGN rotation matrices (…×3×3).

    ``yaw = atan2(M[1,0], M[0,0])`` and ``pitch = −atan2(M[2,0], hypot(M[0,0], M[1,0]))``;
    ``dy = yaw·3600`` and ``dz = −pitch·3600``.
    """
    m = np.asarray(aca_misalign, dtype=np.float64)
    if m.shape[-2:] != (3, 3):
        raise ValidationError(f"ACA_MISALIGN must be 3x3 matrices, got shape {m.shape}")
    yaw = np.degrees(np.arctan2(m[..., 1, 0], m[..., 0, 0]))
    pitch = -np.degrees(np.arctan2(m[..., 2, 0], np.hypot(m[..., 0, 0], m[..., 1, 0])))
    return yaw * 3600.0, -pitch * 3600.0


def validity_seconds(date: str) -> float:
    """A validity date (``CVSD0001``/``CVED0001``, ISO or Chandra date) in CXC seconds."""
    with warnings.catch_warnings():  # far-future validity ends: ERFA's "dubious year"
        warnings.filterwarnings("ignore", message=".*dubious year")
        try:
            return float(CxoTime(date).secs)
        except (ValueError, TypeError) as exc:
            raise ValidationError(f"bad CALALIGN validity date {date!r}: {exc}") from None


def parse_calalign_name(name: str) -> tuple[str, str] | None:
    """``(date, version)`` of a CALALIGN file name (``pcadD2022-06-01alignN0010.fits``).

    None for names that are not CALALIGN file names.
    """
    match = CALALIGN_FILE.match(name)
    return (match.group(1), match.group(2)) if match else None


def calalign_rows(
    *,
    filename: str,
    instr_id: Sequence[str],
    aca_misalign: ArrayLike,
    fts_misalign: ArrayLike,
    start: str | None = None,
    stop: str | None = None,
) -> Table:
    """The rows of one CALALIGN file, in the form of :func:`calalign_table`.

    Parameters
    ----------
    filename : str
        The file name (``pcadD{YYYY-MM-DD}align{Nxxxx}.fits``): gives date and version.
    instr_id : sequence of str
        INSTR_ID of each row.
    aca_misalign, fts_misalign : array (n×3×3 or n×9)
        The misalignment matrices.
    start, stop : str, optional
        CVSD0001 and CVED0001 (default: the file date and :data:`DEFAULT_VALIDITY_END`).

    Raises
    ------
    ValidationError
        The name is not a CALALIGN name, or the matrices do not fit the rows.
    """
    parsed = parse_calalign_name(filename)
    if parsed is None:
        raise ValidationError(
            f"{filename!r} is not a CALALIGN file name (pcadD<YYYY-MM-DD>align<Nxxxx>.fits)"
        )
    date, version = parsed
    instr = [str(v).strip() for v in instr_id]
    n = len(instr)
    aca = np.asarray(aca_misalign, dtype=np.float64).reshape(-1, 3, 3)
    fts = np.asarray(fts_misalign, dtype=np.float64).reshape(-1, 3, 3)
    if len(aca) != n or len(fts) != n:
        raise ValidationError(
            f"{filename}: {n} INSTR_ID rows but {len(aca)} ACA and {len(fts)} FTS matrices"
        )
    caldb, _ = CALALIGN_CALDB.get(version, ("0.0", ""))
    dy, dz = calalign_offsets(aca)
    return Table(
        {
            "calalign_version": [version] * n,
            "filename": [filename] * n,
            "date": [date] * n,
            "caldb_version": [caldb] * n,
            "instr_id": instr,
            "start": np.full(n, validity_seconds(start or date)),
            "stop": np.full(n, validity_seconds(stop or DEFAULT_VALIDITY_END)),
            "aca_misalign": aca,
            "fts_misalign": fts,
            "dy": dy,
            "dz": dz,
        }
    )


def calalign_table(files: Sequence[Table]) -> Table:
    """The rows of several CALALIGN files (from :func:`calalign_rows`) in one table.

    Columns: calalign_version (``N0010``), filename, date, caldb_version (``4.10.0``; ``0.0``
    for versions not in :data:`CALALIGN_CALDB`), instr_id, start/stop (validity, CXC s),
    aca_misalign/fts_misalign (3×3), dy/dz (arcsec, :func:`calalign_offsets`). Sorted by
    version and date.
    """
    if not files:
        raise ValidationError("no CALALIGN files given")
    result = vstack(list(files))
    result.sort(["calalign_version", "date"])
    return result


def select_calalign(
    calalign: Table,
    instr_id: Sequence[str],
    time: ArrayLike,
    caldb_version: Sequence[str] | None = None,
) -> NDArray[np.int64]:
    """Row index in ``calalign`` of the CALALIGN used for each (instrument, time, CalDB).

    The chosen row has the same INSTR_ID, is valid at ``time`` (CXC s; start <= t < stop),
    has a CalDB version not newer than ``caldb_version`` (when given), and is the latest such
    version (then the latest start of validity, then the latest file date, as CalDB picks
    among the files of one version). -1 where none qualifies.
    """
    for col in ("instr_id", "start", "stop", "caldb_version", "calalign_version", "date"):
        if col not in calalign.colnames:
            raise SchemaError(f"calalign table lacks column {col!r}")
    times = np.atleast_1d(np.asarray(time, dtype=np.float64))
    instr = [str(i).strip().upper() for i in instr_id]
    if len(instr) != len(times):
        raise ValidationError(f"{len(instr)} instruments but {len(times)} times")
    cal_instr = np.array([str(i).strip().upper() for i in calalign["instr_id"]])
    cal_caldb = [caldb_tuple(v) for v in calalign["caldb_version"]]
    order = sorted(
        range(len(calalign)),
        key=lambda i: (
            str(calalign["calalign_version"][i]),
            float(calalign["start"][i]),
            str(calalign["date"][i]),
        ),
        reverse=True,
    )
    start = np.asarray(calalign["start"], dtype=np.float64)
    stop = np.asarray(calalign["stop"], dtype=np.float64)
    result = np.full(len(times), -1, dtype=np.int64)
    cache: dict[tuple[str, float, tuple[int, ...] | None], int] = {}
    for k, (inst, t) in enumerate(zip(instr, times, strict=True)):
        limit = caldb_tuple(caldb_version[k]) if caldb_version is not None else None
        key = (inst, float(t), limit)
        if key not in cache:
            cache[key] = next(
                (
                    i
                    for i in order
                    if cal_instr[i] == inst
                    and start[i] <= t < stop[i]
                    and (limit is None or cal_caldb[i] <= limit)
                ),
                -1,
            )
        result[k] = cache[key]
    return result


def _version_name(ref: Any) -> str:
    if isinstance(ref, (int, np.integer)):
        return f"N{int(ref):04d}"
    text = str(ref).strip().upper()
    if re.fullmatch(r"\d+", text):
        return f"N{int(text):04d}"
    if re.fullmatch(r"N\d{4}", text):
        return text
    raise ValidationError(f"calalign version must be like 'N0010' or 10, got {ref!r}")


def calalign_offsets_table(matches: Table, calalign: Table, ref_calalign: Any = None) -> Table:
    """Per match, the CALALIGN it was processed with and a reference one, with their offsets.

    Parameters
    ----------
    matches : Table
        Columns obsid, x_id, detector (ACIS-S/ACIS-I/HRC-S/HRC-I), caldb_version and tstart
        (CXC s).
    calalign : Table
        As returned by :func:`read_calalign_files`.
    ref_calalign : str or int, optional
        Reference version (``'N0010'`` or 10); default the latest valid at each match's time.

    Returns
    -------
    Table
        obsid, x_id, calalign_dy, calalign_dz (arcsec), aca_misalign, fts_misalign,
        calalign_version, the same with a ``ref_`` prefix, and after_caldb (the match's CalDB
        is not older than the one that introduced the reference CALALIGN). Offsets are NaN and
        versions empty where no CALALIGN applies.
    """
    needed = ["obsid", "x_id", "detector", "caldb_version", "tstart"]
    missing = [c for c in needed if c not in matches.colnames]
    if missing:
        raise SchemaError(f"matches lack the columns {missing} needed to pick CALALIGNs")
    instr = [str(d).strip().upper() for d in matches["detector"]]
    times = np.asarray(matches["tstart"], dtype=np.float64)
    used = select_calalign(calalign, instr, times, [str(v) for v in matches["caldb_version"]])
    if ref_calalign is None:
        ref = select_calalign(calalign, instr, times)
    else:
        name = _version_name(ref_calalign)
        subset = np.flatnonzero(np.asarray(calalign["calalign_version"]) == name)
        if not len(subset):
            versions = sorted(set(calalign["calalign_version"]))
            raise ValidationError(f"calalign version {name} not found (have {versions})")
        sub = calalign[subset]
        pick = select_calalign(sub, instr, times)
        # outside its validity, the reference version still applies
        far = select_calalign(sub, instr, np.full(len(times), float(np.min(sub["start"]))))
        pick = np.where(pick >= 0, pick, far)
        ref = np.where(pick >= 0, subset[np.maximum(pick, 0)], -1)
    out = Table({"obsid": matches["obsid"], "x_id": matches["x_id"]})
    for prefix, index in (("", used), ("ref_", ref)):
        ok = index >= 0
        safe = np.maximum(index, 0)
        out[f"{prefix}calalign_dy"] = np.where(ok, np.asarray(calalign["dy"])[safe], np.nan)
        out[f"{prefix}calalign_dz"] = np.where(ok, np.asarray(calalign["dz"])[safe], np.nan)
        nan3 = np.full((3, 3), np.nan)
        for col in ("aca_misalign", "fts_misalign"):
            values = np.asarray(calalign[col])[safe]
            out[f"{prefix}{col}"] = np.where(ok[:, None, None], values, nan3)
        out[f"{prefix}calalign_version"] = np.where(
            ok, np.asarray(calalign["calalign_version"]).astype(str)[safe], ""
        )
    ref_caldb = np.asarray(calalign["caldb_version"]).astype(str)[np.maximum(ref, 0)]
    out["after_caldb"] = np.array(
        [
            r >= 0 and caldb_tuple(m) >= caldb_tuple(c)
            for m, c, r in zip(matches["caldb_version"], ref_caldb, ref, strict=True)
        ],
        dtype=bool,
    )
    return out
