"""What the mailbox shows and the sheet does not say yet: fill in the cell.

These rules run only when a mailbox is configured ([mail]); they never write the cell
themselves — the sheet stays the student's — they name it.
"""

from __future__ import annotations

from sheetsync.frame import Tracker
from sheetsync.models import Severity
from sheetsync.rules import Context, Example, Hits, rule
from sheetsync.rules.common import cell_of, dates, day_words, flagged, phrase, yes


@rule(
    "record-reply",
    label="record their reply",
    needs=("response",),
    opt_in=True,
    examples=[
        Example(
            "their reply is in the mailbox, the Response cell is empty",
            {"outreach_date": "2026-03-03", "email": "ann@lab.org"},
            expect="data",
            mail=(("out", "2026-03-03"), ("in", "2026-03-05")),
        ),
        Example(
            "already recorded",
            {"outreach_date": "2026-03-03", "email": "ann@lab.org", "response": "yes"},
            mail=(("out", "2026-03-03"), ("in", "2026-03-05")),
        ),
        Example(
            "an old message from before the outreach is no reply",
            {"outreach_date": "2026-03-03", "email": "ann@lab.org"},
            mail=(("in", "2025-12-24"),),
        ),
    ],
)
def record_reply(t: Tracker, ctx: Context) -> Hits:
    """The mailbox holds their reply and the Response cell does not say so: record it."""
    reply = dates(t, "mail_reply")
    mask = reply.notna() & ~yes(t, "response")
    message = phrase(
        "{} replied by e-mail on {}: record it in {}",
        flagged(t, mask),
        day_words(reply[mask.to_numpy()], ctx),
        cell_of(t, "response", mask),
    )
    return Hits.of(mask, message, severity=Severity.DATA)


@rule(
    "record-outreach",
    label="record your first e-mail",
    needs=("outreach_date",),
    opt_in=True,
    examples=[
        Example(
            "you wrote, the date contacted is empty",
            {"email": "bo@corp.com", "outreach_date": None},
            expect="data",
            mail=(("out", "2026-03-02"),),
        ),
        Example(
            "date contacted filled in",
            {"email": "bo@corp.com", "outreach_date": "2026-03-02"},
            mail=(("out", "2026-03-02"),),
        ),
        Example("no mail to them", {"email": "bo@corp.com", "outreach_date": None}),
        Example(
            "your first e-mail came after the interview: not the outreach",
            {"email": "bo@corp.com", "outreach_date": None, "interview_date": "2026-03-11"},
            mail=(("out", "2026-03-12"),),
        ),
    ],
)
def record_outreach(t: Tracker, ctx: Context) -> Hits:
    """You wrote to them (the mailbox says when) and the outreach date is empty: add it.

    A first e-mail after the interview is not the outreach (that happened some other way).
    """
    first = dates(t, "mail_first_out")
    mask = first.notna() & dates(t, "outreach_date").isna()
    mask &= ~(first > dates(t, "interview_date"))
    message = phrase(
        "You wrote to {} on {}: add it to {}",
        flagged(t, mask),
        day_words(first[mask.to_numpy()], ctx),
        cell_of(t, "outreach_date", mask),
    )
    return Hits.of(mask, message, severity=Severity.DATA)
