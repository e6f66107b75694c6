"""Property: nothing the student types in the prep tab is ever lost.

Hypothesis plays a student and a calendar. Between syncs the student types anywhere in the prep
tab — beside the title, the column titles, a block heading, the where/how line, a phase
title, over an item's text, in the checkbox, in notes columns, over a draft, on a blank
separator, on a section row — text, or a number in column C; adds rows of their own (at the end
or inserted inside a block); clears or changes the hidden key in column A; and sorts the tab.
The syncs run on other days (interviews enter and leave the window), with the tracker's rows
re-sorted, an interview moved, a contact entered twice, archive or drop for aged blocks.

After every sync, every value the student typed is still there — on a row with the same key
and in the same column, or, on a row of their own, still below the same row of sheetsync's —
with its type (a number stays a number). The test prints how many rounds it ran and how many
characters it checked, per path: memory (the pipeline's plan applied to an in-memory grid),
.xlsx (real files; openpyxl stands in for Excel) and Google (the real gspread client against
the local Sheets API emulator).
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync import pipeline
from sheetsync.backends.memory import MemoryBackend
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.grid import CellValue, Grid, Tab
from sheetsync.prep import DEFAULT_TAB, TITLE, PrepSettings
from sheetsync.prep_rows import LEGACY_TITLE, decode, key_of

from .conftest import save_rows
from .sheets_emulator import SheetsEmulator

TAB = DEFAULT_TAB
DAY = dt.date(2026, 3, 16)
HEADER = [
    "Name",
    "Organization",
    "Email",
    "Date contacted",
    "Response",
    "Interview date",
    "Platform",
    "Thank-you sent",
    "Questions",
]


def _day(offset: int) -> dt.date:
    return DAY + dt.timedelta(days=offset)


PEOPLE: list[list[CellValue]] = [
    ["Ana Lima", "Helix", "ana@helix.bio", None, "yes", _day(1), "Zoom", None, "Why industry?"],
    ["Bo Chen", "Acme", "bo@acme.com", None, "yes", _day(-2), "Café", None, None],
    ["Cleo Diaz", "Initech", "cleo@initech.com", None, "yes", _day(6), None, None, None],
    ["Ema Stone", "Globex", "ema@globex.com", None, "yes", _day(3), None, None, None],
    ["Ana Lima", "Helix", "ana@helix.bio", None, "yes", _day(1), "Zoom", None, None],  # twice
    ["Ana Lima", "Helix", "ana@helix.bio", None, "yes", _day(9), "Teams", None, None],
    ["Finn Ross", "Hooli", "finn@hooli.com", _day(-12), None, None, None, None, None],  # 7B
    ["Gia Park", None, None, None, "yes", _day(-5), None, "yes", None],  # no email
]
# sheetsync's row kinds; "kept": a row the student added; "new": a row they add now
KINDS: tuple[str, ...] = ("title", "header", "block", "meta", "phase", "item", "draft")
KINDS += ("section", "blank", "kept", "new")


# Only the rule the prep tab reads (7B follow-ups), and the contacts tab named: the other rules
# and the search for the header row cost time and change nothing in the prep tab.
def config(aged: str = "archive") -> Settings:
    return Settings(
        select=("follow-up-7b",),
        worksheet="Contacts",
        header_row=1,
        sections={"prep": PrepSettings(aged=aged)},
    )


# ---------------------------------------------------------------------- the three paths


def sort_rows(rows: list[list[CellValue]]) -> list[list[CellValue]]:
    """The student sorts the tab below its two title rows by column C (Data → Sort)."""

    def order(r: list[CellValue]) -> tuple[int, str]:
        c = r[2] if len(r) > 2 else None
        return (2, "") if c is None else (0 if isinstance(c, int | float) else 1, str(c))

    return rows[:2] + sorted(rows[2:], key=order)


def act(rows: list[list[CellValue]], action: tuple[Any, ...]) -> None:
    """One edit on a list of rows (the memory path, and the test's own view of the tab)."""
    if action[0] == "sort":
        rows[:] = sort_rows(rows)
        return
    if action[0] == "insert":
        rows.insert(action[1] - 1, [])
    _, r, c, value = action
    while len(rows) < r:
        rows.append([])
    cells = rows[r - 1]
    cells.extend([None] * (c - len(cells)))
    cells[c - 1] = value


class Memory:
    """The merge exactly as the pipeline plans it, applied to a grid held in Python."""

    tick: CellValue = "☑"

    def __init__(self) -> None:
        self.grid = Grid("memory", [Tab("Contacts", [list(HEADER), *map(list, PEOPLE)])])
        self.checked: tuple[pipeline.Checked, Settings] | None = None

    def rows(self) -> list[list[CellValue]]:
        tab = self.grid.tab(TAB)
        return [list(r) for r in tab.rows] if tab else []

    def edit(self, actions: Sequence[tuple[Any, ...]]) -> None:
        tab = self.grid.tab(TAB)
        assert tab is not None
        for action in actions:
            act(tab.rows, action)

    def set_tracker(self, rows: Sequence[Sequence[CellValue]]) -> None:
        self.grid.tabs[0] = Tab("Contacts", [list(HEADER), *map(list, rows)])

    def sync(self, today: dt.date, config: Settings) -> None:
        checked = pipeline.check_grid(self.grid, config, today)
        plan = pipeline.plan_for(checked, config, unticked="☐")
        MemoryBackend(self.grid).apply(plan)  # the cells and the prep tab, as a backend writes
        self.checked = checked, config

    def assert_settled(self) -> None:
        """The same check on the grid as written: a second sync writes nothing."""
        assert self.checked is not None
        checked, config = self.checked
        assert pipeline.plan_for(checked, config, unticked="☐").prep is None


class Xlsx:
    """A real .xlsx file, written by sheetsync and edited with openpyxl as Excel would."""

    tick: CellValue = "☑"

    def __init__(self, folder: Path) -> None:
        self.path = save_rows(folder / "t.xlsx", [HEADER, *PEOPLE])

    def rows(self) -> list[list[CellValue]]:
        tab = XlsxBackend(self.path).read().tab(TAB)
        return [list(r) for r in tab.rows] if tab else []

    def _edit(self, change: Callable[[Any], None]) -> None:
        wb = openpyxl.load_workbook(self.path)
        change(wb)
        wb.save(self.path)

    def edit(self, actions: Sequence[tuple[Any, ...]]) -> None:
        def apply(wb: Any) -> None:
            ws = wb[TAB]
            for action in actions:
                if action[0] == "sort":
                    rows = [[c.value for c in r] for r in ws.iter_rows()]
                    width = max(map(len, rows))
                    for r, cells in enumerate(sort_rows(rows), start=1):
                        for c in range(1, width + 1):
                            _put(ws.cell(r, c), cells[c - 1] if c <= len(cells) else None)
                    continue
                if action[0] == "insert":
                    ws.insert_rows(action[1])
                _put(ws.cell(action[1], action[2]), _as_excel_saves(action[3]))

        self._edit(apply)

    def set_tracker(self, rows: Sequence[Sequence[CellValue]]) -> None:
        def apply(wb: Any) -> None:
            ws = wb["Contacts"]
            for r, cells in enumerate(rows, start=2):
                for c, value in enumerate(cells, start=1):
                    _put(ws.cell(r, c), value)

        self._edit(apply)

    def sync(self, today: dt.date, config: Settings) -> None:
        pipeline.sync(XlsxBackend(self.path, backups=0), config, today)


def _as_excel_saves(value: CellValue) -> CellValue:
    """Typed text as Excel saves it: a literal ``_xHHHH_`` protected as ``_x005F_xHHHH_``
    (openpyxl writes text as it is given, and Excel, LibreOffice and calamine decode it)."""
    return re.sub("_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", value) if isinstance(value, str) else value


def _put(cell: Any, value: CellValue) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # typed text stays text


class Google:
    """A spreadsheet in the local Sheets API emulator, synced through the real gspread."""

    tick: CellValue = True

    def __init__(self, emulator: SheetsEmulator) -> None:
        self.emulator = emulator
        self.id = emulator.add_spreadsheet("T", {"Contacts": [HEADER, *PEOPLE]})

    def rows(self) -> list[list[CellValue]]:
        if TAB not in self.emulator.tabs(self.id):
            return []
        return [[None if v == "" else v for v in r] for r in self.emulator.values(self.id, TAB)]

    def edit(self, actions: Sequence[tuple[Any, ...]]) -> None:
        for action in actions:
            if action[0] == "sort":
                self.emulator.sort_rows(self.id, TAB, "C", header_rows=2)
                continue
            if action[0] == "insert":
                self.emulator.insert_rows(self.id, TAB, action[1])
            ref = f"{'ABCDEFG'[action[2] - 1]}{action[1]}"
            self.emulator.set_cell(self.id, TAB, ref, action[3])

    def set_tracker(self, rows: Sequence[Sequence[CellValue]]) -> None:
        self.emulator.set_values(self.id, "Contacts", "A2", [list(r) for r in rows])

    def sync(self, today: dt.date, config: Settings) -> None:
        source = f"gsheet:{self.id}"
        pipeline.sync(pipeline.open_backend(source, config), config, today)


Store = Memory | Xlsx | Google


# ---------------------------------------------------------------------- the student's ledger


@dataclass
class Typed:
    """A value the student typed: in which column, on the row with which key (None: a row of
    their own, where the value itself is unique)."""

    value: CellValue
    col: int
    key: str | None


@dataclass
class Figures:
    rounds: int = 0
    syncs: int = 0
    values_checked: int = 0
    chars_checked: int = 0
    chars_typed: int = 0
    own_rows_checked: int = 0
    kinds: Counter[str] = field(default_factory=Counter)

    def line(self, path: str) -> str:
        kinds = ", ".join(f"{k}={self.kinds[k]}" for k in KINDS)
        return (
            f"prep merge [{path}]: {self.rounds} rounds, {self.syncs} syncs, "
            f"{self.chars_typed} characters typed, {self.values_checked} typed values and "
            f"{self.chars_checked} characters checked after syncs, {self.own_rows_checked} "
            f"added-row positions checked, 0 lost; edits by row kind: {kinds}"
        )


def _kind(cells: Sequence[CellValue]) -> str:
    decoded = decode(cells[0]) if cells else None
    return decoded[1] if decoded else "kept"


def _key(cells: Sequence[CellValue]) -> str | None:
    return key_of(cells[0]) if cells else None


# Text a student pastes: a Windows line break, a file name Excel would decode (_x0041_), and
# the characters XML escapes.
PASTED = ["note", " ", "\r\n", "\n", "file_x0041_.pdf", "_x000D_", "&", "<b>"]


class Student:
    """Draws edits against the tab as it stands and remembers what was typed."""

    def __init__(self, data: st.DataObject, store: Store, figures: Figures) -> None:
        self.data, self.store, self.figures = data, store, figures
        self.ledger: list[Typed] = []
        self.serial = 0

    def token(self, col: int) -> CellValue:
        self.serial += 1
        if col in (3, 4) and self.data.draw(st.booleans(), label="number?"):
            return self.data.draw(st.sampled_from([100_000, 0.5]), label="n") + self.serial
        text = self.data.draw(
            st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
            | st.lists(st.sampled_from(PASTED), max_size=4).map("".join),
            label="text",
        )
        self.figures.chars_typed += len(f"s{self.serial} {text}")
        return f"s{self.serial} {text}"

    def edits(self, view: list[list[CellValue]]) -> list[tuple[Any, ...]]:
        actions: list[tuple[Any, ...]] = []
        for _ in range(self.data.draw(st.integers(0, 6), label="edits")):
            action = self.one_edit(view)
            act(view, action)
            actions.append(action)
        if view and self.data.draw(st.integers(0, 4), label="sort?") == 0:
            actions.append(("sort",))
        return actions

    def one_edit(self, view: list[list[CellValue]]) -> tuple[Any, ...]:
        by_kind: dict[str, list[int]] = {}
        for r, cells in enumerate(view, start=1):
            if any(v is not None for v in cells):
                by_kind.setdefault(_kind(cells), []).append(r)
        by_kind["new"] = [len(view) + 1, len(view) + 2]
        kind = self.data.draw(st.sampled_from(sorted(by_kind)), label="kind")
        row = self.data.draw(st.sampled_from(by_kind[kind]), label="row")
        self.figures.kinds[kind] += 1
        if kind != "new" and self.data.draw(st.integers(0, 9), label="insert?") == 0:
            inserted = self.token(3)
            self.ledger.append(Typed(inserted, 3, None))
            return ("insert", row, 3, inserted)
        col = self.data.draw(st.sampled_from([1, 2, 3, 3, 4, 4, 5, 6]), label="col")
        cells = view[row - 1] if row <= len(view) else []
        key = _key(cells)
        value: CellValue
        if col == 1 and self.data.draw(st.booleans(), label="clear the key?"):
            value = None
        elif col == 2 and key is not None and self.data.draw(st.booleans(), label="tick?"):
            value = self.store.tick
        else:
            value = self.token(col)
        self.forget(cells, col, key)
        if value is not None:
            self.ledger.append(Typed(value, col, None if col == 1 else key))
        return ("type", row, col, value)

    def forget(self, cells: Sequence[CellValue], col: int, key: str | None) -> None:
        """The student types over a cell: what they typed there before is theirs to lose; a
        changed key makes their row their own."""
        old = cells[col - 1] if col <= len(cells) else None
        mine = key if col != 1 else None
        self.ledger = [
            t for t in self.ledger if not (t.col == col and t.key == mine and t.value == old)
        ]
        if col == 1 and key is not None:
            for t in self.ledger:
                if t.key == key:
                    t.key = None
            self.ledger = [t for t in self.ledger if t.key is not None or _unique(t.value)]

    def check(self, rows: list[list[CellValue]]) -> None:
        by_key = {_key(r): r for r in rows if _key(r)}
        own = [r for r in rows if r and _key(r) is None]
        for t in self.ledger:
            if t.key is not None:
                assert t.key in by_key, f"the row {t.key!r} holding {t.value!r} is gone"
                found = _cell(by_key[t.key], t.col)
                assert _same(found, t.value), f"{t.value!r} in {t.key!r}: now {found!r}"
            else:
                assert any(_same(_cell(r, t.col), t.value) for r in own), f"{t.value!r} lost"
            self.figures.values_checked += 1
            self.figures.chars_checked += len(str(t.value))


def _unique(value: CellValue) -> bool:
    """Tokens and numbers are unique; a tick is not."""
    if isinstance(value, str):
        return value.startswith("s")
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(row: Sequence[CellValue], col: int) -> CellValue:
    return row[col - 1] if col <= len(row) else None


def _same(found: CellValue, typed: CellValue) -> bool:
    if isinstance(typed, bool) or isinstance(found, bool):
        return found is typed
    if isinstance(typed, int | float):  # a number stays a number
        return isinstance(found, int | float) and found == typed
    return found == typed


def own_rows(rows: list[list[CellValue]]) -> Counter[tuple[tuple[CellValue, ...], str | None]]:
    """Each row of the student's own, with the key of the nearest row of sheetsync's above."""
    out: Counter[tuple[tuple[CellValue, ...], str | None]] = Counter()
    above: str | None = None
    for cells in rows:
        key = _key(cells)
        if key is not None:
            above = key
        elif any(v is not None for v in cells):
            trimmed = list(cells)
            while trimmed and trimmed[-1] is None:
                trimmed.pop()
            out[(tuple(trimmed), above)] += 1
    return out


# ---------------------------------------------------------------------- the rounds


def play(data: st.DataObject, store: Store, figures: Figures, rounds: int) -> None:
    student = Student(data, store, figures)
    tracker = [list(r) for r in PEOPLE]
    store.sync(DAY, config())
    figures.syncs += 1
    for _ in range(rounds):
        view = store.rows()
        actions = student.edits(view)
        store.edit(actions)
        tracker = change_tracker(data, tracker)
        store.set_tracker(tracker)
        before = own_rows(store.rows())
        today = _day(data.draw(st.integers(-12, 12), label="today"))
        aged = data.draw(st.sampled_from(["archive", "drop"]), label="aged")
        store.sync(today, config(aged))
        rows = store.rows()
        student.check(rows)
        assert own_rows(rows) == before, "a row of the student's moved away from its block"
        figures.own_rows_checked += sum(before.values())
        figures.rounds += 1
        figures.syncs += 1
    if isinstance(store, Memory):
        store.assert_settled()


def change_tracker(data: st.DataObject, tracker: list[list[CellValue]]) -> list[list[CellValue]]:
    """Re-sort the tracker's rows, and sometimes move one interview."""
    order = data.draw(st.permutations(range(len(tracker))), label="tracker order")
    tracker = [tracker[i] for i in order]
    if data.draw(st.integers(0, 3), label="move?") == 0:
        i = data.draw(st.integers(0, len(tracker) - 1), label="who")
        when = tracker[i][5]
        if isinstance(when, dt.date):
            tracker[i][5] = when + dt.timedelta(days=data.draw(st.integers(-3, 3), label="shift"))
    return tracker


def run_path(make: Callable[[], Store], examples: int, rounds: int) -> Figures:
    figures = Figures()

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def scenario(data: st.DataObject) -> None:
        play(data, make(), figures, rounds)

    scenario()
    return figures


def report(capsys: pytest.CaptureFixture[str], name: str, figures: Figures) -> None:
    with capsys.disabled():
        print("\n" + figures.line(name))


def test_memory_path_loses_nothing_the_student_typed(capsys: pytest.CaptureFixture[str]) -> None:
    figures = run_path(Memory, examples=25, rounds=8)
    report(capsys, "memory", figures)
    assert figures.rounds >= 200 and figures.chars_checked > 0
    assert all(figures.kinds[k] for k in KINDS)


def test_xlsx_path_loses_nothing_the_student_typed(capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        counter = iter(range(10**6))

        def make() -> Xlsx:
            sub = Path(folder) / str(next(counter))
            sub.mkdir()
            return Xlsx(sub)

        figures = run_path(make, examples=6, rounds=5)
    report(capsys, "xlsx", figures)
    assert figures.rounds >= 30 and figures.chars_checked > 0


def test_google_path_loses_nothing_the_student_typed(
    emulator_env: SheetsEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = run_path(lambda: Google(emulator_env), examples=4, rounds=5)
    report(capsys, "google", figures)
    assert figures.rounds >= 20 and figures.chars_checked > 0


# ---------------------------------------------------------------------- examples


def test_a_tab_written_before_the_memory_existed_keeps_the_students_cells() -> None:
    """An older sheetsync keyed rows with the bare key: its ticks, notes, a line typed over and
    the rows it kept aside are the student's; its own lines are replaced, not duplicated."""
    store = Memory()
    store.sync(DAY, config())
    tab = store.grid.tab(TAB)
    assert tab is not None
    old = [[key_of(r[0]), *r[1:]] for r in tab.rows]  # the memory stripped: the old format
    old[0][2] = LEGACY_TITLE  # and the old title
    item = next(r for r in old if str(r[0]).endswith("|research-person"))
    item[1:4] = ["☑", "my own words", "a note"]
    old.append(["kept|0123456789", None, "a row I added"])
    tab.rows[:] = old
    store.sync(DAY, config())
    rows = store.rows()
    assert [r[1:4] for r in rows if key_of(r[0]) == item[0]] == [["☑", "my own words", "a note"]]
    assert ["kept|0123456789", None, "a row I added"] in rows
    texts = Counter(r[2] for r in rows if key_of(r[0]) and len(r) > 2 and r[2])
    assert texts["Before"] == 4 and max(texts.values()) == 4  # four blocks, no line doubled
    assert all(key_of(r[0]) for r in rows if r[0] != "kept|0123456789")
    assert rows[0][2] == TITLE


def test_a_block_that_leaves_and_comes_back_keeps_its_notes() -> None:
    """Blocks move to the Done area and back (another day); a note goes wherever they go."""
    store = Memory()
    store.sync(DAY, config())
    key = "ema@globex.com|2026-03-19|research-person"
    rows = store.rows()
    store.edit([("type", next(i for i, r in enumerate(rows, 1) if key_of(r[0]) == key), 4, "n")])
    for offset, area in ((30, "done"), (0, "blocks"), (30, "done")):
        store.sync(_day(offset), config())
        keys = [key_of(r[0]) for r in store.rows()]
        assert ("done" in keys and keys.index("done") < keys.index(key)) == (area == "done")
        assert store.rows()[keys.index(key)][3] == "n"


def test_a_tab_of_the_students_own_with_that_name_is_kept_whole() -> None:
    """A tab the student made and named like the prep tab, before any sync: rows whose key does
    not look like one sheetsync wrote are the student's, whole, even with "drop"; a row keyed
    like its header row keeps the student's cells."""
    store = Memory()
    own: list[list[CellValue]] = [
        ["Monday", None, "buy coffee"],
        ["key", "x", "my header"],
        [None, None, None, "Z"],
    ]
    store.grid.tabs.append(Tab(TAB, [list(r) for r in own]))
    store.sync(DAY, config("drop"))
    store.sync(_day(30), config("drop"))
    rows = store.rows()
    assert [r for r in rows if not key_of(r[0])] == [own[0], own[2]]
    assert [r[1:3] for r in rows if key_of(r[0]) == "key"] == [["x", "my header"]]
