"""The result of an integrity check: its problems and the report of a whole database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

__all__ = ["PROBLEM_KINDS", "IntegrityProblem", "IntegrityReport"]

PROBLEM_KINDS: Final = ("schema", "key", "orphan", "regions")
"""Kinds of integrity problems, in the order they are checked (invalid values are ``schema``)."""


@dataclass(frozen=True)
class IntegrityProblem:
    """One failed integrity check.

    Attributes
    ----------
    kind : str
        One of :data:`PROBLEM_KINDS`.
    table : str
        The table the problem was found in ('' for the whole database).
    message : str
        What is wrong, with up to five example values.
    count : int
        Number of offending rows (1 for problems that are not about rows).
    """

    kind: str
    table: str
    message: str
    count: int = 1

    def __str__(self) -> str:
        where = f"{self.table}: " if self.table else ""
        return f"[{self.kind}] {where}{self.message}"


@dataclass(frozen=True)
class IntegrityReport:
    """The result of :func:`check_integrity`.

    Attributes
    ----------
    location : str
        The database that was checked.
    row_counts : dict of str to int
        Rows per astromon table present in the database.
    problems : tuple of IntegrityProblem
        Every problem found (empty when the database is sound).
    """

    location: str
    row_counts: dict[str, int] = field(default_factory=dict)
    problems: tuple[IntegrityProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def lines(self) -> list[str]:
        """A human-readable summary: one line per table, then one per problem."""
        out = [f"database {self.location}"]
        out += [f"  {name}: {n} rows" for name, n in self.row_counts.items()]
        if self.ok:
            out.append("integrity check passed")
        else:
            out.append(f"integrity check FAILED: {len(self.problems)} problem(s)")
            out += [f"  {problem}" for problem in self.problems]
        return out
