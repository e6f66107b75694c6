"""What a person sees: the synced example tracker rendered by a real LibreOffice (headless).

Skips when LibreOffice or poppler is not installed (``apt-get install libreoffice-calc
poppler-utils``); `.ci/run` does not install them, as the rest of the suite does not need them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.prep import DEFAULT_TAB

from .conftest import TODAY

EXAMPLE = Path(__file__).parent.parent / "examples" / "tracker.xlsx"
needs_office = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext")),
    reason="LibreOffice (soffice) and poppler (pdftotext) are not installed",
)


def _only(path: Path, tab: str, name: str) -> Path:
    """A copy ``name``.xlsx whose only visible tab is ``tab``, fitted to the page width."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        ws.sheet_state = "visible" if ws.title == tab else "hidden"
    wb.active = wb.sheetnames.index(tab)
    ws = wb[tab]
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    out = path.with_name(f"{name}.xlsx")
    wb.save(out)
    return out


def _pdf_texts(paths: list[Path], profile: str) -> list[str]:
    """Each workbook printed to PDF (all in one ``soffice`` call), as text."""
    subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "pdf",
         "--outdir", str(paths[0].parent), *map(str, paths)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return [
        subprocess.run(
            ["pdftotext", "-layout", str(path.with_suffix(".pdf")), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for path in paths
    ]


@needs_office
def test_libreoffice_shows_the_prep_tab_and_the_status_columns(
    tmp_path: Path, soffice_profile: str
) -> None:
    tracker = tmp_path / "tracker.xlsx"
    shutil.copy(EXAMPLE, tracker)
    assert pipeline.sync(XlsxBackend(tracker), Settings(), TODAY).written
    prep, contacts = _pdf_texts(
        [
            _only(tracker, DEFAULT_TAB, "only-prep"),
            _only(tracker, "Networking Tracker", "only-contacts"),
        ],
        soffice_profile,
    )
    assert "Zoë Müller · Helixbright Therapeutics — interview Tue 17 Mar 2026" in prep
    assert "Questions to ask, most important first" in prep
    assert "Subject: Thank you, Hiroshi" in prep
    assert "sheetsync · status" in contacts and "Overdue: thank-you note" in contacts
