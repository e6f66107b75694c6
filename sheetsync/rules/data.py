"""Problems with the tracker's own data: unreadable dates, errors, duplicates, odd orders."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetsync.fields import BY_ID, Kind
from sheetsync.frame import CellProblem, Tracker
from sheetsync.grid import CellError
from sheetsync.models import Severity
from sheetsync.rules import Context, Example, Hits, rule
from sheetsync.rules.common import dates, flagged, phrase, text


def _problem_hits(problems: list[CellProblem], index: pd.Index) -> Hits:
    """One finding per row with problems, naming each cell (problems are few per row)."""
    by_row: dict[int, list[str]] = {}
    for p in problems:
        by_row.setdefault(p.row, []).append(
            f"{p.ref} ('{p.header}') holds '{p.value}', which {p.hint}"
        )
    message = pd.Series(["; ".join(m) for m in by_row.values()], index=list(by_row), dtype=object)
    mask = pd.Series(index.isin(message.index), index=index)
    return Hits.of(mask, message, severity=Severity.DATA)


def _is_date_field(field_id: str) -> bool:
    return BY_ID[field_id].kind in (Kind.DATE, Kind.DATE_OR_FLAG)


@rule(
    "bad-date",
    label="fix a date",
    examples=[
        Example("31 February", {"outreach_date": "31/02/2026"}, expect="data"),
        Example("placeholder", {"interview_date": "TBD"}, expect="data"),
        Example("no year", {"interview_date": "Mar 20"}, expect="data"),
        Example("day-first date read month first", {"outreach_date": "25/02/2026"}, expect="data"),
        Example("a fine date", {"outreach_date": "Mar 10, 2026"}),
    ],
)
def bad_date(t: Tracker, ctx: Context) -> Hits:
    """A date cell sheetsync cannot read: impossible, placeholder, no year, or wrong order.

    The cell is left as typed; the message names it and says how to write it.
    """
    wanted = [p for p in t.problems if _is_date_field(p.field) and p.outcome != "error"]
    return _problem_hits(wanted, t.df.index)


@rule(
    "bad-value",
    label="fix a cell",
    examples=[
        Example("formula error", {"email": CellError("#REF!")}, expect="data"),
        Example("cadence nobody can read", {"cadence": "whenever"}, expect="data"),
        Example("cadence in weeks", {"cadence": "6 weeks"}),
    ],
)
def bad_value(t: Tracker, ctx: Context) -> Hits:
    """A cell showing a formula error (#REF!, #N/A, …) or a cadence that is not a duration."""
    wanted = [p for p in t.problems if p.outcome in ("error", "cadence")]
    return _problem_hits(wanted, t.df.index)


@rule(
    "duplicate-contact",
    label="duplicate row",
    needs_any=("email", "name"),
    examples=[
        Example(
            "same email, other case",
            {"name": "Ann Lee", "email": "Ann@Lab.org"},
            expect="data",
            extra_rows=({"name": "Ann Lee", "email": "ann@lab.org"},),
        ),
        Example(
            "same name and organisation",
            {"name": "Bo Chen", "organization": "Acme"},
            expect="data",
            extra_rows=({"name": "bo  chen", "organization": "ACME"},),
        ),
        Example(
            "same name, other organisation",
            {"name": "Bo Chen", "organization": "Acme"},
            extra_rows=({"name": "Bo Chen", "organization": "Initech"},),
        ),
    ],
)
def duplicate_contact(t: Tracker, ctx: Context) -> Hits:
    """The same person twice: same email, or (without email) same name and organisation."""
    keys = t.df["key"]
    mask = keys.notna() & keys.duplicated(keep="first")
    firsts = keys[keys.notna() & ~mask]
    dupes = keys[mask].to_numpy(dtype=object)
    row_of_first = pd.Series(firsts.index.to_numpy(), index=firsts.to_numpy(dtype=object))
    first = row_of_first.reindex(dupes).to_numpy()
    how = np.where([("@" in k) for k in dupes], "same email", "same name and organisation")
    words = [
        f"Same person as row {r} ({h}): merge the two rows" for r, h in zip(first, how, strict=True)
    ]
    message = pd.Series(words, index=keys.index[mask], dtype=object)
    return Hits.of(mask, message, severity=Severity.DATA)


@rule(
    "no-contact-info",
    label="add email/LinkedIn",
    needs=("outreach_date",),
    needs_any=("email", "linkedin"),
    examples=[
        Example("not yet contacted, no way to reach", {"name": "Ann Lee"}, expect="info"),
        Example("has an email", {"name": "Ann Lee", "email": "ann@lab.org"}),
        Example("already contacted", {"name": "Ann Lee", "outreach_date": "2026-03-01"}),
    ],
)
def no_contact_info(t: Tracker, ctx: Context) -> Hits:
    """Someone not yet contacted with neither an email nor a LinkedIn profile on the row."""
    reachable = text(t, "email").notna() | text(t, "linkedin").notna()
    mask = ~reachable & dates(t, "outreach_date").isna()
    message = phrase("No email or LinkedIn for {}: find a way to reach them", flagged(t, mask))
    return Hits.of(mask, message, severity=Severity.INFO)


_ORDER = (
    ("response_date", "outreach_date", "the reply", "the first outreach"),
    ("follow_up_date", "outreach_date", "the follow-up", "the first outreach"),
    ("thank_you_date", "interview_date", "the thank-you", "the interview"),
)


@rule(
    "date-order",
    label="check dates",
    needs=("outreach_date",),
    examples=[
        Example(
            "reply before outreach",
            {"outreach_date": "2026-03-10", "response": "2026-03-01"},
            expect="data",
        ),
        Example(
            "thanked before the interview",
            {
                "outreach_date": "2026-03-01",
                "interview_date": "2026-03-10",
                "thank_you": "2026-03-05",
            },
            expect="data",
        ),
        Example("in order", {"outreach_date": "2026-03-01", "response": "2026-03-02"}),
    ],
)
def date_order(t: Tracker, ctx: Context) -> Hits:
    """Dates on a row that cannot be in that order (a reply before the first email, …)."""
    message = pd.Series(pd.NA, index=t.df.index, dtype="string")
    for later, earlier, later_words, earlier_words in _ORDER:
        bad = dates(t, later) < dates(t, earlier)
        text_ = f"{later_words} is dated before {earlier_words}: check both dates"
        message = message.mask(bad & message.isna(), text_.capitalize())
    return Hits.of(message.notna(), message, severity=Severity.DATA)
