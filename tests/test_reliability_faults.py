"""Reliability sweep: faults injected on both backends, through the real entry point.

Google: the real gspread client and ``SheetsHTTPClient`` against the local emulator, driven
through ``sheetsync.cli:main``. The only thing changed from production is the client's timing:
the backoff has no setting (``[google] timeout`` and ``retries`` do, but a test needs a read
timeout below a second), so ``open_client`` is wrapped to pass a short read timeout through its
own ``timeout`` parameter and to shrink ``backoff_base``/``backoff_max`` on the real client. Every
request still goes over loopback HTTP to the emulator, which injects the fault.

For every fault the run either completes (when the fault is within the retry budget) or stops
with exit 3 and a message that says what to do; in both cases no user cell changed, and a
clean sync afterwards converges to exactly what a never-faulted twin spreadsheet holds — the
same values, the same number of columns, conditional formats and protected ranges (a
structural request that was re-sent, or re-made by the next run, would show up there).

.xlsx: disk full (a small tmpfs when running as root; ``RLIMIT_FSIZE`` in a subprocess
everywhere), a read-only folder (a read-only bind mount), an immutable workbook
(``chattr +i``), a lock file appearing between read and write, and the workbook changed
underneath in several ways. Every stop leaves the workbook's bytes and mtime as they were and
no temporary file behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sheetsync import pipeline
from sheetsync.backends import google_auth, google_http
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.errors import FileLockedError, SourceChangedError

from .cli_runner import Result, snapshot
from .sheets_emulator import RecordedRequest, SheetsEmulator
from .workbooks import kitchen_sink

TODAY = "2026-03-16"
RETRIES = google_http.DEFAULT_RETRIES
READ_TIMEOUT = 0.5  # the read timeout in tests that make the emulator answer slowly
SLOW = 1.2  # seconds the emulator holds a "slow" response (> READ_TIMEOUT)
TIMING = {"read": 10.0}  # the read timeout sheetsync's client gets in the current test
GET, BATCH_GET = "spreadsheets.get", "spreadsheets.values.batchGet"
STRUCTURE, WRITE = "spreadsheets.batchUpdate", "spreadsheets.values.batchUpdate"
HEADER = ["Name", "Company", "Email", "Emailed on", "Heard back?", "Call date", "Sent thanks"]
USER_COLS = len(HEADER)
BACKUPS = ".sheetsync-backups"


# ---------------------------------------------------------------------- shared helpers


def leftovers(folder: Path) -> list[str]:
    """Temporary files a write left behind."""
    return sorted(str(p) for p in folder.rglob("*.sheetsync-tmp"))


# ---------------------------------------------------------------------- Google


def person(i: int) -> list[Any]:
    """Row i: a mix of situations that cycles every 5 people (one has an interview soon)."""
    base = [f"Person {i:03d}", f"Org {i % 7}", f"p{i}@example.org"]
    kind = i % 5
    if kind == 0:
        return [*base, dt.date(2026, 3, 10), "", "", ""]
    if kind == 1:
        return [*base, dt.date(2026, 3, 2), "Y", dt.date(2026, 3, 13), ""]
    if kind == 2:
        return [*base, dt.date(2026, 3, 2), "Y", dt.date(2026, 3, 17), ""]
    if kind == 3:
        return [*base, dt.date(2026, 2, 2), "Y", dt.date(2026, 2, 10), "Y"]
    return [*base, "", "", "", ""]


ROWS = [HEADER] + [person(i) for i in range(25)]


def new_sheet(emu: SheetsEmulator) -> str:
    """A tracker whose grid has no room for sheetsync's columns (so they must be appended)."""
    return emu.add_spreadsheet("Tracker", {"Contacts": ROWS}, grid=(200, USER_COLS))


def is_reread(request: RecordedRequest) -> bool:
    """The second read: only the key and managed columns ('Contacts'!C:C, …)."""
    return request.op == BATCH_GET and all("!" in r for r in request.query.get("ranges", []))


def state(emu: SheetsEmulator, sid: str) -> dict[str, Any]:
    """Everything a sync may touch: every tab's values, and the Contacts tab's structure."""
    props = emu.sheet_properties(sid, "Contacts")["gridProperties"]
    return {
        "tabs": {tab: emu.values(sid, tab) for tab in emu.tabs(sid)},
        "columns": props["columnCount"],
        "conditional formats": len(emu.conditional_formats(sid, "Contacts")),
        "protected ranges": len(emu.protected_ranges(sid, "Contacts")),
    }


def user_part(emu: SheetsEmulator, sid: str) -> list[list[Any]]:
    return [row[:USER_COLS] for row in emu.values(sid, "Contacts")]


def managed_part(emu: SheetsEmulator, sid: str) -> list[list[Any]]:
    return [row[USER_COLS:] for row in emu.values(sid, "Contacts")]


@pytest.fixture
def google(
    emulator_env: SheetsEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SheetsEmulator]:
    """The emulator, and sheetsync's real client with a short read timeout and backoff."""
    real = google_auth.open_client

    def quick_client(**kwargs: Any) -> Any:
        kwargs["timeout"] = (5.0, TIMING["read"])
        client = real(**kwargs)
        client.http_client.backoff_base = 0.002
        client.http_client.backoff_max = 0.01
        return client

    monkeypatch.setattr(google_auth, "open_client", quick_client)
    TIMING["read"] = 10.0
    yield emulator_env
    TIMING["read"] = 10.0


def short_timeout_if_slow(case: str) -> None:
    """Cases where the emulator answers slowly get a short read timeout (only those: a
    short timeout elsewhere would turn a busy machine into spurious retries)."""
    if any(word in case for word in ("slow", "timeout", "times out")):
        TIMING["read"] = READ_TIMEOUT


@pytest.fixture
def twin(google: SheetsEmulator, cli: Callable[..., Result]) -> dict[str, Any]:
    """What a sync without any fault leaves (run on a twin spreadsheet)."""
    sid = new_sheet(google)
    res = cli("sync", f"gsheet:{sid}", "--today", TODAY)
    assert res.code == 0, res.err
    google.clear_requests()
    return state(google, sid)


Inject = Callable[[SheetsEmulator, str], None]

STOPS: dict[str, tuple[Inject, list[str], dict[str, int]]] = {
    # name: (inject the fault, phrases in the message, request counts the run must show)
    "429 storm on the first read": (  # one spreadsheets.get: the tabs and their values
        lambda e, s: e.fail_next(RETRIES + 1, 429, op=GET),
        [
            "quota exceeded (HTTP 429)",
            "wait a minute and run sheetsync again",
            f"gave up after {RETRIES + 1} attempts",
        ],
        {GET: RETRIES + 1, BATCH_GET: 0, STRUCTURE: 0, WRITE: 0},
    ),
    "429 storm on the values write": (
        lambda e, s: e.fail_next(RETRIES + 1, 429, op=WRITE),
        ["quota exceeded", f"gave up after {RETRIES + 1} attempts"],
        {STRUCTURE: 1, WRITE: RETRIES + 1},
    ),
    "500 storm on the first read": (
        lambda e, s: e.fail_next(RETRIES + 1, 500, op=GET),
        ["server error (HTTP 500)", "try again in a few minutes"],
        {GET: RETRIES + 1, BATCH_GET: 0, STRUCTURE: 0, WRITE: 0},
    ),
    "502 HTML pages on the metadata read": (
        lambda e, s: e.fail_next(RETRIES + 1, 502, op=GET),
        ["server error (HTTP 502)"],
        {GET: RETRIES + 1, WRITE: 0},
    ),
    "500 on the structural request (not repeated)": (
        lambda e, s: e.fail_next(1, 500, op=STRUCTURE),
        ["server error (HTTP 500)", "batchUpdate"],
        {STRUCTURE: 1, WRITE: 0},
    ),
    "slow answers to the first read (read timeout)": (
        lambda e, s: e.delay_next(SLOW, n=RETRIES + 1, op=GET),
        [f"within the {READ_TIMEOUT:g} s read timeout", "check your network connection"],
        {GET: RETRIES + 1, BATCH_GET: 0, STRUCTURE: 0, WRITE: 0},
    ),
    "timeout after the structural request was applied": (
        lambda e, s: e.delay_next(SLOW, op=STRUCTURE, after_apply=True),
        ["read timeout", "may already have been applied", "did not send it again"],
        {STRUCTURE: 1, WRITE: 0},
    ),
    "connection reset before the structural request was applied": (
        lambda e, s: e.reset_connection_next(op=STRUCTURE),
        ["could not reach", "may already have been applied", "run the sync again"],
        {STRUCTURE: 1, WRITE: 0},
    ),
    "connection reset after the structural request was applied": (
        lambda e, s: e.reset_connection_next(op=STRUCTURE, after_apply=True),
        ["may already have been applied", "re-reads the sheet first"],
        {STRUCTURE: 1, WRITE: 0},
    ),
    "partial read: the re-read before writing fails (500s)": (
        lambda e, s: e.fail_next(RETRIES + 1, 500, op=is_reread),
        ["server error (HTTP 500)"],
        {BATCH_GET: RETRIES + 1, STRUCTURE: 1, WRITE: 0},
    ),
    "partial read: the re-read before writing keeps resetting": (
        lambda e, s: e.reset_connection_next(RETRIES + 1, op=is_reread),
        ["could not reach", "check your network connection"],
        {BATCH_GET: RETRIES + 1, STRUCTURE: 1, WRITE: 0},
    ),
    "partial read: the read is fine, the re-read times out": (
        lambda e, s: e.delay_next(SLOW, n=RETRIES + 1, op=lambda r: r.op == BATCH_GET),
        ["read timeout"],
        {GET: 1, BATCH_GET: RETRIES + 1, STRUCTURE: 1, WRITE: 0},
    ),
}


@pytest.mark.parametrize("case", list(STOPS), ids=list(STOPS))
def test_google_fault_stops_cleanly_then_the_next_sync_converges(
    case: str, google: SheetsEmulator, twin: dict[str, Any], cli: Callable[..., Result]
) -> None:
    inject, phrases, counts = STOPS[case]
    sid = new_sheet(google)
    users_before = user_part(google, sid)
    short_timeout_if_slow(case)
    inject(google, sid)
    res = cli("sync", f"gsheet:{sid}", "--today", TODAY)
    assert res.code == 3, (res.out, res.err)
    assert res.text.startswith("Error:"), res.err
    for phrase in phrases:
        assert phrase in res.text, (phrase, res.text)
    assert "Traceback" not in res.err and "bug in sheetsync" not in res.text
    for op, n in counts.items():
        assert google.count(op) == n, (op, google.ops())
    assert google.count("values.append") == 0
    # nothing half-written: no user cell changed, and no managed value was written
    assert user_part(google, sid) == users_before
    assert all(not any(v is not None for v in row) for row in managed_part(google, sid))
    # the next run (no faults) converges to what a never-faulted sync leaves
    google.clear_requests()
    TIMING["read"] = 10.0
    again = cli("sync", f"gsheet:{sid}", "--today", TODAY)
    assert again.code == 0, again.err
    now = state(google, sid)
    assert (now["tabs"], now["columns"]) == (twin["tabs"], twin["columns"])
    assert user_part(google, sid) == users_before
    if google.count(STRUCTURE) == 0:  # nothing structural had landed before the fault
        assert now == twin


STRUCTURE_LANDED = [
    "429 storm on the values write",
    "timeout after the structural request was applied",
    "connection reset after the structural request was applied",
    "partial read: the re-read before writing fails (500s)",
]


@pytest.mark.parametrize("case", STRUCTURE_LANDED)
def test_google_interrupted_first_sync_does_not_duplicate_formats(
    case: str, google: SheetsEmulator, twin: dict[str, Any], cli: Callable[..., Result]
) -> None:
    inject, _, _ = STOPS[case]
    sid = new_sheet(google)
    short_timeout_if_slow(case)
    inject(google, sid)
    assert cli("sync", f"gsheet:{sid}", "--today", TODAY).code == 3
    TIMING["read"] = 10.0
    assert cli("sync", f"gsheet:{sid}", "--today", TODAY).code == 0
    now = state(google, sid)
    assert now["conditional formats"] == twin["conditional formats"] == 4
    assert now["protected ranges"] == twin["protected ranges"] == 1


COMPLETES: dict[str, tuple[Inject, dict[str, int]]] = {
    "429 x5 on the first read (within the retry limit)": (
        lambda e, s: e.fail_next(RETRIES, 429, op=GET),
        {GET: RETRIES + 1, BATCH_GET: 1, WRITE: 1},
    ),
    "429 with Retry-After 0 on every kind of request": (
        lambda e, s: [e.fail_next(1, 429, 0, op=op) for op in (GET, BATCH_GET, STRUCTURE, WRITE)],
        {GET: 2, BATCH_GET: 2, STRUCTURE: 2, WRITE: 2},
    ),
    "500s on metadata and the write (RAW writes may be repeated)": (
        lambda e, s: (e.fail_next(3, 500, op=GET), e.fail_next(2, 503, op=WRITE)),
        {GET: 4, WRITE: 3},
    ),
    "one slow answer to each read": (
        lambda e, s: (e.delay_next(SLOW, op=GET), e.delay_next(SLOW, op=BATCH_GET)),
        {GET: 2, BATCH_GET: 2},
    ),
    "connection resets on reads": (
        lambda e, s: (e.reset_connection_next(2, op=GET), e.reset_connection_next(op=is_reread)),
        {GET: 3, BATCH_GET: 2},
    ),
    "connection reset after the RAW values write was applied": (
        lambda e, s: e.reset_connection_next(op=WRITE, after_apply=True),
        {STRUCTURE: 1, WRITE: 2},
    ),
    "503 on the structural request (rejected, so safe to repeat)": (
        lambda e, s: e.fail_next(2, 503, op=STRUCTURE),
        {STRUCTURE: 3, WRITE: 1},
    ),
}


@pytest.mark.parametrize("case", list(COMPLETES), ids=list(COMPLETES))
def test_google_fault_within_the_budget_completes(
    case: str, google: SheetsEmulator, twin: dict[str, Any], cli: Callable[..., Result]
) -> None:
    inject, counts = COMPLETES[case]
    sid = new_sheet(google)
    short_timeout_if_slow(case)
    inject(google, sid)
    res = cli("sync", f"gsheet:{sid}", "--today", TODAY)
    assert res.code == 0, res.err
    for op, n in counts.items():
        assert google.count(op) == n, (op, google.ops())
    assert state(google, sid) == twin


def test_google_tab_renamed_between_read_and_reread(
    google: SheetsEmulator, cli: Callable[..., Result]
) -> None:
    """The tab list is stale by the time of the re-read (the first read gets the tabs and
    their values in one request, so only the re-read can meet a renamed tab): no values."""
    sid = new_sheet(google)
    google.before_next(BATCH_GET, lambda e: e.rename_tab(sid, "Contacts", "People"))
    res = cli("sync", f"gsheet:{sid}", "--today", TODAY)
    assert res.code == 3
    assert "Contacts" in res.text and "tab still exists" in res.text
    assert google.count(WRITE) == 0
    again = cli("sync", f"gsheet:{sid}", "--today", TODAY)  # the next run reads the new name
    assert again.code == 0, again.err
    assert google.values(sid, "People")[0][USER_COLS] == "sheetsync · status"


def test_google_storm_on_check_names_the_quota_and_exits_3(
    google: SheetsEmulator, cli: Callable[..., Result]
) -> None:
    sid = new_sheet(google)
    google.fail_next(RETRIES + 1, 429, op=GET)
    res = cli("check", f"gsheet:{sid}", "--today", TODAY)
    assert res.code == 3 and "quota exceeded" in res.text and res.out == ""


def test_google_values_write_that_times_out_after_applying_is_repeated_safely(
    google: SheetsEmulator, twin: dict[str, Any], cli: Callable[..., Result]
) -> None:
    """A RAW values write that timed out may have landed; writing the same cells again is
    harmless, so the client retries it, and the result is exactly one copy of each value."""
    sid = new_sheet(google)
    TIMING["read"] = READ_TIMEOUT
    google.delay_next(SLOW, op=WRITE, after_apply=True)
    res = cli("sync", f"gsheet:{sid}", "--today", TODAY)
    assert res.code == 0, res.err
    assert google.count(WRITE) == 2
    assert state(google, sid) == twin


# ---------------------------------------------------------------------- .xlsx


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return kitchen_sink(folder / "tracker.xlsx")


@pytest.fixture
def synced_bytes(tmp_path: Path, tracker: Path) -> bytes:
    """The bytes a successful sync of ``tracker`` produces."""
    ref = tmp_path / "reference"
    ref.mkdir()
    copy = ref / tracker.name
    shutil.copy(tracker, copy)
    pipeline.sync(XlsxBackend(copy), Settings(), dt.date.fromisoformat(TODAY))
    return copy.read_bytes()


def _can_mount() -> bool:
    return (
        sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("mount") is not None
    )


@contextlib.contextmanager
def mounted(folder: Path, *args: str) -> Iterator[None]:
    """``mount ARGS folder`` for the block; skips the test when mounting is not possible."""
    if not _can_mount():
        pytest.skip("mounting needs root on Linux")
    folder.mkdir(exist_ok=True)
    done = subprocess.run(["mount", *args, str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_disk_full_at_every_point_of_the_save(
    tmp_path: Path, tracker: Path, synced_bytes: bytes, cli: Callable[..., Result]
) -> None:
    """A tmpfs just big enough for the workbook, then a page more, and more: the backup, the
    temp file or the replace runs out of space at some size; every run either writes the
    whole new workbook or leaves the old one exactly as it was."""
    size = tracker.stat().st_size
    pages = -(-size // 4096)
    outcomes: dict[str, int] = {}
    for extra in range(0, pages * 2 + 3):
        disk = tmp_path / f"disk{extra}"
        with mounted(
            disk, "-t", "tmpfs", "-o", f"size={(pages + extra) * 4096},mode=0755", "tmpfs"
        ):
            target = disk / tracker.name
            shutil.copy2(tracker, target)
            before = snapshot(disk)
            res = cli("sync", str(target), "--today", TODAY)
            assert leftovers(disk) == []
            if res.code == 0:
                assert target.read_bytes() == synced_bytes
                outcomes["written"] = outcomes.get("written", 0) + 1
                continue
            assert res.code == 3, res.err
            assert "No space left on device" in res.text, res.text
            assert "Nothing was written" in res.text or "the original is untouched" in res.text
            assert snapshot(disk)[tracker.name] == before[tracker.name]
            kind = "backup" if "backup" in res.text else "workbook"
            outcomes[kind] = outcomes.get(kind, 0) + 1
    assert outcomes.get("backup") and outcomes.get("workbook") and outcomes.get("written"), outcomes


FSIZE_DRIVER = textwrap.dedent(
    """
    import resource, signal, sys
    limit = int(sys.argv[1])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from sheetsync.cli import main
    main(sys.argv[2:])
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("backups", [3, 0])
def test_file_size_limit_on_save_changes_nothing(
    tmp_path: Path, tracker: Path, backups: int
) -> None:
    """ENOSPC's cousin without root: a file-size limit makes the save's writes fail."""
    folder = tracker.parent
    (folder / "sheetsync.toml").write_text(f"[sync]\nbackups = {backups}\n")
    before = snapshot(folder)
    limit = tracker.stat().st_size // 2
    done = subprocess.run(
        [sys.executable, "-c", FSIZE_DRIVER, str(limit), "sync", tracker.name, "--today", TODAY],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
        timeout=120,
    )
    text = " ".join(done.stderr.split())
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert "File too large" in text
    if backups:  # the backup is written first; its failure stops the run
        assert ".sheetsync-backups" in text and "the original is untouched" in text
    else:
        assert "the original is untouched" in text
    assert leftovers(folder) == []
    after = snapshot(folder)
    assert after == before  # no partial backup either


@pytest.mark.parametrize("backups", [3, 0])
def test_read_only_folder_on_save(tracker: Path, backups: int, cli: Callable[..., Result]) -> None:
    folder = tracker.parent
    (folder / "sheetsync.toml").write_text(f"[sync]\nbackups = {backups}\n")
    before = snapshot(folder)
    with mounted(folder, "--bind", str(folder)):
        done = subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True, text=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot remount read-only: {done.stderr.strip()}")
        res = cli(
            "sync", str(tracker), "--today", TODAY, "--config", str(folder / "sheetsync.toml")
        )
        assert res.code == 3, res.err
        assert "Read-only file system" in res.text
        assert "Nothing was written" in res.text
        check = cli("check", str(tracker), "--today", TODAY, "--exit-zero")
        assert check.code == 0  # reading still works
    assert snapshot(folder) == before


def test_immutable_workbook_on_save(tracker: Path, cli: Callable[..., Result]) -> None:
    """The folder is writable but the file cannot be replaced (``chattr +i``)."""
    if shutil.which("chattr") is None or os.geteuid() != 0:
        pytest.skip("chattr +i needs root and e2fsprogs")
    done = subprocess.run(["chattr", "+i", str(tracker)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"this filesystem has no immutable flag: {done.stderr.strip()}")
    try:
        data, mtime = tracker.read_bytes(), tracker.stat().st_mtime_ns
        res = cli("sync", str(tracker), "--today", TODAY)
        assert res.code == 3, res.err
        assert "Operation not permitted" in res.text and "the original is untouched" in res.text
        assert (tracker.read_bytes(), tracker.stat().st_mtime_ns) == (data, mtime)
        assert leftovers(tracker.parent) == []
    finally:
        subprocess.run(["chattr", "-i", str(tracker)], check=False)


@pytest.mark.parametrize("lock", ["~$tracker.xlsx", ".~lock.tracker.xlsx#", "~$acker.xlsx"])
def test_lock_file_appearing_between_read_and_write(tracker: Path, lock: str) -> None:
    backend = XlsxBackend(tracker)
    checked = pipeline.check(backend, Settings(), dt.date.fromisoformat(TODAY))
    plan = pipeline.plan_for(checked, Settings())
    assert not plan.is_empty
    before = snapshot(tracker.parent)
    (tracker.parent / lock).write_text("someone,host,2026-03-16")  # Excel opens it now
    with pytest.raises(FileLockedError, match="open in Excel or LibreOffice"):
        backend.apply(plan)
    after = snapshot(tracker.parent)
    after.pop(lock)
    assert after == before
    assert not (tracker.parent / BACKUPS).exists()
    (tracker.parent / lock).unlink()  # closed again: a new run writes
    assert pipeline.sync(XlsxBackend(tracker), Settings(), dt.date.fromisoformat(TODAY)).written


def _touch(path: Path) -> None:
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))


def _same_size_same_mtime(path: Path) -> None:
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[-30] ^= 0x01  # one bit of the zip's central directory comment area / offsets
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _replaced_by_another_workbook(path: Path) -> None:
    other = path.with_name("other.xlsx")
    kitchen_sink(other)
    os.replace(other, path)


def _truncated(path: Path) -> None:
    path.write_bytes(b"")


UNDERNEATH: dict[str, tuple[Callable[[Path], None], str]] = {
    "touched (same bytes, new mtime)": (_touch, "changed since sheetsync read it"),
    "a bit flipped, size and mtime restored": (_same_size_same_mtime, "changed since"),
    "replaced by another save": (_replaced_by_another_workbook, "changed since"),
    "emptied": (_truncated, "changed since"),
    "deleted": (lambda p: p.unlink(), "can no longer be read"),
    "moved away": (lambda p: p.rename(p.with_name("moved.xlsx")), "can no longer be read"),
}


@pytest.mark.parametrize("case", list(UNDERNEATH), ids=list(UNDERNEATH))
def test_workbook_changed_underneath(tracker: Path, case: str) -> None:
    change, message = UNDERNEATH[case]
    backend = XlsxBackend(tracker)
    checked = pipeline.check(backend, Settings(), dt.date.fromisoformat(TODAY))
    plan = pipeline.plan_for(checked, Settings())
    change(tracker)
    left = snapshot(tracker.parent)
    with pytest.raises(SourceChangedError, match=message) as caught:
        backend.apply(plan)
    assert "run sync again" in str(caught.value) or "Nothing was written" in str(caught.value)
    assert snapshot(tracker.parent) == left  # what the other program left is untouched
    assert not (tracker.parent / BACKUPS).exists()
    assert leftovers(tracker.parent) == []
