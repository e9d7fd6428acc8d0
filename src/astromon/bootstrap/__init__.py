"""The composition root: one application object holding the ports and the use cases.

:func:`bootstrap` reads the configuration (:meth:`astromon.config.Settings.from_env`, at call
time) and returns an :class:`Astromon`. Its port methods (:meth:`~Astromon.store`,
:meth:`~Astromon.catalogs`, :meth:`~Astromon.archive`, :meth:`~Astromon.ciao`,
:meth:`~Astromon.detector`, :meth:`~Astromon.observation_info`, :meth:`~Astromon.executor`,
:meth:`~Astromon.renderer`, :meth:`~Astromon.clock`, :meth:`~Astromon.notifier`,
:meth:`~Astromon.run_log`, :meth:`~Astromon.run_lock`...) build the real adapters, each
importing its adapter module when first called; keyword overrides replace them (tests pass
fakes this way)::

    app = bootstrap(store=lambda dbfile=None, *, write=False: fake_store, clock=fake_clock)

The CLI builds one application in its callback (``ctx.obj``) and hands it to the services;
only the façade modules (:mod:`astromon.db`, :mod:`astromon.db_files`,
:mod:`astromon.cross_match`, :mod:`astromon.observation`, :mod:`astromon.utils`) use
:func:`current`, which is the application installed with :func:`using` or else a fresh
``bootstrap()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Unpack

from astromon.bootstrap.application import (
    CATALOG_SOURCES,
    PORTS,
    Astromon,
    LockWaitNotice,
    ObservationPorts,
    Overrides,
    StoreOpener,
)
from astromon.bootstrap.factories import CatalogFactory, ObservationFactory
from astromon.config import Settings

__all__ = [
    "CATALOG_SOURCES",
    "PORTS",
    "Astromon",
    "CatalogFactory",
    "LockWaitNotice",
    "ObservationFactory",
    "ObservationPorts",
    "Overrides",
    "StoreOpener",
    "bootstrap",
    "current",
    "using",
]


def bootstrap(settings: Settings | None = None, **overrides: Unpack[Overrides]) -> Astromon:
    """The application object for ``settings`` (default: the environment now).

    Parameters
    ----------
    settings : Settings, optional
        Configuration; default :meth:`Settings.from_env` (read now, not at import).
    **overrides
        Port implementations to use instead of the adapters, by role: ``store`` (a
        :class:`StoreOpener`), ``catalogs``, ``archive``, ``ciao``, ``detector``,
        ``observation_info``, ``executor``, ``renderer``, ``clock``, ``parameter_files``,
        ``toolchain``, ``calalign_files``, ``notifier``, ``run_log`` and ``run_lock``
        (``path -> port`` factories; see :data:`PORTS`).

    Raises
    ------
    ValidationError
        A bad environment variable (named), or an unknown override key.
    """
    return Astromon(settings if settings is not None else Settings.from_env(), overrides)


_CURRENT: ContextVar[Astromon | None] = ContextVar("astromon_application", default=None)


def current() -> Astromon:
    """The application the façades use: the one installed by :func:`using`, else a new
    ``bootstrap()`` (so the environment is read at each call)."""
    installed = _CURRENT.get()
    return installed if installed is not None else bootstrap()


@contextlib.contextmanager
def using(app: Astromon) -> Iterator[Astromon]:
    """Make the façade modules use ``app`` inside a ``with`` block (then the previous one)."""
    token = _CURRENT.set(app)
    try:
        yield app
    finally:
        _CURRENT.reset(token)
