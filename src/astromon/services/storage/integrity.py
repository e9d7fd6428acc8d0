"""The integrity check of an astromon database, over the :class:`~astromon.ports.store.Store` port.

What is checked (each failed check is one :class:`IntegrityProblem`):

* ``schema`` — the database can be opened and holds at least one astromon table (a damaged
  file is reported here, with DuckDB's reason); every table present has the schema's
  columns, in order, with the schema's types; ``astromon_meta`` has exactly one row; every
  stored value follows its column's rule (:mod:`astromon.domain.value_rules`: dates parse,
  angles and times finite and in range, known detectors, gratings and categories, obsids
  in range, text at most 4096 characters) — one problem per invalid value, naming table,
  column, row and value (up to :data:`MAX_VALUE_PROBLEMS` per table, then a count; those of
  ``astromon_regions`` are ``regions`` problems).
* ``key`` — no duplicate primary keys (``obsid``; ``(obsid, id)``;
  ``(select_name, obsid, x_id)``; ``region_id``) and no duplicate ``region_id_str``.
* ``orphan`` — the rules of :mod:`astromon.domain.references`: every x-ray source belongs
  to a stored observation; every counterpart to a stored x-ray source (same obsid, ``x_id`` =
  source ``id``); every cross-match row to a stored observation, counterpart (``c_id``) and
  x-ray source (``x_id``).
* ``regions`` — invalid region values (``region_id_str`` of 10 hexadecimal characters, radii
  in [0, 648000] arcsec, ...: the value rules), ``last_region_id`` present and >= the largest
  ``region_id``.

Absent tables count as empty (a new database holds only what was written so far).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from astromon.domain.crossmatch.keys import composite_key as _pair_key
from astromon.domain.crossmatch.keys import split_key as _split_key
from astromon.domain.errors import AstromonError
from astromon.domain.references import REFERENCES, orphans
from astromon.domain.schema import TABLE_NAMES, get_spec
from astromon.domain.value_rules import invalid_values
from astromon.ports.store import Store
from astromon.services.storage.integrity_report import (
    PROBLEM_KINDS,
    IntegrityProblem,
    IntegrityReport,
)

__all__ = ["PROBLEM_KINDS", "IntegrityProblem", "IntegrityReport", "check_integrity"]

_EXAMPLES: Final = 5
MAX_VALUE_PROBLEMS: Final = 100
"""Invalid values listed one by one per table; further ones are counted in one problem."""


def _examples(values: Sequence[Any]) -> str:
    shown = ", ".join(str(v) for v in list(values)[:_EXAMPLES])
    more = " ..." if len(values) > _EXAMPLES else ""
    return f"{shown}{more}"


def _int_col(table: Any, name: str) -> NDArray[np.int64]:
    return np.asarray(table[name], dtype=np.int64)


def _duplicates(keys: NDArray[Any]) -> NDArray[Any]:
    """The distinct values that occur more than once in ``keys``."""
    if keys.size == 0:
        return keys[:0]
    values, counts = np.unique(keys, return_counts=True)
    return np.asarray(values[counts > 1])


def _check_schema(name: str, table: Any) -> list[IntegrityProblem]:
    spec = get_spec(name)
    problems: list[IntegrityProblem] = []
    colnames = list(table.colnames)
    if colnames != spec.names:
        missing = [c for c in spec.names if c not in colnames]
        extra = [c for c in colnames if c not in spec.names]
        detail = []
        if missing:
            detail.append(f"missing {missing}")
        if extra:
            detail.append(f"unexpected {extra}")
        if not detail:
            detail.append(f"order {colnames}, expected {spec.names}")
        problems.append(IntegrityProblem("schema", name, "columns: " + "; ".join(detail)))
    for col in spec.columns:
        if col.name not in colnames:
            continue
        kind = np.asarray(table[col.name]).dtype.kind
        expected = {"i32": "iu", "f32": "f", "f64": "f", "bool": "b", "str": "U"}[col.kind]
        if kind not in expected:
            problems.append(
                IntegrityProblem(
                    "schema",
                    name,
                    f"column {col.name} has type {np.asarray(table[col.name]).dtype}, "
                    f"expected {col.kind}",
                )
            )
    return problems


def _check_keys(name: str, table: Any) -> list[IntegrityProblem]:
    problems: list[IntegrityProblem] = []
    if name == "astromon_obs":
        dup = _duplicates(_int_col(table, "obsid"))
        if dup.size:
            problems.append(
                IntegrityProblem(
                    "key", name, f"duplicate obsid: {_examples(dup.tolist())}", int(dup.size)
                )
            )
    elif name in ("astromon_xray_src", "astromon_cat_src"):
        dup = _duplicates(_pair_key(_int_col(table, "obsid"), _int_col(table, "id")))
        if dup.size:
            pairs = [_split_key(int(k)) for k in dup]
            problems.append(
                IntegrityProblem(
                    "key", name, f"duplicate (obsid, id): {_examples(pairs)}", int(dup.size)
                )
            )
    elif name == "astromon_xcorr":
        pair = _pair_key(_int_col(table, "obsid"), _int_col(table, "x_id"))
        names = np.asarray(table["select_name"], dtype=str)
        seen: set[tuple[str, int]] = set()
        dups: list[tuple[str, int, int]] = []
        for select_name, key in zip(names.tolist(), pair.tolist(), strict=True):
            if (select_name, key) in seen:
                dups.append((select_name, *_split_key(key)))
            seen.add((select_name, key))
        if dups:
            problems.append(
                IntegrityProblem(
                    "key",
                    name,
                    f"duplicate (select_name, obsid, x_id): {_examples(sorted(set(dups)))}",
                    len(set(dups)),
                )
            )
    elif name == "astromon_regions":
        for column in ("region_id", "region_id_str"):
            values = np.asarray(table[column])
            dup = _duplicates(values)
            if dup.size:
                problems.append(
                    IntegrityProblem(
                        "key",
                        name,
                        f"duplicate {column}: {_examples(dup.tolist())}",
                        int(dup.size),
                    )
                )
    return problems


def _check_orphans(tables: dict[str, Any]) -> list[IntegrityProblem]:
    problems: list[IntegrityProblem] = []
    for reference in REFERENCES:
        bad = orphans(reference, tables)
        if not bad.any():
            continue
        child = tables[reference.table]
        rows = np.flatnonzero(bad)
        columns = [_int_col(child, c)[rows] for c in reference.columns]
        if len(columns) == 1:
            values: list[Any] = np.unique(columns[0]).tolist()
        else:
            values = [_split_key(int(k)) for k in np.unique(_pair_key(*columns))]
        problems.append(
            IntegrityProblem(
                "orphan",
                reference.table,
                f"{rows.size} row(s) {reference.description}: {_examples(values)}",
                int(rows.size),
            )
        )
    return problems


def _check_regions(tables: dict[str, Any]) -> list[IntegrityProblem]:
    problems: list[IntegrityProblem] = []
    regions = tables.get("astromon_regions")
    meta = tables.get("astromon_meta")
    if meta is not None and len(meta) != 1:
        problems.append(
            IntegrityProblem(
                "schema", "astromon_meta", f"must hold exactly one row, holds {len(meta)}"
            )
        )
    if regions is None or len(regions) == 0:
        return problems
    max_id = int(np.max(_int_col(regions, "region_id")))
    if meta is None or len(meta) == 0:
        problems.append(
            IntegrityProblem(
                "regions",
                "astromon_meta",
                f"last_region_id is missing while regions go up to region_id {max_id}",
            )
        )
    else:
        last = int(np.max(_int_col(meta, "last_region_id")))
        if last < max_id:
            problems.append(
                IntegrityProblem(
                    "regions",
                    "astromon_meta",
                    f"last_region_id {last} is smaller than the largest region_id {max_id}",
                )
            )
    return problems


def _check_values(name: str, table: Any) -> list[IntegrityProblem]:
    found = invalid_values(name, table)
    kind = "regions" if name == "astromon_regions" else "schema"
    problems = [IntegrityProblem(kind, name, f"value: {bad}") for bad in found[:MAX_VALUE_PROBLEMS]]
    if len(found) > MAX_VALUE_PROBLEMS:
        more = len(found) - MAX_VALUE_PROBLEMS
        problems.append(IntegrityProblem(kind, name, f"value: {more} more invalid value(s)", more))
    return problems


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, AstromonError):
        return text
    return f"{type(exc).__name__}: {text}"


def check_integrity(store: Store) -> IntegrityReport:
    """Check an astromon database: schema, primary keys, orphans and regions.

    Parameters
    ----------
    store : Store
        The database to check (opened for reading).

    Returns
    -------
    IntegrityReport
        Row counts and every problem found; ``report.ok`` is True when there is none.
        A database that cannot be read (corrupt, foreign, missing tables) is reported as
        ``schema`` problems rather than raised.
    """
    problems: list[IntegrityProblem] = []
    value_problems: list[IntegrityProblem] = []
    tables: dict[str, Any] = {}
    counts: dict[str, int] = {}
    try:
        present = [name for name in store.table_names() if name in TABLE_NAMES]
    except Exception as exc:  # a corrupt file may fail in any way: report, don't crash
        problem = IntegrityProblem("schema", "", f"cannot list tables: {_describe(exc)}")
        return IntegrityReport(store.location, {}, (problem,))
    if not present:
        problems.append(IntegrityProblem("schema", "", "no astromon table in the database"))
    try:  # one snapshot: a save committed meanwhile is in every table or in none
        snapshot: dict[str, Any] | None = store.read_tables(present)
    except Exception:  # read them one by one below, to name each table that fails
        snapshot = None
    for name in present:
        try:
            table = snapshot[name] if snapshot is not None else store.read_table(name)
        except Exception as exc:  # a corrupt file may fail in any way: report, don't crash
            problems.append(IntegrityProblem("schema", name, f"cannot be read: {_describe(exc)}"))
            continue
        counts[name] = len(table)
        table_problems = _check_schema(name, table)
        problems += table_problems
        if not table_problems:
            tables[name] = table
            problems += _check_keys(name, table)
            value_problems += _check_values(name, table)
    if not any(p.kind == "schema" for p in problems):  # needs every table readable and typed
        problems += _check_orphans(tables)
        problems += _check_regions(tables)
    problems += value_problems
    order = {kind: i for i, kind in enumerate(PROBLEM_KINDS)}
    problems.sort(key=lambda p: order.get(p.kind, len(order)))
    return IntegrityReport(store.location, counts, tuple(problems))
