"""`sheetsync init`: the new tracker workbook and the template banks it is seeded from."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from sheetsync.errors import ConfigError, OutputRefused, SourceError
from sheetsync.fields import FIELDS, Kind
from sheetsync.init import (
    CONTACTS_SHEET,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    QUESTIONS_SHEET,
    ChecklistItem,
    Question,
    category_label,
    contact_fields,
    create_tracker,
    load_checklist,
    load_questions,
)

EXPECTED_HEADERS = [f.header for f in FIELDS if f.id not in {"first_name", "last_name"}]
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    """One tracker built with the built-in templates, opened again from disk."""
    path = tmp_path_factory.mktemp("init") / "tracker.xlsx"
    create_tracker(path)
    return openpyxl.load_workbook(path)


def contacts(workbook: openpyxl.Workbook) -> Worksheet:
    sheet = workbook[CONTACTS_SHEET]
    assert isinstance(sheet, Worksheet)
    return sheet


def column_of(sheet: Worksheet, header: str) -> str:
    for cell in sheet[HEADER_ROW]:
        if cell.value == header:
            return str(cell.column_letter)
    raise AssertionError(f"no column {header!r}")


def validations_at(sheet: Worksheet, coordinate: str) -> list[Any]:
    return [dv for dv in sheet.data_validations.dataValidation if coordinate in dv.sqref]


# ── the Contacts tab ─────────────────────────────────────────────────────────────────────


def test_tabs(tracker: openpyxl.Workbook) -> None:
    assert tracker.sheetnames == [CONTACTS_SHEET, QUESTIONS_SHEET, INSTRUCTIONS_SHEET]
    assert tracker.active is not None and tracker.active.title == CONTACTS_SHEET


def test_title_hint_and_header_rows(tracker: openpyxl.Workbook) -> None:
    sheet = contacts(tracker)
    assert sheet["A1"].value == "Informational interview tracker"
    assert sheet["A1"].font.bold
    assert isinstance(sheet["A2"].value, str) and sheet["A2"].value.strip()
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    assert headers == EXPECTED_HEADERS


def test_one_name_column_not_first_and_last(tracker: openpyxl.Workbook) -> None:
    headers = [cell.value for cell in contacts(tracker)[HEADER_ROW]]
    assert headers[0] == "Name"
    assert "First name" not in headers and "Last name" not in headers
    assert len(headers) == len(set(headers)) == len(FIELDS) - 2


def test_header_style_and_comments(tracker: openpyxl.Workbook) -> None:
    sheet = contacts(tracker)
    for field, cell in zip(contact_fields(), sheet[HEADER_ROW], strict=True):
        assert cell.font.bold, field.id
        assert cell.fill.fill_type == "solid", field.id
        assert cell.comment is not None, field.id
        assert cell.comment.text == field.help


def test_freeze_panes_below_header_and_autofilter(tracker: openpyxl.Workbook) -> None:
    sheet = contacts(tracker)
    assert sheet.freeze_panes == f"B{HEADER_ROW + 1}"
    ref = sheet.auto_filter.ref
    assert ref is not None and ref.startswith(f"A{HEADER_ROW}:")
    last = openpyxl.utils.get_column_letter(len(EXPECTED_HEADERS))
    assert re.fullmatch(rf"A{HEADER_ROW}:{last}\d+", ref)


def test_column_widths(tracker: openpyxl.Workbook) -> None:
    sheet = contacts(tracker)
    widths = {}
    for cell in sheet[HEADER_ROW]:
        width = sheet.column_dimensions[cell.column_letter].width
        assert width >= len(str(cell.value)), cell.value
        widths[cell.value] = width
    assert widths["Notes"] > widths["Interview date"]
    assert widths["Email"] > widths["Date contacted"]


def test_date_columns_are_formatted(tracker: openpyxl.Workbook) -> None:
    sheet = contacts(tracker)
    for field in contact_fields():
        letter = column_of(sheet, field.header)
        first, last = sheet[f"{letter}{HEADER_ROW + 1}"], sheet[f"{letter}{HEADER_ROW + 500}"]
        if field.kind in (Kind.DATE, Kind.DATE_OR_FLAG):
            assert first.number_format == last.number_format == "yyyy-mm-dd", field.id
        else:
            assert first.number_format == "General", field.id


def test_date_columns_warn_on_non_dates(tracker: openpyxl.Workbook) -> None:
    sheet = contacts(tracker)
    letter = column_of(sheet, "Interview date")
    (validation,) = validations_at(sheet, f"{letter}{HEADER_ROW + 1}")
    assert validation.type == "date"
    assert validation.errorStyle == "warning"
    assert f"{letter}{HEADER_ROW + 500}" in validation.sqref


@pytest.mark.parametrize("header", ["Response", "Thank-you sent"])
def test_date_or_yes_no_columns_accept_both(tracker: openpyxl.Workbook, header: str) -> None:
    sheet = contacts(tracker)
    (validation,) = validations_at(sheet, f"{column_of(sheet, header)}{HEADER_ROW + 1}")
    assert validation.type is None  # any value: a list would reject dates
    assert validation.showInputMessage
    assert "date" in validation.prompt.lower() and "yes / no" in validation.prompt.lower()


def test_no_list_validation_on_contacts(tracker: openpyxl.Workbook) -> None:
    kinds = {dv.type for dv in contacts(tracker).data_validations.dataValidation}
    assert "list" not in kinds


def test_text_columns_have_no_validation(tracker: openpyxl.Workbook) -> None:
    sheet = contacts(tracker)
    assert validations_at(sheet, f"{column_of(sheet, 'Notes')}{HEADER_ROW + 1}") == []


# ── the other tabs ───────────────────────────────────────────────────────────────────────


def test_question_ideas_tab_is_the_question_bank(tracker: openpyxl.Workbook) -> None:
    sheet = tracker[QUESTIONS_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Category", "Question", "Priority")
    questions = load_questions()
    assert sorted(rows[1:]) == sorted(
        (category_label(q.category), q.text, q.priority) for q in questions
    )
    assert sheet.freeze_panes == "A2"


def test_question_ideas_priority_first_within_category(tracker: openpyxl.Workbook) -> None:
    rows = list(tracker[QUESTIONS_SHEET].iter_rows(min_row=2, values_only=True))
    for category in {row[0] for row in rows}:
        priorities = [row[2] for row in rows if row[0] == category]
        assert priorities == sorted(priorities)


def test_instructions_tab(tracker: openpyxl.Workbook) -> None:
    text = "\n".join(
        str(v) for (v,) in tracker[INSTRUCTIONS_SHEET].iter_rows(values_only=True) if v
    )
    assert "3B7" in text and "3 business days" in text and "After 7" in text
    assert "within a day" in text
    assert '"sheetsync"' in text and "never changes anything else" in text
    for header in EXPECTED_HEADERS:
        assert f"{header}:" in text


# ── the built-in templates ───────────────────────────────────────────────────────────────


def test_question_bank() -> None:
    questions = load_questions()
    assert all(isinstance(q, Question) for q in questions)
    by_category: dict[str, list[Question]] = {}
    for question in questions:
        by_category.setdefault(question.category, []).append(question)
    assert list(by_category) == ["trends", "insights", "advice", "resources", "next_steps"]
    for category, entries in by_category.items():
        assert 5 <= len(entries) <= 8, category
    assert {q.priority for q in questions} == {1, 2, 3}
    assert len({q.id for q in questions}) == len(questions)
    assert all(KEBAB.fullmatch(q.id) for q in questions)
    assert "who-else" in {q.id for q in by_category["next_steps"]}


def test_checklist() -> None:
    items = load_checklist()
    assert all(isinstance(item, ChecklistItem) for item in items)
    assert {item.phase for item in items} == {"before", "during", "after"}
    assert len({item.id for item in items}) == len(items)
    ids = {item.id for item in items}
    expected = {
        "research-person",
        "research-organisation",
        "write-intro",
        "pick-questions",
        "confirm-details",
        "plan-arrival",
        "thank-and-introduce",
        "keep-to-time",
        "no-job-ask",
        "ask-who-else",
        "review-notes",
        "send-thank-you",
        "connect-linkedin",
        "do-promised",
        "record-referrals",
        "set-next-touch",
    }
    assert expected <= ids
    assert all(item.when for item in items)


# ── refusing and failing clearly ─────────────────────────────────────────────────────────


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "mine.xlsx"
    path.write_bytes(b"my precious tracker")
    with pytest.raises(OutputRefused) as raised:
        create_tracker(path)
    assert str(path) in str(raised.value)
    assert "never replaces" in str(raised.value) and "another name" in str(raised.value)
    assert path.read_bytes() == b"my precious tracker"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.xlsx"]


def test_never_replaces_even_its_own_earlier_tracker(tmp_path: Path) -> None:
    path = tmp_path / "mine.xlsx"
    create_tracker(path)
    made = path.read_bytes()
    with pytest.raises(OutputRefused):
        create_tracker(path)  # by now it may hold the student's rows
    assert path.read_bytes() == made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.xlsx"]  # no temp file left


def test_refuses_missing_folder_and_other_suffix(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        create_tracker(tmp_path / "nope" / "tracker.xlsx")
    with pytest.raises(ConfigError, match=r"\.xlsx"):  # a wrong name: exit 2
        create_tracker(tmp_path / "tracker.csv")


def write_override(folder: Path, text: str) -> Path:
    path = folder / "questions.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_malformed_question_override_names_file_and_key(tmp_path: Path) -> None:
    path = write_override(
        tmp_path,
        '[[trends]]\nid = "ok-one"\ntext = "Where is it going?"\npriority = 1\n\n'
        '[[trends]]\nid = "bad-one"\ntext = "And then?"\npriority = "high"\n',
    )
    with pytest.raises(ConfigError) as raised:
        load_questions(tmp_path)
    message = str(raised.value)
    assert str(path) in message
    assert "'priority'" in message and "[[trends]] #2" in message and "'high'" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[trends]]\nid = "x"\npriority = 1\n', "'text' is missing"),
        ('[[trends]]\nid = "x"\ntext = "Q?"\npriority = 1\nprio = 2\n', "unknown key 'prio'"),
        ('[[trends]]\nid = "Not Kebab"\ntext = "Q?"\npriority = 1\n', "key 'id'"),
        ('trends = "oops"\n', "key 'trends'"),
        ('[[trends]]\nid = "a"\ntext = "Q?"\npriority = 1\n' * 2, "'a' is used twice"),
        ("[[trends]\nid = 1\n", "not valid TOML"),
        ("", "no questions"),
    ],
)
def test_malformed_question_overrides(tmp_path: Path, text: str, expected: str) -> None:
    path = write_override(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_questions(tmp_path)
    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_malformed_checklist_override(tmp_path: Path) -> None:
    path = tmp_path / "checklist.toml"
    path.write_text('[[item]]\nid = "x"\nphase = "later"\ntext = "Do"\nwhen = "now"\n', "utf-8")
    with pytest.raises(ConfigError) as raised:
        load_checklist(tmp_path)
    assert str(path) in str(raised.value) and "'phase'" in str(raised.value)


def test_create_tracker_with_bad_override_writes_nothing(tmp_path: Path) -> None:
    write_override(tmp_path, '[[trends]]\nid = "x"\ntext = "Q?"\npriority = 7\n')
    with pytest.raises(ConfigError):
        create_tracker(tmp_path / "tracker.xlsx", templates_dir=tmp_path)
    assert not (tmp_path / "tracker.xlsx").exists()


def test_override_wins_and_missing_files_fall_back(tmp_path: Path) -> None:
    write_override(tmp_path, '[[careers]]\nid = "why-here"\ntext = "Why here?"\npriority = 2\n')
    assert load_questions(tmp_path) == [Question("careers", "why-here", "Why here?", 2)]
    assert load_checklist(tmp_path) == load_checklist()  # no checklist.toml there
    path = tmp_path / "tracker.xlsx"
    create_tracker(path, templates_dir=tmp_path)
    rows = list(openpyxl.load_workbook(path)[QUESTIONS_SHEET].iter_rows(values_only=True))
    assert rows == [("Category", "Question", "Priority"), ("Careers", "Why here?", 2)]


def test_missing_templates_dir(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_questions(tmp_path / "nowhere")
