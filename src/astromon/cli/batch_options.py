"""The options of a batch of observations, shared by ``astromon process`` and ``astromon daily``:
where the work runs, where the files come from and go, which catalogs are searched."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

import typer

from astromon.bootstrap import CATALOG_SOURCES, Astromon
from astromon.domain.catalogs import DEFAULT_ROUGH_MATCH_CATALOGS
from astromon.domain.errors import ValidationError
from astromon.domain.validation import require_choice
from astromon.ports.executor import MAX_WORKERS
from astromon.ports.observation import OBSERVATION_SOURCES
from astromon.ports.processing import ObservationProcessor

__all__ = [
    "ArchiveDirOption",
    "CatalogFileOption",
    "CatalogSourceOption",
    "CatalogsOption",
    "CiaoPrefixOption",
    "ProcessorOption",
    "SchedulerOption",
    "SourceOption",
    "WorkdirOption",
    "WorkersOption",
    "batch_processor",
    "check_sources",
]

WorkersOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=MAX_WORKERS,
        help=f"Local worker processes, 1 to {MAX_WORKERS} (default $ASTROMON_WORKERS or "
        "CPU count).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        metavar="ADDRESS",
        help="Dask scheduler address (tcp://host:8786): run on a cluster.",
    ),
]
SourceOption = Annotated[
    str,
    typer.Option(
        metavar=f"[{'|'.join(OBSERVATION_SOURCES)}]",
        help="Where observation files come from: arc5gl, archive (CIAO's "
        "download_chandra_obsid) or https (the public Chandra archive).",
    ),
]
WorkdirOption = Annotated[Path | None, typer.Option(help="Top-level working directory.")]
ArchiveDirOption = Annotated[
    Path | None,
    typer.Option(help="Top-level archive directory: each observation's files are moved there."),
]
CiaoPrefixOption = Annotated[
    str | None, typer.Option(metavar="DIR", help="Where CIAO is installed.")
]
CatalogSourceOption = Annotated[
    str,
    typer.Option(
        metavar=f"[{'|'.join(CATALOG_SOURCES)}]", help="Counterpart catalogs: vizier or local."
    ),
]
CatalogFileOption = Annotated[
    Path | None, typer.Option(help="Local catalog file (with --catalog-source local).")
]
CatalogsOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAME,...",
        help="Comma-separated catalogs to search "
        f"(default {','.join(DEFAULT_ROUGH_MATCH_CATALOGS)}).",
    ),
]
ProcessorOption = Annotated[
    str | None,
    typer.Option(
        metavar="MODULE:FACTORY",
        help="Advanced: MODULE:FACTORY giving a custom ObservationProcessor.",
    ),
]


def _load_processor(spec: str) -> ObservationProcessor:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValidationError(f"--processor {spec!r} must be MODULE:FACTORY")
    try:
        factory: Any = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValidationError(f"--processor {spec!r} cannot be loaded: {exc}") from None
    try:
        made = factory() if callable(factory) and not hasattr(factory, "process") else factory
    except (Exception, SystemExit) as exc:
        raise ValidationError(
            f"--processor {spec!r}: calling {attr} failed ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(made, ObservationProcessor):
        raise ValidationError(f"--processor {spec!r} does not give an ObservationProcessor")
    return made


def check_sources(source: str, catalog_source: str, catalog_file: Path | None) -> None:
    """Refuse an unknown ``--source`` or ``--catalog-source``, and a local catalog source
    without its file (usage errors naming the option and the value)."""
    require_choice("--source", source, OBSERVATION_SOURCES)
    require_choice("--catalog-source", catalog_source, CATALOG_SOURCES)
    if catalog_source == "local" and catalog_file is None:
        raise ValidationError("--catalog-source local needs --catalog-file")


SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
"""The protocols of a Dask scheduler address (``PROTOCOL://HOST:PORT``; tcp when omitted)."""


def check_scheduler(address: str | None) -> None:
    """Refuse a ``--scheduler`` that is not a Dask address before any work starts: an
    optional protocol of :data:`SCHEDULER_PROTOCOLS`, a host and an optional port from 1 to
    65535 (a usage error naming the value).
    """
    if address is None:
        return
    protocol, sep, rest = address.partition("://")
    if not sep:
        protocol, rest = "tcp", address
    host, colon, port = rest.rpartition(":") if ":" in rest else (rest, "", "")
    good = (
        protocol in SCHEDULER_PROTOCOLS
        and (protocol == "inproc" or (bool(host.strip("[]")) and " " not in host))
        and (not colon or (port.isdigit() and 1 <= int(port) <= 65535))
    )
    if not good:
        raise ValidationError(
            f"--scheduler {address!r} is not a Dask scheduler address (tcp://HOST:PORT)"
        )


def batch_processor(
    app: Astromon,
    *,
    processor: str | None,
    source: str,
    workdir: Path | None,
    archive_dir: Path | None,
    ciao_prefix: str | None,
    catalog_source: str,
    catalog_file: Path | None,
    catalogs: str | None,
) -> ObservationProcessor:
    """The per-observation work the options ask for: ``--processor`` when given, else the
    standard work of the application (:meth:`astromon.bootstrap.Astromon.observation_processor`).
    """
    if processor is not None:
        return _load_processor(processor)
    return app.observation_processor(
        source=source,
        workdir=str(workdir) if workdir else None,
        archive_dir=str(archive_dir) if archive_dir else None,
        ciao_prefix=ciao_prefix,
        catalog_source=catalog_source,
        catalog_file=str(catalog_file) if catalog_file is not None else None,
        catalogs=tuple(c.strip() for c in catalogs.split(",")) if catalogs else None,
    )
