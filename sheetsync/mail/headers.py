"""One message's headers → the few facts sheetsync keeps: when, who wrote, to whom.

Only From, To, Cc, Date and Message-ID are read. Subjects and bodies are never parsed, and
nothing but a date, a direction and a hash of the Message-ID is ever stored.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from zoneinfo import ZoneInfo

HEADER_FIELDS = ("From", "To", "Cc", "Date", "Message-ID")


@dataclass(frozen=True)
class Header:
    """The facts of one message: its day, its sender and recipients (lower-cased)."""

    day: dt.date
    sender: frozenset[str]
    recipients: frozenset[str]
    message_key: str  # a short hash of the Message-ID (dedupes All Mail vs Sent)


def addresses(values: list[str]) -> frozenset[str]:
    """Every e-mail address in header values, lower-cased (display names dropped)."""
    found = email.utils.getaddresses(values)
    return frozenset(a.strip().lower() for _, a in found if "@" in a)


def parse(raw: bytes, zone: str | None = None) -> Header | None:
    """Read the headers of one message (a whole message or just its header block).

    Returns None when the message has no readable Date or no sender: it cannot be evidence.
    ``zone`` converts the date to the user's time zone; without it, the sender's own date.
    """
    msg = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
    return from_message(msg, zone)


def from_message(msg: Message, zone: str | None = None) -> Header | None:
    """:func:`parse` for a message already split into headers."""
    day = _day(msg.get("Date"), zone)
    sender = addresses([str(v) for v in msg.get_all("From", [])])
    if day is None or not sender:
        return None
    recipients = addresses([str(v) for f in ("To", "Cc") for v in msg.get_all(f, [])])
    ident = str(msg.get("Message-ID", "")).strip() or f"{day}|{sorted(sender)}|{sorted(recipients)}"
    key = hashlib.sha256(ident.encode("utf-8", "replace")).hexdigest()[:16]
    return Header(day, sender, recipients, key)


def _day(value: object, zone: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if zone and when.tzinfo is not None:
        when = when.astimezone(ZoneInfo(zone))
    return when.date()
