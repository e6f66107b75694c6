"""What reading a workbook may cost: the unzipped size (zip bombs), the cells of one block of
a tab, and formula cells saved without a result.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator

from sheetsync.backends.xlsx_package.cells import _col_number, col_letters
from sheetsync.backends.xlsx_package.model import ReadLimits
from sheetsync.backends.xlsx_package.scan import _R_ATTR, _scan_sheet
from sheetsync.backends.xlsx_package.zipped import _Package, _raw_span
from sheetsync.errors import SourceError

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
