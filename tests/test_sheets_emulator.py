"""The Sheets API emulator, driven by the real gspread client over real HTTP.

Expected responses are facts from gspread's recorded cassettes (github.com/burnash/gspread,
tests/cassettes/<name>.json, real Sheets API v4 traffic); each test names its cassette. The
fixtures here are our own data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import gspread
import pytest
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession

from sheetsync.backends.google_auth import open_client
from sheetsync.backends.google_http import SheetsHTTPClient
from sheetsync.errors import SheetsBadRequest
from tests.sheets_emulator import Formula, RecordedRequest, SheetsEmulator, emulator

__all__ = ["emulator"]  # the fixture, imported for pytest

FOUR_BY_FOUR = [
    ["A1", "B1", "", "D1"],
    ["", "b2", "", ""],
    ["", "", "", ""],
    ["A4", "B4", "", "D4"],
]


def client_for(emu: SheetsEmulator) -> gspread.Client:
    return open_client(auth="anonymous", endpoint=emu.url, retries=0)


def raw_session() -> AuthorizedSession:
    """google-auth's own session, no gspread in between (to see exact bodies and headers)."""
    return AuthorizedSession(AnonymousCredentials())  # type: ignore[no-untyped-call]


# -- reading: range echo and trimming --------------------------------------------------------------


def test_trailing_cells_and_rows_trimmed_interior_rows_empty(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_get_all_values: 4x4 grid, RAW write of FOUR_BY_FOUR, then GET 'Sheet1'
    # -> range "Sheet1!A1:D4", values [["A1","B1","","D1"],["","b2"],[],["A4","B4","","D4"]]
    sid = emulator.add_spreadsheet("t", {"Sheet1": []}, grid=(4, 4))
    sh = client_for(emulator).open_by_key(sid)
    sh.values_update(
        "'Sheet1'!A1:D4", params={"valueInputOption": "RAW"}, body={"values": FOUR_BY_FOUR}
    )
    got = sh.values_get("'Sheet1'")
    assert got == {
        "range": "Sheet1!A1:D4",
        "majorDimension": "ROWS",
        "values": [["A1", "B1", "", "D1"], ["", "b2"], [], ["A4", "B4", "", "D4"]],
    }


def test_empty_range_has_no_values_key_and_open_end_reaches_grid(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_range_unbounded: GET 'Sheet1'!A1:C on 1000x26 -> "Sheet1!A1:C1000",
    # no "values" key. WorksheetTest.test_insert_row: 'Sheet1'!A2:2 -> "Sheet1!A2:Z2".
    sid = emulator.add_spreadsheet("t", {"Sheet1": []})
    sh = client_for(emulator).open_by_key(sid)
    assert sh.values_get("'Sheet1'!A1:C") == {"range": "Sheet1!A1:C1000", "majorDimension": "ROWS"}
    assert sh.values_get("'Sheet1'!A2:2")["range"] == "Sheet1!A2:Z2"


def test_whole_sheet_and_whole_columns_echo_the_grid(emulator: SheetsEmulator) -> None:
    # SpreadsheetTest.test_values_get: a bare title on a 10x10 tab echoes "'🌵 …'!A1:J10".
    # SpreadsheetTest.test_values_batch_get: unquoted "🌵 … 1!A:A" is accepted and echoes
    # "'🌵 …'!A1:A10" (the title is quoted in the echo because it has spaces/emoji).
    title = "🌵 tab 1"
    sid = emulator.add_spreadsheet(
        "t", {title: [["🍇", "🍉", "🍋"], ["🍐", "🍎", "🍓"]]}, grid=(10, 10)
    )
    sh = client_for(emulator).open_by_key(sid)
    assert sh.values_get(title)["range"] == f"'{title}'!A1:J10"
    got = sh.values_batch_get([f"{title}!A:A", f"{title}!C:C"])
    assert [vr["range"] for vr in got["valueRanges"]] == [f"'{title}'!A1:A10", f"'{title}'!C1:C10"]
    assert got["valueRanges"][1]["values"] == [["🍋"], ["🍓"]]


def test_brief_example_clamps_to_grid(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["x"]]}, grid=(100, 10))
    sh = client_for(emulator).open_by_key(sid)
    assert sh.values_get("Sheet1!A:Z")["range"] == "Sheet1!A1:J100"


def test_titles_that_need_quotes(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_get_all_values_title_is_a1_notation: a tab titled "D3" echoes "'D3'!A1:D1".
    sid = emulator.add_spreadsheet("t", {"D3": [["a"]], "It's": [["b"]], "My tab": [["c"]]})
    sh = client_for(emulator).open_by_key(sid)
    assert sh.values_get("'D3'!A1:D1")["range"] == "'D3'!A1:D1"
    assert sh.values_get("'It''s'!A:A")["range"] == "'It''s'!A1:A1000"
    assert sh.values_get("'It''s'!A:A")["values"] == [["b"]]
    assert sh.values_get("'My tab'!A1:C5") == {
        "range": "'My tab'!A1:C5",
        "majorDimension": "ROWS",
        "values": [["c"]],
    }


def test_reversed_range_is_normalised(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_range_reversed: D4:A1 is answered like A1:D4.
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["x"]]})
    sh = client_for(emulator).open_by_key(sid)
    assert sh.values_get("'Sheet1'!D4:A1")["range"] == "Sheet1!A1:D4"


def test_columns_major_dimension(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["a", "b"], ["c"]]})
    sh = client_for(emulator).open_by_key(sid)
    got = sh.values_get("Sheet1!A1:B2", params={"majorDimension": "COLUMNS"})
    assert got["values"] == [["a", "c"], ["b"]]


# -- render options --------------------------------------------------------------------------------

DATE_ROWS = [["=4/2", "2020-01-01", "string", 53], ["=3/2", 0.12, "1999-01-02", ""]]


@pytest.mark.parametrize(
    ("value_render", "date_render", "expected"),
    [
        # WorksheetTest.test_get_all_values_date_time_render_options (all four combinations)
        ("UNFORMATTED_VALUE", "SERIAL_NUMBER", [[2, 43831, "string", 53], [1.5, 0.12, 36162]]),
        (
            "UNFORMATTED_VALUE",
            "FORMATTED_STRING",
            [[2, "2020-01-01", "string", 53], [1.5, 0.12, "1999-01-02"]],
        ),
        (
            "FORMATTED_VALUE",
            "SERIAL_NUMBER",
            [["2", "2020-01-01", "string", "53"], ["1.5", "0.12", "1999-01-02"]],
        ),
        # WorksheetTest.test_get_all_records_value_render_options: FORMULA
        ("FORMULA", "SERIAL_NUMBER", [["=4/2", 43831, "string", 53], ["=3/2", 0.12, 36162]]),
    ],
)
def test_render_options_after_user_entered_write(
    emulator: SheetsEmulator, value_render: str, date_render: str, expected: list[list[Any]]
) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": []}, grid=(2, 4))
    sh = client_for(emulator).open_by_key(sid)
    sh.values_update(
        "'Sheet1'!A1:D2", params={"valueInputOption": "USER_ENTERED"}, body={"values": DATE_ROWS}
    )
    params = {"valueRenderOption": value_render, "dateTimeRenderOption": date_render}
    got = sh.values_get("'Sheet1'", params=params)
    assert got["range"] == "Sheet1!A1:D2"
    assert got["values"] == expected


def test_python_dates_are_serials_and_booleans_typed(emulator: SheetsEmulator) -> None:
    rows = [["when", "done", "n"], [dt.date(2026, 3, 16), True, 7]]
    sid = emulator.add_spreadsheet("t", {"Sheet1": rows})
    sh = client_for(emulator).open_by_key(sid)
    raw = sh.values_get("Sheet1!A2:C2", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert raw["values"] == [[46097, True, 7]]
    shown = sh.values_get("Sheet1!A2:C2")
    assert shown["values"] == [["2026-03-16", "TRUE", "7"]]
    assert emulator.values(sid, "Sheet1")[1] == [dt.date(2026, 3, 16), True, 7]


def test_formula_with_given_value(emulator: SheetsEmulator) -> None:
    rows = [["last"], [Formula("=MAX(B2:C2)", dt.date(2026, 3, 2))]]
    sid = emulator.add_spreadsheet("t", {"Sheet1": rows})
    sh = client_for(emulator).open_by_key(sid)
    params = {"valueRenderOption": "UNFORMATTED_VALUE"}
    assert sh.values_get("Sheet1!A2", params=params)["values"] == [[46083]]
    formula = sh.values_get("Sheet1!A2", params={"valueRenderOption": "FORMULA"})
    assert formula["values"] == [["=MAX(B2:C2)"]]


# -- writing ---------------------------------------------------------------------------------------


def test_raw_keeps_text_user_entered_parses(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_insert_row: USER_ENTERED "=1+1" reads back under FORMULA as "=1+1".
    # CellTest.test_numeric_value: USER_ENTERED "2,000,000.01" shows as "2,000,000.01".
    sid = emulator.add_spreadsheet("t", {"Sheet1": []})
    sh = client_for(emulator).open_by_key(sid)
    values = [["=1+1", "007", "TRUE", "2,000,000.01"]]
    sh.values_update("Sheet1!A1", params={"valueInputOption": "RAW"}, body={"values": values})
    sh.values_update(
        "Sheet1!A2", params={"valueInputOption": "USER_ENTERED"}, body={"values": values}
    )
    unformatted = sh.values_get("Sheet1!A1:D2", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert unformatted["values"] == [values[0], [2, 7, True, 2000000.01]]
    assert sh.values_get("Sheet1!D2")["values"] == [["2,000,000.01"]]
    stored = emulator.values(sid, "Sheet1")
    assert stored[0][0] == "=1+1"  # RAW: literal text, never a formula
    assert stored[1][0] == Formula("=1+1", 2)


def test_update_counts_and_single_cell_anchor(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_update_and_get: PUT 'Sheet1'!A1 with a 4x4 block ->
    # updatedRange "Sheet1!A1:D4", updatedRows 4, updatedColumns 4, updatedCells 16.
    sid = emulator.add_spreadsheet("t", {"Sheet1": []})
    sh = client_for(emulator).open_by_key(sid)
    got = sh.values_update(
        "'Sheet1'!A1", params={"valueInputOption": "RAW"}, body={"values": FOUR_BY_FOUR}
    )
    assert got == {
        "spreadsheetId": sid,
        "updatedRange": "Sheet1!A1:D4",
        "updatedRows": 4,
        "updatedColumns": 4,
        "updatedCells": 16,
    }


def test_batch_update_response_shape(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_batch_update: two RAW ranges -> totals 2 rows, 4 columns, 8 cells,
    # 1 sheet, and one response per range with the range echoed unquoted.
    sid = emulator.add_spreadsheet("t", {"Sheet1": []})
    sh = client_for(emulator).open_by_key(sid)
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"range": "'Sheet1'!A1:D1", "values": [FOUR_BY_FOUR[0]]},
            {"range": "'Sheet1'!A4:D4", "values": [FOUR_BY_FOUR[3]]},
        ],
    }
    got = sh.values_batch_update(body)
    assert {k: got[k] for k in got if k != "responses"} == {
        "spreadsheetId": sid,
        "totalUpdatedRows": 2,
        "totalUpdatedColumns": 4,
        "totalUpdatedCells": 8,
        "totalUpdatedSheets": 1,
    }
    assert [r["updatedRange"] for r in got["responses"]] == ["Sheet1!A1:D1", "Sheet1!A4:D4"]
    assert sh.values_get("'Sheet1'!A1:D4")["values"] == [FOUR_BY_FOUR[0], [], [], FOUR_BY_FOUR[3]]


def test_null_cells_are_skipped_and_empty_string_clears(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["keep", "old", "gone"]]})
    sh = client_for(emulator).open_by_key(sid)
    body = {
        "valueInputOption": "RAW",
        "data": [{"range": "Sheet1!A1:C1", "values": [[None, "new", ""]]}],
    }
    got = sh.values_batch_update(body)
    assert got["totalUpdatedCells"] == 2
    assert emulator.values(sid, "Sheet1") == [["keep", "new"]]


def test_write_past_grid_is_rejected_with_googles_error_shape(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["a"]]}, grid=(5, 3))
    url = f"{emulator.url}/v4/spreadsheets/{sid}/values:batchUpdate"
    body = {"valueInputOption": "RAW", "data": [{"range": "Sheet1!D1", "values": [["x"]]}]}
    response = raw_session().post(url, json=body, timeout=5)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": 400,
            "message": "Invalid data[0]: Range (Sheet1!D1) exceeds grid limits. "
            "Max rows: 5, max columns: 3",
            "status": "INVALID_ARGUMENT",
        }
    }
    http = SheetsHTTPClient(AnonymousCredentials(), endpoint=emulator.url, retries=0)  # type: ignore[no-untyped-call]
    with pytest.raises(SheetsBadRequest) as caught:
        http.values_update(
            sid, "Sheet1!A5", params={"valueInputOption": "RAW"}, body={"values": [["x"], ["y"]]}
        )
    assert caught.value.range == "Sheet1!A5:A6"
    assert "Sheet1!A5:A6" in str(caught.value)
    assert emulator.values(sid, "Sheet1") == [["a"]]  # nothing written


def test_write_larger_than_declared_range_is_rejected(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": []})
    url = f"{emulator.url}/v4/spreadsheets/{sid}/values/Sheet1!A1:B1?valueInputOption=RAW"
    response = raw_session().put(url, json={"values": [["a", "b", "c"]]}, timeout=5)
    assert response.status_code == 400
    assert "tried writing to column [C]" in response.json()["error"]["message"]


def test_values_not_a_list_is_rejected_like_google(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_add_validation: body {"values": "X"} -> 400 "Invalid value at
    # 'data.values' (type.googleapis.com/google.protobuf.ListValue), "X"".
    sid = emulator.add_spreadsheet("t", {"Sheet1": []})
    url = f"{emulator.url}/v4/spreadsheets/{sid}/values/'Sheet1'!A1?valueInputOption=RAW"
    response = raw_session().put(url, json={"values": "X"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), \"X\""
    )


def test_clear_and_batch_clear_echo(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_batch_clear: clearedRanges ["Sheet1!A1:B1", "Sheet1!C2:E2"];
    # WorksheetTest.test_get_all_values: POST 'Sheet1':clear -> clearedRange "Sheet1!A1:Z1000".
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["12345", "x"], ["", "", "5678", "y", "z"]]})
    sh = client_for(emulator).open_by_key(sid)
    got = sh.values_batch_clear(body={"ranges": ["'Sheet1'!A1:B1", "'Sheet1'!C2:E2"]})
    assert got == {"spreadsheetId": sid, "clearedRanges": ["Sheet1!A1:B1", "Sheet1!C2:E2"]}
    assert sh.values_clear("'Sheet1'") == {"spreadsheetId": sid, "clearedRange": "Sheet1!A1:Z1000"}
    assert emulator.values(sid, "Sheet1") == []


# -- errors ----------------------------------------------------------------------------------------


def test_404_and_403_bodies(emulator: SheetsEmulator) -> None:
    # ClientTest.test_access_non_existing_spreadsheet and ClientTest.test_access_private_spreadsheet
    session = raw_session()
    response = session.get(f"{emulator.url}/v4/spreadsheets/test?includeGridData=false", timeout=5)
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
    }
    sid = emulator.add_spreadsheet("t", {"Sheet1": []}, shared=False)
    response = session.get(f"{emulator.url}/v4/spreadsheets/{sid}?includeGridData=false", timeout=5)
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": 403,
            "message": "The caller does not have permission",
            "status": "PERMISSION_DENIED",
        }
    }


def test_unparseable_range_and_429_with_retry_after(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": []})
    session = raw_session()
    response = session.get(f"{emulator.url}/v4/spreadsheets/{sid}/values/Nope!A1", timeout=5)
    assert response.json()["error"] == {
        "code": 400,
        "message": "Unable to parse range: Nope!A1",
        "status": "INVALID_ARGUMENT",
    }
    emulator.fail_next(1, 429, retry_after=3)
    response = session.get(f"{emulator.url}/v4/spreadsheets/{sid}", timeout=5)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert session.get(f"{emulator.url}/v4/spreadsheets/{sid}", timeout=5).status_code == 200


def test_unknown_request_kind_is_400_in_googles_shape(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": []})
    response = raw_session().post(
        f"{emulator.url}/v4/spreadsheets/{sid}:batchUpdate",
        json={"requests": [{"frobnicate": {}}]},
        timeout=5,
    )
    error = response.json()["error"]
    assert response.status_code == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"].startswith('Invalid JSON payload received. Unknown name "frobnicate"')
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"


def test_batch_update_is_atomic(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["a"]]}, grid=(10, 5))
    sh = client_for(emulator).open_by_key(sid)
    good = {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 5}}
    bad = {
        "insertDimension": {
            "range": {"sheetId": 99, "dimension": "ROWS", "startIndex": 0, "endIndex": 1}
        }
    }
    with pytest.raises(SheetsBadRequest, match="No grid with id: 99"):
        sh.batch_update({"requests": [good, bad]})
    assert emulator.sheet_properties(sid, "Sheet1")["gridProperties"]["rowCount"] == 10


# -- the request log, faults and the person-edit hook ----------------------------------------------


def test_request_log_records_method_path_query_body(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["a"]]})
    sh = client_for(emulator).open_by_key(sid)
    sh.values_batch_get(["Sheet1!A:B"], params={"valueRenderOption": "UNFORMATTED_VALUE"})
    sh.values_append("Sheet1!A1", params={"valueInputOption": "RAW"}, body={"values": [["b"]]})
    assert emulator.ops() == [
        "spreadsheets.get",
        "spreadsheets.values.batchGet",
        "spreadsheets.values.append",
    ]
    method, path, query, body = emulator.requests[1]
    assert (method, path) == ("GET", f"/v4/spreadsheets/{sid}/values:batchGet")
    assert query == {"ranges": ["Sheet1!A:B"], "valueRenderOption": ["UNFORMATTED_VALUE"]}
    assert body is None
    assert isinstance(emulator.requests[2], RecordedRequest)
    assert emulator.requests[2].path == f"/v4/spreadsheets/{sid}/values/Sheet1!A1:append"
    assert emulator.count("values.append") == 1
    assert emulator.values(sid, "Sheet1") == [["a"], ["b"]]


def test_person_inserts_a_row_between_read_and_write(emulator: SheetsEmulator) -> None:
    rows = [["Name", "Status"], ["Ann", ""], ["Bo", ""]]
    sid = emulator.add_spreadsheet("t", {"Contacts": rows})
    sh = client_for(emulator).open_by_key(sid)

    def person(emu: SheetsEmulator) -> None:
        emu.insert_rows(sid, "Contacts", 2, values=[["Cy", "typed by hand"]])

    emulator.before_next("values.batchUpdate", person)
    sh.values_batch_update(
        {"valueInputOption": "RAW", "data": [{"range": "Contacts!B2", "values": [["due"]]}]}
    )
    # The write used a stale row number and landed on the person's new row: exactly the
    # hazard sheetsync must re-read for. The hook ran once, right before the write.
    assert emulator.values(sid, "Contacts") == [
        ["Name", "Status"],
        ["Cy", "due"],
        ["Ann", None],
        ["Bo", None],
    ]
    sh.values_batch_update(
        {"valueInputOption": "RAW", "data": [{"range": "Contacts!B3", "values": [["ok"]]}]}
    )
    assert emulator.cell(sid, "Contacts", "B3") == "ok"


def test_sort_range_matches_recorded_order(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_sort: sortRange on column 2 ascending (strings written RAW) gives
    # Canada, Elephant, Banana, Apple, Fox, Dinosaur; then column 0 descending gives
    # Fox, Elephant, Dinosaur, Canada, Banana, Apple.
    rows = [
        ["Apple", "2012", "4"],
        ["Banana", "2013", "3"],
        ["Canada", "2007", "1"],
        ["Dinosaur", "2013", "6"],
        ["Elephant", "2019", "2"],
        ["Fox", "2077", "5"],
    ]
    sid = emulator.add_spreadsheet("t", {"Sheet1": rows}, grid=(6, 3))
    ws = client_for(emulator).open_by_key(sid).sheet1
    ws.sort((3, "asc"), range="A1:C6")
    assert [r[0] for r in ws.get_all_values()] == [
        "Canada",
        "Elephant",
        "Banana",
        "Apple",
        "Fox",
        "Dinosaur",
    ]
    ws.sort((1, "des"), range="A1:C6")
    assert [r[0] for r in ws.get_all_values()] == [
        "Fox",
        "Elephant",
        "Dinosaur",
        "Canada",
        "Banana",
        "Apple",
    ]
    assert emulator.count("spreadsheets.batchUpdate") == 2


def test_person_sort_helper_keeps_header(emulator: SheetsEmulator) -> None:
    rows = [["Name", "Date"], ["B", dt.date(2026, 3, 2)], ["A", dt.date(2026, 1, 5)], ["C", None]]
    sid = emulator.add_spreadsheet("t", {"Sheet1": rows})
    emulator.sort_rows(sid, "Sheet1", "B")
    assert [r[0] for r in emulator.values(sid, "Sheet1")] == ["Name", "A", "B", "C"]


def test_insert_and_delete_dimension_shift_cells(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_insert_row / test_delete_row request shapes; replies are [{}].
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["r1"], ["r2"], ["r3"]]}, grid=(3, 2))
    sh = client_for(emulator).open_by_key(sid)
    insert = {
        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2},
        "inheritFromBefore": False,
    }
    got = sh.batch_update({"requests": [{"insertDimension": insert}]})
    assert got == {"spreadsheetId": sid, "replies": [{}]}
    assert emulator.values(sid, "Sheet1") == [["r1"], [None], ["r2"], ["r3"]]
    assert emulator.sheet_properties(sid, "Sheet1")["gridProperties"]["rowCount"] == 4
    delete = {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 2}}
    sh.batch_update({"requests": [{"deleteDimension": delete}]})
    assert emulator.values(sid, "Sheet1") == [["r2"], ["r3"]]
    columns = {"range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}}
    sh.batch_update({"requests": [{"insertDimension": columns}]})
    assert emulator.values(sid, "Sheet1") == [[None, "r2"], [None, "r3"]]


def test_sheet_properties_resize_and_freeze(emulator: SheetsEmulator) -> None:
    # WorksheetTest.test_freeze: frozenRowCount appears in metadata only once set.
    # WorksheetTest.test_get_all_values: the resize request gspread sends ("/" separated mask).
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["a"]]})
    sh = client_for(emulator).open_by_key(sid)
    assert (
        "frozenRowCount"
        not in sh.fetch_sheet_metadata()["sheets"][0]["properties"]["gridProperties"]
    )
    ws = sh.sheet1
    ws.freeze(rows=1)
    ws.resize(rows=4, cols=4)
    grid = sh.fetch_sheet_metadata()["sheets"][0]["properties"]["gridProperties"]
    assert grid == {"rowCount": 4, "columnCount": 4, "frozenRowCount": 1}


def test_add_and_delete_sheet_replies(emulator: SheetsEmulator) -> None:
    # SpreadsheetTest.test_values_batch_get: addSheet reply carries the new properties with
    # index and gridProperties; deleteSheet replies {}.
    sid = emulator.add_spreadsheet("t", {"Sheet1": []})
    sh = client_for(emulator).open_by_key(sid)
    ws = sh.add_worksheet("Prep", rows=10, cols=10)
    assert (ws.title, ws.index, ws.row_count, ws.col_count) == ("Prep", 1, 10, 10)
    with pytest.raises(SheetsBadRequest, match="already exists"):
        sh.add_worksheet("Prep", rows=1, cols=1)
    sh.del_worksheet(ws)
    assert emulator.tabs(sid) == ["Sheet1"]


def test_formats_validation_conditional_and_protection(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["Name", "sheetsync: status"], ["Ann", ""]]})
    sh = client_for(emulator).open_by_key(sid)
    rng = {
        "sheetId": 0,
        "startRowIndex": 0,
        "endRowIndex": 1,
        "startColumnIndex": 1,
        "endColumnIndex": 2,
    }
    col = {"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 1, "endColumnIndex": 2}
    reply = sh.batch_update(
        {
            "requests": [
                {
                    "repeatCell": {
                        "range": rng,
                        "cell": {
                            "userEnteredFormat": {
                                "textFormat": {"bold": True},
                                "horizontalAlignment": "CENTER",
                            }
                        },
                        "fields": "userEnteredFormat(textFormat,horizontalAlignment)",
                    }
                },
                {"setDataValidation": {"range": col, "rule": {"condition": {"type": "BOOLEAN"}}}},
                {
                    "addConditionalFormatRule": {
                        "rule": {
                            "ranges": [col],
                            "booleanRule": {
                                "condition": {
                                    "type": "TEXT_CONTAINS",
                                    "values": [{"userEnteredValue": "overdue"}],
                                },
                                "format": {"backgroundColor": {"red": 1}},
                            },
                        },
                        "index": 0,
                    }
                },
                # WorksheetTest.test_add_protected_range_warning: the reply echoes the range
                # without sheetId 0, warningOnly true, requestingUserCanEdit true, editors {}.
                {
                    "addProtectedRange": {
                        "protectedRange": {"range": rng, "warningOnly": True, "description": None}
                    }
                },
            ]
        }
    )
    protected = reply["replies"][3]["addProtectedRange"]["protectedRange"]
    assert protected["range"] == {
        "startRowIndex": 0,
        "endRowIndex": 1,
        "startColumnIndex": 1,
        "endColumnIndex": 2,
    }
    assert (protected["warningOnly"], protected["requestingUserCanEdit"], protected["editors"]) == (
        True,
        True,
        {},
    )
    assert reply["replies"][:3] == [{}, {}, {}]
    assert emulator.format_of(sid, "Sheet1", "B1") == {
        "textFormat": {"bold": True},
        "horizontalAlignment": "CENTER",
    }
    assert emulator.format_of(sid, "Sheet1", "A1") == {}
    assert emulator.validation_of(sid, "Sheet1", "B500") == {"condition": {"type": "BOOLEAN"}}
    assert len(emulator.conditional_formats(sid, "Sheet1")) == 1
    emulator.insert_rows(sid, "Sheet1", 1)  # the person adds a row above the header
    assert emulator.format_of(sid, "Sheet1", "B2")["textFormat"] == {"bold": True}
    assert emulator.protected_ranges(sid, "Sheet1")[0]["range"]["startRowIndex"] == 1
    meta = sh.fetch_sheet_metadata()["sheets"][0]
    assert meta["protectedRanges"][0]["warningOnly"] is True
    assert meta["conditionalFormats"][0]["ranges"][0]["startRowIndex"] == 2


def test_developer_metadata_follows_its_column(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["Name", "sheetsync: status"]]})
    sh = client_for(emulator).open_by_key(sid)
    span = {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2}
    reply = sh.batch_update(
        {
            "requests": [
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {
                            "metadataKey": "sheetsync.column",
                            "metadataValue": "status",
                            "location": {"dimensionRange": span},
                            "visibility": "DOCUMENT",
                        }
                    }
                }
            ]
        }
    )
    created = reply["replies"][0]["createDeveloperMetadata"]["developerMetadata"]
    assert created["location"]["locationType"] == "COLUMN"
    emulator.insert_columns(sid, "Sheet1", "A")  # the person inserts a column on the left
    http = sh.client
    found = http.request(
        "post",
        f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/developerMetadata:search",
        json={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "sheetsync.column"}}]},
    ).json()
    location = found["matchedDeveloperMetadata"][0]["developerMetadata"]["location"]
    assert location["dimensionRange"]["startIndex"] == 2


def test_metadata_fields_mask_and_drive_lookup(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("Tracker", {"Contacts": [["a"]], "Prep": []})
    sh = client_for(emulator).open_by_key(sid)
    got = sh.fetch_sheet_metadata(params={"fields": "sheets.properties(sheetId,title)"})
    assert got == {
        "sheets": [
            {"properties": {"sheetId": 0, "title": "Contacts"}},
            {"properties": {"sheetId": got["sheets"][1]["properties"]["sheetId"], "title": "Prep"}},
        ]
    }
    assert sh.get_lastUpdateTime().endswith("Z")
    assert emulator.count("drive.files.get") == 1


def test_grid_data_carries_values_and_formats(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["Name", dt.date(2026, 3, 16)]]})
    sh = client_for(emulator).open_by_key(sid)
    rng = {
        "sheetId": 0,
        "startRowIndex": 0,
        "endRowIndex": 1,
        "startColumnIndex": 0,
        "endColumnIndex": 1,
    }
    bold = {"userEnteredFormat": {"textFormat": {"bold": True}}}
    fields = "userEnteredFormat.textFormat.bold"
    sh.batch_update({"requests": [{"repeatCell": {"range": rng, "cell": bold, "fields": fields}}]})
    got = sh.fetch_sheet_metadata(params={"includeGridData": "true", "ranges": "Sheet1!A1:B1"})
    a1, b1 = got["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert a1["userEnteredFormat"] == {"textFormat": {"bold": True}}
    assert a1["formattedValue"] == "Name"
    assert b1["effectiveValue"] == {"numberValue": 46097}
    assert b1["userEnteredFormat"]["numberFormat"] == {"type": "DATE", "pattern": "yyyy-mm-dd"}


def test_malformed_body_is_a_clean_error(emulator: SheetsEmulator) -> None:
    sid = emulator.add_spreadsheet("t", {"Sheet1": []})
    response = raw_session().post(
        f"{emulator.url}/v4/spreadsheets/{sid}/values:batchUpdate",
        json={
            "valueInputOption": "RAW",
            "data": [{"range": "Sheet1!A1", "values": [["x"]]}, "junk"],
        },
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Invalid value at 'data[1]'")
    assert emulator.values(sid, "Sheet1") == []  # atomic: the valid first range was not written


def test_a_fields_mask_alone_decides_whether_grid_data_comes_back(emulator: SheetsEmulator) -> None:
    """spreadsheets.get (Sheets API v4 reference): grid data comes back with
    ``includeGridData=true`` or through a ``fields`` mask that names it; when a mask is set,
    ``includeGridData`` is ignored. Errors come back as ``errorValue`` with an ErrorType."""
    rows = [["a", 1], [], [None, Formula("=NA()", "#N/A"), Formula("=1/0")], ["#hashtag", True]]
    sid = emulator.add_spreadsheet("t", {"Sheet1": rows})
    sh = client_for(emulator).open_by_key(sid)
    mask = "sheets(properties.title,data.rowData.values.effectiveValue)"
    got = sh.fetch_sheet_metadata(params={"fields": mask, "includeGridData": "false"})
    (sheet,) = got["sheets"]
    assert sheet["properties"] == {"title": "Sheet1"}
    (data,) = sheet["data"]
    assert data.keys() == {"rowData"}  # from A1: no startRow/startColumn
    effective = [[c.get("effectiveValue") for c in r.get("values", [])] for r in data["rowData"]]
    assert effective == [
        [{"stringValue": "a"}, {"numberValue": 1}],
        [],
        [None, {"errorValue": {"type": "N_A", "message": "#N/A (emulated)"}},
         {"errorValue": {"type": "DIVIDE_BY_ZERO", "message": "#DIV/0! (emulated)"}}],
        [{"stringValue": "#hashtag"}, {"boolValue": True}],
    ]  # fmt: skip
    masked = sh.fetch_sheet_metadata(
        params={"fields": "sheets.properties.title", "includeGridData": "true"}
    )
    assert masked == {"sheets": [{"properties": {"title": "Sheet1"}}]}


def test_pretty_print_false_answers_unindented_json(emulator: SheetsEmulator) -> None:
    """``prettyPrint`` (a system parameter of every Google API, true by default) decides
    whether the JSON answer is indented; the content is the same either way."""
    sid = emulator.add_spreadsheet("t", {"Sheet1": [["a", 1]]})
    url = f"{emulator.url}/v4/spreadsheets/{sid}/values/Sheet1"
    indented = raw_session().get(url, timeout=5)
    compact = raw_session().get(url, params={"prettyPrint": "false"}, timeout=5)
    assert b"\n" in indented.content and b"\n" not in compact.content
    assert compact.json() == indented.json()
    assert len(compact.content) < len(indented.content)
