"""Patching one worksheet: rows that receive writes are rewritten (appended as bytes when
that is safe, parsed in small runs otherwise), every other row is copied verbatim; table
headers are protected and overwritten formulas leave the calc chain.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import logging
import operator
import re
from collections.abc import Iterable, Iterator, Mapping

from lxml import etree

from sheetsync.backends.xlsx_package.cells import (
    _Cell,
    _check_coordinates,
    _col_number,
    _parse_ref,
    _ref,
    _resolve_writes,
    col_letters,
    inline_text,
)
from sheetsync.backends.xlsx_package.model import CellWrite, SheetRef
from sheetsync.backends.xlsx_package.ooxml import (
    _AFTER_SHEET_DATA,
    _RT_CALC_CHAIN,
    _RT_TABLE,
    _local,
    _parse,
    _serialize,
    _w,
)
from sheetsync.backends.xlsx_package.rows import (
    _int_or_float,
    _least_height,
    _rewrite_row,
    _update_head,
)
from sheetsync.backends.xlsx_package.scan import (
    _inner,
    _Layout,
    _parse_fragment,
    _parse_sheet,
    _row_end,
    _scan_sheet,
    _sheet_rows,
)
from sheetsync.backends.xlsx_package.sheets import _remove_override, _remove_relationship
from sheetsync.backends.xlsx_package.styles import _StyleBook
from sheetsync.backends.xlsx_package.workbook import _Book, _read_rels, _read_workbook, _worksheet
from sheetsync.backends.xlsx_package.zipped import _Edit, _Package, _Spliced
from sheetsync.errors import WriteRefused

log = logging.getLogger("sheetsync")


def _patch_cells(
    pkg: _Package,
    sheet_name: str,
    cells: Mapping[tuple[int, int], CellWrite],
    column_widths: Mapping[int, float],
) -> None:
    if not cells and not column_widths:
        return
    _check_coordinates(cells, column_widths)
    book = _read_workbook(pkg)
    sheet = _worksheet(book, sheet_name)
    styles = _StyleBook(pkg, book)
    by_row = _resolve_writes(cells, book.date1904, styles)
    _refuse_table_headers(pkg, sheet, cells)
    xml = pkg.read(sheet.part)
    new_xml, formulas = _patch_sheet_xml(xml, sheet.part, by_row, column_widths)
    edit = _Edit()
    if isinstance(new_xml, _Spliced):
        if new_xml.changes():
            edit.spliced[sheet.part] = new_xml
    elif new_xml != xml:
        edit.replace[sheet.part] = new_xml
    styles.save_into(edit)
    if formulas:
        _drop_from_calc_chain(pkg, book, sheet.sheet_id, formulas, edit)
    if not edit.empty():
        log.debug("patched %d cell(s) in %s; parts changed: %s", len(cells), sheet.part, edit)
    pkg.commit(edit)


def _patch_sheet_xml(
    xml: bytes,
    part: str,
    by_row: Mapping[int, Mapping[int, _Cell]],
    widths: Mapping[int, float],
) -> tuple[bytes | _Spliced, list[str]]:
    layout = _scan_sheet(xml)
    if layout is None:
        log.debug("sheet %s needs a full parse (unusual XML); patching the tree", part)
        return _patch_tree(xml, part, by_row, widths)
    return _patch_streamed(xml, layout, by_row, widths)


def _written(by_row: Mapping[int, Mapping[int, _Cell]]) -> list[tuple[int, int]]:
    return [(r, c) for r, cols in by_row.items() for c, w in cols.items() if w.kind != "delete"]


def _patch_tree(
    xml: bytes,
    part: str,
    by_row: Mapping[int, Mapping[int, _Cell]],
    widths: Mapping[int, float],
) -> tuple[bytes, list[str]]:
    root = _parse_sheet(xml, part)
    sheet_data = root.find(_w("sheetData"))
    if sheet_data is None:
        sheet_data = etree.SubElement(root, _w("sheetData"))
        later = [c for c in root if _local(c.tag) in _AFTER_SHEET_DATA and c is not sheet_data]
        if later:
            later[0].addprevious(sheet_data)
    rows = _sheet_rows(root)
    nums, elems = [n for n, _ in rows], [e for _, e in rows]
    formulas: list[str] = []
    for num in sorted(by_row):
        i = bisect.bisect_left(nums, num)
        if i < len(nums) and nums[i] == num:
            row = elems[i]
        elif all(w.kind == "delete" for w in by_row[num].values()):
            continue
        else:
            row = _new_row(sheet_data, num, elems[i] if i < len(elems) else None)
            nums.insert(i, num)
            elems.insert(i, row)
        formulas += _rewrite_row(row, num, by_row[num])
    _update_head(root, _written(by_row), widths)
    return _serialize(root), formulas


def _new_row(parent: etree._Element, num: int, before: etree._Element | None) -> etree._Element:
    row = etree.SubElement(parent, _w("row"))
    row.set("r", str(num))
    if before is not None:
        before.addprevious(row)
    return row


def _patch_streamed(
    xml: bytes,
    layout: _Layout,
    by_row: Mapping[int, Mapping[int, _Cell]],
    widths: Mapping[int, float],
) -> tuple[bytes | _Spliced, list[str]]:
    """The patched sheet as splices of ``xml`` (never copied whole: see :class:`_Spliced`)."""
    head = _patched_head(xml, layout, by_row, widths)
    body, formulas = _patched_body(xml, layout, by_row)
    if layout.sd_empty:  # <sheetData/>: rows written go into a new sheetData element
        edits = list(body)
        if any(new for _, _, new in edits):
            view = memoryview(xml)
            opened = b"<" + layout.sd_prefix + b"sheetData>"
            closed = b"</" + layout.sd_prefix + b"sheetData>"
            pieces: list[bytes | memoryview] = [view[: layout.root_end], head, opened]
            pieces += [*(new for _, _, new in edits), closed]
            return b"".join([*pieces, view[layout.sd_close :]]), formulas
        body = iter(edits)
    head_edit = (layout.root_end, layout.sd_start, head)
    return _Spliced(xml, itertools.chain([head_edit], body)), formulas


def _patched_head(
    xml: bytes,
    layout: _Layout,
    by_row: Mapping[int, Mapping[int, _Cell]],
    widths: Mapping[int, float],
) -> bytes:
    original = xml[layout.root_end : layout.sd_start]
    wrapper = _parse_fragment(layout, original)
    if not _update_head(wrapper, _written(by_row), widths):
        return original
    return _inner(wrapper)


_RUN_LIMIT = 500  # rows parsed together at most, to keep memory small


def _patched_body(
    xml: bytes, layout: _Layout, by_row: Mapping[int, Mapping[int, _Cell]]
) -> tuple[Iterator[tuple[int, int, bytes]], list[str]]:
    """The edits to the content of <sheetData>, as ``(start, end, replacement)`` splices of
    the original bytes in order: untouched rows are not among them.

    A row whose writes all land to the right of its last cell (a first sync adds the managed
    columns to every row) gets the new cells appended as bytes, rendered only when the edits
    are read (``by_row`` must stay alive until then). The other target rows are grouped into
    runs with no untouched row between them; each run is one byte range, parsed and
    re-serialised as one fragment, now.
    """
    formulas: list[str] = []
    slow: list[int] = []
    fast: list[tuple[int, int, int, int]] = []  # (row number, row index, </row> at, first col)
    no_ext = xml.find(b"extLst", layout.sd_open_end, layout.sd_close) < 0
    for num in sorted(by_row):
        found = _appendable(xml, layout, num, by_row[num], no_ext)
        if found is None:
            slow.append(num)
        else:
            fast.append((num, *found))
    parsed: list[tuple[int, int, bytes]] = []
    for run in _runs(layout, slow):
        start, end = _run_span(xml, layout, run)
        wrapper = _parse_fragment(layout, xml[start:end])
        formulas += _rewrite_rows(wrapper, [num for num, _, _ in run], by_row)
        parsed.append((start, end, _inner(wrapper)))
    tails = _Tails()
    appended = (
        edit
        for num, i, close, first in fast
        for edit in _appended(xml, layout, num, by_row[num], tails, i, close, first)
    )
    if not parsed:
        return appended, formulas
    return heapq.merge(appended, sorted(parsed, key=_SPAN), key=_SPAN), formulas  # in order


_SPAN = operator.itemgetter(0, 1)  # an edit's (start, end)
_CELL_START = re.compile(rb"<c[\s/>]")
_REF_ATTR = re.compile(rb"\sr\s*=\s*[\"']([A-Za-z]{1,3})[0-9]+[\"']")  # its letters
_SPANS = re.compile(rb"(\sspans\s*=\s*[\"'])([0-9]+):([0-9]+)([\"'])")


def _appendable(
    xml: bytes, layout: _Layout, num: int, writes: Mapping[int, _Cell], no_ext: bool = False
) -> tuple[int, int, int] | None:
    """Where row ``num`` takes ``writes`` appended — its index, where its ``</row>`` is, its
    first cell's column — or None when it cannot.

    Only plain rows qualify: existing, unprefixed, not self-closing, no extension list, its
    last cell carrying an ``r``, and every write to the right of that cell. ``no_ext``: the
    caller knows no row of the sheet has an extension list (one search instead of one a row).
    """
    i = bisect.bisect_left(layout.row_nums, num)
    if i == len(layout.row_nums) or layout.row_nums[i] != num:
        return None
    if layout.row_closed[i] or layout.row_prefixes[i]:
        return None
    tag_end = layout.row_tag_ends[i]
    next_row = layout.row_starts[i + 1] if i + 1 < len(layout.row_starts) else layout.sd_close
    close = xml.find(b"</row>", tag_end, next_row)
    if close < 0 or (not no_ext and xml.find(b"extLst", tag_end, close) >= 0):
        return None
    first = last = 0
    first_at = _CELL_START.search(xml, tag_end, close)
    if first_at is not None:
        first = _cell_col(xml, first_at.start(), close)
        last = _cell_col(xml, _last_cell_start(xml, first_at.start(), close), close)
        if not first or not last:
            return None
    if writes and min(writes) <= last:
        return None
    return i, close, first


def _appended(
    xml: bytes,
    layout: _Layout,
    num: int,
    writes: Mapping[int, _Cell],
    tails: _Tails,
    i: int,
    close: int,
    first: int,
) -> list[tuple[int, int, bytes]]:
    """The splices that append ``writes`` to row ``num`` (found by :func:`_appendable`):
    the new cells before ``</row>``, and the start tag when its height or spans change.
    ``tails``: each write's rendered cell, shared across rows."""
    new = [(col, w) for col, w in sorted(writes.items()) if w.kind != "delete"]
    if not new:
        return []
    added = "".join([f'<c r="{col_letters(col)}{num}"{tails(w)}' for col, w in new]).encode()
    start, tag_end = layout.row_starts[i], layout.row_tag_ends[i]
    old_tag = xml[start:tag_end]
    tag = _grown_row_tag(old_tag, _least_height(writes))
    spans = _SPANS.search(tag) if b"spans" in tag else None
    if spans is not None:  # as _update_spans: first to last cell
        wide = f"{first or new[0][0]}:{new[-1][0]}".encode()
        tag = tag[: spans.start()] + spans.group(1) + wide + spans.group(4) + tag[spans.end() :]
    splices = [(close, close, added)]
    return [(start, tag_end, tag), *splices] if tag != old_tag else splices


_HT = re.compile(rb"\s(?:ht|customHeight)\s*=\s*(?:\"[^\"]*\"|'[^']*')")
_HT_VALUE = re.compile(rb"\sht\s*=\s*[\"']([^\"']*)[\"']")


def _grown_row_tag(tag: bytes, need: float) -> bytes:
    """A ``<row ...>`` start tag at least ``need`` points tall (as :func:`_rewrite_row`)."""
    if not need:
        return tag
    found = _HT_VALUE.search(tag)
    if need <= _int_or_float(found.group(1) if found else None):
        return tag
    bare = _HT.sub(b"", tag)
    return bare[:-1] + f' ht="{need:g}" customHeight="1">'.encode()


def _last_cell_start(xml: bytes, lo: int, hi: int) -> int:
    """Where the last ``<c`` tag (as :data:`_CELL_START` finds them) in ``xml[lo:hi]`` starts;
    ``lo`` must be one. Searched backwards: a row's other cells are never looked at."""
    pos = xml.rfind(b"<c", lo, hi)
    while pos > lo and not _CELL_START.match(xml, pos, hi):
        pos = xml.rfind(b"<c", lo, pos)  # e.g. <color> in a rich-text run
    return max(pos, lo)


def _cell_col(xml: bytes, start: int, stop: int) -> int:
    """The column of the ``<c>`` starting at ``start`` from its ``r``; 0 when it has none."""
    head_end = xml.find(b">", start, stop)
    ref = _REF_ATTR.search(xml, start, head_end) if head_end >= 0 else None
    if ref is None:
        return 0
    letters = ref.group(1)
    col = _COLUMN_OF.get(letters)
    if col is None:
        col = _col_number(letters.decode())
        if len(_COLUMN_OF) < 20_000:
            _COLUMN_OF[letters] = col
    return col


_COLUMN_OF: dict[bytes, int] = {}  # column letters as the sheet spells them -> number


class _Tails:
    """Each write's :func:`_cell_tail`, by the write object's identity: a sync passes one
    ``_Cell`` per distinct write, shared by thousands of cells, and hashing its (maybe long)
    text for every cell would cost more than the lookup saves. The caller keeps the writes
    alive while this is in use, so an id is not reused. (Kept for one patch only: a cache
    living on would keep thousands of the patch's small objects, and with them the memory
    around them, after the patch.)"""

    def __init__(self) -> None:
        self._by_id: dict[int, str] = {}

    def __call__(self, write: _Cell) -> str:
        tail = self._by_id.get(id(write))
        if tail is None:
            tail = self._by_id[id(write)] = _cell_tail(write)
        return tail


def _cell_tail(write: _Cell) -> str:
    """The ``<c>`` element after its ``r`` attribute."""
    style = "" if write.s is None else f' s="{write.s}"'
    if write.kind == "str":
        text = inline_text(write.text)
        return f'{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if write.kind == "num":
        return f"{style}><v>{write.text}</v></c>"
    if write.kind == "bool":
        return f'{style} t="b"><v>{write.text}</v></c>'
    return f"{style}/>"  # blank: a styled, empty cell


def _runs(layout: _Layout, targets: list[int]) -> list[list[tuple[int, int, bool]]]:
    """Targets as (row number, row index, exists), grouped into runs of adjacent rows."""
    runs: list[list[tuple[int, int, bool]]] = []
    nums = layout.row_nums
    for num in targets:
        i = bisect.bisect_left(nums, num)
        exists = i < len(nums) and nums[i] == num
        if runs and len(runs[-1]) < _RUN_LIMIT:
            _, prev_i, prev_exists = runs[-1][-1]
            if i - prev_i - prev_exists == 0:  # no untouched existing row in between
                runs[-1].append((num, i, exists))
                continue
        runs.append([(num, i, exists)])
    return runs


def _run_span(xml: bytes, layout: _Layout, run: list[tuple[int, int, bool]]) -> tuple[int, int]:
    first = run[0][1]
    start = layout.row_starts[first] if first < len(layout.row_starts) else layout.sd_close
    existing = [i for _, i, exists in run if exists]
    return start, (_row_end(xml, layout, existing[-1]) if existing else start)


def _rewrite_rows(
    parent: etree._Element, targets: list[int], by_row: Mapping[int, Mapping[int, _Cell]]
) -> list[str]:
    """Rewrite rows ``targets`` (sorted) among ``parent``'s rows, creating missing ones.

    ``parent`` holds, in order, exactly the existing rows among ``targets``.
    """
    rows = {int(row.get("r")): row for row in parent.iterchildren(_w("row"))}
    formulas: list[str] = []
    prev: etree._Element | None = None
    for num in targets:
        row = rows.get(num)
        if row is None:
            if all(w.kind == "delete" for w in by_row[num].values()):
                continue
            row = _new_row(parent, num, None)
            if prev is None:
                parent.insert(0, row)
            else:
                prev.addnext(row)
        formulas += _rewrite_row(row, num, by_row[num])
        prev = row
    return formulas


# --------------------------------------------------------------------------- tables, calc chain


def _refuse_table_headers(
    pkg: _Package, sheet: SheetRef, cells: Mapping[tuple[int, int], CellWrite]
) -> None:
    """Excel tables keep their column names in the table part: their header cells are off
    limits (writing one would make Excel 'repair' the file)."""
    for rel in _read_rels(pkg, sheet.part):
        if rel.type != _RT_TABLE or not rel.target:
            continue
        table = _parse(pkg.read(rel.target), rel.target)
        corners = [_parse_ref(p) for p in table.get("ref", "").split(":")]
        if len(corners) != 2 or table.get("headerRowCount", "1") == "0":
            continue
        first, last = corners
        if first is None or last is None:
            continue
        (top, left), right = first, last[1]
        for row, col in cells:
            if row == top and left <= col <= right:
                raise WriteRefused(
                    f"Cell {_ref(row, col)} is a header of the Excel table "
                    f"{table.get('displayName', '')!r}; sheetsync will not rename table "
                    "columns. Move the managed columns outside the table, or resize the table."
                )


def _drop_from_calc_chain(
    pkg: _Package, book: _Book, sheet_id: int, refs: Iterable[str], edit: _Edit
) -> None:
    """Remove overwritten formula cells from calcChain.xml (or the part, once empty)."""
    rel = next((r for r in book.rels if r.type == _RT_CALC_CHAIN and r.target), None)
    if rel is None:
        return
    root = _parse(pkg.read(rel.target), rel.target)
    gone = set(refs)
    current = "0"
    removed = 0
    for entry in list(root.iterchildren(_w("c"))):
        current = entry.get("i", current)
        entry.set("i", current)
        if current == str(sheet_id) and entry.get("r", "").replace("$", "") in gone:
            root.remove(entry)
            removed += 1
    if not removed:
        return
    if root.find(_w("c")) is not None:
        edit.replace[rel.target] = _serialize(root)
        return
    edit.remove.add(rel.target)
    _remove_relationship(pkg, book.part, rel.id, edit)
    _remove_override(pkg, rel.target, edit)
