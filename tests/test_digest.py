"""The digest: what it says, how it renders, and its email through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from sheetsync import digest, pipeline, run_state, scheduler
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.errors import ConfigError
from sheetsync.models import Finding, Plan, Severity, SyncResult
from sheetsync.runner import Runner
from sheetsync.slots import Slots

from .workbooks import kitchen_sink

TODAY = dt.date(2026, 3, 16)
PASSWORD_ENV = "SHEETSYNC_TEST_SMTP_PASSWORD"


def synced(path: Path) -> digest.SourceRun:
    result = pipeline.sync(XlsxBackend(kitchen_sink(path)), Settings(), TODAY)
    return digest.SourceRun(str(path.name), result=result)


# ---------------------------------------------------------------------- what it says


def test_digest_groups_today_by_what_to_do(tmp_path: Path) -> None:
    made = digest.build(TODAY, [synced(tmp_path / "t.xlsx")])
    assert [(i.category, i.finding.contact, i.finding.rule) for i in made.now] == [
        ("People going stale", "Dev Patel", "stale-contact"),
        ("Follow-ups due", "Ema Stone", "follow-up-7b"),
        ("Follow-ups due", "Ana Lima", "follow-up-3b"),
        ("Thank-yous owed", "Bo Chen", "thank-you-missing"),
        ("Interviews to prep", "Cleo Diaz", "confirm-meeting"),
        ("Interviews to prep", "Cleo Diaz", "details-missing"),
        ("Interviews to prep", "Cleo Diaz", "prep-needed"),
    ]
    assert made.week == ()
    assert made.failed == ()


def finding(
    rule: str, severity: Severity, due: dt.date | None, contact: str = "Ann Lee"
) -> Finding:
    return Finding(4, contact, rule, severity, f"{rule} for {contact}", due)


def test_this_week_and_what_is_left_out() -> None:
    findings = (
        finding("prep-needed", Severity.SOON, dt.date(2026, 3, 19)),
        finding("stale-contact", Severity.SOON, dt.date(2026, 3, 30)),  # beyond the week
        finding("bad-date", Severity.DATA, None),
        finding("ask-referrals", Severity.INFO, None),
    )
    result = SyncResult(
        source="t.xlsx",
        worksheet="Contacts",
        rows_read=1,
        findings=findings,
        plan=Plan("Contacts", ()),
        written=False,
        dry_run=False,
    )
    made = digest.build(
        TODAY, [digest.SourceRun("t.xlsx", result), digest.SourceRun("x", None, "boom")]
    )
    assert [i.finding.rule for i in made.week] == ["prep-needed"]
    assert made.now == () and made.data_problems == 1
    assert [s.source for s in made.failed] == ["x"]
    assert digest.subject(made) == (
        "sheetsync: 0 to do today, 1 this week (1 tracker failed to sync) — Mon 16 Mar 2026"
    )


def test_text_digest(tmp_path: Path) -> None:
    text = digest.render_text(digest.build(TODAY, [synced(tmp_path / "t.xlsx")]))
    assert text.splitlines()[:8] == [
        "sheetsync digest for Monday 16 March 2026",
        "",
        "t.xlsx: 5 contacts, 8 findings, 18 cells updated",
        "",
        "TODAY",
        "  Thank-yous owed",
        "    - Send Bo Chen a personal thank-you for the conversation on Fri 13 Mar "
        "(overdue since Sat 14 Mar)",
        "  Follow-ups due",
    ]
    assert text.endswith("NEXT 7 DAYS\n  Nothing.\n")


def test_markdown_digest_escapes_what_the_user_typed() -> None:
    f = finding("thank-you-missing", Severity.DUE, TODAY, contact="*Bo* [Chen]")
    result = SyncResult("t.xlsx", "Contacts", 1, (f,), Plan("C", ()), False, False)
    md = digest.render_markdown(digest.build(TODAY, [digest.SourceRun("t.xlsx", result)]))
    assert "## Today\n\n### Thank-yous owed\n\n" in md
    assert r"- **\*Bo\* \[Chen\]** — thank-you-missing for \*Bo\* \[Chen\] _(today)_" in md


def test_digest_file_format_follows_the_extension(tmp_path: Path) -> None:
    made = digest.build(TODAY, [synced(tmp_path / "t.xlsx")])
    cfg = digest.parse_config({"file": "out/digest.md"}, tmp_path / "sheetsync.toml")
    assert cfg.file_format == "markdown"
    digest.write_file(made, Path(cfg.file or ""), cfg.file_format)
    assert (tmp_path / "out" / "digest.md").read_text().startswith("# sheetsync digest for Monday")


# ---------------------------------------------------------------------- config


def test_config_defaults() -> None:
    assert digest.parse_config({}, Path("s.toml")) == digest.DigestConfig()
    smtp = digest.parse_smtp_config({}, Path("s.toml"))
    assert (smtp.host, smtp.port, smtp.starttls, smtp.ssl) == (None, 587, True, False)
    assert digest.parse_smtp_config({"ssl": True}, Path("s.toml")).port == 465


@pytest.mark.parametrize(
    ("section", "table", "message"),
    [
        ("smtp", {"password": "hunter2"}, "never keep a password in the config file"),
        ("smtp", {"hots": "x"}, "unknown key 'smtp.hots'"),
        ("smtp", {"port": "587"}, "'smtp.port' must be a whole number"),
        ("digest", {"email_to": ["not an address"]}, "not an email address"),
        ("digest", {"format": "html"}, "'digest.format' must be"),
        ("digest", {"week_days": 0}, "1 or more"),
    ],
)
def test_config_errors_name_file_and_key(
    section: str, table: dict[str, Any], message: str, tmp_path: Path
) -> None:
    parse = digest.parse_smtp_config if section == "smtp" else digest.parse_config
    with pytest.raises(ConfigError, match=message) as info:
        parse(table, tmp_path / "sheetsync.toml")
    assert "sheetsync.toml" in str(info.value)


def test_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    smtp = digest.SmtpConfig(host="h", user="me", password_env=PASSWORD_ENV)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(ConfigError, match=f"\\${PASSWORD_ENV}, which is not set"):
        digest.smtp_password(smtp)
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    assert digest.smtp_password(smtp) == "s3cret"


# ---------------------------------------------------------------------- a real SMTP server


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"me", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=check_login,
        auth_require_tls=False,  # plain SMTP on loopback; real servers get STARTTLS
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def run_once(folder: Path, today: str, password: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PASSWORD_ENV: password, "COLUMNS": "120"}
    env.pop("SHEETSYNC_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "sheetsync", "run", "--once", "-q", "--today", today],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )


def test_digest_email_is_received_once_a_day(
    tmp_path: Path, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    kitchen_sink(tmp_path / "t.xlsx")
    (tmp_path / "sheetsync.toml").write_text(
        f"""source = "t.xlsx"
[digest]
email_to = ["Student <me@uni.example>"]
file = "digest.txt"
[smtp]
host = "127.0.0.1"
port = {port}
starttls = false
user = "me"
password_env = "{PASSWORD_ENV}"
from = "sheetsync <robot@uni.example>"
""",
        encoding="utf-8",
    )
    first = run_once(tmp_path, "2026-03-16", "s3cret")
    assert first.returncode == 0, first.stderr
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["Subject"] == "sheetsync: 7 to do today, 0 this week — Mon 16 Mar 2026"
    assert msg["To"] == "Student <me@uni.example>"
    assert inbox.envelopes[0] == ("robot@uni.example", ["me@uni.example"])
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert text.replace("\r\n", "\n") == (tmp_path / "digest.txt").read_text()
    assert "Send Bo Chen a personal thank-you" in text
    markdown = [p for p in msg.iter_parts() if p.get_content_subtype() == "markdown"]
    assert markdown and "### Thank-yous owed" in markdown[0].get_content()

    again = run_once(tmp_path, "2026-03-16", "s3cret")
    assert again.returncode == 0, again.stderr
    assert len(inbox.messages) == 1  # never twice for the same day
    assert "already emailed" in again.stderr


def test_a_refused_login_is_an_error_and_is_retried_next_run(
    tmp_path: Path, smtp_server: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp_server
    source = kitchen_sink(tmp_path / "t.xlsx")
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    settings = Settings(
        sections={
            "digest": digest.DigestConfig(email_to=("me@uni.example",)),
            "smtp": digest.SmtpConfig(
                host="127.0.0.1", port=port, starttls=False, user="me", password_env=PASSWORD_ENV
            ),
        }
    )
    spec = scheduler.RunSpec(
        (str(source),),
        Slots(dt.timedelta(days=1), dt.time(8), dt.UTC),
        tmp_path / "state.json",
    )
    report = Runner(spec, settings, today=TODAY).run_once()
    assert report.outcomes[0].ok and not report.ok and not report.emailed
    assert report.problems[0].startswith("digest: could not email the digest through 127.0.0.1")
    state = run_state.load_state(tmp_path / "state.json")
    assert "last_email_date" not in state.digest and state.digest["last_error"]
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    assert Runner(spec, settings, today=TODAY).run_once().emailed
    assert len(inbox.messages) == 1
