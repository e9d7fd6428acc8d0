"""The VizieR catalog service: cone searches through astroquery's ``Vizier``.

VizieR is asked for the columns the catalog's spec names (:mod:`astromon.domain.catalogs`):
the catalog's own positions, their epochs and the proper motions. The stars are moved to the
observation epoch here, along the same path the local-catalog adapter takes
(:func:`astromon.domain.catalogs.catalog_stars`), then cut at the exact radius.

VizieR applies the cone to the positions it computes at J2000 (its ``_RAJ2000``/``_DEJ2000``,
"Epoch=J2000, proper motions taken into account"; its distance ``_r`` is measured "at
Epoch=J2000.0", :data:`VIZIER_CONE_EPOCH`). The cones come from
:func:`astromon.domain.cone_plan.cone_plan`: one cone widened by how far the catalog's
fastest star moves between J2000 and the observation, or, when that is much wider, a cone
widened only for the slow stars and two wide cones restricted to the fast stars with
VizieR's column constraints (:func:`column_constraint`). Each cone is one request for all
the positions of an observation (in chunks of :data:`MAX_POSITIONS_PER_REQUEST`), or for the
one position whose larger cone holds them all when that answer is smaller
(:func:`astromon.domain.cone_plan.search_positions`); the stars of all the answers are
merged, each once (:mod:`astromon_adapters.catalogs.vizier_answers`).

Transient failures (HTTP 5xx and 429, time-outs, refused or dropped connections) are retried
with exponential back-off; when VizieR cannot answer, :class:`CatalogError` names the catalog
and the server.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any, Final

import numpy as np
import requests
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astroquery.vizier import VizierClass
from numpy.typing import ArrayLike

from astromon.domain.catalogs import (
    CatalogSpec,
    counterpart_table,
    get_catalog,
    stars_near_positions,
)
from astromon.domain.cone_plan import QueryCone, cone_plan, search_positions
from astromon.domain.errors import CatalogError, ValidationError
from astromon_adapters.catalogs.vizier_answers import (
    AnswerStars,
    find_column,
    merge_answers,
    read_answer,
)

__all__ = [
    "DEFAULT_SERVER",
    "MAX_POSITIONS_PER_REQUEST",
    "VIZIER_CONE_EPOCH",
    "VizierCatalogService",
    "column_constraint",
]

logger = logging.getLogger(__name__)

DEFAULT_SERVER: Final = "vizier.cds.unistra.fr"
"""VizieR mirror used when none is configured (HTTPS)."""

MAX_POSITIONS_PER_REQUEST: Final = 2000
"""Positions sent in one VizieR request; larger sets are split."""

VIZIER_CONE_EPOCH: Final = 2000.0
"""Julian epoch of the star positions VizieR's cone is applied to (its computed J2000 ones)."""

_RETRY_STATUS: Final = frozenset({429, 500, 502, 503, 504})
_ERROR_INFO = re.compile(rb"<INFO[^>]*\bname=\"Error\"[^>]*\bvalue=\"([^\"]*)\"", re.IGNORECASE)


class _TransientError(Exception):
    """A failure worth retrying."""


class _VizierAt(VizierClass):  # type: ignore[misc]
    """astroquery's Vizier talking to a configurable base URL (scheme, host, port)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._base_url = base_url

    def _server_to_url(self, return_type: str = "votable") -> str:
        return f"{self._base_url}/viz-bin/{return_type}"

    def _parse_result(self, response: Any, **kwargs: Any) -> Any:
        found = _ERROR_INFO.search(response.content[:20000])
        if found:
            raise CatalogError(
                f"VizieR reported an error: {found.group(1).decode(errors='replace')}"
            )
        return super()._parse_result(response, **kwargs)


def _base_url(server: str) -> str:
    text = server.strip().rstrip("/")
    if not text:
        raise ValidationError(f"VizieR server must be a host name or URL, got {server!r}")
    if "://" not in text:
        text = "https://" + text
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", text):
        raise ValidationError(f"VizieR server must be a host name or http(s) URL, got {server!r}")
    return text


class VizierCatalogService:
    """Catalog service on VizieR (implements :class:`astromon.ports.catalog.CatalogService`).

    Parameters
    ----------
    server : str, optional
        VizieR host (``vizier.cds.unistra.fr``, HTTPS) or base URL
        (``http://127.0.0.1:8080``). Default :data:`DEFAULT_SERVER`.
    timeout : float
        Seconds to wait for each HTTP request.
    retries : int
        Extra attempts after a transient failure.
    backoff : float
        Seconds before the first retry; doubled at each further retry.
    sleep : callable
        Used to wait between attempts (tests pass a fake).
    """

    def __init__(
        self,
        server: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.server = server or DEFAULT_SERVER
        self.url = _base_url(self.server)
        if not (isinstance(timeout, int | float) and timeout > 0):
            raise ValidationError(f"VizieR timeout must be > 0 seconds, got {timeout!r}")
        if not (isinstance(retries, int) and retries >= 0):
            raise ValidationError(f"VizieR retries must be an integer >= 0, got {retries!r}")
        if not (isinstance(backoff, int | float) and backoff >= 0):
            raise ValidationError(f"VizieR backoff must be >= 0 seconds, got {backoff!r}")
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"VizierCatalogService(server={self.url!r}, timeout={self.timeout})"

    def query(
        self,
        catalog: str,
        ra: ArrayLike,
        dec: ArrayLike,
        radius_arcsec: float,
        epoch: float,
    ) -> Table:
        """Stars of ``catalog`` within ``radius_arcsec`` of any (ra, dec), at ``epoch``.

        Parameters
        ----------
        catalog : str
            Registered catalog name.
        ra, dec : array-like
            Positions in degrees.
        radius_arcsec : float
            Search radius in arcsec.
        epoch : float
            Julian epoch (years) of the observation.

        Returns
        -------
        astropy.table.Table
            Columns catalog, name, ra, dec (degrees), mag; each star once.

        Raises
        ------
        ValidationError
            Unknown catalog, bad radius, epoch or source positions.
        CatalogError
            VizieR could not answer one of the requests (after retries for transient
            failures), or refused it.
        """
        spec = get_catalog(catalog)
        ra_arr = np.atleast_1d(np.asarray(ra, dtype=np.float64))
        dec_arr = np.atleast_1d(np.asarray(dec, dtype=np.float64))
        cones = cone_plan(spec, radius_arcsec, epoch, VIZIER_CONE_EPOCH)
        if len(ra_arr) == 0:
            return counterpart_table(catalog, [], [], [], [])
        where = f"VizieR at {self.url}, catalog {spec.name!r} ({spec.vizier_id})"
        answers: list[AnswerStars] = []
        problems: list[CatalogError] = []
        tables = 0
        for planned in cones:
            c_ra, c_dec, radius = search_positions(ra_arr, dec_arr, planned.radius_arcsec)
            cone = dataclasses.replace(planned, radius_arcsec=radius)
            for start in range(0, len(c_ra), MAX_POSITIONS_PER_REQUEST):
                stop = start + MAX_POSITIONS_PER_REQUEST
                coords = SkyCoord(c_ra[start:stop], c_dec[start:stop], unit="deg", frame="icrs")
                for table in self._with_retries(spec, coords, cone):
                    tables += 1
                    try:
                        answers.append(read_answer(spec, table, where))
                    except CatalogError as exc:  # e.g. a side table of a multi-table catalog
                        problems.append(exc)
        if problems and len(problems) == tables:
            raise problems[0]
        for problem in problems:
            logger.warning("skipped a VizieR table: %s", problem)
        found = merge_answers(answers)
        s_ra, s_dec = found.stars.at_epoch(epoch)
        idx = np.flatnonzero(stars_near_positions(s_ra, s_dec, ra_arr, dec_arr, radius_arcsec))
        names = np.asarray(found.names, dtype=object)[idx]
        return counterpart_table(catalog, names, s_ra[idx], s_dec[idx], found.mag[idx])

    def missing_columns(self, catalog: str) -> list[str]:
        """The columns astromon reads from ``catalog`` that VizieR does not return.

        One tiny request (the first row of the catalog's table, no position) asks for the
        columns of :func:`_columns`; the fields of the answer are compared with them (as
        astroquery names them).

        Raises
        ------
        ValidationError
            Unknown catalog.
        CatalogError
            VizieR cannot answer, or has no table for the catalog.
        """
        spec = get_catalog(catalog)
        wanted = _columns(spec)
        vizier = _VizierAt(self.url, columns=wanted, timeout=self.timeout, row_limit=1)
        where = f"VizieR at {self.url}, catalog {spec.name!r} ({spec.vizier_id})"
        try:
            result = vizier.get_catalogs(spec.vizier_id)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            raise CatalogError(f"{where}: HTTP {status}") from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise CatalogError(f"{where}: {type(exc).__name__}: {exc}") from exc
        except CatalogError as exc:
            raise CatalogError(f"{where}: {exc}") from exc
        except Exception as exc:  # astroquery parse errors and the like
            raise CatalogError(f"{where}: unreadable answer: {type(exc).__name__}: {exc}") from exc
        tables = list(result.values()) if result is not None else []
        if not tables:
            raise CatalogError(f"{where}: the answer has no table")
        missing = [[c for c in wanted if find_column(t, c) is None] for t in tables]
        return min(missing, key=len)

    # --- the HTTP part ----------------------------------------------------------------------

    def _with_retries(self, spec: CatalogSpec, coords: SkyCoord, cone: QueryCone) -> list[Table]:
        attempts = self.retries + 1
        last: Exception | None = None
        for attempt in range(attempts):
            try:
                return self._once(spec, coords, cone)
            except _TransientError as exc:
                last = exc
                logger.warning(
                    "VizieR %s: catalog %s attempt %d/%d failed: %s",
                    self.url,
                    spec.name,
                    attempt + 1,
                    attempts,
                    exc,
                )
                if attempt + 1 < attempts:
                    self._sleep(self.backoff * 2**attempt)
        raise CatalogError(
            f"VizieR at {self.url} could not answer the query of catalog {spec.name!r} "
            f"({spec.vizier_id}) after {attempts} attempts: {last}"
        )

    def _once(self, spec: CatalogSpec, coords: SkyCoord, cone: QueryCone) -> list[Table]:
        vizier = _VizierAt(self.url, columns=_columns(spec), timeout=self.timeout, row_limit=-1)
        try:
            result = vizier.query_region(
                coords,
                radius=cone.radius_arcsec * u.arcsec,
                catalog=spec.vizier_id,
                cache=False,
                frame="icrs",
                column_filters=column_constraint(cone),
            )
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in _RETRY_STATUS:
                raise _TransientError(f"HTTP {status}") from exc
            raise CatalogError(
                f"VizieR at {self.url} refused the query of catalog {spec.name!r} "
                f"({spec.vizier_id}): HTTP {status}"
            ) from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise _TransientError(f"{type(exc).__name__}: {exc}") from exc
        except CatalogError as exc:
            raise CatalogError(
                f"VizieR at {self.url}, catalog {spec.name!r} ({spec.vizier_id}): {exc}"
            ) from exc
        except Exception as exc:  # astroquery parse errors and the like
            raise CatalogError(
                f"VizieR at {self.url} gave an unreadable answer for catalog {spec.name!r} "
                f"({spec.vizier_id}): {type(exc).__name__}: {exc}"
            ) from exc
        if result is None:
            raise CatalogError(
                f"VizieR at {self.url} gave a non-VOTable answer for catalog {spec.name!r} "
                f"({spec.vizier_id})"
            )
        return list(result.values())


def column_constraint(cone: QueryCone) -> dict[str, str]:
    """The VizieR column constraint of ``cone``: ``{}``, or ``{column: '<-B|>B'}``.

    In VizieR's query syntax (its help page on query constraints) ``<`` and ``>`` are strict
    comparisons and ``|`` is a logical or; a blank value satisfies no comparison (blank
    values are selected only by ``null``), so a star without that motion is not selected.
    ``B`` is the cone's bound rounded down to 0.001 mas/yr: the constraint lets through every
    star above the bound, and a few just below it.
    """
    if cone.motion_column is None:
        return {}
    bound = math.floor(cone.above_mas_yr * 1000.0) / 1000.0
    return {cone.motion_column: f"<-{bound:.3f}|>{bound:.3f}"}


def _columns(spec: CatalogSpec) -> list[str]:
    """The VizieR columns asked for: those the catalog's spec reads."""
    return list(spec.columns())
