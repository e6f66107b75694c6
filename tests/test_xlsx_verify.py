"""The sync's verification reads the written tab one row at a time: a change in any unmanaged
cell is refused wherever it is — in the last row, in a row the write dropped, or in a formula
error — and the rows it compares are the rows the first read built."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sheetsync import pipeline
from sheetsync.backends import xlsx as xlsx_backend
from sheetsync.backends import xlsx_read
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.backends.xlsx_package import CellWrite
from sheetsync.config import Settings
from sheetsync.errors import WriteRefused
from sheetsync.grid import CellError, Tab

from .workbooks import kitchen_sink

TODAY = dt.date(2026, 3, 16)


def synced(path: Path) -> pipeline.SyncResult:
    return pipeline.sync(XlsxBackend(path), Settings(), TODAY)


def last_row(path: Path) -> int:
    wb = openpyxl.load_workbook(path)
    return wb["Contacts"].max_row


def with_extra_write(
    monkeypatch: pytest.MonkeyPatch, cell: tuple[int, int], write: CellWrite
) -> None:
    real = xlsx_backend.PackageWriter.patch_cells

    def one_more(self: xlsx_backend.PackageWriter, sheet: str, cells: dict, **kw: object) -> None:  # type: ignore[type-arg]
        real(self, sheet, {**cells, cell: write}, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(xlsx_backend.PackageWriter, "patch_cells", one_more)


def test_a_change_in_the_last_row_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = kitchen_sink(tmp_path / "tracker.xlsx")
    before = tracker.read_bytes()
    row = last_row(tracker)
    with_extra_write(monkeypatch, (row, 2), CellWrite("not the student's"))
    with pytest.raises(WriteRefused, match=f"cell B{row} would change"):
        synced(tracker)
    assert tracker.read_bytes() == before


def test_a_cell_emptied_by_the_write_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = kitchen_sink(tmp_path / "tracker.xlsx")
    before = tracker.read_bytes()
    with_extra_write(monkeypatch, (4, 1), CellWrite(None))  # None deletes the cell
    with pytest.raises(WriteRefused, match="cell A4 would change"):
        synced(tracker)
    assert tracker.read_bytes() == before


def test_rows_read_before_and_missing_from_the_written_tab_are_compared() -> None:
    old = Tab("Contacts", [["Name", "Org", "status"], ["Ana", "Helix", "OK"], [None, "Acme"]])
    written = [["Name", "Org", "status"], ["Ana", "Helix", "Due"]]  # its last row is gone
    assert xlsx_backend._first_difference(old, iter(written), {3}) == "B3"
    assert xlsx_backend._first_difference(old, iter([*written, [None, "Acme"]]), {3}) is None
    assert xlsx_backend._first_difference(old, iter([*written, [None, "Acme", "x"]]), {3}) is None


def test_an_error_cell_is_compared_as_the_error_it_shows() -> None:
    old = Tab("Contacts", [["Ana", CellError("#N/A")]])
    assert xlsx_backend._first_difference(old, iter([["Ana", CellError("#N/A")]]), set()) is None
    assert xlsx_backend._first_difference(old, iter([["Ana", None]]), set()) == "B1"
    assert xlsx_backend._first_difference(old, iter([["Ana"]]), set()) == "B1"


def test_formula_errors_are_overlaid_as_the_read_overlays_them(tmp_path: Path) -> None:
    path = tmp_path / "errors.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    ws["A1"], ws["A2"] = "Name", "Ana"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
    error = b'<row r="5"><c r="C5" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"</sheetData>", error + b"</sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    data = path.read_bytes()
    limits = xlsx_backend.ReadLimits()
    rows = list(xlsx_read.written_rows(data, "Contacts", limits))
    blank = [None, None, None]
    assert rows == [
        ["Name", None, None],
        ["Ana", None, None],
        blank,
        blank,
        [None, None, CellError("#DIV/0!")],
    ]
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert xlsx_read.read_tab(book, "Contacts", data, hidden=False, limits=limits).rows == rows


def test_the_rows_verified_are_the_rows_read(tmp_path: Path) -> None:
    tracker = kitchen_sink(tmp_path / "tracker.xlsx")
    data = tracker.read_bytes()
    backend = XlsxBackend(tracker)
    grid = backend.read()
    for tab in grid.tabs:
        written = list(xlsx_read.written_rows(data, tab.name, backend.limits))
        assert written == tab.rows, tab.name


def test_left_empty_columns_are_put_back(tmp_path: Path) -> None:
    path = tmp_path / "offset.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["C3"], ws["D5"] = "x", 2
    wb.save(path)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Sheet")
    expected = [[None if v == "" else v for v in r] for r in sheet.to_python(skip_empty_area=False)]
    assert list(xlsx_read.sheet_rows(sheet)) == expected
    assert expected[2] == [None, None, "x", None] and expected[4][3] == 2


def test_equal_texts_and_dates_read_are_one_object_and_types_stay_apart() -> None:
    day = dt.date(2026, 3, 2)
    rows = [["Acme", 1, day, True], ["".join(["Ac", "me"]), 1.0, dt.date(2026, 3, 2), 1]]
    shared = list(xlsx_read.shared_values(iter(rows)))
    assert shared == rows
    assert shared[1][0] is shared[0][0] and shared[1][2] is shared[0][2]
    assert [type(v) for v in shared[1]] == [str, float, dt.date, int]
    assert type(shared[0][3]) is bool
    stamp = dt.datetime(2026, 3, 2)
    assert list(xlsx_read.shared_values(iter([[day], [stamp]]))) == [[day], [stamp]]
    assert type(list(xlsx_read.shared_values(iter([[day], [stamp]])))[1][0]) is dt.datetime
    assert list(xlsx_read.shared_values(iter([["", "x", None]]))) == [[None, "x", None]]
