"""`sheetsync doctor` through the console script's entry point, on a file and on the emulator."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .cli_runner import run_main
from .sheets_emulator import SheetsEmulator
from .workbooks import kitchen_sink


def doctor(source: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_main(["doctor", source, "--today", "2026-03-16"], cwd=Path.cwd(), env=env)


def test_doctor_on_a_good_workbook(tmp_path: Path) -> None:
    done = doctor(str(kitchen_sink(tmp_path / "t.xlsx")))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ Contacts tab: 'Contacts', header on row 3, 5 contacts" in done.stdout
    assert "outreach_date ← 'Date Contacted'" in done.stdout


def test_doctor_names_the_lock_and_the_missing_columns(tmp_path: Path) -> None:
    path = kitchen_sink(tmp_path / "t.xlsx")
    (tmp_path / "~$t.xlsx").write_text("x")
    done = doctor(str(path))
    assert done.returncode == 0  # check works with the file open; sync would refuse
    assert "! Not open elsewhere: lock file ~$t.xlsx is present" in done.stdout
    assert "! Rules that cannot run: promise-open (needs promises)" in done.stdout
    assert "Traceback" not in done.stderr


def test_doctor_on_google(emulator: SheetsEmulator) -> None:
    env = {"SHEETSYNC_SHEETS_ENDPOINT": emulator.url}
    good = emulator.add_spreadsheet("T", {"People": [["Name", "Email"], ["Ann", "a@b.org"]]})
    done = doctor(f"gsheet:{good}", env)
    assert "✓ Credentials" in done.stdout and "✓ Quota and latency" in done.stdout
    assert "! Rules that cannot run" in done.stdout and "follow-up-3b" in done.stdout
    private = emulator.add_spreadsheet("T", {"People": [["Name"]]}, shared=False)
    done = doctor(f"gsheet:{private}", env)
    assert done.returncode == 3 and "✗ Read" in done.stdout and "hare" in done.stdout
