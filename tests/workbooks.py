"""Realistic tracker workbooks for tests, with everything a user's workbook may hold."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

D = dt.date

HEADER = [
    "Name",
    "Organization",
    "Email",
    "How I know them",
    "Date Contacted",
    "Response?",
    "Follow-up sent",
    "Interview Date",
    "Place/Platform",
    "Thank-you Sent?",
    "Referrals",
    "Last contact",
    "Notes",
]

# (row on the sheet, values) — today is Monday 2026-03-16.
ROWS: list[list[object]] = [
    [
        "Ana Lima",
        "Helix Bio",
        "ana@helix.bio",
        "PhD alum",
        D(2026, 3, 10),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "=text that must stay text",
    ],
    [
        "Bo Chen",
        "Acme Labs",
        "bo@acme.com",
        "Conference",
        D(2026, 3, 2),
        "Y",
        None,
        D(2026, 3, 13),
        "Zoom",
        None,
        None,
        None,
        "+1 (555) 010-0000",
    ],
    [
        "Cleo Diaz",
        "Initech",
        "cleo@initech.com",
        "Advisor",
        D(2026, 2, 1),
        "Y",
        None,
        D(2026, 3, 17),
        None,
        None,
        None,
        None,
        "@cleo on Slack",
    ],
    [
        "Dev Patel",
        "Umbrella",
        "dev@umbrella.org",
        "Cold",
        D(2025, 10, 1),
        "Y",
        None,
        D(2025, 11, 1),
        "Coffee",
        "Y",
        "none",
        None,
        "-was great-",
    ],
    [
        "Ema Stone",
        "Globex",
        "ema@globex.com",
        "Friend",
        D(2026, 3, 2),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ],
]
FIRST_ROW = 4  # header on row 3 (title on 1, instructions on 2)
EXPECTED = {  # (row, rule) on 2026-03-16
    (4, "follow-up-3b"),
    (5, "thank-you-missing"),
    (5, "ask-referrals"),
    (6, "prep-needed"),
    (6, "confirm-meeting"),
    (6, "details-missing"),
    (7, "stale-contact"),
    (8, "follow-up-7b"),
}


def kitchen_sink(path: Path) -> Path:
    """A tracker with formulas (cached values), validation, conditional formats, a merged
    title, hyperlinks, comments, a defined name, freeze panes, widths, a chart and other tabs."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    ws["A1"] = "My networking tracker"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:F1")
    ws["A2"] = "Fill one row per person. Dates as YYYY-MM-DD."
    for c, text in enumerate(HEADER, start=1):
        cell = ws.cell(row=3, column=c, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
    for i, values in enumerate(ROWS):
        r = FIRST_ROW + i
        for c, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str) and value[:1] in "=+-@":
                cell.data_type = "s"  # typed text, not a formula
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
        ws.cell(row=r, column=12, value=f"=MAX(E{r},H{r})").number_format = "yyyy-mm-dd"
    ws["C4"].hyperlink = "mailto:ana@helix.bio"
    ws["A5"].comment = Comment("Met at the ASCB poster session", "me")
    dv = DataValidation(type="list", formula1='"Y,N"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("F4:F200")
    ws.conditional_formatting.add(
        "E4:E200",
        CellIsRule(
            operator="lessThan", formula=["TODAY()-30"], fill=PatternFill("solid", fgColor="FFCCCC")
        ),
    )
    ws.freeze_panes = "B4"
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["M"].width = 40
    wb.defined_names["Contacts_Emails"] = DefinedName(
        "Contacts_Emails", attr_text="Contacts!$C$4:$C$8"
    )
    q = wb.create_sheet("Question ideas")
    q.append(["Category", "Question", "Priority"])
    q.append(["Trends", "Where is your field heading in five years?", 1])
    stats = wb.create_sheet("Stats")
    stats.append(["Kind", "Count"])
    stats.append(["Contacted", "=COUNTA(Contacts!A4:A200)"])
    stats.append(["Interviews", 2])
    chart = BarChart()
    chart.add_data(Reference(stats, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    stats.add_chart(chart, "D2")
    wb.save(path)
    cached = {f"L{FIRST_ROW + i}": _max_serial(v[4], v[7]) for i, v in enumerate(ROWS)}
    set_cached_values(path, "xl/worksheets/sheet1.xml", cached)
    set_cached_values(path, "xl/worksheets/sheet3.xml", {"B2": 5})
    return path


def _max_serial(*values: object) -> float:
    days = [v for v in values if isinstance(v, dt.date)]
    return float((max(days) - D(1899, 12, 30)).days) if days else 0.0


def set_cached_values(path: Path, part: str, cached: Mapping[str, float]) -> None:
    """Give formula cells a cached value, as Excel would have saved them."""
    data = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == part:
                xml = body.decode("utf-8")
                for ref, value in cached.items():
                    pattern = re.compile(
                        rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*(<v\s*/>|<v>\s*</v>)?'
                    )
                    xml, n = pattern.subn(rf"\g<1><v>{value:.15g}</v>", xml)
                    assert n == 1, f"no formula at {ref}"
                body = xml.encode("utf-8")
            zout.writestr(info, body)
    path.write_bytes(out.getvalue())
