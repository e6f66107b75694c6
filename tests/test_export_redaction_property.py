"""Property: whatever a student typed in a free-text or reply cell, a redacted export shows
none of it — only dates, category words and placeholders."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync import pipeline
from sheetsync.advisor import Redaction, student_report
from sheetsync.backends.memory import MemoryBackend
from sheetsync.config import Settings

from .conftest import field_rows, grid_of

TODAY = dt.date(2026, 3, 16)
MARK = "zq"  # every typed text starts with it: no category word or placeholder contains it
FREE = ("response", "platform", "connection", "referred_by", "referrals", "notes", "promises",
        "questions", "draft")  # fmt: skip
typed = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=30
).map(lambda s: f"{MARK}{s}")


@settings(deadline=None, max_examples=40)  # each example checks a whole tracker
@given(st.lists(st.fixed_dictionaries({f: typed for f in FREE}), min_size=1, max_size=3))
def test_a_redacted_export_shows_nothing_typed_in_free_text(cells: list[dict[str, str]]) -> None:
    people = [
        {"name": f"Ann Lee{i}", "organization": "Acme", "outreach_date": "2026-03-02", **row}
        for i, row in enumerate(cells)
    ]
    grid = grid_of(field_rows(people))
    checked = pipeline.check(MemoryBackend(grid), Settings(), TODAY)
    report = student_report(checked, student="s", redaction=Redaction())
    shown = [str(v) for row in report.contacts.rows for v in row if v is not None]
    shown += [f"{a.contact} {a.organization} {a.what}" for a in report.actions]
    assert [v for v in shown if MARK in v.casefold()] == []
    response = report.contacts.headers.index("Response")
    assert {row[response] for row in report.contacts.rows} <= {"replied", "declined", "no reply"}
