"""The demo's check of the per-observation alignment against the injected aspect errors.

The simulated observatory turns and shifts the x-ray positions of some observations (an
aspect error, on top of the detector's offset). Each observation's expected fit is the
rigid motion of its x-ray positions against the stars: the translation ``R(roll) · o + a``
(``o`` the detector's offset at that time, ``a`` the aspect shift, arcsec) and the aspect
roll. An injected observation is **recovered** when the fitted dy, dz and roll are each within
:data:`RECOVERY_SIGMA` of their 1-sigma errors of the expected ones; the flags are right when
exactly the observations whose expected shift is longer than the fit's flag threshold are
flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from astropy.table import Table

from astromon.domain.errors import ValidationError

__all__ = ["RECOVERY_SIGMA", "AlignmentRecovery", "recover_alignment"]

RECOVERY_SIGMA: Final = 3.0
"""An injected aspect error is recovered when each fitted figure is within this many of its
1-sigma errors of the truth."""


@dataclass(frozen=True)
class AlignmentRecovery:
    """How the per-observation alignment recovered the injected aspect errors.

    Attributes
    ----------
    injected : tuple of int
        The observations with an aspect error.
    recovered : tuple of int
        Those whose fitted dy, dz and roll are within :data:`RECOVERY_SIGMA` of the truth.
    flagged : tuple of int
        The flagged observations.
    expected_flagged : tuple of int
        The observations whose expected shift is longer than the flag threshold.
    threshold : float
        The fit's flag threshold (arcsec).
    """

    injected: tuple[int, ...]
    recovered: tuple[int, ...]
    flagged: tuple[int, ...]
    expected_flagged: tuple[int, ...]
    threshold: float

    @property
    def flags_ok(self) -> bool:
        """Whether exactly the observations expected to be flagged are flagged."""
        return self.flagged == self.expected_flagged

    @property
    def passed(self) -> bool:
        """Every aspect error recovered and the flags right."""
        return self.recovered == self.injected and self.flags_ok

    def lines(self) -> list[str]:
        """The verdict in words."""
        verdict = "exactly" if self.flags_ok else "NOT exactly"
        lines = [
            f"aspect errors injected: {len(self.injected)}, recovered within "
            f"{RECOVERY_SIGMA:g} sigma: {len(self.recovered)}",
            f"flagged: {len(self.flagged)} observations, {verdict} those whose injected "
            f'shift exceeds {self.threshold:g}" ({len(self.expected_flagged)})',
        ]
        missed = sorted(set(self.injected) - set(self.recovered))
        if missed:
            lines.append(f"not recovered: {' '.join(map(str, missed))}")
        wrong = sorted(set(self.flagged) ^ set(self.expected_flagged))
        if wrong:
            lines.append(f"wrongly flagged or not flagged: {' '.join(map(str, wrong))}")
        return lines


def recover_alignment(alignment: Table, truth: Table) -> AlignmentRecovery:
    """Compare fitted alignment rows with the expected fit of every observation.

    Parameters
    ----------
    alignment : astropy.table.Table
        Rows of ``astromon_alignment`` (one cross-match): obsid, dy, dz, roll, their errors,
        flagged and flag_threshold (arcsec).
    truth : astropy.table.Table
        Per observation: obsid, dy, dz, roll (the expected fit, arcsec) and ``injected``
        (bool: it has an aspect error).

    Raises
    ------
    ValidationError
        The fit used different flag thresholds for different observations.
    """
    thresholds = np.unique(np.asarray(alignment["flag_threshold"], dtype=np.float64))
    if len(thresholds) > 1:
        raise ValidationError(f"the alignment rows have several flag thresholds {thresholds}")
    threshold = float(thresholds[0]) if len(thresholds) else 0.5
    fitted = {int(row["obsid"]): row for row in alignment}
    injected, recovered, expected_flagged = [], [], []
    for row in truth:
        obsid = int(row["obsid"])
        if float(np.hypot(row["dy"], row["dz"])) > threshold:
            expected_flagged.append(obsid)
        if not bool(row["injected"]):
            continue
        injected.append(obsid)
        fit = fitted.get(obsid)
        if fit is None:
            continue
        pulls = [
            abs(float(fit[name]) - float(row[name])) / float(fit[f"{name}_err"])
            for name in ("dy", "dz", "roll")
        ]
        if all(np.isfinite(pulls)) and max(pulls) <= RECOVERY_SIGMA:
            recovered.append(obsid)
    flagged = sorted(int(o) for o in alignment["obsid"][np.asarray(alignment["flagged"], bool)])
    return AlignmentRecovery(
        injected=tuple(sorted(injected)),
        recovered=tuple(sorted(recovered)),
        flagged=tuple(flagged),
        expected_flagged=tuple(sorted(expected_flagged)),
        threshold=threshold,
    )
