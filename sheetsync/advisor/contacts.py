"""The Contacts tab's table: each row of the tracker with its urgency and status, then the
tracker's own columns, each cell as the export shows it (redacted on request)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sheetsync.advisor.redaction import REDACTION_RULES, Redaction, Treat, generic_step, scrub
from sheetsync.advisor.values import CellOut, cell_text
from sheetsync.fields import BY_ID, Kind
from sheetsync.frame import parse_cadence
from sheetsync.grid import CellError, clean_text
from sheetsync.models import Finding, Severity
from sheetsync.pipeline import Checked
from sheetsync.status import MANAGED_COLUMNS, SEVERITY_WORD, RowStatus, statuses


@dataclass(frozen=True)
class ContactTable:
    """The Contacts tab: headers, rows of values, which columns are dates, each row's style."""

    headers: tuple[str, ...]
    rows: tuple[tuple[CellOut, ...], ...]
    date_columns: frozenset[int]
    urgency_column: int
    left_out: tuple[str, ...] = ()


NO_CONTACTS = ContactTable((), (), frozenset(), -1)
STATUS_HEADERS = tuple(c.header for c in MANAGED_COLUMNS)
URGENCY_HEADER = "Urgency"


NAME_FIELDS = ("name", "first_name", "last_name")


def contact_table(
    checked: Checked, df: pd.DataFrame, findings: Sequence[Finding], redaction: Redaction | None
) -> ContactTable:
    """Row number and name, then urgency and the status columns, then the tracker's other
    mapped columns (user headers, sheet order); redacted fields are left out."""
    lay = checked.layout
    in_order = [f for f, _ in sorted(lay.columns.items(), key=lambda kv: kv[1])]
    left_out = tuple(lay.headers[lay.columns[f]] for f in in_order if _redacted(f, redaction))
    kept = [f for f in in_order if not _redacted(f, redaction)]
    lead, rest = [f for f in kept if f in NAME_FIELDS], [f for f in kept if f not in NAME_FIELDS]
    raw = _raw_values(checked, kept)
    status_of, top = statuses(df.index, findings), _top_rule(findings)
    rows = tuple(
        (
            int(r),
            *(_cell(df, raw, f, int(r), redaction) for f in lead),
            *_status_cells(status_of[r], top.get(int(r)), redaction),
            *(_cell(df, raw, f, int(r), redaction) for f in rest),
        )
        for r in df.index
    )
    headers = ("Row", *(lay.headers[lay.columns[f]] for f in lead), URGENCY_HEADER,
               *STATUS_HEADERS, *(lay.headers[lay.columns[f]] for f in rest))  # fmt: skip
    first_rest = 1 + len(lead) + 1 + len(STATUS_HEADERS)
    dates = {first_rest + i for i, f in enumerate(rest) if BY_ID[f].kind in _DATE_KINDS}
    dates.add(first_rest - 1)  # the "sheetsync · due" column
    return ContactTable(headers, rows, frozenset(dates), 1 + len(lead), left_out)


_DATE_KINDS = (Kind.DATE, Kind.DATE_OR_FLAG)


def _status_cells(
    status: RowStatus, top_rule: str | None, redaction: Redaction | None
) -> tuple[CellOut, ...]:
    """Urgency word, then the managed columns in their order: status, next step, due."""
    urgency = "OK" if status.style == "ok" else SEVERITY_WORD[Severity(status.style)]
    return (urgency, status.status, _next_step(status.next_step, top_rule, redaction), status.due)


def _redacted(field_id: str, redaction: Redaction | None) -> bool:
    return redaction is not None and redaction.leaves_out(field_id)


def _top_rule(findings: Sequence[Finding]) -> dict[int, str]:
    top: dict[int, str] = {}
    for f in sorted(findings, key=Finding.sort_key):
        top.setdefault(f.row, f.rule)
    return top


def _next_step(message: str | None, rule_id: str | None, redaction: Redaction | None) -> str | None:
    if redaction is None or rule_id is None:
        return message
    return generic_step(rule_id)


def _raw_values(checked: Checked, shown: Sequence[str]) -> dict[tuple[int, str], object]:
    """The cells as the user typed them (for values the typed frame could not read)."""
    tab, cols = checked.tab, checked.layout.columns
    return {(r, f): tab.cell(r, cols[f]) for r in checked.tracker.df.index for f in shown}


def _cell(
    df: pd.DataFrame,
    raw: Mapping[tuple[int, str], object],
    field_id: str,
    row: int,
    redaction: Redaction | None,
) -> CellOut:
    """One cell of the Contacts tab: a date as a date, else what was typed (or its redaction)."""
    if redaction is not None:
        return _redacted_cell(df, raw[(row, field_id)], field_id, row, redaction)
    kind = BY_ID[field_id].kind
    day = _date_at(df, row, field_id) if kind is Kind.DATE else None
    if day is not None:
        return day
    if kind is Kind.DATE_OR_FLAG:
        return _flag_cell(df, raw, field_id, row)
    return _plain(raw[(row, field_id)], None)


def _redacted_cell(
    df: pd.DataFrame, value: object, field_id: str, row: int, redaction: Redaction
) -> CellOut:
    """One cell as a redacted export shows it, by :data:`REDACTION_RULES`."""
    treat = REDACTION_RULES.get(field_id, Treat.DROP)
    if treat is Treat.CONTACT:
        return _redacted_name(df, field_id, row, redaction)
    if treat is Treat.DATE:
        return _date_at(df, row, field_id)  # text in a date cell ("TBD, she said") is dropped
    if treat is Treat.PEOPLE:
        return redaction.people(cell_text(value))
    if treat is Treat.CATEGORY:
        return _category(df, value, field_id, row)
    if treat is Treat.KEEP:
        return _plain(value, redaction)
    return None


_DECLINED = re.compile(
    r"declin|not interested|no thanks|can'?t|cannot|unable|turned (me )?down|refus|too busy", re.I
)
_PLATFORMS = (
    ("video call", re.compile(r"zoom|teams|meet|skype|webex|video|facetime|hangout", re.I)),
    ("phone", re.compile(r"phone|call|tel\b|mobile", re.I)),
)
_NOTHING = frozenset({"", "-", "—", "none", "no", "n/a", "na", "cold", "nobody"})


def _category(df: pd.DataFrame, value: object, field_id: str, row: int) -> CellOut:
    """A category word in place of what was typed (the date, when the cell holds one)."""
    text = clean_text(cell_text(value)) if not isinstance(value, CellError) else ""
    if field_id == "connection":
        return "yes" if text.casefold() not in _NOTHING else None
    if field_id == "platform":
        if not text:
            return None
        return next((word for word, pat in _PLATFORMS if pat.search(text)), "in person/other")
    if field_id == "cadence":
        days = parse_cadence(value) if text else None
        return f"every {round(days)} days" if days else None
    day = _date_at(df, row, f"{field_id}_date")
    if day is not None:
        return day
    flag = _at(df, row, field_id)
    if flag is None or pd.isna(flag):
        return None
    if field_id == "response":
        return "declined" if _DECLINED.search(text) else ("replied" if flag else "no reply")
    return "yes" if bool(flag) else "no"


def _flag_cell(
    df: pd.DataFrame,
    raw: Mapping[tuple[int, str], object],
    field_id: str,
    row: int,
) -> CellOut:
    """A date-or-flag cell: its date, else what was typed (unredacted exports only)."""
    day = _date_at(df, row, f"{field_id}_date")
    return day if day is not None else _plain(raw[(row, field_id)], None)


def _at(df: pd.DataFrame, row: int, name: str) -> Any:
    """One cell of the typed frame (None when the column is absent)."""
    return df.at[row, name] if name in df else None


def _date_at(df: pd.DataFrame, row: int, name: str) -> dt.date | None:
    """A date cell of the typed frame as a date (None when empty or absent)."""
    value = _at(df, row, name)
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _redacted_name(df: pd.DataFrame, field_id: str, row: int, redaction: Redaction) -> CellOut:
    if field_id == "name" or "name" not in df:
        return redaction.name(cell_text(df.at[row, "name"]), row)
    return None  # split names: the initials stand in the first-name column


def _plain(value: object, redaction: Redaction | None) -> CellOut:
    if value is None or isinstance(value, bool):
        return None if value is None else ("yes" if value else "no")
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value) if not isinstance(value, CellError) else value.code
    return scrub(text) if redaction is not None else text
