"""E-mail through an SMTP server (implements the ``Notifier`` port), on :mod:`smtplib`.

It drives the server as :mod:`smtplib` documents: connect and read the greeting (refused,
unknown host, timeout), ``EHLO``, ``STARTTLS`` when asked (the server's certificate is checked
against the system's trusted authorities; ``SSL_CERT_FILE`` names another bundle), ``AUTH``
when a user is given, then the message to every recipient. Each failure smtplib reports
(``SMTPRecipientsRefused``, ``SMTPAuthenticationError``, ``SMTPNotSupportedError``, a
connection error, a timeout, a TLS error) becomes one
:class:`~astromon.ports.notifier.NotificationError` naming the server and the reason.

The password comes from ``ASTROMON_SMTP_PASSWORD`` or from a password file, never from the
command line. A password file must be a regular file that only its owner can read or write
(mode ``600`` or ``400``); any other is refused, as ssh refuses an unprotected key. The file
is read once, when the notifier is made.
"""

from __future__ import annotations

import contextlib
import math
import os
import smtplib
import socket
import ssl
import stat
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Final

from astromon.domain.errors import ValidationError
from astromon.domain.mail import SmtpServer, check_address, check_addresses, parse_smtp_server
from astromon.ports.notifier import NotificationError

__all__ = ["DEFAULT_TIMEOUT", "SmtpNotifier", "read_password_file"]

DEFAULT_TIMEOUT: Final = 30.0
"""Seconds to wait for the server at each step (connect, each command)."""

_MAX_PASSWORD_FILE: Final = 4096  # bytes; a larger "password file" is the wrong file


def read_password_file(path: str | os.PathLike[str]) -> str:
    """The password in ``path``: its text without the final line end.

    Raises
    ------
    ValidationError
        The file is missing or unreadable, not a regular file (a directory, a pipe, a
        device), readable or writable by group or others, larger than 4 KiB, not UTF-8,
        empty or of more than one line (the message names the file and the fix).
    """
    where = f"SMTP password file {str(path)!r}"
    try:  # O_NONBLOCK: a FIFO given by mistake must not block the run
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise ValidationError(f"cannot open the {where}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValidationError(f"the {where} is not a regular file")
        if info.st_mode & 0o077:
            raise ValidationError(
                f"the {where} can be read or written by other users (mode "
                f"{stat.S_IMODE(info.st_mode):o}); make it private: chmod 600 {path}"
            )
        if info.st_size > _MAX_PASSWORD_FILE:
            raise ValidationError(f"the {where} is larger than {_MAX_PASSWORD_FILE} bytes")
        data = os.read(fd, _MAX_PASSWORD_FILE + 1)
    except OSError as exc:
        raise ValidationError(f"cannot read the {where}: {exc.strerror}") from None
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(f"the {where} is not UTF-8 text") from None
    password = text.removesuffix("\n").removesuffix("\r")
    if not password:
        raise ValidationError(f"the {where} is empty")
    if "\n" in password or "\r" in password:
        raise ValidationError(f"the {where} holds more than one line")
    return password


def _response(code: int, text: bytes | str) -> str:
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(shown.split())}"


class SmtpNotifier:
    """Sends plain-text e-mail through one SMTP server.

    Parameters
    ----------
    server : str
        ``HOST[:PORT]`` (port 25 by default; an IPv6 address in brackets).
    mail_from : str
        The sender address.
    starttls : bool
        Switch to TLS with ``STARTTLS`` before anything else (refused when the server does
        not offer it).
    user : str, optional
        Log in as ``user``; needs ``password`` or ``password_file``.
    password : str, optional
        The password (from ``ASTROMON_SMTP_PASSWORD``).
    password_file : path, optional
        A file holding the password; it wins over ``password`` (see
        :func:`read_password_file` for the rules).
    timeout : float
        Seconds to wait for the server at each step (default 30).
    tls_context : ssl.SSLContext, optional
        The TLS settings of ``STARTTLS`` (default: :func:`ssl.create_default_context`).

    Raises
    ------
    ValidationError
        A bad server, sender, timeout or password file, or a user without a password (the
        message names the setting).
    """

    def __init__(
        self,
        server: str,
        *,
        mail_from: str | None,
        starttls: bool = False,
        user: str | None = None,
        password: str | None = None,
        password_file: str | os.PathLike[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.server: SmtpServer = parse_smtp_server(server, "smtp")
        if not mail_from:
            raise ValidationError("no sender address: set ASTROMON_MAIL_FROM (or give mail_from)")
        self.mail_from = check_address(mail_from, "mail_from")
        if isinstance(timeout, bool) or not (
            isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0
        ):
            raise ValidationError(f"SMTP timeout must be a positive number of s, got {timeout!r}")
        self.timeout = float(timeout)
        self.starttls = bool(starttls)
        self.user = user or None
        if password_file is not None:
            password = read_password_file(password_file)
        if self.user is not None and not password:
            raise ValidationError(
                f"SMTP user {self.user!r} has no password: set ASTROMON_SMTP_PASSWORD or "
                "ASTROMON_SMTP_PASSWORD_FILE"
            )
        self._password = password or ""
        self._tls_context = tls_context

    def __repr__(self) -> str:  # never the password
        return f"<SmtpNotifier {self.server} from={self.mail_from} user={self.user!r}>"

    def _message(self, subject: str, body: str, recipients: Sequence[str]) -> EmailMessage:
        if "\n" in subject or "\r" in subject:
            raise ValidationError(f"an e-mail subject is one line, got {subject[:80]!r}")
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.mail_from
        message["To"] = ", ".join(recipients)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid("astromon", domain=self.mail_from.rpartition("@")[2])
        message.set_content(body)
        return message

    def _deliver(self, message: EmailMessage, recipients: Sequence[str]) -> dict[str, str]:
        """Send; the recipients the server refused while accepting others (address -> reply)."""
        client = smtplib.SMTP(self.server.host, self.server.port, timeout=self.timeout)
        try:
            client.ehlo()
            if self.starttls:
                client.starttls(context=self._tls_context or ssl.create_default_context())
                client.ehlo()
            if self.user is not None:
                client.login(self.user, self._password)
            refused = client.send_message(
                message, from_addr=self.mail_from, to_addrs=list(recipients)
            )
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()  # once the message is accepted, a lost QUIT changes nothing
            client.close()
        return {address: _response(*reply) for address, reply in refused.items()}

    def send(self, subject: str, body: str, recipients: Sequence[str]) -> None:
        """Send the message (see :meth:`astromon.ports.notifier.Notifier.send`)."""
        to = check_addresses(recipients, "recipient")
        message = self._message(subject, body, to)
        try:
            refused = self._deliver(message, to)
        except smtplib.SMTPRecipientsRefused as exc:
            replies = ", ".join(f"{a} ({_response(*r)})" for a, r in exc.recipients.items())
            reason = f"every recipient was refused: {replies}"
        except smtplib.SMTPAuthenticationError as exc:
            reason = f"login as {self.user!r} refused: {_response(exc.smtp_code, exc.smtp_error)}"
        except smtplib.SMTPSenderRefused as exc:
            reason = f"sender {exc.sender} refused: {_response(exc.smtp_code, exc.smtp_error)}"
        except smtplib.SMTPResponseException as exc:
            reason = f"the server answered {_response(exc.smtp_code, exc.smtp_error)}"
        except smtplib.SMTPServerDisconnected as exc:
            reason = (
                f"no answer within {self.timeout:g} s"
                if isinstance(exc.__context__, TimeoutError)
                else f"the server closed the connection ({exc})"
            )
        except smtplib.SMTPNotSupportedError as exc:
            reason = f"the server does not support it: {exc}"
        except smtplib.SMTPException as exc:
            reason = f"{type(exc).__name__}: {exc}"
        except ssl.SSLError as exc:
            reason = f"TLS failed: {exc.reason or exc}"
        except TimeoutError:
            reason = f"no answer within {self.timeout:g} s"
        except ConnectionRefusedError:
            reason = "connection refused"
        except socket.gaierror as exc:
            reason = f"host {self.server.host!r} not found ({exc.strerror})"
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
        else:
            if not refused:
                return
            replies = ", ".join(f"{a} ({r})" for a, r in refused.items())
            raise NotificationError(
                f"e-mail sent through SMTP server {self.server}, but these recipients were "
                f"refused: {replies}"
            )
        raise NotificationError(f"e-mail not sent through SMTP server {self.server}: {reason}")
