"""The digest: one short list of what to do today and this week, after each run.

Built from the findings of every source synced, grouped the way a student thinks about them —
thank-yous owed, follow-ups due, interviews to prepare, people going stale, the rest — and
rendered as plain text or Markdown. It can be written to a file and emailed over SMTP
(``[digest]`` and ``[smtp]`` in sheetsync.toml). The SMTP password comes from an environment
variable named in the config, or from the system keyring; never from the config file itself.
Sending at most once a day is the run loop's job (it remembers the day in its state file).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sheetsync import files, secrets
from sheetsync.config import parse_named
from sheetsync.dates import spoken
from sheetsync.errors import ConfigError
from sheetsync.errors import DeliveryError as DeliveryError
from sheetsync.models import Finding, Severity, SyncResult
from sheetsync.safetext import markdown_text, visible
from sheetsync.schema import Where, beside_config, setting
from sheetsync.words import plural

log = logging.getLogger("sheetsync")

FORMATS = ("text", "markdown")
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Thank-yous owed", ("thank-you-missing",)),
    ("Follow-ups due", ("follow-up-3b", "follow-up-7b", "move-on")),
    ("Interviews to prep", ("prep-needed", "confirm-meeting", "details-missing")),
    ("People going stale", ("stale-contact",)),
)
OTHER = "Other to-dos"
TODAY_SEVERITIES = (Severity.OVERDUE, Severity.DUE)


# --------------------------------------------------------------------------- config


def _addresses(value: Sequence[str], where: Where) -> tuple[str, ...]:
    for address in value:
        if "@" not in email.utils.parseaddr(address)[1]:
            raise where.error(f"has {address!r}, not an email address.")
    return tuple(value)


@dataclass(frozen=True)
class DigestConfig:
    """``[digest]``: whether to build it, where to write it, whom to email."""

    enabled: bool = setting(True, bool, "build the digest after each run")
    file: str | None = setting(
        None, str, "the file to write it to, beside the config", convert=beside_config
    )
    format: str | None = setting(
        None, str, "text or markdown (default: from the file's extension)", choices=FORMATS
    )
    email_to: tuple[str, ...] = setting(
        (), list, "addresses to email it to", items=str, single=True, convert=_addresses
    )
    week_days: int = setting(7, int, '"this week" is the next this many days', minimum=1)

    @property
    def file_format(self) -> str:
        """The format of ``file``: as configured, else Markdown for ``.md``, else text."""
        if self.format:
            return self.format
        return "markdown" if (self.file or "").lower().endswith((".md", ".markdown")) else "text"


@dataclass(frozen=True)
class SmtpConfig:
    """``[smtp]``: the mail server. The password is never stored here."""

    host: str | None = setting(None, str, "the mail server that sends the digest")
    port: int = setting(
        587,
        int,
        "its port (default 587, or 465 with ssl)",
        minimum=1,
        maximum=65535,
        derive=lambda v: 465 if v["ssl"] else 587,
    )
    starttls: bool = setting(
        True,
        bool,
        "upgrade to TLS with STARTTLS (default: unless ssl)",
        derive=lambda v: not v["ssl"],
    )
    ssl: bool = setting(False, bool, "implicit TLS (port 465) instead of STARTTLS")
    user: str | None = setting(None, str, "the login on the mail server")
    password_env: str | None = setting(
        None, str, "the environment variable that holds the password"
    )
    keyring_service: str = setting(
        "sheetsync", str, "else the password is keyring's for this service and user"
    )
    sender: str | None = setting(None, str, "the From address (default: user)", key="from")
    timeout: int = setting(30, int, "seconds to wait for the server", minimum=1)


def parse_config(table: Mapping[str, Any], path: Path) -> DigestConfig:
    """Validate ``[digest]``; errors name the file and the key."""
    return parse_named("digest", table, path)  # type: ignore[no-any-return]


def parse_smtp_config(table: Mapping[str, Any], path: Path) -> SmtpConfig:
    """Validate ``[smtp]``; a ``password`` key is refused with the way to do it instead."""
    return parse_named("smtp", table, path)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- the digest


@dataclass(frozen=True)
class SourceRun:
    """One source's outcome in a run: its sync result, or the error that stopped it."""

    source: str
    result: SyncResult | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the source synced."""
        return self.result is not None


@dataclass(frozen=True)
class Item:
    """One line of the digest."""

    source: str
    category: str
    finding: Finding


@dataclass(frozen=True)
class Digest:
    """What to do today and in the coming days, across every source of a run."""

    today: dt.date
    sources: tuple[SourceRun, ...]
    now: tuple[Item, ...]  # overdue or due today
    week: tuple[Item, ...]  # coming up within week_days
    data_problems: int
    week_days: int = 7

    @property
    def failed(self) -> tuple[SourceRun, ...]:
        """Sources that could not be synced."""
        return tuple(s for s in self.sources if not s.ok)


def category_of(rule_id: str) -> str:
    """The digest heading a rule's findings go under."""
    for title, rule_ids in CATEGORIES:
        if rule_id in rule_ids:
            return title
    return OTHER


def build(today: dt.date, runs: Sequence[SourceRun], *, week_days: int = 7) -> Digest:
    """Sort every finding of the run into today / this week (data problems are only counted)."""
    horizon = today + dt.timedelta(days=week_days)
    now: list[Item] = []
    week: list[Item] = []
    problems = 0
    for run in runs:
        for f in run.result.findings if run.result else ():
            if f.severity is Severity.DATA:
                problems += 1
            elif f.severity in TODAY_SEVERITIES:
                now.append(Item(run.source, category_of(f.rule), f))
            elif f.due is not None and today < f.due <= horizon:
                week.append(Item(run.source, category_of(f.rule), f))
    return Digest(today, tuple(runs), _sorted(now), _sorted(week), problems, week_days)


def _sorted(items: list[Item]) -> tuple[Item, ...]:
    return tuple(sorted(items, key=lambda i: i.finding.sort_key()))


def _grouped(items: Sequence[Item]) -> list[tuple[str, list[Item]]]:
    titles = [t for t, _ in CATEGORIES] + [OTHER]
    groups = [(t, [i for i in items if i.category == t]) for t in titles]
    return [(t, g) for t, g in groups if g]


def subject(d: Digest) -> str:
    """The email subject: counts and the day."""
    counts = f"{len(d.now)} to do today, {len(d.week)} this week"
    failed = f" ({len(d.failed)} tracker failed to sync)" if d.failed else ""
    return f"sheetsync: {counts}{failed} — {d.today:%a %d %b %Y}"


def _when(f: Finding, today: dt.date) -> str:
    if f.due is None:
        return ""
    if f.severity is Severity.OVERDUE or f.due < today:
        return f"overdue since {spoken(f.due, today)}"
    return "today" if f.due == today else spoken(f.due, today)


# --------------------------------------------------------------------------- rendering


def render_text(d: Digest) -> str:
    """The digest as plain text (what is printed and emailed)."""
    lines = [f"sheetsync digest for {d.today:%A %d %B %Y}", ""]
    lines += [source_line(s) for s in d.sources]
    many = len(d.sources) > 1
    for title, items in (("TODAY", d.now), (f"NEXT {d.week_days} DAYS", d.week)):
        lines += ["", title]
        if not items:
            lines.append("  Nothing.")
        for heading, group in _grouped(items):
            lines.append(f"  {heading}")
            lines += [f"    - {_item_text(i, d.today, many)}" for i in group]
    lines += _footer(d)
    return "\n".join(lines) + "\n"


def render_markdown(d: Digest) -> str:
    """The digest as Markdown (for a notes app or a static page)."""
    lines = [f"# sheetsync digest for {d.today:%A %d %B %Y}", ""]
    lines += [f"- {_md(source_line(s))}" for s in d.sources]
    many = len(d.sources) > 1
    for title, items in (("Today", d.now), (f"Next {d.week_days} days", d.week)):
        lines += ["", f"## {title}", ""]
        if not items:
            lines.append("Nothing.")
        for heading, group in _grouped(items):
            lines += [f"### {heading}", ""]
            lines += [f"- {_item_md(i, d.today, many)}" for i in group]
            lines.append("")
    lines += [_md(line) for line in _footer(d)]
    return "\n".join(lines).rstrip("\n") + "\n"


def render(d: Digest, fmt: str) -> str:
    """``text`` or ``markdown``."""
    return render_markdown(d) if fmt == "markdown" else render_text(d)


def source_line(run: SourceRun) -> str:
    """One line per tracker: contacts, findings and what was written, or why it failed."""
    if run.result is None:
        return visible(f"{run.source}: NOT SYNCED — {run.error}")
    r = run.result
    wrote = f"{plural(len(r.plan.changes), 'cell')} updated" if r.written else "already up to date"
    return visible(
        f"{run.source}: {plural(r.rows_read, 'contact')}, "
        f"{plural(len(r.findings), 'finding')}, {wrote}"
    )


def _item_text(item: Item, today: dt.date, many: bool) -> str:
    when = _when(item.finding, today)
    where = f" [{item.source}]" if many else ""
    return visible(f"{item.finding.message}{f' ({when})' if when else ''}{where}")


def _item_md(item: Item, today: dt.date, many: bool) -> str:
    f = item.finding
    when = _when(f, today)
    where = f" · {_md(item.source)}" if many else ""
    return f"**{_md(f.contact)}** — {_md(f.message)}{f' _({when})_' if when else ''}{where}"


def _footer(d: Digest) -> list[str]:
    if not d.data_problems:
        return []
    return ["", f"{d.data_problems} data problem(s) in the tracker: run `sheetsync check` to fix."]


def _md(text: str) -> str:
    """Text that came from the user's sheet as literal Markdown, on one line."""
    return markdown_text(text)


def write_file(
    d: Digest, path: Path, fmt: str, *, protected: files.Protected = files.NOTHING
) -> None:
    """Write the digest atomically (a reader never sees half a file). It replaces only an
    earlier digest (recognised by its first line, ``sheetsync digest for …``)."""
    data = render(d, fmt).encode("utf-8")
    files.write_output(path, data, files.Kind.DIGEST, protected=protected)
    log.info("digest written to %s", path)


# --------------------------------------------------------------------------- email


def message(d: Digest, cfg: DigestConfig, smtp: SmtpConfig) -> EmailMessage:
    """The digest email: plain text, with the Markdown version as an alternative part."""
    msg = EmailMessage()
    msg["Subject"] = subject(d)
    msg["From"] = smtp.sender or smtp.user or "sheetsync@localhost"
    msg["To"] = ", ".join(cfg.email_to)
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = email.utils.make_msgid(domain="sheetsync.local")
    msg.set_content(render_text(d))
    msg.add_alternative(render_markdown(d), subtype="markdown")
    return msg


def send_email(d: Digest, cfg: DigestConfig, smtp: SmtpConfig) -> None:
    """Send the digest to ``cfg.email_to``; raises :class:`DeliveryError` saying what to fix."""
    if not smtp.host:
        raise ConfigError(
            "[digest] email_to is set but [smtp] host is not: add the mail server to "
            'sheetsync.toml, e.g. [smtp] host = "smtp.example.edu".'
        )
    msg = message(d, cfg, smtp)
    try:
        with _connect(smtp) as server:
            if smtp.user:
                server.login(smtp.user, smtp_password(smtp))
            server.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            f"could not email the digest through {smtp.host}:{smtp.port} ({exc}). Check [smtp] "
            "host, port and starttls/ssl, and the password; it will be retried on the next run."
        ) from exc
    log.info("digest emailed to %s", ", ".join(cfg.email_to))


def _connect(smtp: SmtpConfig) -> smtplib.SMTP:
    assert smtp.host is not None
    context = ssl.create_default_context()
    if smtp.ssl:
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.starttls:
            server.starttls(context=context)
    except BaseException:
        server.close()
        raise
    return server


def smtp_password(smtp: SmtpConfig) -> str:
    """The password: from ``$<password_env>``, else the keyring; never from the config."""
    return secrets.password(
        "smtp", "SMTP", env=smtp.password_env, service=smtp.keyring_service, user=smtp.user
    )
