"""The :class:`~astromon.ports.observation.ToolchainProbe` of the local machine.

It sources ``ciao.sh`` (through :func:`astromon_adapters.chandra.ciao.ciao_environment`), runs
``ciaover`` and ``download_chandra_obsid -t -q`` in that environment, reads the CALDB version
file (``$CALDB/docs/chandra/caldb_version/caldb_version.fits``, keyword CALDBVER), looks
executables up on a PATH, reads the arc5gl user file, sends one GET per URL and checks that a
database file could be created or written. Nothing is changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from astropy.io import fits

from astromon.domain.errors import ProcessingError
from astromon_adapters.chandra.archives.arc5gl import arc5gl_user, default_user_file
from astromon_adapters.chandra.archives.download_chandra_obsid import parse_type_list
from astromon_adapters.chandra.ciao import ciao_environment

__all__ = ["LocalToolchainProbe", "parse_ciaover"]

CALDB_VERSION_FILE = Path("docs") / "chandra" / "caldb_version" / "caldb_version.fits"
"""Where a CALDB tree keeps its version (relative to ``$CALDB``)."""


def parse_ciaover(lines: list[str]) -> str:
    """The CIAO release in ``ciaover`` output (the value of its ``CIAO :`` line)."""
    for line in lines:
        name, sep, value = line.partition(":")
        if sep and name.strip() == "CIAO" and value.strip():
            return " ".join(value.split()[:2])
    raise ProcessingError(f"ciaover printed no 'CIAO : version' line: {lines[:5]}")


class LocalToolchainProbe:
    """Probes this machine's CIAO, CALDB, arc5gl, URLs and files.

    Parameters
    ----------
    timeout : float
        Seconds for each tool run and each HTTP request.
    arc5gl_user_file : Path, optional
        The arc5gl user file (default ``$HOME/.arc5gl_user``).
    """

    def __init__(self, timeout: float = 20.0, arc5gl_user_file: Path | None = None) -> None:
        self.timeout = timeout
        self.user_file = arc5gl_user_file

    def _run(self, command: list[str], env: Mapping[str, str]) -> list[str]:
        exe = self.find_executable(command[0], env)
        with tempfile.TemporaryDirectory(prefix="astromon_doctor_") as tmp:
            try:
                result = subprocess.run(
                    [exe, *command[1:]], capture_output=True, text=True, env=dict(env),
                    cwd=tmp, stdin=subprocess.DEVNULL, timeout=self.timeout, check=False,
                )  # fmt: skip
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ProcessingError(f"{' '.join(command)} did not run: {exc}") from exc
        lines = (result.stdout + result.stderr).splitlines()
        if result.returncode != 0:
            tail = "; ".join(lines[-3:])
            raise ProcessingError(f"{' '.join(command)} exited {result.returncode}: {tail}")
        return lines

    def ciao_environment(self, prefix: str | None) -> Mapping[str, str]:
        """The environment of ``{prefix}/bin/ciao.sh``."""
        return ciao_environment(prefix)

    def ciao_version(self, env: Mapping[str, str]) -> str:
        """The CIAO release printed by ``ciaover``."""
        return parse_ciaover(self._run(["ciaover"], env))

    def caldb_version(self, env: Mapping[str, str]) -> str:
        """CALDBVER of ``$CALDB/docs/chandra/caldb_version/caldb_version.fits``."""
        caldb = env.get("CALDB", "")
        if not caldb:
            raise ProcessingError("CALDB is not set by ciao.sh")
        path = Path(caldb) / CALDB_VERSION_FILE
        try:
            with fits.open(path) as hdus:
                version = next(
                    (str(h.header["CALDBVER"]) for h in hdus if "CALDBVER" in h.header), ""
                )
        except (OSError, ValueError) as exc:
            raise ProcessingError(f"no CALDB version file {path}: {exc}") from exc
        if not version:
            raise ProcessingError(f"{path} has no CALDBVER keyword")
        return version

    def find_executable(self, name: str, env: Mapping[str, str] | None = None) -> str:
        """The path of ``name`` on the PATH of ``env`` (default this process's PATH)."""
        path = (env or os.environ).get("PATH", "")
        found = shutil.which(name, path=path)
        if found is None:
            raise ProcessingError(f"{name} is not on the PATH")
        return found

    def download_types(self, env: Mapping[str, str]) -> list[str]:
        """The types ``download_chandra_obsid -t -q`` lists."""
        return parse_type_list(self._run(["download_chandra_obsid", "-t", "-q"], env))

    def arc5gl_user_file(self) -> tuple[Path, str | None]:
        """The arc5gl user file and its user name (None when absent)."""
        path = self.user_file if self.user_file is not None else default_user_file()
        return path, arc5gl_user(path)

    def reachable(self, url: str) -> str:
        """GET ``url``: ``HTTP <status>`` when the server answers below 500."""
        if not url.startswith(("http://", "https://")):
            raise ProcessingError(f"not an http(s) URL: {url!r}")
        request = urllib.request.Request(url, headers={"User-Agent": "astromon-doctor"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return f"HTTP {exc.code}"
            raise ProcessingError(f"{url} answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ProcessingError(f"{url} is not reachable: {exc}") from exc

    def writable(self, path: Path) -> str:
        """Whether the database file at ``path`` can be written (or created)."""
        path = Path(path)
        if path.exists():
            if path.is_dir():
                raise ProcessingError(f"{path} is a directory, not a database file")
            if not os.access(path, os.W_OK):
                raise ProcessingError(f"{path} is not writable")
            return f"{path} exists and is writable"
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise ProcessingError(f"{path} cannot be created ({parent} is not writable)")
        return f"{path} can be created"
