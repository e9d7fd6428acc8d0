"""The composition root: the one place that names adapter classes and injects them.

Façade modules (:mod:`astromon.db`, :mod:`astromon.cross_match`, :mod:`astromon.observation`,
:mod:`astromon.utils`) and the CLI ask this module for ports; unit tests build services with
fakes instead.
"""

from __future__ import annotations

# --- storage (owned by the storage work) -------------------------------------------------

# --- catalogs (owned by the catalog work) ------------------------------------------------

# --- observations (owned by the observation work) ----------------------------------------

# --- operations: executors, report (owned by the operations work) ------------------------
