"""The alerts through a real SMTP server on 127.0.0.1 (aiosmtpd), started by the tests."""

from __future__ import annotations

import email
import socket
from email.message import Message
from email.policy import default
from pathlib import Path

import pytest

from astromon.bootstrap import bootstrap
from astromon.config import Settings
from astromon.domain.daily_message import alert_message
from astromon.domain.daily_run import ObservationNote
from astromon.ports.notifier import NotificationError
from tests.integration.smtp_server import self_signed_certificate, server_tls, smtp_server
from tests.unit.daily_support import typical_run

SENDER = "astromon@example.org"
TEAM = ["aca@example.org", "ops@example.org"]


def _parsed(content: bytes) -> Message:
    return email.message_from_bytes(content, policy=default)


def _text(mail: Message) -> str:
    """The body as sent (SMTP carries lines ending in CRLF)."""
    return str(mail.get_content()).replace("\r\n", "\n")


def test_the_alert_of_a_failing_run_arrives_with_subject_summary_and_failures() -> None:
    run = typical_run()
    message = alert_message(run)
    with smtp_server() as server:
        env = {
            "ASTROMON_SMTP": server.address,
            "ASTROMON_MAIL_FROM": SENDER,
            "ASTROMON_MAIL_TO": ",".join(TEAM),
        }
        app = bootstrap(Settings.from_env(env))
        app.notifier().send(message.subject, message.body, app.settings.mail_to)
        [received] = server.inbox.messages
    assert (received.mail_from, received.rcpt_tos, received.tls) == (SENDER, TEAM, False)
    mail = _parsed(received.content)
    assert mail["Subject"] == "astromon daily on /data/astromon.duckdb: 2 alarms"
    assert (mail["From"], mail["To"]) == (SENDER, ", ".join(TEAM))
    body = _text(mail)
    assert body == message.body
    assert "  obsids      3 processed, 2 failed, 1 skipped" in body
    assert "  90% radius  1.700 arcsec (limit 1.5 arcsec) over 1234 matches" in body
    assert "  all        1234   0.71   0.51   1.70   2.25   3.50   12.5" in body
    assert "  27010  ProcessingError" in body and "  27011  ToolError" in body


def test_hostile_text_in_a_run_still_arrives_intact() -> None:
    note = ObservationNote(5, "Error\x1b[31m", "bad name \udc80\nΩ Cen ✓\r\nBcc: x@example.org")
    run = typical_run(database="/data/é\u2028astromon.duckdb", failed=[note])
    message = alert_message(run)
    with smtp_server() as server:
        notifier = bootstrap(Settings(smtp=server.address, mail_from=SENDER)).notifier()
        notifier.send(message.subject, message.body, TEAM[:1])
        [received] = server.inbox.messages
    mail = _parsed(received.content)
    assert (
        mail["Subject"]
        == message.subject
        == ("astromon daily on /data/é\\u2028astromon.duckdb: 2 alarms")
    )
    assert mail["Bcc"] is None and received.rcpt_tos == TEAM[:1]
    assert _text(mail) == message.body
    assert (
        "  5  Error\\x1b[31m\n     bad name \\udc80\n     Ω Cen ✓\n     Bcc: x@example.org\n"
        in message.body
    )


def test_starttls_and_a_login_with_the_password_of_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate only
    with smtp_server(tls=server_tls(cert, key), logins={"astromon": "pw of ops"}) as server:
        env = {
            "ASTROMON_SMTP": server.address,
            "ASTROMON_SMTP_STARTTLS": "1",
            "ASTROMON_SMTP_USER": "astromon",
            "ASTROMON_SMTP_PASSWORD": "pw of ops",
            "ASTROMON_MAIL_FROM": SENDER,
        }
        bootstrap(Settings.from_env(env)).notifier().send("subject", "body\n", TEAM)
        [received] = server.inbox.messages
        assert (received.tls, received.login, received.rcpt_tos) == (True, "astromon", TEAM)
        wrong = {**env, "ASTROMON_SMTP_PASSWORD": "guess"}
        with pytest.raises(NotificationError) as info:
            bootstrap(Settings.from_env(wrong)).notifier().send("s", "b", TEAM)
        assert str(info.value) == (
            f"e-mail not sent through SMTP server {server.address}: login as 'astromon' "
            "refused: 535 5.7.8 Authentication credentials invalid"
        )
        assert "guess" not in str(info.value)
        monkeypatch.delenv("SSL_CERT_FILE")  # the system's authorities do not know it
        with pytest.raises(NotificationError, match="TLS failed: CERTIFICATE_VERIFY_FAILED"):
            bootstrap(Settings.from_env(env)).notifier().send("s", "b", TEAM)
        assert len(server.inbox.messages) == 1


def test_starttls_asked_of_a_server_that_does_not_offer_it() -> None:
    with smtp_server() as server:
        settings = Settings(smtp=server.address, mail_from=SENDER, smtp_starttls=True)
        with pytest.raises(NotificationError) as info:
            bootstrap(settings).notifier().send("s", "b", TEAM)
        assert server.inbox.messages == []
    assert str(info.value) == (
        f"e-mail not sent through SMTP server {server.address}: the server does not support "
        "it: STARTTLS extension not supported by server."
    )


def test_refused_recipients_give_the_astromon_error() -> None:
    with smtp_server(refuse=frozenset({"nobody@example.org"})) as server:
        notifier = bootstrap(Settings(smtp=server.address, mail_from=SENDER)).notifier()
        with pytest.raises(NotificationError) as every:
            notifier.send("s", "b", ["nobody@example.org"])
        with pytest.raises(NotificationError) as some:
            notifier.send("s", "b", ["nobody@example.org", TEAM[0]])
        [delivered] = server.inbox.messages
    assert str(every.value) == (
        f"e-mail not sent through SMTP server {server.address}: every recipient was refused: "
        "nobody@example.org (550 5.1.1 mailbox unavailable)"
    )
    assert str(some.value) == (
        f"e-mail sent through SMTP server {server.address}, but these recipients were "
        "refused: nobody@example.org (550 5.1.1 mailbox unavailable)"
    )
    assert delivered.rcpt_tos == [TEAM[0]]


def test_a_refused_connection_and_a_silent_server() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    notifier = bootstrap(Settings(smtp=f"127.0.0.1:{closed_port}", mail_from=SENDER)).notifier()
    with pytest.raises(NotificationError) as refused:
        notifier.send("s", "b", TEAM)
    assert str(refused.value) == (
        f"e-mail not sent through SMTP server 127.0.0.1:{closed_port}: connection refused"
    )
    with socket.socket() as silent:  # accepts connections, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        settings = Settings(smtp=f"127.0.0.1:{port}", mail_from=SENDER, smtp_timeout=0.3)
        with pytest.raises(NotificationError) as timed_out:
            bootstrap(settings).notifier().send("s", "b", TEAM)
    assert str(timed_out.value) == (
        f"e-mail not sent through SMTP server 127.0.0.1:{port}: no answer within 0.3 s"
    )
