"""``astromon doctor``: check what a first real run needs and say how to fix what is missing."""

from __future__ import annotations

from typing import Annotated

import typer

from astromon.cli.common import ExitCode, handle_errors, state
from astromon.domain.catalogs import DEFAULT_ROUGH_MATCH_CATALOGS, validate_catalog_names
from astromon.ports.catalog import CatalogProbe
from astromon.services import doctor as doctor_service

__all__ = ["doctor", "format_table"]


def format_table(checks: list[doctor_service.Check]) -> list[str]:
    """The checks as text lines: status, check, detail; a ``fix:`` line under each failure.

    A fix that several failed checks share (no CIAO fails the CIAO checks and every tool) is
    printed once, under the first of them, naming them all: ``fix (for CIAO prefix, CIAO
    version, tool dmcopy): ...``.
    """
    width = max((len(c.name) for c in checks), default=5)
    sharing: dict[str, list[str]] = {}
    for check in checks:
        if check.status is doctor_service.CheckStatus.FAIL:
            sharing.setdefault(check.fix, []).append(check.name)
    lines = [f"{'status':7}  {'check':{width}}  detail"]
    for check in checks:
        lines.append(f"{check.status.value:7}  {check.name:{width}}  {check.detail}")
        if check.status is not doctor_service.CheckStatus.FAIL:
            continue
        names = sharing[check.fix]
        if len(names) == 1:
            lines.append(f"{'':7}  {'':{width}}  fix: {check.fix}")
        elif names[0] == check.name:
            lines.append(f"{'':7}  {'':{width}}  fix (for {', '.join(names)}): {check.fix}")
    failed = sum(c.status is doctor_service.CheckStatus.FAIL for c in checks)
    skipped = sum(c.status is doctor_service.CheckStatus.SKIP for c in checks)
    lines.append(f"{len(checks)} checks: {failed} failed, {skipped} skipped")
    return lines


@handle_errors
def doctor(
    ctx: typer.Context,
    ciao_prefix: Annotated[
        str | None, typer.Option(help="Where CIAO is installed (default /soft/ciao).")
    ] = None,
    catalogs: Annotated[
        str | None,
        typer.Option(help="Comma-separated catalogs to check (default: those processing uses)."),
    ] = None,
    vizier_server: Annotated[
        str | None,
        typer.Option(help="VizieR host or URL (default $ASTROMON_VIZIER_SERVER or CDS)."),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Skip the checks that need the network.")
    ] = False,
) -> None:
    """Check CIAO, its tools, CALDB, arc5gl, VizieR, the archive, the sequence-summary pages
    and the database file; print one line per check with a fix for each failure.

    Exit code 0 only when every check passes (skipped network checks do not fail).
    """
    names = (
        validate_catalog_names([c.strip() for c in catalogs.split(",") if c.strip()])
        if catalogs
        else DEFAULT_ROUGH_MATCH_CATALOGS
    )
    app = state(ctx).app
    catalog_probe: CatalogProbe | None = None
    server = vizier_server or app.settings.vizier_server or "vizier.cds.unistra.fr"
    if not offline:
        service = app.catalogs("vizier", server=server)
        catalog_probe = service if isinstance(service, CatalogProbe) else None
    settings = doctor_service.DoctorSettings(
        ciao_prefix=ciao_prefix,
        catalogs=names,
        vizier=server,
        archive_url=str(getattr(app.archive("https"), "base_url", "")),
        info_urls=list(getattr(app.observation_info(), "urls", ())),
        db_file=app.db_file(state(ctx).db),
        offline=offline,
    )
    checks = doctor_service.run_doctor(
        app.toolchain_probe(),
        catalog_probe,
        settings,
        open_store=lambda path: app.store(path) if path.exists() or path.is_symlink() else None,
    )
    for line in format_table(checks):
        typer.echo(line)
    raise typer.Exit(ExitCode.OK if doctor_service.all_passed(checks) else ExitCode.ERROR)
