"""The command line through the console script: exit codes, JSON, options, config.

Exit codes, usage errors and ``--version`` are the process's own: those calls are subprocesses
of the installed ``sheetsync`` script (or ``python -m sheetsync``), and independent ones run
concurrently. The option, JSON and config tests call the same entry point in this process
(``tests/cli_runner.run_main``: same output, a fraction of the start-up). Every call runs with
``$SHEETSYNC_CONFIG`` unset unless a test sets it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync import __version__
from sheetsync.rules import RULES

from .cli_runner import run_main

TODAY = "2026-03-16"
D = dt.date
SHEETSYNC = Path(sys.executable).with_name("sheetsync")
CORE_RULES = (
    "thank-you-missing",
    "follow-up-3b",
    "follow-up-7b",
    "stale-contact",
    "prep-needed",
    "bad-date",
    "duplicate-contact",
)
FINDING_KEYS = {"row", "contact", "rule", "severity", "message", "due"}
TOP_KEYS = {"source", "worksheet", "header_row", "today", "columns", "unmapped", "findings"}


@dataclass(frozen=True)
class Call:
    args: Sequence[str]
    cwd: Path
    env: Mapping[str, str] | None = None
    module: bool = False  # python -m sheetsync instead of the script
    process: bool = False  # the real console script in a subprocess (else the entry point here)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stderr with whitespace collapsed (long messages may wrap)."""
        return " ".join(self.err.split())

    def json(self) -> Any:
        return json.loads(self.out)


def _run(call: Call) -> Ran:
    if not (call.process or call.module):
        done = run_main(call.args, cwd=call.cwd, env={"COLUMNS": "400", **(call.env or {})})
        assert "Traceback" not in done.stderr, done.stderr
        return Ran(done.returncode, done.stdout, done.stderr)
    env = {k: v for k, v in os.environ.items() if k != "SHEETSYNC_CONFIG"}
    env["COLUMNS"] = "400"
    env.update(call.env or {})
    cmd = [sys.executable, "-m", "sheetsync"] if call.module else [str(SHEETSYNC)]
    proc = subprocess.run(
        [*cmd, *call.args], cwd=call.cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def run(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> Ran:
    """One ``sheetsync ARGS`` call."""
    return _run(Call(args, cwd, env))


def script(args: Sequence[str], cwd: Path) -> Call:
    """A call of the real console script, in a subprocess."""
    return Call(args, cwd, process=True)


def run_all(*calls: Call) -> list[Ran]:
    """Several independent calls: subprocesses at once (each is mostly interpreter start-up),
    in-process ones one after the other (they share the working folder and environment)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        started = {i: pool.submit(_run, c) for i, c in enumerate(calls) if c.process or c.module}
        here = {i: _run(c) for i, c in enumerate(calls) if i not in started}
        return [started[i].result() if i in started else here[i] for i in range(len(calls))]


def pairs(out: Mapping[str, Any]) -> list[tuple[int, str]]:
    return sorted((f["row"], f["rule"]) for f in out["findings"])


def save(path: Path, tabs: Mapping[str, Sequence[tuple[int, Sequence[object]]]]) -> Path:
    """A workbook of tabs, each a list of (row number, values)."""
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for title, rows in tabs.items():
        ws = wb.create_sheet(title)
        for r, values in rows:
            for c, value in enumerate(values, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


HEADERS = ["Name", "Organization", "Email", "Date contacted", "Response", "Interview date",
           "Thank you"]  # fmt: skip


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the trackers the tests read (none of them writes)."""
    folder = tmp_path_factory.mktemp("cli")
    save(
        folder / "tracker.xlsx",
        {
            "Contacts": [
                (1, HEADERS),
                # 2: wrote Tue 3/10, no reply → 3B due Fri 3/13
                (2, ["Ann Lee", "Acme", "ann@acme.org", D(2026, 3, 10)]),
                # 3: spoke Tue 2/10: stale after 90 days (5/11), after 30 days (3/12)
                (
                    3,
                    [
                        "Bo Chen",
                        "Initech",
                        "bo@initech.com",
                        D(2026, 2, 2),
                        "yes",
                        D(2026, 2, 10),
                        "yes",
                    ],
                ),
                # 4: April 3 read month first (not sent yet), March 4 read day first (7B)
                (4, ["Cy Ng", "Globex", "cy@globex.com", "04/03/2026"]),
                # 5: a date that only reads day first → bad-date when read month first
                (5, ["Di Ray", "Hooli", "di@hooli.com", "25/02/2026", "yes"]),
            ],
            "Archive": [
                (1, ["Old contacts, kept for reference"]),
                (3, ["Name", "Email", "Date contacted", "Response"]),
                # 4: wrote 2026-02-02, never replied → 7B long overdue
                (4, ["Old Friend", "old@friend.org", D(2026, 2, 2)]),
            ],
        },
    )
    save(
        folder / "clean.xlsx",
        {"Contacts": [(1, HEADERS), (2, ["Ann Lee", "Acme", "ann@acme.org", D(2026, 3, 12)])]},
    )
    # "Day 0" is the outreach date, but nothing about the words says so
    save(
        folder / "custom.xlsx",
        {
            "People": [
                (1, ["Name", "Email", "Day 0", "Response", "Interview date", "Thank you"]),
                (2, ["Ann Lee", "ann@acme.org", D(2026, 3, 10)]),
                (3, ["Bo Chen", "bo@initech.com", D(2026, 2, 2), "yes", D(2026, 2, 10), "yes"]),
            ]
        },
    )
    (folder / "protected.xlsx").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 512)
    return folder


# ---------------------------------------------------------------------- exit codes and JSON


def test_exit_codes(work: Path) -> None:
    clean, found, zero, missing = run_all(
        script(["check", "clean.xlsx", "--today", TODAY, "--format", "json"], work),
        script(["check", "tracker.xlsx", "--today", TODAY], work),
        script(
            ["check", "tracker.xlsx", "--today", TODAY, "--exit-zero", "--format", "json"], work
        ),
        script(["check", "gone.xlsx", "--today", TODAY], work),
    )
    assert clean.code == 0, clean.err
    assert clean.json()["findings"] == []
    assert found.code == 1, found.err
    assert "Ann Lee" in found.out and "follow-up-3b" in found.out
    assert zero.code == 0 and zero.json()["findings"]
    assert missing.code == 3
    assert missing.text.startswith("Error:") and "gone.xlsx does not exist" in missing.text
    assert missing.out == ""


def test_usage_errors_exit_2(work: Path) -> None:
    bad_day, bad_row = run_all(
        script(["check", "tracker.xlsx", "--today", "2026-13-01"], work),
        script(["check", "tracker.xlsx", "--header-row", "0"], work),
    )
    for ran in (bad_day, bad_row):
        assert ran.code == 2, ran.err
        assert ran.out == ""
    assert "'2026-13-01' is not a date: use YYYY-MM-DD" in bad_day.text
    assert "--header-row" in bad_row.text


def test_usage_errors_found_inside_a_command_exit_2(work: Path) -> None:
    bad_select, no_source = run_all(
        script(["check", "tracker.xlsx", "--today", TODAY, "--select", "x-5b"], work),
        script(["check", "--today", TODAY], work),
    )
    for ran in (bad_select, no_source):
        assert ran.code == 2, ran.err
        assert ran.out == "" and "bug in sheetsync" not in ran.text
    assert "--select" in bad_select.text and "no rule 'x-5b'" in bad_select.text
    assert "sheetsync rules" in bad_select.text
    assert "Say which tracker" in no_source.text and "sheetsync.toml" in no_source.text


def test_json_shape(work: Path) -> None:
    ran = run("check", "tracker.xlsx", "--today", TODAY, "--format", "json", cwd=work)
    assert ran.code == 1, ran.err
    out = ran.json()
    assert set(out) >= TOP_KEYS  # extra keys (skipped_rules, warnings) are allowed
    assert out["source"] == "tracker.xlsx"
    assert out["worksheet"] == "Contacts"
    assert out["header_row"] == 1
    assert out["today"] == TODAY
    assert out["columns"] == {
        "name": "Name",
        "organization": "Organization",
        "email": "Email",
        "outreach_date": "Date contacted",
        "response": "Response",
        "interview_date": "Interview date",
        "thank_you": "Thank you",
    }
    assert out["unmapped"] == []
    assert pairs(out) == [(2, "follow-up-3b"), (5, "bad-date")]
    for f in out["findings"]:
        assert set(f) >= FINDING_KEYS
        assert isinstance(f["row"], int) and isinstance(f["message"], str) and f["message"]
        assert f["severity"] in {"overdue", "due", "soon", "info", "data"}
        assert f["rule"] in RULES
        assert f["due"] is None or dt.date.fromisoformat(f["due"])
    ann = next(f for f in out["findings"] if f["row"] == 2)
    assert (ann["contact"], ann["severity"], ann["due"]) == ("Ann Lee", "due", "2026-03-13")
    di = next(f for f in out["findings"] if f["row"] == 5)
    assert (di["contact"], di["severity"], di["due"]) == ("Di Ray", "data", None)
    assert "D5" in di["message"] and "25/02/2026" in di["message"]


# ---------------------------------------------------------------------- options


def test_select_ignore_worksheet_header_row_day_first(work: Path) -> None:
    base = ["check", "tracker.xlsx", "--today", TODAY, "--format", "json"]
    select, tab, tab_row, day_first = run_all(
        Call([*base, "--select", "bad-date", "--select", "stale-contact"], work),
        Call([*base, "--worksheet", "Archive"], work),
        Call([*base, "--worksheet", "archive", "--header-row", "3"], work),
        Call([*base, "--day-first", "--ignore", "follow-up-3b"], work),
    )
    assert pairs(select.json()) == [(5, "bad-date")]
    for ran in (tab, tab_row):
        out = ran.json()
        assert (out["worksheet"], out["header_row"]) == ("Archive", 3)
        assert out["columns"] == {
            "name": "Name",
            "email": "Email",
            "outreach_date": "Date contacted",
            "response": "Response",
        }
        assert pairs(out) == [(4, "follow-up-7b")]
        assert out["findings"][0]["severity"] == "overdue"
    # day first: "04/03/2026" is 4 March (7B due Fri 3/13) and "25/02/2026" reads fine;
    # row 2's follow-up-3b is ignored
    out = day_first.json()
    assert pairs(out) == [(4, "follow-up-7b")]
    assert (out["findings"][0]["contact"], out["findings"][0]["due"]) == ("Cy Ng", "2026-03-13")


def test_header_row_without_a_header_is_an_error(work: Path) -> None:
    past = run("check", "tracker.xlsx", "--today", TODAY, "--header-row", "40", cwd=work)
    assert past.code == 3 and "40" in past.text


def test_version_and_rules(work: Path) -> None:
    as_module, text, listed = run_all(
        Call(["--version"], work, module=True),
        Call(["rules"], work),
        Call(["rules", "--format", "json"], work),
    )
    assert as_module.code == 0 and as_module.out.strip() == f"sheetsync, version {__version__}"
    assert text.code == 0
    flat = " ".join(text.out.split())
    for rule in RULES.values():
        assert rule.id in text.out
        for name, default in rule.params.items():
            assert f"{name} = {default}" in flat, (rule.id, name)
    assert "[rules.stale-contact]" in flat  # how to set a parameter
    assert listed.code == 0
    rules = listed.json()
    assert [r["id"] for r in rules] == list(RULES)
    assert set(CORE_RULES) <= {r["id"] for r in rules}
    for entry in rules:
        rule = RULES[entry["id"]]
        assert entry["params"] == dict(rule.params)
        assert entry["summary"] == rule.summary and entry["summary"]
        assert entry["needs"] == list(rule.needs)
    assert next(r for r in rules if r["id"] == "stale-contact")["params"] == {"days": 90}


# ---------------------------------------------------------------------- config


def test_config_sources_and_effects(work: Path, tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    good = conf / "mine.toml"
    good.write_text(
        '[columns]\noutreach_date = "Day 0"\n\n[rules.stale-contact]\ndays = 30\n',
        encoding="utf-8",
    )
    broken = conf / "broken.toml"
    broken.write_text("colour = true\n", encoding="utf-8")
    # $SHEETSYNC_CONFIG: the source, tab and header row come from the file; the source is
    # found relative to the config file
    env_conf = conf / "env.toml"
    env_conf.write_text(
        f'source = "{os.path.relpath(work / "tracker.xlsx", conf)}"\n'
        'worksheet = "Archive"\nheader_row = 3\n',
        encoding="utf-8",
    )
    cwd_dir = tmp_path / "cwd"
    cwd_dir.mkdir()
    (cwd_dir / "custom.xlsx").write_bytes((work / "custom.xlsx").read_bytes())
    (cwd_dir / "sheetsync.toml").write_text(
        '[columns]\noutreach_date = "Day 0"\n[rules.stale-contact]\ndays = 30\n',
        encoding="utf-8",
    )
    # the same folder with a broken ./sheetsync.toml: $SHEETSYNC_CONFIG must win over it
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    (env_dir / "sheetsync.toml").write_text("colour = true\n", encoding="utf-8")
    base = ["--today", TODAY, "--format", "json"]
    plain, explicit, from_env, from_cwd = run_all(
        Call(["check", "custom.xlsx", *base], work),
        # --config wins over a broken $SHEETSYNC_CONFIG
        Call(
            ["check", "custom.xlsx", *base, "--config", str(good)],
            work,
            env={"SHEETSYNC_CONFIG": str(broken)},
        ),
        Call(["check", *base], env_dir, env={"SHEETSYNC_CONFIG": str(env_conf)}),
        Call(["check", "custom.xlsx", *base], cwd_dir),
    )
    # without config the guesser leaves "Day 0" alone, and 90 days have not passed
    out = plain.json()
    assert plain.code == 0, plain.err
    assert "outreach_date" not in out["columns"] and out["unmapped"] == ["Day 0"]
    assert out["findings"] == []
    for ran in (explicit, from_cwd):
        out = ran.json()
        assert ran.code == 1, ran.err
        assert out["columns"]["outreach_date"] == "Day 0"
        assert out["unmapped"] == []
        assert pairs(out) == [(2, "follow-up-3b"), (3, "stale-contact")]
        stale = next(f for f in out["findings"] if f["rule"] == "stale-contact")
        assert stale["due"] == "2026-03-12"  # 2026-02-10 + 30 days
    out = from_env.json()
    assert from_env.code == 1, from_env.err
    assert (out["worksheet"], out["header_row"]) == ("Archive", 3)
    assert Path(out["source"]).resolve() == (work / "tracker.xlsx").resolve()
    assert pairs(out) == [(4, "follow-up-7b")]


CONFIG_ERRORS = {
    "unknown key": ("colums = {}\n", ["unknown key 'colums'", "Known keys"]),
    "wrong type": ('header_row = "four"\n', ["'header_row' must be a whole number", "four"]),
    "unknown rule": ("[rules.stale-contacts]\ndays = 30\n", ["no rule 'stale-contacts'"]),
    "unknown parameter": ("[rules.stale-contact]\ndayz = 30\n", ["unknown parameter 'dayz'"]),
}


def test_config_errors_name_file_and_key(tmp_path: Path, work: Path) -> None:
    calls = []
    for i, (body, _) in enumerate(CONFIG_ERRORS.values()):
        path = tmp_path / f"bad{i}.toml"
        path.write_text(body, encoding="utf-8")
        calls.append(Call(["check", "tracker.xlsx", "--today", TODAY, "--config", str(path)], work))
    missing = tmp_path / "nope.toml"
    calls.append(Call(["check", "tracker.xlsx"], work, env={"SHEETSYNC_CONFIG": str(missing)}))
    *results, no_env = run_all(*calls)
    for i, (ran, (case, (_, phrases))) in enumerate(
        zip(results, CONFIG_ERRORS.items(), strict=True)
    ):
        assert ran.code == 2, (case, ran.err)  # a config error is a usage error
        assert ran.out == ""
        assert f"bad{i}.toml" in ran.text, case  # names the file
        for phrase in phrases:
            assert phrase in ran.text, (case, phrase, ran.text)
    assert no_env.code == 2 and "$SHEETSYNC_CONFIG" in no_env.text and "nope.toml" in no_env.text
