"""An :class:`~astromon.ports.observation.ArchiveRetriever` driving the ``arc5gl`` executable.

arc5gl runs as ``arc5gl --stdin`` (plus ``--user=NAME`` when the arc5gl user file,
``$HOME/.arc5gl_user`` by default, holds a user name). For each file type it is fed
``obsid=…``, ``version=…`` (the revision from the obspar), ``get <spec>`` (see
:data:`astromon.domain.observation_rules.ARCHIVE_FILE_TYPES`) and ``exit`` on its standard
input, in a scratch directory; the files are then moved into place.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import structlog

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.domain.observation_rules import ARCHIVE_FILE_TYPES, check_obsid
from astromon.ports.observation import ToolError
from astromon_adapters.storage.atomic_files import install_files, instrument_and_revision

__all__ = ["Arc5glRetriever", "arc5gl_user", "default_user_file"]


def default_user_file() -> Path:
    """The arc5gl user file: ``~/.arc5gl_user`` (the composition root passes the one of its
    settings)."""
    return Path.home() / ".arc5gl_user"


def arc5gl_user(user_file: Path | None = None) -> str | None:
    """The user name in the arc5gl user file (stripped), None when the file does not exist.

    Raises
    ------
    ProcessingError
        The file exists but cannot be read or is empty.
    """
    path = default_user_file() if user_file is None else Path(user_file)
    if not path.exists():
        return None
    try:
        user = path.read_text().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ProcessingError(f"cannot read the arc5gl user file {path}: {exc}") from exc
    if not user:
        raise ProcessingError(f"the arc5gl user file {path} is empty")
    return user


class Arc5glRetriever:
    """Retrieve observation files with arc5gl.

    Parameters
    ----------
    executable : str
        The arc5gl command (looked up on PATH).
    timeout : float
        Seconds allowed for one arc5gl run.
    user_file : Path, optional
        The arc5gl user file (default ``$HOME/.arc5gl_user``, read at each run).
    """

    def __init__(
        self, executable: str = "arc5gl", timeout: float = 3600.0, user_file: Path | None = None
    ) -> None:
        self.executable = executable
        self.timeout = timeout
        self.user_file = user_file
        self._obspar: dict[int, tuple[str, int | None]] = {}
        self.log: Any = structlog.get_logger("astromon.arc5gl")

    def _run(self, commands: list[str], cwd: Path) -> list[str]:
        exe = shutil.which(self.executable)
        if exe is None:
            raise ProcessingError(f"{self.executable} is not on PATH")
        args = [exe, "--stdin"]
        user = arc5gl_user(self.user_file)
        if user is not None:
            args.append(f"--user={user}")
        self.log.debug("arc5gl", commands=commands, user=user)
        try:
            result = subprocess.run(
                args,
                input="\n".join([*commands, "exit"]) + "\n",
                capture_output=True,
                text=True,
                cwd=cwd,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ProcessingError(f"arc5gl timed out after {self.timeout} s ({commands})") from exc
        lines = (result.stdout + result.stderr).splitlines()
        if result.returncode != 0:
            raise ToolError("arc5gl", result.returncode, lines, "; ".join(commands))
        return lines

    def _get(self, commands: list[str], glob: str, destination: Path, what: str) -> list[Path]:
        with tempfile.TemporaryDirectory(prefix="astromon_arc5gl_") as tmp:
            scratch = Path(tmp)
            self._run(commands, scratch)
            files = [p for p in scratch.rglob("*") if p.is_file()]
            written = install_files(files, destination, glob)
        if not written:
            raise ProcessingError(f"arc5gl found no {what}")
        return written

    def _instrument(self, obsid: int) -> tuple[str, int | None]:
        if obsid not in self._obspar:
            with tempfile.TemporaryDirectory(prefix="astromon_obspar_") as tmp:
                (path,) = self.retrieve(obsid, "obspar", Path(tmp))[:1]
                self._obspar[obsid] = instrument_and_revision(path)
        return self._obspar[obsid]

    def retrieve(self, obsid: int, file_type: str, destination: Path) -> list[Path]:
        """Download the ``file_type`` files of ``obsid`` into ``destination``.

        Raises
        ------
        ValidationError
            Unknown file type.
        ProcessingError
            arc5gl is missing, fails (ToolError) or finds nothing (unknown obsid).
        """
        obsid = check_obsid(obsid)
        if file_type not in ARCHIVE_FILE_TYPES:
            raise ValidationError(
                f"unknown file type {file_type!r}; known: {', '.join(ARCHIVE_FILE_TYPES)}"
            )
        ftype = ARCHIVE_FILE_TYPES[file_type]
        what = f"{file_type} files for obsid {obsid}"
        if file_type == "obspar":
            commands = [f"obsid={obsid}", f"get {ftype.spec}"]
        else:
            instrument, revision = self._instrument(obsid)
            commands = [f"obsid={obsid}"]
            if revision is not None:
                commands.append(f"version={revision}")
            commands.append(f"get {ftype.arc5gl_spec(instrument)}")
        written = self._get(commands, ftype.glob, Path(destination), what)
        if file_type == "obspar":
            self._obspar[obsid] = instrument_and_revision(written[0])
        self.log.info("retrieved", obsid=obsid, file_type=file_type, n_files=len(written))
        return written

    def find_obsids(self, start: str, stop: str) -> list[int]:
        """Obsids with observations between two dates (arc5gl ``browse obspar``)."""
        with tempfile.TemporaryDirectory(prefix="astromon_arc5gl_") as tmp:
            lines = self._run([f"tstart={start}", f"tstop={stop}", "browse obspar"], Path(tmp))
        obsids: set[int] = set()
        for line in lines:
            name = line.split()[0] if line.split() else ""
            if name.startswith("axaf") and "obs0" in name:
                digits = name[5:10]
                if digits.isdigit():
                    obsids.add(int(digits))
        return sorted(obsids)
