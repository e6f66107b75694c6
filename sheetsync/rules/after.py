"""After an interview: thank them, record referrals, keep your promises."""

from __future__ import annotations

import re

import pandas as pd

from sheetsync.frame import Tracker
from sheetsync.models import Severity
from sheetsync.rules import Context, Example, Hits, rule
from sheetsync.rules.common import dates, day_words, flagged, phrase, text, yes

# The one wording for marking a promise kept, everywhere sheetsync says it.
MARK_DONE = "write 'done: ' at the start of its cell"
DONE = re.compile(r"^\s*(done|sent|✓|✔|☑|\[x\]|x\b|completed)", re.I)


@rule(
    "thank-you-missing",
    label="thank-you note",
    needs=("interview_date", "thank_you"),
    examples=[
        Example(
            "interview yesterday", {"interview_date": "2026-03-15"}, expect="due", due="2026-03-16"
        ),
        Example(
            "interview 5 days ago",
            {"interview_date": "2026-03-11"},
            expect="overdue",
            due="2026-03-12",
        ),
        Example("thanked (Y)", {"interview_date": "2026-03-11", "thank_you": "Y"}),
        Example("thanked (a date)", {"interview_date": "2026-03-11", "thank_you": "3/12/2026"}),
        Example(
            "'no' means not yet",
            {"interview_date": "2026-03-13", "thank_you": "no"},
            expect="due",
            due="2026-03-14",
        ),
        Example("interview today", {"interview_date": "2026-03-16"}),
        Example("interview long ago", {"interview_date": "2025-10-01"}),
        Example(
            "you wrote to them the day after (mailbox)",
            {"interview_date": "2026-03-11", "email": "bo@corp.com"},
            mail=(("out", "2026-03-12"),),
        ),
        Example(
            "a message a week later is not the thank-you",
            {"interview_date": "2026-03-05", "email": "bo@corp.com"},
            expect="overdue",
            due="2026-03-06",
            mail=(("out", "2026-03-12"),),
        ),
        Example(
            "mail not counted when mail_window_days = 0",
            {"interview_date": "2026-03-11", "email": "bo@corp.com"},
            expect="overdue",
            due="2026-03-12",
            mail=(("out", "2026-03-12"),),
            params={"mail_window_days": 0},
        ),
    ],
)
def thank_you_missing(
    t: Tracker,
    ctx: Context,
    *,
    due_days: int = 1,
    overdue_days: int = 3,
    max_age_days: int = 60,
    mail_window_days: int = 3,
) -> Hits:
    """An interview took place and no thank-you is recorded (due the next day).

    Overdue after a few days; interviews older than ``max_age_days`` are left alone. With a
    mailbox configured, a message to them within ``mail_window_days`` of the interview counts
    as the thank-you (0: only the sheet counts).
    """
    when = dates(t, "interview_date")
    age = (ctx.now - when).dt.days
    mask = (age >= 1) & (age <= max_age_days) & ~yes(t, "thank_you")
    if mail_window_days > 0:
        after = (dates(t, "mail_thanks") - when).dt.days
        mask &= ~((after >= 0) & (after <= mail_window_days)).fillna(False).astype(bool)
    severity = pd.Series(Severity.DUE.value, index=t.df.index).mask(
        age > overdue_days, Severity.OVERDUE.value
    )
    words = day_words(when[mask], ctx)
    message = phrase(
        "Send {} a personal thank-you for the conversation {}",
        flagged(t, mask),
        words.where((age[mask] <= 1).to_numpy(), phrase("on {}", words)),
    )
    return Hits.of(mask, message, severity=severity, due=when + pd.Timedelta(days=due_days))


@rule(
    "ask-referrals",
    label="record referrals",
    needs=("interview_date", "referrals"),
    examples=[
        Example(
            "interview last week, no referrals", {"interview_date": "2026-03-10"}, expect="info"
        ),
        Example("referrals recorded", {"interview_date": "2026-03-10", "referrals": "Bo Li"}),
        Example("'none' is an answer", {"interview_date": "2026-03-10", "referrals": "none"}),
        Example("interview to come", {"interview_date": "2026-03-20"}),
    ],
)
def ask_referrals(t: Tracker, ctx: Context, *, within_days: int = 30) -> Hits:
    """A recent interview with no referrals recorded: note whom they suggested (or 'none')."""
    age = (ctx.now - dates(t, "interview_date")).dt.days
    mask = (age >= 1) & (age <= within_days) & text(t, "referrals").isna()
    message = phrase(
        "Write down whom {} suggested you talk to next (or 'none'); ask them if you did not",
        flagged(t, mask),
    )
    return Hits.of(mask, message, severity=Severity.INFO)


@rule(
    "promise-open",
    label="keep a promise",
    needs=("promises",),
    examples=[
        Example(
            "an article to send", {"promises": "Send her my paper on CRISPR screens"}, expect="due"
        ),
        Example("marked done", {"promises": "done: sent the paper"}),
        Example("nothing promised", {"promises": None}),
    ],
)
def promise_open(t: Tracker, ctx: Context) -> Hits:
    """Something you promised them is not marked done (once it is, write 'done: ' at the start
    of its cell)."""
    promised = text(t, "promises")
    written = promised.dropna()
    done = written.str.match(DONE.pattern, case=False).astype(bool)
    mask = pd.Series(False, index=t.df.index)
    mask[written.index[~done]] = True
    who = flagged(t, mask)
    message = phrase("You promised {}: {} — once it is done, " + MARK_DONE, who, promised[mask])
    return Hits.of(mask, message, severity=Severity.DUE)


@rule(
    "outreach-draft",
    label="revise your draft",
    needs=("draft",),
    opt_in=True,
    examples=[
        Example(
            "asks for a job, no question",
            {
                "draft": "Hi Ann, I am a PhD student. Are there any job openings at your company.",
                "connection": "Dr. Lee",
            },
            expect="info",
        ),
        Example(
            "short, connected, a question",
            {
                "draft": "Dr. Lee suggested I write. I study protein design and would love to hear "
                "how you moved into biotech. Could we talk for 20 minutes next week?",
                "connection": "Dr. Lee",
            },
        ),
    ],
)
def outreach_draft(t: Tracker, ctx: Context) -> Hits:
    """A draft email in your "Draft email" column that departs from the advice: 100 words or
    more, no question, a job ask, no connection named, or a meeting longer than 30 minutes."""
    from sheetsync.drafts import lint

    drafts = text(t, "draft")
    connection = text(t, "connection").fillna("")
    referred = text(t, "referred_by").fillna("")
    messages = pd.Series(pd.NA, index=t.df.index, dtype="string")
    for row in drafts.index[drafts.notna()]:
        issues = lint(
            str(drafts[row]),
            connection=str(connection[row]),
            referred_by=str(referred[row]),
        )
        if issues:
            messages[row] = "Draft email: " + "; ".join(i.message for i in issues)
    return Hits.of(messages.notna(), messages, severity=Severity.INFO)
