"""The cohort workbook: one row a student with totals, the sources that could not be read,
who needs attention, a chart, and the About tab."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sheetsync.advisor.about import cohort_about
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
from sheetsync.advisor.cohort import CohortReport, CohortRow, SourceFailure, cohort_totals
from sheetsync.advisor.values import CellOut, format_day

COHORT_TITLE = "Contacted, replied and interviewed, per student"

COHORT_HEADERS = (
    "Student", "Source", "Listed", "Contacted", "Replied", "Interviewed", "Thanked",
    "Referrals", "Reply rate", "Median days to reply", "Interviews / week", "Due now",
    "Overdue", "Gone stale", "Needs attention",
)  # fmt: skip


def write_cohort(report: CohortReport, output: Path, sources: Sequence[str] = ()) -> Path:
    """Write the cohort workbook: one row per student, totals, attention, failures, About."""
    book = Book("Networking progress: cohort")
    ws = book.sheet("Cohort")
    ws.write_string(0, 0, "Cohort networking progress", book.fmt["title"])
    ws.write_string(1, 0, _cohort_subtitle(report), book.fmt["subtitle"])
    header_row(ws, book, 3, COHORT_HEADERS, COHORT_WIDTHS)
    for i, row in enumerate(report.rows):
        _cohort_row(ws, book, 4 + i, row)
    bottom = _cohort_totals(ws, book, 4 + len(report.rows), report)
    bottom = _failures_block(ws, book, bottom + 2, report.failures)
    bottom = _attention_block(ws, book, bottom + 1, report)
    if report.rows:
        _cohort_chart(book, ws, report, bottom + 2)  # below every table: nothing under it
    cohort_about(book, report)
    return save(book, output, sources)


COHORT_WIDTHS = (22.0, 20.0, 8.0, 10.0, 9.0, 11.0, 9.0, 10.0, 9.0, 11.0, 11.0, 9.0, 9.0, 9.0, 36.0)


def _cohort_subtitle(report: CohortReport) -> str:
    since = f"since {format_day(report.since)} · " if report.since else ""
    failed = f" · {len(report.failures)} could not be read" if report.failures else ""
    return f"{since}as of {format_day(report.today)} · {len(report.rows)} students{failed}"


def _cohort_row(ws: Any, book: Book, row: int, c: CohortRow) -> None:
    m = c.report.metrics
    values: list[tuple[CellOut, str]] = [
        (c.report.student, "wrap"),
        (c.report.source, "wrap"),
        *[(s.count, "int") for s in m.funnel],
        (m.reply_rate, "pct"),
        (m.median_days_to_reply, "num1"),
        (round(m.interviews_per_week, 2), "num1"),
        (m.due_now, "int"),
        (m.overdue, "int"),
        (m.stale, "int"),
        ("; ".join(c.attention) or "on track", "wrap"),
    ]
    for col, (value, fmt) in enumerate(values):
        put(ws, row, col, value, book.fmt[fmt])
    ws.set_row(row, row_height([v for v, _ in values], COHORT_WIDTHS))
    if c.attention:
        ws.write_string(row, 0, safe_text(c.report.student), book.fill["Due"])


def _cohort_totals(ws: Any, book: Book, row: int, report: CohortReport) -> int:
    stages = [s.label for s in report.rows[0].report.metrics.funnel] if report.rows else []
    put(ws, row, 0, "Cohort total", book.fmt["total"])
    put(ws, row, 1, f"{len(report.rows)} students", book.fmt["total"])
    for i, label in enumerate(stages):
        put(ws, row, 2 + i, report.total(label), book.fmt["total"])
    totals = cohort_totals(report)
    put(ws, row, 8, totals["reply_rate"], book.fmt["total_pct"])
    put(ws, row, 9, totals["median_days_to_reply"], book.fmt["total_num1"])
    put(ws, row, 10, totals["interviews_per_week"], book.fmt["total_num1"])
    for col, key in ((11, "due_now"), (12, "overdue"), (13, "stale")):
        put(ws, row, col, totals[key], book.fmt["total"])
    put(ws, row, 14, f"{totals['attention']} need attention", book.fmt["total"])
    ws.set_row(row, row_height([f"{len(report.rows)} students"], COHORT_WIDTHS[1:]))
    return row + 1


def _failures_block(ws: Any, book: Book, top: int, failures: Sequence[SourceFailure]) -> int:
    if not failures:
        return top - 1
    ws.write_string(top, 0, "Sources that could not be read", book.fmt["section"])
    headers(ws, book, top + 1, ("Student", "Source", "Problem"))
    for i, f in enumerate(failures):
        put(ws, top + 2 + i, 0, f.student, book.fill["Overdue"])
        put(ws, top + 2 + i, 1, f.source, book.fmt["text"])
        ws.merge_range(top + 2 + i, 2, top + 2 + i, 14, "", book.fmt["wrap"])
        put(ws, top + 2 + i, 2, f.error, book.fmt["wrap"])
        merged = sum(COHORT_WIDTHS[2:])
        ws.set_row(top + 2 + i, row_height([f.student, f.source, f.error], (22, 20, merged)))
    return top + 2 + len(failures)


def _attention_block(ws: Any, book: Book, top: int, report: CohortReport) -> int:
    """The list of who needs attention; the row below it."""
    ws.write_string(top, 0, "Who needs attention", book.fmt["section"])
    needing = [(r.report.student, "; ".join(r.attention)) for r in report.rows if r.attention]
    needing += [(f.student, "tracker could not be read") for f in report.failures]
    if not needing:
        ws.write_string(top + 1, 0, "Everyone is on track.", book.fmt["muted"])
        return top + 2
    why_col = sum(COHORT_WIDTHS[1:])  # the reason may run on to the table's right edge
    for i, (student, why) in enumerate(needing):
        put(ws, top + 1 + i, 0, student, book.fmt["bold_wrap"])
        ws.merge_range(top + 1 + i, 1, top + 1 + i, len(COHORT_WIDTHS) - 1, "", book.fmt["wrap"])
        put(ws, top + 1 + i, 1, why, book.fmt["wrap"])
        ws.set_row(top + 1 + i, row_height([student, why], (COHORT_WIDTHS[0], why_col)))
    return top + 1 + len(needing)


def _cohort_chart(book: Book, ws: Any, report: CohortReport, top: int) -> None:
    last = 3 + len(report.rows)
    chart = book.wb.add_chart({"type": "bar"})
    for col, color in ((3, "#9DB7D5"), (4, ACCENT), (5, "#5B9B6B")):
        chart.add_series(
            {
                "name": ["Cohort", 3, col],
                "categories": ["Cohort", 4, 0, last, 0],
                "values": ["Cohort", 4, col, last, col],
                "fill": {"color": color},
            }
        )
    chart.set_title({"name": COHORT_TITLE, "name_font": {"size": 12, "bold": True}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 120 + 40 * len(report.rows)})
    ws.insert_chart(top, 0, chart)
