"""`sheetsync sync` on real .xlsx files: statuses land right, nothing of the user's changes."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sheetsync import pipeline
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.errors import FileLockedError, SourceChangedError
from sheetsync.status import MANAGED_COLUMNS

from .workbooks import EXPECTED, HEADER, kitchen_sink

TODAY = dt.date(2026, 3, 16)
MANAGED_HEADERS = [c.header for c in MANAGED_COLUMNS]
PREP_TAB = "sheetsync · prep"
FIRST_MANAGED = len(HEADER) + 1  # after the user's last column (M → N, O, P)


def run_sync(path: Path, today: dt.date = TODAY, **kw: object) -> pipeline.SyncResult:
    settings = Settings()
    return pipeline.sync(XlsxBackend(path, **kw), settings, today)  # type: ignore[arg-type]


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def cells(
    path: Path, *, data_only: bool, skip_cols: frozenset[int] = frozenset()
) -> dict[tuple[str, str], object]:
    """Every cell of every tab: value, type, number format, font, fill (for comparison)."""
    wb = openpyxl.load_workbook(path, data_only=data_only)
    out: dict[tuple[str, str], object] = {}
    for ws in wb.worksheets:
        if ws.title == PREP_TAB:
            continue  # sheetsync's own tab
        for row in ws.iter_rows():
            for c in row:
                if ws.title == "Contacts" and c.column in skip_cols:
                    continue
                if c.value is None and not c.has_style:
                    continue
                out[(ws.title, c.coordinate)] = (
                    c.value,
                    c.data_type,
                    c.number_format,
                    c.font.b,
                    c.fill.fgColor.rgb,
                    c.hyperlink.target if c.hyperlink else None,
                    c.comment.text if c.comment else None,
                )
    return out


def sheet_properties(path: Path) -> dict[str, object]:
    wb = openpyxl.load_workbook(path)
    ws = wb["Contacts"]
    return {
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "validation": [(str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation],
        "conditional": [str(r.sqref) for r in ws.conditional_formatting],
        "freeze": ws.freeze_panes,
        "widths": {k: v.width for k, v in ws.column_dimensions.items() if k in ("A", "M")},
        "names": sorted(wb.defined_names),
        "tabs": [t for t in wb.sheetnames if t != PREP_TAB],
        "charts": len(wb["Stats"]._charts),
    }


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    return kitchen_sink(tmp_path / "tracker.xlsx")


def managed_col(path: Path) -> dict[str, int]:
    ws = openpyxl.load_workbook(path)["Contacts"]
    return {
        c.value: c.column
        for c in ws[3]
        if isinstance(c.value, str) and c.value.startswith("sheetsync")
    }


def test_sync_writes_status_columns_after_the_last_user_column(tracker: Path) -> None:
    result = run_sync(tracker)
    assert result.written and result.backup and Path(result.backup).exists()
    assert {(f.row, f.rule) for f in result.findings} == EXPECTED
    ws = openpyxl.load_workbook(tracker)["Contacts"]
    header = [ws.cell(3, c).value for c in range(FIRST_MANAGED, FIRST_MANAGED + 3)]
    assert header == MANAGED_HEADERS
    status = {r: ws.cell(r, FIRST_MANAGED).value for r in range(4, 9)}
    assert status == {
        4: "Due: write to a 2nd person",
        5: "Due: thank-you note · Note: record referrals",
        6: "Due: confirm meeting · Due: add place/platform · Due: prepare for interview",
        7: "Due: keep in touch",
        8: "Due: follow up once",
    }
    assert ws.cell(5, FIRST_MANAGED + 1).value.startswith("Send Bo Chen a personal thank-you")
    due = ws.cell(5, FIRST_MANAGED + 2)
    assert due.value == dt.datetime(2026, 3, 14) and due.number_format == "yyyy-mm-dd"
    assert ws.cell(5, FIRST_MANAGED).fill.fgColor.rgb.endswith("FFEB9C")  # due is amber
    assert ws.cell(3, FIRST_MANAGED).font.b  # a bold header


def test_nothing_of_the_users_changes(tracker: Path) -> None:
    before_parts = parts(tracker)
    before_formulas = cells(tracker, data_only=False)
    before_values = cells(tracker, data_only=True)
    before_props = sheet_properties(tracker)
    run_sync(tracker)
    after_parts = parts(tracker)
    changed = {n for n in before_parts if before_parts[n] != after_parts.get(n)}
    # the contacts sheet and styles, plus the entries that list the new prep tab
    assert changed <= {
        "xl/worksheets/sheet1.xml",
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
    }
    assert set(after_parts) - set(before_parts) == {"xl/worksheets/sheet4.xml"}
    managed = frozenset(range(FIRST_MANAGED, FIRST_MANAGED + 3))
    assert cells(tracker, data_only=False, skip_cols=managed) == before_formulas
    # cached values of formulas survive: a non-recalculating reader still sees the dates
    assert cells(tracker, data_only=True, skip_cols=managed) == before_values
    assert openpyxl.load_workbook(tracker, data_only=True)["Contacts"]["L4"].value == dt.datetime(
        2026, 3, 10
    )
    assert sheet_properties(tracker) == before_props
    text = openpyxl.load_workbook(tracker)["Contacts"]
    assert (text["M4"].value, text["M4"].data_type) == ("=text that must stay text", "s")


def test_check_after_sync_sees_what_it_saw_before(tracker: Path) -> None:
    settings = Settings()
    before = pipeline.check(XlsxBackend(tracker), settings, TODAY)
    run_sync(tracker)
    after = pipeline.check(XlsxBackend(tracker), settings, TODAY)
    assert after.report.findings == before.report.findings
    assert after.layout.columns == before.layout.columns
    assert list(after.layout.managed) == MANAGED_HEADERS


def test_second_sync_leaves_the_file_byte_identical(tracker: Path) -> None:
    run_sync(tracker)
    data, mtime = tracker.read_bytes(), tracker.stat().st_mtime_ns
    again = run_sync(tracker)
    assert not again.written and again.plan.is_empty
    assert tracker.read_bytes() == data and tracker.stat().st_mtime_ns == mtime


def test_a_fixed_problem_gets_its_status_cleared(tracker: Path) -> None:
    run_sync(tracker)
    # the student sends the thank-you and records it (in Excel: only this cell changes)
    wb = openpyxl.load_workbook(tracker)
    wb["Contacts"]["J5"] = "Y"
    wb["Contacts"]["K5"] = "Ann Wu"
    wb.save(tracker)
    result = run_sync(tracker)
    assert {(c.ref, c.new) for c in result.plan.changes if c.col == FIRST_MANAGED} == {("N5", "OK")}
    ws = openpyxl.load_workbook(tracker)["Contacts"]
    assert ws["N5"].value == "OK" and ws["O5"].value is None and ws["P5"].value is None


def test_managed_columns_are_found_again_after_the_user_moves_them(tracker: Path) -> None:
    run_sync(tracker)
    # the user inserts two columns before sheetsync's and adds one of their own after them
    wb = openpyxl.load_workbook(tracker)
    ws = wb["Contacts"]
    ws.insert_cols(2, 2)
    ws["B3"], ws["C3"] = "Priority", "Status"
    ws["S3"] = "My own column"
    wb.save(tracker)
    result = run_sync(tracker)
    assert result.plan.new_columns == ()
    assert managed_col(tracker) == dict(zip(MANAGED_HEADERS, [16, 17, 18], strict=True))
    assert not result.plan.changes or all(c.col in (16, 17, 18) for c in result.plan.changes)


def test_dry_run_writes_nothing_and_lists_cells(tracker: Path) -> None:
    data = tracker.read_bytes()
    result = pipeline.sync(XlsxBackend(tracker), Settings(), TODAY, dry_run=True)
    assert tracker.read_bytes() == data and not result.written
    assert ("N3", None, "sheetsync · status") in {
        (c.ref, c.old, c.new) for c in result.plan.changes
    }
    assert not (tracker.parent / ".sheetsync-backups").exists()


@pytest.mark.parametrize("lock", ["~$tracker.xlsx", ".~lock.tracker.xlsx#"])
def test_a_lock_file_stops_the_write(tracker: Path, lock: str) -> None:
    data = tracker.read_bytes()
    (tracker.parent / lock).write_text("someone")
    with pytest.raises(FileLockedError, match=r"open in Excel or LibreOffice.*--output"):
        run_sync(tracker)
    assert tracker.read_bytes() == data


def test_output_writes_a_copy_even_while_the_source_is_open(tracker: Path) -> None:
    data = tracker.read_bytes()
    (tracker.parent / "~$tracker.xlsx").write_text("someone")
    copy = tracker.parent / "copy.xlsx"
    result = run_sync(tracker, output=copy)
    assert result.written and result.output == str(copy) and result.backup is None
    assert tracker.read_bytes() == data
    assert managed_col(copy)["sheetsync · status"] == FIRST_MANAGED


def test_a_change_between_read_and_write_stops_the_write(tracker: Path) -> None:
    backend = XlsxBackend(tracker)
    checked = pipeline.check(backend, Settings(), TODAY)
    plan = pipeline.plan_for(checked, Settings())
    wb = openpyxl.load_workbook(tracker)  # the student saves from Excel meanwhile
    wb["Contacts"]["A9"] = "New Person"
    wb.save(tracker)
    edited = tracker.read_bytes()
    with pytest.raises(SourceChangedError, match="changed since sheetsync read it"):
        backend.apply(plan)
    assert tracker.read_bytes() == edited


def test_backups_are_rotated(tracker: Path) -> None:
    before = tracker.read_bytes()
    for day in range(16, 21):
        run_sync(tracker, today=dt.date(2026, 3, day), backups=2)
    backups = sorted((tracker.parent / ".sheetsync-backups").iterdir())
    assert len(backups) == 3  # the two most recent, and the original (kept until deleted)
    assert (tracker.parent / ".sheetsync-backups" / "tracker.original.xlsx").read_bytes() == before
    for b in backups:
        assert openpyxl.load_workbook(b)["Contacts"]["A4"].value == "Ana Lima"


def test_charts_and_unknown_parts_survive_byte_for_byte(tracker: Path) -> None:
    # add parts openpyxl would drop: a VBA-like blob and a custom XML part
    data = tracker.read_bytes()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        zout.writestr("customXml/item1.xml", b"<root>keep me</root>")
    tracker.write_bytes(out.getvalue())
    before = parts(tracker)
    run_sync(tracker)
    after = parts(tracker)
    assert after["customXml/item1.xml"] == b"<root>keep me</root>"
    for name in before:
        if "chart" in name or "drawing" in name:
            assert after[name] == before[name], name


def test_read_only_folder_refuses_cleanly(tracker: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    folder = tracker.parent
    folder.chmod(0o555)
    try:
        with pytest.raises(Exception, match=r"Nothing was written|Could not write a backup"):
            run_sync(tracker)
    finally:
        folder.chmod(0o755)


def test_sync_of_the_example_tracker(tmp_path: Path) -> None:
    example = Path(__file__).parent.parent / "examples" / "tracker.xlsx"
    copy = tmp_path / "tracker.xlsx"
    shutil.copy(example, copy)
    result = run_sync(copy)
    assert result.written and result.rows_read >= 20
    assert not run_sync(copy).written
