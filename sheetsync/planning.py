"""Desired managed cells vs what the sheet holds now → only the cells that differ.

A plan never touches a cell outside sheetsync's managed columns. Its changes carry each row's
contact key, so when the sheet may have moved under it (people edit a Google sheet while
sheetsync runs) :func:`rebase` moves each change to the row that holds its person now; a
backend only reads a grid and applies the changes it is given.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from sheetsync import frame
from sheetsync.dates import from_serial
from sheetsync.errors import SourceChangedError, WriteRefused
from sheetsync.frame import Tracker
from sheetsync.grid import CellValue, Grid, Tab, TableArea, clean_text, col_letter, is_blank
from sheetsync.layout import Layout
from sheetsync.models import CellChange, Plan, PrepPlan, TableGrowth
from sheetsync.status import MANAGED_COLUMNS, ManagedColumn, RowStatus

if TYPE_CHECKING:
    from sheetsync.prep import PrepTab

log = logging.getLogger("sheetsync")

MAX_COLUMNS = 16_384  # XFD, the last column of an .xlsx sheet
KEY_FIELDS = ("name", "first_name", "last_name", "email", "organization")


def managed_positions(
    tab: Tab, layout: Layout, managed: Sequence[ManagedColumn] = MANAGED_COLUMNS
) -> tuple[dict[str, int], list[str]]:
    """Column of each managed column: where it stands now, else after the user's last column.

    New columns go to the first block of columns right of the user's data (and of any Excel
    table over the header row) that none of the user's data validations or conditional
    formats reaches; when no such block exists they go right after the data, and
    :func:`placement_notes` says so.
    """
    found = {clean_text(h).casefold(): c for h, c in layout.managed.items()}
    columns: dict[str, int] = {}
    added: list[str] = []
    taken = frozenset(found.values())
    merged = max((m.last_col for m in tab.merged if m.last_row >= layout.header_row), default=0)
    next_col = max(tab.last_used_col(skip=taken), max(taken, default=0), merged) + 1
    next_col = max(next_col, _table_edge(tab, layout, taken) + 1)
    missing = [c for c in managed if c.header.casefold() not in found]
    next_col = _free_block(tab, layout, next_col, len(missing)) or next_col
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


def _table_edge(tab: Tab, layout: Layout, taken: frozenset[int]) -> int:
    """The rightmost column of an Excel table over the header row (managed columns aside)."""
    edges = [
        t.last_col
        for t in _tables_over_header(tab, layout)
        if t.kind != "filter" and not any(t.first_col <= c <= t.last_col for c in taken)
    ]
    return max(edges, default=0)


def _tables_over_header(tab: Tab, layout: Layout) -> list[TableArea]:
    """Tables and filters over the contacts: across the header row and a column of theirs."""
    fields = layout.columns.values()
    return [
        t
        for t in tab.tables
        if t.first_row <= layout.header_row <= t.last_row
        and any(t.first_col <= c <= t.last_col for c in fields)
    ]


def _rules_over(tab: Tab, layout: Layout, col: int) -> list[int]:
    """Last columns of the user's validation/conditional-format ranges that reach ``col``."""
    return [
        r.last_col
        for r in tab.rule_ranges
        if r.first_col <= col <= r.last_col and r.last_row >= layout.header_row
    ]


def _free_block(tab: Tab, layout: Layout, start: int, width: int) -> int | None:
    """The first column from ``start`` where ``width`` columns in a row are free of user
    rules; None when there is none before the sheet's last column."""
    col = start
    while width and col + width - 1 <= MAX_COLUMNS:
        reach = [last for c in range(col, col + width) for last in _rules_over(tab, layout, c)]
        if not reach:
            return col
        col = max(reach) + 1
    return None if width else start


def placement_notes(tab: Tab, layout: Layout) -> tuple[str, ...]:
    """What the user should know about where the managed columns stand: a validation or
    conditional format of theirs that reaches them, a table or filter they do not join."""
    try:
        columns, added = managed_positions(tab, layout)
    except WriteRefused:
        return ()
    notes: list[str] = []
    covered = [c for c in sorted(columns.values()) if _rules_over(tab, layout, c)]
    if covered:
        letters = ", ".join(col_letter(c) for c in covered)
        why = ", and there is no free column to the right" if added else ""
        notes.append(
            f"A data validation or conditional format in '{tab.name}' applies to column(s) "
            f"{letters}, where sheetsync writes its status columns{why}. Narrow that rule's "
            "range (Data > Data validation, or Format > Conditional formatting) to your own "
            "columns."
        )
    _, skipped = table_growth(tab, layout, columns)
    return (*notes, *skipped)


def table_growth(
    tab: Tab, layout: Layout, columns: Mapping[str, int]
) -> tuple[tuple[TableGrowth, ...], tuple[str, ...]]:
    """Tables and filters over the contacts that must grow to take in the managed columns,
    and a note for each one they cannot join (the managed columns are not beside it)."""
    header_of = {c: h for h, c in columns.items()}
    cols = sorted(header_of)
    contiguous = cols == list(range(cols[0], cols[-1] + 1)) if cols else False
    grow: list[TableGrowth] = []
    notes: list[str] = []
    for area in _tables_over_header(tab, layout):
        if area.first_row != layout.header_row or area.header_rows < 1 or not cols:
            continue
        if area.last_col >= cols[-1] or area.first_col > cols[0]:
            continue  # already takes them in, or lies right of them
        if area.kind == "linked-table":
            notes.append(_linked(area, tab.name))
            continue
        if not contiguous or area.last_col < cols[0] - 1:
            notes.append(_not_joined(area, tab.name))
            continue
        new = range(area.last_col + 1, cols[-1] + 1)
        grow.append(
            TableGrowth(
                area.kind,
                area.name,
                layout.header_row,
                area.last_col,
                cols[-1],
                tuple(header_of[c] for c in new),
            )
        )
    return tuple(grow), tuple(notes)


def _linked(area: TableArea, tab_name: str) -> str:
    return (
        f"Excel table '{area.name}' in '{tab_name}' is filled from a query or an XML map, so "
        "sheetsync does not widen it: its status columns stay outside it, and sorting it would "
        "leave each status beside the wrong person until the next sync."
    )


def _not_joined(area: TableArea, tab_name: str) -> str:
    what = f"the table '{area.name}'" if area.kind == "table" else "the filter"
    return (
        f"sheetsync's status columns in '{tab_name}' are not next to {what}, so they stay "
        "outside it: sorting or filtering it would leave each status beside the wrong person "
        "until the next sync. Move the status columns next to it (or resize it over them)."
    )


def same_value(current: CellValue, wanted: CellValue) -> bool:
    """True when a managed cell already holds ``wanted`` (a date may read back as a serial)."""
    if is_blank(current) and wanted is None:
        return True
    if isinstance(current, dt.datetime):
        current = current.date()
    if isinstance(wanted, dt.date) and isinstance(current, int | float):
        return not isinstance(current, bool) and from_serial(current) == wanted
    return current == wanted


def _same_header(current: CellValue, wanted: str) -> bool:
    """A managed header the user retyped in another case or spacing is theirs to keep (in an
    Excel table it is also the column's name, which a rewrite would break)."""
    if isinstance(current, str):
        return clean_text(current).casefold() == wanted.casefold()
    return same_value(current, wanted)


def _keys_by_row(keys: pd.Series) -> dict[int, str]:
    """Each row's key as text ("" when blank), looked up once for every managed column."""
    return {
        row: "" if key is None or pd.isna(key) else str(key)
        for row, key in zip(keys.index.tolist(), keys.tolist(), strict=True)
    }


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
    key_of = _keys_by_row(tracker.df["key"])
    for column in managed:
        col = columns[column.header]
        header = tab.cell(layout.header_row, col)
        if not _same_header(header, column.header):
            changes.append(CellChange(layout.header_row, col, header, column.header, "header"))
        changes += _column_changes(tab, tracker, status_of, column, col, key_of)
    changes.sort(key=lambda c: (c.row, c.col))
    keys = tracker.df["key"].dropna()
    tables, _ = table_growth(tab, layout, columns)
    return Plan(
        layout.worksheet,
        tuple(changes),
        tuple(added),
        columns,
        header_row=layout.header_row,
        key_columns={f: c for f, c in layout.columns.items() if f in KEY_FIELDS},
        row_keys={int(r): str(k) for r, k in zip(keys.index.tolist(), keys.tolist(), strict=True)},
        headers={c: h for c, h in layout.headers.items() if h not in layout.managed},
        tables=tables,
    )


def _column_changes(
    tab: Tab,
    tracker: Tracker,
    status_of: Mapping[int, RowStatus],
    column: ManagedColumn,
    col: int,
    key_of: Mapping[int, str],
) -> list[CellChange]:
    out: list[CellChange] = []
    rows = tab.rows
    for row in range(tracker.layout.header_row + 1, tab.height + 1):
        cells = rows[row - 1]
        current = cells[col - 1] if col <= len(cells) else None  # as tab.cell(row, col)
        status = status_of.get(row)
        wanted = status.value(column) if status else None
        # an empty cell is the same only when nothing is wanted (what same_value says)
        if not (wanted is None if current is None else same_value(current, wanted)):
            style = status.style if status else None
            out.append(CellChange(row, col, current, wanted, style, key_of.get(row, "")))
    return out


def trimmed(rows: Sequence[Sequence[CellValue]]) -> list[list[CellValue]]:
    """Rows without their trailing empty cells (None or ""), and without trailing empty rows:
    two reads of one tab compare equal however far each read reached."""
    out = [list(r) for r in rows]
    for r in out:
        while r and (r[-1] is None or r[-1] == ""):
            r.pop()
    while out and not out[-1]:
        out.pop()
    return out


def _comparable(rows: Sequence[Sequence[CellValue]]) -> list[list[CellValue]]:
    """Rows as a backend reads them back (a date typed in .xlsx reads as a datetime)."""
    return trimmed([[_norm(v) for v in r] for r in rows])


def plan_prep(grid: Grid, tab: PrepTab | None) -> PrepPlan | None:
    """The prep tab's rewrite, or None when it already holds exactly what it should.

    ``tab`` is already merged with what the sheet holds (see :mod:`sheetsync.prep`): every
    cell the student typed is in it, so writing it whole loses nothing.
    """
    if tab is None:
        return None
    current = grid.tab(tab.name)
    wanted = _trimmed_tuples([r.cells for r in tab.rows])
    if current is not None and _comparable(current.rows) == _comparable(wanted):
        return None
    return PrepPlan(
        tab.name,
        wanted,
        tuple(r.kind for r in tab.rows[: len(wanted)]),
        is_new=current is None,
        old_height=current.height if current is not None else 0,
        old_width=current.width if current is not None else 0,
    )


def _trimmed_tuples(rows: Sequence[tuple[CellValue, ...]]) -> tuple[tuple[CellValue, ...], ...]:
    """As :func:`trimmed`, keeping each row's tuple itself when it has nothing to trim (a
    prep tab of 35,000 rows is not copied again)."""
    out = []
    for cells in rows:
        n = len(cells)
        while n and (cells[n - 1] is None or cells[n - 1] == ""):
            n -= 1
        out.append(cells if n == len(cells) else cells[:n])
    while out and not out[-1]:
        out.pop()
    return tuple(out)


def _norm(value: CellValue) -> CellValue:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return None if value == "" else value


# ---------------------------------------------------------------------- rebasing on a fresh read


def rebase(plan: Plan, fresh: Tab) -> tuple[CellChange, ...]:
    """The plan's cell changes moved onto ``fresh``, the tab as read again just before writing.

    People keep editing while sheetsync runs, so each change goes to the row that holds its
    person now (found by key: email, else name + organisation; the n-th row of a key that
    appears more than once goes to the n-th row of that key now), never to the row number of
    the first read. A change whose person is gone, or a change to a row that is nobody's which
    somebody has since typed into, is dropped (the next run catches up); so is a change whose
    cell already holds the new value. Each kept change's ``old`` is what its cell holds now.
    Only the key, header and managed columns of ``fresh`` are looked at.

    Raises :class:`~sheetsync.errors.SourceChangedError` when the header row changed or one
    of sheetsync's columns moved since the plan was made: then nothing may be written.
    """
    _check_header(plan, fresh)
    moved = _row_map(plan, fresh)
    changes: list[CellChange] = []
    for change in plan.changes:
        row = moved(change)
        if row is None:
            continue
        current = fresh.cell(row, change.col)
        if not same_value(current, change.new):
            changes.append(replace(change, row=row, old=current))
    return tuple(changes)


def _check_header(plan: Plan, fresh: Tab) -> None:
    """Stop if the header row moved or sheetsync's columns were moved away since the read."""
    for col, text in plan.headers.items():
        if fresh.cell(plan.header_row, col) != text:
            raise SourceChangedError(
                f"The header row of '{plan.worksheet}' changed while sheetsync was syncing "
                f"(column {col_letter(col)} no longer says '{text}'). Nothing was written: "
                "run sync again."
            )
    for header, col in plan.column_of.items():
        now = fresh.cell(plan.header_row, col)
        if not (is_blank(now) and header in plan.new_columns) and now != header:
            raise SourceChangedError(
                f"sheetsync's column '{header}' moved while it was syncing. Nothing was "
                "written: run sync again."
            )


def _fresh_keys(plan: Plan, fresh: Tab) -> dict[int, str]:
    """Contact row → key in ``fresh``, keyed the way the plan's rows were."""
    layout = Layout(
        plan.worksheet,
        plan.header_row,
        plan.key_columns,
        {c: plan.headers.get(c, "") for c in plan.key_columns.values()},
    )
    tracker = frame.build(Grid("fresh", [fresh]), layout)
    keys = tracker.df["key"].dropna()
    return {int(r): str(k) for r, k in zip(keys.index.tolist(), keys.tolist(), strict=True)}


def _row_map(plan: Plan, fresh: Tab) -> Callable[[CellChange], int | None]:
    """Where each change goes now: same row if nothing moved, else its key's row (or None)."""
    now = _fresh_keys(plan, fresh)
    if now == plan.row_keys:
        return lambda change: change.row
    log.info("rows moved in '%s' since the read; re-planning by key", plan.worksheet)
    rows_of: dict[str, list[int]] = {}
    for row, key in sorted(now.items()):
        rows_of.setdefault(key, []).append(row)
    nth = _occurrence(plan.row_keys)

    def moved(change: CellChange) -> int | None:
        if change.row == plan.header_row:
            return change.row
        if not change.key:  # a row that is not a contact: only clear it if still nobody's
            keep = change.new is None and change.row not in now
            return change.row if keep else None
        rows = rows_of.get(change.key, [])
        index = nth.get(change.row, 0)
        return rows[index] if index < len(rows) else None

    return moved


def _occurrence(row_keys: Mapping[int, str]) -> dict[int, int]:
    """For duplicate keys: which occurrence (0, 1, …) of its key each row was."""
    seen: dict[str, int] = {}
    out: dict[int, int] = {}
    for row, key in sorted(row_keys.items()):
        out[row] = seen.get(key, 0)
        seen[key] = out[row] + 1
    return out
