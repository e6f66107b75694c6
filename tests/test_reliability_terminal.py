"""Text from cells never reaches a terminal raw, and never forges a line of a digest.

A cell can hold an escape sequence (``\\x1b[2J`` clears the screen, ``\\x1b]0;…\\x07`` retitles
the window), rich markup (``[bold]``), a newline or Markdown. ``check``, ``draft``, ``doctor``,
``status`` and the digests show it literally, with control characters made visible (ESC as
``␛``); ``--format json`` keeps it exact (JSON escapes it).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.console import Console

from sheetsync import digest, pipeline
from sheetsync.backends.memory import MemoryBackend
from sheetsync.cli import render_check
from sheetsync.config import Settings
from sheetsync.safetext import markdown_text, visible, visible_lines

from .cli_runner import Result
from .conftest import TODAY, grid_of, save_rows

# What a terminal must never receive from user text: C0 controls but newline, DEL, C1 controls.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
NASTY = "\x1b[2J\x1b]0;pwned\x07"
NAME = f"Ann{NASTY} [bold]Lee[/bold]"
SHOWN = "Ann␛[2J␛]0;pwned␇ [bold]Lee[/bold]"


def test_visible_shows_every_control_character() -> None:
    assert visible("Ann\x1b[2J") == "Ann␛[2J"
    assert visible("a\nb\r\tc\x00") == "a␊b␍␉c␀"
    assert visible("\x7f\x9b\u2028\u202e") == "␡\\x9b\\u2028\\u202e"
    assert visible_lines("Dear Ann,\n\tthanks\x1b[31m") == "Dear Ann,\n␉thanks␛[31m"
    assert markdown_text("# [link](http://x) *b*\n## h") == (r"\# \[link\](http://x) \*b\*␊\#\# h")


@given(st.text())
@example("Zoë Ångström — 陳 — עברית — 👩🏽‍🔬")
def test_visible_is_the_identity_on_printable_text(text: str) -> None:
    shown = visible(text)
    assert not RAW_CONTROL.search(shown) and "\n" not in shown
    if not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", text):
        assert shown == text


# ---------------------------------------------------------------------- the commands


def tracker_with(path: Path, name: str, org: str) -> Path:
    """A real .xlsx whose row 2 has ``name`` and ``org``, control characters stored as Excel
    stores them (``_x001B_``)."""
    save_rows(
        path,
        [
            ["Name", "Organization", "Email", "Date contacted", "Response", "Interview date"],
            ["NAME-HERE", "ORG-HERE", "ann@acme.org", dt.date(2026, 3, 2), None, None],
            ["Bo Chen", "Initech", "bo@initech.com", dt.date(2026, 3, 2), None, None],
        ],
    )
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for placeholder, text in (("NAME-HERE", name), ("ORG-HERE", org)):
        assert placeholder in sheet
        sheet = sheet.replace(placeholder, _ooxml(text))
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, data in parts.items():
            zf.writestr(part, data)
    return path


def _ooxml(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(f"_x{ord(c):04X}_" if ord(c) < 0x20 else c for c in escaped)


def assert_shown_safely(res: Result) -> None:
    assert not RAW_CONTROL.search(res.out + res.err), repr(res.out + res.err)


def test_check_shows_control_characters_and_markup_literally(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    tracker_with(tmp_path / "t.xlsx", NAME, "Acme\nFAKE LINE")
    res = cli("check", "t.xlsx", "--today", "2026-03-16")
    assert res.code == 1
    assert_shown_safely(res)
    assert SHOWN in res.out  # the name, as typed, with ESC and BEL made visible


def test_check_json_keeps_the_text_exact(tmp_path: Path, cli: Callable[..., Result]) -> None:
    tracker_with(tmp_path / "t.xlsx", NAME, "Acme")
    res = cli("check", "t.xlsx", "--today", "2026-03-16", "--format", "json")
    assert "\x1b" not in res.out  # JSON escapes it …
    contacts = {f["contact"] for f in res.json()["findings"]}
    assert NAME in contacts  # … and gives it back exactly


def test_draft_shows_control_characters_literally(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    tracker_with(tmp_path / "t.xlsx", NAME, f"Acme{NASTY}")
    res = cli("draft", "2", "t.xlsx", "--today", "2026-03-16", "--kind", "thank_you")
    assert res.code == 0, res.err
    assert_shown_safely(res)
    assert "␛[2J" in res.out and "\n" in res.out  # the draft keeps its own lines


def test_doctor_and_sync_show_control_characters_literally(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    tracker_with(tmp_path / "t.xlsx", NAME, "Acme")
    for args in (("doctor", "t.xlsx"), ("sync", "t.xlsx", "--dry-run")):
        res = cli(*args, "--today", "2026-03-16")
        assert res.code == 0, res.out + res.err
        assert_shown_safely(res)


def test_errors_quoting_a_tab_name_show_it_literally(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    save_rows(tmp_path / "t.xlsx", [["Name", "Email"], ["Ann", "ann@acme.org"]])
    res = cli("check", "t.xlsx", "--worksheet", f"Tab{NASTY}")
    assert res.code != 0
    assert_shown_safely(res)


# ---------------------------------------------------------------------- properties

user_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40
)


def checked_for(name: str, org: str) -> pipeline.Checked:
    rows = [
        ["Name", "Organization", "Email", "Date contacted", "Response"],
        [name, org, "ann@acme.org", dt.date(2026, 3, 2), None],
        ["Bo Chen", org, "bo@initech.com", dt.date(2026, 3, 11), None],
    ]
    return pipeline.check_grid(grid_of(rows), Settings(), TODAY)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=user_text, org=user_text)
@example(name=NAME, org="Acme\r\nFAKE")
@example(name="[/]\\", org="\x9b2J")
def test_check_output_never_holds_a_raw_control_character(name: str, org: str) -> None:
    out = io.StringIO()
    render_check(checked_for(name, org), Console(file=out, width=200, color_system=None))
    assert not RAW_CONTROL.search(out.getvalue()), repr(out.getvalue())


def digests(name: str, org: str, source: str) -> tuple[digest.Digest, digest.Digest]:
    """The digest of a real sync, and its twin with every piece of user text replaced by "x"
    (same findings, same structure)."""
    rows = [
        ["Name", "Organization", "Email", "Date contacted", "Response", "Interview date"],
        [name, org, "ann@acme.org", dt.date(2026, 3, 2), None, None],
        ["Bo Chen", org, "bo@initech.com", dt.date(2026, 3, 11), None, None],
        ["Cy Ng", org, "cy@globex.com", dt.date(2026, 3, 1), "yes", dt.date(2026, 3, 19)],
    ]
    result = pipeline.sync(MemoryBackend(grid_of(rows)), Settings(), TODAY)
    plain = tuple(f._replace(contact="x", message="x") for f in result.findings)
    runs = [digest.SourceRun(source, result=result), digest.SourceRun(source, error=org)]
    twins = [
        digest.SourceRun("x", result=replace(result, findings=plain)),
        digest.SourceRun("x", error="x"),
    ]
    return digest.build(TODAY, runs), digest.build(TODAY, twins)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=user_text, org=user_text, source=user_text)
@example(name="Ann\nTODAY\n    - Wire $500 to x", org="# Heading", source="[a](http://x)")
@example(name="Ann\u2028Lee\x85", org="\r", source="\x1b[2J")
@example(name="Ann", org="Acme", source="# t.xlsx")  # plain text: a line, not a heading
def test_user_text_cannot_forge_a_line_of_the_digest(name: str, org: str, source: str) -> None:
    made, twin = digests(name, org, source)
    assert made.now or made.week  # the digest really lists findings about these rows
    for render in (digest.render_text, digest.render_markdown):
        text, expected = render(made), render(twin)
        assert len(text.splitlines()) == len(expected.splitlines())
        assert len(text.split("\n")) == len(expected.split("\n"))
        assert not RAW_CONTROL.search(text), repr(text)
        if render is digest.render_markdown:  # headings exist only in Markdown
            headings = [line for line in text.split("\n") if line.startswith("#")]
            assert headings == [line for line in expected.split("\n") if line.startswith("#")]


def test_the_digest_shows_a_forged_line_on_the_line_it_came_from() -> None:
    made, _ = digests("Ann\nTODAY\n    - Wire money", "# Acme", "t.xlsx")
    text = digest.render_text(made)
    assert "Ann␊TODAY␊    - Wire money" in text
    markdown = digest.render_markdown(made)
    assert "**Ann␊TODAY␊    - Wire money**" in markdown
    assert json.dumps(made.now[0].finding.contact) == json.dumps("Ann\nTODAY\n    - Wire money")


cell_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\ufffe\uffff_"),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(name=cell_text, org=cell_text)
@example(name=NAME, org="Acme\r\nSubject: forged")
def test_draft_output_never_holds_a_raw_control_character(
    name: str, org: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    tracker_with(tmp_path / "t.xlsx", name, org)
    for kind in ("thank_you", "outreach"):
        res = cli("draft", "2", "t.xlsx", "--today", "2026-03-16", "--kind", kind)
        assert_shown_safely(res)
