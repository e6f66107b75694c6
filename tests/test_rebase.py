"""Rebasing a plan on a tab read again just before writing (:func:`sheetsync.planning.rebase`),
on plain grids: rows inserted, deleted, sorted or retyped in between never make a status land
beside another person, and a moved header stops the write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetsync import pipeline
from sheetsync.config import Settings
from sheetsync.errors import SourceChangedError
from sheetsync.grid import CellValue, Grid, Tab
from sheetsync.models import CellChange, Plan
from sheetsync.planning import rebase
from sheetsync.prep import PrepSettings

TODAY = dt.date(2026, 3, 16)
HEADER = ["Name", "Company", "Email", "Emailed on", "Heard back?", "Call date", "Sent thanks"]
SETTINGS = Settings(sections={"prep": PrepSettings(enabled=False)})
STATUS = "sheetsync · status"


def person(i: int, email: str | None = None) -> list[CellValue]:
    """Row i: a mix of situations that cycles every 4 people (each gets another status)."""
    base: list[CellValue] = [f"Person {i:03d}", f"Org {i % 3}", email or f"p{i}@example.org"]
    kind = i % 4
    if kind == 0:
        return [*base, dt.date(2026, 3, 10), None, None, None]  # follow-up due
    if kind == 1:
        return [*base, dt.date(2026, 3, 2), "Y", dt.date(2026, 3, 13), None]  # thanks due
    if kind == 2:
        return [*base, dt.date(2026, 2, 2), "Y", dt.date(2026, 2, 10), "Y"]  # nothing to do
    return [*base, None, None, None, None]  # not contacted yet


def plan_of(rows: Sequence[Sequence[CellValue]]) -> tuple[Tab, Plan]:
    tab = Tab("Contacts", [list(r) for r in rows])
    checked = pipeline.check_grid(Grid("memory", [tab]), SETTINGS, TODAY)
    return tab, pipeline.plan_for(checked, SETTINGS)


def written(rows: Sequence[Sequence[CellValue]], changes: Sequence[CellChange]) -> Tab:
    """The tab after the changes are written into ``rows`` (a copy)."""
    out = [list(r) for r in rows]
    for c in changes:
        while len(out) < c.row:
            out.append([])
        out[c.row - 1].extend([None] * (c.col - len(out[c.row - 1])))
        out[c.row - 1][c.col - 1] = c.new
    return Tab("Contacts", out)


def status_by_name(tab: Tab, status_col: int) -> dict[str, CellValue]:
    return {
        str(tab.cell(r, 1)): tab.cell(r, status_col)
        for r in range(2, tab.height + 1)
        if tab.cell(r, 1)
    }


def test_nothing_moved_keeps_every_change_where_it_was() -> None:
    rows = [HEADER] + [person(i) for i in range(8)]
    tab, plan = plan_of(rows)
    assert plan.changes
    assert rebase(plan, tab) == plan.changes


def test_a_cell_that_already_holds_the_new_value_is_not_written_again() -> None:
    rows = [HEADER] + [person(i) for i in range(4)]
    tab, plan = plan_of(rows)
    done = written(tab.rows, plan.changes[:3])
    assert rebase(plan, done) == plan.changes[3:]


def test_old_is_what_the_cell_holds_now() -> None:
    rows = [HEADER] + [person(i) for i in range(4)]
    tab, plan = plan_of(rows)
    col = plan.column_of[STATUS]
    fresh = written(tab.rows, [CellChange(2, col, None, "typed by hand")])
    moved = {(c.row, c.col): c for c in rebase(plan, fresh)}
    assert moved[(2, col)].old == "typed by hand"


@pytest.mark.parametrize("edit", ["title above", "column renamed"])
def test_a_header_row_that_changed_stops_the_write(edit: str) -> None:
    rows = [HEADER] + [person(i) for i in range(4)]
    _, plan = plan_of(rows)
    fresh = Tab("Contacts", [list(r) for r in rows])
    if edit == "title above":
        fresh.rows.insert(0, ["My tracker"])
    else:
        fresh.rows[0][2] = "E-mail"
    with pytest.raises(SourceChangedError, match="Nothing was written"):
        rebase(plan, fresh)


def test_a_managed_column_moved_away_stops_the_write() -> None:
    rows = [HEADER] + [person(i) for i in range(4)]
    tab, plan = plan_of(rows)
    after_first_sync = written(tab.rows, plan.changes)
    _, second = plan_of(after_first_sync.rows)
    col = second.column_of[STATUS]
    fresh = Tab("Contacts", [list(r) for r in after_first_sync.rows])
    fresh.rows[0][col - 1] = "My notes"  # the student typed over sheetsync's header
    with pytest.raises(SourceChangedError, match="moved while it was syncing"):
        rebase(second, fresh)


def test_the_nth_row_of_a_repeated_key_stays_the_nth() -> None:
    rows = [HEADER, person(0, "same@x.org"), person(1), person(1, "same@x.org")]
    rows[3][0] = "Person 000"  # the same person entered twice, with two situations
    _, plan = plan_of(rows)
    status_col = plan.column_of[STATUS]
    expected = _statuses(written(rows, plan.changes), status_col)
    assert expected[0] != expected[2]  # the two copies get different statuses
    fresh = [rows[0], rows[2], rows[1], rows[3]]  # a row moved between the two copies
    got = _statuses(written(fresh, rebase(plan, Tab("Contacts", fresh))), status_col)
    assert [got[1], got[0], got[2]] == [expected[0], expected[1], expected[2]]


def _statuses(tab: Tab, col: int) -> list[CellValue]:
    return [tab.cell(r, col) for r in range(2, tab.height + 1)]


def test_a_blank_row_now_holding_a_person_is_not_cleared() -> None:
    rows = [HEADER] + [person(i) for i in range(3)]
    tab, plan = plan_of(rows)
    status_col = plan.column_of[STATUS]
    synced = written(tab.rows, plan.changes)
    synced.rows.append([None] * (status_col - 1) + ["stale status"])  # a row that is nobody's
    synced_tab, second = plan_of(synced.rows)
    assert any(c.row == 5 and c.new is None for c in second.changes)
    fresh = Tab("Contacts", [list(r) for r in synced_tab.rows])
    fresh.rows[4][:3] = ["New Person", "Org X", "new@x.org"]  # typed in while syncing
    assert not [c for c in rebase(second, fresh) if c.row == 5]
    assert [c for c in rebase(second, synced_tab) if c.row == 5]  # still nobody's: cleared


N = 12


@given(
    order=st.permutations(range(N)),
    deleted=st.sets(st.integers(0, N - 1), max_size=4),
    inserted=st.lists(st.integers(0, N), max_size=3),
)
def test_a_status_never_lands_beside_another_person(
    order: list[int], deleted: set[int], inserted: list[int]
) -> None:
    rows = [HEADER] + [person(i) for i in range(N)]
    tab, plan = plan_of(rows)
    status_col = plan.column_of[STATUS]
    expected = status_by_name(written(tab.rows, plan.changes), status_col)
    body = [person(i) for i in order if i not in deleted]
    for n, at in enumerate(inserted):
        body.insert(min(at, len(body)), [f"Newcomer {n}", "Org N", f"new{n}@example.org"])
    fresh = [HEADER, *body]
    after = written(fresh, rebase(plan, Tab("Contacts", fresh)))
    now = status_by_name(after, status_col)
    for name, status in now.items():
        if name.startswith("Newcomer"):
            assert status is None  # not read yet: no status rather than someone else's
        else:
            assert status == expected[name], f"{name} got another person's status"
    assert set(now) == {f"Person {i:03d}" for i in range(N) if i not in deleted} | {
        f"Newcomer {n}" for n in range(len(inserted))
    }
