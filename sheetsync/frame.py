"""The typed frame: one pandas DataFrame of contacts, indexed by the sheet row number.

Columns are canonical field ids (see :mod:`sheetsync.fields`), typed by our own schema:

* text fields: pandas ``string`` (``<NA>`` when empty);
* date fields: ``datetime64`` at midnight (``NaT`` when empty or unreadable);
* date-or-flag fields (``response``, ``thank_you``, ``snooze``): a tri-state ``boolean``
  column (yes / no / unknown) plus ``<field>_date``; a date means yes;
* ``cadence``: ``cadence_days`` (float);
* ``name`` always (joined from first + last when split), ``contact`` (a label for messages),
  ``key`` (email, else name + organisation) and ``last_contact`` (derived from the latest
  dated interaction when the sheet has no such column or the cell is empty).

A value that cannot be read is kept as typed and reported as a :class:`CellProblem`; it never
stops the run and never becomes a silent ``NaT``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.cell_words import flag_of
from sheetsync.cell_words import parse_cadence as parse_cadence  # where advisor imports it from
from sheetsync.dates import Outcome, Reading, describe, read_value
from sheetsync.fields import BY_ID, Kind
from sheetsync.grid import CellError, CellValue, Grid, Tab, cell_ref, clean_text, is_blank
from sheetsync.layout import Layout

IDENTITY = ("name", "first_name", "last_name", "email", "organization", "linkedin")
INTERACTIONS = (
    "outreach_date",
    "response_date",
    "follow_up_date",
    "interview_date",
    "thank_you_date",
)
SECTION_WORDS = re.compile(
    r"\b(list|contacts|section|peers?|alumni|faculty|industry|academia|friends|family|"
    r"colleagues|mentors|group|tier|round|wave|batch|priority|targets|companies|other)\b",
    re.I,
)
EXAMPLE = re.compile(r"^\s*(example|e\.g\.|ex:|ex\.|sample)\b", re.I)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class CellProblem:
    """A cell sheetsync could not read as its field's type."""

    row: int
    col: int
    field: str
    header: str
    value: str
    outcome: str  # an Outcome value, "error" for #REF!-style cells, or "cadence"
    hint: str

    @property
    def ref(self) -> str:
        """A1 reference of the cell."""
        return cell_ref(self.row, self.col)


@dataclass(frozen=True)
class Tracker:
    """The typed contacts, the layout they were read with, and what could not be read."""

    df: pd.DataFrame
    layout: Layout
    problems: tuple[CellProblem, ...] = ()
    skipped: dict[int, str] = field(default_factory=dict)  # row → section/example/blank/totals
    source: str = ""
    # Columns the rules read, typed once per rule run (see sheetsync.rules.common); a copy
    # made with dataclasses.replace starts empty.
    columns_read: dict[tuple[str, str], pd.Series] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def has(self, field_id: str) -> bool:
        """True when the sheet has a column for the field (derived fields count)."""
        return self.layout.has(field_id) or field_id in self.df.columns


# ---------------------------------------------------------------- body rows


def _body(tab: Tab, layout: Layout) -> pd.DataFrame:
    """Raw cell values below the header, one column per mapped field, index = sheet row."""
    start = layout.header_row
    rows = tab.rows[start:]
    index: pd.Index = pd.RangeIndex(start + 1, start + 1 + len(rows), name="row")
    if not all(rows):  # rows with no cells at all (far-apart blocks read sparsely) are left out
        kept = [(num, r) for num, r in enumerate(rows, start + 1) if r]
        index = pd.Index([num for num, _ in kept], name="row", dtype="int64")
        rows = [r for _, r in kept]
    raw = pd.DataFrame(_columns(rows, layout), index=index, dtype=object)
    _fill_merged_down(raw, tab, layout)
    return raw


def _columns(rows: list[list[CellValue]], layout: Layout) -> dict[str, list[CellValue]]:
    """Each mapped field's cells, top to bottom (None past a row's last cell)."""
    widths = set(map(len, rows))
    if len(widths) == 1 and max(layout.columns.values(), default=0) <= min(widths):
        cols = list(zip(*rows, strict=True))  # the usual read: rows all as wide, split in C
        return {f: list(cols[c - 1]) for f, c in layout.columns.items()}
    return {f: [r[c - 1] if c <= len(r) else None for r in rows] for f, c in layout.columns.items()}


def _fill_merged_down(raw: pd.DataFrame, tab: Tab, layout: Layout) -> None:
    """A cell merged down several rows (an organisation for two people) belongs to each row."""
    field_of = {c: f for f, c in layout.columns.items()}
    for m in tab.merged:
        if m.last_row == m.first_row or m.first_row <= layout.header_row:
            continue
        field_id = field_of.get(m.first_col)
        if field_id is None or m.first_row not in raw.index:
            continue
        value: Any = raw.at[m.first_row, field_id]
        rows = [r for r in range(m.first_row + 1, m.last_row + 1) if r in raw.index]
        for r in rows:
            current: Any = raw.at[r, field_id]
            if is_blank(current):
                raw.at[r, field_id] = value


def _nonblank(raw: pd.DataFrame) -> pd.DataFrame:
    """True where a body cell holds something (a column at a time, each distinct value once)."""
    filled = {f: ~apply_unique(raw[f], is_blank).array(bool) for f in raw.columns}
    return pd.DataFrame(filled, index=raw.index, columns=raw.columns)


def _classify(tab: Tab, raw: pd.DataFrame, filled: pd.DataFrame) -> dict[int, str]:
    """Rows that are not contacts: blank rows, section headings and example rows."""
    skipped: dict[int, str] = {}
    count = filled.sum(axis=1) if len(filled.columns) else pd.Series(0, index=raw.index)
    has_identity = filled[[c for c in IDENTITY if c in filled]].any(axis=1)
    for row in count.index[count == 0]:
        skipped[int(row)] = "blank"
    for row in count.index[_examples(raw) & (count > 0)]:
        skipped[int(row)] = "example"
    for row in count.index[count == 1]:
        if int(row) not in skipped and _is_section(tab, int(row)):
            skipped[int(row)] = "section"
    for row in count.index[(count == 1) & ~has_identity]:
        skipped.setdefault(int(row), "blank")  # one stray value and nobody to attach it to
    for table in tab.tables:  # an Excel table's totals row sums the contacts, it is not one
        for row in table.totals:
            if row in count.index:
                skipped[row] = "totals"
    return skipped


def _examples(raw: pd.DataFrame) -> pd.Series:
    """Rows whose name (or first identity cell) starts with "Example", "e.g." or "Sample"."""
    found = np.zeros(len(raw.index), dtype=bool)
    for f in [c for c in IDENTITY if c in raw]:
        found |= apply_unique(
            raw[f], lambda v: isinstance(v, str) and EXAMPLE.match(v) is not None
        ).array(bool)
    return pd.Series(found, index=raw.index)


def _is_section(tab: Tab, row: int) -> bool:
    """A lone heading such as "Peers List" (merged across, ends in ':', or a group word)."""
    values = [v for v in tab.row_values(row) if not is_blank(v)]
    if len(values) != 1 or not isinstance(values[0], str):
        return False
    text = clean_text(values[0])
    merged = any(m.first_row <= row <= m.last_row and m.last_col > m.first_col for m in tab.merged)
    heading = text.endswith(":") or (text.isupper() and len(text) > 3)
    return merged or heading or bool(SECTION_WORDS.search(text))


# ---------------------------------------------------------------- typing columns


def _rows(data: pd.Series | pd.DataFrame) -> list[int]:
    """The sheet row numbers of a body column, as plain ints."""
    return [int(r) for r in data.index.tolist()]


def _text(raw: pd.Series) -> pd.Series:
    def one(v: object) -> object:
        if v is None or isinstance(v, CellError):
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        text = clean_text(v.isoformat() if isinstance(v, dt.date) else str(v))
        return text or None

    return map_unique(raw, one).astype("string")


def _dates(
    raw: pd.Series, field_id: str, layout: Layout, *, day_first: bool, date1904: bool
) -> tuple[pd.Series, list[CellProblem]]:
    mapped = apply_unique(raw, lambda v: _date_cell(v, day_first=day_first, date1904=date1904))
    days = _datetimes(Mapped(mapped.index, mapped.codes, [r.date for r in mapped.results]))
    bad = mapped.rows_where(lambda r: r.outcome not in (Outcome.DATE, Outcome.EMPTY))
    return days, _date_problems(raw, bad, field_id, layout, day_first)


# Plain dates in this range fit pandas' nanosecond timestamps (1677-09-21 to 2262-04-11).
_SAFE_DAYS = (dt.date(1677, 9, 22), dt.date(2262, 4, 10))


def _datetimes(days: Mapped) -> pd.Series:
    """A column of dates (or None) as ``datetime64[ns]``, as ``pd.to_datetime(…,
    errors="coerce")`` reads it; converted once per distinct value when they are all plain
    dates in range (the usual case), else by pandas."""
    table = np.full(len(days.results), np.datetime64("NaT"), dtype="datetime64[ns]")
    for i, day in enumerate(days.results):
        if day is None:
            continue
        if type(day) is not dt.date or not _SAFE_DAYS[0] <= day <= _SAFE_DAYS[1]:
            whole = pd.to_datetime(days.series(), errors="coerce")
            return whole.astype("datetime64[ns]")
        table[i] = np.datetime64(day, "D")
    return pd.Series(table[days.codes], index=days.index)


def _date_cell(value: object, *, day_first: bool, date1904: bool) -> Reading:
    if isinstance(value, CellError):
        return Reading(Outcome.EMPTY)  # reported as an error by _errors
    return read_value(value, day_first=day_first, date1904=date1904)


def _date_problems(
    raw: pd.Series, rows: list[int], field_id: str, layout: Layout, day_first: bool
) -> list[CellProblem]:
    """A problem for each of ``rows``; each distinct value is read and described once (a
    column of placeholders repeats "TBD" in hundreds of rows)."""
    described: dict[tuple[type, object], CellProblem] = {}
    problems = []
    for row, value in zip(rows, raw.loc[rows].tolist(), strict=True):
        key = (type(value), value)
        seen = described.get(key)
        if seen is None:
            seen = described[key] = _date_problem(row, field_id, layout, value, day_first)
        problems.append(seen if seen.row == row else replace(seen, row=row))
    return problems


def _date_problem(
    row: int, field_id: str, layout: Layout, value: object, day_first: bool
) -> CellProblem:
    reading = read_value(value, day_first=day_first)
    return _problem(
        row,
        field_id,
        layout,
        value,
        reading.outcome.value,
        describe(reading.outcome, day_first, value),
    )


def _date_or_flag(
    raw: pd.Series, field_id: str, layout: Layout, *, day_first: bool, date1904: bool
) -> tuple[pd.Series, pd.Series, list[CellProblem]]:
    read = apply_unique(raw, lambda v: _read_flag_cell(v, day_first=day_first, date1904=date1904))
    days = _datetimes(Mapped(read.index, read.codes, [r[0] for r in read.results]))
    flags = Mapped(read.index, read.codes, [r[1] for r in read.results]).series()
    problems = []
    for row in read.rows_where(lambda r: r[2] is not None):
        value, outcome = raw[row], read.results[read.codes[raw.index.get_loc(row)]][2]
        problems.append(
            _problem(
                row, field_id, layout, value, outcome.value, describe(outcome, day_first, value)
            )
        )
    return flags.astype("boolean"), days, problems


def _read_flag_cell(
    value: object, *, day_first: bool, date1904: bool
) -> tuple[dt.date | None, object, Outcome | None]:
    if isinstance(value, int | float) and not isinstance(value, bool) and value not in (0, 1):
        reading = read_value(value, date1904=date1904)
        return (reading.date, True, None) if reading.date else (None, pd.NA, Outcome.NOT_A_DATE)
    if isinstance(value, dt.date | str):
        reading = read_value(value, day_first=day_first, date1904=date1904)
        if reading.outcome is Outcome.DATE:
            return reading.date, True, None
        if reading.outcome in (Outcome.OTHER_ORDER, Outcome.NO_YEAR):
            return None, True, reading.outcome  # clearly meant a date: it happened
    return None, flag_of(value), None


def _cadence(raw: pd.Series, layout: Layout) -> tuple[pd.Series, list[CellProblem]]:
    days = map_unique(
        raw, lambda v: None if is_blank(v) or isinstance(v, CellError) else parse_cadence(v)
    )
    bad = raw.map(lambda v: not is_blank(v) and not isinstance(v, CellError)) & days.isna()
    hint = "is not a duration: write e.g. 90, 6 weeks, 3 months or quarterly"
    problems = [
        _problem(int(r), "cadence", layout, raw[r], "cadence", hint) for r in bad.index[bad]
    ]
    return days.astype("float64"), problems


def _problem(
    row: int, field_id: str, layout: Layout, value: object, outcome: str, hint: str
) -> CellProblem:
    col = layout.columns[field_id]
    shown = value.isoformat() if isinstance(value, dt.date) else str(value)
    return CellProblem(row, col, field_id, layout.headers[col], shown, outcome, hint)


def _errors(raw: pd.DataFrame, layout: Layout) -> list[CellProblem]:
    """Cells showing a formula error (#REF!, #N/A, …), column by column, in sheet order."""
    hint = "shows a formula error: fix the formula or type the value"
    problems = []
    rows = _rows(raw)
    for f in raw.columns:
        values = raw[f].tolist()
        if CellError not in set(map(type, values)):
            continue  # the usual column: no error at all, found at C speed
        for at in [i for i, v in enumerate(values) if isinstance(v, CellError)]:
            problems.append(_problem(rows[at], str(f), layout, values[at], "error", hint))
    return problems


# ---------------------------------------------------------------- names, keys, derived


def fold(text: pd.Series) -> pd.Series:
    """Names as keys: case-folded, no accents, single spaces ("Zoë  Müller" → "zoe muller")."""
    folded = text.astype("string").str.casefold().str.normalize("NFKD")
    folded = folded.str.replace(r"[\u0300-\u036f]", "", regex=True)
    return folded.str.replace(r"\s+", " ", regex=True).str.strip()


@dataclass(frozen=True)
class Mapped:
    """A function applied once per distinct value of a column: results and where they go."""

    index: pd.Index
    codes: np.ndarray  # position → index into results
    results: list[Any]

    def series(self) -> pd.Series:
        """The result for every row."""
        table = np.empty(len(self.results), dtype=object)
        for i, r in enumerate(self.results):
            table[i] = r
        return pd.Series(table[self.codes], index=self.index, dtype=object)

    def array(self, dtype: type) -> np.ndarray:
        """The result for every row, as a numpy array of ``dtype``."""
        every: np.ndarray = np.array(self.results, dtype=dtype)[self.codes]
        return every

    def rows_where(self, test: Callable[[Any], bool]) -> list[int]:
        """Sheet rows whose result passes ``test`` (tested once per distinct value)."""
        hits = [i for i, r in enumerate(self.results) if test(r)]
        if not hits:
            return []
        return [int(r) for r in self.index[np.isin(self.codes, hits)].tolist()]


def apply_unique(values: pd.Series, func: Callable[[Any], Any]) -> Mapped:
    """Call ``func`` once per distinct value: columns repeat values (dates, yes/no,
    organisations), so typing 100,000 rows stays fast."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    results = [func(None if _missing(u) else u) for u in uniques]
    return Mapped(values.index, codes, results)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def map_unique(values: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    """``values.map(func)``, calling ``func`` once per distinct value."""
    return apply_unique(values, func).series()


def _names(df: pd.DataFrame) -> pd.Series:
    name = column(df, "name", "string")
    if "first_name" in df or "last_name" in df:
        first = df.get("first_name", pd.Series("", index=df.index)).fillna("")
        last = df.get("last_name", pd.Series("", index=df.index)).fillna("")
        joined = (first + " " + last).str.strip()
        joined = joined.mask(joined == "")
        name = name.fillna(joined)
    return name.astype("string")


def _contact(df: pd.DataFrame) -> pd.Series:
    label = df["name"]
    for f in ("email", "organization"):
        if f in df:
            label = label.fillna(df[f])
    rows = pd.Series([f"row {r}" for r in df.index], index=df.index, dtype="string")
    return label.fillna(rows).astype("string")


def _keys(df: pd.DataFrame) -> pd.Series:
    """Who a row is: the email when it is valid, else name + organisation (folded)."""
    key = pd.Series(pd.NA, index=df.index, dtype="string")
    if "email" in df:
        email = df["email"].str.lower().str.strip()
        key = email.where(email.str.match(EMAIL.pattern).fillna(False).astype(bool))
    need = key.isna() & df["name"].notna()  # fold names only where there is no email
    if need.any():
        sub = df[need]
        org = sub["organization"].fillna("") if "organization" in sub else ""
        names = fold(sub["name"]) + "|" + fold(pd.Series(org, index=sub.index))
        key = key.astype(object)
        key[need] = names
    return key.astype("string")


def _derive_last_contact(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    dated = [c for c in INTERACTIONS if c in df]
    if dated:  # NaT is the smallest int64: the row's latest date, NaT when it has none
        stacked = np.stack([df[c].to_numpy(dtype="datetime64[ns]") for c in dated])
        latest = pd.Series(
            stacked.view(np.int64).max(axis=0).view("datetime64[ns]"), index=df.index
        )
    else:
        latest = pd.Series(pd.NaT, index=df.index)
    if "last_contact" not in df:
        return latest, pd.Series(True, index=df.index)
    derived = df["last_contact"].isna() & latest.notna()
    return df["last_contact"].fillna(latest), derived


# ---------------------------------------------------------------- the frame


def build(grid: Grid, layout: Layout, *, day_first: bool = False) -> Tracker:
    """Type the contacts tab of ``grid`` into a :class:`Tracker` according to ``layout``."""
    tab = grid.tab(layout.worksheet)
    assert tab is not None, "layout.discover picked a tab that exists"
    raw = _body(tab, layout)
    skipped = _classify(tab, raw, _nonblank(raw))
    raw = raw.drop(index=list(skipped))
    df, problems = _typed(raw, layout, day_first=day_first, date1904=grid.date1904)
    return Tracker(
        df, layout, tuple(sorted(problems, key=lambda p: (p.row, p.col))), skipped, grid.source
    )


def _typed(
    raw: pd.DataFrame, layout: Layout, *, day_first: bool, date1904: bool
) -> tuple[pd.DataFrame, list[CellProblem]]:
    out: dict[str, pd.Series] = {}
    problems = _errors(raw, layout)
    for field_id in raw.columns:
        kind = BY_ID[field_id].kind
        col = raw[field_id]
        if kind is Kind.TEXT:
            out[field_id] = _text(col)
        elif kind is Kind.DATE:
            out[field_id], found = _dates(
                col, field_id, layout, day_first=day_first, date1904=date1904
            )
            problems += found
        elif kind is Kind.DATE_OR_FLAG:
            out[field_id], out[f"{field_id}_date"], found = _date_or_flag(
                col, field_id, layout, day_first=day_first, date1904=date1904
            )
            out[f"{field_id}_text"] = _text(col)
            problems += found
        else:
            out["cadence_days"], found = _cadence(col, layout)
            problems += found
    df = pd.DataFrame(out, index=raw.index)
    return _derived(df), problems


def _derived(df: pd.DataFrame) -> pd.DataFrame:
    df["name"] = _names(df)
    df["contact"] = _contact(df)
    df["key"] = _keys(df)
    df["last_contact"], df["last_contact_derived"] = _derive_last_contact(df)
    return df


def empty_series(df: pd.DataFrame, dtype: str = "string") -> pd.Series:
    """An all-missing column shaped like ``df`` (for optional fields a rule may read)."""
    return pd.Series(pd.NA if dtype != "datetime64[ns]" else pd.NaT, index=df.index, dtype=dtype)


def column(df: pd.DataFrame, name: str, dtype: str) -> pd.Series:
    """``df[name]`` when present, else an all-missing column of ``dtype``."""
    return df[name] if name in df else empty_series(df, dtype)
