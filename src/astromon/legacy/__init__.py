"""Names of the system astromon replaces, kept for its users' code and scripts.

Each name is an alias or a thin adapter of what astromon already has; the façade modules
(:mod:`astromon.db`, :mod:`astromon.utils`, :mod:`astromon.cross_match`,
:mod:`astromon.observation`) re-export them, and users import them from there.
"""
