"""The column map a student can see, correct and confirm (``sheetsync map``).

``sync`` writes only on a sure or confirmed map (no write on a guess). This module
shows what :func:`sheetsync.layout.discover` read — each column with a few sample values, the
field it was read as and how sure that is — applies the student's corrections, and saves the
result into ``sheetsync.toml`` as ``worksheet``, ``header_row``, ``[columns]`` (every mapped
field, so the next run treats each as confirmed) and ``ignore_columns``.

The config is edited as text, surgically: only those keys and that table change; comments,
other sections and their order stay as the user wrote them. The edited text is checked before
it is written (it must parse, every other setting must be unchanged, and
:func:`sheetsync.config.parse_settings` must accept it), and written through
:func:`sheetsync.files.update_config` like every file sheetsync writes: a compare-and-swap that
keeps the file's links, mode and owner and never replaces a version that changed since it was
read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sheetsync.config import DEFAULT_NAME, Settings, parse_settings
from sheetsync.errors import ConfigError, SourceChangedError, WriteRefused
from sheetsync.fields import FIELD_IDS
from sheetsync.grid import CellValue, Tab, clean_text, col_letter, is_blank

if TYPE_CHECKING:
    from sheetsync.layout import Layout

SAMPLES = 3
SAMPLE_WIDTH = 30
# Top-level keys and the table ``map`` owns in sheetsync.toml; everything else is the user's.
OWNED_KEYS = ("worksheet", "header_row", "ignore_columns", "columns")


# ---------------------------------------------------------------------- what was read


def visible(value: CellValue, width: int = SAMPLE_WIDTH) -> str:
    """A cell's value as one short line, control and invisible characters shown as escapes."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    shown = "".join(_visible_char(ch) for ch in text)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or ch == "\u00a0"


def _visible_char(ch: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in named:
        return named[ch]
    if _invisible(ch):
        return f"\\u{ord(ch):04x}" if ord(ch) > 0xFF else f"\\x{ord(ch):02x}"
    return ch


def samples(tab: Tab, header_row: int, col: int, count: int = SAMPLES) -> list[str]:
    """The first ``count`` different non-blank values under a header, made visible."""
    found: list[str] = []
    for r in range(header_row + 1, tab.height + 1):
        value = tab.cell(r, col)
        if is_blank(value):
            continue
        shown = visible(value)
        if shown not in found:
            found.append(shown)
            if len(found) == count:
                break
    return found


@dataclass(frozen=True)
class ColumnView:
    """One column as ``map`` shows it."""

    col: int
    header: str
    field: str | None  # the canonical field it is read as, None when unused
    confidence: float | None  # None when the layout did not say
    doubtful: bool
    confirmed: bool  # set in [columns]
    ignored: bool  # listed in ignore_columns
    samples: tuple[str, ...]

    @property
    def letter(self) -> str:
        """The column's letter, as the spreadsheet shows it."""
        return col_letter(self.col)


def column_views(
    tab: Tab, lay: Layout, settings: Settings, count: int = SAMPLES
) -> list[ColumnView]:
    """Every headed column of the contacts tab except sheetsync's own, in sheet order."""
    field_of = {c: f for f, c in lay.columns.items()}
    managed = set(lay.managed.values())
    ignored = _folded(settings.ignore_columns)
    views = []
    for col, header in sorted(lay.headers.items()):
        if col in managed:
            continue
        fid = field_of.get(col)
        views.append(
            ColumnView(
                col=col,
                header=header,
                field=fid,
                confidence=lay.confidence.get(fid) if fid else None,
                doubtful=fid in lay.doubtful,
                confirmed=fid is not None and fid in settings.columns,
                ignored=clean_text(header).casefold() in ignored,
                samples=tuple(samples(tab, lay.header_row, col, count)),
            )
        )
    return views


def _folded(headers: Iterable[str]) -> set[str]:
    return {clean_text(h).casefold() for h in headers}


def percent(confidence: float | None) -> str:
    """0.8 → "80%"; unknown → "—"."""
    return "—" if confidence is None else f"{round(confidence * 100)}%"


def map_command(source: str, config: Path | None = None) -> str:
    """The exact ``sheetsync map`` command for a source (with ``--config`` when not ./)."""
    words = ["sheetsync", "map", source]
    if config is not None and config.resolve() != Path(DEFAULT_NAME).resolve():
        words += ["--config", str(config)]
    return shlex.join(words)


def doubt_message(lay: Layout, source: str, config: Path | None = None) -> str:
    """Why ``sync`` will not write: each doubtful column, what it was read as, and the fix."""
    lines = [
        f"sheetsync is not sure what some columns of '{lay.worksheet}' mean, so it wrote "
        "nothing (it does not write on a guess):"
    ]
    for fid in sorted(lay.doubtful, key=lambda f: lay.columns.get(f, 0)):
        lines.append("  " + _doubt_line(lay, fid))
    lines.append(
        f"Check the map and confirm or correct it: {map_command(source, config)} "
        "(or set these fields under [columns] in sheetsync.toml)."
    )
    return "\n".join(lines)


def _doubt_line(lay: Layout, fid: str) -> str:
    col = lay.columns.get(fid)
    if col is None:
        return f"- {fid}: in doubt"
    letter = col_letter(col)
    sure = lay.confidence.get(fid)
    how = f", {percent(sure)} sure" if sure is not None else ""
    why = [w for w in lay.warnings if f"'{lay.headers[col]}'" in w or f"column {letter} " in w]
    reason = f" — {why[0]}" if why else ""
    return f"- column {letter} '{lay.headers[col]}' was read as {fid}{how}{reason}"


# ---------------------------------------------------------------------- the student's answer


@dataclass
class ColumnMap:
    """The map being confirmed: where the header is, and field → header text."""

    worksheet: str
    header_row: int
    columns: dict[str, str]
    ignored: list[str] = field(default_factory=list)
    headers: Mapping[int, str] = field(default_factory=dict)  # every header of the row

    @classmethod
    def of(cls, lay: Layout, ignored: Sequence[str] = ()) -> ColumnMap:
        """The map as read: every mapped field, in sheet order."""
        present = _folded(lay.headers.values())
        kept = [h for h in ignored if clean_text(h).casefold() in present]
        managed = set(lay.managed.values())
        headers = {c: t for c, t in lay.headers.items() if c not in managed}
        return cls(lay.worksheet, lay.header_row, lay.column_names(), kept, headers)

    def header(self, wanted: str) -> str:
        """The header text as in the sheet for ``wanted`` (header text, or a column letter)."""
        target = clean_text(wanted).casefold()
        for text in self.headers.values():
            if clean_text(text).casefold() == target:
                return text
        for col, text in self.headers.items():
            if col_letter(col).casefold() == target:
                return text
        have = ", ".join(f"'{t}'" for t in self.headers.values())
        raise ConfigError(f"no column '{wanted}' in row {self.header_row}. Columns: {have}.")

    def set(self, fid: str, wanted: str) -> str | None:
        """Read column ``wanted`` as ``fid``; returns the field that column held before."""
        if fid not in FIELD_IDS:
            raise ConfigError(f"'{fid}' is not a field sheetsync knows: {', '.join(FIELD_IDS)}.")
        header = self.header(wanted)
        before = self.field_of(header)
        if before is not None:
            del self.columns[before]
        self.columns[fid] = header
        self.ignored = [h for h in self.ignored if _folded([h]) != _folded([header])]
        return before

    def ignore(self, wanted: str) -> None:
        """Use column ``wanted`` for nothing, now and on later runs."""
        header = self.header(wanted)
        fid = self.field_of(header)
        if fid is not None:
            del self.columns[fid]
        if clean_text(header).casefold() not in _folded(self.ignored):
            self.ignored.append(header)

    def field_of(self, header: str) -> str | None:
        """The field column ``header`` is read as, if any."""
        folded = clean_text(header).casefold()
        return next(
            (f for f, h in self.columns.items() if clean_text(h).casefold() == folded), None
        )

    def ordered_columns(self) -> dict[str, str]:
        """field → header in the canonical field order (how [columns] is written)."""
        return {f: self.columns[f] for f in FIELD_IDS if f in self.columns}


# ---------------------------------------------------------------------- sheetsync.toml


@dataclass(frozen=True)
class _Stmt:
    """One statement of a TOML file: lines ``start`` to ``end`` (inclusive)."""

    kind: str  # "blank", "comment", "table", "key"
    start: int
    end: int
    key: tuple[str, ...] = ()  # a key's dotted path, or a table header's name


_TABLE = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]*?)\s*\]\]?\s*(#.*)?$")
_KEY_ATOM = r'(?:[A-Za-z0-9_-]+|"[^"\\]*"|\'[^\']*\')'
_KEY = re.compile(rf"^\s*(?P<key>{_KEY_ATOM}(?:\s*\.\s*{_KEY_ATOM})*)\s*=")


def _key_path(text: str) -> tuple[str, ...]:
    return tuple(a.strip("\"'") for a in re.findall(_KEY_ATOM, text))


def _parses(text: str) -> bool:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return True


def _statements(lines: Sequence[str]) -> list[_Stmt]:
    """Split a TOML file into statements (a multi-line string or array is one statement)."""
    stmts, i = [], 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            stmts.append(_Stmt("blank", i, i))
        elif line.startswith("#"):
            stmts.append(_Stmt("comment", i, i))
        elif (table := _TABLE.match(lines[i])) and not _KEY.match(lines[i]):
            stmts.append(_Stmt("table", i, i, _key_path(table["name"])))
        elif key := _KEY.match(lines[i]):
            end = i
            while end + 1 < len(lines) and not _parses("".join(lines[i : end + 1])):
                end += 1
            stmts.append(_Stmt("key", i, end, _key_path(key["key"])))
            i = end
        else:
            raise ConfigError(f"line {i + 1} is not a TOML statement sheetsync can edit.")
        i += 1
    return stmts


def toml_value(value: str | int | Sequence[str]) -> str:
    """A TOML literal: a basic string, an integer or an array of strings."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):  # invisible characters are written as escapes, to be seen
        text = json.dumps(value, ensure_ascii=False)
        return "".join(f"\\u{ord(c):04x}" if _invisible(c) else c for c in text)
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def _with_comment(old: str, key: str, value: str, newline: str) -> str:
    """``key = value``, keeping the trailing comment of the one-line statement ``old``."""
    _, _, rest = old.partition("=")
    comment = ""
    for pos in [m.start() for m in re.finditer("#", rest)]:
        if _parses("x =" + rest[:pos]):
            comment = "  " + rest[pos:].strip()
            break
    indent = old[: len(old) - len(old.lstrip())]
    return f"{indent}{key} = {value}{comment}{newline}"


def edit_config(text: str, chosen: ColumnMap, source: str | None = None) -> str:
    """``text`` of a sheetsync.toml with the map written into it; the rest kept as it was.

    Sets ``worksheet`` and ``header_row`` (and ``ignore_columns`` when any column is ignored or
    the key is already there), and makes ``[columns]`` hold exactly the chosen fields — editing
    the existing table in place when there is one (its comments stay). ``source`` is added as
    the first line when given and the file has none.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    top = {
        "worksheet": toml_value(chosen.worksheet),
        "header_row": toml_value(chosen.header_row),
    }
    data = _parse(text)
    if chosen.ignored or "ignore_columns" in data:
        top["ignore_columns"] = toml_value(chosen.ignored)
    if source is not None and "source" not in data:
        top = {"source": toml_value(source), **top}
    columns = {f: toml_value(h) for f, h in chosen.ordered_columns().items()}
    return "".join(_edit_lines(lines, top, columns, newline))


@dataclass
class _Plan:
    """What editing a config's statements comes to: replacements, and where to add lines."""

    replace: dict[int, list[str]] = field(default_factory=dict)  # statement start → lines
    last_top_key: int = -1  # start of the last top-level key statement
    columns_header: int = -1  # line of the [columns] header
    last_column_key: int = -1  # start of the last key statement in [columns]


def _edit_lines(
    lines: list[str], top: dict[str, str], columns: dict[str, str], newline: str
) -> list[str]:
    stmts = _statements(lines)
    plan, todo_top, todo_cols = _Plan(), dict(top), dict(columns)
    table: tuple[str, ...] = ()
    for s in stmts:
        if s.kind == "table":
            table = s.key
            plan.columns_header = s.start if table == ("columns",) else plan.columns_header
        elif s.kind == "key" and not table:
            plan.last_top_key = s.start
            if s.key[0] == "columns":  # `columns = {…}` or `columns.name = …`: the table says it
                plan.replace[s.start] = []
            elif len(s.key) == 1 and s.key[0] in todo_top:
                plan.replace[s.start] = [_one(lines, s, todo_top.pop(s.key[0]), newline)]
        elif s.kind == "key" and table == ("columns",):
            plan.last_column_key = s.start
            kept = len(s.key) == 1 and s.key[0] in todo_cols  # else: a field no longer mapped
            plan.replace[s.start] = (
                [_one(lines, s, todo_cols.pop(s.key[0]), newline)] if kept else []
            )
    added_top = [f"{k} = {v}{newline}" for k, v in todo_top.items()]
    added_cols = [f"{k} = {v}{newline}" for k, v in todo_cols.items()]
    return _assemble(lines, stmts, plan, added_top, added_cols, newline)


def _one(lines: Sequence[str], s: _Stmt, value: str, newline: str) -> str:
    """Statement ``s`` with its value replaced (a one-line statement keeps its comment)."""
    key = s.key[0]
    if s.start == s.end:
        return _with_comment(lines[s.start].rstrip("\r\n"), key, value, newline)
    return f"{key} = {value}{newline}"  # a multi-line value: replaced whole


def _assemble(
    lines: list[str],
    stmts: list[_Stmt],
    plan: _Plan,
    added_top: list[str],
    added_cols: list[str],
    newline: str,
) -> list[str]:
    result: list[str] = []
    if plan.last_top_key < 0:  # no top-level keys: the new ones open the file
        result += added_top
        if added_top and lines and lines[0].strip():
            result.append(newline)
    for s in stmts:
        result += plan.replace.get(s.start, lines[s.start : s.end + 1])
        if s.start == plan.last_top_key:
            result += added_top
        if plan.columns_header >= 0 and s.start == max(plan.columns_header, plan.last_column_key):
            result += added_cols
    if plan.columns_header < 0:
        if result and result[-1].strip():
            result.append(newline)
        result += [f"[columns]{newline}", *added_cols]
    return result


def _parse(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"sheetsync.toml is not valid TOML ({exc}); fix it first.") from exc


def _without_owned(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in OWNED_KEYS}


def check_edit(old: str, new: str, chosen: ColumnMap, path: Path) -> Settings:
    """Prove the edited text is right before it is written: it parses, nothing else changed,
    it says exactly the chosen map, and sheetsync accepts it. Returns its settings."""
    try:
        before, after = tomllib.loads(old), tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: editing it would break it ({exc}); nothing was saved.") from exc
    after_rest = _without_owned(after)
    if "source" not in before:
        after_rest.pop("source", None)
    if _without_owned(before) != after_rest:
        raise ConfigError(
            f"{path}: sheetsync could not edit it without changing other settings; nothing was "
            "saved. Add the map by hand: " + _by_hand(chosen)
        )
    settings = parse_settings(after, path)
    wanted = (chosen.worksheet, chosen.header_row, chosen.ordered_columns(), chosen.ignored)
    got = (settings.worksheet, settings.header_row, dict(settings.columns))
    if got != wanted[:3] or list(settings.ignore_columns) != wanted[3]:
        raise ConfigError(f"{path}: the edited file does not say the chosen map; nothing saved.")
    return settings


def _by_hand(chosen: ColumnMap) -> str:
    cols = "; ".join(f"{f} = {toml_value(h)}" for f, h in chosen.ordered_columns().items())
    return (
        f"worksheet = {toml_value(chosen.worksheet)}, header_row = {chosen.header_row}, "
        f"[columns] {cols}"
    )


def save_map(path: Path, chosen: ColumnMap, source: str | None = None) -> Settings:
    """Write the map into the config at ``path`` (created, with ``source``, when absent).

    Follows a symlink to the real file, keeps its mode, and refuses when the file changed
    while the map was being chosen. Returns the settings read back from the saved file.
    """
    from sheetsync import files
    from sheetsync.config import load_settings

    target = path.resolve() if path.is_symlink() else path
    old = _read_config(target)
    new = edit_config(old, chosen, source)
    check_edit(old, new, chosen, path)
    if _read_config(target) != old:
        raise WriteRefused(
            f"{path} changed while the map was being chosen (another program saved it); "
            "nothing was saved. Run `sheetsync map` again."
        )
    if new != old:
        expected = old.encode("utf-8") if target.exists() else None
        try:
            files.update_config(target, new.encode("utf-8"), expected=expected)
        except SourceChangedError as exc:
            raise WriteRefused(
                f"{path} changed while the map was being saved (another program saved it); "
                "nothing was saved. Run `sheetsync map` again."
            ) from exc
    return load_settings(path)


def _read_config(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text; nothing was saved.") from exc
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}; nothing was saved.") from exc
