"""Chasing a reply: Dalton's 3B7 rule, in business days.

Three business days without a reply: write to a second person at the same organisation.
Seven: follow up once with the first person. A reply, an interview on the calendar or a
recorded follow-up ends the chase; after the follow-up and seven more quiet business days,
move on. 7B supersedes 3B: a row shows only the latest stage of the same chase. A chase never
nags forever: once the outreach is ``give_up_after_days`` old (``[rules.move-on]``, 60 by
default), 3B and 7B fall silent and the row gets one move-on finding instead.
"""

from __future__ import annotations

import pandas as pd

from sheetsync.frame import Tracker
from sheetsync.models import Severity
from sheetsync.rules import Context, Example, Hits, rule
from sheetsync.rules.common import (
    at_org,
    busday_offset,
    business_days_after,
    dates,
    day_words,
    flagged,
    phrase,
    text,
    yes,
)


def _give_up_day(t: Tracker, ctx: Context) -> pd.Series:
    """The day a chase ends without a reply: the outreach plus ``give_up_after_days``."""
    days = int(ctx.setting("move-on", "give_up_after_days"))
    return dates(t, "outreach_date") + pd.Timedelta(days=days)


def _unanswered(t: Tracker) -> pd.Series:
    """No reply (in the sheet or the mailbox) and no interview."""
    return ~yes(t, "response") & dates(t, "interview_date").isna() & dates(t, "mail_reply").isna()


def _cold(t: Tracker, mask: pd.Series) -> pd.Series:
    """True on the flagged rows with no connection and no referrer: a cold outreach."""
    known = pd.Series(False, index=t.df.index)
    for name in ("connection", "referred_by"):
        known |= text(t, name).fillna("").str.strip().ne("").to_numpy()
    return ~known[mask.to_numpy(dtype=bool, na_value=False)]


def _there(t: Tracker, mask: pd.Series) -> pd.Series:
    org = at_org(t, mask)
    return org.where(org.to_numpy() != "", " at the same organisation")


def _waiting(t: Tracker, ctx: Context) -> pd.Series:
    """Rows whose first outreach has had no reply, no interview and no follow-up."""
    result: pd.Series = ctx.shared("chase:waiting", lambda: _compute_waiting(t, ctx))
    return result


def _compute_waiting(t: Tracker, ctx: Context) -> pd.Series:
    sent = dates(t, "outreach_date")
    return (
        sent.notna()
        & (sent <= ctx.now)
        & (ctx.now < _give_up_day(t, ctx))
        & ~yes(t, "response")
        & dates(t, "interview_date").isna()
        & dates(t, "follow_up_date").isna()
        & dates(t, "mail_reply").isna()  # a reply found in the mailbox ends the chase too
    )


@rule(
    "follow-up-3b",
    label="write to a 2nd person",
    needs=("outreach_date", "response"),
    examples=[
        Example(
            "4 business days, no reply",
            {"outreach_date": "2026-03-10"},
            expect="due",
            due="2026-03-13",
        ),
        Example("2 business days: too early", {"outreach_date": "2026-03-12"}),
        Example(
            "over a weekend: Fri → Wed",
            {"outreach_date": "2026-03-13"},
            today="2026-03-18",
            expect="due",
            due="2026-03-18",
        ),
        Example("they replied", {"outreach_date": "2026-03-10", "response": "yes"}),
        Example(
            "a reply date counts as a reply",
            {"outreach_date": "2026-03-10", "response": "2026-03-11"},
        ),
        Example("9 business days: 7B instead", {"outreach_date": "2026-03-03"}),
        Example(
            "their reply is in the mailbox (not yet in the sheet)",
            {"outreach_date": "2026-03-10", "email": "ann@lab.org"},
            mail=(("out", "2026-03-10"), ("in", "2026-03-12")),
        ),
        Example(
            "a message from them before the outreach is no reply",
            {"outreach_date": "2026-03-10", "email": "ann@lab.org"},
            expect="due",
            due="2026-03-13",
            mail=(("in", "2026-02-01"), ("out", "2026-03-10")),
        ),
        Example(
            "Thanksgiving is no business day (US)",
            {"outreach_date": "2026-11-24"},
            today="2026-11-27",
        ),
    ],
)
def follow_up_3b(
    t: Tracker, ctx: Context, *, business_days: int = 3, follow_up_after: int = 7
) -> Hits:
    """No reply after 3 business days: reach out to a second person at that organisation.

    Cancelled by a reply, an interview date or a recorded follow-up; superseded by
    follow-up-7b once that is due.
    """
    due = business_days_after(t, "outreach_date", business_days, ctx)
    later = business_days_after(t, "outreach_date", follow_up_after, ctx)
    mask = _waiting(t, ctx) & (ctx.now >= due) & (ctx.now < later)
    message = phrase(
        "No reply from {} after {} business days: write to a second person{}",
        flagged(t, mask),
        business_days,
        _there(t, mask),
    )
    return Hits.of(mask, message, severity=Severity.DUE, due=due)


@rule(
    "follow-up-7b",
    label="follow up once",
    needs=("outreach_date", "response"),
    examples=[
        Example(
            "9 business days, no reply",
            {"outreach_date": "2026-03-03"},
            expect="due",
            due="2026-03-12",
        ),
        Example(
            "long overdue (sent on Presidents' Day, a holiday)",
            {"outreach_date": "2026-02-16"},
            expect="overdue",
            due="2026-02-26",
        ),
        Example(
            "follow-up already sent",
            {"outreach_date": "2026-03-03", "follow_up_date": "2026-03-12"},
        ),
        Example("replied no", {"outreach_date": "2026-03-03", "response": "declined"}),
        Example(
            "they replied by e-mail (the sheet says nothing yet)",
            {"outreach_date": "2026-03-03", "email": "Ann Lee <ann@lab.org>"},
            mail=(("out", "2026-03-03"), ("in", "2026-03-13")),
        ),
        Example(
            "interview booked", {"outreach_date": "2026-03-03", "interview_date": "2026-03-20"}
        ),
        Example("eight months of silence: move-on says it once", {"outreach_date": "2025-07-10"}),
    ],
)
def follow_up_7b(
    t: Tracker, ctx: Context, *, business_days: int = 7, overdue_after: int = 3
) -> Hits:
    """No reply after 7 business days: send the person one short, polite follow-up.

    Cancelled by a reply (in the sheet, or found in the mailbox), an interview date or a
    recorded follow-up date.
    """
    due = business_days_after(t, "outreach_date", business_days, ctx)
    late = busday_offset(due, overdue_after, ctx)
    mask = _waiting(t, ctx) & (ctx.now >= due)
    severity = pd.Series(Severity.DUE.value, index=t.df.index).mask(
        ctx.now > late, Severity.OVERDUE.value
    )
    message = phrase(
        "No reply from {} in {} business days: send one short, polite follow-up",
        flagged(t, mask),
        business_days,
    )
    return Hits.of(mask, message, severity=severity, due=due)


@rule(
    "move-on",
    label="move on",
    needs=("outreach_date", "response"),
    examples=[
        Example(
            "quiet 8 business days after the follow-up",
            {"outreach_date": "2026-02-16", "follow_up_date": "2026-03-04", "connection": "Ana"},
            expect="info",
            due="2026-03-13",
        ),
        Example(
            "follow-up 3 days ago", {"outreach_date": "2026-03-02", "follow_up_date": "2026-03-13"}
        ),
        Example(
            "they answered the follow-up",
            {
                "outreach_date": "2026-02-16",
                "follow_up_date": "2026-03-04",
                "response": "2026-03-05",
            },
        ),
        Example(
            "a cold e-mail eight months old, never followed up",
            {"outreach_date": "2025-07-10"},
            expect="info",
            due="2025-09-08",
        ),
        Example("59 days of silence: still 7B's", {"outreach_date": "2026-01-16"}),
        Example(
            "a shorter give-up age from the config",
            {"outreach_date": "2026-02-06"},
            expect="info",
            due="2026-03-08",
            params={"give_up_after_days": 30},
        ),
        Example(
            "an old outreach that led to an interview",
            {"outreach_date": "2025-07-10", "interview_date": "2025-07-20"},
        ),
    ],
)
def move_on(
    t: Tracker, ctx: Context, *, business_days: int = 7, give_up_after_days: int = 60
) -> Hits:
    """No reply 7 business days after the follow-up, or ``give_up_after_days`` after the
    outreach: let it rest. A cold outreach is better tried again through an introduction.

    Replaces follow-up-3b and follow-up-7b once the outreach is that old, so an unanswered
    e-mail gives one finding, not reminders forever.
    """
    followed = dates(t, "follow_up_date")
    after_follow_up = busday_offset(followed, business_days, ctx)
    give_up = dates(t, "outreach_date") + pd.Timedelta(days=give_up_after_days)
    due = after_follow_up.where(followed.notna(), give_up)
    due = due.where(~(followed.notna() & (give_up < after_follow_up)), give_up)
    mask = (followed.notna() | give_up.notna()) & _unanswered(t) & (ctx.now >= due)
    return Hits.of(mask, _move_on_message(t, ctx, mask), severity=Severity.INFO, due=due)


def _move_on_message(t: Tracker, ctx: Context, mask: pd.Series) -> pd.Series:
    """Try another person there; for a cold outreach, ask someone who knows them."""
    since = day_words(dates(t, "outreach_date")[mask.to_numpy(dtype=bool, na_value=False)], ctx)
    warm = phrase(
        "No reply from {} since {}: let it rest and try another person{}",
        flagged(t, mask),
        since,
        at_org(t, mask),
    )
    cold = phrase(
        "No reply from {} since {}: let it rest, and ask someone who knows them for an "
        "introduction",
        flagged(t, mask),
        since,
    )
    return warm.where(~_cold(t, mask).to_numpy(), cold)
