"""How a step runs: over which ports, when it is skipped, how it fails.

Every step declares its inputs and outputs (:func:`run_step`): it is skipped when all outputs
exist (in the working directory or the archive), fails with a message naming the missing
input otherwise, and removes its partial outputs when it fails. Expected failures (an
:class:`~astromon.domain.errors.AstromonError`: a tool error, a missing file) become ERROR
results; bugs still raise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec

from astromon.domain.errors import AstromonError, ProcessingError
from astromon.domain.observation_results import Status, StepResult
from astromon.ports.observation import (
    ArchiveRetriever,
    CiaoRunner,
    ObservationFiles,
    ObservationInfo,
    ParameterFiles,
    SourceDetector,
)
from astromon.services.observation.workspace import ObservationWorkspace

__all__ = ["StepPorts", "catch_errors", "ciao_disabled", "run_step", "step_error"]

_P = ParamSpec("_P")


@dataclass(frozen=True)
class StepPorts:
    """The ports the steps of one observation run on.

    Attributes
    ----------
    retriever : ArchiveRetriever
        Downloads the archive's files.
    par_files : ParameterFiles
        Reads the obspar.
    fits_files : ObservationFiles
        Reads and writes the FITS files of the working directory.
    info : ObservationInfo or None
        Sequence summaries (the category is 'NO MATCH' without one).
    ciao : CiaoRunner or None
        Runs the CIAO tools; None when CIAO is disabled (the CIAO-only steps are SKIP).
    detector : SourceDetector or None
        Detects sources when CIAO is disabled; without one, detection fails naming it.
    """

    retriever: ArchiveRetriever
    par_files: ParameterFiles
    fits_files: ObservationFiles
    info: ObservationInfo | None = None
    ciao: CiaoRunner | None = None
    detector: SourceDetector | None = None

    def require_ciao(self) -> CiaoRunner:
        """The CIAO runner (ProcessingError when there is none)."""
        if self.ciao is None:
            raise ProcessingError("no CIAO runner configured")
        return self.ciao


def step_error(workspace: ObservationWorkspace, name: str, exc: Exception) -> StepResult:
    """The ERROR result of step ``name`` failing with ``exc`` (logged as a warning)."""
    workspace.log.warning("step failed", step=name, error=str(exc))
    return StepResult(name, Status.ERROR, f"{type(exc).__name__}: {exc}", error=exc)


def ciao_disabled(name: str) -> StepResult:
    """The SKIP result of a CIAO-only step when CIAO is disabled."""
    return StepResult(name, Status.SKIP, "CIAO is disabled (use_ciao=False)")


def catch_errors(
    name: str,
) -> Callable[
    [Callable[Concatenate[ObservationWorkspace, _P], StepResult]],
    Callable[Concatenate[ObservationWorkspace, _P], StepResult],
]:
    """Make a step function (its first argument the workspace) return an ERROR result for
    the AstromonError it raises."""

    def decorate(
        func: Callable[Concatenate[ObservationWorkspace, _P], StepResult],
    ) -> Callable[Concatenate[ObservationWorkspace, _P], StepResult]:
        def wrapper(
            workspace: ObservationWorkspace, /, *args: _P.args, **kwargs: _P.kwargs
        ) -> StepResult:
            try:
                return func(workspace, *args, **kwargs)
            except AstromonError as exc:
                return step_error(workspace, name, exc)

        functools.update_wrapper(wrapper, func)
        return wrapper

    return decorate


def run_step(
    workspace: ObservationWorkspace,
    name: str,
    inputs: Iterable[Path | None],
    outputs: Sequence[Path],
    action: Callable[[], StepResult | None],
    input_names: Sequence[str] = (),
) -> StepResult:
    """Run ``action`` unless every output exists; check the inputs first.

    Parameters
    ----------
    workspace : ObservationWorkspace
    name : str
        The step's name (in results and log events).
    inputs : iterable of Path or None
        Files the step reads (None: not found); a missing one is an ERROR naming it.
    outputs : sequence of Path
        Files the step writes; SKIP ("outputs exist") when all exist. Those it created are
        removed when it fails.
    action : callable
        Does the work; returns the result, or None for OK with ``outputs``.
    input_names : sequence of str
        The names of the inputs in messages.
    """
    log = workspace.log
    if outputs and all(workspace.exists(p) for p in outputs):
        result = StepResult(name, Status.SKIP, "outputs exist", list(outputs))
        log.info("step", step=name, status=str(result.status), message=result.message)
        return result
    for index, path in enumerate(inputs):
        if path is None or not path.exists():
            what = input_names[index] if index < len(input_names) else str(path)
            return step_error(workspace, name, ProcessingError(f"missing input: {what}"))
    log.info("step start", step=name)
    created_before = {p for p in outputs if p.exists()}
    try:
        result = action() or StepResult(name, Status.OK, "", list(outputs))
    except AstromonError as exc:
        for path in outputs:
            if path not in created_before:
                path.unlink(missing_ok=True)
        return step_error(workspace, name, exc)
    log.info("step end", step=name, status=str(result.status), message=result.message)
    return result
