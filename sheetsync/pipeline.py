"""The pipeline, step by step: read → layout → frame → check → status → plan → apply.

Each step is a function of the one before; ``check`` stops after findings, ``sync`` goes on to
write (or, with ``dry_run``, stops after the plan).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sheetsync import files, frame, gcpause, layout, rules
from sheetsync.backends import Backend
from sheetsync.backends.readonly import ReadOnlyFileBackend, is_read_only, refusal
from sheetsync.config import Settings
from sheetsync.errors import ConfigError, MapNotConfirmed
from sheetsync.frame import Tracker
from sheetsync.grid import CellValue, Grid, Tab
from sheetsync.layout import Layout
from sheetsync.models import Finding, Plan, SyncResult
from sheetsync.planning import make_plan, placement_notes, plan_prep
from sheetsync.status import MAIL, MANAGED_COLUMNS, statuses

if TYPE_CHECKING:  # gspread and the prep tab's Jinja2 load only when a run needs them
    import gspread

    from sheetsync.prep import PrepSettings

log = logging.getLogger("sheetsync")


@dataclass(frozen=True)
class Checked:
    """Everything ``check`` learned about a tracker: ``findings``, the ``layout`` (contacts tab,
    header row, column map), the typed ``tracker`` rows, and ``to_json()``."""

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

    @property
    def findings(self) -> tuple[Finding, ...]:
        """What to do (or fix), most urgent first."""
        return self.report.findings

    @property
    def columns(self) -> dict[str, str]:
        """The column map: canonical field → header text as it stands in the sheet."""
        return self.layout.column_names()

    def to_json(self) -> dict[str, Any]:
        """The object ``sheetsync check --format json`` prints (see docs/contracts.md)."""
        lay = self.layout
        return {
            "source": self.source,
            "worksheet": lay.worksheet,
            "header_row": lay.header_row,
            "today": self.today.isoformat(),
            "columns": lay.column_names(),
            "confidence": confidence_json(lay),
            "doubtful": list(lay.doubtful),
            "unmapped": list(lay.unmapped),
            "findings": [f.to_json() for f in self.report.findings],
            "skipped_rules": dict(self.report.skipped.items()),
            "warnings": [*lay.warnings, *self.notes],
        }


def confidence_json(lay: Layout) -> dict[str, float]:
    """Field → how sure the map is (0–1, two decimals), for the fields the layout rated."""
    names = lay.column_names()
    return {f: round(float(lay.confidence[f]), 2) for f in names if f in lay.confidence}


def open_backend(source: str, settings: Settings, *, output: str | None = None) -> Backend:
    """The backend for a source: an .xlsx path, a Google Sheets URL or ``gsheet:<id>``; a .csv
    or .ods path gives a read-only backend (``sync`` refuses it)."""
    from sheetsync.backends.google_source import parse_source

    sheet_id = parse_source(source)
    if sheet_id is None and is_read_only(source):
        return ReadOnlyFileBackend(source)
    if sheet_id is None:
        from sheetsync.backends.xlsx import XlsxBackend
        from sheetsync.backends.xlsx_read import read_limits

        return XlsxBackend(
            source,
            output=output,
            backups=settings.backups,
            backup_dir=settings.backup_dir,
            protected=files.protected_for(settings, source),
            limits=read_limits(settings.max_unzipped_mb, settings.max_cells),
        )
    if output:
        raise ConfigError(
            "--output writes a copy of an .xlsx workbook; for a Google Sheet, make a copy in "
            "Sheets (File → Make a copy) and sync that instead."
        )

    from sheetsync.backends.google_auth import open_client
    from sheetsync.backends.gsheets import GSheetsBackend

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
    lay = lay.without(settings.ignore_columns)
    contacts = grid.tab(lay.worksheet)
    if contacts is not None:
        lay = replace(lay, warnings=lay.warnings + placement_notes(contacts, lay))
    tracker = frame.build(grid, lay, day_first=settings.day_first)
    notes: tuple[str, ...] = ()
    mail_settings = settings.section("mail")
    if mail_settings.enabled:  # the mail modules load only for a [mail] source
        from sheetsync.mail.collect import with_mail

        mailed = with_mail(tracker, mail_settings, today, settings.timezone)
        tracker = mailed.tracker
        notes = (mailed.note,) if mailed.note else ()
    ctx = rules.make_context(
        today,
        country=settings.country,
        subdivision=settings.subdivision,
        day_first=settings.day_first,
    )
    report = rules.run(
        tracker, ctx, select=settings.select, ignore=settings.ignore, params=settings.rule_params
    )
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
    from sheetsync import prep

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
    """Check the tracker and write its managed columns (unless ``dry_run``).

    Writes only on a sure or confirmed column map: when some column's meaning is in doubt it
    raises :class:`~sheetsync.errors.MapNotConfirmed` before anything is written (a dry run
    still plans, and the result's layout names the doubtful fields). A .csv/.ods source is
    refused before it is read (:class:`~sheetsync.errors.ReadOnlySource`).
    """
    if isinstance(backend, ReadOnlyFileBackend):
        raise refusal(backend.path)
    with gcpause.paused():  # the collector would walk the grid, frame and plan again and again
        checked = check(backend, settings, today)
        if checked.layout.doubtful and not dry_run:
            from sheetsync.mapping import doubt_message

            raise MapNotConfirmed(doubt_message(checked.layout, backend.name, settings.path))
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
