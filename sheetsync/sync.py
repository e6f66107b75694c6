"""The pipeline, step by step: read → layout → frame → check → status → plan → apply.

Each step is a function of the one before; ``check`` stops after findings, ``sync`` goes on to
write (or, with ``dry_run``, stops after the plan).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

import gspread

from sheetsync import frame, layout, prep, rules
from sheetsync.backends import Backend
from sheetsync.config import Settings
from sheetsync.errors import ConfigError
from sheetsync.frame import Tracker
from sheetsync.grid import CellValue, Grid, Tab
from sheetsync.layout import Layout
from sheetsync.mail.collect import with_mail
from sheetsync.models import Plan, SyncResult
from sheetsync.plan import make_plan, plan_prep
from sheetsync.prep import PrepSettings
from sheetsync.status import MAIL, MANAGED_COLUMNS, statuses

log = logging.getLogger("sheetsync")


@dataclass(frozen=True)
class Checked:
    """Everything ``check`` learned about a tracker."""

    source: str
    grid: Grid
    layout: Layout
    tracker: Tracker
    report: rules.Report
    today: dt.date
    notes: tuple[str, ...] = ()  # what the run could not use (an unreachable mailbox, …)

    @property
    def tab(self) -> Tab:
        """The contacts tab."""
        tab = self.grid.tab(self.layout.worksheet)
        assert tab is not None
        return tab


def open_backend(source: str, settings: Settings, *, output: str | None = None) -> Backend:
    """The backend for a source: an .xlsx path, a Google Sheets URL or ``gsheet:<id>``."""
    from sheetsync.backends.google_http import open_client, parse_source
    from sheetsync.backends.gsheets import GSheetsBackend
    from sheetsync.backends.xlsx import XlsxBackend

    sheet_id = parse_source(source)
    if sheet_id is None:
        return XlsxBackend(
            source, output=output, backups=settings.backups, backup_dir=settings.backup_dir
        )
    if output:
        raise ConfigError(
            "--output writes a copy of an .xlsx workbook; for a Google Sheet, make a copy in "
            "Sheets (File → Make a copy) and sync that instead."
        )

    def client() -> gspread.Client:
        return open_client(
            credentials_file=settings.google_credentials,
            auth=settings.google_auth,
            timeout=(10.0, settings.google_timeout),
            retries=settings.google_retries,
        )

    return GSheetsBackend(sheet_id, client, label=source)


def check_grid(grid: Grid, settings: Settings, today: dt.date) -> Checked:
    """layout → frame → rules on a grid already read."""
    lay = layout.discover(
        grid,
        worksheet=settings.worksheet,
        header_row=settings.header_row,
        overrides=settings.columns,
    )
    tracker = frame.build(grid, lay, day_first=settings.day_first)
    mailed = with_mail(tracker, settings.section("mail"), today, settings.timezone)
    tracker = mailed.tracker
    ctx = rules.make_context(
        today,
        country=settings.country,
        subdivision=settings.subdivision,
        day_first=settings.day_first,
    )
    report = rules.run(
        tracker, ctx, select=settings.select, ignore=settings.ignore, params=settings.rule_params
    )
    notes = (mailed.note,) if mailed.note else ()
    return Checked(grid.source, grid, lay, tracker, report, today, notes)


def check(backend: Backend, settings: Settings, today: dt.date) -> Checked:
    """Read the source and run the checks."""
    return check_grid(backend.read(), settings, today)


def plan_for(checked: Checked, settings: Settings, *, unticked: CellValue = "☐") -> Plan:
    """The managed cells (status columns and prep tab) that must change for this check.

    ``unticked`` is how the backend shows an empty checkbox (☐ in .xlsx, FALSE on Google).
    """
    status_of = statuses(checked.tracker.df.index, checked.report.findings, settings.ok_status)
    managed = MANAGED_COLUMNS
    words = checked.tracker.df.get("mail_words")
    if words is not None:  # mail evidence configured and read: one more managed column
        managed = (*MANAGED_COLUMNS, MAIL)
        said = words.dropna().to_dict()
        status_of = {r: replace(s, mail=said.get(r)) for r, s in status_of.items()}
    plan = make_plan(checked.tab, checked.tracker, status_of, managed)
    prep_settings: PrepSettings = settings.section("prep")
    if not prep_settings.enabled or not checked.tracker.has("interview_date"):
        return plan
    if prep_settings.tab == checked.layout.worksheet:
        raise ConfigError(
            f"prep.tab = '{prep_settings.tab}' is your contacts tab; sheetsync "
            "would overwrite it. Choose another name for the prep tab."
        )
    tab = prep.build(
        checked.tracker,
        checked.report.findings,
        checked.grid,
        prep_settings,
        checked.today,
        unticked=unticked,
    )
    return replace(plan, prep=plan_prep(checked.grid, tab))


def sync(
    backend: Backend, settings: Settings, today: dt.date, *, dry_run: bool = False
) -> SyncResult:
    """Check the tracker and write its managed columns (unless ``dry_run``)."""
    checked = check(backend, settings, today)
    plan = plan_for(checked, settings, unticked=backend.unticked)
    applied = None if dry_run else backend.apply(plan)
    log.info(
        "%s: %d rows, %d findings, %d cells to change",
        backend.name,
        len(checked.tracker.df),
        len(checked.report.findings),
        len(plan.changes),
    )
    return SyncResult(
        source=backend.name,
        worksheet=checked.layout.worksheet,
        rows_read=len(checked.tracker.df),
        findings=checked.report.findings,
        plan=plan,
        written=bool(applied and applied.written),
        dry_run=dry_run,
        backup=applied.backup if applied else None,
        output=applied.output if applied else None,
        checked=checked,
    )
