"""astromon.utils helpers: chdir, ciao_context, logging_call_decorator, FlowException."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from astromon.domain.errors import ValidationError
from astromon.utils import (
    FlowException,
    LoggingCallDecorator,
    chdir,
    ciao_context,
    logging_call_decorator,
)


def test_chdir_restores_the_directory(tmp_path: Path) -> None:
    before = Path.cwd()
    with chdir(tmp_path):
        assert Path.cwd() == tmp_path.resolve()
    assert Path.cwd() == before


def test_ciao_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PFILES", "/old/pfiles;/ciao/param:/ciao/contrib/param")
    monkeypatch.delenv("ASCDS_WORK_PATH", raising=False)
    with ciao_context(tmp_path / "pf") as env:
        assert os.environ["PFILES"] == f"{tmp_path / 'pf'};/ciao/param:/ciao/contrib/param"
        assert os.environ["ASCDS_WORK_PATH"] == str(tmp_path / "pf")
        assert env["PFILES"] == os.environ["PFILES"]
        assert (tmp_path / "pf").is_dir()
    assert os.environ["PFILES"] == "/old/pfiles;/ciao/param:/ciao/contrib/param"
    assert "ASCDS_WORK_PATH" not in os.environ
    monkeypatch.delenv("PFILES")
    monkeypatch.setenv("ASCDS_INSTALL", "/soft/ciao")
    with ciao_context(tmp_path):
        assert os.environ["PFILES"] == f"{tmp_path};/soft/ciao/param:/soft/ciao/contrib/param"
    with (
        pytest.raises(ValidationError, match="must not contain ':'"),
        ciao_context(tmp_path / "a:b"),
    ):
        pass


def test_logging_call_decorator_events() -> None:
    @logging_call_decorator
    def add(a: int, b: int) -> int:
        return a + b

    with capture_logs() as logs:
        assert add(2, 3) == 5
    assert [e["event"] for e in logs] == ["call start", "call end"]
    assert logs[0]["function"].endswith("add")


def test_flow_exception_is_swallowed_unless_asked() -> None:
    def stop() -> int:
        raise FlowException("nothing to do")

    with capture_logs() as logs:
        assert logging_call_decorator(stop)() is None
    assert logs[-1]["event"] == "call interrupted" and logs[-1]["reason"] == "nothing to do"
    with pytest.raises(FlowException):
        LoggingCallDecorator(raise_flow_exceptions=True)(stop)()

    def bug() -> None:
        raise KeyError("x")

    with capture_logs() as logs, pytest.raises(KeyError):
        logging_call_decorator(bug)()
    assert logs[-1]["event"] == "call failed"
