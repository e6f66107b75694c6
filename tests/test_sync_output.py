"""`sync -o copy.xlsx`: always leaves a copy, and refuses a name it cannot write as a workbook."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from tests.cli_runner import Result
from tests.workbooks import kitchen_sink

TODAY = "2026-03-16"


def test_a_copy_is_written_even_when_the_tracker_needs_no_change(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    tracker = kitchen_sink(tmp_path / "tracker.xlsx")
    assert cli("sync", str(tracker), "--today", TODAY).code == 0  # now up to date
    before = tracker.read_bytes()
    copy = tmp_path / "copy.xlsx"
    result = cli("sync", str(tracker), "-o", str(copy), "--today", TODAY)
    assert result.code == 0, result.text
    assert f"up to date; copied it to {copy}" in result.text
    assert copy.read_bytes() == before  # the workbook as it is, byte for byte
    assert tracker.read_bytes() == before
    again = cli("sync", str(tracker), "-o", str(copy), "--today", TODAY)  # its own copy: replaced
    assert again.code == 0, again.text


@pytest.mark.parametrize("name", ["copy.csv", "copy.ods", "copy", "copy.xlsx.txt"])
def test_an_extension_sheetsync_cannot_write_is_refused(
    cli: Callable[..., Result], tmp_path: Path, name: str
) -> None:
    tracker = kitchen_sink(tmp_path / "tracker.xlsx")
    result = cli("sync", str(tracker), "-o", str(tmp_path / name), "--today", TODAY)
    assert result.code == 2
    assert "must be named .xlsx or .xlsm" in result.text
    assert not (tmp_path / name).exists()


def test_an_upper_case_extension_is_a_workbook_name_too(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    tracker = kitchen_sink(tmp_path / "tracker.xlsx")
    copy = tmp_path / "COPY.XLSX"
    assert cli("sync", str(tracker), "-o", str(copy), "--today", TODAY).code == 0
    assert "sheetsync · status" in [c.value for c in openpyxl.load_workbook(copy)["Contacts"][3]]
