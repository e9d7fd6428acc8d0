"""The CIAO runner (the :class:`~astromon.ports.observation.CiaoRunner` port) over subprocesses.

The CIAO environment comes from sourcing ``{prefix}/bin/ciao.sh`` in bash (once per prefix);
each :class:`Ciao` then sets ``ASCDS_WORK_PATH`` to its working directory and ``PFILES`` to
``{workdir};{ASCDS_INSTALL}/param:{ASCDS_INSTALL}/contrib/param`` so that parameter files of
concurrent runs never collide.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import weakref
from pathlib import Path
from typing import IO, Any, Final

import structlog

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.ports.observation import ToolError

__all__ = ["DEFAULT_CIAO_PREFIX", "Ciao", "ciao_environment", "communicate", "run_tool"]

DEFAULT_CIAO_PREFIX: Final = "/soft/ciao"
"""Where CIAO is installed when no prefix is given."""

_LEVELS: Final = {"DEBUG": "debug", "INFO": "info", "WARNING": "warning", "ERROR": "error"}
_ENV_CACHE: dict[str, dict[str, str]] = {}
_ENV_LOCK = threading.Lock()


def communicate(
    process: subprocess.Popen[Any],
    logger: Any = None,
    level: str = "WARNING",
    text: bool = False,
    logging_tag: str = "",
) -> list[str]:
    """Read a subprocess' standard output line by line as it comes, logging each line.

    Parameters
    ----------
    process : subprocess.Popen
        Started with ``stdout=PIPE`` (stderr is typically merged into it).
    logger : structlog logger, optional
        Where lines go (default: the ``astromon.ciao`` structlog logger).
    level : str
        Log level of the lines (DEBUG, INFO, WARNING, ERROR).
    text : bool
        Whether the pipe is in text mode; bytes are decoded as UTF-8 (invalid bytes replaced)
        whatever it says, so a pipe in the other mode is read all the same.
    logging_tag : str
        Added to every event as ``tag``.

    Returns
    -------
    list of str
        The lines, without trailing newlines. The process has exited when this returns.
    """
    log = logger if logger is not None else structlog.get_logger("astromon.ciao")
    method = getattr(log, _LEVELS.get(str(level).upper(), "warning"))
    lines: list[str] = []
    stream: IO[Any] | None = process.stdout
    while stream is not None:
        raw = stream.readline()
        if not raw:  # end of the output ("" or b"", whatever the pipe's mode)
            break
        # ``text`` says what the pipe gives; a pipe in the other mode is read all the same
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        line = line.rstrip("\n")
        lines.append(line)
        method("tool output", line=line, pid=process.pid, tag=logging_tag)
    process.wait()
    return lines


def ciao_environment(prefix: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """The environment after sourcing ``{prefix}/bin/ciao.sh`` (cached per prefix).

    Raises
    ------
    ProcessingError
        The prefix or its ``bin/ciao.sh`` does not exist, or sourcing it fails.
    """
    root = Path(prefix if prefix is not None else DEFAULT_CIAO_PREFIX)
    script = root / "bin" / "ciao.sh"
    if not root.is_dir():
        raise ProcessingError(f"CIAO prefix {root} does not exist")
    if not script.is_file():
        raise ProcessingError(f"CIAO prefix {root} has no bin/ciao.sh")
    key = str(script.resolve())
    with _ENV_LOCK:
        if key in _ENV_CACHE:
            return dict(_ENV_CACHE[key])
        bash = shutil.which("bash")
        if bash is None:
            raise ProcessingError("bash is needed to source ciao.sh but it is not on PATH")
        result = subprocess.run(
            [bash, "-c", 'source "$0" -o >/dev/null 2>&1 </dev/null && env -0', str(script)],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise ProcessingError(
                f"sourcing {script} failed with exit status {result.returncode}: "
                f"{result.stderr.decode(errors='replace').strip()}"
            )
        env: dict[str, str] = {}
        for item in result.stdout.split(b"\0"):
            name, sep, value = item.decode(errors="replace").partition("=")
            if sep and name:
                env[name] = value
        if "ASCDS_INSTALL" not in env:
            raise ProcessingError(f"sourcing {script} did not set ASCDS_INSTALL")
        _ENV_CACHE[key] = env
        return dict(env)


def _format_param(name: str, value: object) -> str:
    if isinstance(value, bool):
        value = "yes" if value else "no"
    return f"{name}={value}"


def run_tool(
    command: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    logger: Any = None,
    level: str = "DEBUG",
    logging_tag: str = "",
    stdout: Any = subprocess.PIPE,
    stderr: Any = subprocess.STDOUT,
) -> list[str]:
    """Run an executable, stream its output to the log, return the lines.

    ``stdout`` and ``stderr`` are passed to ``subprocess.Popen`` (default: both into the
    pipe that is logged); output sent elsewhere is neither logged nor returned.

    Raises
    ------
    ProcessingError
        The executable does not exist.
    ToolError
        It exits non-zero (the error carries the output lines).
    """
    log = logger if logger is not None else structlog.get_logger("astromon.ciao")
    log.debug("tool start", command=" ".join(command), tag=logging_tag)
    try:
        process = subprocess.Popen(
            command,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
    except OSError as exc:
        raise ProcessingError(f"cannot run {command[0]}: {exc}") from exc
    lines = communicate(process, logger=log, level=level, logging_tag=logging_tag)
    if process.returncode != 0:
        log.warning("tool failed", tool=command[0], returncode=process.returncode, tag=logging_tag)
        raise ToolError(command[0], process.returncode, lines, " ".join(command))
    log.debug("tool end", tool=command[0], tag=logging_tag)
    return lines


class Ciao:
    """Runs CIAO tools in a CIAO environment with its own parameter-file directory.

    Parameters
    ----------
    prefix : str or Path, optional
        Where CIAO is installed (default ``/soft/ciao``); ``{prefix}/bin/ciao.sh`` is sourced.
    workdir : str or Path, optional
        Working directory: ``ASCDS_WORK_PATH`` and the writable part of ``PFILES``. A temporary
        directory (removed with the object) when not given. Must not contain ``:``.
    logger : structlog logger, optional
        Where the tools' output lines go.

    Raises
    ------
    ProcessingError
        The CIAO prefix is missing.
    ValidationError
        ``workdir`` contains ``:`` (it would break PFILES).
    """

    def __init__(
        self,
        prefix: str | os.PathLike[str] | None = None,
        workdir: str | os.PathLike[str] | None = None,
        logger: Any = None,
    ) -> None:
        if workdir is not None and ":" in str(workdir):
            raise ValidationError(f"CIAO working directory must not contain ':', got {workdir}")
        self.prefix = Path(prefix if prefix is not None else DEFAULT_CIAO_PREFIX)
        self.logger = logger if logger is not None else structlog.get_logger("astromon.ciao")
        base_env = ciao_environment(self.prefix)
        if workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="astromon_ciao_"))
            self._finalizer: Any = weakref.finalize(
                self, shutil.rmtree, str(self.workdir), ignore_errors=True
            )
        else:
            self.workdir = Path(workdir)
            self.workdir.mkdir(parents=True, exist_ok=True)
            self._finalizer = None
        install = base_env["ASCDS_INSTALL"]
        self.env = dict(base_env)
        self.env["ASCDS_WORK_PATH"] = str(self.workdir)
        self.env["PFILES"] = f"{self.workdir};{install}/param:{install}/contrib/param"

    def __call__(
        self,
        cmd: str,
        *args: str,
        logging_tag: str = "",
        stdout: Any = subprocess.PIPE,
        stderr: Any = subprocess.STDOUT,
        **params: object,
    ) -> list[str]:
        """Run ``cmd args key=value...`` (booleans as yes/no); returns the output lines.

        ``stdout`` and ``stderr`` are ``subprocess.Popen`` arguments, not tool parameters
        (default: both into the logged pipe; output sent elsewhere is not returned).

        Raises
        ------
        ToolError
            The tool exits non-zero; it carries the output lines.
        """
        command = [cmd, *map(str, args), *(_format_param(k, v) for k, v in params.items())]
        return run_tool(
            command,
            env=self.env,
            cwd=self.workdir,
            logger=self.logger,
            logging_tag=logging_tag,
            stdout=stdout,
            stderr=stderr,
        )

    def run(self, tool: str, *args: str, **params: object) -> list[str]:
        """Same as calling the object (the CiaoRunner port)."""
        command = [tool, *map(str, args), *(_format_param(k, v) for k, v in params.items())]
        return run_tool(command, env=self.env, cwd=self.workdir, logger=self.logger)

    def pget(self, command: str, param: str = "value", logging_tag: str = "") -> str:
        """The value of a tool's parameter (CIAO ``pget``), stripped."""
        result = subprocess.run(
            ["pget", command, param],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if result.returncode != 0:
            lines = (result.stdout + result.stderr).splitlines()
            raise ToolError("pget", result.returncode, lines, f"pget {command} {param}")
        if result.stderr.strip():
            self.logger.warning("pget stderr", line=result.stderr.strip(), tag=logging_tag)
        return result.stdout.strip()
