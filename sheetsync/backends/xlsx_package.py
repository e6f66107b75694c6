"""Write a few cells into an .xlsx workbook by patching its OOXML package.

An openpyxl load + save wipes every formula's cached value and drops charts, images,
controls and more (docs/writing.md). This module never round-trips a model: it copies every
zip entry as it was (same name, order, timestamp and compression type) and rewrites only the
parts that must change:

* :func:`patch_cells` rewrites one worksheet part, streaming it: the XML is split at
  ``<row>`` boundaries by scanning bytes, untouched rows are copied verbatim and only the rows
  that receive writes are parsed (lxml) and re-serialised. ``xl/styles.xml`` changes only when
  a style that does not exist yet is needed. Overwriting a formula cell also drops that cell
  from ``xl/calcChain.xml`` (Excel reports a corrupt file otherwise).
* :func:`put_sheet` adds (or replaces) one worksheet part plus its entries in
  ``xl/workbook.xml``, the workbook's relationships and ``[Content_Types].xml``.

Everything here is a pure function of ``bytes``: no file I/O, no printing.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import logging
import math
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote

from lxml import etree

from sheetsync.errors import SourceError, WriteRefused

if TYPE_CHECKING:
    from sheetsync.models import TableGrowth

__all__ = [
    "CellStyle",
    "CellWrite",
    "PackageInfo",
    "PackageWriter",
    "ReadLimits",
    "SheetFacts",
    "SheetRef",
    "changed_parts",
    "clean_text",
    "col_letters",
    "excel_serial",
    "inspect_package",
    "patch_cells",
    "put_sheet",
    "row_band_package",
    "sheet_facts",
]

log = logging.getLogger("sheetsync")

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_XML_NS = "http://www.w3.org/XML/1998/namespace"

_RT_OFFICE_DOC = _REL_NS + "/officeDocument"
_RT_STYLES = _REL_NS + "/styles"
_RT_CALC_CHAIN = _REL_NS + "/calcChain"
_RT_TABLE = _REL_NS + "/table"
_SHEET_KINDS = {
    _REL_NS + "/worksheet": "worksheet",
    _REL_NS + "/chartsheet": "chartsheet",
    _REL_NS + "/dialogsheet": "dialogsheet",
    "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet": "macrosheet",
    "http://schemas.microsoft.com/office/2006/relationships/xlIntlMacrosheet": "macrosheet",
}
_RT_WORKSHEET = _REL_NS + "/worksheet"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

MAX_ROW = 1_048_576
MAX_COL = 16_384
MAX_TEXT = 32_767
DEFAULT_DATE_FORMAT = "yyyy-mm-dd"
DEFAULT_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

_CFB_MAGIC = b"\xd0\xcf\x11\xe0"
_HEX6 = re.compile(r"[0-9A-Fa-f]{6}")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_OOXML_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_BAD_SHEET_NAME = re.compile(r"[:\\/?*\[\]]")

# Worksheet children that come after <sheetData> (CT_Worksheet sequence).
_AFTER_SHEET_DATA = {
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
}
# CT_Stylesheet sequence.
_STYLE_ORDER = (
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
)
# Built-in number formats whose display does not depend on the locale.
_BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "@": 49,
    "mm-dd-yy": 14,  # the locale's short date
    "d-mmm-yy": 15,
    "d-mmm": 16,
    "mmm-yy": 17,
}
_FEATURES = (
    ("xl/charts/chart", "charts"),
    ("xl/chartsheets/", "chart sheets"),
    ("xl/media/", "images"),
    ("xl/drawings/drawing", "drawings and shapes"),
    ("xl/diagrams/", "SmartArt"),
    ("xl/pivottables/", "pivot tables"),
    ("xl/vbaproject.bin", "VBA macros"),
    ("xl/macrosheets/", "Excel 4 macro sheets"),
    ("xl/externallinks/", "external links"),
    ("xl/ctrlprops/", "form controls"),
    ("xl/activex/", "form controls"),
    ("xl/slicers/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/threadedcomments/", "threaded comments"),
    ("xl/comments", "comments"),
    ("xl/tables/", "tables"),
    ("xl/connections.xml", "data connections"),
    ("xl/querytables/", "query tables"),
    ("xl/richdata/", "in-cell pictures"),
    ("xl/embeddings/", "embedded objects"),
    ("xl/model/", "data model"),
    ("customxml/", "custom XML"),
)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False)


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class CellStyle:
    """What a managed cell looks like. Hashable; colours are ``"RRGGBB"`` hex strings."""

    bold: bool = False
    fill: str | None = None
    font_color: str | None = None
    number_format: str | None = None
    wrap: bool = False

    def __post_init__(self) -> None:
        for name in ("fill", "font_color"):
            colour = getattr(self, name)
            if colour is None:
                continue
            if not isinstance(colour, str) or not _HEX6.fullmatch(colour):
                raise ValueError(f"CellStyle.{name} must be 'RRGGBB' hex, got {colour!r}")
            object.__setattr__(self, name, colour.upper())
        if self.number_format is not None and not self.number_format.strip():
            raise ValueError("CellStyle.number_format must not be blank; use None")


@dataclass(frozen=True)
class CellWrite:
    """One managed cell: its value (``None`` removes the cell) and optional style.

    Text is always written as literal text (an inline string), never as a formula. An empty
    string with no style removes the cell too; with a style it leaves a styled blank cell.
    Dates (and naive datetimes) become serial numbers with a date number format.
    ``row_height`` (points) is how tall the row must be to show wrapped text: a shorter row
    grows to it, a taller one is left alone (spreadsheets do not re-measure rows on opening).
    """

    value: str | dt.date | float | int | None
    style: CellStyle | None = None
    row_height: float | None = None


@dataclass(frozen=True)
class SheetRef:
    """One tab of the workbook, as listed in ``xl/workbook.xml``."""

    name: str
    part: str  # zip entry name, e.g. "xl/worksheets/sheet1.xml" ("" when the target is missing)
    state: str  # "visible", "hidden" or "veryHidden"
    sheet_id: int
    r_id: str
    kind: str = "worksheet"  # or "chartsheet", "dialogsheet", "macrosheet"


@dataclass(frozen=True)
class PackageInfo:
    """What is inside an .xlsx package (informational; patching keeps all of it)."""

    sheets: tuple[SheetRef, ...]
    date1904: bool
    parts: tuple[str, ...]
    has_vba: bool
    features: tuple[str, ...]  # what a model round-trip (openpyxl save) could lose

    def sheet(self, name: str) -> SheetRef:
        """The tab called ``name`` (exact match first, then case-insensitive, like Excel)."""
        return _match_sheet(self.sheets, name)


# --------------------------------------------------------------------------- public functions


@dataclass(frozen=True)
class ReadLimits:
    """How much reading one workbook may cost; a workbook past them is refused, not read.

    ``max_unzipped_bytes``: the XML parts together, once unzipped (a real tracker is a few MB;
    a "zip bomb" of 1 MB can declare or inflate to gigabytes). ``max_cells``: cells of one
    rectangular block of a tab (the reader holds a block as a dense grid); blocks far apart,
    such as a stray cell at A1048576, are read one at a time, not as one grid.
    """

    max_unzipped_bytes: int = 300 * 2**20
    max_cells: int = 10_000_000


def inspect_package(data: bytes, limits: ReadLimits | None = None) -> PackageInfo:
    """Read the workbook's tabs, date epoch, parts and notable features.

    Raises :class:`SourceError` (saying what to do) when ``data`` is not an .xlsx package
    sheetsync can write into: not a zip, password protected, a .xls/.xlsb/.ods file, … or,
    when ``limits`` are given, when its XML inflates past them (checked from the zip
    directory's declared sizes and again while inflating, in bounded memory, so a lying
    header is caught too).
    """
    pkg = _Package(data)
    if limits is not None:
        _check_unzipped_size(pkg, data, limits)
    book = _read_workbook(pkg)
    return PackageInfo(
        sheets=book.sheets,
        date1904=book.date1904,
        parts=tuple(pkg.names),
        has_vba=_has_vba(pkg),
        features=_features(pkg),
    )


@dataclass(frozen=True)
class SheetFacts:
    """What a reader of cell values (python-calamine) misses in a sheet.

    ``errors``: cells holding an error value (``t="e"``), as ``{(row, col): "#REF!"}``,
    1-based; calamine reads them as empty, and the reader overlays them so that a broken
    formula is reported rather than mistaken for a blank.

    ``formulas_without_values``: formula cells saved without a result, as a program that does
    not calculate (openpyxl, most scripts) leaves them. An empty text result (``t="str"`` with
    an empty value) is a result. Cells in an unusual layout (prefixed tags, extensions) are
    not counted.
    """

    errors: dict[tuple[int, int], str]
    formulas_without_values: int
    # Row ranges (first, last) to read one at a time because empty rows far apart separate
    # them; () when the tab is read as one block.
    bands: tuple[tuple[int, int], ...] = ()


def sheet_facts(data: bytes, sheet_name: str, limits: ReadLimits | None = None) -> SheetFacts:
    """The facts from one read of the sheet's part (it may be tens of megabytes).

    Raises :class:`SourceError` naming a cell when one block of the tab would exceed
    ``limits.max_cells``.
    """
    pkg = _Package(data)
    sheet = _worksheet(_read_workbook(pkg), sheet_name)
    xml = pkg.read(sheet.part)
    bands = _row_bands(xml, sheet.name, limits or ReadLimits())
    return SheetFacts(_error_cells(xml, sheet.part), _formulas_without_values(xml), bands)


def row_band_package(data: bytes, sheet_name: str, first: int, last: int) -> bytes:
    """A copy of the workbook whose tab ``sheet_name`` keeps only rows ``first``..``last``.

    Used to read a tab's far-apart blocks one at a time (see :attr:`SheetFacts.bands`); the
    other parts are kept so that shared strings, styles and dates read as in the original.
    """
    pkg = _Package(data)
    sheet = _worksheet(_read_workbook(pkg), sheet_name)
    xml = pkg.read(sheet.part)
    layout = _scan_sheet(xml)
    assert layout is not None  # bands are only found in sheets the scanner understood
    inside = [i for i, n in enumerate(layout.row_nums) if first <= n <= last]
    lo, hi = layout.row_starts[inside[0]], _row_end(xml, layout, inside[-1])
    body = xml[: layout.sd_open_end] + xml[lo:hi] + xml[layout.sd_close :]
    pkg.commit(_Edit(replace={sheet.part: body}))
    return _rebuild(pkg)


# --------------------------------------------------------------------------- read limits

_MB = 2**20
_INFLATE_CHUNK = 1 << 20
_GAP_CELLS = 1_000_000  # empty cells between two row blocks worth reading them apart
# Cell references past column Z; a literal start keeps the search at bytes.find speed.
_WIDE_REFS = (re.compile(rb'r="([A-Z]{2,3})[0-9]'), re.compile(rb"r='([A-Z]{2,3})[0-9]"))
_XML_SUFFIXES = (".xml", ".rels", ".vml")


def _check_unzipped_size(pkg: _Package, data: bytes, limits: ReadLimits) -> None:
    """Refuse a package whose XML declares, or actually inflates to, more than the limit."""
    infos = [pkg.index[n] for n in pkg.names if n.lower().endswith(_XML_SUFFIXES)]
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_unzipped_bytes:
        raise SourceError(_too_big(f"declares {declared / _MB:,.0f} MB", limits))
    total = 0
    for info in infos:
        size = _inflated_size(data, info, cap=info.file_size)
        if size > info.file_size:
            raise SourceError(
                f"Part {info.filename!r} of the workbook inflates to more than the "
                f"{info.file_size:,} bytes its zip header declares: the file is damaged or "
                "made to exhaust memory, so sheetsync did not read it. Open it in Excel or "
                "LibreOffice and save it again, or restore a backup."
            )
        total += size
    if total > limits.max_unzipped_bytes:  # only when stored sizes were understated
        raise SourceError(_too_big(f"inflates to {total / _MB:,.0f} MB", limits))


def _too_big(found: str, limits: ReadLimits) -> str:
    return (
        f"The workbook's XML {found} once unzipped, more than the "
        f"{limits.max_unzipped_bytes / _MB:,.0f} MB sheetsync reads (a tracker is usually a "
        "few MB). Check that this is the right file (a tiny file that unzips to gigabytes is "
        "a 'zip bomb'); if it really is your tracker, raise [sync] max_unzipped_mb in "
        "sheetsync.toml."
    )


def _inflated_size(data: bytes, info: zipfile.ZipInfo, *, cap: int) -> int:
    """How many bytes the entry inflates to, counting no further than ``cap`` + 1.

    The compressed bytes are inflated in 1 MB steps and thrown away, so memory stays bounded
    whatever the entry's header claims.
    """
    start, stop = _raw_span(data, info)
    if info.compress_type == zipfile.ZIP_STORED:
        return stop - start
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return info.file_size  # zipfile itself stops at the declared size for these
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    view, pos, size = memoryview(data), start, 0
    while size <= cap and not inflater.eof:
        if inflater.unconsumed_tail:
            chunk: bytes | memoryview = inflater.unconsumed_tail
        elif pos < stop:
            chunk, pos = view[pos : min(pos + _INFLATE_CHUNK, stop)], pos + _INFLATE_CHUNK
        else:
            break
        try:
            size += len(inflater.decompress(chunk, _INFLATE_CHUNK))
        except zlib.error as exc:
            raise SourceError(
                f"Part {info.filename!r} of the workbook is damaged ({exc}). Open it in "
                "Excel or LibreOffice and save it again, or restore a backup."
            ) from exc
    return size


def _raw_span(data: bytes, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where the entry's compressed bytes lie in ``data`` (after its local header)."""
    head = info.header_offset
    if data[head : head + 4] != b"PK\x03\x04" or len(data) < head + 30:
        raise SourceError(
            f"The workbook's zip entry {info.filename!r} is damaged. Open it in Excel or "
            "LibreOffice and save it again, or restore a backup."
        )
    name_len = int.from_bytes(data[head + 26 : head + 28], "little")
    extra_len = int.from_bytes(data[head + 28 : head + 30], "little")
    start = head + 30 + name_len + extra_len
    return start, min(start + info.compress_size, len(data))


def _row_bands(xml: bytes, tab: str, limits: ReadLimits) -> tuple[tuple[int, int], ...]:
    """Row blocks of the tab separated by many empty rows (see :attr:`SheetFacts.bands`).

    Each block is checked against ``limits.max_cells``. The usual tracker — rows one after the
    other — is recognised from byte counts alone; only a sheet with gaps is scanned row by row.
    """
    lo, hi = _sheet_data_span(xml)
    last_cell = xml.rfind(b"<c ", lo, hi)
    last_row_at = xml.rfind(b"<row", lo, last_cell) if last_cell >= 0 else -1
    last = _row_number_at(xml, last_row_at)
    if last is None:
        return ()  # no cells, or tags with a namespace prefix: calamine sizes it as before
    width = _widest_column(xml, lo, hi)
    gap = max(1, _GAP_CELLS // width[0])
    if last - xml.count(b"<row", lo, last_row_at + 1) <= gap:  # no run of `gap` empty rows
        _check_block((1, last), width, tab, limits)
        return ()
    return _scanned_bands(xml, tab, limits, gap)


def _scanned_bands(
    xml: bytes, tab: str, limits: ReadLimits, gap: int
) -> tuple[tuple[int, int], ...]:
    layout = _scan_sheet(xml)
    if layout is None:
        return ()
    ends = [*layout.row_starts[1:], layout.sd_close]
    rows = [i for i, closed in enumerate(layout.row_closed) if not closed]
    if not rows:
        return ()
    groups, current = [], [rows[0]]
    for i in rows[1:]:
        if layout.row_nums[i] - layout.row_nums[current[-1]] > gap:
            groups.append(current)
            current = []
        current.append(i)
    groups.append(current)
    bands = []
    for group in groups:
        band = (layout.row_nums[group[0]], layout.row_nums[group[-1]])
        width = _widest_column(xml, layout.row_starts[group[0]], ends[group[-1]])
        _check_block(band, width, tab, limits)
        bands.append(band)
    return tuple(bands) if len(bands) > 1 or bands[0][0] > gap else ()


def _sheet_data_span(xml: bytes) -> tuple[int, int]:
    lo = xml.find(b"<sheetData")
    hi = xml.rfind(b"</sheetData")
    return (lo, hi) if 0 <= lo < hi else (0, len(xml))


def _row_number_at(xml: bytes, pos: int) -> int | None:
    """The ``r`` of the <row> tag starting at ``pos`` (None if there is none)."""
    if pos < 0:
        return None
    match = _R_ATTR.search(xml, pos, xml.find(b">", pos))
    return int(match.group(1)) if match else None


def _widest_column(xml: bytes, lo: int, hi: int) -> tuple[int, str]:
    """The rightmost column of a cell in ``xml[lo:hi]`` and that cell's reference ("", and 26,
    when no cell is past Z). Read in slices so that memory stays bounded."""
    widest: set[bytes] = set()
    for pattern in _WIDE_REFS:
        if pattern.pattern[:3] not in xml:  # references in single quotes are rare
            continue
        for start in range(lo, hi, _INFLATE_CHUNK * 4):
            stop = min(start + _INFLATE_CHUNK * 4 + 16, hi)  # a reference cut in two is seen
            widest.update(pattern.findall(xml, start, stop))
    if not widest:
        return 26, ""
    letters = max(widest, key=lambda w: (len(w), w))
    cell = re.compile(rb"r=[\"']" + letters + rb"([0-9]+)").search(xml, lo, hi)
    found = letters.decode()
    return _col_number(found), found + (cell.group(1).decode() if cell else "")


def _check_block(
    band: tuple[int, int], width: tuple[int, str], tab: str, limits: ReadLimits
) -> None:
    cells = (band[1] - band[0] + 1) * width[0]
    if cells <= limits.max_cells:
        return
    right = f"column {col_letters(width[0])} (cell {width[1]})" if width[1] else "column Z"
    raise SourceError(
        f"Tab '{tab}' is too large to read: its rows {band[0]:,}–{band[1]:,} reach {right}, "
        f"a block of {cells:,} cells; sheetsync reads at most {limits.max_cells:,}. Delete "
        "stray cells far to the right or below your data in Excel or LibreOffice (Ctrl+End "
        "shows the last one), or raise [sync] max_cells in sheetsync.toml."
    )


# Where a formula cell may lack its saved result: an empty value, or none before </c>.
_NO_RESULT_HINTS = (b"</f><v></v>", b"</f><v/>", b"</f><v />", b"</f></c>", b"/></c>")
_FORMULA_CELL = re.compile(rb"<c(\s[^>]*)?>(?:<f[\s>/][^<]*(?:</f>)?)(<v\s*/>|<v>[^<]*</v>)?</c>")
_EMPTY_VALUE = re.compile(rb"<v\s*/>|<v></v>")
_TEXT_RESULT = re.compile(rb"\st\s*=\s*[\"']str[\"']")


_FORMULA_TAG = re.compile(rb"<f[\s>/]")


def _formulas_without_values(xml: bytes) -> int:
    if not any(hint in xml for hint in _NO_RESULT_HINTS):
        return 0  # the usual case, found by byte search alone
    count = 0
    for cell in _formula_cells(xml):
        attrs, value = cell.group(1) or b"", cell.group(2)
        if value is None or (_EMPTY_VALUE.fullmatch(value) and not _TEXT_RESULT.search(attrs)):
            count += 1
    return count


def _formula_cells(xml: bytes) -> Iterator[re.Match[bytes]]:
    """The matches of ``_FORMULA_CELL.finditer(xml)``, found from each formula tag.

    A formula cell's ``<c`` is the last one before its ``<f`` (a well-formed attribute value
    holds no ``<``), so matching there finds the same cells while skipping the regex's start
    at every other cell of the sheet: a few formulas among 250,000 cells cost milliseconds.
    """
    end = 0
    for tag in _FORMULA_TAG.finditer(xml):
        start = xml.rfind(b"<c", end, tag.start())
        if start < 0:
            continue
        cell = _FORMULA_CELL.match(xml, start)
        if cell is not None:
            end = cell.end()
            yield cell


def _error_cells(xml: bytes, part: str) -> dict[tuple[int, int], str]:
    if (xml.find(b'"e"') < 0 and xml.find(b"'e'") < 0) or not _MAYBE_ERROR.search(xml):
        return {}
    layout = _scan_sheet(xml)
    if layout is None:
        return _errors_in_rows(_sheet_rows(_parse_sheet(xml, part)))
    return _errors_streamed(xml, layout)


def patch_cells(
    data: bytes,
    sheet_name: str,
    cells: Mapping[tuple[int, int], CellWrite],
    *,
    column_widths: Mapping[int, float] = MappingProxyType({}),
) -> bytes:
    """Write ``cells`` (``{(row, col): CellWrite}``, 1-based) into one worksheet.

    Returns the new package. Only that sheet's part changes, plus ``xl/styles.xml`` when a
    new style is needed and ``xl/calcChain.xml`` when a formula cell is overwritten; every
    other entry is copied unchanged. ``column_widths`` (``{col: width}``) sets a width only for
    columns no existing ``<col>`` covers. Nothing to do returns ``data`` itself.
    """
    writer = PackageWriter(data)
    writer.patch_cells(sheet_name, cells, column_widths=column_widths)
    return writer.to_bytes()


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
    if new_xml != xml:
        edit.replace[sheet.part] = new_xml
    styles.save_into(edit)
    if formulas:
        _drop_from_calc_chain(pkg, book, sheet.sheet_id, formulas, edit)
    if not edit.empty():
        log.debug("patched %d cell(s) in %s; parts changed: %s", len(cells), sheet.part, edit)
    pkg.commit(edit)


def put_sheet(
    data: bytes, sheet_name: str, sheet_xml: bytes, *, title_rows: tuple[int, int] | None = None
) -> bytes:
    """Add a worksheet called ``sheet_name`` with the given part XML, or replace its part.

    A new tab gets a new part, a unique ``sheetId`` and ``rId``, and entries in
    ``xl/workbook.xml``, its relationships and ``[Content_Types].xml``; it goes last. An
    existing worksheet of that name keeps its place and id and only its part is replaced
    (refused when that tab has relationships — drawings, comments, links — that the new XML
    would orphan). ``title_rows`` (first, last) are repeated at the top of every printed
    page: the tab's ``_xlnm.Print_Titles`` defined name. Putting the same XML again returns
    ``data`` itself.
    """
    writer = PackageWriter(data)
    writer.put_sheet(sheet_name, sheet_xml, title_rows=title_rows)
    return writer.to_bytes()


def _put_sheet(
    pkg: _Package, sheet_name: str, sheet_xml: bytes, title_rows: tuple[int, int] | None
) -> None:
    _check_sheet_name(sheet_name)
    _check_sheet_xml(sheet_xml)
    book = _read_workbook(pkg)
    existing = _find_sheet(book.sheets, sheet_name)
    edit = _Edit()
    if existing is None:
        _add_sheet(pkg, book, sheet_name, sheet_xml, edit)
    else:
        _replace_sheet(pkg, existing, sheet_xml, edit)
    if title_rows is not None:
        _set_print_titles(pkg, book, sheet_name, title_rows, edit)
    pkg.commit(edit)


_PRINT_TITLES = "_xlnm.Print_Titles"
_BEFORE_DEFINED_NAMES = ("sheets", "functionGroups", "externalReferences")


def _set_print_titles(
    pkg: _Package, book: _Book, name: str, rows: tuple[int, int], edit: _Edit
) -> None:
    """Make ``rows`` the tab's print titles; no edit when they already are."""
    root = _current(pkg, book.part, edit)
    assert root is not None  # the workbook part was read just before
    names = [el.get("name") or "" for el in root.iter(_w("sheet"))]
    index = next(str(i) for i, n in enumerate(names) if n.casefold() == name.casefold())
    quoted = names[int(index)].replace("'", "''")
    value = f"'{quoted}'!${rows[0]}:${rows[1]}"
    defined = root.find(_w("definedNames"))
    if defined is None:
        defined = etree.Element(_w("definedNames"))
        anchor = [root.find(_w(local)) for local in _BEFORE_DEFINED_NAMES]
        last = [el for el in anchor if el is not None][-1]
        last.addnext(defined)
    for el in defined.iter(_w("definedName")):
        if el.get("name") == _PRINT_TITLES and el.get("localSheetId") == index:
            if el.text == value:
                return
            el.text = value
            break
    else:
        el = etree.SubElement(defined, _w("definedName"), name=_PRINT_TITLES)
        el.set("localSheetId", index)
        el.text = value
    edit.replace[book.part] = _serialize(root)


class PackageWriter:
    """Several edits to one package, written out as one new zip.

    :func:`patch_cells`, :func:`register_styles` and :func:`put_sheet` each make one edit and
    return a new package; a sync makes all three, and this writes (and compresses) the result
    once instead of three times. Each step sees the parts as the steps before it left them.
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pkg = _Package(data)

    def patch_cells(
        self,
        sheet_name: str,
        cells: Mapping[tuple[int, int], CellWrite],
        *,
        column_widths: Mapping[int, float] = MappingProxyType({}),
    ) -> None:
        """Write ``cells`` into one worksheet (see :func:`patch_cells`)."""
        _patch_cells(self._pkg, sheet_name, cells, column_widths)

    def register_styles(self, styles: Sequence[CellStyle]) -> list[int]:
        """Make sure each style exists; their xf ids (see :func:`register_styles`)."""
        return _register_styles(self._pkg, styles)

    def put_sheet(
        self, sheet_name: str, sheet_xml: bytes, *, title_rows: tuple[int, int] | None = None
    ) -> None:
        """Add or replace a worksheet part (see :func:`put_sheet`)."""
        _put_sheet(self._pkg, sheet_name, sheet_xml, title_rows)

    def grow_tables(self, sheet_name: str, growth: Sequence[TableGrowth]) -> None:
        """Widen tables/filters over new managed columns (see :mod:`.xlsx_tables`)."""
        from sheetsync.backends import xlsx_tables  # it builds on this module's helpers

        xlsx_tables.grow(self._pkg, sheet_name, growth)

    def to_bytes(self) -> bytes:
        """The edited package; the original bytes themselves when nothing changed."""
        return _rebuild(self._pkg) if self._pkg.edited else self._data


def changed_parts(before: bytes, after: bytes) -> set[str]:
    """Names of zip entries whose content differs, plus entries added or removed.

    Compared by the CRC-32 and size the zip directory records for each entry, so nothing is
    decompressed: a different CRC or size proves a change, and an equal pair means the same
    content but for a deliberate CRC collision (this guards against sheetsync's own mistakes).
    """
    old, new = _Package(before), _Package(after)
    names = set(old.names) | set(new.names)
    return {
        name
        for name in names
        if name not in old.index
        or name not in new.index
        or (old.index[name].CRC, old.index[name].file_size)
        != (new.index[name].CRC, new.index[name].file_size)
    }


# --------------------------------------------------------------------------- the package


class _Package:
    """A zip opened from bytes, with checks and case-insensitive part lookup."""

    def __init__(self, data: bytes) -> None:
        _refuse_non_zip(data)
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
            raise SourceError(
                f"The workbook is damaged or not an .xlsx file ({exc}). Open it in Excel or "
                "LibreOffice, save it as an Excel Workbook (.xlsx) and try again."
            ) from exc
        infos = self.zip.infolist()
        self.names = [info.filename for info in infos]
        self.index = {info.filename: info for info in infos}
        if len(self.index) != len(self.names):
            raise SourceError(
                "The workbook's zip package lists the same part twice, so it is ambiguous "
                "which one Excel uses. Open it in Excel, save it again and retry."
            )
        self.folded = {name.lower(): name for name in self.names}
        self.changed: dict[str, bytes] = {}  # entries replaced or added since opening
        self.edited = False
        _refuse_other_formats(self)

    def commit(self, edit: _Edit) -> None:
        """Fold one operation's edit into the package: later reads see it, and
        :func:`_rebuild` writes it. Replaced entries keep their place; added ones go last."""
        for name in edit.remove:
            self.names.remove(name)
            del self.index[name]
            self.changed.pop(name, None)
        self.changed.update(edit.replace)
        for name, content in edit.add.items():
            if name not in self.index:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                self.names.append(name)
                self.index[name] = info
            self.changed[name] = content
        self.folded = {name.lower(): name for name in self.names}
        self.edited = self.edited or not edit.empty()

    def find(self, name: str) -> str | None:
        """The actual entry name for a part name (case-insensitive, like OPC)."""
        if name in self.index:
            return name
        return self.folded.get(name.lower())

    def read(self, name: str) -> bytes:
        """The decompressed bytes of one entry (as edited, once an edit is committed)."""
        if name in self.changed:
            return self.changed[name]
        try:
            return self.zip.read(self.index[name])
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise SourceError(
                f"Cannot read part {name!r} of the workbook ({exc}). Open it in Excel, save "
                "it as an Excel Workbook (.xlsx) and try again."
            ) from exc


def _refuse_non_zip(data: bytes) -> None:
    if data.startswith(_CFB_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise SourceError(
                "The workbook is password protected (encrypted), so sheetsync cannot read or "
                "write it. Remove the password in Excel (File > Info > Protect Workbook > "
                "Encrypt with Password, clear it) or point sheetsync at an unprotected copy."
            )
        raise SourceError(
            "This is an old binary Excel file (.xls), not an .xlsx workbook. Open it in "
            "Excel or LibreOffice, save it as an Excel Workbook (.xlsx) and use that file."
        )
    if not data.startswith(b"PK"):
        raise SourceError(
            "The file is not an .xlsx workbook (it is not a zip package). Check the path, or "
            "save the tracker from Excel or LibreOffice as an Excel Workbook (.xlsx)."
        )


def _refuse_other_formats(pkg: _Package) -> None:
    if pkg.find("xl/workbook.bin") is not None:
        raise SourceError(
            "This is a binary workbook (.xlsb). Save it from Excel as an Excel Workbook "
            "(.xlsx) and point sheetsync at that file."
        )
    if pkg.find("mimetype") is not None and pkg.find("content.xml") is not None:
        raise SourceError(
            "This is an OpenDocument spreadsheet (.ods). Save it from LibreOffice as an "
            "Excel 2007-365 (.xlsx) workbook and point sheetsync at that file."
        )


@dataclass
class _Edit:
    """Pending changes to a package: replaced, added and removed entries."""

    replace: dict[str, bytes] = field(default_factory=dict)
    add: dict[str, bytes] = field(default_factory=dict)
    remove: set[str] = field(default_factory=set)

    def empty(self) -> bool:
        return not (self.replace or self.add or self.remove)

    def __str__(self) -> str:
        return ", ".join(sorted({*self.replace, *self.add, *self.remove}))


def _rebuild(pkg: _Package) -> bytes:
    """Write a new zip: same entries in the same order, edited ones swapped in, added last."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", allowZip64=True) as new:
        if pkg.zip.comment:
            new.comment = pkg.zip.comment
        for name in pkg.names:
            new.writestr(_clone_info(pkg.index[name]), pkg.read(name))
    return out.getvalue()


def _clone_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    clone = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    clone.compress_type = info.compress_type
    clone.external_attr = info.external_attr
    clone.create_system = info.create_system
    clone.comment = info.comment
    return clone


def _parse(xml: bytes, part: str) -> etree._Element:
    try:
        return etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceError(
            f"Part {part!r} of the workbook is not well-formed XML ({exc}). Open the file in "
            "Excel, let it repair the workbook, save it and try again."
        ) from exc


def _serialize(root: etree._Element) -> bytes:
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out


def _q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def _w(local: str) -> str:
    return f"{{{MAIN_NS}}}{local}"


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


# --------------------------------------------------------------------------- relationships


@dataclass(frozen=True)
class _Rel:
    id: str
    type: str
    target: str  # resolved entry name ("" when external or missing)


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve_target(pkg: _Package, source: str, target: str) -> str:
    target = unquote(target)
    if target.startswith("/"):
        path = target.lstrip("/")
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
    return pkg.find(path) or ""


def _read_rels(pkg: _Package, part: str) -> list[_Rel]:
    name = pkg.find(_rels_name(part))
    if name is None:
        return []
    root = _parse(pkg.read(name), name)
    rels = []
    for rel in root.iter(_q(_PKG_REL_NS, "Relationship")):
        external = rel.get("TargetMode") == "External"
        target = "" if external else _resolve_target(pkg, part, rel.get("Target", ""))
        rels.append(_Rel(rel.get("Id", ""), rel.get("Type", ""), target))
    return rels


def _workbook_part(pkg: _Package) -> str:
    for rel in _read_rels(pkg, ""):
        if rel.type.startswith(_STRICT_REL_NS):
            raise SourceError(
                "The workbook is saved as 'Strict Open XML Spreadsheet', which sheetsync "
                "cannot write into. Save it from Excel as 'Excel Workbook (.xlsx)'."
            )
        if rel.type == _RT_OFFICE_DOC and rel.target:
            return rel.target
    fallback = pkg.find("xl/workbook.xml")
    if fallback is None:
        raise SourceError(
            "The package has no workbook part (xl/workbook.xml), so it is not a usable .xlsx "
            "file. Open it in Excel or LibreOffice and save it as an Excel Workbook (.xlsx)."
        )
    return fallback


# --------------------------------------------------------------------------- the workbook


@dataclass(frozen=True)
class _Book:
    part: str
    sheets: tuple[SheetRef, ...]
    date1904: bool
    rels: tuple[_Rel, ...]


def _read_workbook(pkg: _Package) -> _Book:
    part = _workbook_part(pkg)
    root = _parse(pkg.read(part), part)
    if root.tag == _q(_STRICT_MAIN_NS, "workbook"):
        raise SourceError(
            "The workbook is saved as 'Strict Open XML Spreadsheet', which sheetsync cannot "
            "write into. Save it from Excel as 'Excel Workbook (.xlsx)'."
        )
    if root.tag != _w("workbook"):
        raise SourceError(f"{part!r} is not a SpreadsheetML workbook; save the file as .xlsx.")
    rels = tuple(_read_rels(pkg, part))
    by_id = {rel.id: rel for rel in rels}
    sheets = tuple(_sheet_ref(el, by_id) for el in root.iter(_w("sheet")))
    pr = root.find(_w("workbookPr"))
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    return _Book(part, sheets, date1904, rels)


def _sheet_ref(el: etree._Element, rels: Mapping[str, _Rel]) -> SheetRef:
    r_id = el.get(_q(_REL_NS, "id"), "")
    rel = rels.get(r_id)
    try:
        sheet_id = int(el.get("sheetId", "0"))
    except ValueError:
        sheet_id = 0
    return SheetRef(
        name=el.get("name", ""),
        part=rel.target if rel else "",
        state=el.get("state", "visible"),
        sheet_id=sheet_id,
        r_id=r_id,
        kind=_SHEET_KINDS.get(rel.type, "unknown") if rel else "unknown",
    )


def _find_sheet(sheets: Iterable[SheetRef], name: str) -> SheetRef | None:
    sheets = tuple(sheets)
    for sheet in sheets:
        if sheet.name == name:
            return sheet
    folded = name.casefold()
    return next((s for s in sheets if s.name.casefold() == folded), None)


def _match_sheet(sheets: tuple[SheetRef, ...], name: str) -> SheetRef:
    sheet = _find_sheet(sheets, name)
    if sheet is None:
        names = ", ".join(repr(s.name) for s in sheets) or "none"
        raise SourceError(
            f"The workbook has no tab named {name!r} (tabs: {names}). Check the sheet name in "
            "sheetsync.toml or rename the tab."
        )
    return sheet


def _worksheet(book: _Book, name: str) -> SheetRef:
    sheet = _match_sheet(book.sheets, name)
    if sheet.kind != "worksheet":
        raise SourceError(
            f"Tab {sheet.name!r} is a {sheet.kind}, not a worksheet with cells; point "
            "sheetsync at a regular worksheet."
        )
    if not sheet.part:
        raise SourceError(
            f"Tab {sheet.name!r} is listed in the workbook but its part is missing. Open the "
            "file in Excel or LibreOffice, let it repair the workbook, save it and try again."
        )
    return sheet


def _has_vba(pkg: _Package) -> bool:
    if pkg.find("xl/vbaProject.bin") is not None:
        return True
    ct = pkg.find("[Content_Types].xml")
    return ct is not None and b"macroEnabled" in pkg.read(ct)


def _features(pkg: _Package) -> tuple[str, ...]:
    found: list[str] = []
    for name in pkg.folded:
        for prefix, word in _FEATURES:
            if name.startswith(prefix) and word not in found:
                found.append(word)
    order = [word for _, word in _FEATURES]
    return tuple(sorted(found, key=order.index))


# --------------------------------------------------------------------------- cell values


@dataclass(frozen=True)
class _Cell:
    """A write, resolved to XML: what kind of content, its text and its style index."""

    kind: Literal["delete", "str", "num", "bool", "blank"]
    text: str = ""
    s: int | None = None
    ht: float | None = None  # the row's least height, from CellWrite.row_height


def _check_coordinates(
    cells: Mapping[tuple[int, int], CellWrite], widths: Mapping[int, float]
) -> None:
    for row, col in cells:
        if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
            raise ValueError(f"cell ({row}, {col}) is outside the sheet (1-based row, col)")
    for col, width in widths.items():
        if not 1 <= col <= MAX_COL:
            raise ValueError(f"column {col} is outside the sheet")
        if not (isinstance(width, int | float) and 0 < width <= 255):
            raise ValueError(f"column width must be in (0, 255], got {width!r}")


def _resolve_writes(
    cells: Mapping[tuple[int, int], CellWrite], date1904: bool, styles: _StyleBook
) -> dict[int, dict[int, _Cell]]:
    by_row: dict[int, dict[int, _Cell]] = {}
    for (row, col), write in cells.items():
        cell = _resolve(write, date1904, styles)
        if write.row_height and cell.kind != "delete":
            cell = replace(cell, ht=write.row_height)
        by_row.setdefault(row, {})[col] = cell
    return by_row


def _resolve(write: CellWrite, date1904: bool, styles: _StyleBook) -> _Cell:
    value, style = write.value, write.style
    if isinstance(value, dt.date):
        fmt = DEFAULT_DATETIME_FORMAT if isinstance(value, dt.datetime) else DEFAULT_DATE_FORMAT
        style = style or CellStyle()
        if style.number_format is None:
            style = replace(style, number_format=fmt)
        return _Cell("num", _number_text(excel_serial(value, date1904)), styles.xf_id(style))
    s = None if style is None else styles.xf_id(style)
    if value is None or (value == "" and style is None):
        return _Cell("delete")
    if isinstance(value, bool):
        return _Cell("bool", "1" if value else "0", s)
    if isinstance(value, int | float):
        return _Cell("num", _number_text(value), s)
    if isinstance(value, str):
        text = clean_text(value)
        return _Cell("str", text, s) if text else _Cell("blank", "", s)
    raise TypeError(f"cannot write a {type(value).__name__} into a cell: {value!r}")


def clean_text(value: str) -> str:
    """Text as it can be stored: XML-illegal characters removed, capped at 32,767 characters
    (counted in UTF-16 units, as Excel does). No other change: "=1+1" stays literal."""
    text = _ILLEGAL_XML.sub("", value)
    if len(text) > MAX_TEXT // 2:
        units = 0
        for i, ch in enumerate(text):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > MAX_TEXT:
                return text[:i]
    return text


def _ooxml_escape(text: str) -> str:
    """Protect literal ``_xHHHH_`` sequences, which Excel would decode as characters."""
    return _OOXML_ESCAPE.sub(r"_x005F_\1", text)


def _number_text(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} into a cell: not a finite number")
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def excel_serial(value: dt.date, date1904: bool = False) -> float:
    """The Excel serial number of a date or naive datetime in the workbook's epoch."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise ValueError(f"cannot write a timezone-aware datetime ({value}); make it naive")
    day = value.date() if isinstance(value, dt.datetime) else value
    if date1904:
        days = (day - dt.date(1904, 1, 1)).days
    else:
        days = (day - dt.date(1899, 12, 31)).days
        days += 1 if days >= 60 else 0  # Excel's phantom 1900-02-29
    if days < (0 if date1904 else 1):
        raise ValueError(f"{value} is before the workbook's first date")
    if not isinstance(value, dt.datetime):
        return days
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return days + seconds / 86400


def col_letters(col: int) -> str:
    """1 -> "A", 28 -> "AB"."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_COLUMNS: dict[str, int] = {}  # column letters -> number, filled as they are met
_DIGITS = "0123456789"


def _col_number(letters: str) -> int:
    known = _COLUMNS.get(letters)
    if known is None:
        known = 0
        for ch in letters.upper():
            known = known * 26 + ord(ch) - 64
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = known
    return known


def _parse_ref(ref: str) -> tuple[int, int] | None:
    letters = ref.rstrip(_DIGITS)
    digits = ref[len(letters) :]
    if letters.isascii() and letters.isalpha() and len(letters) <= 3 and digits.isdigit():
        return int(digits), _col_number(letters)
    match = _CELL_REF.fullmatch(ref.strip())
    if match is None:
        return None
    return int(match.group(2)), _col_number(match.group(1))


def _ref(row: int, col: int) -> str:
    return f"{col_letters(col)}{row}"


# --------------------------------------------------------------------------- styles


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


# --------------------------------------------------------------------------- sheet scanning


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
    if root is None or xml.find(b"<!", root.end()) >= 0 or xml.find(b"<?", root.end()) >= 0:
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
        raise SourceError(
            "The workbook is saved as 'Strict Open XML Spreadsheet', which sheetsync cannot "
            "write into. Save it from Excel as 'Excel Workbook (.xlsx)'."
        )
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


# --------------------------------------------------------------------------- rewriting rows


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
    return max((w.ht for w in writes.values() if w.ht), default=0.0)


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


# --------------------------------------------------------------------------- patching a sheet


def _patch_sheet_xml(
    xml: bytes,
    part: str,
    by_row: Mapping[int, Mapping[int, _Cell]],
    widths: Mapping[int, float],
) -> tuple[bytes, list[str]]:
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
) -> tuple[bytes, list[str]]:
    head = _patched_head(xml, layout, by_row, widths)
    pieces = [xml[: layout.root_end], head]
    body, formulas = _patched_body(xml, layout, by_row)
    if layout.sd_empty and body:
        pieces += [b"<" + layout.sd_prefix + b"sheetData>", body]
        pieces.append(b"</" + layout.sd_prefix + b"sheetData>")
    else:
        pieces += [xml[layout.sd_start : layout.sd_open_end], body]
    pieces.append(xml[layout.sd_close :])
    return b"".join(pieces), formulas


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
) -> tuple[bytes, list[str]]:
    """The content of <sheetData>: untouched rows copied as bytes, the others rewritten.

    A row whose writes all land to the right of its last cell (a first sync adds the managed
    columns to every row) gets the new cells appended as bytes. The other target rows are
    grouped into runs with no untouched row between them; each run is one byte range, parsed
    and re-serialised as one fragment.
    """
    edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement), in sheet order
    formulas: list[str] = []
    slow: list[int] = []
    for num in sorted(by_row):
        appended = _appended_row(xml, layout, num, by_row[num])
        if appended is None:
            slow.append(num)
        else:
            edits.append(appended)
    for run in _runs(layout, slow):
        start, end = _run_span(xml, layout, run)
        wrapper = _parse_fragment(layout, xml[start:end])
        formulas += _rewrite_rows(wrapper, [num for num, _, _ in run], by_row)
        edits.append((start, end, _inner(wrapper)))
    pieces: list[bytes] = []
    pos = layout.sd_open_end
    for start, end, replacement in sorted(edits, key=lambda e: e[:2]):  # inserts come first
        pieces += [xml[pos:start], replacement]
        pos = end
    pieces.append(xml[pos : layout.sd_close])
    return b"".join(pieces), formulas


_CELL_START = re.compile(rb"<c[\s/>]")
_REF_ATTR = re.compile(rb"\sr\s*=\s*[\"']([A-Za-z]{1,3}[0-9]+)[\"']")
_SPANS = re.compile(rb"(\sspans\s*=\s*[\"'])([0-9]+):([0-9]+)([\"'])")


def _appended_row(
    xml: bytes, layout: _Layout, num: int, writes: Mapping[int, _Cell]
) -> tuple[int, int, bytes] | None:
    """Row ``num`` with ``writes`` appended after its last cell, as ``(start, end, bytes)``
    to splice in; None unless that is all it takes (then the row is parsed instead).

    Only plain rows qualify: existing, unprefixed, not self-closing, no extension list, its
    last cell carrying an ``r``, and every write to the right of that cell.
    """
    i = bisect.bisect_left(layout.row_nums, num)
    if i == len(layout.row_nums) or layout.row_nums[i] != num:
        return None
    if layout.row_closed[i] or layout.row_prefixes[i]:
        return None
    tag_end = layout.row_tag_ends[i]
    next_row = layout.row_starts[i + 1] if i + 1 < len(layout.row_starts) else layout.sd_close
    close = xml.find(b"</row>", tag_end, next_row)
    if close < 0 or xml.find(b"extLst", tag_end, close) >= 0:
        return None
    first = last = 0
    first_at = _CELL_START.search(xml, tag_end, close)
    if first_at is not None:
        first = _cell_col(xml, first_at.start(), close)
        last = _cell_col(xml, _last_cell_start(xml, first_at.start(), close), close)
        if not first or not last:
            return None
    if any(col <= last for col in writes):
        return None
    new = sorted((col, w) for col, w in writes.items() if w.kind != "delete")
    if not new:
        return (close, close, b"")
    added = "".join(_cell_xml(_ref(num, col), w) for col, w in new).encode()
    start = layout.row_starts[i]
    tag = _grown_row_tag(xml[start:tag_end], _least_height(writes))
    spans = _SPANS.search(tag)
    if spans is not None:  # as _update_spans: first to last cell
        wide = f"{first or new[0][0]}:{new[-1][0]}".encode()
        tag = tag[: spans.start()] + spans.group(1) + wide + spans.group(4) + tag[spans.end() :]
    return (start, close, tag + xml[tag_end:close] + added)


_HT = re.compile(rb"\s(?:ht|customHeight)\s*=\s*(?:\"[^\"]*\"|'[^']*')")
_HT_VALUE = re.compile(rb"\sht\s*=\s*[\"']([^\"']*)[\"']")


def _grown_row_tag(tag: bytes, need: float) -> bytes:
    """A ``<row ...>`` start tag at least ``need`` points tall (as :func:`_rewrite_row`)."""
    found = _HT_VALUE.search(tag)
    if not need or need <= _int_or_float(found.group(1) if found else None):
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
    parsed = _parse_ref(ref.group(1).decode()) if ref else None
    return parsed[1] if parsed else 0


def _cell_xml(ref: str, write: _Cell) -> str:
    """One ``<c>`` element as text, as :func:`_fill_cell` builds it with lxml."""
    style = "" if write.s is None else f' s="{write.s}"'
    if write.kind == "str":
        text = _xml_text(_ooxml_escape(write.text))
        return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if write.kind == "num":
        return f'<c r="{ref}"{style}><v>{write.text}</v></c>'
    if write.kind == "bool":
        return f'<c r="{ref}"{style} t="b"><v>{write.text}</v></c>'
    return f'<c r="{ref}"{style}/>'  # blank: a styled, empty cell


def _xml_text(text: str) -> str:
    """Escape character data as lxml does (a carriage return must survive parsing)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


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


# --------------------------------------------------------------------------- put_sheet


def _check_sheet_name(name: str) -> None:
    problem = None
    if not name or len(name) > 31:
        problem = "must be 1 to 31 characters long"
    elif _BAD_SHEET_NAME.search(name):
        problem = "must not contain : \\ / ? * [ ]"
    elif name.startswith("'") or name.endswith("'"):
        problem = "must not start or end with an apostrophe"
    elif name.casefold() == "history":
        problem = "'History' is reserved by Excel"
    if problem:
        raise ValueError(f"invalid sheet name {name!r}: {problem}")


def _check_sheet_xml(sheet_xml: bytes) -> None:
    """Refuse XML that is not a well-formed worksheet, or that references relationships.

    Parsed into no tree at all (a parser target sees each start tag): a prep tab of 100,000
    cells would otherwise be held as a whole tree beside its bytes.
    """
    target = _SheetXmlCheck(rel_attrs=_REL_NS.encode() in sheet_xml)
    parser = etree.XMLParser(
        target=target, resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False
    )
    try:
        etree.fromstring(sheet_xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"sheet_xml is not well-formed: {exc}") from exc
    if target.problem:
        raise ValueError(target.problem)


class _SheetXmlCheck:
    """lxml parser target: notes the first reason a sheet part may not be put in."""

    def __init__(self, *, rel_attrs: bool) -> None:
        self.rel_attrs = rel_attrs  # False: the namespace is absent, no attribute can use it
        self.problem = ""
        self._root_seen = False

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        if not self._root_seen:
            self._root_seen = True
            if tag != _w("worksheet"):
                self.problem = self.problem or "sheet_xml must be a SpreadsheetML <worksheet>"
        if self.rel_attrs and any(a.startswith("{" + _REL_NS + "}") for a in attrib):
            self.problem = (
                self.problem or "sheet_xml must not reference relationships (r:id attributes)"
            )

    def end(self, tag: str) -> None:
        """Nothing to do at an end tag."""

    def close(self) -> None:
        """Nothing to return: the parse only checks."""


def _replace_sheet(pkg: _Package, sheet: SheetRef, sheet_xml: bytes, edit: _Edit) -> None:
    if sheet.kind != "worksheet" or not sheet.part:
        raise SourceError(
            f"Tab {sheet.name!r} exists but is a {sheet.kind}; rename it or choose another "
            "name for sheetsync's tab in sheetsync.toml."
        )
    if _read_rels(pkg, sheet.part):
        raise WriteRefused(
            f"Tab {sheet.name!r} has drawings, comments or links that replacing it would "
            "orphan. Remove them from that tab (it is managed by sheetsync), or rename it."
        )
    if pkg.read(sheet.part) != sheet_xml:
        edit.replace[sheet.part] = sheet_xml


def _add_sheet(pkg: _Package, book: _Book, name: str, sheet_xml: bytes, edit: _Edit) -> None:
    root = _parse(pkg.read(book.part), book.part)
    protection = root.find(_w("workbookProtection"))
    if protection is not None and protection.get("lockStructure", "0") in ("1", "true"):
        raise WriteRefused(
            "The workbook's structure is protected, so sheetsync cannot add its tab. "
            "Unprotect the structure in Excel (Review > Protect Workbook) or add a tab named "
            f"{name!r} yourself."
        )
    part = _free_part_name(pkg, "xl/worksheets/sheet{}.xml")
    target = posixpath.relpath(part, posixpath.dirname(book.part))
    r_id = _add_relationship(pkg, book.part, _RT_WORKSHEET, target, edit)
    sheets = root.find(_w("sheets"))
    if sheets is None:
        raise SourceError(f"{book.part!r} lists no sheets; save the file from Excel again.")
    el = etree.SubElement(sheets, _w("sheet"))
    el.set("name", name)
    el.set("sheetId", str(max([0, *(s.sheet_id for s in book.sheets)]) + 1))
    el.set(_q(_REL_NS, "id"), r_id)
    edit.replace[book.part] = _serialize(root)
    edit.add[part] = sheet_xml
    _add_override(pkg, part, _CT_WORKSHEET, edit)


def _free_part_name(pkg: _Package, pattern: str) -> str:
    n = 1
    while pkg.find(pattern.format(n)) is not None:
        n += 1
    return pattern.format(n)


def _current(pkg: _Package, name: str, edit: _Edit) -> etree._Element | None:
    """A part as already edited (or as stored), parsed; None when absent."""
    if name in edit.replace or name in edit.add:
        return _parse(edit.replace.get(name) or edit.add[name], name)
    stored = pkg.find(name)
    return None if stored is None else _parse(pkg.read(stored), stored)


def _store(pkg: _Package, name: str, root: etree._Element, edit: _Edit) -> None:
    stored = pkg.find(name)
    if stored is None:
        edit.add[name] = _serialize(root)
    else:
        edit.replace[stored] = _serialize(root)


def _add_relationship(pkg: _Package, source: str, rel_type: str, target: str, edit: _Edit) -> str:
    name = _rels_name(source)
    root = _current(pkg, name, edit)
    if root is None:
        root = etree.fromstring(f'<Relationships xmlns="{_PKG_REL_NS}"/>'.encode())
    ids = {rel.get("Id") for rel in root}
    n = len(ids) + 1
    while f"rId{n}" in ids:
        n += 1
    rel = etree.SubElement(root, _q(_PKG_REL_NS, "Relationship"))
    rel.set("Id", f"rId{n}")
    rel.set("Type", rel_type)
    rel.set("Target", target)
    _store(pkg, name, root, edit)
    return f"rId{n}"


def _remove_relationship(pkg: _Package, source: str, r_id: str, edit: _Edit) -> None:
    name = _rels_name(source)
    root = _current(pkg, name, edit)
    if root is None:
        return
    for rel in list(root):
        if rel.get("Id") == r_id:
            root.remove(rel)
    _store(pkg, name, root, edit)


def _add_override(pkg: _Package, part: str, content_type: str, edit: _Edit) -> None:
    root = _content_types(pkg, edit)
    el = etree.SubElement(root, _q(_CT_NS, "Override"))
    el.set("PartName", "/" + part)
    el.set("ContentType", content_type)
    _store(pkg, "[Content_Types].xml", root, edit)


def _remove_override(pkg: _Package, part: str, edit: _Edit) -> None:
    root = _content_types(pkg, edit)
    for el in list(root.iterchildren(_q(_CT_NS, "Override"))):
        if el.get("PartName", "").lstrip("/").lower() == part.lower():
            root.remove(el)
    _store(pkg, "[Content_Types].xml", root, edit)


def _content_types(pkg: _Package, edit: _Edit) -> etree._Element:
    root = _current(pkg, "[Content_Types].xml", edit)
    if root is None:
        raise SourceError(
            "The package has no [Content_Types].xml, so it is not a valid .xlsx file. Open it "
            "in Excel or LibreOffice and save it as an Excel Workbook (.xlsx)."
        )
    return root


def register_styles(data: bytes, styles: Sequence[CellStyle]) -> tuple[bytes, list[int]]:
    """Make sure each style exists in ``xl/styles.xml``; return the package and their xf ids.

    Identical styles already present are reused, so registering twice changes nothing.
    """
    writer = PackageWriter(data)
    ids = writer.register_styles(styles)
    return writer.to_bytes(), ids


def _register_styles(pkg: _Package, styles: Sequence[CellStyle]) -> list[int]:
    book_styles = _StyleBook(pkg, _read_workbook(pkg))
    ids = [book_styles.xf_id(style) for style in styles]
    edit = _Edit()
    book_styles.save_into(edit)
    pkg.commit(edit)
    return ids
