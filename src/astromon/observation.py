"""Process a Chandra observation: download, CIAO steps, source detection.

:class:`Observation` wires the observation ports (archive, CIAO, observation info, source
detector) from :mod:`astromon.bootstrap` and runs the steps of
:class:`astromon.services.observation_steps.ObservationSteps`, with the members of the
original ``Observation`` (:class:`astromon.legacy.observation_names.LegacyObservation`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from astromon import bootstrap
from astromon.domain.errors import ValidationError
from astromon.domain.observation_rules import check_obsid, obs_subdir
from astromon.legacy.observation_names import CATEGORY_ID_MAP, ID_CATEGORY_MAP, LegacyObservation
from astromon.ports.observation import ArchiveRetriever, CiaoRunner, ObservationInfo, SourceDetector
from astromon.services.observation_results import ProcessResult, Status, StepResult

__all__ = [
    "CATEGORY_ID_MAP",
    "ID_CATEGORY_MAP",
    "Observation",
    "ProcessResult",
    "Status",
    "StepResult",
]


class Observation(LegacyObservation):
    """Class to encapsulate calls to CIAO and the archives for one observation.

    Parameters
    ----------
    obsid : int
    workdir : pathlib.Path or str, optional
        Top-level working directory (PFILES, ASCDS_WORK_PATH and downloads). The actual one is
        ``{workdir}/obs{obsid//1000:02d}/{obsid}``; a temporary directory when not given.
    source : str
        ``arc5gl``, ``archive`` (CIAO's download_chandra_obsid) or ``https`` (the public
        Chandra archive over HTTPS, no CIAO needed).
    ciao_prefix : str, optional
        Where CIAO is installed (default /soft/ciao).
    archive_dir : pathlib.Path or str, optional
        Top-level archive directory for the result files (same layout as ``workdir``).
    archive_regex : list of str, optional
        Glob patterns of the files to archive (default: the obspar, the cache, the flux
        images, the streak regions, the source lists and the PSF sizes).
    use_ciao : bool
        Without CIAO there are no calls to CIAO tools: the CIAO-only steps report SKIP,
        detection uses ``detector`` (and fails without one), while downloads, ``get_obspar()``
        and ``get_info()`` work from the files.
    retriever, ciao, info, detector : ports, optional
        Injected implementations; defaults come from :mod:`astromon.bootstrap`.
    logger : structlog logger, optional

    Raises
    ------
    ValidationError
        Bad obsid, unknown source, or a working directory containing ':' with CIAO.
    ProcessingError
        CIAO is needed but its prefix does not exist.
    """

    def __init__(
        self,
        obsid: int,
        workdir: str | os.PathLike[str] | None = None,
        source: str = "arc5gl",
        ciao_prefix: str | None = None,
        archive_dir: str | os.PathLike[str] | None = None,
        archive_regex: Sequence[str] | None = None,
        use_ciao: bool = True,
        *,
        retriever: ArchiveRetriever | None = None,
        ciao: CiaoRunner | None = None,
        info: ObservationInfo | None = None,
        detector: SourceDetector | None = None,
        logger: Any = None,
    ) -> None:
        obsid = check_obsid(obsid)
        if source not in bootstrap.OBSERVATION_SOURCES:
            raise ValidationError(
                f"unknown data source {source!r}; expected one of "
                f"{', '.join(bootstrap.OBSERVATION_SOURCES)}"
            )
        if workdir is not None and ":" in str(Path(workdir).absolute()) and use_ciao:
            raise ValidationError(
                f"working directory must not contain ':' (CIAO PFILES): {workdir}"
            )
        if use_ciao and ciao is None:
            ciao_dir = Path(workdir) / obs_subdir(obsid) / "ciao" if workdir is not None else None
            ciao = bootstrap.ciao_runner(ciao_prefix, ciao_dir, logger)
        if retriever is None:
            retriever = bootstrap.archive_retriever(source, ciao)
        if info is None:
            info = bootstrap.observation_info()
        super().__init__(
            obsid,
            workdir,
            retriever=retriever,
            info=info,
            ciao=ciao,
            detector=detector,
            par_files=bootstrap.parameter_files(),
            archive_dir=archive_dir,
            archive_patterns=archive_regex,
            use_ciao=use_ciao,
            logger=logger,
        )
        self.source = source
