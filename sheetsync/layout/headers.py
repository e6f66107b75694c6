"""How well one header text fits each canonical field, from its words alone."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from sheetsync.fields import BY_ID, Kind
from sheetsync.grid import clean_text, is_blank
from sheetsync.layout.model import is_managed_header
from sheetsync.layout.phrases import DATE_WORDS, NO_STEM, PHRASES, STOP_WORDS

MIN_SCORE = 0.9


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
    dateish = any(w in DATE_WORDS for w in all_words)
    meaning = tuple(w for w in all_words if w not in STOP_WORDS and w not in DATE_WORDS)
    if not meaning:  # "Date", "When?": keep the words so they can still match a phrase
        meaning = tuple(w for w in all_words if w not in STOP_WORDS)
    first = _meaning_words(re.split(r"\s/\s|\s&\s|\bor\b", text)[0])
    head = min(len(first), len(meaning)) - 1 if first else len(meaning) - 1
    person = bool(meaning) and meaning[0] in _PERSON_PREFIX and len(meaning) > 1
    return _Header(meaning, dateish, head, person)


def _meaning_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in words(text) if w not in STOP_WORDS and w not in DATE_WORDS)


_PERSON_PREFIX = frozenset({"contact", "contact1", "person", "recruiter", "poc", "mentor"})


@lru_cache(maxsize=1)
def _phrases() -> dict[str, list[tuple[tuple[str, ...], float]]]:
    parsed: dict[str, list[tuple[tuple[str, ...], float]]] = {}
    for field_id, phrases in PHRASES.items():
        entries = []
        for phrase in phrases:
            text, _, weight = phrase.partition("*")
            toks = tuple(w for w in words(text) if w not in STOP_WORDS)
            assert toks, f"phrase '{phrase}' of {field_id} has no meaning word"
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
    return verb.endswith("ed") and not noun.endswith("ed") and _stem(verb) in NO_STEM


def _close(a: str, b: str) -> bool:
    """difflib's ratio ≥ 0.8, trying its cheap upper bounds first (headers can be long)."""
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < 0.8:
        return False
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.quick_ratio() >= 0.85 and matcher.ratio() >= 0.85


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, tuple[str, ...]]:
    """Every word of every phrase, by its first letter."""
    found: dict[str, set[str]] = {}
    for entries in _phrases().values():
        for toks, _ in entries:
            for w in toks:
                found.setdefault(w[0], set()).add(w)
    return {initial: tuple(sorted(ws)) for initial, ws in found.items()}


def _matches(header: _Header) -> dict[str, tuple[float, int]]:
    """Phrase word → (its best match quality among the header's words, the first word giving
    it), for the phrase words that match at all. Only a word with the same first letter can
    match (equal, same stem, or a typo that keeps the first letter: see :func:`_word_match`),
    so a header is compared with a few dozen phrase words, not with every phrase."""
    vocabulary = _vocabulary()
    hits: dict[str, tuple[float, int]] = {}
    for want in {w for have in header.words for w in vocabulary.get(have[0], ())}:
        best, where = 0.0, -1
        for i, have in enumerate(header.words):
            quality = _word_match(want, have)
            if quality > best:
                best, where = quality, i
        if best:
            hits[want] = (best, where)
    return hits


def _phrase_score(
    phrase: tuple[str, ...], header: _Header, hits: Mapping[str, tuple[float, int]]
) -> float:
    total, matched = 0.0, set()
    for want in phrase:
        hit = hits.get(want)
        if hit is None:
            return 0.0
        total += hit[0]
        matched.add(hit[1])
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
    hits = _matches(header)
    scores: dict[str, float] = {}
    for field_id, phrases in _phrases().items():
        # A phrase scores 0 unless each of its words matched: try only those whose first did.
        best = max(
            (_phrase_score(p, header, hits) * w for p, w in phrases if p[0] in hits), default=0.0
        )
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
