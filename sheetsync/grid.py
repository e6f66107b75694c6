"""What a backend reads: the cell values of a workbook's tabs, addressed as the user sees them.

A :class:`Grid` holds every tab sheetsync may need (the contacts tab, a question-ideas tab, …)
as plain Python values. Row ``r`` and column ``c`` are 1-based, as in the spreadsheet, so a
finding's row number is the one the user sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CellError:
    """A formula error shown in a cell, such as ``#REF!`` or ``#N/A``."""

    code: str

    def __str__(self) -> str:
        return self.code


CellValue = str | int | float | bool | dt.date | dt.datetime | CellError | None


@dataclass(frozen=True)
class MergedRange:
    """A merged block of cells, 1-based and inclusive."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass(frozen=True)
class TableArea:
    """An Excel table, or a filter over a block of cells (1-based, inclusive).

    ``kind`` is ``"table"`` (an Excel table: its ``name`` is the table's display name),
    ``"linked-table"`` (an Excel table filled by a query or an XML map, which sheetsync does
    not resize), or ``"filter"`` (a sheet's autofilter in .xlsx, a basic filter on Google;
    ``name`` is "").
    ``last_row`` includes the totals row, when the table has one.
    """

    kind: str
    name: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    header_rows: int = 1
    totals_rows: int = 0

    @property
    def totals(self) -> range:
        """The rows of the table's totals row (empty when it has none)."""
        return range(self.last_row - self.totals_rows + 1, self.last_row + 1)


@dataclass
class Tab:
    """One worksheet: its name and its rows (``rows[0]`` is sheet row 1)."""

    name: str
    rows: list[list[CellValue]]
    merged: list[MergedRange] = field(default_factory=list)
    hidden: bool = False
    # Formula cells saved without a result (a program that does not calculate wrote the
    # file): readers that do not recalculate, sheetsync included, see them as empty.
    formulas_without_values: int = 0
    # Excel tables and filters on this tab: managed columns join the one over the contacts.
    tables: list[TableArea] = field(default_factory=list)
    # Cells the user's data validations and conditional formats apply to: managed columns
    # are placed where none of them reaches.
    rule_ranges: list[MergedRange] = field(default_factory=list)

    @property
    def height(self) -> int:
        """Number of rows that hold anything (trailing empty rows excluded)."""
        return len(self.rows)

    @property
    def width(self) -> int:
        """Largest number of cells in any row."""
        return max((len(r) for r in self.rows), default=0)

    def cell(self, row: int, col: int) -> CellValue:
        """The value at 1-based (row, col), or None outside the data."""
        if row < 1 or col < 1 or row > len(self.rows):
            return None
        cells = self.rows[row - 1]
        return cells[col - 1] if col <= len(cells) else None

    def row_values(self, row: int) -> Sequence[CellValue]:
        """The cells of 1-based ``row`` (empty when the row is past the data)."""
        return self.rows[row - 1] if 1 <= row <= len(self.rows) else ()

    def last_used_col(self, skip: frozenset[int] = frozenset()) -> int:
        """The rightmost column holding a value in any row, ignoring columns in ``skip``."""
        last = 0
        for cells in self.rows:
            for c in range(len(cells), last, -1):
                if c not in skip and not is_blank(cells[c - 1]):
                    last = c
                    break
        return last


@dataclass
class Grid:
    """Every tab read from one source, in workbook order."""

    source: str
    tabs: list[Tab]
    date1904: bool = False

    def tab(self, name: str) -> Tab | None:
        """The tab called ``name`` (exact match first, then case-insensitive)."""
        for t in self.tabs:
            if t.name == name:
                return t
        folded = name.casefold().strip()
        return next((t for t in self.tabs if t.name.casefold().strip() == folded), None)

    def __iter__(self) -> Iterator[Tab]:
        return iter(self.tabs)


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00a0"


def clean_text(value: str) -> str:
    """Strip whitespace, zero-width characters, BOMs and non-breaking spaces from both ends."""
    return value.strip().strip(_INVISIBLE).strip()


def is_blank(value: CellValue) -> bool:
    """True for an empty cell: None, or text that is only whitespace/invisible characters."""
    if value is None:
        return True
    return isinstance(value, str) and clean_text(value) == ""


def col_letter(col: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """The A1 reference of 1-based (row, col)."""
    return f"{col_letter(col)}{row}"
