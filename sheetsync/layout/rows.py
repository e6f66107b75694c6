"""Candidate header rows of a tab: where a header could be, and whether people lie below it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from sheetsync.grid import CellValue, Tab, clean_text, is_blank
from sheetsync.layout.columns import ColumnMap, has_identity, header_texts, map_headers
from sheetsync.layout.headers import field_scores, words
from sheetsync.layout.model import MAX_HEADER_ROW, is_managed_header
from sheetsync.profile import MIN_VALUES, V, kind_of, profile

BODY_ROWS = 400  # rows below a candidate header whose values are profiled
MIN_PEOPLE = 0.3  # share of body rows that must hold a person for a tab to be contacts
# Canonical tabs that are not contact lists, and names that suggest one.
_NOT_CONTACTS = re.compile(
    r"question|checklist|instruction|how to|readme|template|example|prep|about|help|"
    r"sheetsync|summary|dashboard|chart|list of questions",
    re.I,
)
_JOBS = re.compile(r"appl(y|ied|ication)|\bjobs?\b|posting|opening|\bpositions?\b", re.I)
_CONTACTS = re.compile(r"contact|tracker|network|outreach|people|log|interview|connection", re.I)


@dataclass(frozen=True)
class Candidate:
    """One row of a tab read as a header: its column map, score and the rows below it."""

    tab: Tab
    row: int
    headers: dict[int, str]
    mapped: ColumnMap
    score: float
    people: int  # body rows holding a person (name, e-mail or profile link)
    body: int  # body rows holding anything
    named: int  # body rows with anything in a name, e-mail or profile-link column
    warnings: tuple[str, ...]
    synced: bool = False  # sheetsync wrote its column headers in this row before

    @property
    def holds_people(self) -> bool:
        """True unless the rows below the header clearly are not people.

        A template whose name column is still empty holds people to come when its other
        columns track people (outreach, replies, meetings); a job log with an empty
        "Contact" column does not.
        """
        if job_log(self.headers, self.mapped.columns):
            return False
        if self.body < MIN_VALUES:
            return True
        if not self.named:
            tracking = len(_TRACKING & set(self.mapped.columns)) >= 2
            return tracking and _job_headers(self.headers) < 2
        return self.people >= MIN_PEOPLE * self.body


def _row_score(mapped: ColumnMap, people: int, body: int) -> float:
    """Header fit, weighed by how many rows below hold people (an empty table counts little)."""
    if not has_identity(mapped.columns):
        return 0.0
    score = sum(mapped.scores.values())
    score += sum(
        1.5 for f in ("name", "email", "organization", "outreach_date") if f in mapped.columns
    )
    return score * (0.5 + 0.5 * people / body if body else 0.3)


def _tab_bonus(tab: Tab) -> float:
    bonus = 2.0 if _CONTACTS.search(tab.name) else 0.0
    if _NOT_CONTACTS.search(tab.name):
        bonus -= 6.0
    if _JOBS.search(tab.name):
        bonus -= 3.0
    return bonus - (3.0 if tab.hidden else 0.0)


def own_columns(tab: Tab) -> frozenset[int]:
    """Columns headed by a managed header anywhere in the first rows: sheetsync's own."""
    return frozenset(
        c
        for r in range(1, min(MAX_HEADER_ROW, tab.height) + 1)
        for c, v in enumerate(tab.row_values(r), start=1)
        if isinstance(v, str) and is_managed_header(v)
    )


def managed_row(tab: Tab) -> int | None:
    """The row where sheetsync wrote its column headers (most of them; topmost on a tie)."""
    counts = {
        r: sum(1 for v in tab.row_values(r) if isinstance(v, str) and is_managed_header(v))
        for r in range(1, min(MAX_HEADER_ROW, tab.height) + 1)
    }
    best = max(counts.values(), default=0)
    # Two at least: sheetsync writes three, and one such text may be a value someone typed.
    return min(r for r, n in counts.items() if n == best) if best >= 2 else None


def column_values(tab: Tab, row: int, col: int) -> Iterator[CellValue]:
    for cells in tab.rows[row : row + BODY_ROWS]:
        if col <= len(cells):
            yield cells[col - 1]


def _looks_like_data(cells: Sequence[CellValue], own: frozenset[int]) -> bool:
    """True for a row whose cells are values (e-mails, dates, links), not column names."""
    kinds = [kind_of(v) for c, v in enumerate(cells, start=1) if c not in own and not is_blank(v)]
    data = sum(1 for k in kinds if k in _DATA_KINDS)
    return data >= 2 or data > 0.3 * len(kinds)


_DATA_KINDS = frozenset({V.EMAIL, V.URL, V.PROFILE, V.PHONE, V.DATE, V.NUMBER, V.SERIAL})
_PERSON_KINDS: Mapping[str, frozenset[V]] = {
    "name": frozenset({V.PERSON, V.WORD, V.TEXT}),
    "first_name": frozenset({V.PERSON, V.WORD, V.TEXT}),
    "email": frozenset({V.EMAIL}),
    "linkedin": frozenset({V.PROFILE}),
}


def _people(
    tab: Tab, row: int, columns: Mapping[str, int], own: frozenset[int]
) -> tuple[int, int, int]:
    """(rows holding a person, rows holding anything, rows with an identity cell filled)."""
    checks = [(c, _PERSON_KINDS[f]) for f, c in columns.items() if f in _PERSON_KINDS]
    people = body = named = 0
    for cells in tab.rows[row : row + BODY_ROWS]:
        if all(is_blank(v) for i, v in enumerate(cells, start=1) if i not in own):
            continue
        body += 1
        kinds = [kind_of(cells[c - 1]) if c <= len(cells) else None for c, _ in checks]
        named += any(k is not None for k in kinds)
        people += any(k in want for k, (_, want) in zip(kinds, checks, strict=True))
    return people, body, named


# Fields that only a list of people has: how you know them, when you wrote, what they said.
_TRACKING = frozenset(
    {"connection", "referred_by", "outreach_date", "response", "interview_date", "platform",
     "thank_you", "last_contact", "next_contact", "cadence", "linkedin", "referrals"}
)  # fmt: skip
_JOB_HEADER = re.compile(
    r"\b(job title|job description|job link|job url|job id|application date|date applied|"
    r"applied on|applied|application|salary|work type|requisition|posting)\b",
    re.I,
)
_SIDE_CONTACT = re.compile(r"\b(recruiter|hiring manager|point of contact|poc)\b", re.I)


def _job_headers(headers: Mapping[int, str]) -> int:
    """How many headers name something about a job or an application."""
    return sum(1 for t in headers.values() if _JOB_HEADER.search(" ".join(words(t))))


def job_log(headers: Mapping[int, str], columns: Mapping[str, int]) -> bool:
    """A job per row with its recruiter on the side: job columns, the person a side note."""
    jobs = _job_headers(headers)
    name = headers.get(columns.get("name", 0), "")
    personal = {"connection", "referred_by", "linkedin", "interview_date", "thank_you"}
    return jobs >= 2 and bool(_SIDE_CONTACT.search(name)) and not personal & set(columns)


def _text_at(cells: Sequence[CellValue], col: int) -> str | None:
    value = cells[col - 1] if col <= len(cells) else None
    return clean_text(value).casefold() if isinstance(value, str) else None


def _recurs_below(tab: Tab, row: int, headers: Mapping[int, str]) -> bool:
    """True for a data row: one of its cells comes back as a value of the same column below.

    A header row pasted again further down (a second section with the same header) is not
    evidence: there several header texts come back together, in one row.
    """
    wanted = {c: clean_text(t).casefold() for c, t in headers.items()}
    for cells in tab.rows[row : row + BODY_ROWS]:
        hits = sum(1 for c, t in wanted.items() if _text_at(cells, c) == t)
        if hits == 1 and len(wanted) > 2:
            return True
    return False


def _candidate(
    tab: Tab, row: int, overrides: Mapping[str, str], own: frozenset[int], forced: bool
) -> Candidate | None:
    headers = header_texts(tab.row_values(row), own)
    if not forced and (len(headers) < 2 or _looks_like_data(tab.row_values(row), own)):
        return None
    if not forced and not overrides and not any(field_scores(t) for t in headers.values()):
        return None
    if not forced and _recurs_below(tab, row, headers):
        return None
    profiles = {c: profile(column_values(tab, row, c)) for c in headers}
    mapped = map_headers(headers, overrides, profiles)
    people, body, named = _people(tab, row, mapped.columns, own)
    score = _row_score(mapped, people, body if named else 0)
    synced = forced and row == managed_row(tab)
    bonus = _tab_bonus(tab) + (20.0 if synced else 0.0)
    return Candidate(
        tab,
        row,
        headers,
        mapped,
        score + bonus,
        people,
        body,
        named,
        tuple(mapped.warnings),
        synced,
    )


def header_candidates(
    tab: Tab, overrides: Mapping[str, str], header_row: int | None
) -> list[Candidate]:
    own = own_columns(tab)
    pinned = header_row or managed_row(tab)
    rows = [pinned] if pinned else range(1, min(MAX_HEADER_ROW, tab.height) + 1)
    found = (_candidate(tab, r, overrides, own, forced=bool(pinned)) for r in rows)
    return [c for c in found if c is not None]


def transposed(tab: Tab) -> bool:
    """True for a table laid on its side: field names down column A, one column per person.

    Each field name appears once down the column, and they make most of it; a data column
    that happens to hold words such as "Email" or "Reached Out" repeats them.
    """
    labels: list[str] = []
    texts = 0
    for r in range(1, min(40, tab.height) + 1):
        cells = tab.row_values(r)
        first = next((v for v in cells if not is_blank(v)), None)
        if not isinstance(first, str):
            continue
        texts += 1
        scores = field_scores(first)
        if scores and sum(1 for v in cells if not is_blank(v)) >= 3:
            labels.append(max(scores, key=lambda f: scores[f]))
    distinct = set(labels)
    return (
        len(distinct) >= 4
        and len(distinct) == len(labels)
        and len(labels) >= 0.5 * texts
        and bool(distinct & {"name", "email", "first_name"})
    )
