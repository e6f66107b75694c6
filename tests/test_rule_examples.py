"""Every registered rule's documented examples, run through layout → frame → rule."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync import frame, layout, rules
from sheetsync.rules import RULES, Example, Rule

from .conftest import field_rows, grid_of

CASES = [(r, ex) for r in RULES.values() for ex in r.examples]


@pytest.mark.parametrize(
    ("rule", "example"), CASES, ids=[f"{r.id}: {ex.description}" for r, ex in CASES]
)
def test_rule_example(rule: Rule, example: Example) -> None:
    rows = [*example.extra_rows, example.row]
    grid = grid_of(field_rows(rows, also=[*rule.needs, *rule.needs_any]))
    lay = layout.discover(grid)
    tracker = frame.build(grid, lay)
    ctx = rules.make_context(dt.date.fromisoformat(example.today))
    report = rules.run(tracker, ctx, select=[rule.id], params={rule.id: example.params})
    target_row = 1 + len(rows)  # header on row 1, the example's row last
    found = [(f.row, f.severity.value, f.due) for f in report.findings]
    assert not report.skipped, report.skipped
    if example.expect is None:
        assert [f for f in found if f[0] == target_row] == []
    else:
        due = dt.date.fromisoformat(example.due) if example.due else None
        matching = [f for f in found if f[0] == target_row]
        assert len(matching) == 1, found
        assert matching[0][1] == example.expect
        if example.due:
            assert matching[0][2] == due


def test_every_rule_has_examples_both_ways() -> None:
    for r in RULES.values():
        assert any(ex.expect for ex in r.examples), f"{r.id} has no flagged example"
        if r.id not in ("bad-value",):
            assert any(ex.expect is None for ex in r.examples), f"{r.id} has no clean example"


def test_core_rule_ids_are_registered() -> None:
    core = {
        "thank-you-missing",
        "follow-up-3b",
        "follow-up-7b",
        "stale-contact",
        "prep-needed",
        "bad-date",
        "duplicate-contact",
    }
    assert core <= set(RULES)
