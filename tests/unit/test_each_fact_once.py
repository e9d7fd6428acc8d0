"""Each fact in one place: no import cycle, the environment read only by the settings, one
obsid rule, one definition of the shared constants and types."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from astromon.domain.errors import ValidationError
from astromon.domain.observation_rules import check_obsid, obsid_in_range
from astromon.services.batch.obsids import parse_obsids

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("src", "adapters")


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of astromon and astromon_adapters."""
    found: dict[str, Path] = {}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Ids of the nodes inside ``if TYPE_CHECKING:`` blocks (never imported at run time)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        if isinstance(node, ast.If) and isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
            inside.update(id(sub) for child in node.body for sub in ast.walk(child))
    return inside


def _imports(name: str, path: Path, modules: Mapping[str, object]) -> set[str]:
    """The modules of ``modules`` that ``name`` imports anywhere (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    targets: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            submodules = {f"{base}.{alias.name}" for alias in node.names}
            targets.update(submodules & set(modules))
            if not submodules <= set(modules):  # names defined in the module itself
                targets.add(base)
    resolved: set[str] = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            resolved.add(target)
    return resolved


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_an_import_inside_a_function_is_an_edge(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from p import hidden\n"
        "def f():\n    from p.q import thing\n"
    )
    assert _imports("m", module, {"m": 1, "p": 1, "p.q": 1, "p.hidden": 1}) == {"p.q"}


def test_the_import_graph_of_astromon_is_acyclic() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert len(graph) > 100
    assert "astromon_adapters.storage.duckdb.store" in graph["astromon.bootstrap.application"]
    assert _cycles(graph) == []


ENVIRONMENT_READERS = {
    "src/astromon/cli/app.py": "sets MPLBACKEND for matplotlib before it is imported",
    "src/astromon/cli/legacy/common.py": "sets MPLBACKEND for matplotlib before it is imported",
    "src/astromon/logging_config.py": "hands the logging settings down to worker processes",
    "src/astromon/utils.py": "set_ciao_context sets PFILES and ASCDS_WORK_PATH, its purpose",
    "adapters/astromon_adapters/chandra/toolchain_probe.py": "looks tools up on the PATH of the "
    "environment ciao.sh gives",
    "adapters/astromon_adapters/executors.py": "starts multiprocessing's resource tracker with "
    "a warning filter in its environment (restored after)",
}
"""Files other than astromon/config.py that touch ``os.environ``, and why they must."""

ENVIRONMENT_ACCESS = re.compile(r"\bos\.environ\b|\bgetenv\b|\benviron\.get\b")


def test_the_environment_is_read_through_the_settings() -> None:
    touching = {
        str(path.relative_to(ROOT))
        for folder in FOLDERS
        for path in (ROOT / folder).rglob("*.py")
        if ENVIRONMENT_ACCESS.search(path.read_text(encoding="utf-8"))
    }
    assert touching - {"src/astromon/config.py"} == set(ENVIRONMENT_READERS)


def _definitions(pattern: str) -> list[str]:
    definition = re.compile(pattern, re.MULTILINE)
    return sorted(
        str(path.relative_to(ROOT))
        for folder in FOLDERS
        for path in (ROOT / folder).rglob("*.py")
        if definition.search(path.read_text(encoding="utf-8"))
    )


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("MIN_OBSID", "src/astromon/domain/observation_rules.py"),
        ("MAX_OBSID", "src/astromon/domain/observation_rules.py"),
        ("DEFAULT_LOCK_TIMEOUT", "adapters/astromon_adapters/storage/file_lock.py"),
        ("DBFile", "src/astromon/ports/store.py"),
        ("PathArg", "src/astromon/domain/validation.py"),
    ],
)
def test_shared_names_are_defined_once(name: str, home: str) -> None:
    assert _definitions(rf"^{name}\b(: [^=]+)? = ") == [home]


@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_one_obsid_rule(value: int) -> None:
    expected = 1 <= value <= 2**31 - 1  # an obsid is a positive 32-bit integer
    assert bool(obsid_in_range(value)) is expected
    try:
        checked = check_obsid(value)
    except ValidationError as exc:
        assert not expected and repr(value) in str(exc)
    else:
        assert expected and checked == value
    try:
        parsed = parse_obsids([str(value)]) if value >= 0 else None
    except ValidationError as exc:
        assert not expected and str(value) in str(exc)
    else:
        assert parsed is None or (expected and parsed == [value])
