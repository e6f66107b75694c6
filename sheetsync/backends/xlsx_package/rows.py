"""Rewriting parsed rows: filling, clearing and adding cells, guarding formulas, growing row
heights, and the sheet head (dimension and column widths).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping

from lxml import etree

from sheetsync.backends.xlsx_package.cells import _Cell, _ooxml_escape, _parse_ref, _ref
from sheetsync.backends.xlsx_package.ooxml import _XML_NS, _q, _w
from sheetsync.backends.xlsx_package.scan import _row_cells
from sheetsync.errors import WriteRefused


def _rewrite_row(row: etree._Element, row_num: int, writes: Mapping[int, _Cell]) -> list[str]:
    """Apply ``writes`` ({col: cell}) to a row element; return refs of overwritten formulas."""
    by_col = dict(_row_cells(row, row_num))
    order = sorted(by_col)
    formulas: list[str] = []
    for col in sorted(writes):
        write, old = writes[col], by_col.get(col)
        ref = _ref(row_num, col)
        if old is not None:
            if _guard_formula(old, ref):
                formulas.append(ref)
            if write.kind == "delete":
                _remove_cell(old)
                del by_col[col]
                order.remove(col)
                continue
            _clear_cell(old, keep_style=write.s is None)
        elif write.kind == "delete":
            continue
        else:
            at = bisect.bisect_left(order, col)
            old = by_col[col] = _new_cell(row, ref, by_col[order[at]] if at < len(order) else None)
            order.insert(at, col)
        _fill_cell(old, write)
    _update_spans(row, order)
    need = _least_height(writes)
    if need > _int_or_float(row.get("ht")):
        row.set("ht", f"{need:g}")
        row.set("customHeight", "1")
    return formulas


def _least_height(writes: Mapping[int, _Cell]) -> float:
    """The height the row needs for the wrapped text written into it (0: none)."""
    need = None  # a loop: a generator and max() cost three times as much, once a row
    for write in writes.values():
        if write.ht and (need is None or write.ht > need):
            need = write.ht
    return 0.0 if need is None else need


def _int_or_float(value: str | bytes | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0


def _guard_formula(cell: etree._Element, ref: str) -> bool:
    """True if the cell holds a formula; refuse to break a formula other cells depend on."""
    formula = cell.find(_w("f"))
    if formula is None:
        return False
    span = formula.get("ref", "")
    kind = formula.get("t", "normal")
    first, _, last = span.partition(":")
    if kind in ("shared", "array") and last and last != first:
        raise WriteRefused(
            f"Cell {ref} anchors a {kind} formula that also fills {span}; overwriting it would "
            "break those cells. Move the formula out of sheetsync's managed columns, or "
            "convert it to ordinary formulas, and run again."
        )
    return True


def _remove_cell(cell: etree._Element) -> None:
    parent = cell.getparent()
    if parent is not None:
        parent.remove(cell)


def _clear_cell(cell: etree._Element, *, keep_style: bool) -> None:
    style = cell.get("s") if keep_style else None
    for child in list(cell):
        cell.remove(child)
    cell.text = None
    for name in list(cell.attrib):
        if name != "r":
            del cell.attrib[name]
    if style is not None:
        cell.set("s", style)


def _new_cell(row: etree._Element, ref: str, before: etree._Element | None) -> etree._Element:
    cell = etree.SubElement(row, _w("c"))
    cell.set("r", ref)
    ext = row.find(_w("extLst")) if before is None else None
    if before is not None:
        before.addprevious(cell)
    elif ext is not None:
        ext.addprevious(cell)
    return cell


def _fill_cell(cell: etree._Element, write: _Cell) -> None:
    if write.s is not None:
        cell.set("s", str(write.s))
    if write.kind == "str":
        cell.set("t", "inlineStr")
        text = etree.SubElement(etree.SubElement(cell, _w("is")), _w("t"))
        text.set(_q(_XML_NS, "space"), "preserve")
        text.text = _ooxml_escape(write.text)
    elif write.kind in ("num", "bool"):
        if write.kind == "bool":
            cell.set("t", "b")
        etree.SubElement(cell, _w("v")).text = write.text


def _update_spans(row: etree._Element, cols: list[int]) -> None:
    if row.get("spans") is None:
        return
    if cols:
        row.set("spans", f"{cols[0]}:{cols[-1]}")
    else:
        del row.attrib["spans"]


# --------------------------------------------------------------------------- the sheet head


def _update_head(
    root: etree._Element,
    written: Iterable[tuple[int, int]],
    widths: Mapping[int, float],
) -> bool:
    """Grow <dimension> to cover ``written`` and add <col> widths; True if anything changed."""
    changed = _grow_dimension(root, written)
    return _add_col_widths(root, widths) or changed


def _grow_dimension(root: etree._Element, written: Iterable[tuple[int, int]]) -> bool:
    dim = root.find(_w("dimension"))
    cells = list(written)
    if dim is None or not cells:
        return False
    old = dim.get("ref", "")
    corners = [_parse_ref(part) for part in old.split(":")]
    points = [*cells, *(c for c in corners if c is not None)]
    top, left = min(p[0] for p in points), min(p[1] for p in points)
    bottom, right = max(p[0] for p in points), max(p[1] for p in points)
    new = (
        _ref(top, left)
        if (top, left) == (bottom, right)
        else (f"{_ref(top, left)}:{_ref(bottom, right)}")
    )
    if new == old:
        return False
    dim.set("ref", new)
    return True


def _add_col_widths(root: etree._Element, widths: Mapping[int, float]) -> bool:
    if not widths:
        return False
    cols = root.find(_w("cols"))
    existing = [] if cols is None else list(cols.iterchildren(_w("col")))
    spans = [(_int(c.get("min")), _int(c.get("max"))) for c in existing]
    todo = sorted(c for c in widths if not any(lo <= c <= hi for lo, hi in spans))
    if not todo:
        return False
    if cols is None:
        cols = etree.SubElement(root, _w("cols"))
        sheet_data = root.find(_w("sheetData"))
        if sheet_data is not None:
            sheet_data.addprevious(cols)
    for col in todo:
        el = etree.SubElement(cols, _w("col"))
        for name, value in (("min", col), ("max", col)):
            el.set(name, str(value))
        el.set("width", f"{float(widths[col]):g}")
        el.set("customWidth", "1")
        after = [c for c in cols.iterchildren(_w("col")) if _int(c.get("min")) > col]
        if after:
            after[0].addprevious(el)
    return True


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0
