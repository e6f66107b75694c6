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
written to a temporary file in the same folder, fsynced and moved into place with
``os.replace`` — so a crash at any moment leaves the old file or the new one, both readable.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sheetsync.backends import Applied, xlsx_prep
from sheetsync.backends.xlsx_package import (
    CellStyle,
    CellWrite,
    PackageInfo,
    PackageWriter,
    changed_parts,
    inspect_package,
    sheet_facts,
)
from sheetsync.errors import FileLockedError, SourceChangedError, SourceError, WriteRefused
from sheetsync.grid import CellError, CellValue, Grid, MergedRange, Tab
from sheetsync.models import Plan, PrepPlan
from sheetsync.status import MAIL, MANAGED_COLUMNS

log = logging.getLogger("sheetsync")

SUPPORTED = (".xlsx", ".xlsm")
DATE_FORMAT = "yyyy-mm-dd"

STYLES: dict[str, CellStyle] = {
    "header": CellStyle(bold=True, fill="1F4E78", font_color="FFFFFF"),
    "overdue": CellStyle(bold=True, fill="FFC7CE", font_color="9C0006"),
    "due": CellStyle(fill="FFEB9C", font_color="9C5700"),
    "soon": CellStyle(fill="DDEBF7", font_color="1F4E78"),
    "info": CellStyle(font_color="595959"),
    "data": CellStyle(fill="E4DFEC", font_color="5B3F86"),
    "ok": CellStyle(font_color="375623"),
}


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


def lock_files(path: Path) -> list[Path]:
    """Lock files Excel (``~$name.xlsx``) or LibreOffice (``.~lock.name.xlsx#``) keep open."""
    candidates = [path.with_name(f"~${path.name}"), path.with_name(f".~lock.{path.name}#")]
    if len(path.stem) > 6:  # Excel shortens long names: ~$ replaces the first two characters
        candidates.append(path.with_name(f"~${path.name[2:]}"))
    return [p for p in candidates if p.exists()]


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


class XlsxBackend:
    """A tracker in an .xlsx/.xlsm file.

    ``output``: write the synced workbook there instead of replacing the source.
    ``backups``: how many previous versions to keep in ``backup_dir`` (default: a
    ``.sheetsync-backups`` folder beside the workbook).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        output: str | Path | None = None,
        backups: int = 3,
        backup_dir: str | Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.output = Path(output) if output else None
        self.backups = backups
        self.backup_dir = (
            Path(backup_dir) if backup_dir else self.path.parent / ".sheetsync-backups"
        )
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
        """Read the workbook's bytes once and parse every worksheet from them."""
        data = self._read_bytes()
        sniff(self.path, data)
        self._info = inspect_package(data)
        grid = Grid(self.name, _parse_tabs(data, self._info), date1904=self._info.date1904)
        self._tabs_read = {tab.name: tab for tab in grid.tabs}
        self._data, self._fingerprint = data, Fingerprint.of(self.path, data)
        return grid

    def _read_bytes(self) -> bytes:
        if self.path.is_dir():
            raise SourceError(f"{self.path} is a folder, not a workbook. Give the .xlsx file.")
        if self.path.suffix.lower() not in SUPPORTED:
            hint = " (Google Sheets: pass its URL)" if self.path.suffix == "" else ""
            raise SourceError(
                f"{self.path} is a '{self.path.suffix or 'no extension'}' file; sheetsync works "
                f"with .xlsx/.xlsm workbooks and Google Sheets{hint}. Save it as .xlsx first."
            )
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise SourceError(f"{self.path} does not exist. Check the path.") from None
        except IsADirectoryError:
            raise SourceError(f"{self.path} is a folder, not a workbook.") from None
        except PermissionError:
            raise SourceError(f"No permission to read {self.path}.") from None

    # ------------------------------------------------------------------ write

    def apply(self, plan: Plan) -> Applied:
        """Patch the plan's cells into the workbook and replace the file safely."""
        if plan.is_empty:
            return Applied(written=False)
        data = self._require_read()
        target = self.output or self.path
        self._check_locks(target)
        self._check_unchanged()
        writer = PackageWriter(data)
        if plan.changes:
            self._patch(writer, plan)
        if plan.prep is not None:
            self._put_prep(writer, plan.prep)
        patched = writer.to_bytes()
        self._verify(data, patched, plan)
        self._check_locks(target)
        self._check_unchanged()
        backup = self._backup(data) if self.output is None else None
        write_atomic(target, patched, like=self.path)
        return Applied(
            written=True,
            backup=backup,
            output=str(self.output) if self.output else None,
            cells=len(plan.changes),
        )

    def _require_read(self) -> bytes:
        if self._data is None:
            raise RuntimeError("read() must come before apply()")
        return self._data

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
        writes = {
            (c.row, c.col): CellWrite(_writable(c.new), _style(c.style, c.new))
            for c in plan.changes
        }
        widths = {plan.column_of[h]: w for h, w in _widths().items() if h in plan.new_columns}
        writer.patch_cells(plan.worksheet, writes, column_widths=widths)

    def _put_prep(self, writer: PackageWriter, prep: PrepPlan) -> None:
        ids = writer.register_styles(xlsx_prep.styles_needed())
        style_ids = dict(zip(xlsx_prep.KIND_STYLES, ids, strict=True))
        date1904 = self._info.date1904 if self._info else False
        writer.put_sheet(prep.tab, xlsx_prep.sheet_xml(prep, style_ids, date1904))

    def _verify(self, before: bytes, after: bytes, plan: Plan) -> None:
        """Prove the patch touched nothing but managed cells before it replaces the file."""
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
        extra = changed_parts(before, after) - allowed
        if extra:
            raise WriteRefused(
                f"Internal check failed: the patch would change {sorted(extra)}. "
                "Nothing was written; please report this."
            )
        old = self._tabs_read[plan.worksheet]  # as read: the parse is the same function's
        new = _parse_one(after, info_after, plan.worksheet)
        managed = set(plan.column_of.values())
        bad = _first_difference(old, new, managed)
        if bad:
            raise WriteRefused(
                f"Internal check failed: cell {bad} would change. Nothing was "
                "written; please report this."
            )

    def _backup(self, data: bytes) -> str | None:
        if self.backups <= 0:
            return None
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        dest = self.backup_dir / f"{self.path.stem}.{stamp}{self.path.suffix}"
        try:
            self.backup_dir.mkdir(parents=True, exist_ok=True)
            write_atomic(dest, data, like=self.path)
        except (OSError, WriteRefused) as exc:
            raise WriteRefused(
                f"Could not write a backup to {self.backup_dir} ({exc}). Nothing "
                "was written; free some space or set sync.backup_dir."
            ) from exc
        self._prune_backups()
        return str(dest)

    def _prune_backups(self) -> None:
        pattern = f"{self.path.stem}.*{self.path.suffix}"
        old = sorted(self.backup_dir.glob(pattern), key=lambda p: p.name)[: -self.backups]
        for path in old:
            path.unlink(missing_ok=True)


def _writable(value: CellValue) -> str | dt.date | float | int | None:
    """Managed cells hold text, dates or nothing; anything else is written as its text."""
    if value is None or isinstance(value, str | dt.date | int | float):
        return value
    return str(value)


def _style(name: str | None, value: object) -> CellStyle | None:
    style = STYLES.get(name or "")
    if isinstance(value, dt.date):
        base = style or CellStyle()
        return CellStyle(base.bold, base.fill, base.font_color, DATE_FORMAT, base.wrap)
    return style


def _widths() -> dict[str, float]:
    return {c.header: c.width for c in (*MANAGED_COLUMNS, MAIL)}


def write_atomic(target: Path, data: bytes, *, like: Path | None = None) -> None:
    """Write ``data`` to a temp file beside ``target``, fsync it, and ``os.replace`` it in."""
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".sheetsync-tmp", dir=folder)
    except OSError as exc:
        raise WriteRefused(
            f"Cannot write in {folder} ({exc.strerror}). Nothing was written: "
            "check the folder's permissions, or pass --output elsewhere."
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if like is not None and like.exists():
            shutil.copymode(like, tmp)
        os.replace(tmp, target)
        _remove_stale_temps(target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise WriteRefused(
            f"Writing {target} failed ({exc.strerror}); the original is "
            "untouched. Free some disk space or check permissions."
        ) from exc
    _fsync_dir(folder)


def _remove_stale_temps(target: Path, older_than: float = 3600.0) -> None:
    """Temp files an earlier, killed sync left beside ``target`` (an hour old or more)."""
    now = time.time()
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.sheetsync-tmp"):
        try:
            if now - stale.stat().st_mtime > older_than:
                stale.unlink()
        except OSError:
            continue


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- parsing


def _parse_tabs(data: bytes, info: PackageInfo) -> list[Tab]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for corrupt packages
        raise SourceError(
            f"Cannot read the workbook: {exc}. Is the file complete? Open and "
            "re-save it in Excel or LibreOffice, or restore a backup."
        ) from exc
    tabs = []
    for ref in info.sheets:
        if ref.kind != "worksheet" or ref.name not in book.sheet_names:
            continue
        tabs.append(_tab(book, ref.name, data, hidden=ref.state != "visible"))
    return tabs


def _tab(book: object, name: str, data: bytes, *, hidden: bool) -> Tab:
    try:
        return _read_tab(book, name, data, hidden=hidden)
    except SourceError:
        raise
    except Exception as exc:  # calamine and lxml raise their own types for damaged parts
        raise SourceError(
            f"Cannot read tab '{name}': {exc}. Open and re-save the workbook "
            "in Excel or LibreOffice, or restore a backup."
        ) from exc


def _read_tab(book: object, name: str, data: bytes, *, hidden: bool) -> Tab:
    sheet = book.get_sheet_by_name(name)  # type: ignore[attr-defined]
    rows: list[list[CellValue]] = [
        [None if v == "" else v for v in r] for r in sheet.to_python(skip_empty_area=False)
    ]
    facts = sheet_facts(data, name)
    for (r, c), code in facts.errors.items():
        while len(rows) < r:
            rows.append([])
        rows[r - 1].extend([None] * (c - len(rows[r - 1])))
        rows[r - 1][c - 1] = CellError(code)
    merged = [
        MergedRange(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1)
        for a, b in (sheet.merged_cell_ranges or [])
    ]
    return Tab(name, rows, merged, hidden, facts.formulas_without_values)


def _parse_one(data: bytes, info: PackageInfo, name: str) -> Tab:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    ref = info.sheet(name)
    return _tab(book, ref.name, data, hidden=ref.state != "visible")


def _first_difference(old: Tab, new: Tab, managed: set[int]) -> str | None:
    """The first cell outside the ``managed`` columns whose value differs, as "B7"."""
    from sheetsync.grid import cell_ref

    for r in range(1, max(old.height, new.height) + 1):
        a, b = old.row_values(r), new.row_values(r)
        if a == b:
            continue
        width = max(len(a), len(b))
        for lo, hi in _unmanaged_spans(managed, width):
            if _span(a, lo, hi) != _span(b, lo, hi):  # whole spans compared at C speed
                for c in range(lo + 1, hi + 1):
                    if old.cell(r, c) != new.cell(r, c):
                        return cell_ref(r, c)
    return None


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
