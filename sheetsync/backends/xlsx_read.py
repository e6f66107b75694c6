"""Reading an .xlsx tracker: its bytes once, checked, then every worksheet's values.

The file's bytes are read once and fingerprinted (size, mtime, SHA-256); the package is
inspected within the read limits before anything is inflated; python-calamine parses the values
from those bytes (formulas give their cached values, as every non-recalculating reader sees
them) and formula errors are overlaid from the sheet XML. The same code reads the written tab
back for verification (:func:`written_rows`).

**Reading early.** A command that checks one .xlsx tracker spends a quarter of a second
loading pandas and the checks before it can use the tracker, and python-calamine parses
without holding the interpreter's lock. So the command line loads the checks on a second
thread and meanwhile calls :func:`read_early`, which keeps the read; the backend's
:func:`read_workbook` then takes it or, when none was kept for this file and these limits or
the file changed since, reads now. Either way the result is the same read of the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sheetsync.backends import source_bytes, xlsx_tables
from sheetsync.backends.xlsx_package import (
    PackageInfo,
    ReadLimits,
    SheetFacts,
    changed_parts,
    copied_entries_differ,
    inspect_package,
    row_band_package,
    shared_reads,
    sheet_facts,
)
from sheetsync.errors import SourceError
from sheetsync.grid import CellError, CellValue, MergedRange, Tab

SUPPORTED = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Fingerprint:
    """Enough to tell that a file changed since it was read."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path, data: bytes) -> Fingerprint:
        """Fingerprint ``data`` as read from ``path``."""
        st = path.stat()
        return cls(len(data), st.st_mtime_ns, hashlib.sha256(data).hexdigest())

    def same_file(self, path: Path, data: bytes) -> bool:
        """Whether ``path`` still holds exactly ``data`` (read with this fingerprint), with
        the same size and modification time."""
        try:
            st = path.stat()
            if (st.st_size, st.st_mtime_ns) != (self.size, self.mtime_ns):
                return False
            return path.read_bytes() == data
        except OSError:
            return False


def sniff(path: Path, data: bytes) -> None:
    """Refuse files that are not an .xlsx package, saying what they are and what to do."""
    name = path.name
    if not data:
        raise SourceError(
            f"{name} is empty (0 bytes). Restore it from a backup, or run "
            "`sheetsync init` to start a new tracker."
        )
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise SourceError(
            f"{name} is password-protected or an old .xls workbook. sheetsync reads .xlsx: "
            "remove the password (or save as .xlsx) in Excel or LibreOffice, then try again."
        )
    if data[:4] != b"PK\x03\x04":
        kind = "a CSV or text file" if _looks_like_text(data) else "not an .xlsx workbook"
        raise SourceError(
            f"{name} is {kind}. sheetsync works with .xlsx/.xlsm workbooks and Google Sheets: "
            "open it in Excel or LibreOffice and save it as .xlsx."
        )


def _looks_like_text(data: bytes) -> bool:
    head = data[:2048]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def read_bytes(path: Path) -> bytes:
    """The workbook's bytes, or a :class:`SourceError` saying what is wrong with the path."""
    if path.is_dir():
        raise SourceError(f"{path} is a folder, not a workbook. Give the .xlsx file.")
    if path.suffix.lower() not in SUPPORTED:
        hint = " (Google Sheets: pass its URL)" if path.suffix == "" else ""
        raise SourceError(
            f"{path} is a '{path.suffix or 'no extension'}' file; sheetsync works "
            f"with .xlsx/.xlsm workbooks and Google Sheets{hint}. Save it as .xlsx first."
        )
    return source_bytes(path, "workbook")


@dataclass(frozen=True)
class WorkbookRead:
    """One read of a workbook: its bytes, their fingerprint, the package and its worksheets."""

    data: bytes
    fingerprint: Fingerprint
    info: PackageInfo
    tabs: list[Tab]


def read_limits(max_unzipped_mb: int, max_cells: int) -> ReadLimits:
    """The read limits of the settings ``max_unzipped_mb`` and ``max_cells``."""
    return ReadLimits(max_unzipped_mb * 2**20, max_cells)


def read_now(path: Path, limits: ReadLimits) -> WorkbookRead:
    """Read the workbook at ``path``: bytes, sniffed, package inspected, every worksheet parsed."""
    data = read_bytes(path)
    sniff(path, data)
    info = inspect_package(data, limits)
    tabs = parse_tabs(data, info, limits)
    return WorkbookRead(data, Fingerprint.of(path, data), info, tabs)


_early: tuple[tuple[str, ReadLimits], WorkbookRead] | None = None  # read early, not yet taken
_early_lock = threading.Lock()


def read_early(source: str, limits: ReadLimits) -> bool:
    """Read ``source`` now when it is an .xlsx/.xlsm file, and keep the read for
    :func:`read_workbook`; return whether it was read. A read that fails keeps nothing: the
    backend's own read then raises the error, where the command expects it."""
    global _early
    with _early_lock:
        _early = None  # an earlier read not taken is let go, whatever this one does
    path = Path(source)
    if path.suffix.lower() not in SUPPORTED or not path.is_file():
        return False
    try:
        read = read_now(path, limits)
    except Exception:  # raised again, in its place, by read_workbook
        return False
    with _early_lock:
        _early = ((os.path.abspath(path), limits), read)
    return True


def read_workbook(path: Path, limits: ReadLimits) -> WorkbookRead:
    """The read :func:`read_early` kept for this file and these limits, else a read now.

    A kept read is used once, and only while the file still holds exactly the bytes read, with
    the same size and modification time (a file saved in between is read again)."""
    global _early
    with _early_lock:
        early, _early = _early, None
    if early is None or early[0] != (os.path.abspath(path), limits):
        return read_now(path, limits)
    read = early[1]
    if not read.fingerprint.same_file(path, read.data):
        return read_now(path, limits)
    return read


# ---------------------------------------------------------------------- parsing


def parse_tabs(data: bytes, info: PackageInfo, limits: ReadLimits) -> list[Tab]:
    """Every worksheet of the package (chartsheets and dialog sheets are not read)."""
    book = open_book(data)
    tabs = []
    for ref in info.sheets:
        if ref.kind != "worksheet" or ref.name not in book.sheet_names:
            continue
        tabs.append(read_tab(book, ref.name, data, hidden=ref.state != "visible", limits=limits))
    return tabs


def open_book(data: bytes) -> Any:
    """python-calamine's workbook over ``data``, or a :class:`SourceError` saying what to do."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for corrupt packages
        raise SourceError(
            f"Cannot read the workbook: {exc}. Is the file complete? Open and "
            "re-save it in Excel or LibreOffice, or restore a backup."
        ) from exc


def read_tab(
    book: Any, name: str, data: bytes, *, hidden: bool, limits: ReadLimits, areas: bool = True
) -> Tab:
    """Tab ``name`` of the calamine ``book`` read from ``data`` (see :func:`_read_tab`); a tab
    calamine or lxml cannot read is a :class:`SourceError` saying what to do."""
    try:
        return _read_tab(book, name, data, hidden=hidden, limits=limits, areas=areas)
    except SourceError:
        raise
    except Exception as exc:  # calamine and lxml raise their own types for damaged parts
        raise damaged_tab(name, exc) from exc


def damaged_tab(name: str, exc: Exception) -> SourceError:
    """The error for a tab calamine or lxml could not read, with what to do."""
    return SourceError(
        f"Cannot read tab '{name}': {exc}. Open and re-save the workbook "
        "in Excel or LibreOffice, or restore a backup."
    )


def _read_tab(
    book: Any, name: str, data: bytes, *, hidden: bool, limits: ReadLimits, areas: bool = True
) -> Tab:
    """One tab's values (errors overlaid), merged ranges and, with ``areas``, its tables and
    conditional-format ranges."""
    # first: it refuses a tab too large to read; verification (no areas) compares values only
    with shared_reads(data):  # the sheet inflated once for both scans, let go before calamine
        facts = sheet_facts(data, name, limits, formulas=areas)
        tables, rule_ranges = xlsx_tables.sheet_areas(data, name) if areas else ([], [])
    if facts.bands:
        rows, ranges = read_bands(data, name, facts.bands)
    else:
        sheet = book.get_sheet_by_name(name)
        rows = list(sheet_rows(sheet, shared=True))
        ranges = sheet.merged_cell_ranges or []
    overlay_errors(rows, facts.errors)
    merged = [MergedRange(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in ranges]
    tab = Tab(name, rows, merged, hidden, facts.formulas_without_values)
    tab.tables, tab.rule_ranges = tables, rule_ranges
    return tab


def sheet_rows(sheet: Any, *, shared: bool = False) -> Iterator[list[CellValue]]:
    """The sheet's rows from row 1 and column A, an empty cell as None, one row at a time
    (as ``to_python(skip_empty_area=False)`` gives them, without holding them all twice);
    with ``shared``, each text and date held once (see :func:`shared_values`).

    calamine's row iterator starts at row 1 but at the first column holding anything: the
    columns to its left are put back as empty cells."""
    start = sheet.start
    left: list[CellValue] = [None] * (start[1] if start else 0)
    calamine_rows = sheet.iter_rows()
    rows = (
        shared_values(calamine_rows)
        if shared
        else ([None if v == "" else v for v in values] for values in calamine_rows)
    )
    for row in rows:
        yield [*left, *row] if left else row


_SHAREABLE = (str, dt.date, dt.datetime)


def shared_values(rows: Iterable[Sequence[CellValue]]) -> Iterator[list[CellValue]]:
    """The rows, an empty text as None and each text and date held once however many cells
    show it (calamine makes a new object for every cell; a tracker repeats its organisations,
    channels and dates thousands of times, and the grid is kept for the whole sync). Equal
    values of one type only: 1, 1.0 and True stay apart. One pass over each row: this runs
    while pandas loads on the other thread, and every pass waits its turn for the lock."""
    seen: dict[CellValue, CellValue] = {}
    share = seen.setdefault
    for row in rows:
        yield [None if v == "" else share(v, v) if type(v) in _SHAREABLE else v for v in row]


def overlay_errors(rows: list[list[CellValue]], errors: Mapping[tuple[int, int], str]) -> None:
    """Put each formula error (``{(row, col): code}``, 1-based) into ``rows``."""
    for (r, c), code in errors.items():
        while len(rows) < r:
            rows.append([])
        rows[r - 1].extend([None] * (c - len(rows[r - 1])))
        rows[r - 1][c - 1] = CellError(code)


def read_bands(
    data: bytes, name: str, bands: Sequence[tuple[int, int]]
) -> tuple[list[list[CellValue]], list[Any]]:
    """Read a tab block by block, so the empty rows between blocks are never a grid."""
    rows: list[list[CellValue]] = []
    ranges: list[Any] = []
    for first, last in bands:
        sheet = open_book(row_band_package(data, name, first, last)).get_sheet_by_name(name)
        if not sheet.height:
            continue  # only formatted cells, no values
        top, left = sheet.start
        rows.extend([] for _ in range(top - len(rows)))
        for values in sheet.to_python(skip_empty_area=True):
            rows.append([None] * left + [None if v == "" else v for v in values])
        ranges = ranges or list(sheet.merged_cell_ranges or [])
    return rows, ranges


class ParseAhead:
    """Reading tab ``name`` of the package ``data`` back on a second thread (python-calamine
    parses without holding the interpreter's lock), for :func:`written_rows` to take later.

    A sync starts it once the contacts tab is written and only the prep tab is still to come.
    The thread first scans the tab for its formula errors and row blocks (the part inflated
    and let go again), then parses it. The verification takes both only if every input of
    that read is the same in the final package (see :meth:`read_for`), and otherwise reads
    the final package."""

    def __init__(self, data: bytes, name: str, limits: ReadLimits) -> None:
        self.data, self.name, self.limits = data, name, limits
        self._read: tuple[SheetFacts, Any] | None = None
        self._thread = threading.Thread(target=self._parse, name="sheetsync-verify", daemon=True)
        self._thread.start()

    def _parse(self) -> None:
        try:
            facts = sheet_facts(self.data, self.name, self.limits, formulas=False)
            sheet = None if facts.bands else open_book(self.data).get_sheet_by_name(self.name)
            self._read = (facts, sheet)
        except Exception:  # the final package is read instead, and raises in its place
            self._read = None

    def read_for(self, data: bytes, name: str) -> tuple[SheetFacts, Any] | None:
        """The tab's facts and parsed sheet (None for a tab read block by block), if ``data``
        reads tab ``name`` from the very same inputs: the same part for the tab, the same date
        system, and every zip entry the same but for the workbook's list of tabs, its
        relationships, its content types and parts added (a new tab); else None."""
        self._thread.join()
        if self._read is None or name != self.name:
            return None
        before, after = inspect_package(self.data), inspect_package(data)
        part = before.sheet(name).part
        if after.sheet(name).part != part or before.date1904 != after.date1904:
            return None
        listing = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
        changed = changed_parts(self.data, data) - listing - (set(after.parts) - set(before.parts))
        if changed or copied_entries_differ(self.data, data, [part]):
            return None
        return self._read


def written_rows(
    data: bytes, name: str, limits: ReadLimits, ahead: ParseAhead | None = None
) -> Iterator[list[CellValue]]:
    """Tab ``name``'s values as :func:`_read_tab` reads them (errors overlaid), one row at a
    time: verification compares each with the row read before, and never holds the written
    tab as a second grid. (Values only: the written file's tables are not read; a grown
    table has its own check.) ``ahead``: a read of the tab begun earlier, used when its
    inputs are those of ``data``."""
    try:
        early = ahead.read_for(data, name) if ahead is not None else None
        facts, sheet = early or (sheet_facts(data, name, limits, formulas=False), None)
        if facts.bands:  # far-apart blocks: read as the first read did, block by block
            rows, _ = read_bands(data, name, facts.bands)
            overlay_errors(rows, facts.errors)
            yield from rows
            return
        errors: dict[int, dict[int, str]] = {}
        for (r, c), code in facts.errors.items():
            errors.setdefault(r, {})[c] = code
        if sheet is None:
            sheet = open_book(data).get_sheet_by_name(name)
        last = 0
        for last, row in enumerate(sheet_rows(sheet), 1):
            yield _with_errors(row, errors.pop(last, {}))
        for r in range(last + 1, max(errors, default=last) + 1):  # errors past the last row
            yield _with_errors([], errors.get(r, {}))
    except SourceError:
        raise
    except Exception as exc:  # calamine and lxml raise their own types for damaged parts
        raise damaged_tab(name, exc) from exc


def _with_errors(row: list[CellValue], errors: Mapping[int, str]) -> list[CellValue]:
    """``row`` with the formula errors of ``{col: code}`` put in (as :func:`_overlay_errors`)."""
    for c, code in errors.items():
        row.extend([None] * (c - len(row)))
        row[c - 1] = CellError(code)
    return row
