"""`run` over a cohort of Google sheets stays within Google's per-minute quota: at most four
requests per tracker and per sync, whatever the sync does (real gspread client, emulator)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sheetsync import scheduler
from sheetsync.config import Settings
from sheetsync.runner import Runner
from sheetsync.slots import Slots

from .sheets_emulator import SheetsEmulator
from .workbooks import HEADER, ROWS

TODAY = dt.date(2026, 3, 16)
TRACKERS = 6


def per_tracker(emulator: SheetsEmulator, ids: list[str]) -> dict[str, int]:
    """Requests of the last run, by spreadsheet (every request names its spreadsheet)."""
    counts: Counter[str] = Counter()
    for request in emulator.requests:
        (sid,) = [s for s in ids if f"/spreadsheets/{s}" in request.path]
        counts[sid] += 1
    return dict(counts)


def test_a_run_over_a_cohort_of_sheets_stays_within_four_requests_a_tracker(
    tmp_path: Path, emulator_env: SheetsEmulator
) -> None:
    rows: list[list[Any]] = [list(HEADER), *[list(r) for r in ROWS]]
    ids = [
        emulator_env.add_spreadsheet(f"Student {i}", {"Contacts": rows}) for i in range(TRACKERS)
    ]
    spec = scheduler.RunSpec(
        sources=tuple(f"gsheet:{sid}" for sid in ids),
        slots=Slots(dt.timedelta(days=1), dt.time(8), ZoneInfo("Europe/Berlin")),
        state_path=tmp_path / "state.json",
    )

    def run(today: dt.date) -> dict[str, int]:
        emulator_env.clear_requests()
        report = Runner(spec, Settings(google_auth="anonymous"), today=today).run_once()
        assert report.ok
        return per_tracker(emulator_env, ids)

    first = run(TODAY)  # the status columns and the prep tab are added everywhere
    assert first == dict.fromkeys(ids, 4)
    assert run(TODAY) == dict.fromkeys(ids, 1)  # nothing changed: one read each
    later = run(TODAY + dt.timedelta(days=3))  # statuses move on and interviews come closer
    assert later == dict.fromkeys(ids, 4)  # read, prep tab formats, re-read, write
    assert emulator_env.count("values.append") == 0
