"""The prep tab writes plain text as it is and cleans and escapes only text that needs it:
either way the same character data as cleaning and escaping every cell."""

from __future__ import annotations

from xml.sax.saxutils import escape

from hypothesis import given
from hypothesis import strategies as st

from sheetsync.backends import xlsx_prep
from sheetsync.backends.xlsx_package import clean_text

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
