"""Every registered rule's documented examples, run through layout → frame → rule."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetsync import frame, layout, rules
from sheetsync.frame import Tracker
from sheetsync.mail.evidence import Event, Evidence, attach, row_addresses
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
    tracker = with_example_mail(frame.build(grid, lay), example)
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


def with_example_mail(tracker: Tracker, example: Example) -> Tracker:
    """The tracker with the example's mail evidence attached, as the pipeline would."""
    if not example.mail:
        return tracker
    evidence = Evidence()
    for address in row_addresses(example.row.get("email")):
        for i, (direction, day) in enumerate(example.mail):
            evidence.add(address, Event(dt.date.fromisoformat(day), direction, f"m{i}"))
    return attach(tracker, evidence, dt.date.fromisoformat(example.today))


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


def test_snooze_quiets_rows_until_a_date_or_for_the_rules_named() -> None:
    """A "Snooze until" date in the future, or a bare "yes", quiets every finding on the row;
    rule ids written in it quiet only those rules; data problems always show."""
    sent = "2026-03-03"  # 9 business days before the 16th: follow-up-7b is due on every row
    rows: list[dict[str, object]] = [
        {"outreach_date": sent, "snooze": "2026-04-01"},  # 2: quiet until April
        {"outreach_date": sent, "snooze": "2026-03-01"},  # 3: snooze has run out
        {"outreach_date": sent, "snooze": "yes"},  # 4: quiet, no end date
        {"outreach_date": sent, "snooze": "follow-up-3b"},  # 5: names another rule
        {"outreach_date": sent, "snooze": "Follow-up-7B: on leave"},  # 6: names this one
        {"outreach_date": "2026-02-30", "snooze": "yes"},  # 7: a bad date is still shown
        {"outreach_date": sent},  # 8: no snooze
    ]
    grid = grid_of(field_rows(rows, also=["response"]))
    tracker = frame.build(grid, layout.discover(grid))
    report = rules.run(
        tracker, rules.make_context(dt.date(2026, 3, 16)), select=["follow-up-7b", "bad-date"]
    )
    assert sorted((f.row, f.rule) for f in report.findings) == [
        (3, "follow-up-7b"),
        (5, "follow-up-7b"),
        (7, "bad-date"),
        (8, "follow-up-7b"),
    ]
