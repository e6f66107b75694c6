"""The workbook every export is written into: xlsxwriter set up so that text stays text
(never a formula, a link or a number), the formats the tabs share, printing one page wide,
and saving through :mod:`sheetsync.files`, which replaces only an earlier export (marked by
the custom document property ``sheetsync = advisor-export``), never a source or config."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from sheetsync import files, printing
from sheetsync.advisor.values import CellOut
from sheetsync.errors import ConfigError, WriteRefused

log = logging.getLogger("sheetsync")

DATE_FORMAT = "d mmm yyyy"

WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": DATE_FORMAT,
    "remove_timezone": True,
}
MAX_TEXT = 32_000  # Excel's limit is 32,767 characters a cell
URGENCY_FILL = {
    "Overdue": "#F4B6B6",
    "Due": "#FCE1B3",
    "Soon": "#FFF6C7",
    "Check": "#E3D7F0",
}
ACCENT = "#2F5D8A"


class Book:
    """An xlsxwriter workbook and the handful of formats every tab shares."""

    def __init__(self, title: str) -> None:
        self.buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.buffer, WORKBOOK_OPTIONS)
        self.wb.set_properties({"title": title, "author": "sheetsync", "comments": ""})
        # How sheetsync recognises its own export (and replaces only that): see files.is_own.
        self.wb.set_custom_property(*files.EXPORT_PROPERTY)
        self.fmt = {name: self.wb.add_format(spec) for name, spec in _FORMATS.items()}
        self.fill = {
            w: self.wb.add_format({"bg_color": c, "valign": "top", "text_wrap": True})
            for w, c in URGENCY_FILL.items()
        }

    def sheet(self, name: str, *, landscape: bool = True) -> Any:
        """A new tab set up to print one page wide."""
        ws = self.wb.add_worksheet(name)
        if landscape:
            ws.set_landscape()
        ws.set_paper(9)  # A4; LibreOffice and Excel scale to Letter when asked
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        ws.set_footer("&L&A&R&P / &N")
        return ws

    def close(self) -> bytes:
        """Finish the package and return its bytes."""
        self.wb.close()
        return self.buffer.getvalue()


_FORMATS: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 16, "font_color": ACCENT},
    "subtitle": {"italic": True, "font_color": "#555555"},
    "section": {"bold": True, "font_size": 12, "font_color": ACCENT, "bottom": 1},
    "header": {
        "bold": True,
        "bg_color": "#DCE6F1",
        "border": 1,
        "text_wrap": True,
        "valign": "top",
    },
    "text": {"valign": "top"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "int": {"num_format": "0", "valign": "top"},
    "num1": {"num_format": "0.0", "valign": "top"},
    "num2": {"num_format": "0.00", "valign": "top"},
    "month": {"num_format": "mmm yyyy", "valign": "top", "align": "left"},
    "pct": {"num_format": "0%", "valign": "top"},
    "date": {"num_format": DATE_FORMAT, "valign": "top", "align": "left"},
    "bold": {"bold": True},
    "bold_wrap": {"bold": True, "text_wrap": True, "valign": "top"},
    "total": {"bold": True, "top": 1},
    "total_pct": {"bold": True, "top": 1, "num_format": "0%"},
    "total_num1": {"bold": True, "top": 1, "num_format": "0.0"},
    "muted": {"font_color": "#777777", "italic": True},
}


def put(ws: Any, row: int, col: int, value: CellOut, fmt: Any = None) -> None:
    """Write one value by its type; text always as a literal string (never a formula)."""
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, safe_text(value), fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, as_datetime(value), fmt)
    else:
        ws.write_number(row, col, value, fmt)


def safe_text(text: str) -> str:
    """Without control characters (invalid in XML) and within Excel's cell limit."""
    text = "".join(ch if ch in "\t\n" or ord(ch) >= 32 else " " for ch in text)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def as_datetime(day: dt.date) -> dt.datetime:
    """A date as the datetime xlsxwriter writes (naive: Excel has no time zones)."""
    if isinstance(day, dt.datetime):
        return day.replace(tzinfo=None)
    return dt.datetime.combine(day, dt.time())


def header_row(
    ws: Any, book: Book, top: int, headers: Sequence[str], widths: Sequence[float]
) -> None:
    """A row of table headers at ``top``, the columns set to ``widths``, tall enough to wrap."""
    for c, (text, width) in enumerate(zip(headers, widths, strict=True)):
        ws.write_string(top, c, text, book.fmt["header"])
        ws.set_column(c, c, width)
    ws.set_row(top, row_height(headers, [w * 0.9 for w in widths]))  # bold headers wrap sooner


def headers(ws: Any, book: Book, row: int, texts: Sequence[str], col: int = 0) -> None:
    """Header cells in a row, from column ``col``, without touching the column widths."""
    for c, text in enumerate(texts, start=col):
        ws.write_string(row, c, text, book.fmt["header"])


LINE_HEIGHT = 15.0


def row_height(values: Sequence[CellOut], widths: Sequence[float]) -> float:
    """A row tall enough for its wrapped text (xlsxwriter cannot measure; Excel and
    LibreOffice do not re-measure rows on opening, so overlong text would overlap)."""
    texts = [(v, w) for v, w in zip(values, widths, strict=False) if isinstance(v, str)]
    return printing.row_height(texts) or LINE_HEIGHT


def check_output(output: Path, sources: Sequence[str], config: Path | None = None) -> None:
    """Refuse an output that is not .xlsx, is one of the sources or the config (or a link to
    them), is a file sheetsync did not export, or is open in Excel."""
    from sheetsync.files import lock_files

    if output.suffix.lower() != ".xlsx":
        raise ConfigError(f"The export is an .xlsx workbook: name it e.g. {output.stem}.xlsx.")
    files.check_output(output, files.Kind.EXPORT, files.Protected.of(sources, config))
    locks = lock_files(output)
    if locks:
        raise WriteRefused(
            f"{output.name} is open in Excel or LibreOffice (lock file {locks[0].name}). "
            "Close it, or pass another -o path."
        )


def save(book: Book, output: Path, sources: Sequence[str]) -> Path:
    """Write the finished workbook to ``output`` through :mod:`sheetsync.files`."""
    check_output(output, sources)
    data = book.close()
    files.write_output(output, data, files.Kind.EXPORT, protected=files.Protected.of(sources))
    log.info("wrote the advisor export %s (%d bytes)", output, len(data))
    return output
