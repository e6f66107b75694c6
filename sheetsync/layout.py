"""Find the contacts tab, its header row, and which column holds which canonical field.

Real trackers are messy: titles and instructions above the header, extra tabs for question
ideas and checklists, headers in any case or spelling. Headers are matched on meaning: each
field has a few short phrases (``heard back`` → ``response``), a header is split into words,
and words match exactly, by stem, or — for typos — by close spelling. Words such as *date*,
*on* and *when* say "this column holds a date" and tip the balance towards date fields. The
tab and header row with the best total score win; ``[columns]`` in sheetsync.toml and
``--worksheet`` override any guess.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sheetsync.errors import ConfigError, LayoutError
from sheetsync.fields import BY_ID, FIELD_IDS, Kind
from sheetsync.grid import CellValue, Grid, Tab, clean_text, col_letter, is_blank

MANAGED_PREFIX = "sheetsync"
MAX_HEADER_ROW = 15
MIN_SCORE = 0.9

# Phrases per field, in plain words. A trailing "*0.8" lowers a weak phrase's weight.
PHRASES: Mapping[str, tuple[str, ...]] = {
    "name": (
        "name",
        "full name",
        "contact name",
        "contact",
        "person",
        "who*0.7",
        "interviewee",
        "contact person",
        "people*0.7",
    ),
    "first_name": ("first name", "given name", "forename", "first*0.8"),
    "last_name": ("last name", "surname", "family name", "last*0.6"),
    "organization": (
        "organization",
        "organisation",
        "company",
        "employer",
        "institution",
        "affiliation",
        "org",
        "firm",
        "lab*0.8",
        "university*0.8",
        "agency",
        "workplace",
        "where they work",
        "works at",
        "business*0.8",
    ),
    "title": (
        "title",
        "job title",
        "role",
        "position",
        "job",
        "occupation",
        "designation",
        "what they do",
    ),
    "email": ("email", "e mail", "email address", "mail*0.8", "contact info*0.8"),
    "linkedin": ("linkedin", "linkedin url", "profile url", "profile*0.8", "url*0.8"),
    "connection": (
        "connection",
        "how know",
        "how met",
        "how connected",
        "relationship",
        "connected through",
        "mutual",
        "how found",
        "tie*0.7",
        "connection type",
    ),
    "referred_by": (
        "referred by",
        "introduced by",
        "referrer",
        "introduction from",
        "intro from",
        "via*0.8",
        "who introduced",
        "who referred",
        "referred*0.8",
    ),
    "outreach_date": (
        "contacted",
        "date contacted",
        "outreach",
        "first outreach",
        "emailed",
        "reached out",
        "wrote",
        "messaged",
        "first contact",
        "initial contact",
        "contact date",
        "email sent",
        "request sent",
        "first email",
        "asked*0.8",
        "invited*0.8",
    ),
    "response": (
        "response",
        "reply",
        "replied",
        "heard back",
        "responded",
        "answer",
        "answered",
        "got back",
        "response received",
    ),
    "follow_up_date": (
        "follow up",
        "followup",
        "followed up",
        "follow up sent",
        "nudge",
        "reminder",
        "second email",
        "chased",
        "bumped",
    ),
    "interview_date": (
        "interview",
        "informational interview",
        "info interview",
        "call",
        "meeting",
        "chat",
        "coffee",
        "met",
        "conversation",
        "meet",
        "interview scheduled",
        "scheduled",
    ),
    "platform": (
        "platform",
        "place",
        "location",
        "where",
        "format",
        "medium",
        "venue",
        "mode",
        "meeting link",
        "zoom*0.8",
        "in person*0.8",
    ),
    "thank_you": ("thank you", "thanks", "thank", "ty*0.8", "thank you note", "gratitude"),
    "last_contact": (
        "last contact",
        "last touch",
        "last contacted",
        "last spoke",
        "last talked",
        "last interaction",
        "most recent contact",
        "last touchpoint",
        "last heard",
        "last reached",
        "last spoken",
    ),
    "next_contact": (
        "next contact",
        "next touch",
        "reconnect",
        "next check in",
        "touch base",
        "next outreach",
        "next follow up",
        "check in next",
    ),
    "cadence": (
        "cadence",
        "frequency",
        "how often",
        "keep in touch every",
        "touch every",
        "check in every",
        "interval",
        "keep in touch",
    ),
    "referrals": (
        "referrals",
        "referred to",
        "suggested contacts",
        "introductions",
        "leads",
        "who else",
        "people to contact",
        "recommended contacts",
        "new contacts",
        "suggested",
        "referral",
    ),
    "promises": (
        "promises",
        "promised",
        "owe",
        "i owe",
        "action items",
        "to do",
        "todo",
        "commitments",
        "follow through",
        "deliverables",
        "my actions",
    ),
    "questions": ("questions", "question ideas", "questions to ask", "topics", "agenda"),
    "notes": (
        "notes",
        "comments",
        "remarks",
        "summary",
        "takeaways",
        "learned",
        "key points",
        "details*0.8",
        "misc*0.8",
        "other*0.6",
    ),
    "draft": (
        "draft",
        "draft email",
        "email draft",
        "message draft",
        "outreach draft",
        "draft message",
    ),
    "snooze": (
        "snooze",
        "snooze until",
        "ignore until",
        "mute",
        "pause",
        "quiet until",
        "hold until",
        "sheetsync ignore",
    ),
}

_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "with",
        "i",
        "my",
        "me",
        "did",
        "do",
        "does",
        "you",
        "your",
        "they",
        "them",
        "their",
        "is",
        "was",
        "have",
        "has",
        "for",
        "if",
        "any",
        "yn",
        "y",
        "n",
        "and",
        "or",
        "this",
        "that",
        "are",
        "were",
        "be",
        "been",
        "it",
        "its",
        "our",
        "we",
    ]
)
# Words that say "a date goes here". Kept apart from the meaning words.
_DATEISH = frozenset(
    ["date", "dates", "when", "on", "day", "dt", "time", "sent", "received", "done"]
)

# Canonical tabs that are not contact lists, and names that suggest one.
_NOT_CONTACTS = re.compile(
    r"question|checklist|instruction|how to|readme|template|example|prep|about|help|"
    r"sheetsync|summary|dashboard|chart|list of questions",
    re.I,
)
_CONTACTS = re.compile(r"contact|tracker|network|outreach|people|log|interview|connection", re.I)


@dataclass(frozen=True)
class Layout:
    """Where the contacts live: tab, header row, and the column of each field found."""

    worksheet: str
    header_row: int
    columns: Mapping[str, int]  # canonical field → 1-based column
    headers: Mapping[int, str]  # column → header text exactly as in the sheet
    unmapped: tuple[str, ...] = ()
    managed: Mapping[str, int] = field(default_factory=dict)  # managed header → column
    warnings: tuple[str, ...] = ()
    # How sure the map is, per canonical field (0–1); fields set in [columns] count as 1.0.
    confidence: Mapping[str, float] = field(default_factory=dict)
    # Fields whose meaning is in doubt: ``sync`` does not write until they are confirmed.
    doubtful: tuple[str, ...] = ()

    def header_of(self, field_id: str) -> str:
        """The header text of a mapped field."""
        return self.headers[self.columns[field_id]]

    def has(self, field_id: str) -> bool:
        """True when the field has a column."""
        return field_id in self.columns

    def column_names(self) -> dict[str, str]:
        """Canonical field → header text, in sheet order (the JSON ``columns`` object)."""
        ordered = sorted(self.columns.items(), key=lambda kv: kv[1])
        return {f: self.headers[c] for f, c in ordered}


def is_managed_header(text: str) -> bool:
    """True for a header sheetsync owns (it starts with ``sheetsync``)."""
    return clean_text(text).casefold().startswith(MANAGED_PREFIX)


# ---------------------------------------------------------------- words and phrases


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Lower-case words of a header: camelCase, snake_case and punctuation split apart."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", _strip_accents(clean_text(text)))
    text = text.lower().replace("e-mail", "email").replace("follow-up", "follow up")
    return [w for w in re.split(r"[^a-z0-9]+", text) if w]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class _Header:
    words: tuple[str, ...]
    dateish: bool


@lru_cache(maxsize=4096)
def _parse_header(text: str) -> _Header:
    all_words = words(text)
    dateish = any(w in _DATEISH for w in all_words)
    meaning = tuple(w for w in all_words if w not in _STOP and w not in _DATEISH)
    if not meaning:  # "Date", "When?": keep the words so they can still match a phrase
        meaning = tuple(w for w in all_words if w not in _STOP)
    return _Header(meaning, dateish)


@lru_cache(maxsize=1)
def _phrases() -> dict[str, list[tuple[tuple[str, ...], float]]]:
    parsed: dict[str, list[tuple[tuple[str, ...], float]]] = {}
    for field_id, phrases in PHRASES.items():
        entries = []
        for phrase in phrases:
            text, _, weight = phrase.partition("*")
            toks = tuple(w for w in words(text) if w not in _STOP)
            entries.append((toks, float(weight) if weight else 1.0))
        parsed[field_id] = entries
    return parsed


def _word_match(want: str, have: str) -> float:
    if want == have:
        return 1.0
    if _stem(want) == _stem(have):
        return 0.85
    if min(len(want), len(have)) >= 5 and _close(want, have):
        return 0.75  # a typo: "Orgnization", "Respnse"
    return 0.0


def _close(a: str, b: str) -> bool:
    """difflib's ratio ≥ 0.8, trying its cheap upper bounds first (headers can be long)."""
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < 0.8:
        return False
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8


def _phrase_score(phrase: tuple[str, ...], header: _Header) -> float:
    total, matched = 0.0, set()
    for want in phrase:
        best, where = 0.0, -1
        for i, have in enumerate(header.words):
            quality = _word_match(want, have)
            if quality > best:
                best, where = quality, i
        if best == 0.0:
            return 0.0
        total += best
        matched.add(where)
    coverage = len(matched) / max(len(header.words), 1)
    head_bonus = 0.2 if len(header.words) - 1 in matched else 0.0
    return total + 0.5 * coverage + head_bonus


@lru_cache(maxsize=8192)
def field_scores(text: str) -> dict[str, float]:
    """How well a header text fits each canonical field (only fits above the threshold)."""
    if is_blank(text) or is_managed_header(text):
        return {}
    header = _parse_header(text)
    scores: dict[str, float] = {}
    for field_id, phrases in _phrases().items():
        best = max(_phrase_score(p, header) * w for p, w in phrases)
        best += _date_hint(field_id, header)
        if best >= MIN_SCORE:
            scores[field_id] = best
    return scores


def _date_hint(field_id: str, header: _Header) -> float:
    if not header.dateish:
        return 0.0
    kind = BY_ID[field_id].kind
    return 0.3 if kind in (Kind.DATE, Kind.DATE_OR_FLAG) else -0.4


# ---------------------------------------------------------------- one header row


@dataclass(frozen=True)
class _Candidate:
    tab: Tab
    row: int
    columns: dict[str, int]
    score: float
    warnings: tuple[str, ...]


def _header_texts(cells: Sequence[CellValue]) -> dict[int, str]:
    return {
        i + 1: clean_text(v) for i, v in enumerate(cells) if isinstance(v, str) and not is_blank(v)
    }


def map_headers(
    headers: Mapping[int, str], overrides: Mapping[str, str] | None = None
) -> tuple[dict[str, int], list[str]]:
    """Assign fields to columns: overrides first, then the best fits, one field per column."""
    columns: dict[str, int] = {}
    taken: set[int] = set()
    for field_id, header in (overrides or {}).items():
        col = _find_header(headers, header)
        if col is not None:
            columns[field_id] = col
            taken.add(col)
    pairs = [
        (score, -col, field_id, col)
        for col, text in headers.items()
        if col not in taken
        for field_id, score in field_scores(text).items()
        if field_id not in columns
    ]
    warnings: list[str] = []
    for score, _neg_col, field_id, col in sorted(pairs, reverse=True):
        if col in taken:
            continue
        if field_id in columns:
            if abs(score - _score_of(headers[columns[field_id]], field_id)) < 1e-9:
                warnings.append(_duplicate_warning(field_id, headers, columns[field_id], col))
            continue
        columns[field_id] = col
        taken.add(col)
    return columns, warnings


def _score_of(text: str, field_id: str) -> float:
    return field_scores(text).get(field_id, 0.0)


def _duplicate_warning(field_id: str, headers: Mapping[int, str], kept: int, other: int) -> str:
    return (
        f"Columns {col_letter(kept)} ('{headers[kept]}') and {col_letter(other)} "
        f"('{headers[other]}') both look like '{field_id}'; using column {col_letter(kept)}. "
        f'Set [columns] {field_id} = "…" in sheetsync.toml to choose.'
    )


def _find_header(headers: Mapping[int, str], wanted: str) -> int | None:
    target = clean_text(wanted).casefold()
    return next((c for c, t in headers.items() if t.casefold() == target), None)


def _row_score(columns: Mapping[str, int], headers: Mapping[int, str]) -> float:
    if not _has_identity(columns):
        return 0.0
    score = sum(_score_of(headers[c], f) or 1.0 for f, c in columns.items())
    key = sum(1.5 for f in ("name", "email", "organization", "outreach_date") if f in columns)
    return score + key


def _has_identity(columns: Mapping[str, int]) -> bool:
    return (
        "name" in columns
        or "email" in columns
        or ("first_name" in columns and "last_name" in columns)
    )


def _tab_bonus(tab: Tab) -> float:
    bonus = 2.0 if _CONTACTS.search(tab.name) else 0.0
    if _NOT_CONTACTS.search(tab.name):
        bonus -= 6.0
    return bonus - (3.0 if tab.hidden else 0.0)


def _candidates(tab: Tab, overrides: Mapping[str, str], header_row: int | None) -> list[_Candidate]:
    rows = [header_row] if header_row else range(1, min(MAX_HEADER_ROW, tab.height) + 1)
    found = []
    for r in rows:
        headers = _header_texts(tab.row_values(r))
        if len(headers) < 2 and not header_row:
            continue
        columns, warnings = map_headers(headers, overrides)
        score = _row_score(columns, headers)
        if header_row or score > 0:
            found.append(_Candidate(tab, r, columns, score + _tab_bonus(tab), tuple(warnings)))
    return found


# ---------------------------------------------------------------- the whole workbook


def discover(
    grid: Grid,
    *,
    worksheet: str | None = None,
    header_row: int | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Layout:
    """Pick the contacts tab and header row, and map the columns. Raises LayoutError."""
    overrides = dict(overrides or {})
    tabs = _tabs_to_search(grid, worksheet)
    candidates = [c for t in tabs for c in _candidates(t, overrides, header_row)]
    best = max(candidates, key=lambda c: c.score, default=None)
    if best is None or (best.score <= 0 and not header_row):
        raise LayoutError(_no_header_message(grid, tabs))
    _check_overrides(best, overrides)
    if header_row and not _has_identity(best.columns):
        raise LayoutError(_not_a_header_message(best))
    return _layout_of(best)


def _tabs_to_search(grid: Grid, worksheet: str | None) -> list[Tab]:
    if not grid.tabs:
        raise LayoutError(f"{grid.source} has no worksheets. Is it the right file?")
    if worksheet is None:
        return list(grid.tabs)
    tab = grid.tab(worksheet)
    if tab is None:
        names = ", ".join(f"'{t.name}'" for t in grid.tabs)
        raise LayoutError(
            f"{grid.source} has no tab called '{worksheet}'. Its tabs are: {names}. "
            "Fix --worksheet or `worksheet` in sheetsync.toml."
        )
    return [tab]


def _no_header_message(grid: Grid, tabs: Iterable[Tab]) -> str:
    names = ", ".join(f"'{t.name}'" for t in tabs) or "none"
    if all(t.height == 0 for t in tabs):
        return (
            f"{grid.source} is empty (tabs: {names}). Add your contacts, or run `sheetsync init`."
        )
    return (
        f"No tab of {grid.source} looks like a contacts list (searched {names}). sheetsync "
        f"looks in the first {MAX_HEADER_ROW} rows for a header with a Name or Email column. "
        "Point it at yours with `worksheet`, `header_row` and [columns] in sheetsync.toml, "
        'e.g. [columns] name = "Who".'
    )


def _not_a_header_message(best: _Candidate) -> str:
    cells = ", ".join(f"'{t}'" for t in _header_texts(best.tab.row_values(best.row)).values())
    return (
        f"Row {best.row} of '{best.tab.name}' does not look like a header: sheetsync needs a "
        f"Name or Email column there (it holds: {cells or 'nothing'}). Fix `header_row` / "
        "--header-row, or map your columns with [columns] in sheetsync.toml."
    )


def _check_overrides(best: _Candidate, overrides: Mapping[str, str]) -> None:
    headers = _header_texts(best.tab.row_values(best.row))
    missing = [f for f, text in overrides.items() if _find_header(headers, text) is None]
    if not missing:
        return
    have = ", ".join(f"'{h}'" for h in headers.values())
    f = missing[0]
    raise ConfigError(
        f"columns.{f} = '{overrides[f]}', but row {best.row} of '{best.tab.name}' has no such "
        f"header. Headers there: {have}. Fix the [columns] entry in sheetsync.toml."
    )


def _layout_of(best: _Candidate) -> Layout:
    headers = _header_texts(best.tab.row_values(best.row))
    managed = {t: c for c, t in headers.items() if is_managed_header(t)}
    mapped = set(best.columns.values()) | set(managed.values())
    unmapped = tuple(t for c, t in sorted(headers.items()) if c not in mapped)
    return Layout(
        worksheet=best.tab.name,
        header_row=best.row,
        columns=dict(sorted(best.columns.items(), key=lambda kv: FIELD_IDS.index(kv[0]))),
        headers=headers,
        unmapped=unmapped,
        managed=managed,
        warnings=best.warnings + _formula_warnings(best.tab),
    )


def _formula_warnings(tab: Tab) -> tuple[str, ...]:
    """A note when formulas in the contacts tab have no saved result to read."""
    n = tab.formulas_without_values
    if not n:
        return ()
    cells = "1 formula cell" if n == 1 else f"{n:,} formula cells"
    return (
        f"{cells} in '{tab.name}' have no saved result (the file was written by a program "
        "that does not calculate, such as a script); sheetsync reads them as empty. Open "
        "the file in Excel or LibreOffice and save it once, then run again.",
    )
