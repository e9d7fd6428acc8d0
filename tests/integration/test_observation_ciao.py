"""The CIAO runner (``astromon_adapters.chandra.ciao.Ciao``, re-exported by utils), fake ciao.sh."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from astromon.domain.errors import ProcessingError, ValidationError
from astromon.ports.observation import CiaoRunner, ToolError
from astromon.utils import Ciao, communicate


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    root = tmp_path / "ciao"
    (root / "bin").mkdir(parents=True)
    tool = root / "bin" / "shout"
    tool.write_text(
        '#!/bin/sh\necho "args: $*"\necho "PFILES=$PFILES"\necho oops >&2\nexit ${SHOUT_EXIT:-0}\n'
    )
    tool.chmod(0o755)
    pget = root / "bin" / "pget"
    pget.write_text('#!/bin/sh\necho "  value-of-$1-$2  "\n')
    pget.chmod(0o755)
    (root / "bin" / "ciao.sh").write_text(
        f'export ASCDS_INSTALL="{root}"\nexport PATH="{root}/bin:$PATH"\nexport FROM_CIAO_SH=1\n'
    )
    return root


def test_environment_and_call(prefix: Path, tmp_path: Path) -> None:
    ciao = Ciao(prefix, tmp_path / "work")
    assert isinstance(ciao, CiaoRunner)
    assert ciao.env["ASCDS_WORK_PATH"] == str(tmp_path / "work")
    assert ciao.env["PFILES"] == f"{tmp_path / 'work'};{prefix}/param:{prefix}/contrib/param"
    assert ciao.env["FROM_CIAO_SH"] == "1"
    with capture_logs() as logs:
        lines = ciao("shout", "a b", clobber=True, radius=3.5)
    assert lines[0] == "args: a b clobber=yes radius=3.5"
    assert lines[1] == f"PFILES={ciao.env['PFILES']}"
    assert "oops" in lines
    assert [e["line"] for e in logs if e["event"] == "tool output"] == lines
    assert ciao.run("shout", verbose=False)[0] == "args: verbose=no"
    assert ciao.pget("dmcoords", "x") == "value-of-dmcoords-x"


def test_non_zero_exit_carries_the_output(
    prefix: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOUT_EXIT", "3")
    ciao = Ciao(prefix, tmp_path / "work2")
    with pytest.raises(ToolError, match="shout failed with exit status 3") as info:
        ciao("shout", infile="x.fits")
    assert info.value.returncode == 3 and info.value.tool == "shout"
    assert info.value.output[0] == "args: infile=x.fits" and "oops" in info.value.output
    assert "oops" in str(info.value)
    with pytest.raises(ProcessingError, match="cannot run no_such_tool"):
        ciao("no_such_tool")


def test_bad_configuration(prefix: Path, tmp_path: Path) -> None:
    with pytest.raises(ProcessingError, match=r"CIAO prefix .*missing does not exist"):
        Ciao(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProcessingError, match=r"has no bin/ciao\.sh"):
        Ciao(tmp_path / "empty")
    with pytest.raises(ValidationError, match="must not contain ':'"):
        Ciao(prefix, tmp_path / "a:b")
    broken = tmp_path / "broken"
    (broken / "bin").mkdir(parents=True)
    (broken / "bin" / "ciao.sh").write_text("exit 4\n")
    with pytest.raises(ProcessingError, match=r"sourcing .*ciao\.sh failed with exit status 4"):
        Ciao(broken)


def test_temporary_workdir_is_removed(prefix: Path) -> None:
    ciao = Ciao(prefix)
    workdir = ciao.workdir
    assert workdir.is_dir() and ciao.env["ASCDS_WORK_PATH"] == str(workdir)
    del ciao
    import gc

    gc.collect()
    assert not workdir.exists()


def test_communicate_streams_lines() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "print('one'); print('two')"], stdout=subprocess.PIPE
    )
    with capture_logs() as logs:
        lines = communicate(process, level="INFO", logging_tag="t1")
    assert lines == ["one", "two"] and process.returncode == 0
    assert [(e["log_level"], e["line"], e["tag"]) for e in logs] == [
        ("info", "one", "t1"),
        ("info", "two", "t1"),
    ]


@pytest.mark.parametrize("text_pipe", [False, True])
@pytest.mark.parametrize("text", [False, True])
def test_communicate_reads_a_pipe_in_either_mode(text_pipe: bool, text: bool) -> None:
    """``text`` describes the pipe; told wrong, the lines are read all the same (the pipe was
    read with a sentinel of the wrong type: a TypeError, or a loop that never ended)."""
    code = "import sys; sys.stdout.buffer.write(b'caf\\xc3\\xa9\\n\\xff bad\\n\\nlast')"
    mode: dict[str, Any] = {"text": True, "errors": "replace"} if text_pipe else {}
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, **mode)
    assert isinstance(process.stdout, io.TextIOWrapper) == text_pipe
    with capture_logs():
        lines = communicate(process, text=text)
    assert lines == ["café", "\ufffd bad", "", "last"] and process.returncode == 0
