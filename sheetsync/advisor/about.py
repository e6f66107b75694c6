"""The About tab of both exports: the facts of the export (as of, period, source, redaction)
and, in words, how each figure is computed (:data:`~sheetsync.advisor.metrics.DEFINITIONS`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sheetsync import __version__
from sheetsync.advisor.book import Book, row_height, safe_text
from sheetsync.advisor.cohort import CohortReport
from sheetsync.advisor.metrics import DEFINITIONS
from sheetsync.advisor.report import StudentReport
from sheetsync.advisor.values import format_day

ABOUT_WIDTHS = (24.0, 80.0)
DEFAULT_STALE_DAYS = 90  # a cohort has no one stale-contact setting to quote


def about_tab(book: Book, r: StudentReport) -> None:
    """One student's About tab: whose tracker, when, from where, how redacted."""
    facts: list[tuple[str, str]] = [
        ("Student", r.student),
        ("As of", format_day(r.today)),
        ("Period covered", r.metrics.period.label()),
        ("Source", f"{r.source} (tab '{r.worksheet}')"),
        ("Made with", f"sheetsync {__version__}"),
        ("Redaction", _redaction_note(r)),
    ]
    _about(book, facts, r.stale_days)


def _redaction_note(r: StudentReport) -> str:
    if not r.redacted:
        return "None: names and details appear as the student typed them."
    left = ", ".join(r.contacts.left_out) or "none"
    return (
        "Contacts shown as initials and everyone else they name as Person A, B, … (the same "
        "person, the same placeholder); replies, places and connections reduced to a category; "
        "free text, emails, URLs and phone numbers removed; actions described generically. "
        f"Columns left out: {left}."
    )


def _about(book: Book, facts: Sequence[tuple[str, str]], stale_days: int) -> None:
    """The About tab: its title, the facts, then how each number is computed."""
    ws = book.sheet("About", landscape=False)
    ws.set_column(0, 0, ABOUT_WIDTHS[0])
    ws.set_column(1, 1, ABOUT_WIDTHS[1])
    ws.write_string(0, 0, "About this export", book.fmt["title"])
    row = _pairs(ws, book, 2, facts)
    ws.write_string(row + 1, 0, "How each number is computed", book.fmt["section"])
    _pairs(ws, book, row + 2, _definitions(stale_days))


def _definitions(stale_days: int) -> list[tuple[str, str]]:
    """:data:`DEFINITIONS`, with the stale-contact check's days as configured."""
    return [
        (k, v.replace("(default 90 days)", f"(default {stale_days} days)")) for k, v in DEFINITIONS
    ]


def _pairs(ws: Any, book: Book, top: int, items: Sequence[tuple[str, str]]) -> int:
    """Bold keys in column A, their wrapped values in B, from row ``top``; the row below."""
    for i, (key, value) in enumerate(items):
        ws.write_string(top + i, 0, key, book.fmt["bold"])
        ws.write_string(top + i, 1, safe_text(value), book.fmt["wrap"])
        ws.set_row(top + i, row_height((key, value), ABOUT_WIDTHS))
    return top + len(items)


def cohort_about(book: Book, report: CohortReport) -> None:
    """The cohort's About tab: when, how many, how the totals pool the students."""
    facts = [
        ("As of", format_day(report.today)),
        ("Since", format_day(report.since) if report.since else "each student's first contact"),
        ("Students", str(len(report.rows))),
        ("Could not be read", str(len(report.failures))),
        ("Made with", f"sheetsync {__version__}"),
        (
            "Cohort totals",
            "Counts are summed; reply rate = all replies ÷ all contacted; median over every "
            "student's dated replies; interviews per week summed (the cohort's weekly pace).",
        ),
    ]
    _about(book, facts, DEFAULT_STALE_DAYS)
