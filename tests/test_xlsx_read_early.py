"""Reading an .xlsx tracker early, while the checks load (``xlsx_read.read_early``).

The backend takes that read once, only for the same file and read limits, and never once the
file holds other bytes; a read that failed early is raised where the backend reads. The command
line loads the checks on a second thread meanwhile, and reads the tracker once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from sheetsync.backends import xlsx_read
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.backends.xlsx_package import ReadLimits
from sheetsync.errors import SourceError
from sheetsync.grid import CellValue

from .cli_runner import Result
from .conftest import save_rows

HEADER = ["Name", "Organization", "Email", "Date contacted"]


def tracker(path: Path, names: list[str]) -> Path:
    rows = ([n, "Acme", f"{i}@x.org", None] for i, n in enumerate(names))
    return save_rows(path, [HEADER, *rows])


def values(path: Path, limits: ReadLimits | None = None) -> list[list[CellValue]]:
    return XlsxBackend(path, limits=limits or ReadLimits()).read().tabs[0].rows


@pytest.fixture(autouse=True)
def nothing_kept() -> None:
    xlsx_read._early = None


def test_the_backend_takes_the_early_read_once(tmp_path: Path) -> None:
    path = tracker(tmp_path / "t.xlsx", ["Ana", "Bo"])
    assert xlsx_read.read_early(str(path), ReadLimits())
    kept = xlsx_read._early
    assert kept is not None
    first = XlsxBackend(path).read()
    assert first.tabs == kept[1].tabs  # the very tabs read early
    assert xlsx_read._early is None
    again = XlsxBackend(path).read()  # nothing kept now: read again, the same values
    assert again.tabs[0] is not first.tabs[0]
    assert again.tabs[0].rows == first.tabs[0].rows


def test_a_file_saved_after_the_early_read_is_read_again(tmp_path: Path) -> None:
    path = tracker(tmp_path / "t.xlsx", ["Ana"])
    assert xlsx_read.read_early(str(path), ReadLimits())
    tracker(path, ["Bea"])
    assert values(path)[1][0] == "Bea"


def test_the_same_bytes_saved_again_are_read_again(tmp_path: Path) -> None:
    """Same bytes, new modification time: the fingerprint a write compares must be the new one."""
    path = tracker(tmp_path / "t.xlsx", ["Ana"])
    assert xlsx_read.read_early(str(path), ReadLimits())
    kept = xlsx_read._early
    assert kept is not None
    os.utime(path, ns=(kept[1].fingerprint.mtime_ns + 10**9,) * 2)
    backend = XlsxBackend(path)
    backend.read()
    assert backend._fingerprint is not None
    assert backend._fingerprint.mtime_ns == kept[1].fingerprint.mtime_ns + 10**9


def test_another_file_or_other_limits_read_now(tmp_path: Path) -> None:
    one = tracker(tmp_path / "one.xlsx", ["Ana"])
    two = tracker(tmp_path / "two.xlsx", ["Bea"])
    assert xlsx_read.read_early(str(one), ReadLimits())
    assert values(two)[1][0] == "Bea"
    assert xlsx_read._early is None  # taken by the first read, whatever it was for
    assert xlsx_read.read_early(str(one), ReadLimits())
    with pytest.raises(SourceError, match="cells"):
        values(one, ReadLimits(max_cells=3))  # the early read had the default limits


def test_a_failed_early_read_keeps_nothing_and_the_backend_raises_it(tmp_path: Path) -> None:
    assert xlsx_read.read_early(str(tracker(tmp_path / "earlier.xlsx", ["Ana"])), ReadLimits())
    bad = tmp_path / "t.xlsx"
    bad.write_text("Name,Organization\nAna,Acme\n")
    assert not xlsx_read.read_early(str(bad), ReadLimits())
    assert xlsx_read._early is None
    with pytest.raises(SourceError, match="CSV or text file"):
        values(bad)


@pytest.mark.parametrize(
    "source",
    ["missing.xlsx", "tracker.csv", "folder.xlsx", "https://docs.google.com/spreadsheets/d/abc"],
)
def test_only_xlsx_files_are_read_early(tmp_path: Path, source: str) -> None:
    (tmp_path / "tracker.csv").write_text("Name\nAna\n")
    (tmp_path / "folder.xlsx").mkdir()
    assert not xlsx_read.read_early(str(tmp_path / source), ReadLimits())
    assert xlsx_read._early is None


@hsettings(max_examples=25)
@given(
    st.lists(st.sampled_from(["read early", "save other names", "touch", "read"]), max_size=6),
    st.lists(st.sampled_from(["Ana", "Bea", "Cy", "Dee"]), min_size=1, max_size=3),
)
def test_the_backend_never_reads_other_bytes_than_the_file_holds(
    tmp_path_factory: pytest.TempPathFactory, steps: list[str], names: list[str]
) -> None:
    """Whatever happened to the file since an early read, a backend read gives what the file
    holds now, and the fingerprint of what it holds now."""
    xlsx_read._early = None
    path = tracker(tmp_path_factory.mktemp("early") / "t.xlsx", names)
    for i, step in enumerate(steps):
        if step == "read early":
            xlsx_read.read_early(str(path), ReadLimits())
        elif step == "save other names":
            tracker(path, [*names, f"New {i}"])
        elif step == "touch":
            stat = path.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**6))
        else:
            backend = XlsxBackend(path)
            grid = backend.read()
            now = xlsx_read.read_now(path, ReadLimits())
            assert grid.tabs[0].rows == now.tabs[0].rows
            assert backend._fingerprint == now.fingerprint


def test_a_sync_reads_the_tracker_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Result]
) -> None:
    tracker(tmp_path / "t.xlsx", ["Ana", "Bo"])
    reads: list[Path] = []
    read_now = xlsx_read.read_now

    def counted(path: Path, limits: ReadLimits) -> xlsx_read.WorkbookRead:
        reads.append(path)
        return read_now(path, limits)

    monkeypatch.setattr(xlsx_read, "read_now", counted)
    done = cli("sync", "t.xlsx", "--today", "2026-03-16")
    assert done.code == 0, done.text
    assert [p.name for p in reads] == ["t.xlsx"]
    assert xlsx_read._early is None


LOADING = """
import json, sys, threading
from sheetsync.commands import common
from sheetsync.backends import xlsx_read
from sheetsync.backends.xlsx_package import ReadLimits

where = []
load = common._load
common._load = lambda modules: (where.append(threading.current_thread().name), load(modules))
before = "sheetsync.rules" in sys.modules
with common.checks_loading_meanwhile():
    read = xlsx_read.read_early(sys.argv[1], ReadLimits())
    reader = threading.current_thread().name
    switch = sys.getswitchinterval()
print(json.dumps({"before": before, "after": "pandas" in sys.modules, "loader": where,
                  "reader": reader, "read": read, "prep": "sheetsync.prep" in sys.modules,
                  "switch": [switch, sys.getswitchinterval()]}))
"""


def test_the_checks_load_on_a_second_thread_while_the_tracker_is_read(tmp_path: Path) -> None:
    path = tracker(tmp_path / "t.xlsx", ["Ana"])
    done = subprocess.run(
        [sys.executable, "-c", LOADING, str(path)], capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout)
    assert seen == {
        "before": False,
        "after": True,
        "loader": ["sheetsync-load"],
        "reader": "MainThread",
        "read": True,
        "prep": False,  # a check does not load the prep tab's modules
        "switch": [0.001, 0.005],  # a shorter switch interval only while both threads work
    }
