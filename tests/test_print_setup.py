"""Print setup and formats of what sheetsync writes into a tracker, read back from the file."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync import pipeline, printing
from sheetsync.backends import xlsx_formats
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.backends.xlsx_package import CellStyle, CellWrite, patch_cells
from sheetsync.config import Settings
from sheetsync.prep import DEFAULT_TAB

from .conftest import TODAY

EXAMPLE = Path(__file__).parent.parent / "examples" / "tracker.xlsx"


def _synced(tmp_path: Path) -> Path:
    tracker = tmp_path / "tracker.xlsx"
    shutil.copy(EXAMPLE, tracker)
    assert pipeline.sync(XlsxBackend(tracker), Settings(), TODAY).written
    return tracker


def test_managed_dates_take_the_trackers_own_date_format(tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(_synced(tmp_path))["Networking Tracker"]
    due = next(c for c in ws[4] if c.value == "sheetsync · due").column
    formats = {
        ws.cell(r, due).number_format
        for r in range(5, ws.max_row + 1)
        if isinstance(ws.cell(r, due).value, dt.datetime)
    }
    assert formats == {"m/d/yyyy"}  # what the example's own date columns use


def test_date_format_is_none_without_dated_cells() -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "no dates here"
    path_bytes = _bytes(wb)
    assert xlsx_formats.date_format(path_bytes, "xl/worksheets/sheet1.xml") is None
    assert xlsx_formats.is_date_format("d mmm yyyy")
    assert not xlsx_formats.is_date_format("h:mm")
    assert not xlsx_formats.is_date_format('0.0 "days"')


def _bytes(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_prep_tab_prints_landscape_one_page_wide_with_title_rows(tmp_path: Path) -> None:
    tracker = _synced(tmp_path)
    wb = openpyxl.load_workbook(tracker)
    ws = wb[DEFAULT_TAB]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$1:$2"
    breaks = [b.id for b in ws.row_breaks.brk]
    blocks = [
        r
        for r in range(1, ws.max_row + 1)
        if ws.cell(r, 3).value and str(ws.cell(r, 3).value).count(" — interview") == 1
    ]
    assert breaks and all(b + 1 in blocks for b in breaks)  # pages break only before a block
    with zipfile.ZipFile(tracker) as z:
        book = z.read("xl/workbook.xml").decode()
    assert book.count("_xlnm.Print_Titles") == 1
    again = tmp_path / "again.xlsx"
    shutil.copy(tracker, again)
    before = again.read_bytes()
    assert not pipeline.sync(XlsxBackend(again), Settings(), TODAY).written
    assert again.read_bytes() == before  # print titles already set: nothing to write


def test_init_tracker_prints_landscape_one_page_wide_with_title_rows(tmp_path: Path) -> None:
    from sheetsync.init import CONTACTS_SHEET, HEADER_ROW, create_tracker

    path = tmp_path / "new.xlsx"
    create_tracker(path)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
    assert wb[CONTACTS_SHEET].print_title_rows == f"$1:${HEADER_ROW}"


def test_wrapped_lines_are_estimated_at_word_ends() -> None:
    assert printing.lines("short", 20) == 1
    assert printing.lines("word " * 10, 20) == 3  # 19 characters a line: 4 words, 4, 2
    assert printing.lines("a\nb\nc", 50) == 3
    assert printing.lines("x" * 45, 10) == 5  # a long link is cut across lines
    assert printing.row_height([("short", 20)]) is None
    assert printing.row_height([("short", 20), ("word " * 10, 20)]) == 45.0


def _row_heights(data: bytes) -> dict[int, tuple[str | None, str | None]]:
    import re

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    out = {}
    for tag in re.findall(r"<row [^>]*>", xml):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        out[int(attrs["r"])] = (attrs.get("ht"), attrs.get("customHeight"))
    return out


@pytest.mark.parametrize("extra", ["", "write-in-the-middle"])
def test_rows_grow_for_wrapped_managed_text_and_never_shrink(extra: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(1, 5):
        ws.cell(r, 1, f"row {r}")
        ws.cell(r, 3, "user")
    ws.row_dimensions[3].height = 60  # the student made row 3 tall: it stays so
    data = _bytes(wb)
    col = 2 if extra else 4  # left of the user's last cell: the row is parsed, not appended
    cells = {
        (1, col): CellWrite("short"),
        (2, col): CellWrite("long " * 30, CellStyle(wrap=True), row_height=45.0),
        (3, col): CellWrite("long " * 30, CellStyle(wrap=True), row_height=45.0),
    }
    heights = _row_heights(patch_cells(data, "Sheet", cells))
    assert heights[1] == (None, None)
    assert heights[2] == ("45", "1")
    assert heights[3][0] is not None and float(heights[3][0]) == 60
    assert heights[4] == (None, None)


@given(
    before=st.one_of(st.none(), st.integers(min_value=5, max_value=400)),
    need=st.integers(min_value=15, max_value=400),
    append=st.booleans(),
)
@settings(max_examples=40, deadline=None)
def test_a_row_is_never_made_shorter(before: int | None, need: int, append: bool) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.cell(1, 1, "name")
    ws.cell(1, 3, "typed")
    if before is not None:
        ws.row_dimensions[1].height = before
    col = 4 if append else 2
    write = CellWrite("text " * 40, CellStyle(wrap=True), row_height=float(need))
    ht, _ = _row_heights(patch_cells(_bytes(wb), "Sheet", {(1, col): write}))[1]
    assert ht is not None and float(ht) == max(need, before or 0)


def test_date_format_skips_sheetsyncs_own_columns() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = dt.date(2026, 3, 1)
    ws["A1"].number_format = "d mmm yyyy"
    for row in range(1, 5):  # an older sheetsync's due dates, more of them than the user's
        ws.cell(row, 3, dt.date(2026, 3, row)).number_format = "yyyy-mm-dd"
    data, part = _bytes(wb), "xl/worksheets/sheet1.xml"
    assert xlsx_formats.date_format(data, part) == "yyyy-mm-dd"
    assert xlsx_formats.date_format(data, part, skip_columns=[3]) == "d mmm yyyy"


@given(st.text(alphabet=" ab\n", max_size=80), st.integers(1, 90))
def test_text_that_fits_takes_one_line_as_the_word_count_says(text: str, width: int) -> None:
    """The shortcut for text that fits gives what wrapping word by word gives."""
    per_line = max(1, int(width * printing.FILL) - 1)
    by_words = sum(printing._wrapped(p, per_line) for p in text.split("\n")) or 1
    assert printing.lines(text, width) == by_words
