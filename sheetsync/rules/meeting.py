"""Before an interview: prepare, confirm the details the day before, know where it is."""

from __future__ import annotations

import pandas as pd

from sheetsync.frame import Tracker
from sheetsync.models import Severity
from sheetsync.rules import Context, Example, Hits, rule
from sheetsync.rules.common import at_org, busday_offset, dates, day_words, flagged, phrase, text


@rule(
    "prep-needed",
    label="prepare for interview",
    needs=("interview_date",),
    examples=[
        Example(
            "interview in 2 days", {"interview_date": "2026-03-18"}, expect="soon", due="2026-03-18"
        ),
        Example(
            "interview tomorrow", {"interview_date": "2026-03-17"}, expect="due", due="2026-03-17"
        ),
        Example("interview today", {"interview_date": "2026-03-16"}, expect="due"),
        Example("interview in 5 days", {"interview_date": "2026-03-21"}),
        Example("interview yesterday", {"interview_date": "2026-03-15"}),
    ],
)
def prep_needed(t: Tracker, ctx: Context, *, window_days: int = 3) -> Hits:
    """An interview in the next few days: research, a tailored intro, prioritised questions."""
    when = dates(t, "interview_date")
    ahead = (when - ctx.now).dt.days
    mask = (ahead >= 0) & (ahead <= window_days)
    severity = pd.Series(Severity.SOON.value, index=t.df.index).mask(ahead <= 1, Severity.DUE.value)
    message = phrase(
        "Interview with {} {}: prepare — research them{}, your intro, your questions",
        flagged(t, mask),
        _on(when[mask], ctx),
        at_org(t, mask),
    )
    return Hits.of(mask, message, severity=severity, due=when)


def _on(when: pd.Series, ctx: Context) -> pd.Series:
    words = day_words(when, ctx)
    near = words.isin(["today", "tomorrow", "yesterday"]).to_numpy()
    return words.where(near, phrase("on {}", words))


@rule(
    "confirm-meeting",
    label="confirm meeting",
    needs=("interview_date",),
    examples=[
        Example(
            "interview tomorrow", {"interview_date": "2026-03-17"}, expect="due", due="2026-03-16"
        ),
        Example(
            "Monday's interview: confirm on Friday",
            {"interview_date": "2026-03-23"},
            today="2026-03-20",
            expect="due",
            due="2026-03-20",
        ),
        Example("interview in 3 days", {"interview_date": "2026-03-19"}),
        Example("interview today: too late to confirm", {"interview_date": "2026-03-16"}),
    ],
)
def confirm_meeting(t: Tracker, ctx: Context, *, business_days_before: int = 1) -> Hits:
    """The business day before an interview: confirm time, place or platform, and time zone."""
    when = dates(t, "interview_date")
    confirm_on = busday_offset(when, -business_days_before, ctx, roll="backward")
    mask = (confirm_on <= ctx.now) & (when > ctx.now)
    message = phrase(
        "Confirm the meeting {} with {}: time, time zone and {}",
        _on(when[mask], ctx),
        flagged(t, mask),
        flagged(t, mask, "platform").fillna("place or platform"),
    )
    return Hits.of(mask, message, severity=Severity.DUE, due=confirm_on)


@rule(
    "details-missing",
    label="add place/platform",
    needs=("interview_date", "platform"),
    examples=[
        Example(
            "no platform for next week",
            {"interview_date": "2026-03-20"},
            expect="due",
            due="2026-03-19",
        ),
        Example("platform given", {"interview_date": "2026-03-20", "platform": "Zoom"}),
        Example("past interview", {"interview_date": "2026-03-10"}),
    ],
)
def details_missing(t: Tracker, ctx: Context, *, window_days: int = 14) -> Hits:
    """An upcoming interview with no place or platform recorded."""
    when = dates(t, "interview_date")
    ahead = (when - ctx.now).dt.days
    mask = (ahead >= 0) & (ahead <= window_days) & text(t, "platform").isna()
    message = phrase(
        "No place or platform recorded for the interview with {} {}: add it, with the time zone",
        flagged(t, mask),
        _on(when[mask], ctx),
    )
    return Hits.of(mask, message, severity=Severity.DUE, due=when - pd.Timedelta(days=1))
