"""`sheetsync doctor`: check, step by step, that a source can be synced, and say what to fix.

Each step is a :class:`Check` — passed or not, what was found, and the fix. The steps stop at
the first one that fails for good (no point mapping the columns of a sheet nobody can open).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sheetsync import api
from sheetsync.backends.google_source import parse_source
from sheetsync.config import Settings
from sheetsync.errors import SheetsyncError
from sheetsync.words import plural

if TYPE_CHECKING:
    from sheetsync.pipeline import Checked


@dataclass(frozen=True)
class Check:
    """One diagnostic step."""

    name: str
    status: str  # "ok", "warn" (works, but worth fixing) or "fail" (stops a sync)
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        """True unless this step stops a sync."""
        return self.status != "fail"


def diagnose(source: str, settings: Settings, today: dt.date) -> list[Check]:
    """Run every step for ``source`` and return what each found (stops at a blocking one)."""
    google = parse_source(source) is not None
    checks = list(_google_access(settings) if google else _file_checks(Path(source)))
    if any(not c.ok for c in checks if c.name == "Credentials"):
        return checks
    started = time.monotonic()
    try:
        grid = api.read(source, settings=settings)
    except SheetsyncError as exc:
        return [*checks, Check("Read", "fail", str(exc), "Fix what the message says.")]
    took = time.monotonic() - started
    tabs = ", ".join(f"'{t.name}'" for t in grid.tabs)
    checks.append(Check("Read", "ok", f"{len(grid.tabs)} tab(s): {tabs} in {took:.1f} s"))
    try:
        # the mailbox is probed on its own below: the check itself does not scan it
        checked = api.check(grid, today=today, settings=_without_mail(settings))
    except SheetsyncError as exc:
        fix = "Set `worksheet`, `header_row` or [columns] in sheetsync.toml."
        return [*checks, Check("Contacts tab", "fail", str(exc), fix)]
    checks += _layout_checks(checked)
    checks += _mail_checks(checked, settings)
    if google:
        checks.append(_quota_check(took))
    return checks


def _google_access(settings: Settings) -> Iterator[Check]:
    from sheetsync.backends.google_auth import open_client, warn_if_readable_by_others

    key = settings.google_credentials
    if key and Path(key).exists() and warn_if_readable_by_others(Path(key)):
        yield Check(
            "Credentials file",
            "warn",
            f"{key} can be read by other users.",
            f"Run: chmod 600 {key}",
        )
    try:
        client = open_client(credentials_file=key, auth=settings.google_auth)
    except SheetsyncError as exc:
        yield Check(
            "Credentials",
            "fail",
            str(exc),
            "See the README's 'Google Sheets' section: create a service-account key "
            'and set [google] credentials, or sign in with auth = "oauth".',
        )
        return
    email = getattr(client.http_client, "service_account_email", None)
    who = f"service account {email}" if email else "your account (OAuth / ADC / emulator)"
    yield Check("Credentials", "ok", f"signed in as {who}")


def _file_checks(path: Path) -> Iterator[Check]:
    from sheetsync.files import lock_files

    locks = lock_files(path) if path.exists() else []
    if locks:
        yield Check(
            "Not open elsewhere",
            "warn",
            f"lock file {locks[0].name} is present",
            "Close the workbook in Excel/LibreOffice before `sync` (check works anyway).",
        )
    elif path.exists():
        yield Check("Not open elsewhere", "ok", "no Excel or LibreOffice lock file")


def _layout_checks(checked: Checked) -> Iterator[Check]:
    lay = checked.layout
    yield Check(
        "Contacts tab",
        "ok",
        f"'{lay.worksheet}', header on row {lay.header_row}, "
        + plural(len(checked.tracker.df), "contact"),
    )
    mapped = ", ".join(f"{f} ← '{h}'" for f, h in lay.column_names().items())
    yield Check("Columns", "ok", mapped)
    if lay.unmapped:
        yield Check(
            "Unused columns",
            "ok",
            ", ".join(lay.unmapped),
            "If one of these is a field sheetsync knows, map it in [columns].",
        )
    if lay.doubtful:
        doubtful = ", ".join(f"{f} ← '{lay.header_of(f)}'" for f in lay.doubtful)
        yield Check(
            "Map in doubt",
            "fail",
            doubtful,
            f"`sync` will not write until you confirm it: run `sheetsync map {checked.source}`.",
        )
    for warning in lay.warnings:
        yield Check("Layout note", "warn", warning, "")
    skipped = checked.report.skipped
    if skipped:
        detail = "; ".join(f"{r} (needs {' / '.join(m)})" for r, m in skipped.items())
        yield Check(
            "Rules that cannot run",
            "warn",
            detail,
            "Add those columns: `sheetsync rules` lists the columns each rule needs "
            "(a tracker made by `sheetsync init` has them all).",
        )
    else:
        yield Check("Rules", "ok", "every selected rule has the columns it needs")


def _without_mail(settings: Settings) -> Settings:
    sections = {k: v for k, v in settings.sections.items() if k != "mail"}
    return replace(settings, sections=sections)


def _mail_checks(checked: Checked, settings: Settings) -> Iterator[Check]:
    """The mailbox in [mail]: signed in, what it sees; a failure is a warning (sync goes on)."""
    from sheetsync.mail.evidence import tracker_addresses
    from sheetsync.mail.probe import probe

    config = settings.section("mail")
    if not config.enabled:
        return
    addresses = sorted({a for found in tracker_addresses(checked.tracker).values() for a in found})
    try:
        detail = probe(config, addresses)
    except SheetsyncError as exc:
        yield Check(
            "Mail",
            "warn",
            str(exc),
            "Sync still runs, without mail evidence. Fix what the message says.",
        )
        return
    yield Check("Mail", "ok", detail)


def _quota_check(took: float) -> Check:
    slow = took > 10
    detail = f"two requests answered in {took:.1f} s"
    return Check(
        "Quota and latency",
        "warn" if slow else "ok",
        detail,
        "The API is slow or rate-limited: wait a minute and try again." if slow else "",
    )
