"""Redaction: what a redacted export keeps of each field, and the placeholders it puts in
place of people (initials for contacts, 'Person A', 'Person B', … for anyone else).

The meaning stays (dates, categories, who was referred by whom); people's words, addresses,
links and phone numbers go. :data:`REDACTION_RULES` lists every field's treatment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

import pandas as pd

from sheetsync.advisor.config import DEFAULT_REDACT_FIELDS, ExportConfig
from sheetsync.advisor.values import cell_text
from sheetsync.rules import RULES

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|io|co|uk|de|example)/\S*"
)
_LINKEDIN = re.compile(r"(?i)\S*linkedin\.com\S*")
_PHONE = re.compile(r"(?<![\w/])\+?\(?\d[\d\s().-]{5,}\d(?![\w/])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
REMOVED = "[removed]"


def scrub(text: str) -> str:
    """``text`` with email addresses, URLs and phone numbers replaced by '[removed]'."""
    text = _EMAIL.sub(REMOVED, text)
    text = _LINKEDIN.sub(REMOVED, text)
    text = _URL.sub(REMOVED, text)
    return _PHONE.sub(_phone_or_keep, text)


def _phone_or_keep(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    return found if digits < 7 or _ISO_DATE.fullmatch(found.strip()) else REMOVED


def initials(name: str) -> str:
    """'Zoë Müller' → 'Z.M.'; 'Nguyễn Thị Lan' → 'N.T.L.' (letters and digits only)."""
    letters = [next((ch for ch in word if ch.isalnum()), "") for word in name.split()]
    return "".join(f"{ch.upper()}." for ch in letters if ch) or "?"


class Treat(Enum):
    """How a redacted export shows one field: meaning kept, people's words dropped."""

    KEEP = "kept, with addresses, links and phone numbers removed"
    DATE = "the date only"
    CONTACT = "the contact's placeholder (initials, or 'Contact <row>')"
    PEOPLE = "each person named becomes a placeholder, the same one everywhere"
    CATEGORY = "reduced to a category word"
    DROP = "left out"


# Every canonical field's treatment. A field missing here is left out (and fails
# tests/test_export_redaction.py, which lists every column of the export with its rule).
REDACTION_RULES: dict[str, Treat] = {
    "name": Treat.CONTACT,
    "first_name": Treat.CONTACT,
    "last_name": Treat.CONTACT,
    "organization": Treat.KEEP,
    "title": Treat.KEEP,
    "email": Treat.DROP,
    "linkedin": Treat.DROP,
    "connection": Treat.CATEGORY,  # "yes": there is a connection; who or how is dropped
    "referred_by": Treat.PEOPLE,
    "outreach_date": Treat.DATE,
    "response": Treat.CATEGORY,  # replied / declined / no reply, or the date
    "follow_up_date": Treat.DATE,
    "interview_date": Treat.DATE,
    "platform": Treat.CATEGORY,  # video call / phone / in person / other
    "thank_you": Treat.CATEGORY,  # yes / no, or the date
    "last_contact": Treat.DATE,
    "next_contact": Treat.DATE,
    "cadence": Treat.CATEGORY,  # every N days
    "referrals": Treat.PEOPLE,
    "promises": Treat.DROP,
    "questions": Treat.DROP,
    "notes": Treat.DROP,
    "draft": Treat.DROP,
    "snooze": Treat.CATEGORY,  # yes / no, or the date
}

_TITLES = re.compile(r"^(dr|prof|professor|mr|mrs|ms|mx)\.?\s+", re.I)
_NAME_SPLIT = re.compile(r"\s*(?:[,;/\n&+]|\band\b)\s*", re.I)


def name_key(name: str) -> str:
    """A person's name folded for matching: 'Dr. Anna  Lee (Genentech)' → 'anna lee'."""
    plain = re.sub(r"\(.*?\)", " ", name)
    plain = _TITLES.sub("", " ".join(plain.split()))
    return plain.casefold().strip(" .-")


def split_names(text: str) -> list[str]:
    """The names in a referrals cell: 'Ann Lee, Bo Chen and Dr. Cruz' → three names."""
    return [part for part in _NAME_SPLIT.split(text) if name_key(part)]


def _letters(n: int) -> str:
    """0 → 'A', 25 → 'Z', 26 → 'AA': spreadsheet-style labels."""
    label = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        label = chr(ord("A") + rest) + label
    return label


@dataclass
class Pseudonyms:
    """One placeholder per person for a whole export: a contact keeps their contact
    placeholder wherever they are named (as a referral, a referrer), anyone else becomes
    'Person A', 'Person B', … in the order first met."""

    by_key: dict[str, str] = field(default_factory=dict)
    others: int = 0

    def contact(self, name: str, placeholder: str) -> str:
        """Record a contact's placeholder (made unique: two 'A.L.' become 'A.L.', 'A.L. (2)')."""
        taken = set(self.by_key.values())
        unique, n = placeholder, 1
        while unique in taken:
            n += 1
            unique = f"{placeholder} ({n})"
        if name_key(name):
            unique = self.by_key.setdefault(name_key(name), unique)
        return unique

    def person(self, name: str) -> str:
        """The placeholder of a third party named in a cell."""
        key = name_key(name)
        if key not in self.by_key:
            self.by_key[key] = f"Person {_letters(self.others)}"
            self.others += 1
        return self.by_key[key]

    def people(self, text: str) -> str | None:
        """Every name in ``text`` as its placeholder, joined by commas."""
        names = [self.person(n) for n in split_names(text)]
        return ", ".join(dict.fromkeys(names)) or None


@dataclass(frozen=True)
class Redaction:
    """What a redacted export leaves out and how it words the rest (see :class:`ExportConfig`
    and :data:`REDACTION_RULES`). :meth:`bound` ties it to one tracker's people."""

    fields: frozenset[str] = frozenset(DEFAULT_REDACT_FIELDS)
    initials: bool = True
    names: Pseudonyms | None = field(default=None, compare=False)

    @classmethod
    def from_config(cls, config: ExportConfig) -> Redaction:
        """The redaction an ``[export]`` section asks for."""
        return cls(frozenset(config.redact_fields), config.initials)

    def bound(self, df: pd.DataFrame) -> Redaction:
        """This redaction with a placeholder for every contact of ``df`` (in sheet order)."""
        names = Pseudonyms()
        for row in df.index:
            name = cell_text(df.at[row, "name"]) if "name" in df else ""
            names.contact(name, self._own_placeholder(name, int(row)))
        return Redaction(self.fields, self.initials, names)

    def leaves_out(self, field_id: str) -> bool:
        """True when the export shows no column for ``field_id``."""
        return field_id in self.fields or REDACTION_RULES.get(field_id, Treat.DROP) is Treat.DROP

    def name(self, name: str | None, row: int) -> str:
        """A person's name as a redacted export shows it."""
        own = self._own_placeholder(name or "", row)
        return self.names.contact(name or "", own) if self.names and name else own

    def _own_placeholder(self, name: str, row: int) -> str:
        if not name or not self.initials:
            return f"Contact {row}"
        return initials(name)

    def people(self, text: str) -> str | None:
        """Names in a cell as placeholders (only on a bound redaction)."""
        return (self.names or Pseudonyms()).people(text)


def generic_step(rule_id: str) -> str:
    """What to do, in words that name nobody (the rule's summary)."""
    rule = RULES.get(rule_id)
    return rule.summary if rule else rule_id
