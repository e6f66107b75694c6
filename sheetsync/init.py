"""Create a fresh tracker workbook (`sheetsync init`) and load the template banks.

Three public functions:

- :func:`create_tracker` writes a new .xlsx with a "Contacts" tab (one column per
  canonical field), a "Question ideas" tab and an "Instructions" tab.
- :func:`load_questions` reads the question bank (``questions.toml``).
- :func:`load_checklist` reads the before/during/after checklist (``checklist.toml``).

Where the templates come from
-----------------------------
A caller may pass ``templates_dir``: a folder holding the user's own ``questions.toml``
and/or ``checklist.toml``. A file found there wins; a file missing there falls back to the
built-in one, so an override folder may hold just the file the user changed.

The built-in templates live in the repository's top-level ``templates/`` folder. In a source
checkout or an editable install (how sheetsync is developed and run), that folder sits next
to the package, one level above this file; it is recognised by the ``pyproject.toml`` beside
it, so an unrelated top-level ``templates`` folder in site-packages is never picked up.
Anywhere else (a wheel install), the templates are read as package data from
``sheetsync/_templates`` through :mod:`importlib.resources`, which also works from a zip.
For that fallback to find anything, the build must copy ``templates/*.toml`` into
``sheetsync/_templates`` (see :func:`default_templates_dir`).
"""

from __future__ import annotations

import io
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final, Literal, cast

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sheetsync import files, printing
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

QUESTIONS_FILE: Final = "questions.toml"
CHECKLIST_FILE: Final = "checklist.toml"

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

Phase = Literal["before", "during", "after"]
PHASES: Final[tuple[Phase, ...]] = ("before", "during", "after")

_SKIPPED_FIELDS: Final = frozenset({"first_name", "last_name"})
_ID_PATTERN: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_QUESTION_KEYS: Final = frozenset({"id", "text", "priority"})
_CHECKLIST_KEYS: Final = frozenset({"id", "phase", "text", "when"})

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


@dataclass(frozen=True)
class Question:
    """One entry of the question bank.

    ``category`` is the TOML table it sits under (``trends``, ``insights``, ``advice``,
    ``resources``, ``next_steps`` in the built-in bank); ``priority`` is 1 (ask first) to 3.
    """

    category: str
    id: str
    text: str
    priority: int


@dataclass(frozen=True)
class ChecklistItem:
    """One interview checklist item; ``id`` is stable because ticks are stored against it."""

    id: str
    phase: Phase
    text: str
    when: str


# ── templates ────────────────────────────────────────────────────────────────────────────


def default_templates_dir() -> Traversable:
    """Return the folder holding the built-in templates.

    A source checkout or editable install is recognised by ``pyproject.toml`` next to the
    ``templates/`` folder one level above the package; that folder is used as is. Otherwise
    (an installed wheel) the package-data copy ``sheetsync/_templates`` is used.
    """
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "templates").is_dir():
        return root / "templates"
    return resources.files("sheetsync") / "_templates"


def load_questions(templates_dir: Path | None = None) -> list[Question]:
    """Read the question bank, the user's ``questions.toml`` first, else the built-in one.

    Raises :class:`ConfigError` naming the file and key when the file is malformed.
    """
    data, label = _load_toml(QUESTIONS_FILE, templates_dir)
    questions: list[Question] = []
    for category, value in data.items():
        for index, entry in enumerate(_tables(value, category, label), start=1):
            questions.append(_parse_question(entry, category, f"{label}: [[{category}]] #{index}"))
    if not questions:
        raise ConfigError(
            f"{label}: no questions found. Add at least one [[category]] table with "
            "id, text and priority, or delete the file to use the built-in questions."
        )
    _check_unique_ids([q.id for q in questions], label)
    return questions


def load_checklist(templates_dir: Path | None = None) -> list[ChecklistItem]:
    """Read the interview checklist, the user's ``checklist.toml`` first, else the built-in one.

    Raises :class:`ConfigError` naming the file and key when the file is malformed.
    """
    data, label = _load_toml(CHECKLIST_FILE, templates_dir)
    unknown = sorted(set(data) - {"item"})
    if unknown:
        raise ConfigError(
            f"{label}: unknown key '{unknown[0]}'. The checklist is a list of [[item]] "
            "tables, each with id, phase, text and when."
        )
    entries = _tables(data.get("item", []), "item", label)
    items = [_parse_item(e, f"{label}: [[item]] #{i}") for i, e in enumerate(entries, start=1)]
    if not items:
        raise ConfigError(f"{label}: no [[item]] tables found. Add at least one checklist item.")
    _check_unique_ids([item.id for item in items], label)
    return items


def _load_toml(name: str, templates_dir: Path | None) -> tuple[dict[str, Any], str]:
    """Parse template file ``name``; return its data and the label used in error messages."""
    source = _template_source(name, templates_dir)
    label = str(source)
    try:
        text = source.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"the built-in template {label} is missing; reinstall sheetsync, or put your own "
            f"{name} in your templates folder."
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: not UTF-8 text ({exc.reason}). Save it as UTF-8.") from None
    try:
        return tomllib.loads(text), label
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}. Fix that line.") from None


def _template_source(name: str, templates_dir: Path | None) -> Traversable:
    """The user's copy of ``name`` when there is one, else the built-in one."""
    if templates_dir is not None:
        if not templates_dir.is_dir():
            raise ConfigError(
                f"templates folder {templates_dir} does not exist or is not a folder. "
                "Create it, or leave the setting out to use the built-in templates."
            )
        candidate = templates_dir / name
        if candidate.is_file():
            return candidate
    return default_templates_dir() / name


def _tables(value: object, key: str, label: str) -> list[Mapping[str, Any]]:
    """Check that ``value`` is an array of tables (``[[key]]``) and return it."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(
            f"{label}: key '{key}' must be a list of [[{key}]] tables, not "
            f"{type(value).__name__}. Write each entry as a [[{key}]] block."
        )
    return cast("list[Mapping[str, Any]]", value)


def _parse_question(entry: Mapping[str, Any], category: str, where: str) -> Question:
    """Validate one ``[[category]]`` table and build a :class:`Question`."""
    _check_keys(entry, _QUESTION_KEYS, where)
    priority = entry["priority"]
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 3:
        raise ConfigError(
            f"{where}: key 'priority' must be a whole number 1, 2 or 3, not {priority!r}."
        )
    return Question(category, _id_value(entry, where), _text_value(entry, "text", where), priority)


def _parse_item(entry: Mapping[str, Any], where: str) -> ChecklistItem:
    """Validate one ``[[item]]`` table and build a :class:`ChecklistItem`."""
    _check_keys(entry, _CHECKLIST_KEYS, where)
    phase = entry["phase"]
    if phase not in PHASES:
        raise ConfigError(
            f"{where}: key 'phase' must be one of {', '.join(PHASES)}, not {phase!r}."
        )
    return ChecklistItem(
        id=_id_value(entry, where),
        phase=cast("Phase", phase),
        text=_text_value(entry, "text", where),
        when=_text_value(entry, "when", where),
    )


def _check_keys(entry: Mapping[str, Any], expected: frozenset[str], where: str) -> None:
    """Reject missing and unknown keys, naming the first one."""
    missing = sorted(expected - set(entry))
    if missing:
        raise ConfigError(
            f"{where}: key '{missing[0]}' is missing. Each entry needs "
            f"{', '.join(sorted(expected))}."
        )
    unknown = sorted(set(entry) - expected)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key '{unknown[0]}'. Allowed keys: {', '.join(sorted(expected))}."
        )


def _text_value(entry: Mapping[str, Any], key: str, where: str) -> str:
    """A non-empty string value, stripped."""
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: key '{key}' must be non-empty text, not {value!r}.")
    return value.strip()


def _id_value(entry: Mapping[str, Any], where: str) -> str:
    """A kebab-case id such as ``who-else``."""
    value = _text_value(entry, "id", where)
    if not _ID_PATTERN.fullmatch(value):
        raise ConfigError(
            f"{where}: key 'id' must be kebab-case (lower-case letters, digits and "
            f"hyphens, e.g. 'who-else'), not {value!r}."
        )
    return value


def _check_unique_ids(ids: Sequence[str], label: str) -> None:
    """Ids key the user's ticks, so two entries may not share one."""
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise ConfigError(f"{label}: id '{item_id}' is used twice. Give each entry its own id.")
        seen.add(item_id)


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
