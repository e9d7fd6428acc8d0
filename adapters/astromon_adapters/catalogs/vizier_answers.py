"""VizieR's answers as catalog stars: the columns of a catalog's spec read from each table
astroquery returns, and the stars of several answers merged, each star once.

A VizieR column is found under the names astroquery gives it (the VizieR label, e.g. ``f.mag``
or ``2MASS``, or its ``_``-prefixed and ``_``-for-punctuation forms). Stars are read with
:func:`astromon.domain.catalogs.catalog_stars`, the path every catalog adapter takes; they are
not moved here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.table import Table
from numpy.typing import NDArray

from astromon.domain.catalogs import CatalogSpec, CatalogStars, catalog_stars
from astromon.domain.errors import CatalogError

__all__ = ["AnswerStars", "find_column", "merge_answers", "read_answer"]

logger = logging.getLogger(__name__)

Float = NDArray[np.float64]


@dataclass(frozen=True)
class AnswerStars:
    """The stars of a VizieR answer, where the catalog puts them (not moved).

    Attributes
    ----------
    names : list of str
        Each star's name (the spec's name columns joined with ``-``).
    stars : CatalogStars
        Positions at their own epochs and motions; every position is finite.
    mag : ndarray
        Magnitudes (NaN when blank or when the answer has no magnitude column).
    """

    names: list[str]
    stars: CatalogStars
    mag: Float

    def __len__(self) -> int:
        return len(self.names)

    def take(self, index: NDArray[np.intp]) -> AnswerStars:
        """The stars at ``index``, in that order."""
        s = self.stars
        return AnswerStars(
            [self.names[i] for i in index.tolist()],
            CatalogStars(s.ra[index], s.dec[index], s.epoch[index], s.pmra[index], s.pmdec[index]),
            self.mag[index],
        )


def read_answer(spec: CatalogSpec, table: Table, where: str) -> AnswerStars:
    """The stars of one VizieR table, read with ``spec``; stars without a position dropped.

    ``where`` names the server and catalog in messages.

    Raises
    ------
    CatalogError
        The table lacks a column the spec needs (a missing magnitude column only gives NaN
        magnitudes and a warning), or a numeric column is not numeric.
    """
    parts = [_strings(_column(table, c, where)) for c in spec.name_columns]
    names = ["-".join(p) for p in zip(*parts, strict=True)]
    mag = np.full(len(table), np.nan)
    if spec.mag_column is not None:
        found = find_column(table, spec.mag_column)
        if found is None:
            logger.warning("%s: no magnitude column %s", where, spec.mag_column)
        else:
            mag = _floats(table[found])
    stars = catalog_stars(spec, lambda name: _floats(_column(table, name, where)), len(table))
    answer = AnswerStars(names, stars, mag)
    finite = np.isfinite(stars.ra) & np.isfinite(stars.dec)
    if finite.all():
        return answer
    logger.info("%s: %d stars without a position skipped", where, int((~finite).sum()))
    return answer.take(np.flatnonzero(finite))


def merge_answers(answers: list[AnswerStars]) -> AnswerStars:
    """The stars of ``answers``, each once, in the order first seen.

    A star is known by its identity: its name and its position where the catalog puts it
    (read from the same catalog values, so a star found by two cones, or near two sources,
    has the same identity each time).
    """
    names = [n for a in answers for n in a.names]
    if not answers:
        nothing = np.zeros(0)
        return AnswerStars([], CatalogStars(nothing, nothing, nothing, nothing, nothing), nothing)
    ra = np.concatenate([a.stars.ra for a in answers])
    dec = np.concatenate([a.stars.dec for a in answers])
    keep: dict[tuple[str, float, float], int] = {}
    for i, key in enumerate(zip(names, ra.tolist(), dec.tolist(), strict=True)):
        keep.setdefault(key, i)
    merged = AnswerStars(
        names,
        CatalogStars(
            ra,
            dec,
            np.concatenate([a.stars.epoch for a in answers]),
            np.concatenate([a.stars.pmra for a in answers]),
            np.concatenate([a.stars.pmdec for a in answers]),
        ),
        np.concatenate([a.mag for a in answers]),
    )
    return merged.take(np.fromiter(keep.values(), dtype=np.intp, count=len(keep)))


def find_column(table: Table, name: str) -> str | None:
    """The column of ``table`` holding VizieR column ``name`` (as named by astroquery)."""
    fixed = re.sub(r"[^A-Za-z0-9_]", "_", name)
    for candidate in (name, "_" + name, fixed, "_" + fixed):
        if candidate in table.colnames:
            return candidate
    return None


def _column(table: Table, name: str, where: str) -> Any:
    found = find_column(table, name)
    if found is None:
        raise CatalogError(f"{where}: the answer lacks the column {name} (got {table.colnames})")
    return table[found]


def _floats(column: Any) -> Float:
    data: Any = np.ma.asarray(column)
    if data.dtype.kind not in "iuf":
        try:
            data = data.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise CatalogError(f"column {getattr(column, 'name', '?')} is not numeric") from exc
    filled: Any = np.ma.filled(data.astype(np.float64), np.nan)
    return np.asarray(filled, dtype=np.float64)


def _strings(column: Any) -> list[str]:
    data = np.ma.asarray(column)
    mask = np.ma.getmaskarray(data)
    out = []
    for value, masked in zip(data.data.tolist(), mask.tolist(), strict=True):
        if masked:
            out.append("")
        elif isinstance(value, bytes):
            out.append(value.decode(errors="replace").strip())
        elif isinstance(value, float) and value.is_integer():
            out.append(str(int(value)))
        else:
            out.append(str(value).strip())
    return out
