"""Cells as the Sheets API sends and takes them, and the A1 ranges that address them.

Values are read ``UNFORMATTED_VALUE`` with dates as serial numbers (:func:`cell_value`, or
:func:`effective_value` for the same cell in grid data) and
written ``RAW`` (:func:`json_value`: a date goes back as its serial, so nothing typed can
become a formula); :func:`quote_sheet` and :func:`range_start` write and read the sheet-name
and corner of an A1 range. Used by the values and prep-tab requests of the Google backend.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sheetsync.dates import to_serial
from sheetsync.grid import CellError, CellValue

ERROR_CODES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#ERROR!", "#SPILL!"}
)


def quote_sheet(title: str) -> str:
    """A sheet name as it must appear in an A1 range: ``'It''s'``."""
    return "'" + title.replace("'", "''") + "'"


def range_start(echo: str) -> tuple[int, int]:
    """Row and column where an echoed range (``'Tab'!B3:F9``) starts; (1, 1) for a whole tab."""
    ref = echo.rsplit("!", 1)[-1] if "!" in echo else ""
    match = re.match(r"\$?([A-Za-z]+)?\$?(\d+)?", ref)
    if not ref or not match:
        return 1, 1
    letters, digits = match.groups()
    col = 0
    for ch in (letters or "A").upper():
        col = col * 26 + ord(ch) - 64
    return int(digits or 1), col


def cell_value(value: Any) -> CellValue:
    """One cell as read: blank → None, an error code → :class:`~sheetsync.grid.CellError`."""
    if value == "" or value is None:
        return None
    if isinstance(value, str) and value in ERROR_CODES:
        return CellError(value)
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


# What each ``ErrorValue.type`` of grid data is shown as (Sheets API v4 reference, ErrorType);
# the values API, read UNFORMATTED_VALUE, answers these same codes as text.
ERROR_BY_TYPE = {
    "NULL_VALUE": "#NULL!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
    "ERROR": "#ERROR!",
}


def effective_value(cell: Mapping[str, Any]) -> CellValue:
    """One ``CellData`` of grid data, read from its ``effectiveValue`` exactly as
    :func:`cell_value` reads the same cell from ``values:batchGet`` (``UNFORMATTED_VALUE``,
    dates as serial numbers): what a formula computes, an error as its code.

    A cell still loading (``LOADING``) reads as the text Sheets shows for it, "Loading...",
    not as an error."""
    value = cell.get("effectiveValue")
    if not value:
        return None
    text = value.get("stringValue")
    if text is not None:
        return cell_value(text)
    number = value.get("numberValue", value.get("boolValue"))
    if number is not None:
        return number if isinstance(number, bool | int | float) else cell_value(number)
    error = value.get("errorValue")
    if error is not None:
        kind = str(error.get("type", ""))
        return "Loading..." if kind == "LOADING" else CellError(ERROR_BY_TYPE.get(kind, "#ERROR!"))
    return None


def json_value(value: CellValue) -> str | int | float | bool:
    """One cell as written RAW: None → "" (cleared), a date → its serial number."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return to_serial(value.date() if isinstance(value, dt.datetime) else value)
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)
