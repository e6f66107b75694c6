"""The whole workbook: pick the contacts tab and header row, or say why none fits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sheetsync.errors import ConfigError, LayoutError
from sheetsync.fields import FIELD_IDS
from sheetsync.grid import Grid, Tab, clean_text, col_letter, is_blank
from sheetsync.layout.columns import find_header, has_identity, header_texts
from sheetsync.layout.model import MANAGED_PREFIX, MAX_HEADER_ROW, Layout, is_managed_header
from sheetsync.layout.rows import Candidate, column_values, header_candidates, job_log, transposed
from sheetsync.words import plural


def discover(
    grid: Grid,
    *,
    worksheet: str | None = None,
    header_row: int | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Layout:
    """Pick the contacts tab and header row, and map the columns. Raises LayoutError."""
    overrides = dict(overrides or {})
    tabs = _tabs_to_search(grid, worksheet)
    searched = tabs if worksheet or header_row else [t for t in tabs if _searchable(t)]
    candidates = [c for t in searched for c in header_candidates(t, overrides, header_row)]
    if header_row:
        return _at_given_row(grid, tabs, candidates, overrides)
    contacts = [
        c
        for c in candidates
        if has_identity(c.mapped.columns) and (c.holds_people or c.synced or _pinned(overrides))
    ]
    best = max(contacts, key=lambda c: c.score, default=None)
    if best is None or best.score <= 0:
        raise LayoutError(_refusal(grid, searched or tabs, candidates))
    _check_overrides(best, overrides)
    return _layout_of(best)


def _at_given_row(
    grid: Grid, tabs: Sequence[Tab], candidates: Sequence[Candidate], overrides: Mapping[str, str]
) -> Layout:
    """The layout at the header row the user gave: their word, checked only for a name."""
    best = max(candidates, key=lambda c: c.score, default=None)
    if best is None:
        raise LayoutError(_no_header_message(grid, tabs))
    _check_overrides(best, overrides)
    if not has_identity(best.mapped.columns):
        raise LayoutError(_not_a_header_message(best))
    return _layout_of(best)


def _pinned(overrides: Mapping[str, str]) -> bool:
    """True when the user's [columns] name the identity column: their word beats the values."""
    return any(f in overrides for f in ("name", "email", "first_name"))


def _searchable(tab: Tab) -> bool:
    """Tabs discovery looks at: not sheetsync's own prep tab, not a table on its side."""
    return not clean_text(tab.name).casefold().startswith(MANAGED_PREFIX) and not transposed(tab)


def _tabs_to_search(grid: Grid, worksheet: str | None) -> list[Tab]:
    if not grid.tabs:
        raise LayoutError(f"{grid.source} has no worksheets. Is it the right file?")
    if worksheet is None:
        return list(grid.tabs)
    tab = grid.tab(worksheet)
    if tab is None:
        names = ", ".join(f"'{t.name}'" for t in grid.tabs)
        raise LayoutError(
            f"{grid.source} has no tab called '{worksheet}'. Its tabs are: {names}. "
            "Fix --worksheet or `worksheet` in sheetsync.toml."
        )
    return [tab]


_HOW_TO_POINT = (
    "If your contacts are there after all, point sheetsync at them with `worksheet`, "
    '`header_row` and [columns] in sheetsync.toml (e.g. [columns] name = "Who"), or run '
    "`sheetsync map`."
)


def _refusal(grid: Grid, tabs: Sequence[Tab], candidates: Sequence[Candidate]) -> str:
    """Why no tab is a contacts list: what was found instead, and how to point sheetsync."""
    tables = [c for c in candidates if c.body and (c.mapped.vetoed or not c.holds_people)]
    if tables:
        c = max(tables, key=lambda c: (len(c.mapped.columns), -c.row))
        return (
            f"'{c.tab.name}' of {grid.source} has a table (header on row {c.row}: "
            f"{_shown(c.headers)}), but its rows are not people: {_why_not_people(c)}. "
            "sheetsync checks one row per person you reach out to, so it writes nothing here. "
            f"{_HOW_TO_POINT}"
        )
    sideways = [t for t in grid.tabs if transposed(t)]
    if sideways:
        return (
            f"'{sideways[0].name}' of {grid.source} lists its fields down column A, one column "
            "per person. sheetsync needs one row per person under a header row: transpose the "
            f"table (Paste special → Transpose) into a new tab. {_HOW_TO_POINT}"
        )
    return _no_header_message(grid, tabs)


def _why_not_people(c: Candidate) -> str:
    """What made the rows of ``c`` not a contacts list, in words."""
    if job_log(c.headers, c.mapped.columns):
        name = c.headers.get(c.mapped.columns.get("name", 0), "")
        return (
            f"each row is a job or application, and '{name}' is the person to ask about it, "
            "not someone you are getting to know"
        )
    return f"{c.people} of {c.body} rows hold a person's name, e-mail or profile link{_vetoes(c)}"


def _vetoes(c: Candidate) -> str:
    """ ", and column D ('Contact') holds 'Reached Out', 'Email' — not a name" for a message."""
    notes = []
    for col, field_id in sorted(c.mapped.vetoed.items()):
        if field_id not in ("name", "email", "first_name", "linkedin"):
            continue
        values = list(dict.fromkeys(str(v) for v in column_values(c.tab, c.row, col)
                                    if not is_blank(v)))[:3]  # fmt: skip
        shown = ", ".join(f"'{v}'" for v in values)
        notes.append(
            f"column {col_letter(col)} ('{c.headers[col]}') holds {shown}, not "
            f"{_FIELD_WORDS[field_id]}"
        )
    return "; " + "; ".join(notes) if notes else ""


_FIELD_WORDS = {
    "name": "people's names",
    "first_name": "first names",
    "email": "e-mail addresses",
    "linkedin": "profile links",
}


def _shown(headers: Mapping[int, str], limit: int = 6) -> str:
    texts = list(headers.values())
    return ", ".join(f"'{t}'" for t in texts[:limit]) + (", …" if len(texts) > limit else "")


def _no_header_message(grid: Grid, tabs: Iterable[Tab]) -> str:
    tabs = list(tabs)
    names = ", ".join(f"'{t.name}'" for t in tabs) or "none"
    if all(t.height == 0 for t in tabs):
        return (
            f"{grid.source} is empty (tabs: {names}). Add your contacts, or run `sheetsync init`."
        )
    return (
        f"No tab of {grid.source} looks like a contacts list (searched {names}). sheetsync "
        f"looks in the first {MAX_HEADER_ROW} rows for a header with a Name or Email column "
        f"and one person per row below it. {_HOW_TO_POINT}"
    )


def _not_a_header_message(best: Candidate) -> str:
    cells = ", ".join(f"'{t}'" for t in best.headers.values())
    return (
        f"Row {best.row} of '{best.tab.name}' does not look like a header: sheetsync needs a "
        f"Name or Email column there (it holds: {cells or 'nothing'}). Fix `header_row` / "
        "--header-row, or map your columns with [columns] in sheetsync.toml."
    )


def _check_overrides(best: Candidate, overrides: Mapping[str, str]) -> None:
    headers = best.headers
    missing = [f for f, text in overrides.items() if find_header(headers, text) is None]
    if not missing:
        return
    have = ", ".join(f"'{h}'" for h in headers.values())
    f = missing[0]
    raise ConfigError(
        f"columns.{f} = '{overrides[f]}', but row {best.row} of '{best.tab.name}' has no such "
        f"header. Headers there: {have}. Fix the [columns] entry in sheetsync.toml."
    )


def _layout_of(best: Candidate) -> Layout:
    all_headers = header_texts(best.tab.row_values(best.row))
    managed, dup_warnings = _managed_columns(all_headers)
    own = set(c for c, t in all_headers.items() if is_managed_header(t))
    mapped = set(best.mapped.columns.values()) | own
    unmapped = tuple(clean_text(t) for c, t in sorted(all_headers.items()) if c not in mapped)
    order = sorted(best.mapped.columns.items(), key=lambda kv: FIELD_IDS.index(kv[0]))
    return Layout(
        worksheet=best.tab.name,
        header_row=best.row,
        columns=dict(order),
        headers=all_headers,
        unmapped=unmapped,
        managed=managed,
        warnings=best.warnings + dup_warnings + _formula_warnings(best.tab),
        confidence={f: best.mapped.confidence[f] for f, _ in order},
        doubtful=best.mapped.doubtful,
    )


def _managed_columns(headers: Mapping[int, str]) -> tuple[dict[str, int], tuple[str, ...]]:
    """Managed header → column, the leftmost when a header appears twice (with a warning)."""
    managed: dict[str, int] = {}
    seen: dict[str, int] = {}
    warnings: list[str] = []
    for col, text in sorted(headers.items()):
        if not is_managed_header(text):
            continue
        key = clean_text(text).casefold()
        if key in seen:
            warnings.append(
                f"Column {col_letter(col)} repeats sheetsync's column '{text}' (also in column "
                f"{col_letter(seen[key])}); sheetsync uses column {col_letter(seen[key])} and "
                f"leaves column {col_letter(col)} alone. Delete the extra column."
            )
            continue
        seen[key] = col
        managed[text] = col
    return managed, tuple(warnings)


def _formula_warnings(tab: Tab) -> tuple[str, ...]:
    """A note when formulas in the contacts tab have no saved result to read."""
    n = tab.formulas_without_values
    if not n:
        return ()
    have = "has" if n == 1 else "have"
    return (
        f"{plural(n, 'formula cell')} in '{tab.name}' {have} no saved result (the file was "
        "written by a program that does not calculate, such as a script); sheetsync reads "
        "them as empty. Open the file in Excel or LibreOffice and save it once, then run again.",
    )
