"""E-mail values: a message, an SMTP server address and e-mail addresses, checked as text.

Pure rules, no network: :func:`parse_smtp_server` reads ``HOST[:PORT]`` and
:func:`check_address` checks an address before anything is sent, so a bad setting is reported
when it is read (naming the variable or option and the value), not when an alert is due.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from astromon.domain.errors import ValidationError

__all__ = [
    "DEFAULT_SMTP_PORT",
    "MailMessage",
    "SmtpServer",
    "check_address",
    "check_addresses",
    "parse_smtp_server",
]

DEFAULT_SMTP_PORT: Final = 25
"""The SMTP port when ``HOST[:PORT]`` gives none (the standard mail-relay port)."""

_LABEL: Final = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_ATEXT: Final = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$")
_MAX_ADDRESS: Final = 254  # characters of a whole address that SMTP can carry (RFC 5321)
_MAX_LOCAL: Final = 64  # characters of the part before the @ (RFC 5321)


@dataclass(frozen=True)
class MailMessage:
    """A plain-text e-mail: one-line ``subject`` and ``body`` (lines joined by newlines)."""

    subject: str
    body: str


@dataclass(frozen=True)
class SmtpServer:
    """An SMTP server: ``host`` (a host name, an IPv4 or an IPv6 address) and ``port``."""

    host: str
    port: int = DEFAULT_SMTP_PORT

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def _shown(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _is_host_name(text: str) -> bool:
    name = text[:-1] if text.endswith(".") else text
    return 0 < len(name) <= 253 and all(_LABEL.match(label) for label in name.split("."))


def parse_smtp_server(text: str, name: str = "--smtp") -> SmtpServer:
    """The server of ``HOST[:PORT]``: ``smtp.example.org``, ``10.0.0.5:2525``, ``[::1]:587``.

    The port defaults to :data:`DEFAULT_SMTP_PORT` (25). An IPv6 address goes in brackets
    (``[2001:db8::1]`` or ``[2001:db8::1]:587``), since its colons would read as a port.

    Parameters
    ----------
    text : str
        The address as given.
    name : str
        The option or variable it came from, named in the error.

    Raises
    ------
    ValidationError
        Not ``HOST[:PORT]``: empty, spaces or control characters, a bad host name or IPv6
        address, a port that is not a number from 1 to 65535, an IPv6 address without
        brackets (the message names ``name``, the value and what is wrong).
    """

    def bad(reason: str) -> ValidationError:
        return ValidationError(f"{name}={_shown(text)} is not HOST[:PORT]: {reason}")

    if not isinstance(text, str):
        raise ValidationError(f"{name} must be a string HOST[:PORT], got {text!r}")
    if not text or text != text.strip() or any(not c.isprintable() or c.isspace() for c in text):
        raise bad("it is empty or holds spaces or control characters")
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise bad("the IPv6 address has no closing ']'")
        host, rest = text[1:close], text[close + 1 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise bad(f"{host!r} in brackets is not an IPv6 address") from None
        if rest and not rest.startswith(":"):
            raise bad("only ':PORT' may follow the bracketed address")
        port_text = rest[1:] if rest else None
    else:
        if text.count(":") > 1:
            raise bad("put an IPv6 address in brackets, as in [::1]:25")
        host, colon, port_text_or_empty = text.partition(":")
        port_text = port_text_or_empty if colon else None
        if not _is_host_name(host):
            raise bad(f"{host!r} is not a host name (letters, digits, '-' and '.')")
    if port_text is None:
        return SmtpServer(host)
    if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
        raise bad(f"the port {port_text!r} is not a number from 1 to 65535")
    return SmtpServer(host, int(port_text))


def check_address(text: str, name: str = "--mail-to") -> str:
    """``text`` when it is an e-mail address ``local@domain`` (ASCII, as SMTP carries it).

    The local part is a dot-separated run of the characters RFC 5322 allows without quoting
    (letters, digits and ``!#$%&'*+/=?^_`{|}~-``); the domain is a host name. Display names
    (``Name <a@b>``), quoted local parts and address literals are not accepted.

    Raises
    ------
    ValidationError
        ``text`` is not such an address (the message names ``name`` and the value).
    """
    if not isinstance(text, str):
        raise ValidationError(f"{name} must be an e-mail address string, got {text!r}")
    local, at, domain = text.rpartition("@")
    reason = ""
    if not at or not local:
        reason = "it has no '@' between a name and a domain"
    elif len(text) > _MAX_ADDRESS or len(local) > _MAX_LOCAL:
        reason = f"it is longer than {_MAX_ADDRESS} characters or its name than {_MAX_LOCAL}"
    elif not all(_ATEXT.match(part) for part in local.split(".")):
        reason = f"the name {local!r} holds a character that needs quoting, or a stray '.'"
    elif not _is_host_name(domain) or domain.endswith("."):
        reason = f"the domain {domain!r} is not a host name"
    if reason:
        raise ValidationError(
            f"{name}: {_shown(text)} is not an e-mail address ({reason}); "
            "expected name@domain, e.g. aca@cfa.harvard.edu"
        )
    return text


def check_addresses(addresses: Iterable[str] | str, name: str = "--mail-to") -> tuple[str, ...]:
    """One or more addresses, checked by :func:`check_address`.

    A string is split at commas (``"a@x.org, b@y.org"``, as ``ASTROMON_MAIL_TO`` holds them);
    spaces around each address and empty items (a trailing comma) are ignored.

    Raises
    ------
    ValidationError
        No address, or a bad one (named).
    """
    if isinstance(addresses, str):
        items: list[str] = [item for item in addresses.split(",") if item.strip()]
    else:
        items = list(addresses)
    checked = tuple(
        check_address(item.strip() if isinstance(item, str) else item, name) for item in items
    )
    if not checked:
        raise ValidationError(f"{name}: no e-mail address given")
    return checked
