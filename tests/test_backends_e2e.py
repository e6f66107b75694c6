"""The same end-to-end scenarios on both backends: an .xlsx file and a Google Sheet served by
the local Sheets API emulator to the real gspread client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from sheetsync import pipeline
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.grid import CellValue, Tab
from sheetsync.layout import is_managed_header

from .sheets_emulator import SheetsEmulator
from .workbooks import HEADER, ROWS, kitchen_sink

TODAY = dt.date(2026, 3, 16)
TITLE_ROWS: list[list[Any]] = [["My networking tracker"], ["Fill one row per person."]]


class Store(Protocol):
    source: str

    def sync(self, today: dt.date = TODAY) -> pipeline.SyncResult: ...
    def tab(self) -> Tab: ...
    def writes(self) -> int: ...


class XlsxStore:
    def __init__(self, tmp: Path) -> None:
        self.path = kitchen_sink(tmp / "tracker.xlsx")
        self.source = str(self.path)
        self._stamp = self.path.stat().st_mtime_ns
        self._writes = 0

    def sync(self, today: dt.date = TODAY) -> pipeline.SyncResult:
        before = self.path.read_bytes()
        result = pipeline.sync(pipeline.open_backend(self.source, Settings()), Settings(), today)
        self._writes += self.path.read_bytes() != before
        return result

    def tab(self) -> Tab:
        tab = XlsxBackend(self.path).read().tab("Contacts")
        assert tab is not None
        return tab

    def writes(self) -> int:
        return self._writes


class GoogleStore:
    def __init__(self, emulator: SheetsEmulator) -> None:
        self.emulator = emulator
        rows = [*TITLE_ROWS, HEADER, *[_with_formula(r, i) for i, r in enumerate(ROWS)]]
        self.id = emulator.add_spreadsheet(
            "Tracker", {"Contacts": rows, "Question ideas": [["Q"], ["Why?"]]}
        )
        self.source = f"https://docs.google.com/spreadsheets/d/{self.id}/edit#gid=0"

    def sync(self, today: dt.date = TODAY) -> pipeline.SyncResult:
        return pipeline.sync(pipeline.open_backend(self.source, Settings()), Settings(), today)

    def tab(self) -> Tab:
        rows = self.emulator.values(self.id, "Contacts")
        return Tab("Contacts", [[_plain(v) for v in r] for r in rows])

    def writes(self) -> int:
        ops = self.emulator.ops()
        return sum(
            op in ("spreadsheets.values.batchUpdate", "spreadsheets.batchUpdate") for op in ops
        )


def _with_formula(row: list[object], i: int) -> list[object]:
    from .sheets_emulator import Formula

    out = list(row)
    days = [v for v in (row[4], row[7]) if isinstance(v, dt.date)]
    out[11] = Formula(f"=MAX(E{4 + i},H{4 + i})", max(days) if days else 0)
    return out


def _plain(value: object) -> CellValue:
    value = getattr(value, "value", value)  # a Formula shows its value
    if value == "":
        return None
    return value  # type: ignore[return-value]


@pytest.fixture(params=["xlsx", "google"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "xlsx":
        yield XlsxStore(tmp_path)
        return
    emulator = request.getfixturevalue("emulator_env")
    yield GoogleStore(emulator)


def user_cells(tab: Tab) -> dict[tuple[int, int], object]:
    managed = {
        c
        for c in range(1, tab.width + 1)
        if isinstance(tab.cell(3, c), str) and is_managed_header(str(tab.cell(3, c)))
    }
    return {
        (r, c): _norm(tab.cell(r, c))
        for r in range(1, tab.height + 1)
        for c in range(1, tab.width + 1)
        if c not in managed and tab.cell(r, c) is not None
    }


def _norm(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


EXPECTED = [
    (4, "follow-up-3b"),
    (5, "ask-referrals"),
    (5, "thank-you-missing"),
    (6, "confirm-meeting"),
    (6, "details-missing"),
    (6, "prep-needed"),
    (7, "stale-contact"),
    (8, "follow-up-7b"),
]
STATUS = {
    4: "Due: write to a 2nd person",
    5: "Due: thank-you note · Note: record referrals",
    6: "Due: confirm meeting · Due: add place/platform · Due: prepare for interview",
    7: "Due: keep in touch",
    8: "Due: follow up once",
}


def test_same_findings_and_statuses_on_both_backends(store: Store) -> None:
    result = store.sync()
    assert sorted((f.row, f.rule) for f in result.findings) == EXPECTED
    assert result.written and result.rows_read == 5
    tab = store.tab()
    assert [tab.cell(3, c) for c in (14, 15, 16)] == [
        "sheetsync · status",
        "sheetsync · next step",
        "sheetsync · due",
    ]
    assert {r: tab.cell(r, 14) for r in range(4, 9)} == STATUS


def test_user_cells_untouched_and_text_stays_literal(store: Store) -> None:
    before = user_cells(store.tab())
    store.sync()
    tab = store.tab()
    assert user_cells(tab) == before
    assert tab.cell(4, 13) == "=text that must stay text"
    assert tab.cell(6, 13) == "@cleo on Slack"


def test_second_sync_makes_zero_writes(store: Store) -> None:
    store.sync()
    writes = store.writes()
    again = store.sync()
    assert not again.written and again.plan.is_empty
    assert store.writes() == writes


def test_a_new_day_changes_only_what_changed(store: Store) -> None:
    store.sync()
    later = store.sync(dt.date(2026, 3, 18))
    changed_rows = {c.row for c in later.plan.changes}
    assert later.written and min(changed_rows) >= 4
    tab = store.tab()
    assert tab.cell(4, 14) == "Due: write to a 2nd person"  # Ana: 3B still, 6 business days
    assert tab.cell(6, 14).startswith("Due: thank-you note")  # Cleo's interview was yesterday
