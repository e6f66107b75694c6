"""The prep tab on both backends: blocks for exactly the interviews in the window, ticks and
notes that survive re-syncs and reorders, blocks that age out, literal text, no-op syncs."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.grid import Tab
from sheetsync.models import SyncResult
from sheetsync.prep import DEFAULT_TAB, PrepSettings
from sheetsync.prep_rows import key_of

from .conftest import save_rows
from .sheets_emulator import SheetsEmulator

TODAY = dt.date(2026, 3, 16)
D = dt.date
HEADER = [
    "Name",
    "Organization",
    "Email",
    "Interview date",
    "Platform",
    "Thank-you sent",
    "Promised",
    "Questions",
]
PEOPLE: list[list[Any]] = [
    [
        "Ana Lima",
        "Helix",
        "ana@helix.bio",
        D(2026, 3, 18),
        "Zoom",
        None,
        None,
        "How did you choose industry?",
    ],
    ["Bo Chen", "Acme", "bo@acme.com", D(2026, 3, 14), "Café", None, "send my poster", None],
    ["Cleo Diaz", "Initech", "cleo@initech.com", D(2026, 3, 26), None, None, None, None],
    [
        '=HYPERLINK("http://x","Dev")',
        "Umbrella",
        "dev@umbrella.org",
        D(2026, 2, 20),
        None,
        "Y",
        None,
        None,
    ],
    ["Ema Stone", "Globex", "ema@globex.com", D(2026, 3, 17), None, None, None, None],
]


class Store:
    """One tracker on one backend, with the few edits a student makes."""

    source: str

    def sync(self, today: dt.date = TODAY, **prep: Any) -> SyncResult:
        settings = Settings(sections={"prep": PrepSettings(**prep)})
        return pipeline.sync(pipeline.open_backend(self.source, settings), settings, today)

    def prep(self) -> Tab:
        raise NotImplementedError

    def set_prep_cell(self, a1: str, value: Any) -> None:
        raise NotImplementedError

    def move_contact_to_bottom(self, row: int) -> None:
        raise NotImplementedError

    def rows_by_key(self) -> dict[str, list[Any]]:
        tab = self.prep()
        return {str(key_of(r[0])): list(r) for r in tab.rows if r and key_of(r[0])}

    def row_of(self, key: str) -> int:
        tab = self.prep()
        return next(i for i, r in enumerate(tab.rows, 1) if r and key_of(r[0]) == key)


class XlsxStore(Store):
    def __init__(self, folder: Path) -> None:
        self.path = save_rows(folder / "t.xlsx", [HEADER, *PEOPLE])
        self.source = str(self.path)

    def prep(self) -> Tab:
        tab = XlsxBackend(self.path).read().tab(DEFAULT_TAB)
        assert tab is not None
        return tab

    def _edit(self, change: Any) -> None:
        wb = openpyxl.load_workbook(self.path)
        change(wb)
        wb.save(self.path)

    def set_prep_cell(self, a1: str, value: Any) -> None:
        self._edit(lambda wb: wb[DEFAULT_TAB].__setitem__(a1, value))

    def move_contact_to_bottom(self, row: int) -> None:
        def move(wb: Any) -> None:
            ws = wb.worksheets[0]
            values = [c.value for c in ws[row]]
            ws.delete_rows(row)
            for c, v in enumerate(values, start=1):
                ws.cell(row=ws.max_row + (1 if c == 1 else 0), column=c, value=v)

        self._edit(move)


class GoogleStore(Store):
    def __init__(self, emulator: SheetsEmulator) -> None:
        self.emulator = emulator
        self.id = emulator.add_spreadsheet("T", {"Contacts": [HEADER, *PEOPLE]})
        self.source = f"gsheet:{self.id}"

    def prep(self) -> Tab:
        rows = self.emulator.values(self.id, DEFAULT_TAB)
        return Tab(DEFAULT_TAB, [[None if v == "" else v for v in r] for r in rows])

    def set_prep_cell(self, a1: str, value: Any) -> None:
        self.emulator.set_cell(self.id, DEFAULT_TAB, a1, value)

    def move_contact_to_bottom(self, row: int) -> None:
        values = self.emulator.values(self.id, "Contacts")[row - 1]
        self.emulator.delete_rows(self.id, "Contacts", row)
        height = len(self.emulator.values(self.id, "Contacts"))
        self.emulator.set_values(self.id, "Contacts", f"A{height + 1}", [values])


@pytest.fixture(params=["xlsx", "google"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "xlsx":
        yield XlsxStore(tmp_path)
    else:
        yield GoogleStore(request.getfixturevalue("emulator_env"))


def blocks(store: Store) -> list[str]:
    return [k for k in store.rows_by_key() if k.count("|") == 1 and "@" in k]


def test_blocks_for_exactly_the_interviews_in_the_window(store: Store) -> None:
    store.sync()
    assert blocks(store) == [
        "ema@globex.com|2026-03-17",
        "ana@helix.bio|2026-03-18",
        "bo@acme.com|2026-03-14",
    ]
    rows = store.rows_by_key()
    assert rows["ana@helix.bio|2026-03-18"][2] == "Ana Lima · Helix — interview Wed 18 Mar 2026"
    assert "Where: Zoom" in rows["ana@helix.bio|2026-03-18|meta"][2]
    assert rows["ana@helix.bio|2026-03-18|q|" + _qid("How did you choose industry?")][2] == (
        "How did you choose industry?"
    )
    assert "Promised: send my poster" in rows["bo@acme.com|2026-03-14|do-promised"][2]
    assert rows["bo@acme.com|2026-03-14|draft-thank-you"][2].startswith("Subject: Thank you, Bo")
    assert "ana@helix.bio|2026-03-18|draft-thank-you" not in rows  # only after the interview


def _qid(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()[:8]


def test_ticks_and_notes_survive_resync_and_reorder(store: Store) -> None:
    store.sync()
    key = "ana@helix.bio|2026-03-18|research-person"
    row = store.row_of(key)
    store.set_prep_cell(f"B{row}", "☑" if isinstance(store, XlsxStore) else True)
    store.set_prep_cell(f"D{row}", "Her 2023 talk on assays")
    store.set_prep_cell(f"E{row}", "second note")
    store.move_contact_to_bottom(2)  # Ana moves from row 2 to the end of the contacts
    store.sync(TODAY + dt.timedelta(days=1))
    kept = store.rows_by_key()[key]
    assert kept[1] in ("☑", True) and kept[3:5] == ["Her 2023 talk on assays", "second note"]
    # nothing else inherited those notes
    noted = [k for k, r in store.rows_by_key().items() if "Her 2023 talk on assays" in r]
    assert noted == [key]


def test_second_sync_writes_nothing(store: Store) -> None:
    assert store.sync().written
    again = store.sync()
    assert again.plan.prep is None and again.plan.is_empty and not again.written


def test_blocks_age_out_to_the_done_area(store: Store) -> None:
    store.sync()
    row = store.row_of("ema@globex.com|2026-03-17|research-person")
    store.set_prep_cell(f"D{row}", "read her thesis")
    later = TODAY + dt.timedelta(days=12)  # Ema's interview left both windows
    store.sync(later)
    keys = list(store.rows_by_key())
    assert keys.index("done") < keys.index("ema@globex.com|2026-03-17|research-person")
    assert "read her thesis" in store.rows_by_key()["ema@globex.com|2026-03-17|research-person"]


def test_drop_keeps_only_aged_blocks_with_notes(store: Store) -> None:
    store.sync()
    row = store.row_of("ema@globex.com|2026-03-17|research-person")
    store.set_prep_cell(f"D{row}", "read her thesis")
    store.sync(TODAY + dt.timedelta(days=12), aged="drop")
    keys = store.rows_by_key()
    assert "ema@globex.com|2026-03-17|research-person" in keys
    assert not any(k.startswith("bo@acme.com|2026-03-14") for k in keys)


def test_rows_the_student_adds_are_kept(store: Store) -> None:
    store.sync()
    height = store.prep().height
    store.set_prep_cell(f"C{height + 2}", "Ask Ana about the Boston team")
    for day in (1, 2):  # kept on the next sync and every one after
        store.sync(TODAY + dt.timedelta(days=day))
        added = [r for r in store.prep().rows if r and not key_of(r[0]) and any(r)]
        assert [r[2] for r in added] == ["Ask Ana about the Boston team"]


def test_user_text_is_written_literally(store: Store) -> None:
    store.sync(dt.date(2026, 2, 19))  # Dev's interview tomorrow
    header = store.rows_by_key()["dev@umbrella.org|2026-02-20"][2]
    assert header.startswith('=HYPERLINK("http://x","Dev")')


# ---------------------------------------------------------------------- the merge: each bug


ANA = "ana@helix.bio|2026-03-18"


def tick(store: Store) -> Any:
    return "☑" if isinstance(store, XlsxStore) else True


def test_notes_on_every_kind_of_row_survive(store: Store) -> None:
    """A note beside the title, a block heading, its meta line, a phase title and the blank
    separator is the student's: kept, on its row, on every later sync."""
    store.sync()
    notes = {
        "title": "my prep for March",
        "key": "my own column title",
        ANA: "she prefers mornings",
        f"{ANA}|meta": "link in the invite",
        f"{ANA}|before": "start Friday",
        f"{ANA}|questions": "ask the assay one first",
        f"{ANA}|end": "after: write to Bo",
    }
    for key, note in notes.items():
        store.set_prep_cell(f"E{store.row_of(key)}", note)
    store.move_contact_to_bottom(2)
    for day in (1, 2):
        store.sync(TODAY + dt.timedelta(days=day))
        rows = store.rows_by_key()
        assert {k: rows[k][4] for k in notes} == notes


def test_text_typed_over_a_generated_line_and_a_number_in_c_are_kept(store: Store) -> None:
    store.sync()
    store.set_prep_cell(f"C{store.row_of(f'{ANA}|research-person')}", "done: read her thesis")
    store.set_prep_cell(f"C{store.row_of(f'{ANA}|meta')}", 42)
    store.set_prep_cell(f"D{store.row_of(f'{ANA}|end')}", 3.5)
    store.sync(TODAY + dt.timedelta(days=1))
    rows = store.rows_by_key()
    assert rows[f"{ANA}|research-person"][2] == "done: read her thesis"
    meta, end = rows[f"{ANA}|meta"][2], rows[f"{ANA}|end"][3]
    assert (meta, end) == (42, 3.5) and not isinstance(meta, str | bool)


def test_added_rows_move_with_their_block(store: Store) -> None:
    """Rows the student adds inside a block follow that block when interviews re-sort."""
    store.sync()
    below = store.row_of(f"{ANA}|meta")
    store.set_prep_cell(f"C{store.prep().height + 1}", "end of tab row")
    store.sync()  # the row at the end is anchored to Bo's block (the last one)
    store.set_prep_cell(f"A{below}", None)  # the student clears the key of Ana's meta line
    store.set_prep_cell(f"D{below}", "kept with Ana")
    later = TODAY + dt.timedelta(days=3)  # Ema's and Ana's interviews are now in the past
    for day in (later, later + dt.timedelta(days=1)):
        store.sync(day)
        tab = store.prep().rows
        keys = [key_of(r[0]) if r else None for r in tab]
        mine = next(i for i, r in enumerate(tab) if len(r) > 3 and r[3] == "kept with Ana")
        assert keys[mine - 1] == ANA  # still right below Ana's heading
        assert "Where: Zoom" in str(tab[mine][2])  # the whole row, its text included
        last = next(i for i, r in enumerate(tab) if len(r) > 2 and r[2] == "end of tab row")
        assert keys[last - 1] == "bo@acme.com|2026-03-14|end"


def test_a_duplicated_contact_keeps_the_ticks_and_notes_of_both_blocks(store: Store) -> None:
    store.sync()
    if isinstance(store, XlsxStore):
        store._edit(lambda wb: wb.worksheets[0].append(PEOPLE[0]))
    elif isinstance(store, GoogleStore):
        store.emulator.set_values(store.id, "Contacts", "A7", [PEOPLE[0]])
    store.sync()
    first, second = f"{ANA}|research-person", f"{ANA}~2|research-person"
    for key, note in ((first, "note in the first"), (second, "note in the second")):
        store.set_prep_cell(f"B{store.row_of(key)}", tick(store))
        store.set_prep_cell(f"D{store.row_of(key)}", note)
    for day in (0, 1):
        store.sync(TODAY + dt.timedelta(days=day))
        rows = store.rows_by_key()
        assert rows[first][1:4:2] == [tick(store), "note in the first"]
        assert rows[second][1:4:2] == [tick(store), "note in the second"]


def test_dropped_blocks_keep_what_the_student_typed(store: Store) -> None:
    store.sync()
    store.set_prep_cell(f"C{store.row_of('bo@acme.com|2026-03-14|after')}", "typed over")
    store.set_prep_cell(f"C{store.prep().height + 1}", "my row after Bo")
    store.sync(TODAY + dt.timedelta(days=30), aged="drop")
    text = [r[2] for r in store.prep().rows if len(r) > 2]
    assert "typed over" in text and "my row after Bo" in text
    assert not any(k.startswith("ema@globex.com") for k in store.rows_by_key())


def test_a_date_and_time_typed_in_xlsx_keeps_its_time(tmp_path: Path) -> None:
    store = XlsxStore(tmp_path)
    store.sync()
    when = dt.datetime(2026, 3, 20, 14, 30)
    store.set_prep_cell(f"D{store.row_of(f'{ANA}|confirm-details')}", when)
    store.set_prep_cell(f"E{store.row_of(f'{ANA}|confirm-details')}", dt.date(2026, 3, 21))
    store.move_contact_to_bottom(2)  # Ana's block moves
    for day in (1, 2):
        store.sync(TODAY + dt.timedelta(days=day))
        cells = store.rows_by_key()[f"{ANA}|confirm-details"][3:5]
        assert cells == [when, dt.date(2026, 3, 21)]


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_the_memory_survives_a_libreoffice_save(tmp_path: Path, soffice_profile: str) -> None:
    """The student opens the workbook in LibreOffice, types a note and saves: sheetsync still
    knows its own cells (nothing to rewrite) and keeps the note."""
    store = XlsxStore(tmp_path)
    store.sync()
    store.set_prep_cell(f"D{store.row_of(f'{ANA}|research-person')}", "her 2023 talk")
    saved = tmp_path / "saved"
    subprocess.run(
        [
            "soffice",
            soffice_profile,
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(saved),
            str(store.path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    shutil.copy(saved / store.path.name, store.path)
    assert store.rows_by_key()[f"{ANA}|research-person"][3] == "her 2023 talk"
    result = store.sync()
    assert result.plan.prep is None  # every cell of sheetsync's recognised as its own
    assert store.rows_by_key()[f"{ANA}|research-person"][3] == "her 2023 talk"
