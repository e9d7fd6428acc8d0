"""Mail settings: HOST[:PORT], addresses, the environment variables, the password file and the
notifier port of the composition root."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from astromon.bootstrap import PORTS, bootstrap
from astromon.config import Settings
from astromon.domain.errors import ValidationError
from astromon.domain.mail import SmtpServer, check_address, check_addresses, parse_smtp_server
from astromon.ports.notifier import NotificationError
from tests.unit.daily_support import RecordingNotifier
from tests.unit.fuzz_strategies import FUZZ

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=60)


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("smtp.example.org", "smtp.example.org", 25),
        ("smtp.example.org:587", "smtp.example.org", 587),
        ("localhost", "localhost", 25),
        ("10.0.0.5:2525", "10.0.0.5", 2525),
        ("[::1]", "::1", 25),
        ("[2001:db8::1]:465", "2001:db8::1", 465),
        ("mail-1.cfa.harvard.edu.:25", "mail-1.cfa.harvard.edu.", 25),
    ],
)
def test_host_and_port(text: str, host: str, port: int) -> None:
    server = parse_smtp_server(text)
    assert server == SmtpServer(host, port)
    assert parse_smtp_server(str(server)) == server


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "it is empty or holds spaces"),
        ("smtp .example.org", "it is empty or holds spaces"),
        ("smtp.example.org:0", "the port '0' is not a number from 1 to 65535"),
        ("smtp.example.org:65536", "the port '65536' is not a number"),
        ("smtp.example.org:", "the port '' is not a number"),
        ("smtp.example.org:smtp", "the port 'smtp' is not a number"),
        ("smtp.example.org:٣", "the port '٣' is not a number"),
        ("::1", "put an IPv6 address in brackets, as in [::1]:25"),
        ("[::1", "the IPv6 address has no closing ']'"),
        ("[1.2.3.4]:25", "'1.2.3.4' in brackets is not an IPv6 address"),
        ("[::1]25", "only ':PORT' may follow the bracketed address"),
        ("-smtp.example.org", "'-smtp.example.org' is not a host name"),
        ("smtp_1.example.org", "'smtp_1.example.org' is not a host name"),
        ("smtp..example.org", "is not a host name"),
    ],
)
def test_a_bad_server_is_named_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_smtp_server(text, "--smtp")
    assert str(info.value).startswith(f"--smtp={text!r} is not HOST[:PORT]: ")
    assert reason in str(info.value)


HOSTS = st.one_of(
    st.from_regex(
        r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,9}[a-z0-9])?){0,3}",
        fullmatch=True,
    ),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
)


@FUZZ
@given(HOSTS, st.one_of(st.none(), st.integers(1, 65535)))
def test_every_valid_server_is_read(host: str, port: int | None) -> None:
    server = parse_smtp_server(host if port is None else f"{host}:{port}")
    assert server.port == (25 if port is None else port)
    assert server.host == host.strip("[]")
    if host.startswith("["):
        ipaddress.IPv6Address(server.host)


@FUZZ
@given(ANY_TEXT)
def test_any_text_is_a_server_or_a_validation_error_naming_it(text: str) -> None:
    try:
        server = parse_smtp_server(text, "ASTROMON_SMTP")
    except ValidationError as exc:
        assert str(exc).startswith("ASTROMON_SMTP=")
        return
    assert 1 <= server.port <= 65535 and server.host and server.host in text


@pytest.mark.parametrize(
    "address",
    [
        "aca@cfa.harvard.edu",
        "first.last+tag@example.org",
        "ops@localhost",
        "a!#$%&'*+/=?^_`{|}~-@x.io",
    ],
)
def test_good_addresses(address: str) -> None:
    assert check_address(address) == address


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("", "it has no '@' between a name and a domain"),
        ("aca", "it has no '@'"),
        ("@cfa.harvard.edu", "it has no '@'"),
        ("aca@", "the domain '' is not a host name"),
        ("a b@example.org", "the name 'a b' holds a character that needs quoting"),
        (".aca@example.org", "holds a character that needs quoting, or a stray '.'"),
        ("aca@example..org", "the domain 'example..org' is not a host name"),
        ("aca@example.org.", "the domain 'example.org.' is not a host name"),
        ("Aca <aca@example.org>", "needs quoting"),
        ("acé@example.org", "needs quoting"),
        ("aca@exa_mple.org", "is not a host name"),
        ("aca@example.org\r\nBcc: x@y.org", "needs quoting"),
        ("x" * 65 + "@example.org", "longer than 254 characters or its name than 64"),
    ],
)
def test_a_bad_address_is_named_with_the_reason(address: str, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_address(address, "--mail-to")
    assert str(info.value).startswith(f"--mail-to: {address!r} is not an e-mail address (")
    assert reason in str(info.value)


@FUZZ
@given(ANY_TEXT)
def test_any_text_is_an_address_or_a_validation_error(text: str) -> None:
    try:
        assert check_address(text) == text
    except ValidationError as exc:
        assert "is not an e-mail address" in str(exc)
        return
    assert text.isascii() and text.count("@") == 1 and not re.search(r"\s", text)


def test_a_list_of_addresses() -> None:
    assert check_addresses(" a@x.org, b@y.org ,") == ("a@x.org", "b@y.org")
    assert check_addresses(["a@x.org"]) == ("a@x.org",)
    with pytest.raises(ValidationError, match="ASTROMON_MAIL_TO: no e-mail address given"):
        check_addresses(" , ", "ASTROMON_MAIL_TO")
    with pytest.raises(ValidationError, match="ASTROMON_MAIL_TO: 'b@' is not an e-mail"):
        check_addresses("a@x.org,b@", "ASTROMON_MAIL_TO")


MAIL_ENV = {
    "ASTROMON_SMTP": "[::1]:2525",
    "ASTROMON_SMTP_STARTTLS": "Yes",
    "ASTROMON_SMTP_USER": "astromon",
    "ASTROMON_SMTP_PASSWORD": " s3cret with spaces ",
    "ASTROMON_SMTP_PASSWORD_FILE": "/etc/astromon/smtp-password",
    "ASTROMON_SMTP_TIMEOUT": "12.5",
    "ASTROMON_MAIL_FROM": "astromon@cfa.harvard.edu",
    "ASTROMON_MAIL_TO": "aca@cfa.harvard.edu, ops@cfa.harvard.edu",
}


def test_the_mail_variables_are_settings() -> None:
    s = Settings.from_env(MAIL_ENV)
    assert (s.smtp, s.smtp_starttls, s.smtp_user) == ("[::1]:2525", True, "astromon")
    assert s.smtp_password == " s3cret with spaces "
    assert s.smtp_password_file == Path("/etc/astromon/smtp-password")
    assert (s.smtp_timeout, s.mail_from) == (12.5, "astromon@cfa.harvard.edu")
    assert s.mail_to == ("aca@cfa.harvard.edu", "ops@cfa.harvard.edu")
    assert "s3cret" not in repr(s)
    empty = Settings.from_env({})
    assert (empty.smtp, empty.smtp_starttls, empty.mail_to, empty.smtp_password) == (
        None,
        False,
        (),
        None,
    )
    assert Settings.from_env({"ASTROMON_SMTP_STARTTLS": "off"}).smtp_starttls is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ASTROMON_SMTP", "mail host", "ASTROMON_SMTP='mail host' is not HOST[:PORT]"),
        ("ASTROMON_SMTP", "mail:99999", "ASTROMON_SMTP='mail:99999' is not HOST[:PORT]"),
        ("ASTROMON_SMTP_STARTTLS", "maybe", "ASTROMON_SMTP_STARTTLS='maybe' is not a yes/no"),
        ("ASTROMON_SMTP_TIMEOUT", "soon", "ASTROMON_SMTP_TIMEOUT must be a number of seconds"),
        ("ASTROMON_MAIL_FROM", "astromon", "ASTROMON_MAIL_FROM: 'astromon' is not an e-mail"),
        ("ASTROMON_MAIL_TO", "a@x.org;b@x.org", "ASTROMON_MAIL_TO: 'a@x.org;b@x.org' is not"),
    ],
)
def test_a_bad_mail_variable_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings.from_env({name: value})
    assert str(info.value).startswith(message)


def _password_file(directory: Path, text: str = "s3cret\n", mode: int = 0o600) -> Path:
    path = directory / "smtp-password"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_the_notifier_is_built_from_the_settings(tmp_path: Path) -> None:
    settings = Settings.from_env({**MAIL_ENV, "ASTROMON_SMTP_PASSWORD_FILE": ""})
    notifier = bootstrap(settings).notifier()
    assert (
        repr(notifier) == "<SmtpNotifier [::1]:2525 from=astromon@cfa.harvard.edu user='astromon'>"
    )
    assert (notifier.starttls, notifier.timeout) == (True, 12.5)  # type: ignore[attr-defined]
    assert notifier._password == " s3cret with spaces "  # type: ignore[attr-defined]
    given = bootstrap(settings).notifier(
        smtp="mail.example.org",
        starttls=False,
        user="other",
        mail_from="x@example.org",
        password_file=_password_file(tmp_path),
        timeout=3,
    )
    assert repr(given) == "<SmtpNotifier mail.example.org:25 from=x@example.org user='other'>"
    assert given._password == "s3cret"  # type: ignore[attr-defined]  # the file wins
    assert (given.starttls, given.timeout) == (False, 3.0)  # type: ignore[attr-defined]
    plain = bootstrap(Settings(smtp="127.0.0.1", mail_from="a@example.org")).notifier()
    assert (plain.user, plain.timeout) == (None, 30.0)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(), "no SMTP server for the alerts: set ASTROMON_SMTP (HOST[:PORT])"),
        (Settings(smtp="127.0.0.1"), "no sender address: set ASTROMON_MAIL_FROM"),
        (
            Settings(smtp="127.0.0.1", mail_from="a@example.org", smtp_user="ops"),
            "SMTP user 'ops' has no password: set ASTROMON_SMTP_PASSWORD or "
            "ASTROMON_SMTP_PASSWORD_FILE",
        ),
        (
            Settings(smtp="127.0.0.1", mail_from="a@example.org", smtp_timeout=0.0),
            "SMTP timeout must be a positive number of s, got 0.0",
        ),
        (Settings(smtp="127.0.0.1:x", mail_from="a@example.org"), "smtp='127.0.0.1:x' is not"),
    ],
)
def test_a_notifier_that_cannot_work_is_refused_when_it_is_made(
    settings: Settings, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        bootstrap(settings).notifier()
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda d: _password_file(d, mode=0o640),
            "can be read or written by other users (mode 640)",
        ),
        (
            lambda d: _password_file(d, mode=0o602),
            "can be read or written by other users (mode 602)",
        ),
        (lambda d: d, "is not a regular file"),
        (lambda d: d / "absent", "cannot open the SMTP password file"),
        (lambda d: _password_file(d, ""), "is empty"),
        (lambda d: _password_file(d, "\n"), "is empty"),
        (lambda d: _password_file(d, "one\ntwo\n"), "holds more than one line"),
        (lambda d: _password_file(d, "x" * 5000), "is larger than 4096 bytes"),
    ],
)
def test_a_password_file_is_refused_unless_private_and_one_line(
    tmp_path: Path, make: object, message: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    settings = Settings(smtp="127.0.0.1", mail_from="a@example.org", smtp_user="ops")
    with pytest.raises(ValidationError) as info:
        bootstrap(settings).notifier(password_file=path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_a_pipe_given_as_password_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    settings = Settings(smtp="127.0.0.1", mail_from="a@example.org", smtp_password_file=fifo)
    with pytest.raises(ValidationError, match="is not a regular file"):
        bootstrap(settings).notifier()


def test_a_password_file_keeps_all_but_its_line_end(tmp_path: Path) -> None:
    for text, password in [("pw\n", "pw"), ("pw\r\n", "pw"), (" pw ", " pw "), ("pw", "pw")]:
        path = _password_file(tmp_path, text, 0o400)
        notifier = bootstrap(Settings(smtp="h", mail_from="a@b.org")).notifier(password_file=path)
        assert notifier._password == password  # type: ignore[attr-defined]
        path.unlink()


def test_the_notifier_port_can_be_overridden_with_a_fake() -> None:
    fake = RecordingNotifier()
    app = bootstrap(Settings(), notifier=fake)
    assert "notifier" in PORTS
    assert app.notifier() is fake
    app.notifier().send("subject", "body", ["aca@cfa.harvard.edu"])
    assert fake.sent == [("subject", "body", ("aca@cfa.harvard.edu",))]
    with pytest.raises(ValidationError, match="recipient: 'aca' is not an e-mail address"):
        fake.send("s", "b", ["aca"])
    with pytest.raises(
        NotificationError, match=re.escape("through SMTP server 127.0.0.1:25: refused")
    ):
        RecordingNotifier(failure="refused").send("s", "b", ["aca@cfa.harvard.edu"])
