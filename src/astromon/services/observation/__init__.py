"""Processing of one Chandra observation, as composition.

:mod:`~astromon.services.observation.workspace` holds the state of one observation (obsid,
directories, files, obspar); the steps are functions of that workspace and the ports they
need (:mod:`~astromon.services.observation.steps`, :mod:`~astromon.services.observation.transfer`,
:mod:`~astromon.services.observation.streaks`), run by
:mod:`~astromon.services.observation.runner`; :mod:`~astromon.services.observation.sources`
builds the x-ray source rows; :mod:`~astromon.services.observation.pipeline` composes a
workspace and its ports into one observation; :mod:`~astromon.services.observation.processor`
is the per-observation work of a batch.
"""
