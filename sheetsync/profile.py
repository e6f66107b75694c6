"""What a column holds, judged from a sample of its values.

Headers alone mislead: "Days Since Contact" holds numbers, not dates; "URL" in a job log holds
job postings, not a person's LinkedIn; "Contact" in an application log holds status words
("Reached Out", "Email"), not people. :func:`profile` sorts up to :data:`SAMPLE` non-blank
values of a column into kinds (a date, a serial, a number, an e-mail, a profile link, another
link, a phone number, yes/no, a person's name, a short word, long text, …) and
:func:`support` says whether that profile confirms, vetoes or says nothing about a field.
Everything here is pure Python on plain cell values: cheap enough to run for every candidate
header row of every tab.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from sheetsync.dates import PLACEHOLDERS, Outcome, read_text
from sheetsync.fields import BY_ID, Kind
from sheetsync.grid import CellError, CellValue, clean_text, is_blank

SAMPLE = 200  # non-blank values looked at per column
MIN_VALUES = 3  # fewer values than this say nothing either way
SERIAL_RANGE = (18_264.0, 73_051.0)  # 1950-01-01 … 2100-01-01 as Excel serials


class V(Enum):
    """The kind of one cell value."""

    DATE = "date"  # a date cell, or text that reads as a date
    SERIAL = "serial"  # a number in the range of date serials
    NUMBER = "number"  # any other number (a count, a score, days since …)
    EMAIL = "email"
    PROFILE = "profile"  # a link to a person's profile (linkedin.com/in/…)
    URL = "url"  # any other link
    PHONE = "phone"
    FLAG = "flag"  # yes / no / ✓ / TRUE
    PERSON = "person"  # looks like a person's name: "Ana Lima", "Dr. Lin"
    WORD = "word"  # one capitalised or short word: "Genentech", "Zoom"
    STATUS = "status"  # a status word of a job or outreach log: "Reached Out", "Applied"
    PLACE = "place"  # a city, state or remote/hybrid: "Boston, MA", "Remote"
    PLATFORM = "platform"  # how people meet: "Zoom", "coffee", "phone call"
    PENDING = "pending"  # a date still to come: "TBD", "next week"
    LONG = "long"  # free text of more than a few words
    TEXT = "text"  # other short text
    ERROR = "error"  # #REF!, #N/A


DATEISH = frozenset({V.DATE, V.SERIAL})

_EMAIL = re.compile(r"^(mailto:)?[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
_URL = re.compile(
    r"^(https?://|www\.)\S+$|^[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|org|edu|io)(/\S*)?$", re.I
)
_PROFILE = re.compile(
    r"linkedin\.com/(in|pub)/|twitter\.com/|x\.com/|github\.com/[^/]+/?$|"
    r"scholar\.google\.[a-z.]+/citations|orcid\.org/",
    re.I,
)
_MONTH_OR_DAY = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|^\d{1,2}[/.-]\d{1,2}$", re.I
)
_PHONE = re.compile(r"^\+?[\d\s().\-/]{7,}(\s*(x|ext\.?)\s*\d+)?$", re.I)
_NUMBER = re.compile(r"^[-+]?\d+([.,]\d+)?\s*%?$")
_FLAG_WORDS = frozenset(
    [
        "y",
        "n",
        "yes",
        "no",
        "true",
        "false",
        "x",
        "✓",
        "✔",
        "✗",
        "✘",
        "☑",
        "☐",
        "yep",
        "nope",
        "done",
        "sent",
        "n/a",
        "na",
    ]
)
_STATUS_WORDS = frozenset(
    [
        "reached out",
        "applied",
        "rejected",
        "offer",
        "interviewing",
        "interview",
        "email",
        "emailed",
        "linkedin",
        "pending",
        "no response",
        "waiting",
        "in progress",
        "not started",
        "scheduled",
        "completed",
        "complete",
        "ghosted",
        "declined",
        "accepted",
        "follow up",
        "followed up",
        "to do",
        "todo",
        "open",
        "closed",
        "active",
        "inactive",
        "submitted",
        "phone screen",
        "withdrawn",
        "not applied",
        "high",
        "medium",
        "low",
        "contacted",
        "messaged",
        "responded",
        "replied",
        "met",
        "none",
        "ok",
    ]
)
_PLATFORM = re.compile(
    r"\b(zoom|phone|call|teams|google meet|meet|skype|webex|facetime|coffee|caf[eé]|lunch|"
    r"in[- ]person|virtual|video|office|campus|conference|online|email|slack|hangouts?)\b",
    re.I,
)
_PLACE = re.compile(
    r"^([A-Z][A-Za-z .'-]+,\s*[A-Z]{2}(\s+\d{5})?|remote|hybrid|on-?site|"
    r"[A-Z][A-Za-z .'-]+,\s*[A-Z][a-z]+)$"
)
_NAME_WORD = re.compile(
    r"^([A-Z][a-z'’\-]+|[A-Z]\.?|(Dr|Prof|Mr|Ms|Mrs|Mx)\.?|[A-Z][a-z]+[A-Z][a-z]+)$"
)
_PARTICLES = frozenset({"de", "van", "von", "da", "di", "la", "le", "del", "der", "bin", "al"})
_ORG_WORDS = re.compile(
    r"\b(inc|llc|ltd|corp|co|company|university|college|institute|lab|labs|bio|group|"
    r"partners|capital|consulting|technologies|therapeutics|pharma|bank|school|center|"
    r"centre|foundation|association|agency|department|hospital|health)\b\.?",
    re.I,
)


@lru_cache(maxsize=65_536)
def _kind_of_text(text: str) -> V:
    folded = text.casefold()
    if folded in _FLAG_WORDS:
        return V.FLAG
    if _EMAIL.match(text):
        return V.EMAIL
    if _URL.match(text):
        return V.PROFILE if _PROFILE.search(text) else V.URL
    if _NUMBER.match(text):
        return _kind_of_number(float(text.rstrip("% ").replace(",", ".")))
    if not any(ch.isdigit() for ch in text):  # no date without a digit: skip the parsers
        return V.PENDING if PLACEHOLDERS.match(folded) else _kind_of_words(text, folded)
    reading = read_text(text)
    if reading.outcome in (Outcome.DATE, Outcome.OTHER_ORDER):
        return V.DATE
    if reading.outcome is Outcome.NO_YEAR and _MONTH_OR_DAY.search(text):
        return V.DATE  # "Mar 20", "3/20" — a date without its year, not "Firm 2"
    if reading.outcome is Outcome.PLACEHOLDER:
        return V.PENDING
    if _PHONE.match(text) and sum(ch.isdigit() for ch in text) >= 7:
        return V.PHONE
    return _kind_of_words(text, folded)


def _kind_of_words(text: str, folded: str) -> V:
    parts = text.split()
    if len(parts) > 6 or len(text) > 60:
        return V.LONG
    if _PLATFORM.search(text) and len(parts) <= 4:
        return V.PLATFORM
    if folded in _STATUS_WORDS:
        return V.STATUS
    if _PLACE.match(text):
        return V.PLACE
    if _looks_like_person(parts):
        return V.PERSON
    if len(parts) == 1 and len(text) <= 30:
        return V.WORD
    return V.TEXT


def _looks_like_person(parts: list[str]) -> bool:
    """Two to four name-like words ("Ana Lima", "Dr. Jane van Dyke"), no company words."""
    if not 2 <= len(parts) <= 4 or _ORG_WORDS.search(" ".join(parts)):
        return False
    names = [p for p in parts if p.casefold() not in _PARTICLES]
    return len(names) >= 2 and all(_NAME_WORD.match(p.strip(",")) for p in names)


def kind_of(value: CellValue) -> V | None:
    """The kind of one cell value (None for a blank cell)."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return V.FLAG
    if isinstance(value, dt.date):
        return V.DATE
    if isinstance(value, CellError):
        return V.ERROR
    if isinstance(value, int | float):
        return _kind_of_number(value)
    return _kind_of_text(clean_text(str(value)))


def _kind_of_number(value: float) -> V:
    lo, hi = SERIAL_RANGE
    return V.SERIAL if lo <= value <= hi else V.NUMBER


@dataclass(frozen=True)
class Profile:
    """How many sampled values of a column are of each kind."""

    counts: Mapping[V, int]
    n: int  # non-blank values sampled
    distinct: int  # distinct values among them (case-folded text)

    def share(self, *kinds: V) -> float:
        """The fraction of sampled values of any of ``kinds`` (0 when the column is empty)."""
        return sum(self.counts.get(k, 0) for k in kinds) / self.n if self.n else 0.0

    @property
    def enough(self) -> bool:
        """True when there are enough values to judge the column by."""
        return self.n >= MIN_VALUES

    @property
    def repetitive(self) -> bool:
        """True when a few values repeat down the column (a status or category column)."""
        return self.n >= 6 and self.distinct <= max(3, self.n // 4)


EMPTY = Profile({}, 0, 0)


def profile(values: Iterable[CellValue]) -> Profile:
    """The profile of up to :data:`SAMPLE` non-blank values."""
    counts: Counter[V] = Counter()
    seen: set[object] = set()
    n = 0
    for value in values:
        kind = kind_of(value)
        if kind is None:
            continue
        counts[kind] += 1
        seen.add(clean_text(value).casefold() if isinstance(value, str) else value)
        n += 1
        if n >= SAMPLE:
            break
    return Profile(counts, n, len(seen))


# ---------------------------------------------------------------- fields vs profiles


class Verdict(Enum):
    """What a column's values say about a field."""

    CONFIRMS = "confirms"
    SILENT = "silent"  # too few values, or nothing telling
    VETOES = "vetoes"


_DATE_LIKE = (V.DATE, V.SERIAL, V.FLAG, V.PENDING, V.ERROR)
_NOT_TEXT = (V.DATE, V.SERIAL, V.NUMBER, V.EMAIL, V.URL, V.PROFILE, V.PHONE, V.FLAG)
_PEOPLE = (V.PERSON, V.WORD)
_STATUS_LIKE = (V.STATUS, V.PLATFORM, V.FLAG, V.PLACE, V.PENDING)


def support(field_id: str, prof: Profile) -> Verdict:
    """Whether the values of a column confirm, veto, or say nothing about ``field_id``."""
    if not prof.enough:
        return Verdict.SILENT
    judge = _JUDGES.get(field_id) or _KIND_JUDGES[BY_ID[field_id].kind]
    return judge(prof)


def _verdict(good: float, bad: float, *, confirm: float = 0.5, veto: float = 0.5) -> Verdict:
    if bad >= veto and good < 0.3:
        return Verdict.VETOES
    return Verdict.CONFIRMS if good >= confirm else Verdict.SILENT


def _date(prof: Profile) -> Verdict:
    return _verdict(prof.share(*DATEISH), 1.0 - prof.share(*_DATE_LIKE))


def _date_or_flag(prof: Profile) -> Verdict:
    good = prof.share(V.DATE, V.SERIAL, V.FLAG, V.STATUS, V.PENDING)
    return _verdict(good, prof.share(V.NUMBER, V.PHONE, V.EMAIL, V.URL, V.PROFILE, V.PERSON))


def _text(prof: Profile) -> Verdict:
    return _verdict(1 - prof.share(*_NOT_TEXT, V.ERROR), prof.share(*_NOT_TEXT), confirm=0.6)


def _name(prof: Profile) -> Verdict:
    if prof.repetitive and prof.share(*_STATUS_LIKE) >= 0.5:
        return Verdict.VETOES  # "Reached Out", "Email", … down the column
    bad = prof.share(*_NOT_TEXT, V.STATUS, V.LONG, V.PLACE, V.PLATFORM)
    return _verdict(prof.share(V.PERSON), bad, confirm=0.4, veto=0.4)


def _name_part(prof: Profile) -> Verdict:
    if prof.repetitive and prof.share(*_STATUS_LIKE) >= 0.5:
        return Verdict.VETOES
    bad = prof.share(*_NOT_TEXT, V.STATUS, V.LONG)
    return _verdict(prof.share(*_PEOPLE), bad, confirm=0.6, veto=0.4)


def _organization(prof: Profile) -> Verdict:
    bad = prof.share(*_NOT_TEXT, V.LONG)
    return _verdict(prof.share(V.WORD, V.TEXT, V.PERSON), bad, confirm=0.6, veto=0.5)


def _title(prof: Profile) -> Verdict:
    bad = prof.share(*_NOT_TEXT, V.LONG)
    return _verdict(prof.share(V.WORD, V.TEXT, V.PERSON), bad, confirm=0.6, veto=0.4)


def _email(prof: Profile) -> Verdict:
    good = prof.share(V.EMAIL)
    if good >= 0.5:
        return Verdict.CONFIRMS
    return Verdict.VETOES if good < 0.1 else Verdict.SILENT


def _linkedin(prof: Profile) -> Verdict:
    good = prof.share(V.PROFILE)
    if good >= 0.5:
        return Verdict.CONFIRMS
    links = prof.share(V.URL)
    bad = prof.share(V.URL, V.EMAIL, V.DATE, V.SERIAL, V.NUMBER, V.PHONE, V.LONG, V.FLAG)
    return Verdict.VETOES if (links >= 0.3 or bad >= 0.5) and good < 0.2 else Verdict.SILENT


def _platform(prof: Profile) -> Verdict:
    good = prof.share(V.PLATFORM)
    if good >= 0.4:
        return Verdict.CONFIRMS
    bad = prof.share(V.PLACE, *_NOT_TEXT, V.LONG)
    return Verdict.VETOES if bad >= 0.5 and good < 0.2 else Verdict.SILENT


def _cadence(prof: Profile) -> Verdict:
    return _verdict(prof.share(V.NUMBER, V.TEXT, V.WORD), prof.share(*DATEISH, V.EMAIL, V.URL))


def _free_text(prof: Profile) -> Verdict:
    bad = prof.share(V.URL, V.DATE, V.SERIAL, V.NUMBER, V.EMAIL, V.PHONE)
    return _verdict(prof.share(V.LONG, V.TEXT, V.WORD, V.PERSON, V.PLATFORM), bad)


def _names_of_people(prof: Profile) -> Verdict:
    if prof.share(V.FLAG, V.STATUS) >= 0.5:
        return Verdict.VETOES  # "Referral agreed?": yes/no, not the people they suggested
    return _free_text(prof)


def _promises(prof: Profile) -> Verdict:
    if prof.repetitive and prof.share(V.STATUS, V.FLAG, V.WORD) >= 0.5:
        return Verdict.VETOES  # a status column, not what you owe someone
    return _free_text(prof)


def _connection(prof: Profile) -> Verdict:
    bad = prof.share(V.URL, V.DATE, V.SERIAL, V.NUMBER, V.EMAIL, V.PHONE, V.PROFILE)
    good = prof.share(V.TEXT, V.WORD, V.PERSON, V.LONG, V.FLAG, V.PLATFORM, V.STATUS)
    return _verdict(good, bad)


def _notes(prof: Profile) -> Verdict:
    return Verdict.CONFIRMS if prof.share(V.LONG, V.TEXT) >= 0.3 else Verdict.SILENT


_JUDGES = {
    "name": _name,
    "first_name": _name_part,
    "last_name": _name_part,
    "organization": _organization,
    "title": _title,
    "email": _email,
    "linkedin": _linkedin,
    "platform": _platform,
    "cadence": _cadence,
    "promises": _promises,
    "referrals": _names_of_people,
    "questions": _free_text,
    "connection": _connection,
    "referred_by": _connection,
    "notes": _notes,
    "draft": _notes,
}
_KIND_JUDGES = {
    Kind.DATE: _date,
    Kind.DATE_OR_FLAG: _date_or_flag,
    Kind.TEXT: _text,
    Kind.NUMBER_OR_TEXT: _cadence,
}


def field_from_values(prof: Profile) -> str | None:
    """The field a column's values alone point to, for a header that says little."""
    if not prof.enough:
        return None
    for kinds, field_id in _BY_VALUES:
        if prof.share(*kinds) >= 0.6:
            return field_id
    return None


_BY_VALUES: tuple[tuple[tuple[V, ...], str], ...] = (
    ((V.EMAIL,), "email"),
    ((V.PROFILE,), "linkedin"),
    ((V.PERSON,), "name"),
    ((V.DATE, V.SERIAL), "outreach_date"),
)
