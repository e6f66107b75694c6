"""Concurrency on Google: a person keeps editing the sheet while sheetsync syncs it.

Over many seeded rounds the emulator's "person" inserts, deletes and sorts rows and types into
sheetsync's own cells at random moments between sync's read and its write (real gspread
client, real HTTP, the emulator's ``before_next`` hook). After every sync:

* every row sheetsync read carries exactly the status, next step and due date that an
  independent sync of an untouched copy of the same data (a second spreadsheet, nobody
  editing) gives that person — so no status ever lands on another person's row;
* rows the person added mid-sync carry no status (not read yet: nothing rather than wrong);
* every user cell is exactly what the person left (no user cell changed).
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable
from typing import Any

import pytest

from sheetsync import pipeline
from sheetsync.config import Settings
from sheetsync.prep import PrepSettings

from .sheets_emulator import RecordedRequest, SheetsEmulator

ROUNDS = int(os.environ.get("SHEETSYNC_CONCURRENCY_ROUNDS", "40"))
SEED = 20260316
TODAY = dt.date(2026, 3, 16)
TAB = "Contacts"
HEADER = ["Name", "Company", "Email", "Emailed on", "Heard back?", "Call date", "Sent thanks"]
USER_COLS = len(HEADER)
MANAGED = ("sheetsync · status", "sheetsync · next step", "sheetsync · due")
BATCH_GET, WRITE = "spreadsheets.values.batchGet", "spreadsheets.values.batchUpdate"


def person(i: int, rng: random.Random) -> list[Any]:
    """A person in a random situation (unique name and email)."""
    sent = TODAY - dt.timedelta(days=rng.randint(0, 60))
    replied = rng.choice(["", "", "Y", "no"])
    call = (sent + dt.timedelta(days=rng.randint(3, 30))) if replied == "Y" else ""
    thanks = rng.choice(["", "Y"]) if call else ""
    org = rng.choice(["Acme", "Initech", "Globex", "Umbrella", "Helix Bio"])
    return [f"Person {i:04d}", org, f"p{i}@example.org", sent, replied, call, thanks]


def is_first_read(request: RecordedRequest) -> bool:
    return request.op == "spreadsheets.get"  # the one read of the tabs and their values


def is_reread(request: RecordedRequest) -> bool:
    return request.op == BATCH_GET and all("!" in r for r in request.query.get("ranges", []))


def settings(prep: bool) -> Settings:
    return Settings(sections={"prep": PrepSettings(enabled=prep)})


def sync(sheet_id: str, today: dt.date, *, prep: bool = True) -> pipeline.SyncResult:
    s = settings(prep)
    return pipeline.sync(pipeline.open_backend(f"gsheet:{sheet_id}", s), s, today)


def users(emu: SheetsEmulator, sid: str) -> list[list[Any]]:
    """The user's part of the tab: columns A..G of every row, trailing blanks trimmed."""
    out = []
    for row in emu.values(sid, TAB):
        cells = list(row[:USER_COLS])
        while cells and cells[-1] is None:
            cells.pop()
        out.append(cells)
    while out and not out[-1]:
        out.pop()
    return out


def managed_by_row(emu: SheetsEmulator, sid: str) -> list[tuple[str | None, tuple[Any, ...]]]:
    """(email, (status, next step, due)) for every row below the header."""
    rows = emu.values(sid, TAB)
    header = rows[0]
    cols = [header.index(h) for h in MANAGED]
    out = []
    for row in rows[1:]:
        email = row[2] if len(row) > 2 else None
        out.append((email, tuple(row[c] if c < len(row) else None for c in cols)))
    return out


def reference(emu: SheetsEmulator, rows: list[list[Any]], today: dt.date) -> dict[str, Any]:
    """Each person's managed cells from an untouched copy of ``rows`` (nobody editing)."""
    sid = emu.add_spreadsheet("reference", {TAB: rows})
    sync(sid, today, prep=False)
    return {email: cells for email, cells in managed_by_row(emu, sid) if email}


def test_person_edits_while_syncing_over_many_rounds(emulator_env: SheetsEmulator) -> None:
    emu = emulator_env
    rng = random.Random(SEED)
    next_id = 40
    sid = emu.add_spreadsheet("Tracker", {TAB: [HEADER] + [person(i, rng) for i in range(next_id)]})
    today = TODAY
    current_round = [0]
    tally = {"insert": 0, "delete": 0, "sort": 0, "type": 0, "moved rows re-planned": 0}
    for round_no in range(ROUNDS):
        today += dt.timedelta(days=rng.choice([0, 1, 1, 2, 3]))
        # between syncs the person updates a few rows by hand (so every sync has work)
        n_rows = len(users(emu, sid))
        for _ in range(rng.randint(1, 3)):
            row = rng.randint(2, n_rows)
            col, value = rng.choice(
                [("E", "Y"), ("E", ""), ("G", "Y"), ("D", today - dt.timedelta(days=4))]
            )
            emu.set_cell(sid, TAB, f"{col}{row}", value or None)
        seen: dict[str, Any] = {}  # what sync read: the user rows at its first values read
        expected_users: list[list[Any]] = users(emu, sid)
        typed: set[str] = set()  # emails of rows whose managed cells the person typed into
        inserted: set[str] = set()

        def person_edits(
            e: SheetsEmulator,
            round_no: int = round_no,
            typed: set[str] = typed,
            inserted: set[str] = inserted,
        ) -> None:
            nonlocal next_id, expected_users
            for _ in range(rng.randint(1, 3)):
                height = len(users(e, sid))
                kind = rng.choice(["insert", "delete", "sort", "type"])
                tally[kind] += 1
                if kind == "insert":
                    at = rng.randint(2, height + 1)
                    new = [person(next_id + k, rng) for k in range(rng.randint(1, 2))]
                    next_id += len(new)
                    e.insert_rows(sid, TAB, at, len(new), values=new)
                    inserted.update(str(r[2]) for r in new)
                elif kind == "delete" and height > 10:
                    e.delete_rows(sid, TAB, rng.randint(2, height))
                elif kind == "sort":
                    column = rng.choice("ABCDEFG")
                    e.sort_rows(sid, TAB, column, descending=rng.random() < 0.5)
                else:
                    row = rng.randint(2, height)
                    col = rng.choice("HIJ")
                    e.set_cell(sid, TAB, f"{col}{row}", f"my note {round_no}")
                    email = e.cell(sid, TAB, f"C{row}")
                    if email:
                        typed.add(str(email))
            expected_users = users(e, sid)

        def remember_read(e: SheetsEmulator, seen: dict[str, Any] = seen) -> None:
            seen["rows"] = users(e, sid)

        def now(match: Callable[[RecordedRequest], bool], k: int = round_no) -> Any:
            # a hook left over from a round whose plan was empty (no re-read) never fires later
            return lambda request: current_round[0] == k and match(request)

        current_round[0] = round_no
        moment = rng.choice(["before the first read", "before the re-read", "before the re-read"])
        if moment == "before the first read":
            emu.before_next(now(is_first_read), person_edits)
            emu.before_next(now(is_first_read), remember_read)  # runs after the edit
        else:
            emu.before_next(now(is_first_read), remember_read)
            emu.before_next(now(is_reread), person_edits)
        result = sync(sid, today, prep=False)  # the prep tab is not what is tested here
        assert result.written or result.plan.is_empty
        assert "rows" in seen
        assert users(emu, sid) == expected_users, f"round {round_no}: a user cell changed"

        expected = reference(emu, seen["rows"], today)
        for email, cells in managed_by_row(emu, sid):
            if email is None:
                continue
            if email in inserted and email not in expected:
                assert cells == (None, None, None), f"round {round_no}: {email} not read yet"
            elif email in typed:
                assert cells[0] in (expected[email][0], f"my note {round_no}") or any(
                    c == f"my note {round_no}" for c in cells
                ), (round_no, email, cells, expected[email])
            else:
                assert cells == expected[email], (
                    f"round {round_no} ({moment}): {email} shows {cells}, "
                    f"expected {expected[email]}"
                )
    # nobody editing: one more sync and every row is exactly right
    sync(sid, today, prep=False)
    final = reference(emu, users(emu, sid), today)
    assert {e: c for e, c in managed_by_row(emu, sid) if e} == final
    assert all(tally[k] > 0 for k in ("insert", "delete", "sort", "type")), tally


Edit = Callable[[SheetsEmulator, str], None]
LATE_EDITS: dict[str, Edit] = {
    "sort": lambda e, sid: e.sort_rows(sid, TAB, "A", descending=True),
    "insert": lambda e, sid: e.insert_rows(sid, TAB, 2, values=[["Zed New", "X", "zed@x.org"]]),
    "delete": lambda e, sid: e.delete_rows(sid, TAB, 2),
}


@pytest.mark.xfail(
    strict=True,
    reason="limitation: an edit that lands after the re-read but before the values write "
    "(a window of one round trip) moves rows under a write addressed by row number; the "
    "statuses land on the wrong people until the next sync. Sheets has no conditional "
    "write; a check-after-write (re-read the key column after writing and rewrite/clear "
    "rows whose key moved) would bound the damage to one more request",
)
@pytest.mark.parametrize("edit", list(LATE_EDITS))
def test_edit_between_the_reread_and_the_write(emulator_env: SheetsEmulator, edit: str) -> None:
    rng = random.Random(7)
    rows = [HEADER] + [person(i, rng) for i in range(20)]
    expected = reference(emulator_env, rows, TODAY)
    sid = emulator_env.add_spreadsheet("Tracker", {TAB: rows})
    emulator_env.before_next(WRITE, lambda e: LATE_EDITS[edit](e, sid))
    sync(sid, TODAY, prep=False)
    for email, cells in managed_by_row(emulator_env, sid):
        if email in expected:
            assert cells == expected[email], f"{email} got {cells}"
