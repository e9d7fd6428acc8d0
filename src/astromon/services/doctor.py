"""``astromon doctor``: what a first real run needs, checked one line at a time.

The checks run over two ports: a :class:`~astromon.ports.observation.ToolchainProbe` (CIAO,
CALDB, arc5gl, URLs, files) and a :class:`~astromon.ports.catalog.CatalogProbe` (one tiny
VizieR query per catalog). Each check gives a :class:`Check`: PASS, FAIL with one fix hint, or
SKIP (network checks with ``offline``). A check that cannot run because an earlier one failed
(the CIAO tools without a CIAO environment) fails with the same hint.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from astromon.domain.catalogs import get_catalog
from astromon.domain.errors import AstromonError, CatalogError, ProcessingError
from astromon.domain.observation_rules import ARCHIVE_FILE_TYPES, DEFAULT_DOWNLOAD
from astromon.ports.catalog import CatalogProbe
from astromon.ports.observation import ToolchainProbe
from astromon.ports.store import Store
from astromon.services.storage.tables import require_writable

__all__ = [
    "CIAO_TOOLS",
    "CONTRIB_TOOLS",
    "Check",
    "CheckStatus",
    "DoctorSettings",
    "all_passed",
    "run_doctor",
]

CIAO_TOOLS: tuple[str, ...] = (
    "punlearn", "pget", "dmcoords", "dmcopy", "fluximage", "pileup_map", "dmimgfilt",
    "acis_streak_map", "dmmakereg", "celldetect", "wavdetect", "dmstat", "chandra_repro",
)  # fmt: skip
"""The CIAO tools the processing steps call."""

CONTRIB_TOOLS: tuple[str, ...] = ("psfsize_srcs", "download_chandra_obsid")
"""The tools of the CIAO contributed-scripts package the processing calls."""

SAMPLE_SEQ_NUM = "0"
"""Sequence number and obsid put into the sequence-summary templates to test them."""


class CheckStatus(enum.StrEnum):
    """The outcome of one check."""

    PASS = "ok"
    FAIL = "FAIL"
    SKIP = "skipped"


@dataclass(frozen=True)
class Check:
    """One line of the doctor's table.

    Attributes
    ----------
    name : str
        What was checked (``CIAO prefix``, ``tool dmcopy``, ``VizieR Tycho2``...).
    status : CheckStatus
    detail : str
        What was found (a version, a path, the error).
    fix : str
        How to fix a failure (empty unless FAIL).
    """

    name: str
    status: CheckStatus
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class DoctorSettings:
    """What the doctor checks.

    Attributes
    ----------
    ciao_prefix : str or None
        Where CIAO is installed (None: the default ``/soft/ciao``).
    catalogs : sequence of str
        The catalogs searched for counterparts (one VizieR query each).
    vizier : str
        The VizieR server (shown in the table).
    archive_url : str
        Base URL of the Chandra Data Archive (``{archive_url}/byobsid/`` is fetched).
    info_urls : sequence of str
        Sequence-summary URL templates (``{seq_num}`` and/or ``{obsid}``).
    db_file : Path
        The database file that processing writes.
    offline : bool
        Skip every check that needs the network.
    """

    ciao_prefix: str | None
    catalogs: Sequence[str]
    vizier: str
    archive_url: str
    info_urls: Sequence[str]
    db_file: Path
    offline: bool = False


def _check(name: str, fix: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(name, CheckStatus.PASS, probe())
    except AstromonError as exc:
        return Check(name, CheckStatus.FAIL, str(exc), fix)


def _skip(name: str) -> Check:
    return Check(name, CheckStatus.SKIP, "--offline: not checked")


def _ciao_checks(probe: ToolchainProbe, settings: DoctorSettings) -> list[Check]:
    prefix = settings.ciao_prefix or "/soft/ciao"
    env: Mapping[str, str] | None = None
    env_fix = f"install CIAO at {prefix} or pass --ciao-prefix (the directory of bin/ciao.sh)"
    try:
        env = probe.ciao_environment(settings.ciao_prefix)
        checks = [Check("CIAO prefix", CheckStatus.PASS, f"{prefix} (ciao.sh sourced)")]
    except AstromonError as exc:
        checks = [Check("CIAO prefix", CheckStatus.FAIL, str(exc), env_fix)]
    if env is None:
        no_env = "no CIAO environment (see CIAO prefix)"
        names = ["CIAO version", "CALDB", *(f"tool {t}" for t in (*CIAO_TOOLS, *CONTRIB_TOOLS))]
        return checks + [Check(n, CheckStatus.FAIL, no_env, env_fix) for n in names]
    ciao_env = env
    checks.append(
        _check(
            "CIAO version",
            f"repair the CIAO installation at {prefix}: its ciaover must run",
            lambda: probe.ciao_version(ciao_env),
        )
    )
    checks.append(
        _check(
            "CALDB",
            "install the Chandra CALDB and make ciao.sh set $CALDB to it",
            lambda: probe.caldb_version(ciao_env),
        )
    )
    for tool in CIAO_TOOLS:
        checks.append(
            _check(
                f"tool {tool}",
                f"reinstall CIAO at {prefix}: {tool} is part of it",
                lambda tool=tool: probe.find_executable(tool, ciao_env),  # type: ignore[misc]
            )
        )
    for tool in CONTRIB_TOOLS:
        checks.append(
            _check(
                f"tool {tool}",
                f"install the CIAO contributed scripts (ciao-contrib) at {prefix}",
                lambda tool=tool: probe.find_executable(tool, ciao_env),  # type: ignore[misc]
            )
        )
    checks.append(
        _check(
            "download_chandra_obsid types",
            "update the CIAO contributed scripts: download_chandra_obsid must list these types",
            lambda: _download_types(probe, ciao_env),
        )
    )
    return checks


def _download_types(probe: ToolchainProbe, env: Mapping[str, str]) -> str:
    listed = probe.download_types(env)
    needed = [t for name in DEFAULT_DOWNLOAD if (t := ARCHIVE_FILE_TYPES[name].dco_type)]
    missing = [t for t in needed if t not in listed]
    if missing:
        raise ProcessingError(f"-t -q does not list {missing} (it lists {' '.join(listed)})")
    return f"lists {', '.join(needed)} ({len(listed)} types)"


def _arc5gl_checks(probe: ToolchainProbe) -> list[Check]:
    checks = [
        _check(
            "arc5gl",
            "install arc5gl and put it on PATH, or process with --source archive",
            lambda: probe.find_executable("arc5gl"),
        )
    ]

    def user() -> str:
        path, name = probe.arc5gl_user_file()
        if name is None:
            return f"{path} absent: arc5gl uses the login name"
        return f"user {name} from {path}"

    checks.append(
        _check("arc5gl user file", "write your archive user name (one line) into it", user)
    )
    return checks


def _network_checks(
    probe: ToolchainProbe, catalog_probe: CatalogProbe | None, settings: DoctorSettings
) -> list[Check]:
    names = [f"VizieR {c}" for c in settings.catalogs]
    summaries = [
        "sequence summary" if len(settings.info_urls) == 1 else f"sequence summary {i}"
        for i in range(1, len(settings.info_urls) + 1)
    ]
    names += ["Chandra archive", *summaries]
    if settings.offline:
        return [_skip(n) for n in names]
    checks = []
    for catalog in settings.catalogs:

        def columns(catalog: str = catalog) -> str:
            if catalog_probe is None:
                raise CatalogError("no VizieR service configured")
            missing = catalog_probe.missing_columns(catalog)
            if missing:
                roles = get_catalog(catalog).columns()
                lacking = "; ".join(f"{c} ({roles.get(c, 'read by astromon')})" for c in missing)
                raise CatalogError(f"the answer lacks the columns {missing}: {lacking}")
            return f"{settings.vizier}: every column of the catalog's spec present"

        checks.append(
            _check(
                f"VizieR {catalog}",
                "check the network or --vizier-server; if VizieR renamed a column, update the "
                "catalog's spec in astromon.domain.catalogs from the table's VizieR ReadMe",
                columns,
            )
        )
    archive = settings.archive_url.rstrip("/") + "/byobsid/"
    checks.append(
        _check(
            "Chandra archive",
            "check the network, or set ASTROMON_ARCHIVE_URL to a reachable archive mirror",
            lambda: f"{archive}: {probe.reachable(archive)}",
        )
    )
    for name, template in zip(summaries, settings.info_urls, strict=True):
        url = template.format(obsid=SAMPLE_SEQ_NUM, seq_num=SAMPLE_SEQ_NUM)
        checks.append(
            _check(
                name,
                "check the network, or set ASTROMON_INFO_URLS to reachable page templates",
                lambda url=url: f"{url}: {probe.reachable(url)}",  # type: ignore[misc]
            )
        )
    return checks


def _database(
    probe: ToolchainProbe,
    settings: DoctorSettings,
    open_store: Callable[[Path], Store | None] | None,
) -> str:
    """The database file can be written: the file system allows it and, when the file
    exists, it opens as a writable astromon database (not damaged, not a legacy file)."""
    detail = probe.writable(settings.db_file)
    store = open_store(settings.db_file) if open_store is not None else None
    if store is not None:
        require_writable(store)
        tables = store.table_names()  # opens the file: a damaged one fails here
        if tables:
            detail += f" ({len(tables)} astromon tables)"
    return detail


def run_doctor(
    probe: ToolchainProbe,
    catalog_probe: CatalogProbe | None,
    settings: DoctorSettings,
    open_store: Callable[[Path], Store | None] | None = None,
) -> list[Check]:
    """Every check, in the order of the table: CIAO, arc5gl, network, database.

    ``open_store`` gives the store of the database file when it exists (None when it does
    not); with it, the database check also opens an existing file, so that a damaged or a
    legacy (read-only) file fails the check.
    """
    checks = _ciao_checks(probe, settings)
    checks += _arc5gl_checks(probe)
    checks += _network_checks(probe, catalog_probe, settings)
    checks.append(
        _check(
            "database file",
            "pass --db with a writable astromon database (restore a damaged one from a backup, "
            "import a legacy one), or fix the directory's permissions",
            lambda: _database(probe, settings, open_store),
        )
    )
    return checks


def all_passed(checks: Sequence[Check]) -> bool:
    """True when no check failed (skipped checks do not fail)."""
    return all(c.status is not CheckStatus.FAIL for c in checks)
