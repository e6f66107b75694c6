"""Trackers sheetsync reads but never writes: .csv files and OpenDocument (.ods) workbooks.

``check``, ``export``, ``ics``, ``draft`` and ``map`` work on them like on an .xlsx workbook
(the same :class:`~sheetsync.grid.Grid`); ``sync`` refuses before reading, because status
columns and a prep tab need a workbook sheetsync can patch safely (.xlsx or Google Sheets).

* .csv: one tab named after the file; every cell is text (typed later, like any text cell);
  UTF-8 (with or without a byte-order mark), else Windows-1252; comma, semicolon or tab.
* .ods: every sheet, read by python-calamine (dates come back as dates).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sheetsync.backends import Applied, source_bytes
from sheetsync.errors import ReadOnlySource, SourceError
from sheetsync.grid import CellValue, Grid, MergedRange, Tab
from sheetsync.models import Plan

SUFFIXES = (".csv", ".ods")


def is_read_only(source: str) -> bool:
    """True for a source path sheetsync reads but does not write (.csv, .ods)."""
    return Path(source).suffix.lower() in SUFFIXES


def refusal(path: Path) -> ReadOnlySource:
    """The error ``sync`` raises for a .csv/.ods tracker: what sheetsync writes, how to convert."""
    kind = "a CSV file" if path.suffix.lower() == ".csv" else "an OpenDocument (.ods) workbook"
    return ReadOnlySource(
        f"{path.name} is {kind}: sheetsync checks it (`sheetsync check {path.name}`) but writes "
        "status columns only into .xlsx workbooks and Google Sheets. Nothing was written. "
        f"Open {path.name} in Excel or LibreOffice and save it as .xlsx (File → Save As → "
        f"Excel 2007-365), or import it into Google Sheets, then sync that: "
        f"`sheetsync sync {path.with_suffix('.xlsx').name}`."
    )


class ReadOnlyFileBackend:
    """A .csv or .ods tracker: ``read`` gives its grid; ``apply`` always refuses."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def name(self) -> str:
        """The file's path as given."""
        return str(self.path)

    @property
    def unticked(self) -> CellValue:
        """An empty checkbox (never written: this backend does not write)."""
        return "☐"

    def read(self) -> Grid:
        """Every tab of the file as plain values."""
        data = source_bytes(self.path, "tracker file")
        if self.path.suffix.lower() == ".csv":
            try:
                return Grid(self.name, [Tab(self.path.stem, parse_csv(data))])
            except csv.Error as exc:
                raise SourceError(
                    f"Cannot read {self.path.name} as CSV: {exc}. Open it in a spreadsheet "
                    "program and save it again as CSV (UTF-8) or .xlsx."
                ) from exc
        return Grid(self.name, parse_ods(data, self.path.name))

    def apply(self, plan: Plan) -> Applied:
        """Never writes: raises :class:`~sheetsync.errors.ReadOnlySource`."""
        raise refusal(self.path)


def decode_text(data: bytes) -> str:
    """A CSV file's text: UTF-8 (a byte-order mark is dropped), else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # every byte is a character: never fails


def parse_csv(data: bytes) -> list[list[CellValue]]:
    """Rows of a CSV file; an empty field is an empty cell (None), everything else text."""
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text))
    rows: list[list[CellValue]] = [[v if v != "" else None for v in row] for row in reader]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


def delimiter(text: str, sample_rows: int = 50) -> str:
    """Comma, semicolon (European Excel) or tab: the one that splits most of the first rows
    into the same number of fields. (``csv.Sniffer`` picks a comma inside a note.)"""

    def score(candidate: str) -> tuple[int, int]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=candidate)
        widths = [len(r) for _, r in zip(range(sample_rows), reader, strict=False) if len(r) > 1]
        if not widths:
            return (0, 0)
        common = max(set(widths), key=lambda w: (widths.count(w), w))
        return (widths.count(common), common)

    return max(",;\t", key=score)


def parse_ods(data: bytes, label: str) -> list[Tab]:
    """Every sheet of an OpenDocument spreadsheet, in workbook order."""
    from python_calamine import CalamineWorkbook

    if data[:4] != b"PK\x03\x04":
        raise SourceError(
            f"{label} is not an OpenDocument spreadsheet (it is not a zip package). Open it in "
            "LibreOffice and save it again as .ods or .xlsx."
        )
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [_ods_tab(book, meta) for meta in book.sheets_metadata]
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise SourceError(
            f"Cannot read {label}: {exc}. Is the file complete? Open and re-save it in "
            "LibreOffice, or restore a backup."
        ) from exc


def _ods_tab(book: object, meta: object) -> Tab:
    name = str(meta.name)  # type: ignore[attr-defined]
    sheet = book.get_sheet_by_name(name)  # type: ignore[attr-defined]
    rows: list[list[CellValue]] = [
        [None if v == "" else v for v in r] for r in sheet.to_python(skip_empty_area=False)
    ]
    merged = [
        MergedRange(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1)
        for a, b in (sheet.merged_cell_ranges or [])
    ]
    hidden = "visible" not in str(meta.visible).lower()  # type: ignore[attr-defined]
    return Tab(name, rows, merged, hidden)
