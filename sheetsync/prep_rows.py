"""The rows of the prep tab and sheetsync's memory of them.

:class:`PrepRow` is a row sheetsync wants, :class:`TabRow` a row as written. The memory lives
in the hidden key column A of each managed row as ``<key>#<kind>:<B>:<C>:<D>`` (see
:mod:`sheetsync.prep`): :func:`encode` and :func:`decode` write and read it,
:func:`fingerprint` hashes what was written. Reading the tab back gives units: one managed
row (its line, with that memory) and the rows the student added below it. A tab written
before the memory existed is read conservatively (:func:`_legacy_prints`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sheetsync.grid import CellValue, Tab, clean_text


@dataclass(frozen=True, slots=True)  # one per prep tab row
class PrepRow:
    """One row sheetsync wants in the prep tab: its key, what it is, checkbox and text."""

    key: str
    kind: str  # title, header, block, meta, phase, item, draft, section, blank
    text: str = ""
    tick: CellValue = None  # None: no checkbox on this row
    notes: tuple[CellValue, ...] = ()  # column D onwards (only the header row has one)

    def wanted(self) -> tuple[CellValue, ...]:
        """What sheetsync wants in columns B, C and D."""
        text = storable(self.text) if self.text else None
        return (self.tick, text or None, self.notes[0] if self.notes else None)


@dataclass(frozen=True, slots=True)  # one per prep tab row
class TabRow:
    """One row of the prep tab as it is written: what it is, and its cells A, B, C, …"""

    kind: str  # a PrepRow kind, or "kept" for a row the student added
    cells: tuple[CellValue, ...]


# ---------------------------------------------------------------------- the memory in column A

OWN = 3  # columns B, C, D: the cells of a row (besides its key) sheetsync may write
UNKNOWN = "?"  # no memory of this cell: whatever it holds is the student's
_KIND_CODE = {
    "title": "t",
    "header": "h",
    "block": "b",
    "meta": "m",
    "phase": "p",
    "item": "i",
    "draft": "d",
    "section": "s",
    "blank": "e",
}
_CODE_KIND = {code: kind for kind, code in _KIND_CODE.items()}
_PRINT = r"(?:[0-9a-f]{8}|-|\?)"
_MEMO = re.compile(
    rf"(?P<key>.+)#(?P<kind>[a-z]):(?P<prints>{_PRINT}(?::{_PRINT}){{{OWN - 1}}})", re.S
)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def storable(text: str) -> str:
    """Text as every backend stores and reads it back (no XML-illegal characters, \\n line
    ends), so what sheetsync remembers writing is exactly what it will read."""
    return _storable(text) if len(text) > _STORED_LONGEST else _STORED[text]


def _storable(text: str) -> str:
    return _ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def fingerprint(value: CellValue) -> str:
    """A short hash of a cell value and its type ("-" for an empty cell)."""
    return _PRINTS[(type(value), value)]  # the type too: True == 1 == 1.0, a date ≠ datetime


_K = TypeVar("_K", bound=Hashable)


class _Remembered(dict[_K, str]):
    """``memo[key]`` is ``make(key)``, made once; emptied when it holds ``kept`` entries."""

    def __init__(self, make: Callable[[_K], str], kept: int) -> None:
        super().__init__()
        self.make, self.kept = make, kept

    def __missing__(self, key: _K) -> str:
        if len(self) >= self.kept:
            self.clear()
        made = self[key] = self.make(key)
        return made


# Short texts made storable (checklist items repeat in every block; a draft, longer, rarely
# does) and the fingerprints of cell values (the checklists repeat the same few texts).
_STORED_LONGEST = 300
_STORED: _Remembered[str] = _Remembered(_storable, 10_000)
_PRINTS: _Remembered[tuple[type, CellValue]] = _Remembered(
    lambda key: _fingerprint(key[1]), 100_000
)


def _fingerprint(value: CellValue) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        canon = f"b:{int(value)}"
    elif isinstance(value, int | float):
        canon = f"n:{float(value)!r}"
    elif isinstance(value, dt.datetime):
        canon = f"d:{value.date() if value.time() == dt.time() else value}"
    elif isinstance(value, dt.date):
        canon = f"d:{value}"
    elif isinstance(value, str):
        canon = f"s:{storable(value)}"
    else:
        canon = f"e:{value}"
    return hashlib.sha1(canon.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def encode(key: str, kind: str, prints: Sequence[str]) -> str:
    """Column A of a managed row: its key, its kind, and what sheetsync wrote in B, C, D."""
    return f"{key}#{_KIND_CODE[kind]}:{':'.join(prints)}"


def decode(value: CellValue) -> tuple[str, str, tuple[str, ...]] | None:
    """(key, kind, fingerprints) from column A, or None when A is not sheetsync's."""
    if not isinstance(value, str):
        return None
    found = _MEMO.fullmatch(value)
    if found is None or found["kind"] not in _CODE_KIND:
        return None
    return found["key"], _CODE_KIND[found["kind"]], tuple(found["prints"].split(":"))


def key_of(value: CellValue) -> str | None:
    """The row key in a column-A cell sheetsync wrote (None for any other cell)."""
    decoded = decode(value)
    return decoded[0] if decoded else None


# ---------------------------------------------------------------------- what the sheet has


def _empty(value: CellValue) -> bool:
    return value is None or value == ""


@dataclass(frozen=True)
class _Line:
    """A row of the tab as it stands: sheetsync's (with its memory) or the student's own."""

    cells: tuple[CellValue, ...]
    key: str | None  # None: a row the student added (or whose key they changed)
    kind: str
    prints: tuple[str, ...] = (UNKNOWN,) * OWN

    def cell(self, col: int) -> CellValue:
        return self.cells[col - 1] if col <= len(self.cells) else None

    def owned(self, i: int) -> bool:
        """True while column B + i still holds exactly what sheetsync wrote there."""
        return fingerprint(self.cell(2 + i)) == self.prints[i]

    def has_student_content(self) -> bool:
        if self.key is None:
            return True
        typed = any(not self.owned(i) and not _empty(self.cell(2 + i)) for i in range(OWN))
        return typed or any(not _empty(v) for v in self.cells[1 + OWN :])

    def as_written(self) -> TabRow:
        """The row unchanged (its memory re-encoded, for a row read from an older tab)."""
        if self.key is None:
            return TabRow("kept", self.cells)
        return TabRow(self.kind, (encode(self.key, self.kind, self.prints), *self.cells[1:]))


@dataclass
class _Unit:
    """A managed row and the rows the student added below it (which move with it)."""

    index: int
    line: _Line | None  # None: rows the student added above every managed row
    added: list[_Line] = field(default_factory=list)

    def has_student_content(self) -> bool:
        return bool(self.added) or (self.line is not None and self.line.has_student_content())

    def rows(self) -> list[TabRow]:
        head = [self.line.as_written()] if self.line is not None else []
        return head + [a.as_written() for a in self.added]


def _units(tab: Tab | None, wanted: Mapping[str, PrepRow], unticked: CellValue) -> list[_Unit]:
    units = [_Unit(0, None)]
    if tab is None:
        return units
    legacy = not any(decode(r[0]) for r in tab.rows if r)
    for cells in tab.rows:
        if all(_empty(v) for v in cells):
            continue
        line = _line(tuple(cells), legacy, wanted, unticked)
        if line.key is None:
            units[-1].added.append(line)
        else:
            units.append(_Unit(len(units), line))
    return units


def _line(
    cells: tuple[CellValue, ...], legacy: bool, wanted: Mapping[str, PrepRow], unticked: CellValue
) -> _Line:
    decoded = decode(cells[0]) if cells else None
    if decoded is not None:
        key, kind, prints = decoded
        return _Line(cells, key, kind, prints)
    first = cells[0] if cells else None
    if legacy and isinstance(first, str) and _LEGACY_KEY.search(clean_text(first)):
        key = clean_text(first)
        row = wanted.get(key)
        kind = row.kind if row else _kind_of(key)
        return _Line(cells, key, kind, _legacy_prints(cells, row, unticked))
    return _Line(cells, None, "kept")


# A key an older sheetsync wrote: a structural row, or person|date[|item] / person|follow-up|date
_LEGACY_KEY = re.compile(
    r"^(title|key|done|kept|followups(\|end)?)$|\|\d{4}-\d{2}-\d{2}(~\d+)?(\||$)"
)


LEGACY_TITLE = (  # the title before the tab was merged (it promised less)
    "Interview prep — written by sheetsync. Tick the boxes in column B and write notes "
    "from column D on: both are kept on every sync."
)


def _legacy_prints(
    cells: tuple[CellValue, ...], row: PrepRow | None, unticked: CellValue
) -> tuple[str, ...]:
    """What an older sheetsync (which kept no memory) most surely wrote in B, C and D.

    It wrote the checkbox and the text in C, so an unticked box, C exactly as wanted now, and C
    text of a row no longer wanted count as its own; anything else is the student's.
    """
    want = row.wanted() if row else (None, None, None)
    prints = []
    for i in range(OWN):
        value = cells[1 + i] if 1 + i < len(cells) else None
        ours = fingerprint(value) == fingerprint(want[i])
        ours = ours or (i == 0 and (_empty(value) or value == unticked))
        ours = ours or (
            i == 1 and ((row is None and isinstance(value, str)) or value == LEGACY_TITLE)
        )
        prints.append(fingerprint(value) if ours else UNKNOWN)
    return tuple(prints)


def _structural(key: str) -> bool:
    return key in ("title", "key", "done", "kept", "followups", "followups|end") or key.startswith(
        "kept|"
    )


def _kind_of(key: str) -> str:
    """What a row is, from its key alone (for a row of a tab written before the memory)."""
    own = {"title": "title", "key": "header", "followups|end": "blank"}
    if key in own or key in ("done", "kept", "followups"):
        return own.get(key, "section")
    tail = key.rsplit("|", 1)[-1]
    if key.count("|") == 1:
        return "block"
    return {
        "meta": "meta",
        "end": "blank",
        "before": "phase",
        "during": "phase",
        "after": "phase",
        "questions": "phase",
    }.get(tail, "draft" if "draft" in tail else "item")
