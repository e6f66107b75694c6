"""Regenerate docs/images/: the first printed page of everything sheetsync writes.

    make docs-images        (or: python docs/make_images.py)

Syncs a copy of examples/tracker.xlsx as of 2026-03-16, exports it for an advisor (plain,
redacted, and as a two-student cohort), creates an ``init`` tracker with ten people, prints
all of them to PDF with LibreOffice in one call and saves page 1 of each as a small PNG
(poppler's ``pdftoppm -r 60``). Needs ``soffice`` and ``pdftoppm`` on the PATH.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import openpyxl

from sheetsync import advisor, pipeline
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.init import CONTACTS_SHEET, HEADER_ROW, create_tracker
from sheetsync.prep import DEFAULT_TAB

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
TODAY = dt.date(2026, 3, 16)
PEOPLE = ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson", "Barbara Liskov",
          "Edsger Dijkstra", "Donald Knuth", "Margaret Hamilton", "Tim Berners-Lee",
          "Frances Allen")  # fmt: skip


def main() -> int:
    missing = [tool for tool in ("soffice", "pdftoppm") if shutil.which(tool) is None]
    if missing:
        print(f"needs {' and '.join(missing)}: apt-get install libreoffice-calc poppler-utils")
        return 2
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        files = build(Path(tmp))
        to_pdf(files, Path(tmp))
        for name, path in files.items():
            first_page(path.with_suffix(".pdf"), IMAGES / name)
            print(f"docs/images/{name}.png")
    return 0


def build(folder: Path) -> dict[str, Path]:
    """Every output, as the file to print (one visible tab where the tracker has several)."""
    tracker = folder / "tracker.xlsx"
    shutil.copy(ROOT / "examples" / "tracker.xlsx", tracker)
    pipeline.sync(XlsxBackend(tracker), Settings(), TODAY)
    (folder / "b").mkdir()
    second = folder / "b" / "tracker.xlsx"
    shutil.copy(ROOT / "examples" / "tracker.xlsx", second)
    out = {
        "tracker": status_view(only_tab(tracker, "Networking Tracker", folder / "status.xlsx")),
        "prep": only_tab(tracker, DEFAULT_TAB, folder / "prep.xlsx"),
        "init": ten_people(folder / "init.xlsx"),
    }
    for name, sources, options in (
        ("export", [tracker], {}),
        ("export-redacted", [tracker], {"redact": True}),
        ("export-cohort", [tracker, second], {"cohort": True}),
    ):
        out[name] = folder / f"{name}.xlsx"
        advisor.export([str(s) for s in sources], out[name], Settings(), TODAY, **options)
    return out


def only_tab(path: Path, tab: str, out: Path) -> Path:
    """A copy whose only visible tab is ``tab`` (its workbook part edited, nothing else)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = hide_others(data.decode(), tab).encode()
            dst.writestr(info, data)
    return out


def hide_others(book: str, tab: str) -> str:
    """workbook.xml with every sheet but ``tab`` hidden, and ``tab`` the active one."""
    names = re.findall(r'<sheet [^>]*name="([^"]*)"', book)
    index = names.index(tab.replace("&", "&amp;"))  # names stand escaped in the XML

    def state(match: re.Match[str]) -> str:
        tag = re.sub(r' state="[^"]*"', "", match.group(0))
        shown = f'name="{names[index]}"' in tag
        return tag if shown else tag.replace("<sheet ", '<sheet state="hidden" ', 1)

    book = re.sub(r"<sheet [^>]*/>", state, book)
    return re.sub(r'activeTab="\d+"', f'activeTab="{index}"', book)


def status_view(path: Path) -> Path:
    """For the picture only: the name column and sheetsync's columns, one landscape page."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Networking Tracker"]
    managed = [c.column for c in ws[4] if str(c.value).startswith("sheetsync ·")]
    for col in range(2, min(managed)):
        ws.column_dimensions[openpyxl.utils.get_column_letter(col)].hidden = True
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    wb.save(path)
    return path


def ten_people(path: Path) -> Path:
    """An ``init`` tracker with ten people in it."""
    create_tracker(path)
    wb = openpyxl.load_workbook(path)
    ws = wb[CONTACTS_SHEET]
    for row, name in enumerate(PEOPLE, start=HEADER_ROW + 1):
        ws.cell(row, 1, name)
        ws.cell(row, 2, "Bayview University Office of Technology Licensing")
    wb.save(path)
    return path


def to_pdf(files: dict[str, Path], folder: Path) -> None:
    profile = (folder / "lo-profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), *map(str, files.values())],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip


def first_page(pdf: Path, stem: Path) -> None:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
        capture_output=True,
    )


if __name__ == "__main__":
    sys.exit(main())
