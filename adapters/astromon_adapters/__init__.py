"""Adapters: implementations of astromon's ports (storage, catalogs, archives, CIAO...).

Only :mod:`astromon.bootstrap` (the composition root) names these classes.
"""
