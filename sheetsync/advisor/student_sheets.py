"""One student's workbook: Summary (funnel, key figures, actions by kind, timeline, two
charts), Actions, Contacts and About tabs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from sheetsync.advisor.about import about_tab
from sheetsync.advisor.book import (
    ACCENT,
    Book,
    header_row,
    headers,
    put,
    row_height,
    safe_text,
    save,
)
from sheetsync.advisor.contacts import ContactTable
from sheetsync.advisor.metrics import Metrics, ratio, rule_label
from sheetsync.advisor.report import StudentReport
from sheetsync.advisor.values import CellOut, format_day

TIMELINE_TITLE = "Interviews over time"

FUNNEL_TITLE = "Outreach funnel"


def write_student(report: StudentReport, output: Path, sources: Sequence[str] = ()) -> Path:
    """Write one student's export to ``output`` (a new file; refuses to overwrite a source)."""
    book = Book(f"Networking progress: {report.student}")
    _summary_tab(book, report)
    _actions_tab(book, report)
    _contacts_tab(book, report)
    about_tab(book, report)
    return save(book, output, sources)


FUNNEL_BASE = {  # each stage's share is of this earlier stage
    "Contacted": "People listed",
    "Replied": "Contacted",
    "Interviewed": "Replied",
    "Thanked": "Interviewed",
    "Referrals gained": "Contacted",
}
FUNNEL_TOP = 4  # Summary rows (0-based): the funnel's section title, header, then stages
TIMELINE_COL = 14  # the timeline table sits right of the charts (column O)
CHART_COL = 5  # charts start in column F


def _summary_tab(book: Book, r: StudentReport) -> None:
    ws = book.sheet("Summary")
    ws.fit_to_pages(1, 1)  # the whole summary on one page
    for col, width in (
        (0, 28),
        (1, 9),
        (2, 8),
        (3, 12),
        (TIMELINE_COL, 14),
        (TIMELINE_COL + 1, 11),
    ):
        ws.set_column(col, col, width)
    _summary_heading(ws, book, r)
    row = _funnel_block(ws, book, FUNNEL_TOP, r.metrics)
    row = _figures_block(ws, book, row + 1, r)
    _actions_block(ws, book, row + 1, r.metrics)
    _timeline_block(ws, book, FUNNEL_TOP, r.metrics)
    _funnel_chart(book, ws, r.metrics)
    if r.metrics.timeline:
        _timeline_chart(book, ws, r.metrics)


def _summary_heading(ws: Any, book: Book, r: StudentReport) -> None:
    m = r.metrics
    ws.write_string(0, 0, safe_text(f"Networking progress: {r.student}"), book.fmt["title"])
    period = f"Period covered: {m.period.label()} · as of {format_day(r.today)}"
    ws.write_string(1, 0, period, book.fmt["subtitle"])
    redacted = " · third-party details redacted" if r.redacted else ""
    ws.write_string(2, 0, safe_text(f"Source: {r.source}{redacted}"), book.fmt["subtitle"])


def _funnel_block(ws: Any, book: Book, top: int, m: Metrics) -> int:
    ws.write_string(top, 0, "Funnel", book.fmt["section"])
    headers(ws, book, top + 1, ("Stage", "People", "Share", "of"))
    counts = {s.label: s.count for s in m.funnel}
    for i, stage in enumerate(m.funnel):
        row = top + 2 + i
        base = FUNNEL_BASE.get(stage.label)
        put(ws, row, 0, stage.label, book.fmt["text"])
        put(ws, row, 1, stage.count, book.fmt["int"])
        put(ws, row, 2, ratio(stage.count, counts[base]) if base else None, book.fmt["pct"])
        put(ws, row, 3, base.lower() if base else None, book.fmt["muted"])
    return top + 2 + len(m.funnel)


def _figures_block(ws: Any, book: Book, top: int, r: StudentReport) -> int:
    m = r.metrics
    ws.write_string(top, 0, "Key figures", book.fmt["section"])
    figures: list[tuple[str, CellOut, str]] = [
        ("Reply rate", m.reply_rate, "pct"),
        ("Median days to reply", m.median_days_to_reply, "num1"),
        ("Interviews per week", round(m.interviews_per_week, 2), "num2"),
        ("Interviews scheduled", m.interviews_scheduled, "int"),
        ("Actions due now", m.due_now, "int"),
        ("  of which overdue", m.overdue, "int"),
        ("People gone stale", m.stale, "int"),
        ("Data problems", m.data_problems, "int"),
    ]
    for i, (label, value, fmt) in enumerate(figures):
        put(ws, top + 1 + i, 0, label, book.fmt["text"])
        put(ws, top + 1 + i, 1, value if value is not None else "n/a", book.fmt[fmt])
    return top + 1 + len(figures)


def _actions_block(ws: Any, book: Book, top: int, m: Metrics) -> int:
    ws.write_string(top, 0, "Actions due now, by kind", book.fmt["section"])
    headers(ws, book, top + 1, ("Kind", "Due now", "Overdue"))
    if not m.actions:
        ws.write_string(top + 2, 0, "Nothing due: all caught up.", book.fmt["muted"])
        return top + 3
    for i, k in enumerate(m.actions):
        put(ws, top + 2 + i, 0, k.label, book.fmt["text"])
        put(ws, top + 2 + i, 1, k.due_now, book.fmt["int"])
        put(ws, top + 2 + i, 2, k.overdue, book.fmt["int"])
    return top + 2 + len(m.actions)


def _timeline_block(ws: Any, book: Book, top: int, m: Metrics) -> None:
    unit = m.timeline_unit
    ws.write_string(top, TIMELINE_COL, f"Interviews held, by {unit}", book.fmt["section"])
    first = "Week of (Mon)" if unit == "week" else "Month"
    headers(ws, book, top + 1, (first, "Interviews"), TIMELINE_COL)
    fmt = book.fmt["date"] if unit == "week" else book.fmt["month"]
    for i, (start, n) in enumerate(m.timeline):
        put(ws, top + 2 + i, TIMELINE_COL, start, fmt)
        put(ws, top + 2 + i, TIMELINE_COL + 1, n, book.fmt["int"])


def _funnel_chart(book: Book, ws: Any, m: Metrics) -> None:
    first, last = FUNNEL_TOP + 2, FUNNEL_TOP + 1 + len(m.funnel)
    chart = book.wb.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "People",
            "categories": ["Summary", first, 0, last, 0],
            "values": ["Summary", first, 1, last, 1],
            "fill": {"color": ACCENT},
            "data_labels": {"value": True},
            "gap": 60,
        }
    )
    _style_chart(chart, FUNNEL_TITLE)
    chart.set_y_axis({"reverse": True})
    chart.set_x_axis({"min": 0, "major_gridlines": _GRIDLINES})
    ws.insert_chart(FUNNEL_TOP, CHART_COL, chart)


_GRIDLINES = {"visible": True, "line": {"color": "#DDDDDD"}}


def _timeline_chart(book: Book, ws: Any, m: Metrics) -> None:
    first, last = FUNNEL_TOP + 2, FUNNEL_TOP + 1 + len(m.timeline)
    chart = book.wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Interviews",
            "categories": ["Summary", first, TIMELINE_COL, last, TIMELINE_COL],
            "values": ["Summary", first, TIMELINE_COL + 1, last, TIMELINE_COL + 1],
            "fill": {"color": "#5B9B6B"},
            "gap": 40,
        }
    )
    _style_chart(chart, TIMELINE_TITLE)
    label = "d mmm" if m.timeline_unit == "week" else "mmm yy"
    chart.set_x_axis(
        {"text_axis": True, "num_format": label, "num_font": {"rotation": -45, "size": 8}}
    )
    chart.set_y_axis({"min": 0, "major_unit": 1, "major_gridlines": _GRIDLINES})
    ws.insert_chart(FUNNEL_TOP + 17, CHART_COL, chart)


def _style_chart(chart: Any, title: str) -> None:
    chart.set_title({"name": title, "name_font": {"size": 12, "bold": True}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 560, "height": 310})


ACTION_HEADERS = ("Urgency", "Due", "Contact", "Organization", "What to do", "Kind", "Row")
ACTION_WIDTHS = (10.0, 12.0, 20.0, 26.0, 64.0, 17.0, 6.0)


def _actions_tab(book: Book, r: StudentReport) -> None:
    ws = book.sheet("Actions")
    header_row(ws, book, 0, ACTION_HEADERS, ACTION_WIDTHS)
    for i, a in enumerate(r.actions, start=1):
        values: tuple[CellOut, ...] = (
            a.urgency, a.due, a.contact, a.organization, a.what, rule_label(a.kind), a.row,
        )  # fmt: skip
        for c, value in enumerate(values):
            put(ws, i, c, value, book.fmt["date"] if c == 1 else book.fmt["wrap"])
        put(ws, i, 0, a.urgency, book.fill.get(a.urgency, book.fmt["wrap"]))
        ws.set_row(i, row_height(values, ACTION_WIDTHS))
    if not r.actions:
        ws.write_string(1, 0, "No open actions: the tracker is up to date.", book.fmt["muted"])
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(r.actions), 1), len(ACTION_HEADERS) - 1)
    ws.repeat_rows(0)


def _contacts_tab(book: Book, r: StudentReport) -> None:
    ws = book.sheet("Contacts")
    t = r.contacts
    widths = _widths(t)
    header_row(ws, book, 0, t.headers, widths)
    for i, values in enumerate(t.rows, start=1):
        for c, value in enumerate(values):
            put(ws, i, c, value, book.fmt["date"] if c in t.date_columns else book.fmt["wrap"])
        ws.set_row(i, row_height(values, widths))
    last = max(len(t.rows), 1)
    ws.freeze_panes(1, t.urgency_column)
    ws.autofilter(0, 0, last, len(t.headers) - 1)
    ws.repeat_rows(0)
    ws.repeat_columns(0, t.urgency_column - 1)
    ws.fit_to_pages(1 if sum(widths) <= PAGE_WIDTH else 2, 0)
    _urgency_formats(ws, book, last, len(t.headers) - 1, t.urgency_column)


PAGE_WIDTH = 200  # column-width units that still print legibly on one landscape page


def _widths(t: ContactTable) -> list[float]:
    """Column widths from the longest value (dates a fixed width), clamped to 5–30."""
    out: list[float] = []
    for c, header in enumerate(t.headers):
        if c in t.date_columns:
            out.append(13.0)
            continue
        longest = max([len(str(row[c])) for row in t.rows if row[c] is not None] + [8])
        out.append(float(min(max(longest + 1, 5, min(len(header), 14)), 30)))
    return out


def _urgency_formats(ws: Any, book: Book, last: int, last_col: int, urgency_col: int) -> None:
    letter = xlsxwriter.utility.xl_col_to_name(urgency_col)
    for word, fmt in book.fill.items():
        ws.conditional_format(
            1, 0, last, last_col,
            {"type": "formula", "criteria": f'=${letter}2="{word}"', "format": fmt},
        )  # fmt: skip
