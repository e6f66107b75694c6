"""Cell values as they are written: a :class:`CellWrite` resolved to its XML kind, text and
style; dates as Excel serials; text cleaned of what XML cannot hold; cell references.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from sheetsync.backends.xlsx_package.model import CellStyle, CellWrite
from sheetsync.backends.xlsx_package.ooxml import (
    _CELL_REF,
    _ILLEGAL_XML,
    _OOXML_ESCAPE,
    DEFAULT_DATE_FORMAT,
    DEFAULT_DATETIME_FORMAT,
    MAX_COL,
    MAX_ROW,
    MAX_TEXT,
)

if TYPE_CHECKING:
    from sheetsync.backends.xlsx_package.styles import _StyleBook


@dataclass(frozen=True)
class _Cell:
    """A write, resolved to XML: what kind of content, its text and its style index."""

    kind: Literal["delete", "str", "num", "bool", "blank"]
    text: str = ""
    s: int | None = None
    ht: float | None = None  # the row's least height, from CellWrite.row_height


def _check_coordinates(
    cells: Mapping[tuple[int, int], CellWrite], widths: Mapping[int, float]
) -> None:
    for row, col in cells:
        if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
            raise ValueError(f"cell ({row}, {col}) is outside the sheet (1-based row, col)")
    for col, width in widths.items():
        if not 1 <= col <= MAX_COL:
            raise ValueError(f"column {col} is outside the sheet")
        if not (isinstance(width, int | float) and 0 < width <= 255):
            raise ValueError(f"column width must be in (0, 255], got {width!r}")


def _resolve_writes(
    cells: Mapping[tuple[int, int], CellWrite], date1904: bool, styles: _StyleBook
) -> dict[int, dict[int, _Cell]]:
    by_row: dict[int, dict[int, _Cell]] = {}
    # A sync writes the same few statuses and styles thousands of times: resolve each once.
    # The value's type is part of the key (True == 1, and a date is not its datetime); the
    # style is known by its identity (hashing a style costs a call to its __hash__ each time;
    # equal styles in two objects are only resolved twice).
    seen: dict[tuple[type, object, int], _Cell] = {}
    seen_tall: dict[tuple[tuple[type, object, int], float], _Cell] = {}
    by_id: dict[int, _Cell] = {}  # a sync passes one CellWrite per distinct write
    for (row, col), write in cells.items():
        # ``cells`` keeps each write, and so its style, alive: their ids are not reused
        cell = by_id.get(id(write))
        if cell is None:
            key = (type(write.value), write.value, id(write.style))
            cell = seen.get(key)
            if cell is None:
                cell = seen[key] = _resolve(write, date1904, styles)
            if write.row_height and cell.kind != "delete":
                tall = (key, write.row_height)
                cell = seen_tall.get(tall) or seen_tall.setdefault(
                    tall, _Cell(cell.kind, cell.text, cell.s, write.row_height)
                )
            by_id[id(write)] = cell
        row_cells = by_row.get(row)
        if row_cells is None:
            row_cells = by_row[row] = {}
        row_cells[col] = cell
    return by_row


def _resolve(write: CellWrite, date1904: bool, styles: _StyleBook) -> _Cell:
    value, style = write.value, write.style
    if isinstance(value, dt.date):
        fmt = DEFAULT_DATETIME_FORMAT if isinstance(value, dt.datetime) else DEFAULT_DATE_FORMAT
        style = style or CellStyle()
        if style.number_format is None:
            style = replace(style, number_format=fmt)
        return _Cell("num", _number_text(excel_serial(value, date1904)), styles.xf_id(style))
    s = None if style is None else styles.xf_id(style)
    if value is None or (value == "" and style is None):
        return _Cell("delete")
    if isinstance(value, bool):
        return _Cell("bool", "1" if value else "0", s)
    if isinstance(value, int | float):
        return _Cell("num", _number_text(value), s)
    if isinstance(value, str):
        text = clean_text(value)
        return _Cell("str", text, s) if text else _Cell("blank", "", s)
    raise TypeError(f"cannot write a {type(value).__name__} into a cell: {value!r}")


def clean_text(value: str) -> str:
    """Text as it can be stored: XML-illegal characters removed, capped at 32,767 characters
    (counted in UTF-16 units, as Excel does). No other change: "=1+1" stays literal."""
    text = _ILLEGAL_XML.sub("", value)
    if len(text) > MAX_TEXT // 2:
        units = 0
        for i, ch in enumerate(text):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > MAX_TEXT:
                return text[:i]
    return text


def inline_text(text: str) -> str:
    """Stored text (see :func:`clean_text`) as the character data of an inline string, read
    back as the same text by Excel, LibreOffice and calamine: a literal ``_xHHHH_`` protected
    (they would decode it as a character), and ``&``, ``<``, ``>`` and a carriage return as
    entities (a parser reads a bare carriage return as a line feed)."""
    return _xml_escape(_ooxml_escape(text))


def _xml_escape(text: str) -> str:
    """Character data escaped as lxml escapes it (a carriage return must survive parsing)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _ooxml_escape(text: str) -> str:
    """Protect literal ``_xHHHH_`` sequences, which Excel would decode as characters."""
    if "_x" not in text:
        return text  # the usual case, found without the regex
    return _OOXML_ESCAPE.sub(r"_x005F_\1", text)


def _number_text(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} into a cell: not a finite number")
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def excel_serial(value: dt.date, date1904: bool = False) -> float:
    """The Excel serial number of a date or naive datetime in the workbook's epoch."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise ValueError(f"cannot write a timezone-aware datetime ({value}); make it naive")
    day = value.date() if isinstance(value, dt.datetime) else value
    if date1904:
        days = (day - dt.date(1904, 1, 1)).days
    else:
        days = (day - dt.date(1899, 12, 31)).days
        days += 1 if days >= 60 else 0  # Excel's phantom 1900-02-29
    if days < (0 if date1904 else 1):
        raise ValueError(f"{value} is before the workbook's first date")
    if not isinstance(value, dt.datetime):
        return days
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return days + seconds / 86400


def col_letters(col: int) -> str:
    """1 -> "A", 28 -> "AB"."""
    known = _LETTERS.get(col)
    if known is not None:
        return known
    letters, n = "", col
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    if len(_LETTERS) < 20_000:
        _LETTERS[col] = letters
    return letters


_LETTERS: dict[int, str] = {}  # column number -> letters, filled as they are met


_COLUMNS: dict[str, int] = {}  # column letters -> number, filled as they are met
_DIGITS = "0123456789"


def _col_number(letters: str) -> int:
    known = _COLUMNS.get(letters)
    if known is None:
        known = 0
        for ch in letters.upper():
            known = known * 26 + ord(ch) - 64
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = known
    return known


def _parse_ref(ref: str) -> tuple[int, int] | None:
    letters = ref.rstrip(_DIGITS)
    digits = ref[len(letters) :]
    if letters.isascii() and letters.isalpha() and len(letters) <= 3 and digits.isdigit():
        return int(digits), _col_number(letters)
    match = _CELL_REF.fullmatch(ref.strip())
    if match is None:
        return None
    return int(match.group(2)), _col_number(match.group(1))


def _ref(row: int, col: int) -> str:
    return f"{col_letters(col)}{row}"
