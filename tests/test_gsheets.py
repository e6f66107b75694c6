"""Google Sheets specifics, through the real gspread client and the local emulator: the
request budget, RAW writes, and a person editing the sheet between sync's read and write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync import pipeline
from sheetsync.backends.gsheets_values import cell_value, effective_value
from sheetsync.config import Settings
from sheetsync.errors import GoogleError, SourceChangedError
from sheetsync.grid import CellError
from sheetsync.prep import PrepSettings

from .sheets_emulator import Formula, RecordedRequest, SheetsEmulator

TODAY = dt.date(2026, 3, 16)
HEADER = ["Name", "Company", "Email", "Emailed on", "Heard back?", "Call date", "Sent thanks"]
GET, BATCH_GET = "spreadsheets.get", "spreadsheets.values.batchGet"
STRUCTURE, WRITE = "spreadsheets.batchUpdate", "spreadsheets.values.batchUpdate"


def person(i: int) -> list[Any]:
    """Row i: a mix of situations that cycles every 5 people."""
    kind = i % 5
    base = [f"Person {i:05d}", f"Org {i % 7}", f"p{i}@example.org"]
    if kind == 0:
        return [*base, dt.date(2026, 3, 10), "", "", ""]  # 3B due
    if kind == 1:
        return [*base, dt.date(2026, 3, 2), "Y", dt.date(2026, 3, 13), ""]  # thank-you due
    if kind == 2:
        return [*base, dt.date(2026, 3, 2), "Y", dt.date(2026, 3, 17), ""]  # prep + confirm
    if kind == 3:
        return [*base, dt.date(2026, 2, 2), "Y", dt.date(2026, 2, 10), "Y"]  # nothing
    return [*base, "", "", "", ""]  # not contacted yet


def make_sheet(emulator: SheetsEmulator, n: int, **kw: Any) -> str:
    return emulator.add_spreadsheet(
        "T", {"Contacts": [HEADER] + [person(i) for i in range(n)]}, **kw
    )


def sync(sheet_id: str, today: dt.date = TODAY, *, prep: bool = True) -> pipeline.SyncResult:
    settings = Settings(sections={"prep": PrepSettings(enabled=prep)})
    return pipeline.sync(pipeline.open_backend(f"gsheet:{sheet_id}", settings), settings, today)


def written_cells(emulator: SheetsEmulator, tab: str = "Contacts") -> int:
    return sum(
        len(vr["values"]) * len(vr["values"][0])
        for r in emulator.requests
        if r.op == WRITE
        for vr in r.body["data"]
        if vr["range"].startswith(f"'{tab}'!")
    )


def is_reread(request: RecordedRequest) -> bool:
    """The second read: only the key and managed columns ('Contacts'!C:C, …)."""
    return request.op == BATCH_GET and all("!" in r for r in request.query.get("ranges", []))


def statuses_by_name(emulator: SheetsEmulator, sheet_id: str) -> dict[str, str]:
    rows = emulator.values(sheet_id, "Contacts")
    col = rows[0].index("sheetsync · status")
    return {r[0]: (r[col] if len(r) > col else "") for r in rows[1:] if r and r[0]}


BUDGET = 4  # requests per sync at most (Google's quota is per minute: a run over a cohort)


def synced(emulator: SheetsEmulator, sheet_id: str, today: dt.date, prep: bool) -> list[str]:
    """Sync once and answer the requests that sync made (checked against the budget)."""
    emulator.clear_requests()
    result = sync(sheet_id, today, prep=prep)
    ops = emulator.ops()
    assert len(ops) <= BUDGET, ops
    assert written_cells(emulator) == (len(result.plan.changes) if result.written else 0)
    assert emulator.count("values.append") == 0
    return ops


@pytest.mark.parametrize("prep", [False, True], ids=["prep off", "prep on"])
@pytest.mark.parametrize("n", [200, 2000])
def test_request_budget(emulator_env: SheetsEmulator, n: int, prep: bool) -> None:
    """Every kind of sync stays within four requests: one read (tabs and values together),
    a structural request only when there is structure to change, the re-read of the key and
    managed columns just before writing, and one RAW values write."""
    sheet_id = make_sheet(emulator_env, n)
    assert synced(emulator_env, sheet_id, TODAY, prep) == [GET, STRUCTURE, BATCH_GET, WRITE]
    assert synced(emulator_env, sheet_id, TODAY, prep) == [GET]  # a no-op sync writes nothing
    emulator_env.set_cell(sheet_id, "Contacts", "E2", "Y")  # Person 0 replied
    assert synced(emulator_env, sheet_id, TODAY, prep) == [GET, BATCH_GET, WRITE]
    assert written_cells(emulator_env) == 3  # status, step, due
    # Person 0's call is booked for the day after tomorrow: a new prep block (prep on)
    emulator_env.set_cell(sheet_id, "Contacts", "F2", dt.date(2026, 3, 18))
    ops = synced(emulator_env, sheet_id, TODAY, prep)
    assert ops == ([GET, STRUCTURE, BATCH_GET, WRITE] if prep else [GET, BATCH_GET, WRITE])
    assert synced(emulator_env, sheet_id, TODAY + dt.timedelta(days=1), prep)[-1] == WRITE


def test_managed_columns_get_format_colours_and_protection_once(
    emulator_env: SheetsEmulator,
) -> None:
    sheet_id = make_sheet(emulator_env, 10, grid=(50, len(HEADER)))  # no room for our columns
    sync(sheet_id)
    props = emulator_env.sheet_properties(sheet_id, "Contacts")
    assert props["gridProperties"]["columnCount"] == len(HEADER) + 3
    assert emulator_env.format_of(sheet_id, "Contacts", "H1")["textFormat"]["bold"] is True
    assert "DATE" in str(emulator_env.format_of(sheet_id, "Contacts", "J2"))
    rules = emulator_env.conditional_formats(sheet_id, "Contacts")
    protected = emulator_env.protected_ranges(sheet_id, "Contacts")
    assert len(rules) == 4 and len(protected) == 1 and protected[0]["warningOnly"] is True
    emulator_env.clear_requests()
    sync(sheet_id, TODAY + dt.timedelta(days=1))
    assert emulator_env.count(STRUCTURE) == 0
    assert len(emulator_env.conditional_formats(sheet_id, "Contacts")) == 4


def test_text_is_written_raw(emulator_env: SheetsEmulator) -> None:
    sheet_id = emulator_env.add_spreadsheet(
        "T",
        {
            "Contacts": [
                HEADER,
                ['=HYPERLINK("http://x")', "=1+1", "a@b.org", dt.date(2026, 3, 10), "", "", ""],
            ]
        },
    )
    sync(sheet_id)
    rows = emulator_env.values(sheet_id, "Contacts")
    assert rows[1][0] == '=HYPERLINK("http://x")'  # the user's text, untouched
    assert rows[1][8].startswith('No reply from =HYPERLINK("http://x")')  # ours: literal text
    assert all(
        r.body.get("valueInputOption") == "RAW" for r in emulator_env.requests if r.op == WRITE
    )


def _reference(n: int, emulator: SheetsEmulator) -> dict[str, str]:
    sheet_id = make_sheet(emulator, n)
    sync(sheet_id)
    return statuses_by_name(emulator, sheet_id)


@pytest.mark.parametrize("edit", ["insert", "delete", "sort", "type-into-managed"])
def test_person_edits_between_read_and_write(emulator_env: SheetsEmulator, edit: str) -> None:
    expected = _reference(30, emulator_env)
    sheet_id = make_sheet(emulator_env, 30)

    def person_edits(emu: SheetsEmulator) -> None:
        if edit == "insert":
            emu.insert_rows(sheet_id, "Contacts", 3, values=[["New Person", "Org X", "new@x.org"]])
        elif edit == "delete":
            emu.delete_rows(sheet_id, "Contacts", 4)  # Person 00002 goes
        elif edit == "sort":
            emu.sort_rows(sheet_id, "Contacts", "A", descending=True)
        else:
            emu.set_cell(sheet_id, "Contacts", "H5", "my own note")

    emulator_env.before_next(is_reread, person_edits)
    sync(sheet_id)
    now = statuses_by_name(emulator_env, sheet_id)
    for name, status in now.items():
        if name in expected:
            assert status == expected[name], f"{edit}: {name} got another person's status"
    if edit == "insert":
        assert not now["New Person"]  # not read yet: no status rather than a wrong one
    if edit == "delete":
        assert "Person 00002" not in now


def test_header_changed_between_read_and_write_stops(emulator_env: SheetsEmulator) -> None:
    sheet_id = make_sheet(emulator_env, 5)
    emulator_env.before_next(
        is_reread, lambda emu: emu.insert_rows(sheet_id, "Contacts", 1, values=[["My title"]])
    )
    with pytest.raises(SourceChangedError, match="run sync again"):
        sync(sheet_id)
    assert emulator_env.count(WRITE) == 0


def test_429s_are_retried_and_the_sync_completes(
    emulator_env: SheetsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    sheet_id = make_sheet(emulator_env, 10)
    emulator_env.fail_next(2, status=429, op=GET)
    emulator_env.fail_next(1, status=429, op=BATCH_GET)
    assert sync(sheet_id).written
    assert emulator_env.count(GET) == 3  # 2 failures + the read
    assert emulator_env.count(BATCH_GET) == 2  # 1 failure + the re-read


def test_not_shared_names_what_to_do(emulator_env: SheetsEmulator) -> None:
    sheet_id = make_sheet(emulator_env, 3, shared=False)
    with pytest.raises(GoogleError, match=r"(?i)share"):
        sync(sheet_id)


def test_the_one_read_sees_what_the_values_api_sees(emulator_env: SheetsEmulator) -> None:
    """The grid data of the one read gives every cell exactly as ``values:batchGet`` with
    UNFORMATTED_VALUE and serial dates gives it: text that starts with '=' stays text, dates
    are serials, numbers, booleans and formula errors keep their types, blank rows and blank
    cells keep their places."""
    rows: list[list[Any]] = [
        [],
        [None, "Name", "When", "Note", None, "Count"],
        [None, "Ann", dt.date(2026, 3, 2), "=not a formula", None, 3],
        [None, "Bob", dt.datetime(2026, 3, 2, 10, 30), True, None, 2.5],
        [],
        [None, Formula("=1/0"), Formula("=NA()", "#N/A"), "#hashtag", "", Formula("=4/2")],
    ]
    sid = emulator_env.add_spreadsheet("T", {"Contacts": rows, "It's mine": [[None, "x"]]})
    backend = pipeline.open_backend(f"gsheet:{sid}", Settings())
    emulator_env.clear_requests()
    grid = backend.read()
    assert emulator_env.ops() == [GET]
    ranges = ["'Contacts'", "'It''s mine'"]
    params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
    blocks = backend.http.values_batch_get(sid, ranges, params)["valueRanges"]
    by_values = [[[cell_value(v) for v in row] for row in b.get("values", [])] for b in blocks]
    assert [t.rows for t in grid.tabs] == by_values
    assert grid.tabs[0].rows == [
        [],
        [None, "Name", "When", "Note", None, "Count"],
        [None, "Ann", 46083, "=not a formula", None, 3],
        [None, "Bob", 46083.4375, True, None, 2.5],
        [],
        [None, CellError("#DIV/0!"), CellError("#N/A"), "#hashtag", None, 2],
    ]
    assert [t.name for t in grid.tabs] == ["Contacts", "It's mine"]


@pytest.mark.parametrize(
    ("effective", "expected"),
    [
        ({"stringValue": "=1+1"}, "=1+1"),
        ({"stringValue": ""}, None),
        ({"stringValue": "#N/A"}, CellError("#N/A")),  # text that reads as an error, as before
        ({"numberValue": 46083}, 46083),
        ({"numberValue": 46083.4375}, 46083.4375),
        ({"boolValue": False}, False),
        ({"errorValue": {"type": "NULL_VALUE", "message": "m"}}, CellError("#NULL!")),
        ({"errorValue": {"type": "DIVIDE_BY_ZERO", "message": "m"}}, CellError("#DIV/0!")),
        ({"errorValue": {"type": "VALUE", "message": "m"}}, CellError("#VALUE!")),
        ({"errorValue": {"type": "REF", "message": "m"}}, CellError("#REF!")),
        ({"errorValue": {"type": "NAME", "message": "m"}}, CellError("#NAME?")),
        ({"errorValue": {"type": "NUM", "message": "m"}}, CellError("#NUM!")),
        ({"errorValue": {"type": "N_A", "message": "m"}}, CellError("#N/A")),
        ({"errorValue": {"type": "ERROR", "message": "m"}}, CellError("#ERROR!")),
        ({"errorValue": {"type": "ERROR_TYPE_UNSPECIFIED"}}, CellError("#ERROR!")),
        ({"errorValue": {"type": "LOADING", "message": "m"}}, "Loading..."),
        ({}, None),
    ],
)
def test_effective_values_read_as_the_values_api_gives_them(
    effective: dict[str, Any], expected: Any
) -> None:
    """Every ExtendedValue kind of the Sheets API v4 reference (ErrorType for errors)."""
    got = effective_value({"effectiveValue": effective} if effective else {})
    assert got == expected and type(got) is type(expected)


CELLS = st.one_of(
    st.none(),
    st.text(alphabet="=#+-'., aZ09\n", max_size=6),
    st.sampled_from(["#N/A", "#REF!", "=SUM(A1)", "'007", "007", "TRUE", "Loading..."]),
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 4)),
    st.booleans(),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.sampled_from([Formula("=1/0"), Formula("=4/2"), Formula("=NA()", "#N/A")]),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tabs=st.lists(st.lists(st.lists(CELLS, max_size=6), max_size=6), min_size=1, max_size=3))
def test_the_one_read_never_differs_from_the_values_read(
    emulator_env: SheetsEmulator, tabs: list[list[list[Any]]]
) -> None:
    """Whatever the cells hold, the one read gives every tab exactly the rows a
    ``values:batchGet`` of the same tabs gives (the read it replaced)."""
    names = [f"Tab {i}" for i in range(len(tabs))]
    sid = emulator_env.add_spreadsheet("T", dict(zip(names, tabs, strict=True)))
    backend = pipeline.open_backend(f"gsheet:{sid}", Settings())
    grid = backend.read()
    params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
    ranges = [f"'{name}'" for name in names]
    blocks = backend.http.values_batch_get(sid, ranges, params)["valueRanges"]
    by_values = [[[cell_value(v) for v in row] for row in b.get("values", [])] for b in blocks]
    assert [t.name for t in grid.tabs] == names
    assert typed([t.rows for t in grid.tabs]) == typed(by_values)


def typed(tabs: list[list[list[Any]]]) -> list[list[list[tuple[type, Any]]]]:
    """Cells with their types (True == 1 in Python; a bool read as a number must not pass)."""
    return [[[(type(v), v) for v in row] for row in rows] for rows in tabs]
