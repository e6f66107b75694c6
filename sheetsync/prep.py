"""The managed prep tab: a checklist block per interview, questions to ask, and drafts.

For every interview in the next few days the tab holds a block — who, when, where, how you
know them, the row to look at — with the before and during checklist from
``templates/checklist.toml`` and the questions to ask; for every interview of the last few days,
an after block (notes, thank-you with a draft, LinkedIn, promises, referrals, next touch); and
a follow-up draft for each 7B finding.

**The tab is merged, not rebuilt.** The student types anywhere in it: ticks, notes, over a
generated line, rows of their own. sheetsync remembers what it wrote, per cell, and on each sync
decides three-way — what it wrote last, what is there now, what it wants now: a cell that
still holds exactly what it wrote gets what it wants now; any other cell is the student's and
stays, with its row, wherever the row's block moves (re-sorted interviews, the Done area). A
row the student added (no key) stays below the row it followed. A row no longer wanted is
removed only when nothing in it, or added below it, is the student's.

Where the memory lives: in the hidden key column A of each row sheetsync manages, as
``<key>#<kind>:<B>:<C>:<D>`` — the row key (contact + interview date + item), a letter for
what the row is, and an 8-hex-digit hash of the value and type sheetsync last wrote in B, C and
D ("-" for nothing, "?" for "unknown: the student's"). Plain cell values, so it travels with
the workbook and works the same on .xlsx, Google Sheets and the memory backend, survives sorts
and moves of whole rows (the memory moves with its row), and needs no hidden part or developer
metadata, which some programs drop on save and which would have to be matched back to rows.
A column A the student clears or changes no longer parses: the row is then treated as theirs,
whole, and kept. A tab written before the memory existed is read conservatively (see
:func:`sheetsync.prep_rows._legacy_prints`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sheetsync.checklists import ChecklistItem, Question, load_checklist, load_questions
from sheetsync.drafts import Me, contact_context, render_draft
from sheetsync.frame import Tracker
from sheetsync.grid import CellValue, Grid, Tab, clean_text
from sheetsync.models import Finding
from sheetsync.prep_rows import (
    OWN,
    PrepRow,
    TabRow,
    _empty,
    _structural,
    _Unit,
    _units,
    encode,
    fingerprint,
)
from sheetsync.schema import Key, Where, parse_section, setting
from sheetsync.templating import check_templates_dir, render_text, templates_held

DEFAULT_TAB = "sheetsync · prep"
TITLE = (
    "Interview prep — written by sheetsync. Tick the boxes in column B, write notes from "
    "column D on, add rows or type over any line: what you type is kept on every sync."
)
HEADER = ("key", "✓", "What to do", "Your notes")
PHASE_TITLES = {"before": "Before", "during": "During (keep this at hand)", "after": "After"}


def _me(given: Mapping[str, str], where: Where) -> Me:
    defaults = Me()
    return Me(
        given.get("my_name", defaults.name),
        given.get("my_role", defaults.role),
        given.get("my_research", defaults.research),
    )


@dataclass(frozen=True)
class PrepSettings:
    """``[prep]`` in sheetsync.toml."""

    enabled: bool = setting(True, bool, "keep the prep tab in the tracker")
    tab: str = setting(DEFAULT_TAB, str, "the name of the prep tab", nonblank=True)
    days_ahead: int = setting(7, int, "interviews this many days ahead get a block", minimum=0)
    days_after: int = setting(
        7, int, "interviews this many days back get an after block", minimum=0
    )
    aged: str = setting(
        "archive",
        str,
        'older blocks: "archive" moves them to the Done area, "drop" removes them unless noted',
        choices=("archive", "drop"),
    )
    questions: int = setting(6, int, "questions to ask per interview", minimum=0)
    templates_dir: Path | None = setting(
        None,
        str,
        "a folder of your own draft templates, checklist.toml and questions.toml",
        convert=lambda v, w: check_templates_dir(v, w.path) if v else None,
    )
    me: Me = setting(
        toml=dict,
        factory=Me,
        help="you, as drafts introduce you",
        parts={
            "my_name": Key(str, "your name, as drafts sign (default: a [placeholder] to fill)"),
            "my_role": Key(str, 'your role, like "a PhD student in chemistry"'),
            "my_research": Key(str, "your research, in a few words"),
        },
        convert=_me,
    )


def parse_config(table: Mapping[str, Any], path: Path) -> PrepSettings:
    """Validate ``[prep]``."""
    return parse_section(PrepSettings, table, path, "prep")


@dataclass(frozen=True)
class PrepTab:
    """The whole prep tab, as it should be: sheetsync's rows merged with the student's."""

    name: str
    rows: tuple[TabRow, ...]

    def grid_rows(self) -> list[list[CellValue]]:
        """Every row's cells."""
        return [list(r.cells) for r in self.rows]


# ---------------------------------------------------------------------- the merge


def merge(wanted: Sequence[PrepRow], units: Sequence[_Unit], aged: str) -> list[TabRow]:
    """sheetsync's rows in their order, each merged with the row it wrote before (and the rows
    the student added below it); then the Done area: rows no longer wanted that are kept."""
    waiting: dict[str, list[_Unit]] = {}
    for unit in units[1:]:
        assert unit.line is not None and unit.line.key is not None
        waiting.setdefault(unit.line.key, []).append(unit)
    out = units[0].rows() if units else []
    for row in wanted:
        queue = waiting.get(row.key)
        out += _merged(row, queue.pop(0) if queue else None)
    done = waiting.pop(DONE_ROW.key, [])
    left = sorted((u for q in waiting.values() for u in q), key=lambda u: u.index)
    kept = _kept(left, aged) + [u for u in done[1:] if u.has_student_content()]
    if kept or (done and done[0].has_student_content()):
        out += _merged(DONE_ROW, done[0] if done else None)
        for unit in sorted(kept, key=lambda u: u.index):
            out += unit.rows()
    return out


def _merged(row: PrepRow, unit: _Unit | None) -> list[TabRow]:
    """Three-way, per cell: a cell still holding what sheetsync wrote gets what it wants now;
    any other cell is the student's and stays as it is."""
    want = row.wanted()
    if unit is None:  # not written before (a first sync's every row): all of it is sheetsync's
        cells = [encode(row.key, row.kind, [fingerprint(v) for v in want]), *want]
        while cells and _empty(cells[-1]):
            cells.pop()
        return [TabRow(row.kind, tuple(cells))]
    line = unit.line
    values: list[CellValue] = []
    prints: list[str] = []
    for i in range(OWN):
        if line is None or line.owned(i):
            values.append(want[i])
            prints.append(fingerprint(want[i]))
        else:
            values.append(line.cell(2 + i))
            prints.append(line.prints[i])
    extra = line.cells[1 + OWN :] if line is not None else ()
    cells = [encode(row.key, row.kind, prints), *values, *extra]
    while cells and _empty(cells[-1]):
        cells.pop()
    added = [a.as_written() for a in unit.added]
    return [TabRow(row.kind, tuple(cells)), *added]


def _kept(left: Sequence[_Unit], aged: str) -> list[_Unit]:
    """Rows no longer wanted that stay: with "archive" every block row; with "drop" the blocks
    holding anything the student typed. Section rows stay only with the student's content."""
    if aged == "archive":
        return [u for u in left if u.has_student_content() or not _structural_line(u)]
    heads = _heads(left)
    noted = {heads[u.index] for u in left if u.has_student_content()}
    return [
        u
        for u in left
        if u.has_student_content() or (heads[u.index] in noted and not _structural_line(u))
    ]


def _structural_line(unit: _Unit) -> bool:
    line = unit.line
    assert line is not None and line.key is not None
    return line.kind in ("title", "header", "section") or _structural(line.key)


def _heads(units: Sequence[_Unit]) -> dict[int, str]:
    """The block each row belongs to: the shortest prefix of its key that is a row's key."""
    keys = {u.line.key for u in units if u.line is not None}
    heads: dict[int, str] = {}
    for u in units:
        assert u.line is not None and u.line.key is not None
        parts = u.line.key.split("|")
        prefixes = ("|".join(parts[:n]) for n in range(1, len(parts) + 1))
        heads[u.index] = next(p for p in prefixes if p in keys or p == u.line.key)
    return heads


# ---------------------------------------------------------------------- questions


def question_bank(grid: Grid, settings: PrepSettings) -> list[Question]:
    """Questions from the tracker's own question-ideas tab, else the default bank."""
    tab = next((t for t in grid.tabs if re.search(r"question", t.name, re.I)), None)
    own = _questions_from_tab(tab) if tab else []
    return own or sorted(load_questions(settings.templates_dir), key=lambda q: q.priority)


def _questions_from_tab(tab: Tab) -> list[Question]:
    for r in range(1, min(tab.height, 10) + 1):
        header = [
            clean_text(str(v)).lower() if isinstance(v, str) else "" for v in tab.row_values(r)
        ]
        col = next((i for i, h in enumerate(header) if "question" in h), None)
        if col is None:
            continue
        prio = next((i for i, h in enumerate(header) if "prior" in h or "rank" in h), None)
        cat = next((i for i, h in enumerate(header) if "categ" in h or "theme" in h), None)
        found = [
            _question(tab.row_values(x), col, prio, cat, x) for x in range(r + 1, tab.height + 1)
        ]
        questions = [q for q in found if q is not None]
        return sorted(questions, key=lambda q: q.priority)
    return []


def _question(
    cells: Sequence[CellValue], col: int, prio: int | None, cat: int | None, row: int
) -> Question | None:
    text = cells[col] if col < len(cells) else None
    if not isinstance(text, str) or not clean_text(text):
        return None
    rank = cells[prio] if prio is not None and prio < len(cells) else None
    category = cells[cat] if cat is not None and cat < len(cells) else ""
    qid = hashlib.sha1(clean_text(text).encode()).hexdigest()[:8]
    return Question(str(category or "own"), qid, clean_text(text), _priority(rank))


def _priority(value: CellValue) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    words = {"high": 1, "h": 1, "medium": 2, "med": 2, "m": 2, "low": 3, "l": 3}
    return words.get(clean_text(str(value or "")).lower(), 2)


def _row_questions(text: str) -> list[Question]:
    parts = [clean_text(p) for p in re.split(r"\n|;|\?\s", text) if clean_text(p)]
    return [
        Question(
            "this person",
            hashlib.sha1(p.encode()).hexdigest()[:8],
            p if p.endswith("?") else p + "?",
            0,
        )
        for p in parts
    ]


# ---------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class _Context:
    tracker: Tracker
    settings: PrepSettings
    today: dt.date
    unticked: CellValue
    checklist: tuple[ChecklistItem, ...]
    bank: tuple[Question, ...]
    seen: Counter[str] = field(default_factory=Counter)  # block keys handed out so far
    texts: dict[str, str] = field(default_factory=dict)  # each item text, held once

    def shared(self, text: str) -> str:
        """``text`` as one object for every block that shows it (a checklist item reads
        the same in most of thousands of blocks, and the tab is held for the whole sync)."""
        return self.texts.setdefault(text, text)

    def unique(self, base: str) -> str:
        """``base``, or ``base~2``, ``base~3``… for the second, third… block with that key
        (two tracker rows for one person and date are two blocks, in tracker order)."""
        self.seen[base] += 1
        return base if self.seen[base] == 1 else f"{base}~{self.seen[base]}"


TITLE_ROW = PrepRow("title", "title", TITLE)
HEADER_ROW = PrepRow("key", "header", HEADER[2], HEADER[1], (HEADER[3],))
DONE_ROW = PrepRow("done", "section", "Done — interviews that have left the window")


def build(
    tracker: Tracker,
    findings: Iterable[Finding],
    grid: Grid,
    settings: PrepSettings,
    today: dt.date,
    *,
    unticked: CellValue,
) -> PrepTab | None:
    """The prep tab as it should be now — sheetsync's rows merged with everything the student
    typed — or None when there is nothing to show and no tab yet."""
    current = grid.tab(settings.tab)
    ctx = _Context(
        tracker,
        settings,
        today,
        unticked,
        tuple(load_checklist(settings.templates_dir)),
        tuple(question_bank(grid, settings)),
    )
    with templates_held():  # each draft template looked up once, not once a contact
        blocks = _blocks(ctx) + _follow_ups(ctx, findings)
    if not blocks and current is None:
        return None
    wanted = _unique_rows([TITLE_ROW, HEADER_ROW, *(r for block in blocks for r in block)])
    units = _units(current, {r.key: r for r in wanted}, unticked)
    return PrepTab(settings.tab, tuple(merge(wanted, units, settings.aged)))


def _unique_rows(rows: Sequence[PrepRow]) -> list[PrepRow]:
    """Rows whose key is taken already (a question asked twice) get ``~2``, ``~3``…"""
    seen: set[str] = set()
    repeats: dict[str, int] = {}  # how many times each key met again has been seen
    out = []
    for row in rows:
        if row.key not in seen:
            seen.add(row.key)
            out.append(row)
            continue
        n = repeats[row.key] = repeats.get(row.key, 1) + 1
        out.append(replace(row, key=f"{row.key}~{n}"))
    return out


def _interviews(ctx: _Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    df = ctx.tracker.df
    if "interview_date" not in df:
        return df.iloc[0:0], df.iloc[0:0]
    days = (df["interview_date"] - pd.Timestamp(ctx.today)).dt.days
    ahead = df[(days >= 0) & (days <= ctx.settings.days_ahead)]
    after = df[(days < 0) & (days >= -ctx.settings.days_after)]
    return ahead.sort_values("interview_date", kind="stable"), after.sort_values(
        "interview_date", ascending=False, kind="stable"
    )


def _blocks(ctx: _Context) -> list[list[PrepRow]]:
    ahead, after = _interviews(ctx)
    blocks = [_block(ctx, r, record, "before") for r, record in _records(ahead)]
    return blocks + [_block(ctx, r, record, "after") for r, record in _records(after)]


def _records(df: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
    """Each frame row as (sheet row, plain dict) — what templates and drafts take — built
    column by column (a row-by-row ``iloc`` costs far more for thousands of blocks)."""
    columns = [(str(c), df[c].tolist()) for c in df.columns]
    return [
        (int(row), {name: values[i] for name, values in columns})
        for i, row in enumerate(df.index.tolist())
    ]


def _who(row: Mapping[str, Any], row_no: int) -> str:
    """The contact key of a frame row, or its row number when it has none."""
    key = row.get("key")
    return str(key) if isinstance(key, str) and key else f"row{row_no}"


def _block_key(ctx: _Context, row_no: int, row: Mapping[str, Any]) -> str:
    return ctx.unique(f"{_who(row, row_no)}|{pd.Timestamp(row['interview_date']):%Y-%m-%d}")


def _block(ctx: _Context, row_no: int, row: dict[str, Any], stage: str) -> list[PrepRow]:
    key = _block_key(ctx, row_no, row)
    contact = contact_context(row)
    when = pd.Timestamp(row["interview_date"])
    verb = "interview" if stage == "before" else "interview was"
    head = f"{contact['name']}{' · ' + contact['organization'] if contact['organization'] else ''}"
    rows = [
        PrepRow(key, "block", f"{head} — {verb} {when:%a %d %b %Y}"),
        PrepRow(f"{key}|meta", "meta", _meta(ctx, row_no, contact)),
    ]
    template_ctx = {"contact": contact, "me": vars(ctx.settings.me)}
    phases = ("before", "during") if stage == "before" else ("after",)
    for phase in phases:
        rows.append(PrepRow(f"{key}|{phase}", "phase", PHASE_TITLES[phase]))
        rows += [
            _item(ctx, key, i, template_ctx, contact) for i in ctx.checklist if i.phase == phase
        ]
        if phase == "before":
            rows += _question_rows(ctx, key, contact)
    if stage == "after" and not _thanked(row):
        me, folder = ctx.settings.me, ctx.settings.templates_dir
        draft = render_draft("thank_you", row, me, ctx.today, folder, contact=contact)
        rows.append(PrepRow(f"{key}|draft-thank-you", "draft", draft))
    rows.append(PrepRow(f"{key}|end", "blank"))
    return rows


def _thanked(row: Mapping[str, Any]) -> bool:
    value = row.get("thank_you")
    return bool(value) if value is not None and not pd.isna(value) else False


def _meta(ctx: _Context, row_no: int, contact: Mapping[str, str]) -> str:
    parts = [f"Where: {contact['platform'] or 'not recorded yet'}"]
    if contact["connection"] or contact["referred_by"]:
        parts.append(f"How you know them: {contact['connection'] or contact['referred_by']}")
    parts.append(f"Row {row_no} of '{ctx.tracker.layout.worksheet}'")
    return " · ".join(parts)


_EXTRA = {"do-promised": ("promises", "Promised"), "record-referrals": ("referrals", "Suggested")}


def _item(
    ctx: _Context,
    key: str,
    item: ChecklistItem,
    template_ctx: Mapping[str, Any],
    contact: Mapping[str, str],
) -> PrepRow:
    text = render_text(item.text, template_ctx, f"checklist item '{item.id}'")
    field_id, label = _EXTRA.get(item.id, ("", ""))
    if field_id and contact.get(field_id):
        text += f" {label}: {contact[field_id]}."
    return PrepRow(f"{key}|{item.id}", "item", ctx.shared(f"{text} ({item.when})"), ctx.unticked)


def _question_rows(ctx: _Context, key: str, contact: Mapping[str, str]) -> list[PrepRow]:
    questions = _row_questions(contact["questions"]) + list(ctx.bank)
    chosen = questions[: ctx.settings.questions]
    if not chosen:
        return []
    rows = [PrepRow(f"{key}|questions", "phase", "Questions to ask, most important first")]
    return rows + [PrepRow(f"{key}|q|{q.id}", "item", q.text, ctx.unticked) for q in chosen]


def _follow_ups(ctx: _Context, findings: Iterable[Finding]) -> list[list[PrepRow]]:
    due = [f for f in findings if f.rule == "follow-up-7b"]
    if not due:
        return []
    rows = [PrepRow("followups", "section", "Follow-ups due (7B): one short, polite nudge each")]
    df = ctx.tracker.df
    records = dict(_records(df.loc[sorted({f.row for f in due})]))
    for f in due:
        row = records[f.row]
        base = ctx.unique(f"{_who(row, f.row)}|follow-up|{f.due}")
        draft = render_draft(
            "follow_up", row, ctx.settings.me, ctx.today, ctx.settings.templates_dir
        )
        rows.append(
            PrepRow(base, "item", f"Follow up with {f.contact} (row {f.row})", ctx.unticked)
        )
        rows.append(PrepRow(f"{base}|draft", "draft", draft))
    return [[*rows, PrepRow("followups|end", "blank")]]
