"""The alarms of the daily run and its exit code.

Three alarms, each naming what fired, the value and the limit:

* ``failed_observations``: observations of the run failed (value: how many; limit 0);
* ``q90_radius``: the overall 90% radius of the accuracy statement (all detectors, over its
  window: the last 5 years) is above a limit (value and limit in arcsec; default limit
  :data:`DEFAULT_MAX_Q90`);
* ``flagged_observations``: the per-observation alignment flagged observations (value: how
  many; limit 0), when such a table exists.

Exit codes: :data:`EXIT_OK` (0) when all is well, :data:`EXIT_ALARM` (3) for a partial
failure or any alarm, :data:`EXIT_ERROR` (1) when the run itself failed.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from astromon.domain.accuracy import AccuracyStatement
from astromon.domain.errors import ValidationError
from astromon.domain.observation_rules import check_obsid

__all__ = [
    "DEFAULT_MAX_Q90",
    "EXIT_ALARM",
    "EXIT_ERROR",
    "EXIT_OK",
    "Alarm",
    "AlarmKind",
    "counted",
    "evaluate_alarms",
    "exit_code",
]

DEFAULT_MAX_Q90: Final = 1.5
"""Default limit of the 90% radius over the last 5 years, arcsec."""

EXIT_OK: Final = 0
"""Exit code of a run that processed everything and raised no alarm."""
EXIT_ERROR: Final = 1
"""Exit code of a run that failed as a whole (it could not open the database, ...)."""
EXIT_ALARM: Final = 3
"""Exit code of a run with failed observations or any other alarm."""

_SHOWN_OBSIDS: Final = 20  # obsids listed in an alarm's message


class AlarmKind(enum.StrEnum):
    """The alarms astromon raises (a record may hold other kinds, from a newer version)."""

    FAILED_OBSERVATIONS = "failed_observations"
    Q90_RADIUS = "q90_radius"
    FLAGGED_OBSERVATIONS = "flagged_observations"


@dataclass(frozen=True)
class Alarm:
    """One alarm: what fired (``kind``), in words (``message``), its ``value`` and ``limit``.

    ``value`` and ``limit`` are finite numbers (a count for observations, arcsec for a
    radius); the alarm fires when ``value > limit``.

    Raises
    ------
    ValidationError
        ``kind`` is empty or not a string, ``message`` not a string, ``value`` or ``limit``
        not a finite number.
    """

    kind: str
    message: str
    value: float
    limit: float

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind:
            raise ValidationError(f"alarm kind must be a non-empty string, got {self.kind!r}")
        if not isinstance(self.message, str):
            raise ValidationError(f"alarm message must be a string, got {self.message!r}")
        for name in ("value", "limit"):
            number = getattr(self, name)
            if (
                isinstance(number, bool)
                or not isinstance(number, int | float)
                or not math.isfinite(number)
            ):
                raise ValidationError(f"alarm {name} must be a finite number, got {number!r}")


def _listed(obsids: Sequence[int]) -> str:
    shown = ", ".join(str(o) for o in obsids[:_SHOWN_OBSIDS])
    more = len(obsids) - _SHOWN_OBSIDS
    return shown + (f" and {more} more" if more > 0 else "")


def counted(n: int, word: str, words: str = "") -> str:
    """``n`` and the noun: ``1 observation``, ``2 observations``, ``3 matches`` (``words``)."""
    return f"{n} {word if n == 1 else words or word + 's'}"


def evaluate_alarms(
    failed: Sequence[int],
    accuracy: AccuracyStatement | None,
    *,
    max_q90: float = DEFAULT_MAX_Q90,
    flagged: Sequence[int] | None = None,
) -> tuple[Alarm, ...]:
    """The alarms of a run, in the order failed, q90 radius, flagged.

    Parameters
    ----------
    failed : sequence of int
        Obsids whose processing failed in this run.
    accuracy : AccuracyStatement or None
        The accuracy statement (None when it could not be computed: no alarm on the radius);
        the alarm reads its overall 90% radius. A window without matches has no radius and
        raises no alarm.
    max_q90 : float
        The limit of the 90% radius, arcsec (default 1.5); the alarm fires above it.
    flagged : sequence of int or None
        Obsids flagged by the per-observation alignment; None or empty when there is no such
        table or nothing is flagged.

    Raises
    ------
    ValidationError
        ``max_q90`` is not a positive finite number, or an obsid is not a positive integer.
    """
    if (
        isinstance(max_q90, bool)
        or not isinstance(max_q90, int | float)
        or not (math.isfinite(max_q90) and max_q90 > 0)
    ):
        raise ValidationError(f"max_q90 must be a positive number of arcsec, got {max_q90!r}")
    alarms: list[Alarm] = []
    failed_ids = sorted({check_obsid(o) for o in failed})
    if failed_ids:
        alarms.append(
            Alarm(
                AlarmKind.FAILED_OBSERVATIONS.value,
                f"{counted(len(failed_ids), 'observation')} failed: {_listed(failed_ids)}",
                len(failed_ids),
                0,
            )
        )
    q90 = math.nan if accuracy is None else accuracy.overall.q90
    if accuracy is not None and math.isfinite(q90) and q90 > max_q90:
        alarms.append(
            Alarm(
                AlarmKind.Q90_RADIUS.value,
                f"the 90% radius is {q90:.3f} arcsec, above the limit of {max_q90:g} arcsec "
                f"({counted(accuracy.overall.n, 'match', 'matches')} from "
                f"{accuracy.start_date} to {accuracy.end_date})",
                q90,
                float(max_q90),
            )
        )
    flagged_ids = sorted({check_obsid(o) for o in flagged or ()})
    if flagged_ids:
        alarms.append(
            Alarm(
                AlarmKind.FLAGGED_OBSERVATIONS.value,
                f"{counted(len(flagged_ids), 'observation')} flagged by the per-observation "
                f"alignment: {_listed(flagged_ids)}",
                len(flagged_ids),
                0,
            )
        )
    return tuple(alarms)


def exit_code(alarms: Sequence[Alarm], *, error: bool = False) -> int:
    """:data:`EXIT_ERROR` when the run failed, else :data:`EXIT_ALARM` when any alarm fired
    (failed observations are an alarm), else :data:`EXIT_OK`."""
    if error:
        return EXIT_ERROR
    return EXIT_ALARM if alarms else EXIT_OK
