"""Property: sheetsync's own cells are never input. A tracker synced twice, thrice, then re-laid
by the student (columns moved, rows sorted) is read with the same header row and the same map.

The real .xlsx path throughout: openpyxl writes the student's workbook, ``sync`` patches it,
the re-laid copy is written again from what the previous sync left (managed cells included).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sheetsync import pipeline
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.grid import CellValue
from sheetsync.layout import Layout, is_managed_header

from .test_layout_values import workbook

# Header rows students use, strong and weak; the second field of each pair says what it holds.
HEADERS: list[list[tuple[str, str]]] = [
    [("Name", "person"), ("Organization", "org"), ("Email", "email"),
     ("Date Contacted", "date"), ("Response?", "flag"), ("Interview Date", "date"),
     ("Thank-you Sent?", "flag"), ("Notes", "text")],
    [("Who", "person"), ("Org", "org"), ("Wrote", "date"), ("Reply", "flag"),
     ("Next Action", "status")],
    [("Contact", "person"), ("Company", "org"), ("Reached out", "date"), ("Status", "status"),
     ("Follow up", "date"), ("Met", "date")],
    [("Who", "person"), ("When", "date"), ("Heard back", "flag")],
    [("Person", "person"), ("Wrote", "date"), ("Chat", "date"), ("Thanks", "flag")],
]  # fmt: skip
FIRST = ["Ana", "Bo", "Cleo", "Dev", "Ema", "Finn", "Gia", "Hal", "Ivy", "Jun"]
LAST = ["Lima", "Chen", "Diaz", "Patel", "Stone", "Wolfe", "Rossi", "Berg", "Okafor"]
days = st.dates(min_value=dt.date(2026, 2, 20), max_value=dt.date(2026, 3, 20))


def value(kind: str) -> st.SearchStrategy[CellValue]:
    """A cell a student would type in a column of this kind (or nothing)."""
    by_kind: dict[str, st.SearchStrategy[CellValue]] = {
        "person": st.builds(
            lambda f, la: f"{f} {la}", st.sampled_from(FIRST), st.sampled_from(LAST)
        ),
        "org": st.sampled_from(
            ["Acme", "Helix Bio", "Initech", "Globex", "UCSF", "Sheetsync Labs"]
        ),
        "email": st.builds(lambda f: f"{f.lower()}@example.org", st.sampled_from(FIRST)),
        "date": days,
        "flag": st.sampled_from(["Y", "N", "yes"]),
        "status": st.sampled_from(["Waiting", "Follow up", "Scheduled", "Done"]),
        "text": st.sampled_from(["Great chat about careers", "Met at ASCB", "Busy till May"]),
    }
    return st.one_of(st.none(), by_kind[kind]) if kind not in ("person", "email") else by_kind[kind]


@st.composite
def trackers(draw: st.DrawFn) -> list[list[CellValue]]:
    """A title and notes above the header (sometimes), then 3–12 contact rows."""
    header = draw(st.sampled_from(HEADERS))
    preamble: list[list[CellValue]] = draw(
        st.sampled_from([[], [["My networking tracker"]], [["Tracker"], ["One row per person."]]])
    )
    rows = draw(st.lists(st.tuples(*[value(k) for _, k in header]), min_size=3, max_size=12))
    return [*preamble, [h for h, _ in header], *[list(r) for r in rows]]


def relaid(path: Path, header_row: int, order: list[int], key_col: int, out: Path) -> None:
    """The student moves columns (``order``) and sorts the rows below the header."""
    tab = XlsxBackend(path).read().tab("Contacts")
    assert tab is not None
    width = tab.width
    perm = [c for c in order if c < width] + [c for c in range(width) if c not in order]

    def moved(cells: list[CellValue]) -> list[CellValue]:
        padded = cells + [None] * (width - len(cells))
        return [padded[c] for c in perm]

    above = [moved(list(r)) for r in tab.rows[:header_row]]
    body = [moved(list(r)) for r in tab.rows[header_row:]]
    body.sort(key=lambda r: str(r[perm.index(key_col)] if key_col < width else ""))
    workbook(out, {"Contacts": above + body})


def read_back(path: Path) -> Layout:
    result = pipeline.sync(XlsxBackend(path, backups=0), Settings(), dt.date(2026, 3, 16))
    assert result.checked is not None
    return result.checked.layout


def seen(lay: Layout) -> tuple[str, int, dict[str, str]]:
    return lay.worksheet, lay.header_row, lay.column_names()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A weak header ("When" maps to nothing) under which sheetsync's status text ("write to a 2nd
# person") once outscored the header: the second sync read row 2 as the header row.
@example(
    rows=[["Who", "When", "Heard back"], *[[n, dt.date(2026, 3, 9 + i), None]
          for i, n in enumerate(["Ana Lima", "Bo Chen", "Cleo Diaz", "Dev Patel"])]],
    order=list(range(12)),
    key=0,
)  # fmt: skip
@given(rows=trackers(), order=st.permutations(list(range(12))), key=st.integers(0, 7))
def test_same_header_row_and_map_after_syncs_and_relaying(
    rows: list[list[CellValue]], order: list[int], key: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.xlsx"
        workbook(path, {"Contacts": rows})
        first = read_back(path)
        assert all(not is_managed_header(h) for h in first.column_names().values())
        for _ in range(2):  # synced twice, thrice: its own cells change nothing
            assert seen(read_back(path)) == seen(first)
        again = Path(folder) / "relaid.xlsx"
        relaid(path, first.header_row, order, key, again)
        after = read_back(again)
        assert (after.worksheet, after.header_row) == (first.worksheet, first.header_row)
        assert after.column_names() == first.column_names()  # same field → same header text
        assert seen(read_back(again)) == seen(after)
        wb = openpyxl.load_workbook(again)
        header = [c.value for c in wb["Contacts"][after.header_row]]
        assert sum(1 for h in header if isinstance(h, str) and is_managed_header(h)) == 3


def test_a_value_that_starts_with_sheetsync_is_the_students(tmp_path: Path) -> None:
    """Only sheetsync's own headings ("sheetsync · status", …) mark its columns and its header
    row: an organisation called "Sheetsync Labs", or one heading of that form typed in a data
    row, is a value like any other."""
    rows: list[list[CellValue]] = [
        ["Name", "Organization", "Email", "Date contacted", "Notes"],
        ["Ana Lima", "Sheetsync Labs", "ana@example.org", dt.date(2026, 3, 2), "sheetsync · due"],
        ["Bo Chen", "SHEETSYNCMAIL", "bo@example.org", dt.date(2026, 3, 11), None],
    ]
    grid = workbook(tmp_path / "t.xlsx", {"Contacts": rows})
    lay = pipeline.check_grid(grid, Settings(), dt.date(2026, 3, 16)).layout
    assert lay.header_row == 1
    assert lay.columns["organization"] == 2 and lay.columns["name"] == 1
    assert not is_managed_header("Sheetsync Labs") and not is_managed_header("sheetsyncmail")
    assert is_managed_header("sheetsync · next step") and is_managed_header("Sheetsync: Status")


def test_the_managed_names_are_the_columns_sheetsync_writes() -> None:
    from sheetsync.layout.model import MANAGED_NAMES
    from sheetsync.status import MAIL, MANAGED_COLUMNS

    for column in (*MANAGED_COLUMNS, MAIL):
        assert is_managed_header(column.header), column.header
    written = {c.header.split("·", 1)[1].strip() for c in (*MANAGED_COLUMNS, MAIL)}
    assert written == set(MANAGED_NAMES)
