"""One header row: which column holds which field, from its header and its values."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sheetsync.fields import BY_ID, FIELD_IDS, Kind
from sheetsync.grid import CellValue, clean_text, col_letter, is_blank
from sheetsync.layout.headers import MIN_SCORE, field_scores, words
from sheetsync.profile import (
    EMPTY,
    Profile,
    Verdict,
    field_from_values,
    support,
)

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


def header_texts(cells: Sequence[CellValue], skip: frozenset[int] = frozenset()) -> dict[int, str]:
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
        col = find_header(headers, header)
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


def find_header(headers: Mapping[int, str], wanted: str) -> int | None:
    target = clean_text(wanted).casefold()
    return next((c for c, t in headers.items() if clean_text(t).casefold() == target), None)


def has_identity(columns: Mapping[str, int]) -> bool:
    return (
        "name" in columns
        or "email" in columns
        or ("first_name" in columns and "last_name" in columns)
    )
