"""The backup/restore rules of astromon.services.storage.backup: fake copier, fake stores."""

from __future__ import annotations

import pytest

from astromon.domain.errors import DatabaseError, ValidationError
from astromon.ports.store import Store
from astromon.services.storage.backup import backup_database, restore_database
from tests.unit.fake_store import InMemoryStore
from tests.unit.test_integrity_check import database, observation, regions


class FakeCopier:
    """Files are names in a dict of stores; every operation is recorded."""

    def __init__(self, files: dict[str, InMemoryStore]) -> None:
        self.files = files
        self.log: list[str] = []
        self.corrupt_copy = False

    def exists(self, path: str) -> bool:
        return path in self.files

    def same_file(self, first: str, second: str) -> bool:
        return first == second

    def staging_path(self, destination: str) -> str:
        return destination + ".staging"

    def snapshot(self, source: str, target: str) -> None:
        self.log.append(f"snapshot {source} {target}")
        tables = {n: self.files[source].read_table(n) for n in self.files[source].table_names()}
        if self.corrupt_copy:
            tables["astromon_obs"] = tables["astromon_obs"][:0]
        self.files[target] = InMemoryStore(tables, location=target)

    def publish(self, staged: str, destination: str) -> None:
        self.log.append(f"publish {staged} {destination}")
        self.files[destination] = self.files.pop(staged)

    def discard(self, staged: str) -> None:
        self.log.append(f"discard {staged}")
        self.files.pop(staged, None)

    def open_store(self, path: str) -> Store:
        return self.files[path]


def sound() -> InMemoryStore:
    return InMemoryStore(database(observation(1), observation(2), regions([1, 2], 2)))


def test_backup_copies_verifies_and_publishes() -> None:
    copier = FakeCopier({"db": sound()})
    result = backup_database(copier, copier.open_store, "db", "bak")
    assert result.report.ok
    assert result.report.row_counts["astromon_obs"] == 2
    assert copier.log == [
        "snapshot db bak.staging",
        "publish bak.staging bak",
        "discard bak.staging",
    ]
    assert set(copier.files) == {"db", "bak"}


def test_backup_refuses_to_overwrite_unless_forced() -> None:
    copier = FakeCopier({"db": sound(), "bak": InMemoryStore()})
    with pytest.raises(DatabaseError, match="refusing to overwrite bak"):
        backup_database(copier, copier.open_store, "db", "bak")
    assert copier.log == []
    backup_database(copier, copier.open_store, "db", "bak", force=True)
    assert copier.files["bak"].table_names() == copier.files["db"].table_names()


def test_a_copy_failing_the_check_is_never_published() -> None:
    copier = FakeCopier({"db": sound(), "bak": InMemoryStore(location="old")})
    copier.corrupt_copy = True
    with pytest.raises(DatabaseError, match=r"fails the integrity check: .*orphan"):
        backup_database(copier, copier.open_store, "db", "bak", force=True)
    assert copier.files["bak"].location == "old"
    assert "bak.staging" not in copier.files
    assert copier.log[-1] == "discard bak.staging"


def test_backup_argument_errors() -> None:
    copier = FakeCopier({"db": sound()})
    with pytest.raises(ValidationError, match="same file"):
        backup_database(copier, copier.open_store, "db", "db", force=True)
    with pytest.raises(DatabaseError, match="absent does not exist"):
        backup_database(copier, copier.open_store, "absent", "bak")


def test_restore_checks_the_backup_first() -> None:
    broken = InMemoryStore(
        {
            "astromon_obs": observation(9)["astromon_obs"],
            "astromon_xray_src": observation(1)["astromon_xray_src"],
        }
    )
    copier = FakeCopier({"bak": broken, "db": sound()})
    with pytest.raises(DatabaseError, match="backup bak fails the integrity check"):
        restore_database(copier, copier.open_store, "bak", "db", force=True)
    assert copier.log == []


def test_restore_replaces_only_with_force() -> None:
    copier = FakeCopier({"bak": sound(), "db": InMemoryStore(location="current")})
    with pytest.raises(DatabaseError, match="refusing to overwrite db"):
        restore_database(copier, copier.open_store, "bak", "db")
    assert copier.files["db"].location == "current"
    result = restore_database(copier, copier.open_store, "bak", "db", force=True)
    assert result.destination == "db" and result.report.ok
    assert copier.files["db"].table_names() == copier.files["bak"].table_names()
    with pytest.raises(DatabaseError, match="backup file nothing does not exist"):
        restore_database(copier, copier.open_store, "nothing", "db")
    with pytest.raises(ValidationError, match="same file"):
        restore_database(copier, copier.open_store, "db", "db")
