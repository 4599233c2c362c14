"""Mail goes out over SMTP: credentials from SMTP_URL, the embedded default's files, a failed send retried."""
from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from marketplace.accounts.jobs import send_mailed_token
from marketplace.mail import delivery, smtp
from marketplace.mail.local_server import LOOPBACK
from marketplace.mail.message import Mail, compose


class Recorder:
    """An SMTP server's handler and authenticator that remembers the logins and messages."""

    def __init__(self):
        self.logins: list[tuple[str, str]] = []
        self.messages: list[bytes] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == ("mailer@example.com", "p@ss:w/rd"))

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@pytest.fixture
def authenticating_server():
    recorder = Recorder()
    controller = Controller(recorder, hostname=LOOPBACK, port=free_port(), authenticator=recorder,
                            auth_require_tls=False)
    controller.start()
    yield recorder, controller.port
    controller.stop()


def test_the_user_and_password_of_smtp_url_log_in_percent_decoded(authenticating_server):
    recorder, port = authenticating_server
    message = compose(Mail(to="ada@example.com", subject="Hello", text="Plain", html="<p>Rich</p>"),
                      "Marketplace <no-reply@example.com>")

    smtp.send(message, f"smtp://mailer%40example.com:p%40ss%3Aw%2Frd@{LOOPBACK}:{port}")

    assert recorder.logins == [("mailer@example.com", "p@ss:w/rd")]
    [received] = recorder.messages
    assert b"Subject: Hello" in received
    assert b"text/plain" in received and b"text/html" in received


def test_smtp_urls_name_their_server():
    server = smtp.SmtpServer.from_url("smtps://user:secret@mail.example.com")

    assert (server.host, server.port, server.implicit_tls, server.user) == ("mail.example.com", 465, True, "user")
    assert smtp.SmtpServer.from_url("smtp://mail.example.com").port == 25


def test_a_send_that_fails_leaves_no_token_and_the_retry_mails_one(app, sign_up, mailbox, sql, monkeypatch):
    sign_up("ada@example.com", verified=False)
    [(mailed_token_id,)] = sql("SELECT id FROM platform.mailed_tokens")
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://{LOOPBACK}:{free_port()}")  # nobody listens there

    with app.app_context(), pytest.raises(OSError):
        send_mailed_token(mailed_token_id)

    assert sql("SELECT token_hash FROM platform.mailed_tokens") == [(None,)]
    assert sql("SELECT count(*) FROM platform.mail_deliveries") == [(0,)]
    monkeypatch.undo()
    with app.app_context():
        send_mailed_token(mailed_token_id)
    assert len(mailbox.to("ada@example.com")) == 1


@pytest.fixture
def no_smtp_url(app, tmp_path, monkeypatch):
    """SMTP_URL unset and VAR_DIR a fresh folder, as on a machine where nothing is configured."""
    monkeypatch.setitem(app.config, "SMTP_URL", None)
    monkeypatch.setitem(app.config, "VAR_DIR", str(tmp_path))
    yield tmp_path
    for server in delivery._local_servers.values():
        server.stop()
    delivery._local_servers.clear()


def test_with_smtp_url_unset_mail_is_kept_as_files_under_var_dir(app, sign_up, mailbox, no_smtp_url):
    sign_up("ada@example.com", verified=False)

    mailbox.deliver()

    [kept] = list((no_smtp_url / "mail").glob("*.eml"))
    assert kept.name.endswith(".eml")
    assert b"Confirm your email address" in kept.read_bytes()
    assert mailbox.to("ada@example.com") == []  # not sent to the tests' own server
