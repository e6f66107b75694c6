"""A local Google Sheets API v4 emulator, served over real HTTP on 127.0.0.1 for tests.

The real gspread client and a real google-auth ``AuthorizedSession`` talk to it unchanged; only
the host differs (sheetsync reaches it through ``SHEETSYNC_SHEETS_ENDPOINT``). It follows the
documented behaviour of the API closely enough for sheetsync's Google path:

* ``GET  /v4/spreadsheets/{id}``                       metadata (``fields`` masks, grid data)
* ``GET  /v4/spreadsheets/{id}/values/{range}``        render options, range echo, trimming
* ``GET  /v4/spreadsheets/{id}/values:batchGet``
* ``PUT  /v4/spreadsheets/{id}/values/{range}``        RAW / USER_ENTERED, nulls skipped
* ``POST /v4/spreadsheets/{id}/values:batchUpdate``
* ``POST /v4/spreadsheets/{id}/values/{range}:clear`` and ``values:batchClear``
* ``POST /v4/spreadsheets/{id}/values/{range}:append`` (logged; sheetsync must never call it)
* ``POST /v4/spreadsheets/{id}:batchUpdate``           structural and format requests
* ``POST /v4/spreadsheets/{id}/developerMetadata:search``, ``GET .../developerMetadata/{mid}``
* ``GET  /drive/v3/files/{id}``                        the little Drive metadata gspread reads
* ``POST /token``                                      an OAuth token endpoint for service-account
  keys whose ``token_uri`` points here (records the account's email)

Errors use Google's JSON shape. Tests inject faults (``fail_next``, ``delay_next``,
``reset_connection_next``) and play the person editing the sheet between sync's read and write
(``before_next`` plus the ``insert_rows``/``sort_rows``/``set_cell`` helpers, which change the
sheet directly without an HTTP request).

Facts about the real API's responses were taken from gspread's recorded cassettes
(github.com/burnash/gspread, tests/cassettes/*.json); the test module cites which.
"""

from __future__ import annotations

import ast
import base64
import copy
import datetime as dt
import functools
import json
import operator
import pickle
import re
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """A formula cell for ``add_spreadsheet``/``set_cell``: its text and the value it shows.

    The emulator evaluates only plain arithmetic (``=4/2``); give ``value`` for anything else
    (``Formula("=MAX(F2:H2)", dt.date(2026, 3, 2))``), or it shows ``#NAME?``.
    """

    text: str
    value: Any = None


class RecordedRequest(NamedTuple):
    """One HTTP request the emulator received: ``(method, path, query, body)``.

    ``path`` is percent-decoded; ``query`` maps each parameter to its list of values; ``body``
    is the parsed JSON body (``None`` when there was none).
    """

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any

    @property
    def op(self) -> str:
        """The API method id, e.g. ``spreadsheets.values.batchUpdate``."""
        return _route(self.method, self.path)[0]


class ApiError(Exception):
    """An error answered in Google's JSON shape."""

    def __init__(
        self,
        code: int,
        message: str,
        status: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Google sends."""
        err: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            err["details"] = self.details
        return {"error": err}


def _bad_request(message: str) -> ApiError:
    return ApiError(400, message, "INVALID_ARGUMENT")


def _not_found() -> ApiError:
    return ApiError(404, "Requested entity was not found.", "NOT_FOUND")


def _denied() -> ApiError:
    return ApiError(403, "The caller does not have permission", "PERMISSION_DENIED")


_STATUS_BY_CODE = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    409: ("ABORTED", "The operation was aborted."),
    429: (
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
        "per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'.",
    ),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request timed out."),
}

# Google's front end answers 502 with an HTML page, not JSON.
_HTML_502 = (
    b"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 502 (Server Error)!!1"
    b"</title><p><b>502.</b> <ins>That\xe2\x80\x99s an error.</ins><p>The server encountered a "
    b"temporary error and could not complete your request.<p>Please try again in 30 seconds."
    b"</html>"
)

# --------------------------------------------------------------------------------------------
# A1 notation
# --------------------------------------------------------------------------------------------

_A1_PART = re.compile(r"^\$?([A-Za-z]{0,3})\$?([0-9]*)$")
_SIMPLE_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL_LIKE = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*)$")


def col_letter(index: int) -> str:
    """0-based column index -> letters (0 -> A, 26 -> AA)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """Column letters -> 0-based index (A -> 0)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def quote_title(title: str) -> str:
    """A sheet title as Google writes it in a range: quoted only when it has to be."""
    if _SIMPLE_TITLE.match(title) and not _CELL_LIKE.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def cell_a1(row: int, col: int) -> str:
    """0-based (row, col) -> ``B3``."""
    return f"{col_letter(col)}{row + 1}"


@dataclass(frozen=True)
class _Bounds:
    """A parsed A1 range before it meets a grid: ``None`` means open on that side."""

    r1: int | None
    c1: int | None
    r2: int | None
    c2: int | None
    single: bool


@dataclass(frozen=True)
class GridBox:
    """A rectangle of a sheet, 0-based and inclusive."""

    r1: int
    c1: int
    r2: int
    c2: int

    @property
    def rows(self) -> int:
        return self.r2 - self.r1 + 1

    @property
    def cols(self) -> int:
        return self.c2 - self.c1 + 1

    def a1(self) -> str:
        if self.r1 == self.r2 and self.c1 == self.c2:
            return cell_a1(self.r1, self.c1)
        return f"{cell_a1(self.r1, self.c1)}:{cell_a1(self.r2, self.c2)}"


def _parse_a1(text: str) -> _Bounds | None:
    parts = text.split(":")
    if len(parts) > 2 or not text:
        return None
    parsed: list[tuple[int | None, int | None]] = []
    for part in parts:
        m = _A1_PART.match(part.strip())
        if not m or (not m.group(1) and not m.group(2)):
            return None
        col = col_index(m.group(1)) if m.group(1) else None
        if m.group(2) and int(m.group(2)) < 1:
            return None
        row = int(m.group(2)) - 1 if m.group(2) else None
        parsed.append((row, col))
    if len(parsed) == 1:
        row, col = parsed[0]
        if row is None or col is None:
            return None  # "A" or "5" alone is not a range
        return _Bounds(row, col, row, col, single=True)
    (ra, ca), (rb, cb) = parsed
    return _Bounds(ra, ca, rb, cb, single=False)


def _split_sheet(text: str) -> tuple[str | None, str | None]:
    """``'It''s'!A1:B2`` -> ("It's", "A1:B2"); ``Sheet1`` -> (None, "Sheet1") (ambiguous)."""
    if text.startswith("'"):
        i, name = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    name.append("'")
                    i += 2
                    continue
                break
            name.append(text[i])
            i += 1
        else:
            raise ValueError("unterminated quote")
        rest = text[i + 1 :]
        if rest == "":
            return "".join(name), None
        if not rest.startswith("!"):
            raise ValueError("junk after quoted name")
        return "".join(name), rest[1:]
    if "!" in text:
        name, _, a1 = text.rpartition("!")
        return name, a1
    return None, text


# --------------------------------------------------------------------------------------------
# Cell values, dates, formatting
# --------------------------------------------------------------------------------------------

_EPOCH = dt.date(1899, 12, 30)


def date_to_serial(value: dt.date) -> float | int:
    """A date or datetime as a Sheets serial number (days since 1899-12-30)."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - dt.datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    return (value - _EPOCH).days


def serial_to_datetime(serial: float) -> dt.datetime:
    """A Sheets serial number -> naive datetime, rounded to the second."""
    return dt.datetime(1899, 12, 30) + dt.timedelta(seconds=round(float(serial) * 86400))


@dataclass
class Cell:
    """One cell: its value (numbers for dates), an optional formula, format and validation."""

    value: Any = None
    formula: str | None = None
    kind: str | None = None  # "DATE" / "DATE_TIME" / "NUMBER" when a number format applies
    pattern: str | None = None
    fmt: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, Any] | None = None
    note: str | None = None

    def has_value(self) -> bool:
        return self.formula is not None or (self.value is not None and self.value != "")

    def is_blank(self) -> bool:
        return not self.has_value() and not self.fmt and self.validation is None and not self.note


def _json_number(value: float | int) -> float | int:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


_DATE_TOKENS = re.compile(r"yyyy|yy|mmmm|mmm|mm|m|dd|d|hh|h|ss|am/pm", re.IGNORECASE)


def format_date(serial: float, pattern: str) -> str:
    """Render a serial with a Sheets date pattern (the common tokens only)."""
    moment = serial_to_datetime(serial)
    out: list[str] = []
    pos = 0
    after_hour = False
    for m in _DATE_TOKENS.finditer(pattern):
        out.append(pattern[pos : m.start()])
        tok = m.group(0).lower()
        if tok in ("mm", "m") and after_hour:
            out.append(f"{moment.minute:02d}" if tok == "mm" else str(moment.minute))
        else:
            out.append(_date_token(tok, moment))
        after_hour = tok in ("hh", "h")
        pos = m.end()
    out.append(pattern[pos:])
    return "".join(out)


def _date_token(tok: str, moment: dt.datetime) -> str:
    table: dict[str, Callable[[dt.datetime], str]] = {
        "yyyy": lambda d: f"{d.year:04d}",
        "yy": lambda d: f"{d.year % 100:02d}",
        "mmmm": lambda d: d.strftime("%B"),
        "mmm": lambda d: d.strftime("%b"),
        "mm": lambda d: f"{d.month:02d}",
        "m": lambda d: str(d.month),
        "dd": lambda d: f"{d.day:02d}",
        "d": lambda d: str(d.day),
        "hh": lambda d: f"{d.hour:02d}",
        "h": lambda d: str(d.hour),
        "ss": lambda d: f"{d.second:02d}",
        "am/pm": lambda d: "AM" if d.hour < 12 else "PM",
    }
    return table[tok](moment)


def format_number(value: float | int, pattern: str | None) -> str:
    """Render a number the way Sheets' automatic format or a simple ``#,##0.00`` pattern does."""
    if pattern and pattern.endswith("%"):
        decimals = len(pattern.split(".")[1]) - 1 if "." in pattern else 0
        return f"{value * 100:.{decimals}f}%"
    if pattern and "0" in pattern:
        decimals = len(pattern.split(".")[1].rstrip("#")) if "." in pattern else 0
        spec = f"{',' if ',' in pattern else ''}.{decimals}f"
        return format(value, spec)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".10g")


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _eval_arith(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _eval_arith(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return float(_BINOPS[type(node.op)](_eval_arith(node.left), _eval_arith(node.right)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        val = _eval_arith(node.operand)
        return -val if isinstance(node.op, ast.USub) else val
    raise ValueError("not plain arithmetic")


def evaluate_formula(text: str) -> Any:
    """Evaluate plain arithmetic (``=4/2`` -> 2); anything else shows ``#NAME?``."""
    expr = text[1:].strip().replace("^", "**")
    try:
        result = _eval_arith(ast.parse(expr, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, TypeError):
        return "#DIV/0!" if "/0" in expr.replace(" ", "") else "#NAME?"
    return _json_number(result)


_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def cell_from_python(value: Any, date_pattern: str) -> Cell | None:
    """A Python value as stored by ``add_spreadsheet`` (strings stay literal text)."""
    if value is None or value == "":
        return None
    if isinstance(value, Formula):
        shown = value.value
        cell = Cell(formula=value.text)
        if isinstance(shown, dt.date):
            cell.value = date_to_serial(shown)
            is_dt = isinstance(shown, dt.datetime)
            cell.kind = "DATE_TIME" if is_dt else "DATE"
            cell.pattern = "yyyy-mm-dd hh:mm:ss" if is_dt else date_pattern
        else:
            cell.value = evaluate_formula(value.text) if shown is None else shown
        return cell
    if isinstance(value, dt.datetime):
        return Cell(date_to_serial(value), kind="DATE_TIME", pattern="yyyy-mm-dd hh:mm:ss")
    if isinstance(value, dt.date):
        return Cell(date_to_serial(value), kind="DATE", pattern=date_pattern)
    if isinstance(value, bool | int | float | str):
        return Cell(value)
    raise TypeError(f"unsupported cell value {value!r}")


def cell_from_input(value: Any, option: str, locale: str) -> Cell | None:
    """A JSON value from a values write, under RAW or USER_ENTERED. ``None`` means clear."""
    if value == "" or value is None:
        return None
    if isinstance(value, bool | int | float):
        return Cell(value)
    if isinstance(value, list | dict):
        raise _bad_request(
            f"Invalid values[0][0]: {'list_value' if isinstance(value, list) else 'struct_value'}"
        )
    text = str(value)
    if option == "RAW":
        return Cell(text)
    return _parse_user_entered(text, locale)


def _parse_user_entered(text: str, locale: str) -> Cell:
    if text.startswith("'"):
        return Cell(text[1:])
    if text.startswith("=") and len(text) > 1:
        return Cell(evaluate_formula(text), formula=text)
    if text.upper() in ("TRUE", "FALSE"):
        return Cell(text.upper() == "TRUE")
    stripped = text.strip()
    if _NUMBER.match(stripped) and any(ch.isdigit() for ch in stripped):
        number = float(stripped.replace(",", ""))
        if "," in stripped:
            decimals = len(stripped.split(".")[1]) if "." in stripped else 0
            return Cell(number, kind="NUMBER", pattern="#,##0" + ("." + "0" * decimals))
        return Cell(_json_number(number))
    if stripped.endswith("%") and _NUMBER.match(stripped[:-1]):
        return Cell(float(stripped[:-1]) / 100, kind="NUMBER", pattern="0%")
    return _parse_date_text(stripped, locale) or Cell(text)


def _parse_date_text(text: str, locale: str) -> Cell | None:
    m = _ISO_DATE.match(text)
    try:
        if m:
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if m.group(4) is not None:
                moment = dt.datetime(
                    y, mo, d, int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
                )
                return Cell(date_to_serial(moment), kind="DATE_TIME", pattern="yyyy-mm-dd hh:mm:ss")
            return Cell(date_to_serial(dt.date(y, mo, d)), kind="DATE", pattern="yyyy-mm-dd")
        m = _SLASH_DATE.match(text)
        if m:
            a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            us = locale in ("en_US", "en_PH", "en_CA")
            month, day = (a, b) if us else (b, a)
            pattern = "M/d/yyyy" if us else "d/M/yyyy"
            return Cell(date_to_serial(dt.date(y, month, day)), kind="DATE", pattern=pattern)
    except ValueError:
        return None
    return None


def render_cell(cell: Cell | None, value_render: str, date_render: str) -> Any:
    """The JSON value of a cell under ``valueRenderOption``/``dateTimeRenderOption``."""
    if cell is None or not cell.has_value():
        return None
    if value_render == "FORMULA" and cell.formula is not None:
        return cell.formula
    value = cell.value
    if value is None:
        return None
    is_date = cell.kind in ("DATE", "DATE_TIME") and isinstance(value, int | float)
    if value_render == "FORMATTED_VALUE":
        if isinstance(value, str):
            return value
        if is_date:
            return format_date(value, cell.pattern or "yyyy-mm-dd")
        return format_number(value, cell.pattern)
    if isinstance(value, bool | str):
        return value
    if is_date and date_render == "FORMATTED_STRING":
        return format_date(value, cell.pattern or "yyyy-mm-dd")
    return _json_number(value)


def _python_value(cell: Cell | None) -> Any:
    """What ``SheetsEmulator.values`` returns for a cell."""
    if cell is None or not cell.has_value():
        return None
    if cell.kind in ("DATE", "DATE_TIME") and isinstance(cell.value, int | float):
        moment = serial_to_datetime(cell.value)
        shown: Any = moment.date() if cell.kind == "DATE" else moment
    else:
        shown = cell.value
    if cell.formula is not None:
        return Formula(cell.formula, shown)
    return shown


# --------------------------------------------------------------------------------------------
# Field masks
# --------------------------------------------------------------------------------------------


def mask_paths(mask: str) -> list[list[str]]:
    """``a.b(c,d/e),f`` -> [[a,b,c],[a,b,d,e],[f]] (``/`` and ``.`` both separate)."""
    return [list(path) for path in _parsed_mask(mask)]


@functools.lru_cache(maxsize=256)
def _parsed_mask(mask: str) -> tuple[tuple[str, ...], ...]:
    """The paths of ``mask``, parsed once per distinct mask (a repeatCell names the same
    mask for each of thousands of cells)."""
    paths, _ = _mask_list(mask.replace("/", ".").replace(" ", ""), 0)
    return tuple(tuple(path) for path in paths)


def _mask_list(mask: str, i: int) -> tuple[list[list[str]], int]:
    paths: list[list[str]] = []
    while i < len(mask):
        start = i
        while i < len(mask) and mask[i] not in ",()":
            i += 1
        prefix = [p for p in mask[start:i].split(".") if p]
        if i < len(mask) and mask[i] == "(":
            inner, i = _mask_list(mask, i + 1)
            paths.extend(prefix + sub for sub in inner)
            i += 1  # past ")"
        elif prefix:
            paths.append(prefix)
        if i < len(mask) and mask[i] == ",":
            i += 1
        elif i < len(mask) and mask[i] == ")":
            return paths, i
    return paths, i


def filter_fields(obj: Any, mask: str | None) -> Any:
    """Keep only the fields a ``fields=`` mask asks for (lists are filtered element-wise)."""
    if not mask or mask == "*":
        return obj
    tree: dict[str, Any] = {}
    for path in mask_paths(mask):
        node = tree
        for key in path:
            node = node.setdefault(key, {})
    return _filter_tree(obj, tree)


def _filter_tree(obj: Any, tree: dict[str, Any]) -> Any:
    if not tree or tree.keys() == {"*"}:
        return obj
    if isinstance(obj, list):
        return [_filter_tree(item, tree) for item in obj]
    if isinstance(obj, dict):
        return {k: _filter_tree(v, tree[k]) for k, v in obj.items() if k in tree}
    return obj


def json_copy(obj: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars): what ``copy.deepcopy`` gives for
    it, several times faster (the per-cell formats of a repeatCell over thousands of cells)."""
    if isinstance(obj, dict):
        return {k: json_copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [json_copy(v) for v in obj]
    return obj


def apply_mask(target: dict[str, Any], source: Mapping[str, Any], mask: str) -> None:
    """Copy the masked fields from ``source`` into ``target`` (absent in source -> cleared)."""
    paths = [[k] for k in source] if mask.strip() == "*" else mask_paths(mask)
    for path in paths:
        src: Any = source
        for key in path:
            src = src.get(key) if isinstance(src, Mapping) else None
        node = target
        for key in path[:-1]:
            node = node.setdefault(key, {})
        if src is None:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = json_copy(src)


# --------------------------------------------------------------------------------------------
# The model: spreadsheets and sheets
# --------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One tab."""

    sheet_id: int
    title: str
    rows: int = 1000
    cols: int = 26
    frozen_rows: int = 0
    frozen_cols: int = 0
    hidden: bool = False
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # tabColor, rightToLeft, ...
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    dimension_props: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    basic_filter: dict[str, Any] | None = None  # Sheet.basicFilter: range, sortSpecs, …
    tables: list[dict[str, Any]] = field(default_factory=list)  # Sheet.tables: Table objects

    def properties(self, index: int) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.rows, "columnCount": self.cols}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        props: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        if self.hidden:
            props["hidden"] = True
        props.update(copy.deepcopy(self.extra))
        return props

    def used_extent(self) -> tuple[int, int]:
        """(rows, cols) up to the last cell holding a value."""
        keys = [k for k, c in self.cells.items() if c.has_value()]
        if not keys:
            return 0, 0
        return max(r for r, _ in keys) + 1, max(c for _, c in keys) + 1


@dataclass
class Spreadsheet:
    """One spreadsheet file."""

    spreadsheet_id: str
    title: str
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    date_pattern: str = "yyyy-mm-dd"
    sheets: list[Sheet] = field(default_factory=list)
    shared: bool = True
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)
    created: str = ""
    modified: str = ""

    def sheet_by_title(self, title: str) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        return None

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        return None

    def first_visible(self) -> Sheet:
        for sheet in self.sheets:
            if not sheet.hidden:
                return sheet
        return self.sheets[0]


@dataclass
class _Resolved:
    sheet: Sheet
    box: GridBox
    declared_past_grid: bool
    closed: bool  # both corners given explicitly (writes must fit inside)
    single: bool = False  # one cell: a write starting there may spill over

    def echo(self) -> str:
        return f"{quote_title(self.sheet.title)}!{self.box.a1()}"


def resolve_range(book: Spreadsheet, text: str) -> _Resolved:
    """Parse an A1 range against the book: the sheet and the box normalised to the grid."""
    err = _bad_request(f"Unable to parse range: {text}")
    try:
        title, a1 = _split_sheet(text)
    except ValueError:
        raise err from None
    if title is None:
        sheet = book.sheet_by_title(text)
        if sheet is not None:
            a1 = None
        else:
            sheet = book.first_visible()
    else:
        sheet = book.sheet_by_title(title)
        if sheet is None:
            raise err
    if a1 is None:
        box = GridBox(0, 0, sheet.rows - 1, sheet.cols - 1)
        return _Resolved(sheet, box, False, closed=False)
    bounds = _parse_a1(a1)
    if bounds is None:
        raise err
    return _fit_to_grid(sheet, bounds)


def _fit_to_grid(sheet: Sheet, b: _Bounds) -> _Resolved:
    r1 = b.r1 if b.r1 is not None else 0
    c1 = b.c1 if b.c1 is not None else 0
    r2 = b.r2 if b.r2 is not None else sheet.rows - 1
    c2 = b.c2 if b.c2 is not None else sheet.cols - 1
    r1, r2 = min(r1, r2), max(r1, r2)
    c1, c2 = min(c1, c2), max(c1, c2)
    past = r2 >= sheet.rows or c2 >= sheet.cols
    closed = None not in (b.r1, b.c1, b.r2, b.c2)
    if past:
        declared = GridBox(r1, c1, r2, c2)
        if r1 >= sheet.rows or c1 >= sheet.cols:
            raise _grid_error(sheet, declared)
        clamped = GridBox(r1, c1, min(r2, sheet.rows - 1), min(c2, sheet.cols - 1))
        return _Resolved(sheet, clamped, True, closed, b.single)
    return _Resolved(sheet, GridBox(r1, c1, r2, c2), False, closed, b.single)


def _grid_error(sheet: Sheet, box: GridBox) -> ApiError:
    return _bad_request(
        f"Range ({quote_title(sheet.title)}!{box.a1()}) exceeds grid limits. "
        f"Max rows: {sheet.rows}, max columns: {sheet.cols}"
    )


# --------------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------------

_SPREADSHEET_PATH = re.compile(r"^/v4/spreadsheets/([^/:]+)(.*)$")


def _route(method: str, path: str) -> tuple[str, str | None, str | None]:
    """(op, spreadsheet id, range) for a decoded path. Unknown paths give op ``unknown``."""
    if path == "/token":
        return "oauth2.token", None, None
    if path.startswith("/drive/v3/files/"):
        return "drive.files.get", path.rsplit("/", 1)[1], None
    m = _SPREADSHEET_PATH.match(path)
    if not m:
        return "unknown", None, None
    sid, rest = m.group(1), m.group(2)
    table: dict[tuple[str, str], str] = {
        ("GET", ""): "spreadsheets.get",
        ("POST", ":batchUpdate"): "spreadsheets.batchUpdate",
        ("GET", "/values:batchGet"): "spreadsheets.values.batchGet",
        ("POST", "/values:batchUpdate"): "spreadsheets.values.batchUpdate",
        ("POST", "/values:batchClear"): "spreadsheets.values.batchClear",
        ("POST", "/developerMetadata:search"): "spreadsheets.developerMetadata.search",
    }
    if (method, rest) in table:
        return table[(method, rest)], sid, None
    if rest.startswith("/developerMetadata/") and method == "GET":
        return "spreadsheets.developerMetadata.get", sid, rest.split("/", 2)[2]
    if rest.startswith("/values/"):
        rng = rest[len("/values/") :]
        for verb in ("append", "clear"):
            if rng.endswith(":" + verb) and method == "POST":
                return f"spreadsheets.values.{verb}", sid, rng[: -len(verb) - 1]
        if method == "GET":
            return "spreadsheets.values.get", sid, rng
        if method == "PUT":
            return "spreadsheets.values.update", sid, rng
    return "unknown", sid, None


def _decode_path(raw_path: str) -> str:
    """Percent-decode a path but keep an encoded ``:`` distinguishable from a verb ``:``."""
    # A range's own colons arrive as %3A; a verb's colon arrives bare. Protect the encoded
    # ones as a private-use character during the split, then restore them.
    protected = re.sub("%3[Aa]", "\ue000", raw_path)
    decoded = unquote(protected, encoding="utf-8", errors="strict")
    return decoded


def _restore_colons(text: str) -> str:
    return text.replace("\ue000", ":")


# --------------------------------------------------------------------------------------------
# Fault injection and hooks
# --------------------------------------------------------------------------------------------

Match = str | Callable[[RecordedRequest], bool] | None


def _matches(match: Match, req: RecordedRequest) -> bool:
    if match is None:
        return True
    if callable(match):
        return bool(match(req))
    op = req.op
    return op == match or op.endswith("." + match)


@dataclass
class _Fault:
    kind: str  # "fail" | "delay" | "reset"
    remaining: int
    match: Match
    status: int = 429
    retry_after: str | None = None
    message: str | None = None
    seconds: float = 0.0
    after_apply: bool = False


@dataclass
class _Hook:
    match: Match
    callback: Callable[[SheetsEmulator], None]


class _Reset(ConnectionAbortedError):
    """Raised inside the WSGI app after shutting the socket: werkzeug drops it silently."""


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log on stderr."""


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------


class SheetsEmulator:
    """A Sheets API v4 emulator on 127.0.0.1 (real HTTP, a background thread)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._books: dict[str, Spreadsheet] = {}
        self._faults: list[_Fault] = []
        self._hooks: list[_Hook] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._next_metadata_id = 1000
        self.requests: list[RecordedRequest] = []
        self.token_requests: list[RecordedRequest] = []
        self.token_emails: dict[str, str] = {}
        self.errors: list[BaseException] = []  # emulator bugs; the fixture fails the test

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SheetsEmulator:
        """Serve on a free port in a daemon thread; returns self."""
        self._stopping.clear()
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="sheets-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SheetsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` — the value for ``SHEETSYNC_SHEETS_ENDPOINT``."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def token_uri(self) -> str:
        """The OAuth token endpoint to put in a fake service-account key's ``token_uri``."""
        return self.url + "/token"

    # -- fixtures for tests ------------------------------------------------------------------

    def add_spreadsheet(
        self,
        title: str,
        tabs: Mapping[str, Sequence[Sequence[Any]]],
        *,
        grid: tuple[int, int] | Mapping[str, tuple[int, int]] | None = None,
        locale: str = "en_US",
        time_zone: str = "Etc/GMT",
        date_pattern: str = "yyyy-mm-dd",
        frozen_rows: int = 0,
        spreadsheet_id: str | None = None,
        shared: bool = True,
    ) -> str:
        """Create a spreadsheet; returns its id.

        ``tabs`` maps tab names (in order) to rows of Python values: ``str`` (always literal
        text), ``int``, ``float``, ``bool``, ``None``, ``datetime.date``/``datetime`` (stored
        as serial numbers with a date format, like a typed date) or ``Formula``. ``grid`` is
        ``(rows, cols)`` for every tab or per tab; the default is Google's 1000 x 26, grown to
        fit the data.
        """
        sid = spreadsheet_id or _new_id()
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        book = Spreadsheet(sid, title, locale, time_zone, date_pattern, created=now, modified=now)
        book.shared = shared
        for index, (name, rows) in enumerate(tabs.items() or {"Sheet1": []}.items()):
            size = grid.get(name) if isinstance(grid, Mapping) else grid
            width = max((len(r) for r in rows), default=0)
            n_rows, n_cols = size or (max(1000, len(rows)), max(26, width))
            if len(rows) > n_rows or width > n_cols:
                raise ValueError(f"data for {name!r} does not fit a {n_rows}x{n_cols} grid")
            sheet = Sheet(0 if index == 0 else _new_sheet_id(), name, n_rows, n_cols)
            sheet.frozen_rows = frozen_rows
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    cell = cell_from_python(value, date_pattern)
                    if cell is not None:
                        sheet.cells[(r, c)] = cell
            book.sheets.append(sheet)
        with self._lock:
            self._books[sid] = book
        return sid

    def set_shared(self, spreadsheet_id: str, shared: bool) -> None:
        """An unshared spreadsheet answers 403 PERMISSION_DENIED to every caller."""
        with self._lock:
            self._book(spreadsheet_id).shared = shared

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        """The live model (for assertions the helpers below do not cover)."""
        return self._book(spreadsheet_id)

    # -- reading the state -------------------------------------------------------------------

    def values(self, spreadsheet_id: str, tab: str) -> list[list[Any]]:
        """The stored values, A1 to the last used cell, as a rectangle (``None`` = empty).

        Dates come back as ``date``/``datetime``, formulas as ``Formula(text, value)``.
        """
        with self._lock:
            sheet = self._sheet(spreadsheet_id, tab)
            n_rows, n_cols = sheet.used_extent()
            return [
                [_python_value(sheet.cells.get((r, c))) for c in range(n_cols)]
                for r in range(n_rows)
            ]

    def cell(self, spreadsheet_id: str, tab: str, a1: str) -> Any:
        """One stored value (see ``values``)."""
        row, col = self._a1_cell(a1)
        with self._lock:
            return _python_value(self._sheet(spreadsheet_id, tab).cells.get((row, col)))

    def format_of(self, spreadsheet_id: str, tab: str, a1: str) -> dict[str, Any]:
        """The ``userEnteredFormat`` stored for a cell ({} when none)."""
        row, col = self._a1_cell(a1)
        with self._lock:
            cell = self._sheet(spreadsheet_id, tab).cells.get((row, col))
            return copy.deepcopy(cell.fmt) if cell else {}

    def validation_of(self, spreadsheet_id: str, tab: str, a1: str) -> dict[str, Any] | None:
        """The data-validation rule on a cell, if any."""
        row, col = self._a1_cell(a1)
        with self._lock:
            cell = self._sheet(spreadsheet_id, tab).cells.get((row, col))
            return copy.deepcopy(cell.validation) if cell else None

    def sheet_properties(self, spreadsheet_id: str, tab: str) -> dict[str, Any]:
        """The tab's ``properties`` as the API reports them."""
        with self._lock:
            book = self._book(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, tab)
            return sheet.properties(book.sheets.index(sheet))

    def tabs(self, spreadsheet_id: str) -> list[str]:
        """Tab titles in order."""
        with self._lock:
            return [s.title for s in self._book(spreadsheet_id).sheets]

    def conditional_formats(self, spreadsheet_id: str, tab: str) -> list[dict[str, Any]]:
        """Conditional-format rules on a tab (ranges shift with inserted/deleted rows)."""
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, tab).conditional_formats)

    def protected_ranges(self, spreadsheet_id: str, tab: str) -> list[dict[str, Any]]:
        """Protected ranges on a tab."""
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, tab).protected_ranges)

    def basic_filter(self, spreadsheet_id: str, tab: str) -> dict[str, Any] | None:
        """The tab's basic filter (``Sheet.basicFilter``), or None."""
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, tab).basic_filter)

    def set_basic_filter(self, spreadsheet_id: str, tab: str, a1: str, **extra: Any) -> None:
        """A person turns on a filter over ``a1`` (``"A1:F20"``); ``extra`` adds
        ``sortSpecs``/``filterSpecs`` as the API spells them."""
        first, _, last = a1.partition(":")
        (r1, c1), (r2, c2) = self._a1_cell(first), self._a1_cell(last or first)
        with self._lock:
            sheet = self._sheet(spreadsheet_id, tab)
            grid = {"startRowIndex": r1, "endRowIndex": r2 + 1}
            grid |= {"startColumnIndex": c1, "endColumnIndex": c2 + 1}
            if sheet.sheet_id:
                grid["sheetId"] = sheet.sheet_id
            sheet.basic_filter = {"range": grid, **copy.deepcopy(extra)}
            _touch(self._book(spreadsheet_id))

    def add_table(self, spreadsheet_id: str, tab: str, a1: str, name: str) -> None:
        """A person turns ``a1`` (header row first) into a table named ``name``: its columns
        are named by the header cells, typed TEXT."""
        first, _, last = a1.partition(":")
        (r1, c1), (r2, c2) = self._a1_cell(first), self._a1_cell(last)
        with self._lock:
            sheet = self._sheet(spreadsheet_id, tab)
            grid = {"startRowIndex": r1, "endRowIndex": r2 + 1}
            grid |= {"startColumnIndex": c1, "endColumnIndex": c2 + 1}
            if sheet.sheet_id:
                grid["sheetId"] = sheet.sheet_id
            columns = [
                {
                    "columnIndex": i,
                    "columnName": str(_python_value(sheet.cells.get((r1, c)))),
                    "columnType": "TEXT",
                }
                for i, c in enumerate(range(c1, c2 + 1))
            ]
            table = {"tableId": str(_new_sheet_id()), "name": name, "range": grid}
            sheet.tables.append({**table, "columnProperties": columns})
            _touch(self._book(spreadsheet_id))

    def tables(self, spreadsheet_id: str, tab: str) -> list[dict[str, Any]]:
        """The tab's tables (``Sheet.tables``)."""
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, tab).tables)

    def developer_metadata(self, spreadsheet_id: str) -> list[dict[str, Any]]:
        """All developer metadata in the spreadsheet."""
        with self._lock:
            return copy.deepcopy(self._book(spreadsheet_id).developer_metadata)

    # -- the request log -----------------------------------------------------------------------

    def ops(self) -> list[str]:
        """The API method id of every logged request, in order."""
        with self._lock:
            return [r.op for r in self.requests]

    def count(self, op: str) -> int:
        """How many logged requests matched ``op`` (full id or its tail, e.g. ``batchGet``)."""
        with self._lock:
            return sum(1 for r in self.requests if _matches(op, r))

    def clear_requests(self) -> None:
        """Forget the request log."""
        with self._lock:
            self.requests.clear()
            self.token_requests.clear()

    # -- fault injection -----------------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        retry_after: float | str | None = None,
        *,
        op: Match = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``n`` matching requests with an error (Google's shape; 502 as HTML).

        ``retry_after`` (seconds, or an HTTP date string) adds a ``Retry-After`` header.
        """
        after = None if retry_after is None else str(retry_after)
        with self._lock:
            self._faults.append(_Fault("fail", n, op, status, after, message))

    def delay_next(
        self, seconds: float, n: int = 1, *, op: Match = None, after_apply: bool = False
    ) -> None:
        """Hold the response of the next ``n`` matching requests for ``seconds``.

        With ``after_apply=True`` the request takes effect first (a write that "may have been
        applied" when the client times out).
        """
        with self._lock:
            self._faults.append(_Fault("delay", n, op, seconds=seconds, after_apply=after_apply))

    def reset_connection_next(
        self, n: int = 1, *, op: Match = None, after_apply: bool = False
    ) -> None:
        """Close the connection without answering the next ``n`` matching requests."""
        with self._lock:
            self._faults.append(_Fault("reset", n, op, after_apply=after_apply))

    def before_next(self, match: Match, callback: Callable[[SheetsEmulator], None]) -> None:
        """Run ``callback(emulator)`` once, just before serving the next matching request.

        ``match`` is an op (``"spreadsheets.values.batchUpdate"``, or a tail such as
        ``"values.batchUpdate"``), a predicate on ``RecordedRequest``, or ``None`` for any.
        This is how a test plays the person editing the sheet between sync's read and write.
        """
        with self._lock:
            self._hooks.append(_Hook(match, callback))

    # -- the person editing the sheet (direct changes, no HTTP request, not logged) ----------

    def set_cell(self, spreadsheet_id: str, tab: str, a1: str, value: Any) -> None:
        """Type a value into a cell (Python value as in ``add_spreadsheet``; None clears)."""
        self.set_values(spreadsheet_id, tab, a1, [[value]])

    def set_values(
        self, spreadsheet_id: str, tab: str, a1: str, rows: Sequence[Sequence[Any]]
    ) -> None:
        """Type a block of values starting at ``a1``; ``None`` clears a cell."""
        r0, c0 = self._a1_cell(a1)
        with self._lock:
            book = self._book(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, tab)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    _put_value(sheet, (r0 + r, c0 + c), cell_from_python(value, book.date_pattern))
            _touch(book)

    def insert_rows(
        self,
        spreadsheet_id: str,
        tab: str,
        before_row: int,
        count: int = 1,
        values: Sequence[Sequence[Any]] | None = None,
    ) -> None:
        """Insert ``count`` rows above sheet row ``before_row`` (1-based), optionally filled."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, tab)
            book = self._book(spreadsheet_id)
            _insert_dimension(book, sheet, "ROWS", before_row - 1, before_row - 1 + count)
            _touch(book)
        if values:
            self.set_values(spreadsheet_id, tab, f"A{before_row}", values)

    def delete_rows(self, spreadsheet_id: str, tab: str, row: int, count: int = 1) -> None:
        """Delete ``count`` rows starting at sheet row ``row`` (1-based)."""
        with self._lock:
            book = self._book(spreadsheet_id)
            _delete_dimension(
                book, self._sheet(spreadsheet_id, tab), "ROWS", row - 1, row - 1 + count
            )
            _touch(book)

    def insert_columns(
        self, spreadsheet_id: str, tab: str, before_col: str, count: int = 1
    ) -> None:
        """Insert ``count`` columns left of column ``before_col`` (letters)."""
        start = col_index(before_col)
        with self._lock:
            book = self._book(spreadsheet_id)
            _insert_dimension(
                book, self._sheet(spreadsheet_id, tab), "COLUMNS", start, start + count
            )
            _touch(book)

    def sort_rows(
        self,
        spreadsheet_id: str,
        tab: str,
        by_column: str,
        *,
        descending: bool = False,
        header_rows: int = 1,
    ) -> None:
        """Sort the used rows below the header by one column, as Data → Sort range does."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, tab)
            n_rows, n_cols = sheet.used_extent()
            box = GridBox(header_rows, 0, max(header_rows, n_rows - 1), max(0, n_cols - 1))
            order = "DESCENDING" if descending else "ASCENDING"
            _sort_box(sheet, box, [{"dimensionIndex": col_index(by_column), "sortOrder": order}])
            _touch(self._book(spreadsheet_id))

    def rename_tab(self, spreadsheet_id: str, tab: str, new_title: str) -> None:
        """Rename a tab."""
        with self._lock:
            self._sheet(spreadsheet_id, tab).title = new_title

    # -- internals: lookup -----------------------------------------------------------------------

    def _book(self, spreadsheet_id: str) -> Spreadsheet:
        try:
            return self._books[spreadsheet_id]
        except KeyError:
            raise KeyError(f"no spreadsheet {spreadsheet_id!r} in the emulator") from None

    def _sheet(self, spreadsheet_id: str, tab: str) -> Sheet:
        sheet = self._book(spreadsheet_id).sheet_by_title(tab)
        if sheet is None:
            raise KeyError(f"no tab {tab!r}")
        return sheet

    @staticmethod
    def _a1_cell(a1: str) -> tuple[int, int]:
        bounds = _parse_a1(a1)
        if bounds is None or not bounds.single or bounds.r1 is None or bounds.c1 is None:
            raise ValueError(f"not a cell reference: {a1!r}")
        return bounds.r1, bounds.c1

    # -- internals: HTTP -----------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        req = _read_request(environ)
        if req.op == "oauth2.token":
            with self._lock:
                self.token_requests.append(req)
            return self._respond(start_response, 200, self._issue_token(req))
        with self._lock:
            self.requests.append(req)
            fault = self._take_fault(req)
            hooks = self._take_hooks(req) if fault is None or fault.kind != "fail" else []
        if fault is not None and fault.kind == "fail":
            return self._respond_fault(start_response, fault)
        if fault is not None and not fault.after_apply:
            self._pause_or_reset(fault, environ)
        for hook in hooks:
            hook.callback(self)
        status, body, headers = self._serve(req, environ)
        if fault is not None and fault.after_apply:
            self._pause_or_reset(fault, environ)
        pretty = (_q(req, "prettyPrint") or "true").lower() != "false"
        return self._respond(start_response, status, body, headers, pretty=pretty)

    def _pause_or_reset(self, fault: _Fault, environ: dict[str, Any]) -> None:
        if fault.kind == "delay":
            self._stopping.wait(fault.seconds)
            return
        sock: socket.socket = environ["werkzeug.socket"]
        sock.shutdown(socket.SHUT_RDWR)
        raise _Reset("connection reset by the emulator")

    def _take_fault(self, req: RecordedRequest) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and _matches(fault.match, req):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _take_hooks(self, req: RecordedRequest) -> list[_Hook]:
        due = [h for h in self._hooks if _matches(h.match, req)]
        for hook in due:
            self._hooks.remove(hook)
        return due

    def _serve(
        self, req: RecordedRequest, environ: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            with self._lock:
                return 200, self._dispatch(req, environ), {}
        except ApiError as err:
            return err.code, err.body(), err.headers
        except Exception as exc:  # an emulator bug: answer 500 and fail the test at teardown
            self.errors.append(exc)
            message = f"sheets emulator internal error: {exc!r}"
            return 500, ApiError(500, message, "INTERNAL").body(), {}

    def _respond_fault(self, start_response: Callable[..., Any], fault: _Fault) -> Iterable[bytes]:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        if fault.status == 502:
            start_response(
                "502 Bad Gateway",
                [("Content-Type", "text/html; charset=UTF-8"), *headers.items()],
            )
            return [_HTML_502]
        status, default_message = _STATUS_BY_CODE.get(fault.status, ("UNKNOWN", "Error."))
        err = ApiError(fault.status, fault.message or default_message, status)
        return self._respond(start_response, fault.status, err.body(), headers)

    @staticmethod
    def _respond(
        start_response: Callable[..., Any],
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        *,
        pretty: bool = True,
    ) -> Iterable[bytes]:
        # Google indents its JSON unless the request says prettyPrint=false (a system
        # parameter every Google API takes: cloud.google.com/apis/docs/system-parameters).
        spacing: dict[str, Any] = {"indent": 2} if pretty else {"separators": (",", ":")}
        payload = json.dumps(body, ensure_ascii=False, **spacing).encode("utf-8")
        reason = _REASONS.get(status, "Error")
        header_list = [
            ("Content-Type", "application/json; charset=UTF-8"),
            ("Content-Length", str(len(payload))),
            *(headers or {}).items(),
        ]
        start_response(f"{status} {reason}", header_list)
        return [payload]

    def _issue_token(self, req: RecordedRequest) -> dict[str, Any]:
        form = req.body if isinstance(req.body, dict) else {}
        email = _jwt_issuer(str(form.get("assertion", "")))
        token = "emulator-token-" + secrets.token_hex(8)
        with self._lock:
            self.token_emails[token] = email or ""
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _dispatch(self, req: RecordedRequest, environ: dict[str, Any]) -> Any:
        op, sid, rng = _route(req.method, environ["sheets_emulator.raw_path"])
        if op == "unknown":
            raise ApiError(404, "Method not found.", "NOT_FOUND")
        book = self._books.get(sid or "")
        if book is None:
            raise _not_found()
        if not book.shared:
            raise _denied()
        handler = _HANDLERS[op]
        result = handler(self, book, req, None if rng is None else _restore_colons(rng))
        if op in _WRITE_OPS:
            _touch(book)
        return result

    def _new_metadata_id(self) -> int:
        self._next_metadata_id += 1
        return self._next_metadata_id


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_WRITE_OPS = {
    "spreadsheets.batchUpdate",
    "spreadsheets.values.update",
    "spreadsheets.values.batchUpdate",
    "spreadsheets.values.append",
    "spreadsheets.values.clear",
    "spreadsheets.values.batchClear",
}


def _new_id() -> str:
    return "1" + secrets.token_urlsafe(32)[:43]


def _new_sheet_id() -> int:
    return secrets.randbelow(2_000_000_000) + 1


def _touch(book: Spreadsheet) -> None:
    book.modified = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _jwt_issuer(assertion: str) -> str | None:
    try:
        payload = assertion.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    iss = data.get("iss")
    return iss if isinstance(iss, str) else None


def _read_request(environ: dict[str, Any]) -> RecordedRequest:
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
    # werkzeug hands the raw URI over as latin-1 text of the original bytes.
    raw_uri = raw_uri.encode("latin-1").decode("utf-8", "replace")
    parts = urlsplit(raw_uri)
    raw_path = _decode_path(parts.path)
    environ["sheets_emulator.raw_path"] = raw_path
    query = parse_qs(parts.query, keep_blank_values=True)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = environ["wsgi.input"].read(length) if length else b""
    body: Any = None
    if data:
        ctype = environ.get("CONTENT_TYPE", "")
        if "x-www-form-urlencoded" in ctype:
            body = {k: v[0] for k, v in parse_qs(data.decode("utf-8")).items()}
        else:
            try:
                body = json.loads(data)
            except ValueError:
                body = data.decode("utf-8", "replace")
    return RecordedRequest(environ["REQUEST_METHOD"], _restore_colons(raw_path), query, body)


# --------------------------------------------------------------------------------------------
# Handlers: metadata
# --------------------------------------------------------------------------------------------


def _q(req: RecordedRequest, name: str, default: str | None = None) -> str | None:
    values = req.query.get(name)
    return values[-1] if values else default


def _q_bool(req: RecordedRequest, name: str) -> bool:
    return (_q(req, name) or "false").lower() == "true"


def _sheet_json(
    book: Spreadsheet,
    sheet: Sheet,
    grid_boxes: list[GridBox] | None,
    cell_fields: frozenset[str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"properties": sheet.properties(book.sheets.index(sheet))}
    if sheet.conditional_formats:
        out["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
    if sheet.protected_ranges:
        out["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
    if sheet.basic_filter is not None:
        out["basicFilter"] = copy.deepcopy(sheet.basic_filter)
    if sheet.tables:
        out["tables"] = copy.deepcopy(sheet.tables)
    metadata = [
        m for m in book.developer_metadata if m["location"].get("sheetId") == sheet.sheet_id
    ]
    if metadata:
        out["developerMetadata"] = copy.deepcopy(metadata)
    if grid_boxes is not None:
        out["data"] = [_grid_data(sheet, box, cell_fields) for box in grid_boxes]
    return out


def _grid_data(
    sheet: Sheet, box: GridBox, cell_fields: frozenset[str] | None = None
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    cells = sheet.cells
    for r in range(box.r1, box.r2 + 1):
        values = [_cell_data(cells.get((r, c)), cell_fields) for c in range(box.c1, box.c2 + 1)]
        while values and not values[-1]:
            values.pop()
        rows.append({"values": values} if values else {})
    while rows and not rows[-1]:
        rows.pop()
    data: dict[str, Any] = {}
    if box.r1:
        data["startRow"] = box.r1
    if box.c1:
        data["startColumn"] = box.c1
    if rows:
        data["rowData"] = rows
    return data


# ErrorValue.type for each error a cell can show (Sheets API v4 reference, "ErrorType": each
# value "corresponds to" the error named here; LOADING is the "Loading..." state).
ERROR_TYPES = {
    "#NULL!": "NULL_VALUE",
    "#DIV/0!": "DIVIDE_BY_ZERO",
    "#VALUE!": "VALUE",
    "#REF!": "REF",
    "#NAME?": "NAME",
    "#NUM!": "NUM",
    "#N/A": "N_A",
    "#ERROR!": "ERROR",
    "Loading...": "LOADING",
}


def _extended_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": _json_number(value)}
    if isinstance(value, str) and value in ERROR_TYPES:
        return {"errorValue": {"type": ERROR_TYPES[value], "message": f"{value} (emulated)"}}
    return {"stringValue": str(value)}


def _cell_data(cell: Cell | None, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """A cell as ``CellData``; ``fields``, when given, limits the work to those fields (the
    answer is filtered by the request's mask anyway)."""
    if cell is None:
        return {}
    if fields == _EFFECTIVE_ONLY and cell.has_value():  # the common read: the computed value
        return {"effectiveValue": _extended_value(cell.value)}
    out: dict[str, Any] = {}
    if cell.has_value():
        entered = {"formulaValue": cell.formula} if cell.formula else _extended_value(cell.value)
        out["userEnteredValue"] = entered
        out["effectiveValue"] = _extended_value(cell.value)
        out["formattedValue"] = render_cell(cell, "FORMATTED_VALUE", "SERIAL_NUMBER")
    fmt = json_copy(cell.fmt)
    if cell.pattern:
        kind = cell.kind or "NUMBER"
        fmt.setdefault("numberFormat", {"type": kind, "pattern": cell.pattern})
    if fmt:
        out["userEnteredFormat"] = fmt
    if cell.validation:
        out["dataValidation"] = copy.deepcopy(cell.validation)
    if cell.note:
        out["note"] = cell.note
    return out


def _spreadsheet_json(
    book: Spreadsheet,
    *,
    grid: bool = False,
    ranges: list[str] | None = None,
    cell_fields: frozenset[str] | None = None,
) -> dict[str, Any]:
    boxes: dict[int, list[GridBox]] = {}
    if ranges:
        for text in ranges:
            res = resolve_range(book, text)
            boxes.setdefault(res.sheet.sheet_id, []).append(res.box)
    sheets = []
    for sheet in book.sheets:
        if ranges and sheet.sheet_id not in boxes:
            continue
        wanted = boxes.get(sheet.sheet_id) if ranges else None
        if grid and wanted is None:
            wanted = [GridBox(0, 0, sheet.rows - 1, sheet.cols - 1)]
        sheets.append(_sheet_json(book, sheet, wanted if grid else None, cell_fields))
    out: dict[str, Any] = {
        "spreadsheetId": book.spreadsheet_id,
        "properties": {
            "title": book.title,
            "locale": book.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": book.time_zone,
        },
        "sheets": sheets,
    }
    top_metadata = [m for m in book.developer_metadata if m["location"].get("spreadsheet")]
    if top_metadata:
        out["developerMetadata"] = copy.deepcopy(top_metadata)
    out["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{book.spreadsheet_id}/edit"
    return out


def _h_get(emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, _r: str | None) -> Any:
    """spreadsheets.get. Grid data comes back when ``includeGridData`` is true or, when a
    ``fields`` mask is set (then ``includeGridData`` is ignored), when the mask asks for
    ``sheets.data`` (Sheets API v4 reference, spreadsheets.get: "If a field mask is set, the
    includeGridData parameter is ignored")."""
    ranges = req.query.get("ranges")
    mask = _q(req, "fields")
    grid = _mask_wants_grid(mask) if mask else _q_bool(req, "includeGridData")
    fields = _cell_fields(mask) if mask else None
    data = _spreadsheet_json(book, grid=grid, ranges=ranges, cell_fields=fields)
    return filter_fields(data, mask)


def _mask_wants_grid(mask: str) -> bool:
    return mask.strip() == "*" or any(p[:2] == ["sheets", "data"] for p in mask_paths(mask))


_CELLS = ["sheets", "data", "rowData", "values"]
_EFFECTIVE_ONLY = frozenset({"effectiveValue"})


def _cell_fields(mask: str) -> frozenset[str] | None:
    """The CellData fields a mask asks for (None: all of them)."""
    paths = mask_paths(mask)
    wanted = [p[len(_CELLS)] for p in paths if p[: len(_CELLS)] == _CELLS and len(p) > 4]
    if mask.strip() == "*" or any(_CELLS[: len(p)] == p for p in paths):
        return None  # the whole CellData (or more) is asked for
    return frozenset(wanted)


def _h_drive(emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, _r: str | None) -> Any:
    data = {
        "kind": "drive#file",
        "id": book.spreadsheet_id,
        "name": book.title,
        "mimeType": "application/vnd.google-apps.spreadsheet",
        "createdTime": book.created,
        "modifiedTime": book.modified,
    }
    return filter_fields(data, _q(req, "fields"))


# --------------------------------------------------------------------------------------------
# Handlers: values
# --------------------------------------------------------------------------------------------


def _read_block(res: _Resolved, major: str, value_render: str, date_render: str) -> dict[str, Any]:
    sheet, box = res.sheet, res.box
    lines: list[list[Any]] = []
    outer = range(box.r1, box.r2 + 1) if major == "ROWS" else range(box.c1, box.c2 + 1)
    inner = range(box.c1, box.c2 + 1) if major == "ROWS" else range(box.r1, box.r2 + 1)
    for a in outer:
        line = []
        for b in inner:
            key = (a, b) if major == "ROWS" else (b, a)
            line.append(render_cell(sheet.cells.get(key), value_render, date_render))
        while line and line[-1] is None:
            line.pop()
        lines.append(["" if v is None else v for v in line])
    while lines and not lines[-1]:
        lines.pop()
    out: dict[str, Any] = {"range": res.echo(), "majorDimension": major}
    if lines:
        out["values"] = lines
    return out


def _render_options(req: RecordedRequest) -> tuple[str, str, str]:
    major = _q(req, "majorDimension", "ROWS") or "ROWS"
    value_render = _q(req, "valueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE"
    date_render = _q(req, "dateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER"
    _check_enum("majorDimension", major, ("ROWS", "COLUMNS"))
    _check_enum(
        "valueRenderOption", value_render, ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
    )
    _check_enum("dateTimeRenderOption", date_render, ("SERIAL_NUMBER", "FORMATTED_STRING"))
    return major, value_render, date_render


def _check_enum(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise _bad_request(
            f"Invalid value at '{_snake(name)}' (type.googleapis.com/google.apps.sheets.v4."
            f'{name[0].upper() + name[1:]}), "{value}"'
        )


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _h_values_get(
    emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, rng: str | None
) -> Any:
    major, value_render, date_render = _render_options(req)
    return _read_block(resolve_range(book, rng or ""), major, value_render, date_render)


def _h_batch_get(
    emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, _r: str | None
) -> Any:
    major, value_render, date_render = _render_options(req)
    blocks = [
        _read_block(resolve_range(book, text), major, value_render, date_render)
        for text in req.query.get("ranges", [])
    ]
    out: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
    if blocks:
        out["valueRanges"] = blocks
    return out


def _put_value(sheet: Sheet, key: tuple[int, int], new: Cell | None) -> None:
    """Replace a cell's value (and formula, number format) keeping its format/validation."""
    old = sheet.cells.get(key)
    if new is None:
        if old is not None:
            old.value, old.formula, old.kind, old.pattern = None, None, None, None
            if old.is_blank():
                del sheet.cells[key]
        return
    if old is not None:
        new.fmt, new.validation, new.note = old.fmt, old.validation, old.note
        if new.pattern is None and old.pattern and isinstance(new.value, int | float):
            new.kind, new.pattern = old.kind, old.pattern  # typed into a date-formatted cell
    sheet.cells[key] = new


def _write_values(
    book: Spreadsheet,
    rng: str,
    values: Any,
    major: str,
    option: str,
    include: bool,
    render: tuple[str, str],
) -> dict[str, Any]:
    if option not in ("RAW", "USER_ENTERED"):
        raise _bad_request(
            f"Invalid valueInputOption: {option or 'INPUT_VALUE_OPTION_UNSPECIFIED'}"
        )
    if values is None:
        values = []
    if not isinstance(values, list) or any(not isinstance(row, list) for row in values):
        raise ApiError(
            400,
            f"Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), "
            f"{json.dumps(values)}",
            "INVALID_ARGUMENT",
        )
    res = resolve_range(book, rng)
    sheet, box = res.sheet, res.box
    grid = _rows_major(values, major)
    n_rows = len(grid)
    n_cols = max((len(row) for row in grid), default=0)
    if res.declared_past_grid and res.closed:
        raise _grid_error(sheet, GridBox(box.r1, box.c1, box.r1 + n_rows - 1, box.c1 + n_cols - 1))
    _check_fits(res, n_rows, n_cols)
    touched: list[tuple[int, int]] = []
    for r, row in enumerate(grid):
        for c, raw in enumerate(row):
            if raw is None:
                continue
            key = (box.r1 + r, box.c1 + c)
            _put_value(sheet, key, cell_from_input(raw, option, book.locale))
            touched.append(key)
    return _update_response(book, res, touched, n_rows, n_cols, include, render)


def _rows_major(values: list[list[Any]], major: str) -> list[list[Any]]:
    if major != "COLUMNS":
        return values
    height = max((len(col) for col in values), default=0)
    return [[col[r] if r < len(col) else None for col in values] for r in range(height)]


def _check_fits(res: _Resolved, n_rows: int, n_cols: int) -> None:
    sheet, box = res.sheet, res.box
    if not n_rows or not n_cols:
        return
    last_row, last_col = box.r1 + n_rows - 1, box.c1 + n_cols - 1
    if last_row >= sheet.rows or last_col >= sheet.cols:
        raise _grid_error(sheet, GridBox(box.r1, box.c1, last_row, last_col))
    if res.closed and not res.single:
        if last_row > box.r2:
            raise _bad_request(
                f"Requested writing within range [{res.echo()}], but tried writing to row "
                f"[{last_row + 1}]"
            )
        if last_col > box.c2:
            raise _bad_request(
                f"Requested writing within range [{res.echo()}], but tried writing to column "
                f"[{col_letter(last_col)}]"
            )


def _update_response(
    book: Spreadsheet,
    res: _Resolved,
    touched: list[tuple[int, int]],
    n_rows: int,
    n_cols: int,
    include: bool,
    render: tuple[str, str],
) -> dict[str, Any]:
    box = res.box
    out: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
    if n_rows and n_cols:
        written = GridBox(box.r1, box.c1, box.r1 + n_rows - 1, box.c1 + n_cols - 1)
        out["updatedRange"] = f"{quote_title(res.sheet.title)}!{written.a1()}"
    else:
        written = GridBox(box.r1, box.c1, box.r1, box.c1)
        out["updatedRange"] = f"{quote_title(res.sheet.title)}!{written.a1()}"
    rows = len({r for r, _ in touched})
    cols = len({c for _, c in touched})
    for key, number in (
        ("updatedRows", rows),
        ("updatedColumns", cols),
        ("updatedCells", len(touched)),
    ):
        if number:
            out[key] = number  # proto3 JSON leaves zero counts out
    if include:
        echo = _Resolved(res.sheet, written, False, True)
        out["updatedData"] = _read_block(echo, "ROWS", *render)
    return out


def _response_render(source: Mapping[str, Any] | RecordedRequest) -> tuple[str, str]:
    if isinstance(source, RecordedRequest):
        value = _q(source, "responseValueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE"
        date = _q(source, "responseDateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER"
        return value, date
    return (
        str(source.get("responseValueRenderOption") or "FORMATTED_VALUE"),
        str(source.get("responseDateTimeRenderOption") or "SERIAL_NUMBER"),
    )


def _h_update(emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, rng: str | None) -> Any:
    body = req.body if isinstance(req.body, dict) else {}
    return _write_values(
        book,
        rng or "",
        body.get("values"),
        str(body.get("majorDimension") or "ROWS"),
        _q(req, "valueInputOption", "") or "",
        _q_bool(req, "includeValuesInResponse"),
        _response_render(req),
    )


def _atomic(book: Spreadsheet, action: Callable[[], Any]) -> Any:
    """Run ``action``; on an API error restore the spreadsheet (batch requests are atomic)."""
    saved = pickle.loads(
        pickle.dumps(book.__dict__, pickle.HIGHEST_PROTOCOL)
    )  # a deep copy, faster
    try:
        return action()
    except ApiError:
        book.__dict__.update(saved)
        raise


def _h_batch_update_values(
    emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, _r: str | None
) -> Any:
    body = req.body if isinstance(req.body, dict) else {}
    option = str(body.get("valueInputOption") or "")
    include = bool(body.get("includeValuesInResponse"))
    render = _response_render(body)

    def run() -> dict[str, Any]:
        responses = []
        for i, item in enumerate(body.get("data") or []):
            if not isinstance(item, dict):
                raise _bad_request(
                    f"Invalid value at 'data[{i}]' (type.googleapis.com/google.apps.sheets.v4."
                    f"ValueRange), {json.dumps(item)}"
                )
            try:
                responses.append(
                    _write_values(
                        book,
                        str(item.get("range", "")),
                        item.get("values"),
                        str(item.get("majorDimension") or "ROWS"),
                        option,
                        include,
                        render,
                    )
                )
            except ApiError as err:
                if err.message.startswith("Invalid valueInputOption"):
                    raise
                raise _bad_request(f"Invalid data[{i}]: {err.message}") from None
        return _batch_totals(book, responses)

    return _atomic(book, run)


def _batch_totals(book: Spreadsheet, responses: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
    sheets = {r["updatedRange"].rsplit("!", 1)[0] for r in responses if r.get("updatedCells")}
    totals = {
        "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
        "totalUpdatedColumns": max((r.get("updatedColumns", 0) for r in responses), default=0),
        "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
        "totalUpdatedSheets": len(sheets),
    }
    out.update({k: v for k, v in totals.items() if v})
    if responses:
        out["responses"] = responses
    return out


def _clear_box(res: _Resolved) -> None:
    for r in range(res.box.r1, res.box.r2 + 1):
        for c in range(res.box.c1, res.box.c2 + 1):
            if (r, c) in res.sheet.cells:
                _put_value(res.sheet, (r, c), None)


def _h_clear(emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, rng: str | None) -> Any:
    res = resolve_range(book, rng or "")
    _clear_box(res)
    return {"spreadsheetId": book.spreadsheet_id, "clearedRange": res.echo()}


def _h_batch_clear(
    emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, _r: str | None
) -> Any:
    body = req.body if isinstance(req.body, dict) else {}

    def run() -> dict[str, Any]:
        cleared = []
        for text in body.get("ranges") or []:
            res = resolve_range(book, str(text))
            _clear_box(res)
            cleared.append(res.echo())
        out: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        if cleared:
            out["clearedRanges"] = cleared
        return out

    return _atomic(book, run)


def _h_append(emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, rng: str | None) -> Any:
    """values:append — a simplified table search: the row after the last used row."""
    body = req.body if isinstance(req.body, dict) else {}
    res = resolve_range(book, rng or "")
    sheet = res.sheet
    used = [r for (r, c), cell in sheet.cells.items() if cell.has_value() and res.box.c1 <= c]
    start = max(used) + 1 if used else res.box.r1
    grid = _rows_major(body.get("values") or [], str(body.get("majorDimension") or "ROWS"))
    need = start + len(grid)
    if need > sheet.rows:
        sheet.rows = need  # append grows the grid
    width = res.box.c1 + max((len(r) for r in grid), default=0)
    sheet.cols = max(sheet.cols, width)
    target = f"{quote_title(sheet.title)}!{cell_a1(start, res.box.c1)}"
    updates = _write_values(
        book,
        target,
        grid,
        "ROWS",
        _q(req, "valueInputOption", "") or "",
        _q_bool(req, "includeValuesInResponse"),
        _response_render(req),
    )
    out: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
    if used:
        table = GridBox(min(used), res.box.c1, max(used), res.box.c1)
        out["tableRange"] = f"{quote_title(sheet.title)}!{table.a1()}"
    out["updates"] = updates
    return out


# --------------------------------------------------------------------------------------------
# Handlers: developer metadata
# --------------------------------------------------------------------------------------------


def _metadata_matches(meta: dict[str, Any], lookup: Mapping[str, Any]) -> bool:
    for key in ("metadataId", "metadataKey", "metadataValue", "visibility"):
        if key in lookup and meta.get(key) != lookup[key]:
            return False
    if "locationType" in lookup and meta["location"].get("locationType") != lookup["locationType"]:
        return False
    wanted = lookup.get("metadataLocation")
    if wanted:
        loc = meta["location"]
        if "sheetId" in wanted and loc.get("sheetId") != wanted["sheetId"]:
            return False
        if wanted.get("spreadsheet") and not loc.get("spreadsheet"):
            return False
        if "dimensionRange" in wanted and loc.get("dimensionRange") != wanted["dimensionRange"]:
            return False
    return True


def _search_metadata(book: Spreadsheet, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    matched: list[dict[str, Any]] = []
    for data_filter in filters:
        lookup = data_filter.get("developerMetadataLookup")
        if lookup is None:
            raise _bad_request("Only developerMetadataLookup data filters are supported here.")
        for meta in book.developer_metadata:
            if _metadata_matches(meta, lookup):
                matched.append(
                    {"developerMetadata": copy.deepcopy(meta), "dataFilters": [data_filter]}
                )
    return matched


def _h_meta_search(
    emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, _r: str | None
) -> Any:
    body = req.body if isinstance(req.body, dict) else {}
    matched = _search_metadata(book, list(body.get("dataFilters") or []))
    return {"matchedDeveloperMetadata": matched} if matched else {}


def _h_meta_get(
    emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, mid: str | None
) -> Any:
    for meta in book.developer_metadata:
        if str(meta["metadataId"]) == mid:
            return copy.deepcopy(meta)
    raise _not_found()


# --------------------------------------------------------------------------------------------
# Handlers: spreadsheets:batchUpdate
# --------------------------------------------------------------------------------------------

# Every Request kind Google documents; the ones without a handler below answer 400.
_GOOGLE_REQUEST_KINDS = frozenset(
    [
        "updateSpreadsheetProperties",
        "updateSheetProperties",
        "updateDimensionProperties",
        "updateNamedRange",
        "repeatCell",
        "addNamedRange",
        "deleteNamedRange",
        "addSheet",
        "deleteSheet",
        "autoFill",
        "cutPaste",
        "copyPaste",
        "mergeCells",
        "unmergeCells",
        "updateBorders",
        "updateCells",
        "addFilterView",
        "appendCells",
        "clearBasicFilter",
        "deleteDimension",
        "deleteEmbeddedObject",
        "deleteFilterView",
        "duplicateFilterView",
        "duplicateSheet",
        "findReplace",
        "insertDimension",
        "insertRange",
        "moveDimension",
        "updateEmbeddedObjectPosition",
        "pasteData",
        "textToColumns",
        "updateFilterView",
        "deleteRange",
        "appendDimension",
        "addConditionalFormatRule",
        "updateConditionalFormatRule",
        "deleteConditionalFormatRule",
        "sortRange",
        "setDataValidation",
        "setBasicFilter",
        "addProtectedRange",
        "updateProtectedRange",
        "deleteProtectedRange",
        "autoResizeDimensions",
        "addChart",
        "updateChartSpec",
        "updateBanding",
        "addBanding",
        "deleteBanding",
        "createDeveloperMetadata",
        "updateDeveloperMetadata",
        "deleteDeveloperMetadata",
        "randomizeRange",
        "addDimensionGroup",
        "deleteDimensionGroup",
        "updateDimensionGroup",
        "trimWhitespace",
        "deleteDuplicates",
        "updateEmbeddedObjectBorder",
        "addSlicer",
        "updateSlicerSpec",
        "addDataSource",
        "updateDataSource",
        "deleteDataSource",
        "refreshDataSource",
        "cancelDataSourceRefresh",
        "addTable",
        "updateTable",
        "deleteTable",
    ]
)

# Accepted and logged, with no effect on what the emulator models.
_NO_OP_KINDS = frozenset(
    {
        "updateDimensionProperties",
        "autoResizeDimensions",
        "updateBorders",
        "mergeCells",
        "unmergeCells",
        "addBanding",
    }
)


def _sheet_for(book: Spreadsheet, sheet_id: Any) -> Sheet:
    sheet = book.sheet_by_id(int(sheet_id or 0))
    if sheet is None:
        raise _bad_request(f"No grid with id: {int(sheet_id or 0)}")
    return sheet


def _grid_box(book: Spreadsheet, grid_range: Mapping[str, Any]) -> tuple[Sheet, GridBox]:
    sheet = _sheet_for(book, grid_range.get("sheetId"))
    r1 = int(grid_range.get("startRowIndex", 0))
    r2 = int(grid_range.get("endRowIndex", sheet.rows)) - 1
    c1 = int(grid_range.get("startColumnIndex", 0))
    c2 = int(grid_range.get("endColumnIndex", sheet.cols)) - 1
    if r1 < 0 or c1 < 0 or r2 >= sheet.rows or c2 >= sheet.cols or r2 < r1 or c2 < c1:
        raise _grid_error(sheet, GridBox(r1, c1, max(r1, r2), max(c1, c2)))
    return sheet, GridBox(r1, c1, r2, c2)


def _shift_index(index: int, start: int, count: int) -> int:
    return index + count if index >= start else index


def _insert_dimension(book: Spreadsheet, sheet: Sheet, dim: str, start: int, end: int) -> None:
    count = end - start
    size = sheet.rows if dim == "ROWS" else sheet.cols
    if start < 0 or count <= 0 or start > size:
        raise _bad_request(f"Invalid dimension range: startIndex {start}, endIndex {end}.")
    axis = 0 if dim == "ROWS" else 1
    moved: dict[tuple[int, int], Cell] = {}
    for key, cell in sheet.cells.items():
        new = list(key)
        new[axis] = _shift_index(key[axis], start, count)
        moved[(new[0], new[1])] = cell
    sheet.cells = moved
    if dim == "ROWS":
        sheet.rows += count
    else:
        sheet.cols += count
    _shift_ranges(book, sheet, dim, lambda i: _shift_index(i, start, count), start, None)


def _delete_dimension(book: Spreadsheet, sheet: Sheet, dim: str, start: int, end: int) -> None:
    count = end - start
    size = sheet.rows if dim == "ROWS" else sheet.cols
    if start < 0 or count <= 0 or end > size:
        raise _bad_request(f"Invalid dimension range: startIndex {start}, endIndex {end}.")
    if count >= size:
        noun = "rows" if dim == "ROWS" else "columns"
        raise _bad_request(f"You can't delete all the {noun} on the sheet.")
    axis = 0 if dim == "ROWS" else 1
    kept: dict[tuple[int, int], Cell] = {}
    for key, cell in sheet.cells.items():
        if start <= key[axis] < end:
            continue
        new = list(key)
        if key[axis] >= end:
            new[axis] -= count
        kept[(new[0], new[1])] = cell
    sheet.cells = kept
    if dim == "ROWS":
        sheet.rows -= count
    else:
        sheet.cols -= count

    def remap(i: int) -> int:
        return i - count if i >= end else (start if i >= start else i)

    _shift_ranges(book, sheet, dim, remap, start, end)


def _shift_ranges(
    book: Spreadsheet,
    sheet: Sheet,
    dim: str,
    remap: Callable[[int], int],
    start: int,
    deleted_end: int | None,
) -> None:
    """Move GridRanges (conditional formats, protections) and dimension metadata."""
    keys = (
        ("startRowIndex", "endRowIndex")
        if dim == "ROWS"
        else ("startColumnIndex", "endColumnIndex")
    )
    grid_ranges: list[dict[str, Any]] = []
    for rule in sheet.conditional_formats:
        grid_ranges.extend(rule.get("ranges", []))
    grid_ranges.extend(p["range"] for p in sheet.protected_ranges if "range" in p)
    for grid_range in grid_ranges:
        for key in keys:
            if key in grid_range and not (key.startswith("end") and grid_range[key] == start):
                grid_range[key] = remap(int(grid_range[key]))
    survivors = []
    for meta in book.developer_metadata:
        span = meta["location"].get("dimensionRange")
        if span and span.get("sheetId", 0) == sheet.sheet_id and span["dimension"] == dim:
            lo, hi = int(span.get("startIndex", 0)), int(span["endIndex"])
            if deleted_end is not None and start <= lo and hi <= deleted_end:
                continue  # the rows/columns it described are gone
            span["startIndex"], span["endIndex"] = remap(lo), remap(hi) if hi != start else hi
        survivors.append(meta)
    book.developer_metadata[:] = survivors


def _resize(book: Spreadsheet, sheet: Sheet, rows: int, cols: int) -> None:
    if rows < 1 or cols < 1:
        raise _bad_request("A sheet must have at least one row and one column.")
    if rows < sheet.rows:
        _delete_dimension(book, sheet, "ROWS", rows, sheet.rows)
    sheet.rows = rows
    if cols < sheet.cols:
        _delete_dimension(book, sheet, "COLUMNS", cols, sheet.cols)
    sheet.cols = cols


def _sort_key(cell: Cell | None) -> tuple[int, Any]:
    """Sheets' order: numbers/dates, then text (case-insensitive), then booleans; blanks last."""
    if cell is None or not cell.has_value() or cell.value is None:
        return (0, 0)
    value = cell.value
    if isinstance(value, bool):
        return (3, value)
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value).lower())


def _sort_box(sheet: Sheet, box: GridBox, specs: list[dict[str, Any]]) -> None:
    rows = list(range(box.r1, box.r2 + 1))
    snapshot = {r: {c: sheet.cells.get((r, c)) for c in range(box.c1, box.c2 + 1)} for r in rows}
    order = rows[:]
    for spec in reversed(specs):  # stable sorts, last key first
        col = int(spec.get("dimensionIndex", 0))
        descending = spec.get("sortOrder") == "DESCENDING"
        filled = [r for r in order if _sort_key(snapshot[r].get(col))[0] != 0]
        blank = [r for r in order if r not in filled]
        filled.sort(key=lambda r: _sort_key(snapshot[r].get(col)), reverse=descending)
        order = filled + blank
    for target, source in zip(rows, order, strict=True):
        for c in range(box.c1, box.c2 + 1):
            cell = snapshot[source][c]
            if cell is None:
                sheet.cells.pop((target, c), None)
            else:
                sheet.cells[(target, c)] = cell


def _apply_cell_data(
    book: Spreadsheet, sheet: Sheet, key: tuple[int, int], data: Mapping[str, Any], mask: str
) -> None:
    cell = sheet.cells.get(key) or Cell()
    current: dict[str, Any] = {}
    if cell.fmt:
        current["userEnteredFormat"] = cell.fmt
    if cell.validation:
        current["dataValidation"] = cell.validation
    if cell.note:
        current["note"] = cell.note
    apply_mask(current, data, mask)
    cell.fmt = current.get("userEnteredFormat") or {}
    cell.validation = current.get("dataValidation")
    cell.note = current.get("note")
    paths = [[k] for k in data] if mask.strip() == "*" else mask_paths(mask)
    if any(p[0] == "userEnteredValue" for p in paths):
        entered = data.get("userEnteredValue")
        new = _cell_from_extended(entered) if entered else None
        sheet.cells[key] = cell
        _put_value(sheet, key, new)
        return
    if cell.is_blank():
        sheet.cells.pop(key, None)
    else:
        sheet.cells[key] = cell


def _cell_from_extended(value: Mapping[str, Any]) -> Cell | None:
    if "formulaValue" in value:
        return Cell(evaluate_formula(value["formulaValue"]), formula=value["formulaValue"])
    for key in ("stringValue", "numberValue", "boolValue"):
        if key in value:
            return Cell(value[key])
    return None


def _r_update_sheet_properties(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") or {}
    mask = str(body.get("fields") or "")
    if not mask:
        raise _bad_request("At least one field must be updated, but none were specified.")
    sheet = _sheet_for(book, props.get("sheetId"))
    current = sheet.properties(book.sheets.index(sheet))
    updated = copy.deepcopy(current)
    apply_mask(updated, props, mask)
    grid = updated.get("gridProperties") or {}
    new_title = updated.get("title", sheet.title)
    if new_title != sheet.title and book.sheet_by_title(new_title):
        raise _bad_request(
            f'A sheet with the name "{new_title}" already exists. Please enter another name.'
        )
    if updated.get("hidden") and all(s.hidden or s is sheet for s in book.sheets):
        raise _bad_request("You can't hide all the sheets in a document.")
    sheet.title = new_title
    sheet.hidden = bool(updated.get("hidden", False))
    sheet.frozen_rows = int(grid.get("frozenRowCount", 0))
    sheet.frozen_cols = int(grid.get("frozenColumnCount", 0))
    _resize(
        book, sheet, int(grid.get("rowCount", sheet.rows)), int(grid.get("columnCount", sheet.cols))
    )
    if "index" in updated and updated["index"] != current["index"]:
        book.sheets.remove(sheet)
        book.sheets.insert(int(updated["index"]), sheet)
    for key in ("tabColor", "tabColorStyle", "rightToLeft"):
        if key in updated:
            sheet.extra[key] = updated[key]
        else:
            sheet.extra.pop(key, None)
    return {}


def _r_update_spreadsheet_properties(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    current = {"title": book.title, "locale": book.locale, "timeZone": book.time_zone}
    apply_mask(current, body.get("properties") or {}, str(body.get("fields") or ""))
    book.title = current.get("title", book.title)
    book.locale = current.get("locale", book.locale)
    book.time_zone = current.get("timeZone", book.time_zone)
    return {}


def _r_add_sheet(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") or {}
    title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
    if book.sheet_by_title(title):
        raise _bad_request(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )
    grid = props.get("gridProperties") or {}
    sheet_id = int(props.get("sheetId") or _new_sheet_id())
    if book.sheet_by_id(sheet_id):
        raise _bad_request(f"A sheet with the id {sheet_id} already exists.")
    sheet = Sheet(
        sheet_id, title, int(grid.get("rowCount", 1000)), int(grid.get("columnCount", 26))
    )
    sheet.frozen_rows = int(grid.get("frozenRowCount", 0))
    sheet.frozen_cols = int(grid.get("frozenColumnCount", 0))
    sheet.hidden = bool(props.get("hidden", False))
    index = int(props.get("index", len(book.sheets)))
    book.sheets.insert(min(index, len(book.sheets)), sheet)
    return {"addSheet": {"properties": sheet.properties(book.sheets.index(sheet))}}


def _r_delete_sheet(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    sheet = _sheet_for(book, body.get("sheetId"))
    if len(book.sheets) == 1:
        raise _bad_request("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    book.developer_metadata[:] = [
        m
        for m in book.developer_metadata
        if m["location"].get("sheetId") != sheet.sheet_id
        and (m["location"].get("dimensionRange") or {}).get("sheetId", -1) != sheet.sheet_id
    ]
    return {}


def _dimension_args(book: Spreadsheet, span: Mapping[str, Any]) -> tuple[Sheet, str, int, int]:
    sheet = _sheet_for(book, span.get("sheetId"))
    dim = str(span.get("dimension") or "")
    if dim not in ("ROWS", "COLUMNS"):
        raise _bad_request("Invalid dimension: must be ROWS or COLUMNS.")
    return sheet, dim, int(span.get("startIndex", 0)), int(span.get("endIndex", 0))


def _r_insert_dimension(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    sheet, dim, start, end = _dimension_args(book, body.get("range") or {})
    _insert_dimension(book, sheet, dim, start, end)
    if body.get("inheritFromBefore") and start > 0:
        axis = 0 if dim == "ROWS" else 1
        for key, cell in list(sheet.cells.items()):
            if key[axis] == start - 1 and cell.fmt:
                for i in range(start, end):
                    new = (i, key[1]) if axis == 0 else (key[0], i)
                    sheet.cells.setdefault(new, Cell()).fmt = copy.deepcopy(cell.fmt)
    return {}


def _r_delete_dimension(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    sheet, dim, start, end = _dimension_args(book, body.get("range") or {})
    _delete_dimension(book, sheet, dim, start, end)
    return {}


def _r_append_dimension(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    sheet = _sheet_for(book, body.get("sheetId"))
    length = int(body.get("length", 0))
    if length <= 0:
        raise _bad_request("length must be positive.")
    if body.get("dimension") == "COLUMNS":
        sheet.cols += length
    elif body.get("dimension") == "ROWS":
        sheet.rows += length
    else:
        raise _bad_request("Invalid dimension: must be ROWS or COLUMNS.")
    return {}


def _r_repeat_cell(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    sheet, box = _grid_box(book, body.get("range") or {})
    mask = str(body.get("fields") or "")
    if not mask:
        raise _bad_request("At least one field must be updated, but none were specified.")
    data = body.get("cell") or {}
    for r in range(box.r1, box.r2 + 1):
        for c in range(box.c1, box.c2 + 1):
            _apply_cell_data(book, sheet, (r, c), data, mask)
    return {}


def _r_update_cells(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    mask = str(body.get("fields") or "")
    if not mask:
        raise _bad_request("At least one field must be updated, but none were specified.")
    if "start" in body:
        start = body["start"]
        sheet = _sheet_for(book, start.get("sheetId"))
        r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
    else:
        sheet, box = _grid_box(book, body.get("range") or {})
        r0, c0 = box.r1, box.c1
    for r, row in enumerate(body.get("rows") or []):
        for c, data in enumerate(row.get("values") or []):
            if r0 + r >= sheet.rows or c0 + c >= sheet.cols:
                raise _grid_error(sheet, GridBox(r0, c0, r0 + r, c0 + c))
            _apply_cell_data(book, sheet, (r0 + r, c0 + c), data, mask)
    return {}


def _r_add_conditional_format(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    rule = copy.deepcopy(body.get("rule") or {})
    ranges = rule.get("ranges") or []
    if not ranges:
        raise _bad_request("At least one range must be specified.")
    sheet, _ = _grid_box(book, ranges[0])
    for grid_range in ranges:
        _grid_box(book, grid_range)
    index = int(body.get("index", 0))
    sheet.conditional_formats.insert(index, rule)
    return {}


def _r_set_data_validation(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    sheet, box = _grid_box(book, body.get("range") or {})
    rule = body.get("rule")
    for r in range(box.r1, box.r2 + 1):
        for c in range(box.c1, box.c2 + 1):
            cell = sheet.cells.get((r, c)) or Cell()
            cell.validation = copy.deepcopy(rule) if rule else None
            if cell.is_blank():
                sheet.cells.pop((r, c), None)
            else:
                sheet.cells[(r, c)] = cell
    return {}


def _r_add_protected_range(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    spec = {k: v for k, v in (body.get("protectedRange") or {}).items() if v is not None}
    sheet, _ = _grid_box(book, spec.get("range") or {})
    stored = copy.deepcopy(spec)
    stored["protectedRangeId"] = secrets.randbelow(2_000_000_000) + 1
    stored["range"] = {k: v for k, v in stored.get("range", {}).items() if k != "sheetId" or v}
    stored["requestingUserCanEdit"] = True
    stored.setdefault("editors", {})
    ordered = {"protectedRangeId": stored.pop("protectedRangeId"), **stored}
    sheet.protected_ranges.append(ordered)
    return {"addProtectedRange": {"protectedRange": copy.deepcopy(ordered)}}


def _r_delete_protected_range(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    wanted = int(body.get("protectedRangeId", -1))
    for sheet in book.sheets:
        for protected in sheet.protected_ranges:
            if protected["protectedRangeId"] == wanted:
                sheet.protected_ranges.remove(protected)
                return {}
    raise _bad_request(f"No protected range with id: {wanted}")


def _r_set_basic_filter(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    """setBasicFilter: the tab's one basic filter is replaced by ``filter`` (its range says
    which tab; unset bounds mean unbounded, and are kept unset)."""
    spec = copy.deepcopy(body.get("filter") or {})
    grid_range = spec.get("range")
    if not isinstance(grid_range, dict):
        raise _bad_request("filter.range is required.")
    sheet, _ = _grid_box(book, grid_range)
    spec["range"] = {k: v for k, v in grid_range.items() if k != "sheetId" or v}
    sheet.basic_filter = spec
    return {}


def _r_clear_basic_filter(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    _sheet_for(book, body.get("sheetId")).basic_filter = None
    return {}


def _r_update_table(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    """updateTable: the masked fields of ``table`` replace the table's (found by tableId)."""
    spec = body.get("table") or {}
    fields = str(body.get("fields") or "")
    if not fields:
        raise _bad_request("At least one field must be specified.")
    found = [
        (s, t) for s in book.sheets for t in s.tables if t.get("tableId") == spec.get("tableId")
    ]
    if not found:
        raise _bad_request(f"No table with id: {spec.get('tableId')}")
    sheet, table = found[0]
    updated = copy.deepcopy(table)
    apply_mask(updated, spec, fields)
    _, box = _grid_box(book, {**updated.get("range", {}), "sheetId": sheet.sheet_id})
    names = [str(c.get("columnName", "")) for c in updated.get("columnProperties", [])]
    indices = [int(c.get("columnIndex", 0)) for c in updated.get("columnProperties", [])]
    if len({n.casefold() for n in names}) != len(names):
        raise _bad_request("Table column names must be unique.")
    if any(not 0 <= i <= box.c2 - box.c1 for i in indices):
        raise _bad_request("Table column index is outside the table's range.")
    table.clear()
    table.update(updated)
    return {}


def _r_sort_range(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    sheet, box = _grid_box(book, body.get("range") or {})
    specs = list(body.get("sortSpecs") or [])
    for spec in specs:
        if not box.c1 <= int(spec.get("dimensionIndex", 0)) <= box.c2:
            raise _bad_request("Sort column is outside the range being sorted.")
    _sort_box(sheet, box, specs)
    return {}


_LOCATION_TYPES = {"spreadsheet": "SPREADSHEET", "sheetId": "SHEET"}


def _r_create_metadata(
    book: Spreadsheet, body: dict[str, Any], emu: SheetsEmulator
) -> dict[str, Any]:
    meta = copy.deepcopy(body.get("developerMetadata") or {})
    location = meta.get("location") or {}
    if "dimensionRange" in location:
        span = location["dimensionRange"]
        sheet, dim, start, end = _dimension_args(book, span)
        if end <= start or end > (sheet.rows if dim == "ROWS" else sheet.cols):
            raise _bad_request("Invalid dimensionRange for developer metadata.")
        location["locationType"] = "ROW" if dim == "ROWS" else "COLUMN"
        span.setdefault("sheetId", sheet.sheet_id)
    elif "sheetId" in location:
        _sheet_for(book, location["sheetId"])
        location["locationType"] = "SHEET"
    elif location.get("spreadsheet"):
        location["locationType"] = "SPREADSHEET"
    else:
        raise _bad_request("Developer metadata must have a location.")
    if not meta.get("metadataKey"):
        raise _bad_request("Developer metadata must have a metadataKey.")
    meta["location"] = location
    meta.setdefault("visibility", "DOCUMENT")
    meta["metadataId"] = int(meta.get("metadataId") or emu._new_metadata_id())
    book.developer_metadata.append(meta)
    return {"createDeveloperMetadata": {"developerMetadata": copy.deepcopy(meta)}}


def _r_delete_metadata(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    data_filter = body.get("dataFilter") or {}
    matched = [m["developerMetadata"] for m in _search_metadata(book, [data_filter])]
    ids = {m["metadataId"] for m in matched}
    book.developer_metadata[:] = [m for m in book.developer_metadata if m["metadataId"] not in ids]
    reply: dict[str, Any] = {}
    if matched:
        reply["deletedDeveloperMetadata"] = matched
    return {"deleteDeveloperMetadata": reply}


def _r_update_metadata(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    matched_ids = set()
    for data_filter in body.get("dataFilters") or []:
        for m in _search_metadata(book, [data_filter]):
            matched_ids.add(m["developerMetadata"]["metadataId"])
    changed = []
    for meta in book.developer_metadata:
        if meta["metadataId"] in matched_ids:
            apply_mask(meta, body.get("developerMetadata") or {}, str(body.get("fields") or ""))
            changed.append(copy.deepcopy(meta))
    return {"updateDeveloperMetadata": {"developerMetadata": changed} if changed else {}}


_REQUESTS: dict[str, Callable[[Spreadsheet, dict[str, Any]], dict[str, Any]]] = {
    "updateSheetProperties": _r_update_sheet_properties,
    "updateSpreadsheetProperties": _r_update_spreadsheet_properties,
    "addSheet": _r_add_sheet,
    "deleteSheet": _r_delete_sheet,
    "insertDimension": _r_insert_dimension,
    "deleteDimension": _r_delete_dimension,
    "appendDimension": _r_append_dimension,
    "repeatCell": _r_repeat_cell,
    "updateCells": _r_update_cells,
    "addConditionalFormatRule": _r_add_conditional_format,
    "setDataValidation": _r_set_data_validation,
    "addProtectedRange": _r_add_protected_range,
    "deleteProtectedRange": _r_delete_protected_range,
    "sortRange": _r_sort_range,
    "setBasicFilter": _r_set_basic_filter,
    "clearBasicFilter": _r_clear_basic_filter,
    "updateTable": _r_update_table,
    "deleteDeveloperMetadata": _r_delete_metadata,
    "updateDeveloperMetadata": _r_update_metadata,
}


def _unknown_field(name: str, where: str) -> ApiError:
    message = (
        f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field."
    )
    return ApiError(
        400,
        message,
        "INVALID_ARGUMENT",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": where, "description": message}],
            }
        ],
    )


def _run_request(emu: SheetsEmulator, book: Spreadsheet, i: int, request: Any) -> dict[str, Any]:
    if not isinstance(request, dict) or len(request) != 1:
        raise _bad_request(f"Invalid requests[{i}]: exactly one kind of request must be set.")
    ((kind, body),) = request.items()
    if kind not in _GOOGLE_REQUEST_KINDS:
        raise _unknown_field(kind, f"requests[{i}]")
    try:
        if kind == "createDeveloperMetadata":
            return _r_create_metadata(book, body or {}, emu)
        if kind in _NO_OP_KINDS:
            return {}
        if kind not in _REQUESTS:
            raise _bad_request(f"{kind} is not implemented by the sheetsync test emulator.")
        return _REQUESTS[kind](book, body or {})
    except ApiError as err:
        raise _bad_request(f"Invalid requests[{i}].{kind}: {err.message}") from None


def _h_batch_update(
    emu: SheetsEmulator, book: Spreadsheet, req: RecordedRequest, _r: str | None
) -> Any:
    body = req.body if isinstance(req.body, dict) else {}
    for key in body:
        if key not in (
            "requests",
            "includeSpreadsheetInResponse",
            "responseRanges",
            "responseIncludeGridData",
        ):
            raise _unknown_field(key, "")
    requests = body.get("requests") or []
    if not requests:
        raise _bad_request("Must specify at least one request.")

    def run() -> dict[str, Any]:
        replies = [_run_request(emu, book, i, request) for i, request in enumerate(requests)]
        out: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = _spreadsheet_json(
                book,
                grid=bool(body.get("responseIncludeGridData")),
                ranges=body.get("responseRanges"),
            )
        return out

    return _atomic(book, run)


_Handler = Callable[[SheetsEmulator, Spreadsheet, RecordedRequest, "str | None"], Any]

_HANDLERS: dict[str, _Handler] = {
    "spreadsheets.get": _h_get,
    "drive.files.get": _h_drive,
    "spreadsheets.values.get": _h_values_get,
    "spreadsheets.values.batchGet": _h_batch_get,
    "spreadsheets.values.update": _h_update,
    "spreadsheets.values.batchUpdate": _h_batch_update_values,
    "spreadsheets.values.clear": _h_clear,
    "spreadsheets.values.batchClear": _h_batch_clear,
    "spreadsheets.values.append": _h_append,
    "spreadsheets.batchUpdate": _h_batch_update,
    "spreadsheets.developerMetadata.search": _h_meta_search,
    "spreadsheets.developerMetadata.get": _h_meta_get,
}


# --------------------------------------------------------------------------------------------
# pytest fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[SheetsEmulator]:
    """A started ``SheetsEmulator`` for one test (stopped afterwards)."""
    emu = SheetsEmulator().start()
    try:
        yield emu
    finally:
        emu.stop()
    assert not emu.errors, f"the Sheets emulator failed internally: {emu.errors!r}"


@pytest.fixture
def emulator_env(emulator: SheetsEmulator, monkeypatch: pytest.MonkeyPatch) -> SheetsEmulator:
    """The emulator, with ``SHEETSYNC_SHEETS_ENDPOINT`` pointing at it for this test."""
    monkeypatch.setenv("SHEETSYNC_SHEETS_ENDPOINT", emulator.url)
    return emulator
