"""Findings → the words sheetsync writes in its managed columns.

sheetsync owns a few columns after the user's last one. Their headers start with
``sheetsync ·`` so they can never be confused with a user's own "Status" or "Next step", and
are found again by header wherever the user moves them. Every contact row gets a status:
``OK`` when nothing is due, otherwise what is due in plain words, most urgent first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sheetsync.models import Finding, Severity
from sheetsync.rules import RULES


@dataclass(frozen=True)
class ManagedColumn:
    """One column sheetsync owns."""

    id: str
    header: str
    width: float


STATUS = ManagedColumn("status", "sheetsync · status", 40)
NEXT_STEP = ManagedColumn("next_step", "sheetsync · next step", 70)
DUE = ManagedColumn("due", "sheetsync · due", 17)
MANAGED_COLUMNS: tuple[ManagedColumn, ...] = (STATUS, NEXT_STEP, DUE)
# Added only when a mailbox is configured ([mail]): what the mail says about each contact.
MAIL = ManagedColumn("mail", "sheetsync · mail", 45)

SEVERITY_WORD = {
    Severity.OVERDUE: "Overdue",
    Severity.DUE: "Due",
    Severity.SOON: "Soon",
    Severity.INFO: "Note",
    Severity.DATA: "Check",
}


@dataclass(frozen=True)
class RowStatus:
    """What the managed cells of one row should say, and how urgent it looks."""

    status: str
    next_step: str | None
    due: dt.date | None
    style: str  # "ok", or a Severity value
    mail: str | None = None  # the mail column's words, when mail evidence is configured

    def value(self, column: ManagedColumn) -> str | dt.date | None:
        """The value for one managed column."""
        values = {"status": self.status, "next_step": self.next_step, "due": self.due}
        return values.get(column.id, self.mail)


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
    return {r: row_status(by_row.get(r, []), ok_status) for r in rows}
