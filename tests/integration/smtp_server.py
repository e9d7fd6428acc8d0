"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd in a thread), and a TLS certificate.

The server keeps every message it accepts (:class:`Inbox`), can refuse chosen recipients
(``550``, as a mail server refuses an unknown mailbox), offer ``STARTTLS`` with a
certificate made here, and require a login.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

aiosmtpd_controller = pytest.importorskip(
    "aiosmtpd.controller", reason="aiosmtpd (the test SMTP server, in the test extras) is absent"
)
aiosmtpd_smtp = pytest.importorskip("aiosmtpd.smtp")


@dataclass
class Received:
    """One accepted message: the envelope, the raw content and how the session was made."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: str | None


@dataclass
class Inbox:
    """The aiosmtpd handler: accepts messages, refuses the addresses in ``refuse``."""

    refuse: frozenset[str] = frozenset()
    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = str(session.auth_data) if session.authenticated else None
        self.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content or envelope.content,
                session.ssl is not None,
                login,
            )
        )
        return "250 Message accepted for delivery"


class _Controller(aiosmtpd_controller.Controller):
    """Listens on a free port: the port the system chose is read before the first connect."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass(frozen=True)
class Server:
    """A running server: ``address`` is ``127.0.0.1:PORT`` for ``--smtp``."""

    port: int
    inbox: Inbox

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextmanager
def smtp_server(
    *,
    refuse: frozenset[str] = frozenset(),
    tls: ssl.SSLContext | None = None,
    logins: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Run a server: STARTTLS offered (and required) with ``tls``; a login required when
    ``logins`` (user -> password) is given."""
    inbox = Inbox(refuse=refuse)
    options: dict[str, Any] = {}
    if tls is not None:
        options.update(tls_context=tls, require_starttls=True)
    if logins is not None:

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            user, password = data.login.decode(), data.password.decode()
            ok = logins.get(user) == password
            return aiosmtpd_smtp.AuthResult(success=ok, handled=False, auth_data=user)

        options.update(
            authenticator=authenticate, auth_required=True, auth_require_tls=tls is not None
        )
    controller = _Controller(inbox, hostname="127.0.0.1", port=0, **options)
    controller.start()
    try:
        yield Server(controller.port, inbox)
    finally:
        controller.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key: (cert, key) files.

    Skips the test when the ``cryptography`` package is absent.
    """
    pytest.importorskip(
        "cryptography", reason="the cryptography package (to make a test certificate) is absent"
    )
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "astromon test SMTP server")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "server.crt", directory / "server.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_tls(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """The server side of TLS with the given certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context
