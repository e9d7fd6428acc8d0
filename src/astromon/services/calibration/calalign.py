"""Calibration: median offsets in time bins, new CALALIGN files from them, and their check.

* :func:`median_offsets`: the median dy/dz of the report's cross-matches per time bin,
  over all detectors and, if asked, per detector (:mod:`astromon.domain.offset_bins`).
* :func:`write_calalign_files`: one new CALALIGN file per offset step, from a current one,
  with ACA_MISALIGN rotated by the correction (the negative of the x-ray minus catalog
  offset, :mod:`astromon.domain.calalign_update`): by default one common correction for
  every INSTR_ID (the practice of the system we replace), or one per detector.
* :func:`proposed_calalign_offsets`: per match, the offsets of the CALALIGN it was processed
  with and of the proposed one, so that the report can re-express the matches as if they had
  been processed with the proposed files (``dy' = dy - calalign_dy + proposed_dy``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table

from astromon.domain.calalign import calalign_offsets_table, parse_calalign_name, select_calalign
from astromon.domain.calalign_update import correct_misalignment
from astromon.domain.errors import ValidationError
from astromon.domain.offset_bins import binned_offsets
from astromon.domain.statistics import DETECTORS
from astromon.domain.time import CxoTime
from astromon.ports.calalign import CalalignFiles

__all__ = [
    "median_offsets",
    "next_version",
    "proposed_calalign_offsets",
    "step_offsets",
    "write_calalign_files",
]


def _secs(value: Any, option: str) -> float:
    try:
        return float(value) if isinstance(value, (int, float)) else float(CxoTime(value).secs)
    except Exception:
        raise ValidationError(f"{option}: cannot parse the time {value!r}") from None


def median_offsets(
    matches: Table,
    *,
    bins_per_year: float = 2.0,
    start: Any = None,
    stop: Any = None,
    per_detector: bool = False,
) -> Table:
    """Median dy/dz of ``matches`` per time bin, over all detectors and, if asked, per detector.

    Parameters
    ----------
    matches : Table
        Cross-matches with obsid, tstart (CXC s), detector, dy, dz (arcsec).
    bins_per_year : float
        Bins per year (default 2: half-years starting at YYYY.0 and YYYY.5).
    start, stop : CxoTime-compatible, optional
        Only matches with ``start <= tstart < stop``.
    per_detector : bool
        Also a row per detector and bin (default: the ``all`` rows only, one common
        correction).

    Returns
    -------
    Table
        tstart, tstop (bin edges, CXC s), detector (``all`` or a detector), n (matches),
        n_obs (observations), dy, dz, dy_err, dz_err (arcsec; the uncertainty from
        resampling whole observations, :func:`astromon.domain.resampling.median_uncertainty`).
    """
    needed = ("obsid", "tstart", "detector", "dy", "dz")
    missing = [c for c in needed if c not in matches.colnames]
    if missing:
        raise ValidationError(f"cross-matches lack the columns {missing}")
    t = np.asarray(matches["tstart"], dtype=np.float64)
    keep = np.ones(len(t), dtype=bool)
    if start is not None:
        keep &= t >= _secs(start, "--start")
    if stop is not None:
        keep &= t < _secs(stop, "--stop")
    m = matches[keep]
    years = np.asarray(CxoTime(t[keep]).frac_year, dtype=np.float64) if keep.any() else t[keep]
    bins = binned_offsets(
        years,
        np.asarray(m["dy"], dtype=np.float64),
        np.asarray(m["dz"], dtype=np.float64),
        np.asarray(m["detector"]).astype(str),
        np.asarray(m["obsid"]),
        bins_per_year=bins_per_year,
        detectors=DETECTORS if per_detector else (),
    )
    edges = sorted({b.start_year for b in bins} | {b.stop_year for b in bins})
    secs = (
        dict(zip(edges, np.atleast_1d(CxoTime(edges, format="decimalyear").secs), strict=True))
        if edges
        else {}
    )
    return Table(
        {
            "tstart": np.array([secs[b.start_year] for b in bins], dtype=np.float64),
            "tstop": np.array([secs[b.stop_year] for b in bins], dtype=np.float64),
            "detector": np.array([b.detector for b in bins], dtype="U6"),
            "n": np.array([b.n for b in bins], dtype=np.int64),
            "n_obs": np.array([b.n_obs for b in bins], dtype=np.int64),
            "dy": np.array([b.dy for b in bins], dtype=np.float64),
            "dz": np.array([b.dz for b in bins], dtype=np.float64),
            "dy_err": np.array([b.dy_err for b in bins], dtype=np.float64),
            "dz_err": np.array([b.dz_err for b in bins], dtype=np.float64),
        }
    )


def step_offsets(
    offsets: Table, instruments: Sequence[str], *, per_detector: bool = False
) -> list[tuple[float, dict[str, Any]]]:
    """The offset steps of an offsets table, for each instrument.

    Returns a list of ``(tstart, {INSTR_ID: (dy, dz) or None})`` sorted by tstart. By default
    every instrument takes the ``all`` row of the step (one common correction). With
    ``per_detector`` an instrument takes the row of its own detector, else the ``all`` row,
    else None (its matrices stay as they are).

    Raises
    ------
    ValidationError
        Without ``per_detector``, the table has no ``all`` row.
    """
    rows: dict[tuple[str, float], tuple[float, float]] = {}
    for row in offsets:
        rows[(str(row["detector"]), float(row["tstart"]))] = (float(row["dy"]), float(row["dz"]))
    if not per_detector:
        rows = {key: value for key, value in rows.items() if key[0] == "all"}
        if not rows:
            raise ValidationError(
                "--offsets holds no 'all' rows, the common correction applied to every "
                "INSTR_ID; pass --per-detector to use its detector rows"
            )
    steps = []
    for tstart in sorted({key[1] for key in rows}):
        chosen = {name: rows.get((name, tstart), rows.get(("all", tstart))) for name in instruments}
        steps.append((tstart, chosen))
    return steps


def next_version(version: str) -> str:
    """The CALALIGN version after ``version`` (``N0010`` → ``N0011``)."""
    match = re.fullmatch(r"N(\d{4})", version)
    if not match:
        raise ValidationError(f"CALALIGN version must be like N0010, got {version!r}")
    return f"N{int(match.group(1)) + 1:04d}"


def _isot(secs: float) -> str:
    return str(CxoTime(secs).utc.isot)[:19]


def write_calalign_files(
    offsets: Table,
    base: Path,
    outdir: Path,
    files: CalalignFiles,
    *,
    version: str | None = None,
    now: Any = None,
    source: str = "",
    per_detector: bool = False,
) -> list[Path]:
    """Write one CALALIGN file per offset step (plus the base re-issued under the new version).

    Parameters
    ----------
    offsets : Table
        As from :func:`astromon.services.calibration.offset_files.read_offsets`: tstart (CXC s),
        detector, dy, dz (arcsec, x-ray minus catalog).
    base : Path
        The current CALALIGN file the new ones start from.
    outdir : Path
        Where the files go (created if needed).
    files : CalalignFiles
        Reads and writes the FITS files.
    version : str, optional
        Version of the new files (default: the base version plus one).
    now : CxoTime-compatible, optional
        The DATE written in the headers (default: the current time).
    source : str
        Name of the offsets file, written in the HISTORY lines.
    per_detector : bool
        Correct each INSTR_ID by the rows of its own detector (else the ``all`` rows); by
        default every INSTR_ID gets the ``all`` rows' common correction.

    Returns
    -------
    list of Path
        The base re-issued (validity until the first step: TSTOP), then one file per step
        ``pcadD{YYYY-MM-DD}align{version}.fits`` with TSTART, TSTOP (the next step's start
        minus 1 s, or the step's tstop; none when unknown), CVSD0001/CVST0001 (the step's
        start), DATE and HISTORY lines; CVED0001 is removed, so each file stays valid until a
        newer one.

    Raises
    ------
    ValidationError
        Two steps on one day, a bad version, no ``all`` rows without ``per_detector``, or an
        output file that exists (nothing is written then). Any failure while writing removes
        the files written by this call.
    """
    base = Path(base)
    parsed = parse_calalign_name(base.name)
    if parsed is None:
        raise ValidationError(
            f"--calalign-file {str(base)!r} is not named like a CALALIGN file "
            "(pcadD<YYYY-MM-DD>align<Nxxxx>.fits)"
        )
    current = files.read_file(base)
    new_version = version or next_version(parsed[1])
    if new_version == parsed[1]:
        raise ValidationError(f"--version {new_version} is the version of the current file")
    next_version(new_version)  # validates the form
    instruments = [str(i) for i in current["instr_id"]]
    steps = step_offsets(offsets, instruments, per_detector=per_detector)
    if not steps:
        raise ValidationError("--offsets holds no offset steps")
    date = _isot(_secs(now, "--date")) if now is not None else str(CxoTime().utc.isot)[:19]
    stops = {float(r["tstart"]): float(r["tstop"]) for r in offsets if np.isfinite(r["tstop"])}
    targets = [outdir / base.name.replace(parsed[1], new_version)]
    for tstart, _ in steps:
        targets.append(outdir / f"pcadD{_isot(tstart)[:10]}align{new_version}.fits")
    names = [t.name for t in targets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(f"two offset steps start on one day: {duplicates}")
    existing = [str(t) for t in targets if t.exists()]
    if existing:
        raise ValidationError(f"--out: CALALIGN files exist, not overwritten: {existing}")
    history = f" from {source}" if source else ""
    matrices = {
        str(r["instr_id"]): (np.asarray(r["aca_misalign"]), np.asarray(r["fts_misalign"]))
        for r in current
    }
    jobs: list[tuple[Path, dict[str, Any], dict[str, str | float | None], list[str]]] = [
        (
            targets[0],
            {},
            {"DATE": date, "TSTOP": float(np.floor(steps[0][0] - 1.0))},
            [f"CALALIGN {new_version}: {base.name} valid until {_isot(steps[0][0])}"],
        )
    ]
    for k, (tstart, chosen) in enumerate(steps):
        tstop = steps[k + 1][0] if k + 1 < len(steps) else stops.get(tstart, np.nan)
        start_isot = _isot(tstart)
        header: dict[str, str | float | None] = {
            "DATE": date,
            "TSTART": float(np.floor(tstart)),
            "CVSD0001": start_isot,
            "CVST0001": start_isot[11:19],
            "CVED0001": None,
        }
        # the last step without a known end: no TSTOP (not the current file's)
        header["TSTOP"] = float(np.floor(tstop - 1.0)) if np.isfinite(tstop) else None
        scope = "per detector" if per_detector else "common to every INSTR_ID"
        lines = [f"CALALIGN updated{history}", f"correction {scope}"]
        new: dict[str, Any] = {}
        for name, offset in chosen.items():
            if offset is None:
                lines.append(f"{name} alignment unchanged (no offset for this step)")
                continue
            aca, fts = matrices[name]
            new[name] = correct_misalignment(aca, fts, offset[0], offset[1])
            lines.append(
                f"{name} alignment shift (dy, dz) = ({-offset[0]:.3f}, {-offset[1]:.3f}) arcsec"
            )
        jobs.append((targets[k + 1], new, header, lines))
    written: list[Path] = []
    try:
        for target, new_matrices, keywords, lines in jobs:
            written.append(files.write_corrected(base, target, new_matrices, keywords, lines))
    except BaseException as exc:
        for path in written:  # all or nothing: remove the files of this call
            path.unlink(missing_ok=True)
        if isinstance(exc, FileExistsError):
            raise ValidationError(f"--out: {exc}; no file written") from None
        raise
    return written


def proposed_calalign_offsets(matches: Table, current: Table, proposed: Table) -> Table:
    """Per match, the offsets of the CALALIGN it was processed with and of the proposed one.

    Parameters
    ----------
    matches : Table
        obsid, x_id, detector, caldb_version, tstart (CXC s).
    current : Table
        The CALALIGN files in use (:func:`astromon.domain.calalign.calalign_table`): the one a
        match was processed with is picked as in ``astromon.utils.get_calalign_offsets``.
    proposed : Table
        The proposed CALALIGN files: the latest valid at each match's time applies.

    Returns
    -------
    Table
        obsid, x_id, calalign_dy, calalign_dz, calalign_version, and ref_calalign_dy,
        ref_calalign_dz, ref_calalign_version of the proposed file (arcsec), and proposed
        (bool). Where no proposed file or no current file applies, both offsets are 0 (the
        match is unchanged) and proposed is False.
    """
    used = calalign_offsets_table(matches, current)
    instr = [str(d).strip().upper() for d in matches["detector"]]
    pick = select_calalign(proposed, instr, np.asarray(matches["tstart"], dtype=np.float64))
    ok = (pick >= 0) & np.isfinite(np.asarray(used["calalign_dy"], dtype=np.float64))
    safe = np.maximum(pick, 0)
    out = used["obsid", "x_id", "calalign_dy", "calalign_dz", "calalign_version"]
    for axis in ("dy", "dz"):
        current_axis = np.asarray(used[f"calalign_{axis}"], dtype=np.float64)
        out[f"calalign_{axis}"] = np.where(ok, current_axis, 0.0)
        out[f"ref_calalign_{axis}"] = np.where(ok, np.asarray(proposed[axis])[safe], 0.0)
    versions = np.asarray(proposed["calalign_version"]).astype(str)[safe]
    out["ref_calalign_version"] = np.where(ok, versions, np.asarray(used["calalign_version"]))
    out["proposed"] = ok
    return out
