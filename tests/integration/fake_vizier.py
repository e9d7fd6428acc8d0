"""A VizieR-shaped HTTP server on 127.0.0.1, modelled on VizieR itself.

Written from:

* each table's VizieR description (its ReadMe, the byte-by-byte description): the column
  names and units of :data:`FIELDS` and the astrometry of :data:`ASTROMETRY` (which columns
  hold the positions, their epoch, the proper motions). Tycho-2 (I/259, tyc2.dat): mean
  position ``RAmdeg``/``DEmdeg`` at J2000, blank with ``pmRA``/``pmDE`` for ``pflag`` 'X';
  observed position ``RA(ICRS)``/``DE(ICRS)`` at epoch 1990 + ``EpRA-1990``. ICRF2 (I/323):
  no motion. USNO-B1.0 (I/284): ``RAJ2000`` "at Eq=J2000, Ep=J2000", ``Epoch`` the mean epoch
  of the plates. Hipparcos (I/239): ``RA(ICRS)`` (named ``RAICRS`` in VizieR's answers) at
  J1991.25, ``pmRA`` = mu_alpha*cos(delta). Hipparcos new reduction (I/311): ``RArad`` at
  J1991.25. UCAC4 (I/322A): ``RAJ2000`` "Ep=J2000", pmRA*cos(Dec). 2MASS (II/246): no motion,
  ``JD`` the date of the measurement. SDSS DR7 (II/294): ``RAJ2000`` at ``ObsDate``. Gaia DR2
  (I/345) at Ep=2015.5 and DR3 (I/355) at Ep=2016.0, pmRA*cosDE. Proper motions in mas/yr;
* how VizieR answers the ``POST /viz-bin/votable`` scripts astroquery sends (the astroquery
  VizieR client and a recorded VizieR answer): ``-source``, ``-out``/``-out.add``, ``-out.max``,
  the positions ``-c`` (a list with ``-out.form=mini``: one table with ``_q`` numbering the
  position) and the radius ``-c.rs``/``-c.rm``/``-c.rd``. VizieR's computed ``_RAJ2000`` and
  ``_DEJ2000`` are the positions at epoch J2000, "proper motions taken into account", and the
  cone is applied to them (VizieR's distance ``_r`` is measured "at Epoch=J2000.0"). A star
  without motion is where the catalog puts it (Tycho-2's 'X' stars: at their observed
  position). Columns VizieR does not know are left out of the answer;
* VizieR's column constraints (``column=expression`` lines, astroquery's ``column_filters``),
  from VizieR's help page on query constraints: see :mod:`tests.integration.vizier_constraints`.
  A row is answered when it satisfies every constraint and is in the cone;
* how VizieR fails: an unknown catalogue is a VOTable with an ``Error`` INFO and no table, and
  so is a constraint it cannot read; scripted replies give HTTP errors, delays and non-VOTable
  pages (a maintenance page). A constraint on a column the table does not have is refused as
  well (VizieR's help does not say what it does with one; astromon never sends one).

The positions at J2000 are computed with astropy (:func:`move`), not with astromon's code.
Each request is recorded (:attr:`FakeVizier.requests`) with the number of rows answered.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from numpy.typing import NDArray

from tests.integration.vizier_constraints import ConstraintError, constraint_mask
from tests.local_http import QuietHandler, serve

# --- the tables, as their ReadMe files describe them ---------------------------------------

# (name, VOTable datatype, unit)
FIELDS: dict[str, list[tuple[str, str, str]]] = {
    "I/259/tyc2": [
        ("TYC1", "short", ""), ("TYC2", "short", ""), ("TYC3", "unsignedByte", ""),
        ("pflag", "char", ""), ("RAmdeg", "double", "deg"), ("DEmdeg", "double", "deg"),
        ("pmRA", "double", "mas/yr"), ("pmDE", "double", "mas/yr"), ("EpRAm", "double", "yr"),
        ("EpDEm", "double", "yr"), ("BTmag", "float", "mag"), ("VTmag", "float", "mag"),
        ("HIP", "int", ""), ("RA(ICRS)", "double", "deg"), ("DE(ICRS)", "double", "deg"),
        ("EpRA-1990", "float", "yr"), ("EpDE-1990", "float", "yr"),
    ],
    "I/323/icrf2": [
        ("ICRF", "char", ""), ("RAJ2000", "double", "deg"), ("DEJ2000", "double", "deg"),
        ("Type", "char", ""),
    ],
    "I/284/out": [
        ("USNO-B1.0", "char", ""), ("RAJ2000", "double", "deg"), ("DEJ2000", "double", "deg"),
        ("e_RAJ2000", "short", "mas"), ("e_DEJ2000", "short", "mas"), ("Epoch", "float", "yr"),
        ("pmRA", "int", "mas/yr"), ("pmDE", "int", "mas/yr"), ("Ndet", "unsignedByte", ""),
        ("B1mag", "float", "mag"), ("R1mag", "float", "mag"), ("B2mag", "float", "mag"),
        ("R2mag", "float", "mag"), ("Imag", "float", "mag"),
    ],
    "I/239/hip_main": [
        ("HIP", "int", ""), ("RAhms", "char", "h:m:s"), ("DEdms", "char", "d:m:s"),
        ("Vmag", "float", "mag"), ("RAICRS", "double", "deg"), ("DEICRS", "double", "deg"),
        ("Plx", "float", "mas"), ("pmRA", "double", "mas/yr"), ("pmDE", "double", "mas/yr"),
        ("BTmag", "float", "mag"), ("VTmag", "float", "mag"), ("B-V", "float", "mag"),
    ],
    "I/311/hip2": [
        ("HIP", "int", ""), ("RArad", "double", "deg"), ("DErad", "double", "deg"),
        ("Plx", "double", "mas"), ("pmRA", "double", "mas/yr"), ("pmDE", "double", "mas/yr"),
        ("Hpmag", "double", "mag"), ("e_Hpmag", "double", "mag"), ("B-V", "float", "mag"),
        ("V-I", "float", "mag"),
    ],
    "I/322A/out": [
        ("UCAC4", "char", ""), ("RAJ2000", "double", "deg"), ("DEJ2000", "double", "deg"),
        ("ePos", "short", "mas"), ("EpRA", "double", "yr"), ("EpDE", "double", "yr"),
        ("f.mag", "float", "mag"), ("a.mag", "float", "mag"), ("pmRA", "double", "mas/yr"),
        ("pmDE", "double", "mas/yr"), ("Jmag", "float", "mag"), ("Kmag", "float", "mag"),
        ("Vmag", "float", "mag"),
    ],
    "II/246/out": [
        ("RAJ2000", "double", "deg"), ("DEJ2000", "double", "deg"), ("2MASS", "char", ""),
        ("Jmag", "float", "mag"), ("Hmag", "float", "mag"), ("Kmag", "float", "mag"),
        ("Qflg", "char", ""), ("JD", "double", "d"),
    ],
    "II/294/sdss7": [
        ("RAJ2000", "double", "deg"), ("DEJ2000", "double", "deg"), ("cl", "unsignedByte", ""),
        ("SDSS", "char", ""), ("ObsDate", "double", "yr"), ("umag", "float", "mag"),
        ("gmag", "float", "mag"), ("rmag", "float", "mag"), ("imag", "float", "mag"),
        ("zmag", "float", "mag"), ("pmRA", "double", "mas/yr"), ("pmDE", "double", "mas/yr"),
    ],
    "I/345/gaia2": [
        ("RA_ICRS", "double", "deg"), ("DE_ICRS", "double", "deg"), ("Source", "long", ""),
        ("Plx", "double", "mas"), ("pmRA", "double", "mas/yr"), ("pmDE", "double", "mas/yr"),
        ("Gmag", "double", "mag"), ("Epoch", "double", "yr"),
    ],
    "I/355/gaiadr3": [
        ("RA_ICRS", "double", "deg"), ("DE_ICRS", "double", "deg"), ("Source", "long", ""),
        ("Plx", "double", "mas"), ("PM", "double", "mas/yr"), ("pmRA", "double", "mas/yr"),
        ("pmDE", "double", "mas/yr"), ("Gmag", "double", "mag"), ("Epoch", "double", "yr"),
    ],
}  # fmt: skip


@dataclass(frozen=True)
class Astrometry:
    """Where a table's stars are: position columns, their epoch, the proper motions.

    ``epoch`` is a constant Julian epoch or ``(column, years added, 'yr' | 'd')``; ``observed``
    is Tycho-2's observed position ``(ra, dec, epoch column)`` (epoch + 1990) of the stars
    without a mean position.
    """

    ra: str
    dec: str
    epoch: float | tuple[str, float, str] | None
    pm: tuple[str, str] | None = None
    observed: tuple[str, str, str] | None = None


ASTROMETRY: dict[str, Astrometry] = {
    "I/259/tyc2": Astrometry(
        "RAmdeg", "DEmdeg", 2000.0, ("pmRA", "pmDE"), ("RA(ICRS)", "DE(ICRS)", "EpRA-1990")
    ),
    "I/323/icrf2": Astrometry("RAJ2000", "DEJ2000", None),
    "I/284/out": Astrometry("RAJ2000", "DEJ2000", 2000.0, ("pmRA", "pmDE")),
    "I/239/hip_main": Astrometry("RAICRS", "DEICRS", 1991.25, ("pmRA", "pmDE")),
    "I/311/hip2": Astrometry("RArad", "DErad", 1991.25, ("pmRA", "pmDE")),
    "I/322A/out": Astrometry("RAJ2000", "DEJ2000", 2000.0, ("pmRA", "pmDE")),
    "II/246/out": Astrometry("RAJ2000", "DEJ2000", ("JD", 0.0, "d")),
    "II/294/sdss7": Astrometry("RAJ2000", "DEJ2000", ("ObsDate", 0.0, "yr"), ("pmRA", "pmDE")),
    "I/345/gaia2": Astrometry("RA_ICRS", "DE_ICRS", 2015.5, ("pmRA", "pmDE")),
    "I/355/gaiadr3": Astrometry("RA_ICRS", "DE_ICRS", 2016.0, ("pmRA", "pmDE")),
}
TABLES = {"I/323": "I/323/icrf2", "I/284": "I/284/out", "II/294": "II/294/sdss7"}
"""The table VizieR answers with when a catalog (not a table) id is asked for."""
TITLES = {
    "I/323/icrf2": ("I/323", "ICRF2 (Fey+ 2009)"),
    "I/284/out": ("I/284", "The USNO-B1.0 Catalog (Monet+ 2003)"),
    "I/239/hip_main": ("I/239", "The Hipparcos and Tycho Catalogues (ESA 1997)"),
    "I/311/hip2": ("I/311", "Hipparcos, the New Reduction (van Leeuwen, 2007)"),
    "I/322A/out": ("I/322A", "UCAC4 Catalogue (Zacharias+, 2012)"),
    "II/294/sdss7": ("II/294", "The SDSS Photometric Catalog, Release 7 (Adelman-McCarthy+, 2009)"),
    "I/345/gaia2": ("I/345", "Gaia DR2 (Gaia Collaboration, 2018)"),
    "I/259/tyc2": ("I/259", "The Tycho-2 Catalogue (Hog+ 2000)"),
    "II/246/out": ("II/246", "2MASS All-Sky Catalog of Point Sources (Cutri+ 2003)"),
    "I/355/gaiadr3": ("I/355", "Gaia DR3 Part 1. Main source"),
}
VIZIER_CONE_EPOCH = 2000.0
"""VizieR's computed positions, and its cone, are at epoch J2000."""
Floats = NDArray[np.float64]


def move(
    ra: float, dec: float, pmra: float, pmdec: float, start: float, end: float
) -> tuple[float, float]:
    """A position (degrees) moved by its proper motion (mas/yr, pmra*cos(dec)) from the Julian
    epoch ``start`` to ``end``: uniform motion in space (astropy's ``apply_space_motion``)."""
    moved_ra, moved_dec = move_many(
        np.array([ra]), np.array([dec]), np.array([pmra]), np.array([pmdec]),
        np.array([start]), end,
    )  # fmt: skip
    return float(moved_ra[0]), float(moved_dec[0])


def move_many(
    ra: Floats, dec: Floats, pmra: Floats, pmdec: Floats, start: Floats, end: float
) -> tuple[Floats, Floats]:
    """:func:`move` for arrays of positions, motions and epochs."""
    if len(ra) == 0:
        return np.zeros(0), np.zeros(0)
    star = SkyCoord(
        ra=ra * u.deg,
        dec=dec * u.deg,
        pm_ra_cosdec=pmra * u.mas / u.yr,
        pm_dec=pmdec * u.mas / u.yr,
        distance=np.ones(len(ra)) * u.kpc,
        radial_velocity=np.zeros(len(ra)) * u.km / u.s,
        obstime=Time(start, format="jyear", scale="tt"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        moved = star.apply_space_motion(new_obstime=Time(end, format="jyear", scale="tt"))
    return np.asarray(moved.ra.deg, dtype=float), np.asarray(moved.dec.deg, dtype=float)


def _value(row: dict[str, Any], column: str) -> float:
    value = row.get(column)
    return math.nan if value is None else float(value)


def _epoch(spec: Astrometry, row: dict[str, Any]) -> float:
    if spec.epoch is None or isinstance(spec.epoch, float):
        return math.nan if spec.epoch is None else spec.epoch
    column, added, unit = spec.epoch
    value = _value(row, column)
    return 2000.0 + (value - 2451545.0) / 365.25 if unit == "d" else value + added


def j2000_positions(table_id: str, rows: list[dict[str, Any]]) -> tuple[Floats, Floats]:
    """VizieR's ``_RAJ2000``/``_DEJ2000`` of ``rows``: at J2000, proper motions taken into
    account; NaN for a row without any position."""
    spec = ASTROMETRY[table_id]
    ra = np.array([_value(r, spec.ra) for r in rows])
    dec = np.array([_value(r, spec.dec) for r in rows])
    pm = np.full((2, len(rows)), np.nan)
    if spec.pm is not None:
        pm = np.array([[_value(r, c) for r in rows] for c in spec.pm]).reshape(2, len(rows))
    epoch = np.array([_epoch(spec, r) for r in rows])
    moving = np.isfinite(ra) & np.isfinite(dec) & np.isfinite(pm).all(axis=0) & np.isfinite(epoch)
    ra[moving], dec[moving] = move_many(
        ra[moving], dec[moving], pm[0][moving], pm[1][moving], epoch[moving], VIZIER_CONE_EPOCH
    )
    if spec.observed is not None:
        blank = ~(np.isfinite(ra) & np.isfinite(dec))
        ra[blank] = [_value(r, spec.observed[0]) for r, b in zip(rows, blank, strict=True) if b]
        dec[blank] = [_value(r, spec.observed[1]) for r, b in zip(rows, blank, strict=True) if b]
    return ra, dec


def _unit_vectors(ra: Floats, dec: Floats) -> Floats:
    ra_r, dec_r = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(dec_r) * np.cos(ra_r), np.cos(dec_r) * np.sin(ra_r), np.sin(dec_r)], 1)


# --- the VOTable answers -------------------------------------------------------------------


_INTEGERS = ("unsignedByte", "short", "int", "long")


def _td(value: Any, datatype: str) -> str:
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return "<TD></TD>"
    if datatype in _INTEGERS:
        return f"<TD>{int(value)}</TD>"
    if isinstance(value, float | np.floating):
        return f"<TD>{float(value)!r}</TD>"
    return f"<TD>{escape(str(value))}</TD>"


def _field(name: str, datatype: str, unit: str) -> str:
    extra = ' arraysize="*"' if datatype == "char" else ""
    unit_attr = f' unit="{escape(unit)}"' if unit else ""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return (
        f'<FIELD name="{escape(name)}" ID="{ident}" ucd="meta" datatype="{datatype}"{extra}'
        f"{unit_attr}><DESCRIPTION>{escape(name)}</DESCRIPTION></FIELD>"
    )


def votable(table_id: str, rows: list[dict[str, Any]], out: list[str]) -> bytes:
    """A VizieR answer (``-out.form=mini``) with the ``out`` columns of ``rows``.

    ``rows`` may carry ``_q`` and the computed ``_RAJ2000``/``_DEJ2000``; columns of ``out``
    the table does not have are left out, as VizieR does.
    """
    resource, title = TITLES[table_id]
    defined = {f[0]: f for f in FIELDS[table_id]}
    computed = [c for c in out if c in ("_q", "_RAJ2000", "_DEJ2000")]
    columns = [*computed, *[c for c in out if c in defined]]
    fields = []
    types = {name: defined[name][1] if name in defined else "double" for name in columns}
    types["_q"] = "short"
    for name in columns:
        if name == "_q":
            fields.append(
                '<FIELD name="_q" ucd="meta.id" datatype="short" width="4">'
                "<DESCRIPTION>Index of the target position</DESCRIPTION></FIELD>"
            )
        elif name in ("_RAJ2000", "_DEJ2000"):
            fields.append(
                f'<FIELD name="{name}" ucd="pos.eq.{"ra" if "RA" in name else "dec"}" '
                'ref="J2000" datatype="double" width="12" precision="8" unit="deg">'
                "<DESCRIPTION>Position (FK5, Equinox=J2000.0) at Epoch=J2000, proper motions "
                "taken into account  (computed by VizieR, not part of the original data)"
                "</DESCRIPTION></FIELD>"
            )
        else:
            fields.append(_field(*defined[name]))
    trs = ["<TR>" + "".join(_td(row.get(c), types[c]) for c in columns) + "</TR>" for row in rows]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns="http://www.ivoa.net/xml/VOTable/v1.3"
  xsi:schemaLocation="http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/v1.3">
 <DESCRIPTION>
   VizieR Astronomical Server vizier.cds.unistra.fr
    Date: 2026-11-24T12:00:00 [V7.4.5]
   In case of problem, please report to: cds-question@unistra.fr
 </DESCRIPTION>
<INFO ID="VERSION" name="votable-version" value="1.99+ (14-Oct-2013)"/>
<INFO ID="Ref" name="-ref" value="VOTx12345"/>
<INFO name="-out.form" value="mini"/>
<INFO name="MaxTuples" value="50000" />
<RESOURCE ID="yCat_{resource.replace("/", "_")}" name="{resource}">
  <DESCRIPTION>{escape(title)}</DESCRIPTION>
  <COOSYS ID="H_2000.000" system="ICRS" epoch="2000.000"/>
  <TABLE ID="{table_id.replace("/", "_")}" name="{table_id}">
    <DESCRIPTION>{escape(title)}</DESCRIPTION>
    {"".join(fields)}
<DATA><TABLEDATA>
{chr(10).join(trs)}
</TABLEDATA></DATA>
</TABLE>
<INFO name="matches" value="{len(rows)}">matching records</INFO>
</RESOURCE>
</VOTABLE>
""".encode()


def vizier_error(message: str) -> bytes:
    """VizieR's answer to a query it cannot do: a VOTable with an Error INFO, no table."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
<INFO ID="VERSION" name="votable-version" value="1.99+ (14-Oct-2013)"/>
<INFO name="Error" value="{escape(message)}"/>
<RESOURCE><INFO name="QUERY_STATUS" value="ERROR">{escape(message)}</INFO></RESOURCE>
</VOTABLE>
""".encode()


# --- the server ----------------------------------------------------------------------------

_RADIUS_UNITS = {"-c.rs": 1.0, "-c.rm": 60.0, "-c.rd": 3600.0}


@dataclass
class Reply:
    """A scripted reply: HTTP status, optional body, delay (seconds)."""

    status: int = 200
    body: bytes | None = None
    delay: float = 0.0


@dataclass
class FakeVizier:
    """State of the fake server: rows per VizieR table, scripted replies, the requests seen."""

    catalogs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    script: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def answer(self, body: str) -> tuple[int, bytes]:
        request = parse_script(body)
        self.requests.append(request)
        if self.script:
            reply = self.script.pop(0)
            if reply.delay:
                self.release.wait(reply.delay)
            if reply.status != 200 or reply.body is not None:
                return reply.status, reply.body or b"<html>Internal Server Error</html>"
        table_id = TABLES.get(request["-source"], request["-source"])
        if table_id not in FIELDS:
            return 200, vizier_error(f"Unknown catalogue {request['-source']}")
        try:
            stored = constrained(table_id, self.catalogs.get(table_id, []), request["constraints"])
        except ConstraintError as exc:
            return 200, vizier_error(str(exc))
        ra, dec = j2000_positions(table_id, stored)
        placed = np.flatnonzero(np.isfinite(ra) & np.isfinite(dec))
        rows = [{**stored[i], "_RAJ2000": ra[i], "_DEJ2000": dec[i]} for i in placed]
        if not request["positions"]:  # no cone: the first -out.max rows (get_catalogs)
            limit = request.get("-out.max", "50")
            rows = rows[: None if limit == "unlimited" else int(limit)]
            request["rows"] = len(rows)
            return 200, votable(table_id, rows, request["out"])
        (key,) = [k for k in _RADIUS_UNITS if k in request]
        radius = float(request[key]) * _RADIUS_UNITS[key] / 3600.0  # degrees
        stars = _unit_vectors(ra[placed], dec[placed])
        found = []
        for q, (t_ra, t_dec) in enumerate(request["positions"], start=1):
            chord = np.linalg.norm(
                stars - _unit_vectors(np.array([t_ra]), np.array([t_dec])), axis=1
            )
            distance = np.degrees(2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0)))
            found += [{**rows[i], "_q": q} for i in np.flatnonzero(distance <= radius)]
        request["rows"] = len(found)
        return 200, votable(table_id, found, request["out"])


def constrained(
    table_id: str, rows: list[dict[str, Any]], constraints: dict[str, str]
) -> list[dict[str, Any]]:
    """The ``rows`` that satisfy every constraint (``{column: expression}``).

    Raises
    ------
    ConstraintError
        A constraint VizieR cannot read, on a column the table does not have, or on a
        character column (not modelled).
    """
    types = {name: datatype for name, datatype, _ in FIELDS[table_id]}
    keep = np.ones(len(rows), dtype=bool)
    for column, expression in constraints.items():
        if column not in types:
            raise ConstraintError(f"no column {column} in table {table_id}")
        if types[column] == "char":
            raise ConstraintError(f"constraints on the character column {column}: not modelled")
        try:
            keep &= constraint_mask(expression, np.array([_value(r, column) for r in rows]))
        except ConstraintError as exc:
            raise ConstraintError(f"constraint {column}={expression}: {exc}") from None
    return [row for row, kept in zip(rows, keep.tolist(), strict=True) if kept]


def parse_script(body: str) -> dict[str, Any]:
    """The astroquery/VizieR query script: ``-key=value`` lines, the list of positions and the
    column constraints (``column=expression``)."""
    result: dict[str, Any] = {"positions": [], "out": [], "constraints": {}}
    lines = iter(body.splitlines())
    for line in lines:
        if line.endswith("=<<====AstroqueryList"):
            for item in lines:
                if item == "====AstroqueryList":
                    break
                result["positions"].append(_position(item))
        elif line.startswith("-c="):
            result["positions"].append(_position(line[3:]))
        elif "=" in line:
            key, value = line.split("=", 1)
            if key.startswith("-"):
                result[key] = value
            else:  # a column constraint
                result["constraints"][key] = value
    for key in ("-out", "-out.add"):
        if key in result:
            result["out"] += result[key].split(",")
    return result


def _position(text: str) -> tuple[float, float]:
    found = re.match(r"^([0-9.]+)([+-][0-9.]+)$", text.strip())
    assert found, text
    return float(found.group(1)), float(found.group(2))


@contextlib.contextmanager
def running(state: FakeVizier) -> Iterator[FakeVizier]:
    """``state`` served on 127.0.0.1 (its ``url`` set) until the block ends."""

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode()
            assert self.path == "/viz-bin/votable"
            status, payload = state.answer(body)
            with contextlib.suppress(OSError):  # the client gave up (time-out test)
                self.reply(status, payload, "text/xml")

    with serve(Handler) as url:
        state.url = url
        try:
            yield state
        finally:
            state.release.set()  # before the shutdown: a handler may wait for it


@pytest.fixture
def fake_vizier() -> Iterator[FakeVizier]:
    """A fresh fake VizieR server; ``.url`` is its base URL."""
    with running(FakeVizier()) as state:
        yield state
