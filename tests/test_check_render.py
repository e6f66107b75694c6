"""The findings table of `sheetsync check`, for any names, messages and terminal widths:

* the column widths sheetsync hands rich (so it need not measure every cell) are the ones rich
  would measure itself — the printed table is the same, character for character;
* where sheetsync lays the table out itself (simple text), it prints the same characters as
  rich's table, each non-space character in the same style."""

from __future__ import annotations

import datetime as dt
import io

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from sheetsync.commands import findings_table as ft
from sheetsync.models import Finding, Severity

TODAY = dt.date(2026, 3, 16)


def findings_of(names: st.SearchStrategy[str]) -> st.SearchStrategy[list[Finding]]:
    """Lists of findings whose contacts and messages are drawn from ``names``."""
    return st.lists(
        st.builds(
            Finding,
            row=st.integers(1, 100_000),
            contact=names,
            rule=st.sampled_from(["follow-up-3b", "thank-you-missing", "bad-date"]),
            severity=st.sampled_from(list(Severity)),
            message=names.map(lambda n: f"Write to {n} about the meeting on Tue 10 Mar"),
            due=st.none() | st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)),
        ),
        min_size=1,
        max_size=12,
    )


names = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x30FF, blacklist_categories=("Cs",)),
    max_size=40,
) | st.sampled_from(["Ana Berg", "王小明", "Zoë 🙂 Ng", "A" * 30, "", "x\ny", "[bold]Ann[/]"])
findings = findings_of(names)
# Text sheetsync lays out itself (one cell a character) more often than not.
simple_names = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x24F, blacklist_categories=("Cs",)),
    max_size=40,
) | st.sampled_from(["Ana Berg", "Zoë Ng", "A" * 30, "", "x\ny", "[bold]Ann[/]", "  two  spaces "])
simple_findings = findings_of(simple_names)


def printed(table: RenderableType, width: int, tty: bool) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        highlight=False,
        soft_wrap=False,
        force_terminal=tty,
        color_system="truecolor" if tty else None,
    )
    console.print(table, crop=False)
    return out.getvalue()


def measured_by_rich(table: Table) -> Table:
    """The same table with every column width left for rich to measure."""
    for column in table.columns:
        column.width = None
    return table


@given(findings, st.integers(20, 160), st.booleans())
def test_given_widths_print_what_rich_would_measure(
    found: list[Finding], width: int, tty: bool
) -> None:
    ours = printed(rich_table(found), width, tty)
    theirs = printed(measured_by_rich(rich_table(found)), width, tty)
    assert ours == theirs


def rich_table(found: list[Finding]) -> Table:
    return ft.rich_table(f"Today ({len(found)})", [ft.row_cells(f, TODAY) for f in found])


def styled(output: str) -> list[tuple[str, str]]:
    """Each character of a terminal's output with the style it is shown in (spaces unstyled:
    where rich pads a dimmed cell with dimmed spaces, nobody sees the difference)."""
    text = Text.from_ansi(output)
    styles = [""] * len(text.plain)
    for span in text.spans:
        for i in range(span.start, span.end):
            styles[i] = f"{styles[i]} {span.style}".strip()
    return [(c, "" if c.isspace() else styles[i]) for i, c in enumerate(text.plain)]


@given(findings | simple_findings, st.integers(20, 160), st.booleans())
def test_the_table_laid_out_here_is_the_one_rich_prints(
    found: list[Finding], width: int, tty: bool
) -> None:
    ours = printed(ft.findings_table("Today", found, TODAY, width), width, tty)
    theirs = printed(rich_table(found), width, tty)
    if tty:
        assert styled(ours) == styled(theirs)
    else:
        assert ours == theirs


def test_a_simple_table_is_laid_out_here_and_the_rest_by_rich() -> None:
    """The fast layout is what a usual tracker gets; wide characters or words to fold go to
    rich (whose output the test above compares)."""
    usual = [Finding(7, "Zoë Ng", "follow-up-3b", Severity.DUE, "Write to Zoë", TODAY)]
    assert isinstance(ft.findings_table("Today", usual, TODAY, 100), ft.LaidOut)
    wide = [Finding(7, "王小明", "follow-up-3b", Severity.DUE, "Write to them", TODAY)]
    assert isinstance(ft.findings_table("Today", wide, TODAY, 100), Table)
    long_word = [Finding(7, "Bo", "bad-date", Severity.DATA, "x" * 90, None)]
    assert isinstance(ft.findings_table("Today", long_word, TODAY, 60), Table)
    ascii_only = ft.findings_table("Today", usual, TODAY, 100, plain_box=False)
    assert isinstance(ascii_only, Table)


def test_the_table_shows_each_finding_literally() -> None:
    found = [
        Finding(7, "[red]Elena[/]", "follow-up-3b", Severity.DUE, "Write to Elena", TODAY),
        Finding(12, "Bo\x1b[2J", "bad-date", Severity.DATA, "Fix 'Date' (cell B12)"),
    ]
    text = printed(ft.findings_table("Today", found, TODAY, 100), 100, tty=False)
    assert text.splitlines()[0].strip() == "Today (2)"
    assert "  7   [red]Elena[/]   Mon 16 Mar   Write to Elena follow-up-3b" in text
    assert " 12   Bo␛[2J" in text and "Fix 'Date' (cell B12) bad-date" in text
