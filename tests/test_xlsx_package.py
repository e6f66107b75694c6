"""Patching an .xlsx package: every part and every cell the user had survives.

Workbooks are built with openpyxl and, where openpyxl cannot (cached formula values, images
without Pillow, prefixed namespaces, rows without ``r``), by editing the XML inside the zip.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from sheetsync.backends.xlsx_package import (
    CellStyle,
    CellWrite,
    PackageWriter,
    changed_parts,
    col_letters,
    inspect_package,
    patch_cells,
    put_sheet,
    register_styles,
    sheet_facts,
)
from sheetsync.errors import SourceError, WriteRefused

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS = {"m": MAIN}
SHEET1 = "xl/worksheets/sheet1.xml"
STATUS = CellStyle(bold=True, fill="FFF2CC", font_color="7F6000", wrap=True)


# --------------------------------------------------------------------------- helpers


def zip_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def zip_layout(data: bytes) -> list[tuple[str, int]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, info.compress_type) for info in zf.infolist()]


def edit_parts(
    data: bytes,
    edits: dict[str, Callable[[bytes], bytes]] | None = None,
    add: dict[str, bytes] | None = None,
    stored: set[str] | frozenset[str] = frozenset(),
) -> bytes:
    """Rebuild a zip with some parts edited, added, or stored uncompressed."""
    edits, add = edits or {}, add or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info)
            if info.filename in edits:
                content = edits[info.filename](content)
            kind = zipfile.ZIP_STORED if info.filename in stored else zipfile.ZIP_DEFLATED
            dst.writestr(info.filename, content, compress_type=kind)
        for name, content in add.items():
            dst.writestr(name, content)
    return out.getvalue()


def save(wb: Any) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def load(data: bytes, *, data_only: bool = False) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)


def calamine_rows(data: bytes, sheet: str) -> list[list[Any]]:
    rows: list[list[Any]] = (
        CalamineWorkbook.from_filelike(io.BytesIO(data))
        .get_sheet_by_name(sheet)
        .to_python(skip_empty_area=False)
    )
    return rows


def grid(ws: Any) -> dict[str, tuple[Any, str]]:
    return {
        c.coordinate: (c.value, c.data_type)
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }


def set_cached(xml: bytes, values: dict[str, tuple[str, str | None]]) -> bytes:
    """Give formula cells a cached value, as Excel would have saved them."""
    root = etree.fromstring(xml)
    for cell in root.iter(f"{{{MAIN}}}c"):
        if cell.get("r") not in values:
            continue
        text, kind = values[cell.get("r")]
        v = cell.find("m:v", NS)
        if v is None:
            v = etree.SubElement(cell, f"{{{MAIN}}}v")
        v.text = text
        if kind:
            cell.set("t", kind)
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out


def tiny_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PIC_ANCHOR = (
    '<xdr:oneCellAnchor xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<xdr:from><xdr:col>9</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>"
    "<xdr:rowOff>0</xdr:rowOff></xdr:from>"
    '<xdr:ext cx="95250" cy="95250"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="99" name="Logo"/>'
    "<xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill>"
    '<a:blip r:embed="rIdImg"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
    '<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>'
    "<xdr:clientData/></xdr:oneCellAnchor>"
)


def add_image(data: bytes) -> bytes:
    """Put a PNG into the chart's drawing by hand (openpyxl needs Pillow for images)."""

    def drawing(xml: bytes) -> bytes:
        return xml.replace(b"</xdr:wsDr>", PIC_ANCHOR.encode() + b"</xdr:wsDr>")

    def rels(xml: bytes) -> bytes:
        rel = (
            b'<Relationship Id="rIdImg" Target="../media/image1.png" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/image"/>'
        )
        return xml.replace(b"</Relationships>", rel + b"</Relationships>")

    def types(xml: bytes) -> bytes:
        return xml.replace(
            b"<Default ", b'<Default Extension="png" ContentType="image/png"/><Default ', 1
        )

    return edit_parts(
        data,
        {
            "xl/drawings/drawing1.xml": drawing,
            "xl/drawings/_rels/drawing1.xml.rels": rels,
            "[Content_Types].xml": types,
        },
        add={"xl/media/image1.png": tiny_png()},
    )


def tracker_workbook() -> bytes:
    """A realistic tracker: formulas with cached values, formatting, a chart, an image."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(["Name", "Org", "Wrote", "Replies", "Score", "Label"])
    people = [("Ann Lee", "Acme", dt.date(2026, 3, 2), 2), ("Bo Chen", "Uni", None, 0)]
    for i, (name, org, wrote, replies) in enumerate(people, start=2):
        ws.append([name, org, wrote, replies, f"=D{i}*10", f'=A{i}&"!"'])
    ws["A5"] = "Total"
    ws["D5"] = "=SUM(D2:D3)"
    ws["C2"].number_format = "yyyy-mm-dd"
    ws.merge_cells("A7:C7")
    ws["A7"] = "Merged note"
    dv = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("B2:B20")
    red = PatternFill(start_color="FFC7CE", end_color="FFC7CE", fill_type="solid")
    ws.conditional_formatting.add("D2:D20", CellIsRule(operator="equal", formula=["0"], fill=red))
    ws.freeze_panes = "B2"
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 14
    ws["A2"].hyperlink = "https://example.org/ann"
    ws["A3"].comment = Comment("met at the poster session", "me")
    wb.defined_names["People"] = DefinedName("People", attr_text="Contacts!$A$2:$A$3")
    other = wb.create_sheet("Questions")
    other.append(["Question", "Why"])
    other.append(["=1+1", "typed as a formula"])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=4, min_row=1, max_row=3), titles_from_data=True)
    ws.add_chart(chart, "H2")
    data = save(wb)
    cached = {
        "E2": ("20", None),
        "E3": ("0", None),
        "F2": ("Ann Lee!", "str"),
        "F3": ("Bo Chen!", "str"),
        "D5": ("2", None),
    }
    data = edit_parts(
        data,
        {
            SHEET1: lambda xml: set_cached(xml, cached),
            "xl/worksheets/sheet2.xml": lambda xml: set_cached(xml, {"A2": ("2", None)}),
        },
    )
    return add_image(data)


def sheet_xml(pkg: bytes, part: str = SHEET1) -> bytes:
    return zip_parts(pkg)[part]


def raw_sheet(body: str, *, head: str = "", tail: str = "", root: str = "") -> bytes:
    """A workbook whose first sheet XML is given verbatim."""
    wb = openpyxl.Workbook()
    wb.active.title = "S"
    xml = root or (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN}">{head}<sheetData>{body}</sheetData>{tail}</worksheet>'
    )
    return edit_parts(save(wb), {SHEET1: lambda _: xml.encode()})


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(tracker_workbook())
    return path


MANAGED = {
    (1, 7): CellWrite("sheetsync: next step", STATUS),
    (2, 7): CellWrite("Send a thank-you note", STATUS),
    (3, 7): CellWrite('=HYPERLINK("x")', STATUS),
    (2, 8): CellWrite(dt.date(2026, 4, 1)),
    (4, 7): CellWrite("Follow up"),
}


# --------------------------------------------------------------------------- the promise


def test_cached_values_and_user_cells_survive(tracker: Path, tmp_path: Path) -> None:
    before = tracker.read_bytes()
    after = patch_cells(before, "Contacts", MANAGED)
    out = tmp_path / "after.xlsx"
    out.write_bytes(after)

    cached = load(out.read_bytes(), data_only=True)["Contacts"]
    assert [cached[r].value for r in ("E2", "E3", "F2", "F3", "D5")] == [
        20,
        0,
        "Ann Lee!",
        "Bo Chen!",
        2,
    ]
    assert load(after, data_only=True)["Questions"]["A2"].value == 2
    managed = {f"{chr(64 + c)}{r}" for r, c in MANAGED}
    for data_only in (True, False):
        old = grid(load(before, data_only=data_only)["Contacts"])
        new = grid(load(after, data_only=data_only)["Contacts"])
        assert {k: v for k, v in new.items() if k not in managed} == old
        assert grid(load(after, data_only=data_only)["Questions"]) == grid(
            load(before, data_only=data_only)["Questions"]
        )
    assert new["G2"] == ("Send a thank-you note", "s")
    assert new["H2"] == (dt.datetime(2026, 4, 1), "d")


def test_only_the_sheet_and_styles_change(tracker: Path) -> None:
    before = tracker.read_bytes()
    after = patch_cells(before, "Contacts", MANAGED)
    assert changed_parts(before, after) == {SHEET1, "xl/styles.xml"}
    old, new = zip_parts(before), zip_parts(after)
    for name in ("xl/charts/chart1.xml", "xl/media/image1.png", "xl/drawings/drawing1.xml"):
        assert new[name] == old[name]
    assert zip_layout(after) == zip_layout(before)
    features = inspect_package(after).features
    assert {"charts", "images", "comments"} <= set(features)


def test_entry_order_and_compression_are_kept() -> None:
    data = edit_parts(tracker_workbook(), stored={"xl/media/image1.png", "docProps/app.xml"})
    after = patch_cells(data, "Contacts", {(1, 7): CellWrite("x")})
    assert zip_layout(after) == zip_layout(data)
    assert dict(zip_layout(after))["xl/media/image1.png"] == zipfile.ZIP_STORED


def test_user_formatting_and_structure_unchanged(tracker: Path) -> None:
    before = load(tracker.read_bytes())
    after = load(patch_cells(tracker.read_bytes(), "Contacts", MANAGED))
    old, new = before["Contacts"], after["Contacts"]
    assert [str(r) for r in new.merged_cells.ranges] == ["A7:C7"]
    assert [(v.formula1, str(v.sqref)) for v in new.data_validations.dataValidation] == [
        ('"yes,no"', "B2:B20")
    ]
    assert [str(r.sqref) for r in new.conditional_formatting] == ["D2:D20"]
    assert new.freeze_panes == "B2"
    assert new.column_dimensions["A"].width == old.column_dimensions["A"].width == 24
    assert new["A2"].hyperlink.target == "https://example.org/ann"
    assert new["A3"].comment.text == "met at the poster session"
    assert after.defined_names["People"].attr_text == "Contacts!$A$2:$A$3"
    assert after.sheetnames == ["Contacts", "Questions"]
    assert new["C2"].number_format == "yyyy-mm-dd"
    assert len(new._charts) == 1


def test_formula_like_text_stays_text() -> None:
    data = raw_sheet('<row r="1"><c r="A1"><v>1</v></c></row>')
    texts = ["=SUM(A1)", "+1", "-2", "@x", "=1+1", "  padded  "]
    writes = {(2, c): CellWrite(t) for c, t in enumerate(texts, start=1)}
    after = patch_cells(data, "S", writes)
    ws = load(after)["S"]
    assert [(ws.cell(2, c).value, ws.cell(2, c).data_type) for c in range(1, 7)] == [
        (t, "s") for t in texts
    ]
    assert calamine_rows(after, "S")[1] == texts
    assert b"<f>" not in sheet_xml(after)


def test_text_is_escaped_sanitised_and_capped() -> None:
    data = raw_sheet("")
    writes = {
        (1, 1): CellWrite("a & b < c > \"d\" 'e'"),
        (1, 2): CellWrite("bell\x07 nul\x00 ok\ttab"),
        (1, 3): CellWrite("x" * 40_000),
        (1, 4): CellWrite("_x0041_ stays literal"),
        (1, 5): CellWrite("naïve 😀 日本"),
    }
    after = patch_cells(data, "S", writes)
    row = calamine_rows(after, "S")[0]
    assert row[0] == "a & b < c > \"d\" 'e'"
    assert row[1] == "bell nul ok\ttab"
    assert len(row[2]) == 32_767
    assert row[3] == "_x0041_ stays literal"
    assert row[4] == "naïve 😀 日本"


def test_empty_patch_is_identity(tracker: Path) -> None:
    data = tracker.read_bytes()
    assert patch_cells(data, "Contacts", {}) is data
    once = patch_cells(data, "Contacts", MANAGED)
    assert patch_cells(once, "Contacts", MANAGED) == once


# --------------------------------------------------------------------------- XML shapes


def test_prefixed_namespace_sheet() -> None:
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN}">'
        '<x:dimension ref="A1:B2"/><x:sheetData>'
        '<x:row r="1" spans="1:2"><x:c r="A1" t="inlineStr"><x:is><x:t>keep</x:t></x:is></x:c>'
        '<x:c r="B1"><x:v>7</x:v></x:c></x:row>'
        '<x:row r="2"><x:c r="B2"><x:v>8</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    data = raw_sheet("", root=xml)
    after = patch_cells(data, "S", {(1, 3): CellWrite("new"), (4, 1): CellWrite(5)})
    out = sheet_xml(after)
    assert b'<x:row r="2"><x:c r="B2"><x:v>8</x:v></x:c></x:row>' in out  # copied verbatim
    assert b'<x:dimension ref="A1:C4"/>' in out
    assert b'spans="1:3"' in out
    assert b"<c " not in out and b"xmlns=" not in out.split(b"?>", 1)[1]
    ws = load(after)["S"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["keep", 7, "new"],
        [None, 8, None],
        [None, None, None],
        [5, None, None],
    ]
    assert calamine_rows(after, "S")[0] == ["keep", 7.0, "new"]


def test_rows_and_cells_without_r() -> None:
    body = (
        '<row><c t="inlineStr"><is><t>a</t></is></c><c><v>2</v></c></row>'
        '<row><c><v>3</v></c><c r="D2"><v>4</v></c><c><v>5</v></c></row>'
    )
    data = raw_sheet(body)
    after = patch_cells(
        data,
        "S",
        {(1, 1): CellWrite(None), (2, 3): CellWrite("mid"), (3, 2): CellWrite("new row")},
    )
    ws = load(after)["S"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        [None, 2, None, None, None],
        [3, None, "mid", 4, 5],
        [None, "new row", None, None, None],
    ]


def test_cells_without_r_in_a_streamed_row() -> None:
    data = raw_sheet('<row r="1"><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>')
    after = patch_cells(data, "S", {(1, 2): CellWrite(None)})
    assert [c.value for c in load(after)["S"][1]] == [1, None, 3]


def test_self_closing_rows_and_rows_after_the_last() -> None:
    body = '<row r="1"><c r="A1"><v>1</v></c></row><row r="3" ht="30" customHeight="1"/>'
    data = raw_sheet(body)
    writes = {(3, 2): CellWrite("in tall row"), (2, 1): CellWrite("new"), (9, 1): CellWrite(9)}
    after = patch_cells(data, "S", writes)
    out = sheet_xml(after)
    assert re.search(rb'<row r="3" ht="30" customHeight="1"><c r="B3"', out)
    ws = load(after)["S"]
    assert (ws["A1"].value, ws["A2"].value, ws["B3"].value, ws["A9"].value) == (
        1,
        "new",
        "in tall row",
        9,
    )
    assert ws.row_dimensions[3].height == 30
    rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', out)]
    assert rows == sorted(rows) == [1, 2, 3, 9]


def test_empty_sheet_data_and_cell_order() -> None:
    after = patch_cells(raw_sheet(""), "S", {(2, 3): CellWrite("c"), (2, 1): CellWrite("a")})
    assert calamine_rows(after, "S") == [["", "", ""], ["a", "", "c"]]
    again = patch_cells(after, "S", {(2, 2): CellWrite("b")})
    assert re.findall(rb'<c r="([A-Z]+2)"', sheet_xml(again)) == [b"A2", b"B2", b"C2"]
    xml = f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'
    closed = patch_cells(raw_sheet("", root=xml), "S", {(1, 1): CellWrite("x")})
    assert load(closed)["S"]["A1"].value == "x"


def test_dimension_and_spans_grow_to_cover_writes() -> None:
    body = '<row r="2" spans="2:3"><c r="B2"><v>1</v></c><c r="C2"><v>2</v></c></row>'
    data = raw_sheet(body, head='<dimension ref="B2:C2"/>')
    after = patch_cells(data, "S", {(2, 6): CellWrite("f"), (1, 1): CellWrite("a")})
    out = sheet_xml(after)
    assert b'<dimension ref="A1:F2"/>' in out
    assert b'<row r="2" spans="2:6">' in out


def test_overwriting_a_cell_drops_its_old_content() -> None:
    body = (
        '<row r="1"><c r="A1" s="0" t="str" cm="1"><f>1+1</f><v>2</v></c>'
        '<c r="B1" t="e"><v>#REF!</v></c></row>'
    )
    data = raw_sheet(body)
    after = patch_cells(data, "S", {(1, 1): CellWrite(3.5), (1, 2): CellWrite("ok")})
    out = sheet_xml(after)
    assert b'<c r="A1" s="0"><v>3.5</v></c>' in out
    assert b"<f>" not in out and b"cm=" not in out
    assert sheet_facts(after, "S").errors == {}


def test_overwriting_a_formula_updates_the_calc_chain() -> None:
    data = tracker_workbook()
    chain = (
        f'<?xml version="1.0" encoding="UTF-8"?><calcChain xmlns="{MAIN}">'
        '<c r="E2" i="1"/><c r="E3"/><c r="D5"/></calcChain>'
    ).encode()

    def rels(xml: bytes) -> bytes:
        rel = (
            b'<Relationship Id="rIdCC" Target="calcChain.xml" Type="http://schemas.openxmlforma'
            b'ts.org/officeDocument/2006/relationships/calcChain"/>'
        )
        return xml.replace(b"</Relationships>", rel + b"</Relationships>")

    def types(xml: bytes) -> bytes:
        override = (
            b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats'
            b'-officedocument.spreadsheetml.calcChain+xml"/>'
        )
        return xml.replace(b"</Types>", override + b"</Types>")

    data = edit_parts(
        data,
        {"xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types},
        add={"xl/calcChain.xml": chain},
    )
    after = patch_cells(data, "Contacts", {(2, 5): CellWrite("manual")})
    assert changed_parts(data, after) == {SHEET1, "xl/calcChain.xml"}
    new_chain = zip_parts(after)["xl/calcChain.xml"]
    assert b'r="E2"' not in new_chain and b'r="E3" i="1"' in new_chain
    gone = patch_cells(after, "Contacts", {(3, 5): CellWrite(1), (5, 4): CellWrite(2)})
    assert "xl/calcChain.xml" not in zip_parts(gone)
    assert b"calcChain" not in zip_parts(gone)["[Content_Types].xml"]
    assert b"calcChain" not in zip_parts(gone)["xl/_rels/workbook.xml.rels"]
    assert load(gone)["Contacts"]["E3"].value == 1


def test_column_widths_do_not_split_user_ranges() -> None:
    head = (
        '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><cols><col min="2" max="4" width="30" '
        'customWidth="1"/></cols>'
    )
    data = raw_sheet('<row r="1"><c r="A1"><v>1</v></c></row>', head=head)
    after = patch_cells(data, "S", {(1, 5): CellWrite("x")}, column_widths={3: 12, 5: 40, 1: 8})
    cols = re.findall(rb"<col [^>]*/>", sheet_xml(after))
    assert cols == [
        b'<col min="1" max="1" width="8" customWidth="1"/>',
        b'<col min="2" max="4" width="30" customWidth="1"/>',
        b'<col min="5" max="5" width="40" customWidth="1"/>',
    ]
    ws = load(after)["S"]
    assert ws.column_dimensions["E"].width == 40


def test_cols_inserted_before_sheet_data() -> None:
    head = '<dimension ref="A1"/><sheetFormatPr defaultRowHeight="15"/>'
    data = raw_sheet("", head=head, tail='<pageMargins left="0.7" right="0.7" top="0.75" '
                     'bottom="0.75" header="0.3" footer="0.3"/>')  # fmt: skip
    after = patch_cells(data, "S", {(1, 2): CellWrite("x")}, column_widths={2: 20})
    order = [etree.QName(el).localname for el in etree.fromstring(sheet_xml(after))]
    assert order == ["dimension", "sheetFormatPr", "cols", "sheetData", "pageMargins"]
    assert load(after)["S"].column_dimensions["B"].width == 20


# --------------------------------------------------------------------------- styles and dates


def test_styles_are_reused_not_duplicated(tracker: Path) -> None:
    data = tracker.read_bytes()
    once = patch_cells(data, "Contacts", MANAGED)
    twice = patch_cells(once, "Contacts", {(9, 7): CellWrite("again", STATUS)})
    assert changed_parts(once, twice) == {SHEET1}
    assert zip_parts(twice)["xl/styles.xml"] == zip_parts(once)["xl/styles.xml"]
    ws = load(twice)["Contacts"]
    cell = ws["G9"]
    assert (cell.font.b, cell.fill.fgColor.rgb, cell.font.color.rgb) == (
        True,
        "FFFFF2CC",
        "FF7F6000",
    )
    assert cell.alignment.wrap_text is True
    assert ws["G2"].style_id == ws["G9"].style_id


def test_workbook_without_styles_part() -> None:
    def drop_rel(xml: bytes) -> bytes:
        return re.sub(rb"<Relationship [^>]*styles\.xml\"[^>]*/>", b"", xml)

    def drop_type(xml: bytes) -> bytes:
        return re.sub(rb"<Override [^>]*styles\+xml\"[^>]*/>", b"", xml)

    base = raw_sheet('<row r="1"><c r="A1"><v>1</v></c></row>')
    parts = zip_parts(base)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            if name == "xl/styles.xml":
                continue
            if name == "xl/_rels/workbook.xml.rels":
                content = drop_rel(content)
            if name == "[Content_Types].xml":
                content = drop_type(content)
            zf.writestr(name, content)
    data = out.getvalue()
    assert "xl/styles.xml" not in zip_parts(data)
    after = patch_cells(data, "S", {(1, 2): CellWrite(dt.date(2026, 1, 2), CellStyle(bold=True))})
    assert "xl/styles.xml" in zip_parts(after)
    ws = load(after)["S"]
    assert ws["B1"].value == dt.datetime(2026, 1, 2)
    assert ws["B1"].font.b is True
    assert ws["A1"].value == 1


def test_dates_respect_the_1904_epoch() -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "S"
    wb.epoch = openpyxl.utils.datetime.MAC_EPOCH
    data = save(wb)
    assert inspect_package(data).date1904 is True
    after = patch_cells(
        data,
        "S",
        {(1, 1): CellWrite(dt.date(2026, 3, 5)), (1, 2): CellWrite(dt.datetime(2026, 3, 5, 10))},
    )
    assert re.search(rb'<c r="A1" s="\d+"><v>44624</v>', sheet_xml(after))
    ws = load(after)["S"]
    assert ws["A1"].value == dt.datetime(2026, 3, 5)
    assert ws["B1"].value == dt.datetime(2026, 3, 5, 10)
    assert ws["A1"].number_format == "yyyy-mm-dd"
    assert calamine_rows(after, "S")[0][0] == dt.date(2026, 3, 5)


def test_dates_in_the_1900_epoch() -> None:
    after = patch_cells(raw_sheet(""), "S", {(1, 1): CellWrite(dt.date(2026, 3, 5))})
    assert re.search(rb"<v>46086</v>", sheet_xml(after))
    assert load(after)["S"]["A1"].value == dt.datetime(2026, 3, 5)


# --------------------------------------------------------------------------- put_sheet


def test_put_sheet_adds_then_replaces_a_tab(tracker: Path) -> None:
    data = tracker.read_bytes()

    def prep(text: str) -> bytes:
        return (
            f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
            f"<is><t>{text}</t></is></c></row></sheetData></worksheet>"
        ).encode()

    added = put_sheet(data, "Prep", prep("Before the call"))
    assert changed_parts(data, added) == {
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
        "xl/worksheets/sheet3.xml",
    }
    info = inspect_package(added)
    assert [s.name for s in info.sheets] == ["Contacts", "Questions", "Prep"]
    assert len({s.sheet_id for s in info.sheets}) == 3
    assert len({s.r_id for s in info.sheets}) == 3
    assert load(added)["Prep"]["A1"].value == "Before the call"
    assert calamine_rows(added, "Prep") == [["Before the call"]]
    assert load(added, data_only=True)["Contacts"]["E2"].value == 20

    replaced = put_sheet(added, "prep", prep("Updated"))
    assert changed_parts(added, replaced) == {"xl/worksheets/sheet3.xml"}
    assert load(replaced)["Prep"]["A1"].value == "Updated"
    assert load(replaced).sheetnames == ["Contacts", "Questions", "Prep"]
    assert put_sheet(replaced, "Prep", prep("Updated")) is replaced
    with pytest.raises(WriteRefused, match="orphan"):
        put_sheet(replaced, "Contacts", prep("no"))


def test_one_writer_gives_what_the_three_steps_give_and_zips_once(tracker: Path) -> None:
    """A sync patches cells, registers the prep tab's styles and puts the tab: one
    PackageWriter makes the same parts (each step seeing the last one's styles.xml) and
    returns the original bytes when nothing changes."""
    data = tracker.read_bytes()
    prep = (
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
        "<is><t>Before the call</t></is></c></row></sheetData></worksheet>"
    ).encode()
    bold_blue = CellStyle(bold=True, fill="DDEBF7")

    chained = patch_cells(data, "Contacts", MANAGED)
    chained, chained_ids = register_styles(chained, [bold_blue, STATUS])
    chained = put_sheet(chained, "Prep", prep)

    writer = PackageWriter(data)
    writer.patch_cells("Contacts", MANAGED)
    ids = writer.register_styles([bold_blue, STATUS])
    together = writer.to_bytes()
    writer.put_sheet("Prep", prep)
    together = writer.to_bytes()

    assert ids == chained_ids
    assert ids[1] == load(together)["Contacts"]["G2"].style_id  # STATUS reused, not added twice
    assert zip_parts(together) == zip_parts(chained)
    assert [n for n, _ in zip_layout(together)] == [n for n, _ in zip_layout(chained)]
    assert changed_parts(data, together) == {
        SHEET1,
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
        "xl/worksheets/sheet3.xml",
    }
    idle = PackageWriter(together)
    idle.register_styles([bold_blue])
    idle.put_sheet("Prep", prep)
    assert idle.to_bytes() is together


def test_put_sheet_rejects_bad_input(tracker: Path) -> None:
    data = tracker.read_bytes()
    with pytest.raises(ValueError, match="sheet name"):
        put_sheet(data, "a/b", b"<x/>")
    with pytest.raises(ValueError, match="worksheet"):
        put_sheet(data, "Prep", b"<x/>")


# --------------------------------------------------------------------------- errors and refusals


def test_formulas_without_values_are_counted() -> None:
    """openpyxl saves formulas with no result; Excel saves each with one (an empty text
    result is still a result); a shared formula's followers count like any other cell."""
    wb = openpyxl.Workbook()
    wb.active.title = "S"
    wb.active.append(["=1+1", '=CONCAT("a","b")', 3])
    wb.active.append(["=TODAY()"])
    assert sheet_facts(save(wb), "S").formulas_without_values == 3
    assert sheet_facts(save(wb), "S", formulas=False).formulas_without_values == 0  # not counted
    excel = raw_sheet(
        '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c>'
        '<c r="B1" t="str"><f>IF(1,"","x")</f><v></v></c><c r="C1"><v>3</v></c></row>'
    )
    assert sheet_facts(excel, "S").formulas_without_values == 0
    shared = raw_sheet(
        '<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1*2</f><v></v></c></row>'
        '<row r="2"><c r="A2"><f t="shared" si="0"/></c></row>'
        '<row r="3"><c r="A3"><f t="shared" si="0"/><v>4</v></c></row>'
    )
    assert sheet_facts(shared, "S").formulas_without_values == 2
    assert sheet_facts(tracker_workbook(), "Contacts").formulas_without_values == 0


def test_error_cells() -> None:
    body = (
        '<row r="1"><c r="A1" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="B1"><v>1</v></c></row>'
        '<row r="4"><c r="C4" t="e"><v>#REF!</v></c><c r="D4" t="inlineStr"><is><t>t="e"</t>'
        "</is></c></row>"
    )
    data = raw_sheet(body)
    assert sheet_facts(data, "S").errors == {(1, 1): "#DIV/0!", (4, 3): "#REF!"}
    # a values-only reader (verification) skips the formula count, never the errors
    values_only = sheet_facts(data, "S", formulas=False)
    assert values_only.errors == {(1, 1): "#DIV/0!", (4, 3): "#REF!"}
    assert sheet_facts(raw_sheet('<row><c t="e"><v>#N/A</v></c></row>'), "S").errors == {
        (1, 1): "#N/A"
    }
    assert sheet_facts(tracker_workbook(), "Contacts").errors == {}


def encrypted_container() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "EncryptionInfo".encode("utf-16-le")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello, not a workbook", "not a zip"),
        (encrypted_container(), "password protected"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, r"\.xls"),
        (b"PK\x03\x04 truncated", "damaged"),
    ],
)
def test_unusable_files_are_refused_with_advice(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        inspect_package(data)
    with pytest.raises(SourceError, match=message):
        patch_cells(data, "S", {(1, 1): CellWrite("x")})


def test_missing_workbook_part_and_unknown_sheet(tracker: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(SourceError, match="no workbook part"):
        inspect_package(buf.getvalue())
    with pytest.raises(SourceError, match=r"no tab named 'Nope'.*'Contacts'"):
        patch_cells(tracker.read_bytes(), "Nope", {(1, 1): CellWrite("x")})


def test_shared_formula_anchor_is_refused() -> None:
    body = (
        '<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1*2</f><v>0</v></c></row>'
        '<row r="2"><c r="A2"><f t="shared" si="0"/><v>0</v></c></row>'
    )
    data = raw_sheet(body)
    with pytest.raises(WriteRefused, match="A1:A3"):
        patch_cells(data, "S", {(1, 1): CellWrite("x")})
    after = patch_cells(data, "S", {(2, 1): CellWrite("dependent may go")})
    assert load(after)["S"]["A2"].value == "dependent may go"


def test_table_header_cells_are_refused() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws.append(["Name", "Org"])
    ws.append(["Ann", "Acme"])
    from openpyxl.worksheet.table import Table

    ws.add_table(Table(displayName="People", ref="A1:B2"))
    data = save(wb)
    with pytest.raises(WriteRefused, match="People"):
        patch_cells(data, "S", {(1, 2): CellWrite("Organisation")})
    after = patch_cells(data, "S", {(2, 2): CellWrite("Uni"), (1, 3): CellWrite("Status")})
    assert load(after)["S"]["B2"].value == "Uni"


# --------------------------------------------------------------------------- property


texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="_", exclude_categories=["Cs"]),
    max_size=12,
)
values = st.one_of(
    texts,
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(dt.date(1901, 1, 1), dt.date(2100, 1, 1)),
    st.none(),
    st.sampled_from(["=1+1", "+x", "@y", "-3", ""]),
)
coords = st.tuples(st.integers(1, 9), st.integers(1, 7))
existing_values = st.one_of(
    st.text(alphabet="abcXYZ 123", min_size=1, max_size=6), st.integers(-99, 99)
)


def expected(value: Any) -> Any:
    if isinstance(value, str):
        cleaned = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", value)
        return cleaned or None
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return value


def cells_of(ws: Any) -> Iterator[tuple[tuple[int, int], Any]]:
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None:
                yield (c.row, c.column), c.value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    existing=st.dictionaries(coords, existing_values, max_size=20),
    writes=st.dictionaries(coords, values, min_size=1, max_size=12),
    styled=st.booleans(),
)
def test_property_unwritten_cells_unchanged_written_cells_read_back(
    existing: dict[tuple[int, int], Any], writes: dict[tuple[int, int], Any], styled: bool
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for (r, c), v in existing.items():
        ws.cell(r, c, v)
    data = save(wb)
    style = STATUS if styled else None
    after = patch_cells(data, "S", {k: CellWrite(v, style) for k, v in writes.items()})
    got = dict(cells_of(load(after)["S"]))
    for key, value in existing.items():
        if key not in writes:
            assert got[key] == value
    for key, value in writes.items():
        want = expected(value)
        if isinstance(want, float):
            assert got.get(key) == pytest.approx(want, rel=1e-15)
        else:
            assert got.get(key) == want
    assert set(got) <= set(existing) | set(writes)
    assert changed_parts(data, after) <= {SHEET1, "xl/styles.xml"}


row_bodies = st.lists(
    st.tuples(
        st.integers(1, 9),  # row number
        st.dictionaries(st.integers(1, 6), existing_values, max_size=4),  # its cells
        st.booleans(),  # with spans="…"
    ),
    max_size=6,
    unique_by=lambda row: row[0],
)


def sheet_body(rows: list[tuple[int, dict[int, Any], bool]]) -> str:
    """Rows as Excel writes them: in order, cells with ``r``, optional spans, some empty."""
    out = []
    for num, cells, spans in sorted(rows, key=lambda row: row[0]):
        attrs = f' r="{num}"' + (f' spans="{min(cells)}:{max(cells)}"' if spans and cells else "")
        if not cells:
            out.append(f"<row{attrs}/>")
            continue
        xml = "".join(
            f'<c r="{col_letters(c)}{num}"><v>{v}</v></c>'
            if isinstance(v, int)
            else f'<c r="{col_letters(c)}{num}" t="inlineStr"><is><t>{v}</t></is></c>'
            for c, v in sorted(cells.items())
        )
        out.append(f"<row{attrs}>{xml}</row>")
    return "".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=row_bodies,
    writes=st.dictionaries(
        coords, st.one_of(values, st.just("a & <b>\r\n x")), min_size=1, max_size=12
    ),
    styled=st.booleans(),
)
def test_property_streamed_patch_equals_the_full_parse(
    rows: list[tuple[int, dict[int, Any], bool]], writes: dict[tuple[int, int], Any], styled: bool
) -> None:
    """Rows patched as bytes (cells appended after the last one) or as parsed runs give the
    same XML as parsing the whole sheet with lxml and editing the tree."""
    from sheetsync.backends.xlsx_package import patch as xp

    data = raw_sheet(sheet_body(rows))
    pkg = xp._Package(data)
    book = xp._read_workbook(pkg)
    style = STATUS if styled else None
    by_row = xp._resolve_writes(
        {k: CellWrite(v, style) for k, v in writes.items()}, False, xp._StyleBook(pkg, book)
    )
    xml = pkg.read(SHEET1)
    layout = xp._scan_sheet(xml)
    assert layout is not None
    spliced, _ = xp._patch_streamed(xml, layout, by_row, {})
    streamed = spliced.join() if isinstance(spliced, xp._Spliced) else spliced
    tree, _ = xp._patch_tree(xml, SHEET1, by_row, {})
    canonical = [etree.tostring(etree.fromstring(x), method="c14n") for x in (streamed, tree)]
    assert canonical[0] == canonical[1]


# --------------------------------------------------------------------------- odd but valid XML


@pytest.mark.parametrize(
    "body",
    [
        '<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<row r="2">]]></t></is></c></row>',
        '<!-- a comment --><row r="1"><c r="A1"><v>1</v></c></row>',
        '<row r="1" xmlns:u="urn:user" u:tag="kept"><c r="A1"><v>1</v></c></row>',
    ],
)
def test_unusual_xml_falls_back_to_a_full_parse(body: str) -> None:
    data = raw_sheet(body)
    before = load(data)["S"]["A1"].value
    after = patch_cells(data, "S", {(2, 1): CellWrite("new"), (1, 2): CellWrite(2)})
    ws = load(after)["S"]
    assert (ws["A1"].value, ws["B1"].value, ws["A2"].value) == (before, 2, "new")
    if "u:tag" in body:
        assert b'tag="kept"' in sheet_xml(after)


@pytest.mark.parametrize(
    "body",
    [
        '<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[x]]></t></is></c></row>',
        '<!-- a comment --><row r="1"><c r="A1"><v>1</v></c></row>',
        '<?mso-application progid="Excel.Sheet"?><row r="1"><c r="A1"><v>1</v></c></row>',
    ],
)
def test_markup_declarations_send_the_sheet_to_a_full_parse(body: str) -> None:
    from sheetsync.backends.xlsx_package import scan
    from sheetsync.backends.xlsx_package.zipped import _Package

    xml = _Package(raw_sheet(body)).read(SHEET1)
    assert scan._scan_sheet(xml) is None
    assert scan._scan_sheet(xml.replace(b"<!", b"&lt;!").replace(b"<?m", b"&lt;?m")) is not None


@given(st.text(alphabet='<!?>a "=', max_size=40), st.integers(0, 45))
def test_property_markup_is_found_as_a_search_for_it_finds_it(text: str, start: int) -> None:
    """The search for ``<!`` and ``<?`` by their second byte finds what searching for the
    pair itself finds, from any starting point."""
    from sheetsync.backends.xlsx_package import scan

    xml = text.encode()
    expected = xml.find(b"<!", start) >= 0 or xml.find(b"<?", start) >= 0
    assert scan._has_markup(xml, start) == expected


def test_styled_blank_and_booleans() -> None:
    after = patch_cells(
        raw_sheet(""),
        "S",
        {(1, 1): CellWrite("", CellStyle(fill="D9D9D9")), (1, 2): CellWrite(True)},
    )
    ws = load(after)["S"]
    assert ws["A1"].value is None and ws["A1"].fill.fgColor.rgb == "FFD9D9D9"
    assert ws["B1"].value is True
    cleared = patch_cells(after, "S", {(1, 1): CellWrite(None), (1, 2): CellWrite("")})
    assert b"<c " not in sheet_xml(cleared)


def test_put_sheet_respects_structure_protection() -> None:
    wb = openpyxl.Workbook()
    wb.security = openpyxl.workbook.protection.WorkbookProtection(lockStructure=True)
    data = save(wb)
    xml = f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'.encode()
    with pytest.raises(WriteRefused, match="structure is protected"):
        put_sheet(data, "Prep", xml)


def test_binary_and_opendocument_packages_are_refused() -> None:
    for name, message in (("xl/workbook.bin", r"\.xlsb"), ("content.xml", r"\.ods")):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            zf.writestr(name, "x")
        with pytest.raises(SourceError, match=message):
            inspect_package(buf.getvalue())


_FORMULA_SHAPES = [
    '<c r="{r}"><f>1+1</f><v>2</v></c>',  # a result
    '<c r="{r}"><f>1+1</f><v></v></c>',  # none
    '<c r="{r}"><f>1+1</f></c>',  # none
    '<c r="{r}" t="str"><f>IF(1,"","x")</f><v></v></c>',  # empty text: a result
    '<c r="{r}" s="3"><f t="shared" si="0"/></c>',  # a follower without a result
    '<c r="{r}"><f t="shared" si="0"/><v>4</v></c>',
    '<c r="{r}" t="inlineStr"><is><t>f&lt;c r="x"&gt;</t></is></c>',  # text that looks like one
    '<c r="{r}"><v>3</v></c>',
    '<c r="{r}"/>',
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_FORMULA_SHAPES), max_size=6), max_size=12))
def test_formula_count_matches_a_cell_by_cell_count(rows: list[list[str]]) -> None:
    """The fast count (from each formula tag) equals counting cell by cell in a parsed tree."""
    body = "".join(
        f'<row r="{i}">'
        + "".join(s.format(r=f"{col_letters(j)}{i}") for j, s in enumerate(r, 1))
        + "</row>"
        for i, r in enumerate(rows, 1)
    )
    data = raw_sheet(body)
    expected = 0
    for cell in etree.fromstring(f'<sheetData xmlns="{MAIN}">{body}</sheetData>').iter(
        f"{{{MAIN}}}c"
    ):
        value = cell.find(f"{{{MAIN}}}v")
        if cell.find(f"{{{MAIN}}}f") is not None and (
            value is None or (not value.text and cell.get("t") != "str")
        ):
            expected += 1
    assert sheet_facts(data, "S").formulas_without_values == expected
