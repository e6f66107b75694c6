"""The structural requests of a Google sync (one ``spreadsheets:batchUpdate``).

* :func:`columns`: room for the managed columns and, the first time they are added, their
  look (:func:`decorate`: header colours, a date format, widths, urgency colours and a
  warning-only protection whose presence marks the tab as decorated, so a first sync cut short
  is not decorated twice);
* :func:`growth`: the tables and basic filter over the contacts widened over the managed
  columns, their own settings sent back unchanged.

The values themselves are written by :mod:`sheetsync.backends.gsheets`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sheetsync.managed import DUE, MANAGED_COLUMNS, STATUS
from sheetsync.models import Plan, TableGrowth

URGENCY_COLOURS = {  # status prefix → background (same palette as the .xlsx fills)
    "Overdue": (1.0, 0.78, 0.81),
    "Due": (1.0, 0.92, 0.61),
    "Soon": (0.87, 0.92, 0.97),
    "Check": (0.89, 0.87, 0.93),
}
PIXELS_PER_WIDTH = 7
# The warning-only protection over the managed columns; its presence also says "this sheet
# already has sheetsync's formats", so a first sync cut short is not decorated twice.
PROTECTION_NOTE = "Written by sheetsync: edits here are replaced on the next sync"


def is_decorated(sheet: Mapping[str, Any]) -> bool:
    """True when the tab already has sheetsync's formats (its protection is there)."""
    return any(p.get("description") == PROTECTION_NOTE for p in sheet.get("protectedRanges", []))


def columns(plan: Plan, sheet: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Room for the managed columns and, the first time, their look (see :func:`decorate`)."""
    props = sheet["properties"]
    grid = props.get("gridProperties", {})
    requests: list[dict[str, Any]] = []
    needed = max(plan.column_of.values())
    have = int(grid.get("columnCount", 26))
    if needed > have:
        requests.append(
            {
                "appendDimension": {
                    "sheetId": props["sheetId"],
                    "dimension": "COLUMNS",
                    "length": needed - have,
                }
            }
        )
    if plan.new_columns and not is_decorated(sheet):
        requests += decorate(int(props["sheetId"]), plan, int(grid.get("rowCount", 1000)))
    return requests


def decorate(sheet_id: int, plan: Plan, row_count: int) -> list[dict[str, Any]]:
    """Header look, date format, widths, urgency colours and a warning-only protection."""
    cols = {c.id: plan.column_of[c.header] - 1 for c in MANAGED_COLUMNS}
    first, last = min(cols.values()), max(cols.values()) + 1
    header = {
        "sheetId": sheet_id,
        "startRowIndex": plan.header_row - 1,
        "endRowIndex": plan.header_row,
        "startColumnIndex": first,
        "endColumnIndex": last,
    }
    body = {"sheetId": sheet_id, "startRowIndex": plan.header_row, "endRowIndex": row_count}
    requests: list[dict[str, Any]] = [
        {
            "repeatCell": {
                "range": header,
                "cell": {
                    "userEnteredFormat": {
                        "backgroundColor": {"red": 0.12, "green": 0.31, "blue": 0.47},
                        "textFormat": {
                            "bold": True,
                            "foregroundColor": {"red": 1, "green": 1, "blue": 1},
                        },
                        "wrapStrategy": "WRAP",
                    }
                },
                "fields": "userEnteredFormat(backgroundColor,textFormat,wrapStrategy)",
            }
        },
        {
            "repeatCell": {
                "range": {
                    **body,
                    "startColumnIndex": cols[DUE.id],
                    "endColumnIndex": cols[DUE.id] + 1,
                },
                "cell": {
                    "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}}
                },
                "fields": "userEnteredFormat.numberFormat",
            }
        },
    ]
    for column in MANAGED_COLUMNS:
        index = cols[column.id]
        requests.append(
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": sheet_id,
                        "dimension": "COLUMNS",
                        "startIndex": index,
                        "endIndex": index + 1,
                    },
                    "properties": {"pixelSize": int(column.width * PIXELS_PER_WIDTH)},
                    "fields": "pixelSize",
                }
            }
        )
    status = {**body, "startColumnIndex": cols[STATUS.id], "endColumnIndex": cols[STATUS.id] + 1}
    for prefix, (red, green, blue) in URGENCY_COLOURS.items():
        requests.append(
            {
                "addConditionalFormatRule": {
                    "index": 0,
                    "rule": {
                        "ranges": [status],
                        "booleanRule": {
                            "condition": {
                                "type": "TEXT_STARTS_WITH",
                                "values": [{"userEnteredValue": prefix}],
                            },
                            "format": {
                                "backgroundColor": {"red": red, "green": green, "blue": blue}
                            },
                        },
                    },
                }
            }
        )
    requests.append(
        {
            "addProtectedRange": {
                "protectedRange": {
                    "range": {
                        "sheetId": sheet_id,
                        "startColumnIndex": first,
                        "endColumnIndex": last,
                    },
                    "description": PROTECTION_NOTE,
                    "warningOnly": True,
                }
            }
        }
    )
    return requests


# ---------------------------------------------------------------------- tables, basic filter


def growth(plan: Plan, sheet: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The requests that widen the tab's tables and basic filter over the managed columns."""
    requests: list[dict[str, Any]] = []
    for g in plan.tables:
        if g.kind == "filter" and sheet.get("basicFilter"):
            requests.append(_wider_filter(sheet, g))
        tables = [t for t in sheet.get("tables", []) if t.get("name") == g.name]
        if g.kind == "table" and tables:
            requests.append(_wider_table(tables[0], g))
    return requests


def _wider_filter(sheet: Mapping[str, Any], g: TableGrowth) -> dict[str, Any]:
    """``setBasicFilter`` over the wider range; its sort and filter criteria are kept as they
    are (the request replaces the whole filter)."""
    wider = copy.deepcopy(dict(sheet["basicFilter"]))
    wider["range"] = {
        **wider.get("range", {}),
        "sheetId": int(sheet["properties"]["sheetId"]),
        "endColumnIndex": g.new_last_col,
    }
    return {"setBasicFilter": {"filter": wider}}


def _wider_table(table: Mapping[str, Any], g: TableGrowth) -> dict[str, Any]:
    """``updateTable``: the wider range and one named column per managed header (the due
    column typed DATE, the others TEXT); the table's own columns are sent back unchanged."""
    grid = {**table.get("range", {}), "endColumnIndex": g.new_last_col}
    columns = list(copy.deepcopy(table.get("columnProperties", [])))
    first = g.old_last_col - int(grid.get("startColumnIndex", 0))
    for i, name in enumerate(g.names):
        kind = "DATE" if name == DUE.header else "TEXT"
        columns.append({"columnIndex": first + i, "columnName": name, "columnType": kind})
    wider = {"tableId": table.get("tableId"), "range": grid, "columnProperties": columns}
    return {"updateTable": {"table": wider, "fields": "range,columnProperties"}}
