"""The .xlsx backend: read once from bytes, write by patching the package, replace atomically.

Reading: the file's bytes are read once and fingerprinted (size, mtime, SHA-256); python-calamine
parses the values from those bytes (formulas give their cached values, as every
non-recalculating reader sees them) and formula errors are overlaid from the sheet XML.

Writing never round-trips the workbook through openpyxl, which would wipe every formula's
cached value and drop charts, images and controls. Instead only the managed cells are patched
into the contacts sheet's XML (see :mod:`sheetsync.backends.xlsx_package`); every other part
of the package is copied byte for byte. Before the file is replaced the result is verified
(part inventory, and every user cell re-read and compared), Excel/LibreOffice lock files and
changes since the read stop the write, the old file is kept as a backup, and the new one is
put in place by :mod:`sheetsync.files` (temp file in the same folder, fsync, then an atomic
compare-and-swap) — so a crash at any moment leaves the old file or the new one, both readable,
and another program's save in the meantime is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from sheetsync import files, handoff, printing
from sheetsync.backends import Applied, xlsx_formats, xlsx_tables
from sheetsync.backends.xlsx_package import (
    CellStyle,
    CellWrite,
    PackageInfo,
    PackageWriter,
    ReadLimits,
    changed_parts,
    copied_entries_differ,
    inspect_package,
    shared_reads,
)
from sheetsync.backends.xlsx_read import Fingerprint, ParseAhead, read_workbook, written_rows
from sheetsync.errors import FileLockedError, SourceChangedError, WriteRefused
from sheetsync.files import lock_files
from sheetsync.grid import CellValue, Grid, Tab
from sheetsync.managed import MAIL, MANAGED_COLUMNS
from sheetsync.models import Plan, PrepPlan

log = logging.getLogger("sheetsync")

DATE_FORMAT = "yyyy-mm-dd"

STYLES: dict[str, CellStyle] = {
    "header": CellStyle(bold=True, fill="1F4E78", font_color="FFFFFF"),
    # status and next-step text wraps inside its column (rows grow to fit: see _heights)
    "overdue": CellStyle(bold=True, fill="FFC7CE", font_color="9C0006", wrap=True),
    "due": CellStyle(fill="FFEB9C", font_color="9C5700", wrap=True),
    "soon": CellStyle(fill="DDEBF7", font_color="1F4E78", wrap=True),
    "info": CellStyle(font_color="595959", wrap=True),
    "data": CellStyle(fill="E4DFEC", font_color="5B3F86", wrap=True),
    "ok": CellStyle(font_color="375623", wrap=True),
}


class XlsxBackend:
    """A tracker in an .xlsx/.xlsm file.

    ``output``: write the synced workbook there instead of replacing the source.
    ``backups``: how many previous versions to keep in ``backup_dir`` (default: a
    ``.sheetsync-backups`` folder beside the workbook), besides the original.
    ``protected``: files the ``output`` copy must never replace (the trackers and config in
    play; the source itself always is). ``limits``: how large a workbook is read (past them
    it is refused with a message, in bounded memory).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        output: str | Path | None = None,
        backups: int = 3,
        backup_dir: str | Path | None = None,
        protected: files.Protected = files.NOTHING,
        limits: ReadLimits | None = None,
    ) -> None:
        self.path = Path(path)
        self.protected = protected.plus([str(path)])
        self.limits = limits or ReadLimits()
        self.output = Path(output) if output else None
        self.backups = backups
        self.backup_dir = files.backup_dir_for(self.path, Path(backup_dir) if backup_dir else None)
        self._data: bytes | None = None
        self._fingerprint: Fingerprint | None = None
        self._tabs_read: dict[str, Tab] = {}
        self._info: PackageInfo | None = None

    @property
    def unticked(self) -> CellValue:
        """An empty checkbox in the prep tab."""
        return "☐"

    @property
    def name(self) -> str:
        """The workbook's path as given."""
        return str(self.path)

    # ------------------------------------------------------------------ read

    def read(self) -> Grid:
        """Read the workbook's bytes once and parse every worksheet from them (or take the
        read :func:`~sheetsync.backends.xlsx_read.read_early` kept for this file)."""
        read = read_workbook(self.path, self.limits)
        self._info = read.info
        grid = Grid(self.name, read.tabs, date1904=read.info.date1904)
        self._tabs_read = {tab.name: tab for tab in grid.tabs}
        self._data, self._fingerprint = read.data, read.fingerprint
        return grid

    # ------------------------------------------------------------------ write

    def apply(self, plan: Plan) -> Applied:
        """Patch the plan's cells into the workbook and replace the file safely."""
        self._check_target()  # even with nothing to write: `-o` over a tracker is an error
        if plan.is_empty:
            return self._copy_unchanged()
        data = self._require_read()
        target = self.output or self.path
        self._check_locks(target)
        self._check_unchanged()
        with handoff.helpers_running():  # deflating, checking and parsing back on threads
            patched = self._patched(data, plan)
        if patched is data:  # e.g. a table found changed at write time: nothing to write
            return self._copy_unchanged()
        self._check_locks(target)
        self._check_unchanged()
        if self.output is None:
            backup = self._backup(data)
            files.replace_tracker(self.path, patched, expected=data)
        else:
            backup = None
            files.write_output(self.output, patched, files.Kind.COPY, protected=self.protected)
        return Applied(
            written=True,
            backup=backup,
            output=str(self.output) if self.output else None,
            cells=len(plan.changes),
        )

    def _patched(self, data: bytes, plan: Plan) -> bytes:
        """The workbook with the plan written into it, verified (``data`` itself when the
        plan changes nothing in it)."""
        writer = PackageWriter(data)
        if plan.changes:
            with shared_reads(data):  # the date format and the patch read the sheet once
                self._patch(writer, plan)
        if plan.tables:
            writer.grow_tables(plan.worksheet, plan.tables)
        ahead = None
        if plan.prep is not None:
            from sheetsync.backends import xlsx_prep  # only a sync writes the prep tab

            ids = writer.register_styles(xlsx_prep.styles_needed())
            if plan.changes:  # the contacts tab is final: parse it while the prep tab is made
                ahead = ParseAhead(writer.to_bytes(), self._sheet_name(plan.worksheet), self.limits)
            self._put_prep(writer, plan.prep, ids)
        patched = writer.to_bytes()
        del writer  # its edited parts (the sheet, the prep tab) are in `patched` now
        if patched is not data:
            self._verify(data, patched, plan, ahead)
        return patched

    def _copy_unchanged(self) -> Applied:
        """Nothing to change: the tracker stays untouched, but an asked-for copy is still
        written (the workbook as it is), so `sync -o copy.xlsx` always leaves a copy."""
        if self.output is None:
            return Applied(written=False)
        data = self._require_read()
        self._check_unchanged()
        files.write_output(self.output, data, files.Kind.COPY, protected=self.protected)
        return Applied(written=True, output=str(self.output), cells=0)

    def _require_read(self) -> bytes:
        if self._data is None:
            raise RuntimeError("read() must come before apply()")
        return self._data

    def _check_target(self) -> None:
        """Refuse early what the final write would refuse (a copy over a tracker, a hard link)."""
        if self.output is not None:
            files.check_output(self.output, files.Kind.COPY, self.protected)
        else:
            files.check_tracker(self.path)

    def _check_locks(self, target: Path) -> None:
        locks = lock_files(target)
        if locks:
            raise FileLockedError(
                f"{target.name} is open in Excel or LibreOffice (lock file {locks[0].name}). "
                "Close it and run sync again, or pass --output copy.xlsx to write a copy."
            )

    def _check_unchanged(self) -> None:
        assert self._fingerprint is not None
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise SourceChangedError(
                f"{self.path} can no longer be read ({exc}). Nothing was written."
            ) from exc
        if Fingerprint.of(self.path, data) != self._fingerprint:
            raise SourceChangedError(
                f"{self.path.name} changed since sheetsync read it (saved from Excel or another "
                "program?). Nothing was written: run sync again."
            )

    def _patch(self, writer: PackageWriter, plan: Plan) -> None:
        assert self._data is not None and self._info is not None
        part = self._info.sheet(plan.worksheet).part
        own = plan.column_of.values()
        dates = xlsx_formats.date_format(writer.read, part, own) or DATE_FORMAT
        heights = _heights(plan)
        made: dict[tuple[object, ...], CellWrite] = {}  # one object per distinct write
        writes = {}
        for c in plan.changes:
            height = heights.get(c.row)
            key = (type(c.new), c.new, c.style, height)  # all the write depends on
            write = made.get(key)
            if write is None:
                style = _style(c.style, c.new, dates)
                write = made[key] = CellWrite(_writable(c.new), style, height)
            writes[(c.row, c.col)] = write
        widths = {plan.column_of[h]: w for h, w in _widths().items() if h in plan.new_columns}
        writer.patch_cells(plan.worksheet, writes, column_widths=widths)

    def _sheet_name(self, worksheet: str) -> str:
        assert self._info is not None
        return self._info.sheet(worksheet).name

    def _put_prep(self, writer: PackageWriter, prep: PrepPlan, ids: list[int]) -> None:
        from sheetsync.backends import xlsx_prep  # only a sync writes the prep tab

        style_ids = dict(zip(xlsx_prep.KIND_STYLES, ids, strict=True))
        date1904 = self._info.date1904 if self._info else False
        xml = xlsx_prep.sheet_chunks(prep, style_ids, date1904)  # deflated as it is made
        writer.put_sheet(prep.tab, xml, title_rows=xlsx_prep.TITLE_ROWS)

    def _verify(
        self, before: bytes, after: bytes, plan: Plan, ahead: ParseAhead | None = None
    ) -> None:
        """Prove the patch touched nothing but managed cells before it replaces the file
        (``ahead``: the contacts tab's parse begun before the prep tab was added)."""
        assert self._info is not None
        info_after = inspect_package(after)
        allowed = {self._info.sheet(plan.worksheet).part, "xl/styles.xml", "xl/calcChain.xml"}
        if plan.prep is not None:
            allowed |= {
                info_after.sheet(plan.prep.tab).part,
                "xl/workbook.xml",
                "xl/_rels/workbook.xml.rels",
                "[Content_Types].xml",
            }
        grown = None  # how a grown table changed beyond its growth, if it did
        if plan.tables:
            allowed |= xlsx_tables.grown_parts(before, plan.worksheet, plan.tables)
            grown = xlsx_tables.unexpected_change(
                before, after, plan.worksheet, plan.tables, book=plan.prep is None
            )
        extra = changed_parts(before, after) - allowed
        extra |= set(copied_entries_differ(before, after, set(self._info.parts) - allowed))
        if extra or grown:
            raise WriteRefused(
                f"Internal check failed: the patch would change {grown or sorted(extra)}. "
                "Nothing was written; please report this."
            )
        old = self._tabs_read[plan.worksheet]  # as read: the rows are built by the same code
        written = written_rows(after, info_after.sheet(plan.worksheet).name, self.limits, ahead)
        bad = _first_difference(old, written, set(plan.column_of.values()))
        if bad:
            raise WriteRefused(
                f"Internal check failed: cell {bad} would change. Nothing was "
                "written; please report this."
            )

    def _backup(self, data: bytes) -> str | None:
        saved = files.backup(self.path, data, keep=self.backups, backup_dir=self.backup_dir)
        return str(saved) if saved else None


def _writable(value: CellValue) -> str | dt.date | float | int | None:
    """Managed cells hold text, dates or nothing; anything else is written as its text."""
    if value is None or isinstance(value, str | dt.date | int | float):
        return value
    return str(value)


def _style(name: str | None, value: object, date_format: str = DATE_FORMAT) -> CellStyle | None:
    """The managed cell's style; a date gets the tracker's own date format."""
    if isinstance(value, dt.date):
        return _date_style(name, date_format)
    return STYLES.get(name or "")


@functools.lru_cache(maxsize=64)
def _date_style(name: str | None, date_format: str) -> CellStyle:
    """The style ``name`` showing a date (one object for thousands of dated cells)."""
    base = STYLES.get(name or "") or CellStyle()
    return CellStyle(base.bold, base.fill, base.font_color, date_format, base.wrap)


def _heights(plan: Plan) -> dict[int, float]:
    """Rows whose managed text wraps to more than one line, and the height it needs."""
    width_of = {plan.column_of[h]: w for h, w in _widths().items() if h in plan.column_of}
    # a row's height is its tallest text's: each (text, width) is measured once (statuses
    # repeat in thousands of rows; a next step names its contact, so rows rarely do)
    known: dict[tuple[str, float], float] = {}
    heights: dict[int, float] = {}
    for c in plan.changes:
        if not (isinstance(c.new, str) and c.col in width_of and c.style != "header"):
            continue
        key = (c.new, width_of[c.col])
        height = known.get(key)
        if height is None:
            lines = printing.lines(*key)  # as printing.row_height([key]), without its loop
            height = known[key] = printing.LINE_POINTS * lines if lines > 1 else 0.0
        if height > heights.get(c.row, 0.0):
            heights[c.row] = height
    return heights


def _widths() -> dict[str, float]:
    return {c.header: c.width for c in (*MANAGED_COLUMNS, MAIL)}


def _first_difference(
    old: Tab, written: Iterable[Sequence[CellValue]], managed: set[int]
) -> str | None:
    """The first cell outside the ``managed`` columns whose value differs between ``old`` and
    the ``written`` rows (row 1 first), as "B7"."""
    spans_of: dict[int, list[tuple[int, int]]] = {}  # by row width: rows share a few widths
    last = 0
    for last, b in enumerate(written, 1):
        bad = _row_difference(last, old.row_values(last), b, managed, spans_of)
        if bad:
            return bad
    for r in range(last + 1, old.height + 1):  # rows read before and not written
        bad = _row_difference(r, old.row_values(r), (), managed, spans_of)
        if bad:
            return bad
    return None


def _row_difference(
    r: int,
    a: Sequence[CellValue],
    b: Sequence[CellValue],
    managed: set[int],
    spans_of: dict[int, list[tuple[int, int]]],
) -> str | None:
    """The first unmanaged cell of row ``r`` that differs between ``a`` and ``b``, as "B7"."""
    from sheetsync.grid import cell_ref

    if a == b:
        return None
    width = max(len(a), len(b))
    spans = spans_of.get(width)
    if spans is None:
        spans = spans_of[width] = _unmanaged_spans(managed, width)
    for lo, hi in spans:
        if a[lo:hi] == b[lo:hi]:
            continue  # whole spans compared at C speed
        if _span(a, lo, hi) != _span(b, lo, hi):  # (a read may stop at the last value)
            for c in range(lo + 1, hi + 1):
                if _at(a, c) != _at(b, c):
                    return cell_ref(r, c)
    return None


def _at(cells: Sequence[CellValue], col: int) -> CellValue:
    return cells[col - 1] if col <= len(cells) else None


def _unmanaged_spans(managed: set[int], width: int) -> list[tuple[int, int]]:
    """0-based ``[lo, hi)`` slices of a row of ``width`` cells that skip the managed columns."""
    spans, lo = [], 0
    for col in sorted(c for c in managed if c <= width):
        if col - 1 > lo:
            spans.append((lo, col - 1))
        lo = col
    if width > lo:
        spans.append((lo, width))
    return spans


def _span(cells: Sequence[CellValue], lo: int, hi: int) -> list[CellValue]:
    """``cells[lo:hi]`` padded with None to ``hi - lo`` cells."""
    part = list(cells[lo:hi])
    return part + [None] * (hi - lo - len(part))
