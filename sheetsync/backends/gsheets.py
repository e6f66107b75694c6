"""The Google Sheets backend: the same sync on a live sheet, through the real gspread client.

Per sync it makes one read: a ``spreadsheets.get`` whose ``fields`` mask asks for the tabs'
properties and, as grid data, every cell's computed value (``effectiveValue``: what
``UNFORMATTED_VALUE`` answers, dates as serial numbers, typed by our own schema — never
gspread's numericise). Tabs and values come from the same moment, and a no-op sync costs that
one request. When the plan is not empty: one structural ``spreadsheets:batchUpdate`` when there
is structure to change (the first time: grid size, header format, date format, urgency colours,
a warning-only protection on the managed columns; the prep tab's checkboxes and formats), one
``values:batchGet`` of the key and managed columns (and the prep tab) just before writing, and
one ``values:batchUpdate`` with ``RAW`` input, so nothing can become a formula. At most four
requests a sync.

People keep editing while sheetsync runs, so the plan's changes are rebased on that second
read by :func:`sheetsync.planning.rebase` (rows found by key, never by the row number
remembered from the first read; a moved header stops the write). This module only reads the
grid and applies what it is given. ``values:append`` is never used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import gspread

from sheetsync import gcpause, planning
from sheetsync.backends import Applied, gsheets_prep, gsheets_structure
from sheetsync.backends.gsheets_values import (
    cell_value,
    effective_value,
    json_value,
    quote_sheet,
    range_start,
)
from sheetsync.grid import (
    CellValue,
    Grid,
    MergedRange,
    Tab,
    TableArea,
    col_letter,
)
from sheetsync.models import CellChange, Plan

log = logging.getLogger("sheetsync")

READ_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
    "prettyPrint": "false",  # a system parameter of every Google API: JSON without indentation
}
# The one read of a sync: each tab's properties, merges, protections, filter and tables, and
# its grid data reduced to the computed value of each cell. With a ``fields`` mask the API
# sends grid data when the mask names it (``includeGridData`` is then ignored).
READ_FIELDS = (
    "properties.title,sheets(properties(sheetId,title,index,hidden,sheetType,gridProperties),"
    "merges,protectedRanges(description),basicFilter,tables,"
    "data(startRow,startColumn,rowData.values.effectiveValue))"
)


class GSheetsBackend:
    """A tracker in a Google spreadsheet, reached through a gspread client."""

    def __init__(
        self, spreadsheet_id: str, client: Callable[[], gspread.Client], *, label: str | None = None
    ) -> None:
        self.spreadsheet_id = spreadsheet_id
        self._client_factory = client
        self._client: gspread.Client | None = None
        self._label = label or f"gsheet:{spreadsheet_id}"
        self._sheets: dict[str, Mapping[str, Any]] = {}
        self._read_tabs: dict[str, Tab] = {}

    @property
    def unticked(self) -> CellValue:
        """An empty checkbox in the prep tab."""
        return False

    @property
    def name(self) -> str:
        """The source as the user gave it."""
        return self._label

    @property
    def http(self) -> Any:
        """The gspread HTTP client (created on first use)."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client.http_client

    # ------------------------------------------------------------------ read

    def read(self) -> Grid:
        """Every grid tab, its properties and its values, in one ``spreadsheets.get``."""
        params = {"includeGridData": "true", "fields": READ_FIELDS, "prettyPrint": "false"}
        # Grid data is one small dict per cell: decoding it with the cycle collector running
        # would walk them all again and again (4× the CPU time at 20,000 rows).
        with gcpause.paused():
            meta: Mapping[str, Any] = self.http.fetch_sheet_metadata(self.spreadsheet_id, params)
            self._sheets = {
                s["properties"]["title"]: s
                for s in meta.get("sheets", [])
                if s["properties"].get("sheetType", "GRID") == "GRID"
            }
            tabs = [self._tab(title, _grid_rows(sheet)) for title, sheet in self._sheets.items()]
        self._read_tabs = {t.name: t for t in tabs}
        return Grid(self.name, tabs)

    def _tab(self, title: str, rows: list[list[CellValue]]) -> Tab:
        sheet = self._sheets[title]
        merged = [_merge(m) for m in sheet.get("merges", [])]
        tab = Tab(title, rows, merged, hidden=bool(sheet["properties"].get("hidden")))
        tab.tables = _table_areas(sheet)
        return tab

    # ------------------------------------------------------------------ write

    def apply(self, plan: Plan) -> Applied:
        """Structure once, re-read keys, rebase the changes on moved rows, one RAW values write."""
        if plan.is_empty:
            return Applied(written=False)
        sheet = self._sheets[plan.worksheet]
        structural = gsheets_structure.columns(plan, sheet) if plan.changes else []
        structural += gsheets_structure.growth(plan, sheet)
        if plan.prep is not None:
            structural += gsheets_prep.structure(
                plan.prep, self._sheets.get(plan.prep.tab), set(_sheet_ids(self._sheets))
            )
        if structural:
            self.http.batch_update(self.spreadsheet_id, {"requests": structural})
        fresh, fresh_prep = self._reread(plan)
        changes = planning.rebase(plan, fresh) if plan.changes else ()
        data = _value_ranges(plan.worksheet, changes)
        if plan.prep is not None and self._prep_unchanged(plan.prep.tab, fresh_prep):
            data += gsheets_prep.values(plan.prep)
        if data:
            body = {"valueInputOption": "RAW", "data": data}
            self.http.values_batch_update(self.spreadsheet_id, body)
        return Applied(written=bool(data or structural), cells=len(changes))

    def _prep_unchanged(self, name: str, fresh: Tab | None) -> bool:
        """True when nobody edited the prep tab since the read (else wait for the next run)."""
        before = self._read_tabs.get(name)
        if before is None or fresh is None:
            same = before is None and fresh is None
        else:
            same = planning.trimmed(before.rows) == planning.trimmed(fresh.rows)
        if not same:
            log.warning("the prep tab '%s' changed while syncing; it is updated next run", name)
        return same

    def _reread(self, plan: Plan) -> tuple[Tab, Tab | None]:
        """One ``values:batchGet`` of the key and managed columns (and the prep tab)."""
        cols = sorted(
            set(plan.key_columns.values()) | set(plan.column_of.values()) | set(plan.headers)
        )
        title = quote_sheet(plan.worksheet)
        ranges = [f"{title}!{col_letter(c)}:{col_letter(c)}" for c in cols]
        prep = plan.prep.tab if plan.prep is not None and plan.prep.tab in self._sheets else None
        if prep is not None:
            ranges.append(f"{quote_sheet(prep)}!A:Z")
        response = self.http.values_batch_get(self.spreadsheet_id, ranges, dict(READ_PARAMS))
        blocks = response.get("valueRanges", [])
        rows: list[list[CellValue]] = []
        for col, block in zip(cols, blocks, strict=False):
            row0, _ = range_start(str(block.get("range", "")))
            for i, values in enumerate(block.get("values", [])):
                _put(rows, row0 + i, col, cell_value(values[0]) if values else None)
        fresh_prep = (
            self._tab(prep, _block_rows(blocks[len(cols)]))
            if prep and len(blocks) > len(cols)
            else None
        )
        return Tab(plan.worksheet, rows), fresh_prep


# ---------------------------------------------------------------------- helpers


def _grid_rows(sheet: Mapping[str, Any]) -> list[list[CellValue]]:
    """A tab's grid data as rows from row 1, as ``values:batchGet`` would give them: each row
    without its trailing blanks, no blank rows at the end."""
    rows: list[list[CellValue]] = []
    for block in sheet.get("data", []):
        row0, col0 = int(block.get("startRow", 0)), int(block.get("startColumn", 0))
        for i, row_data in enumerate(block.get("rowData", ())):
            cells = list(map(effective_value, row_data.get("values", ())))
            while cells and cells[-1] is None:
                cells.pop()
            if not cells:
                continue
            while len(rows) <= row0 + i:
                rows.append([])
            rows[row0 + i] = [None] * col0 + cells
    return rows


def _block_rows(block: Mapping[str, Any]) -> list[list[CellValue]]:
    """A ``values:batchGet`` range as rows from row 1 (blank rows above where it starts)."""
    row0, col0 = range_start(str(block.get("range", "")))
    rows: list[list[CellValue]] = [[] for _ in range(row0 - 1)]
    for values in block.get("values", []):
        rows.append([None] * (col0 - 1) + [cell_value(v) for v in values])
    return rows


def _sheet_ids(sheets: Mapping[str, Mapping[str, Any]]) -> list[int]:
    return [int(s["properties"]["sheetId"]) for s in sheets.values()]


# ---------------------------------------------------------------------- payloads


def _value_ranges(worksheet: str, changes: Sequence[CellChange]) -> list[dict[str, Any]]:
    """Consecutive rows of one column become one range; values as JSON the API takes RAW."""
    title = quote_sheet(worksheet)
    out: list[dict[str, Any]] = []
    for col, run in _runs(changes):
        first, last = run[0].row, run[-1].row
        a1 = f"{title}!{col_letter(col)}{first}:{col_letter(col)}{last}"
        out.append(
            {"range": a1, "majorDimension": "ROWS", "values": [[json_value(c.new)] for c in run]}
        )
    return out


def _runs(changes: Iterable[CellChange]) -> list[tuple[int, list[CellChange]]]:
    runs: list[tuple[int, list[CellChange]]] = []
    for change in sorted(changes, key=lambda c: (c.col, c.row)):
        if runs and runs[-1][0] == change.col and runs[-1][1][-1].row == change.row - 1:
            runs[-1][1].append(change)
        else:
            runs.append((change.col, [change]))
    return runs


# ---------------------------------------------------------------------- tables, basic filter

# Columns a Google sheet can have at most: a filter without an end column reaches them all.
MAX_SHEET_COLUMNS = 18_278


def _table_areas(sheet: Mapping[str, Any]) -> list[TableArea]:
    """The tab's tables and basic filter as areas (unset bounds reach the grid's edge)."""
    rows = int(sheet["properties"].get("gridProperties", {}).get("rowCount", 1000))
    areas = [
        _area("table", str(t.get("name", "")), t.get("range", {}), rows)
        for t in sheet.get("tables", [])
    ]
    spec = sheet.get("basicFilter")
    if spec:
        areas.append(_area("filter", "", spec.get("range", {}), rows))
    return areas


def _area(kind: str, name: str, grid: Mapping[str, Any], rows: int) -> TableArea:
    return TableArea(
        kind,
        name,
        int(grid.get("startRowIndex", 0)) + 1,
        int(grid.get("startColumnIndex", 0)) + 1,
        int(grid.get("endRowIndex", rows)),
        int(grid.get("endColumnIndex", MAX_SHEET_COLUMNS)),
    )


# ---------------------------------------------------------------------- values


def _merge(m: Mapping[str, Any]) -> MergedRange:
    return MergedRange(
        int(m.get("startRowIndex", 0)) + 1,
        int(m.get("startColumnIndex", 0)) + 1,
        int(m.get("endRowIndex", 1)),
        int(m.get("endColumnIndex", 1)),
    )


def _put(rows: list[list[CellValue]], row: int, col: int, value: CellValue) -> None:
    while len(rows) < row:
        rows.append([])
    cells = rows[row - 1]
    cells.extend([None] * (col - len(cells)))
    cells[col - 1] = value
