"""A cohort: one summary line a student, the trackers that could not be read, who needs an
advisor's attention, and the pooled totals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from sheetsync.advisor.metrics import Metrics, ratio
from sheetsync.advisor.report import StudentReport
from sheetsync.advisor.values import CellOut, format_day


@dataclass(frozen=True)
class SourceFailure:
    """A cohort source that could not be read, and why."""

    student: str
    source: str
    error: str


@dataclass(frozen=True)
class CohortRow:
    """One student's line in the cohort table."""

    report: StudentReport
    attention: tuple[str, ...]


@dataclass(frozen=True)
class CohortReport:
    """A cohort: one row per student that worked, the sources that failed, and totals."""

    today: dt.date
    since: dt.date | None
    rows: tuple[CohortRow, ...]
    failures: tuple[SourceFailure, ...]
    quiet_days: int

    def total(self, label: str) -> int:
        """A funnel stage summed over the cohort."""
        return sum(r.report.metrics.stage(label) for r in self.rows)


def attention(metrics: Metrics, today: dt.date, quiet_days: int) -> tuple[str, ...]:
    """Why a student needs an advisor's attention (empty: on track)."""
    reasons: list[str] = []
    if metrics.overdue:
        reasons.append(f"{metrics.overdue} overdue action{'s' if metrics.overdue > 1 else ''}")
    last = metrics.last_outreach
    if last is None or (today - last).days > quiet_days:
        since = f"since {format_day(last)}" if last else "recorded"
        reasons.append(f"no new outreach {since}")
    return tuple(reasons)


def cohort_report(
    outcomes: Sequence[StudentReport | SourceFailure],
    today: dt.date,
    since: dt.date | None = None,
    quiet_days: int = 14,
) -> CohortReport:
    """Fold students' reports and failures into one cohort view."""
    rows = tuple(
        CohortRow(o, attention(o.metrics, today, quiet_days))
        for o in outcomes
        if isinstance(o, StudentReport)
    )
    failures = tuple(o for o in outcomes if isinstance(o, SourceFailure))
    return CohortReport(today, since, rows, failures, quiet_days)


def cohort_totals(report: CohortReport) -> dict[str, CellOut]:
    """Pooled figures: sums of counts, replies ÷ contacted, median over every dated reply."""
    rows = [r.report for r in report.rows]
    days = [d for r in rows for d in r.metrics.reply_days]
    return {
        "reply_rate": ratio(report.total("Replied"), report.total("Contacted")),
        "median_days_to_reply": float(pd.Series(days).median()) if days else None,
        "interviews_per_week": round(sum(r.metrics.interviews_per_week for r in rows), 2),
        "due_now": sum(r.metrics.due_now for r in rows),
        "overdue": sum(r.metrics.overdue for r in rows),
        "stale": sum(r.metrics.stale for r in rows),
        "attention": sum(1 for r in report.rows if r.attention) + len(report.failures),
    }
