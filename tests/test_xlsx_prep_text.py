"""The prep tab writes plain text as it is and cleans and escapes only text that needs it:
either way the same character data as cleaning and escaping every cell."""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from hypothesis import given
from hypothesis import strategies as st

from sheetsync.backends import xlsx_prep
from sheetsync.backends.xlsx_package import clean_text
from sheetsync.grid import CellValue

TEXT = st.text(
    st.sampled_from(["a", " ", "&", "<", ">", "\x01", "\t", "\n", "\ud800", "\uffff", "é", "😀"])
)


@given(TEXT)
def test_text_is_written_as_cleaning_and_escaping_it_would(text: str) -> None:
    assert xlsx_prep._text_xml(text) == escape(clean_text(text))


def test_long_text_is_capped_as_clean_text_caps_it() -> None:
    for text in ["a" * 40_000, "😀" * 17_000, "a" * 16_383 + "😀"]:
        assert xlsx_prep._text_xml(text) == escape(clean_text(text))


@given(st.text())
def test_escape_is_the_standard_librarys(text: str) -> None:
    assert xlsx_prep.escape(text) == escape(text)


CELL = st.one_of(
    st.none(),
    st.sampled_from(["☐", "☑", "Send a thank-you note (same day)", "a & b <c>", "x\x01y"]),
    st.text(max_size=12),
    st.integers(-5, 5),
    st.booleans(),
    st.dates(min_value=dt.date(1905, 1, 1)),
)
KINDS = ["title", "header", "block", "meta", "phase", "item", "draft", "section", "blank", "kept"]
IDS = {kind: i for i, kind in enumerate(xlsx_prep.KIND_STYLES)}


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
