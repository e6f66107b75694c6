"""The advisor export: a formatted workbook a career advisor can read in two minutes.

Three layers, each usable on its own:

* **metrics** — small pure functions over the typed frame (:mod:`sheetsync.frame`) and the
  findings, one per figure; :data:`DEFINITIONS` says in words how each is computed, and the
  About tab prints exactly those words;
* **reports** — :func:`student_report` turns a :class:`~sheetsync.pipeline.Checked` into a
  :class:`StudentReport` (figures, open actions, the contact table, redacted on request);
  :func:`cohort_report` folds several into one :class:`CohortReport`;
* **writer** — :func:`write_student` and :func:`write_cohort` render a report with xlsxwriter
  into a workbook written by :mod:`sheetsync.files`: it replaces only an earlier export (marked
  by the custom document property ``sheetsync = advisor-export``), never a source or config.

Everything that came from a user is written with ``write_string``: a contact called
``=HYPERLINK(...)`` stays text. :func:`export` runs the whole thing for the CLI.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import logging
import math
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter  # type: ignore[import-untyped]

from sheetsync import __version__, files, printing
from sheetsync.config import Settings
from sheetsync.errors import ConfigError, SheetsyncError, WriteRefused
from sheetsync.fields import BY_ID, FIELD_IDS, Kind
from sheetsync.frame import INTERACTIONS, column, parse_cadence
from sheetsync.grid import CellError, clean_text
from sheetsync.models import Finding, Severity
from sheetsync.pipeline import Checked
from sheetsync.rules import RULES
from sheetsync.status import MANAGED_COLUMNS, SEVERITY_WORD, RowStatus, statuses

log = logging.getLogger("sheetsync")

# ============================================================================ configuration

DEFAULT_REDACT_FIELDS: tuple[str, ...] = (
    "email",
    "linkedin",
    "promises",
    "questions",
    "notes",
    "draft",
)


@dataclass(frozen=True)
class ExportConfig:
    """The ``[export]`` section of sheetsync.toml.

    ``student``: the name on the Summary tab (default: the tracker's own title).
    ``students``: names per source for ``--cohort`` (keys: the source as given, or its file
    name). ``redact``: redact without ``--redact``. ``redact_fields``: the columns a redacted
    export leaves out (free text is never shown redacted: see :data:`REDACTION_RULES`).
    ``initials``: a redacted name becomes initials (else "Contact <row>").
    ``quiet_days``: a cohort member with no new outreach for this long needs attention.
    """

    student: str | None = None
    students: Mapping[str, str] = field(default_factory=dict)
    redact: bool = False
    redact_fields: tuple[str, ...] = DEFAULT_REDACT_FIELDS
    initials: bool = True
    quiet_days: int = 14


_CONFIG_KEYS: dict[str, type] = {
    "student": str,
    "students": dict,
    "redact": bool,
    "redact_fields": list,
    "initials": bool,
    "quiet_days": int,
}


def parse_config(table: Mapping[str, Any], path: Path) -> ExportConfig:
    """Validate ``[export]``; unknown keys and wrong types name the file and key."""
    for key, value in table.items():
        _check_config_value(key, value, path)
    fields = tuple(table.get("redact_fields", DEFAULT_REDACT_FIELDS))
    unknown = [f for f in fields if f not in FIELD_IDS]
    if unknown:
        raise ConfigError(
            f"{path}: 'export.redact_fields' names unknown field '{unknown[0]}'. "
            f"Use field ids such as: {', '.join(DEFAULT_REDACT_FIELDS)}."
        )
    return ExportConfig(
        student=table.get("student"),
        students=dict(table.get("students", {})),
        redact=table.get("redact", False),
        redact_fields=fields,
        initials=table.get("initials", True),
        quiet_days=table.get("quiet_days", 14),
    )


def _check_config_value(key: str, value: Any, path: Path) -> None:
    if key not in _CONFIG_KEYS:
        known = ", ".join(sorted(_CONFIG_KEYS))
        raise ConfigError(f"{path}: unknown key 'export.{key}'. Known keys: {known}.")
    want = _CONFIG_KEYS[key]
    items: Any = value  # isinstance() below would narrow ``value`` to ``object``
    if not isinstance(value, want) or (want is int and isinstance(value, bool)):
        word = {"str": "string", "dict": "table", "bool": "true/false", "list": "list"}
        raise ConfigError(
            f"{path}: 'export.{key}' must be a {word.get(want.__name__, 'whole number')}, "
            f"not {value!r}."
        )
    if want is list and not all(isinstance(v, str) for v in items):
        raise ConfigError(f"{path}: 'export.{key}' must be a list of field ids (strings).")
    if want is dict and not all(isinstance(v, str) for v in items.values()):
        raise ConfigError(f"{path}: 'export.{key}' maps each source to a name (a string).")
    if key == "quiet_days" and items < 1:
        raise ConfigError(f"{path}: 'export.quiet_days' must be 1 or more, not {value}.")


# ============================================================================ metrics

DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "Period",
        "From --since (or, without it, the earliest date anywhere in the tracker) to the "
        "as-of date. With --since, people first contacted before it are left out of every tab.",
    ),
    (
        "People listed",
        "Every row of the contacts tab that names a person. Blank rows, section headings "
        "(e.g. 'Peers List') and template example rows are not counted.",
    ),
    (
        "Contacted",
        "Listed people with a first-contact date, a follow-up date, or a reply recorded.",
    ),
    (
        "Replied",
        "Contacted people whose reply cell holds a date or a yes-word (yes, Y, replied, "
        "declined, …), or who have an interview date. A polite 'no' is a reply.",
    ),
    ("Interviewed", "People whose interview date is on or before the as-of date."),
    ("Thanked", "Interviewed people whose thank-you cell holds a date or a yes-word."),
    (
        "Referrals gained",
        "Contacted people whose Referrals cell names someone (blank, 'none', 'n/a', '-' "
        "do not count): how many people passed the student on.",
    ),
    ("Reply rate", "Replied ÷ contacted."),
    (
        "Median days to reply",
        "Median of calendar days from first contact to the reply date, over people with both "
        "dates (a reply dated before the first contact is a data error and is skipped).",
    ),
    (
        "Interviews per week",
        "Interviews held in the period ÷ the period's length in weeks (at least one week).",
    ),
    ("Interviews scheduled", "Interview dates after the as-of date."),
    (
        "Actions due now",
        "Open findings rated overdue or due today by `sheetsync check`, grouped by kind; "
        "'overdue' counts those already past their deadline.",
    ),
    (
        "People gone stale",
        "People spoken with who have been quiet longer than their 'keep in touch' cadence "
        "(default 90 days): the stale-contact check.",
    ),
    ("Data problems", "Findings about the tracker's data: unreadable dates, duplicates, …"),
    (
        "Needs attention (cohort)",
        "A student with an overdue action, or no new first contact within the last "
        "[export] quiet_days (default 14) days, or whose tracker could not be read.",
    ),
)
NONE_WORDS = frozenset(["", "none", "no", "n/a", "na", "-", "—", "–", "nobody", "0", "nil"])
DUE_NOW = (Severity.OVERDUE, Severity.DUE)


def _dates(df: pd.DataFrame, name: str) -> pd.Series:
    return column(df, name, "datetime64[ns]")


def _yes(df: pd.DataFrame, name: str) -> pd.Series:
    return column(df, name, "boolean").fillna(False).astype(bool)


def is_replied(df: pd.DataFrame) -> pd.Series:
    """A reply date or yes-word, or an interview date (nobody books one without a reply)."""
    return _yes(df, "response") | _dates(df, "interview_date").notna()


def is_contacted(df: pd.DataFrame) -> pd.Series:
    """A first-contact date, a follow-up date, or a reply."""
    sent = _dates(df, "outreach_date").notna() | _dates(df, "follow_up_date").notna()
    return sent | is_replied(df)


def is_interviewed(df: pd.DataFrame, today: dt.date) -> pd.Series:
    """An interview dated on or before ``today``."""
    return _dates(df, "interview_date") <= pd.Timestamp(today)


def is_thanked(df: pd.DataFrame, today: dt.date) -> pd.Series:
    """Interviewed, and the thank-you cell says yes (or holds a date)."""
    return is_interviewed(df, today) & _yes(df, "thank_you")


def gave_referrals(df: pd.DataFrame) -> pd.Series:
    """Contacted, and the Referrals cell names someone."""
    text = column(df, "referrals", "string").fillna("").str.strip().str.lower()
    return is_contacted(df) & ~text.isin(NONE_WORDS)


@dataclass(frozen=True)
class Stage:
    """One step of the funnel."""

    label: str
    count: int


def funnel(df: pd.DataFrame, today: dt.date) -> tuple[Stage, ...]:
    """People listed → contacted → replied → interviewed → thanked → referrals gained."""
    return (
        Stage("People listed", len(df)),
        Stage("Contacted", int(is_contacted(df).sum())),
        Stage("Replied", int(is_replied(df).sum())),
        Stage("Interviewed", int(is_interviewed(df, today).sum())),
        Stage("Thanked", int(is_thanked(df, today).sum())),
        Stage("Referrals gained", int(gave_referrals(df).sum())),
    )


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide by."""
    return part / whole if whole else None


def reply_days(df: pd.DataFrame) -> pd.Series:
    """Calendar days from first contact to reply, where both are dated and in order."""
    days = (_dates(df, "response_date") - _dates(df, "outreach_date")).dt.days
    return days[days.notna() & (days >= 0)].astype(int)


def median_days_to_reply(df: pd.DataFrame) -> float | None:
    """Median of :func:`reply_days`, or None without any dated reply."""
    days = reply_days(df)
    return float(days.median()) if len(days) else None


def first_interaction(df: pd.DataFrame) -> pd.Series:
    """The earliest dated interaction of each row (NaT when the row has no dates)."""
    cols = [c for c in INTERACTIONS if c in df]
    if not cols:
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    return df[cols].min(axis=1).astype("datetime64[ns]")


def since_filter(df: pd.DataFrame, since: dt.date | None) -> pd.Series:
    """Rows in the period: first interaction on/after ``since``, or none yet (just listed)."""
    first = first_interaction(df)
    if since is None:
        return pd.Series(True, index=df.index)
    return first.isna() | (first >= pd.Timestamp(since))


@dataclass(frozen=True)
class Period:
    """The days the export covers, both ends included (``start`` None: no dates at all)."""

    start: dt.date | None
    end: dt.date

    @property
    def weeks(self) -> float:
        """Length in weeks, at least one."""
        if self.start is None:
            return 1.0
        return max(1.0, ((self.end - self.start).days + 1) / 7)

    def label(self) -> str:
        """'28 Oct 2025 – 16 Mar 2026 (20 weeks)'."""
        if self.start is None:
            return f"up to {_day(self.end)} (no dates recorded yet)"
        return f"{_day(self.start)} – {_day(self.end)} ({self.weeks:.0f} weeks)"


def period_of(df: pd.DataFrame, today: dt.date, since: dt.date | None) -> Period:
    """``since`` (or the earliest interaction) to ``today``."""
    if since is not None:
        return Period(since, today)
    earliest = first_interaction(df).min()
    start = None if pd.isna(earliest) else pd.Timestamp(earliest).date()
    return Period(min(start, today) if start else None, today)


def interviews_held(df: pd.DataFrame, period: Period) -> pd.Series:
    """Interview dates within the period."""
    when = _dates(df, "interview_date")
    held = when <= pd.Timestamp(period.end)
    if period.start is not None:
        held &= when >= pd.Timestamp(period.start)
    return when[held]


def interviews_per_week(df: pd.DataFrame, period: Period) -> float:
    """Interviews held in the period ÷ its length in weeks."""
    return len(interviews_held(df, period)) / period.weeks


def interviews_scheduled(df: pd.DataFrame, today: dt.date) -> int:
    """Interviews dated after ``today``."""
    return int((_dates(df, "interview_date") > pd.Timestamp(today)).sum())


MAX_WEEKS = 26  # a longer period is charted by month, so the chart stays readable


def timeline_unit(period: Period) -> str:
    """'week' for periods up to 26 weeks, else 'month'."""
    return "week" if period.weeks <= MAX_WEEKS else "month"


def bucket_start(day: dt.date, unit: str) -> dt.date:
    """The Monday of ``day``'s week, or the first of its month."""
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_bucket(start: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return start + dt.timedelta(weeks=1)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def interviews_over_time(df: pd.DataFrame, period: Period) -> list[tuple[dt.date, int]]:
    """(start of each week or month in the period, interviews held in it), oldest first."""
    if period.start is None:
        return []
    unit = timeline_unit(period)
    counts = Counter(bucket_start(d.date(), unit) for d in interviews_held(df, period))
    out: list[tuple[dt.date, int]] = []
    start = bucket_start(period.start, unit)
    while start <= period.end:
        out.append((start, counts.get(start, 0)))
        start = _next_bucket(start, unit)
    return out


@dataclass(frozen=True)
class KindCount:
    """Actions due now of one kind (rule)."""

    rule: str
    label: str
    due_now: int
    overdue: int


def actions_by_kind(findings: Iterable[Finding]) -> tuple[KindCount, ...]:
    """Findings rated overdue or due, counted per rule, most frequent first."""
    now = [f for f in findings if f.severity in DUE_NOW]
    totals = Counter(f.rule for f in now)
    late = Counter(f.rule for f in now if f.severity is Severity.OVERDUE)
    ranked = sorted(totals, key=lambda r: (-totals[r], r))
    return tuple(KindCount(r, _rule_label(r), totals[r], late[r]) for r in ranked)


def stale_people(findings: Iterable[Finding]) -> int:
    """Distinct rows the stale-contact check flags."""
    return len({f.row for f in findings if f.rule == "stale-contact"})


def data_problems(findings: Iterable[Finding]) -> int:
    """Findings about the tracker's data."""
    return sum(1 for f in findings if f.severity is Severity.DATA)


def last_outreach(df: pd.DataFrame) -> dt.date | None:
    """The latest first-contact date."""
    latest = _dates(df, "outreach_date").max()
    return None if pd.isna(latest) else pd.Timestamp(latest).date()


def _rule_label(rule_id: str) -> str:
    rule = RULES.get(rule_id)
    return rule.label if rule else rule_id


@dataclass(frozen=True)
class Metrics:
    """Every figure of one student's Summary tab."""

    period: Period
    funnel: tuple[Stage, ...]
    reply_rate: float | None
    median_days_to_reply: float | None
    reply_days: tuple[int, ...]
    interviews_per_week: float
    interviews_scheduled: int
    timeline: tuple[tuple[dt.date, int], ...]
    timeline_unit: str
    actions: tuple[KindCount, ...]
    stale: int
    data_problems: int
    last_outreach: dt.date | None

    def stage(self, label: str) -> int:
        """The count of the funnel stage called ``label``."""
        return next(s.count for s in self.funnel if s.label == label)

    @property
    def due_now(self) -> int:
        """Actions due now, all kinds."""
        return sum(k.due_now for k in self.actions)

    @property
    def overdue(self) -> int:
        """Actions past their deadline, all kinds."""
        return sum(k.overdue for k in self.actions)


def compute_metrics(
    df: pd.DataFrame, findings: Sequence[Finding], today: dt.date, since: dt.date | None
) -> Metrics:
    """All figures for the rows and findings of one (already period-filtered) tracker."""
    period = period_of(df, today, since)
    stages = funnel(df, today)
    return Metrics(
        period=period,
        funnel=stages,
        reply_rate=ratio(stages[2].count, stages[1].count),
        median_days_to_reply=median_days_to_reply(df),
        reply_days=tuple(int(d) for d in reply_days(df)),
        interviews_per_week=interviews_per_week(df, period),
        interviews_scheduled=interviews_scheduled(df, today),
        timeline=tuple(interviews_over_time(df, period)),
        timeline_unit=timeline_unit(period),
        actions=actions_by_kind(findings),
        stale=stale_people(findings),
        data_problems=data_problems(findings),
        last_outreach=last_outreach(df),
    )


# ============================================================================ redaction

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
            name = _text(df.at[row, "name"]) if "name" in df else ""
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


# ============================================================================ reports

CellOut = str | int | float | dt.date | None


@dataclass(frozen=True)
class ActionRow:
    """One open finding, as the Actions tab shows it."""

    urgency: str
    due: dt.date | None
    contact: str
    organization: str
    what: str
    kind: str
    row: int
    severity: Severity


@dataclass(frozen=True)
class ContactTable:
    """The Contacts tab: headers, rows of values, which columns are dates, each row's style."""

    headers: tuple[str, ...]
    rows: tuple[tuple[CellOut, ...], ...]
    date_columns: frozenset[int]
    urgency_column: int
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudentReport:
    """Everything one student's export shows."""

    student: str
    source: str
    today: dt.date
    since: dt.date | None
    metrics: Metrics
    actions: tuple[ActionRow, ...]
    contacts: ContactTable
    redacted: bool
    worksheet: str
    stale_days: int = 90


NO_CONTACTS = ContactTable((), (), frozenset(), -1)


def student_report(
    checked: Checked,
    *,
    student: str,
    since: dt.date | None = None,
    redaction: Redaction | None = None,
    stale_days: int = 90,
    contacts: bool = True,
) -> StudentReport:
    """Figures, actions and contacts for one checked tracker (a
    :class:`sheetsync.pipeline.Checked`).

    ``contacts=False`` leaves the contact table empty (a cohort shows one line a student).
    """
    df = checked.tracker.df
    df = df[since_filter(df, since)]
    findings = tuple(f for f in checked.report.findings if f.row in df.index)
    redaction = redaction.bound(df) if redaction is not None else None
    return StudentReport(
        student=student,
        source=display_source(checked.source),
        today=checked.today,
        since=since,
        metrics=compute_metrics(df, findings, checked.today, since),
        actions=tuple(_action(f, df, redaction) for f in findings),
        contacts=contact_table(checked, df, findings, redaction) if contacts else NO_CONTACTS,
        redacted=redaction is not None,
        worksheet=checked.layout.worksheet,
        stale_days=stale_days,
    )


def display_source(source: str) -> str:
    """A source as the export names it: a file's name (never its folders), or the sheet id."""
    return source if source.startswith(("gsheet:", "http")) else Path(source).name


def _text(value: object) -> str:
    return (
        ""
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
        else str(value)
    )


def _action(f: Finding, df: pd.DataFrame, redaction: Redaction | None) -> ActionRow:
    org = _text(df["organization"].get(f.row)) if "organization" in df else ""
    if redaction is None:
        contact, what = f.contact, f.message
    else:
        contact = redaction.name(_text(df["name"].get(f.row)), f.row)
        what, org = _generic_step(f.rule), scrub(org)
    word = SEVERITY_WORD[f.severity]
    return ActionRow(word, f.due, contact, org, what, f.rule, f.row, f.severity)


def _generic_step(rule_id: str) -> str:
    """What to do, in words that name nobody (the rule's summary)."""
    rule = RULES.get(rule_id)
    return rule.summary if rule else rule_id


STATUS_HEADERS = tuple(c.header for c in MANAGED_COLUMNS)
URGENCY_HEADER = "Urgency"


NAME_FIELDS = ("name", "first_name", "last_name")


def contact_table(
    checked: Checked, df: pd.DataFrame, findings: Sequence[Finding], redaction: Redaction | None
) -> ContactTable:
    """Row number and name, then urgency and the status columns, then the tracker's other
    mapped columns (user headers, sheet order); redacted fields are left out."""
    lay = checked.layout
    in_order = [f for f, _ in sorted(lay.columns.items(), key=lambda kv: kv[1])]
    left_out = tuple(lay.headers[lay.columns[f]] for f in in_order if _redacted(f, redaction))
    kept = [f for f in in_order if not _redacted(f, redaction)]
    lead, rest = [f for f in kept if f in NAME_FIELDS], [f for f in kept if f not in NAME_FIELDS]
    raw = _raw_values(checked, kept)
    status_of, top = statuses(df.index, findings), _top_rule(findings)
    rows = tuple(
        (
            int(r),
            *(_cell(df, raw, f, int(r), redaction) for f in lead),
            *_status_cells(status_of[r], top.get(int(r)), redaction),
            *(_cell(df, raw, f, int(r), redaction) for f in rest),
        )
        for r in df.index
    )
    headers = ("Row", *(lay.headers[lay.columns[f]] for f in lead), URGENCY_HEADER,
               *STATUS_HEADERS, *(lay.headers[lay.columns[f]] for f in rest))  # fmt: skip
    first_rest = 1 + len(lead) + 1 + len(STATUS_HEADERS)
    dates = {first_rest + i for i, f in enumerate(rest) if BY_ID[f].kind in _DATE_KINDS}
    dates.add(first_rest - 1)  # the "sheetsync · due" column
    return ContactTable(headers, rows, frozenset(dates), 1 + len(lead), left_out)


_DATE_KINDS = (Kind.DATE, Kind.DATE_OR_FLAG)


def _status_cells(
    status: RowStatus, top_rule: str | None, redaction: Redaction | None
) -> tuple[CellOut, ...]:
    """Urgency word, then the managed columns in their order: status, next step, due."""
    urgency = "OK" if status.style == "ok" else SEVERITY_WORD[Severity(status.style)]
    return (urgency, status.status, _next_step(status.next_step, top_rule, redaction), status.due)


def _redacted(field_id: str, redaction: Redaction | None) -> bool:
    return redaction is not None and redaction.leaves_out(field_id)


def _top_rule(findings: Sequence[Finding]) -> dict[int, str]:
    top: dict[int, str] = {}
    for f in sorted(findings, key=Finding.sort_key):
        top.setdefault(f.row, f.rule)
    return top


def _next_step(message: str | None, rule_id: str | None, redaction: Redaction | None) -> str | None:
    if redaction is None or rule_id is None:
        return message
    return _generic_step(rule_id)


def _raw_values(checked: Checked, shown: Sequence[str]) -> dict[tuple[int, str], object]:
    """The cells as the user typed them (for values the typed frame could not read)."""
    tab, cols = checked.tab, checked.layout.columns
    return {(r, f): tab.cell(r, cols[f]) for r in checked.tracker.df.index for f in shown}


def _cell(
    df: pd.DataFrame,
    raw: Mapping[tuple[int, str], object],
    field_id: str,
    row: int,
    redaction: Redaction | None,
) -> CellOut:
    if redaction is not None:
        return _redacted_cell(df, raw[(row, field_id)], field_id, row, redaction)
    kind = BY_ID[field_id].kind
    day = _date_at(df, row, field_id) if kind is Kind.DATE else None
    if day is not None:
        return day
    if kind is Kind.DATE_OR_FLAG:
        return _flag_cell(df, raw, field_id, row)
    if field_id in ("name", "first_name", "last_name") and redaction is not None:
        return _redacted_name(df, field_id, row, redaction)
    return _plain(raw[(row, field_id)], redaction)


def _redacted_cell(
    df: pd.DataFrame, value: object, field_id: str, row: int, redaction: Redaction
) -> CellOut:
    """One cell as a redacted export shows it, by :data:`REDACTION_RULES`."""
    treat = REDACTION_RULES.get(field_id, Treat.DROP)
    if treat is Treat.CONTACT:
        return _redacted_name(df, field_id, row, redaction)
    if treat is Treat.DATE:
        return _date_at(df, row, field_id)  # text in a date cell ("TBD, she said") is dropped
    if treat is Treat.PEOPLE:
        return redaction.people(_text(value))
    if treat is Treat.CATEGORY:
        return _category(df, value, field_id, row)
    if treat is Treat.KEEP:
        return _plain(value, redaction)
    return None


_DECLINED = re.compile(
    r"declin|not interested|no thanks|can'?t|cannot|unable|turned (me )?down|refus|too busy", re.I
)
_PLATFORMS = (
    ("video call", re.compile(r"zoom|teams|meet|skype|webex|video|facetime|hangout", re.I)),
    ("phone", re.compile(r"phone|call|tel\b|mobile", re.I)),
)
_NOTHING = frozenset({"", "-", "—", "none", "no", "n/a", "na", "cold", "nobody"})


def _category(df: pd.DataFrame, value: object, field_id: str, row: int) -> CellOut:
    """A category word in place of what was typed (the date, when the cell holds one)."""
    text = clean_text(_text(value)) if not isinstance(value, CellError) else ""
    if field_id == "connection":
        return "yes" if text.casefold() not in _NOTHING else None
    if field_id == "platform":
        if not text:
            return None
        return next((word for word, pat in _PLATFORMS if pat.search(text)), "in person/other")
    if field_id == "cadence":
        days = parse_cadence(value) if text else None
        return f"every {round(days)} days" if days else None
    day = _date_at(df, row, f"{field_id}_date")
    if day is not None:
        return day
    flag = _at(df, row, field_id)
    if flag is None or pd.isna(flag):
        return None
    if field_id == "response":
        return "declined" if _DECLINED.search(text) else ("replied" if flag else "no reply")
    return "yes" if bool(flag) else "no"


def _flag_cell(
    df: pd.DataFrame,
    raw: Mapping[tuple[int, str], object],
    field_id: str,
    row: int,
) -> CellOut:
    """A date-or-flag cell: its date, else what was typed (unredacted exports only)."""
    day = _date_at(df, row, f"{field_id}_date")
    return day if day is not None else _plain(raw[(row, field_id)], None)


def _at(df: pd.DataFrame, row: int, name: str) -> Any:
    """One cell of the typed frame (None when the column is absent)."""
    return df.at[row, name] if name in df else None


def _date_at(df: pd.DataFrame, row: int, name: str) -> dt.date | None:
    """A date cell of the typed frame as a date (None when empty or absent)."""
    value = _at(df, row, name)
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _redacted_name(df: pd.DataFrame, field_id: str, row: int, redaction: Redaction) -> CellOut:
    if field_id == "name" or "name" not in df:
        return redaction.name(_text(df.at[row, "name"]), row)
    return None  # split names: the initials stand in the first-name column


def _plain(value: object, redaction: Redaction | None) -> CellOut:
    if value is None or isinstance(value, bool):
        return None if value is None else ("yes" if value else "no")
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value) if not isinstance(value, CellError) else value.code
    return scrub(text) if redaction is not None else text


# ---------------------------------------------------------------------------- cohort


@dataclass(frozen=True)
class SourceFailure:
    """A cohort source that could not be read, and why."""

    student: str
    source: str
    error: str


@dataclass(frozen=True)
class CohortRow:
    """One student's line in the cohort table."""

    report: StudentReport
    attention: tuple[str, ...]


@dataclass(frozen=True)
class CohortReport:
    """A cohort: one row per student that worked, the sources that failed, and totals."""

    today: dt.date
    since: dt.date | None
    rows: tuple[CohortRow, ...]
    failures: tuple[SourceFailure, ...]
    quiet_days: int

    def total(self, label: str) -> int:
        """A funnel stage summed over the cohort."""
        return sum(r.report.metrics.stage(label) for r in self.rows)


def attention(metrics: Metrics, today: dt.date, quiet_days: int) -> tuple[str, ...]:
    """Why a student needs an advisor's attention (empty: on track)."""
    reasons: list[str] = []
    if metrics.overdue:
        reasons.append(f"{metrics.overdue} overdue action{'s' if metrics.overdue > 1 else ''}")
    last = metrics.last_outreach
    if last is None or (today - last).days > quiet_days:
        since = f"since {_day(last)}" if last else "recorded"
        reasons.append(f"no new outreach {since}")
    return tuple(reasons)


def cohort_report(
    outcomes: Sequence[StudentReport | SourceFailure],
    today: dt.date,
    since: dt.date | None = None,
    quiet_days: int = 14,
) -> CohortReport:
    """Fold students' reports and failures into one cohort view."""
    rows = tuple(
        CohortRow(o, attention(o.metrics, today, quiet_days))
        for o in outcomes
        if isinstance(o, StudentReport)
    )
    failures = tuple(o for o in outcomes if isinstance(o, SourceFailure))
    return CohortReport(today, since, rows, failures, quiet_days)


# ============================================================================ writer

WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": "d mmm yyyy",
    "remove_timezone": True,
}
MAX_TEXT = 32_000  # Excel's limit is 32,767 characters a cell
DATE_FORMAT = "d mmm yyyy"
URGENCY_FILL = {
    "Overdue": "#F4B6B6",
    "Due": "#FCE1B3",
    "Soon": "#FFF6C7",
    "Check": "#E3D7F0",
}
ACCENT = "#2F5D8A"
FUNNEL_TITLE = "Outreach funnel"
TIMELINE_TITLE = "Interviews over time"
COHORT_TITLE = "Contacted, replied and interviewed, per student"


class _Book:
    """An xlsxwriter workbook and the handful of formats every tab shares."""

    def __init__(self, title: str) -> None:
        self.buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.buffer, WORKBOOK_OPTIONS)
        self.wb.set_properties({"title": title, "author": "sheetsync", "comments": ""})
        # How sheetsync recognises its own export (and replaces only that): see files.is_own.
        self.wb.set_custom_property(*files.EXPORT_PROPERTY)
        self.fmt = {name: self.wb.add_format(spec) for name, spec in _FORMATS.items()}
        self.fill = {
            w: self.wb.add_format({"bg_color": c, "valign": "top", "text_wrap": True})
            for w, c in URGENCY_FILL.items()
        }

    def sheet(self, name: str, *, landscape: bool = True) -> Any:
        """A new tab set up to print one page wide."""
        ws = self.wb.add_worksheet(name)
        if landscape:
            ws.set_landscape()
        ws.set_paper(9)  # A4; LibreOffice and Excel scale to Letter when asked
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        ws.set_footer("&L&A&R&P / &N")
        return ws

    def close(self) -> bytes:
        """Finish the package and return its bytes."""
        self.wb.close()
        return self.buffer.getvalue()


_FORMATS: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 16, "font_color": ACCENT},
    "subtitle": {"italic": True, "font_color": "#555555"},
    "section": {"bold": True, "font_size": 12, "font_color": ACCENT, "bottom": 1},
    "header": {
        "bold": True,
        "bg_color": "#DCE6F1",
        "border": 1,
        "text_wrap": True,
        "valign": "top",
    },
    "text": {"valign": "top"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "int": {"num_format": "0", "valign": "top"},
    "num1": {"num_format": "0.0", "valign": "top"},
    "num2": {"num_format": "0.00", "valign": "top"},
    "month": {"num_format": "mmm yyyy", "valign": "top", "align": "left"},
    "pct": {"num_format": "0%", "valign": "top"},
    "date": {"num_format": DATE_FORMAT, "valign": "top", "align": "left"},
    "bold": {"bold": True},
    "bold_wrap": {"bold": True, "text_wrap": True, "valign": "top"},
    "total": {"bold": True, "top": 1},
    "total_pct": {"bold": True, "top": 1, "num_format": "0%"},
    "total_num1": {"bold": True, "top": 1, "num_format": "0.0"},
    "muted": {"font_color": "#777777", "italic": True},
}


def put(ws: Any, row: int, col: int, value: CellOut, fmt: Any = None) -> None:
    """Write one value by its type; text always as a literal string (never a formula)."""
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, _safe_text(value), fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, _as_datetime(value), fmt)
    else:
        ws.write_number(row, col, value, fmt)


def _safe_text(text: str) -> str:
    """Without control characters (invalid in XML) and within Excel's cell limit."""
    text = "".join(ch if ch in "\t\n" or ord(ch) >= 32 else " " for ch in text)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _as_datetime(day: dt.date) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day.replace(tzinfo=None)
    return dt.datetime.combine(day, dt.time())


def _day(day: dt.date | None) -> str:
    return f"{day:%d %b %Y}".lstrip("0") if day else "—"


def _table(ws: Any, book: _Book, top: int, headers: Sequence[str], widths: Sequence[float]) -> None:
    for c, (text, width) in enumerate(zip(headers, widths, strict=True)):
        ws.write_string(top, c, text, book.fmt["header"])
        ws.set_column(c, c, width)
    ws.set_row(top, row_height(headers, [w * 0.9 for w in widths]))  # bold headers wrap sooner


# ---------------------------------------------------------------------------- student tabs


def write_student(report: StudentReport, output: Path, sources: Sequence[str] = ()) -> Path:
    """Write one student's export to ``output`` (a new file; refuses to overwrite a source)."""
    book = _Book(f"Networking progress: {report.student}")
    _summary_tab(book, report)
    _actions_tab(book, report)
    _contacts_tab(book, report)
    _about_tab(book, report)
    return _save(book, output, sources)


FUNNEL_BASE = {  # each stage's share is of this earlier stage
    "Contacted": "People listed",
    "Replied": "Contacted",
    "Interviewed": "Replied",
    "Thanked": "Interviewed",
    "Referrals gained": "Contacted",
}
FUNNEL_TOP = 4  # Summary rows (0-based): the funnel's section title, header, then stages
TIMELINE_COL = 14  # the timeline table sits right of the charts (column O)
CHART_COL = 5  # charts start in column F


def _summary_tab(book: _Book, r: StudentReport) -> None:
    ws = book.sheet("Summary")
    ws.fit_to_pages(1, 1)  # the whole summary on one page
    for col, width in (
        (0, 28),
        (1, 9),
        (2, 8),
        (3, 12),
        (TIMELINE_COL, 14),
        (TIMELINE_COL + 1, 11),
    ):
        ws.set_column(col, col, width)
    _summary_heading(ws, book, r)
    row = _funnel_block(ws, book, FUNNEL_TOP, r.metrics)
    row = _figures_block(ws, book, row + 1, r)
    _actions_block(ws, book, row + 1, r.metrics)
    _timeline_block(ws, book, FUNNEL_TOP, r.metrics)
    _funnel_chart(book, ws, r.metrics)
    if r.metrics.timeline:
        _timeline_chart(book, ws, r.metrics)


def _summary_heading(ws: Any, book: _Book, r: StudentReport) -> None:
    m = r.metrics
    ws.write_string(0, 0, _safe_text(f"Networking progress: {r.student}"), book.fmt["title"])
    period = f"Period covered: {m.period.label()} · as of {_day(r.today)}"
    ws.write_string(1, 0, period, book.fmt["subtitle"])
    redacted = " · third-party details redacted" if r.redacted else ""
    ws.write_string(2, 0, _safe_text(f"Source: {r.source}{redacted}"), book.fmt["subtitle"])


def _funnel_block(ws: Any, book: _Book, top: int, m: Metrics) -> int:
    ws.write_string(top, 0, "Funnel", book.fmt["section"])
    _headers(ws, book, top + 1, ("Stage", "People", "Share", "of"))
    counts = {s.label: s.count for s in m.funnel}
    for i, stage in enumerate(m.funnel):
        row = top + 2 + i
        base = FUNNEL_BASE.get(stage.label)
        put(ws, row, 0, stage.label, book.fmt["text"])
        put(ws, row, 1, stage.count, book.fmt["int"])
        put(ws, row, 2, ratio(stage.count, counts[base]) if base else None, book.fmt["pct"])
        put(ws, row, 3, base.lower() if base else None, book.fmt["muted"])
    return top + 2 + len(m.funnel)


def _headers(ws: Any, book: _Book, row: int, texts: Sequence[str], col: int = 0) -> None:
    for c, text in enumerate(texts, start=col):
        ws.write_string(row, c, text, book.fmt["header"])


def _figures_block(ws: Any, book: _Book, top: int, r: StudentReport) -> int:
    m = r.metrics
    ws.write_string(top, 0, "Key figures", book.fmt["section"])
    figures: list[tuple[str, CellOut, str]] = [
        ("Reply rate", m.reply_rate, "pct"),
        ("Median days to reply", m.median_days_to_reply, "num1"),
        ("Interviews per week", round(m.interviews_per_week, 2), "num2"),
        ("Interviews scheduled", m.interviews_scheduled, "int"),
        ("Actions due now", m.due_now, "int"),
        ("  of which overdue", m.overdue, "int"),
        ("People gone stale", m.stale, "int"),
        ("Data problems", m.data_problems, "int"),
    ]
    for i, (label, value, fmt) in enumerate(figures):
        put(ws, top + 1 + i, 0, label, book.fmt["text"])
        put(ws, top + 1 + i, 1, value if value is not None else "n/a", book.fmt[fmt])
    return top + 1 + len(figures)


def _actions_block(ws: Any, book: _Book, top: int, m: Metrics) -> int:
    ws.write_string(top, 0, "Actions due now, by kind", book.fmt["section"])
    _headers(ws, book, top + 1, ("Kind", "Due now", "Overdue"))
    if not m.actions:
        ws.write_string(top + 2, 0, "Nothing due: all caught up.", book.fmt["muted"])
        return top + 3
    for i, k in enumerate(m.actions):
        put(ws, top + 2 + i, 0, k.label, book.fmt["text"])
        put(ws, top + 2 + i, 1, k.due_now, book.fmt["int"])
        put(ws, top + 2 + i, 2, k.overdue, book.fmt["int"])
    return top + 2 + len(m.actions)


def _timeline_block(ws: Any, book: _Book, top: int, m: Metrics) -> None:
    unit = m.timeline_unit
    ws.write_string(top, TIMELINE_COL, f"Interviews held, by {unit}", book.fmt["section"])
    first = "Week of (Mon)" if unit == "week" else "Month"
    _headers(ws, book, top + 1, (first, "Interviews"), TIMELINE_COL)
    fmt = book.fmt["date"] if unit == "week" else book.fmt["month"]
    for i, (start, n) in enumerate(m.timeline):
        put(ws, top + 2 + i, TIMELINE_COL, start, fmt)
        put(ws, top + 2 + i, TIMELINE_COL + 1, n, book.fmt["int"])


def _funnel_chart(book: _Book, ws: Any, m: Metrics) -> None:
    first, last = FUNNEL_TOP + 2, FUNNEL_TOP + 1 + len(m.funnel)
    chart = book.wb.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "People",
            "categories": ["Summary", first, 0, last, 0],
            "values": ["Summary", first, 1, last, 1],
            "fill": {"color": ACCENT},
            "data_labels": {"value": True},
            "gap": 60,
        }
    )
    _style_chart(chart, FUNNEL_TITLE)
    chart.set_y_axis({"reverse": True})
    chart.set_x_axis({"min": 0, "major_gridlines": _GRIDLINES})
    ws.insert_chart(FUNNEL_TOP, CHART_COL, chart)


_GRIDLINES = {"visible": True, "line": {"color": "#DDDDDD"}}


def _timeline_chart(book: _Book, ws: Any, m: Metrics) -> None:
    first, last = FUNNEL_TOP + 2, FUNNEL_TOP + 1 + len(m.timeline)
    chart = book.wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Interviews",
            "categories": ["Summary", first, TIMELINE_COL, last, TIMELINE_COL],
            "values": ["Summary", first, TIMELINE_COL + 1, last, TIMELINE_COL + 1],
            "fill": {"color": "#5B9B6B"},
            "gap": 40,
        }
    )
    _style_chart(chart, TIMELINE_TITLE)
    label = "d mmm" if m.timeline_unit == "week" else "mmm yy"
    chart.set_x_axis(
        {"text_axis": True, "num_format": label, "num_font": {"rotation": -45, "size": 8}}
    )
    chart.set_y_axis({"min": 0, "major_unit": 1, "major_gridlines": _GRIDLINES})
    ws.insert_chart(FUNNEL_TOP + 17, CHART_COL, chart)


def _style_chart(chart: Any, title: str) -> None:
    chart.set_title({"name": title, "name_font": {"size": 12, "bold": True}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 560, "height": 310})


ACTION_HEADERS = ("Urgency", "Due", "Contact", "Organization", "What to do", "Kind", "Row")
ACTION_WIDTHS = (10.0, 12.0, 20.0, 26.0, 64.0, 17.0, 6.0)


def _actions_tab(book: _Book, r: StudentReport) -> None:
    ws = book.sheet("Actions")
    _table(ws, book, 0, ACTION_HEADERS, ACTION_WIDTHS)
    for i, a in enumerate(r.actions, start=1):
        values: tuple[CellOut, ...] = (
            a.urgency, a.due, a.contact, a.organization, a.what, _rule_label(a.kind), a.row,
        )  # fmt: skip
        for c, value in enumerate(values):
            put(ws, i, c, value, book.fmt["date"] if c == 1 else book.fmt["wrap"])
        put(ws, i, 0, a.urgency, book.fill.get(a.urgency, book.fmt["wrap"]))
        ws.set_row(i, row_height(values, ACTION_WIDTHS))
    if not r.actions:
        ws.write_string(1, 0, "No open actions: the tracker is up to date.", book.fmt["muted"])
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(r.actions), 1), len(ACTION_HEADERS) - 1)
    ws.repeat_rows(0)


LINE_HEIGHT = 15.0


def row_height(values: Sequence[CellOut], widths: Sequence[float]) -> float:
    """A row tall enough for its wrapped text (xlsxwriter cannot measure; Excel and
    LibreOffice do not re-measure rows on opening, so overlong text would overlap)."""
    texts = [(v, w) for v, w in zip(values, widths, strict=False) if isinstance(v, str)]
    return printing.row_height(texts) or LINE_HEIGHT


def _contacts_tab(book: _Book, r: StudentReport) -> None:
    ws = book.sheet("Contacts")
    t = r.contacts
    widths = _widths(t)
    _table(ws, book, 0, t.headers, widths)
    for i, values in enumerate(t.rows, start=1):
        for c, value in enumerate(values):
            put(ws, i, c, value, book.fmt["date"] if c in t.date_columns else book.fmt["wrap"])
        ws.set_row(i, row_height(values, widths))
    last = max(len(t.rows), 1)
    ws.freeze_panes(1, t.urgency_column)
    ws.autofilter(0, 0, last, len(t.headers) - 1)
    ws.repeat_rows(0)
    ws.repeat_columns(0, t.urgency_column - 1)
    ws.fit_to_pages(1 if sum(widths) <= PAGE_WIDTH else 2, 0)
    _urgency_formats(ws, book, last, len(t.headers) - 1, t.urgency_column)


PAGE_WIDTH = 200  # column-width units that still print legibly on one landscape page


def _widths(t: ContactTable) -> list[float]:
    """Column widths from the longest value (dates a fixed width), clamped to 5–30."""
    out: list[float] = []
    for c, header in enumerate(t.headers):
        if c in t.date_columns:
            out.append(13.0)
            continue
        longest = max([len(str(row[c])) for row in t.rows if row[c] is not None] + [8])
        out.append(float(min(max(longest + 1, 5, min(len(header), 14)), 30)))
    return out


def _urgency_formats(ws: Any, book: _Book, last: int, last_col: int, urgency_col: int) -> None:
    letter = xlsxwriter.utility.xl_col_to_name(urgency_col)
    for word, fmt in book.fill.items():
        ws.conditional_format(
            1, 0, last, last_col,
            {"type": "formula", "criteria": f'=${letter}2="{word}"', "format": fmt},
        )  # fmt: skip


ABOUT_WIDTHS = (24.0, 80.0)


def _about_tab(book: _Book, r: StudentReport) -> None:
    ws = book.sheet("About", landscape=False)
    ws.set_column(0, 0, ABOUT_WIDTHS[0])
    ws.set_column(1, 1, ABOUT_WIDTHS[1])
    ws.write_string(0, 0, "About this export", book.fmt["title"])
    facts: list[tuple[str, str]] = [
        ("Student", r.student),
        ("As of", _day(r.today)),
        ("Period covered", r.metrics.period.label()),
        ("Source", f"{r.source} (tab '{r.worksheet}')"),
        ("Made with", f"sheetsync {__version__}"),
        ("Redaction", _redaction_note(r)),
    ]
    row = _pairs(ws, book, 2, facts)
    ws.write_string(row + 1, 0, "How each number is computed", book.fmt["section"])
    _pairs(ws, book, row + 2, _definitions(r.stale_days))


def _redaction_note(r: StudentReport) -> str:
    if not r.redacted:
        return "None: names and details appear as the student typed them."
    left = ", ".join(r.contacts.left_out) or "none"
    return (
        "Contacts shown as initials and everyone else they name as Person A, B, … (the same "
        "person, the same placeholder); replies, places and connections reduced to a category; "
        "free text, emails, URLs and phone numbers removed; actions described generically. "
        f"Columns left out: {left}."
    )


def _definitions(stale_days: int) -> list[tuple[str, str]]:
    return [
        (k, v.replace("(default 90 days)", f"(default {stale_days} days)")) for k, v in DEFINITIONS
    ]


def _pairs(ws: Any, book: _Book, top: int, pairs: Sequence[tuple[str, str]]) -> int:
    for i, (key, value) in enumerate(pairs):
        ws.write_string(top + i, 0, key, book.fmt["bold"])
        ws.write_string(top + i, 1, _safe_text(value), book.fmt["wrap"])
        ws.set_row(top + i, row_height((key, value), ABOUT_WIDTHS))
    return top + len(pairs)


# ---------------------------------------------------------------------------- cohort tabs

COHORT_HEADERS = (
    "Student", "Source", "Listed", "Contacted", "Replied", "Interviewed", "Thanked",
    "Referrals", "Reply rate", "Median days to reply", "Interviews / week", "Due now",
    "Overdue", "Gone stale", "Needs attention",
)  # fmt: skip


def write_cohort(report: CohortReport, output: Path, sources: Sequence[str] = ()) -> Path:
    """Write the cohort workbook: one row per student, totals, attention, failures, About."""
    book = _Book("Networking progress: cohort")
    ws = book.sheet("Cohort")
    ws.write_string(0, 0, "Cohort networking progress", book.fmt["title"])
    ws.write_string(1, 0, _cohort_subtitle(report), book.fmt["subtitle"])
    _table(ws, book, 3, COHORT_HEADERS, COHORT_WIDTHS)
    for i, row in enumerate(report.rows):
        _cohort_row(ws, book, 4 + i, row)
    bottom = _cohort_totals(ws, book, 4 + len(report.rows), report)
    bottom = _failures_block(ws, book, bottom + 2, report.failures)
    bottom = _attention_block(ws, book, bottom + 1, report)
    if report.rows:
        _cohort_chart(book, ws, report, bottom + 2)  # below every table: nothing under it
    _cohort_about(book, report)
    return _save(book, output, sources)


COHORT_WIDTHS = (22.0, 20.0, 8.0, 10.0, 9.0, 11.0, 9.0, 10.0, 9.0, 11.0, 11.0, 9.0, 9.0, 9.0, 36.0)


def _cohort_subtitle(report: CohortReport) -> str:
    since = f"since {_day(report.since)} · " if report.since else ""
    failed = f" · {len(report.failures)} could not be read" if report.failures else ""
    return f"{since}as of {_day(report.today)} · {len(report.rows)} students{failed}"


def _cohort_row(ws: Any, book: _Book, row: int, c: CohortRow) -> None:
    m = c.report.metrics
    values: list[tuple[CellOut, str]] = [
        (c.report.student, "wrap"),
        (c.report.source, "wrap"),
        *[(s.count, "int") for s in m.funnel],
        (m.reply_rate, "pct"),
        (m.median_days_to_reply, "num1"),
        (round(m.interviews_per_week, 2), "num1"),
        (m.due_now, "int"),
        (m.overdue, "int"),
        (m.stale, "int"),
        ("; ".join(c.attention) or "on track", "wrap"),
    ]
    for col, (value, fmt) in enumerate(values):
        put(ws, row, col, value, book.fmt[fmt])
    ws.set_row(row, row_height([v for v, _ in values], COHORT_WIDTHS))
    if c.attention:
        ws.write_string(row, 0, _safe_text(c.report.student), book.fill["Due"])


def _cohort_totals(ws: Any, book: _Book, row: int, report: CohortReport) -> int:
    stages = [s.label for s in report.rows[0].report.metrics.funnel] if report.rows else []
    put(ws, row, 0, "Cohort total", book.fmt["total"])
    put(ws, row, 1, f"{len(report.rows)} students", book.fmt["total"])
    for i, label in enumerate(stages):
        put(ws, row, 2 + i, report.total(label), book.fmt["total"])
    totals = cohort_totals(report)
    put(ws, row, 8, totals["reply_rate"], book.fmt["total_pct"])
    put(ws, row, 9, totals["median_days_to_reply"], book.fmt["total_num1"])
    put(ws, row, 10, totals["interviews_per_week"], book.fmt["total_num1"])
    for col, key in ((11, "due_now"), (12, "overdue"), (13, "stale")):
        put(ws, row, col, totals[key], book.fmt["total"])
    put(ws, row, 14, f"{totals['attention']} need attention", book.fmt["total"])
    ws.set_row(row, row_height([f"{len(report.rows)} students"], COHORT_WIDTHS[1:]))
    return row + 1


def cohort_totals(report: CohortReport) -> dict[str, CellOut]:
    """Pooled figures: sums of counts, replies ÷ contacted, median over every dated reply."""
    rows = [r.report for r in report.rows]
    days = [d for r in rows for d in r.metrics.reply_days]
    return {
        "reply_rate": ratio(report.total("Replied"), report.total("Contacted")),
        "median_days_to_reply": float(pd.Series(days).median()) if days else None,
        "interviews_per_week": round(sum(r.metrics.interviews_per_week for r in rows), 2),
        "due_now": sum(r.metrics.due_now for r in rows),
        "overdue": sum(r.metrics.overdue for r in rows),
        "stale": sum(r.metrics.stale for r in rows),
        "attention": sum(1 for r in report.rows if r.attention) + len(report.failures),
    }


def _failures_block(ws: Any, book: _Book, top: int, failures: Sequence[SourceFailure]) -> int:
    if not failures:
        return top - 1
    ws.write_string(top, 0, "Sources that could not be read", book.fmt["section"])
    _headers(ws, book, top + 1, ("Student", "Source", "Problem"))
    for i, f in enumerate(failures):
        put(ws, top + 2 + i, 0, f.student, book.fill["Overdue"])
        put(ws, top + 2 + i, 1, f.source, book.fmt["text"])
        ws.merge_range(top + 2 + i, 2, top + 2 + i, 14, "", book.fmt["wrap"])
        put(ws, top + 2 + i, 2, f.error, book.fmt["wrap"])
        merged = sum(COHORT_WIDTHS[2:])
        ws.set_row(top + 2 + i, row_height([f.student, f.source, f.error], (22, 20, merged)))
    return top + 2 + len(failures)


def _attention_block(ws: Any, book: _Book, top: int, report: CohortReport) -> int:
    """The list of who needs attention; the row below it."""
    ws.write_string(top, 0, "Who needs attention", book.fmt["section"])
    needing = [(r.report.student, "; ".join(r.attention)) for r in report.rows if r.attention]
    needing += [(f.student, "tracker could not be read") for f in report.failures]
    if not needing:
        ws.write_string(top + 1, 0, "Everyone is on track.", book.fmt["muted"])
        return top + 2
    why_col = sum(COHORT_WIDTHS[1:])  # the reason may run on to the table's right edge
    for i, (student, why) in enumerate(needing):
        put(ws, top + 1 + i, 0, student, book.fmt["bold_wrap"])
        ws.merge_range(top + 1 + i, 1, top + 1 + i, len(COHORT_WIDTHS) - 1, "", book.fmt["wrap"])
        put(ws, top + 1 + i, 1, why, book.fmt["wrap"])
        ws.set_row(top + 1 + i, row_height([student, why], (COHORT_WIDTHS[0], why_col)))
    return top + 1 + len(needing)


def _cohort_chart(book: _Book, ws: Any, report: CohortReport, top: int) -> None:
    last = 3 + len(report.rows)
    chart = book.wb.add_chart({"type": "bar"})
    for col, color in ((3, "#9DB7D5"), (4, ACCENT), (5, "#5B9B6B")):
        chart.add_series(
            {
                "name": ["Cohort", 3, col],
                "categories": ["Cohort", 4, 0, last, 0],
                "values": ["Cohort", 4, col, last, col],
                "fill": {"color": color},
            }
        )
    chart.set_title({"name": COHORT_TITLE, "name_font": {"size": 12, "bold": True}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 120 + 40 * len(report.rows)})
    ws.insert_chart(top, 0, chart)


def _cohort_about(book: _Book, report: CohortReport) -> None:
    ws = book.sheet("About", landscape=False)
    ws.set_column(0, 0, ABOUT_WIDTHS[0])
    ws.set_column(1, 1, ABOUT_WIDTHS[1])
    ws.write_string(0, 0, "About this export", book.fmt["title"])
    facts = [
        ("As of", _day(report.today)),
        ("Since", _day(report.since) if report.since else "each student's first contact"),
        ("Students", str(len(report.rows))),
        ("Could not be read", str(len(report.failures))),
        ("Made with", f"sheetsync {__version__}"),
        (
            "Cohort totals",
            "Counts are summed; reply rate = all replies ÷ all contacted; median over every "
            "student's dated replies; interviews per week summed (the cohort's weekly pace).",
        ),
    ]
    row = _pairs(ws, book, 2, facts)
    ws.write_string(row + 1, 0, "How each number is computed", book.fmt["section"])
    _pairs(ws, book, row + 2, _definitions(90))


# ---------------------------------------------------------------------------- saving


def check_output(output: Path, sources: Sequence[str], config: Path | None = None) -> None:
    """Refuse an output that is not .xlsx, is one of the sources or the config (or a link to
    them), is a file sheetsync did not export, or is open in Excel."""
    from sheetsync.files import lock_files

    if output.suffix.lower() != ".xlsx":
        raise ConfigError(f"The export is an .xlsx workbook: name it e.g. {output.stem}.xlsx.")
    files.check_output(output, files.Kind.EXPORT, files.Protected.of(sources, config))
    locks = lock_files(output)
    if locks:
        raise WriteRefused(
            f"{output.name} is open in Excel or LibreOffice (lock file {locks[0].name}). "
            "Close it, or pass another -o path."
        )


def _save(book: _Book, output: Path, sources: Sequence[str]) -> Path:
    check_output(output, sources)
    data = book.close()
    files.write_output(output, data, files.Kind.EXPORT, protected=files.Protected.of(sources))
    log.info("wrote the advisor export %s (%d bytes)", output, len(data))
    return output


# ============================================================================ the whole run


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` wrote, and which sources failed (cohort only)."""

    output: Path
    students: tuple[str, ...]
    failures: tuple[SourceFailure, ...] = ()
    actions: int = 0


def student_name(
    source: str, config: ExportConfig, given: str | None = None, title: str | None = None
) -> str:
    """``--student``, else ``[export] students`` for this source, else ``student``, else the
    tracker's own ``title`` (see :func:`tracker_title`), else the file's name (with its
    extension: a bare stem such as "tracker" reads like a person) or the Google sheet id."""
    if given:
        return given
    for key in (source, display_source(source)):
        if key in config.students:
            return config.students[key]
    if config.student:
        return config.student
    if title:
        return title
    return display_source(source).removeprefix("gsheet:")


TITLE_LIMIT = 80  # a longer "title" is a paragraph of instructions, not a name


def tracker_title(checked: Checked) -> str | None:
    """The tracker's own title: the workbook's title property, else the first text above the
    header row of the contacts tab (row 1's "Jane's networking tracker"); None when neither."""
    titled = _title_property(checked.source)
    if titled:
        return titled
    tab = checked.tab
    for row in range(1, checked.layout.header_row):
        for value in tab.rows[row - 1] if row <= len(tab.rows) else ():
            text = value.strip() if isinstance(value, str) else ""
            if text:
                return text if len(text) <= TITLE_LIMIT else None
    return None


def _title_property(source: str) -> str | None:
    """``dc:title`` from an .xlsx file's core properties (File > Properties > Title)."""
    if not source.lower().endswith((".xlsx", ".xlsm")):
        return None
    try:
        with zipfile.ZipFile(source) as z:
            core = z.read("docProps/core.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    found = re.search(rb"<dc:title>([^<]{1,200})</dc:title>", core)
    text = html.unescape(found.group(1).decode("utf-8", "replace")).strip() if found else ""
    return text or None


def _redaction(settings: Settings, redact: bool | None) -> Redaction | None:
    config: ExportConfig = settings.section("export")
    wanted = config.redact if redact is None else redact
    return Redaction.from_config(config) if wanted else None


def _stale_days(settings: Settings) -> int:
    days = settings.rule_params.get("stale-contact", {}).get("days", 90)
    return int(days)


Checker = Callable[[str], Checked]


def report_for(
    source: str,
    settings: Settings,
    today: dt.date,
    *,
    since: dt.date | None,
    redact: bool | None,
    student: str | None = None,
    checker: Checker | None = None,
    contacts: bool = True,
) -> StudentReport:
    """Read and check one source, and build its report (``contacts``: with its contact table)."""
    from sheetsync import pipeline

    def default_checker(src: str) -> Checked:
        return pipeline.check(pipeline.open_backend(src, settings), settings, today)

    checked = (checker or default_checker)(source)
    title = tracker_title(checked)
    return student_report(
        checked,
        student=student_name(source, settings.section("export"), student, title),
        since=since,
        redaction=_redaction(settings, redact),
        stale_days=_stale_days(settings),
        contacts=contacts,
    )


def export(
    sources: Sequence[str],
    output: Path,
    settings: Settings,
    today: dt.date,
    *,
    since: dt.date | None = None,
    redact: bool | None = None,
    student: str | None = None,
    cohort: bool = False,
) -> ExportResult:
    """Export one tracker (or, with ``cohort``, several) to ``output``."""
    if since is not None and since > today:
        raise ConfigError(f"--since {since} is after the as-of date {today}: pick an earlier day.")
    check_output(output, sources, settings.path)
    if not cohort:
        if len(sources) != 1:
            raise ConfigError("Export one tracker at a time, or pass --cohort for several.")
        report = report_for(
            sources[0], settings, today, since=since, redact=redact, student=student
        )
        write_student(report, output, sources)
        return ExportResult(output, (report.student,), (), len(report.actions))
    return _export_cohort(sources, output, settings, today, since=since, redact=redact)


def _export_cohort(
    sources: Sequence[str],
    output: Path,
    settings: Settings,
    today: dt.date,
    *,
    since: dt.date | None,
    redact: bool | None,
) -> ExportResult:
    config: ExportConfig = settings.section("export")
    from sheetsync import cohort  # the pool is only needed here

    outcomes = _distinct_names(
        cohort.read_all(sources, settings, today, since=since, redact=redact)
    )
    report = cohort_report(outcomes, today, since, config.quiet_days)
    if report.rows:
        write_cohort(report, output, sources)
    names = tuple(r.report.student for r in report.rows)
    return ExportResult(
        output, names, report.failures, sum(len(r.report.actions) for r in report.rows)
    )


def _distinct_names(
    outcomes: Sequence[StudentReport | SourceFailure],
) -> list[StudentReport | SourceFailure]:
    """Students who share a name (two copies of the same template's title) get their
    source's name after it, then a number, so no two cohort rows read alike."""
    counts = Counter(o.student for o in outcomes)
    seen: set[str] = set()
    out: list[StudentReport | SourceFailure] = []
    for o in outcomes:
        name = o.student if counts[o.student] == 1 else f"{o.student} ({o.source})"
        n = 2
        while name in seen:
            name, n = f"{o.student} ({o.source}, {n})", n + 1
        seen.add(name)
        out.append(o if name == o.student else dataclasses.replace(o, student=name))
    return out


def _try_source(
    source: str, settings: Settings, today: dt.date, since: dt.date | None, redact: bool | None
) -> StudentReport | SourceFailure:
    """One cohort member; a failure is recorded, never raised (one bad file must not stop
    the rest of the cohort)."""
    name = student_name(source, settings.section("export"))
    try:
        return report_for(source, settings, today, since=since, redact=redact, contacts=False)
    except SheetsyncError as exc:
        log.info("cohort: %s could not be read: %s", source, exc)
        return SourceFailure(name, display_source(source), _no_folders(str(exc), source))
    except Exception as exc:  # a corrupt file can surface as any parser error
        log.info("cohort: %s failed", source, exc_info=True)
        problem = _no_folders(f"{type(exc).__name__}: {exc}", source)
        return SourceFailure(name, display_source(source), problem)


def _no_folders(message: str, source: str) -> str:
    """The message with the source's path shown as its file name, as everywhere in the
    export (an advisor's copy need not show the student's folders)."""
    return message.replace(source, display_source(source))
