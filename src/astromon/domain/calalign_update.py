"""New ACA_MISALIGN/FTS_MISALIGN matrices that correct a measured astrometric offset.

A measured offset ``(dy, dz)`` (arcsec, x-ray position minus catalog position) is removed by a
CALALIGN whose offsets (:func:`astromon.domain.calalign.calalign_offsets`) are changed by the
correction ``(-dy, -dz)``. The correction is a rotation applied on the left of ACA_MISALIGN,
``R = R_pitch(c_z) · R_yaw(c_y)`` with

``R_yaw(a) = [[cos a, -sin a, 0], [sin a, cos a, 0], [0, 0, 1]]`` and
``R_pitch(b) = [[cos b, 0, -sin b], [0, 1, 0], [sin b, 0, cos b]]``,

and FTS_MISALIGN is changed so that the FTS alignment does not move:
``FTS' = Aᵀ · Rᵀ · A · FTS`` (A the old ACA_MISALIGN). Because small rotations do not add
exactly, the angles ``(a, b)`` are solved (fixed-point iteration) so that the offsets read back
from the new matrix differ from the old ones by the correction to better than
:data:`SOLVE_TOLERANCE_ARCSEC`; they differ from ``(c_y, c_z)`` by second-order terms only.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astromon.domain.calalign import calalign_offsets
from astromon.domain.errors import ValidationError

__all__ = ["SOLVE_TOLERANCE_ARCSEC", "correct_misalignment", "correction_rotation"]

ARCSEC: Final = np.pi / 180.0 / 3600.0
"""Radians per arcsec."""
SOLVE_TOLERANCE_ARCSEC: Final = 1e-9
"""Accuracy of the solved correction angles, arcsec."""
_MAX_ITERATIONS: Final = 50

Float = NDArray[np.float64]


def correction_rotation(yaw_arcsec: float, pitch_arcsec: float) -> Float:
    """The rotation ``R_pitch(pitch) · R_yaw(yaw)`` (3×3) for angles in arcsec."""
    a = float(yaw_arcsec) * ARCSEC
    b = float(pitch_arcsec) * ARCSEC
    r_yaw = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0, 0, 1.0]])
    r_pitch = np.array([[np.cos(b), 0.0, -np.sin(b)], [0.0, 1.0, 0.0], [np.sin(b), 0.0, np.cos(b)]])
    result: Float = r_pitch @ r_yaw
    return result


def correct_misalignment(
    aca_misalign: ArrayLike, fts_misalign: ArrayLike, offset_dy: float, offset_dz: float
) -> tuple[Float, Float]:
    """ACA_MISALIGN and FTS_MISALIGN that remove a measured offset.

    Parameters
    ----------
    aca_misalign, fts_misalign : array (3×3)
        The current matrices of one INSTR_ID.
    offset_dy, offset_dz : float
        The measured offset (x-ray minus catalog, arcsec) to remove.

    Returns
    -------
    aca, fts : arrays (3×3)
        New matrices; ``calalign_offsets(aca) == calalign_offsets(old) - (offset_dy,
        offset_dz)`` to :data:`SOLVE_TOLERANCE_ARCSEC`.

    Raises
    ------
    ValidationError
        Matrices that are not 3×3 or offsets that are not finite.
    """
    aca = np.asarray(aca_misalign, dtype=np.float64)
    fts = np.asarray(fts_misalign, dtype=np.float64)
    if aca.shape != (3, 3) or fts.shape != (3, 3):
        raise ValidationError(
            f"ACA_MISALIGN and FTS_MISALIGN must be 3x3, got {aca.shape} and {fts.shape}"
        )
    if not (np.isfinite(offset_dy) and np.isfinite(offset_dz)):
        raise ValidationError(f"offsets must be finite, got dy={offset_dy!r}, dz={offset_dz!r}")
    old_dy, old_dz = (float(v) for v in calalign_offsets(aca))
    target_dy, target_dz = old_dy - float(offset_dy), old_dz - float(offset_dz)
    yaw, pitch = -float(offset_dy), -float(offset_dz)
    for _ in range(_MAX_ITERATIONS):
        rotation = correction_rotation(yaw, pitch)
        new_dy, new_dz = (float(v) for v in calalign_offsets(rotation @ aca))
        err_dy, err_dz = new_dy - target_dy, new_dz - target_dz
        if max(abs(err_dy), abs(err_dz)) <= SOLVE_TOLERANCE_ARCSEC:
            break
        yaw, pitch = yaw - err_dy, pitch - err_dz
    else:  # pragma: no cover - the iteration contracts for any realistic misalignment
        raise ValidationError(
            f"cannot solve the CALALIGN correction for offsets ({offset_dy}, {offset_dz}) arcsec"
        )
    new_aca: Float = rotation @ aca
    new_fts: Float = aca.T @ rotation.T @ aca @ fts
    return new_aca, new_fts
