"""`sheetsync run`: the real loop in a subprocess, the slot arithmetic, retries, status.

The loop tests start ``python -m sheetsync run`` with a seconds-level ``--every`` on real
workbooks and watch its state file; nothing in the loop is mocked.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from click.testing import CliRunner

from sheetsync import errors, run_state, scheduler
from sheetsync.cli import cli
from sheetsync.config import Settings, load_settings
from sheetsync.errors import (
    ConfigError,
    FileLockedError,
    SheetsAccessDenied,
    SheetsQuotaExceeded,
    SheetsUnavailable,
    SheetsyncError,
    SourceChangedError,
    SourceError,
)
from sheetsync.runner import Runner
from sheetsync.slots import Slots, due_slot

from .sheets_emulator import SheetsEmulator
from .workbooks import HEADER, ROWS, kitchen_sink

TODAY = "2026-03-16"
BERLIN = ZoneInfo("Europe/Berlin")
STATUS_HEADER = "sheetsync · status"


# ---------------------------------------------------------------------- helpers


def write_config(folder: Path, sources: list[str], extra: str = "") -> Path:
    body = f'timezone = "Europe/Berlin"\n[run]\nsources = {json.dumps(sources)}\nretry_delay = 0\n'
    path = folder / "sheetsync.toml"
    path.write_text(body + extra, encoding="utf-8")
    return path


def start_run(folder: Path, *args: str) -> subprocess.Popen[bytes]:
    """``sheetsync run`` in the background; output goes to files (a full pipe would block it)."""
    out = (folder / "run.out").open("ab")
    err = (folder / "run.err").open("ab")
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("SHEETSYNC_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "sheetsync", "run", "--config", "sheetsync.toml", *args],
        cwd=folder,
        stdout=out,
        stderr=err,
        env=env,
    )


def run_cli(folder: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("SHEETSYNC_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "sheetsync", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def state_of(folder: Path) -> dict[str, Any]:
    path = folder / "sheetsync.state.json"
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def wait_for(check: Callable[[], bool], proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        assert proc.poll() is None, f"sheetsync run exited early with {proc.returncode}"
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the run loop")


def stop(proc: subprocess.Popen[bytes], folder: Path) -> int:
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=20)
    assert code == 0, (folder / "run.err").read_text()
    return code


@pytest.fixture
def loop_procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test started; any still running at the end are killed."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def headers(path: Path) -> list[object]:
    wb = openpyxl.load_workbook(path)
    values = [c.value for c in wb["Contacts"][3]]
    wb.close()
    return values


def user_cells(path: Path) -> list[list[object]]:
    wb = openpyxl.load_workbook(path)
    ws = wb["Contacts"]
    values = [[c.value for c in row[: len(HEADER)]] for row in ws.iter_rows(min_row=1)]
    wb.close()
    return values


# ---------------------------------------------------------------------- the real loop


def test_loop_syncs_repeatedly_isolates_a_failing_source_and_holds_the_lock(
    tmp_path: Path, loop_procs: list[subprocess.Popen[bytes]]
) -> None:
    kitchen_sink(tmp_path / "a.xlsx")
    kitchen_sink(tmp_path / "b.xlsx")
    write_config(tmp_path, ["a.xlsx", "missing.xlsx", "b.xlsx"])
    proc = start_run(tmp_path, "--every", "2s", "--today", TODAY, "--quiet")
    loop_procs.append(proc)

    wait_for(lambda: state_of(tmp_path).get("runs", 0) >= 1, proc)
    first = state_of(tmp_path)
    wait_for(lambda: state_of(tmp_path).get("runs", 0) >= 3, proc)
    later = state_of(tmp_path)

    a, b, missing = (later["sources"][n] for n in ("a.xlsx", "b.xlsx", "missing.xlsx"))
    assert later["last_run_finished"] > first["last_run_finished"]
    assert a["runs"] >= 3 and b["runs"] >= 3
    assert a["last_success"] > first["sources"]["a.xlsx"]["last_success"]
    assert a["summary"]["rows"] == 5 and a["summary"]["findings"] == 8
    assert a["last_error"] is None
    assert missing["last_success"] is None and missing["failures"] >= 3
    assert missing["last_error"]["type"] == "SourceError"
    assert "does not exist" in missing["last_error"]["message"]
    for name in ("a.xlsx", "b.xlsx"):
        assert STATUS_HEADER in headers(tmp_path / name)

    config = str(tmp_path / "sheetsync.toml")
    second = CliRunner().invoke(cli, ["run", "--config", config, "--once", "--today", TODAY])
    assert second.exit_code == 3
    assert "already running" in second.output
    assert f"pid {proc.pid}" in second.output

    status = CliRunner().invoke(cli, ["status", "--config", config])
    assert status.exit_code == 0
    assert f"running (pid {proc.pid})" in status.output
    assert "✗ missing.xlsx" in status.output

    stop(proc, tmp_path)
    assert "stopped" in (tmp_path / "run.err").read_text()


def big_tracker(path: Path, rows: int) -> Path:
    """A kitchen-sink tracker with many more contacts, so a sync takes a moment."""
    kitchen_sink(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Contacts"]
    for i in range(rows):
        values = list(ROWS[i % len(ROWS)])
        values[0], values[2] = f"Person {i}", f"p{i}@example.org"
        ws.append([v for v in values[:11]])
    wb.save(path)
    return path


def test_sigterm_mid_run_finishes_the_write_and_exits_0(
    tmp_path: Path, loop_procs: list[subprocess.Popen[bytes]]
) -> None:
    names = [f"t{i}.xlsx" for i in range(3)]
    big_tracker(tmp_path / names[0], 300)
    for name in names[1:]:
        (tmp_path / name).write_bytes((tmp_path / names[0]).read_bytes())
    before = user_cells(tmp_path / names[0])
    write_config(tmp_path, names)
    proc = start_run(tmp_path, "--every", "1d", "--today", TODAY, "--quiet")
    loop_procs.append(proc)

    wait_for(lambda: names[0] in state_of(tmp_path).get("sources", {}), proc, timeout=30)
    proc.send_signal(signal.SIGTERM)  # while the second workbook is being synced
    assert proc.wait(timeout=30) == 0, (tmp_path / "run.err").read_text()

    state = state_of(tmp_path)
    synced = [n for n in names if state["sources"].get(n, {}).get("last_success")]
    assert synced[0] == names[0] and len(synced) < len(names)
    assert "stopping before" in (tmp_path / "run.err").read_text()
    for name in names:  # every workbook is whole: synced or untouched, never half-written
        path = tmp_path / name
        assert user_cells(path) == before
        assert (STATUS_HEADER in headers(path)) == (name in synced)
    assert not list(tmp_path.glob("*.sheetsync-tmp"))


def test_state_survives_a_restart_and_a_missed_slot_is_caught_up_once(
    tmp_path: Path, loop_procs: list[subprocess.Popen[bytes]]
) -> None:
    kitchen_sink(tmp_path / "a.xlsx")
    write_config(
        tmp_path, ["a.xlsx"], extra=f'state_file = "{tmp_path / "sheetsync.state.json"}"\n'
    )
    settings = load_settings(tmp_path / "sheetsync.toml")
    spec = scheduler.make_spec(settings, [str(tmp_path / "a.xlsx")])
    assert Runner(spec, settings, today=dt.date(2026, 3, 16)).run_once().ok
    assert state_of(tmp_path)["runs"] == 1

    # The laptop was asleep (or the loop stopped) for three days.
    state = state_of(tmp_path)
    three_days_ago = dt.datetime.now(BERLIN) - dt.timedelta(days=3)
    state["last_slot"] = three_days_ago.isoformat(timespec="seconds")
    (tmp_path / "sheetsync.state.json").write_text(json.dumps(state), encoding="utf-8")

    source = str(tmp_path / "a.xlsx")
    proc = start_run(tmp_path, source, "--every", "1d", "--at", "00:00", "--today", TODAY, "-q")
    loop_procs.append(proc)
    wait_for(lambda: state_of(tmp_path)["runs"] == 2, proc)
    time.sleep(1.5)  # a second catch-up would show up here
    after = state_of(tmp_path)
    stop(proc, tmp_path)

    midnight = dt.datetime.combine(dt.datetime.now(BERLIN).date(), dt.time(0), tzinfo=BERLIN)
    assert after["runs"] == 2
    assert after["sources"][source]["runs"] == 2  # survived the restart
    assert after["catch_ups"] == 1
    assert after["last_catch_up"]["slot"] == midnight.isoformat(timespec="seconds")
    assert after["last_slot"] == midnight.isoformat(timespec="seconds")
    assert "catching up the run due" in (tmp_path / "run.err").read_text()


def test_once_exits_3_when_a_source_fails_and_logs_json(tmp_path: Path) -> None:
    kitchen_sink(tmp_path / "a.xlsx")
    write_config(tmp_path, ["a.xlsx", "gone.xlsx"])
    done = run_cli(
        tmp_path, "run", "--config", "sheetsync.toml", "--once", "--today", TODAY,
        "--log-format", "json",
    )  # fmt: skip
    assert done.returncode == 3
    assert "TODAY" in done.stdout and "Send Bo Chen a personal thank-you" in done.stdout
    assert STATUS_HEADER in headers(tmp_path / "a.xlsx")
    *logs, error = done.stderr.splitlines()
    lines = [json.loads(line) for line in logs]
    assert [line["level"] for line in lines] == ["info", "error", "info"]
    assert lines[0]["message"].startswith("a.xlsx: 5 rows, 8 findings")
    assert lines[1]["message"] == "gone.xlsx: gone.xlsx does not exist. Check the path."
    assert lines[2]["message"].startswith("run finished; next run due 20")
    assert error.startswith("Error: 1 of 2 tracker(s) did not sync — gone.xlsx: gone.xlsx does")


# ---------------------------------------------------------------------- in-process runner


def runner_for(
    tmp_path: Path, sources: list[str], settings: Settings | None = None, **spec: Any
) -> Runner:
    run_spec = scheduler.RunSpec(
        sources=tuple(sources),
        slots=Slots(dt.timedelta(days=1), dt.time(8), BERLIN),
        state_path=tmp_path / "state.json",
        **spec,
    )
    return Runner(run_spec, settings or Settings(), today=dt.date(2026, 3, 16))


def test_tick_catches_up_a_missed_slot_once(tmp_path: Path) -> None:
    kitchen_sink(tmp_path / "a.xlsx")
    runner = runner_for(tmp_path, [str(tmp_path / "a.xlsx")])
    long_ago = dt.datetime.now(BERLIN) - dt.timedelta(days=4)
    runner.state.last_slot = long_ago.isoformat()
    runner.tick()  # wake-up: four missed mornings make one run
    runner.tick()
    state = run_state.load_state(tmp_path / "state.json")
    assert (state.runs, state.catch_ups) == (1, 1)
    assert state.last_slot == runner.spec.slots.previous(runner.now()).isoformat()


def test_a_locked_workbook_is_retried_until_excel_lets_go(tmp_path: Path) -> None:
    path = kitchen_sink(tmp_path / "tracker.xlsx")
    owner = tmp_path / "~$tracker.xlsx"
    owner.write_text("someone")
    threading.Timer(0.4, owner.unlink).start()
    runner = runner_for(tmp_path, [str(path)], retries=5, retry_delay=0.15)
    report = runner.run_once()
    assert report.ok
    assert STATUS_HEADER in headers(path)
    entry = run_state.load_state(tmp_path / "state.json").sources[str(path)]
    assert (entry.runs, entry.failures, entry.last_error) == (1, 0, None)


def test_a_permanent_error_is_not_retried_and_does_not_stop_the_google_source(
    tmp_path: Path, emulator_env: SheetsEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    from .workbooks import HEADER as H

    rows: list[list[Any]] = [H, *[list(r) for r in ROWS]]
    good = emulator_env.add_spreadsheet("Tracker", {"Contacts": rows})
    shut = emulator_env.add_spreadsheet("Private", {"Contacts": rows}, shared=False)
    sources = [f"gsheet:{shut}", str(tmp_path / "nope.xlsx"), f"gsheet:{good}"]
    settings = Settings(google_auth="anonymous")
    runner = runner_for(tmp_path, sources, settings, retries=3, retry_delay=5)
    with caplog.at_level(logging.WARNING, logger="sheetsync"):
        report = runner.run_once()
    assert "retrying" not in caplog.text  # neither a 403 nor a missing file is retried
    assert sum(1 for r in emulator_env.requests if shut in r.path) == 1  # one attempt
    assert [o.ok for o in report.outcomes] == [False, False, True]
    good_result = report.outcomes[2].result
    assert good_result is not None and good_result.written
    state = run_state.load_state(tmp_path / "state.json")
    assert state.sources[f"gsheet:{shut}"].last_error is not None
    assert state.sources[f"gsheet:{good}"].summary["findings"] == 8


def test_transient_errors() -> None:
    assert scheduler.is_transient(FileLockedError("open in Excel"))
    assert scheduler.is_transient(SheetsQuotaExceeded("quota", status=429))
    assert scheduler.is_transient(SheetsUnavailable("no answer", status=None))
    assert scheduler.is_transient(SheetsUnavailable("502", status=502))
    assert not scheduler.is_transient(SourceError("missing"))
    assert not scheduler.is_transient(ValueError("bug"))
    assert scheduler.is_transient(ConnectionResetError("reset by peer"))
    # the decision is data on the error classes, the same one the run loop reads
    assert SourceChangedError.transient and FileLockedError.transient
    assert not SheetsAccessDenied("no", status=403).transient
    assert not ConfigError.transient and not SheetsyncError.transient
    every = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert all(issubclass(c, SheetsyncError) for c in every)
    assert sorted(c.__name__ for c in every) == sorted(errors.__all__)


# ---------------------------------------------------------------------- when to run


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def test_daily_slots_keep_the_wall_clock_time_across_dst() -> None:
    slots = Slots(dt.timedelta(days=1), dt.time(8), BERLIN)
    assert slots.previous(berlin(2026, 3, 28, 7, 59)) == berlin(2026, 3, 27, 8)
    assert slots.previous(berlin(2026, 3, 28, 8, 0)) == berlin(2026, 3, 28, 8)
    assert slots.next(berlin(2026, 3, 28, 9)) == berlin(2026, 3, 29, 8)  # DST starts that night
    assert slots.next(berlin(2026, 3, 28, 9)).utcoffset() == dt.timedelta(hours=2)
    assert slots.describe() == "daily at 08:00 (Europe/Berlin)"


def test_interval_slots_count_real_time_across_dst() -> None:
    slots = Slots(dt.timedelta(minutes=30), dt.time(0), BERLIN)
    assert slots.previous(berlin(2026, 3, 16, 10, 44)) == berlin(2026, 3, 16, 10, 30)
    assert slots.next(berlin(2026, 3, 16, 10, 44)) == berlin(2026, 3, 16, 11)
    # 01:45 CET + 30 min of real time is 03:15 CEST (02:xx does not exist that night)
    assert slots.next(berlin(2026, 3, 29, 1, 45)) == berlin(2026, 3, 29, 3)
    assert slots.describe() == "every 30m (Europe/Berlin)"


def test_many_missed_slots_make_one_run() -> None:
    slots = Slots(dt.timedelta(hours=1), dt.time(0), BERLIN)
    last = berlin(2026, 3, 16, 8)
    now = berlin(2026, 3, 16, 13, 20)
    assert due_slot(slots, last, now) == berlin(2026, 3, 16, 13)
    assert due_slot(slots, berlin(2026, 3, 16, 13), now) is None
    assert due_slot(slots, None, now) == berlin(2026, 3, 16, 13)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("1h", 3600), ("1d", 86400), ("2s", 2), (" 4H ", 14400)]
)
def test_every(text: str, seconds: int) -> None:
    assert scheduler.parse_every(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["0m", "soon", "2d", "1w", ""])
def test_every_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="every"):
        scheduler.parse_every(text)


# ---------------------------------------------------------------------- [run] config


def test_run_config_defaults() -> None:
    cfg = scheduler.parse_config({}, Path("sheetsync.toml"))
    assert cfg == scheduler.RunConfig()
    assert (cfg.at, cfg.every, cfg.retries, cfg.catch_up) == (
        dt.time(8),
        dt.timedelta(days=1),
        3,
        True,
    )


def test_run_config_values_relative_to_the_config(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "sheetsync.toml"
    cfg = scheduler.parse_config(
        {
            "sources": ["a.xlsx", "gsheet:abc", "/abs/b.xlsx"],
            "at": "07:30",
            "every": "1h",
            "state_file": "state/s.json",
            "retries": 1,
            "retry_delay": 2.5,
        },
        path,
    )
    assert cfg.sources == (str(tmp_path / "cfg" / "a.xlsx"), "gsheet:abc", "/abs/b.xlsx")
    assert (cfg.at, cfg.every) == (dt.time(7, 30), dt.timedelta(hours=1))
    assert cfg.state_file == str(tmp_path / "cfg" / "state" / "s.json")
    assert (cfg.retries, cfg.retry_delay) == (1, 2.5)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"evrey": "1h"}, "unknown key 'run.evrey'"),
        ({"every": 30}, "'run.every' must be a string"),
        ({"every": "fortnightly"}, "not an interval"),
        ({"at": "8am"}, "not a time of day"),
        ({"sources": "a.xlsx"}, "'run.sources' must be a"),
        ({"retries": -1}, "0 or more"),
    ],
)
def test_run_config_errors_name_file_and_key(
    tmp_path: Path, table: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        scheduler.parse_config(table, tmp_path / "sheetsync.toml")
    assert "sheetsync.toml" in str(info.value)


def test_config_section_goes_through_load_settings(tmp_path: Path) -> None:
    path = write_config(tmp_path, ["a.xlsx"], extra='every = "30m"\n')
    settings = load_settings(path)
    assert settings.section("run").every == dt.timedelta(minutes=30)
    spec = scheduler.make_spec(settings)
    assert spec.sources == (str(tmp_path / "a.xlsx"),)
    assert spec.state_path == tmp_path / "sheetsync.state.json"


# ---------------------------------------------------------------------- status, schedule


def test_status_shows_each_source(tmp_path: Path) -> None:
    kitchen_sink(tmp_path / "a.xlsx")
    path = write_config(tmp_path, [str(tmp_path / "a.xlsx"), str(tmp_path / "gone.xlsx")])
    settings = load_settings(path)
    runner = Runner(scheduler.make_spec(settings), settings, today=dt.date(2026, 3, 16))
    runner.run_once()
    result = CliRunner().invoke(cli, ["status", "--config", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("— not running")
    assert lines[1].startswith("Schedule: daily at 08:00 (Europe/Berlin) · 1 run(s)")
    assert f"✓ {tmp_path / 'a.xlsx'}" in lines
    assert any("5 contacts, 8 findings" in line for line in lines)
    assert f"✗ {tmp_path / 'gone.xlsx'}" in lines
    assert any("(SourceError)" in line for line in lines)
    as_json = CliRunner().invoke(cli, ["status", "--config", str(path), "--format", "json"])
    doc = json.loads(as_json.output)
    assert doc["running"] is False and doc["runs"] == 1


def test_schedule_prints_cron_and_systemd(tmp_path: Path) -> None:
    path = write_config(tmp_path, ["a.xlsx"])
    cron = CliRunner().invoke(cli, ["schedule", "--print", "cron", "--config", str(path)])
    assert cron.exit_code == 0, cron.output
    lines = cron.output.splitlines()
    assert lines[1] == "CRON_TZ=Europe/Berlin"
    assert lines[2].startswith(f"0 8 * * * cd {tmp_path} && {sys.executable} -m sheetsync run ")
    assert f"--once --quiet --config {path}" in lines[2]
    every = CliRunner().invoke(
        cli, ["schedule", "--print", "cron", "--config", str(path), "--every", "15m"]
    )
    assert every.output.splitlines()[2].startswith("*/15 * * * * ")
    unit = CliRunner().invoke(cli, ["schedule", "--print", "systemd", "--config", str(path)])
    assert "Type=oneshot" in unit.output
    assert "OnCalendar=*-*-* 08:00:00 Europe/Berlin\nPersistent=true" in unit.output
    assert f"ExecStart={sys.executable} -m sheetsync run --once" in unit.output
