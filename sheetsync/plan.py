"""Desired managed cells vs what the sheet holds now → only the cells that differ.

A plan never touches a cell outside sheetsync's managed columns. Its changes carry each row's
contact key, so a backend whose sheet may have moved under it (Google) can re-find the row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from sheetsync.dates import from_serial
from sheetsync.errors import WriteRefused
from sheetsync.frame import Tracker
from sheetsync.grid import CellValue, Grid, Tab, clean_text, is_blank
from sheetsync.layout import Layout
from sheetsync.models import CellChange, Plan, PrepPlan
from sheetsync.prep import PrepTab
from sheetsync.status import MANAGED_COLUMNS, ManagedColumn, RowStatus

MAX_COLUMNS = 16_384  # XFD, the last column of an .xlsx sheet
KEY_FIELDS = ("name", "first_name", "last_name", "email", "organization")


def managed_positions(
    tab: Tab, layout: Layout, managed: Sequence[ManagedColumn] = MANAGED_COLUMNS
) -> tuple[dict[str, int], list[str]]:
    """Column of each managed column: where it stands now, else after the user's last column."""
    found = {clean_text(h).casefold(): c for h, c in layout.managed.items()}
    columns: dict[str, int] = {}
    added: list[str] = []
    taken = frozenset(found.values())
    merged = max((m.last_col for m in tab.merged if m.last_row >= layout.header_row), default=0)
    next_col = max(tab.last_used_col(skip=taken), max(taken, default=0), merged) + 1
    for column in managed:
        col = found.get(column.header.casefold())
        if col is None:
            col, next_col = next_col, next_col + 1
            added.append(column.header)
        columns[column.header] = col
    if max(columns.values()) > MAX_COLUMNS:
        raise WriteRefused(
            f"'{layout.worksheet}' has no room for sheetsync's columns: something is written "
            "out to the last column a sheet can have. Clear the cells far to the right of your "
            "data and sync again."
        )
    return columns, added


def same_value(current: CellValue, wanted: CellValue) -> bool:
    """True when a managed cell already holds ``wanted`` (a date may read back as a serial)."""
    if is_blank(current) and wanted is None:
        return True
    if isinstance(current, dt.datetime):
        current = current.date()
    if isinstance(wanted, dt.date) and isinstance(current, int | float):
        return not isinstance(current, bool) and from_serial(current) == wanted
    return current == wanted


def _key(keys: pd.Series, row: int) -> str:
    key = keys.get(row) if row in keys.index else None
    return "" if key is None or pd.isna(key) else str(key)


def make_plan(
    tab: Tab,
    tracker: Tracker,
    status_of: Mapping[int, RowStatus],
    managed: Sequence[ManagedColumn] = MANAGED_COLUMNS,
) -> Plan:
    """Every managed cell (header included) whose value must change."""
    layout = tracker.layout
    columns, added = managed_positions(tab, layout, managed)
    changes: list[CellChange] = []
    for column in managed:
        col = columns[column.header]
        header = tab.cell(layout.header_row, col)
        if not same_value(header, column.header):
            changes.append(CellChange(layout.header_row, col, header, column.header, "header"))
        changes += _column_changes(tab, tracker, status_of, column, col)
    changes.sort(key=lambda c: (c.row, c.col))
    keys = tracker.df["key"].dropna()
    return Plan(
        layout.worksheet,
        tuple(changes),
        tuple(added),
        columns,
        header_row=layout.header_row,
        key_columns={f: c for f, c in layout.columns.items() if f in KEY_FIELDS},
        row_keys={int(r): str(k) for r, k in zip(keys.index.tolist(), keys.tolist(), strict=True)},
        headers={c: h for c, h in layout.headers.items() if h not in layout.managed},
    )


def _column_changes(
    tab: Tab,
    tracker: Tracker,
    status_of: Mapping[int, RowStatus],
    column: ManagedColumn,
    col: int,
) -> list[CellChange]:
    keys = tracker.df["key"]
    out: list[CellChange] = []
    for row in range(tracker.layout.header_row + 1, tab.height + 1):
        current = tab.cell(row, col)
        status = status_of.get(row)
        wanted = status.value(column) if status else None
        if not same_value(current, wanted):
            style = status.style if status else None
            out.append(CellChange(row, col, current, wanted, style, _key(keys, row)))
    return out


def _trimmed(rows: Sequence[Sequence[CellValue]]) -> list[list[CellValue]]:
    out = [[None if is_blank(v) else v for v in r] for r in rows]
    for r in out:
        while r and r[-1] is None:
            r.pop()
    while out and not out[-1]:
        out.pop()
    return out


def plan_prep(grid: Grid, tab: PrepTab | None) -> PrepPlan | None:
    """The prep tab's rewrite, or None when it already holds exactly what it should."""
    if tab is None:
        return None
    current = grid.tab(tab.name)
    wanted = _trimmed(tab.grid_rows())
    have = _trimmed(current.rows) if current is not None else None
    if have is not None and [[_norm(v) for v in r] for r in have] == wanted:
        return None
    return PrepPlan(
        tab.name,
        tuple(tuple(r) for r in wanted),
        tuple(r.kind for r in tab.rows[: len(wanted)]),
        is_new=current is None,
        old_height=current.height if current is not None else 0,
        old_width=current.width if current is not None else 0,
    )


def _norm(value: CellValue) -> CellValue:
    return value.date() if isinstance(value, dt.datetime) else value
