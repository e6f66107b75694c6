"""The figures of one student's export: small pure functions over the typed frame
(:mod:`sheetsync.frame`) and the findings, one a figure.

:data:`DEFINITIONS` says in words how each figure is computed; the About tab prints exactly
those words, so a change here is a change there.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from sheetsync.advisor.values import format_day
from sheetsync.frame import INTERACTIONS, column
from sheetsync.models import Finding, Severity
from sheetsync.rules import RULES

DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "Period",
        "From --since (or, without it, the earliest date anywhere in the tracker) to the "
        "as-of date. With --since, people first contacted before it are left out of every tab.",
    ),
    (
        "People listed",
        "Every row of the contacts tab that names a person. Blank rows, section headings "
        "(e.g. 'Peers List') and template example rows are not counted.",
    ),
    (
        "Contacted",
        "Listed people with a first-contact date, a follow-up date, or a reply recorded.",
    ),
    (
        "Replied",
        "Contacted people whose reply cell holds a date or a yes-word (yes, Y, replied, "
        "declined, …), or who have an interview date. A polite 'no' is a reply.",
    ),
    ("Interviewed", "People whose interview date is on or before the as-of date."),
    ("Thanked", "Interviewed people whose thank-you cell holds a date or a yes-word."),
    (
        "Referrals gained",
        "Contacted people whose Referrals cell names someone (blank, 'none', 'n/a', '-' "
        "do not count): how many people passed the student on.",
    ),
    ("Reply rate", "Replied ÷ contacted."),
    (
        "Median days to reply",
        "Median of calendar days from first contact to the reply date, over people with both "
        "dates (a reply dated before the first contact is a data error and is skipped).",
    ),
    (
        "Interviews per week",
        "Interviews held in the period ÷ the period's length in weeks (at least one week).",
    ),
    ("Interviews scheduled", "Interview dates after the as-of date."),
    (
        "Actions due now",
        "Open findings rated overdue or due today by `sheetsync check`, grouped by kind; "
        "'overdue' counts those already past their deadline.",
    ),
    (
        "People gone stale",
        "People spoken with who have been quiet longer than their 'keep in touch' cadence "
        "(default 90 days): the stale-contact check.",
    ),
    ("Data problems", "Findings about the tracker's data: unreadable dates, duplicates, …"),
    (
        "Needs attention (cohort)",
        "A student with an overdue action, or no new first contact within the last "
        "[export] quiet_days (default 14) days, or whose tracker could not be read.",
    ),
)
NONE_WORDS = frozenset(["", "none", "no", "n/a", "na", "-", "—", "–", "nobody", "0", "nil"])
DUE_NOW = (Severity.OVERDUE, Severity.DUE)


def _dates(df: pd.DataFrame, name: str) -> pd.Series:
    return column(df, name, "datetime64[ns]")


def _yes(df: pd.DataFrame, name: str) -> pd.Series:
    return column(df, name, "boolean").fillna(False).astype(bool)


def is_replied(df: pd.DataFrame) -> pd.Series:
    """A reply date or yes-word, or an interview date (nobody books one without a reply)."""
    return _yes(df, "response") | _dates(df, "interview_date").notna()


def is_contacted(df: pd.DataFrame) -> pd.Series:
    """A first-contact date, a follow-up date, or a reply."""
    return _sent(df) | is_replied(df)


def _sent(df: pd.DataFrame) -> pd.Series:
    return _dates(df, "outreach_date").notna() | _dates(df, "follow_up_date").notna()


def is_interviewed(df: pd.DataFrame, today: dt.date) -> pd.Series:
    """An interview dated on or before ``today``."""
    return _dates(df, "interview_date") <= pd.Timestamp(today)


def is_thanked(df: pd.DataFrame, today: dt.date) -> pd.Series:
    """Interviewed, and the thank-you cell says yes (or holds a date)."""
    return is_interviewed(df, today) & _yes(df, "thank_you")


def gave_referrals(df: pd.DataFrame) -> pd.Series:
    """Contacted, and the Referrals cell names someone."""
    return is_contacted(df) & _names_someone(df)


def _names_someone(df: pd.DataFrame) -> pd.Series:
    text = column(df, "referrals", "string").fillna("").str.strip().str.lower()
    return ~text.isin(NONE_WORDS)


@dataclass(frozen=True)
class Stage:
    """One step of the funnel."""

    label: str
    count: int


def funnel(df: pd.DataFrame, today: dt.date) -> tuple[Stage, ...]:
    """People listed → contacted → replied → interviewed → thanked → referrals gained.

    The same as counting :func:`is_contacted`, :func:`is_replied`, … one by one, with each
    mask computed once.
    """
    replied = is_replied(df)
    contacted = _sent(df) | replied
    interviewed = is_interviewed(df, today)
    return (
        Stage("People listed", len(df)),
        Stage("Contacted", int(contacted.sum())),
        Stage("Replied", int(replied.sum())),
        Stage("Interviewed", int(interviewed.sum())),
        Stage("Thanked", int((interviewed & _yes(df, "thank_you")).sum())),
        Stage("Referrals gained", int((contacted & _names_someone(df)).sum())),
    )


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide by."""
    return part / whole if whole else None


def reply_days(df: pd.DataFrame) -> pd.Series:
    """Calendar days from first contact to reply, where both are dated and in order."""
    days = (_dates(df, "response_date") - _dates(df, "outreach_date")).dt.days
    return days[days.notna() & (days >= 0)].astype(int)


def median_days_to_reply(df: pd.DataFrame) -> float | None:
    """Median of :func:`reply_days`, or None without any dated reply."""
    days = reply_days(df)
    return float(days.median()) if len(days) else None


def first_interaction(df: pd.DataFrame) -> pd.Series:
    """The earliest dated interaction of each row (NaT when the row has no dates)."""
    cols = [c for c in INTERACTIONS if c in df]
    if not cols:
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    return df[cols].min(axis=1).astype("datetime64[ns]")


def since_filter(df: pd.DataFrame, since: dt.date | None) -> pd.Series:
    """Rows in the period: first interaction on/after ``since``, or none yet (just listed)."""
    if since is None:
        return pd.Series(True, index=df.index)
    first = first_interaction(df)
    return first.isna() | (first >= pd.Timestamp(since))


@dataclass(frozen=True)
class Period:
    """The days the export covers, both ends included (``start`` None: no dates at all)."""

    start: dt.date | None
    end: dt.date

    @property
    def weeks(self) -> float:
        """Length in weeks, at least one."""
        if self.start is None:
            return 1.0
        return max(1.0, ((self.end - self.start).days + 1) / 7)

    def label(self) -> str:
        """'28 Oct 2025 – 16 Mar 2026 (20 weeks)'."""
        if self.start is None:
            return f"up to {format_day(self.end)} (no dates recorded yet)"
        return f"{format_day(self.start)} – {format_day(self.end)} ({self.weeks:.0f} weeks)"


def period_of(df: pd.DataFrame, today: dt.date, since: dt.date | None) -> Period:
    """``since`` (or the earliest interaction) to ``today``."""
    if since is not None:
        return Period(since, today)
    earliest = first_interaction(df).min()
    start = None if pd.isna(earliest) else pd.Timestamp(earliest).date()
    return Period(min(start, today) if start else None, today)


def interviews_held(df: pd.DataFrame, period: Period) -> pd.Series:
    """Interview dates within the period."""
    when = _dates(df, "interview_date")
    held = when <= pd.Timestamp(period.end)
    if period.start is not None:
        held &= when >= pd.Timestamp(period.start)
    return when[held]


def interviews_per_week(df: pd.DataFrame, period: Period) -> float:
    """Interviews held in the period ÷ its length in weeks."""
    return len(interviews_held(df, period)) / period.weeks


def interviews_scheduled(df: pd.DataFrame, today: dt.date) -> int:
    """Interviews dated after ``today``."""
    return int((_dates(df, "interview_date") > pd.Timestamp(today)).sum())


MAX_WEEKS = 26  # a longer period is charted by month, so the chart stays readable


def timeline_unit(period: Period) -> str:
    """'week' for periods up to 26 weeks, else 'month'."""
    return "week" if period.weeks <= MAX_WEEKS else "month"


def bucket_start(day: dt.date, unit: str) -> dt.date:
    """The Monday of ``day``'s week, or the first of its month."""
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_bucket(start: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return start + dt.timedelta(weeks=1)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def interviews_over_time(df: pd.DataFrame, period: Period) -> list[tuple[dt.date, int]]:
    """(start of each week or month in the period, interviews held in it), oldest first."""
    if period.start is None:
        return []
    unit = timeline_unit(period)
    counts = Counter(bucket_start(d.date(), unit) for d in interviews_held(df, period))
    out: list[tuple[dt.date, int]] = []
    start = bucket_start(period.start, unit)
    while start <= period.end:
        out.append((start, counts.get(start, 0)))
        start = _next_bucket(start, unit)
    return out


@dataclass(frozen=True)
class KindCount:
    """Actions due now of one kind (rule)."""

    rule: str
    label: str
    due_now: int
    overdue: int


def actions_by_kind(findings: Iterable[Finding]) -> tuple[KindCount, ...]:
    """Findings rated overdue or due, counted per rule, most frequent first."""
    now = [f for f in findings if f.severity in DUE_NOW]
    totals = Counter(f.rule for f in now)
    late = Counter(f.rule for f in now if f.severity is Severity.OVERDUE)
    ranked = sorted(totals, key=lambda r: (-totals[r], r))
    return tuple(KindCount(r, rule_label(r), totals[r], late[r]) for r in ranked)


def stale_people(findings: Iterable[Finding]) -> int:
    """Distinct rows the stale-contact check flags."""
    return len({f.row for f in findings if f.rule == "stale-contact"})


def data_problems(findings: Iterable[Finding]) -> int:
    """Findings about the tracker's data."""
    return sum(1 for f in findings if f.severity is Severity.DATA)


def last_outreach(df: pd.DataFrame) -> dt.date | None:
    """The latest first-contact date."""
    latest = _dates(df, "outreach_date").max()
    return None if pd.isna(latest) else pd.Timestamp(latest).date()


def rule_label(rule_id: str) -> str:
    """The words a rule goes by (its status-column label), or its id when not registered."""
    rule = RULES.get(rule_id)
    return rule.label if rule else rule_id


@dataclass(frozen=True)
class Metrics:
    """Every figure of one student's Summary tab."""

    period: Period
    funnel: tuple[Stage, ...]
    reply_rate: float | None
    median_days_to_reply: float | None
    reply_days: tuple[int, ...]
    interviews_per_week: float
    interviews_scheduled: int
    timeline: tuple[tuple[dt.date, int], ...]
    timeline_unit: str
    actions: tuple[KindCount, ...]
    stale: int
    data_problems: int
    last_outreach: dt.date | None

    def stage(self, label: str) -> int:
        """The count of the funnel stage called ``label``."""
        return next(s.count for s in self.funnel if s.label == label)

    @property
    def due_now(self) -> int:
        """Actions due now, all kinds."""
        return sum(k.due_now for k in self.actions)

    @property
    def overdue(self) -> int:
        """Actions past their deadline, all kinds."""
        return sum(k.overdue for k in self.actions)


def compute_metrics(
    df: pd.DataFrame, findings: Sequence[Finding], today: dt.date, since: dt.date | None
) -> Metrics:
    """All figures for the rows and findings of one (already period-filtered) tracker."""
    period = period_of(df, today, since)
    stages = funnel(df, today)
    days = reply_days(df)
    return Metrics(
        period=period,
        funnel=stages,
        reply_rate=ratio(stages[2].count, stages[1].count),
        median_days_to_reply=float(days.median()) if len(days) else None,  # median_days_to_reply
        reply_days=tuple(int(d) for d in days),
        interviews_per_week=interviews_per_week(df, period),
        interviews_scheduled=interviews_scheduled(df, today),
        timeline=tuple(interviews_over_time(df, period)),
        timeline_unit=timeline_unit(period),
        actions=actions_by_kind(findings),
        stale=stale_people(findings),
        data_problems=data_problems(findings),
        last_outreach=last_outreach(df),
    )
