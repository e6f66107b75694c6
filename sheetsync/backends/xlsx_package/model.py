"""The public value types of the package writer: what a cell write, a style, a tab and a
package look like, and the limits a read must stay within.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sheetsync.backends.xlsx_package.ooxml import _HEX6
from sheetsync.errors import SourceError


@dataclass(frozen=True)
class CellStyle:
    """What a managed cell looks like. Hashable; colours are ``"RRGGBB"`` hex strings."""

    bold: bool = False
    fill: str | None = None
    font_color: str | None = None
    number_format: str | None = None
    wrap: bool = False

    def __post_init__(self) -> None:
        for name in ("fill", "font_color"):
            colour = getattr(self, name)
            if colour is None:
                continue
            if not isinstance(colour, str) or not _HEX6.fullmatch(colour):
                raise ValueError(f"CellStyle.{name} must be 'RRGGBB' hex, got {colour!r}")
            object.__setattr__(self, name, colour.upper())
        if self.number_format is not None and not self.number_format.strip():
            raise ValueError("CellStyle.number_format must not be blank; use None")


@dataclass(frozen=True)
class CellWrite:
    """One managed cell: its value (``None`` removes the cell) and optional style.

    Text is always written as literal text (an inline string), never as a formula. An empty
    string with no style removes the cell too; with a style it leaves a styled blank cell.
    Dates (and naive datetimes) become serial numbers with a date number format.
    ``row_height`` (points) is how tall the row must be to show wrapped text: a shorter row
    grows to it, a taller one is left alone (spreadsheets do not re-measure rows on opening).
    """

    value: str | dt.date | float | int | None
    style: CellStyle | None = None
    row_height: float | None = None


@dataclass(frozen=True)
class SheetRef:
    """One tab of the workbook, as listed in ``xl/workbook.xml``."""

    name: str
    part: str  # zip entry name, e.g. "xl/worksheets/sheet1.xml" ("" when the target is missing)
    state: str  # "visible", "hidden" or "veryHidden"
    sheet_id: int
    r_id: str
    kind: str = "worksheet"  # or "chartsheet", "dialogsheet", "macrosheet"


@dataclass(frozen=True)
class PackageInfo:
    """What is inside an .xlsx package (informational; patching keeps all of it)."""

    sheets: tuple[SheetRef, ...]
    date1904: bool
    parts: tuple[str, ...]
    has_vba: bool
    features: tuple[str, ...]  # what a model round-trip (openpyxl save) could lose

    def sheet(self, name: str) -> SheetRef:
        """The tab called ``name`` (exact match first, then case-insensitive, like Excel)."""
        return _match_sheet(self.sheets, name)


@dataclass(frozen=True)
class ReadLimits:
    """How much reading one workbook may cost; a workbook past them is refused, not read.

    ``max_unzipped_bytes``: the XML parts together, once unzipped (a real tracker is a few MB;
    a "zip bomb" of 1 MB can declare or inflate to gigabytes). ``max_cells``: cells of one
    rectangular block of a tab (the reader holds a block as a dense grid); blocks far apart,
    such as a stray cell at A1048576, are read one at a time, not as one grid.
    """

    max_unzipped_bytes: int = 300 * 2**20
    max_cells: int = 10_000_000


@dataclass(frozen=True)
class SheetFacts:
    """What a reader of cell values (python-calamine) misses in a sheet.

    ``errors``: cells holding an error value (``t="e"``), as ``{(row, col): "#REF!"}``,
    1-based; calamine reads them as empty, and the reader overlays them so that a broken
    formula is reported rather than mistaken for a blank.

    ``formulas_without_values``: formula cells saved without a result, as a program that does
    not calculate (openpyxl, most scripts) leaves them. An empty text result (``t="str"`` with
    an empty value) is a result. Cells in an unusual layout (prefixed tags, extensions) are
    not counted.
    """

    errors: dict[tuple[int, int], str]
    formulas_without_values: int
    # Row ranges (first, last) to read one at a time because empty rows far apart separate
    # them; () when the tab is read as one block.
    bands: tuple[tuple[int, int], ...] = ()


def _find_sheet(sheets: Iterable[SheetRef], name: str) -> SheetRef | None:
    sheets = tuple(sheets)
    for sheet in sheets:
        if sheet.name == name:
            return sheet
    folded = name.casefold()
    return next((s for s in sheets if s.name.casefold() == folded), None)


def _match_sheet(sheets: tuple[SheetRef, ...], name: str) -> SheetRef:
    sheet = _find_sheet(sheets, name)
    if sheet is None:
        names = ", ".join(repr(s.name) for s in sheets) or "none"
        raise SourceError(
            f"The workbook has no tab named {name!r} (tabs: {names}). Check the sheet name in "
            "sheetsync.toml or rename the tab."
        )
    return sheet
