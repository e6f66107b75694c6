"""A sync killed at any moment leaves a readable workbook: the old one or the new one."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from .workbooks import kitchen_sink

TRIALS = int(os.environ.get("SHEETSYNC_KILL_TRIALS", "12"))
CMD = [sys.executable, "-m", "sheetsync", "sync", "--today", "2026-03-16"]


def _timed_sync(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([*CMD, str(path)], check=True, capture_output=True)
    return time.perf_counter() - start


def _readable(path: Path) -> bool:
    try:
        CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Contacts").to_python()
    except Exception:
        return False
    return True


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_at_random_points_leaves_old_or_new(tmp_path: Path) -> None:
    original = kitchen_sink(tmp_path / "original.xlsx")
    done = tmp_path / "done" / "t.xlsx"
    done.parent.mkdir()
    shutil.copy(original, done)
    duration = _timed_sync(done)  # the finished result, and how long a sync takes
    before, after = original.read_bytes(), done.read_bytes()
    rng = random.Random(20260316)
    outcomes = {"old": 0, "new": 0}
    for trial in range(TRIALS):
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        target = folder / "t.xlsx"
        shutil.copy(original, target)
        proc = subprocess.Popen(
            [*CMD, str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.5, 1.1) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = target.read_bytes()
        assert data in (before, after), f"trial {trial}: a third version of the file"
        assert _readable(target)
        outcomes["old" if data == before else "new"] += 1
    assert sum(outcomes.values()) == TRIALS
