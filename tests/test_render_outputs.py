"""What the student and the advisor see on paper: every workbook sheetsync writes, printed to
PDF by a real LibreOffice (headless) and read back with poppler.

One module-wide conversion renders all six files in a single ``soffice`` call: the synced
example tracker (its contacts tab), its prep tab, an ``init`` tracker with ten people, the
advisor export, a redacted export and a cohort export. Each test then checks that every text
sheetsync wrote there appears whole in the PDF's text (whitespace ignored: wrapped lines break
at spaces), and how the pages fall. Text is read with ``pdftotext -raw``, which keeps each
cell's wrapped lines together; a cell cut at its edge loses its end in the PDF and fails.

Skips when LibreOffice or poppler is not installed (``apt-get install libreoffice-calc
poppler-utils``).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from sheetsync import advisor, pipeline
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.init import CONTACTS_SHEET, HEADER_ROW
from sheetsync.prep import DEFAULT_TAB

from .conftest import TODAY

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "tracker.xlsx"
CONTACTS = "Networking Tracker"
# The pictures in docs/images/ are made by docs/make_images.py; the test prints the same files.
_SPEC = importlib.util.spec_from_file_location("make_images", ROOT / "docs" / "make_images.py")
assert _SPEC is not None and _SPEC.loader is not None
make_images = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(make_images)
TOOLS = ("soffice", "pdftotext", "pdfinfo")
pytestmark = [
    pytest.mark.skipif(
        not all(shutil.which(t) for t in TOOLS),
        reason="LibreOffice (soffice) and poppler (pdftotext, pdfinfo) are not installed",
    ),
    pytest.mark.xdist_group("render_outputs"),  # one worker makes the one conversion
]


@dataclass(frozen=True)
class Rendered:
    """One workbook as printed: its text per page and its page sizes (width, height)."""

    xlsx: Path
    pages: list[str]
    sizes: list[tuple[float, float]]

    @property
    def flat(self) -> str:
        return squash("".join(self.pages))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def render_all(paths: list[Path], folder: Path, profile: str) -> dict[str, Rendered]:
    subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), *map(str, paths)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return {p.stem: _read_pdf(p, p.with_suffix(".pdf")) for p in paths}


def _read_pdf(xlsx: Path, pdf: Path) -> Rendered:
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    sizes = [
        (float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    ]
    return Rendered(xlsx, text.split("\f")[: len(sizes)], sizes)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, soffice_profile: str) -> dict[str, Rendered]:
    folder = tmp_path_factory.mktemp("render")
    tracker = folder / "synced.xlsx"
    shutil.copy(EXAMPLE, tracker)
    assert pipeline.sync(XlsxBackend(tracker), Settings(), TODAY).written
    second = folder / "b" / "tracker.xlsx"
    second.parent.mkdir()
    shutil.copy(EXAMPLE, second)
    exports = {
        "advisor": ([tracker], {}),
        "redacted": ([tracker], {"redact": True}),
        "cohort": ([tracker, second, folder / "missing.xlsx"], {"cohort": True}),
    }
    for name, (sources, options) in exports.items():
        advisor.export([str(s) for s in sources], folder / f"{name}.xlsx", Settings(), TODAY,
                       **options)  # type: ignore[arg-type]  # fmt: skip
    files = [
        make_images.only_tab(tracker, CONTACTS, folder / "contacts.xlsx"),
        make_images.only_tab(tracker, DEFAULT_TAB, folder / "prep.xlsx"),
        make_images.ten_people(folder / "init.xlsx"),
        *(folder / f"{name}.xlsx" for name in exports),
    ]
    return render_all(files, folder, soffice_profile)


def texts(path: Path, sheet: str, *, columns: set[int] | None = None) -> list[str]:
    """Every text cell of ``sheet`` (only ``columns`` when given), as written."""
    ws = openpyxl.load_workbook(path)[sheet]
    return [
        c.value
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.strip() and (columns is None or c.column in columns)
    ]


def missing(r: Rendered, wanted: list[str]) -> list[str]:
    """The texts not printed whole: neither as one run of text, nor word by word in order
    with other cells' words in between (raw text order interleaves the lines of cells that
    wrap side by side); a cut word ("Informati") matches neither."""
    flat, words = r.flat, "\n".join(r.pages).split()
    return [t for t in wanted if squash(t) not in flat and not in_order(t.split(), words)]


NEAR = 40  # words of neighbouring cells that may come between two words of one cell


def in_order(needle: list[str], words: list[str]) -> bool:
    starts = [i for i, w in enumerate(words) if w == needle[0]]
    return any(_follows(needle[1:], words, i) for i in starts)


def _follows(rest: list[str], words: list[str], at: int) -> bool:
    for word in rest:
        window = words[at + 1 : at + 1 + NEAR]
        if word not in window:
            return False
        at += 1 + window.index(word)
    return True


def test_managed_status_text_prints_whole(rendered: dict[str, Rendered]) -> None:
    r = rendered["contacts"]
    ws = openpyxl.load_workbook(r.xlsx)[CONTACTS]
    managed = {c.column for c in ws[4] if str(c.value).startswith("sheetsync ·")}
    wanted = texts(r.xlsx, CONTACTS, columns=managed)
    assert len(wanted) > 20
    assert missing(r, wanted) == []


def test_prep_tab_prints_whole_one_interview_a_page(rendered: dict[str, Rendered]) -> None:
    r = rendered["prep"]
    assert all(w > h for w, h in r.sizes)  # landscape
    wanted = texts(r.xlsx, DEFAULT_TAB, columns={2, 3, 4})
    assert missing(r, wanted) == []
    interviews = [t for t in wanted if " — interview " in t and " was " not in t]
    assert len(interviews) >= 3
    last_item = "Ask who else they would suggest you speak with"
    for title in interviews:  # each upcoming interview's checklist on one page, whole
        page = next(p for p in r.pages if squash(title) in squash(p))
        assert squash(last_item) in squash(page.split(title, 1)[1]), title
    first_three = {next(i for i, p in enumerate(r.pages) if t in p) for t in interviews[:3]}
    assert len(first_three) <= 3
    ws = openpyxl.load_workbook(r.xlsx)[DEFAULT_TAB]
    ticked = {squash(str(row[2].value)) for row in ws.iter_rows() if row[1].value in ("☐", "☑")}
    for page in r.pages:  # every page with checkboxes holds their text and the column titles
        if "☐" in page:
            assert "What to do" in page
            assert page.count("☐") <= sum(squash(page).count(t) for t in ticked)


def test_init_tracker_prints_one_page_wide(rendered: dict[str, Rendered]) -> None:
    r = rendered["init"]
    assert all(w > h for w, h in r.sizes)
    wb = openpyxl.load_workbook(r.xlsx)
    headers = [c.value for c in wb[CONTACTS_SHEET][HEADER_ROW] if c.value]
    first = squash(r.pages[0])
    assert all(squash(h) in first for h in headers)  # every column on the first page
    assert all(squash(p) in first for p in make_images.PEOPLE)
    assert len(r.pages) <= 6
    for sheet in wb.sheetnames:
        assert missing(r, texts(r.xlsx, sheet)) == [], sheet


@pytest.mark.parametrize("name", ["advisor", "redacted", "cohort"])
def test_export_prints_every_text_whole(rendered: dict[str, Rendered], name: str) -> None:
    r = rendered[name]
    for sheet in openpyxl.load_workbook(r.xlsx).sheetnames:
        assert missing(r, texts(r.xlsx, sheet)) == [], sheet
    assert all(w > h for w, h in r.sizes[:1])


def test_cohort_lists_failed_sources_apart(rendered: dict[str, Rendered]) -> None:
    r = rendered["cohort"]
    words = r.pages[0].split()
    title = "Networking Tracker: Informational Interviews"
    for source in ("synced.xlsx", "tracker.xlsx"):  # copies of one template, told apart
        assert in_order(f"{title} ({source})".split(), words)
    assert "Sources that could not be read" in r.pages[0]
    assert str(r.xlsx.parent) not in r.pages[0]  # the failed source named without its folders
    ws = openpyxl.load_workbook(r.xlsx)["Cohort"]
    students = [ws.cell(row, 1).value for row in range(5, 7)]
    assert students == [f"{title} (synced.xlsx)", f"{title} (tracker.xlsx)"]
    assert ws.cell(7, 1).value == "Cohort total"  # the failed source is no student row
