"""The findings table of `sheetsync check`: the column widths sheetsync hands rich (so it need
not measure every cell) are the ones rich would measure itself — the printed table is the same,
character for character, for any names, messages and terminal widths."""

from __future__ import annotations

import datetime as dt
import io

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from sheetsync import cli
from sheetsync.models import Finding, Severity

TODAY = dt.date(2026, 3, 16)

names = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x30FF, blacklist_categories=("Cs",)),
    max_size=40,
) | st.sampled_from(["Ana Berg", "王小明", "Zoë 🙂 Ng", "A" * 30, "", "x\ny", "[bold]Ann[/]"])
findings = st.lists(
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


def printed(table: Table, width: int, tty: bool) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        highlight=False,
        soft_wrap=False,
        force_terminal=tty,
        color_system="truecolor" if tty else None,
    )
    console.print(table)
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
    ours = printed(cli._table("Today", found, TODAY), width, tty)
    theirs = printed(measured_by_rich(cli._table("Today", found, TODAY)), width, tty)
    assert ours == theirs


def test_the_table_shows_each_finding_literally() -> None:
    found = [
        Finding(7, "[red]Elena[/]", "follow-up-3b", Severity.DUE, "Write to Elena", TODAY),
        Finding(12, "Bo\x1b[2J", "bad-date", Severity.DATA, "Fix 'Date' (cell B12)"),
    ]
    text = printed(cli._table("Today", found, TODAY), 100, tty=False)
    assert text.splitlines()[0].strip() == "Today (2)"
    assert "  7   [red]Elena[/]   Mon 16 Mar   Write to Elena follow-up-3b" in text
    assert " 12   Bo␛[2J" in text and "Fix 'Date' (cell B12) bad-date" in text
