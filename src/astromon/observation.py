"""Process a Chandra observation: download, CIAO steps, source detection.

:class:`Observation` takes the observation ports (archive, CIAO, observation info, source
detector, parameter files) from the application object (:func:`astromon.bootstrap.current`)
and runs the steps of
:class:`astromon.services.observation.steps.ObservationSteps`, with the members of the
original ``Observation`` (:class:`astromon.legacy.observation_names.LegacyObservation`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from astromon.bootstrap import current
from astromon.domain.errors import ValidationError
from astromon.domain.observation_results import ProcessResult, Status, StepResult
from astromon.domain.observation_rules import check_obsid, obs_subdir
from astromon.domain.validation import (
    require_flag,
    require_instance,
    require_names,
    require_path,
    require_text,
)
from astromon.legacy.observation_names import CATEGORY_ID_MAP, ID_CATEGORY_MAP, LegacyObservation
from astromon.ports.observation import (
    OBSERVATION_SOURCES,
    ArchiveRetriever,
    CiaoRunner,
    ObservationInfo,
    SourceDetector,
)

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
        Glob patterns of the files to archive (default
        :data:`astromon.domain.observation_rules.DEFAULT_ARCHIVE_PATTERNS`).
    use_ciao : bool
        Without CIAO there are no calls to CIAO tools: the CIAO-only steps report SKIP,
        detection uses ``detector`` (and fails without one), while downloads, ``get_obspar()``
        and ``get_info()`` work from the files.
    retriever, ciao, info, detector : ports, optional
        Injected implementations; defaults come from the application object.
    logger : structlog logger, optional

    Raises
    ------
    ValidationError
        Bad obsid, unknown source, an argument of the wrong type (the message names it), or
        a working directory containing ':' with CIAO.
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
        require_text("source", source)
        workdir = require_path("workdir", workdir, optional=True)
        archive_dir = require_path("archive_dir", archive_dir, optional=True)
        ciao_prefix = require_path("ciao_prefix", ciao_prefix, optional=True)
        archive_regex = require_names("archive_regex", archive_regex, optional=True)
        use_ciao = require_flag("use_ciao", use_ciao)
        for name, port, kind in (
            ("retriever", retriever, ArchiveRetriever),
            ("ciao", ciao, CiaoRunner),
            ("info", info, ObservationInfo),
            ("detector", detector, SourceDetector),
        ):
            require_instance(name, port, kind, f"an {kind.__name__}")
        if logger is not None and not callable(getattr(logger, "bind", None)):
            raise ValidationError(f"logger must be a structlog logger, got {logger!r:.80}")
        if source not in OBSERVATION_SOURCES:
            raise ValidationError(
                f"unknown data source {source!r}; expected one of {', '.join(OBSERVATION_SOURCES)}"
            )
        if workdir is not None and ":" in str(Path(workdir).absolute()) and use_ciao:
            raise ValidationError(
                f"working directory must not contain ':' (CIAO PFILES): {workdir}"
            )
        app = current()
        ports = app.observation_ports(
            Path(workdir) / obs_subdir(obsid) if workdir is not None else None,
            source=source,
            ciao_prefix=ciao_prefix,
            use_ciao=use_ciao,
            retriever=retriever,
            ciao=ciao,
            info=info,
            detector=detector,
            logger=logger,
        )
        super().__init__(
            obsid,
            workdir,
            retriever=ports.retriever,
            info=ports.info,
            ciao=ports.ciao,
            detector=ports.detector,
            par_files=app.parameter_files(),
            archive_dir=archive_dir,
            archive_patterns=archive_regex,
            use_ciao=use_ciao,
            logger=logger,
        )
        self.source = source
