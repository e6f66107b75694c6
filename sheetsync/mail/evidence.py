"""Per-contact mail dates → columns of the typed frame, and the words of the mail column.

Rules never read the mailbox: the pipeline gathers :class:`Evidence` once and
:func:`attach` adds these columns to the frame (``NaT`` where nothing was found):

* ``mail_first_out`` / ``mail_last_out`` — first and latest message you sent them;
* ``mail_last_in`` — the latest message they sent you;
* ``mail_reply`` — their first message on or after your outreach (the "Date Contacted" cell,
  else your first message): a reply;
* ``mail_thanks`` — your first message on or after the interview day;
* ``mail_latest`` — the latest message either way;
* ``mail_words`` — what the ``sheetsync · mail`` column says.

Messages dated after the day being judged are ignored, so ``--today`` still means "what
would it have said that day".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from sheetsync.frame import Tracker, column
from sheetsync.mail.headers import Header

OUT, IN = "out", "in"
ADDRESS = re.compile(r"[^\s,;<>()\"']+@[^\s,;<>()\"']+\.[^\s,;<>()\"'.]+")
MAIL_COLUMNS = (
    "mail_first_out",
    "mail_last_out",
    "mail_last_in",
    "mail_reply",
    "mail_thanks",
    "mail_latest",
)


@dataclass(frozen=True)
class Event:
    """One message between you and a contact: its day and its direction."""

    day: dt.date
    direction: str  # OUT (you wrote) or IN (they wrote)
    key: str = ""  # hash of the Message-ID: the same message in two folders counts once


@dataclass
class Evidence:
    """Messages per contact address (lower-case), as gathered from one mailbox."""

    events: dict[str, set[Event]] = field(default_factory=dict)
    searched: int = 0  # messages looked at (or matched on the server)
    source: str = ""

    def add(self, address: str, event: Event) -> None:
        """Record one message to or from ``address``."""
        self.events.setdefault(address, set()).add(event)

    def add_header(self, header: Header, me: frozenset[str], wanted: frozenset[str]) -> None:
        """Record what one message says about the contacts in ``wanted``."""
        for address, event in events_of(header, me, wanted):
            self.add(address, event)

    def of(self, addresses: Iterable[str]) -> list[Event]:
        """Every message to or from any of ``addresses``, once each, oldest first."""
        seen: dict[tuple[dt.date, str, str], Event] = {}
        for a in addresses:
            for e in self.events.get(a, ()):
                seen.setdefault((e.day, e.direction, e.key or repr(e)), e)
        return sorted(seen.values(), key=lambda e: (e.day, e.direction))


def events_of(
    header: Header, me: frozenset[str], wanted: frozenset[str]
) -> list[tuple[str, Event]]:
    """(contact address, event) pairs for one message: from you → OUT to each contact among
    the recipients (Cc included); from a contact → IN from them."""
    if header.sender & me:
        return [(a, Event(header.day, OUT, header.message_key)) for a in header.recipients & wanted]
    return [(a, Event(header.day, IN, header.message_key)) for a in header.sender & wanted]


def row_addresses(cell: object) -> tuple[str, ...]:
    """Every address in a tracker's e-mail cell ("ann@x.org; ann.lee@gmail.com")."""
    if cell is None or pd.isna(cell):  # type: ignore[call-overload]
        return ()
    return tuple(dict.fromkeys(a.lower().rstrip(".") for a in ADDRESS.findall(str(cell))))


def tracker_addresses(tracker: Tracker) -> dict[int, tuple[str, ...]]:
    """The addresses of each row that has any (index = sheet row)."""
    emails = column(tracker.df, "email", "string")
    out: dict[int, tuple[str, ...]] = {}
    for row, cell in zip(emails.index.tolist(), emails.tolist(), strict=True):
        found = row_addresses(cell)
        if found:
            out[int(row)] = found
    return out


def attach(tracker: Tracker, evidence: Evidence, today: dt.date) -> Tracker:
    """A copy of ``tracker`` whose frame carries the mail columns (see the module docstring)."""
    df = tracker.df.copy()
    rows = tracker_addresses(tracker)
    outreach = column(df, "outreach_date", "datetime64[ns]")
    interview = column(df, "interview_date", "datetime64[ns]")
    values: dict[str, dict[int, dt.date | None]] = {c: {} for c in MAIL_COLUMNS}
    words: dict[int, str] = {}
    for row, addresses in rows.items():
        seen = [e for e in evidence.of(addresses) if e.day <= today]
        facts = _facts(seen, _day(outreach.get(row)), _day(interview.get(row)))
        for name, day in facts.items():
            values[name][row] = day
        words[row] = describe(facts, today)
    for name in MAIL_COLUMNS:
        df[name] = pd.to_datetime(pd.Series(values[name], index=list(values[name]), dtype=object))
        df[name] = df[name].reindex(df.index).astype("datetime64[ns]")
    df["mail_words"] = pd.Series(words, dtype=object).reindex(df.index)
    return replace(tracker, df=df)


def _day(value: object) -> dt.date | None:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def _facts(
    events: list[Event], outreach: dt.date | None, interview: dt.date | None
) -> dict[str, dt.date | None]:
    outs = [e.day for e in events if e.direction == OUT]
    ins = [e.day for e in events if e.direction == IN]
    anchor = outreach or (outs[0] if outs else None)
    return {
        "mail_first_out": outs[0] if outs else None,
        "mail_last_out": outs[-1] if outs else None,
        "mail_last_in": ins[-1] if ins else None,
        "mail_reply": next((d for d in ins if anchor and d >= anchor), None),
        "mail_thanks": next((d for d in outs if interview and d >= interview), None),
        "mail_latest": max([*outs, *ins], default=None),
    }


def day_text(day: dt.date, today: dt.date) -> str:
    """A day as the mail column shows it: 'Tue 3 Mar', with the year when it is not today's
    ('Mon 3 Mar 2025')."""
    year = "" if day.year == today.year else f" {day.year}"
    return f"{day:%a} {day.day} {day:%b}{year}"


def describe(facts: Mapping[str, dt.date | None], today: dt.date) -> str:
    """'you wrote Tue 3 Mar · they replied Thu 5 Mar · latest Mon 16 Mar'."""
    parts: list[str] = []
    first_out, reply, last_in = facts["mail_first_out"], facts["mail_reply"], facts["mail_last_in"]
    if first_out:
        parts.append(f"you wrote {day_text(first_out, today)}")
    if reply:
        parts.append(f"they replied {day_text(reply, today)}")
    elif last_in:
        parts.append(f"they wrote {day_text(last_in, today)}")
    latest = facts["mail_latest"]
    shown = [d for d in (first_out, reply or last_in) if d]
    if latest and shown and latest > max(shown):
        parts.append(f"latest {day_text(latest, today)}")
    return " · ".join(parts) if parts else "no mail found"
