"""The doctor's checks over fake probes: order, fix hints, skipping and the verdict."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path

import pytest

from astromon.cli.commands.doctor import format_table
from astromon.domain.errors import CatalogError, ProcessingError
from astromon.ports.catalog import CatalogProbe
from astromon.ports.observation import ToolchainProbe
from astromon.services.doctor import (
    CIAO_TOOLS,
    CheckStatus,
    DoctorSettings,
    all_passed,
    run_doctor,
)


class FakeProbe:
    def __init__(self, missing: tuple[str, ...] = (), types: tuple[str, ...] = ()) -> None:
        self.missing = set(missing)
        self.types = list(types) or ["asol", "bpix", "dtf", "evt2", "fov", "msk", "oif"]

    def ciao_environment(self, prefix: str | None) -> Mapping[str, str]:
        if "ciao" in self.missing:
            raise ProcessingError(f"CIAO prefix {prefix} does not exist")
        return {"PATH": "/ciao/bin"}

    def ciao_version(self, env: Mapping[str, str]) -> str:
        return "CIAO 4.16.0"

    def caldb_version(self, env: Mapping[str, str]) -> str:
        return "4.11.0"

    def find_executable(self, name: str, env: Mapping[str, str] | None = None) -> str:
        if name in self.missing:
            raise ProcessingError(f"{name} is not on the PATH")
        return f"/ciao/bin/{name}"

    def download_types(self, env: Mapping[str, str]) -> list[str]:
        return self.types

    def arc5gl_user_file(self) -> tuple[Path, str | None]:
        return Path("/home/u/.arc5gl_user"), "u"

    def reachable(self, url: str) -> str:
        if "down" in url:
            raise ProcessingError(f"{url} is not reachable: refused")
        return "HTTP 200"

    def writable(self, path: Path) -> str:
        return f"{path} can be created"


class FakeCatalogProbe:
    def missing_columns(self, catalog: str) -> list[str]:
        if catalog == "SDSS":
            raise CatalogError("VizieR at x, catalog 'SDSS' (II/294): HTTP 500")
        return ["Kmag"] if catalog == "2MASS" else []


def settings(**changes: object) -> DoctorSettings:
    values: dict[str, object] = {
        "ciao_prefix": "/ciao", "catalogs": ("Tycho2", "2MASS"), "vizier": "v",
        "archive_url": "https://cda/cdaftp", "info_urls": ("https://i/t?{seq_num}",),
        "db_file": Path("/tmp/a.duckdb"), "offline": False,
    }  # fmt: skip
    values.update(changes)
    return DoctorSettings(**values)  # type: ignore[arg-type]


def test_fakes_are_probes() -> None:
    assert isinstance(FakeProbe(), ToolchainProbe)
    assert isinstance(FakeCatalogProbe(), CatalogProbe)


def test_everything_present_passes() -> None:
    checks = run_doctor(FakeProbe(), FakeCatalogProbe(), settings(catalogs=("Tycho2",)))
    assert all_passed(checks) and {c.status for c in checks} == {CheckStatus.PASS}
    names = [c.name for c in checks]
    assert names[:3] == ["CIAO prefix", "CIAO version", "CALDB"]
    assert [f"tool {t}" for t in CIAO_TOOLS] == names[3 : 3 + len(CIAO_TOOLS)]
    assert names[-1] == "database file"


def test_failures_carry_one_fix_each() -> None:
    probe = FakeProbe(missing=("celldetect", "arc5gl"), types=("evt2", "asol"))
    checks = run_doctor(
        probe, FakeCatalogProbe(), settings(catalogs=("2MASS", "SDSS"), archive_url="https://down")
    )
    failed = {c.name: c for c in checks if c.status is CheckStatus.FAIL}
    assert set(failed) == {"tool celldetect", "arc5gl", "download_chandra_obsid types",
                           "VizieR 2MASS", "VizieR SDSS", "Chandra archive"}  # fmt: skip
    assert all(c.fix for c in failed.values())
    assert "['msk', 'fov', 'bpix', 'dtf']" in failed["download_chandra_obsid types"].detail
    assert "['Kmag']" in failed["VizieR 2MASS"].detail
    assert "HTTP 500" in failed["VizieR SDSS"].detail
    assert not all_passed(checks)
    lines = format_table(checks)
    named: list[str] = []  # the checks each fix line is for: the row above, or those named
    for above, line in itertools.pairwise(lines):
        text = line.strip()
        if text.startswith("fix (for "):
            names, fix = text.removeprefix("fix (for ").split("): ", 1)
            named += names.split(", ")
        elif text.startswith("fix: "):
            names, fix = above[9:].split("  ")[0], text.removeprefix("fix: ")
            named.append(names)
        else:
            continue
        assert fix in {c.fix for c in failed.values()}
    assert sorted(named) == sorted(failed)
    assert lines[-1] == f"{len(checks)} checks: {len(failed)} failed, 0 skipped"


def test_without_ciao_every_ciao_line_fails_with_the_prefix_fix() -> None:
    checks = run_doctor(FakeProbe(missing=("ciao",)), None, settings(offline=True))
    ciao = [c for c in checks if c.name.startswith(("CIAO", "CALDB", "tool "))]
    assert {c.status for c in ciao} == {CheckStatus.FAIL}
    assert len({c.fix for c in ciao}) == 1 and "--ciao-prefix" in ciao[0].fix
    lines = format_table(checks)
    fixes = [line.strip() for line in lines if line.strip().startswith("fix")]
    assert fixes == [f"fix (for {', '.join(c.name for c in ciao)}): {ciao[0].fix}"]


@pytest.mark.parametrize("offline", [True, False])
def test_offline_skips_only_the_network(offline: bool) -> None:
    checks = run_doctor(FakeProbe(), None if offline else FakeCatalogProbe(), settings(
        offline=offline, catalogs=("Tycho2",), archive_url="https://down"))  # fmt: skip
    skipped = {c.name for c in checks if c.status is CheckStatus.SKIP}
    if offline:
        assert skipped == {"VizieR Tycho2", "Chandra archive", "sequence summary"}
        assert all_passed(checks)
    else:
        assert not skipped and not all_passed(checks)
