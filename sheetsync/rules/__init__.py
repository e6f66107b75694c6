"""The rule registry: small pure functions over the typed frame.

A rule is registered with :func:`rule`, takes the :class:`~sheetsync.frame.Tracker` and a
:class:`Context` (today, holidays, settings — rules never read the clock, the network or the
file system), and returns :class:`Hits`: which rows it flags, why, and by when. Its keyword-only
parameters are its config keys (``[rules.<id>]`` in sheetsync.toml), and its ``examples`` are
run as tests. A rule whose fields the sheet lacks is skipped, and the run says so once.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from sheetsync import gcpause
from sheetsync.errors import ConfigError
from sheetsync.frame import Tracker
from sheetsync.models import Finding, Severity

_PARAMS = "rules:params"  # the memo key of this run's rule parameters (see Context.setting)


@dataclass(frozen=True)
class Context:
    """What a rule may know besides the frame: the day to judge by and the calendar."""

    today: dt.date
    holidays: tuple[dt.date, ...] = ()  # days off besides weekends and the country's holidays
    day_first: bool = False
    # Whose public holidays are days off too; read on first use (a business-day rule with a
    # row to judge), from sheetsync's cache when an earlier run remembered them.
    country: str | None = None
    subdivision: str | None = None
    # Results rules share within one run (3B and 7B both need "waiting for a reply").
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per run for ``key``."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def setting(self, rule_id: str, key: str) -> Any:
        """A rule parameter as this run configured it (else its default): how the rules of one
        chase agree on when it ends, whichever of them reads it."""
        given = self.memo.get(_PARAMS, {}).get(rule_id, {})
        return given.get(key, RULES[rule_id].params[key])

    @property
    def now(self) -> pd.Timestamp:
        """``today`` as a pandas Timestamp at midnight."""
        return pd.Timestamp(self.today)

    @property
    def holiday_array(self) -> np.ndarray:
        """Holidays as ``datetime64[D]``, the form numpy's business-day functions take."""
        days: np.ndarray = self.shared("rules:holidays", self._days_off)
        return days

    def _days_off(self) -> np.ndarray:
        days = self.holidays
        if self.country:
            from sheetsync.public_holidays import public_holidays

            years = range(self.today.year - 2, self.today.year + 2)
            days = tuple(sorted({*days, *public_holidays(self.country, self.subdivision, years)}))
        return np.array(days, dtype="datetime64[D]")


@dataclass(frozen=True)
class Example:
    """One documented case of a rule: a row, a day, and what the rule says about it."""

    description: str
    row: Mapping[str, object]
    today: str = "2026-03-16"
    expect: str | None = None  # a Severity value, or None for "not flagged"
    due: str | None = None
    extra_rows: tuple[Mapping[str, object], ...] = ()  # rows above it (duplicates, …)
    params: Mapping[str, Any] = field(default_factory=dict)
    # Mail evidence for the row's address: ("out" | "in", "YYYY-MM-DD") per message.
    mail: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Hits:
    """Rows a rule flags, as arrays side by side: the sheet rows, and each row's message,
    due day (``NaT`` when none) and severity (a :class:`Severity` value).

    Plain numpy arrays, not a DataFrame: a run builds one per rule, and the findings are
    assembled from arrays anyway.
    """

    rows: np.ndarray  # int64 sheet rows
    messages: np.ndarray  # object: str (or missing, read as "")
    dues: np.ndarray  # datetime64[D]
    severities: np.ndarray  # object: Severity values

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def of(
        cls,
        mask: pd.Series,
        message: pd.Series | str,
        *,
        severity: pd.Series | Severity,
        due: pd.Series | None = None,
    ) -> Hits:
        """Build hits from a boolean mask over the frame and per-row message/due/severity.

        The series may cover every row of the frame or only the flagged ones (rules word
        their messages for flagged rows only); they are aligned on the sheet row.
        """
        keep = mask.to_numpy(dtype=bool, na_value=False)
        rows = mask.index[keep]
        count = len(rows)
        messages = _on_rows(message, mask.index, keep, rows, count)
        sev = severity if isinstance(severity, pd.Series) else severity.value
        if due is None:
            dues = np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
        else:
            dues = _day_array(_on_rows(due, mask.index, keep, rows, count))
        return cls(
            rows.to_numpy(dtype=np.int64),
            messages.astype(object, copy=False),
            dues,
            _on_rows(sev, mask.index, keep, rows, count).astype(object, copy=False),
        )

    @classmethod
    def none(cls) -> Hits:
        """No rows flagged."""
        empty = np.array([], dtype=object)
        return cls(np.array([], dtype=np.int64), empty, np.array([], "datetime64[D]"), empty)


def _on_rows(
    value: pd.Series | str, index: pd.Index, keep: np.ndarray, rows: pd.Index, count: int
) -> np.ndarray:
    """``value`` on the flagged ``rows``: a constant repeated, a series by its row labels
    (positionally when it covers exactly the frame's rows or the flagged ones: no lookups)."""
    if not isinstance(value, pd.Series):
        return np.full(count, value, dtype=object)
    if value.index.equals(index):
        flagged: np.ndarray = value.to_numpy()[keep]
        return flagged
    if value.index.equals(rows):
        return value.to_numpy()
    return value.reindex(rows).to_numpy()


RuleFunc = Callable[..., Hits]


@dataclass(frozen=True)
class Rule:
    """A registered check."""

    id: str
    label: str  # the few words the status column uses
    summary: str  # what it flags, for `sheetsync rules`
    needs: tuple[str, ...]
    needs_any: tuple[str, ...]
    func: RuleFunc
    params: Mapping[str, Any]
    examples: tuple[Example, ...]
    opt_in: bool = False  # its column is an extra: not reported as skipped when absent

    def missing(self, tracker: Tracker) -> list[str]:
        """Fields this rule needs that the sheet lacks."""
        lack = [f for f in self.needs if not tracker.has(f)]
        if self.needs_any and not any(tracker.has(f) for f in self.needs_any):
            lack.append(" or ".join(self.needs_any))
        return lack


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    *,
    label: str,
    needs: Sequence[str] = (),
    needs_any: Sequence[str] = (),
    examples: Iterable[Example] = (),
    opt_in: bool = False,
) -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule function; its docstring's first paragraph is its summary."""

    def register(func: RuleFunc) -> RuleFunc:
        params = {
            name: p.default
            for name, p in inspect.signature(func).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        summary = " ".join((func.__doc__ or "").strip().split("\n\n")[0].split())
        RULES[rule_id] = Rule(
            rule_id,
            label,
            summary,
            tuple(needs),
            tuple(needs_any),
            func,
            params,
            tuple(examples),
            opt_in,
        )
        return func

    return register


def validate_params(rule_id: str, given: Mapping[str, Any], *, where: str) -> dict[str, Any]:
    """Check ``[rules.<id>]`` keys and types against the rule's parameters."""
    if rule_id not in RULES:
        raise ConfigError(f"{where}: there is no rule '{rule_id}'. See `sheetsync rules`.")
    defaults = RULES[rule_id].params
    for key, value in given.items():
        if key not in defaults:
            known = ", ".join(defaults) or "none"
            raise ConfigError(f"{where}: unknown parameter '{key}' (parameters: {known}).")
        want = type(defaults[key])
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            word = {
                "int": "whole number",
                "float": "number",
                "bool": "true/false",
                "str": "string",
            }.get(want.__name__, want.__name__)
            raise ConfigError(f"{where}: '{key}' must be a {word}, not {value!r}.")
    return dict(given)


@dataclass(frozen=True)
class Report:
    """Everything the checks found, and the rules that could not run."""

    findings: tuple[Finding, ...]
    skipped: Mapping[str, list[str]]  # rule id → missing fields


def selected(select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[Rule]:
    """The rules to run, in registry order."""
    return [r for r in RULES.values() if (not select or r.id in select) and r.id not in ignore]


def run(
    tracker: Tracker,
    ctx: Context,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> Report:
    """Run the selected rules over the tracker and return sorted findings."""
    with gcpause.paused():  # only short-lived objects here; the collector would walk the grid
        return _run(tracker, ctx, selected(select, ignore), params or {})


def _run(
    tracker: Tracker, ctx: Context, chosen: list[Rule], params: Mapping[str, Mapping[str, Any]]
) -> Report:
    hits: list[tuple[str, Hits]] = []
    skipped: dict[str, list[str]] = {}
    ctx.memo.clear()  # what rules share is shared within this run only
    ctx.memo[_PARAMS] = params
    tracker.columns_read.clear()  # so are the typed columns they read (rules.common)
    for r in chosen:
        missing = r.missing(tracker)
        if missing:
            if not r.opt_in:
                skipped[r.id] = missing
            continue
        found = r.func(tracker, ctx, **dict(params.get(r.id, {})))
        if len(found):
            hits.append((r.id, found))
    columns = _Columns.of(hits)
    columns = columns.without(_snoozed(columns, tracker, ctx))
    return Report(tuple(_findings(columns, tracker)), skipped)


_SEVERITIES = list(Severity)  # most urgent first: a finding's rank is its position here
_RANK_INDEX = pd.Index([s.value for s in Severity])


@dataclass(frozen=True)
class _Columns:
    """Every rule's hits side by side as numpy columns, sorted most urgent first, then
    earliest due (none last), sheet order, rule id. Rules may flag 100,000 rows, so this is
    built and sorted with array operations, never row by row."""

    rows: np.ndarray  # int64 sheet rows
    rules: np.ndarray  # object: rule ids
    ranks: np.ndarray  # int: position in Severity
    messages: np.ndarray  # object: str
    dues: np.ndarray  # datetime64[D], NaT when none

    @classmethod
    def of(cls, hits: list[tuple[str, Hits]]) -> _Columns:
        """Concatenate and sort the hits of each rule (``(rule id, hits)`` pairs)."""
        if not hits:
            empty = np.array([], dtype=object)
            none = np.array([], dtype=np.int64)
            return cls(none, empty, none, empty, np.array([], dtype="datetime64[D]"))
        found = [h for _, h in hits]
        rows = np.concatenate([h.rows for h in found])
        rules = np.concatenate([np.full(len(h), rid, dtype=object) for rid, h in hits])
        ranks = _RANK_INDEX.get_indexer(pd.Index(np.concatenate([h.severities for h in found])))
        messages = np.concatenate([h.messages for h in found])
        messages[pd.isna(messages)] = ""
        dues = np.concatenate([h.dues for h in found])
        due_key = dues.view(np.int64).copy()
        due_key[np.isnat(dues)] = np.iinfo(np.int64).max  # no due date: after every date
        rule_key = pd.Index(sorted(RULES)).get_indexer(pd.Index(rules))
        order = np.lexsort((rule_key, rows, due_key, ranks))  # the last key sorts first
        return cls(rows[order], rules[order], ranks[order], messages[order], dues[order])

    def without(self, drop: np.ndarray) -> _Columns:
        """The same columns less the hits where ``drop`` is true."""
        if not drop.any():
            return self
        keep = ~drop
        return _Columns(
            self.rows[keep],
            self.rules[keep],
            self.ranks[keep],
            self.messages[keep],
            self.dues[keep],
        )


def _day_array(due: np.ndarray) -> np.ndarray:
    """Due days as ``datetime64[D]`` (they may hold NaT or be all-missing)."""
    if due.dtype.kind == "M":
        return due.astype("datetime64[D]")
    return pd.to_datetime(pd.Series(due, dtype=object)).to_numpy(dtype="datetime64[D]")


def _findings(cols: _Columns, tracker: Tracker) -> list[Finding]:
    """Turn the sorted columns into findings; a row without a name is called "row N"."""
    index = tracker.df.index
    labels = tracker.df["contact"].to_numpy(dtype=object, na_value="")
    at = index.get_indexer(pd.Index(cols.rows))
    contacts = np.where(at >= 0, labels[at], "").astype(object)
    rows = cols.rows.tolist()
    for i in np.flatnonzero(contacts == ""):  # few: rows with neither name nor email
        contacts[i] = f"row {rows[i]}"
    severities = np.array(_SEVERITIES, dtype=object)[cols.ranks]
    columns = zip(
        rows,
        contacts.tolist(),
        cols.rules.tolist(),
        severities.tolist(),
        cols.messages.tolist(),
        cols.dues.astype(object).tolist(),  # datetime.date, or None for NaT
        strict=True,
    )
    return list(map(tuple.__new__, repeat(Finding), columns))  # C speed, no Python frame


def _snoozed(cols: _Columns, tracker: Tracker, ctx: Context) -> np.ndarray:
    """Which hits the user snoozed: a "Snooze until" date still ahead, or a bare "yes",
    quiets the row; rule ids written in the cell quiet only those rules. Data problems are
    never snoozed (a broken cell is not a reminder)."""
    df = tracker.df
    drop = np.zeros(len(cols.rows), dtype=bool)
    if "snooze" not in df or not len(cols.rows):
        return drop
    until = df["snooze_date"]
    quiet = (until > ctx.now) | (df["snooze"].fillna(False).astype(bool) & until.isna())
    at = df.index.get_indexer(pd.Index(cols.rows))
    found = at >= 0
    drop[found] = quiet.to_numpy(dtype=bool)[at[found]]
    text = df["snooze_text"].fillna("").str.lower()
    written = text[text != ""]
    named: dict[int, set[str]] = {}
    for row, words in zip(written.index.tolist(), written.tolist(), strict=True):
        ids = {rid for rid in RULES if rid in words}
        if ids:
            named[row] = ids
    for i in np.flatnonzero(np.isin(cols.rows, list(named))):  # few: rows naming rules
        drop[i] = cols.rules[i] in named[int(cols.rows[i])]
    drop[cols.ranks == _SEVERITIES.index(Severity.DATA)] = False
    return drop


def make_context(
    today: dt.date,
    *,
    country: str | None = "US",
    subdivision: str | None = None,
    day_first: bool = False,
) -> Context:
    """A context whose business days skip the public holidays of ``country`` (the two years
    either side of ``today``; looked up only when a rule counts business days)."""
    return Context(today=today, day_first=day_first, country=country, subdivision=subdivision)


# Importing the theme modules registers their rules, in the order `sheetsync rules` lists them.
from sheetsync.rules import chase, meeting, after, keeping, data, mail  # noqa: E402, I001

__all__ = [
    "RULES",
    "Context",
    "Example",
    "Hits",
    "Report",
    "Rule",
    "after",
    "chase",
    "data",
    "keeping",
    "mail",
    "make_context",
    "meeting",
    "rule",
    "run",
    "selected",
    "validate_params",
]
