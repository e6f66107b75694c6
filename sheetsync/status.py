"""Findings → the words sheetsync writes in its managed columns.

sheetsync owns a few columns after the user's last one (:mod:`sheetsync.managed`, re-exported
here). Every contact row gets a status:
``OK`` when nothing is due, otherwise what is due in plain words, most urgent first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sheetsync.managed import DUE, MAIL, MANAGED_COLUMNS, NEXT_STEP, STATUS, ManagedColumn
from sheetsync.models import Finding, Severity
from sheetsync.rules import RULES

__all__ = [
    "DUE",
    "MAIL",
    "MANAGED_COLUMNS",
    "NEXT_STEP",
    "SEVERITY_WORD",
    "STATUS",
    "ManagedColumn",
    "RowStatus",
    "row_status",
    "statuses",
]

SEVERITY_WORD = {
    Severity.OVERDUE: "Overdue",
    Severity.DUE: "Due",
    Severity.SOON: "Soon",
    Severity.INFO: "Note",
    Severity.DATA: "Check",
}


@dataclass(frozen=True, slots=True)  # one per contact row
class RowStatus:
    """What the managed cells of one row should say, and how urgent it looks."""

    status: str
    next_step: str | None
    due: dt.date | None
    style: str  # "ok", or a Severity value
    mail: str | None = None  # the mail column's words, when mail evidence is configured

    def value(self, column: ManagedColumn) -> str | dt.date | None:
        """The value for one managed column."""
        kind = column.id
        if kind == "status":
            return self.status
        if kind == "next_step":
            return self.next_step
        return self.due if kind == "due" else self.mail


def row_status(findings: list[Finding], ok_status: str = "OK") -> RowStatus:
    """Summarise one row's findings (already sorted most urgent first)."""
    if not findings:
        return RowStatus(ok_status, None, None, "ok")
    top = findings[0]
    labels: list[str] = []
    for f in findings:
        label = f"{SEVERITY_WORD[f.severity]}: {RULES[f.rule].label}"
        if label not in labels:
            labels.append(label)
    more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
    due = next((f.due for f in findings if f.due), None)
    return RowStatus(" · ".join(labels), top.message + more, due, top.severity.value)


def statuses(
    rows: Iterable[int], findings: Iterable[Finding], ok_status: str = "OK"
) -> Mapping[int, RowStatus]:
    """The status of every contact row (rows without findings get ``ok_status``)."""
    by_row: dict[int, list[Finding]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        by_row.setdefault(f.row, []).append(f)
    ok = row_status([], ok_status)  # one object for every row with nothing due
    return {r: row_status(found, ok_status) if (found := by_row.get(r)) else ok for r in rows}
