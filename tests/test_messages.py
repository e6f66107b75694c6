"""How sheetsync words things for people: dates with their year when it is not this one,
counts through one plural helper, one phrase for marking a promise done, example dates taken
from the cell itself, and times of day as people type them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sheetsync import digest
from sheetsync.cli import cli as sheetsync_cli
from sheetsync.dates import spoken
from sheetsync.models import Finding, Plan, Severity, SyncResult
from sheetsync.rules.after import MARK_DONE
from sheetsync.scheduler import parse_at
from sheetsync.words import plural
from tests.cli_runner import Result

ROOT = Path(__file__).resolve().parent.parent


def one_row_tracker(path: Path, **cells: object) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    headers = ["Name", "Organization", "Email", *cells]
    ws.append(headers)
    ws.append(["Ann Lee", "Acme", "ann@example.org", *cells.values()])
    wb.save(path)
    return path


def test_dates_of_another_year_carry_the_year() -> None:
    today = dt.date(2026, 11, 20)
    assert spoken(dt.date(2026, 3, 12), today) == "Thu 12 Mar"
    assert spoken(dt.date(2025, 3, 12), today) == "Wed 12 Mar 2025"
    assert spoken(dt.date(2027, 1, 4), today) == "Mon 04 Jan 2027"


def test_the_digest_says_the_year_of_an_old_overdue_date() -> None:
    today = dt.date(2026, 11, 20)
    old = Finding(
        4, "Ann Lee", "promise-open", Severity.OVERDUE, "Send the paper", dt.date(2025, 3, 12)
    )
    result = SyncResult("t.xlsx", "Contacts", 1, (old,), Plan("Contacts", ()), False, False)
    text = digest.render_text(digest.build(today, [digest.SourceRun("t.xlsx", result)]))
    assert "(overdue since Wed 12 Mar 2025)" in text
    assert "t.xlsx: 1 contact, 1 finding, already up to date" in text


def test_counts_use_one_plural_helper() -> None:
    assert [plural(n, "contact") for n in (0, 1, 2, 1204)] == [
        "0 contacts",
        "1 contact",
        "2 contacts",
        "1,204 contacts",
    ]
    assert plural(1, "formula cell") == "1 formula cell"


def test_check_says_1_contact(cli: Callable[..., Result], tmp_path: Path) -> None:
    tracker = one_row_tracker(tmp_path / "t.xlsx", **{"Date contacted": dt.datetime(2026, 3, 2)})
    result = cli("check", str(tracker), "--today", "2026-03-16")
    assert "1 contact · as of Mon 16 Mar 2026" in result.text
    assert "1 contacts" not in result.text


def test_a_date_without_a_year_gets_an_example_built_from_that_cell(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    tracker = one_row_tracker(tmp_path / "t.xlsx", **{"Interview date": "3/4"})
    result = cli("check", str(tracker), "--today", "2026-03-16", "--format", "json")
    messages = [f["message"] for f in result.json()["findings"] if f["rule"] == "bad-date"]
    assert len(messages) == 1
    assert "has no year: write the full date with its year, as YYYY-03-04" in messages[0]


def test_one_phrase_for_marking_a_promise_done(cli: Callable[..., Result], tmp_path: Path) -> None:
    tracker = one_row_tracker(tmp_path / "t.xlsx", Promised="Send her my paper")
    result = cli("check", str(tracker), "--today", "2026-03-16", "--format", "json")
    [promise] = [f["message"] for f in result.json()["findings"] if f["rule"] == "promise-open"]
    assert promise.endswith("once it is done, " + MARK_DONE)
    checklist = (ROOT / "templates" / "checklist.toml").read_text(encoding="utf-8")
    assert MARK_DONE in checklist
    others = ("mark it 'done", "clear it from the Promised", "start the cell with 'done'")
    for path in [*ROOT.glob("sheetsync/**/*.py"), ROOT / "README.md", *ROOT.glob("templates/**/*")]:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not [o for o in others if o in text], path


TIMES = [("7:30", dt.time(7, 30)), ("07:30", dt.time(7, 30)), ("0:05", dt.time(0, 5))]


@pytest.mark.parametrize(("typed", "time"), [*TIMES, ("23:59", dt.time(23, 59))])
def test_times_of_day_as_people_type_them(typed: str, time: dt.time) -> None:
    assert parse_at(typed) == time


@pytest.mark.parametrize("typed", ["7:3", "24:00", "7.30", "730", "7:30pm", ""])
def test_a_time_that_is_not_one_names_the_fix(typed: str) -> None:
    with pytest.raises(ValueError, match=r"use H:MM or HH:MM, like 7:30"):
        parse_at(typed)


def test_schedule_accepts_at_7_30(tmp_path: Path) -> None:
    config = tmp_path / "sheetsync.toml"
    config.write_text('timezone = "UTC"\n[run]\nsources = ["a.xlsx"]\n', encoding="utf-8")
    out = CliRunner().invoke(
        sheetsync_cli, ["schedule", "--print", "cron", "--config", str(config), "--at", "7:30"]
    )
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[2].startswith("30 7 * * * ")


def test_an_old_cold_chase_turns_into_one_move_on_asking_for_an_introduction(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    sent = {"Date contacted": dt.datetime(2026, 3, 10), "Response": None}
    cold = one_row_tracker(tmp_path / "cold.xlsx", **sent)
    findings = cli("check", str(cold), "--today", "2026-11-20", "--format", "json").json()
    chase = [(f["rule"], f["message"]) for f in findings["findings"] if "follow" in f["rule"]
             or f["rule"] == "move-on"]  # fmt: skip
    assert chase == [
        (
            "move-on",
            "No reply from Ann Lee since Tue 10 Mar: let it rest, and ask someone who knows "
            "them for an introduction",
        )
    ]
    warm = one_row_tracker(
        tmp_path / "warm.xlsx",
        **{"Date contacted": dt.datetime(2025, 3, 10), "Response": "", "Connection": "Ana"},
    )
    findings = cli("check", str(warm), "--today", "2026-11-20", "--format", "json").json()
    [message] = [f["message"] for f in findings["findings"] if f["rule"] == "move-on"]
    assert (
        message
        == "No reply from Ann Lee since Mon 10 Mar 2025: let it rest and try another person at Acme"
    )


def test_a_draft_names_the_year_of_a_day_from_another_year() -> None:
    from sheetsync.drafts import _when

    today = dt.date(2026, 11, 20)
    assert _when(dt.date(2025, 3, 12), today) == "on 12 March 2025"
    assert _when(dt.date(2026, 3, 12), today) == "on 12 March"
    assert _when(dt.date(2026, 11, 17), today) == "on Tuesday"


def test_the_mail_column_names_the_year_of_an_old_message() -> None:
    from sheetsync.mail.evidence import describe

    facts = {
        "mail_first_out": dt.date(2025, 3, 3),
        "mail_reply": dt.date(2026, 1, 5),
        "mail_last_in": dt.date(2026, 1, 5),
        "mail_latest": dt.date(2026, 1, 5),
    }
    assert (
        describe(facts, dt.date(2026, 2, 1)) == "you wrote Mon 3 Mar 2025 · they replied Mon 5 Jan"
    )
