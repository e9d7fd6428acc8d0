"""Per-observation astrometric solutions: the shift and roll that align each observation's
x-ray sources with their catalog counterparts, with errors, after rejecting discrepant pairs.

- :mod:`.rigid`: the weighted rigid 2-D fit of every observation at once, in closed form;
- :mod:`.solve`: the rejection rounds, the result figures and the flag;
- :mod:`.options`: the validated options (:class:`AlignmentOptions`);
- :mod:`.table`: the entry point on a cross-match table (:func:`fit_alignment`).

The pairs' weights come from :mod:`astromon.domain.position_errors`.

Definitions (units arcsec unless stated): ``n_pairs`` the observation's pairs, ``n_rejected``
those the fit rejected; ``dy``, ``dz`` the translation and ``roll`` the rotation about the
optical axis of ``x-ray = R(roll) · catalog + (dy, dz)`` (NaN when no roll was fitted);
``dy_err``, ``dz_err``, ``roll_err`` their 1-sigma errors from the weights; ``chi2_dof`` the
weighted sum of squared residuals over ``2 n - p`` (n kept pairs, p = 3 with a roll, 2
without; NaN when that is 0); ``rms_before`` the root mean square length of the kept pairs'
offsets (dy, dz) about zero, as the cross-match gives them; ``rms_after`` that of their
residuals after the fit; ``shift_chi2`` the shift's chi-square with 2 degrees of freedom;
``flagged`` whether the shift is significant and large (:mod:`.solve`).
"""

from astromon.domain.alignment.options import MAX_FLAG_SIGMA, AlignmentOptions
from astromon.domain.alignment.rigid import RigidFit, fit_rigid
from astromon.domain.alignment.solve import (
    ARCSEC_PER_RADIAN,
    MIN_PAIRS_TO_REJECT,
    AlignmentSolution,
    solve_alignment,
)
from astromon.domain.alignment.table import (
    CATALOG_ERROR_COLUMN,
    INPUT_COLUMNS,
    OPTION_COLUMNS,
    RESULT_COLUMNS,
    Alignment,
    align_observations,
    fit_alignment,
)

__all__ = [
    "ARCSEC_PER_RADIAN",
    "CATALOG_ERROR_COLUMN",
    "INPUT_COLUMNS",
    "MAX_FLAG_SIGMA",
    "MIN_PAIRS_TO_REJECT",
    "OPTION_COLUMNS",
    "RESULT_COLUMNS",
    "Alignment",
    "AlignmentOptions",
    "AlignmentSolution",
    "RigidFit",
    "align_observations",
    "fit_alignment",
    "fit_rigid",
    "solve_alignment",
]
