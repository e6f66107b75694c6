"""The managed prep tab: a checklist block per interview, questions to ask, and drafts.

For every interview in the next few days the tab holds a block — who, when, where, how you
know them, the row to look at — with the before and during checklist from
``templates/checklist.toml`` and the questions to ask; for every interview of the last few days,
an after block (notes, thank-you with a draft, LinkedIn, promises, referrals, next touch); and
a follow-up draft for each 7B finding. Each row carries a key in column A (contact + interview
date + item id), so **ticks** (column B) and **notes** (column D onwards) the student typed are
carried over on every sync, whatever moved. Blocks that leave the window move to a Done area
(or are dropped, unless they hold notes), and rows the student added themselves are kept at the
end. Nothing that comes from the student's tab is ever lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sheetsync.config import check_keys
from sheetsync.drafts import Me, contact_context, render_draft
from sheetsync.errors import ConfigError
from sheetsync.frame import Tracker
from sheetsync.grid import CellValue, Grid, Tab, clean_text, is_blank
from sheetsync.init import ChecklistItem, Question, load_checklist, load_questions
from sheetsync.models import Finding
from sheetsync.templating import check_templates_dir, render_text

DEFAULT_TAB = "sheetsync · prep"
TITLE = (
    "Interview prep — written by sheetsync. Tick the boxes in column B and write notes "
    "from column D on: both are kept on every sync."
)
HEADER = ("key", "✓", "What to do", "Your notes")
PHASE_TITLES = {"before": "Before", "during": "During (keep this at hand)", "after": "After"}


@dataclass(frozen=True)
class PrepSettings:
    """``[prep]`` in sheetsync.toml."""

    enabled: bool = True
    tab: str = DEFAULT_TAB
    days_ahead: int = 7
    days_after: int = 7
    aged: str = "archive"  # "archive": move to the Done area; "drop": remove unless noted
    questions: int = 6
    templates_dir: Path | None = None
    me: Me = field(default_factory=Me)


_KEYS: dict[str, type] = {
    "enabled": bool,
    "tab": str,
    "days_ahead": int,
    "days_after": int,
    "aged": str,
    "questions": int,
    "templates_dir": str,
    "my_name": str,
    "my_role": str,
    "my_research": str,
}


def parse_config(table: Mapping[str, Any], path: Path) -> PrepSettings:
    """Validate ``[prep]``."""
    check_keys(table, _KEYS, path, prefix="prep.")
    if table.get("aged", "archive") not in ("archive", "drop"):
        raise ConfigError(f'{path}: \'prep.aged\' must be "archive" or "drop".')
    folder = table.get("templates_dir")
    defaults = Me()
    return PrepSettings(
        enabled=table.get("enabled", True),
        tab=table.get("tab", DEFAULT_TAB),
        days_ahead=table.get("days_ahead", 7),
        days_after=table.get("days_after", 7),
        aged=table.get("aged", "archive"),
        questions=table.get("questions", 6),
        templates_dir=check_templates_dir(folder, path) if folder else None,
        me=Me(
            table.get("my_name", defaults.name),
            table.get("my_role", defaults.role),
            table.get("my_research", defaults.research),
        ),
    )


@dataclass(frozen=True)
class PrepRow:
    """One row of the prep tab: its key, checkbox, text and the student's own cells."""

    key: str
    kind: str  # title, header, block, meta, phase, item, draft, section, blank, kept
    text: str = ""
    tick: CellValue = None  # None: no checkbox on this row
    notes: tuple[CellValue, ...] = ()  # column D onwards, typed by the student

    def cells(self) -> list[CellValue]:
        """The row as cell values A, B, C, D…"""
        values: list[CellValue] = [self.key, self.tick, self.text or None, *self.notes]
        while values and is_blank(values[-1]):
            values.pop()
        return values


@dataclass(frozen=True)
class PrepTab:
    """The whole prep tab, as it should be."""

    name: str
    rows: tuple[PrepRow, ...]

    def grid_rows(self) -> list[list[CellValue]]:
        """Every row's cells."""
        return [r.cells() for r in self.rows]


# ---------------------------------------------------------------------- what the sheet has


@dataclass(frozen=True)
class _Existing:
    ticks: dict[str, CellValue]
    notes: dict[str, tuple[CellValue, ...]]
    rows: list[PrepRow]  # every keyed row as it stands, in order
    kept: list[PrepRow]  # rows the student added (no key)


def _existing(tab: Tab | None) -> _Existing:
    found = _Existing({}, {}, [], [])
    if tab is None:
        return found
    for r in range(1, tab.height + 1):
        cells = list(tab.row_values(r))
        key = clean_text(str(cells[0])) if cells and not is_blank(cells[0]) else ""
        notes = tuple(cells[3:])
        if key and key not in ("key", "title"):
            tick = cells[1] if len(cells) > 1 else None
            found.ticks[key], found.notes[key] = tick, notes
            text = cells[2] if len(cells) > 2 and isinstance(cells[2], str) else ""
            found.rows.append(PrepRow(key, "item", text, tick, notes))
        elif not key and any(not is_blank(v) for v in cells):
            found.kept.append(_kept_row(cells))
    return found


def _kept_row(cells: Sequence[CellValue]) -> PrepRow:
    digest = hashlib.sha1(repr(list(cells)).encode()).hexdigest()[:10]
    text = cells[2] if len(cells) > 2 and isinstance(cells[2], str) else ""
    tick = cells[1] if len(cells) > 1 else None
    return PrepRow(f"kept|{digest}", "kept", text, tick, tuple(cells[3:]))


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
    existing: _Existing
    checklist: tuple[ChecklistItem, ...]
    bank: tuple[Question, ...]


def build(
    tracker: Tracker,
    findings: Iterable[Finding],
    grid: Grid,
    settings: PrepSettings,
    today: dt.date,
    *,
    unticked: CellValue,
) -> PrepTab | None:
    """The prep tab as it should be now, or None when there is nothing to show or keep."""
    current = grid.tab(settings.tab)
    ctx = _Context(
        tracker,
        settings,
        today,
        unticked,
        _existing(current),
        tuple(load_checklist(settings.templates_dir)),
        tuple(question_bank(grid, settings)),
    )
    blocks = _blocks(ctx) + _follow_ups(ctx, findings)
    wanted = {r.key for block in blocks for r in block}
    aged = _aged(ctx, wanted)
    kept = ctx.existing.kept
    if not blocks and not aged and not kept and current is None:
        return None
    rows: list[PrepRow] = [
        PrepRow("title", "title", TITLE),
        PrepRow("key", "header", HEADER[2], HEADER[1], (HEADER[3],)),
    ]
    for block in blocks:
        rows += block
    if aged:
        rows.append(PrepRow("done", "section", "Done — interviews that have left the window"))
        rows += aged
    if kept:
        rows.append(PrepRow("kept", "section", "Kept from your own edits"))
        rows += kept
    return PrepTab(settings.tab, tuple(rows))


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
    return f"{_who(row, row_no)}|{pd.Timestamp(row['interview_date']):%Y-%m-%d}"


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
        draft = render_draft(
            "thank_you", row, ctx.settings.me, ctx.today, ctx.settings.templates_dir
        )
        rows.append(_keep(ctx, PrepRow(f"{key}|draft-thank-you", "draft", draft)))
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
    return _keep(ctx, PrepRow(f"{key}|{item.id}", "item", f"{text} ({item.when})", ctx.unticked))


def _question_rows(ctx: _Context, key: str, contact: Mapping[str, str]) -> list[PrepRow]:
    questions = _row_questions(contact["questions"]) + list(ctx.bank)
    chosen = questions[: ctx.settings.questions]
    if not chosen:
        return []
    rows = [PrepRow(f"{key}|questions", "phase", "Questions to ask, most important first")]
    return rows + [
        _keep(ctx, PrepRow(f"{key}|q|{q.id}", "item", q.text, ctx.unticked)) for q in chosen
    ]


def _follow_ups(ctx: _Context, findings: Iterable[Finding]) -> list[list[PrepRow]]:
    due = [f for f in findings if f.rule == "follow-up-7b"]
    if not due:
        return []
    rows = [PrepRow("followups", "section", "Follow-ups due (7B): one short, polite nudge each")]
    df = ctx.tracker.df
    records = dict(_records(df.loc[sorted({f.row for f in due})]))
    for f in due:
        row = records[f.row]
        base = f"{_who(row, f.row)}|follow-up|{f.due}"
        draft = render_draft(
            "follow_up", row, ctx.settings.me, ctx.today, ctx.settings.templates_dir
        )
        rows.append(
            _keep(
                ctx,
                PrepRow(base, "item", f"Follow up with {f.contact} (row {f.row})", ctx.unticked),
            )
        )
        rows.append(_keep(ctx, PrepRow(f"{base}|draft", "draft", draft)))
    return [[*rows, PrepRow("followups|end", "blank")]]


def _keep(ctx: _Context, row: PrepRow) -> PrepRow:
    """Carry the student's tick and notes for this key over from the sheet."""
    tick = ctx.existing.ticks.get(row.key, row.tick)
    if row.tick is None:
        tick = None if is_blank(tick) else tick
    elif is_blank(tick):
        tick = row.tick
    return PrepRow(row.key, row.kind, row.text, tick, ctx.existing.notes.get(row.key, ()))


def _aged(ctx: _Context, wanted: set[str]) -> list[PrepRow]:
    """Rows of blocks no longer in the window, as they stand (drop: only those with notes)."""
    old = [r for r in ctx.existing.rows if r.key not in wanted and not _structural(r.key)]
    if ctx.settings.aged == "drop":
        noted = {
            r.key.split("|")[0] + "|" + r.key.split("|")[1]
            for r in old
            if r.key.count("|") >= 1 and any(not is_blank(v) for v in r.notes)
        }
        old = [r for r in old if "|".join(r.key.split("|")[:2]) in noted]
    return [PrepRow(r.key, _kind_of(r.key), r.text, r.tick, r.notes) for r in old]


def _structural(key: str) -> bool:
    return key in ("title", "key", "done", "kept", "followups", "followups|end") or key.startswith(
        "kept|"
    )


def _kind_of(key: str) -> str:
    tail = key.rsplit("|", 1)[-1]
    if key.count("|") == 1:
        return "block"
    return {
        "meta": "meta",
        "end": "blank",
        "before": "phase",
        "during": "phase",
        "after": "phase",
        "questions": "phase",
    }.get(tail, "draft" if "draft" in tail else "item")
