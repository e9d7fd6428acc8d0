"""Hypothesis fuzzing of the public API with arguments of the wrong type.

Every public callable of ``astromon.cross_match``, ``astromon.observation`` (the
``Observation`` class and its methods) and ``astromon.utils``, read from the modules
themselves, is called with one to three of its parameters replaced by values of other types
(None, numbers, NaN, text with NUL, lists, dicts, arrays, tables, arbitrary objects). The
property: it returns, or raises an ``AstromonError`` subclass with a message — never a
``TypeError``, ``AttributeError`` or ``ValueError`` from deep inside.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time
from hypothesis import given, settings
from hypothesis import strategies as st

from astromon import cross_match, observation, utils
from astromon.domain.errors import AstromonError
from tests.unit.fuzz_strategies import FUZZ
from tests.unit.test_fuzz_api import GOOD, MATCHES

CASES = settings(FUZZ, max_examples=40)
WRONG = st.sampled_from(
    [None, 0, -1, 2**70, 1.5, float("nan"), float("inf"), True, "", "x", "\x00", b"x", [], [1],
     ["a", 2], {}, {"a": 1}, ("a",), object(), np.array([1, 2]), np.array([]), Table(),
     Table({"a": [1]}), Path("/"), io.StringIO()]
)  # fmt: skip


class FinishedProcess:
    """A finished ``subprocess.Popen`` with ``stdout=PIPE``: what ``communicate`` uses of one
    (``stdout``, ``pid``, ``wait``; see adapters/astromon_adapters/chandra/ciao.py)."""

    def __init__(self) -> None:
        self.stdout = io.BytesIO(b"line 1\nline 2\n")
        self.pid = 4242
        self.returncode = 0

    def wait(self, timeout: float | None = None) -> int:
        return 0


class NoStars:
    """A catalog service (``astromon.ports.catalog.CatalogService``) whose catalogs are empty
    around every position: the typed table of no stars its ``query`` documents."""

    def query(self, catalog: str, ra: Any, dec: Any, radius_arcsec: float, epoch: float) -> Table:
        return Table(
            {"catalog": np.array([], str), "name": np.array([], str), "ra": np.array([]),
             "dec": np.array([]), "mag": np.array([], np.float32)}
        )  # fmt: skip


def wcs_header() -> fits.Header:
    """An EVENTS header with the sky WCS of the x and y columns (as in Chandra event files)."""
    header = fits.Header()
    for index, (name, ctype, crval) in enumerate(
        (("x", "RA---TAN", 10.0), ("y", "DEC--TAN", 5.0)), 1
    ):
        header[f"TTYPE{index}"] = name
        header[f"TCTYP{index}"] = ctype
        header[f"TCRVL{index}"] = crval
        header[f"TCRPX{index}"] = 4096.5
        header[f"TCDLT{index}"] = (-1.0 if name == "x" else 1.0) * 0.492 / 3600
    return header


def targets(workdir: Path) -> dict[str, tuple[Callable[..., Any], dict[str, Any]]]:
    """Each public callable with valid keyword arguments (the ones the fuzzing replaces)."""
    tables = {
        "astromon_obs": GOOD["astromon_obs"],
        "astromon_xray_src": GOOD["astromon_xray_src"],
        "astromon_cat_src": GOOD["astromon_cat_src"],
    }
    regions = Table({"ra": [1.0], "dec": [1.0], "radius": [5.0], "obsid": [0]})
    obs = observation.Observation(1, workdir=workdir / "obs", source="https", use_ciao=False)
    found: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
        "compute_cross_matches": (
            cross_match.compute_cross_matches, {"name": "simple", **tables, "snr": 0.0}
        ),
        "simple_cross_match": (cross_match.simple_cross_match, dict(tables)),
        "fit_alignment": (
            cross_match.fit_alignment, {"matches": MATCHES, "k_sigma": 3.0, "min_pairs_roll": 3}
        ),
        "filter_matches": (cross_match.filter_matches, {"matches": MATCHES, "snr": 1.0}),
        "get_bad_target_mask": (cross_match.get_bad_target_mask, {"matches": MATCHES}),
        "get_excluded_regions_mask": (
            cross_match.get_excluded_regions_mask, {"matches": MATCHES, "regions": regions}
        ),
        "Observation": (
            observation.Observation,
            {"obsid": 1, "workdir": workdir / "o2", "source": "https", "use_ciao": False},
        ),
        "communicate": (utils.communicate, {"process": FinishedProcess(), "text": False}),
        "chdir": (utils.chdir, {"directory": workdir}),
        "calalign_from_files": (utils.calalign_from_files, {"calalign_dir": workdir}),
        "get_calalign_offsets": (
            utils.get_calalign_offsets, {"all_matches": MATCHES, "calalign_dir": workdir}
        ),
        "get_near_neighbor_dist": (
            utils.get_near_neighbor_dist, {"sources": GOOD["astromon_xray_src"], "id_col": "id"}
        ),
        "LoggingCallDecorator": (utils.LoggingCallDecorator, {"raise_flow_exceptions": False}),
        "logging_call_decorator": (utils.logging_call_decorator, {"func": len}),
        "set_ciao_context": (utils.set_ciao_context, {"directory": workdir / "ciao"}),
        "ciao_context": (utils.ciao_context, {"directory": workdir / "ciao"}),
        "CIAOContext": (utils.CIAOContext, {"directory": workdir / "ciao"}),
        "get_wcs_from_fits_header": (utils.get_wcs_from_fits_header, {"header": wcs_header()}),
        "rough_match": (
            cross_match.rough_match,
            {"sources": Table({"ra": [1.0], "dec": [1.0], "id": [1]}), "time": "2020:001",
             "catalogs": ["Tycho2"], "catalog_service": NoStars()},
        ),
        "get_vizier": (
            cross_match.get_vizier,
            {"pos": SkyCoord([1.0] * u.deg, [1.0] * u.deg, obstime=Time("2020-01-01")),
             "catalog": "Tycho2", "catalog_service": NoStars()},
        ),
    }  # fmt: skip
    for name in ("file_path", "file_glob", "get_sources", "download", "archive", "dmcoords"):
        method = getattr(obs, name)
        valid = {
            "file_path": {"path": "x"},
            "file_glob": {"pattern": "*"},
            "dmcoords": {"name": "x"},
        }
        found[f"Observation.{name}"] = (method, valid.get(name, {}))
    for name in ("filter_events", "filter_sources", "run_celldetect", "make_images"):
        found[f"Observation.{name}"] = (getattr(obs, name), {})
    return found


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("apitypes")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASTROMON_FILE", str(workdir / "none.duckdb"))
        patch.setenv("ASTROMON_ARCHIVE_URL", "http://127.0.0.1:9/")
        patch.setenv("ASTROMON_INFO_URLS", "http://127.0.0.1:9/{obsid}")
        patch.setenv("ASTROMON_VIZIER_SERVER", "127.0.0.1:9")
        patch.setenv("PFILES", "")
        yield targets(workdir)


NOT_FUZZED = {
    "Ciao": "the CIAO runner adapter class (its own tests, with fake CIAO tools)",
    "CiaoProcessFailure": "an exception class",
    "FlowException": "an exception class",
    "MissingTableException": "an exception class",
}


def test_every_public_callable_is_fuzzed(calls: dict[str, Any]) -> None:
    """The façades' public functions and classes are all in :func:`targets`."""
    public = {
        name
        for module in (cross_match, utils)
        for name in module.__all__
        if callable(getattr(module, name))
    }
    assert public - set(NOT_FUZZED) <= set(calls), public - set(NOT_FUZZED) - set(calls)
    assert set(calls) == set(TARGETS)


TARGETS = [
    "compute_cross_matches", "simple_cross_match", "filter_matches", "get_bad_target_mask",
    "get_excluded_regions_mask", "rough_match", "get_vizier", "Observation", "communicate",
    "chdir", "calalign_from_files", "get_calalign_offsets", "get_near_neighbor_dist",
    "LoggingCallDecorator", "logging_call_decorator", "set_ciao_context", "ciao_context",
    "CIAOContext", "get_wcs_from_fits_header", "Observation.file_path", "Observation.file_glob",
    "Observation.get_sources", "Observation.download", "Observation.archive",
    "Observation.dmcoords", "Observation.filter_events", "Observation.filter_sources",
    "Observation.run_celldetect", "Observation.make_images", "fit_alignment",
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_wrong_types(target: str, calls: dict[str, Any]) -> None:
    func, valid = calls[target]
    names = [
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    names += [name for name in valid if name not in names]  # options taken as **kwargs

    @CASES
    @given(
        replaced=st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True),
        values=st.lists(WRONG, min_size=3, max_size=3),
    )
    def case(replaced: list[str], values: list[Any]) -> None:
        kwargs = {**valid, **dict(zip(replaced, values, strict=False))}
        if "catalog_service" in valid and kwargs["catalog_service"] is None:
            kwargs["catalog_service"] = valid["catalog_service"]  # None: VizieR, not here
        try:
            result = func(**kwargs)
            if hasattr(result, "__enter__"):  # a context manager checks as it is entered
                with result:
                    pass
        except AstromonError as exc:
            assert str(exc), kwargs
        except Exception as exc:  # the property: nothing else
            raise AssertionError(f"{target}({kwargs!r:.300}) raised {exc!r}") from exc

    case()
