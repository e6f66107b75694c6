"""Find the contacts tab, its header row, and which column holds which canonical field.

Real trackers are messy: titles and instructions above the header, extra tabs for question
ideas and checklists, headers in any case or spelling. Headers are matched on meaning: each
field has a few short phrases (``heard back`` → ``response``), a header is split into words,
and words match exactly, by stem, or — for typos — by close spelling. Words such as *date*,
*on* and *when* say "this column holds a date" and tip the balance towards date fields.

Words are weighed against values (:mod:`sheetsync.profile`): a column of day counts is not a
date, job-posting links are not a person's LinkedIn, status words under "Contact" are not
people; a header that says little ("Date", "Column 4") is mapped by what it holds, with low
confidence. A tab is a contacts list only when its rows are people; job logs, question banks
and planners are refused with a message that says what was found. sheetsync's own columns and
prep tab are never read as input: once it has written its headers, that row is the header row.

The tab and header row with the best score win; ``[columns]`` in sheetsync.toml and
``--worksheet`` override any guess. Each mapped field carries a confidence (0–1); fields under
:data:`DOUBT` are listed in ``Layout.doubtful``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sheetsync.errors import ConfigError, LayoutError
from sheetsync.fields import BY_ID, FIELD_IDS, Kind
from sheetsync.grid import CellValue, Grid, Tab, clean_text, col_letter, is_blank
from sheetsync.profile import (
    EMPTY,
    MIN_VALUES,
    Profile,
    V,
    Verdict,
    field_from_values,
    kind_of,
    profile,
    support,
)
from sheetsync.words import plural

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
        "company name",
        "organization name",
        "organisation name",
        "employer name",
        "firm name",
        "list*0.9",
        "target employer",
        "target company",
        "employer list",
        "companies",
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
        "relationship type",
        "alumni*0.9",
        "alum*0.9",
        "met through",
        "met at",
        "met via",
        "how we met",
        "where met",
        "met*0.75",
        "relation",
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
        "intro via",
        "intro by",
        "introduced via",
        "intro*0.8",
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
        "date sent",
        "sent date",
        "sent*0.8",
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
        "coffee chat",
        "met",
        "conversation",
        "meet",
        "interview scheduled",
        "scheduled",
    ),
    "platform": (
        "platform",
        "place",
        "location*0.5",
        "meeting location",
        "meeting place",
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
        "last email",
        "last emailed",
    ),
    "next_contact": (
        "next contact",
        "next touch",
        "reconnect",
        "next check in",
        "touch base",
        "next outreach",
        "next follow up",
        "next follow",
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
        "commitments",
        "follow through",
        "deliverables",
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
        "email body",
        "body",
        "message",
        "note to send",
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
# Header words that only ever match themselves: "Contact ID" is not "contacted".
_NO_STEM = frozenset({"contact", "email", "reply", "interview"})
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
_JOBS = re.compile(r"appl(y|ied|ication)|\bjobs?\b|posting|opening|\bpositions?\b", re.I)
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
        """The header text of a mapped field, as shown (see :meth:`column_names`)."""
        return clean_text(self.headers[self.columns[field_id]])

    def has(self, field_id: str) -> bool:
        """True when the field has a column."""
        return field_id in self.columns

    def column_names(self) -> dict[str, str]:
        """Canonical field → header text as shown, in sheet order (the JSON ``columns``
        object); spaces and invisible characters at either end are not shown."""
        ordered = sorted(self.columns.items(), key=lambda kv: kv[1])
        return {f: clean_text(self.headers[c]) for f, c in ordered}


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
    text = re.sub(r"\bto[- ]do\b", "todo", text)
    text = re.sub(r"\blinked in\b", "linkedin", text)  # "LinkedIn" split by its capitals
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
    head: int  # index of the head word: the last of the first alternative ("Company / Position")
    about_person: bool  # "contact_title", "Recruiter Email": the column is about the person


@lru_cache(maxsize=4096)
def _parse_header(text: str) -> _Header:
    all_words = words(text)
    dateish = any(w in _DATEISH for w in all_words)
    meaning = tuple(w for w in all_words if w not in _STOP and w not in _DATEISH)
    if not meaning:  # "Date", "When?": keep the words so they can still match a phrase
        meaning = tuple(w for w in all_words if w not in _STOP)
    first = _meaning_words(re.split(r"\s/\s|\s&\s|\bor\b", text)[0])
    head = min(len(first), len(meaning)) - 1 if first else len(meaning) - 1
    person = bool(meaning) and meaning[0] in _PERSON_PREFIX and len(meaning) > 1
    return _Header(meaning, dateish, head, person)


def _meaning_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in words(text) if w not in _STOP and w not in _DATEISH)


_PERSON_PREFIX = frozenset({"contact", "contact1", "person", "recruiter", "poc", "mentor"})


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


@lru_cache(maxsize=65_536)
def _word_match(want: str, have: str) -> float:
    if want == have:
        return 1.0
    if _verb_and_noun(want, have):
        return 0.0  # "Contact ID" is not "contacted", "Email" is not "emailed"
    if _stem(want) == _stem(have):
        return 0.85
    if _could_be_typo(want, have) and _close(want, have):
        return 0.75  # a typo: "Orgnization", "Respnse"
    return 0.0


def _could_be_typo(a: str, b: str) -> bool:
    """Cheap pre-check: long enough words, same first letter, lengths at most one apart."""
    return min(len(a), len(b)) >= 5 and a[0] == b[0] and abs(len(a) - len(b)) <= 1


def _verb_and_noun(a: str, b: str) -> bool:
    """True for "contact" vs "contacted": a noun and its past tense mean different columns."""
    noun, verb = (a, b) if b.endswith("ed") else (b, a)
    return verb.endswith("ed") and not noun.endswith("ed") and _stem(verb) in _NO_STEM


def _close(a: str, b: str) -> bool:
    """difflib's ratio ≥ 0.8, trying its cheap upper bounds first (headers can be long)."""
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < 0.8:
        return False
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.quick_ratio() >= 0.85 and matcher.ratio() >= 0.85


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
    head_bonus = 0.2 if header.head in matched else 0.0
    person_bonus = 0.3 if header.about_person and 0 not in matched else 0.0
    return total + 0.5 * coverage + head_bonus + person_bonus


# Headers that name something no canonical field holds: a phone number, a count of days, a
# score. Their words ("contact", "date") must not pull them towards a field.
_NO_FIELD = re.compile(
    r"\b(phone|mobile|cell|tel|telephone|whatsapp|fax|since|ago|count|score|rating|"
    r"salary|pay|rank|ranking|priority|motivation|posting|deadline|number of|num of|id|"
    r"resource|resources|event|mock|owner|domain|count|website|twitter|github|"
    r"city|state|country|zip|postal|expected|lifecycle|stage|verified|lead source|lead status|"
    r"added on|draft status|approval status|referral status|application status|street address|"
    r"mailing address|home address)\b",
    re.I,
)


@lru_cache(maxsize=8192)
def field_scores(text: str) -> dict[str, float]:
    """How well a header text fits each canonical field (only fits above the threshold)."""
    all_words = words(text)
    if is_blank(text) or is_managed_header(text) or _NO_FIELD.search(" ".join(all_words)):
        return {}
    if len(all_words) > 8:  # a sentence, not a column name
        return {}
    header = _parse_header(text)
    scores: dict[str, float] = {}
    for field_id, phrases in _phrases().items():
        best = max(_phrase_score(p, header) * w for p, w in phrases)
        best += _date_hint(field_id, header)
        if best >= MIN_SCORE:
            scores[field_id] = best
    if _TEXT_ONLY.intersection(header.words):  # "Follow-up Body" is text, not a date
        return {f: v for f, v in scores.items() if BY_ID[f].kind is Kind.TEXT}
    if {"date", "dates"}.intersection(words(text)):  # "Connection Date" is a date, not text
        return {f: v for f, v in scores.items() if BY_ID[f].kind is not Kind.TEXT}
    return scores


_TEXT_ONLY = frozenset({"body", "message", "msg", "template", "subject", "text"})


def _date_hint(field_id: str, header: _Header) -> float:
    if not header.dateish:
        return 0.0
    kind = BY_ID[field_id].kind
    return 0.3 if kind in (Kind.DATE, Kind.DATE_OR_FLAG) else -0.4


# ---------------------------------------------------------------- one header row

BODY_ROWS = 400  # rows below a candidate header whose values are profiled
MIN_PEOPLE = 0.3  # share of body rows that must hold a person for a tab to be contacts
# Headers that say little about what the column holds: its values decide.
_SAYS_LITTLE = re.compile(
    r"^(date|dates|when|column\s*\d*|col\s*\d+|field\s*\d+|unnamed.*|(contact|person)\s*#?\s*\d*|"
    r"info|details|data|\d+|[a-z])$",
    re.I,
)
# "Contact #2 Email", "Name (2)", "Contact 2": a second contact block in the same row.
_BLOCK = re.compile(
    r"#\s*([1-9])\b|\b(?:contact|person|ref|referral|alum|alumni|connection)\s*([1-9])(?![0-9a-z])|"
    r"\(([1-9])\)|\s([1-9])$",
    re.I,
)
_GENERIC = re.compile(r"^(column|col|field|unnamed)\b", re.I)


@dataclass(frozen=True)
class ColumnMap:
    """Fields mapped to columns, how sure each is, and what to tell the user about it."""

    columns: dict[str, int]
    confidence: dict[str, float]
    scores: dict[str, float]  # the score each mapped field won its column with
    warnings: list[str]
    vetoed: dict[int, str] = field(default_factory=dict)  # column → the field its values refused

    @property
    def doubtful(self) -> tuple[str, ...]:
        """Fields whose meaning is in doubt (confidence under :data:`DOUBT`)."""
        return tuple(f for f in FIELD_IDS if self.confidence.get(f, 1.0) < DOUBT)


DOUBT = 0.6  # fields mapped with less confidence than this are doubtful


@dataclass(frozen=True)
class _Candidate:
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
        if _job_log(self.headers, self.mapped.columns):
            return False
        if self.body < MIN_VALUES:
            return True
        if not self.named:
            tracking = len(_TRACKING & set(self.mapped.columns)) >= 2
            return tracking and _job_headers(self.headers) < 2
        return self.people >= MIN_PEOPLE * self.body


def _header_texts(cells: Sequence[CellValue], skip: frozenset[int] = frozenset()) -> dict[int, str]:
    """Column → header text exactly as it stands in the sheet (trailing spaces included)."""
    return {
        i + 1: v
        for i, v in enumerate(cells)
        if isinstance(v, str) and not is_blank(v) and i + 1 not in skip
    }


def _block_of(text: str) -> int | None:
    """The contact block a header belongs to ("Contact #2 Email" → 2), if it names one."""
    text = clean_text(text)
    if _GENERIC.match(text):
        return None
    match = _BLOCK.search(text)
    return int(next(g for g in match.groups() if g)) if match else None


def _later_blocks(headers: Mapping[int, str]) -> dict[int, str]:
    """Columns of a second, third … contact block when the row also has a first one:
    numbered ("Contact #2 Email", "contact2_name") or the first block's headers again."""
    blocks = {c: _block_of(t) for c, t in headers.items()}
    if 1 in blocks.values():
        return {c: headers[c] for c, b in blocks.items() if b is not None and b > 1}
    seen: set[str] = set()
    repeats: dict[int, str] = {}
    for col, text in sorted(headers.items()):
        key = clean_text(text).casefold()
        if key in seen:
            repeats[col] = text
        seen.add(key)
    identity = any({"name", "email"} & set(field_scores(t)) for t in repeats.values())
    return repeats if len(repeats) >= 2 and identity else {}


def map_headers(
    headers: Mapping[int, str],
    overrides: Mapping[str, str] | None = None,
    profiles: Mapping[int, Profile] | None = None,
) -> ColumnMap:
    """Assign fields to columns: overrides first, then the best fits, one field per column.

    A header's fit is weighed against what its column holds (``profiles``): values that
    contradict the header veto the field; values that agree raise it; a header that says
    little ("Date", "Column 3") is mapped by its values alone, with low confidence.
    """
    profiles = profiles or {}
    columns: dict[str, int] = {}
    confidence: dict[str, float] = {}
    scores: dict[str, float] = {}
    for field_id, header in (overrides or {}).items():
        col = _find_header(headers, header)
        if col is not None:
            columns[field_id], confidence[field_id], scores[field_id] = col, 1.0, 2.0
    later = _later_blocks(headers)
    taken = set(columns.values()) | set(later)
    warnings = [_blocks_warning(headers, later)] if later else []
    vetoed: dict[int, str] = {}
    pairs = _pairs(headers, profiles, taken, columns, vetoed)
    for score, _neg_col, field_id, col, verdict in sorted(pairs, reverse=True):
        if col in taken:
            continue
        if field_id in columns:
            if abs(score - scores[field_id]) < 1e-9:
                warnings.append(_duplicate_warning(field_id, headers, columns[field_id], col))
                confidence[field_id] = min(confidence[field_id], DOUBT - 0.1)
            continue
        columns[field_id], scores[field_id] = col, score
        confidence[field_id] = _confidence(score, verdict)
        taken.add(col)
    _map_by_values(headers, profiles, taken, columns, confidence, scores)
    return ColumnMap(columns, confidence, scores, warnings, vetoed)


def _pairs(
    headers: Mapping[int, str],
    profiles: Mapping[int, Profile],
    taken: set[int],
    columns: Mapping[str, int],
    vetoed: dict[int, str],
) -> list[tuple[float, int, str, int, Verdict]]:
    """(score, -column, field, column, verdict) for every fit the values do not veto."""
    pairs: list[tuple[float, int, str, int, Verdict]] = []
    vetoed_score: dict[int, float] = {}
    for col, text in headers.items():
        if col in taken:
            continue
        prof = profiles.get(col, EMPTY)
        for field_id, score in field_scores(text).items():
            if field_id in columns:
                continue
            verdict = support(field_id, prof)
            if verdict is Verdict.VETOES and _says_date(text, field_id):
                verdict = Verdict.SILENT  # the student meant dates: odd values are findings
            if verdict is Verdict.VETOES:
                if score > vetoed_score.get(col, 0.0):
                    vetoed[col], vetoed_score[col] = field_id, score
                continue
            bonus = 0.3 if verdict is Verdict.CONFIRMS else 0.0
            pairs.append((score + bonus, -col, field_id, col, verdict))
    return pairs


def _says_date(text: str, field_id: str) -> bool:
    """True when a date field's header says "date" in so many words."""
    kind = BY_ID[field_id].kind
    return kind in (Kind.DATE, Kind.DATE_OR_FLAG) and bool({"date", "dates"} & set(words(text)))


def _confidence(score: float, verdict: Verdict) -> float:
    """0–1 from a header's score and what its values say."""
    strength = min(max((score - MIN_SCORE) / 0.6, 0.0), 1.0)
    if verdict is Verdict.CONFIRMS:
        return round(0.8 + 0.2 * strength, 2)
    return round(0.45 + 0.5 * strength, 2)


def _map_by_values(
    headers: Mapping[int, str],
    profiles: Mapping[int, Profile],
    taken: set[int],
    columns: dict[str, int],
    confidence: dict[str, float],
    scores: dict[str, float],
) -> None:
    """Map headers that say little ("Date", "Column 3") by what their columns hold."""
    for col, text in sorted(headers.items()):
        if col in taken or not _SAYS_LITTLE.match(clean_text(text)):
            continue
        prof = profiles.get(col, EMPTY)
        field_id = field_from_values(prof)
        if not prof.n and clean_text(text).casefold() in ("date", "dates"):
            field_id = "outreach_date"  # an empty tracker's only "Date": when you wrote
        if field_id == "outreach_date" and any(f in columns for f in _DATE_FIELDS):
            continue  # with other dates mapped, a bare "Date" is some other day (an event)
        if field_id and field_id not in columns:
            columns[field_id], confidence[field_id], scores[field_id] = col, 0.5, 1.0
            taken.add(col)


_DATE_FIELDS = ("outreach_date", "follow_up_date", "interview_date", "last_contact", "response")


def _blocks_warning(headers: Mapping[int, str], later: Mapping[int, str]) -> str:
    cols = sorted(later)
    shown = ", ".join(f"{col_letter(c)} ('{clean_text(headers[c])}')" for c in cols[:4])
    more = f" and {len(cols) - 4} more" if len(cols) > 4 else ""
    return (
        f"Each row holds more than one contact: sheetsync reads the first and leaves columns "
        f"{shown}{more} alone. Give each person a row of their own to have them checked too."
    )


def _duplicate_warning(field_id: str, headers: Mapping[int, str], kept: int, other: int) -> str:
    return (
        f"Columns {col_letter(kept)} ('{headers[kept]}') and {col_letter(other)} "
        f"('{headers[other]}') both look like '{field_id}'; using column {col_letter(kept)}. "
        f'Set [columns] {field_id} = "…" in sheetsync.toml to choose.'
    )


def _find_header(headers: Mapping[int, str], wanted: str) -> int | None:
    target = clean_text(wanted).casefold()
    return next((c for c, t in headers.items() if clean_text(t).casefold() == target), None)


def _has_identity(columns: Mapping[str, int]) -> bool:
    return (
        "name" in columns
        or "email" in columns
        or ("first_name" in columns and "last_name" in columns)
    )


def _row_score(mapped: ColumnMap, people: int, body: int) -> float:
    """Header fit, weighed by how many rows below hold people (an empty table counts little)."""
    if not _has_identity(mapped.columns):
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


# ---------------------------------------------------------------- rows and their values


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
    return min(r for r, n in counts.items() if n == best) if best else None


def _column_values(tab: Tab, row: int, col: int) -> Iterator[CellValue]:
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


def _job_log(headers: Mapping[int, str], columns: Mapping[str, int]) -> bool:
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
) -> _Candidate | None:
    headers = _header_texts(tab.row_values(row), own)
    if not forced and (len(headers) < 2 or _looks_like_data(tab.row_values(row), own)):
        return None
    if not forced and not overrides and not any(field_scores(t) for t in headers.values()):
        return None
    if not forced and _recurs_below(tab, row, headers):
        return None
    profiles = {c: profile(_column_values(tab, row, c)) for c in headers}
    mapped = map_headers(headers, overrides, profiles)
    people, body, named = _people(tab, row, mapped.columns, own)
    score = _row_score(mapped, people, body if named else 0)
    synced = forced and row == managed_row(tab)
    bonus = _tab_bonus(tab) + (20.0 if synced else 0.0)
    return _Candidate(
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


def _candidates(tab: Tab, overrides: Mapping[str, str], header_row: int | None) -> list[_Candidate]:
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
    searched = tabs if worksheet or header_row else [t for t in tabs if _searchable(t)]
    candidates = [c for t in searched for c in _candidates(t, overrides, header_row)]
    if header_row:
        return _at_given_row(grid, tabs, candidates, overrides)
    contacts = [
        c
        for c in candidates
        if _has_identity(c.mapped.columns) and (c.holds_people or c.synced or _pinned(overrides))
    ]
    best = max(contacts, key=lambda c: c.score, default=None)
    if best is None or best.score <= 0:
        raise LayoutError(_refusal(grid, searched or tabs, candidates))
    _check_overrides(best, overrides)
    return _layout_of(best)


def _at_given_row(
    grid: Grid, tabs: Sequence[Tab], candidates: Sequence[_Candidate], overrides: Mapping[str, str]
) -> Layout:
    """The layout at the header row the user gave: their word, checked only for a name."""
    best = max(candidates, key=lambda c: c.score, default=None)
    if best is None:
        raise LayoutError(_no_header_message(grid, tabs))
    _check_overrides(best, overrides)
    if not _has_identity(best.mapped.columns):
        raise LayoutError(_not_a_header_message(best))
    return _layout_of(best)


def _pinned(overrides: Mapping[str, str]) -> bool:
    """True when the user's [columns] name the identity column: their word beats the values."""
    return any(f in overrides for f in ("name", "email", "first_name"))


def _searchable(tab: Tab) -> bool:
    """Tabs discovery looks at: not sheetsync's own prep tab, not a table on its side."""
    return not clean_text(tab.name).casefold().startswith(MANAGED_PREFIX) and not transposed(tab)


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


_HOW_TO_POINT = (
    "If your contacts are there after all, point sheetsync at them with `worksheet`, "
    '`header_row` and [columns] in sheetsync.toml (e.g. [columns] name = "Who"), or run '
    "`sheetsync map`."
)


def _refusal(grid: Grid, tabs: Sequence[Tab], candidates: Sequence[_Candidate]) -> str:
    """Why no tab is a contacts list: what was found instead, and how to point sheetsync."""
    tables = [c for c in candidates if c.body and (c.mapped.vetoed or not c.holds_people)]
    if tables:
        c = max(tables, key=lambda c: (len(c.mapped.columns), -c.row))
        return (
            f"'{c.tab.name}' of {grid.source} has a table (header on row {c.row}: "
            f"{_shown(c.headers)}), but its rows are not people: {_why_not_people(c)}. "
            "sheetsync checks one row per person you reach out to, so it writes nothing here. "
            f"{_HOW_TO_POINT}"
        )
    sideways = [t for t in grid.tabs if transposed(t)]
    if sideways:
        return (
            f"'{sideways[0].name}' of {grid.source} lists its fields down column A, one column "
            "per person. sheetsync needs one row per person under a header row: transpose the "
            f"table (Paste special → Transpose) into a new tab. {_HOW_TO_POINT}"
        )
    return _no_header_message(grid, tabs)


def _why_not_people(c: _Candidate) -> str:
    """What made the rows of ``c`` not a contacts list, in words."""
    if _job_log(c.headers, c.mapped.columns):
        name = c.headers.get(c.mapped.columns.get("name", 0), "")
        return (
            f"each row is a job or application, and '{name}' is the person to ask about it, "
            "not someone you are getting to know"
        )
    return f"{c.people} of {c.body} rows hold a person's name, e-mail or profile link{_vetoes(c)}"


def _vetoes(c: _Candidate) -> str:
    """ ", and column D ('Contact') holds 'Reached Out', 'Email' — not a name" for a message."""
    notes = []
    for col, field_id in sorted(c.mapped.vetoed.items()):
        if field_id not in ("name", "email", "first_name", "linkedin"):
            continue
        values = list(dict.fromkeys(str(v) for v in _column_values(c.tab, c.row, col)
                                    if not is_blank(v)))[:3]  # fmt: skip
        shown = ", ".join(f"'{v}'" for v in values)
        notes.append(
            f"column {col_letter(col)} ('{c.headers[col]}') holds {shown}, not "
            f"{_FIELD_WORDS[field_id]}"
        )
    return "; " + "; ".join(notes) if notes else ""


_FIELD_WORDS = {
    "name": "people's names",
    "first_name": "first names",
    "email": "e-mail addresses",
    "linkedin": "profile links",
}


def _shown(headers: Mapping[int, str], limit: int = 6) -> str:
    texts = list(headers.values())
    return ", ".join(f"'{t}'" for t in texts[:limit]) + (", …" if len(texts) > limit else "")


def _no_header_message(grid: Grid, tabs: Iterable[Tab]) -> str:
    tabs = list(tabs)
    names = ", ".join(f"'{t.name}'" for t in tabs) or "none"
    if all(t.height == 0 for t in tabs):
        return (
            f"{grid.source} is empty (tabs: {names}). Add your contacts, or run `sheetsync init`."
        )
    return (
        f"No tab of {grid.source} looks like a contacts list (searched {names}). sheetsync "
        f"looks in the first {MAX_HEADER_ROW} rows for a header with a Name or Email column "
        f"and one person per row below it. {_HOW_TO_POINT}"
    )


def _not_a_header_message(best: _Candidate) -> str:
    cells = ", ".join(f"'{t}'" for t in best.headers.values())
    return (
        f"Row {best.row} of '{best.tab.name}' does not look like a header: sheetsync needs a "
        f"Name or Email column there (it holds: {cells or 'nothing'}). Fix `header_row` / "
        "--header-row, or map your columns with [columns] in sheetsync.toml."
    )


def _check_overrides(best: _Candidate, overrides: Mapping[str, str]) -> None:
    headers = best.headers
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
    all_headers = _header_texts(best.tab.row_values(best.row))
    managed, dup_warnings = _managed_columns(all_headers)
    own = set(c for c, t in all_headers.items() if is_managed_header(t))
    mapped = set(best.mapped.columns.values()) | own
    unmapped = tuple(clean_text(t) for c, t in sorted(all_headers.items()) if c not in mapped)
    order = sorted(best.mapped.columns.items(), key=lambda kv: FIELD_IDS.index(kv[0]))
    return Layout(
        worksheet=best.tab.name,
        header_row=best.row,
        columns=dict(order),
        headers=all_headers,
        unmapped=unmapped,
        managed=managed,
        warnings=best.warnings + dup_warnings + _formula_warnings(best.tab),
        confidence={f: best.mapped.confidence[f] for f, _ in order},
        doubtful=best.mapped.doubtful,
    )


def _managed_columns(headers: Mapping[int, str]) -> tuple[dict[str, int], tuple[str, ...]]:
    """Managed header → column, the leftmost when a header appears twice (with a warning)."""
    managed: dict[str, int] = {}
    seen: dict[str, int] = {}
    warnings: list[str] = []
    for col, text in sorted(headers.items()):
        if not is_managed_header(text):
            continue
        key = clean_text(text).casefold()
        if key in seen:
            warnings.append(
                f"Column {col_letter(col)} repeats sheetsync's column '{text}' (also in column "
                f"{col_letter(seen[key])}); sheetsync uses column {col_letter(seen[key])} and "
                f"leaves column {col_letter(col)} alone. Delete the extra column."
            )
            continue
        seen[key] = col
        managed[text] = col
    return managed, tuple(warnings)


def _formula_warnings(tab: Tab) -> tuple[str, ...]:
    """A note when formulas in the contacts tab have no saved result to read."""
    n = tab.formulas_without_values
    if not n:
        return ()
    have = "has" if n == 1 else "have"
    return (
        f"{plural(n, 'formula cell')} in '{tab.name}' {have} no saved result (the file was "
        "written by a program that does not calculate, such as a script); sheetsync reads "
        "them as empty. Open the file in Excel or LibreOffice and save it once, then run again.",
    )
