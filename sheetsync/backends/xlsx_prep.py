"""The prep tab as worksheet XML, for the .xlsx backend to put into the package.

The tab is written whole from the plan's rows, which :mod:`sheetsync.prep` has already merged
with everything the student typed there (so writing it whole loses none of it): column A holds
each row's key and sheetsync's memory of what it wrote (hidden), B the checkbox (a ☐/☑
drop-down), C what to do, D onwards notes. Text is written as inline strings — literal text,
never a formula; numbers, booleans, dates and times keep their type.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping, Sequence

from sheetsync.backends.xlsx_package import CellStyle, clean_text, excel_serial, inline_text
from sheetsync.backends.xlsx_package.ooxml import _ILLEGAL_XML, MAX_TEXT
from sheetsync.grid import CellValue, cell_ref
from sheetsync.models import PrepPlan

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
KIND_STYLES: dict[str, CellStyle] = {
    "title": CellStyle(bold=True, font_color="1F4E78"),
    "header": CellStyle(bold=True, fill="1F4E78", font_color="FFFFFF"),
    "block": CellStyle(bold=True, fill="DDEBF7", font_color="1F4E78"),
    "section": CellStyle(bold=True, fill="E4DFEC", font_color="5B3F86"),
    "meta": CellStyle(font_color="595959"),
    "phase": CellStyle(bold=True),
    "item": CellStyle(wrap=True),
    "draft": CellStyle(wrap=True, font_color="375623"),
    "kept": CellStyle(wrap=True),
    "date": CellStyle(number_format="yyyy-mm-dd"),
    "datetime": CellStyle(number_format="yyyy-mm-dd hh:mm"),
}
WIDTHS = {1: 12.0, 2: 5.0, 3: 92.0, 4: 48.0}
TICKS = '"☐,☑"'  # the drop-down's list, as a formula (XML character data as it is)
HIDDEN = ' hidden="1"'
CHARS_PER_LINE = 112  # what fits in column C at its width
TITLE_ROWS = (1, 2)  # the title and the column headers, repeated on every printed page
LINE_HEIGHT = 15.0  # points per line of text
# Printed landscape and scaled to one page wide, a page holds about this many points of rows
# below the repeated title rows (A4 or Letter, default margins; a little to spare).
PAGE_BUDGET = 420.0


def styles_needed() -> list[CellStyle]:
    """Every style the prep tab uses, in a fixed order (see :data:`KIND_STYLES`)."""
    return list(KIND_STYLES.values())


_CHUNK = 1 << 18  # characters of rows passed on at a time


def sheet_chunks(plan: PrepPlan, style_ids: Mapping[str, int], date1904: bool) -> Iterator[bytes]:
    """The worksheet part for the prep tab, made row by row and passed on in chunks of about
    a quarter of a megabyte: the package deflates them as they come, so a large tab's text is
    never held whole (a prep tab of 1,800 interviews is 13 MB of XML)."""
    cols = "".join(
        f'<col min="{c}" max="{c}" width="{w}" customWidth="1"{HIDDEN if c == 1 else ""}/>'
        for c, w in WIDTHS.items()
    )
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{NS}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        '<sheetViews><sheetView workbookViewId="0" showGridLines="0">'
        '<pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{cols}</cols><sheetData>"
    ).encode()
    counted: dict[str, int] = {}  # lines of each text in column C (items repeat per block)
    lines = [
        _lines(cells, kind, counted) for cells, kind in zip(plan.rows, plan.kinds, strict=True)
    ]
    repeated: dict[tuple[str, tuple[CellValue, ...]], list[str]] = {}
    rows: list[str] = []
    size = 0
    for i, cells in enumerate(plan.rows, start=1):
        row = _row(i, cells, plan.kinds[i - 1], style_ids, date1904, lines[i - 1], repeated)
        rows.append(row)
        size += len(row)
        if size >= _CHUNK:
            yield "".join(rows).encode()
            rows, size = [], 0
    rows.append(
        f"</sheetData>{_validation(plan)}"
        '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" '
        'footer="0.3"/>'
        '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        f"{_row_breaks(plan, lines)}"
        "</worksheet>"
    )
    yield "".join(rows).encode()


def _row_breaks(plan: PrepPlan, lines: Sequence[int]) -> str:
    """Page breaks before the blocks that would not fit on the current page.

    A block (one interview's checklist) then starts on a new page instead of being split,
    unless it is longer than a page itself. ``lines``: each row's lines of text.
    """
    breaks, used = [], 0.0
    for r, kind in enumerate(plan.kinds, start=1):
        if r <= TITLE_ROWS[1]:
            continue
        height = lines[r - 1] * LINE_HEIGHT
        if kind == "block" and used and used + _block_height(plan, lines, r) > PAGE_BUDGET:
            breaks.append(r - 1)
            used = 0.0
        used += height
        if used > PAGE_BUDGET:  # a block longer than a page: LibreOffice/Excel break it
            used = height
    if not breaks:
        return ""
    brks = "".join(f'<brk id="{r}" max="16383" man="1"/>' for r in breaks)
    return f'<rowBreaks count="{len(breaks)}" manualBreakCount="{len(breaks)}">{brks}</rowBreaks>'


def _block_height(plan: PrepPlan, lines: Sequence[int], start: int) -> float:
    """Points from the block row ``start`` to the next block (or the end)."""
    total = 0.0
    for i in range(start - 1, len(plan.rows)):
        if i > start - 1 and plan.kinds[i] == "block":
            break
        total += lines[i] * LINE_HEIGHT
    return total


BANDS = ("header", "block", "section")  # rows shaded across columns B–D
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# Rows whose cells after column A are the same in many blocks (a checklist item, a phase
# title): those cells are rendered once, with a mark where the row number goes.
_REPEATED = frozenset({"title", "header", "phase", "item", "section", "blank"})
_MARK = "\x00"  # never in the rendered XML: text is cleaned of what XML cannot hold


def _row(
    r: int,
    cells: Sequence[CellValue],
    kind: str,
    ids: Mapping[str, int],
    date1904: bool,
    lines: int = 0,
    repeated: dict[tuple[str, tuple[CellValue, ...]], list[str]] | None = None,
) -> str:
    """Row ``r``'s XML; ``repeated`` keeps the rendered cells B onwards of rows of the
    :data:`_REPEATED` kinds holding only text, by their kind and cells, for the next row that
    shows the same (the same bytes as rendering them again)."""
    style = ids.get(kind, ids["item"])
    width = max(len(cells), 4 if kind in BANDS else 0)
    key_cell = cells[0] if cells else None
    if type(key_cell) is str:  # column A of every managed row: sheetsync's memory, as text
        attr = f' s="{style}"' if kind == "title" else ""  # as _cells_xml styles column A
        head = (
            f'<c r="A{r}" t="inlineStr"{attr}><is><t xml:space="preserve">'
            f"{_text_xml(key_cell)}</t></is></c>"
        )
    else:
        head = _cells_xml(r, cells, kind, style, ids, date1904, 1, min(width, 1))
    rest = cells[1:]
    if repeated is not None and kind in _REPEATED and width <= len(_LETTERS) and _all_text(rest):
        key = (kind, tuple(rest))
        parts = repeated.get(key)
        if parts is None:
            parts = repeated[key] = _cells_xml(
                _MARK, cells, kind, style, ids, date1904, 2, width
            ).split(_MARK)
        tail = str(r).join(parts)
    else:
        tail = _cells_xml(r, cells, kind, style, ids, date1904, 2, width)
    if not head and not tail:
        return ""
    return f'<row r="{r}"{_height(cells, kind, lines)}>{head}{tail}</row>'


def _all_text(values: Sequence[CellValue]) -> bool:
    """Whether every value is text or empty."""
    return all(v is None or type(v) is str for v in values)


def _cells_xml(
    r: int | str,
    cells: Sequence[CellValue],
    kind: str,
    style: int,
    ids: Mapping[str, int],
    date1904: bool,
    first: int,
    last: int,
) -> str:
    """Columns ``first``..``last`` of a row (``r``: its number, or a mark standing for it in
    columns A to Z)."""
    banding = kind in BANDS
    dates = (ids["date"], ids["datetime"])
    parts = []
    for c in range(first, last + 1):
        value = cells[c - 1] if c <= len(cells) else None
        banded = banding and c > 1
        if value is None and not banded:
            continue
        s = style if c == 3 or banded or kind == "title" else None
        ref = f"{_LETTERS[c - 1]}{r}" if c <= 26 else cell_ref(int(r), c)
        if type(value) is str:  # most cells: written here, without a call per cell
            attr = f' s="{s}"' if s is not None else ""
            parts.append(
                f'<c r="{ref}" t="inlineStr"{attr}><is><t xml:space="preserve">'
                f"{_text_xml(value)}</t></is></c>"
            )
        else:
            parts.append(_cell(ref, value, s, dates, date1904))
    return "".join(parts)


def _height(cells: Sequence[CellValue], kind: str, lines: int = 0) -> str:
    """An explicit height for wrapped text, so every spreadsheet shows all of it."""
    lines = lines or _lines(cells, kind)
    return f' ht="{LINE_HEIGHT * lines:g}" customHeight="1"' if lines > 1 else ""


def _lines(cells: Sequence[CellValue], kind: str, counted: dict[str, int] | None = None) -> int:
    """How many lines the row's text in column C takes at the column's width (``counted``:
    the texts counted already)."""
    text = cells[2] if len(cells) > 2 and isinstance(cells[2], str) else ""
    if kind not in ("item", "draft", "kept") or not text:
        return 1
    known = counted.get(text) if counted is not None else None
    if known is None:
        known = sum(max(1, math.ceil(len(line) / CHARS_PER_LINE)) for line in text.split("\n"))
        if counted is not None:
            counted[text] = known
    return known


def _cell(
    ref: str, value: CellValue, style: int | None, date_styles: tuple[int, int], date1904: bool
) -> str:
    s = f' s="{style}"' if style is not None else ""
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"{s}><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime) and value.time() != dt.time():
        serial = excel_serial(value, date1904)  # a time the student typed is kept too
        return f'<c r="{ref}" s="{date_styles[1]}"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        return f'<c r="{ref}" s="{date_styles[0]}"><v>{excel_serial(day, date1904):g}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = _text_xml(str(value))
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'


# what clean_text or inline_text would change: without any, and short enough, text is written
# as it is
_NEEDS_WORK = re.compile("[&<>\r" + _ILLEGAL_XML.pattern.removeprefix("[") + "|_x")
_SHORT = MAX_TEXT // 2  # clean_text counts UTF-16 units only past this length


def _text_xml(value: str) -> str:
    """``value`` as the character data of an inline string (cleaned, then escaped)."""
    if len(value) <= _SHORT and _NEEDS_WORK.search(value) is None:
        return value
    return inline_text(clean_text(value))


def _validation(plan: PrepPlan) -> str:
    rows = plan.tick_rows
    if not rows:
        return ""
    ranges, start = [], rows[0]
    for prev, row in zip(rows, [*rows[1:], None], strict=True):
        if row != prev + 1 if row is not None else True:
            ranges.append(f"B{start}:B{prev}" if prev > start else f"B{start}")
            start = row if row is not None else start
    return (
        '<dataValidations count="1"><dataValidation type="list" allowBlank="1" '
        f'showErrorMessage="0" sqref="{" ".join(ranges)}"><formula1>{TICKS}</formula1>'
        "</dataValidation></dataValidations>"
    )
