"""Properties of the code base that a tool checks: no citations of outside documents, a
light ``import astromon``, no FITS reading in the domain or the services, no private attribute
of another object read in the observation pipeline."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    path
    for folder in ("src", "adapters")
    for path in (ROOT / folder).rglob("*.py")
    if "__pycache__" not in path.parts
)
TEXT_FILES = [
    *MODULES,
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "README.md",
]
OUTSIDE_CITATION = re.compile(r"\bSPEC\b\s*(§|section\b|sec\.)|\bsee\s+(the\s+)?SPEC\b|SPEC\.md")
HEAVY_LIBRARIES = ("duckdb", "astroquery", "matplotlib", "h5py", "dask", "distributed")


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_tree_is_found() -> None:
    assert len(MODULES) > 50
    assert (ROOT / "src" / "astromon" / "bootstrap" / "__init__.py") in MODULES


def test_no_text_cites_a_document_outside_the_repository() -> None:
    found = [
        f"{_relative(path)}:{number}: {line.strip()}"
        for path in TEXT_FILES
        if path.exists()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE_CITATION.search(line)
    ]
    assert found == [], "state the rule instead of citing it:\n" + "\n".join(found)


def test_the_citation_pattern_catches_citations() -> None:
    for text in ("(SPEC §4)", "see SPEC section 3", "SPEC sec. 2", "see the SPEC", "SPEC.md"):
        assert OUTSIDE_CITATION.search(text), text
    assert not OUTSIDE_CITATION.search("SPECTRUM section")


def test_importing_the_facades_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import astromon, astromon.db, astromon.cross_match, astromon.observation, astromon.utils\n"
        f"heavy = {HEAVY_LIBRARIES!r}\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(heavy))\n"
        "adapters = sorted(m for m in sys.modules if m.startswith('astromon_adapters'))\n"
        "print(loaded, adapters)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] []"


STARTUP_COSTLY = ("scipy.spatial", "astropy.wcs", "astropy.coordinates", "duckdb", "h5py")
"""Modules the command line imports only when a command needs them (each costs 40-130 ms)."""


def test_starting_the_command_line_imports_no_costly_module() -> None:
    code = (
        "import sys\n"
        "import astromon.cli.app\n"
        f"costly = {STARTUP_COSTLY!r}\n"
        "print(sorted(m for m in costly if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_utils_ciao_is_the_adapter_class_loaded_on_first_use() -> None:
    code = (
        "import sys\n"
        "import astromon.utils as utils\n"
        "before = 'astromon_adapters.chandra.ciao' in sys.modules\n"
        "cls = utils.Ciao\n"
        "print(before, cls.__module__, cls.__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "astromon_adapters.chandra.ciao", "Ciao"]


FILE_READING_IN_DOMAIN: set[str] = set()
"""Domain modules allowed to read FITS files: none (file reading is adapter work)."""


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_domain_does_not_read_fits_files() -> None:
    domain = ROOT / "src" / "astromon" / "domain"
    readers = sorted(
        str(path.relative_to(ROOT / "src"))
        for path in domain.rglob("*.py")
        if "astropy.io.fits" in _imported_modules(path)
    )
    assert set(readers) <= FILE_READING_IN_DOMAIN, readers


def test_the_services_and_the_domain_do_not_read_fits_files() -> None:
    """FITS files are read by adapters behind ports (the ObservationFiles port for an
    observation's files); no service or domain module imports astropy.io.fits."""
    package = ROOT / "src" / "astromon"
    readers = sorted(
        str(path.relative_to(ROOT / "src"))
        for folder in ("services", "domain")
        for path in (package / folder).rglob("*.py")
        if any(name == "astropy.io.fits" or name.startswith("astropy.io.fits.")
               for name in _imported_modules(path))
    )  # fmt: skip
    assert readers == [], readers


OBSERVATION_PIPELINE = [
    *sorted((ROOT / "src" / "astromon" / "services" / "observation").rglob("*.py")),
    ROOT / "src" / "astromon" / "legacy" / "observation_names.py",
    ROOT / "src" / "astromon" / "observation.py",
    *sorted((ROOT / "adapters" / "astromon_adapters" / "chandra").rglob("*.py")),
]
"""The modules of the observation pipeline: the workspace, the steps, the façade, the readers."""


def _private_reads(source: str) -> list[str]:
    """``obj._name`` expressions of a module where ``obj`` is not ``self`` or ``cls``
    (``line: expression``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_observation_pipeline_reads_no_private_attribute_of_another_object() -> None:
    assert all(path.exists() for path in OBSERVATION_PIPELINE)
    found = [
        f"{_relative(path)}:{line}"
        for path in OBSERVATION_PIPELINE
        for line in _private_reads(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "\n".join(found)


def test_the_private_read_finder_finds_them() -> None:
    source = "def f(obs):\n    return obs._raw_evt2(), self._ok, os.__name__, obs.a._b\n"
    assert sorted(_private_reads(source)) == ["2: obs._raw_evt2", "2: obs.a._b"]
