"""Results of observation-processing steps: OK, SKIP, WARNING or ERROR with a message."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ProcessResult", "Status", "StepResult"]


class Status(enum.StrEnum):
    """What a step did."""

    OK = "OK"
    """The step ran and produced its outputs."""
    SKIP = "SKIP"
    """The step did not run: its outputs exist, it does not apply, or the observation is not
    selected."""
    WARNING = "WARNING"
    """The step ran but something is off (no sources, an optional file missing...)."""
    ERROR = "ERROR"
    """The step failed; later steps do not run."""


@dataclass
class StepResult:
    """The result of one step.

    Attributes
    ----------
    step : str
        The step's name (``download``, ``filter_events``...).
    status : Status
    message : str
        Why (always set for SKIP, WARNING and ERROR).
    outputs : list of Path
        Files the step produced or found.
    error : Exception or None
        The exception behind an ERROR (a ToolError carries the tool's output lines).
    """

    step: str
    status: Status
    message: str = ""
    outputs: list[Path] = field(default_factory=list)
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True unless the status is ERROR."""
        return self.status != Status.ERROR

    def __str__(self) -> str:
        return f"{self.step}: {self.status}" + (f" ({self.message})" if self.message else "")


@dataclass
class ProcessResult:
    """The result of :meth:`Observation.process`: an overall status plus every step's result.

    The status is ERROR (message of the first failed step) when a step failed, SKIP when the
    observation was not selected, WARNING when a step warned, else OK.
    """

    obsid: int
    status: Status
    message: str = ""
    steps: list[StepResult] = field(default_factory=list)

    @classmethod
    def from_steps(cls, obsid: int, steps: Sequence[StepResult]) -> ProcessResult:
        """Combine step results: first ERROR, else a selection SKIP, else WARNINGs, else OK."""
        for step in steps:
            if step.status == Status.ERROR:
                return cls(obsid, Status.ERROR, f"{step.step}: {step.message}", list(steps))
        for step in steps:
            if step.status == Status.SKIP and step.step == "select":
                return cls(obsid, Status.SKIP, step.message, list(steps))
        warnings = [f"{s.step}: {s.message}" for s in steps if s.status == Status.WARNING]
        if warnings:
            return cls(obsid, Status.WARNING, "; ".join(warnings), list(steps))
        return cls(obsid, Status.OK, "", list(steps))

    def step(self, name: str) -> StepResult:
        """The result of the step called ``name`` (KeyError when it did not run)."""
        for step in self.steps:
            if step.step == name:
                return step
        raise KeyError(f"step {name!r} not in this result ({[s.step for s in self.steps]})")

    def __str__(self) -> str:
        return f"obsid {self.obsid}: {self.status}" + (f" ({self.message})" if self.message else "")
