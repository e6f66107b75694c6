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

The package is split by concept: :mod:`.ooxml` (vocabulary), :mod:`.model` (public types),
:mod:`.zipped` (the zip), :mod:`.workbook`, :mod:`.cells`, :mod:`.styles`, :mod:`.scan`
(finding rows as bytes), :mod:`.rows` (rewriting parsed rows), :mod:`.patch` (one sheet),
:mod:`.sheets` (a whole tab), :mod:`.limits` (what a read may cost). This module holds the
public functions and re-exports the public types.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from sheetsync.backends.xlsx_package.limits import (
    _check_unzipped_size,
    _formulas_without_values,
    _row_bands,
)
from sheetsync.backends.xlsx_package.model import (
    CellStyle,
    CellWrite,
    PackageInfo,
    ReadLimits,
    SheetFacts,
)
from sheetsync.backends.xlsx_package.patch import _patch_cells
from sheetsync.backends.xlsx_package.scan import _error_cells, _row_end, _scan_sheet
from sheetsync.backends.xlsx_package.sheets import _put_sheet
from sheetsync.backends.xlsx_package.styles import _register_styles
from sheetsync.backends.xlsx_package.workbook import _features, _has_vba, _read_workbook, _worksheet
from sheetsync.backends.xlsx_package.zipped import (
    _Edit,
    _Package,
    _rebuild,
    changed_parts,
    copied_entries_differ,
    shared_reads,
)

if TYPE_CHECKING:
    from sheetsync.models import TableGrowth
from sheetsync.backends.xlsx_package.cells import clean_text, col_letters, excel_serial, inline_text
from sheetsync.backends.xlsx_package.model import SheetRef

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
    "copied_entries_differ",
    "excel_serial",
    "inline_text",
    "inspect_package",
    "patch_cells",
    "put_sheet",
    "row_band_package",
    "shared_reads",
    "sheet_facts",
]

log = logging.getLogger("sheetsync")


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


def sheet_facts(
    data: bytes, sheet_name: str, limits: ReadLimits | None = None, *, formulas: bool = True
) -> SheetFacts:
    """The facts from one read of the sheet's part (it may be tens of megabytes).

    Raises :class:`SourceError` naming a cell when one block of the tab would exceed
    ``limits.max_cells``. ``formulas=False`` skips counting the formulas without a result
    (then 0): a reader that compares values only does not need them.
    """
    pkg = _Package(data)
    sheet = _worksheet(_read_workbook(pkg), sheet_name)
    xml = pkg.read(sheet.part)
    bands = _row_bands(xml, sheet.name, limits or ReadLimits())
    unvalued = _formulas_without_values(xml) if formulas else 0
    return SheetFacts(_error_cells(xml, sheet.part), unvalued, bands)


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
        self,
        sheet_name: str,
        sheet_xml: bytes | Iterable[bytes],
        *,
        title_rows: tuple[int, int] | None = None,
    ) -> None:
        """Add or replace a worksheet part (see :func:`put_sheet`); ``sheet_xml`` may come as
        chunks, deflated as they come (they must not mention relationships at all)."""
        _put_sheet(self._pkg, sheet_name, sheet_xml, title_rows)

    def grow_tables(self, sheet_name: str, growth: Sequence[TableGrowth]) -> None:
        """Widen tables/filters over new managed columns (see :mod:`.xlsx_tables`)."""
        from sheetsync.backends import xlsx_tables  # it builds on this package's helpers

        xlsx_tables.grow(self._pkg, sheet_name, growth)

    def read(self, part: str) -> bytes:
        """One part's content as the edits so far left it."""
        return self._pkg.read(part)

    def to_bytes(self) -> bytes:
        """The edited package; the original bytes themselves when nothing changed."""
        return _rebuild(self._pkg) if self._pkg.edited else self._data


def register_styles(data: bytes, styles: Sequence[CellStyle]) -> tuple[bytes, list[int]]:
    """Make sure each style exists in ``xl/styles.xml``; return the package and their xf ids.

    Identical styles already present are reused, so registering twice changes nothing.
    """
    writer = PackageWriter(data)
    ids = writer.register_styles(styles)
    return writer.to_bytes(), ids
