"""Reading the dates people type into trackers, strictly.

A date cell may hold a real date, a spreadsheet serial number, or text in one of many
formats. Text is matched against an ordered list of strict formats — ISO first, then month
names, then numeric dates in the configured day/month order — and never guessed: a value
that only reads in the other order, has no year, or is a placeholder ("TBD", "next week")
is an explicit outcome that becomes a finding naming the cell.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from sheetsync.grid import clean_text

EPOCH_1900 = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01, with Lotus's 1900-02-29
EPOCH_1904 = dt.date(1904, 1, 1)
# Serials outside these years are not dates anyone in a tracker meant.
MIN_YEAR, MAX_YEAR = 1950, 2100


class Outcome(Enum):
    """What reading one value gave."""

    DATE = "date"
    EMPTY = "empty"
    PLACEHOLDER = "placeholder"  # TBD, next week, ?
    NO_YEAR = "no-year"  # "Mar 10"
    OTHER_ORDER = "other-order"  # "31/03/2026" when dates are read month first
    NOT_A_DATE = "not-a-date"  # "31/02/2026", "soonish", 5


@dataclass(frozen=True)
class Reading:
    """The result of reading one value as a date."""

    outcome: Outcome
    date: dt.date | None = None


EMPTY_WORDS = frozenset({"-", "--", "—", "–", "n/a", "na", "none", "no", "not yet", "never", "x"})
PLACEHOLDERS = re.compile(
    r"^(tbd|tba|tbc|t\.b\.d\.?|\?+|soon|asap|later|pending|someday|next (week|month)|"
    r"this (week|month)|to be (scheduled|determined|confirmed)|scheduling|waiting|pending reply|"
    r"(mon|tues|wednes|thurs|fri|satur|sun)day\??)$",
    re.I,
)
_ISO = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
)
_NAMED = (
    "%b %d %Y",
    "%B %d %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
    "%b %d %y",
    "%Y %b %d",
    "%Y %B %d",
)
_MONTH_FIRST = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m-%d-%y", "%m.%d.%Y")
_DAY_FIRST = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d-%m-%y", "%d.%m.%Y", "%d.%m.%y")
_NO_YEAR = re.compile(r"^(\d{1,2}[/.-]\d{1,2}|[a-z]{3,9}\.? \d{1,2}|\d{1,2} [a-z]{3,9}\.?)$", re.I)
_WEEKDAY = re.compile(r"^(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+", re.I)
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.I)
_TIME_TAIL = re.compile(r"[ ,]+(at\s+)?\d{1,2}(:\d\d\s*(am|pm)?|\s*(am|pm))$", re.I)


def from_serial(serial: float, date1904: bool = False) -> dt.date | None:
    """A spreadsheet serial number as a date, or None when it is not a plausible date."""
    epoch = EPOCH_1904 if date1904 else EPOCH_1900
    try:
        day = epoch + dt.timedelta(days=int(serial))
    except (OverflowError, ValueError):
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


def to_serial(day: dt.date, date1904: bool = False) -> int:
    """A date as a spreadsheet serial number."""
    return (day - (EPOCH_1904 if date1904 else EPOCH_1900)).days


def read_value(value: object, *, day_first: bool = False, date1904: bool = False) -> Reading:
    """Read one cell value as a date."""
    if value is None:
        return Reading(Outcome.EMPTY)
    if isinstance(value, dt.datetime):
        return _plausible(value.date())
    if isinstance(value, dt.date):
        return _plausible(value)
    if isinstance(value, bool):
        return Reading(Outcome.NOT_A_DATE)
    if isinstance(value, int | float):
        day = from_serial(value, date1904) if value == value else None  # NaN check
        return Reading(Outcome.DATE, day) if day else Reading(Outcome.NOT_A_DATE)
    if isinstance(value, str):
        return read_text(value, day_first=day_first)
    return Reading(Outcome.NOT_A_DATE)


def _plausible(day: dt.date) -> Reading:
    ok = MIN_YEAR <= day.year <= MAX_YEAR
    return Reading(Outcome.DATE, day) if ok else Reading(Outcome.NOT_A_DATE)


@lru_cache(maxsize=65536)
def read_text(text: str, *, day_first: bool = False) -> Reading:
    """Read typed text as a date with strict formats (cached: columns repeat values)."""
    cleaned = clean_text(text)
    lowered = cleaned.lower()
    if not cleaned or lowered in EMPTY_WORDS:
        return Reading(Outcome.EMPTY)
    if PLACEHOLDERS.match(lowered):
        return Reading(Outcome.PLACEHOLDER)
    normal = _normalise(cleaned)
    if re.fullmatch(r"\d{4,6}(\.\d+)?", normal):  # a serial typed as text
        day = from_serial(float(normal))
        return Reading(Outcome.DATE, day) if day else Reading(Outcome.NOT_A_DATE)
    primary, other = (_DAY_FIRST, _MONTH_FIRST) if day_first else (_MONTH_FIRST, _DAY_FIRST)
    for formats in (_ISO, _NAMED, primary):
        day = _try(normal, formats)
        if day:
            return _plausible(day)
    if _try(normal, other):
        return Reading(Outcome.OTHER_ORDER)
    if _NO_YEAR.match(normal):
        return Reading(Outcome.NO_YEAR)
    return Reading(Outcome.NOT_A_DATE)


def _normalise(text: str) -> str:
    text = _WEEKDAY.sub("", text)
    text = _ORDINAL.sub(r"\1", text)
    text = text.replace(",", " ").replace("Sept", "Sep").replace("sept", "sep")
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"(?<=[A-Za-z])\.(?= )", "", text)  # "Mar. 10" → "Mar 10"
    return _TIME_TAIL.sub("", text) if not re.search(r"\d{4}-\d", text) else text


# What a text must look like for a family of formats to have a chance: strptime compiles a
# regular expression per format on first use, so formats that cannot match are not tried.
# Each pattern is a necessary condition only; strptime still decides.
_SHAPES = {
    _ISO: re.compile(r"^\d{4}\D"),  # starts with the year
    _NAMED: re.compile(r"(?=.*[^\W\d_])(?=.*\d)"),  # a month name (any letters) and a number
    _MONTH_FIRST: re.compile(r"^[\d\s/.-]+$"),  # digits and separators only
    _DAY_FIRST: re.compile(r"^[\d\s/.-]+$"),
}


def _try(text: str, formats: tuple[str, ...]) -> dt.date | None:
    shape = _SHAPES.get(formats)
    if shape is not None and not shape.search(text):
        return None
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def spoken(day: dt.date, today: dt.date) -> str:
    """A date as sheetsync words it for people: 'Thu 12 Mar' in the current year, else with
    the year ('Thu 12 Mar 2025'), so a date from another year never reads as this year's."""
    return f"{day:%a %d %b}" if day.year == today.year else f"{day:%a %d %b %Y}"


def describe(outcome: Outcome, day_first: bool, value: object = None) -> str:
    """What is wrong with a value and how to fix it, for a finding's message (the example
    date is built from ``value`` itself when it has a month and a day)."""
    order = "day/month/year" if day_first else "month/day/year"
    other = "day_first = false" if day_first else "day_first = true"
    return {
        Outcome.PLACEHOLDER: "is a placeholder, not a date: put the date in once it is set",
        Outcome.NO_YEAR: (
            "has no year: write the full date with its year, as "
            + _full_date_example(value, day_first)
        ),
        Outcome.OTHER_ORDER: (
            f"only reads as a date in the other day/month order; sheetsync reads {order}. "
            f"Write it as YYYY-MM-DD, or set {other} in sheetsync.toml"
        ),
        Outcome.NOT_A_DATE: "is not a date sheetsync can read: write it as YYYY-MM-DD",
    }.get(outcome, "")


_MONTH_DAY = ("%b %d", "%B %d", "%d %b", "%d %B")


def _full_date_example(value: object, day_first: bool) -> str:
    """'YYYY-03-04' for '3/4' read month first: the same day, with the year still to write."""
    text = _normalise(clean_text(str(value))) if isinstance(value, str) else ""
    numeric = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})", text)
    day: dt.date | None = None
    if numeric:
        first, second = (int(g) for g in numeric.groups())
        month, mday = (second, first) if day_first else (first, second)
        day = _valid(month, mday)
    else:
        day = _try(f"{text} 2000", tuple(f"{f} %Y" for f in _MONTH_DAY))
    return f"YYYY-{day:%m-%d}" if day else "YYYY-MM-DD"


def _valid(month: int, mday: int) -> dt.date | None:
    try:
        return dt.date(2000, month, mday)  # a leap year: 29 Feb is a valid day without a year
    except ValueError:
        return None


_CLOCK = re.compile(r"(?<![\d:])(\d{1,2})(?::(\d{2}))?(?::\d{2})?\s*([ap])?\.?\s*m?\.?\s*$", re.I)


def time_of(value: object) -> dt.time | None:
    """The time of day a date cell also holds ('2026-03-18 14:00', 'Mar 18, 2pm', a datetime
    with a time), or None when it holds a date only. A bare number is never read as an hour:
    a time needs a colon or am/pm."""
    if isinstance(value, dt.datetime):
        return value.time().replace(microsecond=0) if value.time() != dt.time(0) else None
    if isinstance(value, float) and value == value and value % 1:
        seconds = round((value % 1) * 86400)
        return (dt.datetime.min + dt.timedelta(seconds=seconds)).time()
    if not isinstance(value, str):
        return None
    found = _CLOCK.search(clean_text(value).rstrip(" ."))
    if not found or not (found.group(2) or found.group(3)):
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    meridiem = (found.group(3) or "").lower()
    if meridiem and not 1 <= hour <= 12:
        return None
    hour = hour % 12 + (12 if meridiem == "p" else 0) if meridiem else hour
    return dt.time(hour, minute) if hour < 24 and minute < 60 else None
