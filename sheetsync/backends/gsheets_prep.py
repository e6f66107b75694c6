"""The prep tab on Google Sheets: the structural requests (tab, checkboxes, formats) and the
values, for the Google backend to send with the rest of a sync's requests.

The values are the plan's rows, already merged by :mod:`sheetsync.prep` with everything the
student typed in the tab (the same merge as for .xlsx), written as one RAW range."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from sheetsync.backends.gsheets_values import json_value, quote_sheet
from sheetsync.grid import col_letter
from sheetsync.models import PrepPlan

WIDTH = 6  # columns A–F: key, ✓, what to do, notes (and room for more notes)
BOLD_KINDS = {"title", "header", "block", "section", "phase"}
FILLS = {"header": (0.12, 0.31, 0.47), "block": (0.87, 0.92, 0.97), "section": (0.89, 0.87, 0.93)}
PIXELS = {0: 90, 1: 36, 2: 640, 3: 340}


def sheet_id_for(name: str, taken: set[int]) -> int:
    """A stable sheet id for a new prep tab that no other tab uses."""
    candidate = zlib.crc32(name.encode()) & 0x3FFFFFFF
    while candidate in taken:
        candidate += 1
    return candidate


def structure(
    plan: PrepPlan, sheet: Mapping[str, Any] | None, taken: set[int]
) -> list[dict[str, Any]]:
    """Create or grow the tab, set checkboxes on the item rows, and format the rows."""
    rows_needed = max(len(plan.rows), plan.old_height) + 20
    requests: list[dict[str, Any]] = []
    if sheet is None:
        sid = sheet_id_for(plan.tab, taken)
        requests.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": sid,
                        "title": plan.tab,
                        "gridProperties": {
                            "rowCount": rows_needed,
                            "columnCount": WIDTH,
                            "frozenRowCount": 2,
                        },
                    }
                }
            }
        )
        requests += _columns(sid)
        grid_rows = rows_needed
    else:
        sid = int(sheet["properties"]["sheetId"])
        grid_rows = int(sheet["properties"].get("gridProperties", {}).get("rowCount", 1000))
        if grid_rows < rows_needed:
            requests.append(
                {
                    "appendDimension": {
                        "sheetId": sid,
                        "dimension": "ROWS",
                        "length": rows_needed - grid_rows,
                    }
                }
            )
            grid_rows = rows_needed
    requests += _checkboxes(plan, sid, grid_rows)
    requests += _formats(plan, sid, grid_rows)
    return requests


def _columns(sid: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, pixels in PIXELS.items():
        props: dict[str, Any] = {"pixelSize": pixels}
        fields = "pixelSize"
        if index == 0:
            props["hiddenByUser"] = True
            fields += ",hiddenByUser"
        out.append(
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": sid,
                        "dimension": "COLUMNS",
                        "startIndex": index,
                        "endIndex": index + 1,
                    },
                    "properties": props,
                    "fields": fields,
                }
            }
        )
    return out


def _box(sid: int, first: int, last: int, col0: int, col1: int) -> dict[str, int]:
    return {
        "sheetId": sid,
        "startRowIndex": first - 1,
        "endRowIndex": last,
        "startColumnIndex": col0,
        "endColumnIndex": col1,
    }


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and runs[-1][1] == r - 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def _checkboxes(plan: PrepPlan, sid: int, grid_rows: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"setDataValidation": {"range": _box(sid, 1, grid_rows, 1, 2)}}]
    for first, last in _runs(list(plan.tick_rows)):
        out.append(
            {
                "setDataValidation": {
                    "range": _box(sid, first, last, 1, 2),
                    "rule": {"condition": {"type": "BOOLEAN"}},
                }
            }
        )
    return out


def _formats(plan: PrepPlan, sid: int, grid_rows: int) -> list[dict[str, Any]]:
    plain = {
        "textFormat": {"bold": False},
        "wrapStrategy": "WRAP",
        "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    }
    fields = "userEnteredFormat(textFormat,wrapStrategy,backgroundColor)"
    out: list[dict[str, Any]] = [
        {
            "repeatCell": {
                "range": _box(sid, 1, grid_rows, 0, WIDTH),
                "cell": {"userEnteredFormat": plain},
                "fields": fields,
            }
        }
    ]
    for kind in sorted(BOLD_KINDS):
        rows = [i for i, k in enumerate(plan.kinds, start=1) if k == kind]
        red, green, blue = FILLS.get(kind, (1.0, 1.0, 1.0))
        white = kind == "header"
        fmt = {
            "textFormat": {
                "bold": True,
                "foregroundColor": (
                    {"red": 1, "green": 1, "blue": 1}
                    if white
                    else {"red": 0, "green": 0, "blue": 0}
                ),
            },
            "wrapStrategy": "WRAP",
            "backgroundColor": {"red": red, "green": green, "blue": blue},
        }
        for first, last in _runs(rows):
            out.append(
                {
                    "repeatCell": {
                        "range": _box(sid, first, last, 0, WIDTH),
                        "cell": {"userEnteredFormat": fmt},
                        "fields": fields,
                    }
                }
            )
    return out


def values(plan: PrepPlan) -> list[dict[str, Any]]:
    """The whole tab as one RAW range, with leftover rows below cleared."""
    width = max([4, plan.old_width, *(len(r) for r in plan.rows)])
    height = max(len(plan.rows), plan.old_height)
    body = [[json_value(v) for v in r] + [""] * (width - len(r)) for r in plan.rows]
    body += [[""] * width for _ in range(height - len(plan.rows))]
    a1 = f"{quote_sheet(plan.tab)}!A1:{col_letter(width)}{height}"
    return [{"range": a1, "majorDimension": "ROWS", "values": body}]
