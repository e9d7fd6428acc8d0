"""Cross-match methods (a class per algorithm) and the standard cross-matches (instances).

A method is a :class:`CrossMatchMethod` subclass: its :attr:`~CrossMatchMethod.arguments`
dataclass validates the parameters (:meth:`~CrossMatchMethod.parse` is the one validation
path of ``cross_match.simple_cross_match`` and ``compute_cross_matches``) and
:meth:`~CrossMatchMethod.match` runs the algorithm. Methods are registered by name in
:data:`CROSS_MATCH_METHODS`. A standard cross-match is a :class:`StandardCrossMatch`: a method
plus a fixed, validated set of its arguments, published in :data:`CROSS_MATCHES_ARGS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from astropy.table import Table

from astromon.domain.crossmatch.arguments import CROSS_MATCH_CATALOGS, SimpleCrossMatchArgs
from astromon.domain.crossmatch.simple import simple_cross_match
from astromon.domain.crossmatch.tables import Mapper, sequential_map
from astromon.domain.errors import ValidationError

__all__ = [
    "ASTROMON_21",
    "ASTROMON_22",
    "CROSS_MATCHES",
    "CROSS_MATCHES_ARGS",
    "CROSS_MATCH_METHODS",
    "DEFAULT",
    "SIMPLE",
    "STANDARD_CROSS_MATCHES",
    "CrossMatchMethod",
    "SimpleCrossMatch",
    "StandardCrossMatch",
    "standard_cross_match_args",
]


class CrossMatchMethod(ABC):
    """A cross-match algorithm: typed, validated arguments in, a table of matches out.

    Subclasses set :attr:`name` and :attr:`arguments` (a dataclass validating its fields in
    ``__post_init__``) and implement :meth:`match`. Calling an instance parses keyword
    arguments into :attr:`arguments` and runs :meth:`match`.
    """

    name: ClassVar[str]
    arguments: ClassVar[type[Any]]

    def parse(self, kwargs: Mapping[str, Any]) -> Any:
        """Validated arguments from keywords; unknown keywords raise ValidationError."""
        known = set(getattr(self.arguments, "__dataclass_fields__", {}))
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ValidationError(
                f"unknown argument(s) {unknown} for the {self.name!r} cross-match; "
                f"known arguments: {sorted(known)}"
            )
        return self.arguments(**dict(kwargs))

    @abstractmethod
    def match(
        self,
        obs: Table,
        xray_src: Table,
        cat_src: Table,
        args: Any,
        mapper: Mapper = sequential_map,
    ) -> Table:
        """Cross-match the three tables with validated ``args`` (``mapper``: see
        :class:`~astromon.domain.crossmatch.tables.Mapper`)."""

    def __call__(
        self,
        obs: Table,
        xray_src: Table,
        cat_src: Table,
        *,
        mapper: Mapper = sequential_map,
        **kwargs: Any,
    ) -> Table:
        return self.match(obs, xray_src, cat_src, self.parse(kwargs), mapper)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class SimpleCrossMatch(CrossMatchMethod):
    """The ``simple`` algorithm: see :func:`astromon.domain.crossmatch.simple_cross_match`."""

    name: ClassVar[str] = "simple"
    arguments: ClassVar[type[Any]] = SimpleCrossMatchArgs

    def match(
        self,
        obs: Table,
        xray_src: Table,
        cat_src: Table,
        args: Any,
        mapper: Mapper = sequential_map,
    ) -> Table:
        if not isinstance(args, SimpleCrossMatchArgs):
            raise ValidationError(f"expected SimpleCrossMatchArgs, got {type(args).__name__}")
        return simple_cross_match(obs, xray_src, cat_src, args, mapper)


SIMPLE: Final = SimpleCrossMatch()
"""The ``simple`` method."""

CROSS_MATCH_METHODS: Final[dict[str, CrossMatchMethod]] = {SIMPLE.name: SIMPLE}
"""Available cross-match algorithms by name."""


@dataclass(frozen=True)
class StandardCrossMatch:
    """A standard cross-match: a method and a fixed set of its arguments, validated once.

    Attributes
    ----------
    name : str
        Name of the standard cross-match (``'astromon_21'``...).
    method : CrossMatchMethod
        The algorithm.
    keywords : mapping
        Its arguments as published (``name`` is the ``select_name`` of the results).
    args : object
        ``method.parse(keywords)``, computed (and so validated) at construction.
    """

    name: str
    method: CrossMatchMethod
    keywords: Mapping[str, Any]
    args: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", self.method.parse(self.keywords))

    def as_dict(self) -> dict[str, Any]:
        """The published argument set: the keywords plus ``method``, keys sorted, lists copied."""
        items = {**self.keywords, "method": self.method.name}
        return {
            key: list(value) if isinstance(value, list | tuple) else value
            for key, value in sorted(items.items())
        }

    def __call__(
        self, obs: Table, xray_src: Table, cat_src: Table, mapper: Mapper = sequential_map
    ) -> Table:
        return self.method.match(obs, xray_src, cat_src, self.args, mapper)


def _simple_set(name: str, select_name: str, r_angle_grating: float) -> StandardCrossMatch:
    keywords = {
        "catalogs": list(CROSS_MATCH_CATALOGS),
        "dr": 3.0,
        "name": select_name,
        "near_neighbor_dist": 6.0,
        "r_angle": 120.0,
        "r_angle_grating": r_angle_grating,
        "snr": 3,
    }
    return StandardCrossMatch(name, SIMPLE, keywords)


ASTROMON_21: Final = _simple_set("astromon_21", "astromon_21", 120.0)
"""``simple`` with a 120 arcsec off-axis limit in every observation."""

ASTROMON_22: Final = _simple_set("astromon_22", "astromon_22", 24.0)
"""``simple`` with a 24 arcsec off-axis limit in grating observations."""

DEFAULT: Final = _simple_set("default", "astromon_21", 120.0)
"""``astromon_21``'s arguments (its matches are named ``astromon_21``)."""

STANDARD_CROSS_MATCHES: Final[dict[str, StandardCrossMatch]] = {
    s.name: s for s in (ASTROMON_21, ASTROMON_22, DEFAULT)
}
"""The standard cross-matches by name."""

CROSS_MATCHES_ARGS: Final[dict[str, dict[str, Any]]] = {
    name: standard.as_dict() for name, standard in STANDARD_CROSS_MATCHES.items()
}
"""Standard cross-match argument sets (``default`` is ``astromon_21``'s, named ``astromon_21``)."""

CROSS_MATCHES: Final[list[str]] = sorted(STANDARD_CROSS_MATCHES)
"""Names of the standard cross-matches."""


def standard_cross_match_args(name: str) -> dict[str, Any]:
    """A fresh copy of the standard argument set ``name`` (its ``catalogs`` list copied too).

    Raises
    ------
    ValidationError
        ``name`` is not a standard cross-match (the message lists the standard names).
    """
    if name not in STANDARD_CROSS_MATCHES:
        raise ValidationError(
            f"{name!r} is not a standard cross-match; standard ones: {CROSS_MATCHES}"
        )
    return STANDARD_CROSS_MATCHES[name].as_dict()
