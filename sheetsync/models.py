"""The records that flow between pipeline steps: findings, cell changes, plans, results."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from sheetsync.grid import CellValue, cell_ref

if TYPE_CHECKING:
    from sheetsync.pipeline import Checked


class Severity(StrEnum):
    """How urgent a finding is, most urgent first."""

    OVERDUE = "overdue"  # past its due date
    DUE = "due"  # due today (or within its grace period)
    SOON = "soon"  # coming up in the next few days
    INFO = "info"  # worth knowing, no deadline
    DATA = "data"  # a problem with the tracker's data

    @property
    def rank(self) -> int:
        """0 for the most urgent."""
        return _RANK[self]


_RANK = {s: i for i, s in enumerate(Severity)}


class Finding(NamedTuple):
    """One thing to do (or fix) for one row of the tracker.

    A named tuple rather than a frozen dataclass: as immutable, and a check of 100,000 rows
    may build tens of thousands of them (a frozen dataclass is several times slower to build).
    """

    row: int
    contact: str
    rule: str
    severity: Severity
    message: str
    due: dt.date | None = None

    def sort_key(self) -> tuple[int, dt.date, int, str]:
        """Most urgent first, then earliest due, then sheet order."""
        return (self.severity.rank, self.due or dt.date.max, self.row, self.rule)

    def to_json(self) -> dict[str, object]:
        """The public JSON shape (see docs/contracts.md)."""
        return {
            "row": self.row,
            "contact": self.contact,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "due": self.due.isoformat() if self.due else None,
        }


@dataclass(frozen=True, slots=True)  # one per managed cell written: tens of thousands
class CellChange:
    """One managed cell that must change: where, from what, to what, and how it looks."""

    row: int
    col: int
    old: CellValue
    new: CellValue
    style: str | None = None  # a managed style name: "header", "overdue", "due", …
    key: str = ""  # the contact key of the row, so a backend can re-find a moved row

    @property
    def ref(self) -> str:
        """A1 reference of the cell."""
        return cell_ref(self.row, self.col)


@dataclass(frozen=True)
class PrepPlan:
    """The managed prep tab, written whole: its rows (sheetsync's merged with the student's,
    see :mod:`sheetsync.prep`), and what each row is ("kept" for a row the student added)."""

    tab: str
    rows: tuple[tuple[CellValue, ...], ...]
    kinds: tuple[str, ...]  # title, header, block, phase, item, draft, … per row
    is_new: bool  # the tab does not exist yet
    old_height: int  # rows the tab holds now (to clear what is left below)
    old_width: int = 0  # columns the tab uses now (to clear what is left to the right)

    @property
    def tick_rows(self) -> tuple[int, ...]:
        """1-based rows that carry a checkbox in column B."""
        return tuple(
            i
            for i, (k, r) in enumerate(zip(self.kinds, self.rows, strict=True), 1)
            if len(r) > 1 and _is_tick(k, r[1])
        )


def _is_tick(kind: str, value: CellValue) -> bool:
    """A checklist item's box; on a row the student added, only a box they copied there."""
    if kind == "kept":
        return isinstance(value, bool) or value in ("☐", "☑")
    return kind == "item" and value is not None


@dataclass(frozen=True)
class TableGrowth:
    """An Excel table or a filter over the contacts that grows to take in managed columns.

    ``kind`` and ``name`` say which (see :class:`~sheetsync.grid.TableArea`); the area keeps
    its rows and grows from ``old_last_col`` to ``new_last_col``; ``names`` are the column
    names added, left to right (the managed headers, exactly as written in the header row).
    """

    kind: str
    name: str
    header_row: int
    old_last_col: int
    new_last_col: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """Every managed cell that differs from what the sheet holds now, for one tab."""

    worksheet: str
    changes: tuple[CellChange, ...]
    new_columns: tuple[str, ...] = ()  # managed headers this plan adds
    column_of: dict[str, int] = field(default_factory=dict)  # managed header → column
    header_row: int = 1
    key_columns: dict[str, int] = field(default_factory=dict)  # identity field → column
    row_keys: dict[int, str] = field(default_factory=dict)  # contact row → key, as read
    headers: dict[int, str] = field(default_factory=dict)  # user header texts, as read
    prep: PrepPlan | None = None  # the prep tab, when it must be (re)written
    tables: tuple[TableGrowth, ...] = ()  # tables/filters that grow over the managed columns

    @property
    def is_empty(self) -> bool:
        """True when nothing needs writing."""
        return not self.changes and self.prep is None and not self.tables


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: rows read, findings, cells changed and where the backup went."""

    source: str
    worksheet: str
    rows_read: int
    findings: tuple[Finding, ...]
    plan: Plan
    written: bool
    dry_run: bool
    backup: str | None = None
    output: str | None = None
    # The check the sync acted on (the run loop's calendar reuses it instead of reading the
    # source again); not part of the result's value.
    checked: Checked | None = field(default=None, repr=False, compare=False)

    @property
    def findings_by_rule(self) -> dict[str, int]:
        """Count of findings per rule id, most frequent first."""
        return dict(Counter(f.rule for f in self.findings).most_common())
