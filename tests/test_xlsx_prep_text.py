"""The prep tab writes plain text as it is and cleans and escapes only text that needs it:
either way the same character data as cleaning and escaping every cell, and text that reads
back as it was written (the student's notes are rewritten with the tab at every sync)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from sheetsync.backends import xlsx_prep
from sheetsync.backends.xlsx_package import clean_text, inline_text, put_sheet
from sheetsync.grid import CellValue

PIECES = ["a", " ", "&", "<", ">", "\x01", "\t", "\n", "\r", "\ud800", "\uffff", "é", "😀"]
OOXML = ["_x0041_", "_x000D_", "_x005F_", "_x", "_", "x", "0041"]  # what Excel would decode
TEXT = st.lists(st.sampled_from(PIECES + OOXML), max_size=12).map("".join)


@given(TEXT)
def test_text_is_written_as_cleaning_and_escaping_it_would(text: str) -> None:
    assert xlsx_prep._text_xml(text) == inline_text(clean_text(text))


def test_long_text_is_capped_as_clean_text_caps_it() -> None:
    for text in ["a" * 40_000, "😀" * 17_000, "a" * 16_383 + "😀"]:
        assert xlsx_prep._text_xml(text) == inline_text(clean_text(text))


def _workbook() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "Contacts"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


BOOK = _workbook()
IDS = {kind: i for i, kind in enumerate(xlsx_prep.KIND_STYLES)}


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=3))
def test_the_prep_tab_never_changes_the_text_it_rewrites(notes: list[str]) -> None:
    """A note the student typed in the prep tab — a literal "_x0041_", a carriage return from
    a pasted Windows text, "&" or "<" — reads back as it was after sheetsync rewrites the tab
    (Excel and calamine decode a bare _xHHHH_; a parser reads a bare carriage return as a line
    feed)."""
    row = xlsx_prep._row(1, ("key", None, *notes), "kept", IDS, False, 1)
    xml = f'<worksheet xmlns="{xlsx_prep.NS}"><sheetData>{row}</sheetData></worksheet>'
    data = put_sheet(BOOK, "Prep", xml.encode())
    [read] = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Prep").to_python()
    written = [clean_text(n) for n in notes]
    assert read[2:] == written[: len(read) - 2]  # calamine stops at the last value
    assert not any(written[len(read) - 2 :])


CELL = st.one_of(
    st.none(),
    st.sampled_from(["☐", "☑", "Send a thank-you note (same day)", "a & b <c>", "x\x01y"]),
    st.text(max_size=12),
    st.integers(-5, 5),
    st.booleans(),
    st.dates(min_value=dt.date(1905, 1, 1)),
)
KINDS = ["title", "header", "block", "meta", "phase", "item", "draft", "section", "blank", "kept"]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(KINDS), st.lists(CELL, max_size=30).map(tuple), st.integers(1, 3)
        ),
        max_size=25,
    ),
    st.booleans(),
)
def test_rows_rendered_once_and_reused_are_the_rows_rendered_each_time(
    rows: list[tuple[str, tuple[CellValue, ...], int]], date1904: bool
) -> None:
    """A row whose cells B onwards are rendered once and reused (the same checklist item in
    every block) is byte for byte the row rendered on its own, whatever the row number."""
    repeated: dict[tuple[str, tuple[CellValue, ...]], list[str]] = {}
    for r, (kind, cells, lines) in enumerate([*rows, *rows], start=1):
        alone = xlsx_prep._row(r, cells, kind, IDS, date1904, lines)
        reused = xlsx_prep._row(r, cells, kind, IDS, date1904, lines, repeated)
        assert reused == alone
