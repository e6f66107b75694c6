"""`sheetsync ics`: an RFC 5545 file any calendar parses, with UIDs that never move."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner

from sheetsync import calendar, run_state, scheduler
from sheetsync.cli import cli
from sheetsync.config import load_settings
from sheetsync.errors import ConfigError
from sheetsync.runner import Runner

from .conftest import save_rows
from .sheets_emulator import SheetsEmulator
from .workbooks import HEADER, ROWS, kitchen_sink

TODAY = "2026-03-16"


def ics(*args: str) -> None:
    result = CliRunner().invoke(cli, ["ics", *args, "--today", TODAY])
    assert result.exit_code == 0, result.output


def events(path: Path) -> list[icalendar.Event]:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    assert isinstance(cal, icalendar.Calendar)
    assert (str(cal["VERSION"]), str(cal["PRODID"])) == ("2.0", calendar.PRODID)
    return list(cal.walk("VEVENT"))


def summary(found: list[icalendar.Event]) -> list[tuple[str, dt.date, str]]:
    return [(str(e["SUMMARY"]), e.decoded("DTSTART"), str(e.get("LOCATION", ""))) for e in found]


def uids(found: list[icalendar.Event]) -> dict[str, str]:
    return {str(e["SUMMARY"]): str(e["UID"]) for e in found}


def test_ics_lists_interviews_and_due_follow_ups(tmp_path: Path) -> None:
    source = kitchen_sink(tmp_path / "t.xlsx")
    ics(str(source), "-o", str(tmp_path / "due.ics"))
    found = events(tmp_path / "due.ics")
    assert [(s, d) for s, d, _ in summary(found)] == [
        ("Follow up: Ema Stone (Globex)", dt.date(2026, 3, 11)),
        ("Follow up: Ana Lima (Helix Bio)", dt.date(2026, 3, 13)),
        ("Informational interview: Bo Chen (Acme Labs)", dt.date(2026, 3, 13)),
        ("Informational interview: Cleo Diaz (Initech)", dt.date(2026, 3, 17)),
    ]
    bo = found[2]
    assert str(bo["LOCATION"]) == "Zoom"
    assert "personal thank-you" in str(bo["DESCRIPTION"])
    for e in found:  # RFC 5545 requires UID and DTSTAMP; all-day events use VALUE=DATE
        assert str(e["UID"]).endswith("@sheetsync")
        assert e.decoded("DTSTAMP").tzinfo is not None
        assert e.decoded("DTEND") == e.decoded("DTSTART") + dt.timedelta(days=1)
    assert len({str(e["UID"]) for e in found}) == len(found)


def test_uids_are_stable_across_runs_and_row_order(tmp_path: Path) -> None:
    rows: list[list[Any]] = [list(r) for r in ROWS]
    forward = save_rows(tmp_path / "forward.xlsx", [HEADER, *rows])
    backward = save_rows(tmp_path / "backward.xlsx", [HEADER, *reversed(rows)])
    ics(str(forward), "-o", str(tmp_path / "one.ics"))
    ics(str(forward), "-o", str(tmp_path / "two.ics"))
    ics(str(backward), "-o", str(tmp_path / "three.ics"))
    one, two, three = (events(tmp_path / n) for n in ("one.ics", "two.ics", "three.ics"))
    assert len(one) == 4
    assert uids(one) == uids(two) == uids(three)
    assert sorted(summary(one)) == sorted(summary(three))


def test_the_same_tracker_on_google_gives_the_same_uids(
    tmp_path: Path, emulator_env: SheetsEmulator
) -> None:
    rows: list[list[Any]] = [list(HEADER), *[list(r) for r in ROWS]]
    sheet = emulator_env.add_spreadsheet("Tracker", {"Contacts": rows})
    ics(f"gsheet:{sheet}", "-o", str(tmp_path / "google.ics"))
    ics(str(save_rows(tmp_path / "t.xlsx", rows)), "-o", str(tmp_path / "xlsx.ics"))
    assert uids(events(tmp_path / "google.ics")) == uids(events(tmp_path / "xlsx.ics"))


def test_uid_depends_on_who_what_and_when() -> None:
    day = dt.date(2026, 3, 17)
    uid = calendar.event_uid("ana@helix.bio", "interview", day)
    assert uid == calendar.event_uid("ana@helix.bio", "interview", day)
    assert uid != calendar.event_uid("ana@helix.bio", "follow-up", day)
    assert uid != calendar.event_uid("ana@helix.bio", "interview", day + dt.timedelta(days=1))
    assert uid != calendar.event_uid("bo@acme.com", "interview", day)


def test_thank_yous_on_request_and_old_interviews_left_out(tmp_path: Path) -> None:
    source = kitchen_sink(tmp_path / "t.xlsx")
    (tmp_path / "sheetsync.toml").write_text(
        '[calendar]\nkinds = ["interview", "thank-you"]\npast_days = 1\nfile = "cal/due.ics"\n'
    )
    config = str(tmp_path / "sheetsync.toml")
    ics(str(source), "--config", config)  # -o defaults to [calendar] file
    assert [s for s, _, _ in summary(events(tmp_path / "cal" / "due.ics"))] == [
        "Send a thank-you: Bo Chen (Acme Labs)",
        "Informational interview: Cleo Diaz (Initech)",
    ]


def test_the_run_loop_writes_the_calendar_after_each_run(tmp_path: Path) -> None:
    kitchen_sink(tmp_path / "t.xlsx")
    (tmp_path / "sheetsync.toml").write_text(
        'source = "t.xlsx"\n[calendar]\nfile = "due.ics"\n[digest]\nenabled = false\n'
    )
    settings = load_settings(tmp_path / "sheetsync.toml")
    runner = Runner(scheduler.make_spec(settings), settings, today=dt.date.fromisoformat(TODAY))
    report = runner.run_once()
    assert report.ok and report.digest is None
    assert report.calendar_file == str(tmp_path / "due.ics")
    assert len(events(tmp_path / "due.ics")) == 4
    assert run_state.load_state(runner.spec.state_path).calendar["events"] == 4


def test_the_run_loop_reuses_each_sync_s_check_for_the_calendar(
    tmp_path: Path, emulator_env: SheetsEmulator
) -> None:
    """The calendar of a run comes from the check each sync already made: a Google source is
    read once per run, not a second time for its events."""
    rows: list[list[Any]] = [list(HEADER), *[list(r) for r in ROWS]]
    sheet = emulator_env.add_spreadsheet("Tracker", {"Contacts": rows})
    ics(f"gsheet:{sheet}", "-o", str(tmp_path / "alone.ics"))  # the calendar `ics` makes
    (tmp_path / "sheetsync.toml").write_text(
        f'source = "gsheet:{sheet}"\n[calendar]\nfile = "due.ics"\n'
        '[digest]\nenabled = false\n[google]\nauth = "anonymous"\n'
    )
    settings = load_settings(tmp_path / "sheetsync.toml")
    runner = Runner(scheduler.make_spec(settings), settings, today=dt.date.fromisoformat(TODAY))
    emulator_env.clear_requests()
    report = runner.run_once()
    assert report.ok and report.calendar_file == str(tmp_path / "due.ics")
    ops = [r.op for r in emulator_env.requests]
    assert ops.count("spreadsheets.get") == 1, ops  # the sync's own read, no more
    assert ops.count("spreadsheets.values.batchGet") == 1, ops  # its re-read
    assert uids(events(tmp_path / "due.ics")) == uids(events(tmp_path / "alone.ics"))
    assert all(o.result is None or o.result.checked is None for o in report.outcomes)


def test_config(tmp_path: Path) -> None:
    path = tmp_path / "sheetsync.toml"
    assert calendar.parse_config({}, path) == calendar.CalendarConfig()
    with pytest.raises(ConfigError, match=r"'calendar\.kinds' has 'birthday'"):
        calendar.parse_config({"kinds": ["birthday"]}, path)
    with pytest.raises(ConfigError, match=r"unknown key 'calendar\.fil'"):
        calendar.parse_config({"fil": "x.ics"}, path)
    with pytest.raises(ConfigError, match=r"'calendar\.past_days' must be a whole number"):
        calendar.parse_config({"past_days": "2"}, path)


def test_ics_needs_somewhere_to_write(tmp_path: Path) -> None:
    source = kitchen_sink(tmp_path / "t.xlsx")
    result = CliRunner().invoke(cli, ["ics", str(source)])
    assert result.exit_code == 2
    assert "-o due.ics" in result.output


# ---------------------------------------------------------------------- timed interviews

TIMED = [
    ["Name", "Organization", "Date contacted", "Interview date", "Time"],
    ["Ann Lee", "Acme", dt.date(2026, 3, 2), "2026-03-18 14:00", None],
    ["Bo Chen", "Globex", dt.date(2026, 3, 2), dt.datetime(2026, 3, 19, 9, 30), None],
    ["Cleo Diaz", "Initech", dt.date(2026, 3, 2), "Mar 20, 2026 at 4pm", None],
    ["Dev Patel", "Umbrella", dt.date(2026, 3, 2), dt.date(2026, 3, 23), "7:15"],
    ["Ema Stone", "Hooli", dt.date(2026, 3, 2), dt.date(2026, 3, 24), None],
]


def starts(path: Path) -> dict[str, object]:
    return {
        str(e["SUMMARY"]).split(": ")[1].split(" (")[0]: e.decoded("DTSTART") for e in events(path)
    }


def test_an_interview_with_a_time_is_a_timed_event_in_the_configured_zone(
    tmp_path: Path,
) -> None:
    source = save_rows(tmp_path / "t.xlsx", TIMED)
    config = tmp_path / "sheetsync.toml"
    config.write_text('timezone = "America/Denver"\n', encoding="utf-8")
    ics(str(source), "-o", str(tmp_path / "i.ics"), "--config", str(config))
    denver = ZoneInfo("America/Denver")
    assert starts(tmp_path / "i.ics") == {
        "Ann Lee": dt.datetime(2026, 3, 18, 14, 0, tzinfo=denver),
        "Bo Chen": dt.datetime(2026, 3, 19, 9, 30, tzinfo=denver),
        "Cleo Diaz": dt.datetime(2026, 3, 20, 16, 0, tzinfo=denver),
        "Dev Patel": dt.datetime(2026, 3, 23, 7, 15, tzinfo=denver),  # from the Time column
        "Ema Stone": dt.date(2026, 3, 24),  # no time anywhere: all day
    }
    found = {str(e["SUMMARY"]): e for e in events(tmp_path / "i.ics")}
    ann = found["Informational interview: Ann Lee (Acme)"]
    assert ann.decoded("DTEND") - ann.decoded("DTSTART") == dt.timedelta(minutes=30)
    assert ann["DTSTART"].params["TZID"] == "America/Denver"
    cal = icalendar.Calendar.from_ical((tmp_path / "i.ics").read_bytes())
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/Denver"]


def test_without_a_time_zone_a_timed_interview_is_in_floating_local_time(tmp_path: Path) -> None:
    source = save_rows(tmp_path / "t.xlsx", TIMED[:2])
    ics(str(source), "-o", str(tmp_path / "i.ics"))
    assert starts(tmp_path / "i.ics") == {"Ann Lee": dt.datetime(2026, 3, 18, 14, 0)}
