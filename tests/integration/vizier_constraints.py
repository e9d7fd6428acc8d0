"""VizieR's column constraints on numeric columns, for the fake VizieR server of the tests.

Written from VizieR's help page on query constraints ("Qualifying fields", vizHelp/syntax.htx,
which follows the ASU protocol). A constraint is sent as ``column=expression``; on a numeric
column the expression is built from:

* comparisons ``=v`` (also a bare ``v``), ``!=v``, ``>=v``, ``>v``, ``<=v``, ``<v``;
* the range ``a..b`` (both ends included), ``m+/-s`` (also ``m±s``) and the list ``v1,v2,v3``;
* the value ``null``: a blank (unspecified) value; ``!=`` alone keeps the non-blank values;
* the logical operators ``&`` (and), ``|`` (or), ``!`` (not), and parentheses, as in the
  page's example ``(<0)|null``.

A blank value satisfies no comparison, range or list: the page selects blanks only with
``null`` (its example adds ``|null`` to ``<0`` to keep them). ``!`` negates what it applies
to, blanks included (the page does not say otherwise). ``&`` binds tighter than ``|``.

Anything else is refused (:class:`ConstraintError`), as VizieR refuses a constraint it cannot
read; the ``<<;`` list (one table per value) is refused too, as astromon never sends it and
the fake does not model it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["ConstraintError", "constraint_mask"]

Mask = NDArray[np.bool_]
Predicate = Callable[[NDArray[np.float64]], Mask]

_TOKEN = re.compile(
    r"\s*(?:(?P<number>[+-]?(?:\d+(?:\.(?!\.)\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<op>\.\.|\+/-|±|>=|<=|!=|[<>=&|!,()])|(?P<word>null))",
)


class ConstraintError(ValueError):
    """A constraint VizieR cannot read."""


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise ConstraintError(f"cannot read {text[position:]!r} in constraint {text!r}")
        tokens.append(found.group("number") or found.group("op") or found.group("word"))
        position = found.end()
    if not tokens:
        raise ConstraintError("empty constraint")
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ConstraintError(f"constraint {self.text!r} ends too soon")
        self.at += 1
        return token

    def number(self) -> float:
        token = self.take()
        try:
            return float(token)
        except ValueError:
            raise ConstraintError(
                f"a number was expected in {self.text!r}, got {token!r}"
            ) from None

    def expression(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == "|":
            self.take()
            parts.append(self.conjunction())
        return lambda v: np.logical_or.reduce([p(v) for p in parts])

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.peek() == "&":
            self.take()
            parts.append(self.unary())
        return lambda v: np.logical_and.reduce([p(v) for p in parts])

    def unary(self) -> Predicate:
        if self.peek() == "!":
            self.take()
            inner = self.unary()
            return lambda v: ~inner(v)
        return self.primary()

    def primary(self) -> Predicate:
        token = self.peek()
        if token == "(":
            self.take()
            inner = self.expression()
            if self.take() != ")":
                raise ConstraintError(f"unbalanced parenthesis in {self.text!r}")
            return inner
        if token == "null":
            self.take()
            return np.isnan
        following = self.tokens[self.at + 1] if self.at + 1 < len(self.tokens) else None
        if token == "!=" and following in (None, "|", "&", ")"):  # non-blank values
            self.take()
            return lambda v: ~np.isnan(v)
        comparisons: dict[str, Callable[[NDArray[np.float64], float], Mask]] = {
            "=": np.equal, "!=": np.not_equal, ">=": np.greater_equal, ">": np.greater,
            "<=": np.less_equal, "<": np.less,
        }  # fmt: skip
        if token in comparisons:
            self.take()
            compare, value = comparisons[token], self.number()
            return lambda v: ~np.isnan(v) & compare(v, value)
        first = self.number()
        if self.peek() == "..":
            self.take()
            low, high = first, self.number()
            return lambda v: (v >= low) & (v <= high)
        if self.peek() in ("+/-", "±"):
            self.take()
            middle, half = first, self.number()
            return lambda v: (v >= middle - half) & (v <= middle + half)
        values = [first]
        while self.peek() == ",":
            self.take()
            values.append(self.number())
        return lambda v: np.isin(v, values)


def constraint_mask(expression: str, values: NDArray[np.float64]) -> Mask:
    """The rows whose ``values`` (NaN for blanks) satisfy the numeric ``expression``.

    Raises
    ------
    ConstraintError
        ``expression`` is not a numeric constraint of VizieR's syntax.
    """
    if expression.lstrip().startswith("<<;"):
        raise ConstraintError(f"the list form <<; is not modelled: {expression!r}")
    parser = _Parser(expression)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise ConstraintError(f"cannot read {' '.join(parser.tokens[parser.at:])!r} in "
                              f"constraint {expression!r}")  # fmt: skip
    with np.errstate(invalid="ignore"):
        return np.asarray(predicate(np.asarray(values, dtype=np.float64)), dtype=bool)
