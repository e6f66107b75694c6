"""``xl/styles.xml``: finding the cell format (xf) that looks like a :class:`CellStyle`,
adding one (and the fonts, fills and number formats it needs) when none does.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from lxml import etree

from sheetsync.backends.xlsx_package.model import CellStyle
from sheetsync.backends.xlsx_package.ooxml import (
    _BUILTIN_FORMATS,
    _CT_STYLES,
    _RT_STYLES,
    _STYLE_ORDER,
    MAIN_NS,
    _local,
    _parse,
    _serialize,
    _w,
)
from sheetsync.backends.xlsx_package.sheets import _add_override, _add_relationship
from sheetsync.backends.xlsx_package.workbook import _Book, _read_workbook
from sheetsync.backends.xlsx_package.zipped import _Edit, _Package
from sheetsync.errors import SourceError


def _elem_key(el: etree._Element) -> tuple[object, ...]:
    """An order-insensitive, comparable fingerprint of an element and its children."""
    children = sorted((_elem_key(child) for child in el if isinstance(child.tag, str)), key=repr)
    return (_local(el.tag), tuple(sorted(el.attrib.items())), (el.text or "").strip(), children)


class _StyleBook:
    """xl/styles.xml, loaded on first need; finds or appends the xf for a CellStyle."""

    def __init__(self, pkg: _Package, book: _Book) -> None:
        self._pkg, self._book = pkg, book
        self._root: etree._Element | None = None
        self._part = ""
        self._created = False
        self._changed = False
        self._cache: dict[CellStyle, int] = {}

    def xf_id(self, style: CellStyle) -> int:
        """Index into cellXfs of an xf that looks like ``style`` (added if none exists)."""
        if style not in self._cache:
            self._cache[style] = self._find_or_add_xf(style)
        return self._cache[style]

    def save_into(self, edit: _Edit) -> None:
        """Record styles.xml (and, if it was created, its rel and content type) in ``edit``."""
        if self._root is None or not self._changed:
            return
        content = _serialize(self._root)
        if not self._created:
            edit.replace[self._part] = content
            return
        edit.add[self._part] = content
        rel_target = posixpath.relpath(self._part, posixpath.dirname(self._book.part))
        _add_relationship(self._pkg, self._book.part, _RT_STYLES, rel_target, edit)
        _add_override(self._pkg, self._part, _CT_STYLES, edit)

    # -- loading

    def _load(self) -> etree._Element:
        if self._root is not None:
            return self._root
        rel = next((r for r in self._book.rels if r.type == _RT_STYLES), None)
        if rel is not None and rel.target:
            self._part = rel.target
            self._root = _parse(self._pkg.read(rel.target), rel.target)
        else:
            self._part = posixpath.join(posixpath.dirname(self._book.part), "styles.xml")
            if self._pkg.find(self._part) is not None:
                raise SourceError(
                    "The workbook has a styles part that is not linked to it. Open the file "
                    "in Excel, save it again and retry."
                )
            self._root = etree.fromstring(f'<styleSheet xmlns="{MAIN_NS}"/>'.encode())
            self._created = True
            for local in ("fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles"):
                self._section(local)
        if self._root.tag != _w("styleSheet"):
            raise SourceError(f"{self._part!r} is not a SpreadsheetML stylesheet.")
        return self._root

    def _section(self, local: str) -> etree._Element:
        """The child list (fonts, fills, …), created with Excel's defaults when absent."""
        root = self._load()
        found = root.find(_w(local))
        if found is not None:
            return found
        section = etree.SubElement(root, _w(local))
        later = [c for c in root if _local(c.tag) in _STYLE_ORDER[_STYLE_ORDER.index(local) + 1 :]]
        if later:
            later[0].addprevious(section)
        fill_defaults = _DEFAULT_SECTIONS.get(local)
        if fill_defaults is not None:
            fill_defaults(section)
        self._changed = True
        return section

    # -- finding or adding

    def _find_or_add(self, section: etree._Element, desired: etree._Element) -> int:
        """Index of an item equal to ``desired`` (its last child); drop ``desired`` if found."""
        items = [c for c in section if c.tag == desired.tag]
        key = _elem_key(desired)
        for i, item in enumerate(items[:-1]):
            if _elem_key(item) == key:
                section.remove(desired)
                return i
        section.set("count", str(len(items)))
        self._changed = True
        return len(items) - 1

    def _find_or_add_xf(self, style: CellStyle) -> int:
        num_fmt = self._num_fmt_id(style.number_format)
        font = self._font_id(style)
        fill = self._fill_id(style.fill)
        self._section("borders")
        self._section("cellStyleXfs")
        xfs = self._section("cellXfs")
        xf = etree.SubElement(xfs, _w("xf"))
        for name, value in (("numFmtId", num_fmt), ("fontId", font), ("fillId", fill)):
            xf.set(name, str(value))
        xf.set("borderId", "0")
        xf.set("xfId", "0")
        for name, used in (("NumberFormat", num_fmt), ("Font", font), ("Fill", fill)):
            if used:
                xf.set(f"apply{name}", "1")
        if style.wrap:
            xf.set("applyAlignment", "1")
            etree.SubElement(xf, _w("alignment")).set("wrapText", "1")
        return self._find_or_add(xfs, xf)

    def _num_fmt_id(self, code: str | None) -> int:
        if code is None:
            return 0
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        root = self._load()
        fmts = root.find(_w("numFmts"))
        existing = [] if fmts is None else list(fmts.iter(_w("numFmt")))
        for fmt in existing:
            if fmt.get("formatCode") == code:
                return int(fmt.get("numFmtId", "0"))
        fmts = self._section("numFmts")
        ids = [int(f.get("numFmtId", "0")) for f in existing if f.get("numFmtId", "").isdigit()]
        new_id = max([163, *ids]) + 1
        el = etree.SubElement(fmts, _w("numFmt"))
        el.set("numFmtId", str(new_id))
        el.set("formatCode", code)
        fmts.set("count", str(len(existing) + 1))
        self._changed = True
        return new_id

    def _font_id(self, style: CellStyle) -> int:
        if not style.bold and style.font_color is None:
            return 0
        fonts = self._section("fonts")
        base = fonts.find(_w("font"))
        font = etree.SubElement(fonts, _w("font"))
        if style.bold:
            etree.SubElement(font, _w("b"))
        for child in [] if base is None else base:
            local = _local(child.tag)
            if local == "color" and style.font_color is not None:
                self._font_color(font, style.font_color)
            elif local and not (local == "b" and style.bold):
                etree.SubElement(font, child.tag, dict(child.attrib))
        if style.font_color is not None and font.find(_w("color")) is None:
            self._font_color(font, style.font_color)
        return self._find_or_add(fonts, font)

    @staticmethod
    def _font_color(font: etree._Element, colour: str) -> None:
        etree.SubElement(font, _w("color")).set("rgb", "FF" + colour)

    def _fill_id(self, colour: str | None) -> int:
        if colour is None:
            return 0
        fills = self._section("fills")
        fill = etree.SubElement(fills, _w("fill"))
        pattern = etree.SubElement(fill, _w("patternFill"))
        pattern.set("patternType", "solid")
        etree.SubElement(pattern, _w("fgColor")).set("rgb", "FF" + colour)
        etree.SubElement(pattern, _w("bgColor")).set("indexed", "64")
        return self._find_or_add(fills, fill)


def _default_fonts(section: etree._Element) -> None:
    font = etree.SubElement(section, _w("font"))
    etree.SubElement(font, _w("sz")).set("val", "11")
    etree.SubElement(font, _w("name")).set("val", "Calibri")
    section.set("count", "1")


def _default_fills(section: etree._Element) -> None:
    for pattern in ("none", "gray125"):
        fill = etree.SubElement(section, _w("fill"))
        etree.SubElement(fill, _w("patternFill")).set("patternType", pattern)
    section.set("count", "2")


def _default_borders(section: etree._Element) -> None:
    border = etree.SubElement(section, _w("border"))
    for side in ("left", "right", "top", "bottom", "diagonal"):
        etree.SubElement(border, _w(side))
    section.set("count", "1")


def _default_xfs(section: etree._Element) -> None:
    xf = etree.SubElement(section, _w("xf"))
    for name in ("numFmtId", "fontId", "fillId", "borderId"):
        xf.set(name, "0")
    if _local(section.tag) == "cellXfs":
        xf.set("xfId", "0")
    section.set("count", "1")


def _default_cell_styles(section: etree._Element) -> None:
    style = etree.SubElement(section, _w("cellStyle"))
    style.set("name", "Normal")
    style.set("xfId", "0")
    style.set("builtinId", "0")
    section.set("count", "1")


_DEFAULT_SECTIONS = {
    "fonts": _default_fonts,
    "fills": _default_fills,
    "borders": _default_borders,
    "cellStyleXfs": _default_xfs,
    "cellXfs": _default_xfs,
    "cellStyles": _default_cell_styles,
}


def _register_styles(pkg: _Package, styles: Sequence[CellStyle]) -> list[int]:
    book_styles = _StyleBook(pkg, _read_workbook(pkg))
    ids = [book_styles.xf_id(style) for style in styles]
    edit = _Edit()
    book_styles.save_into(edit)
    pkg.commit(edit)
    return ids
