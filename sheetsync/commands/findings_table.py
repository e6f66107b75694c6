"""The findings table of ``sheetsync check``: row, contact, due date and what to do.

rich's :class:`~rich.table.Table` lays out any text at any width, but it renders every cell
through its general machinery (padding, measuring, cropping, styling each piece), which for a
tracker with a hundred findings costs more than reading and checking the tracker. Most tables
are simple — every character one terminal cell wide, every word shorter than the last column —
and for those :func:`findings_table` lays the table out itself (:class:`LaidOut`: its lines as
pieces of text with their styles), the exact characters and styles rich's table would print
(``tests/test_check_render.py`` compares the two for any findings and width). Anything else
(wide or combining characters, words to fold, a terminal too narrow, an ASCII-only terminal)
gets rich's table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from sheetsync.dates import spoken
from sheetsync.models import Finding, Severity
from sheetsync.safetext import visible

if TYPE_CHECKING:  # rich's table loads only for the tables laid out by rich
    from rich.table import Table

SEVERITY_STYLE = {
    Severity.OVERDUE: "bold red",
    Severity.DUE: "yellow",
    Severity.SOON: "cyan",
    Severity.INFO: "dim",
    Severity.DATA: "magenta",
}
HEADS = ("Row", "Contact", "Due", "What to do")
CONTACT_MAX = 24  # the contact column's widest; longer names end in "…"
_WORD = re.compile(r"\s*\S+\s*")  # a word and the spaces around it, as rich wraps


@dataclass(frozen=True)
class RowCells:
    """One finding as the table shows it: plain text of each cell, and the due date's style."""

    row: str
    contact: str
    due: str
    due_style: str
    message: str
    rule: str

    @property
    def what(self) -> str:
        """The last column: the message, then the rule id (dimmed)."""
        return f"{self.message} {self.rule}"


def row_cells(f: Finding, today: dt.date) -> RowCells:
    """What the table shows of ``f``: printed literally (control characters made visible)."""
    due = spoken(f.due, today) if f.due else ""
    late = " (overdue)" if f.severity is Severity.OVERDUE else ""
    return RowCells(
        row=str(f.row),
        contact=visible(f.contact),
        due=f"{due}{late}",
        due_style=SEVERITY_STYLE[f.severity],
        message=visible(f.message),
        rule=f.rule,
    )


def findings_table(
    title: str, findings: Sequence[Finding], today: dt.date, width: int, *, plain_box: bool = True
) -> RenderableType:
    """The table of ``findings`` under ``title`` for a console ``width`` cells wide: laid out
    here when it is simple (see the module docstring), else rich's table. ``plain_box`` is
    false where the console cannot print box-drawing characters."""
    rows = [row_cells(f, today) for f in findings]
    heading = f"{title} ({len(findings)})"
    fast = _laid_out(heading, rows, width) if plain_box else None
    return fast if fast is not None else rich_table(heading, rows)


def rich_table(heading: str, rows: Sequence[RowCells]) -> Table:
    """The findings as a rich table (any text, any width)."""
    from rich.table import Table

    table = Table(
        title=heading,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    # The one-line columns get the width rich would measure (their widest cell, header
    # included), so it does not measure hundreds of cells again: the same table, sooner.
    row_w, contact_w, due_w = _fixed_widths(rows)
    table.add_column("Row", justify="right", style="dim", no_wrap=True, width=row_w)
    table.add_column("Contact", no_wrap=True, max_width=CONTACT_MAX, width=contact_w)
    table.add_column("Due", no_wrap=True, width=due_w)
    table.add_column("What to do", overflow="fold", ratio=1)
    for r in rows:
        table.add_row(
            Text(r.row),
            Text(r.contact),
            Text(r.due, style=r.due_style),
            Text.assemble(r.message, " ", (r.rule, "dim")),
        )
    return table


def _fixed_widths(rows: Sequence[RowCells]) -> tuple[int, int, int]:
    """Widths of the row, contact and due columns: each its widest cell, header included
    (the contact column at most :data:`CONTACT_MAX`)."""
    row_w = max([len(HEADS[0]), *(cell_len(r.row) for r in rows)])
    contact_w = max([len(HEADS[1]), *(cell_len(r.contact) for r in rows)])
    due_w = max([len(HEADS[2]), *(cell_len(r.due) for r in rows)])
    return row_w, min(contact_w, CONTACT_MAX), due_w


# ---------------------------------------------------------------------- the simple layout


def _simple(text: str) -> bool:
    """True when every character of ``text`` is printable and one terminal cell wide."""
    return text.isprintable() and cell_len(text) == len(text)


def _laid_out(heading: str, rows: Sequence[RowCells], width: int) -> LaidOut | None:
    """The table laid out here, or None when it is not simple enough (rich lays it out)."""
    texts = (t for r in rows for t in (r.row, r.contact, r.due, r.message, r.rule))
    if not _simple(heading) or not all(_simple(t) for t in texts):
        return None
    row_w, contact_w, due_w = _fixed_widths(rows)
    # Each column's width with its padding (one space each side, none at the table's edges),
    # plus one space between columns: what is left is the last column's.
    fixed = (row_w + 1) + (contact_w + 2) + (due_w + 2) + 3
    widest_what = max([len(HEADS[3]), *(len(r.what) for r in rows)])
    what_w = min(widest_what, width - fixed - 1)
    longest_word = max(len(w.group().rstrip()) for r in rows for w in _WORD.finditer(r.what))
    if what_w < max(longest_word, len(HEADS[3])):
        return None  # words would be folded, or the header cut: rich does that
    return _Builder(row_w, contact_w, due_w, what_w).table(heading, rows)


class LaidOut:
    """A table laid out here: its text in pieces, each with the name of its style (or None).

    A rich renderable that hands the console those pieces as they are (print it with
    ``crop=False``: every line already fits); on a console without colour, as one string.
    """

    def __init__(self, pieces: list[tuple[str, str | None]]) -> None:
        self.pieces = pieces

    @property
    def plain(self) -> str:
        """The table's text without styles."""
        return "".join(text for text, _ in self.pieces)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        if console.color_system is None:
            yield Segment(self.plain)
            return
        styles = {name: console.get_style(name) for name in {s for _, s in self.pieces if s}}
        for text, name in self.pieces:
            yield Segment(text, styles[name] if name else None)


class _Builder:
    """Collects the lines of one table as pieces of text and the names of their styles."""

    def __init__(self, row_w: int, contact_w: int, due_w: int, what_w: int) -> None:
        self.widths = (row_w, contact_w, due_w, what_w)
        self.total = row_w + contact_w + due_w + what_w + 9
        self.pieces: list[tuple[str, str | None]] = []

    def put(self, text: str, style: str | None = None) -> None:
        self.pieces.append((text, style))

    def table(self, heading: str, rows: Sequence[RowCells]) -> LaidOut:
        """Title, header, rule under the header, then each finding's lines."""
        self.put(heading, "bold")
        self.put(" " * (self.total - len(heading)) + "\n")
        row_w, contact_w, due_w, what_w = self.widths
        head = (HEADS[0].rjust(row_w), HEADS[1].ljust(contact_w), HEADS[2].ljust(due_w))
        for cell in head:
            self.put(cell, "bold")
            self.put("   ")
        self.put(HEADS[3], "bold")
        self.put(" " * (what_w - len(HEADS[3])) + "\n")
        self.put("─" * self.total + "\n")
        for r in rows:
            self.finding(r)
        return LaidOut(self.pieces)

    def finding(self, r: RowCells) -> None:
        """One finding: its first line with every cell, then the rest of its wrapped text."""
        row_w, contact_w, due_w, what_w = self.widths
        contact = r.contact if len(r.contact) <= contact_w else r.contact[: contact_w - 1] + "…"
        rule_at = len(r.what) - len(r.rule)
        for n, (start, line) in enumerate(_wrap(r.what, what_w)):
            if n == 0:
                self.put(r.row.rjust(row_w), "dim")
                self.put("   " + contact.ljust(contact_w) + "   ")
                self.put(r.due, r.due_style)
                self.put(" " * (due_w - len(r.due)) + "   ")
            else:
                self.put(" " * (row_w + contact_w + due_w + 9))
            # The rule id, at the end of the text, is dimmed wherever the wrap put it.
            split = min(max(rule_at - start, 0), len(line))
            self.put(line[:split])
            if split < len(line):
                self.put(line[split:], "dim")
            self.put(" " * (what_w - len(line)) + "\n")


def _wrap(text: str, width: int) -> list[tuple[int, str]]:
    """``text`` wrapped at word starts into lines of at most ``width`` cells, each with the
    offset it starts at: rich's word wrap for text whose words all fit in ``width``."""
    starts = [0]
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        if width - offset >= len(word.rstrip()):
            offset += len(word)
        elif offset and start:
            starts.append(start)
            offset = len(word)
    ends = [*starts[1:], len(text)]
    return [(s, _crop_end(text[s:e], width)) for s, e in zip(starts, ends, strict=True)]


def _crop_end(line: str, width: int) -> str:
    """``line`` with the spaces at its end that reach beyond ``width`` cut."""
    excess = len(line) - width
    if excess <= 0:
        return line
    spaces = len(line) - len(line.rstrip())
    return line[: len(line) - min(spaces, excess)]
