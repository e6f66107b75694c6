"""One student's report: :func:`student_report` turns a checked tracker into the figures,
open actions and contact table that the export shows (redacted on request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
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
    actions: tuple[ActionRow, ...]  # empty on a cohort line (see ``summary``)
    open_actions: int
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
    summary: bool = False,
) -> StudentReport:
    """Figures, actions and contacts for one checked tracker (a
    :class:`sheetsync.pipeline.Checked`).

    ``summary``: figures only, for a cohort line (one row a student): no action list (only its
    length) and no contact table, so a cohort's memory does not grow with its trackers' rows.
    """
    df = checked.tracker.df
    if since is not None:
        df = df[since_filter(df, since)]
    findings = _findings_in(checked.report.findings, df)
    if redaction is not None and not summary:
        redaction = redaction.bound(df)
    return StudentReport(
        student=student,
        source=display_source(checked.source),
        today=checked.today,
        since=since,
        metrics=compute_metrics(df, findings, checked.today, since),
        actions=() if summary else _actions(findings, df, redaction),
        open_actions=len(findings),
        contacts=NO_CONTACTS if summary else contact_table(checked, df, findings, redaction),
        redacted=redaction is not None,
        worksheet=checked.layout.worksheet,
        stale_days=stale_days,
    )


def _findings_in(findings: Sequence[Finding], df: pd.DataFrame) -> tuple[Finding, ...]:
    """The findings about rows of ``df`` (the rows left after ``--since``)."""
    rows = set(df.index)
    return tuple(f for f in findings if f.row in rows)


def _actions(
    findings: Sequence[Finding], df: pd.DataFrame, redaction: Redaction | None
) -> tuple[ActionRow, ...]:
    """Each finding as a line of the Actions tab."""
    orgs = _column_text(df, "organization")
    names = _column_text(df, "name") if redaction is not None else {}
    return tuple(_action(f, orgs.get(f.row, ""), names.get(f.row, ""), redaction) for f in findings)


def _column_text(df: pd.DataFrame, name: str) -> dict[Hashable, str]:
    """Row → the column's text ('' when blank); empty when the column is not mapped."""
    if name not in df:
        return {}
    return {row: cell_text(value) for row, value in df[name].items()}


def _action(f: Finding, org: str, name: str, redaction: Redaction | None) -> ActionRow:
    """One finding as the Actions tab shows it (``org``, ``name``: its row's cells)."""
    if redaction is None:
        contact, what = f.contact, f.message
    else:
        contact = redaction.name(name, f.row)
        what, org = generic_step(f.rule), scrub(org)
    word = SEVERITY_WORD[f.severity]
    return ActionRow(word, f.due, contact, org, what, f.rule, f.row, f.severity)
