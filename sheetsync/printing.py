"""How text sheetsync writes fits on screen and on paper: lines per cell, rows' heights, and
the print setup of the workbooks it creates.

Spreadsheets do not grow a row for wrapped text they did not lay out themselves (LibreOffice
keeps a row at its stored height), so every wrapped row sheetsync writes gets an explicit
height from an estimate of how many lines its text takes at its column's width.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # openpyxl loads only for the workbooks sheetsync builds (init, export)
    from openpyxl.worksheet.worksheet import Worksheet

LINE_POINTS = 15.0  # one line of 11 pt text, with its spacing
# A column's width counts the default font's digits; prose is narrower on average but wraps
# at word ends, so one character per unit of width errs on the tall side: a row a line too
# tall is fine, a row a line too short hides text.
FILL = 1.0


def lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a column ``width`` characters wide (at least 1)."""
    per_line = max(1, int(width * FILL) - 1)
    if len(text) <= per_line and "\n" not in text:
        return 1  # fits as it is (most statuses): no word to wrap
    return sum(_wrapped(part, per_line) for part in text.split("\n")) or 1


def _wrapped(paragraph: str, per_line: int) -> int:
    """Lines of one paragraph, wrapping at spaces as a spreadsheet does."""
    count, used = 1, 0
    for word in paragraph.split(" "):
        size = len(word)
        if used and used + 1 + size > per_line:
            count, used = count + 1, 0
        if size > per_line:  # a long word (a link) is cut across lines
            count += math.ceil(size / per_line) - 1
            size %= per_line
        used += size + (1 if used else 0)
    return count


def row_height(texts: Iterable[tuple[str, float]], *, scale: float = 1.0) -> float | None:
    """The height of a row holding each ``(text, column width)``; None for one line.

    ``scale`` grows the line height for fonts larger than 11 pt.
    """
    most = max((lines(t, w) for t, w in texts), default=1)
    return LINE_POINTS * scale * most if most > 1 else None


def landscape(ws: Worksheet, title_rows: tuple[int, int] | None = None) -> None:
    """Print ``ws`` landscape, one page wide, its ``title_rows`` on top of every page."""
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    if title_rows is not None:
        ws.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
