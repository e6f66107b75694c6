"""Managed columns join the user's Excel table or autofilter, on real workbooks.

Tables are built by the two libraries people script templates with (openpyxl, XlsxWriter) and,
when it is installed, re-saved by LibreOffice; each is synced, then checked for OOXML
consistency (the table's width, column names, own autofilter), read back with openpyxl
without warnings, opened by LibreOffice, and "sorted" (data rows permuted, managed cells with
them) to prove every status stays beside its person.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
import subprocess
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl.formatting.rule import CellIsRule
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from sheetsync import pipeline
from sheetsync.backends import xlsx_tables
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.grid import MergedRange, col_letter
from sheetsync.models import TableGrowth
from sheetsync.planning import make_plan
from sheetsync.status import MANAGED_COLUMNS, statuses

from .workbooks import HEADER, ROWS

TODAY = dt.date(2026, 3, 16)
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
MANAGED = [c.header for c in MANAGED_COLUMNS]
WIDTH = len(HEADER)  # the user's columns: A..M
LAST = len(ROWS) + 1  # header on row 1, contacts on rows 2..6
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")


# ---------------------------------------------------------------- workbooks


def openpyxl_table(path: Path, *, totals: bool = False) -> Path:
    """A contacts table made with openpyxl's ``add_table`` (with an optional totals row)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    ref = f"A1:{col_letter(WIDTH)}{LAST + int(totals)}"
    table = Table(displayName="Contacts1", ref=ref, totalsRowCount=1 if totals else None)
    table.tableColumns = [TableColumn(id=i, name=h) for i, h in enumerate(HEADER, 1)]
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium9", showRowStripes=True)
    if totals:
        table.tableColumns[0].totalsRowLabel = "Total"
        ws.cell(LAST + 1, 1, "Total")
    ws.add_table(table)
    wb.save(path)
    return path


def xlsxwriter_table(path: Path, *, totals: bool = False) -> Path:
    """The same contacts as an XlsxWriter table (its totals row counts the emails)."""
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet("Contacts")
        dates = wb.add_format({"num_format": "yyyy-mm-dd"})
        columns: list[dict[str, object]] = [{"header": h} for h in HEADER]
        if totals:
            columns[0]["total_string"] = "Total"
            columns[2]["total_function"] = "count"
        ws.add_table(
            0,
            0,
            LAST - 1 + int(totals),
            WIDTH - 1,
            {"name": "Contacts1", "columns": columns, "total_row": totals},
        )
        _write_rows(ws, dates)
    return path


def xlsxwriter_autofilter(path: Path) -> Path:
    """The contacts under a sheet autofilter (XlsxWriter also writes _xlnm._FilterDatabase)."""
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet("Contacts")
        ws.write_row(0, 0, HEADER)
        _write_rows(ws, wb.add_format({"num_format": "yyyy-mm-dd"}))
        ws.autofilter(0, 0, LAST - 1, WIDTH - 1)
    return path


def openpyxl_autofilter(path: Path) -> Path:
    """The contacts under a sheet autofilter made with openpyxl."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    ws.auto_filter.ref = f"A1:{col_letter(WIDTH)}{LAST}"
    wb.save(path)
    return path


def _write_rows(ws: xlsxwriter.worksheet.Worksheet, dates: xlsxwriter.format.Format) -> None:
    for r, row in enumerate(ROWS, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
            elif isinstance(value, str):
                ws.write_string(r, c, value)  # "=text…" stays text, as a user typed it
            elif value is not None:
                ws.write(r, c, value)


def libreoffice_saved(sources: list[Path], folder: Path, profile: str) -> list[Path]:
    """Each of ``sources`` opened and saved again as .xlsx by LibreOffice (headless, one call)."""
    out = folder / "lo-out"
    _soffice(profile, "xlsx", sources, out)
    saved = [out / source.name for source in sources]
    assert all(path.exists() for path in saved), saved
    return saved


def _soffice(
    profile: str, target: str, sources: list[Path], out: Path
) -> subprocess.CompletedProcess[str]:
    assert SOFFICE is not None
    done = subprocess.run(
        [
            SOFFICE,
            profile,
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


# ---------------------------------------------------------------- what to check


def run_sync(path: Path) -> pipeline.SyncResult:
    return pipeline.sync(XlsxBackend(path, backups=0), Settings(), TODAY)


def tables_of(path: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(path) as z:
        return {
            n: etree.fromstring(z.read(n))
            for n in z.namelist()
            if n.startswith("xl/tables/") and n.endswith(".xml")
        }


def inconsistencies(path: Path) -> list[str]:
    """Every way a table in ``path`` disagrees with itself or with its sheet's header cells."""
    ws = openpyxl.load_workbook(path)["Contacts"]
    problems: list[str] = []
    for part, table in tables_of(path).items():
        first, last = (
            openpyxl.utils.cell.coordinate_from_string(c) for c in table.get("ref").split(":")
        )
        left = openpyxl.utils.column_index_from_string(first[0])
        right = openpyxl.utils.column_index_from_string(last[0])
        columns = table.find(f"{MAIN}tableColumns")
        names = [c.get("name") for c in columns]
        ids = [c.get("id") for c in columns]
        if int(columns.get("count")) != len(names) or len(names) != right - left + 1:
            problems.append(f"{part}: width {right - left + 1}, {len(names)} columns")
        if len(set(ids)) != len(ids) or len({n.casefold() for n in names}) != len(names):
            problems.append(f"{part}: ids or names repeat")
        headers = [ws.cell(first[1], c).value for c in range(left, right + 1)]
        if headers != names:
            problems.append(f"{part}: header cells {headers} != names {names}")
        own = table.find(f"{MAIN}autoFilter")
        totals = int(table.get("totalsRowCount", "0"))
        wanted = f"{first[0]}{first[1]}:{last[0]}{last[1] - totals}"
        if own is not None and own.get("ref") != wanted:
            problems.append(f"{part}: autoFilter {own.get('ref')} != {wanted}")
    return problems


def load_quietly(path: Path) -> list[str]:
    """Warnings openpyxl gives while loading ``path``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        openpyxl.load_workbook(path)
    return [str(w.message) for w in caught]


def managed_cells(path: Path) -> dict[int, tuple[object, ...]]:
    ws = openpyxl.load_workbook(path)["Contacts"]
    cols = range(WIDTH + 1, WIDTH + 1 + len(MANAGED))
    return {r: tuple(ws.cell(r, c).value for c in cols) for r in range(1, ws.max_row + 1)}


BUILDERS: dict[str, Callable[..., Path]] = {
    "openpyxl": openpyxl_table,
    "xlsxwriter": xlsxwriter_table,
}


# ---------------------------------------------------------------- tables


@pytest.mark.parametrize("totals", [False, True], ids=["plain", "totals-row"])
@pytest.mark.parametrize("maker", sorted(BUILDERS))
def test_the_table_grows_over_the_managed_columns(tmp_path: Path, maker: str, totals: bool) -> None:
    path = BUILDERS[maker](tmp_path / "t.xlsx", totals=totals)
    result = run_sync(path)
    assert result.written
    assert result.plan.tables == (
        TableGrowth("table", "Contacts1", 1, WIDTH, WIDTH + 3, tuple(MANAGED)),
    )
    (table,) = tables_of(path).values()
    bottom = LAST + int(totals)
    assert table.get("ref") == f"A1:P{bottom}"
    assert [c.get("name") for c in table.find(f"{MAIN}tableColumns")][-4:] == [
        "Notes",
        *MANAGED,
    ]
    assert inconsistencies(path) == []
    assert load_quietly(path) == []
    cells = managed_cells(path)
    assert cells[1] == tuple(MANAGED)
    if totals:  # the totals row is not a contact: its managed cells stay empty
        assert cells[bottom] == (None, None, None)
        assert bottom not in {f.row for f in result.findings}
    assert run_sync(path).written is False  # the next sync has nothing to do


@needs_soffice
@pytest.mark.parametrize("totals", [False, True], ids=["plain", "totals-row"])
def test_a_table_libreoffice_saved_grows_and_opens_again(
    tmp_path: Path, totals: bool, soffice_profile: str
) -> None:
    (source,) = libreoffice_saved(
        [openpyxl_table(tmp_path / "t.xlsx", totals=totals)], tmp_path, soffice_profile
    )
    assert tables_of(source), "LibreOffice kept the table"
    result = run_sync(source)
    assert result.written and result.plan.tables
    assert inconsistencies(source) == []
    assert load_quietly(source) == []
    out = tmp_path / "csv"
    _soffice(soffice_profile, "csv:Text - txt - csv (StarCalc):44,34,76", [source], out)  # UTF-8
    with (out / "t.csv").open(encoding="utf-8", errors="replace") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][-3:] == MANAGED
    assert [r[0] for r in rows[1 : len(ROWS) + 1]] == [r[0] for r in ROWS]


@needs_soffice
def test_libreoffice_opens_every_synced_table_without_repair(
    tmp_path: Path, soffice_profile: str
) -> None:
    """LibreOffice re-saves each synced workbook (exit 0) and keeps the grown table."""
    made = [(maker, totals) for maker in sorted(BUILDERS) for totals in (False, True)]
    paths = [BUILDERS[m](tmp_path / f"{m}-{totals}.xlsx", totals=totals) for m, totals in made]
    for path in paths:
        run_sync(path)
    for (maker, totals), saved in zip(
        made, libreoffice_saved(paths, tmp_path, soffice_profile), strict=True
    ):
        (table,) = tables_of(saved).values()
        assert table.get("ref") == f"A1:P{LAST + int(totals)}", (maker, totals)
        names = [c.get("name") for c in table.find(f"{MAIN}tableColumns")]
        assert names[-3:] == MANAGED, (maker, totals)


SORTABLE: dict[str, Callable[[Path], Path]] = {
    **BUILDERS,
    "xlsxwriter-autofilter": xlsxwriter_autofilter,
    "openpyxl-autofilter": openpyxl_autofilter,
}


@pytest.mark.parametrize("maker", sorted(SORTABLE))
def test_sorting_the_table_keeps_every_status_beside_its_person(tmp_path: Path, maker: str) -> None:
    path = SORTABLE[maker](tmp_path / "t.xlsx")
    before = run_sync(path)
    by_person = _rules_by_person(before)
    for seed in range(3):
        copy = _sorted_copy(path, tmp_path / f"sorted-{seed}.xlsx", random.Random(seed))
        checked = pipeline.check(XlsxBackend(copy), Settings(), TODAY)
        status_of = statuses(checked.tracker.df.index, checked.report.findings)
        plan = make_plan(checked.tab, checked.tracker, status_of)
        assert plan.changes == ()  # every status already stands beside its own person
        assert plan.tables == ()
        assert _rules_by_person_checked(checked) == by_person
    # the control: a sort that left the managed cells behind (the old behaviour) is caught
    behind = _sorted_copy(path, tmp_path / "behind.xlsx", random.Random(0), managed=False)
    checked = pipeline.check(XlsxBackend(behind), Settings(), TODAY)
    status_of = statuses(checked.tracker.df.index, checked.report.findings)
    assert make_plan(checked.tab, checked.tracker, status_of).changes != ()


def _sorted_copy(path: Path, dest: Path, rng: random.Random, *, managed: bool = True) -> Path:
    """What Excel's sort does to the table: whole data rows, managed cells included, moved
    (``managed=False``: what it did while they stood outside the table)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Contacts"]
    width = WIDTH + (len(MANAGED) if managed else 0)
    rows = [[ws.cell(r, c).value for c in range(1, width + 1)] for r in range(2, LAST + 1)]
    formats = [
        [ws.cell(r, c).number_format for c in range(1, width + 1)] for r in range(2, LAST + 1)
    ]
    order = list(range(len(rows)))
    while order == sorted(order):
        rng.shuffle(order)
    for r, i in enumerate(order, start=2):
        for c in range(1, width + 1):
            ws.cell(r, c).value = rows[i][c - 1]
            ws.cell(r, c).number_format = formats[i][c - 1]
    wb.save(dest)
    return dest


def _rules_by_person(result: pipeline.SyncResult) -> dict[str, set[str]]:
    assert result.checked is not None
    return _rules_by_person_checked(result.checked)


def _rules_by_person_checked(checked: pipeline.Checked) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in checked.report.findings:
        out.setdefault(f.contact, set()).add(f.rule)
    return out


def test_a_table_not_beside_the_managed_columns_is_left_and_said(tmp_path: Path) -> None:
    path = openpyxl_table(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Contacts"].cell(1, WIDTH + 2, "My own column")  # outside the table, one column gap
    wb.save(path)
    original = tables_of(path)
    checked = pipeline.check(XlsxBackend(path), Settings(), TODAY)
    assert [w for w in checked.layout.warnings if "Contacts1" in w] == [
        "sheetsync's status columns in 'Contacts' are not next to the table 'Contacts1', so "
        "they stay outside it: sorting or filtering it would leave each status beside the "
        "wrong person until the next sync. Move the status columns next to it (or resize it "
        "over them)."
    ]
    result = run_sync(path)
    assert result.written and result.plan.tables == ()
    assert result.plan.column_of[MANAGED[0]] == WIDTH + 3
    assert {p: etree.tostring(t) for p, t in tables_of(path).items()} == {
        p: etree.tostring(t) for p, t in original.items()
    }
    assert load_quietly(path) == []


def test_a_table_already_grown_by_an_earlier_sync_is_left_as_it_is(tmp_path: Path) -> None:
    path = openpyxl_table(tmp_path / "t.xlsx")
    run_sync(path)
    grown = tables_of(path)
    wb = openpyxl.load_workbook(path)  # the user fixes a date: one status must change
    wb["Contacts"]["E2"] = dt.date(2026, 3, 15)
    wb.save(path)
    result = run_sync(path)
    assert result.written and result.plan.tables == ()
    assert {p: etree.tostring(t) for p, t in tables_of(path).items()} == {
        p: etree.tostring(t) for p, t in grown.items()
    }


def test_a_calculated_column_keeps_its_formula_and_cached_values(tmp_path: Path) -> None:
    path = tmp_path / "calc.xlsx"
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet("Contacts")
        columns: list[dict[str, object]] = [{"header": h} for h in HEADER[:-1]]
        columns.append({"header": "Notes", "formula": "=LEN([@Name])"})
        ws.add_table(0, 0, LAST - 1, WIDTH - 1, {"name": "Contacts1", "columns": columns})
        _write_rows(ws, wb.add_format({"num_format": "yyyy-mm-dd"}))
        for r in range(1, LAST):  # the calculated column, with its results saved
            name = str(ROWS[r - 1][0])
            ws.write_formula(r, WIDTH - 1, "=LEN(Contacts1[[#This Row],[Name]])", None, len(name))
    run_sync(path)
    (table,) = tables_of(path).values()
    columns_el = table.find(f"{MAIN}tableColumns")
    formulas = [c.find(f"{MAIN}calculatedColumnFormula") for c in columns_el]
    assert [f is not None for f in formulas] == [False] * (WIDTH - 1) + [True, False, False, False]
    assert inconsistencies(path) == []
    values = openpyxl.load_workbook(path, data_only=True)["Contacts"]
    assert [values.cell(r, WIDTH).value for r in range(2, LAST + 1)] == [
        len(str(row[0])) for row in ROWS
    ]


def test_only_the_table_over_the_contacts_grows(tmp_path: Path) -> None:
    """A second table beside the contacts (a lookup list) is not the contacts' table."""
    path = tmp_path / "two.xlsx"
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet("Contacts")
        ws.add_table(
            0,
            0,
            LAST - 1,
            WIDTH - 1,
            {"name": "People", "columns": [{"header": h} for h in HEADER]},
        )
        _write_rows(ws, wb.add_format({"num_format": "yyyy-mm-dd"}))
        ws.add_table(
            0, WIDTH + 1, 2, WIDTH + 1, {"name": "Lookup", "columns": [{"header": "Kinds"}]}
        )
        ws.write_column(1, WIDTH + 1, ["Alum", "Cold"])
    result = run_sync(path)
    assert result.plan.tables == ()  # the contacts' table is not beside the managed columns
    assert result.plan.column_of[MANAGED[0]] == WIDTH + 3
    refs = {t.get("displayName"): t.get("ref") for t in tables_of(path).values()}
    assert refs == {"People": f"A1:M{LAST}", "Lookup": "O1:O3"}
    assert inconsistencies(path) == []


def test_a_table_filled_by_a_query_is_not_resized(tmp_path: Path) -> None:
    path = openpyxl_table(tmp_path / "q.xlsx")
    linked = _replace_part(
        path.read_bytes(),
        "xl/tables/table1.xml",
        lambda x: x.replace(
            b'displayName="Contacts1"', b'displayName="Contacts1" tableType="queryTable"'
        ),
    )
    path.write_bytes(linked)
    original = tables_of(path)
    result = run_sync(path)
    assert result.written and result.plan.tables == ()
    assert result.checked is not None
    assert [w for w in result.checked.layout.warnings if "query" in w] == [
        "Excel table 'Contacts1' in 'Contacts' is filled from a query or an XML map, so "
        "sheetsync does not widen it: its status columns stay outside it, and sorting it would "
        "leave each status beside the wrong person until the next sync."
    ]
    assert {p: etree.tostring(t) for p, t in tables_of(path).items()} == {
        p: etree.tostring(t) for p, t in original.items()
    }


def test_a_managed_header_renamed_in_case_inside_the_table_is_kept(tmp_path: Path) -> None:
    """Excel renames the table column with its header cell; sheetsync neither refuses the
    sync nor rewrites the header (it would break the table's column name)."""
    path = openpyxl_table(tmp_path / "t.xlsx")
    run_sync(path)
    shouted = MANAGED[0].upper()
    renamed = _replace_part(
        path.read_bytes(),
        "xl/tables/table1.xml",
        lambda x: x.replace(MANAGED[0].encode(), shouted.encode()),
    )
    path.write_bytes(
        _replace_part(
            renamed,
            "xl/worksheets/sheet1.xml",
            lambda x: x.replace(f">{MANAGED[0]}</t>".encode(), f">{shouted}</t>".encode()),
        )
    )
    assert managed_cells(path)[1][0] == shouted
    result = run_sync(path)
    assert not result.plan.new_columns and result.plan.tables == ()
    assert result.written is False  # nothing to rewrite: the header is the user's now
    assert managed_cells(path)[1][0] == shouted
    assert inconsistencies(path) == []


# ---------------------------------------------------------------- sheet autofilters


def test_a_sheet_autofilter_and_its_hidden_name_grow(tmp_path: Path) -> None:
    path = xlsxwriter_autofilter(tmp_path / "f.xlsx")
    result = run_sync(path)
    assert result.plan.tables == (TableGrowth("filter", "", 1, WIDTH, WIDTH + 3, tuple(MANAGED)),)
    wb = openpyxl.load_workbook(path)
    assert wb["Contacts"].auto_filter.ref == f"A1:P{LAST}"
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
    assert f"'Contacts'!$A$1:$P${LAST}</definedName>" in book.replace("Contacts!", "'Contacts'!")
    assert load_quietly(path) == []
    assert run_sync(path).written is False


def test_an_openpyxl_autofilter_grows(tmp_path: Path) -> None:
    path = openpyxl_autofilter(tmp_path / "f.xlsx")
    run_sync(path)
    assert openpyxl.load_workbook(path)["Contacts"].auto_filter.ref == f"A1:P{LAST}"


# ---------------------------------------------------------------- the write's own check


def test_the_verify_step_refuses_any_other_change_to_a_table(tmp_path: Path) -> None:
    path = openpyxl_table(tmp_path / "t.xlsx")
    before = path.read_bytes()
    run_sync(path)
    after = path.read_bytes()
    growth = (TableGrowth("table", "Contacts1", 1, WIDTH, WIDTH + 3, tuple(MANAGED)),)
    assert xlsx_tables.unexpected_change(before, after, "Contacts", growth, book=False) is None
    tampered = _replace_part(
        after, "xl/tables/table1.xml", lambda x: x.replace(b'name="Email"', b'name="Mail"')
    )
    assert xlsx_tables.unexpected_change(before, tampered, "Contacts", growth, book=False) == (
        "table part xl/tables/table1.xml changed beyond its new columns"
    )


def _replace_part(data: bytes, name: str, edit: Callable[[bytes], bytes]) -> bytes:
    import io

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, edit(body) if info.filename == name else body)
    return out.getvalue()


# ---------------------------------------------------------------- validations, formats


def _with_rules(path: Path, *, validation: str | None = None, formats: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    if validation:
        dv = DataValidation(type="list", formula1='"Yes,No"')
        dv.add(validation)
        ws.add_data_validation(dv)
    if formats:
        fill = openpyxl.styles.PatternFill("solid", fgColor="FFC7CE")
        ws.conditional_formatting.add(
            formats, CellIsRule(operator="equal", formula=['"x"'], fill=fill)
        )
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("validation", "formats", "first"),
    [
        (None, None, "N"),
        ("N1:N1048576", None, "O"),  # a whole column the user prepared right of the data
        ("N2:N100", "P1:P9", "Q"),  # the three managed columns stay together
        ("A2:M100", "A1:M50", "N"),  # rules over the user's own columns do not matter
        ("N1:N1048576", "O1:O5", "P"),  # two blocked columns in a row
    ],
)
def test_managed_columns_go_where_no_user_rule_reaches(
    tmp_path: Path, validation: str | None, formats: str | None, first: str
) -> None:
    path = _with_rules(tmp_path / "r.xlsx", validation=validation, formats=formats)
    checked = pipeline.check(XlsxBackend(path), Settings(), TODAY)
    result = run_sync(path)
    got = [col_letter(result.plan.column_of[h]) for h in MANAGED]
    start = openpyxl.utils.column_index_from_string(first)
    assert got == [col_letter(start + i) for i in range(3)]
    assert not [w for w in checked.layout.warnings if "data validation" in w]


def test_rules_over_every_column_leave_the_columns_in_place_and_say_so(tmp_path: Path) -> None:
    path = _with_rules(tmp_path / "r.xlsx", validation="A1:XFD1048576")
    checked = pipeline.check(XlsxBackend(path), Settings(), TODAY)
    assert [w for w in checked.layout.warnings if "data validation" in w] == [
        "A data validation or conditional format in 'Contacts' applies to column(s) N, O, P, "
        "where sheetsync writes its status columns, and there is no free column to the right. "
        "Narrow that rule's range (Data > Data validation, or Format > Conditional formatting) "
        "to your own columns."
    ]
    result = run_sync(path)
    assert [result.plan.column_of[h] for h in MANAGED] == [WIDTH + 1, WIDTH + 2, WIDTH + 3]
    again = pipeline.check(XlsxBackend(path), Settings(), TODAY)  # the columns now exist
    assert [w for w in again.layout.warnings if "data validation" in w] == [
        "A data validation or conditional format in 'Contacts' applies to column(s) N, O, P, "
        "where sheetsync writes its status columns. Narrow that rule's range (Data > Data "
        "validation, or Format > Conditional formatting) to your own columns."
    ]


def test_ranges_are_read_in_every_form_excel_writes() -> None:
    block = xlsx_tables._block
    assert block("H:H") == MergedRange(1, 8, 1_048_576, 8)
    assert block("$B:$D") == MergedRange(1, 2, 1_048_576, 4)
    assert block("3:5") == MergedRange(3, 1, 5, 16_384)
    assert block("$C$2:$A$9") == MergedRange(2, 1, 9, 3)
    assert block("Q7") == MergedRange(7, 17, 7, 17)
    assert block("#REF!") is None


# ---------------------------------------------------------------- never corrupt


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    right=st.integers(min_value=2, max_value=WIDTH),
    extra=st.integers(min_value=0, max_value=2),
    totals=st.booleans(),
)
def test_a_synced_table_is_always_consistent(
    tmp_path: Path, right: int, extra: int, totals: bool
) -> None:
    """Whatever the table covers — all the data or part of it, a totals row or not — the
    synced workbook's tables agree with their header cells, and user cells are unchanged."""
    path = tmp_path / f"p-{right}-{extra}-{totals}.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    if totals:
        ws.cell(LAST + 1, 1, "Total")
    ref = f"A1:{col_letter(right)}{LAST + int(totals)}"
    table = Table(displayName="T", ref=ref, totalsRowCount=1 if totals else None)
    table.tableColumns = [TableColumn(id=i, name=h) for i, h in enumerate(HEADER[:right], 1)]
    ws.add_table(table)
    for i in range(extra):  # user columns right of the table
        ws.cell(1, WIDTH + 1 + i, f"Extra {i}")
    wb.save(path)
    before = openpyxl.load_workbook(path)["Contacts"]
    user = {(c.row, c.column): c.value for row in before.iter_rows() for c in row}
    run_sync(path)
    assert inconsistencies(path) == []
    after = openpyxl.load_workbook(path)["Contacts"]
    assert {k: after.cell(*k).value for k in user} == user
