"""One student's report: :func:`student_report` turns a checked tracker into the figures,
open actions and contact table that the export shows (redacted on request)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from sheetsync.advisor.contacts import NO_CONTACTS, ContactTable, contact_table
from sheetsync.advisor.metrics import Metrics, compute_metrics, since_filter
from sheetsync.advisor.redaction import Redaction, generic_step, scrub
from sheetsync.advisor.values import cell_text, display_source
from sheetsync.models import Finding, Severity
from sheetsync.pipeline import Checked
from sheetsync.status import SEVERITY_WORD


@dataclass(frozen=True)
class ActionRow:
    """One open finding, as the Actions tab shows it."""

    urgency: str
    due: dt.date | None
    contact: str
    organization: str
    what: str
    kind: str
    row: int
    severity: Severity


@dataclass(frozen=True)
class StudentReport:
    """Everything one student's export shows."""

    student: str
    source: str
    today: dt.date
    since: dt.date | None
    metrics: Metrics
    actions: tuple[ActionRow, ...]
    contacts: ContactTable
    redacted: bool
    worksheet: str
    stale_days: int = 90


def student_report(
    checked: Checked,
    *,
    student: str,
    since: dt.date | None = None,
    redaction: Redaction | None = None,
    stale_days: int = 90,
    contacts: bool = True,
) -> StudentReport:
    """Figures, actions and contacts for one checked tracker (a
    :class:`sheetsync.pipeline.Checked`).

    ``contacts=False`` leaves the contact table empty (a cohort shows one line a student).
    """
    df = checked.tracker.df
    df = df[since_filter(df, since)]
    findings = tuple(f for f in checked.report.findings if f.row in df.index)
    redaction = redaction.bound(df) if redaction is not None else None
    return StudentReport(
        student=student,
        source=display_source(checked.source),
        today=checked.today,
        since=since,
        metrics=compute_metrics(df, findings, checked.today, since),
        actions=tuple(_action(f, df, redaction) for f in findings),
        contacts=contact_table(checked, df, findings, redaction) if contacts else NO_CONTACTS,
        redacted=redaction is not None,
        worksheet=checked.layout.worksheet,
        stale_days=stale_days,
    )


def _action(f: Finding, df: pd.DataFrame, redaction: Redaction | None) -> ActionRow:
    org = cell_text(df["organization"].get(f.row)) if "organization" in df else ""
    if redaction is None:
        contact, what = f.contact, f.message
    else:
        contact = redaction.name(cell_text(df["name"].get(f.row)), f.row)
        what, org = generic_step(f.rule), scrub(org)
    word = SEVERITY_WORD[f.severity]
    return ActionRow(word, f.due, contact, org, what, f.rule, f.row, f.severity)
