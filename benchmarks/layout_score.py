"""How well layout discovery reads real trackers other people made: the corpus in
``tests/real_trackers`` against its hand labels (``labels.toml``).

For every file the scorer asks sheetsync for its reading, in process and the way
``sheetsync check`` gets it (read the workbook through the xlsx backend, then
``layout.discover``), and compares it with the label:

- **tab** and **header row** right (trackers only);
- **field precision**: of the (field, header) pairs sheetsync mapped, how many the label has;
- **field recall**: of the labelled pairs, how many sheetsync mapped;
- **non-trackers accepted**: files labelled ``refuse = true`` that sheetsync read as a tracker
  (it should have said it found no contacts list).

A reading of the wrong tab or header row counts every pair it mapped as wrong and every labelled
pair as missed. CSV and ODS files are converted to .xlsx first, since sheetsync reads .xlsx
workbooks: a CSV file's cells as text (the delimiter sniffed, a BOM dropped), an ODS file's tabs
and typed values as python-calamine reads them. The originals stay as found.

Run ``python -m benchmarks.layout_score`` for a table per file and the totals.
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from python_calamine import CalamineWorkbook

from sheetsync import layout
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.errors import SheetsyncError
from sheetsync.grid import Grid

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "real_trackers"
LABELS = CORPUS / "labels.toml"
CSV_TAB = "Sheet1"  # the tab a converted CSV file gets (what Excel names it too)
DELIMITERS = (",", ";", "\t")

# The targets layout discovery should meet on this corpus (issue 13).
TARGET_PRECISION = 0.95
TARGET_RECALL = 0.90


# ---------------------------------------------------------------- labels


@dataclass(frozen=True)
class Label:
    """What a file truly is: a tracker (tab, header row, field map) or one to refuse."""

    file: str
    kind: str
    refuse: bool
    reason: str = ""
    tab: str = ""
    header_row: int = 0
    fields: Mapping[str, str] = field(default_factory=dict)
    unmapped: tuple[str, ...] = ()
    note: str = ""


def load_labels(path: Path = LABELS) -> list[Label]:
    """Every label in ``labels.toml``, in file-name order."""
    with path.open("rb") as fh:
        raw: dict[str, dict[str, Any]] = tomllib.load(fh)
    return [_label(name, entry) for name, entry in sorted(raw.items())]


def _label(name: str, entry: Mapping[str, Any]) -> Label:
    return Label(
        file=name,
        kind=entry["kind"],
        refuse=bool(entry.get("refuse", False)),
        reason=entry.get("reason", ""),
        tab=entry.get("tab", ""),
        header_row=int(entry.get("header_row", 0)),
        fields=dict(entry.get("fields", {})),
        unmapped=tuple(entry.get("unmapped", ())),
        note=entry.get("note", ""),
    )


# ---------------------------------------------------------------- sheetsync's reading


@dataclass(frozen=True)
class Reading:
    """What sheetsync made of a file: its layout, or the reason it refused."""

    tab: str = ""
    header_row: int = 0
    fields: Mapping[str, str] = field(default_factory=dict)
    refused: str = ""  # the LayoutError message when sheetsync found no contacts list

    @property
    def accepted(self) -> bool:
        """True when sheetsync read the file as a tracker."""
        return not self.refused


def read_grid(path: Path, workdir: Path) -> Grid:
    """The grid sheetsync reads from ``path`` (CSV/ODS converted to .xlsx in ``workdir``)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path = csv_to_xlsx(path, workdir / (path.stem + ".xlsx"))
    elif suffix == ".ods":
        path = ods_to_xlsx(path, workdir / (path.stem + ".xlsx"))
    return XlsxBackend(path).read()


def csv_rows(path: Path) -> list[list[str]]:
    """The rows of a CSV file, with its delimiter guessed and a leading BOM dropped."""
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))


def sniff_delimiter(text: str) -> str:
    """The delimiter used most on the widest line of the first lines (comma when none)."""
    lines = text.splitlines()[:20]
    counts = {d: max((line.count(d) for line in lines), default=0) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def csv_to_xlsx(source: Path, target: Path) -> Path:
    """Write the rows of ``source`` as text cells of one tab; empty cells stay empty."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = CSV_TAB
    for r, row in enumerate(csv_rows(source), start=1):
        for c, value in enumerate(row, start=1):
            if value != "":
                ws.cell(row=r, column=c).value = value
                ws.cell(row=r, column=c).data_type = "s"  # never a formula, even "=…"
    wb.save(target)
    return target


def ods_to_xlsx(source: Path, target: Path) -> Path:
    """Write every tab of an ODS workbook, values typed as read; empty cells stay empty."""
    ods = CalamineWorkbook.from_path(str(source))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in ods.sheet_names:
        ws = wb.create_sheet(name)
        for r, row in enumerate(ods.get_sheet_by_name(name).to_python(), start=1):
            for c, value in enumerate(row, start=1):
                if value != "":
                    ws.cell(row=r, column=c).value = value
                    if isinstance(value, str):
                        ws.cell(row=r, column=c).data_type = "s"
    wb.save(target)
    return target


def reading_of(grid: Grid) -> Reading:
    """sheetsync's layout of ``grid`` as the JSON of ``check`` shows it, or its refusal."""
    try:
        lay = layout.discover(grid)
    except SheetsyncError as exc:
        return Reading(refused=str(exc))
    return Reading(lay.worksheet, lay.header_row, lay.column_names())


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True)
class FileScore:
    """One file's label, sheetsync's reading, and how they compare."""

    label: Label
    reading: Reading
    right: frozenset[tuple[str, str]]  # (field, header) pairs mapped and labelled
    wrong: frozenset[tuple[str, str]]  # mapped but not labelled
    missed: frozenset[tuple[str, str]]  # labelled but not mapped

    @property
    def tab_ok(self) -> bool:
        """The contacts tab sheetsync picked is the labelled one (trackers only)."""
        return self.reading.accepted and self.reading.tab == self.label.tab

    @property
    def header_ok(self) -> bool:
        """Right tab and right header row (trackers only)."""
        return self.tab_ok and self.reading.header_row == self.label.header_row

    @property
    def wrongly_accepted(self) -> bool:
        """A file to refuse that sheetsync read as a tracker."""
        return self.label.refuse and self.reading.accepted


def score_file(label: Label, reading: Reading) -> FileScore:
    """Compare a reading with its label."""
    # Headers compare without surrounding spaces: `check` shows "Follow up? " as "Follow up?".
    labelled = frozenset((f, " ".join(h.split())) for f, h in label.fields.items())
    mapped = frozenset((f, " ".join(h.split())) for f, h in reading.fields.items())
    if label.refuse:
        return FileScore(label, reading, frozenset(), mapped, frozenset())
    same_place = reading.tab == label.tab and reading.header_row == label.header_row
    right = labelled & mapped if same_place else frozenset()
    return FileScore(label, reading, right, mapped - right, labelled - right)


@dataclass(frozen=True)
class Totals:
    """The corpus-wide figures."""

    trackers: int
    tab_ok: int
    header_ok: int
    right: int
    wrong: int
    missed: int
    to_refuse: int
    wrongly_accepted: int
    trackers_refused: int

    @property
    def precision(self) -> float:
        """Share of the mapped (field, header) pairs on tracker files that are right."""
        mapped = self.right + self.wrong
        return self.right / mapped if mapped else 1.0

    @property
    def recall(self) -> float:
        """Share of the labelled (field, header) pairs that sheetsync mapped."""
        labelled = self.right + self.missed
        return self.right / labelled if labelled else 1.0


def totals(scores: Iterable[FileScore]) -> Totals:
    """Add up the file scores; field precision and recall count tracker files only."""
    scores = list(scores)
    trackers = [s for s in scores if not s.label.refuse]
    return Totals(
        trackers=len(trackers),
        tab_ok=sum(s.tab_ok for s in trackers),
        header_ok=sum(s.header_ok for s in trackers),
        right=sum(len(s.right) for s in trackers),
        wrong=sum(len(s.wrong) for s in trackers),
        missed=sum(len(s.missed) for s in trackers),
        to_refuse=len(scores) - len(trackers),
        wrongly_accepted=sum(s.wrongly_accepted for s in scores),
        trackers_refused=sum(not s.reading.accepted for s in trackers),
    )


def score_corpus(corpus: Path = CORPUS, labels: Path = LABELS) -> list[FileScore]:
    """Read every labelled file with sheetsync and score it."""
    scores = []
    with tempfile.TemporaryDirectory(prefix="layout-score-") as tmp:
        for label in load_labels(labels):
            grid = read_grid(corpus / label.file, Path(tmp))
            scores.append(score_file(label, reading_of(grid)))
    return scores


# ---------------------------------------------------------------- report


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def file_line(s: FileScore) -> str:
    """One row of the per-file table."""
    if s.label.refuse:
        verdict = (
            f"accepted '{s.reading.tab}' row {s.reading.header_row} (WRONG)"
            if s.wrongly_accepted
            else "refused (right)"
        )
        return f"| {s.label.file} | {s.label.kind} | {verdict} | | | | |"
    if not s.reading.accepted:
        where = "refused (WRONG)"
    else:
        where = f"'{s.reading.tab}' row {s.reading.header_row}"
    return (
        f"| {s.label.file} | {s.label.kind} | {where} | {_yes(s.tab_ok)} | {_yes(s.header_ok)} "
        f"| {len(s.right)}/{len(s.right) + len(s.wrong)} | {len(s.right)}/"
        f"{len(s.right) + len(s.missed)} |"
    )


def _short(text: str, width: int = 60) -> str:
    """A header as quoted in the report: one line, cut at ``width`` characters."""
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def details(s: FileScore) -> list[str]:
    """The pairs that went wrong in one file, for the list under the table."""
    lines = [f"  mapped wrongly: {f} <- {_short(h)}" for f, h in sorted(s.wrong)]
    lines += [f"  missed: {f} <- {_short(h)}" for f, h in sorted(s.missed)]
    if lines or (not s.label.refuse and not s.header_ok):
        want = f"'{s.label.tab}' row {s.label.header_row}" if not s.label.refuse else "refuse"
        lines.insert(0, f"- {s.label.file} (labelled {want})")
    return lines


def report(scores: list[FileScore]) -> str:
    """The Markdown report: per-file table, totals, then every wrong or missed pair."""
    t = totals(scores)
    out = [
        "| file | kind | sheetsync read | tab | header | precision | recall |",
        "|---|---|---|---|---|---|---|",
        *(file_line(s) for s in scores),
        "",
        f"Tab right: {t.tab_ok}/{t.trackers}",
        f"Header row right: {t.header_ok}/{t.trackers}",
        f"Field precision: {t.precision:.1%} ({t.right}/{t.right + t.wrong})",
        f"Field recall: {t.recall:.1%} ({t.right}/{t.right + t.missed})",
        f"Trackers refused: {t.trackers_refused}/{t.trackers}",
        f"Non-trackers accepted: {t.wrongly_accepted}/{t.to_refuse}",
        "",
        "Wrong or missed (field <- header):",
    ]
    for s in scores:
        out += details(s)
    return "\n".join(out)


def main() -> int:
    """Print the report for the corpus."""
    print(report(score_corpus()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
