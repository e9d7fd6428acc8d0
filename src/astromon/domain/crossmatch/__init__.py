"""Cross-matching x-ray sources with catalog counterparts: the science, in one package.

- :mod:`.methods`: the :class:`CrossMatchMethod` base class, one class per algorithm
  (:class:`SimpleCrossMatch`), the standard cross-matches as :class:`StandardCrossMatch`
  instances (:data:`ASTROMON_21`, :data:`ASTROMON_22`, :data:`DEFAULT`) and the published
  registries (:data:`CROSS_MATCH_METHODS`, :data:`CROSS_MATCHES`, :data:`CROSS_MATCHES_ARGS`);
- :mod:`.arguments`: validated arguments of each method (:class:`SimpleCrossMatchArgs`);
- :mod:`.simple`: the vectorised ``simple`` algorithm;
- :mod:`.columns`: the joined cross-match columns (:data:`JOINED_COLUMNS`);
- :mod:`.keys`: the composite (obsid, id) row key and key lookups;
- :mod:`.tables`: column access, row gathers and the join of stored cross-matches;
- :mod:`.derived`: columns added on the fly (``category``, ``time``, ``c_loc``, ``x_loc``).

Everything here is pure and single-threaded; a service may pass a threaded
:class:`~astromon.domain.crossmatch.tables.Mapper` for large inputs.
"""

from astromon.domain.crossmatch.arguments import CROSS_MATCH_CATALOGS, SimpleCrossMatchArgs
from astromon.domain.crossmatch.columns import COLUMN_KINDS, CROSS_MATCH_COLUMNS, JOINED_COLUMNS
from astromon.domain.crossmatch.derived import DERIVED_COLUMNS, add_derived_columns, finish_matches
from astromon.domain.crossmatch.keys import composite_key, lookup, split_key
from astromon.domain.crossmatch.methods import (
    ASTROMON_21,
    ASTROMON_22,
    CROSS_MATCH_METHODS,
    CROSS_MATCHES,
    CROSS_MATCHES_ARGS,
    DEFAULT,
    SIMPLE,
    STANDARD_CROSS_MATCHES,
    CrossMatchMethod,
    SimpleCrossMatch,
    StandardCrossMatch,
    standard_cross_match_args,
)
from astromon.domain.crossmatch.simple import catalog_order, date_obs_mask, simple_cross_match
from astromon.domain.crossmatch.tables import (
    Mapper,
    build_table,
    column_values,
    join_cross_matches,
    require_columns,
    sequential_map,
)

__all__ = [
    "ASTROMON_21",
    "ASTROMON_22",
    "COLUMN_KINDS",
    "CROSS_MATCHES",
    "CROSS_MATCHES_ARGS",
    "CROSS_MATCH_CATALOGS",
    "CROSS_MATCH_COLUMNS",
    "CROSS_MATCH_METHODS",
    "DEFAULT",
    "DERIVED_COLUMNS",
    "JOINED_COLUMNS",
    "SIMPLE",
    "STANDARD_CROSS_MATCHES",
    "CrossMatchMethod",
    "Mapper",
    "SimpleCrossMatch",
    "SimpleCrossMatchArgs",
    "StandardCrossMatch",
    "add_derived_columns",
    "build_table",
    "catalog_order",
    "column_values",
    "composite_key",
    "date_obs_mask",
    "finish_matches",
    "join_cross_matches",
    "lookup",
    "require_columns",
    "sequential_map",
    "simple_cross_match",
    "split_key",
    "standard_cross_match_args",
]
