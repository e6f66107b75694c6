"""The example tracker: built the way a hand-kept sheet looks, and read back faithfully."""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_example", EXAMPLES / "make_example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


make_example = load_script()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("example") / "tracker.xlsx"
    make_example.build_example(path)
    return path


def tracker_sheet(path: Path, *, data_only: bool = False) -> Worksheet:
    sheet = openpyxl.load_workbook(path, data_only=data_only)[make_example.SHEET]
    assert isinstance(sheet, Worksheet)
    return sheet


def calamine_rows(path: Path, sheet: str) -> list[list[Any]]:
    """The tab's values as python-calamine reads them (row 1 first)."""
    book = CalamineWorkbook.from_path(str(path))
    return list(book.get_sheet_by_name(sheet).to_python())


def test_tabs(built: Path) -> None:
    names = openpyxl.load_workbook(built).sheetnames
    assert names == ["Networking Tracker", "Question ideas", "Checklist"]


def test_header_on_row_4(built: Path) -> None:
    sheet = tracker_sheet(built)
    assert [c.value for c in sheet[4]] == list(make_example.HEADERS)
    assert all(c.value is None for c in sheet[3])
    assert sheet["A5"].value.startswith("Example:")


def test_title_cell_is_merged(built: Path) -> None:
    sheet = tracker_sheet(built)
    assert "A1:O1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A1"].value == make_example.TITLE


def test_equals_text_stays_a_string_in_openpyxl(built: Path) -> None:
    for data_only in (False, True):
        cell = tracker_sheet(built, data_only=data_only)["O27"]
        assert cell.value == "=same team as Diego, see his row"
        assert cell.data_type == "s"
    assert tracker_sheet(built)["O27"].quotePrefix


def test_equals_text_stays_a_string_in_calamine(built: Path) -> None:
    rows = calamine_rows(built, make_example.SHEET)
    assert rows[26][14] == "=same team as Diego, see his row"


def test_formulas_keep_a_cached_value(built: Path) -> None:
    assert tracker_sheet(built)["N19"].value == "=MAX(F19,I19)"
    cached = tracker_sheet(built, data_only=True)
    assert cached["N19"].value == datetime(2026, 3, 6)
    assert cached["N21"].value == datetime(2026, 2, 20)
    assert cached["N28"].value == datetime(2026, 2, 11)
    rows = calamine_rows(built, make_example.SHEET)
    assert rows[18][13] == date(2026, 3, 6)


def test_messy_cells_survive(built: Path) -> None:
    sheet = tracker_sheet(built)
    assert sheet["F7"].value == "3/10/2026"  # a date typed as text
    assert sheet["F20"].value == "31/02/2026"  # impossible
    assert sheet["I17"].value == "TBD"
    assert sheet["I6"].value == datetime(2026, 3, 17, 10, 30)
    assert sheet["A24"].value == "Peers List"
    assert all(sheet.cell(row=r, column=1).value is None for r in (14, 23))
    assert sheet["D15"].value == sheet["D26"].value  # the duplicate
    assert '"happy to chat, but not until April"' in sheet["O22"].value


def test_non_ascii_names_round_trip(built: Path) -> None:
    names = {row[0] for row in calamine_rows(built, make_example.SHEET)}
    assert {"Zoë Müller", "Łukasz Nowak", "Aiyana Redcloud", "Nguyễn Thị Lan"} <= names


def test_about_25_contacts(built: Path) -> None:
    contacts = [e for e in make_example.ROWS if isinstance(e, make_example.Contact)]
    real = [c for c in contacts if not c.name.startswith("Example:")]
    assert 24 <= len(real) <= 26


def test_readme_rows_match_the_sheet(built: Path) -> None:
    """Every row the README describes holds the person it names."""
    sheet = tracker_sheet(built)
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    described = re.findall(r"^\| (\d+) \| ([^|]+?) \|", readme, flags=re.MULTILINE)
    assert len(described) >= 25
    for row, name in described:
        assert sheet.cell(row=int(row), column=1).value == name, row


def test_other_tabs(built: Path) -> None:
    questions = calamine_rows(built, "Question ideas")
    assert questions[0] == ["Category", "Question", "Priority"]
    assert len(questions) > 5
    checklist = [row[0] for row in calamine_rows(built, "Checklist")]
    assert {"BEFORE", "DURING", "AFTER"} <= set(checklist)


def test_deterministic(tmp_path: Path, built: Path) -> None:
    again = tmp_path / "again.xlsx"
    make_example.build_example(again)
    for name in ("Networking Tracker", "Question ideas", "Checklist"):
        assert calamine_rows(again, name) == calamine_rows(built, name)


def test_committed_example_is_current(built: Path) -> None:
    """examples/tracker.xlsx matches what the script builds now."""
    committed = EXAMPLES / "tracker.xlsx"
    if not committed.exists():
        pytest.skip("examples/tracker.xlsx has not been generated")
    for name in ("Networking Tracker", "Question ideas", "Checklist"):
        assert calamine_rows(committed, name) == calamine_rows(built, name), name
