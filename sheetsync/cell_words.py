"""Reading the words people type in one cell: yes / no / "said call me in May" for a
date-or-flag field, and how often to stay in touch ("every 2 weeks", "quarterly")."""

from __future__ import annotations

import re

import pandas as pd

from sheetsync.grid import CellError, clean_text

YES_WORDS = frozenset(
    [
        "yes",
        "y",
        "yep",
        "yeah",
        "true",
        "1",
        "sent",
        "done",
        "replied",
        "responded",
        "received",
        "ok",
        "thanked",
        "emailed",
        "wrote",
        "✓",
        "✔",
        "☑",
        "x",
        "declined",
        "accepted",
        "answered",
    ]
)
NO_WORDS = frozenset(
    [
        "no",
        "n",
        "nope",
        "false",
        "0",
        "not-yet",
        "none",
        "pending",
        "waiting",
        "ghosted",
        "tbd",
        "no-reply",
        "no-response",
        "not-sent",
        "unsent",
        "☐",
        "-",
        "—",
        "n/a",
        "na",
    ]
)


def flag_of(value: object) -> object:
    """yes / no / unknown for a date-or-flag cell that is not a date."""
    if value is None or isinstance(value, CellError):
        return pd.NA
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) if value in (0, 1) else pd.NA
    text = clean_text(str(value)).lower().replace(" ", "-").rstrip(".!")
    if not text:
        return pd.NA
    first = text.split("-")[0]
    if text in NO_WORDS or first in ("no", "not", "nope"):
        return False
    if text in YES_WORDS or first in YES_WORDS:
        return True
    return True  # other words ("said call me in May") record that something happened


_UNITS = {"day": 1, "week": 7, "month": 30.4, "year": 365, "quarter": 91}
_CADENCE_WORDS = {
    "weekly": 7,
    "biweekly": 14,
    "fortnightly": 14,
    "monthly": 30.4,
    "quarterly": 91,
    "yearly": 365,
    "annually": 365,
    "annual": 365,
}


def parse_cadence(value: object) -> float | None:
    """Days between touches from 30, "30 days", "every 2 weeks", "quarterly"; None if unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    text = clean_text(str(value)).lower().removeprefix("every").strip()
    if text in _CADENCE_WORDS:
        return float(_CADENCE_WORDS[text])
    match = re.fullmatch(r"(\d+(?:\.\d+)?)?\s*(day|week|month|year|quarter)s?", text)
    if match:
        return float(match.group(1) or 1) * _UNITS[match.group(2)]
    match = re.fullmatch(r"\d+(?:\.\d+)?", text)
    return float(text) if match and float(text) > 0 else None
