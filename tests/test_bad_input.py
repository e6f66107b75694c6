"""Bad input: every one gives a clear message and the right exit code, never a traceback.

The command line's main function (``sheetsync.cli.main``, which the console script runs) is
called in-process so that the whole matrix — ``check`` and ``sync`` over every bad file —
stays quick; an exception that escapes ``main`` fails the test just as a traceback would fail
a user. A run that stops
must write nothing: for ``sync`` the folder (every file's bytes and mtime) is unchanged and
no backup folder appears.
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from .cli_runner import Result, snapshot

TODAY = "2026-03-16"
D = dt.date
BACKUPS = ".sheetsync-backups"


def new_book(title: str = "Contacts") -> tuple[openpyxl.Workbook, Worksheet]:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    return wb, ws


def save_rows(path: Path, rows: list[list[object]], title: str = "Contacts") -> Path:
    wb, ws = new_book(title)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


def rewrite_zip(src: Path, dest: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy an .xlsx package part by part; ``change`` may alter a part or drop it (None)."""
    with zipfile.ZipFile(src) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            new = change(info.filename, data)
            if new is not None:
                archive.writestr(info, new)
    return dest


SHEET1 = "xl/worksheets/sheet1.xml"
GOOD_ROWS: list[list[object]] = [
    ["Name", "Email", "Date contacted", "Response"],
    ["Ann Lee", "ann@acme.org", D(2026, 3, 10)],
]


# ---------------------------------------------------------------------- inputs that stop the run


def _empty_workbook(tmp: Path) -> Path:
    wb, _ = new_book("Sheet1")
    wb.save(tmp / "empty.xlsx")
    return tmp / "empty.xlsx"


def _no_header(tmp: Path) -> Path:
    wb, ws = new_book("Sheet1")
    ws["A1"] = "Things to remember"
    ws["B3"] = 42
    ws["A5"], ws["C5"] = "ask about", "internships"
    wb.create_sheet("Ideas").append(["Question", "Priority"])
    wb.save(tmp / "notes.xlsx")
    return tmp / "notes.xlsx"


def _cfb(tmp: Path) -> Path:
    path = tmp / "protected.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(range(256)) * 4)
    return path


def _truncated(tmp: Path) -> Path:
    good = save_rows(tmp / "whole.xlsx", GOOD_ROWS)
    data = good.read_bytes()
    good.unlink()
    path = tmp / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def _other_format(suffix: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / f"tracker{suffix}"
        path.write_bytes(b"Name,Email\nAnn Lee,ann@acme.org\n")
        return path

    return make


def _csv_renamed(tmp: Path) -> Path:
    path = tmp / "export.xlsx"
    path.write_text("Name,Email,Date contacted\nAnn Lee,ann@acme.org,2026-03-10\n")
    return path


def _zero_bytes(tmp: Path) -> Path:
    path = tmp / "zero.xlsx"
    path.write_bytes(b"")
    return path


def _missing(tmp: Path) -> Path:
    return tmp / "nowhere.xlsx"


def _directory(tmp: Path) -> Path:
    path = tmp / "tracker.xlsx"
    path.mkdir()
    return path


def _zip_not_xlsx(tmp: Path) -> Path:
    path = tmp / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return path


STOPPING = {
    "empty workbook": (_empty_workbook, ["is empty", "Add your contacts", "sheetsync init"]),
    "no header anywhere": (
        _no_header,
        ["No tab", "looks like a contacts list", "'Sheet1'", "'Ideas'", "header_row"],
    ),
    "password-protected (CFB)": (_cfb, ["password-protected", "remove the password", ".xlsx"]),
    "truncated zip": (_truncated, ["damaged", "Excel or LibreOffice", ".xlsx"]),
    ".xls": (_other_format(".xls"), ["'.xls' file", ".xlsx", "Save it as .xlsx"]),
    # .csv and .ods are read (check, export, …) and refused by sync: tests/test_readonly.py
    ".numbers": (_other_format(".numbers"), ["'.numbers' file", "Save it as .xlsx"]),
    "CSV renamed to .xlsx": (_csv_renamed, ["CSV or text file", "save it as .xlsx"]),
    "zero bytes": (_zero_bytes, ["empty (0 bytes)", "backup", "sheetsync init"]),
    "missing file": (_missing, ["nowhere.xlsx does not exist", "Check the path"]),
    "a directory": (_directory, ["is a folder, not a workbook"]),
    "zip without a workbook": (_zip_not_xlsx, ["no workbook part", "save it as"]),
}


@pytest.mark.parametrize("case", list(STOPPING), ids=list(STOPPING))
@pytest.mark.parametrize("command", ["check", "sync"])
def test_stopping_input(
    case: str, command: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    make, phrases = STOPPING[case]
    path = make(tmp_path)
    before = snapshot(tmp_path)
    res = cli(command, path.name, "--today", TODAY)
    assert res.code == 3, res.err
    assert res.text.startswith("Error:"), res.err
    for phrase in phrases:
        assert phrase in res.text, (phrase, res.text)
    assert res.out == ""
    assert snapshot(tmp_path) == before  # nothing written, nothing touched
    assert not (tmp_path / BACKUPS).exists()


def _corrupt_sheet_xml(tmp: Path) -> Path:
    good = save_rows(tmp / "good.xlsx", GOOD_ROWS)

    def break_xml(name: str, data: bytes) -> bytes:
        return data.replace(b'<c r="A1"', b"<c r=A1") if name == SHEET1 else data

    path = rewrite_zip(good, tmp / "broken.xlsx", break_xml)
    good.unlink()
    return path


def _missing_sheet_part(tmp: Path) -> Path:
    good = save_rows(tmp / "good.xlsx", GOOD_ROWS)
    path = rewrite_zip(good, tmp / "nosheet.xlsx", lambda n, d: None if n == SHEET1 else d)
    good.unlink()
    return path


@pytest.mark.parametrize("make", [_corrupt_sheet_xml, _missing_sheet_part], ids=["xml", "part"])
def test_damaged_worksheet_inside_a_valid_zip(
    make: Callable[[Path], Path], tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = make(tmp_path)
    before = snapshot(tmp_path)
    for command in ("check", "sync"):
        res = cli(command, path.name, "--today", TODAY)
        assert res.code == 3
        assert "Excel or LibreOffice" in res.text and "bug in sheetsync" not in res.text
    assert snapshot(tmp_path) == before


def _strict_ooxml(tmp_path: Path, part: str) -> Path:
    """A tracker whose package names its parts in the Strict Open XML namespaces (as Excel's
    "Strict Open XML Spreadsheet" saves them): in its relationships, or in workbook.xml."""
    good = tmp_path / "good.xlsx"
    openpyxl.Workbook().save(good)
    path = tmp_path / f"strict-{part.replace('/', '_')}.xlsx"
    transitional = {
        "_rels/.rels": b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "xl/workbook.xml": b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    }
    strict = {
        "_rels/.rels": b"http://purl.oclc.org/ooxml/officeDocument/relationships",
        "xl/workbook.xml": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    }
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                data = data.replace(transitional[part], strict[part])
            dst.writestr(info, data)
    good.unlink()
    return path


@pytest.mark.parametrize("part", ["_rels/.rels", "xl/workbook.xml"])
def test_a_strict_open_xml_workbook_is_refused_with_what_to_do(
    part: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = _strict_ooxml(tmp_path, part)
    before = snapshot(tmp_path)
    res = cli("sync", path.name, "--today", TODAY)
    assert res.code == 3, res.text
    assert "Strict Open XML Spreadsheet" in res.text and "Excel Workbook (.xlsx)" in res.text
    assert snapshot(tmp_path) == before


def test_plain_directory_is_called_a_folder(tmp_path: Path, cli: Callable[..., Result]) -> None:
    (tmp_path / "trackers").mkdir()
    res = cli("check", "trackers", "--today", TODAY)
    assert res.code == 3
    assert "is a folder" in res.text


def test_square_brackets_in_messages_are_printed_literally(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    _no_header(tmp_path)
    res = cli("check", "notes.xlsx", "--today", TODAY)
    assert "[columns]" in res.text  # the hint says which table to edit
    save_rows(
        tmp_path / "my [old] tracker.xlsx",
        [["Name", "Email", "Email"], ["Ann Lee", "ann@acme.org", "ann@home.net"]],
    )
    res = cli("check", "my [old] tracker.xlsx", "--today", TODAY, "--exit-zero")
    assert "my [old] tracker.xlsx ›" in res.out
    assert "Set [columns] email" in " ".join(res.out.split())
    res = cli("check", "[/x].xlsx", "--today", TODAY)  # raises MarkupError today
    assert res.code == 3
    assert "[/x].xlsx does not exist" in res.text


# ---------------------------------------------------------------------- inputs that are findings


def test_duplicate_header_names(tmp_path: Path, cli: Callable[..., Result]) -> None:
    save_rows(
        tmp_path / "dup.xlsx",
        [
            ["Name", "Email", "Email", "Date contacted"],
            ["Ann Lee", "ann@acme.org", "ann@home.net"],
            ["A. Lee", "ann@acme.org", "lee@other.org"],
        ],
    )
    first = cli("check", "dup.xlsx", "--today", TODAY, "--format", "json")
    assert first.code == 1
    out = first.json()
    assert out["columns"]["email"] == "Email"
    assert out["unmapped"] == ["Email"]
    (warning,) = out["warnings"]
    assert "B ('Email')" in warning and "C ('Email')" in warning
    assert "using column B" in warning and "sheetsync.toml" in warning
    # column B (the leftmost) is the one used: its emails make row 3 a duplicate of row 2
    assert [(f["row"], f["rule"]) for f in out["findings"]] == [(3, "duplicate-contact")]
    again = cli("check", "dup.xlsx", "--today", TODAY, "--format", "json")
    assert again.json() == out  # deterministic
    text = cli("check", "dup.xlsx", "--today", TODAY)
    assert "both look like 'email'" in " ".join(text.out.split())


def _write_errors(tmp_path: Path) -> Path:
    """Formulas whose saved results are errors (#REF!, #N/A, #DIV/0!), as Excel leaves them."""
    wb, ws = new_book()
    for c, header in enumerate(["Name", "Organization", "Email", "Date contacted", "Response"], 1):
        ws.cell(row=1, column=c, value=header)
    ws["A2"], ws["B2"], ws["C2"] = "Ann Lee", "=VLOOKUP(A2,Orgs!A:B,2,FALSE)", "ann@acme.org"
    ws["A3"], ws["B3"], ws["C3"], ws["D3"] = "Bo Chen", "Initech", "bo@initech.com", "=#REF!+1"
    ws["A4"], ws["B4"], ws["C4"], ws["D4"] = "Cy Ng", "Globex", "=1/0", D(2026, 3, 10)
    wb.save(tmp_path / "errors.xlsx")
    errors = {"B2": "#N/A", "D3": "#REF!", "C4": "#DIV/0!"}

    def store(name: str, data: bytes) -> bytes:
        if name != SHEET1:
            return data
        xml = data.decode("utf-8")
        for ref, code in errors.items():
            start = xml.index(f'<c r="{ref}"')
            end = xml.index("</c>", start)
            formula = xml[xml.index("<f>", start) : xml.index("</f>", start) + 4]
            xml = xml[:start] + f'<c r="{ref}" t="e">{formula}<v>{code}</v>' + xml[end:]
        return xml.encode("utf-8")

    path = tmp_path / "errors.xlsx"
    rewrite_zip(path, tmp_path / "with-errors.xlsx", store)
    path.unlink()
    return tmp_path / "with-errors.xlsx"


def test_formula_errors_are_bad_value_findings(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = _write_errors(tmp_path)
    res = cli("check", path.name, "--today", TODAY, "--format", "json")
    assert res.code == 1
    found = {(f["row"], f["rule"]): f["message"] for f in res.json()["findings"]}
    assert sorted(found) == [
        (2, "bad-value"),
        (3, "bad-value"),
        (4, "bad-value"),
        (4, "follow-up-3b"),
    ]
    assert "B2 ('Organization') holds '#N/A'" in found[2, "bad-value"]
    assert "D3 ('Date contacted') holds '#REF!'" in found[3, "bad-value"]
    assert "C4 ('Email') holds '#DIV/0!'" in found[4, "bad-value"]
    # sync writes its columns and leaves every error where it was
    res = cli("sync", path.name, "--today", TODAY, "--format", "json")
    assert res.code == 0 and res.json()["written"] is True
    sheet = openpyxl.load_workbook(path, data_only=True)["Contacts"]
    assert (sheet["B2"].value, sheet["D3"].value, sheet["C4"].value) == ("#N/A", "#REF!", "#DIV/0!")
    again = cli("check", path.name, "--today", TODAY, "--format", "json")
    assert sorted((f["row"], f["rule"]) for f in again.json()["findings"]) == sorted(found)


def _merged_body(tmp_path: Path) -> Path:
    wb, ws = new_book()
    rows: list[list[object]] = [
        ["Name", "Organization", "Email", "Date contacted", "Response", "Notes"],
        ["Ann Lee", "Acme", "ann@acme.org", D(2026, 3, 10), None, "met at the retreat"],
        ["Bo Chen", "Initech", "bo@initech.com", D(2026, 3, 3)],
        ["Cy Ng", None, "cy@initech.com", D(2026, 3, 3)],
        ["Industry contacts"],
        ["Di Ray", "Globex", "di@globex.com", D(2026, 3, 12)],
    ]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    ws.merge_cells("F2:J2")  # a long note spread over the empty columns to its right
    ws.merge_cells("B3:B4")  # one organisation for two people
    ws.merge_cells("A5:F5")  # a section heading
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    return path


def test_merged_cells_in_the_body(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = _merged_body(tmp_path)
    res = cli("check", path.name, "--today", TODAY, "--format", "json")
    assert res.code == 1
    assert sorted((f["row"], f["rule"]) for f in res.json()["findings"]) == [
        (2, "follow-up-3b"),
        (3, "follow-up-7b"),
        (4, "follow-up-7b"),
    ]
    dry = cli("sync", path.name, "--today", TODAY, "--format", "json", "--dry-run")
    assert dry.code == 0
    assert dry.json()["rows_read"] == 4  # the merged heading on row 5 is not a contact


def test_sync_does_not_write_under_a_merged_range(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = _merged_body(tmp_path)
    res = cli("sync", path.name, "--today", TODAY, "--format", "json")
    assert res.code == 0
    sheet = openpyxl.load_workbook(path)["Contacts"]
    header = {c.value: c.column for c in sheet[1] if c.value}
    managed = [col for text, col in header.items() if str(text).startswith("sheetsync")]
    assert len(managed) == 3
    for merged in sheet.merged_cells.ranges:
        if merged.max_row >= 2:  # body merges
            assert not any(merged.min_col <= col <= merged.max_col for col in managed), merged


def test_non_ascii_names(tmp_path: Path, cli: Callable[..., Result]) -> None:
    nfc = unicodedata.normalize("NFC", "Zoë Müller")
    nfd = unicodedata.normalize("NFD", "Zoë Müller")
    assert nfc != nfd
    rtl = "سارة أحمد"
    emoji = "Sam 🦄 Okafor"
    path = save_rows(
        tmp_path / "names.xlsx",
        [
            ["Name", "Organization", "Email", "Date contacted", "Response"],
            [nfc, "Universität Zürich", None, D(2026, 3, 10)],
            [nfd, "universitat zurich", None, None, "yes"],
            [rtl, "شركة", "sara@example.org", D(2026, 3, 3)],
            [emoji, "Acme", "sam@acme.org", D(2026, 3, 11)],
            ["Łukasz Nowak", "Nguyễn & Co", "lukasz@example.org", None, "tak"],
        ],
    )
    res = cli("check", path.name, "--today", TODAY, "--format", "json")
    assert res.code == 1
    got = sorted((f["row"], f["rule"], f["contact"]) for f in res.json()["findings"])
    assert got == [
        (2, "follow-up-3b", nfc),
        (3, "duplicate-contact", nfd),  # same person once accents are folded
        (3, "no-contact-info", nfd),
        (4, "follow-up-7b", rtl),
        (5, "follow-up-3b", emoji),
    ]
    assert rtl in res.out  # JSON keeps the text readable (ensure_ascii=False)
    text = cli("check", path.name, "--today", TODAY)
    assert text.code == 1 and emoji in text.out and rtl in text.out
    res = cli("sync", path.name, "--today", TODAY, "--format", "json")
    assert res.code == 0 and res.json()["written"] is True
    names = [c.value for c in openpyxl.load_workbook(path)["Contacts"]["A"]][1:]
    assert names == [nfc, nfd, rtl, emoji, "Łukasz Nowak"]  # byte-for-byte as typed


def test_zero_width_spaces_and_boms(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = save_rows(
        tmp_path / "invisible.xlsx",
        [
            [
                "\ufeffName",
                "Organization\u200b",
                "\u200bEmail\u200b",
                "Date contacted\u00a0",
                "\u2060Response",
            ],
            ["Ann Lee", "Acme", "\u200bann@acme.org", "\ufeff2026-03-10\u200b"],
            ["Ann Lee (home)", "Acme", "ann@acme.org\u200b", None, "\u200byes"],
        ],
    )
    res = cli("check", path.name, "--today", TODAY, "--format", "json")
    assert res.code == 1
    out = res.json()
    assert out["columns"] == {
        "name": "Name",
        "organization": "Organization",
        "email": "Email",
        "outreach_date": "Date contacted",
        "response": "Response",
    }
    assert out["unmapped"] == []
    found = {(f["row"], f["rule"]): f for f in out["findings"]}
    assert sorted(found) == [(2, "follow-up-3b"), (3, "duplicate-contact")]
    assert found[2, "follow-up-3b"]["due"] == "2026-03-13"  # the date was read through them


def test_ten_thousand_rows(tmp_path: Path, cli: Callable[..., Result]) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Contacts")
    ws.append(["Name", "Email", "Date contacted", "Response"])
    for i in range(10_000):
        sent = D(2026, 3, 10) if i % 2 else D(2026, 3, 12)
        ws.append([f"Person {i}", f"p{i}@example.org", sent, "yes" if i % 3 == 0 else None])
    path = tmp_path / "big.xlsx"
    wb.save(path)
    before = snapshot(tmp_path)
    res = cli("check", path.name, "--today", TODAY, "--format", "json")
    assert res.code == 1
    rows = [f["row"] for f in res.json()["findings"]]
    # odd i (sent Tue 3/10) without a reply (i not a multiple of 3): sheet row i + 2
    assert rows == [i + 2 for i in range(10_000) if i % 2 and i % 3]
    assert {f["rule"] for f in res.json()["findings"]} == {"follow-up-3b"}
    dry = cli("sync", path.name, "--today", TODAY, "--format", "json", "--dry-run")
    assert dry.code == 0
    assert dry.json()["rows_read"] == 10_000
    assert snapshot(tmp_path) == before


def test_header_on_row_12_below_junk(tmp_path: Path, cli: Callable[..., Result]) -> None:
    wb, ws = new_book("Tracker")
    ws["A1"] = "Career plan 2026"
    ws["A3"], ws["B3"], ws["C3"], ws["D3"] = "Name:", "Jane Student", "Date:", D(2026, 1, 5)
    ws["A5"] = 42
    ws["C6"] = "=SUM(1,2)"
    ws["A8"] = "Email me at jane@uni.edu"
    ws["B10"], ws["C10"] = "Goals:", "three chats a week"
    headers = ["Name", "Organization", "Email", "Date contacted", "Response"]
    for c, header in enumerate(headers, start=1):
        ws.cell(row=12, column=c, value=header)
    for c, value in enumerate(["Ann Lee", "Acme", "ann@acme.org", D(2026, 3, 10)], start=1):
        ws.cell(row=13, column=c, value=value)
    wb.save(tmp_path / "junk.xlsx")
    res = cli("check", "junk.xlsx", "--today", TODAY, "--format", "json")
    assert res.code == 1
    out = res.json()
    assert (out["worksheet"], out["header_row"]) == ("Tracker", 12)
    assert list(out["columns"].values()) == headers
    assert [(f["row"], f["rule"]) for f in out["findings"]] == [(13, "follow-up-3b")]


def test_tab_with_only_a_header(tmp_path: Path, cli: Callable[..., Result]) -> None:
    save_rows(tmp_path / "new.xlsx", [["Name", "Email", "Date contacted", "Interview date"]])
    res = cli("check", "new.xlsx", "--today", TODAY, "--format", "json")
    assert res.code == 0, res.err
    out = res.json()
    assert (out["header_row"], out["findings"]) == (1, [])
    text = cli("check", "new.xlsx", "--today", TODAY)
    assert text.code == 0 and "0 contacts" in text.out
    dry = cli("sync", "new.xlsx", "--today", TODAY, "--format", "json", "--dry-run")
    assert dry.code == 0 and dry.json()["rows_read"] == 0


def test_row_of_invisible_characters_is_blank(tmp_path: Path, cli: Callable[..., Result]) -> None:
    save_rows(
        tmp_path / "invisible.xlsx",
        [
            ["Name", "Email", "Date contacted", "Response"],
            ["Ann Lee", "ann@acme.org", D(2026, 3, 12)],
            ["\u200b", "\ufeff", None, "\u2060"],
        ],
    )
    res = cli("check", "invisible.xlsx", "--today", TODAY, "--format", "json")
    assert res.json()["findings"] == []
    assert res.code == 0


def test_writes_nothing_when_a_later_step_stops(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """An error found after the file was read still leaves the folder untouched."""
    save_rows(tmp_path / "t.xlsx", GOOD_ROWS)
    before = snapshot(tmp_path)
    res = cli("sync", "t.xlsx", "--today", TODAY, "--worksheet", "People")
    assert res.code == 3
    assert "no tab called 'People'" in res.text and "'Contacts'" in res.text
    assert snapshot(tmp_path) == before
    assert not os.path.exists(tmp_path / BACKUPS)


def test_columns_override_naming_a_missing_header_stops(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    save_rows(tmp_path / "t.xlsx", GOOD_ROWS)
    (tmp_path / "sheetsync.toml").write_text('[columns]\nname = "Who"\n')
    before = snapshot(tmp_path)
    res = cli("sync", "t.xlsx", "--today", TODAY)
    assert res.code == 2  # a config error: exit 2 (was 3)
    assert "columns.name = 'Who'" in res.text and "no such header" in res.text
    assert snapshot(tmp_path) == before
