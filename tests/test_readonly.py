""".csv and .ods trackers: the read-only commands read them exactly like the same tracker in
an .xlsx workbook; ``sync`` refuses them plainly (exit 2) and touches nothing."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from sheetsync.backends.readonly import ReadOnlyFileBackend, parse_csv
from sheetsync.grid import CellValue

from .cli_runner import Result, snapshot
from .conftest import TODAY, save_rows
from .ods import write_ods

DAY = TODAY.isoformat()
D = dt.date
HEADER = ["Name", "Organization", "Email", "Date contacted", "Response", "Interview date",
          "Thank-you sent", "Notes"]  # fmt: skip
PEOPLE: list[list[Any]] = [
    ["Ann Lee", "Acme", "ann@acme.example", D(2026, 3, 2), None, None, None, "met at ASM, Boston"],
    ["Bo Chen", "Helix", "bo@helix.example", D(2026, 2, 2), D(2026, 2, 3), D(2026, 3, 11), None,
     "two\nlines"],
    ["Cy Diaz", "Sierra", "cy@sierra.example", D(2026, 3, 11), None, None, None, None],
    ["Zoë Müller", "Acme", None, "31/02/2026", None, None, None, "typo in the date"],
]  # fmt: skip


def rows(as_text: bool) -> list[list[CellValue]]:
    """A title line, a blank line, the header, then the people (dates as ISO text if asked)."""

    def cell(v: Any) -> CellValue:
        return v.isoformat() if as_text and isinstance(v, dt.date) else v

    return [["My networking tracker"], [], list(HEADER)] + [[cell(v) for v in p] for p in PEOPLE]


def write_csv(path: Path, data: Sequence[Sequence[CellValue]], **fmt: Any) -> Path:
    encoding = fmt.pop("encoding", "utf-8-sig")
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, **fmt).writerows([["" if v is None else v for v in r] for r in data])
    return path


def findings(res: Result) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = res.json()
    return data["columns"], data["findings"]


def test_csv_and_ods_check_like_the_same_xlsx(cli: Callable[..., Result], tmp_path: Path) -> None:
    save_rows(tmp_path / "t.xlsx", rows(as_text=False))
    write_csv(tmp_path / "t.csv", rows(as_text=True), delimiter=";")
    write_ods(tmp_path / "t.ods", {"Contacts": rows(as_text=False), "Questions": [["Q"]]})
    args = ("--today", DAY, "--format", "json")
    from_xlsx = cli("check", "t.xlsx", *args)
    assert from_xlsx.code == 1
    want = findings(from_xlsx)
    assert {f["rule"] for f in want[1]} >= {"thank-you-missing", "bad-date", "follow-up-3b"}
    for name in ("t.csv", "t.ods"):
        res = cli("check", name, *args)
        assert res.code == 1, res.text
        assert findings(res) == want, name
        assert res.json()["header_row"] == 3
    assert cli("check", "t.csv", *args).json()["worksheet"] == "t"
    assert cli("check", "t.ods", *args).json()["worksheet"] == "Contacts"


def test_csv_text_is_read_as_written() -> None:
    data = 'Name,Notes\r\nZoë,"a, b\nc"\r\n,\r\n'.encode("cp1252")
    assert parse_csv(data) == [["Name", "Notes"], ["Zoë", "a, b\nc"]]
    tabbed = "\ufeffName\tEmail\nAnn\tann@x.example\n".encode()
    assert parse_csv(tabbed) == [["Name", "Email"], ["Ann", "ann@x.example"]]


@pytest.mark.parametrize("name", ["t.csv", "t.ods"])
def test_sync_refuses_csv_and_ods_and_touches_nothing(
    cli: Callable[..., Result], tmp_path: Path, name: str
) -> None:
    if name.endswith(".csv"):
        write_csv(tmp_path / name, rows(as_text=True))
    else:
        write_ods(tmp_path / name, {"Contacts": rows(as_text=False)})
    before = snapshot(tmp_path)
    for extra in ((), ("--dry-run",)):
        res = cli("sync", name, "--today", DAY, *extra)
        assert res.code == 2
        assert "writes status columns only into .xlsx workbooks and Google Sheets" in res.text
        assert "save it as .xlsx (File → Save As" in res.text
        assert "`sheetsync sync t.xlsx`" in res.text
    assert snapshot(tmp_path) == before


def test_read_only_commands_work_on_csv(cli: Callable[..., Result], tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", rows(as_text=True))
    draft = cli("draft", "5", "t.csv", "--today", DAY)
    assert draft.code == 0 and "Bo" in draft.out and "thank" in draft.out.lower()
    export = cli("export", "t.csv", "-o", "advisor.xlsx", "--today", DAY)
    assert export.code == 0, export.text
    assert (tmp_path / "advisor.xlsx").stat().st_size > 0
    ics = cli("ics", "t.csv", "-o", "due.ics", "--today", DAY)
    assert ics.code == 0, ics.text
    assert "BEGIN:VEVENT" in (tmp_path / "due.ics").read_text(encoding="utf-8")


def test_damaged_ods_is_a_clear_error(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "t.ods").write_bytes(b"Name,Email\n")
    res = cli("check", "t.ods", "--today", DAY)
    assert res.code == 3 and "t.ods is not an OpenDocument spreadsheet" in res.text
    (tmp_path / "cut.ods").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    cut = cli("check", "cut.ods", "--today", DAY)
    assert cut.code == 3 and "Cannot read cut.ods" in cut.text


def test_backend_apply_refuses(tmp_path: Path) -> None:
    from sheetsync.errors import ReadOnlySource
    from sheetsync.models import Plan

    backend = ReadOnlyFileBackend(write_csv(tmp_path / "t.csv", rows(as_text=True)))
    assert backend.read().tabs[0].rows[2] == list(HEADER)
    with pytest.raises(ReadOnlySource):
        backend.apply(Plan("t", ()))


def test_map_on_a_csv_saves_the_map_and_check_uses_it(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    write_csv(tmp_path / "t.csv", rows(as_text=True))
    mapped = cli("map", "t.csv", "--set", "connection=Notes", "--yes")
    assert mapped.code == 0, mapped.text
    assert "Next: sheetsync check t.csv" in mapped.text
    data = cli("check", "t.csv", "--today", DAY, "--format", "json").json()
    assert data["columns"]["connection"] == "Notes" and "notes" not in data["columns"]
