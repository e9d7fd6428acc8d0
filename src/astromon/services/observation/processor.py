"""The standard per-observation work of a batch (an ObservationProcessor over ports).

For one obsid: process the observation, build its ``astromon_obs`` row, get its x-ray
sources, rough-match them against catalogs, number the counterparts (with y/z angles) and
compute the standard cross-matches on these tables alone, and fit each cross-match's
alignment of the observation (default options).
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from astropy.table import Table

from astromon.domain.alignment.stored import ALIGNMENT_TABLE, alignment_rows
from astromon.domain.catalogs import DEFAULT_ROUGH_MATCH_CATALOGS
from astromon.domain.errors import AstromonError, ValidationError
from astromon.domain.filters import NOMINAL_SIM_Z
from astromon.domain.observation_results import Status
from astromon.domain.schema import category_id, empty_table, to_schema
from astromon.domain.time import CxoTime
from astromon.ports.catalog import CatalogService
from astromon.ports.processing import ObservationHandle, ObservationOutcome
from astromon.services.crossmatch import counterparts
from astromon.services.crossmatch import matches as cross_matching

__all__ = ["StandardObservationProcessor", "observation_row"]

logger = logging.getLogger(__name__)


def _first(info: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if key in info and info[key] is not None:
            return info[key]
    if default is not None:
        return default
    raise ValidationError(f"observation info lacks {' / '.join(keys)} (has {sorted(info)})")


def _detector(info: Mapping[str, Any]) -> str:
    for key in ("detector", "detnam"):
        value = str(info.get(key, "")).strip().upper()
        if value in ("ACIS-S", "ACIS-I", "HRC-S", "HRC-I"):
            return value
    # no detector name: the instrument, and the nominal SIM-Z nearest to the observation's
    instrument = str(_first(info, "instrume", "instrument", "detnam")).strip().upper()
    for prefix in ("ACIS", "HRC"):
        if instrument.startswith(prefix):
            sim_z = float(_first(info, "sim_z"))
            nominal = {d: z for d, z in NOMINAL_SIM_Z.items() if d.startswith(prefix)}
            return min(nominal, key=lambda name: abs(nominal[name] - sim_z))
    raise ValidationError(f"cannot tell the detector of instrument {instrument!r}")


def _date_obs(value: Any) -> str:
    text = str(value).strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", text):
        return text[:19]
    return str(CxoTime(text).isot)[:19]


def observation_row(info: Mapping[str, Any]) -> Table:
    """The ``astromon_obs`` row of an observation from its info (obspar + sequence summary).

    Parameters
    ----------
    info : Mapping
        As returned by ``Observation.get_info()``: obsid, detector (or detnam), target (or
        object), grating, sim_z (mm), date_obs (or date-obs), tstart (CXC s), ascdsver,
        ra/dec/roll (or ra_nom/dec_nom/roll_nom, degrees), version, category_id (or
        'Subject Category').

    Returns
    -------
    astropy.table.Table
        One row in the ``astromon_obs`` schema.

    Raises
    ------
    ValidationError
        A needed key is missing.
    """
    if "category_id" in info:
        cat_id = int(info["category_id"])
    else:
        cat_id = category_id(str(info.get("Subject Category", "")))
    row = {
        "obsid": [int(_first(info, "obsid", "obs_id"))],
        "version": [float(_first(info, "version", default=0.0))],
        "detector": [_detector(info)],
        "target": [str(_first(info, "target", "object", default=""))],
        "grating": [str(_first(info, "grating", default="NONE")).upper()],
        "sim_z": [float(_first(info, "sim_z"))],
        "date_obs": [_date_obs(_first(info, "date_obs", "date-obs"))],
        "tstart": [float(_first(info, "tstart"))],
        "ascdsver": [str(_first(info, "ascdsver", default=""))],
        "ra": [float(_first(info, "ra", "ra_nom"))],
        "dec": [float(_first(info, "dec", "dec_nom"))],
        "roll": [float(_first(info, "roll", "roll_nom"))],
        "category_id": [cat_id],
    }
    return to_schema("astromon_obs", row)


# --- the per-observation work -------------------------------------------------------------


_CATALOG_SERVICES: dict[bytes, CatalogService] = {}


def _catalog_service(factory: Callable[[], CatalogService]) -> CatalogService:
    """One catalog service per factory (by value) and process: workers reuse theirs."""
    try:
        key = pickle.dumps(factory)
    except Exception:  # an unpicklable factory (a lambda in the calling process)
        return factory()
    if key not in _CATALOG_SERVICES:
        _CATALOG_SERVICES[key] = factory()
    return _CATALOG_SERVICES[key]


@dataclass(frozen=True)
class StandardObservationProcessor:
    """The standard per-observation work, over injected factories (so it pickles).

    For one obsid: ``process()`` the observation, ``get_info()`` → the ``astromon_obs`` row,
    ``get_sources()`` → x-ray sources, rough-match them against ``catalogs`` (within
    ``radius_arcsec``), number the counterparts and compute their y/z angles, then compute the
    ``cross_matches`` (``astromon_21`` and ``astromon_22``) on these tables alone.

    Parameters
    ----------
    observation_factory : callable
        ``obsid -> ObservationHandle`` (typically builds ``astromon.observation.Observation``).
        Must be picklable (a module-level function or class instance).
    catalog_factory : callable
        ``() -> CatalogService``, called once per worker process.
    catalogs : tuple of str
        Catalogs to search for counterparts.
    radius_arcsec : float
        Rough-match radius in arcsec.
    cross_matches : tuple of str
        Standard cross-matches to compute and store.
    """

    observation_factory: Callable[[int], ObservationHandle]
    catalog_factory: Callable[[], CatalogService]
    catalogs: tuple[str, ...] = DEFAULT_ROUGH_MATCH_CATALOGS
    radius_arcsec: float = 3.0
    cross_matches: tuple[str, ...] = ("astromon_21", "astromon_22")

    def process(self, obsid: int) -> ObservationOutcome:
        """Process ``obsid``; expected failures become an ERROR outcome naming the cause."""
        try:
            return self._process(int(obsid))
        except AstromonError as exc:
            return ObservationOutcome.error(obsid, type(exc).__name__, str(exc))
        except Exception as exc:  # a bug in a step must not end the batch
            logger.exception("unexpected error processing obsid %s", obsid)
            return ObservationOutcome.error(
                obsid, f"unexpected {type(exc).__name__}", f"{type(exc).__name__}: {exc}"
            )

    def _process(self, obsid: int) -> ObservationOutcome:
        observation = self.observation_factory(obsid)
        result = observation.process()
        status, message = result.status, result.message
        if status == Status.SKIP:
            return ObservationOutcome.skip(obsid, message or "not selected", message)
        if status not in (Status.OK, Status.WARNING):
            return ObservationOutcome.error(obsid, "processing failed", message or str(status))
        obs_row = observation_row(observation.get_info())
        sources = to_schema("astromon_xray_src", observation.get_sources())
        cat_src, failures = self._counterparts(sources, obs_row)
        xcorr, alignment = self._cross_matches(obs_row, sources, cat_src)
        tables = {
            "astromon_obs": obs_row,
            "astromon_xray_src": sources,
            "astromon_cat_src": cat_src,
            "astromon_xcorr": xcorr,
            ALIGNMENT_TABLE: alignment,
        }
        if failures:
            failed = ", ".join(sorted(failures))
            message = "; ".join(m for m in (message, f"catalogs not searched: {failed}") if m)
        return ObservationOutcome.ok(obsid, tables, message, catalog_failures=failures)

    def _counterparts(self, sources: Table, obs_row: Table) -> tuple[Table, dict[str, str]]:
        """The counterparts, and the catalogs that failed (catalog → error message)."""
        if len(sources) == 0:
            return empty_table("astromon_cat_src"), {}
        matches = counterparts.rough_match(
            _catalog_service(self.catalog_factory),
            sources,
            CxoTime(obs_row["date_obs"][0]),
            radius_arcsec=self.radius_arcsec,
            catalogs=self.catalogs,
        )
        failures = dict(matches.meta.get(counterparts.CATALOG_FAILURES, {}))
        numbered = counterparts.number_counterparts(matches, obs_row[0])
        return to_schema("astromon_cat_src", numbered), failures

    def _cross_matches(self, obs_row: Table, sources: Table, cat_src: Table) -> tuple[Table, Table]:
        """The rows of ``astromon_xcorr`` and of ``astromon_alignment`` of the observation."""
        parts = []
        fits = []
        for name in self.cross_matches:
            matches = cross_matching.compute_cross_matches(
                None,
                name,
                astromon_obs=obs_row,
                astromon_xray_src=sources,
                astromon_cat_src=cat_src,
            )
            if len(matches):
                parts.append(to_schema("astromon_xcorr", matches))
                fits.append(alignment_rows(matches))
        if not parts:
            return empty_table("astromon_xcorr"), empty_table(ALIGNMENT_TABLE)
        from astropy.table import vstack

        xcorr = to_schema("astromon_xcorr", vstack(parts))
        return xcorr, to_schema(ALIGNMENT_TABLE, vstack(fits))
