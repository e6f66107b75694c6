"""A basic filter over the contacts on Google grows over the managed columns (through the real
gspread client and the local emulator), in the same batchUpdate as the first-time formats."""

from __future__ import annotations

import pytest

from sheetsync.backends.google_auth import open_client
from sheetsync.errors import SheetsBadRequest
from sheetsync.status import MANAGED_COLUMNS

from .sheets_emulator import SheetsEmulator
from .test_gsheets import HEADER, STRUCTURE, make_sheet, statuses_by_name, sync

WIDTH = len(HEADER)  # A..G; the managed columns go to H..J


def test_a_basic_filter_grows_with_its_criteria_kept(emulator_env: SheetsEmulator) -> None:
    sheet_id = make_sheet(emulator_env, 20)
    sort = [{"dimensionIndex": 0, "sortOrder": "ASCENDING"}]
    emulator_env.set_basic_filter(sheet_id, "Contacts", "A1:G21", sortSpecs=sort)
    result = sync(sheet_id, prep=False)
    assert [(g.kind, g.old_last_col, g.new_last_col) for g in result.plan.tables] == [
        ("filter", WIDTH, WIDTH + 3)
    ]
    (structure,) = [r for r in emulator_env.requests if r.op == STRUCTURE]
    kinds = [next(iter(req)) for req in structure.body["requests"]]
    assert kinds.count("setBasicFilter") == 1 and "repeatCell" in kinds  # one batchUpdate
    assert emulator_env.basic_filter(sheet_id, "Contacts") == {
        "range": {
            "startRowIndex": 0,
            "endRowIndex": 21,
            "startColumnIndex": 0,
            "endColumnIndex": 10,
        },
        "sortSpecs": sort,
    }
    emulator_env.clear_requests()
    assert not sync(sheet_id, prep=False).written  # grown once; nothing more to do


def test_sorting_the_filtered_range_keeps_statuses_beside_their_people(
    emulator_env: SheetsEmulator,
) -> None:
    sheet_id = make_sheet(emulator_env, 20)
    emulator_env.set_basic_filter(sheet_id, "Contacts", "A1:G21")
    sync(sheet_id, prep=False)
    before = statuses_by_name(emulator_env, sheet_id)
    emulator_env.sort_rows(sheet_id, "Contacts", "C", descending=True)  # whole rows move
    assert statuses_by_name(emulator_env, sheet_id) == before
    emulator_env.clear_requests()
    assert not sync(sheet_id, prep=False).written  # every status already beside its person


def test_a_filter_not_beside_the_managed_columns_is_left(emulator_env: SheetsEmulator) -> None:
    sheet_id = make_sheet(emulator_env, 5)
    emulator_env.set_basic_filter(sheet_id, "Contacts", "A1:C6")  # name, company, email only
    result = sync(sheet_id, prep=False)
    assert result.written and result.plan.tables == ()
    assert result.checked is not None
    assert any("not next to the filter" in w for w in result.checked.layout.warnings)
    assert emulator_env.basic_filter(sheet_id, "Contacts") == {
        "range": {"startRowIndex": 0, "endRowIndex": 6, "startColumnIndex": 0, "endColumnIndex": 3}
    }
    header = emulator_env.values(sheet_id, "Contacts")[0]
    assert header[WIDTH:] == [c.header for c in MANAGED_COLUMNS]


def test_a_google_table_grows_with_named_columns(emulator_env: SheetsEmulator) -> None:
    sheet_id = make_sheet(emulator_env, 20)
    emulator_env.add_table(sheet_id, "Contacts", "A1:G21", "People")
    result = sync(sheet_id, prep=False)
    assert [(g.kind, g.name, g.new_last_col) for g in result.plan.tables] == [
        ("table", "People", WIDTH + 3)
    ]
    (table,) = emulator_env.tables(sheet_id, "Contacts")
    assert table["range"] == {
        "startRowIndex": 0,
        "endRowIndex": 21,
        "startColumnIndex": 0,
        "endColumnIndex": WIDTH + 3,
    }
    columns = [
        (c["columnIndex"], c["columnName"], c["columnType"]) for c in table["columnProperties"]
    ]
    assert columns == [(i, h, "TEXT") for i, h in enumerate(HEADER)] + [
        (WIDTH, "sheetsync · status", "TEXT"),
        (WIDTH + 1, "sheetsync · next step", "TEXT"),
        (WIDTH + 2, "sheetsync · due", "DATE"),
    ]
    header = emulator_env.values(sheet_id, "Contacts")[0]
    assert header == [c["columnName"] for c in table["columnProperties"]]
    emulator_env.clear_requests()
    assert not sync(sheet_id, prep=False).written


def test_a_google_table_away_from_the_managed_columns_is_left(
    emulator_env: SheetsEmulator,
) -> None:
    sheet_id = make_sheet(emulator_env, 5)
    emulator_env.add_table(sheet_id, "Contacts", "A1:D6", "People")
    before = emulator_env.tables(sheet_id, "Contacts")
    result = sync(sheet_id, prep=False)
    assert result.written and result.plan.tables == ()
    assert result.checked is not None
    assert any("the table 'People'" in w for w in result.checked.layout.warnings)
    assert emulator_env.tables(sheet_id, "Contacts") == before


# -- the emulator's model of the two requests ------------------------------------------------------


def test_emulator_set_basic_filter_needs_a_range_and_a_real_tab(
    emulator_env: SheetsEmulator,
) -> None:
    sheet_id = make_sheet(emulator_env, 2)
    sh = open_client(auth="anonymous", endpoint=emulator_env.url, retries=0).open_by_key(sheet_id)
    with pytest.raises(SheetsBadRequest, match=r"filter\.range is required"):
        sh.batch_update({"requests": [{"setBasicFilter": {"filter": {}}}]})
    with pytest.raises(SheetsBadRequest, match="No grid with id: 7"):
        sh.batch_update({"requests": [{"setBasicFilter": {"filter": {"range": {"sheetId": 7}}}}]})
    sh.batch_update({"requests": [{"setBasicFilter": {"filter": {"range": {"sheetId": 0}}}}]})
    assert emulator_env.basic_filter(sheet_id, "Contacts") == {"range": {}}  # unbounded
    sh.batch_update({"requests": [{"clearBasicFilter": {"sheetId": 0}}]})
    assert emulator_env.basic_filter(sheet_id, "Contacts") is None


def test_emulator_update_table_keeps_names_unique(emulator_env: SheetsEmulator) -> None:
    sheet_id = make_sheet(emulator_env, 2)
    emulator_env.add_table(sheet_id, "Contacts", "A1:C3", "People")
    (table,) = emulator_env.tables(sheet_id, "Contacts")
    sh = open_client(auth="anonymous", endpoint=emulator_env.url, retries=0).open_by_key(sheet_id)
    twice = [*table["columnProperties"], {"columnIndex": 2, "columnName": "name"}]
    same_name = {"tableId": table["tableId"], "columnProperties": twice}
    with pytest.raises(SheetsBadRequest, match="must be unique"):
        sh.batch_update(
            {"requests": [{"updateTable": {"table": same_name, "fields": "columnProperties"}}]}
        )
    with pytest.raises(SheetsBadRequest, match="At least one field"):
        sh.batch_update({"requests": [{"updateTable": {"table": same_name}}]})
    assert emulator_env.tables(sheet_id, "Contacts") == [table]  # nothing changed
