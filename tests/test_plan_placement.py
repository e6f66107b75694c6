"""Where new managed columns go: never under a user's validation or conditional format when a
free block of columns exists to the right (a property over random rule ranges)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sheetsync import layout
from sheetsync.grid import MergedRange
from sheetsync.planning import MAX_COLUMNS, managed_positions, placement_notes
from sheetsync.status import MANAGED_COLUMNS

from .conftest import grid_of

ROWS = [
    ["Name", "Organization", "Email", "Date Contacted"],
    ["Ana Lima", "Helix", "ana@helix.bio", "2026-03-10"],
    ["Bo Chen", "Acme", "bo@acme.com", "2026-03-02"],
]
WIDTH = len(ROWS[0])

rule = st.builds(
    lambda left, span, top, height: MergedRange(top, left, top + height, left + span),
    left=st.integers(min_value=1, max_value=40),
    span=st.integers(min_value=0, max_value=6),
    top=st.integers(min_value=1, max_value=5),
    height=st.integers(min_value=0, max_value=50),
)


@given(rules=st.lists(rule, max_size=6))
def test_new_columns_avoid_every_user_rule(rules: list[MergedRange]) -> None:
    grid = grid_of(ROWS)
    tab = grid.tabs[0]
    tab.rule_ranges = rules
    lay = layout.discover(grid)
    columns, added = managed_positions(tab, lay)
    cols = sorted(columns.values())
    assert len(added) == len(MANAGED_COLUMNS)
    assert cols == list(range(cols[0], cols[0] + len(cols)))  # side by side
    assert cols[0] > WIDTH  # right of the user's data
    reaches = [r for r in rules if r.last_row >= lay.header_row]
    assert not [r for r in reaches for c in cols if r.first_col <= c <= r.last_col]
    # and the first such block: every earlier start overlaps some rule
    for start in range(WIDTH + 1, cols[0]):
        block = range(start, start + len(cols))
        assert any(r.first_col <= c <= r.last_col for r in reaches for c in block)
    assert placement_notes(tab, lay) == ()


def test_a_rule_over_every_column_keeps_the_columns_after_the_data() -> None:
    grid = grid_of(ROWS)
    tab = grid.tabs[0]
    tab.rule_ranges = [MergedRange(1, 1, 1_048_576, MAX_COLUMNS)]
    lay = layout.discover(grid)
    columns, _ = managed_positions(tab, lay)
    assert sorted(columns.values()) == [WIDTH + 1, WIDTH + 2, WIDTH + 3]
    assert len(placement_notes(tab, lay)) == 1


def test_a_rule_above_the_header_row_does_not_count() -> None:
    grid = grid_of([["My tracker"], *ROWS])  # header on row 2
    tab = grid.tabs[0]
    tab.rule_ranges = [MergedRange(1, WIDTH + 1, 1, WIDTH + 10)]
    lay = layout.discover(grid)
    assert lay.header_row == 2
    columns, _ = managed_positions(tab, lay)
    assert sorted(columns.values()) == [WIDTH + 1, WIDTH + 2, WIDTH + 3]
