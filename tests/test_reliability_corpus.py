"""A bad-input corpus: 34 kinds of odd or broken trackers not covered by test_bad_input.py.

Each kind goes through the console script's entry point (``sheetsync.cli:main``, in-process)
for ``check`` and ``sync``. Kinds that stop the run must exit 3 with a message that says what
to do and leave the folder exactly as it was (bytes and mtime of every file, no backup
folder). Kinds sheetsync can work with must give the expected findings, and ``sync`` must
leave every user cell — in every tab — exactly as it was (values, cached values of formulas,
and every package part other than the contacts sheet, styles and the prep tab byte for byte).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from .cli_runner import Result, snapshot

TODAY = "2026-03-16"
D = dt.date
BACKUPS = ".sheetsync-backups"
SHEET1 = "xl/worksheets/sheet1.xml"
PREP_TAB = "sheetsync · prep"


def book_rows(rows: list[list[object]], title: str = "Contacts") -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str) and value[:1] in "=+-@" and not value.startswith("=("):
                    cell.data_type = "s"
    return wb


def save(path: Path, rows: list[list[object]], title: str = "Contacts") -> Path:
    book_rows(rows, title).save(path)
    return path


def patch_parts(
    path: Path, change: Callable[[str, bytes], bytes | None], add: dict[str, bytes] | None = None
) -> Path:
    """Rewrite an .xlsx package part by part (``change`` may return None to drop a part)."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            new = change(info.filename, data)
            if new is not None:
                archive.writestr(info, new)
        for name, data in (add or {}).items():
            archive.writestr(name, data)
    path.write_bytes(out.getvalue())
    return path


def sub(part: str, old: str, new: str, count: int = 1) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        text = data.decode("utf-8")
        assert old in text, (part, old)
        return text.replace(old, new, count).encode("utf-8")

    return change


GOOD: list[list[object]] = [
    ["Name", "Organization", "Email", "Date contacted", "Response"],
    ["Ann Lee", "Acme", "ann@acme.org", D(2026, 3, 10)],
    ["Bo Chen", "Initech", "bo@initech.com", D(2026, 3, 2), "Y"],
]


# ---------------------------------------------------------------------- makers


def headers_only_whitespace(tmp: Path) -> Path:
    return save(tmp / "t.xlsx", [["  ", "\t", " \u00a0 ", "\n"], ["Ann Lee", "ann@acme.org"]])


def header_row_of_numbers(tmp: Path) -> Path:
    return save(tmp / "t.xlsx", [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [2026, 3, 16, 0, 1]])


def only_chart_sheets(tmp: Path) -> Path:
    wb = openpyxl.Workbook()
    data = wb.active
    assert data is not None
    data.title = "Data"
    data.append([1])
    chartsheet = wb.create_chartsheet("Chart")
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=1))
    chartsheet.add_chart(chart)
    wb.save(tmp / "charts.xlsx")
    path = tmp / "charts.xlsx"

    # drop the one worksheet from the package: what remains is a chart sheet only
    def drop(name: str, body: bytes) -> bytes | None:
        if name == SHEET1:
            return None
        if name == "xl/workbook.xml":
            return re.sub(rb'<sheet [^>]*name="Data"[^>]*/>', b"", body)
        if name == "xl/_rels/workbook.xml.rels":
            return re.sub(rb'<Relationship [^>]*worksheets/sheet1.xml"[^>]*/>', b"", body)
        if name == "[Content_Types].xml":
            return re.sub(rb'<Override [^>]*worksheets/sheet1.xml"[^>]*/>', b"", body)
        return body

    return patch_parts(path, drop)


def html_named_xlsx(tmp: Path) -> Path:
    path = tmp / "export.xlsx"
    path.write_text(
        "<html><head><meta charset='utf-8'></head><body><table><tr><td>Name</td>"
        "<td>Email</td></tr><tr><td>Ann Lee</td><td>ann@acme.org</td></tr></table></body></html>"
    )
    return path


def utf16_csv_named_xlsx(tmp: Path) -> Path:
    path = tmp / "export.xlsx"
    path.write_bytes("Name\tEmail\nAnn Lee\tann@acme.org\n".encode("utf-16"))
    return path


def docx_named_xlsx(tmp: Path) -> Path:
    path = tmp / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def gzip_named_xlsx(tmp: Path) -> Path:
    import gzip

    path = tmp / "t.xlsx"
    path.write_bytes(gzip.compress(b"Name,Email\nAnn,ann@acme.org\n"))
    return path


def png_named_xlsx(tmp: Path) -> Path:
    path = tmp / "t.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    return path


def workbook_xml_garbage(tmp: Path) -> Path:
    path = save(tmp / "t.xlsx", GOOD)
    return patch_parts(path, lambda n, d: b"<workbook" if n == "xl/workbook.xml" else d)


def widest_sheet(tmp: Path) -> Path:
    """A header that reaches the last column Excel has (XFD = 16384): no room after it."""
    wb = book_rows(GOOD)
    ws = wb["Contacts"]
    ws.cell(row=1, column=16384, value="Notes")
    ws.cell(row=2, column=16384, value="far right")
    wb.save(tmp / "wide.xlsx")
    return tmp / "wide.xlsx"


def duplicate_tab_names_in_case(tmp: Path) -> Path:
    wb = book_rows(GOOD)
    other = wb.create_sheet("Other")
    other.append(["Name", "Email"])
    other.append(["Cy Ng", "cy@globex.com"])
    wb.save(tmp / "t.xlsx")
    return patch_parts(tmp / "t.xlsx", sub("xl/workbook.xml", 'name="Other"', 'name="CONTACTS"'))


STOPS: dict[str, tuple[Callable[[Path], Path], list[str]]] = {
    "headers that are only whitespace": (
        headers_only_whitespace,
        ["No tab of t.xlsx looks like a contacts list", "header_row"],
    ),
    "a header row full of numbers": (
        header_row_of_numbers,
        ["No tab of t.xlsx looks like a contacts list", "[columns]"],
    ),
    "only chart sheets": (only_chart_sheets, ["charts.xlsx has no worksheets"]),
    "HTML saved as .xlsx": (
        html_named_xlsx,
        ["export.xlsx is a CSV or text file", "save it as .xlsx"],
    ),
    "UTF-16 CSV saved as .xlsx": (
        utf16_csv_named_xlsx,
        ["export.xlsx is not an .xlsx workbook", "save it as .xlsx"],
    ),
    "a Word document renamed .xlsx": (docx_named_xlsx, ["no workbook part", "save it as"]),
    "a gzip file renamed .xlsx": (gzip_named_xlsx, ["not an .xlsx workbook", "save it as .xlsx"]),
    "an image renamed .xlsx": (png_named_xlsx, ["not an .xlsx workbook"]),
    "workbook.xml is not XML": (
        workbook_xml_garbage,
        ["'xl/workbook.xml'", "not well-formed XML", "let it repair the workbook"],
    ),
}


# ---------------------------------------------------------------------- kinds sheetsync works with


HEAD = ["Name", "Organization", "Email", "Date contacted", "Response"]


def dates_as_text_in_every_format(tmp: Path) -> Path:
    texts = [
        "2026-03-10",
        "03/10/2026",
        "3/10/26",
        "March 10, 2026",
        "10 March 2026",
        "Mar 10 2026",
        "2026/03/10",
        "10-Mar-2026",
        "Tue 10 Mar 2026",
        "2026-03-10T09:30:00",
        "20260310",
        "TBD",
        "next week",
        "2026",
        "Mon",
        "13/13/2026",
        "31/02/2026",
        "?",
        "—",
        "03.10.2026",
    ]
    rows: list[list[object]] = [HEAD]
    for i, text in enumerate(texts):
        rows.append([f"Person {i:02d}", "Acme", f"p{i}@acme.org", text])
    return save(tmp / "t.xlsx", rows)


def epoch_1904(tmp: Path) -> Path:
    wb = book_rows(GOOD)
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    wb.save(tmp / "mac.xlsx")
    return tmp / "mac.xlsx"


def huge_cell(tmp: Path) -> Path:
    path = save(tmp / "t.xlsx", [*GOOD, ["Cy Ng", "Globex", "cy@globex.com", D(2026, 3, 10)]])
    note = "x" * 40_000  # over Excel's 32,767-character limit; written straight into the XML
    return patch_parts(
        path,
        sub(
            SHEET1,
            "</row></sheetData>",
            f'<c r="F4" t="inlineStr"><is><t>{note}</t></is></c></row></sheetData>',
        ),
    )


def control_characters(tmp: Path) -> Path:
    path = save(tmp / "t.xlsx", [*GOOD, ["Cy Ng", "Globex", "cy@globex.com", D(2026, 3, 10)]])
    nasty = "".join(f"_x{c:04X}_" for c in (1, 2, 7, 8, 11, 12, 27, 31))
    return patch_parts(
        path,
        sub(
            SHEET1,
            "</row></sheetData>",
            f'<c r="F4" t="inlineStr"><is><t>bell{nasty}end</t></is></c></row></sheetData>',
        ),
    )


def rtl_and_combining_headers(tmp: Path) -> Path:
    return save(
        tmp / "t.xlsx",
        [
            [
                "\u202bName\u202c",
                "Orga\u0301nization",
                "E\u0301mail",
                "Date contacted\u200f",
                "الملاحظات",
            ],
            ["Ann Lee", "Acme", "ann@acme.org", D(2026, 3, 10), "مرحبا"],
            ["Bo Chen", "Initech", "bo@initech.com", D(2026, 3, 2), "שלום"],
        ],
    )


def error_in_every_column(tmp: Path) -> Path:
    codes = ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?"]
    path = save(
        tmp / "t.xlsx",
        [HEAD, ["Ann Lee", "Acme", "ann@acme.org", D(2026, 3, 10), "Y"], ["x", "x", "x", "x", "x"]],
    )
    xml_cells = "".join(
        f'<c r="{col}3" t="e"><f>1/0</f><v>{code}</v></c>'
        for col, code in zip("ABCDE", codes, strict=True)
    )

    def change(name: str, data: bytes) -> bytes:
        if name != SHEET1:
            return data
        return re.sub(
            rb'<row r="3".*?</row>', f'<row r="3">{xml_cells}</row>'.encode(), data, flags=re.S
        )

    return patch_parts(path, change)


def formulas_without_cached_values(tmp: Path) -> Path:
    rows: list[list[object]] = [HEAD]
    for r in range(2, 8):
        rows.append(
            [
                f'=CONCAT("Person ",{r})',
                '="Acme"',
                f'="p{r}@acme.org"',
                "=TODAY()-6",
                '=IF(1,"","Y")',
            ]
        )
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    for row in rows:
        ws.append(row)
    wb.save(tmp / "t.xlsx")  # openpyxl writes formulas with no cached value at all
    return tmp / "t.xlsx"


INJECTED = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1,2)", '=HYPERLINK("http://evil","x")']


def injected_formula_text(tmp: Path) -> Path:
    rows: list[list[object]] = [HEAD]
    for i, text in enumerate(INJECTED):
        rows.append([text, text, f"p{i}@acme.org", D(2026, 3, 10), None, text])
    rows[0] = [*HEAD, "Notes"]
    return save(tmp / "t.xlsx", rows)


VBA = b"\xd0\xcf\x11\xe0" + bytes(range(256)) * 8  # stands in for a compiled VBA project


def xlsm_with_macros(tmp: Path) -> Path:
    path = save(tmp / "t.xlsm", GOOD)
    macro_type = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

    def change(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            data = data.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                macro_type.encode(),
            )
            return data.replace(
                b"</Types>",
                b'<Default Extension="bin" '
                b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
            )
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
            )
        return data

    return patch_parts(path, change, add={"xl/vbaProject.bin": VBA})


def hidden_contacts_tab(tmp: Path) -> Path:
    wb = book_rows(GOOD)
    wb.create_sheet("Cover").append(["My tracker — see the hidden tab"])
    wb["Contacts"].sheet_state = "hidden"
    wb.active = 1
    wb.save(tmp / "t.xlsx")
    return tmp / "t.xlsx"


def hundred_thousand_rows(tmp: Path) -> Path:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Contacts")
    ws.append(HEAD)
    for i in range(100_000):
        ws.append(
            [f"Person {i}", "Acme", f"p{i}@example.org", D(2026, 3, 10), "yes" if i % 2 else None]
        )
    wb.save(tmp / "big.xlsx")
    return tmp / "big.xlsx"


def booleans_and_numbers_in_date_columns(tmp: Path) -> Path:
    rows: list[list[object]] = [HEAD]
    for i, value in enumerate([True, False, 0, -5, 1e9, 3.5, 2_958_466]):
        rows.append([f"Person {i}", "Acme", f"p{i}@acme.org", value])
    return save(tmp / "t.xlsx", rows)


def extreme_dates(tmp: Path) -> Path:
    rows: list[list[object]] = [HEAD]
    for i, value in enumerate([D(1900, 1, 1), D(1900, 3, 1), D(9999, 12, 31), D(2100, 1, 1)]):
        rows.append([f"Person {i}", "Acme", f"p{i}@acme.org", value])
    return save(tmp / "t.xlsx", rows)


def odd_names_and_emails(tmp: Path) -> Path:
    return save(
        tmp / "t.xlsx",
        [
            HEAD,
            [12345, "Acme", "a@acme.org; b@acme.org", D(2026, 3, 10)],
            ["🦄", "Acme", "not an email", D(2026, 3, 10)],
            ["nan", "None", "NULL", D(2026, 3, 10)],
            ["#N/A", "TRUE", "mailto:x@y.org", D(2026, 3, 10)],
            ["Ann\nLee", "Acme\t", " ann@acme.org ", D(2026, 3, 10)],
        ],
    )


def rows_wider_than_the_header(tmp: Path) -> Path:
    wb = book_rows(GOOD)
    ws = wb["Contacts"]
    for c in range(6, 1006):
        ws.cell(row=2, column=c, value=f"v{c}")
    wb.save(tmp / "t.xlsx")
    return tmp / "t.xlsx"


def lying_dimension(tmp: Path) -> Path:
    path = save(tmp / "t.xlsx", GOOD)
    return patch_parts(
        path, sub(SHEET1, '<dimension ref="A1:E3"/>', '<dimension ref="A1:XFD1048576"/>')
    )


def protected_sheet(tmp: Path) -> Path:
    wb = book_rows(GOOD)
    wb["Contacts"].protection.sheet = True
    wb["Contacts"].protection.password = "secret"
    wb.save(tmp / "t.xlsx")
    return tmp / "t.xlsx"


def quoted_tab_name(tmp: Path) -> Path:
    return save(tmp / "t.xlsx", GOOD, title='Bob\'s "network" (2026)')


def upper_case_extension_and_unicode_path(tmp: Path) -> Path:
    return save(tmp / "Réseau pro — 2026.XLSX", GOOD)


def many_empty_tabs(tmp: Path) -> Path:
    wb = book_rows(GOOD)
    for i in range(60):
        wb.create_sheet(f"Empty {i}")
    wb.move_sheet("Contacts", offset=30)
    wb.save(tmp / "t.xlsx")
    return tmp / "t.xlsx"


def headers_with_line_breaks(tmp: Path) -> Path:
    return save(
        tmp / "t.xlsx",
        [
            [
                "Full\nname",
                "Organi-\nzation",
                "E-mail\naddress",
                "Date\r\ncontacted",
                "Response\n(Y/N)",
            ],
            ["Ann Lee", "Acme", "ann@acme.org", D(2026, 3, 10)],
        ],
    )


def merged_header_cells(tmp: Path) -> Path:
    wb = book_rows(
        [
            ["Contact", None, "Outreach", None],
            ["Name", "Email", "Date contacted", "Response"],
            ["Ann Lee", "ann@acme.org", D(2026, 3, 10)],
        ]
    )
    wb["Contacts"].merge_cells("A1:B1")
    wb["Contacts"].merge_cells("C1:D1")
    wb.save(tmp / "t.xlsx")
    return tmp / "t.xlsx"


@dataclass
class Kind:
    make: Callable[[Path], Path]
    check_code: int  # 0: nothing to do, 1: findings
    expect: list[str] = field(default_factory=list)  # phrases in `check --format json` output
    rules: set[str] = field(default_factory=set)  # rules that must be among the findings
    synced: bool = True  # sync writes its columns


WORKS: dict[str, Kind] = {}
WORKS.update(
    {
        "dates typed as text in 20 formats": Kind(
            dates_as_text_in_every_format, 1, ["bad-date"], {"bad-date", "follow-up-3b"}
        ),
        "a 1904-epoch (old Mac) workbook": Kind(
            epoch_1904, 1, ['"due": "2026-03-13"'], {"follow-up-3b"}
        ),
        "a 40,000-character cell": Kind(huge_cell, 1, [], {"follow-up-3b"}),
        "control characters in text": Kind(control_characters, 1, [], {"follow-up-3b"}),
        "RTL marks and combining accents in headers": Kind(
            rtl_and_combining_headers, 0, ['"organization": "Orga\u0301nization"']
        ),
        "an error value in every column": Kind(
            error_in_every_column, 1, ["#DIV/0!"], {"bad-value"}
        ),
        "formulas everywhere, no cached values": Kind(formulas_without_cached_values, 0),
        "formula-like text (= + - @) in every column": Kind(
            injected_formula_text, 1, [], {"follow-up-3b"}
        ),
        "an .xlsm with a VBA project": Kind(xlsm_with_macros, 1, [], {"follow-up-3b"}),
        "a hidden contacts tab": Kind(
            hidden_contacts_tab, 1, ['"worksheet": "Contacts"'], {"follow-up-3b"}
        ),
        "booleans and numbers in a date column": Kind(
            booleans_and_numbers_in_date_columns, 1, [], {"bad-date"}
        ),
        "dates in 1900 and 9999": Kind(extreme_dates, 1, [], {"bad-date"}),
        "numbers, emoji and junk as names and emails": Kind(
            odd_names_and_emails, 1, [], {"follow-up-3b"}
        ),
        "data 1,000 columns wider than the header": Kind(
            rows_wider_than_the_header, 1, [], {"follow-up-3b"}
        ),
        "a dimension claiming A1:XFD1048576": Kind(lying_dimension, 1, [], {"follow-up-3b"}),
        "a password-protected sheet": Kind(protected_sheet, 1, [], {"follow-up-3b"}),
        "quotes and an apostrophe in the tab name": Kind(
            quoted_tab_name, 1, ['Bob\'s \\"network\\" (2026)'], {"follow-up-3b"}
        ),
        "an upper-case .XLSX with a Unicode name": Kind(
            upper_case_extension_and_unicode_path, 1, [], {"follow-up-3b"}
        ),
        "60 empty tabs around the contacts tab": Kind(many_empty_tabs, 1, [], {"follow-up-3b"}),
        "line breaks inside header cells": Kind(headers_with_line_breaks, 1, [], {"follow-up-3b"}),
        "merged group headers above the header row": Kind(
            merged_header_cells, 1, ['"header_row": 2'], {"follow-up-3b"}
        ),
        "two tabs whose names differ only in case": Kind(
            duplicate_tab_names_in_case, 1, ['"worksheet": "Contacts"'], {"follow-up-3b"}
        ),
    }
)


# ---------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", list(STOPS), ids=list(STOPS))
@pytest.mark.parametrize("command", ["check", "sync"])
def test_input_that_stops_the_run(
    case: str, command: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    make, phrases = STOPS[case]
    path = make(tmp_path)
    before = snapshot(tmp_path)
    res = cli(command, path.name, "--today", TODAY)
    assert res.code == 3, res.text
    assert res.err.startswith("Error:") and res.out == ""
    for phrase in phrases:
        assert phrase in res.text, (phrase, res.text)
    assert "bug in sheetsync" not in res.text
    assert snapshot(tmp_path) == before
    assert not (tmp_path / BACKUPS).exists()


def grid(path: Path) -> dict[str, list[list[Any]]]:
    """Every tab's values as a non-recalculating reader sees them (python-calamine)."""
    book = CalamineWorkbook.from_path(str(path))
    return {
        name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for name in book.sheet_names
        if name != PREP_TAB
    }


def assert_user_cells_unchanged(
    before: dict[str, list[list[Any]]], after: dict[str, list[list[Any]]]
) -> None:
    assert list(after) == list(before)
    for tab, rows in before.items():
        new = after[tab]
        managed = {
            c
            for row in new
            for c, v in enumerate(row)
            if isinstance(v, str) and v.startswith("sheetsync ·")
        }
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if c not in managed:
                    assert new[r][c] == value, (tab, r + 1, c + 1, value, new[r][c])
        for r, row in enumerate(new):
            for c, value in enumerate(row):
                old = rows[r][c] if r < len(rows) and c < len(rows[r]) else ""
                if value != old:
                    assert c in managed, (tab, r + 1, c + 1, old, value)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


SYNC_PARTS = {
    SHEET1,
    "xl/styles.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "docProps/app.xml",
}


@pytest.mark.parametrize("case", list(WORKS), ids=list(WORKS))
def test_input_sheetsync_works_with(case: str, tmp_path: Path, cli: Callable[..., Result]) -> None:
    kind = WORKS[case]
    path = kind.make(tmp_path)
    before = snapshot(tmp_path)
    res = cli("check", path.name, "--today", TODAY, "--format", "json")
    assert res.code == kind.check_code, res.text
    for phrase in kind.expect:
        assert phrase in res.out, (phrase, res.out[:2000])
    found = {f["rule"] for f in res.json()["findings"]}
    assert kind.rules <= found, found
    assert snapshot(tmp_path) == before  # check writes nothing
    grid_before, parts_before = grid(path), parts(path)
    res = cli("sync", path.name, "--today", TODAY)
    assert res.code == 0, res.text
    assert_user_cells_unchanged(grid_before, grid(path))
    parts_after = parts(path)
    sheet_parts = {n for n in parts_before if n.startswith("xl/worksheets/")}
    for name, data in parts_before.items():
        if name not in SYNC_PARTS | sheet_parts:
            assert parts_after[name] == data, name  # every other part byte for byte
    again = cli("check", path.name, "--today", TODAY, "--format", "json")
    assert {f["rule"] for f in again.json()["findings"]} == found  # check after sync: same view
    assert cli("sync", path.name, "--today", TODAY).code == 0
    assert "Nothing to change" in cli("sync", path.name, "--today", TODAY).out


def test_xlsm_macros_survive_byte_for_byte(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = xlsm_with_macros(tmp_path)
    types_before = parts(path)["[Content_Types].xml"]
    assert cli("sync", path.name, "--today", TODAY).code == 0
    after = parts(path)
    assert after["xl/vbaProject.bin"] == VBA
    assert b"macroEnabled.main+xml" in after["[Content_Types].xml"]
    assert after["[Content_Types].xml"].count(b"vbaProject") == types_before.count(b"vbaProject")
    assert b"vbaProject.bin" in after["xl/_rels/workbook.xml.rels"]


def test_formula_like_text_is_never_written_as_a_formula(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = injected_formula_text(tmp_path)
    formulas_before = parts(path)[SHEET1].count(b"<f>")
    assert cli("sync", path.name, "--today", TODAY).code == 0
    xml = parts(path)[SHEET1]
    assert xml.count(b"<f>") == formulas_before == 0
    ws = openpyxl.load_workbook(path)["Contacts"]
    assert (ws["G1"].value, ws["H1"].value) == ("sheetsync · status", "sheetsync · next step")
    statuses = [c.value for c in ws["G"][1:]]
    steps = [c.value for c in ws["H"][1:]]
    assert all(isinstance(v, str) for v in statuses + steps if v is not None)
    assert any(str(v).startswith("No reply from =cmd|") for v in steps), steps
    assert all(ws.cell(row=r, column=c).data_type != "f" for r in range(2, 7) for c in (7, 8))


def test_huge_and_control_character_cells_are_kept(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    big = huge_cell(tmp_path)
    assert cli("sync", big.name, "--today", TODAY).code == 0
    assert grid(big)["Contacts"][3][5] == "x" * 40_000  # not truncated to Excel's 32,767


def test_1904_dates_are_written_in_the_1904_epoch(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = epoch_1904(tmp_path)
    assert cli("sync", path.name, "--today", TODAY).code == 0
    ws = openpyxl.load_workbook(path)["Contacts"]
    due = {c.value: c.column for c in ws[1]}["sheetsync · due"]
    assert ws.cell(row=2, column=due).value.date() == D(2026, 3, 13)
    assert ws.cell(row=2, column=4).value.date() == D(2026, 3, 10)


def test_formulas_without_cached_values_read_as_blank_rows(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """What a non-recalculating reader sees: no values. sheetsync says so (0 contacts, and
    why, and what to do) rather than guessing, and leaves every formula in place."""
    path = formulas_without_cached_values(tmp_path)
    res = cli("check", path.name, "--today", TODAY)
    assert res.code == 0 and "0 contacts" in res.out
    assert "30 formula cells in 'Contacts' have no saved result" in res.out
    assert "save it once" in res.out
    warnings = cli("check", path.name, "--today", TODAY, "--format", "json").json()["warnings"]
    assert any("30 formula cells" in w for w in warnings)
    assert cli("sync", path.name, "--today", TODAY).code == 0
    assert openpyxl.load_workbook(path)["Contacts"]["D2"].value == "=TODAY()-6"


def test_hundred_thousand_rows(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = hundred_thousand_rows(tmp_path)
    before = snapshot(tmp_path)
    res = cli("check", path.name, "--today", TODAY, "--format", "json")
    assert res.code == 1
    findings = res.json()["findings"]
    assert len(findings) == 50_000 and {f["rule"] for f in findings} == {"follow-up-3b"}
    assert findings[0]["row"] == 2 and findings[-1]["row"] == 100_000
    assert snapshot(tmp_path) == before


def test_sheet_as_wide_as_excel_allows_stops_and_writes_nothing(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = widest_sheet(tmp_path)
    check = cli("check", path.name, "--today", TODAY, "--format", "json")
    assert check.code == 1  # reading is fine
    before = snapshot(tmp_path)
    res = cli("sync", path.name, "--today", TODAY)
    assert res.code == 3
    assert snapshot(tmp_path) == before
    assert not (tmp_path / BACKUPS).exists()


def test_sheet_as_wide_as_excel_allows_says_what_to_do(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = widest_sheet(tmp_path)
    res = cli("sync", path.name, "--today", TODAY)
    assert res.code == 3
    assert "bug in sheetsync" not in res.text
    assert "column" in res.text and "--output" not in res.text
