"""Staying in touch: a relationship left quiet longer than its cadence goes stale."""

from __future__ import annotations

import pandas as pd

from sheetsync.frame import Tracker
from sheetsync.models import Severity
from sheetsync.rules import Context, Example, Hits, rule
from sheetsync.rules.common import dates, days_ago, flagged, phrase, yes


@rule(
    "stale-contact",
    label="keep in touch",
    needs=("last_contact",),
    examples=[
        Example(
            "spoke 120 days ago",
            {"interview_date": "2025-11-16", "thank_you": "yes"},
            expect="due",
            due="2026-02-14",
        ),
        Example("spoke 30 days ago", {"interview_date": "2026-02-14", "thank_you": "yes"}),
        Example(
            "own cadence of 2 weeks",
            {"last_contact": "2026-02-20", "response": "yes", "cadence": "2 weeks"},
            expect="due",
            due="2026-03-06",
        ),
        Example(
            "next contact planned later",
            {"last_contact": "2025-10-01", "response": "y", "next_contact": "2026-04-01"},
        ),
        Example("never replied: chase rules cover it", {"outreach_date": "2025-10-01"}),
        Example(
            "a recent e-mail exchange counts as being in touch",
            {"interview_date": "2025-11-16", "thank_you": "yes", "email": "cy@uni.edu"},
            mail=(("out", "2026-03-01"), ("in", "2026-03-02")),
        ),
        Example(
            "the last e-mail was long ago too",
            {"interview_date": "2025-10-01", "thank_you": "yes", "email": "cy@uni.edu"},
            expect="due",
            due="2026-02-05",
            mail=(("in", "2025-11-07"),),
        ),
    ],
)
def stale_contact(t: Tracker, ctx: Context, *, days: int = 90) -> Hits:
    """Someone you have spoken with, quiet for longer than the row's cadence (default 90 days).

    A "Keep in touch every" cell on the row wins over the default; a "Next contact" date, when
    set, is the due date instead. With a mailbox configured, the latest message to or from
    them counts as being in touch.
    """
    last = dates(t, "last_contact")
    mailed = dates(t, "mail_latest")  # the latest message either way, when a mailbox is read
    last = last.where(~(mailed > last), mailed).fillna(mailed)
    cadence = (
        t.df["cadence_days"]
        if "cadence_days" in t.df
        else pd.Series(float("nan"), index=t.df.index)
    )
    due = last + pd.to_timedelta(cadence.fillna(days), unit="D")
    planned = dates(t, "next_contact")
    due = planned.fillna(due)
    talked = yes(t, "response") | (dates(t, "interview_date") <= ctx.now)
    talked |= ~_derived(t) & last.notna()
    talked |= dates(t, "mail_last_in").notna()
    upcoming = dates(t, "interview_date") > ctx.now
    mask = talked & ~upcoming & due.notna() & (ctx.now >= due)
    message = phrase(
        "Last in touch with {} {} days ago: "
        "send a short update, an article or a thank-you for their advice",
        flagged(t, mask),
        days_ago(last[mask], ctx).astype("Int64").astype(object),
    )
    return Hits.of(mask, message, severity=Severity.DUE, due=due)


def _derived(t: Tracker) -> pd.Series:
    flag = t.df.get("last_contact_derived")
    return flag.astype(bool) if flag is not None else pd.Series(True, index=t.df.index)
