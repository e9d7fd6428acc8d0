"""ACIS readout streaks of one observation: ``acis_streak_map`` then ``dmmakereg``.

``acis_streak_map`` reads the level-2 event file and the level-1 fov file and writes its
``regfile`` as an ASCII region file, one region line per streak (``polygon(...)`` lines). The
regions are made a FITS region table with ``dmmakereg "region(file.reg)" out.fits
kernel=fits``, which refuses a file without regions, so it runs only when there are streaks;
:func:`~astromon.services.observation.sources.get_sources` reads that table to flag sources
inside a streak polygon. A failure of either tool is a warning: the images are good without
the streak map.
"""

from __future__ import annotations

from pathlib import Path

from astromon.domain.errors import AstromonError
from astromon.domain.observation_results import Status, StepResult
from astromon.domain.observation_rules import region_shapes
from astromon.ports.observation import CiaoRunner
from astromon.services.observation.workspace import ObservationWorkspace

__all__ = ["map_streaks"]


def map_streaks(
    workspace: ObservationWorkspace, ciao: CiaoRunner, outputs: list[Path]
) -> StepResult:
    """Write ``images/{obsid}_acis_streaks.fits`` when acis_streak_map finds streaks.

    Returns the make_images result: OK with the number of streaks, or WARNING when there is
    no level-1 fov file or a tool fails.
    """
    evt2 = workspace.raw_evt2()
    fov = workspace.find("primary/*_fov1.fits*")
    if evt2 is None or fov is None:
        missing = "level-2 event file" if evt2 is None else "level-1 fov file (*_fov1.fits)"
        return StepResult(
            "make_images", Status.WARNING, f"no {missing}: streaks not mapped", outputs
        )
    final = workspace.path(f"images/{workspace.obsid}_acis_streaks.fits")
    ascii_regions = workspace.path(f"images/{workspace.obsid}_acis_streaks.reg")
    tmp = workspace.path(f"images/.{workspace.obsid}_acis_streaks.tmp.fits")
    try:
        ciao.run(
            "acis_streak_map",
            infile=str(evt2),
            fovfile=str(fov),
            bkgroot=str(workspace.path(f"images/{workspace.obsid}_acis_streaks_bkg.fits")),
            regfile=str(ascii_regions),
            msigma=4,
            clobber=True,
        )
        n_streaks = len(region_shapes(ascii_regions.read_text()))
        if n_streaks:
            ciao.run("dmmakereg", f"region({ascii_regions})", str(tmp), kernel="fits", clobber=True)
            tmp.replace(final)
    except (AstromonError, OSError, UnicodeDecodeError) as exc:
        tmp.unlink(missing_ok=True)
        workspace.log.warning("acis_streak_map failed", error=str(exc))
        return StepResult(
            "make_images", Status.WARNING, f"streaks not mapped: acis_streak_map failed: {exc}",
            outputs,
        )  # fmt: skip
    workspace.log.info("acis streaks", n_streaks=n_streaks)
    return StepResult("make_images", Status.OK, f"{n_streaks} streaks", outputs)
