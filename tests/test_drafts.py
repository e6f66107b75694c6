"""Drafts and their lint: every template renders for every tracker; the lint flags known-bad
outreach emails and passes good ones; a broken user template stops the sync before it writes."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings, load_settings
from sheetsync.drafts import KINDS, Me, choose_kind, lint, promise_sentence, render_draft
from sheetsync.errors import ConfigError, TemplateError

from .cli_runner import Result, run_main
from .workbooks import kitchen_sink

TODAY = dt.date(2026, 3, 16)
EXAMPLE = Path(__file__).parent.parent / "examples" / "tracker.xlsx"

GOOD = [
    (
        "Dr. Lee",
        "Dr. Lee suggested I reach out. I am a PhD student in chemistry and curious how "
        "you moved into patent law. Would you have 20 minutes for a call in the next few weeks?",
    ),
    (
        "ASCB 2025",
        "We met briefly at ASCB 2025 after your talk. I study cell mechanics and would "
        "value your view on biotech careers. Could we talk for 15 minutes sometime soon?",
    ),
]
BAD = [
    ("job-ask", "", "Hi, I am finishing my PhD. Are there any openings on your team? Thanks!"),
    ("no-question", "", "Hi, I would like to talk with you about your career at some point."),
    ("too-long", "", " ".join(["word"] * 101) + "?"),
    ("long-ish", "", " ".join(["word"] * 80) + "?"),
    ("no-connection", "Dr. Lee", "Hello, I am a PhD student. Could we talk for 20 minutes?"),
    ("long-meeting", "", "Hi! Could we meet for an hour next week to discuss your work?"),
    ("job-ask", "", "Could you refer me for a position at Acme? Could we chat?"),
]


@pytest.mark.parametrize(("connection", "text"), GOOD)
def test_lint_passes_good_outreach(connection: str, text: str) -> None:
    assert lint(text, connection=connection) == []


@pytest.mark.parametrize(("code", "connection", "text"), BAD)
def test_lint_flags_known_bad_outreach(code: str, connection: str, text: str) -> None:
    assert code in [i.code for i in lint(text, connection=connection)]


def _trackers(tmp_path: Path) -> list[Path]:
    example = tmp_path / "example.xlsx"
    shutil.copy(EXAMPLE, example)
    return [example, kitchen_sink(tmp_path / "sink.xlsx")]


def test_every_template_renders_for_every_tracker_row(tmp_path: Path) -> None:
    me = Me("Sam Rivera", "a PhD student in bioengineering", "tissue mechanics")
    rendered = 0
    for path in _trackers(tmp_path):
        checked = pipeline.check(XlsxBackend(path), Settings(), TODAY)
        for _, row in checked.tracker.df.iterrows():
            record = {str(k): v for k, v in row.items()}
            for kind in KINDS:
                text = render_draft(kind, record, me, TODAY)
                assert text.startswith("Subject: ") and text.endswith("Sam Rivera")
                assert "{{" not in text and "None" not in text and "nan" not in text
                rendered += 1
            outreach = render_draft("outreach", record, me, TODAY)
            codes = [i.code for i in lint(outreach, connection=str(record.get("connection") or ""))]
            assert not {"too-long", "no-question", "job-ask", "long-meeting"} & set(codes)
    assert rendered > 60


def _config(tmp_path: Path, template: str) -> Path:
    folder = tmp_path / "my-templates" / "drafts"
    folder.mkdir(parents=True)
    (folder / "thank_you.txt.j2").write_text(template)
    config = tmp_path / "sheetsync.toml"
    config.write_text('[prep]\ntemplates_dir = "my-templates"\nmy_name = "Sam"\n')
    return config


def test_a_typo_in_a_user_template_names_template_line_and_variable(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        "Subject: Thanks\n\nDear {{ contact.first_name }},\nThanks {{ contact.frist_name }}!\n",
    )
    tracker = kitchen_sink(tmp_path / "t.xlsx")
    before = tracker.read_bytes()
    settings = load_settings(config)
    with pytest.raises(TemplateError) as caught:
        pipeline.sync(XlsxBackend(tracker), settings, TODAY)
    message = str(caught.value)
    assert "drafts/thank_you.txt.j2" in message and "line 4" in message
    assert "frist_name" in message
    assert tracker.read_bytes() == before  # nothing half-written
    done = run_main(
        ["sync", str(tracker), "--today", "2026-03-16", "--config", str(config)], cwd=Path.cwd()
    )
    assert done.returncode == 3 and "frist_name" in done.stderr and "Traceback" not in done.stderr


def test_a_user_template_overrides_the_builtin(tmp_path: Path) -> None:
    config = _config(tmp_path, "Subject: Cheers {{ contact.first_name }}\n\n{{ me.name }}")
    settings = load_settings(config)
    record = {"name": "Ann Lee", "interview_date": None}
    prep = settings.section("prep")
    assert render_draft("thank_you", record, prep.me, TODAY, prep.templates_dir) == (
        "Subject: Cheers Ann\n\nSam"
    )
    assert "Thank you for taking the time" in render_draft("thank_you", record, prep.me, TODAY)


def test_a_template_edited_during_a_prep_build_is_read_again_by_the_next(tmp_path: Path) -> None:
    """Inside one build each template file is looked up once; the next build sees an edit."""
    from sheetsync.templating import templates_held

    config = _config(tmp_path, "Old {{ contact.first_name }}")
    template = tmp_path / "my-templates" / "drafts" / "thank_you.txt.j2"
    prep = load_settings(config).section("prep")
    record = {"name": "Ann Lee", "interview_date": None}

    def draft() -> str:
        return render_draft("thank_you", record, prep.me, TODAY, prep.templates_dir)

    def edit(text: str, mtime: int) -> None:
        template.write_text(text)
        os.utime(template, (mtime, mtime))  # a new modification time, however fast the test

    with templates_held():
        assert draft() == "Old Ann"
        edit("New {{ contact.first_name }}", 2_000_000_000)
        assert draft() == "Old Ann"  # held for the rest of this build
    assert draft() == "New Ann"
    with templates_held():
        edit("Newer {{ contact.first_name }}", 2_000_000_100)
        assert draft() == "Newer Ann"


def test_templates_dir_outside_the_config_folder_is_refused(tmp_path: Path) -> None:
    inner = tmp_path / "project"
    inner.mkdir()
    (tmp_path / "elsewhere").mkdir()
    config = inner / "sheetsync.toml"
    config.write_text('[prep]\ntemplates_dir = "../elsewhere"\n')
    with pytest.raises(ConfigError, match="outside the folder"):
        load_settings(config)


def test_templates_cannot_reach_python_internals(tmp_path: Path) -> None:
    config = _config(tmp_path, "{{ contact.__class__.__mro__[1].__subclasses__() }}")
    prep = load_settings(config).section("prep")
    with pytest.raises(TemplateError):
        render_draft("thank_you", {"name": "Ann"}, prep.me, TODAY, prep.templates_dir)


def test_draft_command_prints_the_draft_the_row_needs(tmp_path: Path) -> None:
    example = tmp_path / "t.xlsx"
    shutil.copy(EXAMPLE, example)
    thanks = run_main(["draft", "12", str(example), "--today", "2026-03-16"], cwd=Path.cwd())
    assert thanks.returncode == 0 and thanks.stdout.startswith("Subject: Thank you, Hiroshi")
    nudge = run_main(["draft", "13", str(example), "--today", "2026-03-16"], cwd=Path.cwd())
    assert nudge.stdout.startswith("Subject: Following up")
    missing = run_main(["draft", "5", str(example), "--today", "2026-03-16"], cwd=Path.cwd())
    assert missing.returncode == 2 and "not a contact row" in missing.stderr


# ---------------------------------------------------------------- the draft a row's stage needs

INIT_ROW = {  # one contact in an `init` tracker, every field filled (interview date as text)
    "Name": "Ana Ruiz",
    "Organization": "Acme Bio",
    "Title": "Scientist",
    "Email": "ana@acme.example",
    "LinkedIn": "https://www.linkedin.com/in/ana-ruiz",
    "Connection": "ASCB 2025",
    "Referred by": "Dr. Lee",
    "Date contacted": "2026-03-02",
    "Response": "2026-03-04",
    "Follow-up sent": "2026-03-10",
    "Interview date": "3/12/2026",
    "Place / platform": "Zoom",
    "Thank-you sent": "2026-03-13",
    "Last contact": "2026-03-13",
    "Next contact": "2026-06-01",
    "Keep in touch every": "3 months",
    "Referrals": "Bo Chen",
    "Promised": "Send her my poster",
    "Questions": "How did you move into industry?",
    "Notes": "She said the first year is about learning the product.",
    "Draft email": "",
    "Snooze until": "",
}


def _init_tracker(tmp_path: Path, cli: Callable[..., Result], cells: dict[str, str]) -> Path:
    """An `init` tracker with one contact on row 4, written as a person would type it."""
    path = tmp_path / "t.xlsx"
    path.unlink(missing_ok=True)
    assert cli("init", str(path)).code == 0
    book = openpyxl.load_workbook(path)
    sheet = book["Contacts"]
    headers = [c.value for c in sheet[3]]
    assert set(INIT_ROW) == set(headers)  # the test covers every field `init` makes
    for col, header in enumerate(headers, start=1):
        sheet.cell(4, col).value = cells.get(str(header)) or None
    book.save(path)
    return path


def _stage(**cells: str) -> dict[str, str]:
    return {"Name": "Ana Ruiz", "Organization": "Acme Bio", **cells}


STAGES = [  # what the row records → the draft it needs on 2026-03-16
    (_stage(), "outreach"),
    (_stage(**{"Date contacted": "2026-03-02"}), "follow_up"),
    (_stage(**{"Date contacted": "2026-03-02", "Response": "yes"}), "confirm"),
    (_stage(**{"Response": "2026-03-04", "Interview date": "3/20/2026"}), "confirm"),
    (_stage(**{"Response": "2026-03-04", "Interview date": "3/12/2026"}), "thank_you"),
    (_stage(**{"Interview date": "3/12/2026", "Thank-you sent": "yes"}), "stay_in_touch"),
]


@pytest.mark.parametrize(("cells", "kind"), STAGES)
def test_the_draft_follows_the_rows_stage(
    tmp_path: Path, cli: Callable[..., Result], cells: dict[str, str], kind: str
) -> None:
    path = _init_tracker(tmp_path, cli, cells)
    checked = pipeline.check(XlsxBackend(path), Settings(), TODAY)
    record = {str(k): v for k, v in checked.tracker.df.loc[4].items()}
    assert choose_kind(record, TODAY) == kind
    shown = cli("draft", "4", str(path), "--today", "2026-03-16")
    assert shown.code == 0
    assert shown.out == render_draft(kind, record, Me(), TODAY) + "\n"


@pytest.mark.parametrize("empty", sorted(INIT_ROW))
def test_every_kind_renders_with_any_init_field_left_empty(
    tmp_path: Path, cli: Callable[..., Result], empty: str
) -> None:
    path = _init_tracker(tmp_path, cli, {k: v for k, v in INIT_ROW.items() if k != empty})
    checked = pipeline.check(XlsxBackend(path), Settings(), TODAY)
    record = {str(k): v for k, v in checked.tracker.df.loc[4].items()}
    for kind in KINDS:
        text = render_draft(kind, record, Me(), TODAY)
        assert text.startswith("Subject: "), kind
        for junk in ("None", "nan", "<NA>", "NaT", "{{"):
            assert junk not in text, (kind, junk)
    shown = cli("draft", "4", str(path), "--today", "2026-03-16", "--kind", "outreach")
    assert shown.code == 0 and shown.out.startswith("Subject: "), shown.err


def test_the_thank_you_phrases_the_promise_as_a_sentence(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = _init_tracker(tmp_path, cli, INIT_ROW)
    shown = cli("draft", "4", str(path), "--today", "2026-03-16", "--kind", "thank_you")
    assert "As promised, I will send you my poster." in shown.out
    assert "Send her my poster" not in shown.out


@pytest.mark.parametrize(
    ("promise", "sentence"),
    [
        ("send my CV", "As promised, I will send my CV."),
        (
            "Send him the spatial transcriptomics review.",
            ("As promised, I will send you the spatial transcriptomics review."),
        ),
        ("introduce her to Bo Chen", "As promised, I will introduce you to Bo Chen."),
        ("done: sent the paper", "As promised, I sent the paper."),
        ("done", ""),
        ("done: the intro to Bo", "As promised, I have taken care of this: the intro to Bo."),
        (
            "the slides from my talk",
            "I have not forgotten what I promised: the slides from my talk.",
        ),
        ("   ", ""),
    ],
)
def test_promise_sentence(promise: str, sentence: str) -> None:
    assert promise_sentence(promise) == sentence
