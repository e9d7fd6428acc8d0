"""Processing of one Chandra observation: its workspace, the steps, the x-ray sources.

:mod:`~astromon.services.observation.workspace` holds the state of one observation (obsid,
directories, files); the steps are functions over that workspace and the ports they need
(:mod:`~astromon.services.observation.steps`); :mod:`~astromon.services.observation.processor`
is the per-observation work of a batch.
"""
