"""Create a fresh tracker workbook (`sheetsync init`).

:func:`create_tracker` writes a new .xlsx with a "Contacts" tab (one column per canonical
field), a "Question ideas" tab (from the question bank of :mod:`sheetsync.checklists`) and an
"Instructions" tab. The banks' loaders are importable from here too, for callers of the first
release; they live in :mod:`sheetsync.checklists`, which needs no openpyxl.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final, cast

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sheetsync import files, printing
from sheetsync.checklists import CHECKLIST_FILE as CHECKLIST_FILE
from sheetsync.checklists import QUESTIONS_FILE as QUESTIONS_FILE
from sheetsync.checklists import ChecklistItem as ChecklistItem
from sheetsync.checklists import Question as Question
from sheetsync.checklists import default_templates_dir as default_templates_dir
from sheetsync.checklists import load_checklist as load_checklist
from sheetsync.checklists import load_questions
from sheetsync.errors import ConfigError, OutputRefused, SourceError, WriteRefused
from sheetsync.fields import FIELDS, Field, Kind

__all__ = [
    "CHECKLIST_FILE",
    "CONTACTS_SHEET",
    "HEADER_ROW",
    "INSTRUCTIONS_SHEET",
    "QUESTIONS_FILE",
    "QUESTIONS_SHEET",
    "ChecklistItem",
    "Question",
    "category_label",
    "contact_fields",
    "create_tracker",
    "default_templates_dir",
    "load_checklist",
    "load_questions",
]

CONTACTS_SHEET: Final = "Contacts"
QUESTIONS_SHEET: Final = "Question ideas"
INSTRUCTIONS_SHEET: Final = "Instructions"

TITLE: Final = "Informational interview tracker"
HINT: Final = (
    "One row per person you reach out to. Hover over a heading to see what the column is "
    "for; the Instructions tab explains the rest."
)
HEADER_ROW: Final = 3
FORMATTED_ROWS: Final = 500
DATE_FORMAT: Final = "yyyy-mm-dd"

_SKIPPED_FIELDS: Final = frozenset({"first_name", "last_name"})

_WIDTHS: Final[Mapping[str, int]] = {
    "name": 24,
    "organization": 26,
    "title": 24,
    "email": 30,
    "linkedin": 32,
    "connection": 26,
    "referred_by": 20,
    "platform": 18,
    "referrals": 30,
    "promises": 30,
    "questions": 40,
    "notes": 44,
}
_DEFAULT_WIDTH: Final = 14
_PROMPTS: Final[Mapping[str, str]] = {
    "response": "Did they reply? Enter the date of their reply, or Yes / No.",
    "thank_you": "Enter the date you sent your thank-you, or Yes / No.",
    "snooze": "A date: sheetsync stays quiet about this row until then.",
}

_HEADER_FONT: Final = Font(bold=True, color="FFFFFF")
_HEADER_FILL: Final = PatternFill(fill_type="solid", start_color="1F4E78", end_color="1F4E78")
_HEADER_ALIGNMENT: Final = Alignment(wrap_text=True, vertical="center")
_TITLE_FONT: Final = Font(bold=True, size=14)
_HINT_FONT: Final = Font(italic=True, color="595959")
_SECTION_FONT: Final = Font(bold=True, size=12)


# ── the workbook ─────────────────────────────────────────────────────────────────────────


def create_tracker(path: Path, *, templates_dir: Path | None = None) -> None:
    """Write a new, empty tracker workbook to ``path``.

    The workbook has a "Contacts" tab (title on row 1, a hint on row 2, headings on row 3,
    one column per canonical field with ``Name`` instead of first/last name), a "Question
    ideas" tab seeded from the question bank, and an "Instructions" tab.

    Raises :class:`OutputRefused` when ``path`` exists (``init`` never replaces anything, not
    even an earlier tracker of its own: it may hold a student's rows by now);
    :class:`SourceError` when its folder is missing or the file cannot be written;
    :class:`ConfigError` when a template override is malformed. The file is written through
    :mod:`sheetsync.files` (temp file, fsync, created only if nothing appeared there meanwhile),
    so a failed run never leaves half a workbook behind.
    """
    _check_target(path)
    questions = load_questions(templates_dir)
    workbook = Workbook()
    fields = contact_fields()
    _fill_contacts(cast(Worksheet, workbook.active), fields)
    _fill_questions(workbook.create_sheet(QUESTIONS_SHEET), questions)
    _fill_instructions(workbook.create_sheet(INSTRUCTIONS_SHEET), fields)
    _save_atomically(workbook, path)


def contact_fields() -> tuple[Field, ...]:
    """The canonical fields that get a column in a new tracker, in order."""
    return tuple(f for f in FIELDS if f.id not in _SKIPPED_FIELDS)


def _check_target(path: Path) -> None:
    """Refuse to clobber an existing file, a wrong suffix or a missing folder."""
    if path.suffix.lower() != ".xlsx":
        raise ConfigError(
            f"{path}: a new tracker must be an .xlsx file. Pick a name ending in .xlsx."
        )
    if path.exists() or path.is_symlink():
        raise OutputRefused(
            f"{path} already exists; sheetsync init never replaces a file. "
            "Pick another name, or move the file away first."
        )
    if not path.parent.is_dir():
        raise SourceError(
            f"cannot create {path}: the folder {path.parent} does not exist. "
            "Create the folder first or pick another path."
        )


def _fill_contacts(ws: Worksheet, fields: Sequence[Field]) -> None:
    """The Contacts tab: title, hint, styled header, validation, formats, widths."""
    ws.title = CONTACTS_SHEET
    ws.cell(row=1, column=1, value=TITLE).font = _TITLE_FONT
    ws.cell(row=2, column=1, value=HINT).font = _HINT_FONT
    for column, field in enumerate(fields, start=1):
        _write_header_cell(ws, column, field)
        ws.column_dimensions[get_column_letter(column)].width = _width(field)
        if field.kind in (Kind.DATE, Kind.DATE_OR_FLAG):
            _format_dates(ws, column)
        validation = _validation_for(field)
        if validation is not None:
            ws.add_data_validation(validation)
            validation.add(_body_range(column))
    last = get_column_letter(len(fields))
    ws.row_dimensions[HEADER_ROW].height = 30
    printing.landscape(ws, (1, HEADER_ROW))
    ws.freeze_panes = f"B{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + FORMATTED_ROWS}"


def _write_header_cell(ws: Worksheet, column: int, field: Field) -> None:
    """One bold, filled heading with the field's help as a cell comment."""
    cell = ws.cell(row=HEADER_ROW, column=column, value=field.header)
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    cell.alignment = _HEADER_ALIGNMENT
    cell.comment = Comment(field.help, "sheetsync")


def _width(field: Field) -> int:
    """A column width that fits the heading and typical content."""
    return max(_WIDTHS.get(field.id, _DEFAULT_WIDTH), len(field.header) + 4)


def _body_range(column: int) -> str:
    """The first ``FORMATTED_ROWS`` data cells of ``column``, e.g. ``J4:J503``."""
    letter = get_column_letter(column)
    return f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + FORMATTED_ROWS}"


def _format_dates(ws: Worksheet, column: int) -> None:
    """Show dates in ``column`` as yyyy-mm-dd for the first ``FORMATTED_ROWS`` rows."""
    for row in range(HEADER_ROW + 1, HEADER_ROW + FORMATTED_ROWS + 1):
        ws.cell(row=row, column=column).number_format = DATE_FORMAT


def _validation_for(field: Field) -> DataValidation | None:
    """The data validation for a column, or None for free text.

    Date columns get a date check that only warns, so a note such as "TBD" can still be
    kept. Date-or-yes/no columns (response, thank-you) get no restriction at all, only an
    input message: a Yes/No list would reject dates, and even a list that merely warns
    marks every date as invalid once the file is opened in Google Sheets. No canonical
    field is strictly yes/no, so no column gets a list.
    """
    if field.kind is Kind.DATE:
        return DataValidation(
            type="date",
            operator="greaterThanOrEqual",
            formula1="DATE(1990,1,1)",
            allow_blank=True,
            errorStyle="warning",
            showErrorMessage=True,
            errorTitle="Not a date",
            error="sheetsync reads dates such as 2026-03-16. Keep this text anyway?",
            showInputMessage=True,
            promptTitle=field.header[:32],
            prompt=f"{field.help}. A date, e.g. 2026-03-16.",
        )
    if field.kind is Kind.DATE_OR_FLAG:
        return DataValidation(
            allow_blank=True,
            showInputMessage=True,
            promptTitle=field.header[:32],
            prompt=_PROMPTS.get(field.id, f"{field.help}."),
        )
    return None


def _fill_questions(ws: Worksheet, questions: Sequence[Question]) -> None:
    """The Question ideas tab: Category, Question, Priority; priority 1 first per category."""
    headers = ("Category", "Question", "Priority")
    for column, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=column, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    order = {category: i for i, category in enumerate(dict.fromkeys(q.category for q in questions))}
    ranked = sorted(questions, key=lambda q: (order[q.category], q.priority))
    for row, question in enumerate(ranked, start=2):
        ws.cell(row=row, column=1, value=category_label(question.category))
        ws.cell(row=row, column=2, value=question.text).alignment = Alignment(wrap_text=True)
        ws.cell(row=row, column=3, value=question.priority)
        ws.row_dimensions[row].height = printing.row_height([(question.text, 90)])
    priority = DataValidation(
        type="list",
        formula1='"1,2,3"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Priority 1–3",
        error="Use 1 (ask first), 2 (if time allows) or 3 (nice to have).",
    )
    ws.add_data_validation(priority)
    priority.add(f"C2:C{max(len(ranked) + 1, FORMATTED_ROWS)}")
    for letter, width in (("A", 16), ("B", 90), ("C", 10)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:C{len(ranked) + 1}"
    printing.landscape(ws, (1, 1))


def category_label(category: str) -> str:
    """The label a category shows in the sheet: ``next_steps`` → ``Next steps``."""
    return category.replace("_", " ").replace("-", " ").capitalize()


INSTRUCTIONS_WIDTH = 90.0


def _fill_instructions(ws: Worksheet, fields: Sequence[Field]) -> None:
    """The Instructions tab: one paragraph per row in a single wide column."""
    # 90 wide: fits a landscape page at full size even where a wider fallback font replaces
    # Calibri (LibreOffice without Carlito printed a 110-wide column past the page's edge)
    ws.column_dimensions["A"].width = INSTRUCTIONS_WIDTH
    for row, (text, is_heading) in enumerate(_instruction_lines(fields), start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if is_heading:
            cell.font = _SECTION_FONT if row > 1 else _TITLE_FONT
        ws.row_dimensions[row].height = printing.row_height(
            [(text, INSTRUCTIONS_WIDTH)], scale=1.4 if is_heading else 1.0
        )
    printing.landscape(ws)


def _instruction_lines(fields: Sequence[Field]) -> list[tuple[str, bool]]:
    """The how-to text as (line, is_heading) pairs."""
    lines: list[tuple[str, bool]] = [
        ("How to use this tracker", True),
        (
            "Add a row on the Contacts tab for each person you reach out to, including people "
            "someone suggested to you. Fill in what you know; leave the rest blank.",
            False,
        ),
        (
            "Keep the headings on row 3. You may add columns of your own; sheetsync reads only "
            "the ones it recognises.",
            False,
        ),
        ("", False),
        ("What each column is for", True),
    ]
    lines += [(f"{field.header}: {field.help}.", False) for field in fields]
    lines += [
        ("", False),
        ("Waiting for a reply: the 3B7 rule", True),
        (
            "Count business days (weekdays that are not public holidays) from the day you wrote. "
            "After 3 business days without a reply, write to a second person at the same "
            "organisation. After 7, send the first person one short follow-up and record the "
            "date under Follow-up sent. A reply ends the chase.",
            False,
        ),
        ("", False),
        ("After a conversation", True),
        (
            "Send a personal thank-you within a day, and record it under Thank-you sent. Add the "
            "people they suggested as new rows, and do what you offered to do (Promised).",
            False,
        ),
        (
            "Stay in touch every few months (every 90 days unless you fill in Keep in touch "
            "every): share an update, an article or an event you think they would like.",
            False,
        ),
        ("", False),
        ("What sheetsync writes", True),
        (
            "sheetsync adds a few columns at the right of the Contacts tab, with headings that "
            'start with "sheetsync", and a tab of prep checklists for upcoming interviews. It '
            "never changes anything else: your rows, columns, formatting and tabs stay exactly as "
            "you left them.",
            False,
        ),
    ]
    return lines


def _save_atomically(workbook: Workbook, path: Path) -> None:
    """Render the workbook in memory, then create ``path`` through :mod:`sheetsync.files`."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    try:
        files.write_output(path, buffer.getvalue(), files.Kind.NEW)
    except OutputRefused:
        raise
    except (OSError, WriteRefused) as exc:
        raise SourceError(
            f"could not write {path}: {exc}. Check the folder is writable and has space."
        ) from exc
