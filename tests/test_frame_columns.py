"""The frame takes each mapped column from the rows read: split in one go when every row is as
wide as the tab, cell by cell otherwise — the same columns either way."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sheetsync.frame import _columns
from sheetsync.layout import Layout

CELLS = st.one_of(st.none(), st.integers(), st.text(max_size=3))


def layout_of(columns: dict[str, int]) -> Layout:
    return Layout(worksheet="Contacts", header_row=1, columns=columns, headers={})


@given(
    rows=st.lists(st.lists(CELLS, max_size=6), max_size=8),
    picks=st.dictionaries(st.sampled_from(["name", "email", "notes"]), st.integers(1, 7)),
)
def test_columns_are_the_cells_of_each_row(rows: list[list[object]], picks: dict[str, int]) -> None:
    expected = {f: [r[c - 1] if c <= len(r) else None for r in rows] for f, c in picks.items()}
    assert _columns(rows, layout_of(picks)) == expected  # type: ignore[arg-type]


def test_rows_all_as_wide_are_split_at_once() -> None:
    rows = [["Ana", "a@x", None], ["Bo", None, "met"]]
    got = _columns(rows, layout_of({"name": 1, "notes": 3}))  # type: ignore[arg-type]
    assert got == {"name": ["Ana", "Bo"], "notes": [None, "met"]}
