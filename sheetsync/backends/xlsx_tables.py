"""Excel tables and autofilters over the contacts: read them, and grow them over the managed
columns so that sorting or filtering in Excel moves each status with its person.

Reading (:func:`sheet_areas`) finds, for one worksheet, its Excel tables (``xl/tables/*.xml``
parts the sheet's relationships point to), its autofilter, and the cell ranges its data
validations and conditional formats apply to. Writing (:func:`grow`) widens a table (its
``ref``, its ``<tableColumns>`` and its own ``<autoFilter>``), or the sheet's ``<autoFilter>``
and the ``_xlnm._FilterDatabase`` name Excel keeps for it, by exactly the columns a
:class:`~sheetsync.models.TableGrowth` names. :func:`unexpected_change` proves, before a file
is replaced, that those parts changed in no other way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

from lxml import etree

from sheetsync.backends.xlsx_package.cells import _parse_ref, col_letters
from sheetsync.backends.xlsx_package.ooxml import (
    _PARSER,
    _RT_TABLE,
    MAX_COL,
    MAX_ROW,
    _local,
    _parse,
    _serialize,
    _w,
)
from sheetsync.backends.xlsx_package.scan import _PROLOG, _ROOT_TAG, _parse_sheet
from sheetsync.backends.xlsx_package.workbook import _Book, _read_rels, _read_workbook, _worksheet
from sheetsync.backends.xlsx_package.zipped import _Edit, _Package
from sheetsync.errors import SourceError
from sheetsync.grid import MergedRange, TableArea
from sheetsync.models import TableGrowth

__all__ = ["grow", "grown_parts", "sheet_areas", "unexpected_change"]

log = logging.getLogger("sheetsync")

FILTER_NAME = "_xlnm._FilterDatabase"
_WHOLE_COLUMNS = re.compile(r"\$?([A-Za-z]{1,3}):\$?([A-Za-z]{1,3})")
_WHOLE_ROWS = re.compile(r"\$?([0-9]{1,7}):\$?([0-9]{1,7})")
_AREA_TEXT = re.compile(r"^(.*!\$?[A-Za-z]{1,3}\$?[0-9]+:\$?)([A-Za-z]{1,3})(\$?[0-9]+)$")


# --------------------------------------------------------------------------- reading


def sheet_areas(data: bytes, sheet_name: str) -> tuple[list[TableArea], list[MergedRange]]:
    """The tables and autofilter of one worksheet, and its validation/conditional-format
    ranges (as :class:`~sheetsync.grid.MergedRange` blocks, 1-based)."""
    pkg = _Package(data)
    sheet = _worksheet(_read_workbook(pkg), sheet_name)
    tables = [_table_area(pkg, part) for part in _table_parts(pkg, sheet.part)]
    tail = _after_sheet_data(pkg.read(sheet.part), sheet.part)
    return [t for t in tables if t is not None] + _filter_area(tail), _rule_ranges(tail)


def _table_parts(pkg: _Package, sheet_part: str) -> list[str]:
    rels = _read_rels(pkg, sheet_part)
    return [rel.target for rel in rels if rel.type == _RT_TABLE and rel.target]


def _table_area(pkg: _Package, part: str) -> TableArea | None:
    table = _parse(pkg.read(part), part)
    block = _block(table.get("ref", ""))
    if block is None:
        return None
    linked = table.get("tableType", "worksheet") != "worksheet"  # a query or XML map's table
    return TableArea(
        "linked-table" if linked else "table",
        table.get("displayName") or table.get("name") or "",
        block.first_row,
        block.first_col,
        block.last_row,
        block.last_col,
        header_rows=_count(table.get("headerRowCount"), 1),
        totals_rows=_count(table.get("totalsRowCount"), 0),
    )


def _count(value: str | None, default: int) -> int:
    return int(value) if value is not None and value.isdigit() else default


def _after_sheet_data(xml: bytes, part: str) -> etree._Element:
    """The worksheet's elements after ``<sheetData>`` (autofilter, formats, validations, …),
    parsed without the rows: the sheet may be tens of megabytes, this part is small."""
    prolog = _PROLOG.match(xml)
    root = _ROOT_TAG.match(xml, prolog.end() if prolog else 0)
    at = xml.rfind(b"sheetData")
    end = xml.find(b">", at) + 1 if at >= 0 else -1
    if root is None or root.group(3) or end <= root.end():
        return _parse_sheet(xml, part)
    try:
        return etree.fromstring(root.group() + xml[end:], _PARSER)
    except etree.XMLSyntaxError:
        return _parse_sheet(xml, part)


def _filter_area(tail: etree._Element) -> list[TableArea]:
    found = tail.find(_w("autoFilter"))
    block = _block(found.get("ref", "")) if found is not None else None
    if block is None:
        return []
    return [
        TableArea("filter", "", block.first_row, block.first_col, block.last_row, block.last_col)
    ]


def _rule_ranges(tail: etree._Element) -> list[MergedRange]:
    """Where the sheet's data validations and conditional formats apply, the ones Excel
    keeps in extensions (x14) included."""
    ranges: list[MergedRange] = []
    for el in tail.iter():
        if _local(el.tag) not in ("conditionalFormatting", "dataValidation"):
            continue
        refs = el.get("sqref") or " ".join(
            child.text or "" for child in el if _local(child.tag) == "sqref"
        )
        ranges += [b for b in map(_block, refs.split()) if b is not None]
    return ranges


def _block(ref: str) -> MergedRange | None:
    """A1, A1:C9, whole columns (H:H) or whole rows (3:5) as a block; None if unreadable."""
    ref = ref.strip()
    cols = _WHOLE_COLUMNS.fullmatch(ref)
    if cols:
        first, last = (_parse_ref(f"{g}1") for g in cols.groups())
        return MergedRange(1, first[1], MAX_ROW, last[1]) if first and last else None
    rows = _WHOLE_ROWS.fullmatch(ref)
    if rows:
        return MergedRange(int(rows.group(1)), 1, int(rows.group(2)), MAX_COL)
    corners = [_parse_ref(p.replace("$", "")) for p in ref.split(":")]
    if not corners or len(corners) > 2 or any(c is None for c in corners):
        return None
    (top, left), (bottom, right) = corners[0], corners[-1]  # type: ignore[misc]
    return MergedRange(min(top, bottom), min(left, right), max(top, bottom), max(left, right))


# --------------------------------------------------------------------------- writing


def grow(pkg: _Package, sheet_name: str, growth: Sequence[TableGrowth]) -> None:
    """Widen each table or filter of ``growth`` over its new columns (their header cells must
    already hold the names). A table that is not as the plan saw it is left alone, logged."""
    book = _read_workbook(pkg)
    sheet = _worksheet(book, sheet_name)
    edit = _Edit()
    for g in growth:
        if g.kind == "table":
            _grow_table(pkg, sheet.part, g, edit)
        else:
            _grow_filter(pkg, book, sheet.part, sheet_name, g, edit)
    pkg.commit(edit)


def _find_table(pkg: _Package, sheet_part: str, name: str) -> tuple[str, etree._Element] | None:
    for part in _table_parts(pkg, sheet_part):
        table = _parse(pkg.read(part), part)
        if (table.get("displayName") or table.get("name") or "") == name:
            return part, table
    return None


def _grow_table(pkg: _Package, sheet_part: str, g: TableGrowth, edit: _Edit) -> None:
    found = _find_table(pkg, sheet_part, g.name)
    problem = "it is gone" if found is None else _cannot_grow(found[1], g)
    if found is None or problem:
        log.warning("Excel table %r left as it was: %s", g.name, problem)
        return
    part, table = found
    block = _block(table.get("ref", ""))
    assert block is not None  # _cannot_grow checked it
    columns = table.find(_w("tableColumns"))
    assert columns is not None
    ids = [_count(c.get("id"), 0) for c in columns.iterchildren(_w("tableColumn"))]
    for n, name in enumerate(g.names, start=max(ids, default=0) + 1):
        column = etree.SubElement(columns, _w("tableColumn"))
        column.set("id", str(n))
        column.set("name", name)
    columns.set("count", str(len(columns.findall(_w("tableColumn")))))
    table.set("ref", _area(block.first_row, block.first_col, block.last_row, g.new_last_col))
    own_filter = table.find(_w("autoFilter"))
    if own_filter is not None:
        last = block.last_row - _count(table.get("totalsRowCount"), 0)
        own_filter.set("ref", _area(block.first_row, block.first_col, last, g.new_last_col))
    edit.replace[part] = _serialize(table)


def _cannot_grow(table: etree._Element, g: TableGrowth) -> str:
    """Why the table cannot take in the new columns ("" when it can)."""
    block = _block(table.get("ref", ""))
    columns = table.find(_w("tableColumns"))
    if block is None or columns is None:
        return "its range or column list cannot be read"
    if (block.first_row, block.last_col) != (g.header_row, g.old_last_col):
        return "it no longer ends where the status columns begin"
    names = [(c.get("name") or "").casefold() for c in columns.iterchildren(_w("tableColumn"))]
    clash = [n for n in g.names if n.casefold() in names]
    if clash:
        return f"it already has a column named {clash[0]!r}"
    if len(names) != block.last_col - block.first_col + 1:
        return "its column list does not match its width"
    return ""


def _grow_filter(
    pkg: _Package, book: _Book, sheet_part: str, sheet_name: str, g: TableGrowth, edit: _Edit
) -> None:
    xml = pkg.read(sheet_part)
    new_xml = _widen_sheet_filter(xml, g)
    if new_xml is None:
        log.warning("the filter on %r left as it was: it is not as sheetsync read it", sheet_name)
        return
    edit.replace[sheet_part] = new_xml
    index = next(i for i, s in enumerate(book.sheets) if s.part == sheet_part)
    workbook = _parse(pkg.read(book.part), book.part)
    if _widen_filter_name(workbook, index, g.new_last_col):
        edit.replace[book.part] = _serialize(workbook)


_FILTER_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?autoFilter\b[^>]*>")
_REF_VALUE = re.compile(rb"(\sref\s*=\s*[\"'])([^\"']*)([\"'])")


def _widen_sheet_filter(xml: bytes, g: TableGrowth) -> bytes | None:
    """The sheet part with its ``<autoFilter ref>`` widened (a byte edit of that attribute;
    the rows are not parsed), or None when the filter is not where the plan saw it."""
    at = xml.rfind(b"sheetData")
    tag = _FILTER_TAG.search(xml, max(at, 0))
    ref = _REF_VALUE.search(tag.group()) if tag else None
    block = _block(ref.group(2).decode()) if ref else None
    if tag is None or ref is None or block is None:
        return None
    if (block.first_row, block.last_col) != (g.header_row, g.old_last_col):
        return None
    new_ref = _area(block.first_row, block.first_col, block.last_row, g.new_last_col).encode()
    start = tag.start() + ref.start(2)
    return xml[:start] + new_ref + xml[tag.start() + ref.end(2) :]


def _widen_filter_name(workbook: etree._Element, sheet_index: int, new_last_col: int) -> bool:
    """Widen the sheet's hidden ``_xlnm._FilterDatabase`` name, if it has one."""
    for name in workbook.iter(_w("definedName")):
        if name.get("name") != FILTER_NAME or name.get("localSheetId") != str(sheet_index):
            continue
        match = _AREA_TEXT.match(name.text or "")
        if match is None:
            return False
        name.text = match.group(1) + col_letters(new_last_col) + match.group(3)
        return True
    return False


def _area(top: int, left: int, bottom: int, right: int) -> str:
    return f"{col_letters(left)}{top}:{col_letters(right)}{bottom}"


# --------------------------------------------------------------------------- verifying


def grown_parts(data: bytes, sheet_name: str, growth: Sequence[TableGrowth]) -> set[str]:
    """The parts :func:`grow` may change besides the sheet's own part."""
    pkg = _Package(data)
    book = _read_workbook(pkg)
    sheet = _worksheet(book, sheet_name)
    parts: set[str] = set()
    for g in growth:
        found = _find_table(pkg, sheet.part, g.name) if g.kind == "table" else None
        if found is not None:
            parts.add(found[0])
        elif g.kind == "filter":
            parts.add(book.part)
    return parts


def unexpected_change(
    before: bytes, after: bytes, sheet_name: str, growth: Sequence[TableGrowth], *, book: bool
) -> str | None:
    """How a grown table (or, with ``book``, the workbook part) differs from the original in
    any way but the growth; None when it does not."""
    old, new = _Package(before), _Package(after)
    sheet = _worksheet(_read_workbook(old), sheet_name)
    for g in growth:
        found = _find_table(old, sheet.part, g.name) if g.kind == "table" else None
        if found is None or new.find(found[0]) is None:
            continue
        part, original = found
        grown = _parse(new.read(part), part)
        if not _same(original, _ungrown_table(grown, original, g)):
            return f"table part {part} changed beyond its new columns"
    if book:
        return _book_change(old, new)
    return None


def _ungrown_table(
    grown: etree._Element, original: etree._Element, g: TableGrowth
) -> etree._Element:
    """``grown`` with the growth undone: the attributes put back, the new columns removed."""
    for el, was in ((grown, original), *_filters(grown, original)):
        el.set("ref", was.get("ref", ""))
    columns, was_columns = grown.find(_w("tableColumns")), original.find(_w("tableColumns"))
    if columns is None or was_columns is None:
        return grown
    added = list(columns.iterchildren(_w("tableColumn")))[len(was_columns) :]
    if [c.get("name") for c in added] == list(g.names) or not added:
        for c in added:
            columns.remove(c)
        columns.set("count", was_columns.get("count", ""))
    return grown


def _filters(
    grown: etree._Element, original: etree._Element
) -> Iterable[tuple[etree._Element, etree._Element]]:
    a, b = grown.find(_w("autoFilter")), original.find(_w("autoFilter"))
    return [(a, b)] if a is not None and b is not None else []


def _book_change(old: _Package, new: _Package) -> str | None:
    old_book, new_book = _read_workbook(old), _read_workbook(new)
    a = _parse(old.read(old_book.part), old_book.part)
    b = _parse(new.read(new_book.part), new_book.part)
    names_a = [n for n in a.iter(_w("definedName")) if n.get("name") == FILTER_NAME]
    names_b = [n for n in b.iter(_w("definedName")) if n.get("name") == FILTER_NAME]
    for was, now in zip(names_a, names_b, strict=False):
        now.text = was.text
    return None if _same(a, b) else f"{old_book.part} changed beyond the filter's range"


def _same(a: etree._Element, b: etree._Element) -> bool:
    try:
        return bool(etree.tostring(a, method="c14n") == etree.tostring(b, method="c14n"))
    except (ValueError, etree.C14NError) as exc:  # pragma: no cover - lxml's own limits
        raise SourceError(f"Cannot compare workbook parts: {exc}") from exc
