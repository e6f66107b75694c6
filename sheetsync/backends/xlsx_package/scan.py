"""Scanning a worksheet part as bytes: where the root, ``<sheetData>`` and each ``<row>``
start, so that only the rows that matter are parsed; and the error cells of a sheet.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from sheetsync.backends.xlsx_package.cells import _COLUMNS, _DIGITS, _parse_ref, _ref
from sheetsync.backends.xlsx_package.ooxml import (
    _PARSER,
    _STRICT_MAIN_NS,
    MAIN_NS,
    _parse,
    _q,
    _w,
    strict_refused,
)
from sheetsync.errors import SourceError


def _start_tag(name: bytes) -> re.Pattern[bytes]:
    return re.compile(
        rb"<((?:[A-Za-z_][\w.\-]*:)?)" + name + rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)"
        rb"\s*(/?)>"
    )


_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml\s[^?]*\?>)?\s*")
_ROOT_TAG = _start_tag(rb"worksheet")
_SHEET_DATA_TAG = _start_tag(rb"sheetData")
_ROW_TAG = _start_tag(rb"row")
_XMLNS_ATTR = re.compile(rb"(xmlns(?::[A-Za-z_][\w.\-]*)?)\s*=\s*(\"[^\"]*\"|'[^']*')")
_R_ATTR = re.compile(rb"\sr\s*=\s*[\"']([0-9]+)[\"']")
_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([^\"']+)[\"']")
_MAYBE_ERROR = re.compile(rb"\st\s*=\s*[\"']e[\"']")


@dataclass
class _Layout:
    """Byte offsets of a worksheet part, found without parsing it."""

    wrap_open: bytes  # a wrapper start tag carrying the root's namespace declarations
    root_end: int  # end of the root start tag
    sd_start: int  # start of <sheetData…>
    sd_open_end: int  # end of the sheetData start tag
    sd_close: int  # start of </sheetData> (== sd_open_end when self-closing)
    sd_prefix: bytes
    sd_empty: bool  # <sheetData/>
    row_nums: list[int] = field(default_factory=list)
    row_starts: list[int] = field(default_factory=list)
    row_tag_ends: list[int] = field(default_factory=list)
    row_closed: list[bool] = field(default_factory=list)  # self-closing <row/>
    row_prefixes: list[bytes] = field(default_factory=list)


def _scan_sheet(xml: bytes) -> _Layout | None:
    """Locate the root, <sheetData> and every <row> by scanning bytes.

    Returns None whenever anything is unusual (another encoding, comments, CDATA, a row
    without ``r``, rows out of order, namespace tricks): the caller then parses the whole
    sheet instead. Correctness first, speed when it is safe.
    """
    prolog = _PROLOG.match(xml)
    assert prolog is not None  # the pattern can match the empty string
    encoding = _ENCODING.search(prolog.group())
    if encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    root = _ROOT_TAG.match(xml, prolog.end())
    if root is None or _has_markup(xml, root.end()):
        return None
    decls = list(_XMLNS_ATTR.finditer(root.group(2)))
    main = {_prefix_of(m.group(1)) for m in decls if m.group(2)[1:-1] == MAIN_NS.encode()}
    sd = _SHEET_DATA_TAG.search(xml, root.end())
    if root.group(1) not in main or sd is None or sd.group(1) not in main:
        return None
    if b"xmlns" in sd.group(2):
        return None
    layout = _Layout(
        wrap_open=b"<w " + b" ".join(m.group() for m in decls) + b">",
        root_end=root.end(),
        sd_start=sd.start(),
        sd_open_end=sd.end(),
        sd_close=sd.end(),
        sd_prefix=sd.group(1),
        sd_empty=bool(sd.group(3)),
    )
    if not layout.sd_empty:
        close = re.compile(rb"</" + re.escape(sd.group(1)) + rb"sheetData\s*>").search(
            xml, sd.end()
        )
        if close is None:
            return None
        layout.sd_close = close.start()
    return layout if _scan_rows(xml, layout, main) else None


def _has_markup(xml: bytes, start: int) -> bool:
    """Whether ``<!`` (a comment, CDATA, a doctype) or ``<?`` (a processing instruction)
    follows ``start``. Each is found as its rarer second byte, then checked for the ``<``
    before it: a search for ``<!`` itself stops at each of a sheet's million ``<``."""
    for mark in (b"!", b"?"):
        pos = xml.find(mark, start + 1)
        while pos >= 0:
            if xml[pos - 1] == 0x3C:  # "<"
                return True
            pos = xml.find(mark, pos + 1)
    return False


def _prefix_of(xmlns_attr: bytes) -> bytes:
    """b"xmlns" -> b"", b"xmlns:x" -> b"x:" (the prefix as it appears in a tag)."""
    _, colon, prefix = xmlns_attr.partition(b":")
    return prefix + colon


def _scan_rows(xml: bytes, layout: _Layout, main: set[bytes]) -> bool:
    """Record every <row> start tag in <sheetData>; False if anything is unusual."""
    lo, hi = layout.sd_open_end, layout.sd_close
    if xml.find(b"xmlns", lo, hi) >= 0:  # a redeclared namespace: let lxml sort it out
        return False
    starts = sorted(
        pos for prefix in main for pos in _find_all(xml, b"<" + prefix + b"row", lo, hi)
    )
    last = 0
    for pos in starts:
        match = _ROW_TAG.match(xml, pos, hi)
        r = None if match is None else _R_ATTR.search(match.group(2))
        if match is None or r is None or int(r.group(1)) <= last:
            return False  # not a row tag after all, no r, or rows out of order
        last = int(r.group(1))
        layout.row_nums.append(last)
        layout.row_starts.append(pos)
        layout.row_tag_ends.append(match.end())
        layout.row_closed.append(bool(match.group(3)))
        layout.row_prefixes.append(match.group(1))
    return True


def _find_all(xml: bytes, needle: bytes, lo: int, hi: int) -> list[int]:
    """Offsets of ``needle`` in ``xml[lo:hi]`` (bytes.find is far faster than a regex)."""
    found = []
    pos = xml.find(needle, lo, hi)
    while pos >= 0:
        found.append(pos)
        pos = xml.find(needle, pos + len(needle), hi)
    return found


def _row_end(xml: bytes, layout: _Layout, i: int) -> int:
    if layout.row_closed[i]:
        return layout.row_tag_ends[i]
    close = re.compile(rb"</" + re.escape(layout.row_prefixes[i]) + rb"row\s*>")
    match = close.search(xml, layout.row_tag_ends[i], layout.sd_close)
    if match is None:
        raise SourceError("A row of the sheet is not closed; open the file in Excel and save it.")
    return match.end()


def _parse_fragment(layout: _Layout, fragment: bytes) -> etree._Element:
    try:
        return etree.fromstring(layout.wrap_open + fragment + b"</w>", _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceError(
            f"The sheet's XML is not well-formed ({exc}). Open the file in Excel, let it "
            "repair the workbook, save it and try again."
        ) from exc


def _inner(wrapper: etree._Element) -> bytes:
    """The serialised children of a wrapper element, without the wrapper's own tags."""
    if len(wrapper) == 0 and not wrapper.text:
        return b""
    out: bytes = etree.tostring(wrapper, encoding="UTF-8", xml_declaration=False)
    return out[out.index(b">") + 1 : out.rindex(b"</")]


def _parse_sheet(xml: bytes, part: str) -> etree._Element:
    root = _parse(xml, part)
    if root.tag == _q(_STRICT_MAIN_NS, "worksheet"):
        raise strict_refused()
    if root.tag != _w("worksheet"):
        raise SourceError(f"{part!r} is not a worksheet; point sheetsync at a regular tab.")
    return root


def _sheet_rows(root: etree._Element) -> list[tuple[int, etree._Element]]:
    """Every row with its number (implicit numbers made explicit)."""
    rows: list[tuple[int, etree._Element]] = []
    sheet_data = root.find(_w("sheetData"))
    num = 0
    for row in [] if sheet_data is None else sheet_data.iterchildren(_w("row")):
        r = row.get("r")
        num = int(r) if r and r.isdigit() else num + 1
        row.set("r", str(num))
        rows.append((num, row))
    return rows


# --------------------------------------------------------------------------- error cells


def _row_cells(row: etree._Element, row_num: int) -> list[tuple[int, etree._Element]]:
    """The row's cells with their column numbers; missing ``r`` attributes are filled in."""
    cells: list[tuple[int, etree._Element]] = []
    col = 0
    for cell in row.iterchildren(_w("c")):
        ref = cell.get("r")
        known = _COLUMNS.get(ref.rstrip(_DIGITS)) if ref else None
        if known is None:
            parsed = _parse_ref(ref or "")
            known = parsed[1] if parsed else col + 1
            if parsed is None:
                cell.set("r", _ref(row_num, known))
        col = known
        cells.append((col, cell))
    return cells


def _errors_in_rows(rows: Iterable[tuple[int, etree._Element]]) -> dict[tuple[int, int], str]:
    found: dict[tuple[int, int], str] = {}
    for num, row in rows:
        for col, cell in _row_cells(row, num):
            if cell.get("t") == "e":
                found[(num, col)] = (cell.findtext(_w("v")) or "").strip() or "#N/A"
    return found


def _errors_streamed(xml: bytes, layout: _Layout) -> dict[tuple[int, int], str]:
    rows: set[int] = set()
    for match in _MAYBE_ERROR.finditer(xml, layout.sd_open_end, layout.sd_close):
        i = bisect.bisect_right(layout.row_starts, match.start()) - 1
        if i >= 0:
            rows.add(i)
    found: dict[tuple[int, int], str] = {}
    for i in sorted(rows):
        wrapper = _parse_fragment(layout, xml[layout.row_starts[i] : _row_end(xml, layout, i)])
        found.update(_errors_in_rows([(layout.row_nums[i], wrapper[0])]))
    return found


def _error_cells(xml: bytes, part: str) -> dict[tuple[int, int], str]:
    if (xml.find(b'"e"') < 0 and xml.find(b"'e'") < 0) or not _MAYBE_ERROR.search(xml):
        return {}
    layout = _scan_sheet(xml)
    if layout is None:
        return _errors_in_rows(_sheet_rows(_parse_sheet(xml, part)))
    return _errors_streamed(xml, layout)
