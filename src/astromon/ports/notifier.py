"""The notifier port: sends the alerts of the daily run (an e-mail through SMTP).

A failed send raises :class:`NotificationError`, which names the server and the reason, so the
caller can log it and go on: sending never changes what a run saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from astromon.domain.errors import AstromonError

__all__ = ["NotificationError", "Notifier"]


class NotificationError(AstromonError):
    """A message could not be sent (connection refused, timeout, login or recipient refused).

    The message names the server and the reason; it never holds a password.
    """


@runtime_checkable
class Notifier(Protocol):
    """Sends a plain-text message to people."""

    def send(self, subject: str, body: str, recipients: Sequence[str]) -> None:
        """Send ``body`` with ``subject`` to every address of ``recipients``.

        Raises
        ------
        ValidationError
            No recipient, or a recipient that is not an e-mail address (named).
        NotificationError
            The message was not accepted for every recipient (the message names the server,
            the refused recipients and the reason).
        """
        ...
